package submission

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/textproto"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"github.com/mailconf/mailconf/mailauth/dkim"
)

const (
	testHost     = "relay.example.com"
	alicePass    = "correct horse battery staple"
	bobPass      = "tr0ub4dor&3"
	rsaSelector  = "s2026r"
	edSelector   = "s2026e"
	clientDomain = "client.example.net"
)

// testKeys are made once per test binary: an RSA-2048 key costs a good
// part of a second to generate. They go through PEM and
// dkim.ParsePrivateKeyPEM, as the relay loads them from key files.
var testKeys = sync.OnceValues(func() (rsaKey, edKey crypto.Signer) {
	load := func(alg string, random io.Reader) crypto.Signer {
		k, err := dkim.GenerateKey(alg, random)
		if err != nil {
			panic(err)
		}
		pemBytes, err := dkim.MarshalPrivateKeyPEM(k)
		if err != nil {
			panic(err)
		}
		s, err := dkim.ParsePrivateKeyPEM(pemBytes)
		if err != nil {
			panic(err)
		}
		return s
	}
	return load(dkim.AlgorithmRSA2048, nil), load(dkim.AlgorithmEd25519, bytes.NewReader(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
})

// testHashes are bcrypt hashes at the minimum cost, to keep tests fast.
var testHashes = sync.OnceValue(func() map[string][]byte {
	m := make(map[string][]byte)
	for name, pw := range map[string]string{"alice": alicePass, "bob": bobPass} {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		m[name] = h
	}
	return m
})

// testTLS is a self-signed certificate for 127.0.0.1 and localhost, with
// the server and client configurations that trust it.
var testTLS = sync.OnceValues(func() (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	client = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	return server, client
})

// baseConfig is the configuration most tests start from: alice may send
// as example.com, which has an RSA and an Ed25519 key; bob may send as
// example.org, which has no key.
func baseConfig(clock *fakeClock, logs *logRecorder) Config {
	rsaKey, edKey := testKeys()
	serverTLS, _ := testTLS()
	h := testHashes()
	return Config{
		Hostname: testHost,
		Users: []User{
			{Name: "alice", PasswordHash: h["alice"], AllowedFrom: []string{"example.com"}},
			{Name: "bob", PasswordHash: h["bob"], AllowedFrom: []string{"Example.ORG."}},
		},
		ManagedDomains: []string{"example.com", "example.org"},
		Keys: []Key{
			{Domain: "example.com", Selector: rsaSelector, Signer: rsaKey},
			{Domain: "example.com", Selector: edSelector, Signer: edKey},
		},
		TLSConfig: serverTLS,
		Now:       clock.Now,
		Sleep:     clock.Sleep,
		Logger:    slog.New(logs.handler()),
	}
}

// fakeClock is the injected clock: Sleep records the wait and moves the
// time forward instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("", -5*3600))}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// fakeQueue is an Enqueuer that keeps what it was given.
type fakeQueue struct {
	mu    sync.Mutex
	items []queued
	err   error
}

type queued struct {
	from string
	to   []string
	body []byte
}

func (q *fakeQueue) Enqueue(from string, to []string, body []byte) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return "", q.err
	}
	q.items = append(q.items, queued{from, to, bytes.Clone(body)})
	return fmt.Sprintf("Q%d", len(q.items)), nil
}

func (q *fakeQueue) Items() []queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.items)
}

// logRecorder keeps log records with their attributes as strings.
type logRecorder struct {
	mu      sync.Mutex
	entries []logEntry
}

type logEntry struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r *logRecorder) handler() slog.Handler { return recHandler{rec: r} }

func (r *logRecorder) Entries() []logEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.entries)
}

// find returns the first entry with the message.
func (r *logRecorder) find(msg string) (logEntry, bool) {
	for _, e := range r.Entries() {
		if e.msg == msg {
			return e, true
		}
	}
	return logEntry{}, false
}

type recHandler struct {
	rec   *logRecorder
	attrs []slog.Attr
}

func (h recHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recHandler) WithGroup(string) slog.Handler            { return h }
func (h recHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return recHandler{rec: h.rec, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h recHandler) Handle(_ context.Context, r slog.Record) error {
	m := make(map[string]string)
	for _, a := range h.attrs {
		m[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	h.rec.entries = append(h.rec.entries, logEntry{r.Level, r.Message, m})
	return nil
}

// fixture is a running Server with its fakes and the addresses of its
// listeners.
type fixture struct {
	srv    *Server
	q      *fakeQueue
	clock  *fakeClock
	logs   *logRecorder
	addr   map[string]string
	served map[string]chan error
}

// newFixture starts a Server on 127.0.0.1 with one listener of each kind
// given, after mod has adjusted the base configuration. The server is
// shut down when the test ends.
func newFixture(tb testing.TB, mod func(*Config), kinds ...string) *fixture {
	tb.Helper()
	f := &fixture{q: &fakeQueue{}, clock: newFakeClock(), logs: &logRecorder{}, addr: map[string]string{}, served: map[string]chan error{}}
	cfg := baseConfig(f.clock, f.logs)
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg, f.q)
	if err != nil {
		tb.Fatal(err)
	}
	f.srv = srv
	for _, kind := range kinds {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		f.addr[kind] = l.Addr().String()
		done := make(chan error, 1)
		f.served[kind] = done
		go func() { done <- srv.Serve(kind, l) }()
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, ErrServerClosed) {
			tb.Errorf("Shutdown: %v", err)
		}
		for kind, done := range f.served {
			if err := <-done; !errors.Is(err, ErrServerClosed) {
				tb.Errorf("Serve(%s) returned %v, want ErrServerClosed", kind, err)
			}
		}
	})
	return f
}

// dial connects a go-smtp client to the listener of the kind, with TLS
// from the start for "submissions", and says EHLO.
func (f *fixture) dial(tb testing.TB, kind string) *smtp.Client {
	tb.Helper()
	var c *smtp.Client
	var err error
	if kind == KindSubmissions {
		_, clientTLS := testTLS()
		c, err = smtp.DialTLS(f.addr[kind], clientTLS)
	} else {
		c, err = smtp.Dial(f.addr[kind])
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.Hello(clientDomain); err != nil {
		tb.Fatal(err)
	}
	return c
}

// login dials the loopback listener and authenticates with PLAIN.
func (f *fixture) login(tb testing.TB, user, pass string) *smtp.Client {
	tb.Helper()
	c := f.dial(tb, KindLoopback)
	if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
		tb.Fatalf("AUTH as %s: %v", user, err)
	}
	return c
}

// send runs one transaction and returns the text of the final reply.
func send(c *smtp.Client, from string, to []string, msg string) (string, error) {
	if err := c.Mail(from, nil); err != nil {
		return "", err
	}
	return sendData(c, to, msg)
}

// sendData completes a transaction after MAIL.
func sendData(c *smtp.Client, to []string, msg string) (string, error) {
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return "", err
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", err
	}
	return resp.StatusText, nil
}

// replyCode is the code and enhanced code of an SMTP error, "" for nil.
func replyCode(err error) string {
	if err == nil {
		return ""
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return "not an SMTP reply: " + err.Error()
	}
	return fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
}

// rawConn is a line-level SMTP connection, for what go-smtp's client does
// not let a test send.
type rawConn struct {
	tb testing.TB
	*textproto.Conn
}

func dialRaw(tb testing.TB, addr string) *rawConn {
	tb.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	c := &rawConn{tb, textproto.NewConn(nc)}
	if code, msg := c.read(); code != 220 {
		tb.Fatalf("greeting: %d %s", code, msg)
	}
	return c
}

func (c *rawConn) read() (int, string) {
	c.tb.Helper()
	code, msg, err := c.ReadResponse(0)
	if err != nil {
		c.tb.Fatalf("reading a reply: %v", err)
	}
	return code, msg
}

// cmd sends one line and returns the reply.
func (c *rawConn) cmd(line string) (int, string) {
	c.tb.Helper()
	if err := c.PrintfLine("%s", line); err != nil {
		c.tb.Fatal(err)
	}
	return c.read()
}

// testMessage is a small message from alice, without Date or Message-ID.
const testMessage = "From: Alice <alice@example.com>\r\n" +
	"To: Carol <carol@elsewhere.example>\r\n" +
	"Subject: Hello\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Hello Carol,\r\n" +
	"this is a test.\r\n"

// plainIR is the base64 initial response of AUTH PLAIN.
func plainIR(user, pass string) string {
	return b64("\x00" + user + "\x00" + pass)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
