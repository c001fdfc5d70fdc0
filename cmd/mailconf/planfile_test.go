package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/plan"
)

// planIn plans case dir into a plan file outside it and returns the file.
func planIn(t *testing.T, dir string) string {
	t.Helper()
	planFile := filepath.Join(t.TempDir(), "reviewed.plan")
	if code, out, errOut := runCmd(t, nil, "plan", "-c", dir, "-out", planFile); code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	return planFile
}

// TestPlanFilePortable plans in one checkout and applies in another, as a
// pipeline's plan and apply jobs do: the plan file names no path of the
// first checkout and carries no private key, and the second applies it.
func TestPlanFilePortable(t *testing.T) {
	for _, name := range []string{"fresh-zone", "wrong-spf", "catalog-senders"} {
		t.Run(name, func(t *testing.T) {
			a := copyCase(t, name)
			a, err := filepath.Abs(a)
			if err != nil {
				t.Fatal(err)
			}
			planFile := planIn(t, a)
			b, err := os.ReadFile(planFile)
			if err != nil {
				t.Fatal(err)
			}
			rootA := filepath.Dir(filepath.Dir(a))
			for _, p := range []string{rootA, filepath.ToSlash(rootA), os.TempDir()} {
				if strings.Contains(string(b), p) {
					t.Errorf("the plan file names the path %s", p)
				}
			}
			for _, key := range []string{"ed25519.pem", "rsa2048.pem", "rsa1024.pem"} {
				assertNoPrivateKey(t, string(b), filepath.Join(rootA, "error-files", "keys", key))
			}

			// The apply job's checkout is elsewhere.
			rootB := filepath.Join(t.TempDir(), "elsewhere", "checkout")
			copyDir(t, rootA, rootB)
			dirB := filepath.Join(rootB, "plan", name)
			if code, out, errOut := runCmd(t, nil, "apply", "-c", dirB, "--auto-approve", "--force", planFile); code != 0 {
				t.Fatalf("apply in another checkout: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runCmd(t, nil, "plan", "-c", dirB, "--detailed-exitcode"); code != 0 {
				t.Fatalf("plan after apply: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

// assertNoPrivateKey fails when any line of the key file's PEM body is in
// the plan.
func assertNoPrivateKey(t *testing.T, planText, keyFile string) {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return // the case names no such key
	}
	for _, line := range strings.Split(string(b), "\n") {
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(planText, line) {
			t.Errorf("the plan file holds part of the private key %s", filepath.Base(keyFile))
		}
	}
}

func TestPlanFileConfig(t *testing.T) {
	dir := copyCase(t, "fresh-zone")
	p, err := loadPlan(planIn(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if p.Config == nil || !strings.HasPrefix(p.Config.Hash, "sha256:") || len(p.Config.Hash) != len("sha256:")+64 {
		t.Fatalf("config state: %+v", p.Config)
	}
	var files []string
	for _, f := range p.Config.Files {
		files = append(files, f.Path)
	}
	if diff := cmp.Diff([]string{"mailconf.hcl"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(p.Config.Keys) != 1 {
		t.Fatalf("keys: %+v", p.Config.Keys)
	}
	k := p.Config.Keys[0]
	if k.Domain != "example.com" || k.Selector != "s1" || k.KeyFile != "../../error-files/keys/ed25519.pem" || len(k.PublicKeySHA256) != 64 {
		t.Errorf("key: %+v", k)
	}

	// Planning the same files from another working directory, by a
	// relative path, gives the same hash.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadPlan(planIn(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Config, again.Config); diff != "" {
		t.Errorf("relative -c hashes otherwise (-abs +rel):\n%s", diff)
	}
}

// TestApplyRefusesOtherConfig changes the configuration after the plan in
// each way that matters, and checks that apply refuses the plan, says why,
// and leaves the zone alone.
func TestApplyRefusesOtherConfig(t *testing.T) {
	// keyAt points the case's DKIM key at s1.pem in the configuration
	// directory, holding pem.
	keyAt := func(t *testing.T, dir string, pem []byte) {
		writeTestFile(t, filepath.Join(dir, "s1.pem"), string(pem))
		hcl := filepath.Join(dir, "mailconf.hcl")
		b, err := os.ReadFile(hcl)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, hcl, strings.Replace(string(b), `"../../error-files/keys/ed25519.pem"`, `"s1.pem"`, 1))
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) // before the plan
		edit  func(t *testing.T, dir string) // after it
		want  string
	}{
		{"hcl edited", nil, func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, "mailconf.hcl"), "\n# a reviewer's afterthought\n")
		}, "mailconf.hcl changed"},
		{"hcl added", nil, func(t *testing.T, dir string) {
			writeTestFile(t, filepath.Join(dir, "extra.hcl"), "# nothing yet\n")
		}, "extra.hcl added"},
		{"key file replaced", func(t *testing.T, dir string) {
			keyAt(t, dir, newEd25519PEM(t))
		}, func(t *testing.T, dir string) {
			writeTestFile(t, filepath.Join(dir, "s1.pem"), string(newEd25519PEM(t)))
		}, "DKIM key s1 of example.com changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyCase(t, "fresh-zone")
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			planFile := planIn(t, dir)
			tc.edit(t, dir)
			before := readZones(t, dir)
			code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", "--force", planFile)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
			}
			for _, want := range []string{"the plan was made from another configuration (hash sha256:", "this directory is sha256:", tc.want, "run plan again"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if diff := cmp.Diff(before, readZones(t, dir)); diff != "" {
				t.Errorf("a refused plan changed the zone:\n%s", diff)
			}
		})
	}
}

// newEd25519PEM is a new private key in a PKCS #8 PEM block.
func newEd25519PEM(t *testing.T) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestApplyRefusesPlanWithoutConfig: a plan file of an older mailconf,
// which carried no configuration hash, cannot be matched and is refused.
func TestApplyRefusesPlanWithoutConfig(t *testing.T) {
	dir := copyCase(t, "wrong-spf")
	planFile := planIn(t, dir)
	p, err := loadPlan(planFile)
	if err != nil {
		t.Fatal(err)
	}
	p.Config = nil
	if err := savePlan(planFile, p); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", planFile)
	if code != 1 || !strings.Contains(errOut, "carries no configuration hash") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestPlanMarkdownLintBlocked: when lint's errors stop the plan, the
// markdown still says why, for the pull request. (The schema refuses most
// such configurations before lint sees them, so the report is made here.)
func TestPlanMarkdownLintBlocked(t *testing.T) {
	r := &lint.Report{Errors: 1, Warns: 1, Findings: []lint.Finding{
		{Code: "mx-null-not-alone", Severity: lint.Error, Domain: "example.com", Record: "example.com MX", Message: "A null MX is published with other MX records.", Fix: "Keep one."},
		{Code: "dmarc-policy-none", Severity: lint.Warning, Domain: "example.com", Message: "p=none is monitoring only."},
		{Code: "some-info", Severity: lint.Info, Domain: "example.com", Message: "not shown"},
	}}
	var b strings.Builder
	if err := writeMarkdownLintBlocked(&b, r); err != nil {
		t.Fatal(err)
	}
	want := "### mailconf plan\n\n" +
		"❌ **No plan: lint found 1 error.** Fix it and push again; nothing can be applied until then.\n\n" +
		"#### Lint: 1 error, 1 warning\n\n" +
		"- ❌ **example.com** `example.com MX` `mx-null-not-alone`: A null MX is published with other MX records. *Fix:* Keep one.\n" +
		"- ⚠ **example.com** `dmarc-policy-none`: p=none is monitoring only.\n\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMarkdownFence(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{`+ a 3600 TXT "plain"`}, "```"},
		{[]string{"+ a 3600 TXT \"```\""}, "````"},
		{[]string{"x", "+ a 3600 TXT \"`````x``\""}, "``````"},
	} {
		if got := mdFence(tc.lines); got != tc.want {
			t.Errorf("mdFence(%q) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}

func TestConfigStateDifferencesAreNamed(t *testing.T) {
	a := plan.NewConfigState(map[string][]byte{"a.hcl": []byte("x"), "b.hcl": []byte("y")}, nil)
	b := plan.NewConfigState(map[string][]byte{"a.hcl": []byte("x2"), "c.hcl": []byte("z")}, nil)
	want := []string{"a.hcl changed", "b.hcl removed", "c.hcl added"}
	if diff := cmp.Diff(want, a.Differences(b)); diff != "" {
		t.Error(diff)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, path, string(b)+s)
}

func writeTestFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
