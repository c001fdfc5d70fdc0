package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/verify/receiver"
)

// syncBuffer is a bytes.Buffer the lab's goroutines write while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningLab is a mailconf lab command running in-process.
type runningLab struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int // the exit code
}

// startLab runs mailconf with args in-process, as run does, under a
// context the test cancels, and waits until the output holds ready.
func startLab(t *testing.T, ready string, args ...string) *runningLab {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningLab{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: r.stdout, stderr: r.stderr, lookupEnv: func(string) (string, bool) { return "", false }}
	go func() {
		root := newRootCmd(e)
		root.SetArgs(args)
		root.SetOut(e.stdout)
		root.SetErr(e.stderr)
		err := root.ExecuteContext(ctx)
		var ee exitErr
		switch {
		case err == nil:
			r.done <- exitOK
		case errors.As(err, &ee):
			r.done <- ee.code
		default:
			fmt.Fprintf(e.stderr, "Error: %s\n", err)
			r.done <- exitError
		}
	}()
	t.Cleanup(cancel)
	r.waitFor(t, ready)
	return r
}

// waitFor waits until stdout holds want.
func (r *runningLab) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(r.stdout.String(), want) {
		select {
		case code := <-r.done:
			t.Fatalf("exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", code, want, r.stdout, r.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after 20 s\nstdout:\n%s\nstderr:\n%s", want, r.stdout, r.stderr)
		}
	}
}

// stop cancels the command's context and returns its exit code.
func (r *runningLab) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	return r.wait(t)
}

func (r *runningLab) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20 s after it was stopped\nstdout:\n%s", r.stdout)
		return -1
	}
}

// appliedQuickstart is a copy of the quickstart whose zone files hold what
// it declares.
func appliedQuickstart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// labSubmit sends a message through the lab's relay as user, the way a
// mail client does: EHLO, AUTH PLAIN, one transaction.
func labSubmit(t *testing.T, relay, user, password, from, to string) {
	t.Helper()
	c, err := smtp.Dial(relay)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
		t.Fatalf("AUTH as %s: %v", user, err)
	}
	msg := "From: You <" + from + ">\r\nTo: " + to + "\r\nSubject: hello from the lab test\r\n" +
		"Date: Mon, 01 Jun 2026 10:00:00 +0000\r\nMessage-ID: <lab-test-1@example.com>\r\n\r\nHello.\r\n"
	if err := c.SendMail(from, []string{to}, strings.NewReader(msg)); err != nil {
		t.Fatalf("sending through the relay: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

var (
	bannerDNS   = regexp.MustCompile(`(?m)^  DNS       (127\.0\.0\.1:\d+) `)
	bannerRelay = regexp.MustCompile(`(?m)^  relay     (127\.0\.0\.1:\d+),`)
	bannerUser  = regexp.MustCompile(`(?m)^            user (\S+), password ([0-9a-f]+) `)
	anyPort     = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	digPort     = regexp.MustCompile(`-p \d+`)
)

// TestLab runs mailconf lab on the applied quickstart, asks its DNS,
// sends a message through its relay as the lab user and sees the
// receiver's verdict, then stops it.
func TestLab(t *testing.T) {
	dir := appliedQuickstart(t)
	// The relay's temporary spool goes here, to check that it is removed.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	r := startLab(t, "Ctrl-C stops the lab.", "lab", "-c", dir)
	out := r.stdout.String()
	m := bannerDNS.FindStringSubmatch(out)
	mr := bannerRelay.FindStringSubmatch(out)
	mu := bannerUser.FindStringSubmatch(out)
	if m == nil || mr == nil || mu == nil {
		t.Fatalf("banner without the addresses or the user:\n%s", out)
	}
	dnsAddr, relayAddr, user, password := m[1], mr[1], mu[1], mu[2]

	masked := strings.ReplaceAll(out, password, "PASSWORD")
	masked = digPort.ReplaceAllString(anyPort.ReplaceAllString(masked, "127.0.0.1:PORT"), "-p PORT")
	golden(t, filepath.Join("lab", "quickstart.txt"), masked)
	if spools, _ := filepath.Glob(filepath.Join(tmp, "mailconf-probe-spool-*")); len(spools) != 1 {
		t.Errorf("spools while the lab runs: %v, want one", spools)
	}

	for _, network := range []string{"udp", "tcp"} {
		q := new(dns.Msg)
		q.SetQuestion("_dmarc.example.com.", dns.TypeTXT)
		resp, _, err := (&dns.Client{Net: network, Timeout: 2 * time.Second}).Exchange(q, dnsAddr)
		if err != nil {
			t.Fatalf("DNS over %s: %v", network, err)
		}
		if len(resp.Answer) != 1 || !strings.Contains(resp.Answer[0].String(), "v=DMARC1; p=reject") {
			t.Errorf("_dmarc.example.com TXT over %s: %v", network, resp.Answer)
		}
	}

	labSubmit(t, relayAddr, user, password, "you@example.com", "probe@probe.mailconf.test")
	r.waitFor(t, "you@example.com -> probe@probe.mailconf.test  SPF pass, DKIM pass (s2026a, s2026e), DMARC pass (policy reject)\n")

	if code := r.stop(t); code != 0 {
		t.Errorf("exit %d after the context ended, want 0\nstderr:\n%s", code, r.stderr)
	}
	if !strings.HasSuffix(r.stdout.String(), "Stopped; the relay's spool is removed.\n") {
		t.Errorf("stdout does not end with the stop line:\n%s", r.stdout)
	}
	if spools, _ := filepath.Glob(filepath.Join(tmp, "mailconf-probe-spool-*")); len(spools) != 0 {
		t.Errorf("spool left behind: %v", spools)
	}
	// The relay block's user has a password hash in the configuration;
	// neither it nor anything else of the configuration's is printed.
	for _, secret := range []string{"$2a$", "example-password"} {
		if strings.Contains(r.stdout.String()+r.stderr.String(), secret) {
			t.Errorf("output holds %q", secret)
		}
	}
}

// TestLabJSON: --format json prints the addresses as one object and each
// message received as another, one per line; chosen ports are used.
func TestLabJSON(t *testing.T) {
	dir := appliedQuickstart(t)
	dnsAddr, relayAddr := freeLoopbackPort(t), freeLoopbackPort(t)
	r := startLab(t, `"event":"ready"`, "lab", "-c", dir, "--format", "json", "--dns", dnsAddr, "--relay", relayAddr)
	var ready struct {
		Event, DNS, Relay, User, Password, Receiver string
		Domains                                     []string
	}
	first, _, _ := strings.Cut(r.stdout.String(), "\n")
	if err := json.Unmarshal([]byte(first), &ready); err != nil {
		t.Fatalf("%v: %s", err, first)
	}
	if ready.DNS != dnsAddr || ready.Relay != relayAddr || ready.User == "" || ready.Password == "" || !strings.HasPrefix(ready.Receiver, "127.0.0.1:") {
		t.Errorf("ready = %+v, want DNS %s and relay %s", ready, dnsAddr, relayAddr)
	}
	if strings.Join(ready.Domains, " ") != "example.com example.net" {
		t.Errorf("domains = %v", ready.Domains)
	}

	labSubmit(t, ready.Relay, ready.User, ready.Password, "you@example.net", "someone@probe.mailconf.test")
	r.waitFor(t, `"event":"received"`)
	if code := r.stop(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout.String(), "\n"), "\n")
	if len(lines) != 3 || lines[2] != `{"event":"stopped"}` {
		t.Fatalf("want ready, received and stopped lines:\n%s", r.stdout)
	}
	var got struct {
		Event string `json:"event"`
		receiver.Received
	}
	if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
		t.Fatal(err)
	}
	v := got.Verdict
	if got.MailFrom != "you@example.net" || len(got.RcptTo) != 1 || got.RcptTo[0] != "someone@probe.mailconf.test" || got.Subject != "hello from the lab test" {
		t.Errorf("received %+v", got.Received)
	}
	if v == nil || v.SPF.Result != "pass" || v.DMARC.Result != "pass" || len(v.DKIM) != 1 || v.DKIM[0].Result != "pass" || v.DKIM[0].Selector != "s2026e" {
		t.Errorf("verdict %+v", v)
	}
}

// freeLoopbackPort returns 127.0.0.1:PORT with a port that was just free
// for UDP and TCP.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		l, err := net.Listen("tcp", addr)
		pc.Close()
		if err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no loopback port free for UDP and TCP")
	return ""
}

// TestLabSignal: SIGTERM stops the lab and it exits 0.
func TestLabSignal(t *testing.T) {
	dir := appliedQuickstart(t)
	r := startLab(t, "Ctrl-C stops the lab.", "lab", "-c", dir)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

// TestLabRefuses: the lab listens on loopback only, and says so before it
// loads anything.
func TestLabRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--dns", "0.0.0.0:5353"},
		{"--dns", "192.0.2.1:53"},
		{"--relay", "[::]:2525"},
		{"--relay", "localhost:2525"},
		{"--format", "yaml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, append([]string{"lab", "-c", "../../examples/quickstart"}, args...)...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			if want := "loopback only"; args[0] != "--format" && !strings.Contains(errOut, want) {
				t.Errorf("stderr %q lacks %q", errOut, want)
			}
		})
	}
}

func TestLabHelpAndCompletion(t *testing.T) {
	code, out, _ := runCmd(t, nil, "lab", "--help")
	for _, want := range []string{"--dns 127.0.0.1:PORT", "--relay 127.0.0.1:PORT", "--format FORMAT", "SIGINT or SIGTERM"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("help (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	_, out, _ = runCmd(t, nil, "__complete", "lab", "--format", "")
	if !strings.HasPrefix(out, "text\njson\n") {
		t.Errorf("completion of --format:\n%s", out)
	}
}

func TestVerdictLine(t *testing.T) {
	pass := &receiver.Verdict{
		SPF:   receiver.SPFResult{Result: "pass", Domain: "example.com"},
		DKIM:  []receiver.DKIMResult{{Domain: "example.com", Selector: "s1", Result: "pass"}, {Domain: "esp.example", Selector: "k", Result: "pass"}},
		DMARC: receiver.DMARCResult{Result: "pass", Policy: "reject", FromDomain: "example.com"},
	}
	fail := &receiver.Verdict{
		SPF:   receiver.SPFResult{Result: "fail", Domain: "example.com", Explanation: "matched -all"},
		DKIM:  []receiver.DKIMResult{{Domain: "example.com", Selector: "s1", Result: "fail", Err: "body hash did not verify"}, {Domain: "example.com", Selector: "s2", Result: "pass"}},
		DMARC: receiver.DMARCResult{Result: "fail", Policy: "reject", FromDomain: "example.com", DKIMAligned: false},
	}
	none := &receiver.Verdict{SPF: receiver.SPFResult{Result: "none"}, DMARC: receiver.DMARCResult{Result: "none"}}
	for _, tc := range []struct {
		name  string
		v     *receiver.Verdict
		color bool
		want  string
	}{
		{"pass", pass, false, "SPF pass, DKIM pass (s1, k._domainkey.esp.example), DMARC pass (policy reject)"},
		{"fail", fail, false, "SPF fail (example.com: matched -all), DKIM s1 fail (body hash did not verify) s2 pass, DMARC fail (policy reject; SPF aligned false, DKIM aligned false)"},
		{"none", none, false, "SPF none, DKIM none (no signature), DMARC none"},
		{"colour", none, true, "SPF \x1b[33mnone\x1b[0m, DKIM \x1b[33mnone\x1b[0m (no signature), DMARC \x1b[33mnone\x1b[0m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := verdictLine(tc.v, tc.color); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	// NO_COLOR wins even on a terminal; a buffer is never one.
	if stdoutColor(&env{stdout: os.Stdout, lookupEnv: func(k string) (string, bool) { return "", k == "NO_COLOR" }}) {
		t.Error("colour with NO_COLOR set")
	}
	if stdoutColor(&env{stdout: &bytes.Buffer{}, lookupEnv: func(string) (string, bool) { return "", false }}) {
		t.Error("colour on a buffer")
	}
}
