// Package escape holds the text forms of Route 53's API: TXT values as
// quoted character-strings of at most 255 octets (RFC 1035 section 3.3.14)
// with Route 53's octal escapes, and domain names as Route 53 lists them
// (octal escapes, lower case) versus their presentation form (RFC 1035
// section 5.1, decimal escapes). It is a package of its own so that its
// parsers can be fuzzed without the AWS SDK linked in.
//
// The package does no I/O; it must never accept a value it cannot write
// back as the same text.
package escape

import (
	"errors"
	"fmt"
	"strings"
)

// MaxString is the longest character-string a TXT record can carry: one
// length octet precedes each string on the wire (RFC 1035 section 3.3.14,
// and RFC 7208 section 3.3 for SPF records split across several strings).
const MaxString = 255

// ErrTXT reports a TXT value Route 53 returned that is not a sequence of
// character-strings.
var ErrTXT = errors.New("route53: malformed TXT value")

// FormatTXT renders text as the Value Route 53 expects for one TXT (or SPF)
// record: the text cut into character-strings of at most 255 octets, each
// in double quotes, separated by one space, so that a 2048-bit DKIM key
// becomes `"v=DKIM1; k=rsa; p=MIIB..." "...rest"` and still reads back as
// one value. Route 53 requires the quotes: an unquoted value with a space is
// refused as InvalidTXTRDATA.
//
// Inside the quotes, '"' and '\' are escaped with a backslash, and octets
// outside printable ASCII as a backslash and three OCTAL digits: Route 53's
// documented escape ("ex\344mple" for "exämple"), unlike the decimal \DDD of
// RFC 1035 section 5.1. The cut is on octets of the unescaped text, since
// the 255-octet limit is a wire-format limit; an escape is never split.
func FormatTXT(text string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/MaxString*3 + 8)
	for start := 0; ; start += MaxString {
		end := min(start+MaxString, len(text))
		if start > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for i := start; i < end; i++ {
			switch c := text[i]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < ' ' || c > '~':
				b.WriteByte('\\')
				b.WriteByte('0' + c>>6)
				b.WriteByte('0' + c>>3&7)
				b.WriteByte('0' + c&7)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
		if end >= len(text) {
			return b.String()
		}
	}
}

// ParseTXT returns the character-strings of a TXT Value as Route 53 lists
// it: quoted strings separated by white space. Unquoted words are accepted
// too, as in a zone file (RFC 1035 section 5.1), so that a value written by
// another tool still reads. Escapes are decoded: \" and \\, and a backslash
// followed by three digits is an octal octet (Route 53's form); any other
// escaped character stands for itself.
func ParseTXT(value string) ([]string, error) {
	var strs []string
	i := 0
	for {
		for i < len(value) && isSpace(value[i]) {
			i++
		}
		if i == len(value) {
			break
		}
		quoted := value[i] == '"'
		if quoted {
			i++
		}
		var s strings.Builder
		closed := false
		for i < len(value) {
			c := value[i]
			if quoted && c == '"' {
				i++
				closed = true
				break
			}
			if !quoted && (isSpace(c) || c == '"') {
				break
			}
			if c != '\\' {
				s.WriteByte(c)
				i++
				continue
			}
			if i+1 >= len(value) {
				return nil, fmt.Errorf("%w: %q ends with a lone backslash", ErrTXT, value)
			}
			if n, ok := octal(value[i+1:]); ok {
				s.WriteByte(n)
				i += 4
				continue
			}
			if isDigit(value[i+1]) {
				return nil, fmt.Errorf("%w: %q has an escape that is not three octal digits", ErrTXT, value)
			}
			s.WriteByte(value[i+1])
			i += 2
		}
		if quoted && !closed {
			return nil, fmt.Errorf("%w: %q has an unterminated quote", ErrTXT, value)
		}
		strs = append(strs, s.String())
		if i < len(value) && !quoted && value[i] == '"' {
			return nil, fmt.Errorf("%w: %q has a quote inside a word", ErrTXT, value)
		}
		if i < len(value) && quoted && !isSpace(value[i]) {
			return nil, fmt.Errorf("%w: %q has no space after a quoted string", ErrTXT, value)
		}
	}
	if len(strs) == 0 {
		return nil, fmt.Errorf("%w: empty value", ErrTXT)
	}
	return strs, nil
}

// TextOf is the text of a TXT Value: its character-strings concatenated
// with nothing in between (RFC 7208 section 3.3), as libdns.TXT holds it.
func TextOf(value string) (string, error) {
	strs, err := ParseTXT(value)
	if err != nil {
		return "", err
	}
	return strings.Join(strs, ""), nil
}

// octal decodes three octal digits at the start of s into an octet.
func octal(s string) (byte, bool) {
	if len(s) < 3 {
		return 0, false
	}
	n := 0
	for i := range 3 {
		if s[i] < '0' || s[i] > '7' {
			return 0, false
		}
		n = n*8 + int(s[i]-'0')
	}
	if n > 0xff {
		return 0, false
	}
	return byte(n), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
