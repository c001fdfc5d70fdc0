package submission

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"github.com/mailconf/mailconf/mailauth/dkim"
)

// Listener kinds for Serve.
const (
	// KindSubmission is the message submission port (587, RFC 6409
	// section 4): STARTTLS is offered (RFC 3207) and AUTH is refused until
	// the session is encrypted.
	KindSubmission = "submission"
	// KindSubmissions is submission over implicit TLS (465, RFC 8314
	// section 3.3): the TLS handshake comes before the greeting.
	KindSubmissions = "submissions"
	// KindLoopback is plain SMTP for local clients. AUTH is allowed without
	// TLS, so Serve refuses a listener outside 127.0.0.0/8.
	KindLoopback = "loopback"
)

// Defaults for Config's zero fields.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 100
	DefaultMaxConnsPerIP   = 10
)

// idleTimeout bounds the wait for each read and write on a connection.
// RFC 5321 section 4.5.3.2.7: a server should wait at least 5 minutes for
// the next command; the same bound per read keeps a slow but live DATA
// transfer going while dropping clients that went silent.
const idleTimeout = 5 * time.Minute

// refuseTimeout bounds the 421 reply to a connection over the per-IP limit,
// TLS handshake included, and maxRefusing bounds how many such replies are
// written at once; beyond it, excess connections are closed without one.
const (
	refuseTimeout = 10 * time.Second
	maxRefusing   = 64
)

// Enqueuer stores an accepted message durably. Enqueue returns only when the
// message is safe on disk, with the queue's ID for it; the server answers
// 250 only after that. It must be safe for concurrent use: every session
// calls it from its own goroutine. The relay's queue (relay/queue.Spool)
// satisfies it through a one-line adapter.
type Enqueuer interface {
	Enqueue(from string, to []string, body []byte) (id string, err error)
}

// User is an account that may submit mail.
type User struct {
	// Name is the SASL authentication identity, compared exactly.
	Name string
	// PasswordHash is the bcrypt hash of the password.
	PasswordHash []byte
	// AllowedFrom lists the domains this user may use in the envelope
	// sender and in the header From. Each must be one of the managed
	// domains; subdomains are not implied.
	AllowedFrom []string
}

// Key is an active DKIM signing key of a managed domain.
type Key struct {
	Domain, Selector string
	// Signer is an *rsa.PrivateKey of at least 1024 bits or an
	// ed25519.PrivateKey, as dkim.ParsePrivateKeyPEM returns.
	Signer crypto.Signer
}

// Config configures a Server. Zero numeric fields take the defaults above.
type Config struct {
	// Hostname names this server in the greeting, in the Received field
	// and on the right of generated Message-IDs.
	Hostname string
	Users    []User
	// ManagedDomains are the domains of the mailconf configuration; every
	// envelope sender and header From domain must be among them.
	ManagedDomains []string
	// Keys holds every active DKIM key. A message is signed with each key
	// of its header From domain; a domain without keys sends unsigned (and
	// the server logs a warning).
	Keys []Key
	// MaxMessageBytes is the SIZE limit (RFC 1870); default 25 MiB.
	MaxMessageBytes int64
	// MaxRecipients bounds RCPT commands per message; default 100.
	MaxRecipients int
	// MaxConnsPerIP bounds concurrent connections from one IPv4 address or
	// one IPv6 /64, across all listeners; default 10.
	MaxConnsPerIP int
	// TLSConfig serves STARTTLS and implicit TLS. Required by the
	// "submission" and "submissions" listeners.
	TLSConfig *tls.Config
	// Now is the clock for Date and Received fields and for the decay of
	// authentication-failure counters; default time.Now. Socket deadlines
	// and the t= tag of DKIM signatures (set by go-msgauth) use the real
	// clock.
	Now func() time.Time
	// Rand is the source of Message-ID randomness, read by concurrent
	// sessions; default crypto/rand.
	Rand io.Reader
	// Sleep waits before the reply to an AUTH attempt from an address with
	// recent failures. Default: a timer that Shutdown cuts short. Tests
	// inject one that advances their clock instead.
	Sleep func(time.Duration)
	// Logger receives structured logs, with the queue ID of each accepted
	// message; default slog.Default().
	Logger *slog.Logger
}

// Server is an SMTP submission server. Serve it on as many listeners as
// needed; its methods are safe for concurrent use.
type Server struct {
	cfg       Config
	q         Enqueuer
	log       *slog.Logger
	hostname  string
	users     map[string]*account
	dummyHash []byte
	managed   map[string]bool
	keys      map[string][]Key
	fails     *throttle
	refusing  atomic.Int32

	mu        sync.Mutex
	closed    bool
	quit      chan struct{} // closed by Shutdown
	idle      chan struct{} // closed once closed and no connection is left
	listeners []net.Listener
	perIP     map[string]int
	live      map[*trackedConn]struct{}
}

// account is a User with its domains normalized.
type account struct {
	name    string
	hash    []byte
	allowed map[string]bool
}

// New checks cfg and returns a Server that stores accepted messages with q.
// Errors wrap ErrConfig.
func New(cfg Config, q Enqueuer) (*Server, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: no queue", ErrConfig)
	}
	host, err := normalizeDomain(cfg.Hostname)
	if err != nil {
		return nil, fmt.Errorf("%w: host name %q: %v", ErrConfig, cfg.Hostname, err)
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = DefaultMaxRecipients
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:      cfg,
		q:        q,
		log:      cfg.Logger,
		hostname: host,
		users:    make(map[string]*account),
		managed:  make(map[string]bool),
		keys:     make(map[string][]Key),
		fails:    newThrottle(cfg.Now),
		quit:     make(chan struct{}),
		idle:     make(chan struct{}),
		perIP:    make(map[string]int),
		live:     make(map[*trackedConn]struct{}),
	}
	for _, d := range cfg.ManagedDomains {
		n, err := normalizeDomain(d)
		if err != nil {
			return nil, fmt.Errorf("%w: managed domain %q: %v", ErrConfig, d, err)
		}
		s.managed[n] = true
	}
	cost := bcrypt.MinCost
	for _, u := range cfg.Users {
		if err := s.addUser(u); err != nil {
			return nil, err
		}
		if c, _ := bcrypt.Cost(u.PasswordHash); c > cost {
			cost = c
		}
	}
	for _, k := range cfg.Keys {
		if err := s.addKey(k); err != nil {
			return nil, err
		}
	}
	// An unknown user name is checked against this hash, at the highest
	// cost in use, so that the reply time does not tell which names exist.
	s.dummyHash, err = bcrypt.GenerateFromPassword([]byte("mailconf: no such user"), cost)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return s, nil
}

func (s *Server) addUser(u User) error {
	if u.Name == "" {
		return fmt.Errorf("%w: a user has no name", ErrConfig)
	}
	if s.users[u.Name] != nil {
		return fmt.Errorf("%w: user %q is declared twice", ErrConfig, u.Name)
	}
	// The hash is checked for form only; its content never goes into the
	// error.
	if _, err := bcrypt.Cost(u.PasswordHash); err != nil {
		return fmt.Errorf("%w: user %q: the password hash is not a bcrypt hash", ErrConfig, u.Name)
	}
	a := &account{name: u.Name, hash: u.PasswordHash, allowed: make(map[string]bool)}
	for _, d := range u.AllowedFrom {
		n, err := normalizeDomain(d)
		if err != nil {
			return fmt.Errorf("%w: user %q: domain %q: %v", ErrConfig, u.Name, d, err)
		}
		if !s.managed[n] {
			return fmt.Errorf("%w: user %q may send from %s, which is not a managed domain; add it to the configuration or remove it from the user", ErrConfig, u.Name, n)
		}
		a.allowed[n] = true
	}
	s.users[u.Name] = a
	return nil
}

func (s *Server) addKey(k Key) error {
	d, err := normalizeDomain(k.Domain)
	if err != nil {
		return fmt.Errorf("%w: DKIM key domain %q: %v", ErrConfig, k.Domain, err)
	}
	if !s.managed[d] {
		return fmt.Errorf("%w: DKIM key %s for %s, which is not a managed domain", ErrConfig, k.Selector, d)
	}
	if err := dkim.ValidSelector(k.Selector); err != nil {
		return fmt.Errorf("%w: DKIM key for %s: %w", ErrConfig, d, err)
	}
	if k.Signer == nil {
		return fmt.Errorf("%w: DKIM key %s for %s has no private key", ErrConfig, k.Selector, d)
	}
	switch alg, bits := dkim.Algorithm(k.Signer.Public()); {
	case alg == "":
		return fmt.Errorf("%w: DKIM key %s for %s: %T; DKIM signs with RSA or Ed25519", ErrConfig, k.Selector, d, k.Signer.Public())
	case alg == dkim.KeyTypeRSA && bits < 1024:
		// RFC 8301 section 3.2: signers must not use RSA keys below 1024
		// bits.
		return fmt.Errorf("%w: DKIM key %s for %s has %d bits; RFC 8301 requires at least 1024", ErrConfig, k.Selector, d, bits)
	}
	for _, other := range s.keys[d] {
		if strings.EqualFold(other.Selector, k.Selector) {
			return fmt.Errorf("%w: DKIM key %s for %s is declared twice", ErrConfig, k.Selector, d)
		}
	}
	k.Domain = d
	s.keys[d] = append(s.keys[d], k)
	return nil
}

// Serve accepts connections on l as a listener of the given kind until l
// fails or Shutdown is called, and closes l before returning. After
// Shutdown it returns ErrServerClosed.
func (s *Server) Serve(kind string, l net.Listener) error {
	defer l.Close()
	switch kind {
	case KindSubmission, KindSubmissions:
		if s.cfg.TLSConfig == nil {
			return fmt.Errorf("%w: %s on %s", ErrNoTLS, kind, l.Addr())
		}
	case KindLoopback:
		if !inLoopbackNet(l.Addr()) {
			return fmt.Errorf("%w: %s; listen on 127.0.0.1 or use the submission kinds", ErrNotLoopback, l.Addr())
		}
	default:
		return fmt.Errorf("%w: %q; use %q, %q or %q", ErrKind, kind, KindSubmission, KindSubmissions, KindLoopback)
	}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return s.newSession(kind, c), nil
	}))
	srv.Domain = s.hostname
	srv.MaxMessageBytes = s.cfg.MaxMessageBytes
	srv.MaxRecipients = s.cfg.MaxRecipients
	srv.TLSConfig = s.cfg.TLSConfig
	// go-smtp's own check answers AUTH before TLS with 523; the session
	// answers 530 as RFC 3207 section 4 asks, and does not advertise AUTH
	// before TLS, so go-smtp's check is turned off here.
	srv.AllowInsecureAuth = true
	// RFC 6531: SMTPUTF8. PIPELINING (RFC 2920) and 8BITMIME (RFC 6152)
	// are always advertised by go-smtp.
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = errorLog{s.log}

	tl := &limitListener{Listener: l, s: s, kind: kind}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners = append(s.listeners, tl)
	s.mu.Unlock()

	err := srv.Serve(tl)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrServerClosed
	}
	return err
}

// Shutdown stops accepting connections and waits for the open sessions to
// end. When ctx ends first, it closes the remaining connections and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.closed = true
	close(s.quit)
	if len(s.live) == 0 {
		close(s.idle)
	}
	listeners := s.listeners
	s.mu.Unlock()

	for _, l := range listeners {
		l.Close()
	}
	select {
	case <-s.idle:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	conns := make([]*trackedConn, 0, len(s.live))
	for c := range s.live {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return ctx.Err()
}

// sleep waits d, or less if the server shuts down meanwhile.
func (s *Server) sleep(d time.Duration) {
	if s.cfg.Sleep != nil {
		s.cfg.Sleep(d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.quit:
	}
}

// inLoopbackNet reports whether a listener's address is in 127.0.0.0/8
// (an IPv4-mapped IPv6 form included; ::1 is not, by the listener's
// contract).
func inLoopbackNet(a net.Addr) bool {
	if a == nil {
		return false
	}
	var ap netip.AddrPort
	if t, ok := a.(*net.TCPAddr); ok {
		ap = t.AddrPort()
	} else {
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return false
		}
	}
	ip := ap.Addr().Unmap()
	return ip.Is4() && ip.As4()[0] == 127
}

// clientKey is the unit the per-address limits count in: the IPv4 address,
// or the /64 of an IPv6 address, since one IPv6 host commonly has a whole
// /64 to pick addresses from. Addresses that do not parse (net.Pipe's, in
// tests) count as themselves.
func clientKey(a net.Addr) string {
	if a == nil {
		return ""
	}
	var ip netip.Addr
	if t, ok := a.(*net.TCPAddr); ok {
		ip = t.AddrPort().Addr()
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr()
	} else {
		return a.String()
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

// limitListener counts connections per client, refuses those over the
// limit, and starts implicit TLS for "submissions".
type limitListener struct {
	net.Listener
	s    *Server
	kind string
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc, ok, closed := l.s.admit(c)
		if closed {
			c.Close()
			return nil, net.ErrClosed
		}
		if !ok {
			l.s.refuse(l.kind, c)
			continue
		}
		if l.kind == KindSubmissions {
			return tls.Server(tc, l.s.cfg.TLSConfig), nil
		}
		return tc, nil
	}
}

// admit registers c unless its client is over the limit or the server is
// shutting down.
func (s *Server) admit(c net.Conn) (tc *trackedConn, ok, closed bool) {
	key := clientKey(c.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, true
	}
	if s.perIP[key] >= s.cfg.MaxConnsPerIP {
		return nil, false, false
	}
	s.perIP[key]++
	tc = &trackedConn{Conn: c, s: s, key: key}
	s.live[tc] = struct{}{}
	return tc, true, false
}

// release forgets a closed connection.
func (s *Server) release(c *trackedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, c)
	if s.perIP[c.key]--; s.perIP[c.key] <= 0 {
		delete(s.perIP, c.key)
	}
	if s.closed && len(s.live) == 0 {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// refuse answers a connection over the per-address limit with 421 4.7.0
// (RFC 5321 section 3.8: a server that cannot serve a client says 421 and
// closes) in its own goroutine, through TLS on an implicit-TLS listener.
func (s *Server) refuse(kind string, c net.Conn) {
	s.log.Warn("connection refused: too many connections", "remote", c.RemoteAddr().String(), "kind", kind, "limit", s.cfg.MaxConnsPerIP)
	if s.refusing.Add(1) > maxRefusing {
		s.refusing.Add(-1)
		c.Close()
		return
	}
	go func() {
		defer s.refusing.Add(-1)
		defer c.Close()
		c.SetDeadline(time.Now().Add(refuseTimeout))
		var w io.Writer = c
		if kind == KindSubmissions {
			tc := tls.Server(c, s.cfg.TLSConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			w = tc
		}
		fmt.Fprintf(w, "421 4.7.0 %s Too many connections from your address, try again later\r\n", s.hostname)
	}()
}

// trackedConn is a connection the server counts. Each read and write gets
// the idle deadline, and closing releases the connection's slot.
type trackedConn struct {
	net.Conn
	s    *Server
	key  string
	once sync.Once
}

func (c *trackedConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Read(b)
}

func (c *trackedConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Write(b)
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.s.release(c) })
	return err
}

// errorLog passes go-smtp's internal errors (connection errors, and panics
// it recovered from) to the structured log.
type errorLog struct{ l *slog.Logger }

func (e errorLog) Printf(format string, v ...any) { e.emit(fmt.Sprintf(format, v...)) }
func (e errorLog) Println(v ...any)               { e.emit(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (e errorLog) emit(msg string) {
	level := slog.LevelWarn
	if strings.HasPrefix(msg, "panic") {
		level = slog.LevelError
	}
	e.l.Log(context.Background(), level, msg, "component", "smtp")
}
