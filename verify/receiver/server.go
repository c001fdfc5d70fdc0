package receiver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailconf/mailconf/resolve"
)

// Defaults for a Server's zero fields.
const (
	DefaultMaxEntries      = 10000
	DefaultTTL             = 24 * time.Hour
	DefaultMaxMessageBytes = 10 << 20
	DefaultEvalTimeout     = 30 * time.Second
)

// ProbeHeader is the header field carrying the probe token.
const ProbeHeader = "X-Mailconf-Probe"

// Errors of the server.
var (
	ErrNoToken      = errors.New("receiver: message carries no probe token")
	ErrUnauthorized = errors.New("receiver: missing or wrong API token")
)

// Server is the probe receiver: an SMTP server that accepts every message,
// evaluates it with Evaluate, stores the Verdict under the message's probe
// token and discards the message, plus an HTTP API to read the verdicts.
//
// The token is the value of the X-Mailconf-Probe header field, or when that
// is absent the local part of the Message-ID (the text before the last "@"
// inside the angle brackets). A message with neither is accepted and
// forgotten. The server never relays or keeps a message.
//
// Set the fields before Serve; a Server is safe for concurrent use.
type Server struct {
	Resolver resolve.Resolver // required
	APIToken string           // bearer token of the HTTP API; empty refuses every request

	Hostname        string           // SMTP greeting name and authserv-id; empty means DefaultAuthServID
	MaxEntries      int              // verdicts kept at most; zero means DefaultMaxEntries
	TTL             time.Duration    // how long a verdict is kept; zero means DefaultTTL
	MaxMessageBytes int64            // zero means DefaultMaxMessageBytes
	EvalTimeout     time.Duration    // bound of one evaluation; zero means DefaultEvalTimeout
	Now             func() time.Time // the clock; nil means time.Now
	// ClientIP, when set, maps the connecting address to the address SPF
	// evaluates. Only the offline lab sets it: its relay connects from
	// loopback but stands for a relay at its public address.
	ClientIP func(netip.Addr) netip.Addr
	// OnReceive, when set, is told of every message evaluated, token or
	// not, after its verdict is stored and before the 250 reply, on the
	// SMTP session's goroutine: a slow hook holds up that client only.
	// The offline lab lists what it received through it.
	OnReceive func(Received)

	mu      sync.Mutex
	entries map[string]entry
	order   []orderKey // insertion order, oldest first; may hold stale keys
	seq     uint64
	smtp    *smtp.Server
}

// Received is one message the server evaluated, with its envelope and
// verdict. The message itself is not kept.
type Received struct {
	// Token is the message's probe token; empty when it has none.
	Token    string    `json:"token,omitempty"`
	Time     time.Time `json:"time"`
	MailFrom string    `json:"mail_from"`
	RcptTo   []string  `json:"rcpt_to"`
	// Subject is the Subject header field, RFC 2047 encoded words
	// decoded.
	Subject string   `json:"subject,omitempty"`
	Verdict *Verdict `json:"verdict"`
}

type entry struct {
	v     *Verdict
	added time.Time
	seq   uint64
}

type orderKey struct {
	token string
	seq   uint64
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) ttl() time.Duration         { return cmpOr(s.TTL, DefaultTTL) }
func (s *Server) maxEntries() int            { return cmpOr(s.MaxEntries, DefaultMaxEntries) }
func (s *Server) hostname() string           { return cmpOr(s.Hostname, DefaultAuthServID) }
func (s *Server) evalTimeout() time.Duration { return cmpOr(s.EvalTimeout, DefaultEvalTimeout) }

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Serve accepts SMTP connections on l until Close. It returns
// smtp.ErrServerClosed after Close.
func (s *Server) Serve(l net.Listener) error {
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = s.hostname()
	srv.MaxMessageBytes = cmpOr(s.MaxMessageBytes, DefaultMaxMessageBytes)
	srv.MaxRecipients = 10
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	s.mu.Lock()
	s.smtp = srv
	s.mu.Unlock()
	return srv.Serve(l)
}

// Close stops the SMTP server and closes its connections.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.smtp
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Verdict returns the stored verdict for token, if it is still kept.
func (s *Server) Verdict(token string) (*Verdict, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[token]
	if !ok || !s.now().Before(e.added.Add(s.ttl())) {
		return nil, false
	}
	return e.v, true
}

// store keeps v under token, evicting expired verdicts and then the oldest
// ones beyond MaxEntries.
func (s *Server) store(token string, v *Verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[string]entry)
	}
	now := s.now()
	s.seq++
	s.entries[token] = entry{v: v, added: now, seq: s.seq}
	s.order = append(s.order, orderKey{token, s.seq})
	for len(s.order) > 0 {
		k := s.order[0]
		e, ok := s.entries[k.token]
		switch {
		case !ok || e.seq != k.seq:
			// A stale key: the token was stored again later.
		case len(s.entries) > s.maxEntries() || !now.Before(e.added.Add(s.ttl())):
			delete(s.entries, k.token)
		default:
			return
		}
		s.order = s.order[1:]
	}
}

// probeToken extracts the token from a message header.
func probeToken(msg []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return "", errors.Join(ErrBadHeader, err)
	}
	return headerToken(m.Header)
}

func headerToken(h mail.Header) (string, error) {
	if t := strings.TrimSpace(h.Get(ProbeHeader)); t != "" {
		return t, nil
	}
	id := strings.TrimSpace(h.Get("Message-Id"))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		id = id[:i]
	}
	if id == "" {
		return "", ErrNoToken
	}
	return id, nil
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	sess := &session{s: s, helo: c.Hostname()}
	if ap, err := netip.ParseAddrPort(c.Conn().RemoteAddr().String()); err == nil {
		sess.ip = ap.Addr().Unmap()
	}
	if s.ClientIP != nil {
		sess.ip = s.ClientIP(sess.ip)
	}
	return sess, nil
}

// session collects one transaction's envelope. It accepts every recipient:
// nothing is delivered anywhere, so there is nothing to relay.
type session struct {
	s        *Server
	ip       netip.Addr
	helo     string
	mailFrom string
	rcptTo   []string
}

func (x *session) Reset()        { x.mailFrom, x.rcptTo = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.mailFrom = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.rcptTo = append(x.rcptTo, to)
	return nil
}

// Data evaluates the message and stores the verdict before answering 250,
// so a client that got 250 can read the verdict at once.
func (x *session) Data(r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), x.s.evalTimeout())
	defer cancel()
	v := Evaluate(ctx, x.s.Resolver, Input{IP: x.ip, Helo: x.helo, MailFrom: x.mailFrom, Message: msg, AuthServID: x.s.hostname()})
	rec := Received{Time: x.s.now(), MailFrom: x.mailFrom, RcptTo: append([]string(nil), x.rcptTo...), Verdict: v}
	if m, err := mail.ReadMessage(bytes.NewReader(msg)); err == nil {
		rec.Token, _ = headerToken(m.Header)
		rec.Subject = m.Header.Get("Subject")
		if dec, err := new(mime.WordDecoder).DecodeHeader(rec.Subject); err == nil {
			rec.Subject = dec
		}
	}
	if rec.Token != "" {
		x.s.store(rec.Token, v)
	}
	if x.s.OnReceive != nil {
		x.s.OnReceive(rec)
	}
	return nil
}

// Handler serves the verdicts: GET /verdicts/{token} with the header
// "Authorization: Bearer <APIToken>" answers the Verdict as JSON, 404 when
// the token is unknown or expired, and 401 without the right API token.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verdicts/{token...}", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mailconf-probe"`)
			http.Error(w, ErrUnauthorized.Error(), http.StatusUnauthorized)
			return
		}
		v, ok := s.Verdict(r.PathValue("token"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	})
	return mux
}

// authorized compares the bearer token with APIToken in constant time. Both
// are hashed first so that the comparison does not reveal the length.
func (s *Server) authorized(r *http.Request) bool {
	if s.APIToken == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.APIToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
