package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/relay/queue"
)

// clock is a settable clock for the Scheduler and the spool.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is a spool, a fake clock and DNS where example.test's MX and
// example.org's MX (the senders' domain, where DSNs go) are sinks.
type world struct {
	clk    *clock
	spool  *queue.Spool
	dialer *dialer
	sched  *Scheduler
}

const lifetime = 2 * time.Hour

func newWorld(t *testing.T, dest, senders *sink) *world {
	t.Helper()
	clk := newClock()
	spool, err := queue.Open(t.TempDir(), queue.Options{Now: clk.Now, Lifetime: lifetime, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { spool.Close() })
	routes := map[string]string{}
	if dest != nil {
		routes["192.0.2.10:25"] = dest.addr
	}
	if senders != nil {
		routes["192.0.2.30:25"] = senders.addr
	}
	d := &dialer{routes: routes}
	c := testClient(map[string][]string{
		"example.test MX":   {"10 mx.example.test."},
		"mx.example.test A": {"192.0.2.10"},
		"example.org MX":    {"10 mx.example.org."},
		"mx.example.org A":  {"192.0.2.30"},
		"null.test MX":      {"0 ."},
		"other.test MX":     {"10 mx.other.test."},
		"mx.other.test A":   {"192.0.2.10"},
	}, d)
	return &world{clk: clk, spool: spool, dialer: d, sched: &Scheduler{
		Store:    spool,
		Client:   c,
		Now:      clk.Now,
		Hostname: "relay.example.org",
		Schedule: []time.Duration{time.Minute, 30 * time.Minute},
	}}
}

func (w *world) enqueue(t *testing.T, from string, to ...string) *queue.Item {
	t.Helper()
	it, err := w.spool.Enqueue(from, to, []byte(testBody))
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (w *world) runOnce(t *testing.T) {
	t.Helper()
	if err := w.sched.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (w *world) items(t *testing.T) []*queue.Item {
	t.Helper()
	items, err := w.spool.List()
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// dsn returns the only queued item, which must be a DSN, and its body.
func (w *world) dsn(t *testing.T, to string) string {
	t.Helper()
	items := w.items(t)
	if len(items) != 1 || items[0].From != "" || len(items[0].Recipients) != 1 || items[0].Recipients[0].Addr != to {
		t.Fatalf("queue holds %+v, want one DSN from <> to %s", items, to)
	}
	body, err := w.spool.Body(items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestSchedulerRetryThenDeliver(t *testing.T) {
	dest := newSink(t, sinkConfig{Data: func(n int) error {
		if n == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}})
	w := newWorld(t, dest, nil)
	it := w.enqueue(t, "alice@example.org", "bob@example.test")
	start := w.clk.Now()

	w.runOnce(t)
	got, err := w.spool.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []queue.Recipient{{Addr: "bob@example.test", Status: queue.Pending, Attempts: 1,
		NextAttempt: start.Add(time.Minute), LastCode: 451, LastError: "4.3.0 try again later"}}
	if diff := cmp.Diff(want, got.Recipients); diff != "" {
		t.Fatalf("after the first run (-want +got):\n%s", diff)
	}

	// Not due yet: nothing happens.
	w.clk.Advance(30 * time.Second)
	w.runOnce(t)
	if n := len(dest.messages()); n != 0 {
		t.Fatalf("sink has %d messages before the retry, want 0", n)
	}

	w.clk.Advance(31 * time.Second)
	w.runOnce(t)
	if n := len(dest.messages()); n != 1 {
		t.Fatalf("sink has %d messages after the retry, want 1", n)
	}
	if items := w.items(t); len(items) != 0 {
		t.Errorf("queue still holds %+v after delivery", items)
	}
}

func TestSchedulerBounce(t *testing.T) {
	tests := []struct {
		name       string
		rcpt       string
		wantStatus string
		wantDiag   string
		wantDials  int64
	}{
		{name: "550", rcpt: "unknown@example.test", wantStatus: "5.1.1", wantDiag: "smtp; 550 5.1.1 no such user", wantDials: 1},
		{name: "null MX", rcpt: "bob@null.test", wantStatus: "5.1.10", wantDials: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := newSink(t, sinkConfig{Rcpt: func(to string) error {
				if strings.HasPrefix(to, "unknown@") {
					return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
				}
				return nil
			}})
			senders := newSink(t, sinkConfig{})
			w := newWorld(t, dest, senders)
			w.enqueue(t, "alice@example.org", tc.rcpt)
			w.runOnce(t)
			if n := w.dialer.dials.Load(); n != tc.wantDials {
				t.Errorf("dialled %d times, want %d", n, tc.wantDials)
			}
			r := parseDSN(t, []byte(w.dsn(t, "alice@example.org")))
			if len(r.recipients) != 1 {
				t.Fatalf("DSN has %d recipients, want 1", len(r.recipients))
			}
			rf := r.recipients[0]
			if got := rf.Get("Status"); got != tc.wantStatus {
				t.Errorf("Status = %q, want %q", got, tc.wantStatus)
			}
			if got := rf.Get("Final-Recipient"); got != "rfc822; "+tc.rcpt {
				t.Errorf("Final-Recipient = %q", got)
			}
			if got := rf.Get("Diagnostic-Code"); got != tc.wantDiag {
				t.Errorf("Diagnostic-Code = %q, want %q", got, tc.wantDiag)
			}

			// The next run delivers the DSN to the sender, from <>.
			w.runOnce(t)
			msgs := senders.messages()
			if len(msgs) != 1 || msgs[0].From != "" || !cmp.Equal(msgs[0].To, []string{"alice@example.org"}) {
				t.Fatalf("sender's MX got %+v, want the DSN from <>", msgs)
			}
			if items := w.items(t); len(items) != 0 {
				t.Errorf("queue still holds %+v", items)
			}
		})
	}
}

func TestSchedulerNullSenderGetsNoDSN(t *testing.T) {
	dest := newSink(t, sinkConfig{Rcpt: func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}})
	w := newWorld(t, dest, nil)
	w.enqueue(t, "", "unknown@example.test")
	w.runOnce(t)
	if items := w.items(t); len(items) != 0 {
		t.Errorf("queue holds %+v, want nothing (no DSN for the null sender)", items)
	}
}

func TestSchedulerExpiry(t *testing.T) {
	dest := newSink(t, sinkConfig{Data: func(int) error {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}})
	w := newWorld(t, dest, nil)
	it := w.enqueue(t, "alice@example.org", "bob@example.test")

	w.runOnce(t) // attempt 1: retry in 1m
	w.clk.Advance(time.Minute)
	w.runOnce(t) // attempt 2: retry in 30m
	w.clk.Advance(30 * time.Minute)
	w.runOnce(t) // attempt 3: 30m would pass the expiry at 2h... not yet
	got, err := w.spool.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Recipients[0]; r.Status != queue.Pending || r.Attempts != 3 {
		t.Fatalf("after three attempts: %+v, want pending", r)
	}

	// The schedule repeats 30m; the attempt that would fall after the
	// expiry happens at the expiry instead.
	w.clk.Advance(30 * time.Minute)
	w.runOnce(t) // attempt 4 at 1h01m, next at 1h31m
	w.clk.Advance(30 * time.Minute)
	w.runOnce(t) // attempt 5 at 1h31m: 2h01m is past the expiry, so 2h
	got, err = w.spool.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Recipients[0]; !r.NextAttempt.Equal(it.Expires) {
		t.Fatalf("NextAttempt = %v, want the expiry %v", r.NextAttempt, it.Expires)
	}

	w.clk.Advance(29 * time.Minute)
	w.runOnce(t) // attempt 6 at 2h: fails temporarily at the expiry
	r := parseDSN(t, []byte(w.dsn(t, "alice@example.org")))
	rf := r.recipients[0]
	for field, want := range map[string]string{
		"Status":          "4.4.7",
		"Action":          "failed",
		"Final-Recipient": "rfc822; bob@example.test",
		"Diagnostic-Code": "smtp; 451 4.3.0 try again later",
	} {
		if got := rf.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if !strings.Contains(r.text, "delivery time expired") {
		t.Errorf("human-readable part does not say the delivery time expired:\n%s", r.text)
	}
	if n := len(dest.messages()); n != 0 {
		t.Errorf("sink has %d messages", n)
	}
}

// One item with recipients at two domains: one is delivered, the other
// waits; the item stays with both states recorded.
func TestSchedulerPartialDelivery(t *testing.T) {
	dest := newSink(t, sinkConfig{Rcpt: func(to string) error {
		if strings.HasSuffix(to, "@other.test") {
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		}
		return nil
	}})
	w := newWorld(t, dest, nil)
	it := w.enqueue(t, "alice@example.org", "bob@example.test", "carol@other.test")
	w.runOnce(t)
	got, err := w.spool.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []queue.Recipient{
		{Addr: "bob@example.test", Status: queue.Delivered, Attempts: 1, NextAttempt: it.Received, LastCode: 250, LastError: "2.0.0 OK: queued"},
		{Addr: "carol@other.test", Status: queue.Pending, Attempts: 1, NextAttempt: it.Received.Add(time.Minute), LastCode: 452, LastError: "4.2.2 mailbox full"},
	}
	if diff := cmp.Diff(want, got.Recipients); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	if got.DSNSent {
		t.Error("DSNSent set without a failure")
	}
}

func TestSchedulerPerDestination(t *testing.T) {
	dest := newSink(t, sinkConfig{Hold: 60 * time.Millisecond})
	w := newWorld(t, dest, nil)
	w.sched.PerDestination = 2
	for i := range 6 {
		w.enqueue(t, "alice@example.org", fmt.Sprintf("user%d@example.test", i))
	}
	w.runOnce(t)
	if n := len(dest.messages()); n != 6 {
		t.Fatalf("sink got %d messages, want 6", n)
	}
	if p := dest.peak(); p != 2 {
		t.Errorf("peak concurrent sessions = %d, want 2", p)
	}
}

// errStore fails Enqueue, so that DSNs cannot be queued.
type errStore struct{ *queue.Spool }

func (errStore) Enqueue(string, []string, []byte) (*queue.Item, error) {
	return nil, errors.New("disk full")
}

// A failure whose DSN cannot be queued is not recorded as final: the
// recipient goes back to Pending and fails again, with its DSN, later.
func TestSchedulerDSNEnqueueFailure(t *testing.T) {
	dest := newSink(t, sinkConfig{Rcpt: func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}})
	w := newWorld(t, dest, nil)
	it := w.enqueue(t, "alice@example.org", "unknown@example.test")
	w.sched.Store = errStore{w.spool}
	w.runOnce(t)
	got, err := w.spool.Get(it.ID)
	if err != nil {
		t.Fatalf("item gone although its DSN was never queued: %v", err)
	}
	if r := got.Recipients[0]; r.Status != queue.Pending || got.DSNSent {
		t.Fatalf("recipient %+v DSNSent=%v, want pending without DSN", r, got.DSNSent)
	}
	w.sched.Store = w.spool
	w.clk.Advance(time.Minute)
	w.runOnce(t)
	w.dsn(t, "alice@example.org")
}

func TestRunDeliversAndStops(t *testing.T) {
	dest := newSink(t, sinkConfig{})
	w := newWorld(t, dest, nil)
	w.enqueue(t, "alice@example.org", "bob@example.test")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.sched.Run(ctx, 5*time.Millisecond) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(dest.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if len(dest.messages()) != 1 {
		t.Errorf("sink got %d messages, want 1", len(dest.messages()))
	}
}

// When Run's context ends, a delivery in flight finishes within the
// shutdown timeout, or is cut off after it and retried later.
func TestRunShutdown(t *testing.T) {
	tests := []struct {
		name          string
		hold, timeout time.Duration
		delivered     bool
	}{
		{name: "in-flight delivery finishes", hold: 300 * time.Millisecond, timeout: 5 * time.Second, delivered: true},
		{name: "cut off after the timeout", hold: 3 * time.Second, timeout: 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := newSink(t, sinkConfig{Hold: tc.hold})
			w := newWorld(t, dest, nil)
			w.sched.ShutdownTimeout = tc.timeout
			it := w.enqueue(t, "alice@example.org", "bob@example.test")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.sched.Run(ctx, time.Hour) }()
			time.Sleep(100 * time.Millisecond) // the delivery is in DATA now
			cancel()
			start := time.Now()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return")
			}
			if tc.delivered {
				if _, err := w.spool.Get(it.ID); !errors.Is(err, queue.ErrNotFound) {
					t.Errorf("item still queued (%v) although its delivery finished", err)
				}
				return
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Run took %v to return, want about the shutdown timeout", took)
			}
			got, err := w.spool.Get(it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r := got.Recipients[0]; r.Status != queue.Pending || r.Attempts != 1 {
				t.Errorf("recipient %+v, want pending after one cut-off attempt", r)
			}
		})
	}
}
