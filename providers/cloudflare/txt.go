package cloudflare

import "strings"

// maxCharString is the longest DNS character-string: one length octet
// limits it to 255 octets (RFC 1035 section 3.3.14).
const maxCharString = 255

// Cloudflare documents the content of a TXT record as quoted "character
// strings" (RFC 1035), each of at most 255 bytes; libdns hands over the
// whole text as one unquoted string. formatTXT and parseTXT translate
// between the two. A long value (a 2048-bit DKIM key) stays one record with
// several strings, never several records: receivers join the strings of
// one record with nothing in between (RFC 7208 section 3.3, RFC 6376
// section 3.6.2.2), while several records would be several values.

// formatTXT returns the API content of a TXT record holding text: strings
// of at most 255 octets, each in double quotes with the escapes of RFC
// 1035 section 5.1 (`\"`, `\\`, and `\DDD` for every octet outside
// printable ASCII, which keeps the content 7-bit clean and lets a string
// be cut between any two octets), separated by one space.
func formatTXT(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 2 + 3*(len(text)/maxCharString))
	for {
		n := min(len(text), maxCharString)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		quoteTo(&b, text[:n])
		text = text[n:]
		if text == "" {
			return b.String()
		}
	}
}

func quoteTo(b *strings.Builder, raw string) {
	b.WriteByte('"')
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
	b.WriteByte('"')
}

// parseTXT returns the text of a TXT record from its API content: the
// concatenation of its quoted character-strings, unescaped (RFC 1035
// section 5.1: `\X` is the character X, `\DDD` the octet DDD). Content
// that is not a sequence of quoted strings is returned as it is: the API
// keeps records created before it required quotes exactly as they were
// written, and their text is the content itself.
func parseTXT(content string) string {
	text, ok := parseQuoted(content)
	if !ok {
		return content
	}
	return text
}

// parseQuoted parses content as one or more quoted character-strings
// separated by white space, and reports false when it is not that.
func parseQuoted(content string) (string, bool) {
	s := strings.TrimSpace(content)
	if s == "" || s[0] != '"' {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for s != "" {
		if s[0] != '"' {
			return "", false
		}
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 >= len(s) {
				return "", false
			}
			if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
				if v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); v <= 255 {
					b.WriteByte(byte(v))
					i += 3
					continue
				}
			}
			i++
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return "", false // unterminated string
		}
		s = strings.TrimLeft(s[i+1:], " \t")
	}
	return b.String(), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
