package bimi

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Record
	}{
		{
			name: "logo and evidence",
			in:   "v=BIMI1; l=https://example.com/bimi.svg; a=https://example.com/vmc.pem",
			want: &Record{Logo: "https://example.com/bimi.svg", Authority: "https://example.com/vmc.pem"},
		},
		{
			name: "logo only, trailing semicolon",
			in:   "v=BIMI1; l=https://example.com/bimi.svg;",
			want: &Record{Logo: "https://example.com/bimi.svg"},
		},
		{
			name: "declination",
			in:   "v=BIMI1; l=; a=;",
			want: &Record{},
		},
		{
			name: "declination without a",
			in:   "v=BIMI1;l=",
			want: &Record{},
		},
		{
			name: "whitespace around separators and equals",
			in:   "v = BIMI1 ;  a = https://example.com/vmc.pem ; l = https://example.com/b.svg",
			want: &Record{Logo: "https://example.com/b.svg", Authority: "https://example.com/vmc.pem"},
		},
		{
			name: "optional draft tags kept as unknown, in order",
			in:   "v=BIMI1; l=; a=; lps=true; avp=personal; x_1=a b",
			want: &Record{Unknown: []Tag{{"lps", "true"}, {"avp", "personal"}, {"x_1", "a b"}}},
		},
		{
			name: "upper-case tag is an unknown tag",
			in:   "v=BIMI1; l=https://example.com/b.svg; A=https://example.com/vmc.pem",
			want: &Record{Logo: "https://example.com/b.svg", Unknown: []Tag{{"A", "https://example.com/vmc.pem"}}},
		},
		{
			name: "non-https logo parses; Validate objects",
			in:   "v=BIMI1; l=http://example.com/b.svg",
			want: &Record{Logo: "http://example.com/b.svg"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			assertRoundTrip(t, got)
		})
	}
}

func assertRoundTrip(t *testing.T, r *Record) {
	t.Helper()
	s := r.String()
	back, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(String()) of %q: %v", s, err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Fatalf("round trip of %q mismatch (-before +after):\n%s", s, diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []error
	}{
		{"empty", "", []error{ErrNotBIMI}},
		{"other record", "v=DMARC1; p=none", []error{ErrNotBIMI}},
		{"version case", "v=bimi1; l=", []error{ErrNotBIMI}},
		{"version tag case", "V=BIMI1; l=", []error{ErrNotBIMI}},
		{"leading whitespace", " v=BIMI1; l=", []error{ErrNotBIMI}},
		{"version not first", "l=; v=BIMI1", []error{ErrNotBIMI}},
		{"missing l", "v=BIMI1;", []error{ErrSyntax}},
		{"missing l with a", "v=BIMI1; a=https://example.com/vmc.pem", []error{ErrSyntax}},
		{"duplicate l", "v=BIMI1; l=; l=", []error{ErrSyntax, ErrDuplicateTag}},
		{"two logo URIs", "v=BIMI1; l=https://a.example/1.svg,https://a.example/2.svg", []error{ErrSyntax}},
		{"logo not a URI", "v=BIMI1; l=example.com/b.svg", []error{ErrSyntax}},
		{"space in URI", "v=BIMI1; l=https://example.com/my logo.svg", []error{ErrSyntax}},
		{"empty tag", "v=BIMI1;; l=", []error{ErrSyntax}},
		{"bad tag name", "v=BIMI1; l=; 1x=y", []error{ErrSyntax}},
		{"control character", "v=BIMI1; l=\r\n", []error{ErrSyntax}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error", tt.in, got)
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("Parse(%q) error %q does not wrap %q", tt.in, err, want)
				}
			}
			if !strings.HasPrefix(err.Error(), "bimi: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name string
		in   *Record
		want string
	}{
		{"declination", &Record{}, "v=BIMI1; l=; a="},
		{"logo only", &Record{Logo: "https://example.com/b.svg"}, "v=BIMI1; l=https://example.com/b.svg"},
		{
			"logo and authority",
			&Record{Logo: "https://example.com/b.svg", Authority: "https://example.com/v.pem"},
			"v=BIMI1; l=https://example.com/b.svg; a=https://example.com/v.pem",
		},
		{
			"unknown tags last",
			&Record{Logo: "https://example.com/b.svg", Unknown: []Tag{{"avp", "brand"}}},
			"v=BIMI1; l=https://example.com/b.svg; avp=brand",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			assertRoundTrip(t, tt.in)
		})
	}
}

// problemKey is what the Validate tests compare: how bad, which tag, which
// rule.
type problemKey struct {
	Severity Severity
	Tag      string
	Code     string
}

// validateTest is a case of TestValidate; TestCodes runs them all too.
type validateTest struct {
	name string
	in   *Record
	want []problemKey
}

// validateTests returns the cases of TestValidate. Between them they produce
// every code in Codes, which TestCodes checks.
func validateTests() []validateTest {
	return []validateTest{
		{"good", &Record{Logo: "https://example.com/bimi.svg", Authority: "https://example.com/vmc.pem"}, nil},
		{"declination", &Record{}, nil},
		{"svgz logo", &Record{Logo: "https://cdn.example.com/logo.svgz"}, nil},
		{"malformed logo URL", &Record{Logo: "https://example.com/%zz.svg"}, []problemKey{{Error, "l", "bimi-logo-url-invalid"}}},
		{"http logo", &Record{Logo: "http://example.com/bimi.svg"}, []problemKey{{Error, "l", "bimi-logo-not-https"}}},
		{"png logo", &Record{Logo: "https://example.com/logo.PNG"}, []problemKey{{Error, "l", "bimi-logo-not-svg"}}},
		{"IP host", &Record{Logo: "https://192.0.2.1/logo.svg"}, []problemKey{{Error, "l", "bimi-logo-host-not-fqdn"}}},
		{"single-label host", &Record{Logo: "https://intranet/logo.svg"}, []problemKey{{Error, "l", "bimi-logo-host-not-fqdn"}}},
		{
			"malformed authority URL",
			&Record{Logo: "https://example.com/b.svg", Authority: "https://exa mple.com/v.pem"},
			[]problemKey{{Error, "a", "bimi-authority-url-invalid"}},
		},
		{
			"ftp authority",
			&Record{Logo: "https://example.com/b.svg", Authority: "ftp://example.com/v.pem"},
			[]problemKey{{Error, "a", "bimi-authority-not-https"}},
		},
		{
			"single-label authority host",
			&Record{Logo: "https://example.com/b.svg", Authority: "https://localhost/v.pem"},
			[]problemKey{{Error, "a", "bimi-authority-host-not-fqdn"}},
		},
		{"evidence without logo", &Record{Authority: "https://example.com/v.pem"}, []problemKey{{Warning, "l", "bimi-authority-without-logo"}}},
		{
			"draft tags",
			&Record{Unknown: []Tag{{"lps", "yes"}, {"avp", "logo"}}},
			[]problemKey{{Error, "lps", "bimi-lps-invalid"}, {Warning, "avp", "bimi-avp-unknown"}},
		},
		{
			"valid draft tags",
			&Record{Unknown: []Tag{{"lps", "true"}, {"avp", "brand"}}},
			nil,
		},
		{
			"bad unknown tags",
			&Record{Unknown: []Tag{{"l", "x"}, {"9", "x"}, {"z", "a;b"}, {"q", "1"}, {"q", "2"}}},
			[]problemKey{
				{Error, "l", "bimi-tag-reserved"},
				{Error, "9", "bimi-tag-name-invalid"},
				{Error, "z", "bimi-tag-value-invalid"},
				{Warning, "q", "bimi-tag-unknown"},
				{Error, "q", "bimi-tag-duplicate"},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range validateTests() {
		t.Run(tt.name, func(t *testing.T) {
			ps := tt.in.Validate()
			codecheck.Problems(t, Codes, ps)
			var got []problemKey
			for _, p := range ps {
				got = append(got, problemKey{p.Severity, p.Tag, p.Code})
				if p.Message == "" || p.RFC == "" {
					t.Errorf("problem %+v lacks a message or a citation", p)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestName(t *testing.T) {
	if got, want := Name(DefaultSelector, "example.com"), "default._bimi.example.com"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	if got, want := Name("brand.2026", "example.org"), "brand.2026._bimi.example.org"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
}

func TestDeclined(t *testing.T) {
	if !(&Record{}).Declined() {
		t.Error("empty record is not declined")
	}
	if (&Record{Logo: "https://example.com/b.svg"}).Declined() {
		t.Error("record with a logo is declined")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=BIMI1; l=https://example.com/bimi.svg; a=https://example.com/vmc.pem",
		"v=BIMI1; l=; a=;",
		"v=BIMI1;l=",
		"v=BIMI1; l=; a=; lps=true; avp=personal",
		"v = BIMI1 ; l = https://x.example/a.svg ; zz = a  b ;",
		"v=BIMI1; l=; l=",
		"v=BIMI1;",
		"v=BIMI1; l=a:b,c",
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
		if again := back.String(); again != out {
			t.Fatalf("String is not stable: %q then %q", out, again)
		}
	})
}
