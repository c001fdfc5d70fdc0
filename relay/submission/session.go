package submission

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"
)

// Replies that do not depend on the session.
var (
	// RFC 3207 section 4: a server that requires TLS answers other commands
	// with "530 Must issue a STARTTLS command first"; RFC 4954 section 4
	// forbids plaintext password mechanisms on an unprotected session.
	errMustStartTLS = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}

	// RFC 6409 section 6.1: an MSA must refuse MAIL from a session that has
	// not authenticated; RFC 4954 section 6 gives the reply.
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

	// RFC 3463 section 3.4 (X.3.0, mail system status): the queue could not
	// take the message; the client should try again.
	errQueue = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Queue unavailable, try again later"}

	// RFC 3463 section 3.2 (X.1.7, bad sender's mailbox address syntax).
	errBadSender = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax"}

	// RFC 3463 section 3.2 (X.1.3, bad destination mailbox address syntax).
	errBadRecipient = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax"}
)

// policyError is a refusal by the sending policy: 550 with RFC 3463's
// X.7.1 (delivery not authorized, message refused).
func policyError(format string, args ...any) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: fmt.Sprintf(format, args...)}
}

// contentError is a refusal of a malformed message: 550 with RFC 3463's
// X.6.0 (other or undefined media error).
func contentError(format string, args ...any) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: fmt.Sprintf(format, args...)}
}

// session is one SMTP session, from EHLO to QUIT or to STARTTLS, after
// which go-smtp starts a new one (RFC 3207 section 4.2: the client must
// discard what it knew, and authenticate again).
type session struct {
	s      *Server
	kind   string
	conn   *smtp.Conn
	remote string
	key    string

	user  *account
	from  string
	size  int64
	utf8  bool
	rcpts []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (s *Server) newSession(kind string, c *smtp.Conn) *session {
	ra := c.Conn().RemoteAddr()
	return &session{s: s, kind: kind, conn: c, remote: ra.String(), key: clientKey(ra)}
}

func (ss *session) logger() *slog.Logger {
	l := ss.s.log.With("remote", ss.remote, "kind", ss.kind)
	if ss.user != nil {
		l = l.With("user", ss.user.name)
	}
	return l
}

func (ss *session) isTLS() bool {
	_, ok := ss.conn.TLSConnectionState()
	return ok
}

// authAllowed reports whether passwords may be sent: over TLS, or on the
// loopback listener, which never leaves the host.
func (ss *session) authAllowed() bool {
	return ss.kind == KindLoopback || ss.isTLS()
}

// AuthMechanisms lists the mechanisms advertised in EHLO. Before TLS on a
// network listener the list is empty, so AUTH is not advertised at all
// (RFC 4954 section 4).
func (ss *session) AuthMechanisms() []string {
	if !ss.authAllowed() {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth starts a SASL exchange.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	if !ss.authAllowed() {
		return nil, errMustStartTLS
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			// RFC 4616 section 2: an authorization identity other than
			// the authentication identity asks to act as someone else,
			// which no user here may do.
			return ss.authenticate(username, password, identity == "" || identity == username)
		}), nil
	case sasl.Login:
		return &loginServer{auth: func(username, password string) error {
			return ss.authenticate(username, password, true)
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// authenticate checks a password against the user's bcrypt hash, after the
// delay the client's recent failures call for. authzOK is false when the
// client asked for an authorization identity it may not have; the password
// is checked all the same, so the reply takes the same time.
func (ss *session) authenticate(username, password string, authzOK bool) error {
	s := ss.s
	if d := s.fails.delay(ss.key); d > 0 {
		s.sleep(d)
	}
	a := s.users[username]
	hash := s.dummyHash
	if a != nil {
		hash = a.hash
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if a == nil || err != nil || !authzOK {
		n := s.fails.fail(ss.key)
		ss.logger().Warn("authentication failed", "user", truncate(username, 64), "failures", n)
		// RFC 4954 section 6: 535 5.7.8 Authentication credentials invalid.
		return smtp.ErrAuthFailed
	}
	ss.user = a
	ss.logger().Info("authenticated")
	return nil
}

// Mail starts a transaction.
func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if ss.user == nil {
		ss.logger().Warn("refused MAIL without authentication", "from", truncate(from, 256))
		return errAuthRequired
	}
	// RFC 5321 section 4.5.5: the null reverse-path is for delivery status
	// notifications, which MTAs generate; a user submitting one is either
	// misconfigured or trying to send mail nobody can answer.
	if from == "" {
		ss.logger().Warn("refused null reverse-path")
		return policyError("Null reverse-path not accepted: users do not send bounces")
	}
	domain, err := addressDomain(from)
	if err != nil {
		return errBadSender
	}
	if err := ss.checkDomain("envelope sender", domain); err != nil {
		ss.logger().Warn("refused envelope sender", "from", from, "reason", err.Message)
		return err
	}
	ss.from = from
	ss.size, ss.utf8 = 0, false
	if opts != nil {
		ss.size, ss.utf8 = opts.Size, opts.UTF8
	}
	return nil
}

// checkDomain applies the sending policy to the domain of an envelope
// sender or header From: it must be managed by the configuration and
// allowed for the user.
func (ss *session) checkDomain(what, domain string) *smtp.SMTPError {
	switch {
	case !ss.s.managed[domain]:
		return policyError("The %s domain %s is not a domain of this relay", what, domain)
	case !ss.user.allowed[domain]:
		return policyError("User %s may not use %s as %s domain", ss.user.name, domain, what)
	}
	return nil
}

// Rcpt adds a recipient. Any destination is allowed: the client has
// authenticated, and the sender domain is its own.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.user == nil || ss.from == "" {
		return errAuthRequired
	}
	// RFC 5321 section 4.5.1 lets RCPT TO:<Postmaster> omit the domain,
	// for the server's own postmaster; this server delivers nothing
	// itself, so every recipient needs a domain to be relayed to. (go-smtp
	// v0.25.1's path parser already refuses such a path; the rule stays
	// here so that it does not depend on that.)
	if _, err := addressDomain(to); err != nil {
		return errBadRecipient
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

// Data receives, checks, completes, signs and queues the message.
func (ss *session) Data(r io.Reader) error {
	if ss.user == nil || ss.from == "" || len(ss.rcpts) == 0 {
		return errAuthRequired
	}
	var buf bytes.Buffer
	if ss.size > 0 {
		buf.Grow(int(min(ss.size, ss.s.cfg.MaxMessageBytes)) + 512)
	}
	// go-smtp's reader returns ErrDataTooLarge (552 5.3.4, RFC 1870
	// section 6.2) past MaxMessageBytes.
	if _, err := buf.ReadFrom(r); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			ss.logger().Warn("message refused", "reason", se.Message)
		}
		return err
	}
	m, err := ss.s.prepare(ss, buf.Bytes())
	if err != nil {
		ss.logger().Warn("message refused", "from", ss.from, "reason", err.Message)
		return err
	}
	id, qerr := ss.s.q.Enqueue(ss.from, slices.Clone(ss.rcpts), m.body)
	if qerr != nil {
		ss.logger().Error("queue refused the message", "from", ss.from, "err", qerr)
		return errQueue
	}
	id = replySafe(id)
	ss.logger().Info("message queued",
		"queue_id", id, "from", ss.from, "header_from", m.headerFrom, "rcpts", ss.rcpts,
		"size", len(m.body), "dkim", m.signedWith)
	// go-smtp sends the code and text of an *SMTPError as they are, which
	// is how the queue ID gets into the 250 reply.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: queued as " + id}
}

// Reset ends the transaction; the authentication stays (RFC 4954 section 4).
func (ss *session) Reset() {
	ss.from, ss.size, ss.utf8, ss.rcpts = "", 0, false, nil
}

// Logout ends the session.
func (ss *session) Logout() error {
	ss.Reset()
	ss.user = nil
	return nil
}

// addressDomain returns the normalized domain of an address as go-smtp
// parsed it from a MAIL or RCPT path.
func addressDomain(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", errNoDomain
	}
	return normalizeDomain(addr[at+1:])
}

var errNoDomain = errors.New("no domain")

// replySafe keeps a queue ID from breaking the reply line: printable ASCII
// only, at most 64 octets.
func replySafe(id string) string {
	id = strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return -1
		}
		return r
	}, id)
	return truncate(id, 64)
}

// truncate bounds a client-supplied string before it goes into a log line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
