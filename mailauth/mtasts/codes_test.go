package mtasts

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// codePattern is the shape of every code: kebab-case, prefixed with the
// protocol.
var codePattern = regexp.MustCompile(`^mtasts(-[a-z0-9]+)+$`)

// checkCodes fails t for every problem whose Code is empty or missing from
// Codes, or whose severity or citation differs from what Codes lists for it:
// a code names one rule, and a rule has one severity and one source.
func checkCodes(t testing.TB, ps []Problem) {
	t.Helper()
	for _, p := range ps {
		info, ok := codeInfo(p.Code)
		switch {
		case p.Code == "":
			t.Errorf("problem %q has no code", p)
		case !ok:
			t.Errorf("problem %q has code %q, which Codes does not list", p, p.Code)
		case p.Severity != info.Severity || p.RFC != info.RFC:
			t.Errorf("problem %q with code %s is a %v citing %q; Codes lists a %v citing %q",
				p, p.Code, p.Severity, p.RFC, info.Severity, info.RFC)
		}
	}
}

// codeInfo looks a code up in Codes.
func codeInfo(code string) (CodeInfo, bool) {
	for _, info := range Codes {
		if info.Code == code {
			return info, true
		}
	}
	return CodeInfo{}, false
}

// TestCodes checks that Codes documents each code once and completely, and
// that it lists exactly the codes the Validate cases of this package's table
// tests produce: none missing (checkCodes) and none that no case reaches.
func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, info := range Codes {
		if seen[info.Code] {
			t.Errorf("code %s is listed more than once", info.Code)
		}
		seen[info.Code] = true
		if !codePattern.MatchString(info.Code) {
			t.Errorf("code %q is not kebab-case with the mtasts- prefix", info.Code)
		}
		if info.Severity != Warning && info.Severity != Error {
			t.Errorf("code %s has severity %v", info.Code, info.Severity)
		}
		if info.RFC == "" {
			t.Errorf("code %s has no RFC citation", info.Code)
		}
		// Summaries are listed beside lint's own checks, which read as
		// one capitalized sentence without a final period.
		if first, _ := utf8.DecodeRuneInString(info.Summary); !unicode.IsUpper(first) || strings.HasSuffix(info.Summary, ".") {
			t.Errorf("code %s: summary %q is not a capitalized sentence without a final period", info.Code, info.Summary)
		}
	}

	produced := map[string]bool{}
	for _, ps := range validateProblems(t) {
		checkCodes(t, ps)
		for _, p := range ps {
			produced[p.Code] = true
		}
	}
	for _, info := range Codes {
		if !produced[info.Code] {
			t.Errorf("code %s is listed, but no Validate test case produces it", info.Code)
		}
	}
}

// validateProblems returns what Validate finds in each case of
// TestRecordValidate and TestPolicyValidate.
func validateProblems(t *testing.T) [][]Problem {
	t.Helper()
	var all [][]Problem
	for _, tt := range recordValidateTests() {
		all = append(all, tt.in.Validate())
	}
	for _, tt := range policyValidateTests() {
		all = append(all, tt.in.Validate())
	}
	return all
}
