package resolve

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServersFromFile(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		want    []string
		wantErr error
	}{
		{"servers with the default port", "search example.com\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\n",
			[]string{"127.0.0.53:53", "[::1]:53"}, nil},
		{"no nameserver line", "search example.com\n", nil, ErrNoServers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "resolv.conf")
			if err := os.WriteFile(path, []byte(tt.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := serversFromFile(path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := serversFromFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrNoServers) {
		t.Errorf("missing file: err = %v, want ErrNoServers", err)
	}
}

func TestWithPort(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":       "192.0.2.1:53",
		"192.0.2.1:5353":  "192.0.2.1:5353",
		"2001:db8::1":     "[2001:db8::1]:53",
		"[2001:db8::1]":   "[2001:db8::1]:53",
		"[2001:db8::1]:5": "[2001:db8::1]:5",
		"ns1.example.com": "ns1.example.com:53",
	} {
		if got := withPort(in); got != want {
			t.Errorf("withPort(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.": "example.com",
		"example.com":  "example.com",
		".":            ".",
		"":             ".",
		`a\.`:          `a\.`,
		`a\\.`:         `a\\`,
		"ÉXAMPLE.com":  "Éxample.com", // RFC 4343: only ASCII letters fold
	} {
		if got := canonicalName(in); got != want {
			t.Errorf("canonicalName(%q) = %q, want %q", in, got, want)
		}
	}
	if !sameName("Example.COM.", "example.com") || sameName("example.com", "example.org") || !sameName(".", "") {
		t.Error("sameName disagrees with canonicalName")
	}
}

func TestTXTEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:     "plain",
		`a\"b`:      `a"b`,
		`a\\b`:      `a\b`,
		`a\059b`:    "a;b",
		`\000\255`:  "\x00\xff",
		`trailing\`: "trailing",
		`\x`:        "x",
		`\12`:       "12",
	} {
		if got := unescapeTXT(in); got != want {
			t.Errorf("unescapeTXT(%q) = %q, want %q", in, got, want)
		}
	}
}
