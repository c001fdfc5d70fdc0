package syntax

import (
	"strings"
	"testing"
)

func TestIsScheme(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"mailto", "mailto", true},
		{"mixed case", "HTTPS", true},
		{"all allowed punctuation", "a1+-.", true},
		{"single letter", "x", true},
		{"empty", "", false},
		{"leading digit", "1http", false},
		{"leading plus", "+x", false},
		{"underscore", "my_scheme", false},
		{"space", "ht tp", false},
		{"non-ASCII", "h\u00e9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsScheme(tt.in); got != tt.want {
				t.Errorf("IsScheme(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsFQDN(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	// Four 63-octet labels and a two-octet one: 4*64 + 2 = 258 octets.
	tooLong := strings.Repeat(label63+".", 4) + "ab"
	// Three 63-octet labels and a 61-octet one: 3*64 + 61 = 253 octets.
	longest := strings.Repeat(label63+".", 3) + strings.Repeat("b", 61)
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"two labels", "example.com", true},
		{"many labels", "mx1.mail.example.co.uk", true},
		{"upper case", "Example.COM", true},
		{"inner hyphen and digits", "a-1.example9.net", true},
		{"A-label", "xn--bcher-kva.example", true},
		{"digit TLD mixed", "example.a1", true},
		{"63-octet label", label63 + ".example", true},
		{"253 octets", longest, true},
		{"empty", "", false},
		{"single label", "localhost", false},
		{"trailing dot", "example.com.", false},
		{"leading dot", ".example.com", false},
		{"empty label", "a..example.com", false},
		{"64-octet label", label63 + "a.example", false},
		{"over 253 octets", tooLong, false},
		{"leading hyphen", "-a.example.com", false},
		{"trailing hyphen", "a-.example.com", false},
		{"IPv4 address", "192.0.2.1", false},
		{"all-digit TLD", "example.123", false},
		{"underscore", "_dmarc.example.com", false},
		{"U-label", "b\u00fccher.example", false},
		{"space", "ex ample.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsFQDN(tt.in); got != tt.want {
				t.Errorf("IsFQDN(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsTagName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"single letter", "v", true},
		{"letters, digits, underscore", "x_Tag9", true},
		{"upper case", "L", true},
		{"empty", "", false},
		{"leading digit", "1a", false},
		{"leading underscore", "_a", false},
		{"hyphen", "a-b", false},
		{"dot", "a.b", false},
		{"space", "a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTagName(tt.in); got != tt.want {
				t.Errorf("IsTagName(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
