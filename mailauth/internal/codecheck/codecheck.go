// Package codecheck holds the checks that every mailauth record package's
// tests make of its list of problem codes (Codes) and of the problems its
// Validate reports, so that the six packages hold their catalogs to one
// convention: a code is kebab-case with the protocol prefix and listed once,
// Codes is sorted by code, a summary is one capitalized sentence without a
// final period, and a problem carries exactly the severity and citation its
// code is listed with.
//
// It is a test helper: it imports testing and only _test.go files may import
// it. Like the rest of mailauth, it must never do network I/O or read the
// clock.
package codecheck

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mailconf/mailconf/mailauth"
)

// codePattern is the shape of every code after the protocol prefix:
// kebab-case words of lowercase letters and digits.
var codePattern = regexp.MustCompile(`^(-[a-z0-9]+)+$`)

// Catalog fails t for every way codes breaks the conventions of a Codes list:
// a code listed twice, out of order, not kebab-case or not starting with
// prefix and a hyphen ("spf" for "spf-ptr"), and an entry without a valid
// severity, a summary that is one capitalized sentence without a final
// period, or a citation.
func Catalog(t testing.TB, prefix string, codes []mailauth.CodeInfo) {
	t.Helper()
	seen := map[string]bool{}
	for i, info := range codes {
		if seen[info.Code] {
			t.Errorf("code %s is listed more than once", info.Code)
		}
		seen[info.Code] = true
		// A sorted list is the one order a test can hold every package
		// to, and the one in which a reader finds a code fastest.
		if i > 0 && codes[i-1].Code > info.Code {
			t.Errorf("code %s is listed after %s: Codes is not sorted by code", info.Code, codes[i-1].Code)
		}
		rest, ok := strings.CutPrefix(info.Code, prefix)
		if !ok || !codePattern.MatchString(rest) {
			t.Errorf("code %q is not kebab-case with the %s- prefix", info.Code, prefix)
		}
		if info.Severity != mailauth.Warning && info.Severity != mailauth.Error {
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
}

// Problems fails t for every problem of ps that lacks a message, whose Code is
// empty or missing from codes, or whose severity or citation differs from
// what codes lists for it: a code names one rule, and a rule has one severity
// and one source.
func Problems(t testing.TB, codes []mailauth.CodeInfo, ps []mailauth.Problem) {
	t.Helper()
	for _, p := range ps {
		if p.Message == "" {
			t.Errorf("problem %+v has no message", p)
		}
		i := slices.IndexFunc(codes, func(info mailauth.CodeInfo) bool { return info.Code == p.Code })
		switch {
		case p.Code == "":
			t.Errorf("problem %q has no code", p)
		case i < 0:
			t.Errorf("problem %q has code %q, which Codes does not list", p, p.Code)
		case p.Severity != codes[i].Severity || p.RFC != codes[i].RFC:
			t.Errorf("problem %q with code %s is a %v citing %q; Codes lists a %v citing %q",
				p, p.Code, p.Severity, p.RFC, codes[i].Severity, codes[i].RFC)
		}
	}
}

// Recorder checks problems as Problems does and remembers their codes, so
// that a test can then require that every listed code was produced: a code
// no test reaches is either dead or untested.
type Recorder struct {
	codes    []mailauth.CodeInfo
	produced map[string]bool
}

// NewRecorder returns a Recorder for the codes of one package.
func NewRecorder(codes []mailauth.CodeInfo) *Recorder {
	return &Recorder{codes: codes, produced: map[string]bool{}}
}

// Check checks ps with Problems and records the codes they carry.
func (r *Recorder) Check(t testing.TB, ps []mailauth.Problem) {
	t.Helper()
	Problems(t, r.codes, ps)
	for _, p := range ps {
		r.produced[p.Code] = true
	}
}

// AllProduced fails t for every listed code that no problem given to Check
// carried.
func (r *Recorder) AllProduced(t testing.TB) {
	t.Helper()
	for _, info := range r.codes {
		if !r.produced[info.Code] {
			t.Errorf("code %s is listed, but no test case produces it", info.Code)
		}
	}
}
