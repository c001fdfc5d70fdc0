package delivery

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailconf/mailconf/resolve"
)

// sinkConfig says how a test SMTP server behaves.
type sinkConfig struct {
	TLS      *tls.Config // offer STARTTLS with it (or serve implicit TLS when Implicit)
	Implicit bool
	SMTPUTF8 bool
	// Users, when set, offers AUTH PLAIN (after TLS) and accepts these
	// user names and passwords.
	Users map[string]string
	// Greet fails EHLO with this error (go-smtp creates the session at
	// EHLO).
	Greet error
	// Rcpt decides about each RCPT; nil accepts all.
	Rcpt func(to string) error
	// Data decides about the n-th DATA (from 1); nil accepts all.
	Data func(n int) error
	// Hold keeps each DATA this long, so that sessions overlap.
	Hold time.Duration
}

// sinkMsg is a message a sink accepted.
type sinkMsg struct {
	From string
	To   []string
	Body string
	TLS  bool
	User string
	UTF8 bool
	Helo string
}

// sink is a go-smtp server on 127.0.0.1 that records what it receives.
type sink struct {
	cfg  sinkConfig
	addr string

	mu        sync.Mutex
	msgs      []sinkMsg
	datas     int
	active    int
	maxActive int
	sessions  int
}

func newSink(t *testing.T, cfg sinkConfig) *sink {
	t.Helper()
	s := &sink{cfg: cfg}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "sink.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.EnableSMTPUTF8 = cfg.SMTPUTF8
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS != nil {
		srv.TLSConfig = cfg.TLS
		if cfg.Implicit {
			ln = tls.NewListener(ln, cfg.TLS)
		}
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	if s.cfg.Greet != nil {
		return nil, s.cfg.Greet
	}
	_, isTLS := c.TLSConnectionState()
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	return &sinkSession{sink: s, tls: isTLS, helo: c.Hostname()}, nil
}

func (s *sink) messages() []sinkMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMsg(nil), s.msgs...)
}

func (s *sink) peak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxActive
}

type sinkSession struct {
	sink *sink
	tls  bool
	helo string
	user string
	msg  sinkMsg
	inTx bool // between MAIL and the end of DATA: counted as active
}

// endTx stops counting the transaction as active. Data calls it before
// its reply is written, so that a client cannot start its next
// transaction while this one still counts.
func (ss *sinkSession) endTx() {
	if ss.inTx {
		ss.inTx = false
		ss.sink.mu.Lock()
		ss.sink.active--
		ss.sink.mu.Unlock()
	}
}

func (ss *sinkSession) Reset() {
	ss.endTx()
	ss.msg = sinkMsg{}
}

func (ss *sinkSession) Logout() error {
	ss.endTx()
	return nil
}

func (ss *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	if ss.sink.cfg.Users != nil && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.msg = sinkMsg{From: from, TLS: ss.tls, User: ss.user, UTF8: opts != nil && opts.UTF8, Helo: ss.helo}
	if !ss.inTx {
		ss.inTx = true
		ss.sink.mu.Lock()
		ss.sink.active++
		ss.sink.maxActive = max(ss.sink.maxActive, ss.sink.active)
		ss.sink.mu.Unlock()
	}
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := ss.sink.cfg.Rcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	defer ss.endTx()
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	time.Sleep(ss.sink.cfg.Hold)
	ss.sink.mu.Lock()
	defer ss.sink.mu.Unlock()
	ss.sink.datas++
	if f := ss.sink.cfg.Data; f != nil {
		if err := f(ss.sink.datas); err != nil {
			return err
		}
	}
	ss.msg.Body = string(b)
	ss.sink.msgs = append(ss.sink.msgs, ss.msg)
	return nil
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.sink.cfg.Users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if want, ok := ss.sink.cfg.Users[user]; !ok || want != pass {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}), nil
}

// greeter is a server that answers every connection with one line and
// hangs up: a 4xx or 5xx greeting.
func greeter(t *testing.T, line string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s\r\n", line)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// dialer routes "host:port" as the Client asks for it to loopback
// listeners, refuses everything else, and counts the attempts.
type dialer struct {
	routes map[string]string
	dials  atomic.Int64
}

func (d *dialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	target, ok := d.routes[addr]
	if !ok {
		return nil, fmt.Errorf("test dialer: no route to %s", addr)
	}
	host, _, err := net.SplitHostPort(target)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		return nil, fmt.Errorf("test dialer: %s is not a loopback address", target)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, target)
}

// testCert returns a self-signed certificate for the test host names and
// 127.0.0.1, and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sink.test"},
		DNSNames:              []string{"mx.example.test", "smarthost.example.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// testClient returns a Client for fake DNS and the dialer's routes, with a
// short timeout and a fixed random order.
func testClient(records map[string][]string, d *dialer) *Client {
	return &Client{
		Resolver: &resolve.Fake{Records: records},
		Hostname: "relay.example.org",
		Dial:     d.Dial,
		Timeout:  5 * time.Second,
		Rand:     mrand.New(mrand.NewPCG(1, 2)),
	}
}

const testBody = "From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nHello Bob.\r\n"
