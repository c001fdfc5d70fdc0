// Package mailauth is the root of mailconf's record models of the
// mail-authentication protocols, one sub-package per protocol: spf
// (RFC 7208), dkim (RFC 6376, RFC 8301, RFC 8463), dmarc (RFC 9989,
// RFC 9990), bimi (draft-brand-indicators-for-message-identification),
// mtasts (RFC 8461) and tlsrpt (RFC 8460). Each sub-package parses its
// record, prints it back in the canonical form mailconf publishes, and
// validates it against its standard.
//
// This package holds what every sub-package's Validate reports, Problem and
// Severity, so that the linter can gather the findings about every record
// type into one list.
//
// Nothing in the tree may do network I/O or read the clock: the models are
// pure functions of the text and values they are given. Looking up records,
// fetching policies and evaluating messages belong to the packages that have
// a resolver and a message.
package mailauth

import (
	"fmt"
	"strings"
)

// Severity says whether a Problem makes a record wrong or only questionable.
type Severity int

// Severities, in increasing order of gravity. The zero value is deliberately
// not a severity, so that a Problem built without one stands out.
const (
	// Warning marks a valid record that probably does not do what is
	// wanted, or that some receivers treat differently from others.
	Warning Severity = iota + 1
	// Error marks a record that receivers reject, ignore or misread, at
	// least in part, against the publisher's evident intent.
	Error
)

// String returns "warning" or "error", and "Severity(n)" for any other value
// so that a missing severity shows in the output instead of hiding.
func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Problem is one finding of a record's Validate method.
type Problem struct {
	// Severity is Warning or Error.
	Severity Severity
	// Tag is the tag, term or field concerned, as the record writes it
	// ("p", "include:x", "max_age"), or "" when the problem is about the
	// record as a whole.
	Tag string
	// Message is a sentence saying what is wrong and, where it helps, what
	// to do about it.
	Message string
	// RFC names where the rule lives, such as "RFC 7208 section 4.6.4".
	RFC string
	// Code identifies the rule, stable across releases so that pipelines
	// can filter or suppress it: kebab-case, prefixed with the protocol,
	// such as "spf-too-many-lookups". Each package lists its codes.
	Code string
}

// String formats the problem on one line, such as
// `warning: "ptr": ptr should not be used (RFC 7208 section 5.5)`. The tag
// part is left out when Tag is empty, and the citation when RFC is.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Severity.String())
	b.WriteString(": ")
	if p.Tag != "" {
		fmt.Fprintf(&b, "%q: ", p.Tag)
	}
	b.WriteString(p.Message)
	if p.RFC != "" {
		fmt.Fprintf(&b, " (%s)", p.RFC)
	}
	return b.String()
}
