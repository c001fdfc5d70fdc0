package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runCmd runs one command line in-process, as from a pipeline: no
// terminal, empty input. It returns the exit code and the output.
func runCmd(t *testing.T, environ map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runOn(t, &env{stdin: strings.NewReader("")}, environ, args...)
}

// runOn runs a command line with the given terminal settings and input.
func runOn(t *testing.T, e *env, environ map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e.stdout, e.stderr = &stdout, &stderr
	e.lookupEnv = func(k string) (string, bool) {
		v, ok := environ[k]
		return v, ok
	}
	code := run(e, args)
	return code, stdout.String(), stderr.String()
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestRecordsGolden(t *testing.T) {
	for _, tc := range []struct {
		example, format, golden string
	}{
		{"quickstart", "zone", "records/quickstart.zone"},
		{"quickstart", "json", "records/quickstart.json"},
		{"parked", "zone", "records/parked.zone"},
		{"fleet", "zone", "records/fleet.zone"},
	} {
		t.Run(tc.example+"-"+tc.format, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, "records", "-c", filepath.Join("..", "..", "examples", tc.example), "--format", tc.format)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			golden(t, tc.golden, out)
		})
	}
}

func TestRecordsQuickstartContent(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "records", "-c", "../../examples/quickstart")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"example.com.", "IN MX", "v=spf1 ip4:203.0.113.10 ip6:2001:db8::10 -all",
		"_dmarc.example.com.", "v=DMARC1; p=reject; sp=reject",
		"s2026a._domainkey.example.com.", "s2026e._domainkey.example.net.",
		"_mta-sts.example.com.", "v=STSv1; id=", "_smtp._tls.example.net.",
		"example.com._report._dmarc.example.net.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("records output lacks %q", want)
		}
	}
	// The 2048-bit key's record is longer than 255 octets: one record,
	// several strings, none longer than 255.
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "s2026a._domainkey") {
			continue
		}
		// The strings are what stands between the first and last quote.
		quoted := line[strings.Index(line, `"`)+1 : strings.LastIndex(line, `"`)]
		parts := strings.Split(quoted, `" "`)
		if len(parts) < 2 {
			t.Errorf("2048-bit DKIM record not split into strings: %s", line)
		}
		for _, p := range parts {
			if n := len(p); n > 255 {
				t.Errorf("string of %d octets in %s", n, line)
			}
		}
	}
}

func TestRecordsDomainFilter(t *testing.T) {
	code, out, _ := runCmd(t, nil, "records", "-c", "../../examples/quickstart", "--domain", "example.net")
	if code != 0 || strings.Contains(out, "; example.com") || !strings.Contains(out, "; example.net") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	code, _, errOut := runCmd(t, nil, "records", "-c", "../../examples/quickstart", "--domain", "nope.example")
	if code != 1 || !strings.Contains(errOut, "not in the configuration") {
		t.Errorf("unknown domain: exit %d, stderr %q", code, errOut)
	}
}

// exampleEnv are the environment variables the examples' provider blocks
// read, with dummy values: validation never contacts the provider.
var exampleEnv = map[string]string{
	"MAILCONF_TSIG_SECRET":  "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==",
	"CLOUDFLARE_API_TOKEN":  "dummy-cloudflare-token",
	"AWS_ACCESS_KEY_ID":     "AKIAEXAMPLEEXAMPLE00",
	"AWS_SECRET_ACCESS_KEY": "dummy-aws-secret-access-key",
}

func TestValidateExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "mailconf.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 4 {
		t.Fatalf("only %d examples", len(dirs))
	}
	for _, f := range dirs {
		ex := filepath.Base(filepath.Dir(f))
		code, out, errOut := runCmd(t, exampleEnv, "validate", "-c", filepath.Join("..", "..", "examples", ex))
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", ex, code, errOut)
		}
		if !strings.Contains(out, "The configuration is valid") {
			t.Errorf("%s: output %q", ex, out)
		}
	}
}

// TestValidateBroken breaks a copy of the quickstart and expects exit 1
// with file:line:col, the summary and the source snippet, without colour.
func TestValidateBroken(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	path := filepath.Join(dir, "mailconf.hcl")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), `policy           = "reject"`, `policy           = "rejekt"`, 1)
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, map[string]string{"NO_COLOR": "1"}, "validate", "-c", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"mailconf.hcl:33:24: Error: Invalid DMARC policy", "mailconf.hcl line 33", `"rejekt"`, `Did you mean "reject"?`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "\x1b[") {
		t.Errorf("colour escape in output with NO_COLOR:\n%s", errOut)
	}
}

// TestDiagnosticColour: colour on a terminal, never with NO_COLOR.
func TestDiagnosticColour(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "error-files")
	tty := func() *env { return &env{stdin: strings.NewReader(""), colorErr: true} }
	_, _, errOut := runOn(t, tty(), nil, "validate", "-c", dir)
	if !strings.Contains(errOut, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	_, _, errOut = runOn(t, tty(), map[string]string{"NO_COLOR": ""}, "validate", "-c", dir)
	if strings.Contains(errOut, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
	_, _, errOut = runCmd(t, nil, "validate", "-c", dir)
	if strings.Contains(errOut, "\x1b[") {
		t.Error("colour when stderr is not a terminal")
	}
}

func TestMTASTSPolicy(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "mta-sts-policy", "-c", "../../examples/quickstart", "example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "records/quickstart-mta-sts-example.com.txt", out)
	code, _, errOut = runCmd(t, nil, "mta-sts-policy", "-c", "../../examples/parked", "example.org")
	if code != 1 || !strings.Contains(errOut, "no mta_sts") {
		t.Errorf("parked domain: exit %d, %q", code, errOut)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSecretsNotPrinted: a value read with env() or file() never appears in
// diagnostics, even when the expression that fails refers to it.
func TestSecretsNotPrinted(t *testing.T) {
	dir := t.TempDir()
	cfg := `
variable "token" {
  default = env("SECRET_TOKEN")
}
domain "example.com" {
  ttl  = var.token
  zone = file("secret.txt")
}
`
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("file-secret-value"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, map[string]string{"SECRET_TOKEN": "hunter2-secret"}, "validate", "-c", dir)
	if !strings.Contains(errOut, "(sensitive value)") {
		t.Errorf("the redaction did not show:\n%s", errOut)
	}
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, secret := range []string{"hunter2-secret", "file-secret-value"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("secret %q printed:\n%s%s", secret, out, errOut)
		}
	}
}

// TestProviderEnvUnset: an env() in a provider block that is not set says
// which variable, like anywhere else in the configuration.
func TestProviderEnvUnset(t *testing.T) {
	code, _, errOut := runCmd(t, nil, "validate", "-c", "../../examples/cloudflare")
	if code != 1 || !strings.Contains(errOut, "Unset environment variable") || !strings.Contains(errOut, "CLOUDFLARE_API_TOKEN") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
}

func TestRelayQueueCommand(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../examples/relay", dir)
	code, out, errOut := runCmd(t, nil, "relay", "queue", "-c", dir)
	if code != 0 || !strings.Contains(out, "The queue is empty.") {
		t.Errorf("relay queue: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, nil, "relay", "queue", "-c", dir, "delete"); code != 1 || !strings.Contains(errOut, "usage") {
		t.Errorf("delete without ID: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, nil, "relay", "queue", "-c", "../../examples/parked"); code != 1 || !strings.Contains(errOut, "no relay block") {
		t.Errorf("no relay block: exit %d, %q", code, errOut)
	}
}
