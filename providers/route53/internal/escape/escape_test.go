package escape

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dkimText is the TXT text of a 2048-bit RSA DKIM key: 410 octets, more
// than one character-string holds.
var dkimText = "v=DKIM1; k=rsa; p=" + strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 9)[:392]

func TestFormatTXT(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"plain", "v=spf1 -all", `"v=spf1 -all"`},
		{"empty", "", `""`},
		{"quote and backslash", `say "hi" \o/`, `"say \"hi\" \\o/"`},
		{"quote at both ends", `"quoted"`, `"\"quoted\""`},
		{"non-ASCII as octal", "exämple", `"ex\303\244mple"`},
		{"control character", "a\tb", `"a\011b"`},
		{"exactly 255 octets", strings.Repeat("a", 255), `"` + strings.Repeat("a", 255) + `"`},
		{"256 octets", strings.Repeat("a", 256), `"` + strings.Repeat("a", 255) + `" "a"`},
		{"split counts octets, not escapes", strings.Repeat(`"`, 256), `"` + strings.Repeat(`\"`, 255) + `" "\""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatTXT(tc.text); got != tc.want {
				t.Errorf("FormatTXT(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseTXT(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        []string
		bad         bool
	}{
		{"one string", `"v=spf1 -all"`, []string{"v=spf1 -all"}, false},
		{"two strings", `"a" "b"`, []string{"a", "b"}, false},
		{"extra white space", ` "a"   "b" `, []string{"a", "b"}, false},
		{"octal escapes", `"ex\344mple"`, []string{"ex\xe4mple"}, false},
		{"escaped quote at the end", `"say \"hi\""`, []string{`say "hi"`}, false},
		{"escaped other character", `"\a\;"`, []string{"a;"}, false},
		{"unquoted word", `abc`, []string{"abc"}, false},
		{"unquoted words", `a b`, []string{"a", "b"}, false},
		{"empty string", `""`, []string{""}, false},
		{"unterminated", `"abc`, nil, true},
		{"lone backslash", `"abc\`, nil, true},
		{"short octal", `"\12"`, nil, true},
		{"octal beyond a byte", `"\477"`, nil, true},
		{"no space between strings", `"a""b"`, nil, true},
		{"quote inside a word", `ab"c"`, nil, true},
		{"nothing", ``, nil, true},
		{"only spaces", `   `, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTXT(tc.value)
			if tc.bad {
				if !errors.Is(err, ErrTXT) {
					t.Fatalf("ParseTXT(%q) = %q, %v; want ErrTXT", tc.value, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// TestTXTRoundTrip: whatever the text, formatting then parsing gives it
// back as one value, in strings of at most 255 octets.
func TestTXTRoundTrip(t *testing.T) {
	for _, text := range []string{"", "v=spf1 -all", dkimText, `"\"` + "\x00\xff", strings.Repeat("é", 300)} {
		v := FormatTXT(text)
		strs, err := ParseTXT(v)
		if err != nil {
			t.Fatalf("ParseTXT(FormatTXT(%q)): %v", text, err)
		}
		for _, s := range strs {
			if len(s) > MaxString {
				t.Errorf("%q has a %d-octet string", v, len(s))
			}
		}
		if got := strings.Join(strs, ""); got != text {
			t.Errorf("round trip of %q gave %q", text, got)
		}
	}
	if got := FormatTXT(dkimText); strings.Count(got, `" "`) != 1 {
		t.Errorf("a %d-octet DKIM text should be two strings: %q", len(dkimText), got)
	}
}

// FuzzParseTXT: parsing a Route 53 TXT value never panics; when it
// succeeds, writing the text back and parsing that gives the same text, in
// strings of at most 255 octets; and formatting any text parses back to it.
func FuzzParseTXT(f *testing.F) {
	for _, seed := range []string{
		`"v=spf1 -all"`, `"a" "b"`, `"ex\344mple"`, `"say \"hi\""`, `abc def`, `""`,
		`"\12"`, `"\477"`, `"a""b"`, `"abc\`, `"` + strings.Repeat("x", 300) + `"`,
		FormatTXT(dkimText), "\"\\000\\377\"", `"\\"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if back, err := TextOf(FormatTXT(value)); err != nil || back != value {
			t.Fatalf("FormatTXT(%q) parses back as %q, %v", value, back, err)
		}
		strs, err := ParseTXT(value)
		if err != nil {
			return
		}
		text := strings.Join(strs, "")
		again := FormatTXT(text)
		strs2, err := ParseTXT(again)
		if err != nil {
			t.Fatalf("ParseTXT(FormatTXT(%q)) = %v", text, err)
		}
		for _, s := range strs2 {
			if len(s) > MaxString {
				t.Fatalf("FormatTXT(%q) has a %d-octet string", text, len(s))
			}
		}
		if got := strings.Join(strs2, ""); got != text {
			t.Fatalf("round trip of %q gave %q", text, got)
		}
	})
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name, api, presentation string
	}{
		{"plain", "www.example.com.", "www.example.com."},
		{"no trailing dot", "www.example.com", "www.example.com."},
		{"upper case folds", "WWW.Example.COM.", "www.example.com."},
		{"wildcard", `\052.example.com.`, "*.example.com."},
		{"underscore", "_dmarc.example.com.", "_dmarc.example.com."},
		{"escaped dot stays escaped", `a\056b.example.com.`, `a\046b.example.com.`},
		{"space", `a\040b.example.com.`, `a\032b.example.com.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromAPIName(tc.api); got != tc.presentation {
				t.Errorf("FromAPIName(%q) = %q, want %q", tc.api, got, tc.presentation)
			}
		})
	}
	for _, tc := range []struct{ presentation, api string }{
		{"www.example.com.", "www.example.com."},
		{"*.example.com.", "*.example.com."},
		{`a\046b.example.com.`, `a\056b.example.com.`},
		{`a\.b.example.com.`, `a\056b.example.com.`},
		{`\097b.example.com.`, `ab.example.com.`},
	} {
		if got := ToAPIName(tc.presentation); got != tc.api {
			t.Errorf("ToAPIName(%q) = %q, want %q", tc.presentation, got, tc.api)
		}
	}
}

// FuzzParseName: a name as Route 53 lists it, turned into presentation
// form and back into Route 53's form, reads as the same presentation name.
func FuzzParseName(f *testing.F) {
	for _, seed := range []string{"www.example.com.", `\052.example.com.`, `a\056b.example.com.`, "WWW.Example.COM", `\`, `a\`, `\777.x.`, `a\040b.`, "."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p := FromAPIName(name)
		if !strings.HasSuffix(p, ".") {
			t.Fatalf("FromAPIName(%q) = %q has no trailing dot", name, p)
		}
		if again := FromAPIName(ToAPIName(p)); again != p {
			t.Fatalf("FromAPIName(%q) = %q, but through ToAPIName it reads %q", name, p, again)
		}
	})
}
