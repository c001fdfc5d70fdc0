package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

// sink is a go-smtp server on loopback that requires AUTH PLAIN and keeps
// what it receives.
type sink struct {
	addr string
	mu   sync.Mutex
	got  []received
}

type received struct {
	From string
	To   []string
	Data string
	TLS  bool
}

type sinkSession struct {
	s      *sink
	c      *smtp.Conn
	authed bool
	r      received
}

func (x *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (x *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alice" || pass != "secret" {
			return errors.New("bad credentials")
		}
		x.authed = true
		return nil
	}), nil
}
func (x *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.r.From = from
	return nil
}
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.r.To = append(x.r.To, to)
	return nil
}
func (x *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.r.Data = string(b)
	_, x.r.TLS = x.c.TLSConnectionState()
	x.s.mu.Lock()
	x.s.got = append(x.s.got, x.r)
	x.s.mu.Unlock()
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: queued as Q1X2"}
}
func (x *sinkSession) Reset()        { x.r = received{} }
func (x *sinkSession) Logout() error { return nil }

func newSink(t *testing.T, cert *tls.Certificate) *sink {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s, c: c}, nil
	}))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = cert == nil // plaintext AUTH only in the loopback case without TLS
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sink.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestSubmit(t *testing.T) {
	cert, pool := selfSigned(t)
	plain := newSink(t, nil)
	starttls := newSink(t, cert)
	msg := Message("example.com", "", "bob@dest.example", "feedface", time.Unix(0, 0))
	tests := []struct {
		name    string
		sink    *sink
		sub     Submitter
		wantTLS bool
		wantErr error
	}{
		{name: "plain AUTH on loopback", sink: plain, sub: Submitter{Username: "alice", Password: "secret"}},
		{name: "STARTTLS", sink: starttls, sub: Submitter{Username: "alice", Password: "secret", TLSConfig: &tls.Config{RootCAs: pool}}, wantTLS: true},
		{name: "STARTTLS required but not offered", sink: plain, sub: Submitter{Username: "alice", Password: "secret", TLSConfig: &tls.Config{RootCAs: pool}}, wantErr: ErrSubmit},
		{name: "untrusted certificate", sink: starttls, sub: Submitter{Username: "alice", Password: "secret", TLSConfig: &tls.Config{}}, wantErr: ErrSubmit},
		{name: "wrong password", sink: plain, sub: Submitter{Username: "alice", Password: "nope"}, wantErr: ErrSubmit},
		{name: "no TLS to a remote address", sink: plain, sub: Submitter{Username: "alice", Password: "secret", Dial: remoteLooking}, wantErr: ErrInsecure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.sink.messages())
			s := tc.sub
			s.Addr = tc.sink.addr
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			id, err := s.Submit(ctx, "mailconf-probe@example.com", []string{"bob@dest.example"}, msg)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if n := len(tc.sink.messages()); n != before {
					t.Errorf("a failed submission delivered %d messages", n-before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != "Q1X2" {
				t.Errorf("queue ID = %q, want Q1X2", id)
			}
			got := tc.sink.messages()[before:]
			want := []received{{From: "mailconf-probe@example.com", To: []string{"bob@dest.example"}, Data: string(msg), TLS: tc.wantTLS}}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("received (-want +got):\n%s", d)
			}
		})
	}
}

func TestSubmitImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	s := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s, c: c}, nil
	}))
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	sub := Submitter{Addr: ln.Addr().String(), Username: "alice", Password: "secret", ImplicitTLS: true, TLSConfig: &tls.Config{RootCAs: pool}}
	if _, err := sub.Submit(context.Background(), "a@example.com", []string{"b@example.net"}, []byte("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := s.messages(); len(got) != 1 || !got[0].TLS {
		t.Errorf("received %+v, want one message over TLS", got)
	}
}

// remoteLooking dials normally but reports a non-loopback peer, to test
// the refusal to send credentials in the clear.
func remoteLooking(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return remoteConn{c}, nil
}

type remoteConn struct{ net.Conn }

func (remoteConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 587}
}

func TestQueueID(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"postfix", "2.0.0 Ok: queued as 4ZxY1p2Lq", "4ZxY1p2Lq"},
		{"go-smtp default", "OK: queued", ""},
		{"exim", "OK id=1tXyZa-000AbC-9Q", "1tXyZa-000AbC-9Q"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := QueueID(tc.text); got != tc.want {
				t.Errorf("QueueID(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}
