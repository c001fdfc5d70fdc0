package fleetgen

import (
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/zonefile"
	"github.com/mailconf/mailconf/schema"
)

// readTree reads every file under dir, by path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	const n = 20
	var trees, drifted []map[string][]byte
	for range 2 {
		f, err := Generate(t.TempDir(), n)
		if err != nil {
			t.Fatal(err)
		}
		trees = append(trees, readTree(t, f.Dir))
		if _, err := f.Drift(); err != nil {
			t.Fatal(err)
		}
		drifted = append(drifted, readTree(t, f.Dir))
	}
	if got, want := len(trees[0]), n+3; got != want {
		t.Fatalf("%d files, want %d (mailconf.hcl, domains.hcl, the key and a zone per domain)", got, want)
	}
	for _, pair := range [][]map[string][]byte{trees, drifted} {
		for path, data := range pair[0] {
			if !bytes.Equal(data, pair[1][path]) {
				t.Errorf("%s differs between two fleets of %d domains", path, n)
			}
		}
	}
}

func TestGenerateRefusesUsedDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "other.hcl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(dir, 3); err == nil {
		t.Fatal("Generate wrote a fleet into a directory that was not empty")
	}
}

// TestZoneShape: each zone holds 8 mail records and 31 others.
func TestZoneShape(t *testing.T) {
	f, err := Generate(t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Domains {
		data, err := os.ReadFile(f.ZoneFile(d))
		if err != nil {
			t.Fatal(err)
		}
		zp := dns.NewZoneParser(bytes.NewReader(data), "", "")
		n := 0
		for _, ok := zp.Next(); ok; _, ok = zp.Next() {
			n++
		}
		if err := zp.Err(); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if n != MailRecords+OtherRecords {
			t.Errorf("%s holds %d records, want %d", d, n, MailRecords+OtherRecords)
		}
	}
}

// planFleet plans the fleet as `mailconf plan` does.
func planFleet(t *testing.T, f *Fleet) *plan.Plan {
	t.Helper()
	cfg, diags := schema.Load(f.Dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, diags := plan.CompileAt(cfg, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	clients := map[string]providers.Client{"provider.zonefile.local": zonefile.New(filepath.Join(f.Dir, "zones"))}
	live, err := plan.ReadLive(context.Background(), desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return plan.Diff(desired, live)
}

func changed(p *plan.Plan) []string {
	var out []string
	for _, d := range p.Domains {
		if len(d.Changes) > 0 {
			out = append(out, d.Domain)
		}
	}
	return out
}

func TestPlanInSyncThenDrifted(t *testing.T) {
	f, err := Generate(t.TempDir(), 20)
	if err != nil {
		t.Fatal(err)
	}
	p := planFleet(t, f)
	if p.HasChanges() || len(p.Domains) != 20 {
		t.Fatalf("a fresh fleet of 20 domains: %d domains planned, %+v; want 20 in sync", len(p.Domains), p.Summary)
	}
	// Notes (the site verifications left alone) are expected; nothing
	// worse is.
	for _, d := range p.Domains {
		for _, fd := range d.Findings {
			if fd.Severity != plan.SeverityNote {
				t.Errorf("%s: %s on a fresh fleet: %s", d.Domain, fd.Severity, fd.Message)
			}
		}
	}

	drifted, err := f.Drift()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"client00000.example", "client00010.example"}; !slices.Equal(drifted, want) {
		t.Fatalf("Drift drifted %v, want %v", drifted, want)
	}
	p = planFleet(t, f)
	if diff := cmp.Diff(drifted, changed(p)); diff != "" {
		t.Errorf("domains with changes (-drifted +planned):\n%s", diff)
	}
	// One SPF record updated, one DMARC record created.
	if p.Summary.Change != 1 || p.Summary.Add != 1 || p.Summary.Delete != 0 {
		t.Errorf("summary %+v, want 1 to add and 1 to change", p.Summary)
	}
	if p.Dangerous() != nil {
		t.Errorf("the drift needs --force: %v", p.Dangerous())
	}
}

func TestDriftedIsTenPercent(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{1, 1}, {10, 1}, {11, 2}, {100, 10}, {1000, 100}} {
		f := &Fleet{}
		for i := range tc.n {
			f.Domains = append(f.Domains, Name(i))
		}
		if got := len(f.Drifted()); got != tc.want {
			t.Errorf("%d domains: %d drifted, want %d", tc.n, got, tc.want)
		}
	}
}

func TestQuoteTXT(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"v=spf1 -all", `"v=spf1 -all"`},
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{long, `"` + long[:255] + `" "` + long[255:] + `"`},
	} {
		if got := quoteTXT(tc.in); got != tc.want {
			t.Errorf("quoteTXT(%.20q) = %.40q, want %.40q", tc.in, got, tc.want)
		}
	}
}

// TestNotImportedByProduction: only tests and the benchmark's own command
// may use the fleet (and its published test key).
func TestNotImportedByProduction(t *testing.T) {
	const self = "github.com/mailconf/mailconf/internal/fleetgen"
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || path == filepath.Join(root, "internal", "fleetgen")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == self || strings.HasPrefix(p, self+"/") {
				t.Errorf("%s imports %s, which is for tests and benchmarks only", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
