//go:build interop

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers/rfc2136/bindtest"
)

// TestMain runs the tests inside a private network namespace when it can
// (as root, with ip): the servers they start, and the mailconf they run,
// can reach nothing but each other.
func TestMain(m *testing.M) {
	code := bindtest.Isolate(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// BinEnv names a mailconf binary to run instead of one built by the test
// (make interop passes the one it built).
const BinEnv = "MAILCONF_BIN"

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// mailconfBinary returns the path of the mailconf command the tests run,
// as a user runs it: MAILCONF_BIN, or built once from this module.
func mailconfBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(BinEnv); p != "" {
		return p
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "mailconf-interop-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "mailconf")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/mailconf/mailconf/cmd/mailconf").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// quickstartDir is the example the suite applies.
const quickstartDir = "../examples/quickstart"

// quickstartZones are the zones of the quickstart's domains, holding what
// its zone files hold besides their SOA and NS: records that are not
// mailconf's, which every apply must leave alone.
func quickstartZones(t *testing.T) []zone {
	t.Helper()
	var zones []zone
	for _, name := range []string{"example.com", "example.net"} {
		rrs := parseZone(t, filepath.Join(quickstartDir, "zones", name+".zone"))
		var b strings.Builder
		for _, rr := range rrs {
			if rr.Header().Rrtype != dns.TypeSOA && rr.Header().Rrtype != dns.TypeNS {
				b.WriteString(rr.String() + "\n")
			}
		}
		zones = append(zones, zone{name: name, records: b.String()})
	}
	return zones
}

// parseZone reads a master file, or mailconf records' output.
func parseZone(t *testing.T, path string) []dns.RR {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseRecords(t, path, string(b))
}

func parseRecords(t *testing.T, source, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), "", source)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	return rrs
}

// providerBlock is examples/rfc2136's provider block, pointed at s; the
// secret comes from the environment as it does there.
func providerBlock(s *server) string {
	return fmt.Sprintf(`provider "rfc2136" "primary" {
  server         = %q
  tsig_key_name  = %q
  tsig_algorithm = %q
  tsig_secret    = env("MAILCONF_TSIG_SECRET")
}
`, s.addr, s.key.name, s.key.algorithm)
}

// config is a copy of the quickstart in a temporary directory, its
// mailconf.hcl edited by the test.
type config struct {
	dir string
	hcl string
}

func copyQuickstart(t *testing.T) *config {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(quickstartDir)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "mailconf.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return &config{dir: dir, hcl: string(b)}
}

// replace replaces old, which must occur n times, by new, and writes the
// file: an example that changed shape fails the test instead of quietly
// testing less.
func (c *config) replace(t *testing.T, old, new string, n int) {
	t.Helper()
	if got := strings.Count(c.hcl, old); got != n {
		t.Fatalf("mailconf.hcl holds %q %d times, want %d", old, got, n)
	}
	c.hcl = strings.ReplaceAll(c.hcl, old, new)
	if err := os.WriteFile(filepath.Join(c.dir, "mailconf.hcl"), []byte(c.hcl), 0o644); err != nil {
		t.Fatal(err)
	}
}

// zonefileProvider is the quickstart's provider block, replaced by an
// rfc2136 one.
const zonefileProvider = `provider "zonefile" "local" {
  dir = "zones" # one RFC 1035 master file per zone: zones/example.com.zone, ...
}
`

// mailconf runs the mailconf command in c's directory with s's secret in
// its environment, and returns its stdout and exit code.
func (c *config) mailconf(t *testing.T, s *server, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mailconfBinary(t), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "MAILCONF_TSIG_SECRET="+s.key.secret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), 0
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		t.Logf("mailconf %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), exit.ExitCode(), stdout.String(), stderr.String())
		return stdout.String(), exit.ExitCode()
	default:
		t.Fatalf("mailconf %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
		return "", 0
	}
}

// mustRun runs mailconf and fails the test, showing the server's log,
// unless it exits 0.
func (c *config) mustRun(t *testing.T, s *server, args ...string) string {
	t.Helper()
	out, code := c.mailconf(t, s, args...)
	if code != 0 {
		t.Fatalf("mailconf %s exited %d; server log:\n%s", strings.Join(args, " "), code, tail(s.log(), 40))
	}
	return out
}

// canonical is the text of each record, its owner lower-cased and a TXT
// record's character-strings joined, sorted: two zones hold the same
// records when their canonical forms are equal.
//
// The strings are joined because the rfc2136 provider hands a long TXT text
// to the libdns library as one value, which it splits every 255 octets,
// while mailconf records shows the split mailconf chooses (after "k=rsa; "
// for a DKIM key). Readers of SPF and DKIM records join the strings without
// a separator (RFC 7208 section 3.3, RFC 6376 section 3.6.2.2), so the two
// are the same record to every receiver.
func canonical(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		rr = dns.Copy(rr)
		rr.Header().Name = dns.CanonicalName(rr.Header().Name)
		if txt, ok := rr.(*dns.TXT); ok {
			txt.Txt = []string{strings.Join(txt.Txt, "")}
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// withoutSOA drops the SOA, whose serial every update changes.
func withoutSOA(rrs []dns.RR) []dns.RR {
	return slices.DeleteFunc(slices.Clone(rrs), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeSOA })
}

// zoneState is what the server holds in each zone, by AXFR with its key.
func zoneState(t *testing.T, s *server, zones []zone) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := map[string][]string{}
	for _, z := range zones {
		rrs, err := transfer(ctx, s.addr, &s.key, z.name)
		if err != nil {
			t.Fatalf("%v\nserver log:\n%s", err, tail(s.log(), 30))
		}
		out[z.name] = canonical(withoutSOA(rrs))
	}
	return out
}

// checkZones compares what the server holds with what it held before any
// apply (seed) plus the records `mailconf records` prints, exactly: no
// record of mailconf's missing, changed or left over, and the seed intact.
func checkZones(t *testing.T, s *server, c *config, zones []zone, seed map[string][]string) {
	t.Helper()
	out := c.mustRun(t, s, "records", "-c", ".")
	want := map[string][]string{}
	for _, rr := range parseRecords(t, "mailconf records", out) {
		name := dns.CanonicalName(rr.Header().Name)
		var z string
		for _, zz := range zones {
			if dns.IsSubDomain(zz.name+".", name) {
				z = zz.name
			}
		}
		if z == "" {
			t.Fatalf("mailconf records prints %s, in none of the test's zones", rr)
		}
		want[z] = append(want[z], canonical([]dns.RR{rr})...)
	}
	for z, rrs := range seed {
		want[z] = append(want[z], rrs...)
		slices.Sort(want[z])
	}
	got := zoneState(t, s, zones)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zones after apply (-seed and mailconf records, +AXFR):\n%s", diff)
	}
}

// TestRFC2136 applies the quickstart through the rfc2136 provider to each
// server, reads the zones back by AXFR and compares them with the plan;
// then changes the configuration (a weaker DMARC policy, another sender
// in one domain and a catalog sender added to the other, an MX host
// dropped, a DKIM key removed) and compares again; and last runs verify
// against the server.
func TestRFC2136(t *testing.T) {
	requireNetns(t)
	mailconfBinary(t)
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			zones := quickstartZones(t)
			s := impl.run(t, zones...)
			testApply(t, s, zones)
		})
	}
}

func testApply(t *testing.T, s *server, zones []zone) {
	seed := zoneState(t, s, zones)
	// The seed holds the quickstart's records, so that an apply that
	// dropped them would show.
	for _, z := range zones {
		for _, rr := range canonical(parseRecords(t, z.name, z.records)) {
			if !slices.Contains(seed[z.name], rr) {
				t.Fatalf("the server's %s lacks the seeded record %s:\n%s", z.name, rr, strings.Join(seed[z.name], "\n"))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := transfer(ctx, s.addr, nil, zones[0].name); err == nil {
		t.Errorf("an AXFR without the key succeeded: the server is set up unlike examples/rfc2136 says")
	}

	c := copyQuickstart(t)
	c.replace(t, zonefileProvider, providerBlock(s), 1)
	// An RFC 2136 server cannot list its zones: each domain names its own.
	for _, z := range zones {
		c.replace(t, fmt.Sprintf("domain %q {\n  provider = provider.zonefile.local\n", z.name),
			fmt.Sprintf("domain %q {\n  provider = provider.rfc2136.primary\n  zone     = %q\n", z.name, z.name), 1)
	}

	t.Log("apply the quickstart")
	c.mustRun(t, s, "apply", "-c", ".", "--auto-approve")
	checkZones(t, s, c, zones, seed)
	if _, code := c.mailconf(t, s, "plan", "-c", ".", "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply exited %d, want 0 (nothing to do)", code)
	}

	t.Log("change and delete records")
	before := c.mustRun(t, s, "records", "-c", ".")
	// Weakening DMARC, and changing this many records, need --force.
	c.replace(t, `policy           = "reject"`, `policy           = "quarantine"`, 1)
	c.replace(t, `sender "google_workspace" "corp" {`, `sender "custom" "backup" {
  ip4 = ["198.51.100.7"]
}

sender "google_workspace" "corp" {`, 1)
	c.replace(t, `senders = [sender.custom.relay, sender.sendgrid.news]`, `senders = [sender.custom.relay, sender.custom.backup, sender.sendgrid.news]`, 1)
	c.replace(t, `senders  = [sender.custom.relay, sender.google_workspace.corp]`, `senders  = [sender.custom.relay, sender.google_workspace.corp, sender.sendgrid.news]`, 1)
	c.replace(t, `  mx {
    host       = "mx2.example.com"
    preference = 20
  }
`, "", 1)
	// A retired key whose remove_after has passed is deleted: the way
	// mailconf removes a record set it owns (a block merely removed is
	// left alone as no longer mailconf's).
	c.replace(t, `  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/example.com/s2026e.pem"
  }`, `  dkim "s2026e" {
    algorithm    = "ed25519"
    key_file     = "keys/example.com/s2026e.pem"
    state        = "retired"
    remove_after = "2026-01-01T00:00:00Z"
  }`, 1)
	after := c.mustRun(t, s, "records", "-c", ".")
	// The edits change what mailconf publishes as intended, so that the
	// comparison below cannot pass on a plan that did nothing.
	for _, w := range []struct {
		text      string
		in, after bool
	}{
		{`"v=DMARC1; p=quarantine;`, false, true},
		{`ip4:198.51.100.7`, false, true},
		{`em1234.example.net.`, false, true},
		{`20 mx2.example.com.`, true, false},
		{`s2026e._domainkey.example.com.`, true, false},
		{`s2026e._domainkey.example.net.`, true, true},
	} {
		if strings.Contains(before, w.text) != w.in || strings.Contains(after, w.text) != w.after {
			t.Fatalf("mailconf records: %q before the edit %v, after %v; want %v, %v", w.text, strings.Contains(before, w.text), strings.Contains(after, w.text), w.in, w.after)
		}
	}
	c.mustRun(t, s, "apply", "-c", ".", "--auto-approve", "--force")
	checkZones(t, s, c, zones, seed)
	if _, code := c.mailconf(t, s, "plan", "-c", ".", "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after the second apply exited %d, want 0 (nothing to do)", code)
	}

	t.Log("verify")
	// The namespace has no recursive resolver: startResolver stands in for
	// one, for the lookups of the receiver-side checks.
	resolver := startResolver(t, s, zones)
	c.mustRun(t, s, "verify", "-c", ".", "--no-probe", "--nameserver", s.addr, "--resolver", resolver, "--timeout", "30s")
}
