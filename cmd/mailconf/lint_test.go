package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailconf/mailconf/resolve/dnstest"
)

// lintServer serves an example's own zone files and the zones of the
// outside world it depends on (testdata/lint/<example>/*.zone), as the
// live DNS of a lint run.
func lintServer(t *testing.T, example string) string {
	t.Helper()
	var zones []string
	for _, pattern := range []string{
		filepath.Join("..", "..", "examples", example, "zones", "*.zone"),
		filepath.Join("..", "..", "testdata", "lint", example, "*.zone"),
	} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			zones = append(zones, string(b))
		}
	}
	return dnstest.NewServer(t, zones...).Addr()
}

func TestLintGolden(t *testing.T) {
	for _, ex := range []string{"quickstart", "parked", "fleet"} {
		t.Run(ex, func(t *testing.T) {
			addr := lintServer(t, ex)
			dir := filepath.Join("..", "..", "examples", ex)
			for _, f := range []struct{ format, file string }{
				{"text", "lint.txt"}, {"json", "lint.json"}, {"sarif", "lint.sarif"},
			} {
				code, out, errOut := runCmd(t, nil, "lint", "-c", dir, "--resolver", addr, "--format", f.format)
				if code == 1 {
					t.Fatalf("lint could not run: %s", errOut)
				}
				golden(t, filepath.Join("lint", ex, f.file), out)
			}
		})
	}
}

// TestLintCounts checks the findings against counts made by hand from the
// examples and their zones.
func TestLintCounts(t *testing.T) {
	for _, tc := range []struct {
		example string
		code    int
		counts  map[string]int
	}{
		// Three active DKIM selectors declared, none published yet: the
		// relay would sign with keys nobody can verify.
		{"quickstart", 2, map[string]int{"dkim-active-key-not-served": 3}},
		// example.com authorized two of the three parked domains' reports.
		{"parked", 2, map[string]int{"dmarc-report-unauthorized": 1}},
		// 50 clients: each selector unpublished; reports.example.net
		// authorizes everyone with a wildcard; the include costs 2 lookups.
		{"fleet", 2, map[string]int{"dkim-active-key-not-served": 50, "dmarc-report-unauthorized": 0}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			addr := lintServer(t, tc.example)
			code, out, errOut := runCmd(t, nil, "lint", "-c", filepath.Join("..", "..", "examples", tc.example), "--resolver", addr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for c, n := range tc.counts {
				if got := countCode(out, c); got != n {
					t.Errorf("%s: %d findings, want %d\n%s", c, got, n, out)
				}
			}
		})
	}
}

func countCode(out, code string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[1] == code {
			n++
		}
	}
	return n
}

func TestLintOffline(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "lint", "-c", "../../examples/quickstart", "--offline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Offline: skipped", "spf-analysis", "dmarc-report-unauthorized", "mx-no-address"} {
		if !strings.Contains(out, want) {
			t.Errorf("offline lint output lacks %q:\n%s", want, out)
		}
	}
}

func TestLintExplainSPF(t *testing.T) {
	addr := lintServer(t, "fleet")
	code, out, errOut := runCmd(t, nil, "lint", "-c", "../../examples/fleet", "--resolver", addr, "--explain-spf", "client07.example")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "lint/fleet/explain-spf.txt", out)
	if code, _, errOut := runCmd(t, nil, "lint", "-c", "../../examples/fleet", "--offline", "--explain-spf", "client07.example"); code != 1 || !strings.Contains(errOut, "offline") {
		t.Errorf("explain offline: exit %d, %q", code, errOut)
	}
}
