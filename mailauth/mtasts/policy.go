package mtasts

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Policy field names (RFC 8461 section 3.2), matched case-sensitively.
const (
	fieldVersion = "version"
	fieldMode    = "mode"
	fieldMX      = "mx"
	fieldMaxAge  = "max_age"
)

// lineEnd is what String ends every line with. RFC 8461 section 3.2
// describes the policy as "CRLF-separated key/value pairs"; its grammar also
// accepts a bare LF (sts-policy-term = LF / CRLF), which ParsePolicy does.
const lineEnd = "\r\n"

// isPolicyExtValue reports whether s matches RFC 8461 section 3.2
// sts-policy-ext-value = sts-policy-vchar [*(%x20 / sts-policy-vchar)
// sts-policy-vchar], where sts-policy-vchar is a visible ASCII character or a
// UTF-8 encoded non-ASCII character: no control characters, no tabs, and no
// space at either end.
func isPolicyExtValue(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return false
		}
	}
	return true
}

// isMXPattern reports whether s matches RFC 8461 section 3.2
// sts-policy-mx-value = ["*."] Domain, where Domain is the RFC 5321
// section 4.1.2 rule (sub-domain *("." sub-domain), each sub-domain a letter
// or digit, then letters, digits and hyphens, not ending in a hyphen), within
// the DNS limits of 63 octets a label and 253 in all (RFC 1035
// section 2.3.4). A wildcard is allowed only as the whole leftmost label.
func isMXPattern(s string) bool {
	domain := strings.TrimPrefix(s, "*.")
	if domain == "" || len(domain) > 253 {
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// ParsePolicy parses a policy file as served at PolicyURL.
//
// RFC 8461 section 3.2: each line is a field name, a colon, optional
// whitespace, and a value; lines end with CRLF or LF, the last one optionally.
// Field names are case-sensitive. version (which must be STSv1), mode and
// max_age are required; mx may repeat; other fields are kept as extensions.
// A repeated field other than mx is an error (senders would use the first;
// mailconf reports it). Whether the mx lines fit the mode is left to
// Validate.
func ParsePolicy(s string) (*Policy, error) {
	if !utf8.ValidString(s) {
		return nil, newError(ErrSyntax, "policy is not valid UTF-8")
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" && len(lines) > 1 {
		// The final line terminator is optional (sts-policy-record ends
		// with [sts-policy-term]); drop the empty rest it leaves.
		lines = lines[:len(lines)-1]
	}
	p := &Policy{}
	seen := map[string]bool{}
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		n := i + 1
		if line == "" {
			return nil, newError(ErrSyntax, "line %d is empty", n)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, newError(ErrSyntax, "line %d has no ':'", n)
		}
		if !syntax.IsExtName(name) {
			return nil, newError(ErrSyntax, "line %d: invalid field name %q", n, name)
		}
		// sts-policy-field-delim = ":" *WSP, and *WSP may precede the
		// line terminator.
		value = trimWSP(value)
		if name != fieldMX && seen[name] {
			return nil, newError(ErrDuplicateField, "line %d: %q (senders use only the first)", n, name)
		}
		seen[name] = true
		switch name {
		case fieldVersion:
			if value != Version {
				return nil, newError(ErrSyntax, "line %d: version %q is not %s", n, value, Version)
			}
		case fieldMode:
			m := Mode(value)
			if !m.Valid() {
				return nil, newError(ErrSyntax, "line %d: mode %q is not enforce, testing or none", n, value)
			}
			p.Mode = m
		case fieldMaxAge:
			// sts-policy-max-age-value = 1*10(DIGIT); the range is
			// checked by Validate.
			if len(value) == 0 || len(value) > 10 || strings.Trim(value, "0123456789") != "" {
				return nil, newError(ErrSyntax, "line %d: max_age %q is not a number of seconds", n, value)
			}
			age, err := strconv.Atoi(value)
			if err != nil {
				return nil, newError(ErrSyntax, "line %d: max_age %q is too large", n, value)
			}
			p.MaxAge = age
		case fieldMX:
			if !isMXPattern(value) {
				return nil, newError(ErrSyntax, "line %d: mx %q is not a host name or *.domain pattern", n, value)
			}
			p.MX = append(p.MX, value)
		default:
			if !isPolicyExtValue(value) {
				return nil, newError(ErrSyntax, "line %d: field %s has an invalid value %q", n, name, value)
			}
			p.Extensions = append(p.Extensions, Tag{Name: name, Value: value})
		}
	}
	for _, f := range []string{fieldVersion, fieldMode, fieldMaxAge} {
		if !seen[f] {
			return nil, newError(ErrMissingField, "policy has no %s field", f)
		}
	}
	return p, nil
}

// String returns the policy file exactly as mailconf serves it: version
// first, then mode, the mx lines in order, max_age, and extensions, each line
// ended by CRLF (RFC 8461 section 3.2). An empty mode is left out, so that
// ParsePolicy rejects the text instead of reading a mode nobody set. String
// does not validate.
func (p *Policy) String() string {
	var b strings.Builder
	line := func(name, value string) {
		b.WriteString(name + ": " + value + lineEnd)
	}
	line(fieldVersion, Version)
	if p.Mode != "" {
		line(fieldMode, string(p.Mode))
	}
	for _, mx := range p.MX {
		line(fieldMX, mx)
	}
	line(fieldMaxAge, strconv.Itoa(p.MaxAge))
	for _, t := range p.Extensions {
		line(t.Name, t.Value)
	}
	return b.String()
}
