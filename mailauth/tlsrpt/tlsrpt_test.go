package tlsrpt

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
		{"mailto", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", &Record{RUA: []string{"mailto:tlsrpt@example.com"}}},
		{"https", "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt;", &Record{RUA: []string{"https://reporting.example.com/v1/tlsrpt"}}},
		{
			"list with whitespace",
			"v=TLSRPTv1 ; rua=mailto:a@example.com , https://r.example.net/x ; ",
			&Record{RUA: []string{"mailto:a@example.com", "https://r.example.net/x"}},
		},
		{
			"extensions kept in order",
			"v=TLSRPTv1; x.1=a; rua=mailto:a@example.com; y_2=b:c",
			&Record{RUA: []string{"mailto:a@example.com"}, Extensions: []Tag{{"x.1", "a"}, {"y_2", "b:c"}}},
		},
		{"other schemes parse; Validate objects", "v=TLSRPTv1; rua=ftp://example.com/x", &Record{RUA: []string{"ftp://example.com/x"}}},
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
			back, err := Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(String() = %q): %v", got.String(), err)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("round trip mismatch (-before +after):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []error
	}{
		{"empty", "", []error{ErrNotTLSRPT}},
		{"other record", "v=STSv1; id=1", []error{ErrNotTLSRPT}},
		{"lower-case version", "v=tlsrptv1; rua=mailto:a@example.com", []error{ErrNotTLSRPT}},
		{"whitespace around equals", "v = TLSRPTv1; rua=mailto:a@example.com", []error{ErrNotTLSRPT}},
		{"version only", "v=TLSRPTv1", []error{ErrSyntax, ErrMissingRUA}},
		{"version and separator only", "v=TLSRPTv1;", []error{ErrSyntax, ErrMissingRUA}},
		{"upper-case rua is an extension", "v=TLSRPTv1; RUA=mailto:a@example.com", []error{ErrSyntax, ErrMissingRUA}},
		{"duplicate rua", "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", []error{ErrSyntax, ErrDuplicateField}},
		{"trailing comma", "v=TLSRPTv1; rua=mailto:a@example.com,", []error{ErrSyntax}},
		{"empty rua", "v=TLSRPTv1; rua=", []error{ErrSyntax}},
		{"not a URI", "v=TLSRPTv1; rua=a@example.com", []error{ErrSyntax}},
		{"unencoded exclamation point", "v=TLSRPTv1; rua=mailto:a@example.com!10m", []error{ErrSyntax}},
		{"space before equals", "v=TLSRPTv1; rua =mailto:a@example.com", []error{ErrSyntax}},
		{"empty field", "v=TLSRPTv1;; rua=mailto:a@example.com", []error{ErrSyntax}},
		{"control character", "v=TLSRPTv1; rua=mailto:a@example.com\n", []error{ErrSyntax}},
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
			if !strings.HasPrefix(err.Error(), "tlsrpt: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestString(t *testing.T) {
	r := &Record{RUA: []string{"mailto:a@example.com", "https://r.example.net/v1"}, Extensions: []Tag{{"x", "1"}}}
	if got, want := r.String(), "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.net/v1; x=1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// problemKey is what the Validate tests compare: how bad, which field, which
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
		{"good", &Record{RUA: []string{"mailto:tlsrpt@example.com", "https://r.example.net/v1"}}, nil},
		{"encoded address", &Record{RUA: []string{"mailto:tls%2Brpt@example.com?subject=tlsrpt"}}, nil},
		{"no rua", &Record{}, []problemKey{{Error, "rua", "tlsrpt-rua-missing"}}},
		{
			"bad URIs",
			&Record{RUA: []string{
				"ftp://example.com/x", "http://r.example.net/", "mailto:nobody", "mailto:a@localhost",
				"https://192.0.2.1/x", "example.com", "mailto:tlsrpt@example.com", "mailto:tlsrpt@example.com",
			}},
			[]problemKey{
				{Error, "rua", "tlsrpt-rua-scheme-unsupported"},
				{Error, "rua", "tlsrpt-rua-scheme-unsupported"},
				{Error, "rua", "tlsrpt-rua-mailto-invalid"},
				{Error, "rua", "tlsrpt-rua-mailto-invalid"},
				{Error, "rua", "tlsrpt-rua-host-not-fqdn"},
				{Error, "rua", "tlsrpt-rua-invalid"},
				{Warning, "rua", "tlsrpt-rua-duplicate"},
			},
		},
		{
			"https URL that does not parse",
			&Record{RUA: []string{"https://r.example.net/%zz"}},
			[]problemKey{{Error, "rua", "tlsrpt-rua-invalid"}},
		},
		{
			"extensions",
			&Record{RUA: []string{"mailto:a@example.com"}, Extensions: []Tag{{"x", "1"}, {"rua", "y"}, {"z", ""}, {"_", "1"}}},
			[]problemKey{
				{Warning, "x", "tlsrpt-field-unknown"},
				{Error, "rua", "tlsrpt-field-duplicate"},
				{Error, "z", "tlsrpt-field-value-invalid"},
				{Error, "_", "tlsrpt-field-name-invalid"},
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
				if p.Message == "" || !strings.HasPrefix(p.RFC, "RFC ") {
					t.Errorf("problem %+v lacks a message or an RFC citation", p)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordName(t *testing.T) {
	if got, want := RecordName("example.com"), "_smtp._tls.example.com"; got != want {
		t.Errorf("RecordName = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
		"v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt;",
		"v=TLSRPTv1 ; rua=mailto:a@example.com , https://r.example.net/x ; ",
		"v=TLSRPTv1; x.1=a; rua=mailto:a@example.com; y_2=b:c",
		"v=TLSRPTv1; rua=mailto:a@example.com,",
		"v=TLSRPTv1; rua=a; rua=b",
		"v=TLSRPTv1",
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
