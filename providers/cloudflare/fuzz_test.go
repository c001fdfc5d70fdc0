package cloudflare

import (
	"strings"
	"testing"
)

// FuzzParseTXT feeds parseTXT TXT contents as the API might return them,
// and checks that it never panics and that the text it reads survives
// formatTXT and parseTXT unchanged (the round trip every write and read of
// a TXT record makes), with every string of at most 255 octets.
func FuzzParseTXT(f *testing.F) {
	for _, s := range []string{
		``, `""`, `"v=spf1 -all"`, `"a" "b"`, `"a\"b"`, `"\065\066"`, `"\999"`, `"a\`, `"abc`, `"a" b`,
		`v=spf1 unquoted`, ` "a"	"b" `, `"` + strings.Repeat("k", 300) + `"`, "\"\xff\xfe\"", `"\\"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		text := parseTXT(content)
		formatted := formatTXT(text)
		if back := parseTXT(formatted); back != text {
			t.Fatalf("parseTXT(formatTXT(%q)) = %q", text, back)
		}
		for _, s := range splitStrings(t, formatted) {
			if n := len(parseTXT(s)); n > maxCharString {
				t.Fatalf("formatTXT made a %d-octet string from %q", n, text)
			}
		}
	})
}

// splitStrings cuts formatTXT's output into its quoted strings.
func splitStrings(t *testing.T, content string) []string {
	t.Helper()
	var out []string
	for content != "" {
		end := 1
		for end < len(content) && content[end] != '"' {
			if content[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(content) {
			t.Fatalf("unterminated string in %q", content)
		}
		out = append(out, content[:end+1])
		content = strings.TrimPrefix(content[end+1:], " ")
	}
	return out
}
