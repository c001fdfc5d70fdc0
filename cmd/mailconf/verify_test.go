package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailconf/mailconf/resolve/dnstest"
)

func zoneTexts(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "zones", "*.zone"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestVerifyPropagation applies the quickstart, serves its zones from two
// authoritative servers and verifies; then one server keeps the zones as
// they were before the apply, and verify names it and exits 2.
func TestVerifyPropagation(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	before := zoneTexts(t, dir)
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	after := zoneTexts(t, dir)
	// The top-level zones answer the DMARC tree walk's last questions
	// (_dmarc.com: no such name), as the real ones do.
	after = append(after, "$ORIGIN com.\n", "$ORIGIN net.\n")
	ns1 := dnstest.NewServer(t, after...)
	ns2 := dnstest.NewServer(t, after...)
	code, out, errOut := runCmd(t, nil, "verify", "-c", dir, "--no-probe", "--nameserver", ns1.Addr(), "--nameserver", ns2.Addr(), "--resolver", ns1.Addr())
	if code != 0 || !strings.Contains(out, "2 of 2 domains verified") || !strings.Contains(out, "13 of 13 checks pass") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}

	// apply --verify: nothing left to apply, then the same verification.
	code, out, errOut = runCmd(t, nil, "apply", "-c", dir, "--auto-approve", "--verify", "--nameserver", ns1.Addr(), "--nameserver", ns2.Addr(), "--resolver", ns1.Addr())
	if code != 0 || !strings.Contains(out, "13 of 13 checks pass") {
		t.Fatalf("apply --verify: exit %d\n%s%s", code, out, errOut)
	}

	stale := dnstest.NewServer(t, before...)
	code, out, _ = runCmd(t, nil, "verify", "-c", dir, "--no-probe", "--nameserver", ns1.Addr(), "--nameserver", stale.Addr(), "--resolver", ns1.Addr(), "--timeout", "1s")
	if code != 2 || !strings.Contains(out, stale.Addr()) || !strings.Contains(out, "NOT verified") {
		t.Fatalf("stale server: exit %d, want 2 naming %s\n%s", code, stale.Addr(), out)
	}

	if code, _, errOut := runCmd(t, nil, "verify", "-c", dir); code != 1 || !strings.Contains(errOut, "--no-probe") {
		t.Errorf("verify without --no-probe: exit %d, %q", code, errOut)
	}
}
