package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Errors of the submitter.
var (
	ErrInsecure = errors.New("probe: refusing to send credentials without TLS to a non-loopback address; set TLSConfig or ImplicitTLS")
	ErrSubmit   = errors.New("probe: submission failed")
)

// Submitter submits a message through an SMTP relay (RFC 6409 submission).
//
// TLS: with ImplicitTLS the connection is TLS from the first byte (RFC 8314
// section 3.3). Otherwise a non-nil TLSConfig makes STARTTLS (RFC 3207)
// mandatory: a server that does not offer it is an error rather than a
// silent downgrade, since an attacker can strip the offer. With neither, the
// session stays plaintext, which is only allowed when the peer is a loopback
// address (a relay on the same host, or a test).
//
// The fields must not change while Submit runs; a Submitter is otherwise safe
// for concurrent use.
type Submitter struct {
	Addr               string // host:port of the relay's submission listener
	Username, Password string // AUTH PLAIN credentials; an empty Username skips AUTH
	TLSConfig          *tls.Config
	ImplicitTLS        bool
	LocalName          string                                                            // EHLO name; empty means "localhost"
	Dial               func(ctx context.Context, network, addr string) (net.Conn, error) // nil means a net.Dialer
}

// Submit sends msg from the envelope sender to the recipients and returns
// the queue ID the relay named in its final 250 reply, or "" when it named
// none. The context bounds the whole session.
func (s *Submitter) Submit(ctx context.Context, from string, to []string, msg []byte) (queueID string, err error) {
	conn, err := dial(ctx, s.Dial, s.Addr)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrSubmit, s.Addr, err)
	}
	// Closing the connection is the only way to interrupt go-smtp's blocking
	// reads when the context ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	id, err := s.session(conn, from, to, msg)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return "", fmt.Errorf("%w: %s: %w", ErrSubmit, s.Addr, err)
	}
	return id, nil
}

func (s *Submitter) session(conn net.Conn, from string, to []string, msg []byte) (string, error) {
	host, _, _ := net.SplitHostPort(s.Addr)
	var c *smtp.Client
	switch {
	case s.ImplicitTLS:
		c = smtp.NewClient(tls.Client(conn, tlsConfig(s.TLSConfig, host)))
	case s.TLSConfig != nil:
		var err error
		if c, err = smtp.NewClientStartTLS(conn, tlsConfig(s.TLSConfig, host)); err != nil {
			conn.Close()
			return "", err
		}
	default:
		if s.Username != "" && !isLoopback(conn.RemoteAddr()) {
			conn.Close()
			return "", ErrInsecure
		}
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if s.LocalName != "" {
		if err := c.Hello(s.LocalName); err != nil {
			return "", err
		}
	}
	if s.Username != "" {
		// RFC 4954 section 4 with the PLAIN mechanism of RFC 4616.
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return "", fmt.Errorf("AUTH as %q: %w", s.Username, err)
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return "", fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return "", fmt.Errorf("RCPT TO:<%s>: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", fmt.Errorf("end of DATA: %w", err)
	}
	// The message is accepted; a failed QUIT does not change that.
	_ = c.Quit()
	return QueueID(resp.StatusText), nil
}

// queueIDPatterns match the reply texts of common MTAs: Postfix and
// go-smtp-based servers ("queued as ID"), Exim ("id=ID").
var queueIDPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bqueued as ([A-Za-z0-9][A-Za-z0-9._:-]*)`),
	regexp.MustCompile(`(?i)\bid=([A-Za-z0-9][A-Za-z0-9._:-]*)`),
}

// QueueID extracts the queue ID from the text of a 250 reply to DATA, or
// returns "". RFC 5321 gives the reply text no structure, so this only
// recognizes common conventions.
func QueueID(text string) string {
	for _, re := range queueIDPatterns {
		if m := re.FindStringSubmatch(text); m != nil {
			return m[1]
		}
	}
	return ""
}

func dial(ctx context.Context, d func(context.Context, string, string) (net.Conn, error), addr string) (net.Conn, error) {
	if d == nil {
		var nd net.Dialer
		d = nd.DialContext
	}
	return d(ctx, "tcp", addr)
}

// tlsConfig returns a copy of cfg (or a new config) with ServerName set to
// host when empty, so that certificate verification checks the right name.
func tlsConfig(cfg *tls.Config, host string) *tls.Config {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	return cfg
}

func isLoopback(a net.Addr) bool {
	if a == nil {
		return false
	}
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}
