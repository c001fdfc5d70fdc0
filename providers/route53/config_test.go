package route53

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/schema"
)

// testSecret stands for a secret access key; it reaches the block through
// var.secret, marked sensitive as env() marks it.
const testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// decodeBlock parses `provider "route53" "main" { body }` and runs the
// factory on it. It also returns the parsed files, for rendering.
func decodeBlock(t *testing.T, body string) (providers.Client, hcl.Diagnostics, map[string]*hcl.File) {
	t.Helper()
	src := "provider \"route53\" \"main\" {\n" + body + "\n}\n"
	file, diags := hclsyntax.ParseConfig([]byte(src), "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags)
	}
	content, diags := file.Body.Content(&hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "provider", LabelNames: []string{"type", "name"}}},
	})
	if diags.HasErrors() {
		t.Fatalf("content: %s", diags)
	}
	b := content.Blocks[0]
	c, diags := FromConfig(providers.Config{
		Type: b.Labels[0], Name: b.Labels[1], Body: b.Body,
		DeclRange: b.DefRange, TypeRange: b.LabelRanges[0],
		EvalContext: &hcl.EvalContext{Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{
				"secret": cty.StringVal(testSecret).Mark(schema.Sensitive),
				"empty":  cty.StringVal("").Mark(schema.Sensitive),
			}),
		}},
	})
	return c, diags, map[string]*hcl.File{"main.hcl": file}
}

type diag struct {
	Summary string
	Line    int
}

func TestFromConfigDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []diag
	}{
		{"everything optional", ``, nil},
		{"static credentials", `
  access_key_id     = "AKIAIOSFODNN7EXAMPLE"
  secret_access_key = var.secret
  session_token     = var.secret`, nil},
		{"unknown attribute", `api_token = "x"`, []diag{{"Unsupported argument", 2}}},
		{"bad region", `region = "US East"`, []diag{{"Invalid AWS region", 2}}},
		{"empty profile", `profile = ""`, []diag{{"Empty AWS profile", 2}}},
		{"key without secret", `access_key_id = "AKIAIOSFODNN7EXAMPLE"`, []diag{{"Incomplete AWS credentials", 2}}},
		{"secret without key", `secret_access_key = var.secret`, []diag{{"Incomplete AWS credentials", 2}}},
		{"token alone", `session_token = var.secret`, []diag{{"Incomplete AWS credentials", 2}}},
		{"swapped pair", `
  access_key_id     = var.secret
  secret_access_key = "AKIAIOSFODNN7EXAMPLE"`, []diag{{"Invalid AWS access key ID", 3}}},
		{"empty secret", `
  access_key_id     = "AKIAIOSFODNN7EXAMPLE"
  secret_access_key = var.empty`, []diag{{"Empty AWS secret access key", 4}}},
		{"bad zone ID", `hosted_zone_id = "example.com"`, []diag{{"Invalid hosted zone ID", 2}}},
		{"zone ID with prefix", `hosted_zone_id = "/hostedzone/Z1D633PJN98FT9"`, nil},
		{"concurrency zero", `concurrency = 0`, []diag{{"Invalid concurrency", 2}}},
		{"concurrency too high", `concurrency = 33`, []diag{{"Invalid concurrency", 2}}},
		{"concurrency not a number", `concurrency = "many"`, []diag{{"Unsuitable value type", 2}}},
		{"endpoint scheme", `endpoint = "ftp://route53.example"`, []diag{{"Invalid endpoint", 2}}},
		{"endpoint with user", `endpoint = "https://me:pw@route53.example"`, []diag{{"Invalid endpoint", 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags, _ := decodeBlock(t, tc.body)
			var got []diag
			for _, d := range diags {
				x := diag{Summary: d.Summary}
				if d.Subject != nil {
					x.Line = d.Subject.Start.Line
				}
				got = append(got, x)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diags)
			}
			if len(tc.want) == 0 && c == nil {
				t.Error("no client for a valid block")
			}
			if len(tc.want) > 0 && c != nil {
				t.Error("a client for an invalid block")
			}
		})
	}
}

// TestFromConfigOptions checks what a full block becomes.
func TestFromConfigOptions(t *testing.T) {
	c, diags, _ := decodeBlock(t, `
  region            = "eu-central-1"
  profile           = "dns"
  access_key_id     = "AKIAIOSFODNN7EXAMPLE"
  secret_access_key = var.secret
  hosted_zone_id    = "/hostedzone/Z1D633PJN98FT9"
  concurrency       = 2
  endpoint          = "http://127.0.0.1:9"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := c.(*Provider)
	want := Options{
		Region: "eu-central-1", Profile: "dns",
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret,
		HostedZoneID: "Z1D633PJN98FT9", Concurrency: 2, Endpoint: "http://127.0.0.1:9",
		MaxAttempts: DefaultMaxAttempts, MaxBackoff: DefaultMaxBackoff, PageSize: DefaultPageSize, SyncPoll: DefaultSyncPoll,
	}
	if diff := cmp.Diff(want, p.opts); diff != "" {
		t.Error(diff)
	}
	if got := providers.ConcurrencyOf(c); got != 2 {
		t.Errorf("concurrency = %d", got)
	}
	d, _, _ := decodeBlock(t, ``)
	if got := providers.ConcurrencyOf(d); got != providers.DefaultConcurrency {
		t.Errorf("default concurrency = %d", got)
	}
}

// TestFromConfigNeverShowsSecrets renders the diagnostics of blocks that
// misuse the secret as a user would see them, and looks for the secret.
func TestFromConfigNeverShowsSecrets(t *testing.T) {
	for _, body := range []string{
		`secret_access_key = var.secret`,
		`session_token = var.secret`,
		"access_key_id = var.secret\nsecret_access_key = var.secret",
		"access_key_id = var.secret\nsecret_access_key = \"AKIAIOSFODNN7EXAMPLE\"",
		"access_key_id = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_access_key = var.secret\nregion = var.secret",
		"hosted_zone_id = var.secret",
		"endpoint = var.secret",
		"profile = var.secret\nconcurrency = var.secret",
	} {
		_, diags, files := decodeBlock(t, body)
		if !diags.HasErrors() {
			t.Errorf("no error for %q", body)
		}
		var out bytes.Buffer
		if err := hcl.NewDiagnosticTextWriter(&out, files, 100, false).WriteDiagnostics(diags); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), testSecret) {
			t.Errorf("the diagnostics of %q show the secret:\n%s", body, out.String())
		}
	}
}

// TestExampleConfiguration loads examples/route53 as a user would, with the
// environment variables its header names, and builds its provider.
func TestExampleConfiguration(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": testSecret}
	cfg, diags := schema.Load("../../examples/route53", schema.Options{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, diags := plan.Compile(cfg); diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(cfg.Providers) != 1 {
		t.Fatalf("%d providers", len(cfg.Providers))
	}
	for _, p := range cfg.Providers {
		c, diags := FromConfig(providers.Config{Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext, BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange})
		if len(diags) > 0 || c == nil {
			t.Fatalf("%s: %v", p.Addr(), diags)
		}
		if n := providers.ConcurrencyOf(c); n != 2 {
			t.Errorf("concurrency %d, want the example's 2", n)
		}
	}
}
