package mtasts

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
		{"RFC example", "v=STSv1; id=20160831085700Z;", &Record{ID: "20160831085700Z"}},
		{"no trailing separator", "v=STSv1; id=abc", &Record{ID: "abc"}},
		{"no whitespace", "v=STSv1;id=abc;", &Record{ID: "abc"}},
		{"whitespace around separators", "v=STSv1 \t;  id=abc ; ", &Record{ID: "abc"}},
		{"32-character id", "v=STSv1; id=" + strings.Repeat("a1", 16), &Record{ID: strings.Repeat("a1", 16)}},
		{
			"extensions kept in order",
			"v=STSv1; ext-b=x; id=1; a.c_d=y:z",
			&Record{ID: "1", Extensions: []Tag{{"ext-b", "x"}, {"a.c_d", "y:z"}}},
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
		{"empty", "", []error{ErrNotMTASTS}},
		{"other record", "v=spf1 -all", []error{ErrNotMTASTS}},
		{"lower-case version", "v=stsv1; id=1", []error{ErrNotMTASTS}},
		{"other version", "v=STSv10; id=1", []error{ErrNotMTASTS}},
		{"whitespace around equals", "v = STSv1; id=1", []error{ErrNotMTASTS}},
		{"leading whitespace", " v=STSv1; id=1", []error{ErrNotMTASTS}},
		{"version only", "v=STSv1", []error{ErrSyntax, ErrMissingField}},
		{"no id", "v=STSv1;", []error{ErrSyntax, ErrMissingField}},
		{"upper-case id field", "v=STSv1; ID=1", []error{ErrSyntax, ErrMissingField}},
		{"id too long", "v=STSv1; id=" + strings.Repeat("a", 33), []error{ErrSyntax}},
		{"id with punctuation", "v=STSv1; id=2024-01-01", []error{ErrSyntax}},
		{"empty id", "v=STSv1; id=", []error{ErrSyntax}},
		{"duplicate id", "v=STSv1; id=1; id=2", []error{ErrSyntax, ErrDuplicateField}},
		{"space in id", "v=STSv1; id=a b", []error{ErrSyntax}},
		{"space before equals", "v=STSv1; id =1", []error{ErrSyntax}},
		{"empty field", "v=STSv1;; id=1", []error{ErrSyntax}},
		{"extension value with equals", "v=STSv1; id=1; x=a=b", []error{ErrSyntax}},
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
			if !strings.HasPrefix(err.Error(), "mtasts: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestRecordString(t *testing.T) {
	r := &Record{ID: "abc123", Extensions: []Tag{{"x", "1"}}}
	if got, want := r.String(), "v=STSv1; id=abc123; x=1"; got != want {
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

func keys(ps []Problem) []problemKey {
	var ks []problemKey
	for _, p := range ps {
		ks = append(ks, problemKey{p.Severity, p.Tag, p.Code})
	}
	return ks
}

// recordValidateTest is a case of TestRecordValidate.
type recordValidateTest struct {
	name string
	in   *Record
	want []problemKey
}

// recordValidateTests returns the cases of TestRecordValidate; TestCodes runs
// them too.
func recordValidateTests() []recordValidateTest {
	return []recordValidateTest{
		{"good", &Record{ID: "20240101"}, nil},
		{"empty id", &Record{}, []problemKey{{Error, "id", "mtasts-id-invalid"}}},
		{"bad id", &Record{ID: "2024-01-01"}, []problemKey{{Error, "id", "mtasts-id-invalid"}}},
		{
			"extensions",
			&Record{ID: "1", Extensions: []Tag{{"x", "1"}, {"id", "2"}, {"y", "a b"}, {"-z", "1"}}},
			[]problemKey{
				{Warning, "x", "mtasts-field-unknown"},
				{Error, "id", "mtasts-field-duplicate"},
				{Error, "y", "mtasts-record-field-value-invalid"},
				{Error, "-z", "mtasts-record-field-name-invalid"},
			},
		},
	}
}

func TestRecordValidate(t *testing.T) {
	for _, tt := range recordValidateTests() {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.Validate()
			codecheck.Problems(t, Codes, got)
			if diff := cmp.Diff(tt.want, keys(got)); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

const rfcExamplePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n"

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Policy
	}{
		{
			name: "RFC example",
			in:   rfcExamplePolicy,
			want: &Policy{Mode: Enforce, MX: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, MaxAge: 604800},
		},
		{
			name: "LF line ends, no final terminator, fields in any order",
			in:   "mode: testing\nmax_age: 86400\nversion: STSv1\nmx: mx.example.com",
			want: &Policy{Mode: Testing, MX: []string{"mx.example.com"}, MaxAge: 86400},
		},
		{
			name: "no whitespace after colon, trailing whitespace",
			in:   "version:STSv1\nmode:none \t\nmax_age:0\n",
			want: &Policy{Mode: None, MaxAge: 0},
		},
		{
			name: "mode none needs no mx",
			in:   "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n",
			want: &Policy{Mode: None, MaxAge: 86400},
		},
		{
			name: "extensions kept, UTF-8 allowed",
			in:   "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\nx-note: héllo wörld\n",
			want: &Policy{Mode: Enforce, MX: []string{"mx.example.com"}, MaxAge: 86400, Extensions: []Tag{{"x-note", "héllo wörld"}}},
		},
		{
			name: "max_age above the limit parses; Validate objects",
			in:   "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 9999999999\n",
			want: &Policy{Mode: Enforce, MX: []string{"mx.example.com"}, MaxAge: 9999999999},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy(tt.in)
			if err != nil {
				t.Fatalf("ParsePolicy(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePolicy mismatch (-want +got):\n%s", diff)
			}
			back, err := ParsePolicy(got.String())
			if err != nil {
				t.Fatalf("ParsePolicy(String() = %q): %v", got.String(), err)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("round trip mismatch (-before +after):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []error
	}{
		{"empty", "", []error{ErrSyntax}},
		{"missing version", "mode: enforce\nmx: mx.example.com\nmax_age: 86400\n", []error{ErrSyntax, ErrMissingField}},
		{"missing mode", "version: STSv1\nmx: mx.example.com\nmax_age: 86400\n", []error{ErrSyntax, ErrMissingField}},
		{"missing max_age", "version: STSv1\nmode: enforce\nmx: mx.example.com\n", []error{ErrSyntax, ErrMissingField}},
		{"wrong version", "version: STSv2\nmode: none\nmax_age: 1\n", []error{ErrSyntax}},
		{"upper-case mode value", "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", []error{ErrSyntax}},
		{"duplicate mode", "version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 1\n", []error{ErrSyntax, ErrDuplicateField}},
		{"negative max_age", "version: STSv1\nmode: none\nmax_age: -1\n", []error{ErrSyntax}},
		{"max_age eleven digits", "version: STSv1\nmode: none\nmax_age: 10000000000\n", []error{ErrSyntax}},
		{"wildcard inside", "version: STSv1\nmode: enforce\nmx: mx.*.example.com\nmax_age: 1\n", []error{ErrSyntax}},
		{"bare wildcard", "version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n", []error{ErrSyntax}},
		{"trailing dot", "version: STSv1\nmode: enforce\nmx: mx.example.com.\nmax_age: 1\n", []error{ErrSyntax}},
		{"blank line", "version: STSv1\n\nmode: none\nmax_age: 1\n", []error{ErrSyntax}},
		{"space before colon", "version : STSv1\nmode: none\nmax_age: 1\n", []error{ErrSyntax}},
		{"no colon", "version STSv1\n", []error{ErrSyntax}},
		{"invalid UTF-8", "version: STSv1\nmode: none\nmax_age: 1\nx: \xff\n", []error{ErrSyntax}},
		{"control character in extension", "version: STSv1\nmode: none\nmax_age: 1\nx: a\x01b\n", []error{ErrSyntax}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy(tt.in)
			if err == nil {
				t.Fatalf("ParsePolicy(%q) = %+v, want error", tt.in, got)
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("ParsePolicy(%q) error %q does not wrap %q", tt.in, err, want)
				}
			}
		})
	}
}

func TestPolicyString(t *testing.T) {
	p := &Policy{
		Mode:       Enforce,
		MX:         []string{"mail.example.com", "*.example.net", "backupmx.example.com"},
		MaxAge:     604800,
		Extensions: []Tag{{"x", "y"}},
	}
	want := rfcExamplePolicy + "x: y\r\n"
	if got := p.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestPolicyID(t *testing.T) {
	a := &Policy{Mode: Enforce, MX: []string{"mx1.example.com"}, MaxAge: 604800}
	id := a.ID()
	if !isID(id) || len(id) != 32 || strings.ToLower(id) != id {
		t.Fatalf("ID() = %q, want 32 lower-case hex digits", id)
	}
	if again := (&Policy{Mode: Enforce, MX: []string{"mx1.example.com"}, MaxAge: 604800}).ID(); again != id {
		t.Errorf("ID() of an equal policy = %q, want %q", again, id)
	}
	for name, other := range map[string]*Policy{
		"mode":    {Mode: Testing, MX: []string{"mx1.example.com"}, MaxAge: 604800},
		"mx":      {Mode: Enforce, MX: []string{"mx2.example.com"}, MaxAge: 604800},
		"mx list": {Mode: Enforce, MX: []string{"mx1.example.com", "mx2.example.com"}, MaxAge: 604800},
		"max_age": {Mode: Enforce, MX: []string{"mx1.example.com"}, MaxAge: 604801},
	} {
		if other.ID() == id {
			t.Errorf("changing %s did not change the id", name)
		}
	}
	// The id depends on nothing but the text: a record built from it parses.
	r, err := Parse((&Record{ID: id}).String())
	if err != nil || r.ID != id {
		t.Errorf("Parse of a record with the derived id: %v, %v", r, err)
	}
}

// policyValidateTest is a case of TestPolicyValidate.
type policyValidateTest struct {
	name string
	in   *Policy
	want []problemKey
}

// policyValidateTests returns the cases of TestPolicyValidate; TestCodes runs
// them too.
func policyValidateTests() []policyValidateTest {
	mx := []string{"mx.example.com"}
	return []policyValidateTest{
		{"good enforce", &Policy{Mode: Enforce, MX: mx, MaxAge: 604800}, nil},
		{"good none", &Policy{Mode: None, MaxAge: 86400}, nil},
		{"maximum max_age", &Policy{Mode: Testing, MX: mx, MaxAge: MaxMaxAge}, nil},
		{"no mode", &Policy{MX: mx, MaxAge: 604800}, []problemKey{{Error, "mode", "mtasts-mode-missing"}}},
		{"bad mode", &Policy{Mode: "strict", MX: mx, MaxAge: 604800}, []problemKey{{Error, "mode", "mtasts-mode-invalid"}}},
		{"no mx for enforce", &Policy{Mode: Enforce, MaxAge: 604800}, []problemKey{{Error, "mx", "mtasts-mx-missing"}}},
		{"no mx for testing", &Policy{Mode: Testing, MaxAge: 604800}, []problemKey{{Error, "mx", "mtasts-mx-missing"}}},
		{"max_age over the limit", &Policy{Mode: Enforce, MX: mx, MaxAge: MaxMaxAge + 1}, []problemKey{{Error, "max_age", "mtasts-max-age-range"}}},
		{"negative max_age", &Policy{Mode: None, MaxAge: -1}, []problemKey{{Error, "max_age", "mtasts-max-age-range"}}},
		{"short max_age", &Policy{Mode: Enforce, MX: mx, MaxAge: 86400}, []problemKey{{Warning, "max_age", "mtasts-max-age-short"}}},
		{
			"mx patterns",
			&Policy{Mode: Enforce, MaxAge: 604800, MX: []string{
				"*.example.com", "mx.example.com.", "mx.*.example.com", "**.example.com", "MX.example.com", "mx.example.com", "localhost", "",
			}},
			[]problemKey{
				{Error, "mx", "mtasts-mx-trailing-dot"},
				{Error, "mx", "mtasts-mx-invalid"},
				{Error, "mx", "mtasts-mx-invalid"},
				{Warning, "mx", "mtasts-mx-duplicate"},
				{Warning, "mx", "mtasts-mx-single-label"},
				{Error, "mx", "mtasts-mx-invalid"},
			},
		},
		{
			"extensions",
			&Policy{Mode: None, MaxAge: 86400, Extensions: []Tag{{"x", "1"}, {"mode", "enforce"}, {"x", "2"}, {"y", " a"}, {"_z", "1"}}},
			[]problemKey{
				{Warning, "x", "mtasts-field-unknown"},
				{Error, "mode", "mtasts-policy-field-reserved"},
				{Error, "x", "mtasts-field-duplicate"},
				{Error, "y", "mtasts-policy-field-value-invalid"},
				{Error, "_z", "mtasts-policy-field-name-invalid"},
			},
		},
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, tt := range policyValidateTests() {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.Validate()
			codecheck.Problems(t, Codes, got)
			if diff := cmp.Diff(tt.want, keys(got)); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s\n%+v", diff, got)
			}
		})
	}
}

func TestMatchMX(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"mail.example.com", "mail.example.com", true},
		{"mail.example.com", "MAIL.Example.COM.", true},
		{"mail.example.com.", "mail.example.com", true},
		{"mail.example.com", "mail2.example.com", false},
		{"*.example.com", "mx1.example.com", true},
		{"*.example.com", "MX1.EXAMPLE.COM.", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", ".example.com", false},
		{"*.example.com", "mx1.example.net", false},
		{"*.example.com", "mx1example.com", false},
		{"", "", false},
		{"mail.example.com", "", false},
	}
	for _, tt := range tests {
		if got := MatchMX(tt.pattern, tt.host); got != tt.want {
			t.Errorf("MatchMX(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	if got, want := RecordName("example.com"), "_mta-sts.example.com"; got != want {
		t.Errorf("RecordName = %q, want %q", got, want)
	}
	if got, want := PolicyHost("example.com"), "mta-sts.example.com"; got != want {
		t.Errorf("PolicyHost = %q, want %q", got, want)
	}
	if got, want := PolicyURL("example.com"), "https://mta-sts.example.com/.well-known/mta-sts.txt"; got != want {
		t.Errorf("PolicyURL = %q, want %q", got, want)
	}
}
