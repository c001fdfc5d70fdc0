package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// baseZone is the DNS the analysis tests share. example.com has A and MX
// records; the other names each exist for one situation.
func baseZone() zone {
	var mx11, mx10 []string
	ips := map[string][]string{
		"example.com":       {"192.0.2.1"},
		"mail.example.com":  {"192.0.2.10", "2001:db8::10"},
		"mx1.example.com":   {"192.0.2.11"},
		"mx2.example.com":   {"2001:db8::25"},
		"v6only.example":    {"2001:db8::6"},
		"listed.example":    {"127.0.0.2"},
		"www.example.com":   {"192.0.2.80"},
		"ftp.example.com":   {"192.0.2.21"},
		"relay.example.com": {"192.0.2.25"},
	}
	for i := 1; i <= 11; i++ {
		h := fmt.Sprintf("h%d.mx.example", i)
		ips[h] = []string{fmt.Sprintf("198.51.100.%d", i)}
		mx11 = append(mx11, h)
		if i <= 10 {
			mx10 = append(mx10, h)
		}
	}
	return zone{
		txt: map[string][]string{
			"_spf.provider.example": {"v=spf1 ip4:198.51.100.0/24 ~all"},
			"d1.example":            {"v=spf1 include:d2.example ~all"},
			"d2.example":            {"v=spf1 include:d3.example ~all"},
			"d3.example":            {"v=spf1 ip4:203.0.113.0/24 a:mail.example.com -all"},
			"loop-a.example":        {"v=spf1 include:loop-b.example -all"},
			"loop-b.example":        {"v=spf1 ip4:192.0.2.99 include:loop-a.example -all"},
			"self.example":          {"v=spf1 include:self.example -all"},
			"redirself.example":     {"v=spf1 ip4:192.0.2.98 redirect=redirself.example"},
			"nospf.example":         {"google-site-verification=abc", "MS=ms123"},
			"two.example":           {"v=spf1 -all", "v=spf1 ip4:192.0.2.1 -all"},
			"bad.example":           {"v=spf1 ip4:192.0.2.300 -all"},
			"one.example":           {"v=spf1 a:mail.example.com -all"},
			"z.example":             {"v=spf1 a:mail.example.com ~all"},
			"x.example":             {"v=spf1 include:z.example ~all"},
			"y.example":             {"v=spf1 include:z.example ~all"},
			"long.example":          {"v=spf1" + strings.Repeat(" ip4:198.51.100.123", 24) + " -all"},
			"voidinc.example":       {"v=spf1 a:nothing1.example a:nothing2.example ~all"},
		},
		mx: map[string][]string{
			"example.com":     {"mx1.example.com", "mx2.example.com"},
			"noaddr.example":  {"ghost.example", "mx1.example.com"},
			"mx11.example":    mx11,
			"mx10.example":    mx10,
			"onlymx.example":  {"mx1.example.com"},
			"badhost.example": {"broken.example"},
		},
		ip:   ips,
		fail: []string{"fail.example", "broken.example"},
	}
}

// outcome is what the table tests compare of an Analysis.
type outcome struct {
	Lookups, Void int
	Incomplete    bool
	Codes         []string
}

func summarize(a *Analysis) outcome {
	o := outcome{Lookups: a.Lookups, Void: a.VoidLookups, Incomplete: a.Incomplete}
	for _, p := range a.Problems {
		o.Codes = append(o.Codes, p.Code)
	}
	return o
}

// analyzeCase is one row of the counting table, run both over the data-only
// fake and over zones served by an in-process DNS server.
type analyzeCase struct {
	name   string
	domain string // "example.com" when empty
	record string // fetched from DNS when empty
	extra  zone
	want   outcome
}

// input returns the domain and the parsed record the case analyzes; the
// record is nil when the case has Analyze fetch it from DNS.
func (c analyzeCase) input(t *testing.T) (string, *Record) {
	t.Helper()
	domain := c.domain
	if domain == "" {
		domain = "example.com"
	}
	var rec *Record
	if c.record != "" {
		rec = mustParse(t, c.record)
	}
	return domain, rec
}

func analyzeCases() []analyzeCase {
	ten := "v=spf1 a mx include:_spf.provider.example a:mail.example.com mx:onlymx.example exists:listed.example ptr include:one.example a:www.example.com -all"
	return []analyzeCase{
		{name: "empty record", record: "v=spf1", want: outcome{}},
		{name: "bare all is not counted", record: "v=spf1 all", want: outcome{}},
		{name: "fail all", record: "v=spf1 -all", want: outcome{}},
		{name: "ip4 and ip6 are not counted", record: "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", want: outcome{}},
		{name: "a", record: "v=spf1 a -all", want: outcome{Lookups: 1}},
		{name: "qualified a is counted", record: "v=spf1 -a -all", want: outcome{Lookups: 1}},
		{name: "softfail include is counted", record: "v=spf1 ~include:_spf.provider.example -all", want: outcome{Lookups: 1}},
		{name: "neutral mx is counted", record: "v=spf1 ?mx -all", want: outcome{Lookups: 1}},
		{name: "plus a with domain", record: "v=spf1 +a:mail.example.com -all", want: outcome{Lookups: 1}},
		{name: "a and mx on a name with both records are not void", record: "v=spf1 a mx -all", want: outcome{Lookups: 2}},
		{name: "a on a name with only AAAA is not void", record: "v=spf1 a:v6only.example -all", want: outcome{Lookups: 1}},
		{name: "a on a missing name is void", record: "v=spf1 a:nothing.example -all", want: outcome{Lookups: 1, Void: 1}},
		{name: "mx on a missing name is void", record: "v=spf1 mx:nothing.example -all", want: outcome{Lookups: 1, Void: 1}},
		{name: "a on a name with only MX is void but mx is not", record: "v=spf1 a:onlymx.example mx:onlymx.example -all", want: outcome{Lookups: 2, Void: 1}},
		{name: "two voids are allowed", record: "v=spf1 a:nothing.example mx:nothing.example -all", want: outcome{Lookups: 2, Void: 2}},
		{
			name: "a and mx on a missing name plus a third void", record: "v=spf1 a:nothing.example mx:nothing.example exists:nothing2.example -all",
			want: outcome{Lookups: 3, Void: 3, Codes: []string{codeTooManyVoidLookups}},
		},
		{
			name: "voids inside an include count", record: "v=spf1 include:voidinc.example a:nothing.example -all",
			want: outcome{Lookups: 4, Void: 3, Codes: []string{codeTooManyVoidLookups}},
		},
		{name: "mx hosts without addresses are not void", record: "v=spf1 mx:noaddr.example -all", want: outcome{Lookups: 1}},
		{name: "mx with 10 hosts", record: "v=spf1 mx:mx10.example -all", want: outcome{Lookups: 1}},
		{name: "mx with 11 hosts", record: "v=spf1 mx:mx11.example -all", want: outcome{Lookups: 1, Codes: []string{codeMXTooManyHosts}}},
		{name: "nested includes to depth 3", record: "v=spf1 include:d1.example -all", want: outcome{Lookups: 4}},
		{name: "same include in two branches is counted twice", record: "v=spf1 include:x.example include:y.example -all", want: outcome{Lookups: 6}},
		{name: "include loop a to b to a", record: "v=spf1 include:loop-a.example -all", want: outcome{Lookups: 3, Codes: []string{codeIncludeLoop}}},
		{name: "include of itself", domain: "self.example", want: outcome{Lookups: 1, Codes: []string{codeIncludeLoop}}},
		{name: "redirect to itself", domain: "redirself.example", want: outcome{Lookups: 1, Codes: []string{codeIncludeLoop}}},
		{name: "redirect without all is counted and followed", record: "v=spf1 a redirect=d3.example", want: outcome{Lookups: 3}},
		{
			name: "redirect with all is ignored", record: "v=spf1 a -all redirect=d1.example",
			want: outcome{Lookups: 1, Codes: []string{codeRedirectIgnored}},
		},
		{
			name: "redirect before all is ignored", record: "v=spf1 redirect=d1.example ~all",
			want: outcome{Codes: []string{codeRedirectIgnored}},
		},
		{name: "redirect to a name without SPF", record: "v=spf1 redirect=nospf.example", want: outcome{Lookups: 1, Codes: []string{codeRedirectNoRecord}}},
		{name: "redirect to a name with two SPF records", record: "v=spf1 redirect=two.example", want: outcome{Lookups: 1, Codes: []string{codeRedirectMultipleRecords}}},
		{name: "redirect to a record that does not parse", record: "v=spf1 redirect=bad.example", want: outcome{Lookups: 1, Codes: []string{codeRedirectSyntax}}},
		{name: "macro in include", record: "v=spf1 include:%{d}.spf.example -all", want: outcome{Lookups: 1, Codes: []string{codeMacro}}},
		{name: "macro in exists", record: "v=spf1 exists:%{i}.list.example -all", want: outcome{Lookups: 1, Codes: []string{codeMacro}}},
		{name: "macro in a", record: "v=spf1 a:%{l}.example.com -all", want: outcome{Lookups: 1, Codes: []string{codeMacro}}},
		{name: "macro in redirect", record: "v=spf1 redirect=%{d}.spf.example", want: outcome{Lookups: 1, Codes: []string{codeMacro}}},
		{
			name: "three macro exists may exceed the void limit", record: "v=spf1 exists:%{ir}.l1.example exists:%{ir}.l2.example exists:%{ir}.l3.example -all",
			want: outcome{Lookups: 3, Codes: []string{codeMacroVoidLookups, codeMacro, codeMacro, codeMacro}},
		},
		{name: "escapes are not macros", record: "v=spf1 exists:a%%b.example -all", want: outcome{Lookups: 1, Void: 1}},
		{name: "exists on an existing name", record: "v=spf1 exists:listed.example -all", want: outcome{Lookups: 1}},
		{name: "exp is not counted", record: "v=spf1 -all exp=explain.example", want: outcome{}},
		{name: "unknown modifier is not counted", record: "v=spf1 -all foo=bar.example", want: outcome{}},
		{name: "ptr", record: "v=spf1 ptr -all", want: outcome{Lookups: 1, Codes: []string{codePTR}}},
		{name: "ptr with domain", record: "v=spf1 ptr:example.com ~all", want: outcome{Lookups: 1, Codes: []string{codePTR}}},
		{name: "terms after all are not counted", record: "v=spf1 -all a mx include:d1.example", want: outcome{}},
		{name: "exactly 10 lookups", record: ten, want: outcome{Lookups: 10, Codes: []string{codePTR}}},
		{
			name: "11 lookups", record: strings.Replace(ten, "-all", "a:relay.example.com -all", 1),
			want: outcome{Lookups: 11, Codes: []string{codeTooManyLookups, codePTR}},
		},
		{
			name: "11 lookups through an include", record: strings.Replace(ten, "include:one.example", "include:d1.example", 1),
			want: outcome{Lookups: 12, Codes: []string{codeTooManyLookups, codePTR}},
		},
		{name: "include of a name with TXT but no SPF", record: "v=spf1 include:nospf.example -all", want: outcome{Lookups: 1, Codes: []string{codeIncludeNoRecord}}},
		{name: "include of a name without TXT is void", record: "v=spf1 include:gone.example -all", want: outcome{Lookups: 1, Void: 1, Codes: []string{codeIncludeNoRecord}}},
		{name: "include of a name with two SPF records", record: "v=spf1 include:two.example -all", want: outcome{Lookups: 1, Codes: []string{codeIncludeMultipleRecords}}},
		{name: "include of a record that does not parse", record: "v=spf1 include:bad.example -all", want: outcome{Lookups: 1, Codes: []string{codeIncludeSyntax}}},
		{
			name: "include that fails", record: "v=spf1 include:fail.example -all",
			want: outcome{Lookups: 1, Incomplete: true, Codes: []string{codeLookupFailed}},
		},
		{
			name: "a that fails", record: "v=spf1 a:fail.example -all",
			want: outcome{Lookups: 1, Incomplete: true, Codes: []string{codeLookupFailed}},
		},
		{
			name: "mx host that fails", record: "v=spf1 mx:badhost.example -all",
			want: outcome{Lookups: 1, Incomplete: true, Codes: []string{codeLookupFailed}},
		},
		{name: "included record too long", record: "v=spf1 include:long.example -all", want: outcome{Lookups: 1, Codes: []string{codeRecordTooLong}}},
		{name: "own record too long", record: "v=spf1" + strings.Repeat(" ip4:198.51.100.123", 24) + " -all", want: outcome{Codes: []string{codeRecordTooLong}}},
		{name: "fetched record", domain: "d3.example", want: outcome{Lookups: 1}},
		{name: "no record", domain: "nospf.example", want: outcome{Codes: []string{codeNoRecord}}},
		{name: "two records", domain: "two.example", want: outcome{Codes: []string{codeMultipleRecords}}},
		{name: "record that does not parse", domain: "bad.example", want: outcome{Codes: []string{codeSyntax}}},
		{name: "record lookup that fails", domain: "fail.example", want: outcome{Incomplete: true, Codes: []string{codeLookupFailed}}},
	}
}

func TestAnalyzeCounts(t *testing.T) {
	for _, tt := range analyzeCases() {
		t.Run(tt.name, func(t *testing.T) {
			domain, rec := tt.input(t)
			a := Analyze(context.Background(), baseZone().merge(tt.extra), domain, rec)
			if diff := cmp.Diff(tt.want, summarize(a), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Analyze(%q) mismatch (-want +got):\n%s\nproblems:\n%s", tt.record, diff, problemList(a))
			}
			checkProblems(t, a.Problems)
		})
	}
}

// problemList formats problems one a line for failure messages.
func problemList(a *Analysis) string {
	var b strings.Builder
	for _, p := range a.Problems {
		fmt.Fprintf(&b, "  %s [%s]\n", p, p.Code)
	}
	return b.String()
}

// checkProblems fails t for every problem that lacks a message, or whose
// code is not listed in Codes with the problem's severity and citation.
func checkProblems(t testing.TB, ps []Problem) {
	t.Helper()
	codecheck.Problems(t, Codes, ps)
}

func TestAnalyzeTree(t *testing.T) {
	rec := mustParse(t, "v=spf1 ip4:192.0.2.1 include:d2.example mx a:nothing.example -all a")
	a := Analyze(context.Background(), baseZone(), "Example.COM.", rec)
	addrs := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, x := range s {
			out = append(out, netip.MustParseAddr(x))
		}
		return out
	}
	want := &Node{
		Domain: "example.com",
		Record: "v=spf1 ip4:192.0.2.1 include:d2.example mx a:nothing.example -all a",
		Children: []*Node{
			{Term: "ip4:192.0.2.1", Domain: "example.com"},
			{
				Term: "include:d2.example", Domain: "example.com", Target: "d2.example", Lookups: 1,
				Record: "v=spf1 include:d3.example ~all",
				Children: []*Node{
					{
						Term: "include:d3.example", Domain: "d2.example", Target: "d3.example", Lookups: 1,
						Record: "v=spf1 ip4:203.0.113.0/24 a:mail.example.com -all",
						Children: []*Node{
							{Term: "ip4:203.0.113.0/24", Domain: "d3.example"},
							{
								Term: "a:mail.example.com", Domain: "d3.example", Target: "mail.example.com", Lookups: 1,
								Addrs: addrs("192.0.2.10", "2001:db8::10"),
							},
							{Term: "-all", Domain: "d3.example"},
						},
					},
					{Term: "~all", Domain: "d2.example"},
				},
			},
			{
				Term: "mx", Domain: "example.com", Target: "example.com", Lookups: 1,
				Hosts: []string{"mx1.example.com", "mx2.example.com"}, Addrs: addrs("192.0.2.11", "2001:db8::25"),
			},
			{Term: "a:nothing.example", Domain: "example.com", Target: "nothing.example", Lookups: 1, Void: true, Note: "no A or AAAA records"},
			{Term: "-all", Domain: "example.com"},
			{Term: "a", Domain: "example.com", Note: "not evaluated: it comes after \"all\""},
		},
	}
	opts := cmp.Options{cmpopts.IgnoreUnexported(Node{}), cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}
	if diff := cmp.Diff(want, a.Tree, opts); diff != "" {
		t.Errorf("tree mismatch (-want +got):\n%s", diff)
	}
	if a.Domain != "example.com" || a.Lookups != 5 || a.VoidLookups != 1 {
		t.Errorf("Domain, Lookups, VoidLookups = %q, %d, %d; want example.com, 5, 1", a.Domain, a.Lookups, a.VoidLookups)
	}
	if got := a.Tree.Children[1].Total(); got != 3 {
		t.Errorf("Total() of the include = %d, want 3", got)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   error
	}{
		{"loop", "v=spf1 include:loop-a.example", ErrLoop},
		{"no record", "v=spf1 include:nospf.example", ErrNoRecord},
		{"multiple records", "v=spf1 include:two.example", ErrMultipleRecords},
		{"syntax", "v=spf1 include:bad.example", ErrSyntax},
		{"lookup", "v=spf1 include:fail.example", ErrLookup},
		{"too many MX hosts", "v=spf1 mx:mx11.example", ErrTooManyMXHosts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Analyze(context.Background(), baseZone(), "example.com", mustParse(t, tt.record))
			var errs []error
			var walk func(n *Node)
			walk = func(n *Node) {
				if n.Err != nil {
					errs = append(errs, n.Err)
				}
				for _, c := range n.Children {
					walk(c)
				}
			}
			walk(a.Tree)
			if !slices.ContainsFunc(errs, func(err error) bool { return errors.Is(err, tt.want) }) {
				t.Errorf("node errors %v do not include %v", errs, tt.want)
			}
		})
	}
}

func TestAnalyzeMessagesNameTheSource(t *testing.T) {
	rec := mustParse(t, "v=spf1 include:d1.example include:x.example include:y.example a mx ptr include:_spf.provider.example -all")
	a := Analyze(context.Background(), baseZone(), "example.com", rec)
	if len(a.Problems) == 0 || a.Problems[0].Code != codeTooManyLookups {
		t.Fatalf("problems:\n%s\nwant spf-too-many-lookups first", problemList(a))
	}
	// The top contributors come first, most lookups first.
	const want = "most come from include:d1.example (4), include:x.example (3), include:y.example (3), a (1), mx (1), and 2 more"
	if msg := a.Problems[0].Message; !strings.Contains(msg, want) {
		t.Errorf("message %q does not contain %q", msg, want)
	}
	// A problem inside an include names the record that holds the term.
	rec = mustParse(t, "v=spf1 include:voidinc.example a:nothing.example -all")
	a = Analyze(context.Background(), baseZone(), "example.com", rec)
	if msg := a.Problems[0].Message; !strings.Contains(msg, "a:nothing1.example in voidinc.example") {
		t.Errorf("void message %q does not name the terms", msg)
	}
}

// endless serves a fresh include for every name, the way a hostile zone
// could, so the analysis must stop by itself.
type endless struct{}

func (endless) LookupTXT(_ context.Context, name string) ([]string, bool, error) {
	return []string{"v=spf1 include:a." + name + " include:b." + name + " mx a -all"}, false, nil
}
func (endless) LookupMX(context.Context, string) ([]string, bool, error) {
	return []string{"h1.example", "h2.example", "h3.example", "h4.example"}, false, nil
}
func (endless) LookupIP(context.Context, string) ([]netip.Addr, bool, error) {
	return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, false, nil
}

func TestAnalyzeStopsOnHostileData(t *testing.T) {
	a := Analyze(context.Background(), endless{}, "example.com", nil)
	if !a.Incomplete || a.Lookups <= maxLookupTerms {
		t.Errorf("Incomplete = %v, Lookups = %d; want true and more than %d", a.Incomplete, a.Lookups, maxLookupTerms)
	}
	got := summarize(a).Codes
	if !slices.Contains(got, codeAnalysisTruncated) || got[0] != codeTooManyLookups {
		t.Errorf("codes = %v, want spf-too-many-lookups first and spf-analysis-truncated", got)
	}
}

func TestAnalyzeCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := Analyze(ctx, baseZone(), "example.com", mustParse(t, "v=spf1 include:d1.example -all"))
	if !a.Incomplete || a.Lookups != 1 {
		t.Errorf("Incomplete = %v, Lookups = %d; want true and 1", a.Incomplete, a.Lookups)
	}
	if n := a.Tree.Children[0]; !errors.Is(n.Err, context.Canceled) || !errors.Is(n.Err, ErrLookup) {
		t.Errorf("include error = %v, want ErrLookup wrapping context.Canceled", n.Err)
	}
}

func TestNeedsFlattening(t *testing.T) {
	for _, n := range []int{0, 10, 11} {
		if got, want := NeedsFlattening(&Analysis{Lookups: n}), n > 10; got != want {
			t.Errorf("NeedsFlattening(Lookups %d) = %v, want %v", n, got, want)
		}
	}
}
