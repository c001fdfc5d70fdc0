package zonefile

import (
	"strings"
)

// miekg/dns keeps character-strings (TXT strings, the CAA value) in their
// escaped master-file form: `\"`, `\\` and `\DDD` stay as written. libdns
// wants the raw octets. These helpers translate between the two, with the
// escapes of RFC 1035 section 5.1: `\X` is the character X, `\DDD` the
// octet with decimal value DDD.

// unescape returns the raw octets of an escaped character-string.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			break // a dangling backslash carries no octet
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v <= 255 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// escape returns raw octets in the escaped form miekg/dns stores: quote and
// backslash escaped, and every octet outside printable ASCII as \DDD, so a
// zone file stays 7-bit clean and one record stays on one line.
func escape(raw string) string {
	clean := true
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '"' || c == '\\' || c < ' ' || c > '~' {
			clean = false
			break
		}
	}
	if clean {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw) + 8)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitTXT cuts the text of one TXT record into character-strings of at
// most 255 octets (RFC 1035 section 3.3), returned escaped. A long text
// stays one record with several strings, never several records: receivers
// concatenate the strings of one record (RFC 7208 section 3.3, RFC 6376
// section 3.6.2.2), while several records would be several values.
//
// Where the window holds a space in its second half, the cut goes right
// after that space, so that SPF terms and DMARC tags stay whole for a human
// reading the file; otherwise (a base64 DKIM key has no spaces) the cut is
// at exactly 255 octets. Concatenation gives back the exact text either way.
func splitTXT(text string) []string {
	if len(text) <= maxStringLen {
		return []string{escape(text)}
	}
	var out []string
	for len(text) > maxStringLen {
		cut := maxStringLen
		if sp := strings.LastIndexByte(text[:maxStringLen], ' '); sp >= maxStringLen/2 {
			cut = sp + 1
		}
		out = append(out, escape(text[:cut]))
		text = text[cut:]
	}
	if text != "" {
		out = append(out, escape(text))
	}
	return out
}

// escapeName escapes, as \DDD, the octets of a presentation-form name
// that master-file syntax would not read back as part of the name: white
// space, control characters, ';', '(', ')' and '"' (RFC 1035 section 5.1).
// The parser can leave such octets raw (from a quoted or raw input), even
// after a backslash, but a name handed out through libdns must be safe to
// print and to write back. Other escapes are kept as they are.
func escapeName(name string) string {
	if !needsEscape(name) {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '\\' && i+1 < len(name) {
			i++
			if c = name[i]; !special(c) {
				b.WriteByte('\\')
				b.WriteByte(c)
				continue
			}
			// "\X" is the octet X (RFC 1035 section 5.1): escape X itself.
		}
		if special(c) || c == '\\' {
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// needsEscape reports a raw special octet, or a dangling backslash.
func needsEscape(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '\\':
			if i+1 >= len(name) || special(name[i+1]) {
				return true
			}
			i++
		case special(c):
			return true
		}
	}
	return false
}

// special reports the octets that end or split a master-file token.
func special(c byte) bool {
	return c <= ' ' || c == 0x7f || c == ';' || c == '(' || c == ')' || c == '"'
}
