package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/cloudflare/cftest"
)

const (
	listRecords = "GET /zones/{zone_id}/dns_records"
	listZones   = "GET /zones"
	postRecord  = "POST /zones/{zone_id}/dns_records"
	patchRecord = "PATCH /zones/{zone_id}/dns_records/{dns_record_id}"
	delRecord   = "DELETE /zones/{zone_id}/dns_records/{dns_record_id}"
)

// TestPagination reads a zone of 250 records: three pages of 100.
func TestPagination(t *testing.T) {
	srv := newFake(t, "big.example")
	for i := range 250 {
		seed(t, srv, "big.example", cftestRecord(fmt.Sprintf("h%03d", i), "A", fmt.Sprintf("192.0.2.%d", i%250+1)))
	}
	c := newClient(t, srv)
	recs, err := c.GetRecords(context.Background(), "big.example.")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 250 {
		t.Errorf("GetRecords returned %d records, want 250", len(recs))
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.RR().Name] = true
	}
	if len(seen) != 250 {
		t.Errorf("GetRecords returned %d distinct names, want 250", len(seen))
	}
	want := map[string]int{listZones: 1, listRecords: 3}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestListZonesPagination lists 120 zones: three pages of 50, and no
// lookup afterwards when a listed zone is read.
func TestListZonesPagination(t *testing.T) {
	srv := newFake(t)
	for i := range 120 {
		srv.AddZone(fmt.Sprintf("z%03d.example", i))
	}
	c := newClient(t, srv)
	ctx := context.Background()
	zones, err := c.ListZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(zones) != 120 || zones[0].Name != "z000.example." || zones[119].Name != "z119.example." {
		t.Errorf("ListZones returned %d zones (%v ... ), want z000.example. to z119.example.", len(zones), zones[:min(3, len(zones))])
	}
	if _, err := c.GetRecords(ctx, "z042.example."); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{listZones: 3, listRecords: 1}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestZoneLookedUpOnce looks a zone up once for every operation on it.
func TestZoneLookedUpOnce(t *testing.T) {
	srv := newFake(t, "example.com")
	c := newClient(t, srv)
	ctx := context.Background()
	for range 3 {
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AppendRecords(ctx, "Example.COM", []libdns.Record{libdns.TXT{Name: "a", Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[listZones]; got != 1 {
		t.Errorf("%d zone lookups, want 1", got)
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	t.Run("retried after Retry-After", func(t *testing.T) {
		srv := newFake(t, "example.com")
		s := &sleeper{}
		c := newClient(t, srv, func(o *Options) { o.Sleep = s.sleep })
		srv.RateLimit(2, "3")
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatalf("GetRecords after two 429 answers: %v", err)
		}
		if diff := cmp.Diff([]time.Duration{3 * time.Second, 3 * time.Second}, s.all()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
		if got := srv.TotalRequests(); got != 4 {
			t.Errorf("%d requests, want 4: 2 refused, the zone lookup and the list", got)
		}
	})
	t.Run("HTTP date in Retry-After", func(t *testing.T) {
		srv := newFake(t, "example.com")
		s := &sleeper{}
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		c := newClient(t, srv, func(o *Options) { o.Sleep, o.Now = s.sleep, func() time.Time { return now } })
		srv.RateLimit(1, now.Add(7*time.Second).Format(http.TimeFormat))
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{7 * time.Second}, s.all()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
	t.Run("exponential backoff without Retry-After", func(t *testing.T) {
		srv := newFake(t, "example.com")
		s := &sleeper{}
		c := newClient(t, srv, func(o *Options) { o.Sleep, o.Backoff = s.sleep, time.Second })
		srv.RateLimit(3, "")
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, s.all()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
	t.Run("writes are retried too", func(t *testing.T) {
		srv := newFake(t, "example.com")
		c := newClient(t, srv)
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		srv.RateLimit(1, "1")
		if _, err := c.SetRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}}); err != nil {
			t.Fatal(err)
		}
		if got := srv.Requests()[postRecord]; got != 2 {
			t.Errorf("%d POSTs, want 2 (one refused)", got)
		}
		if got := len(srv.Records("example.com")); got != 1 {
			t.Errorf("zone holds %d records, want 1", got)
		}
	})
	t.Run("gives up after MaxAttempts", func(t *testing.T) {
		srv := newFake(t, "example.com")
		c := newClient(t, srv, func(o *Options) { o.MaxAttempts = 3 })
		srv.RateLimit(100, "1")
		_, err := c.GetRecords(ctx, "example.com.")
		checkErr(t, err, "HTTP 429", "after 3 attempts", "Please wait and consider throttling your request speed (code 971)", "retrying later may succeed")
		if !providers.IsTemporary(err) || !errors.Is(err, ErrRateLimited) {
			t.Errorf("error %v: want temporary and ErrRateLimited", err)
		}
		if got := srv.TotalRequests(); got != 3 {
			t.Errorf("%d requests, want 3", got)
		}
	})
	t.Run("a long Retry-After fails at once", func(t *testing.T) {
		srv := newFake(t, "example.com")
		s := &sleeper{}
		c := newClient(t, srv, func(o *Options) { o.Sleep = s.sleep })
		srv.RateLimit(100, "300")
		_, err := c.GetRecords(ctx, "example.com.")
		checkErr(t, err, "HTTP 429", "Cloudflare asks to wait 5m0s")
		if !providers.IsTemporary(err) {
			t.Errorf("error %v: want temporary", err)
		}
		if len(s.all()) != 0 || srv.TotalRequests() != 1 {
			t.Errorf("waited %v and sent %d requests; want no wait and one request", s.all(), srv.TotalRequests())
		}
	})
	t.Run("the context deadline comes first", func(t *testing.T) {
		srv := newFake(t, "example.com")
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c := newClient(t, srv)
		srv.RateLimit(100, "30")
		_, err := c.GetRecords(ctx, "example.com.")
		if !providers.IsTemporary(err) || srv.TotalRequests() != 1 {
			t.Errorf("error %v after %d requests; want a temporary error after 1", err, srv.TotalRequests())
		}
	})
}

func TestServerErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("reads are retried", func(t *testing.T) {
		srv := newFake(t, "example.com")
		c := newClient(t, srv)
		srv.Fail(2, http.StatusBadGateway)
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatalf("GetRecords after two 502 answers: %v", err)
		}
	})
	t.Run("a create is not retried", func(t *testing.T) {
		// A 5xx leaves unknown whether the record was created; sending
		// the POST again could create it twice.
		srv := newFake(t, "example.com")
		c := newClient(t, srv)
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		srv.Fail(1, http.StatusInternalServerError)
		_, err := c.SetRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: "v=DMARC1; p=none"}})
		checkErr(t, err, "cloudflare: zone example.com.: creating TXT _dmarc.example.com.", "HTTP 500", "retrying later may succeed")
		if !providers.IsTemporary(err) {
			t.Errorf("error %v: want temporary", err)
		}
		if got := srv.Requests()[postRecord]; got != 1 {
			t.Errorf("%d POSTs, want 1", got)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		c := newClient(t, nil, func(o *Options) {
			o.HTTPClient = doer(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 503, Header: http.Header{"Content-Type": {"text/html"}}, Body: http.NoBody}, nil
			})
			o.MaxAttempts = 1
		})
		_, err := c.GetRecords(ctx, "example.com.")
		checkErr(t, err, "HTTP 503", "not the API's JSON envelope (text/html)")
		if !providers.IsTemporary(err) {
			t.Errorf("error %v: want temporary", err)
		}
	})
	t.Run("no answer", func(t *testing.T) {
		c := newClient(t, nil, func(o *Options) {
			o.HTTPClient = doer(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset") })
		})
		_, err := c.GetRecords(ctx, "example.com.")
		checkErr(t, err, "no answer: connection reset", "after 5 attempts")
		if !providers.IsTemporary(err) {
			t.Errorf("error %v: want temporary", err)
		}
	})
}

type doer func(*http.Request) (*http.Response, error)

func (d doer) Do(r *http.Request) (*http.Response, error) { return d(r) }

// checkErr fails unless err holds every part, and never the token.
func checkErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q holds the token", err)
	}
}

// TestAuthErrors checks that refused credentials give a clear error that
// names the zone, says what to check, is permanent, and holds no token.
func TestAuthErrors(t *testing.T) {
	ctx := context.Background()
	const wrong = "wrong-token-abcdefghijklmnopqrstuvwxyz01"
	for _, tc := range []struct {
		name  string
		setup func(*cftest.Server)
		token string
		op    func(*Client) error
		parts []string
	}{
		{
			name:  "invalid token",
			token: wrong,
			op:    func(c *Client) error { _, err := c.GetRecords(ctx, "example.com."); return err },
			parts: []string{"cloudflare: zone example.com.: looking up its ID: GET /zones: HTTP 401 Unauthorized: Invalid API Token (code 1000)", "check that api_token"},
		},
		{
			name:  "read-only token writing",
			setup: func(s *cftest.Server) { s.AddToken(wrong, cftest.Token{ReadOnly: true}) },
			token: wrong,
			op: func(c *Client) error {
				_, err := c.AppendRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "x", Text: "y"}})
				return err
			},
			parts: []string{"cloudflare: zone example.com.: creating TXT x.example.com.: POST /zones/", "HTTP 403 Forbidden: Authentication error (code 10000)", "Zone:DNS:Edit"},
		},
		{
			name:  "invalid zone token",
			token: testToken,
			op: func(c *Client) error {
				c.opts.ZoneToken = wrong
				_, err := c.ListZones(ctx)
				return err
			},
			parts: []string{"cloudflare: listing zones: GET /zones: HTTP 401 Unauthorized: Invalid API Token (code 1000)", "check that zone_token"},
		},
		{
			name:  "token scoped to another zone",
			setup: func(s *cftest.Server) { s.AddToken(wrong, cftest.Token{Zones: []string{"other.example"}}) },
			token: wrong,
			op:    func(c *Client) error { _, err := c.GetRecords(ctx, "example.com."); return err },
			parts: []string{"zone example.com. is not in the account, or the token cannot see it"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t, "example.com", "other.example")
			if tc.setup != nil {
				tc.setup(srv)
			}
			c := newClient(t, srv, func(o *Options) { o.APIToken = tc.token })
			err := tc.op(c)
			checkErr(t, err, tc.parts...)
			if strings.Contains(err.Error(), wrong) {
				t.Errorf("error %q holds the token", err)
			}
			if providers.IsTemporary(err) {
				t.Errorf("error %v is temporary; retrying cannot cure credentials", err)
			}
			if got := srv.TotalRequests(); got > 2 {
				t.Errorf("%d requests; a refused token must not be retried", got)
			}
		})
	}
	t.Run("unknown zone", func(t *testing.T) {
		srv := newFake(t, "example.com")
		_, err := newClient(t, srv).GetRecords(ctx, "example.org.")
		if !errors.Is(err, providers.ErrNoZone) {
			t.Errorf("error %v: want providers.ErrNoZone", err)
		}
	})
}

// TestSetRecordsWrites checks which requests SetRecords makes: none for a
// set already as asked, a PATCH per record to change, a POST per record
// beyond those, a DELETE per record left over, and no read after
// GetRecords.
func TestSetRecordsWrites(t *testing.T) {
	ctx := context.Background()
	mx := func(pref uint16, host string, ttl time.Duration) libdns.Record {
		return libdns.MX{Name: "@", TTL: ttl, Preference: pref, Target: host}
	}
	for _, tc := range []struct {
		name   string
		seed   []cftest.Record
		set    []libdns.Record
		writes map[string]int
		want   []string // the zone's MX records afterwards
	}{
		{
			name:   "already as asked",
			seed:   []cftest.Record{{Name: "@", Type: "MX", Content: "mx1.example.net", Priority: 10, TTL: 3600}},
			set:    []libdns.Record{mx(10, "MX1.example.net.", time.Hour)},
			writes: map[string]int{},
			want:   []string{"10 mx1.example.net 3600"},
		},
		{
			name:   "TTL only",
			seed:   []cftest.Record{{Name: "@", Type: "MX", Content: "mx1.example.net", Priority: 10, TTL: 3600}},
			set:    []libdns.Record{mx(10, "mx1.example.net.", 2*time.Hour)},
			writes: map[string]int{patchRecord: 1},
			want:   []string{"10 mx1.example.net 7200"},
		},
		{
			name: "one kept, one replaced, one added",
			seed: []cftest.Record{
				{Name: "@", Type: "MX", Content: "mx1.example.net", Priority: 10, TTL: 3600},
				{Name: "@", Type: "MX", Content: "old.example.net", Priority: 20, TTL: 3600},
			},
			set:    []libdns.Record{mx(10, "mx1.example.net.", time.Hour), mx(20, "mx2.example.net.", time.Hour), mx(30, "mx3.example.net.", time.Hour)},
			writes: map[string]int{patchRecord: 1, postRecord: 1},
			want:   []string{"10 mx1.example.net 3600", "20 mx2.example.net 3600", "30 mx3.example.net 3600"},
		},
		{
			name: "fewer records",
			seed: []cftest.Record{
				{Name: "@", Type: "MX", Content: "mx1.example.net", Priority: 10, TTL: 3600},
				{Name: "@", Type: "MX", Content: "mx2.example.net", Priority: 20, TTL: 3600},
				{Name: "@", Type: "MX", Content: "mx3.example.net", Priority: 30, TTL: 3600},
			},
			set:    []libdns.Record{mx(0, ".", time.Hour)},
			writes: map[string]int{patchRecord: 1, delRecord: 2},
			want:   []string{"0 . 3600"},
		},
		{
			name:   "duplicates in the input count once",
			set:    []libdns.Record{mx(10, "mx1.example.net.", time.Hour), mx(10, "mx1.example.net", time.Hour)},
			writes: map[string]int{postRecord: 1},
			want:   []string{"10 mx1.example.net 3600"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t, "example.com")
			seed(t, srv, "example.com", tc.seed...)
			seed(t, srv, "example.com", cftest.Record{Name: "@", Type: "TXT", Content: `"unrelated"`, TTL: 1})
			c := newClient(t, srv)
			if _, err := c.GetRecords(ctx, "example.com."); err != nil {
				t.Fatal(err)
			}
			srv.ResetRequests()
			if _, err := c.SetRecords(ctx, "example.com.", tc.set); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.writes, srv.Requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			var got []string
			for _, r := range srv.Records("example.com") {
				if r.Type == "MX" {
					got = append(got, fmt.Sprintf("%d %s %d", r.Priority, r.Content, r.TTL))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MX records (-want +got):\n%s", diff)
			}
			if n := len(srv.Records("example.com")) - len(got); n != 1 {
				t.Errorf("%d other records, want the unrelated TXT alone", n)
			}
		})
	}
}

// TestProxiedLeftAsFound rewrites a proxied CNAME: the update keeps the
// proxy flag, a new CNAME is created DNS-only.
func TestProxiedLeftAsFound(t *testing.T) {
	ctx := context.Background()
	srv := newFake(t, "example.com")
	seed(t, srv, "example.com", cftest.Record{Name: "em123", Type: "CNAME", Content: "u1.wl.sendgrid.net", Proxied: true})
	c := newClient(t, srv)
	if _, err := c.SetRecords(ctx, "example.com.", []libdns.Record{
		libdns.CNAME{Name: "em123", TTL: time.Hour, Target: "u2.wl.sendgrid.net."},
		libdns.CNAME{Name: "s1._domainkey", TTL: time.Hour, Target: "s1.domainkey.u2.wl.sendgrid.net."},
	}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range srv.Records("example.com") {
		got[r.Name] = fmt.Sprintf("%s proxied=%t ttl=%d", r.Content, r.Proxied, r.TTL)
	}
	want := map[string]string{
		// Proxied records keep Cloudflare's automatic TTL.
		"em123.example.com":         "u2.wl.sendgrid.net proxied=true ttl=1",
		"s1._domainkey.example.com": "s1.domainkey.u2.wl.sendgrid.net proxied=false ttl=3600",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	// The TTL of a proxied record cannot be set: asking for another one
	// sends nothing.
	srv.ResetRequests()
	if _, err := c.SetRecords(ctx, "example.com.", []libdns.Record{libdns.CNAME{Name: "em123", TTL: 2 * time.Hour, Target: "u2.wl.sendgrid.net."}}); err != nil {
		t.Fatal(err)
	}
	if n := writesOf(srv.Requests()); n != 0 {
		t.Errorf("%d writes to change the TTL of a proxied record, want none", n)
	}
}

// TestAutoTTL reads automatic TTLs as AutoTTL and treats a desired
// AutoTTL (or 0) as equal to automatic.
func TestAutoTTL(t *testing.T) {
	ctx := context.Background()
	srv := newFake(t, "example.com")
	seed(t, srv, "example.com", cftest.Record{Name: "_dmarc", Type: "TXT", Content: `"v=DMARC1; p=reject"`, TTL: 1})
	c := newClient(t, srv)
	recs, err := c.GetRecords(ctx, "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	if ttl := recs[0].RR().TTL; ttl != AutoTTL {
		t.Errorf("automatic TTL read as %s, want %s", ttl, AutoTTL)
	}
	for _, ttl := range []time.Duration{0, AutoTTL} {
		srv.ResetRequests()
		if _, err := c.SetRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "_dmarc", TTL: ttl, Text: "v=DMARC1; p=reject"}}); err != nil {
			t.Fatal(err)
		}
		if n := writesOf(srv.Requests()); n != 0 {
			t.Errorf("TTL %s against automatic: %d writes, want none", ttl, n)
		}
	}
	if _, err := c.SetRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: "v=DMARC1; p=reject"}}); err != nil {
		t.Fatal(err)
	}
	if r := srv.Records("example.com")[0]; r.TTL != 3600 {
		t.Errorf("TTL after setting an hour: %d, want 3600", r.TTL)
	}
}

// TestSnapshot checks when SetRecords and DeleteRecords trust what
// GetRecords read, and when they read again.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	spf := []libdns.Record{libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}}
	t.Run("no GetRecords before", func(t *testing.T) {
		srv := newFake(t, "example.com")
		c := newClient(t, srv)
		if _, err := c.SetRecords(ctx, "example.com.", spf); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{listZones: 1, listRecords: 1, postRecord: 1}
		if diff := cmp.Diff(want, srv.Requests()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
	t.Run("stale snapshot", func(t *testing.T) {
		srv := newFake(t, "example.com")
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		c := newClient(t, srv, func(o *Options) {
			o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		})
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		// Someone adds a record after the read.
		seed(t, srv, "example.com", cftest.Record{Name: "@", Type: "TXT", Content: `"v=spf1 +all"`})
		mu.Lock()
		now = now.Add(11 * time.Minute)
		mu.Unlock()
		srv.ResetRequests()
		if _, err := c.SetRecords(ctx, "example.com.", spf); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{listRecords: 1, patchRecord: 1}
		if diff := cmp.Diff(want, srv.Requests()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
	t.Run("own writes kept in the snapshot", func(t *testing.T) {
		srv := newFake(t, "example.com")
		c := newClient(t, srv)
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AppendRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 ~all"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SetRecords(ctx, "example.com.", spf); err != nil {
			t.Fatal(err)
		}
		deleted, err := c.DeleteRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "@"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(deleted) != 1 || deleted[0].(libdns.TXT).Text != "v=spf1 -all" {
			t.Errorf("deleted %v, want the SPF record set before", deleted)
		}
		want := map[string]int{listZones: 1, listRecords: 1, postRecord: 1, patchRecord: 1, delRecord: 1}
		if diff := cmp.Diff(want, srv.Requests()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
	t.Run("a failed write forgets the snapshot", func(t *testing.T) {
		srv := newFake(t, "example.com")
		c := newClient(t, srv)
		if _, err := c.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		srv.Fail(1, http.StatusInternalServerError)
		if _, err := c.SetRecords(ctx, "example.com.", spf); err == nil {
			t.Fatal("no error from a refused write")
		}
		srv.ResetRequests()
		if _, err := c.SetRecords(ctx, "example.com.", spf); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{listRecords: 1, postRecord: 1}
		if diff := cmp.Diff(want, srv.Requests()); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
}

// TestDeleteRecords checks the libdns matching rules against the API's
// forms: wildcards on type, TTL and data; TXT by joined text; hosts by
// canonical form.
func TestDeleteRecords(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		del  []libdns.Record
		left []string // in the fake's order: by name, then type
	}{
		{"by name only", []libdns.Record{libdns.RR{Name: "@"}}, []string{"TXT _dmarc.example.com"}},
		{"by name and type", []libdns.Record{libdns.RR{Name: "@", Type: "TXT"}}, []string{"TXT _dmarc.example.com", "MX example.com"}},
		{"TXT by joined text", []libdns.Record{libdns.TXT{Name: "@", Text: "v=spf1 -all"}}, []string{"TXT _dmarc.example.com", "MX example.com"}},
		{"wrong TTL matches nothing", []libdns.Record{libdns.TXT{Name: "@", TTL: time.Minute, Text: "v=spf1 -all"}}, []string{"TXT _dmarc.example.com", "MX example.com", "TXT example.com"}},
		{"automatic TTL as 300", []libdns.Record{libdns.MX{Name: "@", TTL: AutoTTL, Preference: 10, Target: "MX.example.net"}}, []string{"TXT _dmarc.example.com", "TXT example.com"}},
		{"nothing matches", []libdns.Record{libdns.TXT{Name: "nope", Text: "x"}}, []string{"TXT _dmarc.example.com", "MX example.com", "TXT example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t, "example.com")
			seed(t, srv, "example.com",
				cftest.Record{Name: "@", Type: "TXT", Content: `"v=spf1" " -all"`, TTL: 3600},
				cftest.Record{Name: "@", Type: "MX", Content: "mx.example.net", Priority: 10, TTL: 1},
				cftest.Record{Name: "_dmarc", Type: "TXT", Content: `"v=DMARC1; p=none"`, TTL: 3600},
			)
			if _, err := newClient(t, srv).DeleteRecords(ctx, "example.com.", tc.del); err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, r := range srv.Records("example.com") {
				left = append(left, r.Type+" "+r.Name)
			}
			if diff := cmp.Diff(tc.left, left); diff != "" {
				t.Errorf("records left (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInvalidInput refuses records the zone cannot hold, before any write.
func TestInvalidInput(t *testing.T) {
	ctx := context.Background()
	srv := newFake(t, "example.com")
	c := newClient(t, srv)
	for _, tc := range []struct {
		name string
		rec  libdns.Record
		is   error
	}{
		{"outside the zone", libdns.TXT{Name: "www.example.org.", Text: "x"}, providers.ErrOutsideZone},
		{"no name", libdns.TXT{Text: "x"}, providers.ErrInvalidRecord},
		{"bad MX", libdns.RR{Name: "@", Type: "MX", Data: "ten mx.example.net."}, providers.ErrInvalidRecord},
		{"no data", libdns.RR{Name: "@", Type: "PTR"}, providers.ErrInvalidRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SetRecords(ctx, "example.com.", []libdns.Record{tc.rec})
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %v", err, tc.is)
			}
		})
	}
	if n := writesOf(srv.Requests()); n != 0 {
		t.Errorf("%d writes for invalid input", n)
	}
}

// TestConcurrencyBound never has more requests in flight than the
// concurrency allows.
func TestConcurrencyBound(t *testing.T) {
	srv := newFake(t)
	for i := range 12 {
		srv.AddZone(fmt.Sprintf("z%02d.example", i))
	}
	var mu sync.Mutex
	inFlight, peak := 0, 0
	base := srv.Client()
	c := newClient(t, srv, func(o *Options) {
		o.Concurrency = 3
		o.HTTPClient = doer(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
			return base.Do(r)
		})
	})
	if c.Concurrency() != 3 {
		t.Errorf("Concurrency() = %d, want 3", c.Concurrency())
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if _, err := c.GetRecords(context.Background(), fmt.Sprintf("z%02d.example.", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak > 3 {
		t.Errorf("%d requests in flight at once, want at most 3", peak)
	}
}
