package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers/zonefile"
)

// planCases lists testdata/plan/<case>/: a configuration (mailconf.hcl),
// its live zones (zones/), and the expected plan in every format.
func planCases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "plan", "*", "mailconf.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Base(filepath.Dir(d)))
	}
	if len(out) < 15 {
		t.Fatalf("%d plan cases; want at least 15", len(out))
	}
	return out
}

func TestPlanGolden(t *testing.T) {
	for _, name := range planCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", "plan", name)
			for _, f := range []struct{ format, file string }{
				{"text", "plan.txt"}, {"json", "plan.json"}, {"markdown", "plan.md"},
			} {
				e := &env{stdin: strings.NewReader(""), httpClient: servedPolicies(filepath.Join(dir, "served"))}
				code, out, errOut := runOn(t, e, nil, "plan", "-c", dir, "--format", f.format, "--detailed-exitcode")
				if code == 1 && !strings.Contains(out, "error:") && !strings.Contains(out, `"severity": "error"`) && !strings.Contains(out, ":x:") {
					t.Fatalf("%s: exit 1 without an error finding; stderr:\n%s", f.format, errOut)
				}
				golden(t, filepath.Join("plan", name, f.file), out)
			}
		})
	}
}

// servedPolicies is an HTTP client that never leaves the process: it
// answers https://mta-sts.DOMAIN/.well-known/mta-sts.txt with dir/DOMAIN.txt
// as text/plain, and fails every other request as an unreachable host.
func servedPolicies(dir string) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		domain, ok := strings.CutPrefix(r.URL.Hostname(), "mta-sts.")
		if r.URL.Scheme != "https" || !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
			return nil, errors.New("no route to host (test)")
		}
		b, err := os.ReadFile(filepath.Join(dir, domain+".txt"))
		if err != nil {
			return nil, errors.New("connection refused (test)")
		}
		return &http.Response{
			StatusCode: http.StatusOK, Request: r,
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			Body:   io.NopCloser(bytes.NewReader(b)),
		}, nil
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// copyCase copies a plan case next to the keys its configurations name.
func copyCase(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "testdata", "error-files", "keys"), filepath.Join(root, "error-files", "keys"))
	dir := filepath.Join(root, "plan", name)
	copyDir(t, filepath.Join("..", "..", "testdata", "plan", name), dir)
	return dir
}

// readZones reads every zone of a case's zones/ directory.
func readZones(t *testing.T, dir string) map[string][]plan.Record {
	t.Helper()
	p := &zonefile.Provider{Dir: filepath.Join(dir, "zones")}
	zones, err := p.ListZones(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]plan.Record{}
	for _, z := range zones {
		recs, err := p.GetRecords(context.Background(), z.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[z.Name] = plan.FromLibdns(z.Name, recs)
	}
	return out
}

// TestApplyConverges applies every case (with --force) and checks that a
// second plan has nothing left to do and that every record the plan did
// not name as mailconf's is still there, unchanged.
func TestApplyConverges(t *testing.T) {
	for _, name := range planCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := copyCase(t, name)
			before := readZones(t, dir)
			_, planJSON, _ := runCmd(t, nil, "plan", "-c", dir, "--format", "json")
			code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", "--force")
			blocked := strings.Contains(out, "blocked:")
			if code != 0 && !blocked {
				t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode")
			if !blocked && code != 0 {
				t.Fatalf("plan after apply: exit %d, want 0 (nothing left)\n%s%s", code, out, errOut)
			}
			after := readZones(t, dir)
			owned := ownedOld(t, planJSON)
			for zone, recs := range before {
				have := map[plan.Record]bool{}
				for _, r := range after[zone] {
					have[r] = true
				}
				for _, r := range recs {
					if r.Type == "SOA" || owned[r] {
						continue
					}
					if !have[r] {
						t.Errorf("record not mailconf's was changed or removed: %+v", r)
					}
				}
			}
		})
	}
}

// ownedOld returns the live records a JSON plan names as mailconf's.
func ownedOld(t *testing.T, planJSON string) map[plan.Record]bool {
	t.Helper()
	p, err := decodePlan([]byte(planJSON))
	if err != nil {
		t.Fatal(err)
	}
	out := map[plan.Record]bool{}
	for _, d := range p.Domains {
		for _, c := range d.Changes {
			for _, v := range c.Old {
				out[plan.Record{Name: c.Name, Type: c.Type, TTL: v.TTL, Data: v.Data}] = true
			}
		}
	}
	return out
}

func TestPlanDetailedExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		want int
	}{{"in-sync", 0}, {"wrong-spf", 2}, {"cname-conflict", 1}} {
		code, _, _ := runCmd(t, nil, "plan", "-c", filepath.Join("..", "..", "testdata", "plan", tc.name), "--detailed-exitcode")
		if code != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, code, tc.want)
		}
	}
	// Without --detailed-exitcode, pending changes are success.
	if code, _, _ := runCmd(t, nil, "plan", "-c", "../../testdata/plan/wrong-spf"); code != 0 {
		t.Errorf("plan without --detailed-exitcode: exit %d", code)
	}
	// A broken configuration is 1.
	if code, _, _ := runCmd(t, nil, "plan", "-c", "../../testdata/error-files"); code != 1 {
		t.Errorf("bad configuration: exit %d", code)
	}
}

func TestApplyNeedsForce(t *testing.T) {
	dir := copyCase(t, "dmarc-weakening")
	code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve")
	if code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("without --force: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode"); code != 2 {
		t.Fatalf("refused apply changed something: plan exit %d", code)
	}
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", "--force"); code != 0 {
		t.Fatalf("with --force: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode"); code != 0 {
		t.Fatalf("after forced apply: plan exit %d", code)
	}
}

func TestApplyNeedsApprovalOffTerminal(t *testing.T) {
	dir := copyCase(t, "wrong-spf")
	code, _, errOut := runCmd(t, nil, "apply", "-c", dir)
	if code != 1 || !strings.Contains(errOut, "--auto-approve") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestApplySavedPlan(t *testing.T) {
	dir := copyCase(t, "wrong-spf")
	planFile := filepath.Join(t.TempDir(), "reviewed.plan")
	if code, out, errOut := runCmd(t, nil, "plan", "-c", dir, "-out", planFile); code != 0 {
		t.Fatalf("plan -out: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", planFile); code != 0 {
		t.Fatalf("apply plan file: %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode"); code != 0 {
		t.Errorf("after applying the saved plan: plan exit %d", code)
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	dir := copyCase(t, "wrong-spf")
	planFile := filepath.Join(t.TempDir(), "reviewed.plan")
	if code, _, _ := runCmd(t, nil, "plan", "-c", dir, "-out", planFile); code != 0 {
		t.Fatal("plan -out failed")
	}
	// Someone edits the zone after the review.
	zf := filepath.Join(dir, "zones", "example.com.zone")
	b, err := os.ReadFile(zf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zf, append(b, []byte("extra IN A 192.0.2.77\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(zf)
	code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", planFile)
	if code != 1 || !strings.Contains(errOut, "stale") || !strings.Contains(errOut, "plan again") {
		t.Fatalf("stale plan: exit %d, stderr %q", code, errOut)
	}
	after, _ := os.ReadFile(zf)
	if string(before) != string(after) {
		t.Error("a stale plan changed the zone")
	}
}

func TestPlanDomainFilter(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "plan", "-c", "../../testdata/plan/report-authorization", "--domain", "example.net", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	p, err := decodePlan([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range p.Domains {
		got = append(got, d.Domain)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"example.net"}, got); diff != "" {
		t.Error(diff)
	}
}

func TestApplyAsksOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		answer string
		code   int
	}{{"yes\n", 0}, {"no\n", 1}, {"", 1}} {
		dir := copyCase(t, "wrong-spf")
		e := &env{stdin: strings.NewReader(tc.answer), interactive: true}
		code, out, _ := runOn(t, e, nil, "apply", "-c", dir)
		if code != tc.code || !strings.Contains(out, "Only 'yes' is accepted") {
			t.Errorf("answer %q: exit %d, want %d\n%s", tc.answer, code, tc.code, out)
		}
		pending, _, _ := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode")
		if applied := pending == 0; applied != (tc.code == 0) {
			t.Errorf("answer %q: applied=%v", tc.answer, applied)
		}
	}
}

// TestCatalogSendersConverge applies a domain with catalog senders on top
// of a live zone holding other services' tokens: one apply, then the plan
// is empty, and the tokens that are not mailconf's are still there.
func TestCatalogSendersConverge(t *testing.T) {
	dir := copyCase(t, "catalog-senders")
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", "--force"); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0\n%s%s", code, out, errOut)
	}
	zone := readZones(t, dir)["example.com."]
	txt := map[string]int{}
	for _, r := range zone {
		if r.Name == "example.com" && r.Type == "TXT" {
			txt[r.Data]++
		}
	}
	for _, want := range []string{
		"MS=ms12345678", "facebook-domain-verification=abc123",
		"google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ", "mandrill_verify.AbCdEf0123456789",
		"v=spf1 ip4:203.0.113.7 include:_spf.google.com include:spf.mandrillapp.com ~all",
	} {
		if txt[want] != 1 {
			t.Errorf("example.com TXT %q: %d records, want 1 (all: %v)", want, txt[want], txt)
		}
	}
	if len(txt) != 5 {
		t.Errorf("example.com has %d TXT values, want 5: %v", len(txt), txt)
	}
}
