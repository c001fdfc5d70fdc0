package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailconf/mailconf/resolve/dnstest"
)

// driftClock is the time of day of every drift test run.
var driftClock = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

// driftZoneTime is the modification time the tests give zone files.
var driftZoneTime = time.Date(2026, 3, 1, 21, 15, 0, 0, time.UTC)

// driftQuickstart is the quickstart copied to a temporary directory and
// applied, with a fixed SOA serial and zone file times (apply dates both
// by the clock), and the MTA-STS policies it compiles written to served/,
// where driftEnv's HTTP client serves them from.
func driftQuickstart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	serial := regexp.MustCompile(`(IN SOA +\S+ \S+ )\d+`)
	for _, zone := range []string{"example.com", "example.net"} {
		driftEditZone(t, dir, zone, func(s string) string { return serial.ReplaceAllString(s, "${1}2026030101") })
		code, policy, errOut := runCmd(t, nil, "mta-sts-policy", "-c", dir, zone)
		if code != 0 {
			t.Fatalf("mta-sts-policy: %s", errOut)
		}
		driftWrite(t, filepath.Join(dir, "served", zone+".txt"), policy)
	}
	return dir
}

func driftWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// driftEditZone edits a zone file by hand, as someone at the DNS host would,
// and gives it the tests' modification time.
func driftEditZone(t *testing.T, dir, zone string, edit func(string) string) {
	t.Helper()
	path := filepath.Join(dir, "zones", zone+".zone")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	after := edit(string(b))
	if after == string(b) {
		t.Fatalf("the edit of %s changed nothing", zone)
	}
	driftWrite(t, path, after)
	if err := os.Chtimes(path, driftZoneTime, driftZoneTime); err != nil {
		t.Fatal(err)
	}
}

// driftDropLine removes the zone file lines that start with prefix.
func driftDropLine(prefix string) func(string) string {
	return func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, prefix) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
}

func driftReplace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// driftDNS serves the zones as dir holds them now, Google's stand-in
// records the quickstart's SPF includes, and the top-level zones the
// DMARC tree walk ends at. extra zones replace or add to those.
func driftDNS(t *testing.T, dir string, extra ...string) *dnstest.Server {
	t.Helper()
	zones := zoneTexts(t, dir)
	if len(extra) == 0 {
		b, err := os.ReadFile("../../testdata/lint/quickstart/google.com.zone")
		if err != nil {
			t.Fatal(err)
		}
		extra = []string{string(b)}
	}
	zones = append(zones, extra...)
	zones = append(zones, "$ORIGIN com.\n", "$ORIGIN net.\n")
	return dnstest.NewServer(t, zones...)
}

// driftEnv runs commands at driftClock with an HTTP client that serves the
// MTA-STS policies of dir/served and reaches loopback servers (webhooks)
// and nothing else.
func driftEnv(dir string) *env {
	served := servedPolicies(filepath.Join(dir, "served"))
	loopback := http.DefaultTransport
	return &env{
		stdin: strings.NewReader(""),
		clock: func() time.Time { return driftClock },
		httpClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Hostname() == "127.0.0.1" {
				return loopback.RoundTrip(r)
			}
			return served.Transport.RoundTrip(r)
		})},
	}
}

func driftArgs(dir string, dns *dnstest.Server, more ...string) []string {
	return append([]string{"drift", "-c", dir, "--resolver", dns.Addr(), "--nameserver", dns.Addr()}, more...)
}

// TestDriftNone: right after apply, nothing has drifted.
func TestDriftNone(t *testing.T) {
	dir := driftQuickstart(t)
	dns := driftDNS(t, dir)
	code, out, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...)
	if code != 0 || !strings.Contains(out, "No drift: the live records of 2 domains match the configuration.") {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "skipped") || strings.Contains(out, "could not check") {
		t.Errorf("every check should have run:\n%s", out)
	}
}

// TestDriftRecordKinds edits the zone by hand, one record kind at a time,
// and drift names what changed and the checks that saw it.
func TestDriftRecordKinds(t *testing.T) {
	base := driftQuickstart(t)
	for _, tc := range []struct {
		name, zone string
		edit       func(string) string
		want       []string
	}{
		{"MX", "example.com", driftReplace("MX    10 mx1.example.com.", "MX    10 mx9.example.com."),
			[]string{"~ MX example.com MX", `expected ["10 mx1.example.com." "20 mx2.example.com."]`, `live     ["10 mx9.example.com." "20 mx2.example.com."]`}},
		{"SPF", "example.com", driftReplace("ip6:2001:db8::10 -all", "ip6:2001:db8::10 ~all"),
			[]string{"~ SPF example.com TXT", `live     ["v=spf1 ip4:203.0.113.10 ip6:2001:db8::10 ~all"]`}},
		{"DMARC", "example.com", driftReplace("p=reject; sp=reject", "p=none; sp=reject"),
			[]string{"~ DMARC _dmarc.example.com TXT", "p=none"}},
		{"DKIM", "example.com", driftDropLine("s2026e._domainkey"),
			[]string{"+ DKIM s2026e._domainkey.example.com TXT", "is missing from the zone", "live     nothing"}},
		{"DKIM CNAME of a sender", "example.com", driftReplace("s1.domainkey.u1234567.wl123.sendgrid.net.", "s1.domainkey.u7654321.wl123.sendgrid.net."),
			[]string{"~ DKIM s1._domainkey.example.com CNAME"}},
		{"MTA-STS TXT", "example.net", driftDropLine("_mta-sts"),
			[]string{"+ MTA-STS _mta-sts.example.net TXT"}},
		{"TLS-RPT", "example.com", driftReplace("tlsrpt@example.net", "tlsrpt@elsewhere.example"),
			[]string{"~ TLS-RPT _smtp._tls.example.com TXT", "mailto:tlsrpt@elsewhere.example"}},
		{"DMARC report authorization", "example.net", driftDropLine("example.com._report._dmarc"),
			[]string{"+ DMARC report authorization example.com._report._dmarc.example.net TXT"}},
		{"sender return-path", "example.com", driftDropLine("em1234"),
			[]string{"+ sender sendgrid.news em1234.example.com CNAME"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, base, dir)
			driftEditZone(t, dir, tc.zone, tc.edit)
			dns := driftDNS(t, dir)
			code, out, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			want := append(tc.want,
				tc.zone+"  DRIFT",
				// The provider's zone and the server serving it agree.
				fmt.Sprintf("found by plan (provider.zonefile.local), propagation (%s)", dns.Addr()),
				"since: 2026-03-01T21:15:00Z, when zones/"+tc.zone+".zone last changed",
				"(SOA serial 2026030101)",
				"fix: mailconf plan -c "+dir+" --domain "+tc.zone+" -out "+tc.zone+".plan && mailconf apply -c "+dir+" "+tc.zone+".plan",
				"Drift: 1 record in 1 of 2 domains.",
			)
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
			// apply puts it back, and drift agrees.
			planFile := filepath.Join(t.TempDir(), tc.zone+".plan")
			if code, out, errOut := runCmd(t, nil, "plan", "-c", dir, "--domain", tc.zone, "-out", planFile); code != 0 {
				t.Fatalf("the fix's plan: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", planFile); code != 0 {
				t.Fatalf("the fix: exit %d\n%s%s", code, out, errOut)
			}
			dns = driftDNS(t, dir)
			if code, out, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...); code != 0 {
				t.Errorf("after the fix: exit %d, want 0\n%s%s", code, out, errOut)
			}
		})
	}
}

// TestDriftServersLag: the provider holds the configured records, but an
// authoritative server still serves the zone as it was before apply.
func TestDriftServersLag(t *testing.T) {
	before := t.TempDir()
	copyDir(t, "../../examples/quickstart", before)
	dir := driftQuickstart(t)
	good := driftDNS(t, dir)
	stale := driftDNS(t, before)
	code, out, errOut := runOn(t, driftEnv(dir), nil, "drift", "-c", dir, "--resolver", good.Addr(), "--nameserver", good.Addr(), "--nameserver", stale.Addr(), "--domain", "example.net")
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"found by propagation (" + stale.Addr() + ")",
		"check that the servers named load the zone from it",
		"since: unknown: not in the zone the provider holds; found by propagation",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "\nexample.com  ") || strings.Contains(out, "mailconf apply") {
		t.Errorf("--domain example.net reports only it, and apply would not help:\n%s", out)
	}
}

// TestDriftServedPolicy: the policy file served over HTTPS is not the one
// mailconf compiles, or is not served at all.
func TestDriftServedPolicy(t *testing.T) {
	dir := driftQuickstart(t)
	dns := driftDNS(t, dir)
	policy := filepath.Join(dir, "served", "example.com.txt")
	b, _ := os.ReadFile(policy)
	driftWrite(t, policy, strings.Replace(string(b), "mode: enforce", "mode: testing", 1))
	code, out, _ := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, out)
	}
	for _, w := range []string{
		"~ MTA-STS policy https://mta-sts.example.com/.well-known/mta-sts.txt",
		"the served policy differs from mailconf's in mode",
		`expected ["mode: enforce"]`,
		`live     ["mode: testing"]`,
		"found by mta-sts-policy (https://mta-sts.example.com/.well-known/mta-sts.txt)",
		"fix: serve the output of mailconf mta-sts-policy -c " + dir + " example.com at https://mta-sts.example.com/.well-known/mta-sts.txt",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	os.Remove(policy)
	code, out, _ = runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...)
	if code != 2 || !strings.Contains(out, "the policy could not be fetched (connection refused (test))") {
		t.Fatalf("policy not served: exit %d\n%s", code, out)
	}
}

// driftHeavySPF is Google's stand-in zone with an SPF record that now
// costs 11 lookups through its includes.
func driftHeavySPF() string {
	var b strings.Builder
	b.WriteString("$ORIGIN google.com.\n$TTL 300\n@ IN SOA ns1.google.com. dns-admin.google.com. ( 1 900 900 1800 60 )\n@ IN NS ns1.google.com.\nns1 IN A 192.0.2.53\n")
	b.WriteString(`_spf IN TXT "v=spf1`)
	for i := range 10 {
		fmt.Fprintf(&b, " include:_spf%d.google.com", i)
	}
	b.WriteString(" ~all\"\n")
	for i := range 10 {
		fmt.Fprintf(&b, "_spf%d IN TXT \"v=spf1 ip4:192.0.2.%d ~all\"\n", i, i)
	}
	for i, h := range []string{"aspmx.l", "alt1.aspmx.l", "alt2.aspmx.l", "alt3.aspmx.l", "alt4.aspmx.l"} {
		fmt.Fprintf(&b, "%s IN A 192.0.2.%d\n", h, 26+i)
	}
	return b.String()
}

// TestDriftSPFLookups: nothing in the zone changed, but an include now
// costs too many lookups.
func TestDriftSPFLookups(t *testing.T) {
	dir := driftQuickstart(t)
	dns := driftDNS(t, dir, driftHeavySPF())
	code, out, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"example.net  DRIFT",
		"! SPF example.net TXT",
		"found by spf-lint spf-too-many-lookups",
		"fix: mailconf lint -c " + dir + " --explain-spf example.net shows where the lookups come from",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
}

// driftGoldenCase is the applied quickstart with three kinds of drift: an
// SPF record edited, a DKIM key removed and example.net's policy file
// served in testing mode.
func driftGoldenCase(t *testing.T) (string, *dnstest.Server) {
	t.Helper()
	dir := driftQuickstart(t)
	driftEditZone(t, dir, "example.com", driftReplace("ip6:2001:db8::10 -all", "ip6:2001:db8::10 ~all"))
	driftEditZone(t, dir, "example.com", driftDropLine("s2026e._domainkey"))
	policy := filepath.Join(dir, "served", "example.net.txt")
	b, _ := os.ReadFile(policy)
	driftWrite(t, policy, strings.Replace(string(b), "max_age: 604800", "max_age: 86400", 1))
	return dir, driftDNS(t, dir)
}

// normalizeDrift replaces what differs between runs: the temporary
// directory and the DNS server's port.
func normalizeDrift(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "DIR")
	return regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(s, "127.0.0.1:PORT")
}

func TestDriftGolden(t *testing.T) {
	dir, dns := driftGoldenCase(t)
	for _, f := range []struct{ format, file string }{{"text", "drift.txt"}, {"json", "drift.json"}, {"markdown", "drift.md"}} {
		code, out, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--format", f.format)...)
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2\n%s%s", f.format, code, out, errOut)
		}
		golden(t, filepath.Join("drift", f.file), normalizeDrift(out, dir))
	}
}

// TestDriftJSONShape: the JSON report decodes as docs/drift-json.md says.
func TestDriftJSONShape(t *testing.T) {
	dir, dns := driftGoldenCase(t)
	_, out, _ := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--format", "json")...)
	var rep driftReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.FormatVersion != "1" || !rep.Drift || rep.Summary.Drifted != 2 || rep.Summary.Items != 3 || !rep.GeneratedAt.Equal(driftClock) {
		t.Errorf("report: %+v", rep)
	}
	com := rep.Domains[0]
	if com.Domain != "example.com" || com.Status != "drift" || com.Since == nil || com.Since.Basis != "zone-file-mtime" || !com.Since.Time.Equal(driftZoneTime) || *com.Since.SOASerial != 2026030101 {
		t.Errorf("example.com: %+v since %+v", com, com.Since)
	}
	if net := rep.Domains[1]; net.Since == nil || net.Since.Basis != "unknown" {
		t.Errorf("example.net's policy drift has no date: %+v", net.Since)
	}
}

// TestDriftNoColor: text is coloured only on a terminal, never with
// NO_COLOR.
func TestDriftNoColor(t *testing.T) {
	dir, dns := driftGoldenCase(t)
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := driftEnv(dir)
	e.stdout = f
	if driftColor(&env{stdout: f, lookupEnv: func(string) (string, bool) { return "", false }}) {
		t.Error("a file is not a terminal")
	}
	if driftColor(&env{stdout: os.Stdout, lookupEnv: func(k string) (string, bool) { return "", k == "NO_COLOR" }}) {
		t.Error("NO_COLOR set, still coloured")
	}
	_, out, _ := runOn(t, driftEnv(dir), map[string]string{"NO_COLOR": "1"}, driftArgs(dir, dns)...)
	if strings.Contains(out, "\x1b[") {
		t.Errorf("escape sequences in plain output:\n%q", out)
	}
	var b strings.Builder
	rep := &driftReport{Domains: []*driftDomain{{Domain: "example.com", Status: "drift"}}}
	if err := writeDriftText(&b, rep, true); err != nil || !strings.Contains(b.String(), "\x1b[1;31mDRIFT\x1b[0m") {
		t.Errorf("coloured output: %q", b.String())
	}
}

// driftHook is an in-process webhook receiver on 127.0.0.1 answering with
// the given statuses in turn, the last one repeated.
type driftHook struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	bodies   []string
}

func newDriftHook(t *testing.T, statuses ...int) *driftHook {
	t.Helper()
	w := &driftHook{statuses: statuses}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies = append(w.bodies, string(b))
		status := w.statuses[0]
		if len(w.statuses) > 1 {
			w.statuses = w.statuses[1:]
		}
		w.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			status = http.StatusUnsupportedMediaType
		}
		rw.WriteHeader(status)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *driftHook) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.bodies...)
}

// driftNoSleep records the pauses between attempts instead of taking them.
func driftNoSleep(t *testing.T) *[]time.Duration {
	t.Helper()
	var slept []time.Duration
	driftNotifySleep = func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}
	t.Cleanup(func() { driftNotifySleep = nil })
	return &slept
}

func TestDriftNotify(t *testing.T) {
	dir, dns := driftGoldenCase(t)
	t.Run("json payload is the report", func(t *testing.T) {
		hook := newDriftHook(t, 200)
		_, report, _ := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--format", "json")...)
		code, _, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--notify", hook.URL+"/hook")...)
		if code != 2 || len(hook.got()) != 1 {
			t.Fatalf("exit %d, %d posts\n%s", code, len(hook.got()), errOut)
		}
		if hook.got()[0] != report {
			t.Errorf("payload differs from --format json:\n%s", hook.got()[0])
		}
	})
	t.Run("slack payload", func(t *testing.T) {
		hook := newDriftHook(t, 200)
		code, _, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--notify", hook.URL, "--notify-format", "slack")...)
		if code != 2 || len(hook.got()) != 1 {
			t.Fatalf("exit %d, %d posts\n%s", code, len(hook.got()), errOut)
		}
		var msg struct {
			Text   string            `json:"text"`
			Blocks []json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(hook.got()[0]), &msg); err != nil || msg.Text == "" || len(msg.Blocks) == 0 {
			t.Fatalf("not a Slack message (%v): %s", err, hook.got()[0])
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(hook.got()[0]), "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteString("\n")
		golden(t, filepath.Join("drift", "notify-slack.json"), normalizeDrift(pretty.String(), dir))
	})
	t.Run("retried on 500, then delivered", func(t *testing.T) {
		slept := driftNoSleep(t)
		hook := newDriftHook(t, 500, 200)
		code, _, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--notify", hook.URL)...)
		if code != 2 || len(hook.got()) != 2 || len(*slept) != 1 || hook.got()[0] != hook.got()[1] {
			t.Fatalf("exit %d after %d posts and %v of sleep\n%s", code, len(hook.got()), *slept, errOut)
		}
	})
	t.Run("failure after every attempt is exit 1", func(t *testing.T) {
		driftNoSleep(t)
		hook := newDriftHook(t, 503)
		code, _, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--notify", hook.URL+"/hook?token=s3cr3t")...)
		if code != 1 || len(hook.got()) != 3 {
			t.Fatalf("exit %d after %d posts, want 1 after 3\n%s", code, len(hook.got()), errOut)
		}
		for _, w := range []string{"the drift notification failed", "posting to " + hook.URL + "/hook failed after 3 attempts: HTTP 503"} {
			if !strings.Contains(errOut, w) {
				t.Errorf("stderr lacks %q: %s", w, errOut)
			}
		}
		if strings.Contains(errOut, "s3cr3t") {
			t.Errorf("the URL's query string is printed: %s", errOut)
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		driftNoSleep(t)
		hook := newDriftHook(t, 404)
		code, _, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns, "--notify", hook.URL)...)
		if code != 1 || len(hook.got()) != 1 || !strings.Contains(errOut, "HTTP 404") {
			t.Fatalf("exit %d after %d posts\n%s", code, len(hook.got()), errOut)
		}
	})
	t.Run("no drift, no post", func(t *testing.T) {
		clean := driftQuickstart(t)
		hook := newDriftHook(t, 200)
		code, _, errOut := runOn(t, driftEnv(clean), nil, driftArgs(clean, driftDNS(t, clean), "--notify", hook.URL)...)
		if code != 0 || len(hook.got()) != 0 {
			t.Fatalf("exit %d, %d posts\n%s", code, len(hook.got()), errOut)
		}
	})
}

// TestDriftNotifyNoSecrets: a configuration with provider credentials and
// other secrets read with env(): neither the report, nor the payloads,
// nor an error notification carries them.
func TestDriftNotifyNoSecrets(t *testing.T) {
	dir, dns := driftGoldenCase(t)
	secrets := map[string]string{
		"CLOUDFLARE_API_TOKEN": "cf-token-5ecret-0123456789abcdef",
		"PROBE_API_TOKEN":      "probe-token-5ecret-0123456789",
		"RELAY_PASSWORD":       "relay-pa55word-5ecret",
	}
	driftWrite(t, filepath.Join(dir, "secrets.hcl"), `
provider "cloudflare" "unused" {
  api_token = env("CLOUDFLARE_API_TOKEN")
}

probe {
  to = "probe@probe.mailconf.test"
  receiver {
    url       = "https://probe.mailconf.test"
    api_token = env("PROBE_API_TOKEN")
  }
  relay {
    address  = "127.0.0.1:2525"
    username = "alice"
    password = env("RELAY_PASSWORD")
  }
}
`)
	check := func(what, s string) {
		t.Helper()
		for _, v := range secrets {
			if strings.Contains(s, v) {
				t.Errorf("%s contains the secret %q:\n%s", what, v, s)
			}
		}
	}
	for _, format := range []string{"json", "slack"} {
		hook := newDriftHook(t, 200)
		code, out, errOut := runOn(t, driftEnv(dir), secrets, driftArgs(dir, dns, "--format", "json", "--notify", hook.URL, "--notify-format", format)...)
		if code != 2 || len(hook.got()) != 1 {
			t.Fatalf("%s: exit %d, %d posts\n%s", format, code, len(hook.got()), errOut)
		}
		check("stdout", out)
		check("stderr", errOut)
		check(format+" payload", hook.got()[0])
	}

	// A configuration that does not load is an error, notified with the
	// diagnostics, which never show a secret's value.
	driftWrite(t, filepath.Join(dir, "broken.hcl"), `
domain "broken.example" {
  provider = provider.zonefile.local
  policy   = policy.strict
  dmarc_typo = env("CLOUDFLARE_API_TOKEN")
}
`)
	hook := newDriftHook(t, 200)
	code, out, errOut := runOn(t, driftEnv(dir), secrets, driftArgs(dir, dns, "--notify", hook.URL)...)
	if code != 1 || len(hook.got()) != 1 || out != "" {
		t.Fatalf("broken configuration: exit %d, %d posts, stdout %q\n%s", code, len(hook.got()), out, errOut)
	}
	var rep driftReport
	if err := json.Unmarshal([]byte(hook.got()[0]), &rep); err != nil || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "mailconf could not plan") || !strings.Contains(rep.Errors[0], "dmarc_typo") {
		t.Errorf("error notification (%v): %s", err, hook.got()[0])
	}
	check("error payload", hook.got()[0])
	check("stderr", errOut)
}

// TestDriftFlags: bad flag values are exit 1, and the shell completes the
// formats.
func TestDriftFlags(t *testing.T) {
	for _, args := range [][]string{
		{"drift", "--format", "yaml"},
		{"drift", "--notify-format", "teams"},
	} {
		if code, _, errOut := runCmd(t, nil, args...); code != 1 || !strings.Contains(errOut, "must be") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	for flag, want := range map[string]string{"--format": "text\njson\nmarkdown\n", "--notify-format": "json\nslack\n"} {
		_, out, _ := runCmd(t, nil, "__complete", "drift", flag, "")
		if !strings.HasPrefix(out, want) {
			t.Errorf("completion of %s: %q", flag, out)
		}
	}
	_, out, _ := runCmd(t, nil, "drift", "--help")
	for _, w := range []string{"--notify URL", "--notify-format FORMAT", "Exit codes: 0 no drift, 2 drift found, 1", "0 * * * * mailconf drift"} {
		if !strings.Contains(out, w) {
			t.Errorf("--help lacks %q", w)
		}
	}
}

// TestDriftPublished: the zone and every server match the configuration,
// but a receiver evaluating the served records would fail the relay's
// mail, whose address moved to one no sender declares.
func TestDriftPublished(t *testing.T) {
	dir := driftQuickstart(t)
	dns := driftDNS(t, dir)
	cfg := filepath.Join(dir, "mailconf.hcl")
	b, _ := os.ReadFile(cfg)
	driftWrite(t, cfg, strings.Replace(string(b), `addresses = ["203.0.113.10", "2001:db8::10"]`, `addresses = ["198.51.100.77"]`, 1))
	code, out, errOut := runOn(t, driftEnv(dir), nil, driftArgs(dir, dns)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"! SPF 198.51.100.77",
		"198.51.100.77, an address of mailconf's relay, is not authorized",
		"found by published fail",
		"since: unknown: not in the zone the provider holds; found by published",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
}

// TestDriftCouldNotCheck: a server that does not answer is no proof of
// anything: exit 1, the report says what could not be checked, and the
// webhook hears of it.
func TestDriftCouldNotCheck(t *testing.T) {
	dir := driftQuickstart(t)
	dns := driftDNS(t, dir)
	dead := dnstest.NewServer(t)
	deadAddr := dead.Addr()
	dead.Close()
	hook := newDriftHook(t, 200)
	code, out, errOut := runOn(t, driftEnv(dir), nil, "drift", "-c", dir, "--resolver", dns.Addr(), "--nameserver", deadAddr, "--notify", hook.URL)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"example.com  NOT CHECKED", "could not check: propagation: " + deadAddr, "checks could not run."} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	if len(hook.got()) != 1 || !strings.Contains(hook.got()[0], `"status": "error"`) {
		t.Errorf("notification: %v", hook.got())
	}
}
