package spf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// prefixComparer lets cmp compare netip.Prefix, whose fields are unexported.
var prefixComparer = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

// mustParse parses s or fails the test.
func mustParse(t *testing.T, s string) *Record {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return r
}

// mech builds the Mechanism Parse returns for an unqualified term.
func mech(kind Kind, domain string) *Mechanism {
	return &Mechanism{Qualifier: Pass, Kind: kind, Domain: domain, Prefix4: -1, Prefix6: -1}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // canonical text; "" means the input itself
	}{
		{name: "empty record", in: "v=spf1"},
		{name: "trailing spaces", in: "v=spf1 -all   ", want: "v=spf1 -all"},
		{name: "version only with trailing space", in: "v=spf1 ", want: "v=spf1"},
		{name: "several spaces between terms", in: "v=spf1  a   mx  -all", want: "v=spf1 a mx -all"},
		{name: "uppercase version", in: "V=SPF1 -all", want: "v=spf1 -all"},
		{name: "mechanism names are case-insensitive", in: "v=spf1 A MX Include:_spf.example.com IP4:192.0.2.1 -ALL",
			want: "v=spf1 a mx include:_spf.example.com ip4:192.0.2.1 -all"},
		{name: "modifier names are case-insensitive", in: "v=spf1 REDIRECT=_spf.example.com", want: "v=spf1 redirect=_spf.example.com"},
		{name: "explicit plus kept", in: "v=spf1 +a +mx -all"},
		{name: "all qualifiers", in: "v=spf1 +a -mx ~ptr ?include:example.com -all"},
		{name: "typical google", in: "v=spf1 include:_spf.google.com ~all"},
		{name: "domain with trailing dot", in: "v=spf1 include:_spf.example.com. -all"},
		{name: "a with domain", in: "v=spf1 a:mail.example.com -all"},
		{name: "a with ip4 cidr", in: "v=spf1 a/24 -all"},
		{name: "a with dual cidr", in: "v=spf1 a/24//64 -all"},
		{name: "mx with ip6 cidr only", in: "v=spf1 mx//64 -all"},
		{name: "mx with domain and dual cidr", in: "v=spf1 mx:example.com/0//0 -all"},
		{name: "a with cidr 32 and 128", in: "v=spf1 a:example.com/32//128"},
		{name: "ptr with and without domain", in: "v=spf1 ptr ptr:example.com"},
		{name: "exists with macros", in: "v=spf1 exists:%{i}._spf.%{d} -all"},
		{name: "macro transformers and delimiters", in: "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d2} -all"},
		{name: "all macro delimiters", in: "v=spf1 exists:%{s.-+,/_=}.example.com"},
		{name: "uppercase macro letter and reverse", in: "v=spf1 exists:%{D2R}.%{V}.%{H}.%{O}.%{P}.example.com"},
		{name: "macro escapes", in: "v=spf1 exists:a%%b%_c%-d.example.com"},
		{name: "domain ending in macro escape", in: "v=spf1 exists:%{d}%-"},
		{name: "big digit transformer", in: "v=spf1 exists:%{d100}.example.com"},
		{name: "toplabel with hyphen", in: "v=spf1 include:example.xn--p1ai"},
		{name: "toplabel digits and hyphen", in: "v=spf1 include:example.1-2"},
		{name: "toplabel letters and digits", in: "v=spf1 include:example.c0m"},
		{name: "ip4 without cidr", in: "v=spf1 ip4:192.0.2.1 -all"},
		{name: "ip4 with cidr", in: "v=spf1 ip4:203.0.113.0/24 -all"},
		{name: "ip4 cidr 0 and 32", in: "v=spf1 ip4:0.0.0.0/0 ip4:192.0.2.1/32"},
		{name: "ip6 canonicalized", in: "v=spf1 ip6:2001:DB8:0:0::/32 -all", want: "v=spf1 ip6:2001:db8::/32 -all"},
		{name: "ip6 without cidr", in: "v=spf1 ip6:2001:db8::1"},
		{name: "ip6 cidr 128", in: "v=spf1 ip6:::1/128"},
		{name: "ip6 with embedded ip4", in: "v=spf1 ip6:::ffff:192.0.2.1"},
		{name: "redirect", in: "v=spf1 redirect=_spf.example.com"},
		{name: "exp", in: "v=spf1 -all exp=explain._spf.%{d}"},
		{name: "redirect and exp once each", in: "v=spf1 mx redirect=_spf.example.com exp=exp.example.com"},
		{name: "unknown modifier", in: "v=spf1 -all foo=bar"},
		{name: "unknown modifier empty value", in: "v=spf1 x-y_z.w="},
		{name: "unknown modifier with exp-only macros", in: "v=spf1 note=%{c}%{r}%{t}"},
		{name: "unknown modifier lowercased", in: "v=spf1 Foo=Bar", want: "v=spf1 foo=Bar"},
		{name: "unknown modifiers may repeat", in: "v=spf1 foo=1 foo=2"},
		{name: "modifier named like a mechanism", in: "v=spf1 a=b"},
		{name: "host bits kept as written", in: "v=spf1 ip4:192.0.2.1/24"},
		{name: "terms after all still parse", in: "v=spf1 -all a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.in)
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got := r.String()
			if got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			again := mustParse(t, got)
			if diff := cmp.Diff(r, again, prefixComparer); diff != "" {
				t.Errorf("round trip changed the record (-first +second):\n%s", diff)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	withQ := func(m *Mechanism, q Qualifier) *Mechanism {
		m.Qualifier, m.QualifierExplicit = q, true
		return m
	}
	withCIDR := func(m *Mechanism, p4, p6 int) *Mechanism {
		m.Prefix4, m.Prefix6 = p4, p6
		return m
	}
	withNet := func(kind Kind, prefix string, explicit bool) *Mechanism {
		m := mech(kind, "")
		m.Net, m.CIDRExplicit = netip.MustParsePrefix(prefix), explicit
		return m
	}
	tests := []struct {
		name string
		in   string
		want *Record
	}{
		{
			name: "empty record has no terms",
			in:   "v=spf1",
			want: &Record{},
		},
		{
			name: "qualifiers",
			in:   "v=spf1 a +a -a ~a ?a",
			want: &Record{Terms: []Term{
				mech(A, ""),
				withQ(mech(A, ""), Pass),
				withQ(mech(A, ""), Fail),
				withQ(mech(A, ""), SoftFail),
				withQ(mech(A, ""), Neutral),
			}},
		},
		{
			name: "dual cidr",
			in:   "v=spf1 a/24 mx//64 a:Mail.Example.com/24//64",
			want: &Record{Terms: []Term{
				withCIDR(mech(A, ""), 24, -1),
				withCIDR(mech(MX, ""), -1, 64),
				withCIDR(mech(A, "Mail.Example.com"), 24, 64),
			}},
		},
		{
			name: "networks",
			in:   "v=spf1 ip4:192.0.2.1 ip4:192.0.2.0/24 ip6:2001:DB8::/32",
			want: &Record{Terms: []Term{
				withNet(IP4, "192.0.2.1/32", false),
				withNet(IP4, "192.0.2.0/24", true),
				withNet(IP6, "2001:db8::/32", true),
			}},
		},
		{
			name: "modifiers",
			in:   "v=spf1 Redirect=%{d}.example.com EXP=x.example.com Other=%{c}",
			want: &Record{Terms: []Term{
				&Modifier{Name: "redirect", Value: "%{d}.example.com"},
				&Modifier{Name: "exp", Value: "x.example.com"},
				&Modifier{Name: "other", Value: "%{c}"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.in)
			if diff := cmp.Diff(tt.want, got, prefixComparer); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		// wantText, if set, must appear in the error message.
		wantText string
	}{
		{name: "empty string", in: "", wantErr: ErrNotRecord},
		{name: "spf10 is not spf1", in: "v=spf10 -all", wantErr: ErrNotRecord},
		{name: "leading space", in: " v=spf1 -all", wantErr: ErrNotRecord},
		{name: "tab after version", in: "v=spf1\t-all", wantErr: ErrNotRecord},
		{name: "spf2.0 record", in: "spf2.0/pra -all", wantErr: ErrNotRecord},
		{name: "unknown mechanism", in: "v=spf1 foo -all", wantErr: ErrSyntax, wantText: `unknown mechanism "foo"`},
		{name: "unknown mechanism with argument", in: "v=spf1 ip5:1.2.3.4", wantErr: ErrSyntax},
		{name: "tab inside record", in: "v=spf1 a\t-all", wantErr: ErrSyntax},
		{name: "bare qualifier", in: "v=spf1 -", wantErr: ErrSyntax},
		{name: "double qualifier", in: "v=spf1 --all", wantErr: ErrSyntax},
		{name: "term starting with digit", in: "v=spf1 1a", wantErr: ErrSyntax},
		{name: "all with argument", in: "v=spf1 all:example.com", wantErr: ErrSyntax},
		{name: "all with cidr", in: "v=spf1 all/24", wantErr: ErrSyntax},
		{name: "include without domain", in: "v=spf1 include", wantErr: ErrSyntax},
		{name: "include with empty domain", in: "v=spf1 include: -all", wantErr: ErrSyntax, wantText: `"include:"`},
		{name: "include with cidr", in: "v=spf1 include:example.com/24", wantErr: ErrSyntax},
		{name: "exists with empty domain", in: "v=spf1 exists:", wantErr: ErrSyntax},
		{name: "a with empty domain", in: "v=spf1 a:", wantErr: ErrSyntax},
		{name: "a with empty domain and cidr", in: "v=spf1 a:/24", wantErr: ErrSyntax},
		{name: "single-label domain", in: "v=spf1 a:localhost", wantErr: ErrSyntax},
		{name: "single label with trailing dot", in: "v=spf1 a:museum.", wantErr: ErrSyntax},
		{name: "numeric toplabel", in: "v=spf1 a:1.2.3.4", wantErr: ErrSyntax},
		{name: "toplabel starting with hyphen", in: "v=spf1 a:example.-com", wantErr: ErrSyntax},
		{name: "toplabel ending with hyphen", in: "v=spf1 a:example.com-", wantErr: ErrSyntax},
		{name: "domain ending in two dots", in: "v=spf1 a:example.com..", wantErr: ErrSyntax},
		{name: "macro followed by dot", in: "v=spf1 exists:%{d}.", wantErr: ErrSyntax},
		{name: "a cidr 33", in: "v=spf1 a/33", wantErr: ErrSyntax},
		{name: "a ip6 cidr 129", in: "v=spf1 a//129", wantErr: ErrSyntax},
		{name: "a cidr leading zero", in: "v=spf1 a/032", wantErr: ErrSyntax, wantText: "leading zero"},
		{name: "a empty ip6 cidr", in: "v=spf1 a//", wantErr: ErrSyntax},
		{name: "a cidrs in wrong order", in: "v=spf1 a//64/24", wantErr: ErrSyntax},
		{name: "mx cidr after junk", in: "v=spf1 mx/24x", wantErr: ErrSyntax},
		{name: "ptr with cidr", in: "v=spf1 ptr/24", wantErr: ErrSyntax},
		{name: "ip4 cidr 33", in: "v=spf1 ip4:1.2.3.4/33", wantErr: ErrSyntax, wantText: "out of range 0-32"},
		{name: "ip4 bad address", in: "v=spf1 ip4:1.2.3.256", wantErr: ErrSyntax},
		{name: "ip4 three octets", in: "v=spf1 ip4:1.2.3", wantErr: ErrSyntax},
		{name: "ip4 leading zero octet", in: "v=spf1 ip4:192.0.2.01", wantErr: ErrSyntax},
		{name: "ip4 with ipv6 address", in: "v=spf1 ip4:2001:db8::1", wantErr: ErrSyntax},
		{name: "ip4 empty", in: "v=spf1 ip4:", wantErr: ErrSyntax},
		{name: "ip4 without colon", in: "v=spf1 ip4", wantErr: ErrSyntax},
		{name: "ip4 empty cidr", in: "v=spf1 ip4:192.0.2.1/", wantErr: ErrSyntax},
		{name: "ip4 dual cidr", in: "v=spf1 ip4:192.0.2.1//32", wantErr: ErrSyntax},
		{name: "ip4 cidr leading zero", in: "v=spf1 ip4:192.0.2.0/024", wantErr: ErrSyntax},
		{name: "ip6 with ipv4 address", in: "v=spf1 ip6:192.0.2.1", wantErr: ErrSyntax},
		{name: "ip6 cidr 129", in: "v=spf1 ip6:2001:db8::/129", wantErr: ErrSyntax},
		{name: "ip6 with zone", in: "v=spf1 ip6:fe80::1%eth0", wantErr: ErrSyntax},
		{name: "ip6 bad address", in: "v=spf1 ip6:2001:db8:::1", wantErr: ErrSyntax},
		{name: "unknown macro letter", in: "v=spf1 exists:%{z}.example.com", wantErr: ErrSyntax, wantText: "unknown macro letter 'z'"},
		{name: "exp-only macro in domain", in: "v=spf1 exists:%{t}.%{d}", wantErr: ErrSyntax, wantText: "explanation"},
		{name: "exp-only macro in redirect", in: "v=spf1 redirect=%{c}.example.com", wantErr: ErrSyntax},
		{name: "zero digit transformer", in: "v=spf1 exists:%{d0}.example.com", wantErr: ErrSyntax, wantText: "nonzero"},
		{name: "reverse before digits", in: "v=spf1 exists:%{dr2}.example.com", wantErr: ErrSyntax},
		{name: "bad delimiter", in: "v=spf1 exists:%{d:}.example.com", wantErr: ErrSyntax},
		{name: "empty macro", in: "v=spf1 exists:%{}.example.com", wantErr: ErrSyntax},
		{name: "unclosed macro", in: "v=spf1 exists:%{d", wantErr: ErrSyntax},
		{name: "percent at end", in: "v=spf1 exists:example.com%", wantErr: ErrSyntax},
		{name: "percent followed by letter", in: "v=spf1 exists:%d.example.com", wantErr: ErrSyntax},
		{name: "non-ascii in domain", in: "v=spf1 include:exämple.com", wantErr: ErrSyntax},
		{name: "duplicate redirect", in: "v=spf1 redirect=a.example.com redirect=b.example.com", wantErr: ErrDuplicateModifier},
		{name: "duplicate exp in other case", in: "v=spf1 exp=a.example.com EXP=b.example.com", wantErr: ErrDuplicateModifier},
		{name: "redirect empty", in: "v=spf1 redirect=", wantErr: ErrSyntax},
		{name: "redirect single label", in: "v=spf1 redirect=example", wantErr: ErrSyntax},
		{name: "modifier with qualifier", in: "v=spf1 -redirect=example.com", wantErr: ErrSyntax},
		{name: "modifier name with bad character", in: "v=spf1 fo!o=bar", wantErr: ErrSyntax},
		{name: "unknown modifier with bad macro", in: "v=spf1 foo=%{z}", wantErr: ErrSyntax},
		{name: "unknown modifier ending in percent", in: "v=spf1 foo=100%", wantErr: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error %v", tt.in, r, tt.wantErr)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want errors.Is %v", tt.in, err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "spf: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

func TestIsRecord(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"v=spf1", true},
		{"v=spf1 -all", true},
		{"V=Spf1 a", true},
		{"v=spf1 ", true},
		{"v=spf10", false},
		{"v=spf1-all", false},
		{"v=spf1\t-all", false},
		{" v=spf1", false},
		{"v=spf", false},
		{"", false},
		{"v=DMARC1; p=none", false},
	}
	for _, tt := range tests {
		if got := IsRecord(tt.in); got != tt.want {
			t.Errorf("IsRecord(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestErrorNamesTerm(t *testing.T) {
	_, err := Parse("v=spf1 a ip4:1.2.3.4/33 -all")
	want := `spf: syntax error: term "ip4:1.2.3.4/33": CIDR length 33 is out of range 0-32`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
