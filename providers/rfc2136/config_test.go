package rfc2136

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/schema"
)

// testSecret is a well-formed secret that must never appear in output.
const testSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="

// loadProvider loads a configuration holding one rfc2136 provider block
// with the given body, through mailconf's real loader (so env() and file()
// behave as they do for users), and builds the client. It returns the
// rendered diagnostics too.
func loadProvider(t *testing.T, body string, env map[string]string, files map[string]string) (providers.Client, hcl.Diagnostics, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := "provider \"rfc2136\" \"main\" {\n" + body + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := schema.Load(dir, schema.Options{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }})
	if diags.HasErrors() {
		t.Fatalf("schema.Load: %v", diags)
	}
	if len(cfg.Providers) != 1 {
		t.Fatalf("%d providers loaded", len(cfg.Providers))
	}
	p := cfg.Providers[0]
	c, diags := FromConfig(providers.Config{Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext, BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange})
	var out bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&out, cfg.Files, 100, false)
	if err := w.WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	return c, diags, out.String()
}

// fromHCL builds a client from a provider body with the given environment.
func fromHCL(t *testing.T, body string, env map[string]string) (providers.Client, hcl.Diagnostics) {
	t.Helper()
	c, diags, _ := loadProvider(t, body, env, nil)
	return c, diags
}

const validBody = `
  server        = "192.0.2.53:53"
  tsig_key_name = "mailconf-key"
  tsig_secret   = env("TSIG_SECRET")
`

func TestFromConfigDiagnostics(t *testing.T) {
	env := map[string]string{"TSIG_SECRET": testSecret}
	tests := []struct {
		name        string
		body        string
		env         map[string]string
		files       map[string]string
		wantSummary string
		wantDetail  string
		// wantOn is the argument whose line the diagnostic must point at.
		wantOn string
	}{
		{"missing server", `
  tsig_key_name = "k"
  tsig_secret   = env("TSIG_SECRET")`, env, nil, "Missing required argument", `"server" is required`, ""},
		{"missing secret", `
  server        = "192.0.2.53:53"
  tsig_key_name = "k"`, env, nil, "Missing required argument", `"tsig_secret" is required`, ""},
		{"unknown argument", validBody + `  tsig_keyname = "k"`, env, nil, "Unsupported argument", "tsig_keyname", "tsig_keyname"},
		{"server without port", strings.Replace(validBody, "192.0.2.53:53", "ns1.example.net", 1), env, nil, "Invalid server address", `"ns1.example.net:53"`, "server"},
		{"server as a URL", strings.Replace(validBody, "192.0.2.53:53", "dns://ns1.example.net:53", 1), env, nil, "Invalid server address", "host and port only", "server"},
		{"server port zero", strings.Replace(validBody, "192.0.2.53:53", "192.0.2.53:0", 1), env, nil, "Invalid server port", "1 to 65535", "server"},
		{"server without host", strings.Replace(validBody, "192.0.2.53:53", ":53", 1), env, nil, "Invalid server address", "has no host", "server"},
		{"empty server", strings.Replace(validBody, "192.0.2.53:53", "", 1), env, nil, "Missing server address", "address and port", "server"},
		{"bad key name", strings.Replace(validBody, "mailconf-key", "mail conf", 1), env, nil, "Invalid TSIG key name", "domain name", "tsig_key_name"},
		{"md5", validBody + `  tsig_algorithm = "hmac-md5"`, env, nil, "Unsupported TSIG algorithm", `tsig-keygen -a hmac-sha256`, "tsig_algorithm"},
		{"unknown algorithm", validBody + `  tsig_algorithm = "sha256"`, env, nil, "Unsupported TSIG algorithm", `"hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1"`, "tsig_algorithm"},
		{"secret not base64", validBody, map[string]string{"TSIG_SECRET": "not base64 at all!"}, nil, "Invalid TSIG secret", "not valid base64", "tsig_secret"},
		{"secret is a key statement", strings.Replace(validBody, `env("TSIG_SECRET")`, `file("tsig.key")`, 1), env,
			map[string]string{"tsig.key": "key \"mailconf-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + testSecret + "\";\n};\n"},
			"TSIG secret holds a key statement", "the base64 secret alone", "tsig_secret"},
		{"empty secret", validBody, map[string]string{"TSIG_SECRET": "  \n"}, nil, "Empty TSIG secret", "is empty", "tsig_secret"},
		{"secret unset", validBody, map[string]string{}, nil, "", "TSIG_SECRET", "tsig_secret"},
		{"secret not a string", strings.Replace(validBody, `env("TSIG_SECRET")`, `[env("TSIG_SECRET")]`, 1), env, nil, "Incorrect attribute value type", "string required", "tsig_secret"},
		{"null secret", strings.Replace(validBody, `env("TSIG_SECRET")`, `null`, 1), env, nil, "Missing value", "is null", "tsig_secret"},
		{"concurrency zero", validBody + `  concurrency = 0`, env, nil, "Invalid concurrency", "at least 1", "concurrency"},
		{"concurrency fraction", validBody + `  concurrency = 1.5`, env, nil, "Invalid concurrency", "whole number", "concurrency"},
		{"concurrency not a number", validBody + `  concurrency = "many"`, env, nil, "Incorrect attribute value type", "a whole number", "concurrency"},
		{"bad zone", validBody + `  zone = "bad zone"`, env, nil, "Invalid zone name", `"bad zone"`, "zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags, rendered := loadProvider(t, tt.body, tt.env, tt.files)
			if !diags.HasErrors() || c != nil {
				t.Fatalf("no error (client %v, diagnostics %v)", c, diags)
			}
			d := diags[0]
			if tt.wantSummary != "" && d.Summary != tt.wantSummary {
				t.Errorf("summary %q, want %q (detail %q)", d.Summary, tt.wantSummary, d.Detail)
			}
			if !strings.Contains(d.Detail, tt.wantDetail) {
				t.Errorf("detail %q does not contain %q", d.Detail, tt.wantDetail)
			}
			if tt.wantOn != "" {
				wantLine := lineOf(t, tt.body, tt.wantOn) + 1 // the block opens on line 1
				if d.Subject == nil || d.Subject.Start.Line != wantLine {
					t.Errorf("diagnostic on %v, want line %d (%s)", d.Subject, wantLine, tt.wantOn)
				}
			}
			for _, secret := range []string{testSecret, "not base64 at all!"} {
				if strings.Contains(rendered, secret) {
					t.Errorf("the rendered diagnostics show the secret:\n%s", rendered)
				}
			}
		})
	}
}

// lineOf is the 1-based line of body where the argument name is set.
func lineOf(t *testing.T, body, name string) int {
	t.Helper()
	for i, l := range strings.Split(body, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return i + 1
		}
	}
	t.Fatalf("no %s in %q", name, body)
	return 0
}

func TestFromConfigDefaults(t *testing.T) {
	c, diags, _ := loadProvider(t, validBody, map[string]string{"TSIG_SECRET": testSecret + "\n"}, nil)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	rc := c.(*Client)
	if rc.algorithm != DefaultAlgorithm || rc.concurrency != providers.DefaultConcurrency || rc.secret != testSecret {
		t.Errorf("defaults: algorithm %q, concurrency %d, secret trimmed %v", rc.algorithm, rc.concurrency, rc.secret == testSecret)
	}
	// Without `zone` there is nothing to list, and the error says what to do.
	_, err := rc.ListZones(context.Background())
	if !errors.Is(err, providers.ErrNoZone) || !strings.Contains(err.Error(), "set `zone`") {
		t.Errorf("ListZones without zone: %v", err)
	}
}

func TestFromConfigWeakAlgorithm(t *testing.T) {
	c, diags, _ := loadProvider(t, validBody+`  tsig_algorithm = "hmac-sha1"`, map[string]string{"TSIG_SECRET": testSecret}, nil)
	if diags.HasErrors() || c == nil {
		t.Fatalf("hmac-sha1 must be accepted: %v", diags)
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || !strings.Contains(diags[0].Detail, "RFC 8945") {
		t.Errorf("diagnostics %v; want one warning citing RFC 8945", diags)
	}
}

// TestSecretNeverPrinted formats a client every way fmt can and checks
// that the secret is not in the output.
func TestSecretNeverPrinted(t *testing.T) {
	c, err := New(Options{Server: "192.0.2.53:53", KeyName: "k", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c)
	if strings.Contains(out, testSecret) {
		t.Errorf("formatting the client shows the secret: %s", out)
	}
	if !strings.Contains(out, `"k"`) || !strings.Contains(out, "192.0.2.53:53") {
		t.Errorf("formatting the client should name the server and key: %s", out)
	}
	for _, bad := range []string{"bm90IGJhc2U2NA", "key \"k\" { secret \"" + testSecret + "\"; };"} {
		_, err := New(Options{Server: "192.0.2.53:53", KeyName: "k", Secret: bad})
		if !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), testSecret) {
			t.Errorf("New with a bad secret: %v", err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	ok := Options{Server: "192.0.2.53:53", KeyName: "k", Secret: testSecret}
	tests := []struct {
		name string
		edit func(*Options)
		arg  string
	}{
		{"server", func(o *Options) { o.Server = "192.0.2.53" }, "server"},
		{"key name", func(o *Options) { o.KeyName = "" }, "tsig_key_name"},
		{"algorithm", func(o *Options) { o.Algorithm = "hmac-md5.sig-alg.reg.int." }, "tsig_algorithm"},
		{"secret", func(o *Options) { o.Secret = "!" }, "tsig_secret"},
		{"zone", func(o *Options) { o.Zone = "a b" }, "zone"},
		{"concurrency", func(o *Options) { o.Concurrency = -1 }, "concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := New(o)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Argument != tt.arg || !errors.Is(err, ErrConfig) {
				t.Errorf("New: %v; want a ConfigError about %s", err, tt.arg)
			}
		})
	}
	if _, err := New(ok); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestSupportedAlgorithms(t *testing.T) {
	// miekg/dns v1.1.73 signs with the SHA family and no longer with MD5.
	if got := strings.Join(supportedAlgorithms, " "); got != "hmac-sha256 hmac-sha384 hmac-sha512 hmac-sha224 hmac-sha1" {
		t.Errorf("supported algorithms %q", got)
	}
	if supported("hmac-md5.sig-alg.reg.int") {
		t.Errorf("hmac-md5 reported as supported")
	}
}

// TestExampleConfiguration loads examples/rfc2136 as a user would, with
// the environment variable its header names, and builds its provider.
func TestExampleConfiguration(t *testing.T) {
	env := map[string]string{"MAILCONF_TSIG_SECRET": testSecret}
	cfg, diags := schema.Load("../../examples/rfc2136", schema.Options{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, diags := plan.Compile(cfg); diags.HasErrors() {
		t.Fatal(diags)
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
