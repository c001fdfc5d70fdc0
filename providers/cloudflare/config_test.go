package cloudflare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/schema"
)

// loadProvider reads a configuration holding one provider block, with the
// given environment, and builds it through factory f. It returns the
// client, the diagnostics rendered as mailconf shows them, and the
// diagnostics themselves.
func loadProvider(t *testing.T, f providers.Factory, block string, environ map[string]string) (providers.Client, string, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := schema.Load(dir, schema.Options{LookupEnv: func(k string) (string, bool) {
		v, ok := environ[k]
		return v, ok
	}})
	if diags.HasErrors() {
		t.Fatalf("loading: %s", diags.Error())
	}
	if len(cfg.Providers) != 1 {
		t.Fatalf("%d provider blocks, want 1", len(cfg.Providers))
	}
	p := cfg.Providers[0]
	c, diags := f(providers.Config{
		Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext,
		BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange,
	})
	var buf bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&buf, cfg.Files, 100, false)
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return c, buf.String(), diags
}

func TestFromConfig(t *testing.T) {
	const secret = "s3cr3t-token-0123456789abcdefghijklmnop"
	for _, tc := range []struct {
		name    string
		block   string
		env     map[string]string
		summary string // "" when the block is valid
		detail  string
		line    int
		conc    int
	}{
		{
			name:  "minimal",
			block: `provider "cloudflare" "main" { api_token = env("CF_TOKEN") }`,
			env:   map[string]string{"CF_TOKEN": secret},
			conc:  providers.DefaultConcurrency,
		},
		{
			name: "every attribute; a token file's newline dropped",
			block: `provider "cloudflare" "main" {
  api_token   = env("CF_TOKEN")
  zone_token  = env("CF_ZONE_TOKEN")
  concurrency = 8
}`,
			env:  map[string]string{"CF_TOKEN": secret + "\n", "CF_ZONE_TOKEN": "zone-" + secret},
			conc: 8,
		},
		{
			name:    "missing api_token",
			block:   `provider "cloudflare" "main" { concurrency = 2 }`,
			summary: "Missing required argument",
			line:    1,
		},
		{
			name: "unknown attribute",
			block: `provider "cloudflare" "main" {
  api_token = env("CF_TOKEN")
  api_key   = env("CF_TOKEN")
}`,
			env:     map[string]string{"CF_TOKEN": secret},
			summary: "Unsupported argument",
			line:    3,
		},
		{
			name:    "unset environment variable",
			block:   `provider "cloudflare" "main" { api_token = env("CF_TOKEN") }`,
			summary: "Unset environment variable",
			detail:  "CF_TOKEN",
			line:    1,
		},
		{
			name:    "empty token",
			block:   `provider "cloudflare" "main" { api_token = env("CF_TOKEN") }`,
			env:     map[string]string{"CF_TOKEN": " \n"},
			summary: "Empty Cloudflare token",
			line:    1,
		},
		{
			name:    "token with a space inside",
			block:   `provider "cloudflare" "main" { api_token = env("CF_TOKEN") }`,
			env:     map[string]string{"CF_TOKEN": secret + " " + secret},
			summary: "Invalid Cloudflare token",
			detail:  "white space",
			line:    1,
		},
		{
			name:    "Bearer prefix",
			block:   `provider "cloudflare" "main" { api_token = env("CF_TOKEN") }`,
			env:     map[string]string{"CF_TOKEN": "Bearer " + secret},
			summary: "Invalid Cloudflare token",
			detail:  "Bearer",
			line:    1,
		},
		{
			name: "zone token not a string",
			block: `provider "cloudflare" "main" {
  api_token  = env("CF_TOKEN")
  zone_token = ["a"]
}`,
			env:     map[string]string{"CF_TOKEN": secret},
			summary: "Invalid Cloudflare token",
			line:    3,
		},
		{
			name: "concurrency zero",
			block: `provider "cloudflare" "main" {
  api_token   = env("CF_TOKEN")
  concurrency = 0
}`,
			env:     map[string]string{"CF_TOKEN": secret},
			summary: "Invalid concurrency",
			detail:  "from 1 to 32",
			line:    3,
		},
		{
			name: "concurrency too high",
			block: `provider "cloudflare" "main" {
  api_token   = env("CF_TOKEN")
  concurrency = 100
}`,
			env:     map[string]string{"CF_TOKEN": secret},
			summary: "Invalid concurrency",
			line:    3,
		},
		{
			name: "concurrency fractional",
			block: `provider "cloudflare" "main" {
  api_token   = env("CF_TOKEN")
  concurrency = 2.5
}`,
			env:     map[string]string{"CF_TOKEN": secret},
			summary: "Invalid concurrency",
			line:    3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rendered, diags := loadProvider(t, FromConfig, tc.block, tc.env)
			if strings.Contains(rendered, secret) {
				t.Errorf("diagnostics show the token:\n%s", rendered)
			}
			if tc.summary == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics:\n%s", rendered)
				}
				cc := c.(*Client)
				if cc.Concurrency() != tc.conc {
					t.Errorf("Concurrency() = %d, want %d", cc.Concurrency(), tc.conc)
				}
				if cc.opts.APIToken != secret {
					t.Errorf("api_token not read as given, trimmed")
				}
				return
			}
			if c != nil {
				t.Errorf("a client despite errors")
			}
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1:\n%s", len(diags), rendered)
			}
			d := diags[0]
			if d.Summary != tc.summary || !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("diagnostic %q: %q; want %q containing %q", d.Summary, d.Detail, tc.summary, tc.detail)
			}
			if d.Subject == nil || d.Subject.Start.Line != tc.line {
				t.Errorf("diagnostic at %v, want line %d", d.Subject, tc.line)
			}
		})
	}
}

// TestFactoryTakesTransport points a configuration at the fake, as the
// end-to-end tests do, and checks that the token reaches it.
func TestFactoryTakesTransport(t *testing.T) {
	srv := newFake(t, "example.com")
	f := Factory(Options{HTTPClient: srv.Client()})
	c, rendered, diags := loadProvider(t, f, `provider "cloudflare" "main" { api_token = env("CF_TOKEN") }`, map[string]string{"CF_TOKEN": testToken})
	if diags.HasErrors() {
		t.Fatal(rendered)
	}
	zones, err := c.(*Client).ListZones(t.Context())
	if err != nil || len(zones) != 1 {
		t.Fatalf("ListZones = %v, %v; want example.com.", zones, err)
	}
}

// TestExample checks that examples/cloudflare loads, compiles and builds
// its provider, offline.
func TestExample(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "cloudflare")
	cfg, diags := schema.Load(dir, schema.Options{LookupEnv: func(k string) (string, bool) {
		return "example-token", k == "CLOUDFLARE_API_TOKEN"
	}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if _, diags := plan.Compile(cfg); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, p := range cfg.Providers {
		if _, diags := FromConfig(providers.Config{Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext, BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange}); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
	}
}
