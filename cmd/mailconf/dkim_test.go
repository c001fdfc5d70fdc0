package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/mailauth/dkim"
)

// fixedRandom makes the Ed25519 keys of the test reproducible: each
// keygen run reads the same 32 bytes.
func fixedRandom(t *testing.T) {
	t.Helper()
	prev := dkimRandom
	t.Cleanup(func() { dkimRandom = prev })
	seed := bytes.Repeat([]byte("mailconf-test-seed"), 2)[:32]
	dkimRandom = readerFunc(func(p []byte) (int, error) { return copy(p, seed), nil })
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// keygenClock is the time of day of the keygen tests: the created time
// of the blocks keygen prints.
func keygenClock() time.Time { return time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC) }

// keygen runs a command line and checks what must hold for every run: no
// private key in the output, whatever happened.
func keygen(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := runOn(t, &env{stdin: strings.NewReader(""), clock: keygenClock}, nil, args...)
	if strings.Contains(out+errOut, "PRIVATE KEY") {
		t.Fatalf("private key material in the output:\n%s%s", out, errOut)
	}
	return code, out, errOut
}

// exampleCopy copies an example to a temporary configuration directory.
func exampleCopy(t *testing.T, example string) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "examples", example), dir)
	return dir
}

// masked replaces the temporary directory in output by DIR, for goldens.
func masked(dir, s string) string { return strings.ReplaceAll(s, dir, "DIR") }

// checkKeyFile reads a key file keygen wrote: mode 0600, a PKCS #8 PEM
// block that the configuration reads, whose body is in no output.
func checkKeyFile(t *testing.T, path string, outputs ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, %v; want 0600", path, fi.Mode().Perm(), err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("%s is not a PKCS #8 PEM file:\n%.30s", path, data)
	}
	if _, err := dkim.ParsePrivateKeyPEM(data); err != nil {
		t.Errorf("%s does not parse: %v", path, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if len(line) < 16 || strings.HasPrefix(line, "-----") {
			continue
		}
		for _, out := range outputs {
			if strings.Contains(out, line) {
				t.Errorf("a line of the private key is in the output: %s", line)
			}
		}
	}
	return data
}

func TestDKIMKeygenGolden(t *testing.T) {
	for _, tc := range []struct {
		name, example, golden string
		args                  []string
	}{
		{"ed25519 text", "quickstart", "dkim/keygen-ed25519.txt", []string{"example.com", "s2027e", "--algorithm", "ed25519"}},
		{"ed25519 json", "quickstart", "dkim/keygen-ed25519.json", []string{"example.com", "s2027e", "--algorithm", "ed25519", "--format", "json"}},
		{"for_each text", "fleet", "dkim/keygen-for-each.txt", []string{"client07.example", "agency2", "--algorithm", "ed25519"}},
		{"for_each json", "fleet", "dkim/keygen-for-each.json", []string{"client07.example", "agency2", "--algorithm", "ed25519", "--format", "json"}},
		{"explicit active", "quickstart", "dkim/keygen-active.txt", []string{"EXAMPLE.NET.", "S2027E", "--algorithm", "ed25519", "--state", "active"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fixedRandom(t)
			dir := exampleCopy(t, tc.example)
			code, out, errOut := keygen(t, append([]string{"dkim", "keygen", "-c", dir}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			golden(t, tc.golden, masked(dir, out))
			var domain string
			for _, a := range tc.args {
				if strings.Contains(a, ".") {
					domain = strings.ToLower(strings.TrimSuffix(a, "."))
					break
				}
			}
			checkKeyFile(t, filepath.Join(dir, "keys", domain, strings.ToLower(tc.args[1])+".pem"), out, errOut)
		})
	}
}

// rsaKeyRE is the public key of an RSA record, which differs every run:
// crypto/rsa ignores the test's entropy source since Go 1.26.
var rsaKeyRE = regexp.MustCompile(`p=[A-Za-z0-9+/=" ]+"`)

func TestDKIMKeygenRSA(t *testing.T) {
	for _, tc := range []struct {
		alg  string
		bits int
	}{
		{"", 2048}, // the default
		{"rsa-3072", 3072},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			dir := exampleCopy(t, "quickstart")
			args := []string{"dkim", "keygen", "-c", dir, "example.net", "s2027a"}
			if tc.alg != "" {
				args = append(args, "--algorithm", tc.alg)
			}
			code, out, errOut := keygen(t, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			if tc.bits == 2048 {
				golden(t, "dkim/keygen-rsa-2048.txt", rsaKeyRE.ReplaceAllString(masked(dir, out), `p=<public key>"`))
			}
			path := filepath.Join(dir, "keys", "example.net", "s2027a.pem")
			data := checkKeyFile(t, path, out, errOut)
			key, err := dkim.ParsePrivateKeyPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			rsaKey, ok := key.(*rsa.PrivateKey)
			if !ok || rsaKey.N.BitLen() != tc.bits {
				t.Fatalf("key %T, want %d-bit RSA", key, tc.bits)
			}

			// The same selector again is refused; the JSON view of a key
			// under another one shows the key's record.
			code, _, errOut = keygen(t, append(args[:len(args):len(args)], "--format", "json")...)
			if code != 1 || !strings.Contains(errOut, "already exists") {
				t.Fatalf("second run: exit %d, %s", code, errOut)
			}
			args[5] = "s2027b"
			code, out, errOut = keygen(t, append(args, "--format", "json")...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			var v keygenJSON
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatal(err)
			}
			data = checkKeyFile(t, v.Path, out, errOut)
			pub, err := dkim.PublicKeyFromPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			want, err := dkim.PublicKeyRecord(pub)
			if err != nil {
				t.Fatal(err)
			}
			if v.Record.Value != want.String() || v.Record.Name != "s2027b._domainkey.example.net." || v.Record.Type != "TXT" || strings.Join(v.Record.Strings, "") != v.Record.Value {
				t.Errorf("record %+v, want value %s", v.Record, want)
			}
			for _, s := range v.Record.Strings {
				if len(s) > 255 {
					t.Errorf("a string of %d octets", len(s))
				}
			}
			wantAlg := tc.alg
			if wantAlg == "" {
				wantAlg = "rsa-2048"
			}
			if v.Algorithm != wantAlg || v.State != "next" || v.KeyFile != "keys/example.net/s2027b.pem" || v.Written || !strings.Contains(v.HCL, `algorithm = "`+wantAlg+`"`) {
				t.Errorf("JSON %+v", v)
			}
		})
	}
}

// TestDKIMKeygenWrite: --write adds the block to the quickstart, keeping
// its comments and the rest of the file; the result validates and compiles
// to the new key's record.
func TestDKIMKeygenWrite(t *testing.T) {
	fixedRandom(t)
	dir := exampleCopy(t, "quickstart")
	hclPath := filepath.Join(dir, "mailconf.hcl")
	if err := os.Chmod(hclPath, 0o640); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := keygen(t, "dkim", "keygen", "-c", dir, "example.net", "s2027a", "--algorithm", "ed25519", "--write")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	golden(t, "dkim/keygen-write.txt", masked(dir, out))
	edited, err := os.ReadFile(hclPath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dkim/quickstart-write.hcl.golden", string(edited))
	if fi, err := os.Stat(hclPath); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mailconf.hcl: mode %v, %v; want 0640 kept", fi.Mode().Perm(), err)
	}
	checkKeyFile(t, filepath.Join(dir, "keys", "example.net", "s2027a.pem"), out, errOut)

	// Only the block was added: every line of the original is still there,
	// in order, comments included.
	orig, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart", "mailconf.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	block := "\n  dkim \"s2027a\" {\n    algorithm = \"ed25519\"\n    key_file  = \"keys/example.net/s2027a.pem\"\n    state     = \"next\"\n    created   = \"2026-12-06T11:00:00Z\"\n  }\n"
	if got := strings.Replace(string(edited), block, "", 1); got != string(orig) {
		t.Errorf("the file changed beyond the new block:\n%s", cmp.Diff(string(orig), got))
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	code, vout, verr := runCmd(t, nil, "validate", "-c", dir)
	if code != 0 || verr != "" {
		t.Fatalf("validate after --write: exit %d\n%s%s", code, vout, verr)
	}
	code, rout, rerr := runCmd(t, nil, "records", "-c", dir, "--domain", "example.net")
	if code != 0 {
		t.Fatalf("records: exit %d: %s", code, rerr)
	}
	var v keygenJSON
	fixedRandom(t)
	_, jout, _ := keygen(t, "dkim", "keygen", "-c", exampleCopy(t, "quickstart"), "example.net", "s2027a", "--algorithm", "ed25519", "--format", "json")
	if err := json.Unmarshal([]byte(jout), &v); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rout, "s2027a._domainkey.example.net.") || !strings.Contains(rout, `"`+v.Record.Value+`"`) {
		t.Errorf("records lacks the new key %q:\n%s", v.Record.Value, rout)
	}
}

// miniConfig writes a configuration with its domain in a second file and
// no keys directory yet.
func miniConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.hcl": "provider \"zonefile\" \"local\" {\n  dir = \"zones\"\n}\n",
		"b.hcl": "# Our domain.\ndomain \"Example.ORG\" {\n  provider = provider.zonefile.local # the only one\n}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDKIMKeygenFirstKey: a domain without keys gets an active key by
// default; the directories keygen creates are 0700, the key 0600; --write
// edits the file that declares the domain.
func TestDKIMKeygenFirstKey(t *testing.T) {
	fixedRandom(t)
	dir := miniConfig(t)
	code, out, errOut := keygen(t, "dkim", "keygen", "-c", dir, "example.org", "mail", "--algorithm", "ed25519", "--write", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var v keygenJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.State != "active" || !v.Written || v.ConfigFile != filepath.Join(dir, "b.hcl") {
		t.Errorf("JSON %+v", v)
	}
	for _, d := range []string{"keys", filepath.Join("keys", "example.org")} {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a directory of mode 0700", d, fi.Mode(), err)
		}
	}
	checkKeyFile(t, filepath.Join(dir, "keys", "example.org", "mail.pem"), out, errOut)
	b, err := os.ReadFile(filepath.Join(dir, "b.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	want := `# Our domain.
domain "Example.ORG" {
  provider = provider.zonefile.local # the only one

  dkim "mail" {
    algorithm = "ed25519"
    key_file  = "keys/example.org/mail.pem"
    state     = "active"
    created   = "2026-12-06T11:00:00Z"
  }
}
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("b.hcl (-want +got):\n%s", diff)
	}
	if code, out, errOut := runCmd(t, nil, "validate", "-c", dir); code != 0 {
		t.Errorf("validate: exit %d\n%s%s", code, out, errOut)
	}

	// The second key of the domain is the next one.
	code, out, errOut = keygen(t, "dkim", "keygen", "-c", dir, "example.org", "mail2", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.State != "next" || v.Algorithm != "rsa-2048" || v.Written {
		t.Errorf("second key: %+v", v)
	}
}

func TestDKIMKeygenRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		example string
		args    []string
		want    []string
	}{
		{"unknown domain", "quickstart", []string{"nope.example", "s1"}, []string{`domain "nope.example" is not declared`, "It declares example.com, example.net."}},
		{"near miss", "quickstart", []string{"exmaple.com", "s1"}, []string{`Did you mean "example.com"?`}},
		{"not a domain name", "quickstart", []string{"exa..mple.com", "s1"}, []string{`"exa..mple.com" is not a valid domain name`}},
		{"invalid selector", "quickstart", []string{"example.com", "s_2027"}, []string{`invalid selector "s_2027"`, "RFC 6376 section 3.1"}},
		{"selector with an empty label", "quickstart", []string{"example.com", "s2027..a"}, []string{`invalid selector "s2027..a"`, "empty label"}},
		{"declared selector", "quickstart", []string{"example.com", "S2026A"}, []string{`selector "s2026a" is already declared for example.com at DIR/mailconf.hcl:61`}},
		{"selector of a sender", "quickstart", []string{"example.com", "s1"}, []string{`selector "s1" of example.com is already used by sender.sendgrid.news, which publishes s1._domainkey.example.com CNAME`}},
		{"parked domain", "parked", []string{"example.org", "s1"}, []string{"domain example.org is parked (parked = true at DIR/mailconf.hcl:"}},
		{"for_each and --write", "fleet", []string{"client07.example", "agency2", "--write"}, []string{
			"--write cannot add a key for client07.example alone: the domain is declared by the for_each block at DIR/mailconf.hcl:24",
			"Nothing was written.",
			`key_file  = "keys/${each.key}/agency2.pem"`,
			`move client07.example out of the set into a domain "client07.example" block`,
		}},
		{"bad algorithm", "quickstart", []string{"example.com", "s1", "--algorithm", "rsa-1024"}, []string{`--algorithm must be rsa-2048, rsa-3072 or ed25519, not "rsa-1024"`}},
		{"bad state", "quickstart", []string{"example.com", "s1", "--state", "retiring"}, []string{`--state must be next or active, not "retiring"`}},
		{"bad format", "quickstart", []string{"example.com", "s1", "--format", "zone"}, []string{`--format must be text or json, not "zone"`}},
		{"one argument", "quickstart", []string{"example.com"}, []string{"accepts 2 arg(s), received 1"}},
		{"broken configuration", "", []string{"example.com", "s1"}, []string{"Error: Invalid DMARC policy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dir string
			if tc.example == "" {
				dir = exampleCopy(t, "quickstart")
				path := filepath.Join(dir, "mailconf.hcl")
				b, _ := os.ReadFile(path)
				os.WriteFile(path, bytes.Replace(b, []byte(`"reject"`), []byte(`"rejekt"`), 1), 0o644)
			} else {
				dir = exampleCopy(t, tc.example)
			}
			before := snapshot(t, dir)
			code, out, errOut := keygen(t, append([]string{"dkim", "keygen", "-c", dir}, tc.args...)...)
			if code != exitError {
				t.Errorf("exit %d, want 1", code)
			}
			if out != "" {
				t.Errorf("stdout on error: %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(masked(dir, errOut), w) {
					t.Errorf("stderr lacks %q:\n%s", w, masked(dir, errOut))
				}
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("files changed by a refused keygen (-before +after):\n%s", diff)
			}
		})
	}
}

// TestDKIMKeygenNeverOverwrites: a file at the key's path, even a
// symbolic link, is kept and named.
func TestDKIMKeygenNeverOverwrites(t *testing.T) {
	dir := exampleCopy(t, "quickstart")
	args := []string{"dkim", "keygen", "-c", dir, "example.com", "s2027e", "--algorithm", "ed25519"}
	if code, _, errOut := keygen(t, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(dir, "keys", "example.com", "s2027e.pem")
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := keygen(t, append(args, "--write")...)
	if code != 1 || out != "" || !strings.Contains(errOut, path+" already exists; keygen never replaces a key file") {
		t.Errorf("second run: exit %d\n%s%s", code, out, errOut)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(first, again) {
		t.Error("the key file changed")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "mailconf.hcl")); bytes.Contains(b, []byte("s2027e.pem")) {
		t.Error("--write edited the configuration although the key was refused")
	}

	target := filepath.Join(t.TempDir(), "elsewhere.pem")
	link := filepath.Join(dir, "keys", "example.com", "s2027f.pem")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = keygen(t, "dkim", "keygen", "-c", dir, "example.com", "s2027f", "--algorithm", "ed25519")
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("dangling link: exit %d, %s", code, errOut)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("keygen wrote through a symbolic link")
	}
}

// TestDKIMKeygenWriteFailure: when the configuration cannot be written,
// the new key is taken back and nothing changes.
func TestDKIMKeygenWriteFailure(t *testing.T) {
	prev := writeConfigFile
	t.Cleanup(func() { writeConfigFile = prev })
	writeConfigFile = func(path string, _ []byte, _ fs.FileMode) error {
		return &fs.PathError{Op: "rename", Path: path, Err: syscall.ENOSPC}
	}
	dir := miniConfig(t)
	before := snapshot(t, dir)
	code, out, errOut := keygen(t, "dkim", "keygen", "-c", dir, "example.org", "mail", "--algorithm", "ed25519", "--write")
	if code != 1 || out != "" || !strings.Contains(errOut, "b.hcl: no space left on device; the new key file was removed again, nothing changed") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
	// The directories keygen made for the key may stay; no file does.
	after := snapshot(t, dir)
	for p, v := range after {
		if before[p] != v && !strings.HasPrefix(v, "d") {
			t.Errorf("%s changed or appeared: %.40s", p, v)
		}
	}
}

// snapshot is every file under dir with its content and mode.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		out[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDKIMKeygenCompletion(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "quickstart")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"domains", []string{"dkim", "keygen", "-c", dir, ""}, []string{"example.com", "example.net", ":4"}},
		{"domain prefix", []string{"dkim", "keygen", "-c", dir, "EXAMPLE.N"}, []string{"example.net", ":4"}},
		{"fleet", []string{"dkim", "keygen", "--config", "../../examples/fleet", "client0"}, []string{
			"client01.example", "client02.example", "client03.example", "client04.example", "client05.example",
			"client06.example", "client07.example", "client08.example", "client09.example", ":4",
		}},
		{"selector", []string{"dkim", "keygen", "-c", dir, "example.com", ""}, []string{":4"}},
		{"algorithm", []string{"dkim", "keygen", "--algorithm", ""}, []string{
			"rsa-2048\tRSA, 2048 bits: RFC 8301's recommendation, verified by every receiver",
			"rsa-3072\tRSA, 3072 bits: stronger, a longer record",
			"ed25519\tEd25519 (RFC 8463): small and fast, not verified by every receiver",
			":4",
		}},
		{"state", []string{"dkim", "keygen", "--state", ""}, []string{
			"next\tpublished, never used to sign: the first step of a rotation",
			"active\tpublished and used by the relay to sign",
			":4",
		}},
		{"no configuration", []string{"dkim", "keygen", "-c", t.TempDir(), ""}, []string{":4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, append([]string{"__complete"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if diff := cmp.Diff(tc.want, strings.Split(strings.TrimSpace(out), "\n")); diff != "" {
				t.Errorf("completions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDKIMHelp(t *testing.T) {
	code, out, _ := runCmd(t, nil, "dkim", "--help")
	if code != 0 || !strings.Contains(out, "manages the lifecycle of the DKIM keys") || !strings.Contains(out, "keygen") {
		t.Errorf("dkim --help: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, nil, "dkim", "keygen", "--help")
	for _, want := range []string{"keys/DOMAIN/SELECTOR.pem", "mode 0600", "--algorithm ALGORITHM", "--state STATE", "default: next when the domain has an active or next key, else active", "--write", "for_each"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("dkim keygen --help lacks %q:\n%s", want, out)
		}
	}
}

// TestDKIMKeygenWriteLayout: a file not in canonical layout is written in
// it, and keygen says so.
func TestDKIMKeygenWriteLayout(t *testing.T) {
	dir := miniConfig(t)
	path := filepath.Join(dir, "b.hcl")
	if err := os.WriteFile(path, []byte("domain \"example.org\" {\nprovider    =   provider.zonefile.local   # kept\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := keygen(t, "dkim", "keygen", "-c", dir, "example.org", "mail", "--algorithm", "ed25519", "--write")
	if code != 0 || !strings.Contains(out, "b.hcl was not in canonical layout; writing it put it in that layout too") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "domain \"example.org\" {\n  provider = provider.zonefile.local # kept\n\n  dkim \"mail\" {\n") {
		t.Errorf("b.hcl:\n%s", b)
	}
	// A canonical file says nothing of the kind.
	_, out, _ = keygen(t, "dkim", "keygen", "-c", dir, "example.org", "mail2", "--algorithm", "ed25519", "--write", "--format", "json")
	var v keygenJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Relaid || !v.Written {
		t.Errorf("second write: %v %+v", err, v)
	}
}
