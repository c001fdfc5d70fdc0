package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailconf/mailconf/resolve/dnstest"
)

// importCases lists testdata/import/<case>/: a configuration with only a
// provider, its zones, case.txt naming the domains, and served/ for the
// MTA-STS policies the domains serve.
func importCases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "import", "*", "case.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Base(filepath.Dir(d)))
	}
	if len(out) < 12 {
		t.Fatalf("%d import cases; want at least 12", len(out))
	}
	return out
}

func caseDomains(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "case.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "domains:"); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("%s/case.txt has no domains: line", dir)
	return nil
}

// TestImportGolden imports each case: the HCL and the notes are goldens,
// and the plan right after the import is empty.
func TestImportGolden(t *testing.T) {
	for _, name := range importCases(t) {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("..", "..", "testdata", "import", name)
			dir := t.TempDir()
			copyDir(t, src, dir)
			_ = os.Remove(filepath.Join(dir, "imported.hcl"))
			served := filepath.Join(src, "served")
			e := &env{stdin: strings.NewReader(""), httpClient: servedPolicies(served)}
			args := append([]string{"import", "-c", dir, "--out", filepath.Join(dir, "imported.hcl")}, caseDomains(t, src)...)
			code, _, errOut := runOn(t, e, nil, args...)
			if code != 0 {
				t.Fatalf("import: exit %d\n%s", code, errOut)
			}
			hcl, err := os.ReadFile(filepath.Join(dir, "imported.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("import", name, "imported.hcl"), string(hcl))
			golden(t, filepath.Join("import", name, "import.stderr"), strings.ReplaceAll(errOut, dir, "DIR"))
			e = &env{stdin: strings.NewReader(""), httpClient: servedPolicies(served)}
			code, out, errOut := runOn(t, e, nil, "plan", "-c", dir, "--detailed-exitcode")
			if code != 0 {
				t.Errorf("plan after import: exit %d, want 0 (no changes)\n%s%s", code, out, errOut)
			}
		})
	}
}

// TestImportFleetSharesPolicies imports 1,000 domains with the same DMARC
// and TLS-RPT settings and the same relay: one policy and one sender.
func TestImportFleetSharesPolicies(t *testing.T) {
	dir := t.TempDir()
	zones := filepath.Join(dir, "zones")
	if err := os.MkdirAll(zones, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "main.hcl"), "provider \"zonefile\" \"live\" {\n  dir = \"zones\"\n}\n")
	var domains []string
	for i := range 1000 {
		d := fmt.Sprintf("client%04d.example", i)
		domains = append(domains, d)
		writeFile(t, filepath.Join(zones, d+".zone"), fmt.Sprintf(`$ORIGIN %s.
$TTL 3600
@ IN SOA ns1.example.net. hostmaster.example.net. ( 1 3600 600 1209600 300 )
@ IN NS ns1.example.net.
@ IN MX 10 mx.example.net.
@ IN TXT "v=spf1 ip4:203.0.113.10 ~all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@reports.example.net"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.example.net"
www IN A 192.0.2.1
`, d))
	}
	out := filepath.Join(dir, "imported.hcl")
	code, _, errOut := runCmd(t, nil, append([]string{"import", "-c", dir, "--out", out}, domains...)...)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if n := strings.Count("\n"+text, "\npolicy \""); n != 1 {
		t.Errorf("%d policy blocks, want 1 shared by all domains", n)
	}
	if n := strings.Count(text, "sender \"custom\""); n != 1 {
		t.Errorf("%d custom senders, want 1 shared by all domains", n)
	}
	if n := strings.Count(text, "domain \""); n != 1000 {
		t.Errorf("%d domain blocks, want 1000", n)
	}
	if code, out, errOut := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after import: exit %d\n%s%s", code, out[:min(len(out), 2000)], errOut)
	}
}

func TestImportRefusals(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	out := filepath.Join(dir, "existing.hcl")
	writeFile(t, out, "# mine\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"out exists", []string{"import", "-c", dir, "--out", out, "example.org"}, "does not overwrite it without --force"},
		{"declared", []string{"import", "-c", dir, "example.com"}, "example.com is already declared at"},
		{"unknown provider", []string{"import", "-c", dir, "--provider", "cloudflare.main", "example.org"}, `no provider "cloudflare.main" is declared; the configuration declares zonefile.local`},
		{"no zone", []string{"import", "-c", dir, "example.org"}, "example.org"},
		{"not a domain", []string{"import", "-c", dir, "exa mple.org"}, "is not a domain name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, nil, tc.args...)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(out); string(b) != "# mine\n" {
		t.Errorf("the existing file was changed: %q", b)
	}
}

// TestImportUnreadableZone: a zone the provider cannot read stops the
// import, naming the provider and the zone.
func TestImportUnreadableZone(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.hcl"), "provider \"zonefile\" \"live\" {\n  dir = \"zones\"\n}\n")
	if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "zones", "example.com.zone"), "$ORIGIN example.com.\n@ IN MX nonsense\n")
	code, _, errOut := runCmd(t, nil, "import", "-c", dir, "example.com")
	if code != 1 || !strings.Contains(errOut, "provider.zonefile.live") || !strings.Contains(errOut, "example.com") {
		t.Errorf("exit %d, stderr %q; want 1 naming the provider and the zone", code, errOut)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImportByDNS imports a domain by asking a DNS server, as
// --resolver does, and the plan through the provider is then empty.
func TestImportByDNS(t *testing.T) {
	applied := t.TempDir()
	copyDir(t, "../../examples/quickstart", applied)
	if code, out, errOut := runCmd(t, nil, "apply", "-c", applied, "--auto-approve"); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	ns := dnstest.NewServer(t, zoneTexts(t, applied)...)
	dir := t.TempDir()
	copyDir(t, filepath.Join(applied, "zones"), filepath.Join(dir, "zones"))
	writeFile(t, filepath.Join(dir, "main.hcl"), "provider \"zonefile\" \"live\" {\n  dir = \"zones\"\n}\n")
	code, out, errOut := runCmd(t, nil, "import", "-c", dir, "--resolver", ns.Addr(), "--out", filepath.Join(dir, "imported.hcl"), "example.net")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	hcl, _ := os.ReadFile(filepath.Join(dir, "imported.hcl"))
	// Plain DNS cannot list the zone: the s2026e selector is not seen,
	// and stderr says which selectors were asked for.
	for _, want := range []string{`sender "google_workspace" "example_net"`, "mailbox  = sender.google_workspace.example_net", `policy "reject"`} {
		if !strings.Contains(string(hcl), want) {
			t.Errorf("imported.hcl lacks %q:\n%s", want, hcl)
		}
	}
	if !strings.Contains(errOut, "asks for DKIM selectors") {
		t.Errorf("stderr does not say which selectors were asked for:\n%s", errOut)
	}
	if code, out, errOut := runCmd(t, nil, "plan", "-c", dir, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after import: exit %d\n%s%s\n%s", code, out, errOut, hcl)
	}
}
