package resolve_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

const exampleZone = `$ORIGIN example.test.
$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 60
@        NS    ns1
ns1      A     127.0.0.1
@        TXT   "v=spf1 " "include:_spf.example.test" " -all"
@        TXT   "google-site-verification=abc"
@        MX    20 mx2
@        MX    10 mx1
@        MX    10 mx0
mx0      A     192.0.2.3
mx1      A     192.0.2.1
mx1      AAAA  2001:db8::1
mx2      AAAA  2001:db8::2
www      CNAME alias
alias    CNAME @
out      CNAME target.other.test.
dangling CNAME gone.other.test.
loop1    CNAME loop2
loop2    CNAME loop1
sel._domainkey TXT "v=DKIM1; p="
quote    TXT   "a \"quoted\" \\ back\059slash"
`

const otherZone = `$ORIGIN other.test.
target A 192.0.2.9
`

// bigZone holds a TXT RRset of about 2 kB: more than the 1232-byte EDNS
// buffer, so the UDP answer is truncated and the client must use TCP.
var bigZone = "$ORIGIN big.test.\n" + strings.Repeat(`@ TXT "`+strings.Repeat("x", 250)+`"`+"\n", 8)

// newClient returns a Client for s with test-sized timeouts.
func newClient(s *dnstest.Server) *resolve.Client {
	return &resolve.Client{Servers: []string{s.Addr()}, Timeout: 500 * time.Millisecond}
}

// result is the part of an Answer the table tests compare.
type result struct {
	Rcode  int
	Void   bool
	AA     bool
	CNAMEs []string
	TXT    []string
	MX     []resolve.MX
	Addrs  []netip.Addr
	Names  []string
}

func summarize(a *resolve.Answer) result {
	return result{
		Rcode: a.Rcode, Void: a.Void(), AA: a.Authoritative, CNAMEs: a.CNAMEs,
		TXT: a.TXT(), MX: a.MX(), Addrs: a.Addrs(), Names: a.Names(),
	}
}

func TestClientLookup(t *testing.T) {
	s := dnstest.NewServer(t, exampleZone, otherZone)
	c := newClient(s)
	ok, nx := dns.RcodeSuccess, dns.RcodeNameError
	tests := []struct {
		name  string
		qname string
		qtype uint16
		want  result
	}{
		{"TXT strings joined, records sorted", "example.test", dns.TypeTXT, result{Rcode: ok, AA: true,
			TXT: []string{"google-site-verification=abc", "v=spf1 include:_spf.example.test -all"}}},
		{"TXT escapes decoded", "quote.example.test", dns.TypeTXT, result{Rcode: ok, AA: true,
			TXT: []string{`a "quoted" \ back;slash`}}},
		{"MX by preference then host", "example.test", dns.TypeMX, result{Rcode: ok, AA: true,
			MX: []resolve.MX{{10, "mx0.example.test"}, {10, "mx1.example.test"}, {20, "mx2.example.test"}}}},
		{"A", "mx1.example.test", dns.TypeA, result{Rcode: ok, AA: true,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}},
		{"AAAA", "mx1.example.test", dns.TypeAAAA, result{Rcode: ok, AA: true,
			Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}},
		{"NS", "example.test", dns.TypeNS, result{Rcode: ok, AA: true, Names: []string{"ns1.example.test"}}},
		{"NODATA is void", "mx0.example.test", dns.TypeAAAA, result{Rcode: ok, Void: true, AA: true}},
		{"NXDOMAIN is void", "nope.example.test", dns.TypeTXT, result{Rcode: nx, Void: true, AA: true}},
		{"empty non-terminal is NODATA", "_domainkey.example.test", dns.TypeTXT, result{Rcode: ok, Void: true, AA: true}},
		{"case and trailing dot ignored", "MX1.Example.TEST.", dns.TypeA, result{Rcode: ok, AA: true,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}},
		{"CNAME chain followed", "www.example.test", dns.TypeMX, result{Rcode: ok, AA: true,
			CNAMEs: []string{"alias.example.test", "example.test"},
			MX:     []resolve.MX{{10, "mx0.example.test"}, {10, "mx1.example.test"}, {20, "mx2.example.test"}}}},
		{"CNAME into another zone", "out.example.test", dns.TypeA, result{Rcode: ok, AA: true,
			CNAMEs: []string{"target.other.test"}, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.9")}}},
		{"CNAME to NODATA", "out.example.test", dns.TypeTXT, result{Rcode: ok, Void: true, AA: true,
			CNAMEs: []string{"target.other.test"}}},
		{"CNAME to NXDOMAIN", "dangling.example.test", dns.TypeA, result{Rcode: nx, Void: true, AA: true,
			CNAMEs: []string{"gone.other.test"}}},
		{"CNAME asked for is not followed", "www.example.test", dns.TypeCNAME, result{Rcode: ok, AA: true,
			Names: []string{"alias.example.test"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := c.Lookup(t.Context(), tt.qname, tt.qtype)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(strings.ToLower(tt.qname), "."); a.Name != want || a.Type != tt.qtype {
				t.Errorf("answer for (%q, %d), want (%q, %d)", a.Name, a.Type, want, tt.qtype)
			}
			if diff := cmp.Diff(tt.want, summarize(a), cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, rr := range a.Records {
				if rr.Header().Rrtype != tt.qtype {
					t.Errorf("record of another type: %v", rr)
				}
			}
		})
	}
}

func TestLookupHelpers(t *testing.T) {
	s := dnstest.NewServer(t, exampleZone)
	c := newClient(s)
	ctx := t.Context()

	txt, void, err := c.LookupTXT(ctx, "example.test")
	if err != nil || void || len(txt) != 2 {
		t.Errorf("LookupTXT(example.test) = %q, %v, %v", txt, void, err)
	}
	hosts, void, err := c.LookupMX(ctx, "example.test")
	if want := []string{"mx0.example.test", "mx1.example.test", "mx2.example.test"}; err != nil || void || !cmp.Equal(hosts, want) {
		t.Errorf("LookupMX(example.test) = %q, %v, %v; want %q", hosts, void, err, want)
	}
	if _, void, err := c.LookupMX(ctx, "nope.example.test"); err != nil || !void {
		t.Errorf("LookupMX(nope.example.test): void %v, err %v; want void", void, err)
	}

	tests := []struct {
		name     string
		host     string
		want     []string
		wantVoid bool
	}{
		{"A then AAAA", "mx1.example.test", []string{"192.0.2.1", "2001:db8::1"}, false},
		{"A only", "mx0.example.test", []string{"192.0.2.3"}, false},
		{"AAAA only is not void", "mx2.example.test", []string{"2001:db8::2"}, false},
		{"neither is void", "example.test", nil, true},
		{"NXDOMAIN is void", "nope.example.test", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addrs, void, err := c.LookupIP(ctx, tt.host)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if !cmp.Equal(got, tt.want) || void != tt.wantVoid {
				t.Errorf("LookupIP(%s) = %v, void %v; want %v, void %v", tt.host, got, void, tt.want, tt.wantVoid)
			}
		})
	}
}

func TestClientTCPFallback(t *testing.T) {
	s := dnstest.NewServer(t, bigZone)
	c := newClient(s)
	txt, _, err := c.LookupTXT(t.Context(), "big.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(txt) != 8 || len(txt[0]) != 250 {
		t.Fatalf("got %d records, want 8 of 250 octets", len(txt))
	}
	// One truncated UDP answer, then TCP.
	if got := s.QueriesFor("big.test", dns.TypeTXT); got != 2 {
		t.Errorf("server saw %d queries, want 2 (UDP, then TCP)", got)
	}
	if got := c.Queries(); got != 2 {
		t.Errorf("client sent %d queries, want 2", got)
	}
}

func TestClientErrors(t *testing.T) {
	s := dnstest.NewServer(t, exampleZone)
	s.ServFail("broken.example.test")
	s.Drop("slow.example.test")
	tests := []struct {
		name        string
		qname       string
		wantTemp    bool
		wantRcode   int
		wantQueries int // at the server, with Attempts 2
	}{
		{"SERVFAIL is temporary and retried", "broken.example.test", true, dns.RcodeServerFailure, 2},
		{"REFUSED is temporary", "example.com", true, dns.RcodeRefused, 2},
		{"timeout is temporary", "slow.example.test", true, -1, 2},
		{"bad name is permanent and not sent", "a..b.example.test", false, -1, 0},
		{"overlong label is permanent", strings.Repeat("x", 64) + ".example.test", false, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &resolve.Client{Servers: []string{s.Addr()}, Timeout: 100 * time.Millisecond}
			before := s.Queries()
			_, err := c.Lookup(t.Context(), tt.qname, dns.TypeA)
			if err == nil {
				t.Fatal("no error")
			}
			if resolve.IsTemporary(err) != tt.wantTemp {
				t.Errorf("IsTemporary(%v) = %v, want %v", err, !tt.wantTemp, tt.wantTemp)
			}
			if !tt.wantTemp && !errors.Is(err, resolve.ErrPermanent) {
				t.Errorf("err = %v, want ErrPermanent", err)
			}
			var e *resolve.Error
			if !errors.As(err, &e) || e.Rcode != tt.wantRcode {
				t.Errorf("err = %#v, want a *resolve.Error with Rcode %d", err, tt.wantRcode)
			}
			if got := s.Queries() - before; got != tt.wantQueries {
				t.Errorf("server saw %d queries, want %d", got, tt.wantQueries)
			}
		})
	}
}

func TestClientErrorText(t *testing.T) {
	s := dnstest.NewServer(t, exampleZone)
	s.ServFail("broken.example.test")
	c := &resolve.Client{Servers: []string{s.Addr()}, Attempts: 1}
	_, err := c.Lookup(t.Context(), "Broken.Example.Test.", dns.TypeTXT)
	want := "resolve: temporary failure: broken.example.test TXT at " + s.Addr() + ": SERVFAIL"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestClientContext(t *testing.T) {
	s := dnstest.NewServer(t, exampleZone)
	s.Drop("slow.example.test")

	t.Run("deadline is temporary and honoured", func(t *testing.T) {
		c := &resolve.Client{Servers: []string{s.Addr()}, Timeout: 5 * time.Second}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Lookup(ctx, "slow.example.test", dns.TypeA)
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("returned after %v, want about 100ms", elapsed)
		}
		if !resolve.IsTemporary(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want temporary and DeadlineExceeded", err)
		}
	})

	t.Run("cancellation is not temporary", func(t *testing.T) {
		c := &resolve.Client{Servers: []string{s.Addr()}, Timeout: 5 * time.Second}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Lookup(ctx, "slow.example.test", dns.TypeA)
		if !errors.Is(err, context.Canceled) || resolve.IsTemporary(err) {
			t.Errorf("err = %v, want Canceled and not temporary", err)
		}
	})

	t.Run("Exchange honours the deadline", func(t *testing.T) {
		c := &resolve.Client{Servers: []string{s.Addr()}, Timeout: 5 * time.Second}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Exchange(ctx, s.Addr(), "slow.example.test", dns.TypeA)
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("returned after %v, want about 100ms", elapsed)
		}
		if !resolve.IsTemporary(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want temporary and DeadlineExceeded", err)
		}
	})

	t.Run("ended context asks nothing", func(t *testing.T) {
		c := newClient(s)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := c.Lookup(ctx, "example.test", dns.TypeTXT); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want Canceled", err)
		}
		if c.Queries() != 0 {
			t.Errorf("sent %d queries", c.Queries())
		}
	})
}

func TestClientRotatesServers(t *testing.T) {
	bad := dnstest.NewServer(t, exampleZone)
	bad.ServFail("example.test")
	good := dnstest.NewServer(t, exampleZone)
	c := &resolve.Client{Servers: []string{bad.Addr(), good.Addr()}, Timeout: 500 * time.Millisecond}
	if _, err := c.Lookup(t.Context(), "example.test", dns.TypeTXT); err != nil {
		t.Fatal(err)
	}
	if bad.Queries() != 1 || good.Queries() != 1 {
		t.Errorf("queries: first server %d, second %d; want 1 each", bad.Queries(), good.Queries())
	}
}

func TestClientCache(t *testing.T) {
	t.Run("100 concurrent identical lookups send one query", func(t *testing.T) {
		s := dnstest.NewServer(t, exampleZone)
		c := newClient(s)
		var wg sync.WaitGroup
		var failures atomic.Int32
		for range 100 {
			wg.Go(func() {
				txt, _, err := c.LookupTXT(t.Context(), "Example.Test")
				if err != nil || len(txt) != 2 {
					failures.Add(1)
				}
			})
		}
		wg.Wait()
		if failures.Load() > 0 {
			t.Errorf("%d lookups failed", failures.Load())
		}
		if got := s.QueriesFor("example.test", dns.TypeTXT); got != 1 {
			t.Errorf("server saw %d queries, want 1", got)
		}
		if got := c.Queries(); got != 1 {
			t.Errorf("Queries() = %d, want 1", got)
		}
	})

	t.Run("void answers are kept", func(t *testing.T) {
		s := dnstest.NewServer(t, exampleZone)
		c := newClient(s)
		for range 3 {
			if a, err := c.Lookup(t.Context(), "nope.example.test", dns.TypeTXT); err != nil || !a.Void() {
				t.Fatalf("Lookup = %v, %v", a, err)
			}
		}
		if got := s.Queries(); got != 1 {
			t.Errorf("server saw %d queries, want 1", got)
		}
	})

	t.Run("temporary errors are not kept", func(t *testing.T) {
		s := dnstest.NewServer(t, exampleZone)
		s.ServFail("example.test")
		c := &resolve.Client{Servers: []string{s.Addr()}, Attempts: 1}
		if _, err := c.Lookup(t.Context(), "example.test", dns.TypeTXT); !resolve.IsTemporary(err) {
			t.Fatalf("err = %v, want temporary", err)
		}
		s.Restore("example.test")
		if _, err := c.Lookup(t.Context(), "example.test", dns.TypeTXT); err != nil {
			t.Fatalf("after the server recovered: %v", err)
		}
		if got := s.Queries(); got != 2 {
			t.Errorf("server saw %d queries, want 2", got)
		}
	})

	t.Run("different types are different questions", func(t *testing.T) {
		s := dnstest.NewServer(t, exampleZone)
		c := newClient(s)
		c.LookupIP(t.Context(), "mx1.example.test")
		c.LookupIP(t.Context(), "mx1.example.test")
		if s.QueriesFor("mx1.example.test", dns.TypeA) != 1 || s.QueriesFor("mx1.example.test", dns.TypeAAAA) != 1 {
			t.Errorf("server saw A %d, AAAA %d; want 1 each",
				s.QueriesFor("mx1.example.test", dns.TypeA), s.QueriesFor("mx1.example.test", dns.TypeAAAA))
		}
	})

	t.Run("a caller leaving does not stop the query for the others", func(t *testing.T) {
		s := dnstest.NewServer(t, exampleZone)
		s.Drop("slow.example.test")
		c := &resolve.Client{Servers: []string{s.Addr()}, Timeout: 200 * time.Millisecond, Attempts: 1}
		short, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		var wg sync.WaitGroup
		var shortErr, longErr error
		wg.Go(func() { _, shortErr = c.Lookup(short, "slow.example.test", dns.TypeA) })
		wg.Go(func() { _, longErr = c.Lookup(t.Context(), "slow.example.test", dns.TypeA) })
		wg.Wait()
		if !errors.Is(shortErr, context.DeadlineExceeded) {
			t.Errorf("short caller: %v, want its deadline", shortErr)
		}
		// The other caller sees the query's own timeout, not a
		// cancellation inherited from the first.
		if !resolve.IsTemporary(longErr) || errors.Is(longErr, context.DeadlineExceeded) || errors.Is(longErr, context.Canceled) {
			t.Errorf("long caller: %v, want the attempt timeout", longErr)
		}
		if got := s.Queries(); got != 1 {
			t.Errorf("server saw %d queries, want 1", got)
		}
	})

	t.Run("when every caller leaves the next one asks afresh", func(t *testing.T) {
		s := dnstest.NewServer(t, exampleZone)
		s.Drop("example.test")
		c := &resolve.Client{Servers: []string{s.Addr()}, Timeout: 5 * time.Second, Attempts: 1}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		if _, err := c.Lookup(ctx, "example.test", dns.TypeTXT); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		s.Restore("example.test")
		start := time.Now()
		if _, err := c.Lookup(t.Context(), "example.test", dns.TypeTXT); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("second lookup took %v: it waited for the abandoned query", elapsed)
		}
	})
}

func TestExchange(t *testing.T) {
	s := dnstest.NewServer(t, exampleZone)
	c := newClient(s)
	for range 2 {
		a, err := c.Exchange(t.Context(), s.Addr(), "example.test", dns.TypeSOA)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Authoritative || len(a.Records) != 1 {
			t.Errorf("answer: AA %v, %d records; want AA and one SOA", a.Authoritative, len(a.Records))
		}
	}
	if got := s.QueriesFor("example.test", dns.TypeSOA); got != 2 {
		t.Errorf("server saw %d queries, want 2: Exchange must not cache", got)
	}
}

// serveFunc starts a miekg/dns UDP server on 127.0.0.1 with handler h, for
// behaviours dnstest does not offer.
func serveFunc(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestRecursionDesired(t *testing.T) {
	var mu sync.Mutex
	var rd []bool
	addr := serveFunc(t, func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		rd = append(rd, r.RecursionDesired)
		mu.Unlock()
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	})
	(&resolve.Client{Servers: []string{addr}}).Lookup(t.Context(), "a.test", dns.TypeA)
	(&resolve.Client{Servers: []string{addr}, NoRecurse: true}).Lookup(t.Context(), "b.test", dns.TypeA)
	(&resolve.Client{Servers: []string{addr}}).Exchange(t.Context(), addr, "c.test", dns.TypeA)
	mu.Lock()
	defer mu.Unlock()
	if want := []bool{true, false, false}; !cmp.Equal(rd, want) {
		t.Errorf("RD bits %v, want %v (Lookup, Lookup with NoRecurse, Exchange)", rd, want)
	}
}

func TestMalformedAnswers(t *testing.T) {
	tests := []struct {
		name        string
		handler     dns.HandlerFunc
		wantErr     error // nil: an answer
		wantQueries int
	}{
		{"FORMERR with OPT is permanent", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeFormatError)
			m.SetEdns0(1232, false)
			w.WriteMsg(m)
		}, resolve.ErrPermanent, 1},
		{"NOTIMP is permanent", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeNotImplemented)
			m.SetEdns0(1232, false)
			w.WriteMsg(m)
		}, resolve.ErrPermanent, 1},
		{"server without EDNS: asked again without OPT", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			if r.IsEdns0() != nil {
				m.SetRcode(r, dns.RcodeFormatError)
			} else {
				m.SetRcode(r, dns.RcodeNameError)
			}
			w.WriteMsg(m)
		}, nil, 2},
		{"answer to another question", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Question[0].Name = "other.test."
			w.WriteMsg(m)
		}, resolve.ErrPermanent, 1},
		{"CNAME loop", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			a, _ := dns.NewRR("a.test. 60 IN CNAME b.test.")
			b, _ := dns.NewRR("b.test. 60 IN CNAME a.test.")
			m.Answer = []dns.RR{a, b}
			w.WriteMsg(m)
		}, resolve.ErrPermanent, 1},
		{"YXDOMAIN is permanent", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeYXDomain)
			w.WriteMsg(m)
		}, resolve.ErrPermanent, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			addr := serveFunc(t, func(w dns.ResponseWriter, r *dns.Msg) {
				n.Add(1)
				tt.handler(w, r)
			})
			c := &resolve.Client{Servers: []string{addr}, Timeout: 500 * time.Millisecond}
			for range 2 { // the second time comes from the cache
				_, err := c.Lookup(t.Context(), "a.test", dns.TypeA)
				if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			}
			if got := int(n.Load()); got != tt.wantQueries {
				t.Errorf("server saw %d queries, want %d", got, tt.wantQueries)
			}
		})
	}
}

func TestMaxInFlight(t *testing.T) {
	var cur, peak atomic.Int32
	addr := serveFunc(t, func(w dns.ResponseWriter, r *dns.Msg) {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	})
	c := &resolve.Client{Servers: []string{addr}, MaxInFlight: 3}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := c.Lookup(t.Context(), fmt.Sprintf("n%d.test", i), dns.TypeA); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("at most %d queries in flight, want 3", p)
	}
}

func TestUnreachableServer(t *testing.T) {
	// A port nobody listens on: the kernel answers with ICMP port
	// unreachable, which is a network error, so temporary.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	c := &resolve.Client{Servers: []string{addr}, Timeout: 200 * time.Millisecond}
	if _, err := c.Lookup(t.Context(), "a.test", dns.TypeA); !resolve.IsTemporary(err) {
		t.Errorf("err = %v, want temporary", err)
	}
}
