// Package syntax holds the grammar rules that several mail-authentication
// records take, unchanged, from one standard: the scheme of an RFC 3986 URI,
// the fully qualified host name that a report or logo URI must point at, and
// the tag name of the RFC 6376 tag-list, which BIMI borrows from DKIM.
//
// A rule stays in its record's package when only that record uses it, or
// when two standards each define their own copy (the field lists of MTA-STS
// and TLS-RPT, say): those may change apart with their standards, and a
// shared function would tie them together.
//
// Like the rest of mailauth, the package must never do network I/O or read
// the clock: it judges text only.
package syntax

import (
	"fmt"
	"strings"
)

// IsScheme reports whether s matches the RFC 3986 section 3.1 scheme rule:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func IsScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// IsFQDN reports whether s, without a trailing dot, is a fully qualified host
// name: at least two labels of letters, digits and inner hyphens, each 1 to
// 63 octets, 253 octets in all (RFC 1035 section 2.3.4, RFC 5321
// section 4.1.2 sub-domain), and a top-level label that is not all digits
// (RFC 3696 section 2), which keeps IPv4 addresses out. Letters may be of
// either case; A-labels pass, U-labels do not.
func IsFQDN(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
				return false
			}
		}
	}
	return !allDigits(labels[len(labels)-1])
}

// IsTagName reports whether s matches RFC 6376 section 3.2
// tag-name = ALPHA *ALNUMPUNC, where ALNUMPUNC = ALPHA / DIGIT / "_". Tag
// names are case-sensitive there, so no case is folded here.
func IsTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// isAlpha and isDigit are the RFC 5234 appendix B.1 core rules ALPHA and
// DIGIT.
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// Field is one name=value pair of a record's field list.
type Field struct {
	Name, Value string
}

// FieldErrorKind says what is wrong with a field list.
type FieldErrorKind int

// The ways a field list can be malformed.
const (
	FieldSyntax    FieldErrorKind = iota + 1 // empty field, no "=", or a bad name
	FieldDuplicate                           // a name given twice
)

// FieldError is a malformed field list; Msg is phrased for a parse error.
type FieldError struct {
	Kind FieldErrorKind
	Msg  string
}

func (e *FieldError) Error() string { return e.Msg }

// SplitFields splits the fields after a record's version field, in the
// grammar MTA-STS (RFC 8461 section 3.1) and TLS-RPT (RFC 8460 section 3)
// share: fields separated by *WSP ";" *WSP with an optional trailing
// separator, no whitespace around "=", names of the ext-name rule. taken
// holds names already used (the version's), to report repeats.
func SplitFields(rest string, taken ...string) ([]Field, *FieldError) {
	seen := map[string]bool{}
	for _, n := range taken {
		seen[n] = true
	}
	parts := strings.Split(rest, ";")
	var out []Field
	for i, part := range parts {
		part = strings.Trim(part, " \t")
		if part == "" {
			// Only the optional trailing separator may leave an empty part.
			if i == len(parts)-1 {
				continue
			}
			return nil, &FieldError{FieldSyntax, fmt.Sprintf("empty field at position %d", i+2)}
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &FieldError{FieldSyntax, fmt.Sprintf("field %q has no '='", part)}
		}
		if !IsExtName(name) {
			return nil, &FieldError{FieldSyntax, fmt.Sprintf("invalid field name %q", name)}
		}
		if seen[name] {
			return nil, &FieldError{FieldDuplicate, fmt.Sprintf("%q", name)}
		}
		seen[name] = true
		out = append(out, Field{Name: name, Value: value})
	}
	return out, nil
}

// IsExtName reports whether s matches the extension-name rule of MTA-STS
// and TLS-RPT (RFC 8461 section 3.1 sts-ext-name, RFC 8460 section 3
// tlsrpt-ext-name): (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
func IsExtName(s string) bool {
	if s == "" || len(s) > 32 || !isAlpha(s[0]) && !isDigit(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
