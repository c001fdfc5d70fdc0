package lab

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/receiver"
)

// quickstart loads examples/quickstart and returns it with "live" zones
// that hold exactly its compiled records, as after an apply.
func quickstart(tb testing.TB) (*schema.Config, map[string][]plan.Record) {
	tb.Helper()
	cfg, diags := schema.Load("../../examples/quickstart", schema.Options{})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	live := map[string][]plan.Record{}
	for _, d := range desired.Domains {
		zone := d.Domain + "."
		for _, rs := range d.Sets {
			for _, v := range rs.Values {
				live[zone] = append(live[zone], plan.Record{Name: rs.Name, Type: rs.Type, TTL: rs.TTL, Data: v})
			}
		}
	}
	return cfg, live
}

func TestLabProbe(t *testing.T) {
	cfg, live := quickstart(t)
	l, err := Start(context.Background(), cfg, live)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, domain := range []string{"example.com", "example.net"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		v, err := l.Probe(ctx, domain)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if v.SPF.Result != "pass" || v.DMARC.Result != "pass" || len(v.DKIM) == 0 {
			t.Errorf("%s: verdict %+v", domain, v)
		}
		for _, d := range v.DKIM {
			if d.Result != "pass" {
				t.Errorf("%s: DKIM %s: %s %s", domain, d.Selector, d.Result, d.Err)
			}
		}
	}
}

// BenchmarkProbe measures one probe's round trip in the lab: submission
// to the relay, signing, the durable queue, MX delivery to the receiver
// and its evaluation.
func BenchmarkProbe(b *testing.B) {
	cfg, live := quickstart(b)
	l, err := Start(context.Background(), cfg, live)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Probe(ctx, "example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// freePort returns a loopback address whose port was just free for UDP and
// TCP.
func freePort(t *testing.T) string {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	s.Close()
	return addr
}

// TestStartWith: the lab listens where it is told, and lists and reports
// what its receiver got.
func TestStartWith(t *testing.T) {
	cfg, live := quickstart(t)
	dnsAddr, relayAddr := freePort(t), freePort(t)
	heard := make(chan receiver.Received, 10)
	l, err := StartWith(context.Background(), cfg, live, Options{DNS: dnsAddr, Relay: relayAddr, OnReceive: func(r receiver.Received) { heard <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.DNSAddr() != dnsAddr || l.RelayAddr() != relayAddr {
		t.Errorf("DNS %s, relay %s; want %s and %s", l.DNSAddr(), l.RelayAddr(), dnsAddr, relayAddr)
	}
	if user, pass := l.Credentials(); user != labUser || len(pass) < 16 {
		t.Errorf("Credentials() = %q, %d characters", user, len(pass))
	}
	if got := l.RelayIP().String(); got != "203.0.113.10" {
		t.Errorf("RelayIP() = %s, want the relay's first IPv4 address", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, domain := range []string{"example.com", "example.net"} {
		if _, err := l.Probe(ctx, domain); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"mailconf-probe@example.com", "mailconf-probe@example.net"} {
		select {
		case r := <-heard:
			if r.MailFrom != want || r.Token == "" || r.Verdict == nil || r.Verdict.DMARC.Result != "pass" {
				t.Errorf("OnReceive got %+v", r)
			}
			if len(r.RcptTo) != 1 || r.RcptTo[0] != "probe@"+ProbeDomain {
				t.Errorf("RcptTo = %v", r.RcptTo)
			}
		case <-ctx.Done():
			t.Fatal("OnReceive was not called")
		}
	}
	got := l.Received()
	if len(got) != 2 || got[0].MailFrom != "mailconf-probe@example.net" || !strings.HasPrefix(got[1].Subject, "mailconf probe ") {
		t.Errorf("Received() = %+v, want the example.net probe first", got)
	}
}

func TestCheckAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "127.0.0.1:0"},
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{":5353", "127.0.0.1:5353"},
		{"127.0.0.1:", "127.0.0.1:0"},
		{"127.1.2.3:25", "127.1.2.3:25"},
	} {
		if got, err := CheckAddress("DNS", tc.in); got != tc.want || err != nil {
			t.Errorf("CheckAddress(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"0.0.0.0:53", "192.0.2.1:53", "[::1]:53", "localhost:53", "127.0.0.1", "127.0.0.1:dns", "127.0.0.1:65536"} {
		if _, err := CheckAddress("DNS", bad); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckAddress(%q): err = %v, want ErrNotLoopback", bad, err)
		}
	}
	cfg, live := quickstart(t)
	if l, err := StartWith(context.Background(), cfg, live, Options{Relay: "0.0.0.0:2525"}); !errors.Is(err, ErrNotLoopback) {
		if l != nil {
			l.Close()
		}
		t.Errorf("StartWith on 0.0.0.0: err = %v, want ErrNotLoopback", err)
	}
}
