package dnstest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

const exampleZone = `$ORIGIN example.test.
$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 60
@        NS    ns1
ns1      A     127.0.0.1
@        TXT   "v=spf1 -all"
@        MX    10 mx1
mx1      A     192.0.2.1
www      CNAME alias
alias    CNAME @
out      CNAME target.other.test.
away     CNAME nowhere.invalid.
loop1    CNAME loop2
loop2    CNAME loop1
sel._domainkey TXT "v=DKIM1; p="
*.wild   TXT   "wildcard"
x.wild   A     192.0.2.7
sub      NS    ns.sub
ns.sub   A     192.0.2.53
`

// otherZone has no SOA: the server makes one up from $ORIGIN.
const otherZone = `$ORIGIN other.test.
target 300 IN A 192.0.2.9
`

// reply is the part of a response the tests compare.
type reply struct {
	Rcode     string
	AA, TC    bool
	Answer    []string
	Authority []string
	Extra     []string
}

func summarize(m *dns.Msg) reply {
	r := reply{Rcode: dns.RcodeToString[m.Rcode], AA: m.Authoritative, TC: m.Truncated}
	str := func(rrs []dns.RR) []string {
		var out []string
		for _, rr := range rrs {
			if rr.Header().Rrtype == dns.TypeOPT {
				continue
			}
			out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
		}
		return out
	}
	r.Answer, r.Authority, r.Extra = str(m.Answer), str(m.Ns), str(m.Extra)
	return r
}

func query(t *testing.T, addr, network, name string, qtype uint16, edns uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	if edns > 0 {
		m.SetEdns0(edns, false)
	}
	c := &dns.Client{Net: network, Timeout: 2 * time.Second, UDPSize: 65535}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return r
}

func TestServerAnswers(t *testing.T) {
	s := NewServer(t, exampleZone, otherZone)
	soa := "example.test. 60 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60"
	tests := []struct {
		name  string
		qname string
		qtype uint16
		want  reply
	}{
		{"data", "example.test", dns.TypeTXT, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{`example.test. 300 IN TXT "v=spf1 -all"`}}},
		{"case-insensitive", "EXAMPLE.Test", dns.TypeMX, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{"example.test. 300 IN MX 10 mx1.example.test."}}},
		{"nodata", "mx1.example.test", dns.TypeAAAA, reply{Rcode: "NOERROR", AA: true,
			Authority: []string{soa}}},
		{"nxdomain", "nope.example.test", dns.TypeA, reply{Rcode: "NXDOMAIN", AA: true,
			Authority: []string{soa}}},
		{"empty non-terminal", "_domainkey.example.test", dns.TypeTXT, reply{Rcode: "NOERROR", AA: true,
			Authority: []string{soa}}},
		{"cname chain in zone", "www.example.test", dns.TypeTXT, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{
				"www.example.test. 300 IN CNAME alias.example.test.",
				"alias.example.test. 300 IN CNAME example.test.",
				`example.test. 300 IN TXT "v=spf1 -all"`,
			}}},
		{"cname asked for", "www.example.test", dns.TypeCNAME, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{"www.example.test. 300 IN CNAME alias.example.test."}}},
		{"cname into another served zone", "out.example.test", dns.TypeA, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{
				"out.example.test. 300 IN CNAME target.other.test.",
				"target.other.test. 300 IN A 192.0.2.9",
			}}},
		{"cname to nxdomain in another zone", "out.example.test", dns.TypeTXT, reply{Rcode: "NOERROR", AA: true,
			Answer:    []string{"out.example.test. 300 IN CNAME target.other.test."},
			Authority: []string{"other.test. 300 IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300"}}},
		{"cname leaving the server", "away.example.test", dns.TypeA, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{"away.example.test. 300 IN CNAME nowhere.invalid."}}},
		{"cname loop ends where it closes", "loop1.example.test", dns.TypeA, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{
				"loop1.example.test. 300 IN CNAME loop2.example.test.",
				"loop2.example.test. 300 IN CNAME loop1.example.test.",
			}}},
		{"wildcard", "a.b.wild.example.test", dns.TypeTXT, reply{Rcode: "NOERROR", AA: true,
			Answer: []string{`a.b.wild.example.test. 300 IN TXT "wildcard"`}}},
		{"wildcard does not cover an existing name", "x.wild.example.test", dns.TypeTXT, reply{Rcode: "NOERROR", AA: true,
			Authority: []string{soa}}},
		{"wildcard does not cover below an existing name", "y.x.wild.example.test", dns.TypeTXT, reply{Rcode: "NXDOMAIN", AA: true,
			Authority: []string{soa}}},
		{"referral", "host.sub.example.test", dns.TypeA, reply{Rcode: "NOERROR",
			Authority: []string{"sub.example.test. 300 IN NS ns.sub.example.test."},
			Extra:     []string{"ns.sub.example.test. 300 IN A 192.0.2.53"}}},
		{"outside the zones", "example.com", dns.TypeA, reply{Rcode: "REFUSED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(query(t, s.Addr(), "udp", tt.qname, tt.qtype, 0))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tt.qname, dns.TypeToString[tt.qtype], diff)
			}
		})
	}
}

func TestServerTruncates(t *testing.T) {
	var b strings.Builder
	b.WriteString("$ORIGIN big.test.\n@ SOA ns hm 1 1 1 1 1\n")
	for range 4 {
		b.WriteString(`@ TXT "` + strings.Repeat("x", 200) + `"` + "\n")
	}
	s := NewServer(t, b.String())
	tests := []struct {
		name    string
		network string
		edns    uint16
		wantTC  bool
	}{
		{"udp without EDNS: 512", "udp", 0, true},
		{"udp with a small EDNS buffer", "udp", 600, true},
		{"udp with a buffer below 512 counts as 512", "udp", 100, true},
		{"udp with a big EDNS buffer", "udp", 4096, false},
		{"tcp", "tcp", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := query(t, s.Addr(), tt.network, "big.test", dns.TypeTXT, tt.edns)
			if r.Truncated != tt.wantTC {
				t.Fatalf("TC = %v, want %v", r.Truncated, tt.wantTC)
			}
			wantAnswers := 4
			if tt.wantTC {
				wantAnswers = 0
			}
			if len(r.Answer) != wantAnswers {
				t.Errorf("%d answer records, want %d", len(r.Answer), wantAnswers)
			}
			if (tt.edns != 0) != (r.IsEdns0() != nil) {
				t.Errorf("OPT in response: %v, in query: %v", r.IsEdns0() != nil, tt.edns != 0)
			}
		})
	}
}

func TestServerFailures(t *testing.T) {
	s := NewServer(t, exampleZone)
	s.ServFail("example.test")
	if r := query(t, s.Addr(), "udp", "example.test", dns.TypeTXT, 0); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("rcode %s after ServFail, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	s.Restore("example.test")
	if r := query(t, s.Addr(), "udp", "example.test", dns.TypeTXT, 0); r.Rcode != dns.RcodeSuccess {
		t.Errorf("rcode %s after Restore, want NOERROR", dns.RcodeToString[r.Rcode])
	}

	s.Drop("mx1.example.test.")
	m := new(dns.Msg)
	m.SetQuestion("mx1.example.test.", dns.TypeA)
	c := &dns.Client{Timeout: 100 * time.Millisecond}
	_, _, err := c.Exchange(m, s.Addr())
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("dropped query: err = %v, want a timeout", err)
	}
}

func TestServerCounts(t *testing.T) {
	s := NewServer(t, exampleZone)
	query(t, s.Addr(), "udp", "example.test", dns.TypeTXT, 0)
	query(t, s.Addr(), "tcp", "Example.Test.", dns.TypeTXT, 0)
	query(t, s.Addr(), "udp", "example.test", dns.TypeMX, 0)
	query(t, s.Addr(), "udp", "example.com", dns.TypeMX, 0)
	if got := s.QueriesFor("example.test", dns.TypeTXT); got != 2 {
		t.Errorf("QueriesFor(example.test, TXT) = %d, want 2", got)
	}
	if got := s.QueriesFor("EXAMPLE.TEST.", dns.TypeMX); got != 1 {
		t.Errorf("QueriesFor(EXAMPLE.TEST., MX) = %d, want 1", got)
	}
	if got := s.Queries(); got != 4 {
		t.Errorf("Queries() = %d, want 4", got)
	}
}

func TestServerSetZone(t *testing.T) {
	s := NewServer(t, otherZone)
	if r := query(t, s.Addr(), "udp", "new.other.test", dns.TypeA, 0); r.Rcode != dns.RcodeNameError {
		t.Fatalf("before SetZone: rcode %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	if err := s.SetZone(otherZone + "new 60 IN A 192.0.2.10\n"); err != nil {
		t.Fatal(err)
	}
	if r := query(t, s.Addr(), "udp", "new.other.test", dns.TypeA, 0); len(r.Answer) != 1 {
		t.Fatalf("after SetZone: %v, want one answer", r.Answer)
	}
}

func TestBadZones(t *testing.T) {
	tests := []struct {
		name string
		zone string
	}{
		{"syntax", "$ORIGIN a.test.\n@ IN A not-an-address\n"},
		{"no apex", "a.test. 300 IN A 192.0.2.1\n"},
		{"two SOAs", "$ORIGIN a.test.\n@ SOA ns hm 1 1 1 1 1\n@ SOA ns hm 2 1 1 1 1\n"},
		{"outside the apex", "$ORIGIN a.test.\n@ SOA ns hm 1 1 1 1 1\nb.test. A 192.0.2.1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.zone)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, ErrZone) {
				t.Errorf("err = %v, want ErrZone", err)
			}
		})
	}
	if _, err := Start(otherZone, otherZone); !errors.Is(err, ErrZone) {
		t.Errorf("the same zone twice: err = %v, want ErrZone", err)
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := Start(otherZone)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("Addr() = %q, want a loopback address", s.Addr())
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStartAt: a server listens at the port it is given, over UDP and TCP,
// refuses to listen beyond loopback, and says so when the port is taken.
func TestStartAt(t *testing.T) {
	// A port free for both transports: one a server just let go of.
	first, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	addr := first.Addr()
	first.Close()

	s, err := StartAt(addr, otherZone)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Addr() != addr {
		t.Errorf("Addr() = %q, want %q", s.Addr(), addr)
	}
	for _, network := range []string{"udp", "tcp"} {
		r := query(t, addr, network, "target.other.test", dns.TypeA, 0)
		if got := summarize(r); len(got.Answer) != 1 || !got.AA {
			t.Errorf("%s: %+v, want one authoritative answer", network, got)
		}
	}
	if _, err := StartAt(addr, otherZone); err == nil || errors.Is(err, ErrAddress) {
		t.Errorf("a port in use: err = %v, want a listen error", err)
	}

	for _, bad := range []string{"0.0.0.0:53", "192.0.2.1:5353", "[::1]:5353", "localhost:5353", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"} {
		if s, err := StartAt(bad, otherZone); !errors.Is(err, ErrAddress) {
			if s != nil {
				s.Close()
			}
			t.Errorf("StartAt(%q): err = %v, want ErrAddress", bad, err)
		}
	}

	// Port 0 still picks a free port.
	free, err := StartAt("127.0.0.1:0", otherZone)
	if err != nil {
		t.Fatal(err)
	}
	defer free.Close()
	if !strings.HasPrefix(free.Addr(), "127.0.0.1:") || strings.HasSuffix(free.Addr(), ":0") {
		t.Errorf("StartAt(127.0.0.1:0).Addr() = %q", free.Addr())
	}
}
