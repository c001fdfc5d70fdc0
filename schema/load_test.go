package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// loadString loads files given as name -> text from a temporary directory.
func loadString(t *testing.T, files map[string]string, env map[string]string) (*Config, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return Load(dir, Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
}

func mustLoad(t *testing.T, files map[string]string, env map[string]string) *Config {
	t.Helper()
	cfg, diags := loadString(t, files, env)
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics: %s", diags.Error())
	}
	return cfg
}

func domainNames(cfg *Config) []string {
	var out []string
	for _, d := range cfg.Domains {
		out = append(out, d.Name)
	}
	return out
}

func TestSeveralFilesAreOneConfiguration(t *testing.T) {
	cfg := mustLoad(t, map[string]string{
		"senders.hcl": `sender "custom" "relay" { ip4 = ["203.0.113.10"] }`,
		"domains.hcl": `domain "example.com" { senders = [sender.custom.relay] }`,
		"notes.txt":   `this is not HCL and is ignored`,
	}, nil)
	d := cfg.Domain("example.com")
	if d == nil || len(d.Senders) != 1 || d.Senders[0].Addr() != "sender.custom.relay" {
		t.Fatalf("domain not linked to its sender: %+v", d)
	}
	if diff := cmp.Diff([]string{"ip4:203.0.113.10"}, d.Senders[0].SPF); diff != "" {
		t.Error(diff)
	}
}

func TestForEach(t *testing.T) {
	for _, tc := range []struct {
		name string
		hcl  string
		want []string
	}{
		{"set literal", `domain "g" { for_each = toset(["b.example", "a.example"]) }`, []string{"a.example", "b.example"}},
		{"set from variable", `
variable "names" { default = ["x.example", "y.example", "x.example"] }
domain "g" { for_each = toset(var.names) }`, []string{"x.example", "y.example"}},
		{"map with values", `
domain "g" {
  for_each = { "a.example" = 600, "b.example" = 900 }
  ttl      = each.value
}`, []string{"a.example", "b.example"}},
		{"key used in attributes", `
domain "g" {
  for_each = toset(["a.example"])
  zone     = each.key
}`, []string{"a.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustLoad(t, map[string]string{"m.hcl": tc.hcl}, nil)
			if diff := cmp.Diff(tc.want, domainNames(cfg)); diff != "" {
				t.Error(diff)
			}
		})
	}
	cfg := mustLoad(t, map[string]string{"m.hcl": `
domain "g" {
  for_each = { "a.example" = 600, "b.example" = 900 }
  ttl      = each.value
}`}, nil)
	if cfg.Domain("a.example").TTL != 600 || cfg.Domain("b.example").TTL != 900 {
		t.Errorf("each.value not applied: %d %d", cfg.Domain("a.example").TTL, cfg.Domain("b.example").TTL)
	}
}

func TestPolicyMergeAttributeByAttribute(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.hcl": `
policy "strict" {
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
    rua              = ["mailto:d@example.com"]
  }
  tls_rpt {
    rua = ["mailto:t@example.com"]
  }
}
domain "example.com" {
  policy = policy.strict
  dmarc {
    policy = "quarantine"
  }
}
domain "example.net" {
  policy = policy.strict
}`}, nil)
	com := cfg.Domain("example.com")
	if got := com.DMARC.Policy.Value; got != "quarantine" {
		t.Errorf("domain override lost: p=%s", got)
	}
	if got := com.DMARC.SubdomainPolicy.Value; got != "reject" {
		t.Errorf("policy attribute not inherited: sp=%s", got)
	}
	if diff := cmp.Diff([]string{"mailto:d@example.com"}, com.DMARC.RUA.Value); diff != "" {
		t.Error(diff)
	}
	if com.TLSRPT == nil || cfg.Domain("example.net").DMARC.Policy.Value != "reject" {
		t.Error("policy blocks not inherited")
	}
	if com.Own.TLSRPT != nil {
		t.Error("Own must hold only the domain's own blocks")
	}
}

func TestReferencesSurviveExpressions(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.hcl": `
policy "a" {}
policy "b" {}
sender "custom" "x" { ip4 = ["192.0.2.1"] }
sender "custom" "y" { ip4 = ["192.0.2.2"] }
domain "g" {
  for_each = toset(["one.example", "two.example"])
  policy   = each.key == "one.example" ? policy.a : policy.b
  senders  = concat([sender.custom.x], each.key == "two.example" ? [sender.custom.y] : [])
}`}, nil)
	if cfg.Domain("one.example").Policy.Name != "a" || cfg.Domain("two.example").Policy.Name != "b" {
		t.Error("conditional policy reference")
	}
	if n := len(cfg.Domain("two.example").Senders); n != 2 {
		t.Errorf("two.example has %d senders, want 2", n)
	}
}

func TestFunctionsAndVariables(t *testing.T) {
	cfg := mustLoad(t, map[string]string{
		"m.hcl": `
variable "base" { default = "EXAMPLE.com" }
domain "mail.example.com" {
  zone = lower(var.base)
}
domain "other.example.com" {
  zone = trimspace(file("zone.txt"))
}
domain "env.example.com" {
  zone = env("ZONE")
}`,
		"zone.txt": "example.com\n",
	}, map[string]string{"ZONE": "example.com"})
	for _, n := range []string{"mail.example.com", "other.example.com", "env.example.com"} {
		if z := cfg.Domain(n).Zone.Value; z != "example.com" {
			t.Errorf("%s: zone %q", n, z)
		}
	}
}

func TestProviderDefault(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.hcl": `
provider "zonefile" "local" { dir = "zones" }
domain "example.com" {}`}, nil)
	if p := cfg.Domain("example.com").Provider; p == nil || p.Addr() != "provider.zonefile.local" {
		t.Errorf("single provider not used by default: %v", p)
	}
	cfg = mustLoad(t, map[string]string{"m.hcl": `domain "example.com" {}`}, nil)
	if cfg.Domain("example.com").Provider != nil {
		t.Error("no provider declared, yet one is set")
	}
}

func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "Example.COM.", want: "example.com"},
		{in: "bücher.example", want: "xn--bcher-kva.example"},
		{in: "_dmarc.example.com", want: "_dmarc.example.com"},
		{in: "example", bad: true},
		{in: "192.0.2.1", bad: true},
		{in: "-bad.example", bad: true},
		{in: strings.Repeat("a", 64) + ".example", bad: true},
		{in: "", bad: true},
	} {
		got, err := NormalizeDomain(tc.in)
		if (err != "") != tc.bad || !tc.bad && got != tc.want {
			t.Errorf("NormalizeDomain(%q) = %q, %q", tc.in, got, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	if got := suggest("rejekt", []string{"none", "quarantine", "reject"}); got != ` Did you mean "reject"?` {
		t.Errorf("got %q", got)
	}
	if got := suggest("zzzzzz", []string{"none", "reject"}); got != "" {
		t.Errorf("unrelated word suggested: %q", got)
	}
}

func TestSecretsAreMarkedNotPrinted(t *testing.T) {
	// Provider attributes stay opaque: a token from env() is never
	// decoded here, so it cannot leak into anything the loader returns.
	cfg, diags := loadString(t, map[string]string{"m.hcl": `
provider "cloudflare" "main" {
  api_token = env("CF_TOKEN")
}
domain "example.com" {
  zone = "bad zone"
}`}, map[string]string{"CF_TOKEN": "s3cr3t-t0ken"})
	if !diags.HasErrors() {
		t.Fatal("want the invalid zone diagnostic")
	}
	if strings.Contains(diags.Error(), "s3cr3t") {
		t.Errorf("secret in diagnostics: %s", diags.Error())
	}
	if len(cfg.Providers) != 1 {
		t.Fatal("provider not declared")
	}
}

func TestProbeBlock(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.hcl": `
domain "example.com" {}
probe {
  to = "Probe@Probe.Example.NET"
  imap {
    host     = "imap.example.net"
    username = "u"
    password = env("IMAP_PASSWORD")
    authserv_id = "mx.example.net"
  }
}`}, map[string]string{"IMAP_PASSWORD": "imap-secret-password"})
	p := cfg.Probe
	if p == nil || p.To != "Probe@probe.example.net" || p.FromLocal != "mailconf-probe" || p.Timeout != 2*time.Minute {
		t.Fatalf("probe block: %+v", p)
	}
	if p.IMAP == nil || p.IMAP.Address != "imap.example.net:993" || !p.IMAP.ImplicitTLS || p.IMAP.Password != "imap-secret-password" {
		t.Errorf("a bare IMAP host means port 993 with implicit TLS: %+v", p.IMAP)
	}
	if p.IMAP.AuthServID != "mx.example.net" {
		t.Errorf("authserv_id = %q", p.IMAP.AuthServID)
	}
	if p.Receiver != nil || p.Relay != nil {
		t.Errorf("unexpected blocks: %+v", p)
	}
}
