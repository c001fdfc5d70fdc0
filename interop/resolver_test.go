//go:build interop

package interop

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startResolver runs a stand-in for a recursive resolver on 127.0.0.1: it
// answers names in zones from s, the one server that holds them, and says
// every other name does not exist (NXDOMAIN), as a resolver would of the
// names a receiver's checks ask for outside the test's zones (the DMARC
// tree walk's _dmarc.com, RFC 9989 section 4.10). The namespace has no
// other resolver, and s, being authoritative only, refuses those names.
// It returns the resolver's address and stops it when the test ends.
func startResolver(t *testing.T, s *server, zones []zone) string {
	t.Helper()
	forward := func(w dns.ResponseWriter, q *dns.Msg) {
		r := new(dns.Msg)
		if len(q.Question) != 1 {
			r.SetRcode(q, dns.RcodeFormatError)
			_ = w.WriteMsg(r)
			return
		}
		name := q.Question[0].Name
		inZone := false
		for _, z := range zones {
			if dns.IsSubDomain(dns.Fqdn(z.name), dns.CanonicalName(name)) {
				inZone = true
			}
		}
		if !inZone {
			r.SetRcode(q, dns.RcodeNameError)
			r.RecursionAvailable = true
			_ = w.WriteMsg(r)
			return
		}
		c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
		up := q.Copy()
		up.Id = dns.Id()
		up.RecursionDesired = false
		ans, _, err := c.Exchange(up, s.addr)
		if err != nil {
			r.SetRcode(q, dns.RcodeServerFailure)
			_ = w.WriteMsg(r)
			return
		}
		ans.Id = q.Id
		ans.Authoritative = false
		ans.RecursionDesired = q.RecursionDesired
		ans.RecursionAvailable = true
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			size := 512
			if o := q.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			ans.Truncate(size)
		}
		_ = w.WriteMsg(ans)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	handler := dns.HandlerFunc(forward)
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: l, Handler: handler}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return addr
}
