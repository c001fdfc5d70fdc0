package dmarc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

func intp(i int) *int { return &i }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Record
	}{
		{
			name: "minimal",
			in:   "v=DMARC1; p=none",
			want: &Record{P: None},
		},
		{
			name: "trailing semicolon and whitespace",
			in:   "v=DMARC1; p=reject; \t",
			want: &Record{P: Reject},
		},
		{
			name: "no whitespace",
			in:   "v=DMARC1;p=quarantine;sp=reject",
			want: &Record{P: Quarantine, SP: Reject},
		},
		{
			name: "whitespace around equals and separators",
			in:   "v = DMARC1 ;  p =  reject ;aspf= s",
			want: &Record{P: Reject, ASPF: Strict},
		},
		{
			name: "tag names and enumerated values are case-insensitive",
			in:   "V=DMARC1; P=Reject; ADKIM=S; Psd=N; T=Y",
			want: &Record{P: Reject, ADKIM: Strict, PSD: "n", T: "y"},
		},
		{
			name: "all RFC 9989 tags",
			in: "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; t=n; psd=u; " +
				"rua=mailto:agg@example.com, mailto:agg@example.net; ruf=mailto:fail@example.com; fo=0:d",
			want: &Record{
				P: Reject, SP: Quarantine, NP: Reject, ADKIM: Strict, ASPF: Relaxed, T: "n", PSD: "u",
				RUA: []string{"mailto:agg@example.com", "mailto:agg@example.net"},
				RUF: []string{"mailto:fail@example.com"},
				FO:  "0:d",
			},
		},
		{
			name: "p may be absent (RFC 9989)",
			in:   "v=DMARC1; rua=mailto:d@example.com",
			want: &Record{RUA: []string{"mailto:d@example.com"}},
		},
		{
			name: "version only",
			in:   "v=DMARC1",
			want: &Record{},
		},
		{
			name: "p need not be second",
			in:   "v=DMARC1; rua=mailto:d@example.com; p=none",
			want: &Record{P: None, RUA: []string{"mailto:d@example.com"}},
		},
		{
			name: "legacy tags kept",
			in:   "v=DMARC1; p=quarantine; pct=25; rf=afrf; ri=86400",
			want: &Record{P: Quarantine, PCT: intp(25), RF: "afrf", RI: intp(86400)},
		},
		{
			name: "size suffix kept intact",
			in:   "v=DMARC1; p=none; rua=mailto:d@example.com!10m,https://r.example.net/x!500",
			want: &Record{P: None, RUA: []string{"mailto:d@example.com!10m", "https://r.example.net/x!500"}},
		},
		{
			name: "fo normalized",
			in:   "v=DMARC1; p=none; ruf=mailto:f@example.com; fo=1 : D:s",
			want: &Record{P: None, RUF: []string{"mailto:f@example.com"}, FO: "1:d:s"},
		},
		{
			name: "unknown tags kept in order",
			in:   "v=DMARC1; zz=1; p=none; Foo=a b=c",
			want: &Record{P: None, Unknown: []Tag{{"zz", "1"}, {"Foo", "a b=c"}}},
		},
		{
			name: "pct zero",
			in:   "v=DMARC1; p=reject; pct=0",
			want: &Record{P: Reject, PCT: intp(0)},
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

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []error
	}{
		{"empty", "", []error{ErrNotDMARC}},
		{"spf record", "v=spf1 -all", []error{ErrNotDMARC}},
		{"lower-case version value", "v=dmarc1; p=none", []error{ErrNotDMARC}},
		{"version not first", "p=none; v=DMARC1", []error{ErrNotDMARC}},
		{"leading whitespace", " v=DMARC1; p=none", []error{ErrNotDMARC}},
		{"version glued to next tag", "v=DMARC1p=none", []error{ErrNotDMARC}},
		{"wrong version", "v=DMARC2; p=none", []error{ErrNotDMARC}},
		{"duplicate p", "v=DMARC1; p=none; p=reject", []error{ErrSyntax, ErrDuplicateTag}},
		{"duplicate differing in case", "v=DMARC1; p=none; P=none", []error{ErrSyntax, ErrDuplicateTag}},
		{"duplicate version", "v=DMARC1; v=DMARC1; p=none", []error{ErrSyntax, ErrDuplicateTag}},
		{"invalid policy", "v=DMARC1; p=rejectt", []error{ErrSyntax, ErrInvalidValue}},
		{"invalid sp", "v=DMARC1; p=none; sp=quarantin", []error{ErrSyntax, ErrInvalidValue}},
		{"invalid alignment", "v=DMARC1; p=none; adkim=x", []error{ErrSyntax, ErrInvalidValue}},
		{"invalid psd", "v=DMARC1; p=none; psd=yes", []error{ErrSyntax, ErrInvalidValue}},
		{"invalid t", "v=DMARC1; p=none; t=u", []error{ErrSyntax, ErrInvalidValue}},
		{"invalid fo", "v=DMARC1; p=none; fo=2", []error{ErrSyntax, ErrInvalidValue}},
		{"pct not a number", "v=DMARC1; p=none; pct=ten", []error{ErrSyntax, ErrInvalidValue}},
		{"pct four digits", "v=DMARC1; p=none; pct=1000", []error{ErrSyntax, ErrInvalidValue}},
		{"ri too large", "v=DMARC1; p=none; ri=4294967296", []error{ErrSyntax, ErrInvalidValue}},
		{"rua without scheme", "v=DMARC1; p=none; rua=d@example.com", []error{ErrSyntax, ErrInvalidValue}},
		{"rua space separated", "v=DMARC1; p=none; rua=mailto:a@example.com mailto:b@example.com", []error{ErrSyntax, ErrInvalidValue}},
		{"rua trailing comma", "v=DMARC1; p=none; rua=mailto:a@example.com,", []error{ErrSyntax, ErrInvalidValue}},
		{"rua bad size", "v=DMARC1; p=none; rua=mailto:a@example.com!10x", []error{ErrSyntax, ErrInvalidValue}},
		{"empty value", "v=DMARC1; p=", []error{ErrSyntax}},
		{"empty tag", "v=DMARC1;; p=none", []error{ErrSyntax}},
		{"no equals", "v=DMARC1; p", []error{ErrSyntax}},
		{"digit in tag name", "v=DMARC1; p1=none", []error{ErrSyntax}},
		{"non-ASCII", "v=DMARC1; p=none; x=é", []error{ErrSyntax}},
		{"control character", "v=DMARC1; p=none\n", []error{ErrSyntax}},
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
			if !strings.HasPrefix(err.Error(), "dmarc: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// assertRoundTrip checks that String prints r as text that parses back to r.
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

func TestString(t *testing.T) {
	tests := []struct {
		name string
		in   *Record
		want string
	}{
		{"empty record", &Record{}, "v=DMARC1"},
		{"p only", &Record{P: Reject}, "v=DMARC1; p=reject"},
		{
			name: "canonical order with p second",
			in: &Record{
				FO: "1", RUF: []string{"mailto:f@example.com"}, RUA: []string{"mailto:a@example.com", "mailto:b@example.net"},
				ASPF: Strict, ADKIM: Strict, NP: Reject, SP: Quarantine, P: Reject, T: "n", PSD: "n",
			},
			want: "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=s; t=n; psd=n; " +
				"rua=mailto:a@example.com,mailto:b@example.net; ruf=mailto:f@example.com; fo=1",
		},
		{
			name: "legacy tags only when set, unknown tags last",
			in:   &Record{P: None, PCT: intp(50), RI: intp(3600), Unknown: []Tag{{"x", "1"}}},
			want: "v=DMARC1; p=none; pct=50; ri=3600; x=1",
		},
		{
			name: "no p",
			in:   &Record{RUA: []string{"mailto:a@example.com"}},
			want: "v=DMARC1; rua=mailto:a@example.com",
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

func TestParseStringCanonicalizes(t *testing.T) {
	in := "v=DMARC1;rua=mailto:a@example.com;P=REJECT;fo=0 : d;pct=100;ruf=mailto:f@example.com;"
	want := "v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=mailto:f@example.com; fo=0:d; pct=100"
	r, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// problemKey is what the Validate tests compare: which tag, how bad, which
// rule.
type problemKey struct {
	Severity Severity
	Tag      string
	Code     string
}

func keys(ps []Problem) []problemKey {
	var ks []problemKey
	for _, p := range ps {
		ks = append(ks, problemKey{p.Severity, p.Tag, p.Code})
	}
	return ks
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
		{
			name: "good record",
			in:   &Record{P: Reject, SP: Reject, RUA: []string{"mailto:dmarc@example.com"}},
		},
		{
			name: "p=none warns",
			in:   &Record{P: None, RUA: []string{"mailto:dmarc@example.com"}},
			want: []problemKey{{Warning, "p", "dmarc-policy-none"}},
		},
		{
			name: "no p but rua: treated as none",
			in:   &Record{RUA: []string{"mailto:dmarc@example.com"}},
			want: []problemKey{{Warning, "p", "dmarc-policy-missing"}},
		},
		{
			name: "no p and no rua: no DMARC processing",
			in:   &Record{ADKIM: Strict},
			want: []problemKey{{Error, "p", "dmarc-policy-missing-no-rua"}},
		},
		{
			name: "invalid policies",
			in:   &Record{P: "block", SP: "x", NP: "y"},
			want: []problemKey{
				{Error, "p", "dmarc-policy-invalid"},
				{Error, "sp", "dmarc-policy-invalid"},
				{Error, "np", "dmarc-policy-invalid"},
			},
		},
		{
			name: "sp=none under enforcing p",
			in:   &Record{P: Reject, SP: None},
			want: []problemKey{{Warning, "sp", "dmarc-subdomain-policy-none"}},
		},
		{
			name: "np=none under enforcing p",
			in:   &Record{P: Quarantine, NP: None},
			want: []problemKey{{Warning, "np", "dmarc-subdomain-policy-none"}},
		},
		{
			name: "invalid alignment, t and psd",
			in:   &Record{P: Reject, ADKIM: "x", ASPF: "relaxed", T: "yes", PSD: "maybe"},
			want: []problemKey{
				{Error, "adkim", "dmarc-alignment-invalid"},
				{Error, "aspf", "dmarc-alignment-invalid"},
				{Error, "t", "dmarc-testing-invalid"},
				{Error, "psd", "dmarc-psd-invalid"},
			},
		},
		{
			name: "testing mode and psd=y warn",
			in:   &Record{P: Quarantine, T: "y", PSD: "y"},
			want: []problemKey{{Warning, "t", "dmarc-testing-mode"}, {Warning, "psd", "dmarc-psd-public-suffix"}},
		},
		{
			name: "legacy tags warn; pct out of range is an error",
			in:   &Record{P: Reject, PCT: intp(101), RF: "afrf", RI: intp(86400)},
			want: []problemKey{
				{Error, "pct", "dmarc-legacy-pct-range"},
				{Warning, "pct", "dmarc-legacy-pct"},
				{Warning, "rf", "dmarc-legacy-rf"},
				{Warning, "ri", "dmarc-legacy-ri"},
			},
		},
		{
			name: "negative pct",
			in:   &Record{P: Reject, PCT: intp(-1)},
			want: []problemKey{{Error, "pct", "dmarc-legacy-pct-range"}, {Warning, "pct", "dmarc-legacy-pct"}},
		},
		{
			name: "invalid rf and ri",
			in:   &Record{P: Reject, RF: "afrf:-x", RI: intp(-1)},
			want: []problemKey{
				{Error, "rf", "dmarc-legacy-rf-invalid"},
				{Warning, "rf", "dmarc-legacy-rf"},
				{Error, "ri", "dmarc-legacy-ri-range"},
				{Warning, "ri", "dmarc-legacy-ri"},
			},
		},
		{
			name: "report URIs",
			in: &Record{P: Reject, RUA: []string{
				"mailto:ok@example.com",
				"https://reports.example.com/dmarc",
				"mailto:no-at-sign.example.com",
				"mailto:a@localhost",
				"mailto:big@example.com!10m",
				"example.com",
			}},
			want: []problemKey{
				{Warning, "rua", "dmarc-uri-not-mailto"},
				{Error, "rua", "dmarc-uri-mailto-invalid"},
				{Error, "rua", "dmarc-uri-mailto-invalid"},
				{Warning, "rua", "dmarc-uri-size-limit"},
				{Error, "rua", "dmarc-uri-invalid"},
			},
		},
		{
			name: "empty rua and unencoded separators in ruf",
			in: &Record{P: Reject, RUA: []string{}, RUF: []string{
				"mailto:a@example.com,b@example.com",
				"mailto:a@example.com?subject=a;b",
			}},
			want: []problemKey{
				{Error, "rua", "dmarc-uri-list-empty"},
				{Error, "ruf", "dmarc-uri-unencoded-separator"},
				{Error, "ruf", "dmarc-uri-unencoded-separator"},
			},
		},
		{
			name: "ruf with encoded address is fine",
			in:   &Record{P: Reject, RUF: []string{"mailto:dmarc%2Bfail@example.com?subject=x"}, FO: "1"},
		},
		{
			name: "fo without ruf, with 0 and 1",
			in:   &Record{P: Reject, FO: "0:1"},
			want: []problemKey{{Warning, "fo", "dmarc-fo-conflict"}, {Warning, "fo", "dmarc-fo-without-ruf"}},
		},
		{
			name: "fo repeats an option",
			in:   &Record{P: Reject, RUF: []string{"mailto:f@example.com"}, FO: "d:s:d"},
			want: []problemKey{{Warning, "fo", "dmarc-fo-duplicate"}},
		},
		{
			name: "invalid fo",
			in:   &Record{P: Reject, RUF: []string{"mailto:f@example.com"}, FO: "x"},
			want: []problemKey{{Error, "fo", "dmarc-fo-invalid"}},
		},
		{
			name: "unknown tags",
			in:   &Record{P: Reject, Unknown: []Tag{{"zz", "1"}, {"p", "none"}, {"bad name", "1"}, {"e", ""}, {"zz", "2"}}},
			want: []problemKey{
				{Warning, "zz", "dmarc-tag-unknown"},
				{Error, "p", "dmarc-tag-reserved"},
				{Error, "bad name", "dmarc-tag-name-invalid"},
				{Error, "e", "dmarc-tag-value-invalid"},
				{Error, "zz", "dmarc-tag-duplicate"},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range validateTests() {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.Validate()
			if diff := cmp.Diff(tt.want, keys(got)); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s\nfull problems: %+v", diff, got)
			}
			for _, p := range got {
				if p.Message == "" || !strings.HasPrefix(p.RFC, "RFC ") {
					t.Errorf("problem %+v lacks a message or an RFC citation", p)
				}
			}
			codecheck.Problems(t, Codes, got)
		})
	}
}

func TestValidateMessages(t *testing.T) {
	r := &Record{P: Reject, PCT: intp(50)}
	got := r.Validate()
	codecheck.Problems(t, Codes, got)
	if len(got) != 1 || !strings.Contains(got[0].Message, "50%") || !strings.Contains(got[0].Message, "ignore") {
		t.Errorf("Validate() = %+v, want one warning explaining pct=50", got)
	}
}

func TestPolicyStrength(t *testing.T) {
	tests := []struct {
		a, b Policy
		want bool
	}{
		{Quarantine, Reject, true},
		{None, Quarantine, true},
		{None, Reject, true},
		{Reject, Quarantine, false},
		{Reject, Reject, false},
		{"", None, false},
		{"", Quarantine, true},
		{"bogus", None, true},
	}
	for _, tt := range tests {
		if got := Weaker(tt.a, tt.b); got != tt.want {
			t.Errorf("Weaker(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIsReportAuthorization(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"v=DMARC1;", true},
		{"v=DMARC1", true},
		{"v=DMARC1; ", true},
		{"v=DMARC1; rua=mailto:reports@example.net", true},
		{ReportAuthorizationRecord, true},
		{"v=DMARC1 ;", true},
		{"", false},
		{"v=dmarc1;", false},
		{"v=DMARC1;;", false},
		{"rua=mailto:a@example.net; v=DMARC1", false},
		{"v=spf1 -all", false},
		{"v=DMARC1; v=DMARC1", false},
	}
	for _, tt := range tests {
		if got := IsReportAuthorization(tt.in); got != tt.want {
			t.Errorf("IsReportAuthorization(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestReportAuthorizationName(t *testing.T) {
	tests := []struct{ domain, dest, want string }{
		{"example.com", "example.net", "example.com._report._dmarc.example.net"},
		{"example.com.", "example.net.", "example.com._report._dmarc.example.net."},
		{"*", "example.net", "*._report._dmarc.example.net"},
	}
	for _, tt := range tests {
		if got := ReportAuthorizationName(tt.domain, tt.dest); got != tt.want {
			t.Errorf("ReportAuthorizationName(%q, %q) = %q, want %q", tt.domain, tt.dest, got, tt.want)
		}
	}
}

func TestReportDomain(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "mailto:dmarc@reports.example.net", want: "reports.example.net"},
		{in: "MAILTO:dmarc@Example.COM.", want: "example.com"},
		{in: "mailto:dmarc@example.com!10m", want: "example.com"},
		{in: "mailto:dmarc%40x@example.org?subject=dmarc", want: "example.org"},
		{in: "https://r.example.net/dmarc", want: "r.example.net"},
		{in: "mailto:no-at-sign", wantErr: true},
		{in: "mailto:a@b", wantErr: true},
		{in: "mailto:a@example.com,b@example.org", wantErr: true},
		{in: "ftp://example.com/x", wantErr: true},
		{in: "example.com", wantErr: true},
		{in: "https://192.0.2.1/x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ReportDomain(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidURI) {
				t.Errorf("ReportDomain(%q) = %q, %v; want ErrInvalidURI", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ReportDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		in   Problem
		want string
	}{
		{Problem{Severity: Warning, Tag: "p", Message: "p=none is monitoring only", RFC: "RFC 9989 section 4.7"}, `warning: "p": p=none is monitoring only (RFC 9989 section 4.7)`},
		{Problem{Severity: Error, Message: "broken"}, "error: broken"},
		{Problem{Message: "unset"}, "Severity(0): unset"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
