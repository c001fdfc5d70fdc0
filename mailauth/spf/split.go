package spf

import "strings"

// maxCharString is the longest DNS character-string: one length octet
// limits it to 255 octets (RFC 1035 section 3.3.14).
const maxCharString = 255

// Split cuts a TXT value into character-strings of at most 255 octets each
// (RFC 1035 section 3.3.14). An SPF record longer than that must be published
// as one TXT record holding several strings, which receivers join with
// nothing in between (RFC 7208 section 3.3); never as several records.
//
// Each cut is made just after the last space that keeps the chunk within 255
// octets, so every chunk but the last ends with a space and starts with a
// whole term, which keeps the chunks readable. When a chunk holds no space it
// is cut at 255 octets, moved back to the start of a UTF-8 sequence if the
// value is UTF-8 text. Joining the chunks gives text back exactly. The empty
// string yields one empty chunk, since a TXT record has at least one string.
func Split(text string) []string {
	var chunks []string
	for len(text) > maxCharString {
		cut := strings.LastIndexByte(text[:maxCharString], ' ') + 1
		if cut <= 1 {
			// No usable space: cut at the limit, but not inside a UTF-8
			// sequence (continuation bytes are 10xxxxxx) as long as that
			// leaves something to cut.
			cut = maxCharString
			for back := cut; back > cut-4 && back > 0; back-- {
				if text[back]&0xc0 != 0x80 {
					cut = back
					break
				}
			}
		}
		chunks = append(chunks, text[:cut])
		text = text[cut:]
	}
	return append(chunks, text)
}
