package cloudflare

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers/cloudflare/cftest"
)

// testToken is the fake's valid token. Tests assert that it never shows in
// an error or a diagnostic.
const testToken = "cftest-0123456789-abcdefghijklmnopqrstuv"

// newFake starts a fake API that knows testToken and the given zones.
func newFake(t testing.TB, zones ...string) *cftest.Server {
	t.Helper()
	srv := cftest.New(t)
	srv.AddToken(testToken, cftest.Token{})
	for _, z := range zones {
		srv.AddZone(z)
	}
	return srv
}

// sleeper records the waits a client asks for instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeper) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newClient returns a client of the fake that never really sleeps; edit
// adjusts its options (srv may be nil when edit sets HTTPClient).
func newClient(t testing.TB, srv *cftest.Server, edit ...func(*Options)) *Client {
	t.Helper()
	s := &sleeper{}
	opts := Options{APIToken: testToken, Sleep: s.sleep}
	if srv != nil {
		opts.HTTPClient = srv.Client()
	}
	for _, e := range edit {
		e(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seed adds records to the fake, failing the test on a refused one.
func seed(t testing.TB, srv *cftest.Server, zone string, recs ...cftest.Record) {
	t.Helper()
	for _, r := range recs {
		if _, err := srv.AddRecord(zone, r); err != nil {
			t.Fatalf("seeding %s %s: %v", r.Name, r.Type, err)
		}
	}
}

func cftestRecord(name, typ, content string) cftest.Record {
	return cftest.Record{Name: name, Type: typ, Content: content, TTL: 3600}
}

// recordCmp compares libdns records: addresses by value, service
// parameters by their presentation form.
var recordCmp = cmp.Options{
	cmpopts.EquateComparable(netip.Addr{}),
	cmp.Comparer(func(a, b libdns.SvcParams) bool { return a.String() == b.String() }),
}
