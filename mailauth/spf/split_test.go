package spf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	// spaced is a 600-octet record made of terms, so it can be cut at spaces.
	spaced := "v=spf1"
	for len(spaced) < 580 {
		spaced += " ip4:198.51.100.1"
	}
	spaced += strings.Repeat("x", 600-len(spaced)-5) + " -all"
	if len(spaced) != 600 {
		t.Fatalf("test setup: spaced is %d octets", len(spaced))
	}
	solid := strings.Repeat("a", 600)

	tests := []struct {
		name string
		in   string
		want []int // chunk lengths
	}{
		{name: "empty", in: "", want: []int{0}},
		{name: "short", in: "v=spf1 -all", want: []int{11}},
		{name: "exactly 255", in: strings.Repeat("a", 255), want: []int{255}},
		{name: "256 without spaces", in: strings.Repeat("a", 256), want: []int{255, 1}},
		{name: "256 with a space", in: strings.Repeat("a", 100) + " " + strings.Repeat("b", 155), want: []int{101, 155}},
		{name: "space right at the limit", in: strings.Repeat("a", 254) + " " + "bc", want: []int{255, 2}},
		{name: "space just past the limit", in: strings.Repeat("a", 255) + " bc", want: []int{255, 3}},
		{name: "600 without spaces", in: solid, want: []int{255, 255, 90}},
		{name: "leading space only is not a cut point", in: " " + strings.Repeat("a", 300), want: []int{255, 46}},
		{name: "multibyte text is not cut mid-rune", in: strings.Repeat("a", 254) + "é" + "z", want: []int{254, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.in)
			checkChunks(t, tt.in, got)
			lens := make([]int, len(got))
			for i, c := range got {
				lens[i] = len(c)
			}
			if diff := cmp.Diff(tt.want, lens); diff != "" {
				t.Errorf("chunk lengths mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("600 with spaces", func(t *testing.T) {
		got := Split(spaced)
		checkChunks(t, spaced, got)
		if len(got) != 3 {
			t.Fatalf("got %d chunks, want 3: %q", len(got), got)
		}
		for i, c := range got[:len(got)-1] {
			if !strings.HasSuffix(c, " ") {
				t.Errorf("chunk %d %q does not end at a space", i, c)
			}
		}
		if !strings.HasPrefix(got[1], "ip4:") {
			t.Errorf("chunk 1 %q does not start with a whole term", got[1])
		}
	})
}

// checkChunks asserts the invariants of Split: no chunk over 255 octets, and
// the chunks join back to the input.
func checkChunks(t *testing.T, in string, chunks []string) {
	t.Helper()
	if len(chunks) == 0 {
		t.Fatalf("Split(%q) returned no chunks", in)
	}
	for i, c := range chunks {
		if len(c) > 255 {
			t.Errorf("chunk %d is %d octets", i, len(c))
		}
		if len(c) == 0 && len(chunks) > 1 {
			t.Errorf("chunk %d is empty", i)
		}
	}
	if got := strings.Join(chunks, ""); got != in {
		t.Errorf("joined chunks = %q, want %q", got, in)
	}
}
