package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// tlsPolicy says how a session uses TLS.
type tlsPolicy int

const (
	// tlsOpportunistic uses STARTTLS when the server offers it, accepting
	// any certificate (RFC 7435).
	tlsOpportunistic tlsPolicy = iota
	// tlsNone stays in cleartext: the retry after a failed handshake.
	tlsNone
	// tlsRequired requires STARTTLS and a verified certificate (smarthost).
	tlsRequired
	// tlsImplicit starts TLS at once, certificate verified (smarthost on
	// port 465, RFC 8314 section 3.3).
	tlsImplicit
)

// errHandshake marks a failed TLS negotiation, after which an
// opportunistic client retries in cleartext.
var errHandshake = errors.New("TLS negotiation failed")

// open greets the server, negotiates TLS as policy says and says EHLO, and
// returns a go-smtp client ready for MAIL. On failure it returns nil and
// the outcome to report.
//
// go-smtp's client says EHLO with its own name before STARTTLS and has no
// exported STARTTLS after Hello, so the part of the session before TLS is
// spoken here: greeting, EHLO, STARTTLS. go-smtp then takes the
// connection, after a greeting replayed to it, and says EHLO again, which
// RFC 3207 section 4.2 requires after TLS and RFC 5321 section 4.1.4
// allows at any time.
func (c *Client) open(ctx context.Context, conn net.Conn, host string, policy tlsPolicy) (*smtp.Client, outcome) {
	switch policy {
	case tlsNone:
		return c.hello(smtp.NewClient(conn), host)
	case tlsImplicit:
		tc := tls.Client(conn, c.tlsConfig(host, true))
		if err := c.handshake(ctx, tc); err != nil {
			return nil, refused(failure{0, "4.7.0", fmt.Sprintf("TLS with %s: %v", host, err), true})
		}
		return c.hello(smtp.NewClient(tc), host)
	}

	tp := textproto.NewConn(conn)
	deadline := func() { _ = conn.SetDeadline(time.Now().Add(c.timeout())) }
	deadline()
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, refused(sessionFailure(host, "greeting", err))
	}
	deadline()
	code, msg, err := cmd(tp, 250, "EHLO %s", c.hostname())
	var ext map[string]bool
	switch {
	case err == nil:
		ext = extensions(msg)
	case code == 500 || code == 502:
		// RFC 5321 section 4.1.4: a server that does not know EHLO gets
		// HELO, which go-smtp falls back to by itself; such a server has
		// no STARTTLS.
	default:
		return nil, refused(sessionFailure(host, "EHLO", err))
	}
	var rest io.Reader = tp.R
	if ext["STARTTLS"] {
		deadline()
		_, _, err := cmd(tp, 220, "STARTTLS")
		switch {
		case err == nil && tp.R.Buffered() > 0:
			// RFC 3207 section 4.2: the client discards what it learned
			// before TLS; octets that arrived after the 220 in cleartext
			// were injected and must not be read as if protected.
			return nil, c.tlsFailure(host, policy, errors.New("server sent data after its STARTTLS reply"))
		case err == nil:
			tc := tls.Client(conn, c.tlsConfig(host, policy == tlsRequired))
			if err := c.handshake(ctx, tc); err != nil {
				return nil, c.tlsFailure(host, policy, err)
			}
			rest = tc
			conn = tc
		case policy == tlsRequired:
			return nil, refused(sessionFailure(host, "STARTTLS", err))
		}
		// A refused STARTTLS (RFC 3207 section 4: 454) leaves the session
		// in cleartext, which is what opportunistic security falls back to.
	} else if policy == tlsRequired {
		return nil, refused(failure{0, "4.7.0", fmt.Sprintf("%s does not offer STARTTLS; the password is only sent over TLS", host), true})
	}
	_ = conn.SetDeadline(time.Time{})
	return c.hello(smtp.NewClient(&replayConn{Conn: conn, r: io.MultiReader(strings.NewReader(replayedGreeting), rest)}), host)
}

// replayedGreeting is what go-smtp reads as the greeting of a session whose
// real greeting was read by open.
const replayedGreeting = "220 session continued\r\n"

// replayConn reads from r instead of the connection itself: a replayed
// greeting, then the connection (through the buffer that read the
// cleartext part, or the TLS layer).
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *Client) hello(sc *smtp.Client, host string) (*smtp.Client, outcome) {
	sc.CommandTimeout = c.timeout()
	if c.Timeout > 0 {
		sc.SubmissionTimeout = c.Timeout
	}
	if err := sc.Hello(c.hostname()); err != nil {
		sc.Close()
		return nil, refused(sessionFailure(host, "EHLO", err))
	}
	return sc, outcome{}
}

func (c *Client) handshake(ctx context.Context, tc *tls.Conn) error {
	hctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return fmt.Errorf("%w: %w", errHandshake, err)
	}
	return nil
}

func (c *Client) tlsFailure(host string, policy tlsPolicy, err error) outcome {
	// RFC 3463 section 3.8: X.7.0, other or undefined security status.
	out := refused(failure{0, "4.7.0", fmt.Sprintf("TLS with %s: %v", host, err), true})
	out.tlsFailed = policy == tlsOpportunistic
	return out
}

// tlsConfig returns the configuration for a session with host. MX hosts'
// certificates are not verified (opportunistic security, see the package
// documentation); a smarthost's are.
func (c *Client) tlsConfig(host string, verify bool) *tls.Config {
	cfg := &tls.Config{}
	if c.TLSConfig != nil {
		cfg = c.TLSConfig.Clone()
	}
	// RFC 6066 section 3: SNI names the host being contacted; for a
	// smarthost it is also the name the certificate must carry.
	cfg.ServerName = host
	if !verify {
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

// cmd sends one command and reads its reply.
func cmd(tp *textproto.Conn, expect int, format string, args ...any) (int, string, error) {
	id, err := tp.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	return tp.ReadResponse(expect)
}

// extensions reads the keywords of an EHLO reply (RFC 5321 section 4.1.1.1:
// one per line after the first, keyword then parameters), upper case.
func extensions(msg string) map[string]bool {
	ext := make(map[string]bool)
	lines := strings.Split(msg, "\n")
	for _, line := range lines[1:] {
		if kw, _, _ := strings.Cut(strings.TrimSpace(line), " "); kw != "" {
			ext[strings.ToUpper(kw)] = true
		}
	}
	return ext
}

// sessionFailure describes a failed greeting, EHLO or STARTTLS: the
// server's reply, or a network error, which is temporary.
func sessionFailure(host, stage string, err error) failure {
	var te *textproto.Error
	if errors.As(err, &te) {
		enhanced, text := splitEnhanced(oneLine(te.Msg))
		return failure{te.Code, enhanced, fmt.Sprintf("%s %s: %s", host, stage, text), te.Code/100 != 5}
	}
	f := replyFailure(err)
	f.msg = fmt.Sprintf("%s %s: %s", host, stage, f.msg)
	return f
}
