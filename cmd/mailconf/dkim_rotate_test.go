package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/lab"
	"github.com/mailconf/mailconf/verify/probe"
)

// rotateStart is the time of day the rotation walk starts at.
var rotateStart = time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)

// streamRandom makes the Ed25519 keys of a test reproducible and distinct:
// a SHA-256 counter stream, so that each key reads other bytes.
func streamRandom(t *testing.T) {
	t.Helper()
	prev := dkimRandom
	t.Cleanup(func() { dkimRandom = prev })
	var mu sync.Mutex
	var n uint64
	var buf []byte
	dkimRandom = readerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		for len(buf) < len(p) {
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], n)
			n++
			sum := sha256.Sum256(append([]byte("mailconf-rotate-test"), c[:]...))
			buf = append(buf, sum[:]...)
		}
		copy(p, buf)
		buf = buf[len(p):]
		return len(p), nil
	})
}

// walk is a configuration directory, a clock and authoritative servers.
type walk struct {
	t   *testing.T
	dir string
	now time.Time
	// ns1 and ns2 are every authoritative server of the zones.
	ns1, ns2 *dnstest.Server
}

func newWalk(t *testing.T) *walk {
	w := &walk{t: t, dir: exampleCopy(t, "quickstart"), now: rotateStart}
	w.ns1 = dnstest.NewServer(t, w.zones()...)
	w.ns2 = dnstest.NewServer(t, w.zones()...)
	// The configuration lives in git, as in a pipeline: each apply commits
	// what it applied (the merge), so that each plan after a rotate shows
	// the key steps against the last applied configuration, the ones that
	// change no record included.
	gitRun(t, w.dir, "init", "-q")
	w.commit("quickstart")
	return w
}

// commit commits the configuration directory as it is.
func (w *walk) commit(msg string) {
	w.t.Helper()
	gitRun(w.t, w.dir, "add", "-A", ".")
	gitRun(w.t, w.dir, "commit", "-q", "--allow-empty", "-m", msg)
}

// zones are the zone files as the zonefile provider holds them, and the
// top-level zones the DMARC tree walk ends in.
func (w *walk) zones() []string {
	return append(zoneTexts(w.t, w.dir), "$ORIGIN com.\n", "$ORIGIN net.\n")
}

// serve makes the servers serve the zone files as they are now.
func (w *walk) serve(servers ...*dnstest.Server) {
	w.t.Helper()
	for _, s := range servers {
		for _, z := range w.zones() {
			if err := s.SetZone(z); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}

// run runs a command line at the walk's time of day.
func (w *walk) run(args ...string) (int, string, string) {
	w.t.Helper()
	e := &env{stdin: strings.NewReader(""), clock: func() time.Time { return w.now }}
	code, out, errOut := runOn(w.t, e, nil, args...)
	if strings.Contains(out+errOut, "PRIVATE KEY") {
		w.t.Fatalf("private key material in the output:\n%s%s", out, errOut)
	}
	return code, out, errOut
}

// rotate runs dkim rotate against the walk's servers.
func (w *walk) rotate(args ...string) (int, string) {
	w.t.Helper()
	base := []string{"dkim", "rotate", "-c", w.dir, "--nameserver", w.ns1.Addr(), "--nameserver", w.ns2.Addr(), "--resolver", w.ns1.Addr()}
	code, out, errOut := w.run(append(base, args...)...)
	if errOut != "" {
		w.t.Errorf("rotate %q: stderr:\n%s", args, errOut)
	}
	return code, w.mask(out)
}

// rsaKeyValue is the public key of an RSA record as the plan prints it,
// which differs every run: crypto/rsa ignores the test's entropy.
var rsaKeyValue = regexp.MustCompile(`k=rsa; p=[A-Za-z0-9+/=]+`)

// mask replaces what differs between runs: the directory, the servers'
// ports, RSA public keys.
func (w *walk) mask(s string) string {
	s = strings.ReplaceAll(s, w.dir, "DIR")
	s = strings.ReplaceAll(s, w.ns1.Addr(), "NS1")
	s = strings.ReplaceAll(s, w.ns2.Addr(), "NS2")
	return rsaKeyValue.ReplaceAllString(s, "k=rsa; p=<public key>")
}

// plan runs plan and compares it with a golden file.
func (w *walk) plan(golden_ string) {
	w.t.Helper()
	code, out, errOut := w.run("plan", "-c", w.dir)
	if code != 0 {
		w.t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	golden(w.t, golden_, w.mask(out))
}

func (w *walk) apply() {
	w.t.Helper()
	if code, out, errOut := w.run("apply", "-c", w.dir, "--auto-approve"); code != 0 {
		w.t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	w.commit("applied")
}

// hcl compares the configuration file with a golden file.
func (w *walk) hcl(golden_ string) {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, "mailconf.hcl"))
	if err != nil {
		w.t.Fatal(err)
	}
	golden(w.t, golden_, string(b))
	if code, out, errOut := w.run("validate", "-c", w.dir); code != 0 {
		w.t.Fatalf("validate after rotate: exit %d\n%s%s", code, out, errOut)
	}
}

// TestDKIMRotateWalk walks a whole rotation of example.com's two keys
// (RSA s2026a and Ed25519 s2026e) on the quickstart: a next key of each
// family, published, made active once every authoritative server serves
// it, the old keys retiring, retired (revoked) and removed, each step
// refused until the world is ready, and the relay signing with the active
// keys only at every stage.
func TestDKIMRotateWalk(t *testing.T) {
	streamRandom(t)
	w := newWalk(t)
	w.apply()
	w.serve(w.ns1, w.ns2)
	sig := newSignatureCheck(t, w)
	sig.check(map[string][]string{"example.com": {"s2026a", "s2026e"}, "example.net": {"s2026e"}})

	// 1. Without --write: what would happen, nothing written.
	before := snapshot(t, w.dir)
	code, out := w.rotate("example.com")
	if code != 0 {
		t.Fatalf("rotate: exit %d\n%s", code, out)
	}
	golden(t, "rotate/1-dry-run.txt", out)
	if diff := cmp.Diff(before, snapshot(t, w.dir)); diff != "" {
		t.Errorf("rotate without --write changed files (-before +after):\n%s", diff)
	}

	// With --write: a next key of each family.
	code, out = w.rotate("example.com", "--write")
	if code != 0 {
		t.Fatalf("rotate --write: exit %d\n%s", code, out)
	}
	golden(t, "rotate/1-next.txt", out)
	w.hcl("rotate/1-next.hcl")
	for _, sel := range []string{"s2026b", "s2026c"} {
		checkKeyFile(t, filepath.Join(w.dir, "keys", "example.com", sel+".pem"), out)
	}

	// Not applied yet: the next keys wait.
	w.now = w.now.Add(10 * time.Minute)
	code, out = w.rotate("example.com")
	if code != 2 || !strings.Contains(out, "s2026b is not in the zone yet: apply the plan first") {
		t.Fatalf("rotate before apply: exit %d, want 2\n%s", code, out)
	}
	golden(t, "rotate/2-not-applied.txt", out)

	w.plan("rotate/plan-1-next.txt")
	w.apply()
	sig.check(map[string][]string{"example.com": {"s2026a", "s2026e"}, "example.net": {"s2026e"}})

	// 2. Applied, but one of the two servers still serves the old zone.
	w.now = w.now.Add(2 * time.Hour)
	w.serve(w.ns1)
	code, out = w.rotate("example.com", "--write")
	if code != 2 || !strings.Contains(out, "s2026b was published 2 h 10 min ago; it becomes active after propagation is verified: run verify or wait. Not serving it yet: NS2") {
		t.Fatalf("rotate before propagation: exit %d, want 2\n%s", code, out)
	}
	golden(t, "rotate/3-propagating.txt", out)
	w.hcl("rotate/1-next.hcl") // unchanged
	sig.check(map[string][]string{"example.com": {"s2026a", "s2026e"}, "example.net": {"s2026e"}})

	// Served everywhere: the next keys become active, the old ones
	// retiring, in one run.
	w.serve(w.ns2)
	code, out = w.rotate("example.com", "--write")
	if code != 0 {
		t.Fatalf("rotate after propagation: exit %d\n%s", code, out)
	}
	golden(t, "rotate/4-activate.txt", out)
	w.hcl("rotate/4-activate.hcl")
	w.plan("rotate/plan-2-activate.txt")
	w.apply()
	w.serve(w.ns1, w.ns2)
	sig.check(map[string][]string{"example.com": {"s2026b", "s2026c"}, "example.net": {"s2026e"}})

	// The retiring period has not passed.
	w.now = w.now.Add(30 * time.Minute)
	code, out = w.rotate("example.com", "--write")
	if code != 2 || !strings.Contains(out, "s2026a retires after 2026-12-13 13:10 UTC (in 6 d 23 h): mail signed with it may still be in flight") {
		t.Fatalf("rotate during the retiring period: exit %d, want 2\n%s", code, out)
	}
	golden(t, "rotate/5-retiring.txt", out)

	// 3. Eight days on: the old keys are retired, their records revoked.
	w.now = w.now.Add(8 * 24 * time.Hour)
	code, out = w.rotate("example.com", "--write")
	if code != 0 {
		t.Fatalf("rotate after the retiring period: exit %d\n%s", code, out)
	}
	golden(t, "rotate/6-retire.txt", out)
	w.hcl("rotate/6-retire.hcl")
	w.plan("rotate/plan-3-revoke.txt")
	w.apply()
	w.serve(w.ns1, w.ns2)
	sig.check(map[string][]string{"example.com": {"s2026b", "s2026c"}, "example.net": {"s2026e"}})

	// 4. Eight more days: the plan deletes the revocation records; until
	// it is applied, the blocks stay.
	w.now = w.now.Add(8 * 24 * time.Hour)
	w.plan("rotate/plan-4-delete.txt")
	code, out = w.rotate("example.com", "--write")
	if code != 2 || !strings.Contains(out, "apply the plan first: it deletes the revocation record of s2026a") {
		t.Fatalf("rotate before the deletion is applied: exit %d, want 2\n%s", code, out)
	}
	golden(t, "rotate/7-not-deleted.txt", out)
	w.apply()
	w.serve(w.ns1, w.ns2)
	code, out = w.rotate("example.com", "--write")
	if code != 0 {
		t.Fatalf("rotate after the deletion: exit %d\n%s", code, out)
	}
	golden(t, "rotate/8-remove.txt", out)
	w.hcl("rotate/8-remove.hcl")
	if code, out, errOut := w.run("plan", "-c", w.dir, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after the rotation: exit %d, want 0 (nothing to do)\n%s%s", code, out, errOut)
	}
	sig.check(map[string][]string{"example.com": {"s2026b", "s2026c"}, "example.net": {"s2026e"}})

	// The next rotation starts with selectors of its own: the files of the
	// removed keys are still there, and never reused.
	code, out = w.rotate("example.com")
	if code != 0 || !strings.Contains(out, "s2026d: a new rsa-2048 key") || !strings.Contains(out, "s2026f: a new ed25519 key") {
		t.Errorf("the next rotation: exit %d\n%s", code, out)
	}
}

// signatureCheck sends a message from each domain through the relay, run
// in-process with the configuration as it is, and verifies the DKIM
// signatures it carries with go-msgauth against the walk's DNS.
type signatureCheck struct {
	t    *testing.T
	w    *walk
	port string
	sent int
	mu   sync.Mutex
	got  map[string][]byte // by recipient
}

func newSignatureCheck(t *testing.T, w *walk) *signatureCheck {
	c := &signatureCheck{t: t, w: w, got: map[string][]byte{}}
	srv := smtp.NewServer(captureBackend{c})
	srv.Domain = "mx.rcpt.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, c.port, _ = net.SplitHostPort(ln.Addr().String())
	return c
}

// check sends one message per domain and compares the selectors whose
// signatures verify with want; there must be no other signature.
func (c *signatureCheck) check(want map[string][]string) {
	c.t.Helper()
	// The DNS as the zone files hold it now, and the recipients' domain.
	zones := append(c.w.zones(), "$ORIGIN rcpt.test.\n@ 300 IN MX 10 mx.rcpt.test.\nmx 300 IN A 127.0.0.1\n", "$ORIGIN test.\n")
	dns := dnstest.NewServer(c.t, zones...)
	r := &resolve.Client{Servers: []string{dns.Addr()}, Timeout: 2 * time.Second}
	cfg, diags := schema.Load(c.w.dir, schema.Options{})
	if diags.HasErrors() {
		c.t.Fatal(diags.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	submit, stop, err := lab.StartRelay(ctx, cfg, r, c.port)
	if err != nil {
		c.t.Fatal(err)
	}
	defer stop()
	got := map[string][]string{}
	for _, domain := range []string{"example.com", "example.net"} {
		c.sent++
		to := fmt.Sprintf("check%d-%s@rcpt.test", c.sent, strings.ReplaceAll(domain, ".", "-"))
		from := "postmaster@" + domain
		if _, err := submit.Submit(ctx, from, []string{to}, probe.Message(domain, from, to, "token", c.w.now)); err != nil {
			c.t.Fatalf("submitting from %s: %v", domain, err)
		}
		raw := c.wait(ctx, to)
		got[domain] = append(got[domain], verifiedSelectors(c.t, ctx, r, domain, raw)...)
		slices.Sort(got[domain])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		c.t.Errorf("at %s, the relay signs with (-want +got):\n%s", c.w.now.Format(time.RFC3339), diff)
	}
}

// verifiedSelectors verifies each DKIM-Signature field of raw on its own
// (the message with the other signatures taken out) with go-msgauth, and
// returns the selectors (s=) of those that pass. A signature that fails, or
// one of another domain, fails the test.
func verifiedSelectors(t *testing.T, ctx context.Context, r resolve.Resolver, domain string, raw []byte) []string {
	t.Helper()
	header, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("a message without a body:\n%s", raw)
	}
	// The header's fields, each with its folded lines.
	var fields []string
	for _, line := range strings.SplitAfter(string(header)+"\r\n", "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1] += line
			continue
		}
		fields = append(fields, line)
	}
	isSig := func(f string) bool { return strings.HasPrefix(strings.ToLower(f), "dkim-signature:") }
	lookup := func(name string) ([]string, error) {
		txt, _, err := resolve.LookupTXT(ctx, r, name)
		return txt, err
	}
	var out []string
	for i, f := range fields {
		if !isSig(f) {
			continue
		}
		var msg strings.Builder
		for j, g := range fields {
			if j == i || !isSig(g) {
				msg.WriteString(g)
			}
		}
		msg.WriteString("\r\n")
		msg.Write(body)
		vs, err := msgauth.VerifyWithOptions(strings.NewReader(msg.String()), &msgauth.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 {
			t.Fatalf("verifying %s: %d verifications, %v", f, len(vs), err)
		}
		tags := strings.Join(strings.Fields(f[len("DKIM-Signature:"):]), "")
		sm := regexp.MustCompile(`(?:^|;)s=([^;]+)`).FindStringSubmatch(tags)
		switch {
		case vs[0].Err != nil:
			t.Errorf("%s: the signature %s fails: %v", domain, f, vs[0].Err)
		case vs[0].Domain != domain || sm == nil:
			t.Errorf("%s: a signature of %s: %s", domain, vs[0].Domain, f)
		default:
			out = append(out, sm[1])
		}
	}
	return out
}

func (c *signatureCheck) wait(ctx context.Context, to string) []byte {
	c.t.Helper()
	for {
		c.mu.Lock()
		raw, ok := c.got[to]
		c.mu.Unlock()
		if ok {
			return raw
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("the message to %s did not arrive", to)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

type captureBackend struct{ c *signatureCheck }

func (b captureBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &captureSession{c: b.c}, nil
}

type captureSession struct {
	c  *signatureCheck
	to []string
}

func (s *captureSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *captureSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	for _, to := range s.to {
		s.c.got[to] = raw
	}
	return nil
}
func (s *captureSession) Reset()        { s.to = nil }
func (s *captureSession) Logout() error { return nil }

// rotateIn runs dkim rotate at a time of day, without DNS.
func rotateIn(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	e := &env{stdin: strings.NewReader(""), clock: func() time.Time { return now }}
	code, out, errOut := runOn(t, e, map[string]string{"NO_COLOR": "1"}, append([]string{"dkim", "rotate"}, args...)...)
	if strings.Contains(out+errOut, "PRIVATE KEY") || strings.Contains(out+errOut, "\x1b[") {
		t.Fatalf("private key material or colour in the output:\n%s%s", out, errOut)
	}
	return code, out, errOut
}

func TestDKIMRotateRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		example string
		edit    func(t *testing.T, dir string)
		args    []string
		code    int
		want    []string
	}{
		{
			name: "for_each domain", example: "fleet", args: []string{"client07.example", "--write"}, code: 1,
			want: []string{"x          declared by the for_each block at DIR/mailconf.hcl:24", "rotate cannot edit the keys of client07.example alone", "nothing was written"},
		},
		{
			name: "for_each domains with --all", example: "fleet", args: []string{"--all"}, code: 0,
			want: []string{"client07.example\n  =          declared by the for_each block at DIR/mailconf.hcl:24"},
		},
		{
			name: "retiring period not over", example: "quickstart", args: []string{"example.net", "--write"}, code: 2,
			edit: func(t *testing.T, dir string) {
				replaceIn(t, filepath.Join(dir, "mailconf.hcl"), `key_file  = "keys/example.net/s2026e.pem"`, `key_file  = "keys/example.net/s2026e.pem"
    state = "retiring"
    retire_after = "2026-12-13T10:30:00Z"`)
			},
			want: []string{"! ed25519  s2026e retires after 2026-12-13 10:30 UTC (in 6 d 23 h): mail signed with it may still be in flight"},
		},
		{
			name: "next key not applied", example: "quickstart", args: []string{"example.net", "--write"}, code: 2,
			edit: func(t *testing.T, dir string) {
				if code, out, errOut := keygen(t, "dkim", "keygen", "-c", dir, "example.net", "s2026f", "--algorithm", "ed25519", "--write"); code != 0 {
					t.Fatalf("keygen: %d\n%s%s", code, out, errOut)
				}
			},
			want: []string{"! ed25519  s2026f is not in the zone yet: apply the plan first"},
		},
		{
			name: "unknown domain", example: "quickstart", args: []string{"exmaple.com"}, code: 1,
			want: []string{`Error: domain "exmaple.com" is not declared in the configuration DIR. Did you mean "example.com"?`},
		},
		{name: "no domain", example: "quickstart", code: 1, want: []string{"name the domains whose keys to rotate, or give --all"}},
		{name: "domains and --all", example: "quickstart", args: []string{"example.com", "--all"}, code: 1, want: []string{"give domains or --all, not both"}},
		{name: "bad algorithm", example: "quickstart", args: []string{"--all", "--algorithm", "rsa-1024"}, code: 1, want: []string{`--algorithm must be rsa-2048, rsa-3072 or ed25519, not "rsa-1024"`}},
		{name: "bad format", example: "quickstart", args: []string{"--all", "--format", "yaml"}, code: 1, want: []string{`--format must be text or json, not "yaml"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fixedRandom(t)
			dir := exampleCopy(t, tc.example)
			if tc.edit != nil {
				tc.edit(t, dir)
			}
			before := snapshot(t, dir)
			code, out, errOut := rotateIn(t, rotateStart, append([]string{"-c", dir}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(masked(dir, out+errOut), w) {
					t.Errorf("output lacks %q:\n%s", w, masked(dir, out+errOut))
				}
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("files changed by a refused rotate (-before +after):\n%s", diff)
			}
		})
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s lacks %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDKIMRotateKeyFileExists: a file where a new key would go is never
// replaced: a selector with a file is passed over, and a file that appears
// while rotate runs stops it with nothing written.
func TestDKIMRotateKeyFileExists(t *testing.T) {
	fixedRandom(t)
	dir := exampleCopy(t, "quickstart")
	stray := filepath.Join(dir, "keys", "example.net", "s2026a.pem")
	if err := os.WriteFile(stray, []byte("not mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := rotateIn(t, rotateStart, "-c", dir, "example.net")
	if code != 0 || !strings.Contains(out, "s2026b: a new ed25519 key") {
		t.Fatalf("exit %d, want s2026b, passing s2026a over\n%s%s", code, out, errOut)
	}

	// The file of s2026b appears after rotate chose the selector.
	prev := rotateBeforeWrite
	t.Cleanup(func() { rotateBeforeWrite = prev })
	late := filepath.Join(dir, "keys", "example.net", "s2026b.pem")
	rotateBeforeWrite = func() {
		if err := os.WriteFile(late, []byte("not mine either\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, dir)
	code, out, errOut = rotateIn(t, rotateStart, "-c", dir, "example.net", "--write")
	if code != 1 || !strings.Contains(out, late+" already exists; rotate never replaces a key file") {
		t.Fatalf("exit %d, want 1 naming %s\n%s%s", code, late, out, errOut)
	}
	for path, want := range map[string]string{stray: "not mine\n", late: "not mine either\n"} {
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s was replaced: %q", path, b)
		}
	}
	after := snapshot(t, dir)
	delete(after, late)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("files changed (-before +after):\n%s", diff)
	}
}

// TestDKIMRotateHistory: a retiring key without retire_after and a retired
// one without remove_after get them, and rotate says so.
func TestDKIMRotateHistory(t *testing.T) {
	dir := exampleCopy(t, "quickstart")
	path := filepath.Join(dir, "mailconf.hcl")
	replaceIn(t, path, `key_file  = "keys/example.com/s2026a.pem"`, `key_file  = "keys/example.com/s2026a.pem"
    state     = "retired"`)
	replaceIn(t, path, `key_file  = "keys/example.com/s2026e.pem"`, `key_file  = "keys/example.com/s2026e.pem"
    state     = "retiring"`)
	code, out, errOut := rotateIn(t, rotateStart, "-c", dir, "example.com", "--write")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	golden(t, "rotate/history.txt", masked(dir, out))
	b, _ := os.ReadFile(path)
	for _, want := range []string{`remove_after = "2026-12-13T11:00:00Z"`, `retire_after = "2026-12-13T11:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("mailconf.hcl lacks %s", want)
		}
	}
}

// TestDKIMRotateDue: with --due, a new rotation starts only once the
// active key is rotate_every old; without created, --due cannot tell.
func TestDKIMRotateDue(t *testing.T) {
	streamRandom(t)
	dir := miniConfig(t)
	replaceIn(t, filepath.Join(dir, "b.hcl"), "provider = provider.zonefile.local # the only one\n", "provider = provider.zonefile.local # the only one\n\n  dkim_rotation {\n    rotate_every = \"90d\"\n  }\n")
	e := &env{stdin: strings.NewReader(""), clock: func() time.Time { return rotateStart }}
	if code, out, errOut := runOn(t, e, nil, "dkim", "keygen", "-c", dir, "example.org", "s2026a", "--algorithm", "ed25519", "--write"); code != 0 {
		t.Fatalf("keygen: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := rotateIn(t, rotateStart.Add(30*24*time.Hour), "-c", dir, "--all", "--due", "--write")
	if code != 0 || !strings.Contains(out, "s2026a is 30 d old; its rotation is due at 2027-03-06 11:00 UTC (rotate_every 90d), in 60 d") {
		t.Fatalf("not due: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = rotateIn(t, rotateStart.Add(91*24*time.Hour), "-c", dir, "--all", "--due", "--format", "json")
	if code != 0 {
		t.Fatalf("due: exit %d\n%s%s", code, out, errOut)
	}
	golden(t, "rotate/due.json", masked(dir, out))
	var v struct {
		Domains []struct {
			Steps []rotateStep `json:"steps"`
		} `json:"domains"`
		Summary rotateSummaryJSON `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Domains) != 1 || len(v.Domains[0].Steps) != 1 || v.Domains[0].Steps[0].Selector != "s2027a" || v.Domains[0].Steps[0].Action != "generate" || v.Summary.Steps != 1 {
		t.Errorf("JSON %+v", v)
	}

	// The quickstart's keys have no created time.
	qs := exampleCopy(t, "quickstart")
	code, out, _ = rotateIn(t, rotateStart, "-c", qs, "--all", "--due")
	if code != 0 || !strings.Contains(out, "--due: no rotate_every or max_age in a dkim_rotation block") {
		t.Errorf("no period: exit %d\n%s", code, out)
	}
	replaceIn(t, filepath.Join(qs, "mailconf.hcl"), "policy \"strict\" {\n", "policy \"strict\" {\n  dkim_rotation {\n    max_age = \"180d\"\n  }\n")
	code, out, _ = rotateIn(t, rotateStart, "-c", qs, "--all", "--due")
	if code != 0 || !strings.Contains(out, "--due cannot tell the age of s2026a: it has no created time") || strings.Contains(out, "new") {
		t.Errorf("no created: exit %d\n%s", code, out)
	}
}

func TestDKIMRotateCompletionAndHelp(t *testing.T) {
	dir := exampleCopy(t, "quickstart")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"domains", []string{"dkim", "rotate", "-c", dir, ""}, []string{"example.com", "example.net", ":4"}},
		{"domains not given yet", []string{"dkim", "rotate", "-c", dir, "example.com", ""}, []string{"example.net", ":4"}},
		{"algorithm", []string{"dkim", "rotate", "--algorithm", ""}, []string{
			"rsa-2048\tRSA, 2048 bits: RFC 8301's recommendation, verified by every receiver",
			"rsa-3072\tRSA, 3072 bits: stronger, a longer record",
			"ed25519\tEd25519 (RFC 8463): small and fast, not verified by every receiver",
			":4",
		}},
		{"format", []string{"dkim", "rotate", "--format", ""}, []string{"text", "json", ":4"}},
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
	code, out, _ := runCmd(t, nil, "dkim", "rotate", "--help")
	for _, want := range []string{"--all", "--due", "--write", "--algorithm ALGORITHM", "--format FORMAT", "--resolver", "retiring_period", "for_each", "Exit codes: 0"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("dkim rotate --help lacks %q", want)
		}
	}
	if _, out, _ := runCmd(t, nil, "dkim", "--help"); !strings.Contains(out, "rotate") {
		t.Errorf("dkim --help does not name rotate:\n%s", out)
	}
}

// TestDKIMRotateEditLayout: a key block written on one line is opened to
// take its new attributes; comments stay, and a removed block takes its
// comment and no blank line with it.
func TestDKIMRotateEditLayout(t *testing.T) {
	dir := miniConfig(t)
	e := &env{stdin: strings.NewReader(""), clock: func() time.Time { return rotateStart }}
	fixedRandom(t)
	if code, out, errOut := runOn(t, e, nil, "dkim", "keygen", "-c", dir, "example.org", "k1", "--algorithm", "ed25519"); code != 0 {
		t.Fatalf("keygen: %d\n%s%s", code, out, errOut)
	}
	path := filepath.Join(dir, "b.hcl")
	src := `# Our domain.
domain "Example.ORG" {
  provider = provider.zonefile.local # the only one

  # Revoked last month.
  dkim "old" {
    state        = "retired"
    remove_after = "2026-11-30T00:00:00Z"
  }

  dkim "K1" { key_file = "keys/example.org/k1.pem" } # the one in use
  dkim "Gone" { state = "retired" } # revoked by hand
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// The zone exists and has no record at old._domainkey.
	if err := os.WriteFile(filepath.Join(dir, "zones", "example.org.zone"), []byte("$ORIGIN example.org.\n@ 3600 IN SOA ns1.example.org. h.example.org. 1 3600 600 86400 300\n@ 3600 IN NS ns1.example.org.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// --due: no dkim_rotation period, so no new key.
	code, out, errOut := rotateIn(t, rotateStart, "-c", dir, "example.org", "--write", "--due")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(path)
	want := `# Our domain.
domain "Example.ORG" {
  provider = provider.zonefile.local # the only one

  dkim "K1" { key_file = "keys/example.org/k1.pem" } # the one in use
  dkim "Gone" {
    state        = "retired"
    remove_after = "2026-12-13T11:00:00Z"
  } # revoked by hand
}
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("b.hcl (-want +got):\n%s\n%s", diff, out)
	}
}
