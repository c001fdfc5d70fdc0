package dkim

import (
	"errors"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	tests := []struct {
		selector, domain, want string
	}{
		{"s2026a", "example.com", "s2026a._domainkey.example.com"},
		{"mail.eu", "example.com.", "mail.eu._domainkey.example.com."},
		{"Sel", "Example.COM", "Sel._domainkey.Example.COM"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Name(tt.selector, tt.domain); got != tt.want {
				t.Errorf("Name(%q, %q) = %q, want %q", tt.selector, tt.domain, got, tt.want)
			}
		})
	}
}

func TestValidSelector(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"simple", "s2026a", false},
		{"digits only", "2026", false},
		{"one letter", "s", false},
		{"hyphen inside", "google-2026", false},
		{"several labels", "mail.eu-west.k1", false},
		{"uppercase", "Selector1", false},
		{"63-octet label", strings.Repeat("a", 63), false},
		{"empty", "", true},
		{"64-octet label", strings.Repeat("a", 64), true},
		{"leading hyphen", "-s1", true},
		{"trailing hyphen", "s1-", true},
		{"hyphen at label end", "a-.b", true},
		{"underscore", "s_1", true},
		{"leading dot", ".s1", true},
		{"trailing dot", "s1.", true},
		{"double dot", "a..b", true},
		{"space", "s 1", true},
		{"non-ASCII", "s\u00e9lecteur", true},
		{"already a full name", "s1._domainkey", true},
		{"wildcard", "*", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidSelector(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrSelector) {
					t.Errorf("ValidSelector(%q) = %v, want ErrSelector", tt.in, err)
				}
			} else if err != nil {
				t.Errorf("ValidSelector(%q) = %v, want nil", tt.in, err)
			}
		})
	}
}
