package escape

import (
	"fmt"
	"strings"
)

// FromAPIName turns a domain name as Route 53 lists it into presentation
// form, lower case, with its trailing dot. Route 53 returns every character
// other than a-z, 0-9, '-' and '_' as a backslash and three octal digits
// (so a wildcard reads "\052.example.com."); presentation form (RFC 1035
// section 5.1) escapes with decimal digits instead, and only where a
// character would be ambiguous. A name Route 53 stores is lower case: it
// folds letters on input.
func FromAPIName(name string) string {
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '\\' {
			if n, ok := octal(name[i+1:]); ok {
				writeLabelByte(&b, n)
				i += 3
				continue
			}
			if i+1 < len(name) {
				writeLabelByte(&b, name[i+1])
				i++
				continue
			}
		}
		b.WriteByte(lower(c))
	}
	// A malformed name ending in a lone backslash escaped the dot added
	// above; a name read here always ends with a separator.
	if !strings.HasSuffix(b.String(), ".") {
		b.WriteByte('.')
	}
	return b.String()
}

// writeLabelByte writes an octet that stood for itself inside a label in
// presentation form: literally when it is unambiguous there, otherwise as
// \DDD with decimal digits (RFC 1035 section 5.1).
func writeLabelByte(b *strings.Builder, c byte) {
	switch {
	case c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$':
		fmt.Fprintf(b, "\\%03d", c)
	case c <= ' ' || c > '~':
		fmt.Fprintf(b, "\\%03d", c)
	default:
		b.WriteByte(lower(c))
	}
}

// ToAPIName turns a presentation-form name into the form Route 53 takes:
// decimal \DDD escapes become Route 53's octal ones, and an escaped
// character that needs no escape is written as itself. The wildcard label
// "*" is sent as is, which Route 53 accepts for a wildcard record.
func ToAPIName(name string) string {
	if !strings.Contains(name, `\`) {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '\\' || i+1 >= len(name) {
			b.WriteByte(c)
			continue
		}
		var v byte
		if n, ok := decimal(name[i+1:]); ok {
			v = n
			i += 3
		} else {
			v = name[i+1]
			i++
		}
		if v >= 'a' && v <= 'z' || v >= 'A' && v <= 'Z' || v >= '0' && v <= '9' || v == '-' || v == '_' || v == '*' {
			b.WriteByte(v)
		} else {
			fmt.Fprintf(&b, "\\%03o", v)
		}
	}
	return b.String()
}

// decimal decodes the three decimal digits of an RFC 1035 \DDD escape.
func decimal(s string) (byte, bool) {
	if len(s) < 3 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) {
		return 0, false
	}
	n := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if n > 0xff {
		return 0, false
	}
	return byte(n), true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
