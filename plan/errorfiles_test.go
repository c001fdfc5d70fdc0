package plan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

var markerRE = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

// TestErrorFiles loads each testdata/error-files/*.hcl on its own and
// checks that it yields exactly the diagnostics its "# ERROR: <summary>"
// and "# WARNING: <summary>" comments mark, on the lines they mark.
func TestErrorFiles(t *testing.T) {
	dir := filepath.Join("..", "testdata", "error-files")
	paths, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 30 {
		t.Fatalf("only %d error files; the suite needs at least 30", len(paths))
	}
	summaries := map[string]bool{}
	for _, p := range paths {
		for _, w := range markers(t, p) {
			summaries[w[strings.Index(w, " ")+1:]] = true
		}
	}
	if len(summaries) < 30 {
		t.Errorf("the error files cover %d distinct mistakes; want at least 30", len(summaries))
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".hcl"), func(t *testing.T) {
			want := markers(t, p)
			if len(want) == 0 {
				t.Fatalf("%s marks no diagnostic", p)
			}
			got := diagnose(p, dir)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diagnostics (-marked +got):\n%s", diff)
			}
		})
	}
}

func markers(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		if m := markerRE.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("%d %s: %s", i+1, m[1], m[2]))
		}
	}
	sort.Strings(out)
	return out
}

// diagnose runs what `mailconf validate` runs and lists the diagnostics as
// "LINE SEVERITY: Summary", checking each has a detail that says more.
func diagnose(path, dir string) []string {
	env := map[string]string{"MAILCONF_TEST_SET": "value"}
	cfg, diags := schema.LoadFiles(dir, []string{path}, schema.Options{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if !diags.HasErrors() {
		_, ds := plan.Compile(cfg)
		diags = append(diags, ds...)
	}
	var out []string
	for _, d := range diags {
		sev := "ERROR"
		if d.Severity == hcl.DiagWarning {
			sev = "WARNING"
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
			if filepath.Base(d.Subject.Filename) != filepath.Base(path) {
				line = -1
			}
		}
		s := fmt.Sprintf("%d %s: %s", line, sev, d.Summary)
		if d.Detail == "" {
			s += " (no detail)"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
