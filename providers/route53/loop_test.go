package route53

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/route53/internal/escape"
	"github.com/mailconf/mailconf/providers/route53/r53test"
	"github.com/mailconf/mailconf/schema"
)

// loopConfig is a mailconf configuration for example.com on the fake: a
// sender, two MX, DMARC, and a 2048-bit RSA DKIM key, whose TXT value is
// longer than one 255-octet character-string.
const loopConfig = `
provider "route53" "main" {
  region            = "us-east-1"
  access_key_id     = %q
  secret_access_key = env("FAKE_AWS_SECRET")
  endpoint          = %q
  concurrency       = 2
}

sender "custom" "relay" {
  ip4 = ["203.0.113.10"]
}

domain "example.com" {
  provider = provider.route53.main
  senders  = [sender.custom.relay]

  mx {
    host       = "mx1.example.com"
    preference = 10
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }

  dmarc {
    policy = "reject"
    rua    = ["mailto:dmarc@example.com"]
  }

  dkim "s2048" {
    algorithm = "rsa-2048"
    key_file  = "keys/rsa2048.pem"
  }
}
`

// TestMailconfLoop drives mailconf's whole loop against the fake: load,
// compile, read the live zone, diff, apply, read again, and diff again,
// which must find nothing to do. Records that are not mailconf's (an A,
// a CNAME, the MX of another name, and a site verification TXT beside the
// SPF record at the apex) must come out unchanged.
func TestMailconfLoop(t *testing.T) {
	hermetic(t)
	srv := r53test.New(t)
	id := srv.AddZone("example.com.", false)
	unrelated := []r53test.RRSet{
		{Name: "example.com.", Type: "A", TTL: 300, Values: []string{"192.0.2.1"}},
		{Name: "www.example.com.", Type: "CNAME", TTL: 300, Values: []string{"example.com"}},
		{Name: "sub.example.com.", Type: "MX", TTL: 3600, Values: []string{"10 mx.other.example."}},
		{Name: "sub.example.com.", Type: "TXT", TTL: 3600, Values: []string{`"v=spf1 -all"`}},
	}
	for _, set := range unrelated {
		srv.Put(id, set)
	}
	const verification = `"google-site-verification=abc123"`
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "TXT", TTL: 3600, Values: []string{verification, `"v=spf1 include:old.example.net ~all"`}})

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
	hcl := fmt.Sprintf(loopConfig, r53test.AccessKeyID, srv.URL)
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FAKE_AWS_SECRET": r53test.SecretAccessKey}
	cfg, diags := schema.Load(dir, schema.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	clients := map[string]providers.Client{}
	for _, p := range cfg.Providers {
		c, ds := FromConfig(providers.Config{
			Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext,
			BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange,
		})
		if ds.HasErrors() {
			t.Fatal(ds.Error())
		}
		clients[p.Addr()] = c
	}
	if srv.Requests("") != 0 {
		t.Fatalf("building the provider made %d requests; the factory must not contact the API", srv.Requests(""))
	}

	ctx := context.Background()
	live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(desired, live)
	if !p.HasChanges() {
		t.Fatal("the first plan has no changes")
	}
	report, err := plan.Apply(ctx, p, clients, plan.ApplyOptions{Force: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if report.Applied() == 0 {
		t.Fatal("apply applied nothing")
	}

	live, err = plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again := plan.Diff(desired, live); again.HasChanges() {
		for _, d := range again.Domains {
			for _, c := range d.Changes {
				t.Errorf("still to do after apply: %s %s %s: old %v new %v", c.Action.Word(), c.Name, c.Type, c.Old, c.New)
			}
		}
	}

	after := map[[2]string]r53test.RRSet{}
	for _, set := range srv.Sets(id) {
		after[[2]string{set.Name, set.Type}] = set
	}
	for _, want := range unrelated {
		if diff := cmp.Diff(want, after[[2]string{want.Name, want.Type}]); diff != "" {
			t.Errorf("a record that is not mailconf's changed (-before +after):\n%s", diff)
		}
	}
	apex := after[[2]string{"example.com.", "TXT"}]
	if len(apex.Values) != 2 || !slices.Contains(apex.Values, verification) {
		t.Errorf("apex TXT = %q, want the site verification kept beside the new SPF record", apex.Values)
	}
	dkim := after[[2]string{"s2048._domainkey.example.com.", "TXT"}]
	if len(dkim.Values) != 1 {
		t.Fatalf("DKIM TXT values = %q, want one", dkim.Values)
	}
	strs, err := escape.ParseTXT(dkim.Values[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(strs) < 2 {
		t.Errorf("DKIM value %q is one string; a 2048-bit key needs several", dkim.Values[0])
	}
	for _, s := range strs {
		if len(s) > escape.MaxString {
			t.Errorf("DKIM value has a %d-octet string; at most %d fit (RFC 1035 section 3.3.14)", len(s), escape.MaxString)
		}
	}
	if !strings.HasPrefix(strings.Join(strs, ""), "v=DKIM1; k=rsa; p=") {
		t.Errorf("DKIM text = %q", strings.Join(strs, ""))
	}
}
