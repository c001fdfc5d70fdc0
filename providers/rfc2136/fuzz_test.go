package rfc2136

import (
	"testing"
)

// FuzzUnescapeTXT checks unescapeTXT against miekg/dns: for any bytes held
// in a TXT record, undoing the escapes of the form the library reads gives
// the bytes back. Any string at all must unescape without panicking.
func FuzzUnescapeTXT(f *testing.F) {
	for _, seed := range []string{"", "v=spf1 -all", `"\`, "caf\xc3\xa9", "\x00\x7f\xff", `\\\"\123`, "a\\"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = unescapeTXT(string(raw))
		// RFC 1035 section 3.3: a character-string is at most 255 octets.
		var parts [][]byte
		for len(raw) > 255 {
			parts, raw = append(parts, raw[:255]), raw[255:]
		}
		parts = append(parts, raw)
		want := string(joinBytes(parts))
		if got := unescapeTXT(miekgTXT(t, parts...)); got != want {
			t.Fatalf("unescapeTXT(miekg form of %q) = %q", want, got)
		}
	})
}
