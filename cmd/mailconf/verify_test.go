package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailconf/mailconf/relay"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/receiver"
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

	// The same servers given as the provider's nameservers attribute.
	cfgPath := filepath.Join(dir, "mailconf.hcl")
	orig, _ := os.ReadFile(cfgPath)
	withNS := strings.Replace(string(orig), `dir = "zones"`, fmt.Sprintf(`dir = "zones"
  nameservers = [%q, %q]`, ns1.Addr(), ns2.Addr()), 1)
	if err := os.WriteFile(cfgPath, []byte(withNS), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, nil, "verify", "-c", dir, "--no-probe", "--resolver", ns1.Addr())
	if code != 0 || !strings.Contains(out, "verified on 2 servers") {
		t.Fatalf("verify with the provider's nameservers: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(cfgPath, orig, 0o600); err != nil {
		t.Fatal(err)
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

// TestVerifyLab runs the README's demo loop in-process: apply the
// quickstart, then verify in the lab, probes included.
func TestVerifyLab(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, nil, "verify", "-c", dir, "--lab")
	if code != 0 {
		t.Fatalf("verify --lab: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"example.com  probe: SPF pass, DKIM pass (s2026a, s2026e), DMARC pass (policy reject)",
		"example.net  probe: SPF pass, DKIM pass (s2026e), DMARC pass (policy reject)",
		"15 of 15 checks pass",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestVerifyLabFailures: each failure is detected and explained.
func TestVerifyLabFailures(t *testing.T) {
	t.Run("relay address not in SPF", func(t *testing.T) {
		dir := t.TempDir()
		copyDir(t, "../../examples/quickstart", dir)
		if code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
			t.Fatal(errOut)
		}
		// The relay moved to an address no sender declares.
		cfg := filepath.Join(dir, "mailconf.hcl")
		b, _ := os.ReadFile(cfg)
		if err := os.WriteFile(cfg, []byte(strings.Replace(string(b), `addresses = ["203.0.113.10", "2001:db8::10"]`, `addresses = ["198.51.100.77"]`, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runCmd(t, nil, "verify", "-c", dir, "--lab")
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s", code, out)
		}
		for _, want := range []string{
			"SPF: 198.51.100.77, an address of mailconf's relay, is not authorized (fail)",
			"add it to a sender of example.com",
			// DMARC still passes through the aligned DKIM signatures.
			"example.com  probe fail: probe: SPF fail for example.com",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "DMARC fail") {
			t.Errorf("DMARC must still pass through DKIM:\n%s", out)
		}
	})
	t.Run("DKIM key in DNS differs from the signing key", func(t *testing.T) {
		dir := t.TempDir()
		copyDir(t, "../../examples/quickstart", dir)
		if code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
			t.Fatal(errOut)
		}
		// Someone published another key at example.net's selector.
		zf := filepath.Join(dir, "zones", "example.net.zone")
		b, _ := os.ReadFile(zf)
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "s2026e._domainkey") {
				lines[i] = `s2026e._domainkey 3600 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`
			}
		}
		if err := os.WriteFile(zf, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runCmd(t, nil, "verify", "-c", dir, "--lab")
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s", code, out)
		}
		for _, want := range []string{
			"serves s2026e._domainkey.example.net TXT",
			"the key at s2026e._domainkey.example.net is not the public half",
			"no passing DKIM signature with selector s2026e",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestVerifyRemoteProbe sends the probes as a probe block says: through a
// running relay to a running receiver, read over its verdict API.
func TestVerifyRemoteProbe(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	if code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatal(errOut)
	}
	zones := append(zoneTexts(t, dir),
		"$ORIGIN probe.mailconf.test.\n@ 300 IN MX 10 mx.probe.mailconf.test.\nmx 300 IN A 127.0.0.1\n",
		"$ORIGIN com.\n", "$ORIGIN net.\n")
	dns := dnstest.NewServer(t, zones...)
	client := &resolve.Client{Servers: []string{dns.Addr()}}

	// The receiver, seeing the relay at its public address.
	rcv := &receiver.Server{Resolver: client, APIToken: "probe-api-token-0123456789", ClientIP: func(netip.Addr) netip.Addr { return netip.MustParseAddr("203.0.113.10") }}
	rcvLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go rcv.Serve(rcvLn)
	t.Cleanup(func() { rcv.Close() })
	api := httptest.NewServer(rcv.Handler())
	t.Cleanup(api.Close)
	_, rcvPort, _ := net.SplitHostPort(rcvLn.Addr().String())

	// A running relay: the quickstart's relay block, alice's example password.
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	rl, err := relay.New(cfg, relay.Options{Resolver: client, DeliveryPort: rcvPort, Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	relayLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rl.Serve(ctx, map[string]net.Listener{"loopback": relayLn}) }()
	t.Cleanup(func() { cancel(); <-done })

	writeProbe := func(url string) {
		block := fmt.Sprintf(`
probe {
  to      = "probe@probe.mailconf.test"
  timeout = "4s"
  receiver {
    url       = %q
    api_token = env("PROBE_API_TOKEN")
  }
  relay {
    address  = %q
    username = "alice"
    password = "example-password"
  }
}
`, url, relayLn.Addr().String())
		if err := os.WriteFile(filepath.Join(dir, "probe.hcl"), []byte(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"PROBE_API_TOKEN": "probe-api-token-0123456789"}
	writeProbe(api.URL)
	code, out, errOut := runCmd(t, env, "verify", "-c", dir, "--resolver", dns.Addr(), "--nameserver", dns.Addr())
	if code != 0 || !strings.Contains(out, "example.com  probe: SPF pass, DKIM pass (s2026a, s2026e), DMARC pass") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	// apply --verify sends the probes too when there is a probe block.
	code, out, errOut = runCmd(t, env, "apply", "-c", dir, "--auto-approve", "--verify", "--resolver", dns.Addr(), "--nameserver", dns.Addr())
	if code != 0 || !strings.Contains(out, "example.net  probe: SPF pass, DKIM pass (s2026e), DMARC pass") {
		t.Fatalf("apply --verify: exit %d\n%s%s", code, out, errOut)
	}

	// The receiver unreachable: verify could not run (1), not "failed" (2).
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String()
	closed.Close()
	writeProbe(deadURL)
	code, _, errOut = runCmd(t, env, "verify", "-c", dir, "--resolver", dns.Addr(), "--nameserver", dns.Addr())
	if code != 1 || !strings.Contains(errOut, "waiting for the verdict") {
		t.Errorf("unreachable receiver: exit %d, want 1\n%s", code, errOut)
	}
}

// TestVerifyLiveProgress: on a terminal a long wait is shown live, per
// domain, redrawn in place.
func TestVerifyLiveProgress(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	before := zoneTexts(t, dir)
	if code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatal(errOut)
	}
	stale := dnstest.NewServer(t, before...)
	e := &env{stdin: strings.NewReader(""), colorErr: true}
	code, _, errOut := runOn(t, e, nil, "verify", "-c", dir, "--no-probe", "--nameserver", stale.Addr(), "--resolver", stale.Addr(), "--timeout", "1500ms")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"example.com", "0/1 servers agree", "waiting", "\x1b[", "of 2 domains verified"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("live progress lacks %q:\n%q", want, errOut)
		}
	}
}

// TestVerifyGolden: what verify prints, in every format, for the applied
// quickstart in the lab (the lab's random port replaced by PORT).
func TestVerifyGolden(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	if code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatal(errOut)
	}
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	for _, f := range []struct{ format, file string }{{"text", "verify.txt"}, {"json", "verify.json"}, {"markdown", "verify.md"}} {
		code, out, errOut := runCmd(t, nil, "verify", "-c", dir, "--lab", "--format", f.format)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", f.format, code, out, errOut)
		}
		golden(t, filepath.Join("verify", "quickstart-lab", f.file), port.ReplaceAllString(out, "127.0.0.1:PORT"))
	}
}

// TestVerifyKeepsServedMTASTSID: a domain migrated from another tool keeps
// its live MTA-STS id when the policy it serves is mailconf's, so verify
// expects that id, as the plan leaves it; when the policy cannot be
// fetched, verify expects mailconf's id and says the served one lags.
func TestVerifyKeepsServedMTASTSID(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "plan", "mta-sts-served-unchanged")
	dir := t.TempDir()
	copyDir(t, src, dir)
	zones := append(zoneTexts(t, dir), "$ORIGIN com.\n")
	ns := dnstest.NewServer(t, zones...)
	args := []string{"verify", "-c", dir, "--no-probe", "--nameserver", ns.Addr(), "--resolver", ns.Addr(), "--timeout", "1s"}

	e := &env{stdin: strings.NewReader(""), httpClient: servedPolicies(filepath.Join(dir, "served"))}
	code, out, errOut := runOn(t, e, nil, args...)
	if code != 0 || !strings.Contains(out, "1 of 1 domain verified") {
		t.Fatalf("verify with the policy served: exit %d\n%s%s", code, out, errOut)
	}

	e = &env{stdin: strings.NewReader(""), httpClient: servedPolicies(t.TempDir())}
	code, out, _ = runOn(t, e, nil, args...)
	if code != 2 || !strings.Contains(out, "_mta-sts.example.com") || !strings.Contains(out, "20240101000000") {
		t.Fatalf("verify with no policy served: exit %d, want 2 naming the lagging _mta-sts record\n%s", code, out)
	}
}
