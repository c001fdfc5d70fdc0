package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRun runs git in dir, failing the test on error.
func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

const baseZone = `$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.net. hostmaster.example.net. ( 2026010100 3600 600 1209600 300 )
@ IN NS ns1.example.net.
@ IN TXT "v=spf1 -all"
_dmarc IN TXT "v=DMARC1; p=none"
s1._domainkey IN TXT "v=DKIM1; k=ed25519; p=UJs8HqmM/QSnj+rzgVsyKUaB7TGko8ufyAfDp/p2Lq4="
s2._domainkey IN TXT "v=DKIM1; k=ed25519; p=UJs8HqmM/QSnj+rzgVsyKUaB7TGko8ufyAfDp/p2Lq4="
`

// TestPlanShowsKeyStepsAgainstBase: the steps that change no record (next
// to active, active to retiring) show in the plan when the previous
// configuration is in git, and only then.
func TestPlanShowsKeyStepsAgainstBase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed: .ci/run installs it")
	}
	repo := t.TempDir()
	dir := filepath.Join(repo, "mail")
	copyDir(t, filepath.Join("..", "..", "testdata", "error-files", "keys"), filepath.Join(dir, "keys"))
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zones", "example.com.zone"), []byte(baseZone), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(s1, s2 string) {
		t.Helper()
		cfg := `provider "zonefile" "live" {
  dir = "zones"
}

domain "example.com" {
  dkim "s1" {
    key_file = "keys/ed25519.pem"
` + s1 + `  }
  dkim "s2" {
    key_file = "keys/ed25519.pem"
` + s2 + `  }
}
`
		if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("    state = \"active\"\n", "    state = \"next\"\n")
	gitRun(t, repo, "init", "-q")
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "s2 is next")

	write("    state        = \"retiring\"\n    retire_after = \"2099-01-01T00:00:00Z\"\n", "    state     = \"active\"\n    activated = \"2026-12-06T11:00:00Z\"\n")
	code, out, errOut := runCmd(t, nil, "plan", "-c", dir)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	golden(t, "plan-base/plan.txt", out)
	code, out, _ = runCmd(t, nil, "plan", "-c", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("plan --format json: exit %d", code)
	}
	golden(t, "plan-base/plan.json", out)
	code, out, _ = runCmd(t, nil, "plan", "-c", dir, "--format", "markdown")
	if code != 0 {
		t.Fatalf("plan --format markdown: exit %d", code)
	}
	golden(t, "plan-base/plan.md", out)

	// Without the previous configuration the steps change no record, so
	// there is nothing to show.
	code, out, _ = runCmd(t, nil, "plan", "-c", dir, "--base", "none")
	if code != 0 || !strings.Contains(out, "No changes") || strings.Contains(out, "→") {
		t.Errorf("plan --base none: exit %d\n%s", code, out)
	}
	code, _, errOut = runCmd(t, nil, "plan", "-c", dir, "--base", "no-such-branch")
	if code != 1 || !strings.Contains(errOut, "--base no-such-branch") {
		t.Errorf("plan --base no-such-branch: exit %d, want 1 naming the ref\n%s", code, errOut)
	}
}
