package spf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"v=spf1",
		"v=spf1 -all",
		"V=SPF1 +A MX/24 -ALL  ",
		"v=spf1 include:_spf.google.com ~all",
		"v=spf1 a:mail.example.com/24//64 mx//64 ptr:example.com ?all",
		"v=spf1 ip4:192.0.2.1 ip4:192.0.2.0/24 ip6:2001:DB8::/32 ip6:::ffff:192.0.2.1 -all",
		"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
		"v=spf1 exists:a%%b%_c%-d.example.com redirect=%{d}.example.com exp=x.%{D2R}",
		"v=spf1 foo=bar x.y-z_w=%{c} -all",
		"v=spf1 redirect=a.example.com redirect=b.example.com",
		"v=spf1 ip4:1.2.3.4/33",
		"v=spf1 include:",
		"v=spf1 exists:%{z}.example.com",
		"v=spf1 a:example.xn--p1ai. -all",
		"v=spf10",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		// Exercise the analyses for panics.
		_ = r.LookupTerms()
		_ = r.HasMacros()
		_ = r.Validate()
		_ = r.All()
		_ = r.Redirect()

		text := r.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, text, err)
		}
		if diff := cmp.Diff(r, again, prefixComparer); diff != "" {
			t.Fatalf("round trip of %q via %q changed the record (-first +second):\n%s", s, text, diff)
		}
		if text2 := again.String(); text2 != text {
			t.Fatalf("String is not stable: %q then %q", text, text2)
		}
	})
}

func FuzzSplit(f *testing.F) {
	f.Add("")
	f.Add("v=spf1 -all")
	f.Add("v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net ~all")
	f.Fuzz(func(t *testing.T, s string) {
		checkChunks(t, s, Split(s))
	})
}
