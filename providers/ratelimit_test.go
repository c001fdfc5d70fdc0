package providers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/cloudflare"
	"github.com/mailconf/mailconf/providers/cloudflare/cftest"
	"github.com/mailconf/mailconf/providers/memory"
	"github.com/mailconf/mailconf/providers/route53"
	"github.com/mailconf/mailconf/providers/route53/r53test"
)

// fakeClock is a Clock whose Sleep moves its time instead of waiting, and
// remembers when each caller was let through.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	waited time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waited += d
	return nil
}

// elapsed is the simulated time since the clock started.
func (c *fakeClock) elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited
}

// near reports whether got is want within a microsecond per call: the
// limiter computes in float seconds.
func near(got, want time.Duration, calls int) bool {
	d := got - want
	return d < time.Duration(calls)*time.Microsecond && d > -time.Duration(calls)*time.Microsecond
}

// TestRateLimitCloudflareFake: calls to a Cloudflare client of the fake
// API go out in a burst of 20, then one every 300 s / 1,180, all on the
// simulated clock.
func TestRateLimitCloudflareFake(t *testing.T) {
	srv := cftest.New(t)
	const token = "cftest-ratelimit-0123456789-abcdefghijkl"
	srv.AddToken(token, cftest.Token{})
	srv.AddZone("example.com")
	c, err := cloudflare.New(cloudflare.Options{APIToken: token, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	lc := providers.WithLimiter(c, providers.NewLimiter(providers.CloudflareLimit, clock))
	ctx := context.Background()

	for i := range providers.CloudflareLimit.Burst {
		if _, err := lc.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
		if clock.elapsed() != 0 {
			t.Fatalf("call %d of the burst waited %s", i+1, clock.elapsed())
		}
	}
	const more = 100
	for range more {
		if _, err := lc.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
	}
	want := time.Duration(more) * 300 * time.Second / 1180
	if got := clock.elapsed(); !near(got, want, more) {
		t.Errorf("%d calls past the burst waited %s in all, want %s", more, got, want)
	}
	if got := srv.TotalRequests(); got < providers.CloudflareLimit.Burst+more {
		t.Errorf("the fake API saw %d requests for %d calls", got, providers.CloudflareLimit.Burst+more)
	}
}

// TestRateLimitRoute53Fake: calls to a Route 53 client of the fake API go
// out 200 ms apart on the simulated clock.
func TestRateLimitRoute53Fake(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROUTE_53"} {
		t.Setenv(k, "")
	}
	srv := r53test.New(t)
	srv.AddZone("example.com.", false)
	c := route53.New(route53.Options{
		Region: r53test.Region, AccessKeyID: r53test.AccessKeyID, SecretAccessKey: r53test.SecretAccessKey,
		Endpoint: srv.URL, MaxBackoff: time.Millisecond,
	})
	clock := newFakeClock()
	lc := providers.WithLimiter(c, providers.NewLimiter(providers.Route53Limit, clock))
	ctx := context.Background()
	const calls = 11
	for range calls {
		if _, err := lc.GetRecords(ctx, "example.com."); err != nil {
			t.Fatal(err)
		}
	}
	// The first goes at once, the other ten 200 ms apart.
	if got, want := clock.elapsed(), 2*time.Second; !near(got, want, calls) {
		t.Errorf("%d calls waited %s, want %s", calls, got, want)
	}
	if got := srv.Requests(""); got < calls {
		t.Errorf("the fake API saw %d requests for %d calls", got, calls)
	}
}

// TestRateLimitWindows: the published limits hold in every window of their length: at most 1,200 Cloudflare
// requests in any five minutes, at most 5 Route 53 requests in any second.
func TestRateLimitWindows(t *testing.T) {
	tests := []struct {
		name   string
		limit  providers.Limit
		calls  int
		window time.Duration
		most   int
	}{
		{"cloudflare", providers.CloudflareLimit, 4000, 5 * time.Minute, 1200},
		{"route53", providers.Route53Limit, 200, time.Second, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := providers.NewLimiter(tt.limit, clock)
			// One caller, so that the simulated clock is the time each
			// request went: the bucket itself (golang.org/x/time/rate)
			// serialises concurrent callers.
			var times []time.Time
			for range tt.calls {
				if err := l.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
				times = append(times, clock.Now())
			}
			// A sliding window [times[i], times[i]+window).
			j, worst := 0, 0
			for i := range times {
				for j < len(times) && times[j].Sub(times[i]) < tt.window {
					j++
				}
				worst = max(worst, j-i)
			}
			if worst > tt.most {
				t.Errorf("%d requests in one window of %s, the limit is %d", worst, tt.window, tt.most)
			}
			if worst < tt.most*9/10 {
				t.Errorf("at most %d requests in a window of %s: the limiter wastes the limit of %d", worst, tt.window, tt.most)
			}
		})
	}
}

// TestRateLimitContext: a wait that would outlast the context's deadline
// fails at once, a cancelled wait fails, both as temporary errors, and
// neither keeps its token.
func TestRateLimitContext(t *testing.T) {
	mem := memory.New(map[string][]libdns.Record{"example.com.": nil})
	clock := newFakeClock()
	// One request per two hours.
	lc := providers.WithLimiter(mem, providers.NewLimiter(providers.Limit{Rate: 1.0 / 7200, Burst: 1}, clock))
	if _, err := lc.GetRecords(context.Background(), "example.com."); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, err := lc.GetRecords(ctx, "example.com.")
	if !providers.IsTemporary(err) || !strings.Contains(err.Error(), "past the deadline") {
		t.Errorf("a wait of 2 h under a deadline of 1 h: %v, want a temporary error", err)
	}
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	_, err = lc.GetRecords(cancelled, "example.com.")
	if !providers.IsTemporary(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait: %v, want a temporary error wrapping context.Canceled", err)
	}
	if clock.elapsed() != 0 {
		t.Fatalf("the failed waits moved the clock by %s", clock.elapsed())
	}
	// The failed calls gave their tokens back: the next waits two hours,
	// not six.
	if _, err := lc.GetRecords(context.Background(), "example.com."); err != nil {
		t.Fatal(err)
	}
	if got := clock.elapsed(); !near(got, 2*time.Hour, 3) {
		t.Errorf("the next call waited %s, want 2h0m0s", got)
	}
}

// TestRateLimitRegistry: the registry limits the Cloudflare and Route 53
// blocks, each with a bucket of its own, keeps their zone listing and
// concurrency, and reads requests_per_second.
func TestRateLimitRegistry(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		want  providers.Limit
		conc  int
		diags string
	}{
		{name: "cloudflare", src: `provider "cloudflare" "cf" {
  api_token = "cf-token-0123456789abcdefghijklmnopqrstuvwx"
}`, want: providers.CloudflareLimit, conc: providers.DefaultConcurrency},
		{name: "cloudflare requests_per_second", src: `provider "cloudflare" "cf" {
  api_token           = "cf-token-0123456789abcdefghijklmnopqrstuvwx"
  concurrency         = 7
  requests_per_second = 2
}`, want: providers.Limit{Rate: 2, Burst: 1}, conc: 7},
		{name: "route53", src: `provider "route53" "aws" {
  concurrency = 2
}`, want: providers.Route53Limit, conc: 2},
		{name: "route53 requests_per_second", src: `provider "route53" "aws" {
  requests_per_second = 0.5
}`, want: providers.Limit{Rate: 0.5, Burst: 1}, conc: providers.DefaultConcurrency},
		{name: "zero", src: `provider "route53" "aws" {
  requests_per_second = 0
}`, diags: "Invalid requests_per_second: requests_per_second must be above 0 and at most 1000, such as 2 or 0.5; remove it to keep the provider's published limit (5 requests/s). (line 2, column 25)"},
		{name: "not a number", src: `provider "cloudflare" "cf" {
  api_token           = "cf-token-0123456789abcdefghijklmnopqrstuvwx"
  requests_per_second = "fast"
}`, diags: "Unsuitable value type"},
		{name: "unknown attribute still refused", src: `provider "route53" "aws" {
  requests_per_minute = 5
}`, diags: "Unsupported argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := decode(t, tt.src, t.TempDir())
			if tt.diags != "" {
				var got []string
				for _, d := range diagsOf(diags) {
					got = append(got, fmt.Sprintf("%s: %s (line %d, column %d)", d.Summary, d.Detail, d.Line, d.Column))
				}
				if !strings.Contains(strings.Join(got, "\n"), tt.diags) {
					t.Errorf("diagnostics %q, want %q", got, tt.diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			lc, ok := c.(providers.RateLimited)
			if !ok {
				t.Fatalf("the registry's %T is not rate limited", c)
			}
			if got := lc.Limiter().Limit(); got != tt.want {
				t.Errorf("limit %+v, want %+v", got, tt.want)
			}
			if _, ok := c.(libdns.ZoneLister); !ok {
				t.Error("the rate-limited client lost its zone listing")
			}
			if got := providers.ConcurrencyOf(c); got != tt.conc {
				t.Errorf("concurrency %d, want %d", got, tt.conc)
			}
			// Each block has a bucket of its own.
			again, _ := decode(t, tt.src, t.TempDir())
			if again.(providers.RateLimited).Limiter() == lc.Limiter() {
				t.Error("two blocks share one bucket")
			}
		})
	}
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{`provider "memory" "m" {}`, `provider "zonefile" "z" {
  dir = "zones"
}`} {
		c, diags := decode(t, src, base)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if _, ok := c.(providers.RateLimited); ok {
			t.Errorf("%s: rate limited, but it has no API limit", src)
		}
	}
}
