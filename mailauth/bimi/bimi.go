// Package bimi models the BIMI Assertion Record published at
// <selector>._bimi.<domain>, as defined by
// draft-brand-indicators-for-message-identification (revision 10, section 4).
//
// The package parses a record into a Record, prints a Record as the canonical
// text mailconf publishes, and validates it. Whether BIMI is meaningful for a
// domain at all (it needs an enforcing DMARC policy) is a question about two
// records and belongs to the linter, not here.
//
// The package must never fetch the logo or the evidence document: it does no
// network I/O and reads no clock.
package bimi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Errors returned by Parse. ErrNotBIMI means the text is not a BIMI record at
// all; every other malformed record wraps ErrSyntax, and a repeated tag wraps
// ErrDuplicateTag as well.
var (
	ErrNotBIMI      = errors.New("bimi: not a BIMI record")
	ErrSyntax       = errors.New("bimi: syntax error")
	ErrDuplicateTag = errors.New("bimi: duplicate tag")
)

// Version is the only BIMI version (draft section 4.3: the v tag must be
// "BIMI1", matched precisely).
const Version = "BIMI1"

// DefaultSelector is the selector receivers query when a message names none
// (draft section 4.4).
const DefaultSelector = "default"

// Name returns the DNS name of the assertion record for selector at domain:
// "<selector>._bimi.<domain>" (draft section 4.3).
func Name(selector, domain string) string {
	return selector + "._bimi." + domain
}

// Tag is a tag=value pair of a tag this package does not model.
type Tag struct {
	Name, Value string
}

// Record is a BIMI Assertion Record. The v tag is implicit.
//
// A Record with both Logo and Authority empty is the explicit declination to
// publish (draft section 4.3.1), printed as "v=BIMI1; l=; a=".
type Record struct {
	// Logo is the l= tag: the HTTPS URL of the SVG indicator, or "".
	Logo string
	// Authority is the a= tag: the HTTPS URL of the evidence document (a
	// VMC or CMC in PEM), or "". An absent a= tag means the same as an empty
	// one (draft section 4.3).
	Authority string
	// Unknown holds every other tag in published order so that it
	// round-trips, including the draft's optional lps= and avp=, which this
	// package checks but does not model.
	Unknown []Tag
}

// Declined reports whether r is the declination record.
func (r *Record) Declined() bool {
	return r.Logo == "" && r.Authority == ""
}

// parseError carries a message and the sentinels it stands for.
type parseError struct {
	msg   string
	kinds []error
}

func (e *parseError) Error() string   { return e.msg }
func (e *parseError) Unwrap() []error { return e.kinds }

func newError(sentinel error, format string, args ...any) error {
	kinds := []error{sentinel}
	if sentinel == ErrDuplicateTag {
		kinds = append(kinds, ErrSyntax)
	}
	return &parseError{msg: sentinel.Error() + ": " + fmt.Sprintf(format, args...), kinds: kinds}
}

func trimWSP(s string) string { return strings.Trim(s, " \t") }

// isTagValue reports whether s matches RFC 6376 section 3.2 tag-value: VALCHAR
// (%x21-3A / %x3C-7E) runs separated by whitespace, possibly empty.
func isTagValue(s string) bool {
	if s != trimWSP(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x21 || c > 0x7e || c == ';') && c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// Parse parses the text of a BIMI Assertion Record (the TXT strings,
// concatenated).
//
// The record follows the DKIM tag-list syntax (draft section 4.3, RFC 6376
// section 3.2): tag names are case-sensitive and receivers must not fix
// capitalization errors, v=BIMI1 comes first, l= is required, and a tag may
// appear only once. l= and a= hold one URI each or nothing; Validate checks
// that a URI is an acceptable HTTPS URL.
func Parse(s string) (*Record, error) {
	if err := checkVersion(s); err != nil {
		return nil, err
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return nil, newError(ErrSyntax, "invalid character %q at offset %d", c, i)
		}
	}
	parts := strings.Split(s, ";")
	r := &Record{}
	seen := map[string]bool{}
	for i, part := range parts {
		part = trimWSP(part)
		if part == "" {
			// RFC 6376 section 3.2: only the final separator is optional.
			if i == len(parts)-1 && i > 0 {
				continue
			}
			return nil, newError(ErrSyntax, "empty tag at position %d", i+1)
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, newError(ErrSyntax, "tag %q has no '='", part)
		}
		name, value = trimWSP(name), trimWSP(value)
		if !syntax.IsTagName(name) {
			return nil, newError(ErrSyntax, "invalid tag name %q", name)
		}
		if !isTagValue(value) {
			return nil, newError(ErrSyntax, "tag %s has an invalid value %q", name, value)
		}
		// RFC 6376 section 3.2: a tag-list with a repeated tag is invalid.
		if seen[name] {
			return nil, newError(ErrDuplicateTag, "%q", name)
		}
		seen[name] = true
		switch name {
		case "v":
			// Checked by checkVersion.
		case "l", "a":
			if err := checkURIValue(value); err != nil {
				return nil, newError(ErrSyntax, "%s=%s: %v", name, value, err)
			}
			if name == "l" {
				r.Logo = value
			} else {
				r.Authority = value
			}
		default:
			r.Unknown = append(r.Unknown, Tag{Name: name, Value: value})
		}
	}
	// Draft section 4.3: l= is REQUIRED (empty when declining).
	if !seen["l"] {
		return nil, newError(ErrSyntax, "missing l= tag (use an empty l= to decline)")
	}
	return r, nil
}

// checkVersion reports whether s starts with the version tag, "v" *WSP "="
// *WSP "BIMI1" (draft section 4.3: first tag, matched precisely).
func checkVersion(s string) error {
	first, _, _ := strings.Cut(s, ";")
	name, value, ok := strings.Cut(first, "=")
	if !ok || strings.TrimRight(name, " \t") != "v" || trimWSP(value) != Version {
		return newError(ErrNotBIMI, "record must start with v=%s", Version)
	}
	return nil
}

// checkURIValue checks the shape of an l= or a= value: empty, or a single
// absolute URI without whitespace. Draft section 4.3: commas within a URI
// must be encoded, so a comma means a list, which this version no longer
// allows.
func checkURIValue(v string) error {
	if v == "" {
		return nil
	}
	if strings.ContainsAny(v, " \t") {
		return fmt.Errorf("contains whitespace")
	}
	if strings.Contains(v, ",") {
		return fmt.Errorf("holds more than one URI; give a single URI")
	}
	if scheme, _, ok := strings.Cut(v, ":"); !ok || !syntax.IsScheme(scheme) {
		return fmt.Errorf("is not an absolute URI")
	}
	return nil
}

// String returns the record as mailconf publishes it: "v=BIMI1; l=<logo>",
// then "; a=<authority>" when there is one, then unknown tags in order. The
// declination record prints as "v=BIMI1; l=; a=", the form the draft shows
// (section 4.3.1). String does not validate.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=" + Version + "; l=" + r.Logo)
	if r.Authority != "" || r.Declined() {
		b.WriteString("; a=" + r.Authority)
	}
	for _, t := range r.Unknown {
		b.WriteString("; " + t.Name + "=" + t.Value)
	}
	return b.String()
}
