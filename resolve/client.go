package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Defaults for a Client's zero fields.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultAttempts    = 2
	DefaultMaxInFlight = 32
)

// ednsBufferSize is the UDP payload size advertised in the OPT record
// (RFC 6891 section 6.2.3 leaves the value to the requestor). 1232 bytes is
// what DNS Flag Day 2020 settled on: it fits the IPv6 minimum MTU of 1280
// (RFC 8200 section 5) after the IPv6 and UDP headers, so answers are not
// fragmented, and larger ones come back truncated and go over TCP.
const ednsBufferSize = 1232

// resolvConf is where SystemServers reads the system's servers.
const resolvConf = "/etc/resolv.conf"

// Client is a Resolver that asks DNS servers over the network. Every answer
// it gets (NXDOMAIN and NODATA included, and permanent errors) is kept for
// the Client's lifetime, and concurrent identical questions share one query,
// so each (name, type) goes to the network once however many callers ask:
// use one Client per run, and a new one to see changes. Temporary failures
// are not kept; the next caller asks again.
//
// The zero Client is ready to use and asks the servers in /etc/resolv.conf.
// Set the fields before the first query and do not change them afterwards.
// A Client is safe for concurrent use and must not be copied after use.
type Client struct {
	// Servers are the servers to ask, as "host:port" (":53" is assumed
	// when the port is missing). Empty means SystemServers.
	Servers []string

	// Timeout bounds each attempt: one query to one server, plus its TCP
	// retry when the UDP answer is truncated. Zero means DefaultTimeout.
	Timeout time.Duration

	// Attempts is how many times the whole server list is tried, in order,
	// while the failures are temporary. Zero means DefaultAttempts.
	Attempts int

	// NoRecurse clears the RD bit, for asking authoritative servers
	// directly. Recursion is wanted by default because the zero Client asks
	// the system's recursive resolvers, which answer RD=0 queries from cache
	// only or refuse them.
	NoRecurse bool

	// MaxInFlight bounds the queries waiting for a response at any moment,
	// across all goroutines. Zero means DefaultMaxInFlight.
	MaxInFlight int

	setup    sync.Once
	servers  []string
	setupErr error
	timeout  time.Duration
	attempts int
	slots    chan struct{}
	udp, tcp dns.Client
	sent     atomic.Int64

	mu    sync.Mutex
	cache map[question]*flight
}

type question struct {
	name  string
	qtype uint16
}

// flight is one question asked of the network on behalf of every caller
// waiting for it, and afterwards the cache entry holding its outcome.
type flight struct {
	done    chan struct{} // closed once ans and err are set
	ans     *Answer
	err     error
	waiters int // callers waiting; guarded by Client.mu
	cancel  context.CancelFunc
}

// SystemServers returns the name servers listed in /etc/resolv.conf, as
// "host:port".
func SystemServers() ([]string, error) { return serversFromFile(resolvConf) }

func serversFromFile(path string) ([]string, error) {
	conf, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoServers, err)
	}
	var out []string
	for _, s := range conf.Servers {
		out = append(out, net.JoinHostPort(s, conf.Port))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoServers, path)
	}
	return out, nil
}

// withPort adds the DNS port (RFC 1035 section 4.2) to a server given
// without one.
func withPort(server string) string {
	if _, _, err := net.SplitHostPort(server); err == nil {
		return server
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(server, "["), "]"), "53")
}

func (c *Client) init() {
	c.setup.Do(func() {
		servers := c.Servers
		if len(servers) == 0 {
			servers, c.setupErr = SystemServers()
		}
		for _, s := range servers {
			c.servers = append(c.servers, withPort(s))
		}
		c.timeout = c.Timeout
		if c.timeout <= 0 {
			c.timeout = DefaultTimeout
		}
		c.attempts = c.Attempts
		if c.attempts <= 0 {
			c.attempts = DefaultAttempts
		}
		n := c.MaxInFlight
		if n <= 0 {
			n = DefaultMaxInFlight
		}
		c.slots = make(chan struct{}, n)
		// miekg/dns caps reads at 2 s unless told otherwise; the attempt's
		// context carries the real deadline.
		c.udp = dns.Client{Net: "udp", Timeout: c.timeout}
		c.tcp = dns.Client{Net: "tcp", Timeout: c.timeout}
		c.cache = make(map[question]*flight)
	})
}

// Queries returns the number of queries the Client has sent: every attempt,
// every TCP retry, through Lookup and Exchange alike.
func (c *Client) Queries() int64 { return c.sent.Load() }

// Lookup asks the Client's servers about (name, qtype), or returns what an
// earlier identical question got. If ctx ends first, Lookup returns at once
// with an error wrapping ctx.Err() (and ErrTemporary for a deadline); the
// query goes on while other callers still wait for it.
func (c *Client) Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	c.init()
	canon, ok := checkName(name)
	if !ok {
		return nil, &Error{Name: canon, Type: qtype, Rcode: -1, Kind: ErrPermanent, Err: errBadName}
	}
	if c.setupErr != nil {
		return nil, &Error{Name: canon, Type: qtype, Rcode: -1, Kind: ErrPermanent, Err: c.setupErr}
	}
	q := question{canon, qtype}

	c.mu.Lock()
	f, ok := c.cache[q]
	switch {
	case ok && isDone(f):
		c.mu.Unlock()
		return f.ans, f.err
	case !ok:
		if err := ctx.Err(); err != nil {
			c.mu.Unlock()
			return nil, contextError(canon, qtype, err)
		}
		// The query must not die with the first caller's context while
		// others wait for it, so it runs under its own, cancelled only
		// when every caller has gone.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		c.cache[q] = f
		go c.fly(fctx, q, f)
	}
	f.waiters++
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.ans, f.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	f.waiters--
	if f.waiters == 0 && !isDone(f) {
		// Nobody wants the answer any more: stop asking, and let the next
		// caller start afresh rather than join a cancelled query.
		if c.cache[q] == f {
			delete(c.cache, q)
		}
		f.cancel()
	}
	c.mu.Unlock()
	return nil, contextError(canon, qtype, ctx.Err())
}

func isDone(f *flight) bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// fly asks the network and publishes the outcome to the flight's waiters.
func (c *Client) fly(ctx context.Context, q question, f *flight) {
	ans, err := c.resolve(ctx, c.servers, q.name, q.qtype, !c.NoRecurse)
	c.mu.Lock()
	f.ans, f.err = ans, err
	if err != nil && (IsTemporary(err) || ctx.Err() != nil) && c.cache[q] == f {
		delete(c.cache, q)
	}
	close(f.done)
	c.mu.Unlock()
	f.cancel()
}

// Exchange asks one server directly about (name, qtype), with the RD bit
// clear and without the cache: what that server itself says now, which is
// what a propagation check needs. Temporary failures are retried Attempts
// times. server is "host:port".
func (c *Client) Exchange(ctx context.Context, server, name string, qtype uint16) (*Answer, error) {
	c.init()
	canon, ok := checkName(name)
	if !ok {
		return nil, &Error{Name: canon, Type: qtype, Server: server, Rcode: -1, Kind: ErrPermanent, Err: errBadName}
	}
	return c.resolve(ctx, []string{withPort(server)}, canon, qtype, false)
}

// resolve tries the servers in order, Attempts times round, until one gives
// an answer or a permanent error.
func (c *Client) resolve(ctx context.Context, servers []string, name string, qtype uint16, recurse bool) (*Answer, error) {
	var last error
	for range c.attempts {
		for _, srv := range servers {
			ans, err := c.ask(ctx, srv, name, qtype, recurse)
			if err == nil || !IsTemporary(err) || ctx.Err() != nil {
				return ans, err
			}
			last = err
		}
	}
	return nil, last
}

// ask puts one question to one server.
func (c *Client) ask(ctx context.Context, srv, name string, qtype uint16, recurse bool) (*Answer, error) {
	m := new(dns.Msg)
	m.SetQuestion(fqdn(name), qtype)
	m.RecursionDesired = recurse
	m.SetEdns0(ednsBufferSize, false)
	r, err := c.exchange(ctx, srv, m)
	if err == nil && (r.Rcode == dns.RcodeFormatError || r.Rcode == dns.RcodeNotImplemented) && r.IsEdns0() == nil {
		// RFC 6891 section 7: a server that does not know EDNS answers
		// FORMERR or NOTIMP without an OPT record; ask again without one.
		m.Id = dns.Id()
		m.Extra = nil
		r, err = c.exchange(ctx, srv, m)
	}
	if err != nil {
		return nil, c.failure(ctx, srv, name, qtype, err)
	}
	return answerFromMsg(name, qtype, srv, r)
}

// exchange sends m over UDP and, when the answer comes back truncated, again
// over TCP (RFC 7766 section 5 and RFC 1035 section 4.2.2).
func (c *Client) exchange(ctx context.Context, srv string, m *dns.Msg) (*dns.Msg, error) {
	r, err := c.send(ctx, &c.udp, srv, m)
	if err == nil && r.Truncated {
		r, err = c.send(ctx, &c.tcp, srv, m)
	}
	return r, err
}

// errNoResponse is the cause when an attempt times out.
var errNoResponse = errors.New("no response")

// send makes one exchange, holding one of the MaxInFlight slots while it
// waits and giving up after Timeout or when ctx ends.
func (c *Client) send(ctx context.Context, client *dns.Client, srv string, m *dns.Msg) (*dns.Msg, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.slots }()
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r, err := c.sendConn(actx, client, srv, m)
	if err != nil && actx.Err() != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w within %v over %s", errNoResponse, c.timeout, client.Net)
	}
	return r, err
}

func (c *Client) sendConn(ctx context.Context, client *dns.Client, srv string, m *dns.Msg) (*dns.Msg, error) {
	co, err := client.DialContext(ctx, srv)
	if err != nil {
		return nil, err
	}
	defer co.Close()
	// miekg/dns honours the context's deadline but not its cancellation:
	// closing the connection is what interrupts a read in progress.
	stop := context.AfterFunc(ctx, func() { co.Close() })
	defer stop()
	c.sent.Add(1)
	r, _, err := client.ExchangeWithConnContext(ctx, m, co)
	return r, err
}

// failure classifies an error from send.
func (c *Client) failure(ctx context.Context, srv, name string, qtype uint16, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		e := contextError(name, qtype, err)
		e.Server = srv
		return e
	}
	kind := ErrTemporary
	var dnsErr *dns.Error
	if errors.As(err, &dnsErr) && !errors.Is(err, dns.ErrShortRead) && !errors.Is(err, dns.ErrId) {
		// miekg/dns reports a message it cannot unpack with its own error
		// type; network trouble comes as net and io errors.
		kind = ErrPermanent
	}
	return &Error{Name: name, Type: qtype, Server: srv, Rcode: -1, Kind: kind, Err: err}
}

// contextError is the error for a caller whose context ended: a deadline is
// a timeout, which is temporary; a cancellation is the caller's own choice.
func contextError(name string, qtype uint16, err error) *Error {
	e := &Error{Name: name, Type: qtype, Rcode: -1, Err: err}
	if errors.Is(err, context.DeadlineExceeded) {
		e.Kind = ErrTemporary
	}
	return e
}

// LookupTXT is LookupTXT over c.
func (c *Client) LookupTXT(ctx context.Context, name string) (txt []string, void bool, err error) {
	return LookupTXT(ctx, c, name)
}

// LookupMX is LookupMX over c.
func (c *Client) LookupMX(ctx context.Context, name string) (hosts []string, void bool, err error) {
	return LookupMX(ctx, c, name)
}

// LookupIP is LookupIP over c.
func (c *Client) LookupIP(ctx context.Context, name string) (addrs []netip.Addr, void bool, err error) {
	return LookupIP(ctx, c, name)
}
