package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/google/go-cmp/cmp"
)

// imapServer is go-imap's in-memory IMAP server on loopback, with one user
// (alice, password secret) and an INBOX.
type imapServer struct {
	addr string
	mode imapTLS
	dial func() (net.Conn, error) // how the test itself reaches the server
}

// imapTLS says how newIMAPServer offers TLS.
type imapTLS int

const (
	plainIMAP    imapTLS = iota // no TLS; LOGIN allowed in the clear
	startTLSIMAP                // STARTTLS offered; LOGIN only after it
	implicitIMAP                // TLS from the first byte
)

func newIMAPServer(t *testing.T, mode imapTLS, cert *tls.Certificate) *imapServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("alice", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger:       log.New(io.Discard, "", 0),
		InsecureAuth: mode == plainIMAP,
	}
	if mode != plainIMAP {
		opts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	srv := imapserver.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &imapServer{addr: ln.Addr().String(), mode: mode}
	s.dial = func() (net.Conn, error) { return net.Dial("tcp", s.addr) }
	if mode == implicitIMAP {
		ln = tls.NewListener(ln, opts.TLSConfig)
		s.dial = func() (net.Conn, error) {
			return tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true})
		}
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

// session logs in as alice for the test's own use (delivering and
// inspecting messages).
func (s *imapServer) session(t *testing.T) *imapclient.Client {
	t.Helper()
	conn, err := s.dial()
	if err != nil {
		t.Fatal(err)
	}
	var c *imapclient.Client
	if s.mode == startTLSIMAP {
		// The server allows LOGIN only over TLS.
		c, err = imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		c = imapclient.New(conn, nil)
	}
	if err := c.Login("alice", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// deliver APPENDs a message made of header and a short body to INBOX.
func (s *imapServer) deliver(t *testing.T, header string) {
	t.Helper()
	msg := strings.ReplaceAll(header, "\n", "\r\n") + "\r\nbody\r\n"
	c := s.session(t)
	defer c.Close()
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := io.WriteString(cmd, msg); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
}

// flags returns every message's flags in INBOX, read without changing them.
func (s *imapServer) flags(t *testing.T) [][]imap.Flag {
	t.Helper()
	c := s.session(t)
	defer c.Close()
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var seq imap.SeqSet
	seq.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(seq, &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]imap.Flag
	for _, m := range msgs {
		out = append(out, m.Flags)
	}
	return out
}

// recorder dials like net.Dialer and keeps what the client writes, so that
// a test can check which commands Mailbox sent.
type recorder struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (r *recorder) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return recordConn{c, r}, nil
}

func (r *recorder) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Split(strings.TrimSpace(r.out.String()), "\r\n")
}

type recordConn struct {
	net.Conn
	r *recorder
}

func (c recordConn) Write(b []byte) (int, error) {
	c.r.mu.Lock()
	c.r.out.Write(b)
	c.r.mu.Unlock()
	return c.Conn.Write(b)
}

func probeHeader(token, ar string) string {
	return "Return-Path: <mailconf-probe@example.com>\n" +
		"Authentication-Results: mx.google.com;\n" + ar + "\n" +
		"Authentication-Results: forged.example; spf=pass; dkim=pass; dmarc=pass\n" +
		"From: mailconf-probe@example.com\n" +
		"Subject: mailconf probe " + token + "\n" +
		"X-Mailconf-Probe: " + token + "\n"
}

func TestMailboxWait(t *testing.T) {
	srv := newIMAPServer(t, plainIMAP, nil)
	srv.deliver(t, "Subject: unrelated\nAuthentication-Results: mx.google.com; spf=none\n")
	srv.deliver(t, probeHeader("aaaa1111", "       dkim=pass header.i=@example.com header.s=ed header.b=Xy;\n"+
		"       spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted sender; really) smtp.mailfrom=a@example.com;\n"+
		"       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"))
	srv.deliver(t, probeHeader("bbbb2222", "       dkim=fail header.d=example.com; spf=softfail smtp.mailfrom=example.com; dmarc=fail (p=QUARANTINE) header.from=example.com"))
	// A message that merely mentions the token in another field is skipped.
	srv.deliver(t, "Subject: re: cccc3333\nX-Mailconf-Probe: other\nAuthentication-Results: x; dmarc=pass\n")
	// An older copy of a probe loses to the newest one.
	srv.deliver(t, probeHeader("eeee5555", " spf=fail; dkim=fail; dmarc=fail"))
	srv.deliver(t, probeHeader("eeee5555", " spf=pass; dkim=pass; dmarc=pass"))
	rec := &recorder{}

	tests := []struct {
		name  string
		token string
		want  *MailboxVerdict
	}{
		{"all pass", "aaaa1111", &MailboxVerdict{SPF: "pass", SPFFrom: "a@example.com", DKIM: "pass", DMARC: "pass", AuthServID: "mx.google.com",
			Signatures: []Signature{{Domain: "example.com", Selector: "ed", Identifier: "@example.com", Result: "pass"}}}},
		{"dmarc fail", "bbbb2222", &MailboxVerdict{SPF: "softfail", SPFFrom: "example.com", DKIM: "fail", DMARC: "fail", AuthServID: "mx.google.com",
			Signatures: []Signature{{Domain: "example.com", Result: "fail"}}}},
		{"newest match wins", "eeee5555", &MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "pass", AuthServID: "mx.google.com",
			Signatures: []Signature{{Result: "pass"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Mailbox{Addr: srv.addr, Username: "alice", Password: "secret", Sleep: noSleep, Dial: rec.dial}
			got, err := m.Wait(context.Background(), tc.token)
			if err != nil {
				t.Fatal(err)
			}
			// The forged field below the provider's own is ignored.
			if len(got.Fields) != 1 || !strings.HasPrefix(got.Fields[0], "mx.google.com;") {
				t.Errorf("Fields = %q, want the topmost field only", got.Fields)
			}
			got.Fields = nil
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("verdict (-want +got):\n%s", d)
			}
		})
	}

	t.Run("arrives while polling", func(t *testing.T) {
		polls := 0
		sleep := func(ctx context.Context, _ time.Duration) error {
			if polls++; polls == 2 {
				srv.deliver(t, probeHeader("dddd4444", " spf=pass; dkim=pass; dmarc=pass"))
			}
			return ctx.Err()
		}
		m := &Mailbox{Addr: srv.addr, Username: "alice", Password: "secret", Sleep: sleep, Dial: rec.dial}
		got, err := m.Wait(context.Background(), "dddd4444")
		if err != nil {
			t.Fatal(err)
		}
		if got.DMARC != "pass" || polls != 2 {
			t.Errorf("DMARC = %q after %d polls, want pass after 2", got.DMARC, polls)
		}
	})

	t.Run("absent times out", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		m := &Mailbox{Addr: srv.addr, Username: "alice", Password: "secret", Poll: 10 * time.Millisecond, Dial: rec.dial}
		if _, err := m.Wait(ctx, "cccc3333"); !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		m := &Mailbox{Addr: srv.addr, Username: "alice", Password: "nope", Sleep: noSleep}
		if _, err := m.Wait(context.Background(), "aaaa1111"); !errors.Is(err, ErrIMAP) {
			t.Errorf("err = %v, want ErrIMAP", err)
		}
	})

	t.Run("no TLS to a remote address", func(t *testing.T) {
		m := &Mailbox{Addr: srv.addr, Username: "alice", Password: "secret", Dial: remoteLooking}
		if _, err := m.Wait(context.Background(), "aaaa1111"); !errors.Is(err, ErrInsecure) {
			t.Errorf("err = %v, want ErrInsecure", err)
		}
	})

	t.Run("no such mailbox", func(t *testing.T) {
		m := &Mailbox{Addr: srv.addr, Username: "alice", Password: "secret", Mailbox: "Spam", Sleep: noSleep}
		if _, err := m.Wait(context.Background(), "aaaa1111"); !errors.Is(err, ErrIMAP) {
			t.Errorf("err = %v, want ErrIMAP", err)
		}
	})

	// The mailbox must only ever be read: no command that may change it
	// was sent, and no message gained \Seen.
	for _, c := range rec.commands() {
		f := strings.Fields(c)
		if len(f) < 2 {
			continue
		}
		verb := strings.ToUpper(f[1])
		if len(f) > 2 && verb == "UID" {
			verb += " " + strings.ToUpper(f[2])
		}
		switch {
		case verb == "SELECT", verb == "STORE", verb == "UID STORE", verb == "EXPUNGE", verb == "UID EXPUNGE",
			verb == "APPEND", verb == "COPY", verb == "MOVE", verb == "UID MOVE", verb == "DELETE",
			strings.Contains(strings.ToUpper(c), "BODY["):
			t.Errorf("command %q may modify the mailbox", c)
		}
	}
	for i, fl := range srv.flags(t) {
		for _, f := range fl {
			if f == imap.FlagSeen {
				t.Errorf("message %d was marked \\Seen", i+1)
			}
		}
	}
}

func TestMailboxTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	servers := map[imapTLS]*imapServer{
		plainIMAP:    newIMAPServer(t, plainIMAP, nil),
		startTLSIMAP: newIMAPServer(t, startTLSIMAP, cert),
		implicitIMAP: newIMAPServer(t, implicitIMAP, cert),
	}
	for _, s := range servers {
		s.deliver(t, probeHeader("aaaa1111", " spf=pass; dkim=pass; dmarc=pass"))
	}
	trusted := &tls.Config{RootCAs: pool}
	tests := []struct {
		name    string
		server  imapTLS
		mbox    Mailbox
		wantErr error
	}{
		{name: "STARTTLS", server: startTLSIMAP, mbox: Mailbox{TLSConfig: trusted}},
		{name: "implicit TLS", server: implicitIMAP, mbox: Mailbox{TLSConfig: trusted, ImplicitTLS: true}},
		{name: "STARTTLS required but not offered", server: plainIMAP, mbox: Mailbox{TLSConfig: trusted}, wantErr: ErrIMAP},
		{name: "untrusted certificate", server: startTLSIMAP, mbox: Mailbox{TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}}, wantErr: ErrIMAP},
		{name: "untrusted certificate, implicit TLS", server: implicitIMAP, mbox: Mailbox{ImplicitTLS: true, TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}}, wantErr: ErrIMAP},
		{name: "server refuses LOGIN without TLS", server: startTLSIMAP, mbox: Mailbox{}, wantErr: ErrIMAP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.mbox
			m.Addr, m.Username, m.Password, m.Sleep = servers[tc.server].addr, "alice", "secret", noSleep
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got, err := m.Wait(ctx, "aaaa1111")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && got.DMARC != "pass" {
				t.Errorf("DMARC = %q, want pass", got.DMARC)
			}
		})
	}
}

func TestMailboxBadToken(t *testing.T) {
	for _, token := range []string{"", "a\r\nb", "caf\u00e9"} {
		m := &Mailbox{Addr: "127.0.0.1:1", Dial: func(context.Context, string, string) (net.Conn, error) {
			t.Fatal("dialled for a bad token")
			return nil, nil
		}}
		if _, err := m.Wait(context.Background(), token); !errors.Is(err, ErrIMAP) {
			t.Errorf("Wait(%q) err = %v, want ErrIMAP", token, err)
		}
	}
}

func TestParseHeader(t *testing.T) {
	// milters is what Postfix with policyd-spf, OpenDKIM and OpenDMARC
	// delivered in the interop suite: one field per filter, and a forged
	// field from the sender further down.
	const milters = "Authentication-Results: mx.sink.test; dmarc=pass (p=reject dis=none) header.from=good.test\r\n" +
		"Authentication-Results: mx.sink.test;\r\n\tdkim=pass (2048-bit key) header.d=good.test header.i=@good.test header.a=rsa-sha256 header.s=r2048 header.b=AbC;\r\n" +
		"\tdkim=pass header.d=good.test header.i=@good.test header.a=ed25519-sha256 header.s=ed header.b=XyZ\r\n" +
		"Received-SPF: Pass (mailfrom) identity=mailfrom\r\n" +
		"Authentication-Results: mx.sink.test; spf=pass (sender SPF authorized) smtp.mailfrom=probe@good.test\r\n" +
		"Received: from relay.good.test (unknown [127.0.0.5])\r\n" +
		"Authentication-Results: mx.sink.test; spf=fail; dkim=fail; dmarc=fail\r\n" +
		"Authentication-Results: relay.good.test; auth=pass\r\n"
	goodSigs := []Signature{
		{Domain: "good.test", Selector: "r2048", Identifier: "@good.test", Result: "pass"},
		{Domain: "good.test", Selector: "ed", Identifier: "@good.test", Result: "pass"},
	}
	tests := []struct {
		name, header, token, authServID string
		want                            *MailboxVerdict
		wantErr                         error
	}{
		{
			name:   "multiple DKIM, one passes",
			header: "Authentication-Results: mx.example; dkim=fail header.d=a.example; dkim=pass header.d=example.com; spf=pass; dmarc=pass\r\n",
			want: &MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "pass", AuthServID: "mx.example",
				Signatures: []Signature{{Domain: "a.example", Result: "fail"}, {Domain: "example.com", Result: "pass"}},
				Fields:     []string{"mx.example; dkim=fail header.d=a.example; dkim=pass header.d=example.com; spf=pass; dmarc=pass"}},
		},
		{
			name:   "version and quoted comment characters",
			header: "Authentication-Results: mx.example 1; spf=pass smtp.mailfrom=\"a(b)@example.com\" (comment; with (nested) semicolon)\r\n",
			want:   &MailboxVerdict{SPF: "pass", SPFFrom: "a(b)@example.com", AuthServID: "mx.example", Fields: []string{"mx.example 1; spf=pass smtp.mailfrom=\"a(b)@example.com\" (comment; with (nested) semicolon)"}},
		},
		{
			name:   "dkim=none and a signature without header.s do not shift the selectors",
			header: "Authentication-Results: mx.example; dkim=pass header.d=a.example; dkim=none; dkim=fail header.d=b.example header.s=S2\r\n",
			want: &MailboxVerdict{DKIM: "pass", AuthServID: "mx.example",
				Signatures: []Signature{{Domain: "a.example", Result: "pass"}, {Domain: "b.example", Selector: "s2", Result: "fail"}},
				Fields:     []string{"mx.example; dkim=pass header.d=a.example; dkim=none; dkim=fail header.d=b.example header.s=S2"}},
		},
		{
			name:   "one field per filter, the topmost per method wins",
			header: milters,
			want: &MailboxVerdict{SPF: "pass", SPFFrom: "probe@good.test", DKIM: "pass", DMARC: "pass", AuthServID: "mx.sink.test", Signatures: goodSigs,
				Fields: []string{
					"mx.sink.test; dmarc=pass (p=reject dis=none) header.from=good.test",
					"mx.sink.test; dkim=pass (2048-bit key) header.d=good.test header.i=@good.test header.a=rsa-sha256 header.s=r2048 header.b=AbC; dkim=pass header.d=good.test header.i=@good.test header.a=ed25519-sha256 header.s=ed header.b=XyZ",
					"mx.sink.test; spf=pass (sender SPF authorized) smtp.mailfrom=probe@good.test",
					"mx.sink.test; spf=fail; dkim=fail; dmarc=fail",
				}},
		},
		{
			name:       "a configured authserv-id skips another receiver's field on top",
			header:     "Authentication-Results: filter.example; spf=none; dkim=none; dmarc=none\r\nAuthentication-Results: MX.Example; spf=pass; dkim=pass header.d=example.com header.s=s1; dmarc=pass\r\n",
			authServID: "mx.example",
			want: &MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "pass", AuthServID: "MX.Example",
				Signatures: []Signature{{Domain: "example.com", Selector: "s1", Result: "pass"}},
				Fields:     []string{"MX.Example; spf=pass; dkim=pass header.d=example.com header.s=s1; dmarc=pass"}},
		},
		{
			name:   "header.i stands in for a missing header.d",
			header: "Authentication-Results: mx.example; dkim=pass header.i=alice@Mail.Example.com\r\n",
			want: &MailboxVerdict{DKIM: "pass", AuthServID: "mx.example", Signatures: []Signature{{Domain: "mail.example.com", Identifier: "alice@Mail.Example.com", Result: "pass"}},
				Fields: []string{"mx.example; dkim=pass header.i=alice@Mail.Example.com"}},
		},
		{name: "no results", header: "Subject: x\r\n", wantErr: ErrNoAuthResults},
		{name: "none of the configured authserv-id", header: "Authentication-Results: other.example; spf=pass\r\n", authServID: "mx.example", wantErr: ErrNoAuthResults},
		{name: "bad version", header: "Authentication-Results: mx.example 2; spf=pass\r\n", wantErr: ErrBadAuthResults},
		{name: "bad header", header: " leading continuation\r\n", wantErr: ErrBadHeader},
		{name: "other message", header: "Subject: x\r\nAuthentication-Results: a; spf=pass\r\n", token: "t", wantErr: errOtherMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHeader([]byte(tc.header), tc.token, tc.authServID)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("verdict (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte("Authentication-Results: mx.google.com;\r\n dkim=pass header.i=@example.com;\r\n spf=pass (x; y) smtp.mailfrom=a@example.com;\r\n dmarc=fail (p=NONE) header.from=example.com\r\n\r\n"))
	f.Add([]byte("Authentication-Results: x 1; none\r\n"))
	f.Add([]byte("Authentication-Results: (((\"\\"))
	f.Add([]byte("Subject: t\r\nX-Mailconf-Probe: t\r\n"))
	f.Fuzz(func(t *testing.T, header []byte) {
		v, err := ParseHeader(header, "", "")
		if err != nil {
			return
		}
		// The fields it was read from, alone, give the same verdict.
		var again *MailboxVerdict
		for _, f := range v.Fields {
			fv, err := ParseAuthResults(f)
			if err != nil {
				t.Fatalf("ParseAuthResults(%q): %v", f, err)
			}
			if again == nil {
				again = fv
			} else {
				again.merge(fv)
			}
		}
		if d := cmp.Diff(v, again); d != "" {
			t.Errorf("re-parse differs (-first +again):\n%s", d)
		}
	})
}
