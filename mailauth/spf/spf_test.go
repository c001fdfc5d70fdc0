package spf

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookupTerms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{name: "empty record", in: "v=spf1", want: 0},
		{name: "non-querying terms", in: "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 exp=exp.example.com -all", want: 0},
		{name: "each querying mechanism", in: "v=spf1 include:a.example.com a mx ptr exists:%{i}.example.com -all", want: 5},
		{name: "qualifiers do not matter", in: "v=spf1 -a ~include:x.example.com ?mx +ptr -exists:e.example.com", want: 5},
		{name: "a and mx with arguments", in: "v=spf1 a:mail.example.com/24 mx//64 -all", want: 2},
		{name: "redirect counts", in: "v=spf1 mx redirect=_spf.example.com", want: 2},
		{name: "redirect with all is not counted", in: "v=spf1 mx -all redirect=_spf.example.com", want: 1},
		{name: "redirect before all is not counted", in: "v=spf1 redirect=_spf.example.com mx ~all", want: 1},
		{name: "mechanisms after all are not counted", in: "v=spf1 a -all include:x.example.com mx", want: 1},
		{name: "unknown modifiers do not count", in: "v=spf1 foo=bar.example.com a", want: 1},
		{name: "eleven includes", in: "v=spf1 include:a.example include:b.example include:c.example include:d.example include:e.example include:f.example include:g.example include:h.example include:i.example include:j.example include:k.example -all", want: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.in).LookupTerms(); got != tt.want {
				t.Errorf("LookupTerms(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestHasMacros(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "no macros", in: "v=spf1 include:_spf.example.com a mx ip4:192.0.2.1 -all", want: false},
		{name: "escapes only", in: "v=spf1 exists:a%%b%_c%-d.example.com", want: false},
		{name: "escaped percent before brace", in: "v=spf1 exists:a%%{d}.example.com", want: false},
		{name: "exists macro", in: "v=spf1 exists:%{i}._spf.%{d} -all", want: true},
		{name: "a macro", in: "v=spf1 a:%{d}.example.com", want: true},
		{name: "redirect macro", in: "v=spf1 redirect=%{d}._spf.example.com", want: true},
		{name: "exp macro", in: "v=spf1 -all exp=%{d}.exp.example.com", want: true},
		{name: "unknown modifier macro ignored", in: "v=spf1 -all foo=%{d}", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.in).HasMacros(); got != tt.want {
				t.Errorf("HasMacros(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMechanismHasMacro(t *testing.T) {
	tests := []struct {
		term string
		want bool
	}{
		{"all", false},
		{"ip4:192.0.2.1", false},
		{"include:_spf.example.com", false},
		{"include:%{d}.example.com", true},
		{"exists:%{L}.example.com", true},
		{"exists:x%%y.example.com", false},
		{"mx:%{d}/24", true},
	}
	for _, tt := range tests {
		term, err := ParseTerm(tt.term)
		if err != nil {
			t.Fatalf("ParseTerm(%q): %v", tt.term, err)
		}
		if got := term.(*Mechanism).HasMacro(); got != tt.want {
			t.Errorf("HasMacro(%q) = %v, want %v", tt.term, got, tt.want)
		}
	}
}

func TestAllRedirectExp(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		wantAll      string // "" when All returns nil
		wantRedirect string
		wantExp      string
	}{
		{name: "nothing", in: "v=spf1 a"},
		{name: "all", in: "v=spf1 a ~all", wantAll: "~all"},
		{name: "first all wins", in: "v=spf1 -all +all", wantAll: "-all"},
		{name: "redirect and exp", in: "v=spf1 redirect=r.example.com exp=e.example.com",
			wantRedirect: "r.example.com", wantExp: "e.example.com"},
		{name: "redirect reported even with all", in: "v=spf1 ?all redirect=r.example.com",
			wantAll: "?all", wantRedirect: "r.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.in)
			gotAll := ""
			if m := r.All(); m != nil {
				gotAll = m.String()
			}
			if gotAll != tt.wantAll {
				t.Errorf("All() = %q, want %q", gotAll, tt.wantAll)
			}
			if got := r.Redirect(); got != tt.wantRedirect {
				t.Errorf("Redirect() = %q, want %q", got, tt.wantRedirect)
			}
			if got := r.Exp(); got != tt.wantExp {
				t.Errorf("Exp() = %q, want %q", got, tt.wantExp)
			}
		})
	}
}

func TestNewMechanism(t *testing.T) {
	tests := []struct {
		name string
		q    Qualifier
		kind Kind
		arg  string
		want *Mechanism
		text string
	}{
		{
			name: "include", q: Pass, kind: Include, arg: "_spf.google.com",
			want: mech(Include, "_spf.google.com"), text: "include:_spf.google.com",
		},
		{
			name: "zero qualifier means pass", kind: A,
			want: mech(A, ""), text: "a",
		},
		{
			name: "ip4 network", q: Pass, kind: IP4, arg: "203.0.113.0/24",
			want: &Mechanism{Qualifier: Pass, Kind: IP4, Prefix4: -1, Prefix6: -1,
				Net: netip.MustParsePrefix("203.0.113.0/24"), CIDRExplicit: true},
			text: "ip4:203.0.113.0/24",
		},
		{
			name: "ip6 address", q: Pass, kind: IP6, arg: "2001:DB8::1",
			want: &Mechanism{Qualifier: Pass, Kind: IP6, Prefix4: -1, Prefix6: -1,
				Net: netip.MustParsePrefix("2001:db8::1/128")},
			text: "ip6:2001:db8::1",
		},
		{
			name: "a with domain and cidr", q: Pass, kind: A, arg: "mail.example.com/24",
			want: &Mechanism{Qualifier: Pass, Kind: A, Domain: "mail.example.com", Prefix4: 24, Prefix6: -1},
			text: "a:mail.example.com/24",
		},
		{
			name: "mx with cidr only", q: Pass, kind: MX, arg: "//64",
			want: &Mechanism{Qualifier: Pass, Kind: MX, Prefix4: -1, Prefix6: 64},
			text: "mx//64",
		},
		{
			name: "fail all", q: Fail, kind: All,
			want: &Mechanism{Qualifier: Fail, QualifierExplicit: true, Kind: All, Prefix4: -1, Prefix6: -1},
			text: "-all",
		},
		{
			name: "kind is case-insensitive", q: SoftFail, kind: "INCLUDE", arg: "x.example.com",
			want: &Mechanism{Qualifier: SoftFail, QualifierExplicit: true, Kind: Include, Domain: "x.example.com", Prefix4: -1, Prefix6: -1},
			text: "~include:x.example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMechanism(tt.q, tt.kind, tt.arg)
			if err != nil {
				t.Fatalf("NewMechanism: %v", err)
			}
			if diff := cmp.Diff(tt.want, m, prefixComparer); diff != "" {
				t.Errorf("NewMechanism mismatch (-want +got):\n%s", diff)
			}
			if got := m.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			parsed, err := ParseTerm(m.String())
			if err != nil {
				t.Fatalf("ParseTerm(%q): %v", m.String(), err)
			}
			if diff := cmp.Diff(Term(m), parsed, prefixComparer); diff != "" {
				t.Errorf("round trip mismatch (-built +parsed):\n%s", diff)
			}
		})
	}
}

func TestNewMechanismErrors(t *testing.T) {
	tests := []struct {
		name string
		q    Qualifier
		kind Kind
		arg  string
	}{
		{name: "unknown kind", kind: "ip5", arg: "1.2.3.4"},
		{name: "bad qualifier", q: '!', kind: All},
		{name: "all with argument", kind: All, arg: "example.com"},
		{name: "include without domain", kind: Include},
		{name: "include with bad domain", kind: Include, arg: "localhost"},
		{name: "ip4 with cidr 33", kind: IP4, arg: "1.2.3.4/33"},
		{name: "ip4 without address", kind: IP4},
		{name: "space in argument", kind: Include, arg: "a.example.com b.example.com"},
		{name: "ptr with cidr", kind: PTR, arg: "/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMechanism(tt.q, tt.kind, tt.arg)
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("NewMechanism(%q, %q, %q) = %v, %v; want ErrSyntax", tt.q, tt.kind, tt.arg, m, err)
			}
		})
	}
}

func TestNewModifier(t *testing.T) {
	tests := []struct {
		name, mname, value string
		want               *Modifier
		wantErr            bool
	}{
		{name: "redirect", mname: "redirect", value: "_spf.example.com", want: &Modifier{Name: "redirect", Value: "_spf.example.com"}},
		{name: "name lowercased", mname: "EXP", value: "exp.example.com", want: &Modifier{Name: "exp", Value: "exp.example.com"}},
		{name: "unknown with empty value", mname: "x.y", want: &Modifier{Name: "x.y"}},
		{name: "redirect without domain", mname: "redirect", wantErr: true},
		{name: "empty name", value: "x", wantErr: true},
		{name: "name with bad character", mname: "a b", value: "x", wantErr: true},
		{name: "name starting with digit", mname: "1x", value: "x", wantErr: true},
		{name: "bad macro", mname: "foo", value: "%{q}", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewModifier(tt.mname, tt.value)
			if tt.wantErr {
				if !errors.Is(err, ErrSyntax) {
					t.Errorf("NewModifier(%q, %q) = %v, %v; want ErrSyntax", tt.mname, tt.value, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewModifier: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewModifier mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuiltRecordString(t *testing.T) {
	inc, err := NewMechanism(Pass, Include, "_spf.google.com")
	if err != nil {
		t.Fatal(err)
	}
	ip, err := NewMechanism(Pass, IP4, "203.0.113.0/24")
	if err != nil {
		t.Fatal(err)
	}
	all, err := NewMechanism(SoftFail, All, "")
	if err != nil {
		t.Fatal(err)
	}
	r := &Record{Terms: []Term{ip, inc, all}}
	const want = "v=spf1 ip4:203.0.113.0/24 include:_spf.google.com ~all"
	if got := r.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if diff := cmp.Diff(r, mustParse(t, want), prefixComparer); diff != "" {
		t.Errorf("built record differs from parsed one (-built +parsed):\n%s", diff)
	}
}
