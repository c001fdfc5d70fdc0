// Package dmarc models the DMARC policy record published at _dmarc.<domain>
// (RFC 9989, which obsoletes RFC 7489 and RFC 9091) and the cross-domain
// report authorization record of RFC 9990.
//
// The package parses a record into a Record, prints a Record back as the
// canonical text mailconf publishes, and validates a Record against the
// standards. Parsing is strict where RFC 9989 receivers are lenient: the
// compiler and the linter want to know about every malformed tag, not have it
// silently replaced by a default.
//
// RFC 9989 removed the RFC 7489 tags pct, rf and ri, but receivers that still
// follow RFC 7489 exist, so the package keeps those tags as typed legacy
// fields and warns about them instead of dropping them.
//
// The package must never fill in defaults on Parse (an absent tag stays absent,
// so String never invents tags), and it never touches the network or the clock.
package dmarc

import (
	"errors"
	"strings"
)

// Errors returned by this package. Parse wraps ErrNotDMARC when the text is not
// a DMARC record at all, and ErrSyntax for every other malformed record; the
// more specific ErrDuplicateTag and ErrInvalidValue are wrapped alongside
// ErrSyntax so that errors.Is works for either.
var (
	ErrNotDMARC     = errors.New("dmarc: not a DMARC record")
	ErrSyntax       = errors.New("dmarc: syntax error")
	ErrDuplicateTag = errors.New("dmarc: duplicate tag")
	ErrInvalidValue = errors.New("dmarc: invalid tag value")
	ErrInvalidURI   = errors.New("dmarc: invalid report URI")
)

// Version is the only DMARC version. RFC 9989 section 4.7: the value of the v
// tag is case-sensitive and must be exactly "DMARC1".
const Version = "DMARC1"

// Policy is a Domain Owner Assessment Policy: the value of the p, sp and np
// tags (RFC 9989 section 4.7).
type Policy string

// Policies defined by RFC 9989 section 4.7.
const (
	None       Policy = "none"
	Quarantine Policy = "quarantine"
	Reject     Policy = "reject"
)

// Valid reports whether p is one of the three defined policies. The empty
// Policy (tag absent) is not valid.
func (p Policy) Valid() bool {
	return p == None || p == Quarantine || p == Reject
}

// Strength ranks a policy for comparisons: none is 0, quarantine 1, reject 2.
// The empty Policy ranks as none, because RFC 9989 section 4.7 treats a record
// without p as if it had p=none. Any other value ranks -1, below none, because
// a receiver may ignore a record with an invalid policy altogether
// (RFC 9989 section 4.10.1).
func (p Policy) Strength() int {
	switch p {
	case None, "":
		return 0
	case Quarantine:
		return 1
	case Reject:
		return 2
	}
	return -1
}

// Weaker reports whether policy a protects less than policy b, in the order
// reject > quarantine > none. The planner uses it to flag a change from b to a
// as a weakening that needs --force.
func Weaker(a, b Policy) bool {
	return a.Strength() < b.Strength()
}

// Alignment is an identifier alignment mode: the value of the adkim and aspf
// tags (RFC 9989 section 4.7).
type Alignment string

// Alignment modes defined by RFC 9989 section 4.7.
const (
	Relaxed Alignment = "r"
	Strict  Alignment = "s"
)

// Valid reports whether a is one of the two defined alignment modes.
func (a Alignment) Valid() bool {
	return a == Relaxed || a == Strict
}

// Tag is a tag=value pair of a tag this package does not model.
type Tag struct {
	Name, Value string
}

// Record is a DMARC policy record. The zero value of each field means the tag
// is absent; Parse never fills in the defaults that RFC 9989 assigns to absent
// tags, so that String reproduces only what was published.
//
// The v tag is implicit: every Record is a DMARC1 record.
type Record struct {
	// P is the policy for the domain itself (p). RFC 9989 section 4.7 makes it
	// RECOMMENDED rather than required; a record without it is treated as
	// p=none when it has a valid rua (section 4.10.1).
	P Policy
	// SP is the policy for existing subdomains (sp).
	SP Policy
	// NP is the policy for non-existent subdomains (np), new in RFC 9989.
	NP Policy
	// ADKIM and ASPF are the DKIM and SPF alignment modes (adkim, aspf).
	ADKIM Alignment
	ASPF  Alignment
	// RUA and RUF are the aggregate and failure report destinations (rua,
	// ruf), one URI per element, in published order. An RFC 7489 size limit
	// suffix such as "!10m" is kept as part of the URI.
	RUA []string
	RUF []string
	// FO holds the failure reporting options (fo), colon-separated, e.g. "0:d".
	FO string
	// PSD is the public suffix domain flag (psd): "y", "n" or "u".
	PSD string
	// T is the testing flag (t): "y" or "n".
	T string

	// PCT, RF and RI are the RFC 7489 tags pct, rf and ri, removed by
	// RFC 9989. They are kept so that records using them round-trip and can
	// be warned about; mailconf does not emit them by default.
	PCT *int
	RF  string
	RI  *int

	// Unknown holds every other tag, in published order, so that it
	// round-trips. RFC 9989 section 4.7: receivers ignore unknown tags.
	Unknown []Tag
}

// Tag names, lower case as String prints them.
const (
	tagV     = "v"
	tagP     = "p"
	tagSP    = "sp"
	tagNP    = "np"
	tagADKIM = "adkim"
	tagASPF  = "aspf"
	tagRUA   = "rua"
	tagRUF   = "ruf"
	tagFO    = "fo"
	tagPSD   = "psd"
	tagT     = "t"
	tagPCT   = "pct"
	tagRF    = "rf"
	tagRI    = "ri"
)

// isKnownTag reports whether name (any case) is a tag this package models.
func isKnownTag(name string) bool {
	switch strings.ToLower(name) {
	case tagV, tagP, tagSP, tagNP, tagADKIM, tagASPF, tagRUA, tagRUF, tagFO, tagPSD, tagT, tagPCT, tagRF, tagRI:
		return true
	}
	return false
}
