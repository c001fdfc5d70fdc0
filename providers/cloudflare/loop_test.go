package cloudflare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/cloudflare/cftest"
	"github.com/mailconf/mailconf/schema"
)

// loopConfig declares one domain with the records of a real mail set-up:
// two MX, SPF, DMARC with TLS-RPT, and a 2048-bit DKIM key, whose record
// needs two character-strings.
const loopConfig = `
provider "cloudflare" "main" {
  api_token = env("CLOUDFLARE_API_TOKEN")
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

policy "strict" {
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
    rua              = ["mailto:dmarc@example.com"]
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@example.com"]
  }
}

domain "example.com" {
  provider = provider.cloudflare.main
  policy   = policy.strict
  senders  = [sender.custom.relay]

  mx {
    host       = "mx1.example.com"
    preference = 10
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }

  dkim "s2026a" {
    algorithm = "rsa-2048"
    key_file  = "keys/rsa2048.pem"
  }
}
`

// unrelated are records of the zone that are not mailconf's: they must be
// exactly as they were after apply, proxied flags and automatic TTLs
// included.
var unrelated = []cftest.Record{
	{Name: "@", Type: "A", Content: "192.0.2.1", TTL: 1},
	{Name: "app", Type: "A", Content: "192.0.2.2", Proxied: true},
	{Name: "www", Type: "CNAME", Content: "example.com", Proxied: true},
	{Name: "docs", Type: "CNAME", Content: "hosting.example.net", TTL: 300},
	{Name: "@", Type: "TXT", Content: "google-site-verification=abc123", TTL: 3600},
	{Name: "lists", Type: "MX", Content: "mx.lists.example.net", Priority: 5, TTL: 3600},
	{Name: "s2025._domainkey", Type: "TXT", Content: `"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`, TTL: 3600},
}

// writeConfig writes an HCL configuration and the 2048-bit test key into
// a new directory.
func writeConfig(t testing.TB, hcl string) string {
	t.Helper()
	dir := t.TempDir()
	key, err := os.ReadFile(filepath.Join("..", "..", "testdata", "error-files", "keys", "rsa2048.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys", "rsa2048.pem"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadAll compiles the configuration in dir and builds its providers with
// the "cloudflare" type pointed at the fake.
func loadAll(t testing.TB, dir string, srv *cftest.Server, edit ...func(*Options)) (*plan.Desired, map[string]providers.Client) {
	t.Helper()
	cfg, diags := schema.Load(dir, schema.Options{LookupEnv: func(k string) (string, bool) {
		if k == "CLOUDFLARE_API_TOKEN" {
			return testToken, true
		}
		return "", false
	}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	opts := Options{HTTPClient: srv.Client()}
	for _, e := range edit {
		e(&opts)
	}
	reg := providers.NewRegistry()
	reg.Register(Type, Factory(opts))
	clients := map[string]providers.Client{}
	for _, p := range cfg.Providers {
		c, diags := reg.New(providers.Config{
			Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext,
			BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange,
		})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		clients[p.Addr()] = c
	}
	return desired, clients
}

// planApply is mailconf's loop: read the live zones, diff, apply.
func planApply(t testing.TB, desired *plan.Desired, clients map[string]providers.Client) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(desired, live)
	if _, err := plan.Apply(ctx, p, clients, plan.ApplyOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	return p
}

func showRecords(recs []cftest.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s %s %d %s proxied=%t ttl=%d", r.Name, r.Type, r.Priority, r.Content, r.Proxied, r.TTL))
	}
	return out
}

// TestMailconfLoop plans and applies a domain against the fake, then
// plans again: nothing may be left to do, and every record that is not
// mailconf's must be untouched.
func TestMailconfLoop(t *testing.T) {
	srv := newFake(t, "example.com")
	seed(t, srv, "example.com", unrelated...)
	// An SPF record of the past, which mailconf owns and updates.
	seed(t, srv, "example.com", cftest.Record{Name: "@", Type: "TXT", Content: `"v=spf1 include:_spf.old.example.net -all"`, TTL: 1})
	before := map[string]bool{}
	for _, r := range showRecords(srv.Records("example.com")) {
		if !strings.Contains(r, "v=spf1") {
			before[r] = true
		}
	}

	dir := writeConfig(t, loopConfig)
	desired, clients := loadAll(t, dir, srv)
	first := planApply(t, desired, clients)
	if !first.HasChanges() {
		t.Fatal("the first plan has no changes")
	}
	if first.Summary.Change != 1 {
		t.Errorf("first plan: %+v; want the old SPF record updated", first.Summary)
	}

	// A new process: fresh clients, nothing remembered.
	desired, clients = loadAll(t, dir, srv)
	live, err := plan.ReadLive(context.Background(), desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again := plan.Diff(desired, live); again.HasChanges() {
		for _, d := range again.Domains {
			for _, c := range d.Changes {
				t.Errorf("left to do: %s %s %s: %v -> %v", c.Action, c.Name, c.Type, c.Old, c.New)
			}
		}
	}

	after := map[string]bool{}
	var dkimRecord, spf string
	for _, r := range srv.Records("example.com") {
		after[showRecords([]cftest.Record{r})[0]] = true
		switch {
		case r.Name == "s2026a._domainkey.example.com":
			dkimRecord = r.Content
		case strings.Contains(r.Content, "v=spf1"):
			spf = r.Content
		}
	}
	for r := range before {
		if !after[r] {
			t.Errorf("a record that is not mailconf's changed or vanished: %s", r)
		}
	}
	if spf != `"v=spf1 ip4:203.0.113.10 ~all"` {
		t.Errorf("SPF content %s", spf)
	}
	if want := dkimValue(t); parseTXT(dkimRecord) != want || strings.Count(dkimRecord, `" "`) != 1 {
		t.Errorf("DKIM content %s\nwant two strings joining to %s", dkimRecord, want)
	}
	var mx []string
	for _, r := range srv.Records("example.com") {
		if r.Type == "MX" && r.Name == "example.com" {
			mx = append(mx, fmt.Sprintf("%d %s %d", r.Priority, r.Content, r.TTL))
		}
	}
	if diff := cmp.Diff([]string{"10 mx1.example.com 3600", "20 mx2.example.com 3600"}, mx); diff != "" {
		t.Errorf("MX records (-want +got):\n%s", diff)
	}
}

// TestMailconfLoopAutoTTL plans a zone whose mail records all have
// Cloudflare's automatic TTL (as after someone picks "Auto" in the
// dashboard): a configuration asking for 300 seconds sees nothing to do,
// one asking for an hour updates every set.
func TestMailconfLoopAutoTTL(t *testing.T) {
	for _, tc := range []struct {
		ttl     int
		changes int
	}{
		{300, 0},
		{3600, 5}, // MX, SPF, DMARC, TLS-RPT and DKIM sets
	} {
		t.Run(fmt.Sprintf("ttl=%d", tc.ttl), func(t *testing.T) {
			srv := newFake(t, "example.com")
			config := strings.Replace(loopConfig, "provider = provider.cloudflare.main", fmt.Sprintf("provider = provider.cloudflare.main\n  ttl      = %d", tc.ttl), 1)
			desired, clients := loadAll(t, writeConfig(t, config), srv)
			for _, d := range desired.Domains {
				for _, rs := range d.Sets {
					for _, v := range rs.Values {
						r := cftest.Record{Name: rs.Name, Type: rs.Type, Content: v, TTL: 1}
						switch rs.Type {
						case plan.TypeTXT:
							r.Content = formatTXT(v)
						case plan.TypeMX:
							var pref uint16
							fmt.Sscanf(v, "%d %s", &pref, &r.Content)
							r.Priority = pref
						}
						seed(t, srv, "example.com", r)
					}
				}
			}
			live, err := plan.ReadLive(context.Background(), desired, clients, plan.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p := plan.Diff(desired, live)
			if got := p.Summary.Change; got != tc.changes || p.Summary.Add+p.Summary.Delete != 0 {
				t.Errorf("plan %+v, want %d updates and nothing else", p.Summary, tc.changes)
			}
		})
	}
}
