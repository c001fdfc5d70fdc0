package mtasts

import (
	"strings"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimWSP(s string) string { return strings.Trim(s, " \t") }

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
	fields, ferr := syntax.SplitFields(rest, "v")
	if ferr != nil {
		kind := ErrSyntax
		if ferr.Kind == syntax.FieldDuplicate {
			kind = ErrDuplicateField
		}
		return nil, newError(kind, "%s", ferr.Msg)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		name, value := f.Name, f.Value
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
