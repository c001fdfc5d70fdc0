package spf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validateTest is one row of TestValidate's table.
type validateTest struct {
	name string
	in   string
	want []Problem
}

// validateTests returns TestValidate's table, which TestCodes also runs.
func validateTests() []validateTest {
	manyIncludes := "v=spf1"
	for _, c := range "abcdefghijk" {
		manyIncludes += " include:" + string(c) + ".example.com"
	}
	manyIncludes += " -all"
	long := "v=spf1"
	for i := 0; i < 30; i++ {
		long += " ip4:198.51.100.1"
	}
	long += " -all"

	return []validateTest{
		{name: "clean record", in: "v=spf1 mx include:_spf.example.com ip4:192.0.2.0/24 -all"},
		{name: "clean redirect record", in: "v=spf1 ip6:2001:db8::/32 redirect=_spf.example.com"},
		{name: "softfail and exp at the end are clean", in: "v=spf1 a ~all exp=exp.example.com"},
		{
			name: "ptr",
			in:   "v=spf1 ptr -all",
			want: []Problem{{Severity: Warning, Code: "spf-ptr", Tag: "ptr", RFC: "RFC 7208 section 5.5"}},
		},
		{
			name: "plus all",
			in:   "v=spf1 +all",
			want: []Problem{{Severity: Warning, Code: "spf-plus-all", Tag: "+all", RFC: "RFC 7208 section 5.1"}},
		},
		{
			name: "implicit plus all",
			in:   "v=spf1 a all",
			want: []Problem{{Severity: Warning, Code: "spf-plus-all", Tag: "all", RFC: "RFC 7208 section 5.1"}},
		},
		{
			name: "neutral all",
			in:   "v=spf1 ?all",
			want: []Problem{{Severity: Warning, Code: "spf-neutral-all", Tag: "?all", RFC: "RFC 7208 section 8.2"}},
		},
		{
			name: "terms after all",
			in:   "v=spf1 -all a ip4:192.0.2.1",
			want: []Problem{
				{Severity: Warning, Code: "spf-terms-after-all", Tag: "a", RFC: "RFC 7208 section 5.1"},
				{Severity: Warning, Code: "spf-terms-after-all", Tag: "ip4:192.0.2.1", RFC: "RFC 7208 section 5.1"},
			},
		},
		{
			name: "redirect with all",
			in:   "v=spf1 -all redirect=_spf.example.com",
			want: []Problem{{Severity: Warning, Code: "spf-redirect-ignored", Tag: "redirect=_spf.example.com", RFC: "RFC 7208 section 6.1"}},
		},
		{
			name: "redirect not last",
			in:   "v=spf1 redirect=_spf.example.com a",
			want: []Problem{{Severity: Warning, Code: "spf-redirect-not-last", Tag: "redirect=_spf.example.com", RFC: "RFC 7208 section 6.1"}},
		},
		{
			name: "exp before a mechanism",
			in:   "v=spf1 exp=exp.example.com -all",
			want: []Problem{{Severity: Warning, Code: "spf-exp-not-last", Tag: "exp=exp.example.com", RFC: "RFC 7208 section 6"}},
		},
		{
			name: "unknown modifier",
			in:   "v=spf1 -all redirct=_spf.example.com",
			want: []Problem{{Severity: Warning, Code: "spf-unknown-modifier", Tag: "redirct=_spf.example.com", RFC: "RFC 7208 section 6"}},
		},
		{
			name: "eleven lookups",
			in:   manyIncludes,
			want: []Problem{{Severity: Error, Code: "spf-too-many-lookups", RFC: "RFC 7208 section 4.6.4"}},
		},
		{
			name: "ten lookups are fine",
			in:   "v=spf1 a mx ptr:x.example.com exists:%{i}.example.com include:a.example.com include:b.example.com include:c.example.com include:d.example.com include:e.example.com redirect=f.example.com",
			want: []Problem{{Severity: Warning, Code: "spf-ptr", Tag: "ptr:x.example.com", RFC: "RFC 7208 section 5.5"}},
		},
		{
			name: "too long",
			in:   long,
			want: []Problem{{Severity: Warning, Code: "spf-record-too-long", RFC: "RFC 7208 section 3.4"}},
		},
		{
			name: "ip4 host bits",
			in:   "v=spf1 ip4:192.0.2.1/24 -all",
			want: []Problem{{Severity: Warning, Code: "spf-host-bits", Tag: "ip4:192.0.2.1/24", RFC: "RFC 7208 section 5.6"}},
		},
		{
			name: "ip6 host bits",
			in:   "v=spf1 ip6:2001:db8::1/32 -all",
			want: []Problem{{Severity: Warning, Code: "spf-host-bits", Tag: "ip6:2001:db8::1/32", RFC: "RFC 7208 section 5.6"}},
		},
		{
			name: "no all and no redirect",
			in:   "v=spf1 mx",
			want: []Problem{{Severity: Warning, Code: "spf-no-all", RFC: "RFC 7208 section 4.7"}},
		},
		{
			name: "empty label",
			in:   "v=spf1 include:a..example.com -all",
			want: []Problem{{Severity: Warning, Code: "spf-empty-label", Tag: "include:a..example.com", RFC: "RFC 1035 section 3.1"}},
		},
		{
			name: "label too long",
			in:   "v=spf1 a:" + strings.Repeat("x", 64) + ".example.com -all",
			want: []Problem{{Severity: Warning, Code: "spf-name-too-long", Tag: "a:" + strings.Repeat("x", 64) + ".example.com", RFC: "RFC 1035 section 2.3.4"}},
		},
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range validateTests() {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.in).Validate()
			checkProblems(t, got)
			// Messages are prose; the tests pin what a caller branches on and
			// check separately that every message is non-empty.
			for _, p := range got {
				if p.Message == "" {
					t.Errorf("problem %+v has no message", p)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".Message"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("Validate(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestValidateBuiltRecord(t *testing.T) {
	// A record assembled by hand can break rules Parse enforces.
	r := &Record{Terms: []Term{
		&Modifier{Name: "redirect", Value: "a.example.com"},
		&Modifier{Name: "redirect", Value: "b.example.com"},
	}}
	ps := r.Validate()
	if len(ps) == 0 || ps[0].Severity != Error || ps[0].RFC != "RFC 7208 section 4.6" || ps[0].Code != "spf-syntax" {
		t.Fatalf("Validate() = %v, want a syntax error first", ps)
	}
	if !strings.Contains(ps[0].Message, "duplicate modifier") {
		t.Errorf("message %q does not name the cause", ps[0].Message)
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{Severity: Warning, Tag: "ptr", Message: "ptr should not be used", RFC: "RFC 7208 section 5.5"}
	const want = `warning: "ptr": ptr should not be used (RFC 7208 section 5.5)`
	if got := p.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := Severity(0).String(); got != "Severity(0)" {
		t.Errorf("Severity(0).String() = %q", got)
	}
}
