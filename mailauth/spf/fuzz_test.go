package spf

import (
	"context"
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

// flattenVocabulary are the terms FuzzFlatten composes records from, so that
// most inputs reach the zones' interesting records.
var flattenVocabulary = []string{
	"include:_spf.a.example", "include:_spf.b.example", "include:_spf.c.example", "include:_spf.r.example",
	"include:_spf.exists.example", "include:_spf.neg.example", "include:_spf.plusall.example",
	"include:_spf.ptr.example", "include:_spf.deep.example", "include:_spf.many.example",
	"include:_spf.v6.example", "include:_spf.macro.example", "include:d1.example", "include:loop-a.example",
	"include:gone.example", "include:fail.example", "include:two.example", "include:bad.example",
	"ip4:198.51.100.9", "ip4:203.0.113.0/25", "ip4:192.0.2.0/24", "ip6:2001:db8:1::/64",
	"a", "mx", "a:mail.c.example/30", "exists:%{i}.x.example", "ptr", "all",
	"redirect=_spf.b.example", "redirect=_spf.a.example",
}

// FuzzFlatten analyzes and flattens records against the test zones and
// checks that the result keeps its promises: records that parse, fit 450
// octets and need the lookups Flatten claims (at most 10), and the same
// result as the original record for addresses around every network the zone
// mentions. A record is the text, when it parses, followed by terms of
// flattenVocabulary picked by the bytes (the top bits choose the qualifier).
func FuzzFlatten(f *testing.F) {
	f.Add("v=spf1 include:_spf.b.example include:_spf.a.example -all", []byte{})
	f.Add("v=spf1 include:_spf.b.example -ip4:198.51.100.9 include:_spf.a.example -all", []byte{})
	f.Add("v=spf1 a include:_spf.many.example", []byte{27 + 64})
	f.Add("v=spf1", []byte{0, 18 + 64, 1, 4, 5, 27 + 128})
	f.Add("v=spf1", []byte{12, 13, 14, 15, 9, 2, 28})
	f.Add("v=spf1 -ip4:198.51.100.9", []byte{3, 10, 20, 29})
	z := baseZone().merge(flatZone())
	f.Fuzz(func(t *testing.T, text string, picks []byte) {
		rec, err := Parse(text)
		if err != nil {
			rec = &Record{}
		}
		// Long records only repeat what short ones test, slowly.
		if len(picks) > 12 || len(rec.Terms) > 12 {
			return
		}
		for _, p := range picks {
			term, err := ParseTerm(flattenVocabulary[int(p&63)%len(flattenVocabulary)])
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := term.(*Mechanism); ok {
				m.Qualifier = []Qualifier{Pass, Fail, SoftFail, Neutral}[p>>6]
				m.QualifierExplicit = m.Qualifier != Pass
			}
			rec.Terms = append(rec.Terms, term)
		}
		if _, err := Parse(rec.String()); err != nil {
			return // two redirects
		}
		a := Analyze(context.Background(), z, "example.com", rec)
		_ = a.Explain()
		checkProblems(t, a.Problems)
		flat, err := a.Flatten(FlattenOptions{})
		if err != nil {
			return
		}
		checkFlattened(t, z, "example.com", flat, maxRecordOctets)
		before := z.merge(zone{txt: map[string][]string{"example.com": {rec.String()}}})
		after := serve(z, flat)
		for _, ip := range probes(before) {
			if b, a := evaluate(before, ip, "example.com", 0), evaluate(after, ip, "example.com", 0); a != b {
				t.Fatalf("%v: %s before flattening %q, %s after %+v", ip, b, rec, a, flat.Records)
			}
		}
	})
}
