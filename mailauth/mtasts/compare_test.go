package mtasts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"20240101", true},
		{"a", true},
		{"abcdefghijklmnopqrstuvwxyz012345", true},   // 32
		{"abcdefghijklmnopqrstuvwxyz0123456", false}, // 33
		{"", false},
		{"2024-01-01", false},
		{"id 1", false},
		{"ünï", false},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v", tc.id, got)
		}
	}
}

func TestDifferences(t *testing.T) {
	const base = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n"
	for _, tc := range []struct {
		name, other string
		want        []string
	}{
		{"same text", base, nil},
		{"LF line ends, spacing, no final line end", "version: STSv1\nmode:enforce \nmx:   mx1.example.com\nmx: mx2.example.com\nmax_age: 604800", nil},
		{"fields in another order", "mode: enforce\r\nmax_age: 604800\r\nmx: mx2.example.com\r\nversion: STSv1\r\nmx: mx1.example.com\r\n", nil},
		{"mx case and repeats", "version: STSv1\r\nmode: enforce\r\nmx: MX1.example.com\r\nmx: mx2.example.com\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n", nil},
		{"mode", "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n", []string{"mode"}},
		{"mx missing", "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n", []string{"mx"}},
		{"mx wildcard instead", "version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 604800\r\n", []string{"mx"}},
		{"max_age and an extension", "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 86400\r\nx-note: hi\r\n", []string{"max_age", "x-note"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(base)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ParsePolicy(tc.other)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Differences(q)); diff != "" {
				t.Errorf("p.Differences(q) (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, q.Differences(p)); diff != "" {
				t.Errorf("q.Differences(p) (-want +got):\n%s", diff)
			}
		})
	}
}
