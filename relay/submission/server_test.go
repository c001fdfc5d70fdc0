package submission

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestMailRequiresAuth(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	c := dialRaw(t, f.addr[KindLoopback])
	if code, _ := c.cmd("EHLO " + clientDomain); code != 250 {
		t.Fatalf("EHLO: %d", code)
	}
	steps := []struct {
		line string
		want int
		text string
	}{
		{"MAIL FROM:<alice@example.com>", 530, "5.7.0 Authentication required"},
		// go-smtp itself refuses RCPT and DATA outside a transaction.
		{"RCPT TO:<carol@elsewhere.example>", 502, ""},
		{"DATA", 502, ""},
	}
	for _, s := range steps {
		code, msg := c.cmd(s.line)
		if code != s.want || !strings.Contains(msg, s.text) {
			t.Errorf("%s: got %d %q, want %d %q", s.line, code, msg, s.want, s.text)
		}
	}
	if n := len(f.q.Items()); n != 0 {
		t.Errorf("%d messages queued without AUTH", n)
	}
}

// TestOpenRelayRefused tries the ways a client could get mail through
// without the right to send it.
func TestOpenRelayRefused(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	msgFrom := func(from string) string {
		return "From: " + from + "\r\nTo: carol@elsewhere.example\r\nSubject: x\r\n\r\nbody\r\n"
	}
	tests := []struct {
		name     string
		user     string // "" for no AUTH
		envFrom  string
		message  string
		wantCode string
		wantText string
	}{
		{name: "unauthenticated", envFrom: "alice@example.com", message: msgFrom("alice@example.com"),
			wantCode: "530 5.7.0", wantText: "Authentication required"},
		{name: "null sender", user: "alice", envFrom: "", message: msgFrom("alice@example.com"),
			wantCode: "550 5.7.1", wantText: "Null reverse-path"},
		{name: "envelope domain of another user", user: "alice", envFrom: "bob@example.org", message: msgFrom("alice@example.com"),
			wantCode: "550 5.7.1", wantText: "may not use example.org"},
		{name: "envelope domain not managed", user: "alice", envFrom: "alice@gmail.example", message: msgFrom("alice@example.com"),
			wantCode: "550 5.7.1", wantText: "not a domain of this relay"},
		{name: "envelope subdomain", user: "alice", envFrom: "alice@mail.example.com", message: msgFrom("alice@example.com"),
			wantCode: "550 5.7.1", wantText: "not a domain of this relay"},
		{name: "header From of another domain", user: "alice", envFrom: "alice@example.com", message: msgFrom("ceo@bank.example"),
			wantCode: "550 5.7.1", wantText: "header From domain bank.example is not a domain of this relay"},
		{name: "header From of another user", user: "alice", envFrom: "alice@example.com", message: msgFrom("Bob <bob@example.org>"),
			wantCode: "550 5.7.1", wantText: "may not use example.org as header From"},
		{name: "display name looks allowed", user: "alice", envFrom: "alice@example.com", message: msgFrom(`"alice@example.com" <ceo@bank.example>`),
			wantCode: "550 5.7.1", wantText: "bank.example"},
		{name: "comment looks allowed", user: "alice", envFrom: "alice@example.com", message: msgFrom("ceo@bank.example (alice@example.com)"),
			wantCode: "550 5.7.1", wantText: "bank.example"},
		{name: "two From fields", user: "alice", envFrom: "alice@example.com",
			message:  "From: alice@example.com\r\nFrom: ceo@bank.example\r\n\r\nbody\r\n",
			wantCode: "550 5.7.1", wantText: "2 From header fields"},
		{name: "From with space before colon", user: "alice", envFrom: "alice@example.com",
			message:  "From: alice@example.com\r\nFROM : ceo@bank.example\r\n\r\nbody\r\n",
			wantCode: "550 5.7.1", wantText: "2 From header fields"},
		{name: "two authors", user: "alice", envFrom: "alice@example.com", message: msgFrom("alice@example.com, ceo@bank.example"),
			wantCode: "550 5.7.1", wantText: "exactly one author"},
		{name: "no From", user: "alice", envFrom: "alice@example.com", message: "To: carol@elsewhere.example\r\n\r\nbody\r\n",
			wantCode: "550 5.6.0", wantText: "no From header field"},
		{name: "From hidden after a bad line", user: "alice", envFrom: "alice@example.com",
			message:  "X-Junk\r\nFrom: alice@example.com\r\n\r\nbody\r\n",
			wantCode: "550 5.6.0", wantText: "Malformed message header"},
		{name: "unparsable From", user: "alice", envFrom: "alice@example.com", message: msgFrom("<<<"),
			wantCode: "550 5.6.0", wantText: "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *smtp.Client
			switch tt.user {
			case "":
				c = f.dial(t, KindLoopback)
			case "alice":
				c = f.login(t, "alice", alicePass)
			}
			_, err := send(c, tt.envFrom, []string{"carol@elsewhere.example"}, tt.message)
			if got := replyCode(err); got != tt.wantCode {
				t.Fatalf("reply %q (%v), want %s", got, err, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("reply %q does not say %q", err.Error(), tt.wantText)
			}
		})
	}
	if n := len(f.q.Items()); n != 0 {
		t.Errorf("%d refused messages were queued", n)
	}
}

func TestSubmissionNeedsSTARTTLSBeforeAUTH(t *testing.T) {
	f := newFixture(t, nil, KindSubmission)

	raw := dialRaw(t, f.addr[KindSubmission])
	code, caps := raw.cmd("EHLO " + clientDomain)
	if code != 250 || !strings.Contains(caps, "STARTTLS") || strings.Contains(caps, "AUTH") {
		t.Errorf("EHLO before TLS: %d %q; want STARTTLS and no AUTH", code, caps)
	}
	for _, line := range []string{"AUTH PLAIN " + plainIR("alice", alicePass), "AUTH LOGIN"} {
		if code, msg := raw.cmd(line); code != 530 || msg != "5.7.0 Must issue a STARTTLS command first" {
			t.Errorf("%s before TLS: %d %q", strings.Fields(line)[:2], code, msg)
		}
	}
	if code, msg := raw.cmd("MAIL FROM:<alice@example.com>"); code != 530 {
		t.Errorf("MAIL before TLS: %d %q", code, msg)
	}

	c := f.dial(t, KindSubmission)
	if err := c.Auth(sasl.NewPlainClient("", "alice", alicePass)); replyCode(err) != "530 5.7.0" {
		t.Errorf("AUTH before STARTTLS: %v, want 530 5.7.0", err)
	}
	_, clientTLS := testTLS()
	c, err := smtp.DialStartTLS(f.addr[KindSubmission], clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello(clientDomain); err != nil {
		t.Fatal(err)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN" {
		t.Errorf("AUTH after STARTTLS: %v %q, want PLAIN LOGIN", ok, mechs)
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice", alicePass)); err != nil {
		t.Fatalf("AUTH after STARTTLS: %v", err)
	}
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, testMessage); err != nil {
		t.Fatal(err)
	}
	items := f.q.Items()
	if len(items) != 1 || !strings.Contains(string(items[0].body), " with ESMTPSA;") {
		t.Errorf("queued %d messages; want one received with ESMTPSA", len(items))
	}
}

func TestImplicitTLS(t *testing.T) {
	f := newFixture(t, nil, KindSubmissions)
	c := f.dial(t, KindSubmissions)
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("no TLS")
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered inside TLS")
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice", alicePass)); err != nil {
		t.Fatal(err)
	}
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, testMessage); err != nil {
		t.Fatal(err)
	}
	if n := len(f.q.Items()); n != 1 {
		t.Errorf("queued %d messages, want 1", n)
	}
}

func TestAuthLogin(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	c := f.dial(t, KindLoopback)
	if err := c.Auth(sasl.NewLoginClient("alice", "wrong")); replyCode(err) != "535 5.7.8" {
		t.Errorf("LOGIN with a wrong password: %v", err)
	}
	if err := c.Auth(sasl.NewLoginClient("alice", alicePass)); err != nil {
		t.Fatalf("LOGIN: %v", err)
	}
	// Without the initial response, the server asks for the user name.
	raw := dialRaw(t, f.addr[KindLoopback])
	raw.cmd("EHLO " + clientDomain)
	steps := []struct {
		line string
		code int
		msg  string
	}{
		{"AUTH LOGIN", 334, b64("Username:")},
		{b64("bob"), 334, b64("Password:")},
		{b64(bobPass), 235, "2.0.0 Authentication succeeded"},
	}
	for _, s := range steps {
		if code, msg := raw.cmd(s.line); code != s.code || msg != s.msg {
			t.Fatalf("%s: %d %q, want %d %q", s.line, code, msg, s.code, s.msg)
		}
	}
}

func TestAuthFailuresSlowDown(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	// Raw commands, because go-smtp's client follows a failed AUTH with a
	// stray "*" line, which the server counts as a protocol error.
	c := dialRaw(t, f.addr[KindLoopback])
	c.cmd("EHLO " + clientDomain)
	attempt := func(user, pass string) (string, time.Duration) {
		t.Helper()
		before := f.clock.Now()
		code, msg := c.cmd("AUTH PLAIN " + plainIR(user, pass))
		reply := fmt.Sprintf("%d %s", code, strings.Fields(msg)[0])
		if code == 235 {
			reply = ""
		}
		return reply, f.clock.Now().Sub(before)
	}
	// Each failure doubles the wait before the next reply, up to the
	// bound; the wait is measured on the injected clock.
	wantWaits := []time.Duration{0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second}
	for i, want := range wantWaits {
		user := "alice"
		if i == 3 {
			user = "mallory" // unknown users count the same
		}
		code, waited := attempt(user, "guess")
		if code != "535 5.7.8" {
			t.Fatalf("attempt %d: %q, want 535 5.7.8", i+1, code)
		}
		if waited != want {
			t.Errorf("attempt %d waited %v, want %v", i+1, waited, want)
		}
	}
	// The right password waits too, so giving up early tells nothing.
	if code, waited := attempt("alice", alicePass); code != "" || waited != authDelayMax {
		t.Errorf("right password after failures: %q after %v, want success after %v", code, waited, authDelayMax)
	}
	if sleeps := f.clock.Sleeps(); len(sleeps) != 7 {
		t.Errorf("slept %d times: %v", len(sleeps), sleeps)
	}

	// The count decays: after enough quiet time, no wait at all.
	f.clock.Advance(maxFailures * failureDecay)
	c = dialRaw(t, f.addr[KindLoopback])
	c.cmd("EHLO " + clientDomain)
	if code, waited := attempt("alice", "guess"); code != "535 5.7.8" || waited != 0 {
		t.Errorf("after the decay: %q after %v, want 535 at once", code, waited)
	}
	if code, waited := attempt("alice", "guess"); code != "535 5.7.8" || waited != authDelayBase {
		t.Errorf("second failure after the decay: %q after %v, want %v", code, waited, authDelayBase)
	}
	if e, ok := f.logs.find("authentication failed"); !ok || e.attrs["user"] != "alice" || e.attrs["remote"] == "" {
		t.Errorf("failure log: %+v", e)
	}
	for _, e := range f.logs.Entries() {
		for _, v := range e.attrs {
			if strings.Contains(v, alicePass) || strings.Contains(v, "guess") {
				t.Errorf("a password is in the log: %q %v", e.msg, e.attrs)
			}
		}
	}
}

func TestPlainAuthorizationIdentity(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	c := f.dial(t, KindLoopback)
	if err := c.Auth(sasl.NewPlainClient("bob", "alice", alicePass)); replyCode(err) != "535 5.7.8" {
		t.Errorf("alice asking to act as bob: %v, want 535 5.7.8", err)
	}
	if err := c.Auth(sasl.NewPlainClient("alice", "alice", alicePass)); err != nil {
		t.Errorf("authzid equal to authcid: %v", err)
	}
}

func TestServeChecksListener(t *testing.T) {
	srvTLS, _ := testTLS()
	tests := []struct {
		name    string
		kind    string
		addr    string
		noTLS   bool
		wantErr error
	}{
		{name: "loopback on a public address", kind: KindLoopback, addr: "192.0.2.25:25", wantErr: ErrNotLoopback},
		{name: "loopback on the wildcard address", kind: KindLoopback, addr: "0.0.0.0:25", wantErr: ErrNotLoopback},
		{name: "loopback on IPv6 ::1", kind: KindLoopback, addr: "[::1]:25", wantErr: ErrNotLoopback},
		{name: "loopback on a unix socket", kind: KindLoopback, addr: "/run/mailconf.sock", wantErr: ErrNotLoopback},
		{name: "submission without TLS", kind: KindSubmission, addr: "192.0.2.25:587", noTLS: true, wantErr: ErrNoTLS},
		{name: "submissions without TLS", kind: KindSubmissions, addr: "192.0.2.25:465", noTLS: true, wantErr: ErrNoTLS},
		{name: "unknown kind", kind: "smtp", addr: "192.0.2.25:25", wantErr: ErrKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(Config{Hostname: testHost, TLSConfig: srvTLS}, &fakeQueue{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.noTLS {
				srv.cfg.TLSConfig = nil
			}
			l := &fakeListener{addr: fakeAddr(tt.addr), closed: make(chan struct{})}
			if err := srv.Serve(tt.kind, l); !errors.Is(err, tt.wantErr) {
				t.Errorf("Serve: %v, want %v", err, tt.wantErr)
			}
			select {
			case <-l.closed:
			default:
				t.Error("the refused listener was left open")
			}
		})
	}

	// A real listener on all interfaces is refused as well.
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip(err)
	}
	srv, err := New(Config{Hostname: testHost}, &fakeQueue{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(KindLoopback, l); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Serve on %s: %v", l.Addr(), err)
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

// fakeListener never accepts anything; it only has an address.
type fakeListener struct {
	addr   net.Addr
	closed chan struct{}
}

func (l *fakeListener) Accept() (net.Conn, error) { <-l.closed; return nil, net.ErrClosed }
func (l *fakeListener) Addr() net.Addr            { return l.addr }
func (l *fakeListener) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

func TestSizeLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxMessageBytes = 1024 }, KindLoopback)
	c := f.login(t, "alice", alicePass)
	if ok, size := c.Extension("SIZE"); !ok || size != "1024" {
		t.Errorf("SIZE extension: %v %q", ok, size)
	}
	// Declared too large in MAIL FROM (RFC 1870 section 6.1).
	if err := c.Mail("alice@example.com", &smtp.MailOptions{Size: 2000}); replyCode(err) != "552 5.3.4" {
		t.Errorf("MAIL SIZE=2000: %v, want 552 5.3.4", err)
	}
	// Sent too large without a declaration.
	big := testMessage + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 20)
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, big); replyCode(err) != "552 5.3.4" {
		t.Errorf("DATA of %d octets: %v, want 552 5.3.4", len(big), err)
	}
	// The session goes on.
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, testMessage); err != nil {
		t.Errorf("small message after the refusal: %v", err)
	}
	if n := len(f.q.Items()); n != 1 {
		t.Errorf("queued %d, want 1", n)
	}
}

func TestTooManyRecipients(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxRecipients = 3 }, KindLoopback)
	c := f.login(t, "alice", alicePass)
	if err := c.Mail("alice@example.com", nil); err != nil {
		t.Fatal(err)
	}
	for i, rcpt := range []string{"a@x.example", "b@x.example", "c@x.example", "d@x.example"} {
		err := c.Rcpt(rcpt, nil)
		want := ""
		if i == 3 {
			want = "452 4.5.3" // RFC 5321 section 4.5.3.1.10
		}
		if got := replyCode(err); got != want {
			t.Errorf("RCPT %d: %q, want %q", i+1, got, want)
		}
	}
}

func TestConnectionsPerIP(t *testing.T) {
	for _, kind := range []string{KindLoopback, KindSubmissions} {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.MaxConnsPerIP = 2 }, kind)
			_, clientTLS := testTLS()
			dial := func() (net.Conn, *bufio.Reader) {
				t.Helper()
				var nc net.Conn
				var err error
				if kind == KindSubmissions {
					nc, err = tls.Dial("tcp", f.addr[kind], clientTLS)
				} else {
					nc, err = net.Dial("tcp", f.addr[kind])
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { nc.Close() })
				nc.SetDeadline(time.Now().Add(5 * time.Second))
				return nc, bufio.NewReader(nc)
			}
			first, r1 := dial()
			_, r2 := dial()
			for _, r := range []*bufio.Reader{r1, r2} {
				if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "220 ") {
					t.Fatalf("greeting: %q", line)
				}
			}
			_, r3 := dial()
			line, _ := r3.ReadString('\n')
			if !strings.HasPrefix(line, "421 4.7.0 ") {
				t.Errorf("third connection: %q, want 421 4.7.0", line)
			}
			// A slot frees when a connection ends.
			first.Write([]byte("QUIT\r\n"))
			r1.ReadString('\n')
			first.Close()
			deadline := time.Now().Add(2 * time.Second)
			for {
				_, r := dial()
				line, _ := r.ReadString('\n')
				if strings.HasPrefix(line, "220 ") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no slot after closing a connection: %q", line)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestShutdownLetsSessionsFinish(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	c := f.login(t, "alice", alicePass)
	if err := c.Mail("alice@example.com", nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.srv.Shutdown(context.Background()) }()

	// New connections are refused once the listener is closed.
	deadline := time.Now().Add(2 * time.Second)
	for {
		nc, err := net.Dial("tcp", f.addr[KindLoopback])
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting after Shutdown")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a session open", err)
	default:
	}
	if err := c.Rcpt("carol@elsewhere.example", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(testMessage))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA during shutdown: %v", err)
	}
	c.Quit()
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-f.served[KindLoopback]; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	f.served[KindLoopback] <- ErrServerClosed // for the cleanup
	if err := f.srv.Shutdown(context.Background()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("second Shutdown: %v", err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := f.srv.Serve(KindLoopback, l); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func TestShutdownClosesIdleSessionsAtDeadline(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	raw := dialRaw(t, f.addr[KindLoopback])
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want DeadlineExceeded", err)
	}
	raw.PrintfLine("NOOP")
	if _, _, err := raw.ReadResponse(0); err == nil {
		t.Error("the idle connection still answers")
	}
}

func TestQueueFailure(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	f.q.err = errors.New("disk full")
	c := f.login(t, "alice", alicePass)
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, testMessage); replyCode(err) != "451 4.3.0" {
		t.Errorf("queue failure: %v, want 451 4.3.0", err)
	}
	if e, ok := f.logs.find("queue refused the message"); !ok || e.attrs["err"] != "disk full" {
		t.Errorf("log: %+v", e)
	}
}

func TestMalformedCommands(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	raw := dialRaw(t, f.addr[KindLoopback])
	tests := []struct {
		line string
		want int
	}{
		{"MAIL FROM:<alice@example.com>", 502}, // before EHLO
		{"EHLO", 501},
		{"EHLO " + clientDomain, 250},
		{"AUTH", 502},
		{"AUTH PLAIN !!!notbase64", 454},
		{"AUTH CRAM-MD5", 504},
		{"MAIL FROM:alice", 501},
		{"MAIL FROM:<alice@example.com> FOO=BAR", 500},
		{"RCPT TO:<x@y.example>", 502},
		{"BDAT", 501},
		{"DATA", 502},
		{"\x00\x01\x02", 501},
		{"FROB", 500},
		{"NOOP", 250},
	}
	for _, tt := range tests {
		if code, msg := raw.cmd(tt.line); code != tt.want {
			t.Errorf("%q: %d %q, want %d", tt.line, code, msg, tt.want)
		}
	}
	for _, e := range f.logs.Entries() {
		if strings.Contains(e.msg, "panic") {
			t.Errorf("panic: %s", e.msg)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, edKey := testKeys()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no host name", func(c *Config) { c.Hostname = "" }, "host name"},
		{"bad host name", func(c *Config) { c.Hostname = "bad host" }, "host name"},
		{"user without name", func(c *Config) { c.Users[0].Name = "" }, "no name"},
		{"user twice", func(c *Config) { c.Users[1].Name = "alice" }, "declared twice"},
		{"not a bcrypt hash", func(c *Config) { c.Users[0].PasswordHash = []byte("hunter2") }, "not a bcrypt hash"},
		{"user domain not managed", func(c *Config) { c.Users[0].AllowedFrom = []string{"example.net"} }, "not a managed domain"},
		{"key domain not managed", func(c *Config) { c.Keys[0].Domain = "example.net" }, "not a managed domain"},
		{"bad selector", func(c *Config) { c.Keys[0].Selector = "-bad" }, "selector"},
		{"key twice", func(c *Config) { c.Keys[1] = Key{Domain: "example.com", Selector: rsaSelector, Signer: edKey} }, "declared twice"},
		{"no private key", func(c *Config) { c.Keys[0].Signer = nil }, "no private key"},
		{"unsupported key", func(c *Config) { c.Keys[0].Signer = ecKey }, "RSA or Ed25519"},
		{"bad managed domain", func(c *Config) { c.ManagedDomains = append(c.ManagedDomains, "exa mple.com") }, "managed domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(newFakeClock(), &logRecorder{})
			tt.mod(&cfg)
			_, err := New(cfg, &fakeQueue{})
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want ErrConfig saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "$2a$") {
				t.Errorf("the error shows a hash: %v", err)
			}
		})
	}
	if _, err := New(baseConfig(newFakeClock(), &logRecorder{}), nil); !errors.Is(err, ErrConfig) {
		t.Errorf("New without a queue: %v", err)
	}
}

func TestEHLOCapabilities(t *testing.T) {
	f := newFixture(t, nil, KindLoopback, KindSubmissions)
	want := []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "SIZE 26214400", "LIMITS RCPTMAX=100", "AUTH PLAIN LOGIN"}
	for _, kind := range []string{KindLoopback, KindSubmissions} {
		c := f.dial(t, kind)
		for _, capability := range want {
			name, param, _ := strings.Cut(capability, " ")
			if ok, got := c.Extension(name); !ok || got != param {
				t.Errorf("%s: EHLO has %s %q (%v), want %q", kind, name, got, ok, param)
			}
		}
	}
}

func TestInternationalAddresses(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.ManagedDomains = append(c.ManagedDomains, "xn--bcher-kva.example")
		c.Users[0].AllowedFrom = append(c.Users[0].AllowedFrom, "BÜCHER.example")
	}, KindLoopback)
	c := f.login(t, "alice", alicePass)
	tests := []struct{ envFrom, headerFrom string }{
		{"josé@example.com", "José <josé@example.com>"},
		{"alice@bücher.example", "alice@xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		msg := "From: " + tt.headerFrom + "\r\nTo: carol@elsewhere.example\r\nSubject: olé\r\n\r\nbody\r\n"
		if err := c.Mail(tt.envFrom, &smtp.MailOptions{UTF8: true}); err != nil {
			t.Fatalf("MAIL FROM:<%s> SMTPUTF8: %v", tt.envFrom, err)
		}
		if _, err := sendData(c, []string{"carol@elsewhere.example"}, msg); err != nil {
			t.Errorf("%s / %s: %v", tt.envFrom, tt.headerFrom, err)
		}
	}
	items := f.q.Items()
	if len(items) != 2 {
		t.Fatalf("queued %d", len(items))
	}
	// RFC 6531 section 3.7.3: the trace says UTF8SMTPA for an SMTPUTF8
	// transaction.
	if !strings.Contains(string(items[0].body), " with UTF8SMTPA;") {
		t.Errorf("Received field of an SMTPUTF8 transaction:\n%s", items[0].body)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestNoRandomness(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Rand = failingReader{} }, KindLoopback)
	c := f.login(t, "alice", alicePass)
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, testMessage); replyCode(err) != "451 4.3.0" {
		t.Errorf("no Message-ID possible: %v, want 451 4.3.0", err)
	}
	// A message with its own Message-ID needs no randomness.
	if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, "Message-ID: <a@b.example>\r\n"+testMessage); err != nil {
		t.Errorf("message with a Message-ID: %v", err)
	}
}
