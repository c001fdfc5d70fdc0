package delivery

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

// oneMX is DNS for example.test with one MX whose address the dialer maps
// to a sink.
var oneMX = map[string][]string{
	"example.test MX":    {"10 mx.example.test."},
	"mx.example.test A":  {"192.0.2.10"},
	"mx2.example.test A": {"192.0.2.20"},
}

// twoMX adds a second, less preferred MX.
var twoMX = map[string][]string{
	"example.test MX":    {"10 mx.example.test.", "20 mx2.example.test."},
	"mx.example.test A":  {"192.0.2.10"},
	"mx2.example.test A": {"192.0.2.20"},
}

func ok250(rcpt string) Result {
	return Result{Rcpt: rcpt, Code: 250, Enhanced: "2.0.0", Message: "OK: queued"}
}

func TestDeliverSTARTTLS(t *testing.T) {
	cert, _ := testCert(t)
	s := newSink(t, sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
	c := testClient(oneMX, d)
	got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test", "carol@EXAMPLE.test"}, []byte(testBody))
	want := []Result{ok250("bob@example.test"), ok250("carol@EXAMPLE.test")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if !m.TLS {
		t.Error("message was not sent over TLS although STARTTLS was offered")
	}
	if m.Helo != "relay.example.org" {
		t.Errorf("EHLO name = %q, want relay.example.org", m.Helo)
	}
	if m.Body != testBody {
		t.Errorf("body = %q, want %q", m.Body, testBody)
	}
	if diff := cmp.Diff([]string{"bob@example.test", "carol@EXAMPLE.test"}, m.To); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
}

// A self-signed certificate is accepted for MX hosts (opportunistic TLS),
// even when TLSConfig names roots that do not include it.
func TestDeliverUnverifiedCertificateStillEncrypts(t *testing.T) {
	cert, _ := testCert(t)
	_, otherPool := testCert(t)
	s := newSink(t, sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
	c := testClient(oneMX, d)
	c.TLSConfig = &tls.Config{RootCAs: otherPool}
	got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
	if !got[0].Delivered() {
		t.Fatalf("result = %+v, want delivered", got[0])
	}
	if msgs := s.messages(); len(msgs) != 1 || !msgs[0].TLS {
		t.Errorf("messages = %+v, want one over TLS", msgs)
	}
}

// A failed TLS handshake falls back to cleartext on a new connection.
func TestDeliverHandshakeFailureFallsBackToCleartext(t *testing.T) {
	cert, _ := testCert(t)
	s := newSink(t, sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}})
	d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
	c := testClient(oneMX, d)
	c.TLSConfig = &tls.Config{MaxVersion: tls.VersionTLS12}
	got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
	if !got[0].Delivered() {
		t.Fatalf("result = %+v, want delivered", got[0])
	}
	if msgs := s.messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Errorf("messages = %+v, want one in cleartext", msgs)
	}
	if n := d.dials.Load(); n != 2 {
		t.Errorf("dialled %d times, want 2 (TLS, then cleartext)", n)
	}
}

func TestDeliverImplicitMX(t *testing.T) {
	s := newSink(t, sinkConfig{})
	_, port, _ := net.SplitHostPort(s.addr)
	d := &dialer{routes: map[string]string{s.addr: s.addr}}
	c := testClient(map[string][]string{"implicit.test A": {"127.0.0.1"}}, d)
	c.Port = port
	got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@implicit.test"}, []byte(testBody))
	if diff := cmp.Diff([]Result{ok250("bob@implicit.test")}, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if len(s.messages()) != 1 {
		t.Errorf("sink got %d messages, want 1", len(s.messages()))
	}
}

func TestDeliverNextMX(t *testing.T) {
	tests := []struct {
		name  string
		first func(t *testing.T) string // the address of the preferred MX
	}{
		{name: "connection refused", first: closedPort},
		{name: "4xx greeting", first: func(t *testing.T) string { return greeter(t, "421 4.3.2 too busy, try later") }},
		{name: "5xx greeting", first: func(t *testing.T) string { return greeter(t, "554 5.3.2 no service here") }},
		{name: "4xx EHLO", first: func(t *testing.T) string {
			return newSink(t, sinkConfig{Greet: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}}).addr
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			second := newSink(t, sinkConfig{})
			d := &dialer{routes: map[string]string{"192.0.2.10:25": tc.first(t), "192.0.2.20:25": second.addr}}
			c := testClient(twoMX, d)
			got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
			if diff := cmp.Diff([]Result{ok250("bob@example.test")}, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if len(second.messages()) != 1 {
				t.Errorf("second MX got %d messages, want 1", len(second.messages()))
			}
		})
	}
}

// When no MX takes the session, the result is the last failure, and it is
// temporary unless every host failed permanently.
func TestDeliverNoMXTakesSession(t *testing.T) {
	tests := []struct {
		name          string
		first, second func(t *testing.T) string
		want          Result
	}{
		{
			name:   "both refuse connections",
			first:  closedPort,
			second: closedPort,
			want:   Result{Rcpt: "bob@example.test", Enhanced: "4.4.1", Temporary: true},
		},
		{
			name:   "both greet with 554",
			first:  func(t *testing.T) string { return greeter(t, "554 5.3.2 no service") },
			second: func(t *testing.T) string { return greeter(t, "554 5.3.2 no service") },
			want:   Result{Rcpt: "bob@example.test", Code: 554, Enhanced: "5.3.2", Message: "mx2.example.test greeting: no service"},
		},
		{
			name:   "one down, one 554",
			first:  closedPort,
			second: func(t *testing.T) string { return greeter(t, "554 5.3.2 no service") },
			want:   Result{Rcpt: "bob@example.test", Code: 554, Enhanced: "5.3.2", Message: "mx2.example.test greeting: no service", Temporary: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &dialer{routes: map[string]string{"192.0.2.10:25": tc.first(t), "192.0.2.20:25": tc.second(t)}}
			c := testClient(twoMX, d)
			got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
			ignoreNetText := cmp.FilterPath(func(p cmp.Path) bool { return tc.want.Code == 0 && p.Last().String() == ".Message" }, cmp.Ignore())
			if diff := cmp.Diff([]Result{tc.want}, got, ignoreNetText); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeliverNullMX(t *testing.T) {
	d := &dialer{}
	c := testClient(map[string][]string{"null.test MX": {"0 ."}, "null.test A": {"127.0.0.1"}}, d)
	got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@null.test"}, []byte(testBody))
	if len(got) != 1 || got[0].Enhanced != "5.1.10" || got[0].Temporary || got[0].Delivered() {
		t.Errorf("result = %+v, want a permanent 5.1.10 failure", got)
	}
	if n := d.dials.Load(); n != 0 {
		t.Errorf("dialled %d times for a null MX, want 0", n)
	}
}

func TestDeliverPerRecipient(t *testing.T) {
	s := newSink(t, sinkConfig{Rcpt: func(to string) error {
		switch {
		case strings.HasPrefix(to, "unknown@"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case strings.HasPrefix(to, "grey@"):
			return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted"}
		}
		return nil
	}})
	d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
	c := testClient(oneMX, d)
	got := c.Deliver(context.Background(), "alice@example.org", []string{"unknown@example.test", "bob@example.test", "grey@example.test"}, []byte(testBody))
	want := []Result{
		{Rcpt: "unknown@example.test", Code: 550, Enhanced: "5.1.1", Message: "no such user"},
		ok250("bob@example.test"),
		{Rcpt: "grey@example.test", Code: 450, Enhanced: "4.7.1", Message: "greylisted", Temporary: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if msgs := s.messages(); len(msgs) != 1 || !cmp.Equal(msgs[0].To, []string{"bob@example.test"}) {
		t.Errorf("messages = %+v, want one to bob only", msgs)
	}
}

func TestDeliverDataReply(t *testing.T) {
	tests := []struct {
		name string
		err  *smtp.SMTPError
		want Result
	}{
		{"4xx", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"},
			Result{Rcpt: "bob@example.test", Code: 451, Enhanced: "4.3.0", Message: "try later", Temporary: true}},
		{"5xx", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam"},
			Result{Rcpt: "bob@example.test", Code: 554, Enhanced: "5.7.1", Message: "spam"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, sinkConfig{Data: func(int) error { return tc.err }})
			d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr, "192.0.2.20:25": closedPort(t)}}
			c := testClient(twoMX, d)
			got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
			if diff := cmp.Diff([]Result{tc.want}, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeliverSMTPUTF8(t *testing.T) {
	tests := []struct {
		name     string
		smtputf8 bool
		want     Result
	}{
		{"offered", true, ok250("jörg@example.test")},
		{"not offered", false, Result{Rcpt: "jörg@example.test", Enhanced: "5.6.7", Message: "mx.example.test does not support SMTPUTF8, needed for a non-ASCII address"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, sinkConfig{SMTPUTF8: tc.smtputf8})
			d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
			c := testClient(oneMX, d)
			got := c.Deliver(context.Background(), "alice@example.org", []string{"jörg@example.test"}, []byte(testBody))
			if diff := cmp.Diff([]Result{tc.want}, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			msgs := s.messages()
			if tc.smtputf8 && (len(msgs) != 1 || !msgs[0].UTF8) {
				t.Errorf("messages = %+v, want one sent with SMTPUTF8", msgs)
			}
			if !tc.smtputf8 && len(msgs) != 0 {
				t.Errorf("messages = %+v, want none", msgs)
			}
		})
	}
}

func TestDeliverSmarthost(t *testing.T) {
	cert, pool := testCert(t)
	users := map[string]string{"relay": "s3cret"}
	tests := []struct {
		name      string
		sink      sinkConfig
		implicit  bool
		password  string
		rootsOK   bool
		delivered bool
	}{
		{name: "STARTTLS and AUTH", sink: sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Users: users}, password: "s3cret", rootsOK: true, delivered: true},
		{name: "implicit TLS and AUTH", sink: sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Implicit: true, Users: users}, implicit: true, password: "s3cret", rootsOK: true, delivered: true},
		{name: "no STARTTLS offered", sink: sinkConfig{Users: users}, password: "s3cret", rootsOK: true},
		{name: "untrusted certificate", sink: sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Users: users}, password: "s3cret"},
		{name: "wrong password", sink: sinkConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Users: users}, password: "guess", rootsOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t, tc.sink)
			d := &dialer{routes: map[string]string{"smarthost.example.test:587": s.addr}}
			c := testClient(nil, d)
			c.Resolver = nil // a smarthost needs no DNS of the Client's
			c.Smarthost = &Smarthost{Addr: "smarthost.example.test:587", Username: "relay", Password: tc.password, ImplicitTLS: tc.implicit}
			if tc.rootsOK {
				c.TLSConfig = &tls.Config{RootCAs: pool}
			}
			rcpts := []string{"bob@example.test", "dave@elsewhere.test"}
			got := c.Deliver(context.Background(), "alice@example.org", rcpts, []byte(testBody))
			for _, r := range got {
				if r.Delivered() != tc.delivered {
					t.Errorf("result %+v, want delivered=%v", r, tc.delivered)
				}
				if !tc.delivered && !r.Temporary {
					t.Errorf("result %+v: a smarthost failure of the relay's own making must be temporary", r)
				}
				if strings.Contains(r.Message, tc.password) {
					t.Errorf("result %+v contains the password", r)
				}
			}
			msgs := s.messages()
			if !tc.delivered {
				if len(msgs) != 0 {
					t.Errorf("messages = %+v, want none", msgs)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].User != "relay" || !msgs[0].TLS || !cmp.Equal(msgs[0].To, rcpts) {
				t.Errorf("messages = %+v, want one to both recipients, over TLS, as relay", msgs)
			}
		})
	}
}

func TestDeliverCancelled(t *testing.T) {
	s := newSink(t, sinkConfig{Hold: 2 * time.Second})
	d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
	c := testClient(oneMX, d)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	got := c.Deliver(ctx, "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
	if time.Since(start) > time.Second {
		t.Errorf("Deliver took %v after its context ended", time.Since(start))
	}
	if len(got) != 1 || got[0].Delivered() || !got[0].Temporary {
		t.Errorf("result = %+v, want a temporary failure", got)
	}
}

// Recipients of several domains are delivered domain by domain, and the
// results keep the order of the recipients.
func TestDeliverSeveralDomains(t *testing.T) {
	a := newSink(t, sinkConfig{})
	b := newSink(t, sinkConfig{})
	d := &dialer{routes: map[string]string{"192.0.2.10:25": a.addr, "192.0.2.20:25": b.addr}}
	c := testClient(map[string][]string{
		"a.test MX": {"10 mx.example.test."}, "b.test MX": {"10 mx2.example.test."},
		"mx.example.test A": {"192.0.2.10"}, "mx2.example.test A": {"192.0.2.20"},
	}, d)
	got := c.Deliver(context.Background(), "", []string{"x@a.test", "y@b.test", "z@a.test", "nodomain"}, []byte(testBody))
	want := []Result{ok250("x@a.test"), ok250("y@b.test"), ok250("z@a.test"), {Rcpt: "nodomain", Enhanced: "5.1.3", Message: "recipient address has no domain"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if len(a.messages()) != 1 || len(b.messages()) != 1 || a.messages()[0].From != "" {
		t.Errorf("a got %+v, b got %+v; want one each, from the null sender", a.messages(), b.messages())
	}
}

// scripted is a minimal SMTP server for what go-smtp's server cannot be
// made to do: omit 8BITMIME, or inject a reply after its STARTTLS answer.
// It records the commands it received.
type scripted struct {
	addr string

	mu   sync.Mutex
	cmds []string
}

func newScripted(t *testing.T, ehlo []string, startTLSReply string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &scripted{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c, ehlo, startTLSReply)
		}
	}()
	return s
}

func (s *scripted) serve(c net.Conn, ehlo []string, startTLSReply string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 scripted.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		s.mu.Unlock()
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		switch verb {
		case "EHLO":
			for i, e := range ehlo {
				sep := "-"
				if i == len(ehlo)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			io.WriteString(c, startTLSReply)
		case "DATA":
			tp.PrintfLine("354 go ahead")
			if _, err := tp.ReadDotBytes(); err != nil {
				return
			}
			tp.PrintfLine("250 2.0.0 accepted")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 2.0.0 ok")
		}
	}
}

func (s *scripted) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func TestDeliver8BITMIME(t *testing.T) {
	body8 := strings.Replace(testBody, "Hello Bob.", "Grüße, Bob.", 1)
	tests := []struct {
		name     string
		ehlo     []string
		body     string
		want     Result
		wantMail string // the MAIL command sent, "" for none
	}{
		{name: "7-bit to a server without 8BITMIME", ehlo: []string{"scripted.test", "SIZE"}, body: testBody,
			want: Result{Rcpt: "bob@example.test", Code: 250, Enhanced: "2.0.0", Message: "accepted"}, wantMail: fmt.Sprintf("MAIL FROM:<alice@example.org> SIZE=%d", len(testBody))},
		{name: "8-bit to a server without 8BITMIME", ehlo: []string{"scripted.test", "SIZE"}, body: body8,
			want: Result{Rcpt: "bob@example.test", Enhanced: "5.6.3", Message: "mx.example.test does not support 8BITMIME, needed for an 8-bit message"}},
		{name: "8-bit to a server with 8BITMIME", ehlo: []string{"scripted.test", "8BITMIME"}, body: body8,
			want: Result{Rcpt: "bob@example.test", Code: 250, Enhanced: "2.0.0", Message: "accepted"}, wantMail: "MAIL FROM:<alice@example.org> BODY=8BITMIME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScripted(t, tc.ehlo, "")
			d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
			c := testClient(oneMX, d)
			got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(tc.body))
			if diff := cmp.Diff([]Result{tc.want}, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			var mail string
			for _, cmd := range s.commands() {
				if strings.HasPrefix(cmd, "MAIL") {
					mail = cmd
				}
			}
			if mail != tc.wantMail {
				t.Errorf("MAIL command = %q, want %q", mail, tc.wantMail)
			}
		})
	}
}

// Octets after the 220 reply to STARTTLS were not protected by TLS (RFC
// 3207 section 4.2): the client must not read them as replies. It drops the
// connection and delivers in cleartext on a new one.
func TestDeliverSTARTTLSInjection(t *testing.T) {
	s := newScripted(t, []string{"scripted.test", "STARTTLS", "8BITMIME"}, "220 2.0.0 ready\r\n250 2.0.0 injected\r\n")
	d := &dialer{routes: map[string]string{"192.0.2.10:25": s.addr}}
	c := testClient(oneMX, d)
	got := c.Deliver(context.Background(), "alice@example.org", []string{"bob@example.test"}, []byte(testBody))
	if len(got) != 1 || !got[0].Delivered() {
		t.Fatalf("results = %+v, want delivered", got)
	}
	if n := d.dials.Load(); n != 2 {
		t.Errorf("dialled %d times, want 2", n)
	}
	var starttls int
	for _, cmd := range s.commands() {
		if cmd == "STARTTLS" {
			starttls++
		}
	}
	if starttls != 1 {
		t.Errorf("STARTTLS sent %d times, want once (then cleartext)", starttls)
	}
}
