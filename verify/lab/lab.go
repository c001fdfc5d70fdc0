// Package lab runs mailconf's whole loop offline, on loopback: an
// in-process authoritative DNS server serving the live zones (as the
// providers hold them), mailconf's relay with the configuration's keys, and
// a probe receiver that evaluates SPF, DKIM and DMARC as a mailbox
// provider does. verify --lab sends each domain's probe through it;
// mailconf lab leaves it running for dig, swaks and mail clients.
//
// Everything listens on 127.0.0.1 only and is torn down by Close. The one
// liberty the lab takes: its relay connects from loopback, so the receiver
// evaluates SPF as if the connection came from the relay's first public
// address (relay.addresses), which is what a receiver on the Internet sees.
package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/relay"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/probe"
	"github.com/mailconf/mailconf/verify/receiver"
)

// ProbeDomain is the lab's receiving domain: its MX is the receiver.
const ProbeDomain = "probe.mailconf.test"

// labUser is the relay user the lab submits probes as.
const labUser = "mailconf-lab"

// maxReceived is how many received messages a lab remembers; older ones
// are forgotten first. A lab lives for one session at a desk.
const maxReceived = 1000

// ErrNotLoopback reports a listen address outside 127.0.0.0/8: the lab
// listens on loopback only.
var ErrNotLoopback = errors.New("lab: the lab listens on loopback only")

// Lab is a running lab.
type Lab struct {
	// DNS serves the live zones, the probe domain and empty top-level
	// zones (so DMARC's tree walk ends in NXDOMAIN, as on the Internet).
	DNS *dnstest.Server
	// Resolver asks DNS.
	Resolver *resolve.Client
	receiver *receiver.Server
	rcvLn    net.Listener
	relayIP  netip.Addr
	submit   *probe.Submitter
	stop     func()
	now      func() time.Time

	mu     sync.Mutex
	recent []receiver.Received // oldest first, at most maxReceived
}

// Options say where a lab listens and whom it tells. Every address is
// HOST:PORT with HOST in 127.0.0.0/8 (empty means 127.0.0.1); an empty
// address, or port 0, picks a free port.
type Options struct {
	// DNS is the address of the DNS server, for UDP and TCP.
	DNS string
	// Relay is the address of the relay's submission listener: plain SMTP
	// with AUTH, as the relay block's "loopback" listener kind.
	Relay string
	// Logger receives the relay's logs; nil discards them.
	Logger *slog.Logger
	// OnReceive, when set, is called with each message the receiver has
	// evaluated, from the receiver's SMTP session before it answers 250.
	OnReceive func(receiver.Received)
}

// Start starts a lab for the configuration, serving live (zone name with
// the trailing dot -> records) as the authoritative DNS.
func Start(ctx context.Context, cfg *schema.Config, live map[string][]plan.Record) (*Lab, error) {
	return StartWith(ctx, cfg, live, Options{})
}

// StartWith is Start with the addresses and hooks of opts.
func StartWith(ctx context.Context, cfg *schema.Config, live map[string][]plan.Record, opts Options) (*Lab, error) {
	if cfg.Relay == nil {
		return nil, errors.New("lab: the configuration has no relay block; the lab sends probes through mailconf's relay")
	}
	dnsAddr, err := CheckAddress("DNS", opts.DNS)
	if err != nil {
		return nil, err
	}
	relayAddr, err := CheckAddress("relay", opts.Relay)
	if err != nil {
		return nil, err
	}
	l := &Lab{now: time.Now}
	dns, err := dnstest.StartAt(dnsAddr, zoneTexts(cfg, live)...)
	if err != nil {
		return nil, fmt.Errorf("lab: DNS: %w", err)
	}
	l.DNS = dns
	l.Resolver = &resolve.Client{Servers: []string{dns.Addr()}, Timeout: 2 * time.Second}

	l.rcvLn, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("lab: receiver: %w", err)
	}
	ip := publicAddress(cfg.Relay)
	l.receiver = &receiver.Server{
		Resolver: l.Resolver,
		APIToken: randomHex(16),
		Hostname: "mx." + ProbeDomain,
		ClientIP: ip,
		Now:      l.now,
		OnReceive: func(r receiver.Received) {
			l.keep(r)
			if opts.OnReceive != nil {
				opts.OnReceive(r)
			}
		},
	}
	go l.receiver.Serve(l.rcvLn)
	_, rcvPort, _ := net.SplitHostPort(l.rcvLn.Addr().String())
	l.relayIP = netip.MustParseAddr("127.0.0.1")
	if ip != nil {
		l.relayIP = ip(l.relayIP)
	}

	// In the lab, delivery ends at the lab's receiver: no smarthost, and
	// no connection to an address the live zones name, which are hosts on
	// the Internet.
	rc := *cfg.Relay
	rc.Smarthost = nil
	submit, stop, err := startRelay(ctx, &schema.Config{Dir: cfg.Dir, Domains: cfg.Domains, Relay: &rc}, l.Resolver, rcvPort, relayAddr, relay.Options{
		Logger: opts.Logger,
		Dial:   loopbackDial,
		// The spool is removed when the lab stops: there is nothing to
		// wait for but a client that keeps its connection open.
		ShutdownTimeout: 2 * time.Second,
	})
	if err != nil {
		l.Close()
		return nil, err
	}
	l.submit, l.stop = submit, stop
	return l, nil
}

// DNSAddr returns the address of the lab's DNS server, UDP and TCP.
func (l *Lab) DNSAddr() string { return l.DNS.Addr() }

// RelayAddr returns the address of the relay's plain submission
// listener, where the relay block's users (and the lab's own probes) log
// in.
func (l *Lab) RelayAddr() string { return l.submit.Addr }

// Credentials returns the lab's own relay user and its password, made up
// when the lab started: it may send as every configured domain.
func (l *Lab) Credentials() (user, password string) {
	return l.submit.Username, l.submit.Password
}

// ReceiverAddr returns the SMTP address of the lab's receiver: the MX of
// ProbeDomain.
func (l *Lab) ReceiverAddr() string { return l.rcvLn.Addr().String() }

// RelayIP returns the address the receiver evaluates SPF for when the
// relay connects from loopback: the relay's first public address, or
// 127.0.0.1 when relay.addresses is empty.
func (l *Lab) RelayIP() netip.Addr { return l.relayIP }

// Received returns the messages the receiver has evaluated, the latest
// first (at most the last 1000).
func (l *Lab) Received() []receiver.Received {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]receiver.Received, len(l.recent))
	for i, r := range l.recent {
		out[len(out)-1-i] = r
	}
	return out
}

func (l *Lab) keep(r receiver.Received) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recent = append(l.recent, r)
	if n := len(l.recent) - maxReceived; n > 0 {
		l.recent = append([]receiver.Received(nil), l.recent[n:]...)
	}
}

// CheckAddress checks a listen address for the lab's what ("DNS",
// "relay"): HOST:PORT with HOST an IPv4 loopback address, and returns it
// complete. An empty address, an empty host or port, or port 0 mean
// 127.0.0.1 and a free port. Anything else wraps ErrNotLoopback.
func CheckAddress(what, addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%w: %s address %q is not HOST:PORT; use 127.0.0.1:PORT", ErrNotLoopback, what, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "0"
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.Is4() || !ip.IsLoopback() {
		return "", fmt.Errorf("%w: %s address %q; use 127.0.0.1:PORT", ErrNotLoopback, what, addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		return "", fmt.Errorf("%w: %s address %q: the port must be a number from 0 to 65535", ErrNotLoopback, what, addr)
	}
	return net.JoinHostPort(host, port), nil
}

// loopbackDial is the lab relay's dialer: it connects to loopback only.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("lab: not connecting to %s: the lab delivers only to its receiver, the MX of %s", addr, ProbeDomain)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// StartRelay runs the configuration's relay in-process on loopback, with a
// temporary spool and an extra user that may send as every configured
// domain, and returns a submitter logged in as that user. deliveryPort
// replaces port 25 for delivery ("" keeps it). stop shuts the relay down
// and removes its spool.
func StartRelay(ctx context.Context, cfg *schema.Config, r resolve.Resolver, deliveryPort string) (*probe.Submitter, func(), error) {
	return startRelay(ctx, cfg, r, deliveryPort, "127.0.0.1:0", relay.Options{})
}

// startRelay is StartRelay listening on addr, with opts' logger and
// dialer.
func startRelay(ctx context.Context, cfg *schema.Config, r resolve.Resolver, deliveryPort, addr string, opts relay.Options) (*probe.Submitter, func(), error) {
	if cfg.Relay == nil {
		return nil, nil, errors.New("the configuration has no relay block to send probes through")
	}
	spool, err := os.MkdirTemp("", "mailconf-probe-spool-")
	if err != nil {
		return nil, nil, err
	}
	password := randomHex(16)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, err
	}
	rc := *cfg.Relay
	rc.SpoolDir = spool
	rc.MetricsListen = ""
	rc.Listeners = nil
	var managed []string
	for _, d := range cfg.Domains {
		managed = append(managed, d.Name)
	}
	rc.Users = append(append([]schema.RelayUser(nil), cfg.Relay.Users...), schema.RelayUser{Name: labUser, PasswordHash: string(hash), AllowedFrom: managed})
	opts.Resolver, opts.DeliveryPort, opts.Interval = r, deliveryPort, 50*time.Millisecond
	rl, err := relay.New(&schema.Config{Dir: cfg.Dir, Domains: cfg.Domains, Relay: &rc}, opts)
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, fmt.Errorf("relay: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, fmt.Errorf("relay: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		rl.Serve(rctx, map[string]net.Listener{schema.ListenLoopback: ln})
	}()
	stop := func() {
		cancel()
		<-done
		os.RemoveAll(spool)
	}
	return &probe.Submitter{Addr: ln.Addr().String(), Username: labUser, Password: password}, stop, nil
}

// Close stops everything the lab started.
func (l *Lab) Close() {
	if l.stop != nil {
		l.stop()
	}
	if l.receiver != nil {
		l.receiver.Close()
		// Serve may not have begun: closing the listener stops it then.
		l.rcvLn.Close()
	}
	if l.DNS != nil {
		l.DNS.Close()
	}
}

// Probe sends one probe from domain through the relay to the receiver and
// returns the receiver's verdict.
func (l *Lab) Probe(ctx context.Context, domain string) (*receiver.Verdict, error) {
	token := randomHex(16)
	from := probe.DefaultFrom(domain)
	to := "probe@" + ProbeDomain
	msg := probe.Message(domain, from, to, token, l.now())
	if _, err := l.submit.Submit(ctx, from, []string{to}, msg); err != nil {
		return nil, fmt.Errorf("lab: submitting the probe of %s: %w", domain, err)
	}
	for {
		if v, ok := l.receiver.Verdict(token); ok {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lab: the probe of %s did not arrive: %w", domain, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// publicAddress maps the relay's loopback connections to its first public
// address, preferring IPv4.
func publicAddress(rc *schema.Relay) func(netip.Addr) netip.Addr {
	if len(rc.Addresses) == 0 {
		return nil
	}
	pub := rc.Addresses[0]
	for _, a := range rc.Addresses {
		if a.Is4() {
			pub = a
			break
		}
	}
	return func(ip netip.Addr) netip.Addr {
		if ip.IsLoopback() {
			return pub
		}
		return ip
	}
}

// zoneTexts renders the live zones as master files, adds the probe
// domain and empty top-level zones.
func zoneTexts(cfg *schema.Config, live map[string][]plan.Record) []string {
	var zones []string
	served := map[string]bool{}
	names := make([]string, 0, len(live))
	for z := range live {
		names = append(names, z)
	}
	sort.Strings(names)
	for _, z := range names {
		served[strings.TrimSuffix(z, ".")] = true
		var b strings.Builder
		fmt.Fprintf(&b, "$ORIGIN %s\n", z)
		for _, r := range live[z] {
			if r.Type == "SOA" {
				continue // the server makes its own
			}
			data := r.Data
			if r.Type == "TXT" {
				var parts []string
				for _, chunk := range spf.Split(r.Data) {
					parts = append(parts, `"`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(chunk)+`"`)
				}
				data = strings.Join(parts, " ")
			}
			fmt.Fprintf(&b, "%s. %d IN %s %s\n", r.Name, r.TTL, r.Type, data)
		}
		zones = append(zones, b.String())
	}
	zones = append(zones, fmt.Sprintf("$ORIGIN %s.\n@ 300 IN MX 10 mx.%s.\nmx 300 IN A 127.0.0.1\n", ProbeDomain, ProbeDomain))
	tlds := map[string]bool{}
	for _, d := range cfg.Domains {
		labels := strings.Split(d.Name, ".")
		tlds[labels[len(labels)-1]] = true
	}
	tlds["test"] = false // the probe domain's zone answers for itself
	for _, t := range sortedTrue(tlds) {
		if !served[t] {
			zones = append(zones, fmt.Sprintf("$ORIGIN %s.\n", t))
		}
	}
	return zones
}

func sortedTrue(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
