package dmarc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// FuzzParse checks that Parse never panics, that whatever it accepts prints
// as text it accepts again with the same meaning, and that Validate (with a
// listed code for every problem) and IsReportAuthorization cope with any
// parsed record.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1",
		"v=DMARC1;",
		"v=DMARC1; p=none",
		"v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; t=y; psd=n",
		"v=DMARC1; p=quarantine; pct=25; rf=afrf:iodef; ri=86400",
		"v=DMARC1; p=none; rua=mailto:a@example.com!10m, https://r.example.net/x; ruf=mailto:f@example.com; fo=0:d:s",
		"V = DMARC1 ; P = Reject ; X = y z ;",
		"v=DMARC1; rua=mailto:d@example.com",
		"v=DMARC1; p=none; p=reject",
		"v=DMARC1;; p=none",
		"v=DMARC1; p=rejectt",
		"v=DMARC1; fo=1 : d",
		"v=DMARC1; zz=a=b; yy=c",
		"v=spf1 -all",
		"",
		"v=DMARC1; p=none\t;\t",
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
		if again := back.String(); again != out {
			t.Fatalf("String is not stable: %q then %q", out, again)
		}
		if !IsReportAuthorization(out) {
			t.Fatalf("IsReportAuthorization(%q) = false for a parsed record", out)
		}
	})
}
