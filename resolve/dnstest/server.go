// Package dnstest runs an authoritative DNS server in the process, on
// 127.0.0.1, for tests and for mailconf's offline lab.
//
// A Server serves RFC 1035 master-file texts the way an authoritative
// server does (RFC 1034 section 4.3.2): answers with the AA bit, NODATA and
// NXDOMAIN with the zone's SOA in the authority section (RFC 2308 section
// 3), CNAME chains followed through every zone it serves, wildcards
// (RFC 4592), referrals at delegations, REFUSED for names outside its
// zones, and TC=1 over UDP when an answer does not fit the client's buffer
// (512 octets, or the EDNS0 size of RFC 6891 section 6.2.5), so clients
// must retry over TCP on the same port. Tests can make a name fail
// (SERVFAIL) or go unanswered, and count the queries that arrived.
//
// It must never listen on anything but the loopback address, never
// recurse, and never forward a query: a test using it cannot reach the
// Internet through it.
package dnstest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// ednsBufferSize is the UDP payload size the server advertises in its own
// OPT record.
const ednsBufferSize = 1232

// Server is an authoritative DNS server listening on 127.0.0.1 over UDP and
// TCP on the same port. Its methods are safe for concurrent use.
type Server struct {
	addr     string
	udp, tcp *dns.Server

	mu       sync.Mutex
	zones    map[string]*zone // by apex
	total    int
	counts   map[question]int
	servfail map[string]bool
	drop     map[string]bool
	closed   bool
}

type question struct {
	name  string
	qtype uint16
}

// NewServer starts a Server for a test, serving the given zones, and stops
// it when the test ends. It fails the test if a zone is bad or the server
// cannot start.
func NewServer(tb testing.TB, zones ...string) *Server {
	tb.Helper()
	s, err := Start(zones...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Start starts a Server serving the given zones, each an RFC 1035 master
// file with $ORIGIN or an SOA record naming its apex. A zone without an SOA
// gets a made-up one, and records before any TTL is stated get 300 seconds,
// so a test's zone can be three lines. It listens on a free port of
// 127.0.0.1. Stop the server with Close.
func Start(zones ...string) (*Server, error) {
	return StartAt("127.0.0.1:0", zones...)
}

// StartAt is Start listening at addr, "HOST:PORT" with HOST an IPv4
// loopback address (127.0.0.0/8), over UDP and TCP. Port 0 picks a port
// free for both. Any other host is refused with ErrAddress: the server
// never listens beyond loopback.
func StartAt(addr string, zones ...string) (*Server, error) {
	host, port, err := loopbackAddr(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		zones:    make(map[string]*zone),
		counts:   make(map[question]int),
		servfail: make(map[string]bool),
		drop:     make(map[string]bool),
	}
	for _, text := range zones {
		z, err := parseZone(text)
		if err != nil {
			return nil, err
		}
		if s.zones[z.apex] != nil {
			return nil, fmt.Errorf("%w: %s given twice", ErrZone, z.apex)
		}
		s.zones[z.apex] = z
	}
	pc, l, err := listen(host, port)
	if err != nil {
		return nil, err
	}
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: l, Handler: h}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		failed := make(chan error, 1)
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { failed <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-failed:
			s.Close()
			return nil, fmt.Errorf("dnstest: start: %w", err)
		}
	}
	return s, nil
}

// ErrAddress reports an address StartAt does not listen at.
var ErrAddress = errors.New("dnstest: not a loopback address")

// loopbackAddr splits addr and checks that its host is IPv4 loopback and
// its port a number.
func loopbackAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrAddress, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() || !ip.IsLoopback() {
		return "", "", fmt.Errorf("%w: %s (use 127.0.0.1:PORT)", ErrAddress, addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		return "", "", fmt.Errorf("%w: %s: the port must be a number from 0 to 65535", ErrAddress, addr)
	}
	return host, port, nil
}

// listen opens UDP and TCP sockets on one loopback port. Given port 0, the
// kernel picks the UDP port; the same TCP port is usually free too, and
// when it is not, another try picks another. A port that was asked for is
// tried once.
func listen(host, port string) (net.PacketConn, net.Listener, error) {
	tries := 20
	if port != "0" {
		tries = 1
	}
	var err error
	for range tries {
		var pc net.PacketConn
		pc, err = net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, nil, fmt.Errorf("dnstest: listen: %w", err)
		}
		var l net.Listener
		l, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
	}
	if port != "0" {
		return nil, nil, fmt.Errorf("dnstest: listen: %w", err)
	}
	return nil, nil, fmt.Errorf("dnstest: no loopback port free for both UDP and TCP: %w", err)
}

// Addr returns the server's address, "127.0.0.1:port" (or the loopback
// host StartAt was given), for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Close stops the server. It may be called more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if srv != nil {
			errs = append(errs, srv.Shutdown())
		}
	}
	return errors.Join(errs...)
}

// SetZone serves a zone, replacing the one with the same apex if there is
// one: what a primary does on reload, for tests of propagation.
func (s *Server) SetZone(text string) error {
	z, err := parseZone(text)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zones[z.apex] = z
	return nil
}

// Queries returns the number of queries received, including those answered
// with an error or not answered at all.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// QueriesFor returns the number of queries received for (name, qtype).
func (s *Server) QueriesFor(name string, qtype uint16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[question{canonical(name), qtype}]
}

// ServFail makes every query for name, whatever its type, answer SERVFAIL.
func (s *Server) ServFail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servfail[canonical(name)] = true
}

// Drop makes every query for name go unanswered, so the client times out.
func (s *Server) Drop(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop[canonical(name)] = true
}

// Restore undoes ServFail and Drop for name.
func (s *Server) Restore(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.servfail, canonical(name))
	delete(s.drop, canonical(name))
}

func canonical(name string) string { return strings.ToLower(dns.Fqdn(name)) }

func (s *Server) serve(w dns.ResponseWriter, r *dns.Msg) {
	// miekg/dns answers messages without exactly one question itself
	// (FORMERR), so r.Question[0] is there.
	q := r.Question[0]
	name := canonical(q.Name)

	s.mu.Lock()
	s.total++
	s.counts[question{name, q.Qtype}]++
	drop, servfail := s.drop[name], s.servfail[name]
	zones := make([]*zone, 0, len(s.zones))
	for _, z := range s.zones {
		zones = append(zones, z)
	}
	s.mu.Unlock()
	if drop {
		return
	}

	m := new(dns.Msg)
	m.SetReply(r)
	m.Compress = true
	opt := r.IsEdns0()
	if opt != nil {
		// RFC 6891 section 7: answer an EDNS query with an OPT record.
		m.SetEdns0(ednsBufferSize, false)
	}
	switch {
	case servfail:
		m.Rcode = dns.RcodeServerFailure
	case r.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
	case q.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeRefused
	default:
		answer(m, zones, name, q.Qtype)
	}

	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if opt != nil {
			// RFC 6891 section 6.2.5: sizes below 512 mean 512.
			size = max(size, int(opt.UDPSize()))
		}
		if m.Len() > size {
			// RFC 2181 section 9: set TC and send no partial RRsets; an
			// empty answer makes the client ask again over TCP.
			m.Truncated = true
			m.Answer, m.Ns = nil, nil
			m.Extra = nil
			if opt != nil {
				m.SetEdns0(ednsBufferSize, false)
			}
		}
	}
	w.WriteMsg(m)
}

// answer fills m with the authoritative answer for (name, qtype) following
// RFC 1034 section 4.3.2, or REFUSED when no served zone holds name.
func answer(m *dns.Msg, zones []*zone, name string, qtype uint16) {
	z := zoneFor(zones, name)
	if z == nil {
		m.Rcode = dns.RcodeRefused
		return
	}
	m.Authoritative = true
	seen := map[string]bool{name: true}
	for cur := name; ; {
		if cut, ok := z.cut(cur); ok && !(cut == cur && qtype == dns.TypeDS) {
			// Below a delegation this server is not authoritative. A chain
			// that leads here simply ends; a question asked here gets a
			// referral (RFC 1034 section 4.3.2 step 3b).
			if len(m.Answer) == 0 {
				m.Authoritative = false
				m.Ns = append(m.Ns, z.nodes[cut][dns.TypeNS]...)
				m.Extra = append(m.Extra, glue(z, cut)...)
			}
			return
		}
		node, synthesized, exists := z.find(cur)
		if !exists {
			// RFC 6604 section 3: the rcode describes the last name of a
			// chain.
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, z.negativeSOA())
			return
		}
		var rrs []dns.RR
		if qtype == dns.TypeANY {
			for _, set := range node {
				rrs = append(rrs, set...)
			}
		} else {
			rrs = node[qtype]
		}
		if len(rrs) > 0 {
			m.Answer = append(m.Answer, owned(rrs, cur, synthesized)...)
			return
		}
		cn := node[dns.TypeCNAME]
		if qtype == dns.TypeCNAME || len(cn) == 0 {
			// NODATA: RFC 2308 section 2.2.
			m.Ns = append(m.Ns, z.negativeSOA())
			return
		}
		m.Answer = append(m.Answer, owned(cn[:1], cur, synthesized)...)
		target := strings.ToLower(cn[0].(*dns.CNAME).Target)
		next := zoneFor(zones, target)
		if next == nil || seen[target] {
			// RFC 1034 section 4.3.2 step 3a: restart at the target only
			// if this server holds it; the client follows the rest. A loop
			// ends where it closes.
			return
		}
		seen[target] = true
		cur, z = target, next
	}
}

// zoneFor returns the most specific served zone that holds name.
func zoneFor(zones []*zone, name string) *zone {
	var best *zone
	for _, z := range zones {
		if dns.IsSubDomain(z.apex, name) && (best == nil || len(z.apex) > len(best.apex)) {
			best = z
		}
	}
	return best
}

// owned returns rrs as owned by name: copies, when they were synthesized
// from a wildcard (RFC 4592 section 3.3.1).
func owned(rrs []dns.RR, name string, synthesized bool) []dns.RR {
	if !synthesized {
		return rrs
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = name
	}
	return out
}

// glue returns the address records for the name servers of a delegation
// that lie inside it, which resolvers cannot find otherwise (RFC 1034
// section 4.2.1).
func glue(z *zone, cut string) []dns.RR {
	var out []dns.RR
	for _, rr := range z.nodes[cut][dns.TypeNS] {
		ns := strings.ToLower(rr.(*dns.NS).Ns)
		if dns.IsSubDomain(cut, ns) {
			out = append(out, z.nodes[ns][dns.TypeA]...)
			out = append(out, z.nodes[ns][dns.TypeAAAA]...)
		}
	}
	return out
}
