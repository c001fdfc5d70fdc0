package mtasts

import (
	"strings"
)

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimWSP(s string) string { return strings.Trim(s, " \t") }

// isFieldName reports whether s matches the extension name rule shared by the
// record and the policy (RFC 8461 sections 3.1 and 3.2, sts-ext-name and
// sts-policy-ext-name): (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
// The defined field names (id, version, mode, mx, max_age) match it too.
func isFieldName(s string) bool {
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

// isID reports whether s matches RFC 8461 section 3.1
// sts-id = %s"id=" 1*32(ALPHA / DIGIT), without the "id=".
func isID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isRecordExtValue reports whether s matches RFC 8461 section 3.1
// sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): printable ASCII except "=",
// ";" and space.
func isRecordExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// Parse parses the text of an _mta-sts TXT record (the TXT strings,
// concatenated).
//
// RFC 8461 section 3.1: the record starts with the case-sensitive "v=STSv1",
// fields are separated by *WSP ";" *WSP with an optional trailing separator,
// there is no whitespace around "=", and the id field is required. Fields
// other than id are kept as extensions. A repeated field is an error
// (RFC 8461 section 3.2 has senders ignore all but the first; mailconf
// reports it instead).
func Parse(s string) (*Record, error) {
	first, rest, found := strings.Cut(s, ";")
	if strings.TrimRight(first, " \t") != "v="+Version {
		return nil, newError(ErrNotMTASTS, "record must start with v=%s", Version)
	}
	if !found {
		return nil, newError(ErrMissingField, "record has no id field")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return nil, newError(ErrSyntax, "invalid character %q at offset %d", c, i)
		}
	}
	r := &Record{}
	seen := map[string]bool{"v": true}
	parts := strings.Split(rest, ";")
	for i, part := range parts {
		part = trimWSP(part)
		if part == "" {
			// Only the optional trailing separator may leave an empty part.
			if i == len(parts)-1 {
				continue
			}
			return nil, newError(ErrSyntax, "empty field at position %d", i+2)
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, newError(ErrSyntax, "field %q has no '='", part)
		}
		if !isFieldName(name) {
			return nil, newError(ErrSyntax, "invalid field name %q", name)
		}
		if seen[name] {
			return nil, newError(ErrDuplicateField, "%q", name)
		}
		seen[name] = true
		if name == "id" {
			if !isID(value) {
				return nil, newError(ErrSyntax, "id=%s: must be 1 to 32 letters and digits", value)
			}
			r.ID = value
			continue
		}
		if !isRecordExtValue(value) {
			return nil, newError(ErrSyntax, "field %s has an invalid value %q", name, value)
		}
		r.Extensions = append(r.Extensions, Tag{Name: name, Value: value})
	}
	if !seen["id"] {
		return nil, newError(ErrMissingField, "record has no id field")
	}
	return r, nil
}

// String returns the record as mailconf publishes it: "v=STSv1; id=<id>",
// then extensions in order, separated by "; ", without a trailing semicolon.
// It starts with "v=STSv1;", the prefix senders look for when several TXT
// records exist (RFC 8461 section 3.1). String does not validate.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=" + Version + "; id=" + r.ID)
	for _, t := range r.Extensions {
		b.WriteString("; " + t.Name + "=" + t.Value)
	}
	return b.String()
}
