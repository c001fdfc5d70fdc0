package mtasts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// prints as text it accepts again with the same meaning.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=STSv1; id=20160831085700Z;",
		"v=STSv1;id=abc",
		"v=STSv1 \t;  id=abc ; ",
		"v=STSv1; ext-b=x; id=1; a.c_d=y:z",
		"v=STSv1; id=1; id=2",
		"v=STSv1",
		"v=STSv1;; id=1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		codecheck.Problems(t, Codes, r.Validate())
		out := r.String()
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(String() = %q): %v", s, out, err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Fatalf("round trip of %q via %q mismatch (-first +second):\n%s", s, out, diff)
		}
	})
}

// FuzzParsePolicy checks that ParsePolicy never panics, that whatever it
// accepts prints as text it accepts again with the same meaning, and that the
// derived id is stable and well-formed.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		rfcExamplePolicy,
		"mode: testing\nmax_age: 86400\nversion: STSv1\nmx: mx.example.com",
		"version:STSv1\nmode:none \t\nmax_age:0\n",
		"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\nx-note: héllo wörld\n",
		"version: STSv1\nmode: enforce\nmode: none\nmax_age: 1\n",
		"version: STSv1\n\nmode: none\nmax_age: 1\n",
		"version: STSv1\r\nmode: none\r\nmax_age: 9999999999\r\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			return
		}
		codecheck.Problems(t, Codes, p.Validate())
		out := p.String()
		back, err := ParsePolicy(out)
		if err != nil {
			t.Fatalf("ParsePolicy(%q) ok, but ParsePolicy(String() = %q): %v", s, out, err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Fatalf("round trip of %q via %q mismatch (-first +second):\n%s", s, out, diff)
		}
		if id := p.ID(); id != back.ID() || !isID(id) {
			t.Fatalf("ID() = %q, %q after round trip", id, back.ID())
		}
	})
}
