package rfc2136

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers"
)

// The tests here use an in-process miekg/dns server on 127.0.0.1, which
// can answer what BIND cannot be made to: SERVFAIL, REFUSED transfers,
// silence.

const fakeKey = "fake-key"

// fakeServer serves h over TCP on 127.0.0.1 and verifies requests signed
// with fakeKey and testSecret.
func fakeServer(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{
		Listener:          l,
		Net:               "tcp",
		Handler:           h,
		TsigSecret:        map[string]string{dns.Fqdn(fakeKey): testSecret},
		NotifyStartedFunc: func() { close(started) },
		// miekg/dns answers UPDATE with NOTIMP unless told to accept it.
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept },
	}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return l.Addr().String()
}

// reply answers r with rcode, signed when the request was.
func reply(w dns.ResponseWriter, r *dns.Msg, rcode int) {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	if t := r.IsTsig(); t != nil && w.TsigStatus() == nil {
		m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
	}
	_ = w.WriteMsg(m)
}

// fakeClient is a client of addr that retries quickly.
func fakeClient(t *testing.T, addr string) *Client {
	t.Helper()
	c, err := New(Options{Server: addr, KeyName: fakeKey, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond
	return c
}

var spf = []libdns.Record{libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}}

func TestRetryCuresTemporaryFailure(t *testing.T) {
	var n atomic.Int32
	addr := fakeServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if n.Add(1) == 1 {
			reply(w, r, dns.RcodeServerFailure)
			return
		}
		reply(w, r, dns.RcodeSuccess)
	})
	c := fakeClient(t, addr)
	got, err := c.SetRecords(context.Background(), "example.com", spf)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || len(got) != 1 {
		t.Errorf("%d requests, %d records returned; want 2 and 1", n.Load(), len(got))
	}
	if _, ok := got[0].(libdns.TXT); !ok {
		t.Errorf("returned %T, want the typed libdns.TXT", got[0])
	}
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name         string
		rcode        int
		transfer     bool
		want         error
		temporary    bool
		wantRequests int32
		wantIn       []string
	}{
		{"SERVFAIL is retried, then temporary", dns.RcodeServerFailure, false, ErrServer, true, 3, []string{"SERVFAIL", "log", "retrying later may help", "zone example.com.: setting @ TXT"}},
		{"REFUSED update", dns.RcodeRefused, false, ErrRefused, false, 1, []string{"refused the update", `key "fake-key"`, "allow-update", "log"}},
		{"REFUSED transfer", dns.RcodeRefused, true, ErrRefused, false, 1, []string{"refused the zone transfer", `allow-transfer { key "fake-key"; }`}},
		{"SERVFAIL transfer", dns.RcodeServerFailure, true, ErrServer, true, 3, []string{"SERVFAIL", "reading the zone by transfer"}},
		{"NOTIMP", dns.RcodeNotImplemented, false, ErrServer, false, 1, []string{"NOTIMP", "dynamic updates"}},
		{"NOTZONE", dns.RcodeNotZone, false, providers.ErrOutsideZone, false, 1, []string{"NOTZONE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			addr := fakeServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
				n.Add(1)
				reply(w, r, tt.rcode)
			})
			c := fakeClient(t, addr)
			var err error
			if tt.transfer {
				_, err = c.GetRecords(context.Background(), "example.com")
			} else {
				_, err = c.SetRecords(context.Background(), "example.com", spf)
			}
			if !errors.Is(err, tt.want) || providers.IsTemporary(err) != tt.temporary {
				t.Fatalf("error %v; want %v, temporary %v", err, tt.want, tt.temporary)
			}
			if n.Load() != tt.wantRequests {
				t.Errorf("%d requests, want %d", n.Load(), tt.wantRequests)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

// silentServer accepts TCP connections and never answers, like a server
// behind a firewall that drops replies.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestTimeoutIsTemporary(t *testing.T) {
	addr := silentServer(t)
	c := fakeClient(t, addr)
	calls := map[string]func(context.Context) error{
		"GetRecords": func(ctx context.Context) error { _, err := c.GetRecords(ctx, "example.com"); return err },
		"SetRecords": func(ctx context.Context) error { _, err := c.SetRecords(ctx, "example.com", spf); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := call(ctx)
			// The context's deadline and the connection's read deadline
			// (set from it) race: either may be the one reported.
			timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
			if !providers.IsTemporary(err) || !timedOut {
				t.Errorf("error %v; want a temporary deadline error", err)
			}
			if d := time.Since(start); d > 1500*time.Millisecond {
				t.Errorf("took %v; the context allowed 300ms", d)
			}
			if err != nil && !strings.Contains(err.Error(), "zone example.com.") {
				t.Errorf("error %q does not name the zone", err)
			}
		})
	}
}

func TestCancelIsNotTemporary(t *testing.T) {
	addr := silentServer(t)
	c := fakeClient(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetRecords(ctx, "example.com")
	if !errors.Is(err, context.Canceled) || providers.IsTemporary(err) {
		t.Errorf("error %v; want context.Canceled, not temporary", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

func TestConnectionRefusedIsTemporary(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := fakeClient(t, addr)
	_, err = c.GetRecords(context.Background(), "example.com")
	if !providers.IsTemporary(err) || !strings.Contains(err.Error(), "nothing accepts connections at "+addr) {
		t.Errorf("error %v; want a temporary refused connection naming %s", err, addr)
	}
}

// TestNothingSentForInvalidInput checks that invalid records are refused
// before any request, and that an empty write sends nothing.
func TestNothingSentForInvalidInput(t *testing.T) {
	var n atomic.Int32
	addr := fakeServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		n.Add(1)
		reply(w, r, dns.RcodeSuccess)
	})
	c := fakeClient(t, addr)
	ctx := context.Background()
	bad := [][]libdns.Record{
		{libdns.TXT{Name: "@", Text: "tab\there"}},
		{libdns.RR{Name: "@", Type: "SOA", Data: "ns. host. 1 2 3 4 5"}},
		{libdns.RR{Name: "www.example.org.", Type: "A", Data: "192.0.2.1"}},
	}
	for _, recs := range bad {
		if _, err := c.SetRecords(ctx, "example.com", recs); err == nil {
			t.Errorf("SetRecords(%v) succeeded", recs)
		}
		if _, err := c.AppendRecords(ctx, "example.com", recs); err == nil {
			t.Errorf("AppendRecords(%v) succeeded", recs)
		}
	}
	if got, err := c.SetRecords(ctx, "example.com", nil); err != nil || got != nil {
		t.Errorf("empty SetRecords = %v, %v", got, err)
	}
	if got, err := c.DeleteRecords(ctx, "example.com", nil); err != nil || got != nil {
		t.Errorf("empty DeleteRecords = %v, %v", got, err)
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}
