package providers

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/libdns/libdns"
	"golang.org/x/time/rate"
)

// Limit is a token bucket: Rate requests per second sustained, and up to
// Burst at once after a quiet spell.
type Limit struct {
	Rate  rate.Limit
	Burst int
}

// The API limits of the hosted providers, which RateLimitedFactory applies
// to each of their provider blocks.
//
// A token bucket of rate r and burst b lets at most b + r·T requests
// through in any span of time T, so Cloudflare's rate leaves room for its
// burst within the five-minute window.
var (
	// CloudflareLimit: "The global rate limit for the Cloudflare API is
	// 1,200 requests per five minutes per user" (Cloudflare API
	// documentation, "Rate limits"). A burst of 20 lets a plan of a few
	// zones go out at once; the rate, (1,200 - 20) / 300 s, keeps any five
	// minutes at 1,200 requests.
	CloudflareLimit = Limit{Rate: rate.Limit(1200-20) / 300, Burst: 20}
	// Route53Limit: "five requests per second per AWS account" to the
	// Route 53 API (Amazon Route 53 Developer Guide, "Quotas", "Quotas on
	// API requests"). A burst of 1 spaces the requests 200 ms apart.
	Route53Limit = Limit{Rate: 5, Burst: 1}
)

// MaxRequestsPerSecond bounds the requests_per_second attribute: a typo of
// a few zeros must not switch the limiter off.
const MaxRequestsPerSecond = 1000

// Clock is the time a Limiter waits on; nil in NewLimiter means the wall
// clock. Tests pass a fake whose Sleep only moves its Now.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Limiter is one provider block's token bucket. It is safe for concurrent
// use: concurrent callers queue for tokens in the order they asked.
type Limiter struct {
	limit Limit
	lim   *rate.Limiter
	clock Clock
}

// NewLimiter returns a full bucket of l, on clock (nil: the wall clock).
func NewLimiter(l Limit, clock Clock) *Limiter {
	if clock == nil {
		clock = wallClock{}
	}
	if l.Burst < 1 {
		l.Burst = 1
	}
	return &Limiter{limit: l, lim: rate.NewLimiter(l.Rate, l.Burst), clock: clock}
}

// Limit is the bucket's rate and burst.
func (l *Limiter) Limit() Limit { return l.limit }

// Wait takes one token, waiting on the clock until there is one. When ctx
// ends first, or its deadline comes before the token would, the token is
// given back and the error is temporary: running again later can succeed.
func (l *Limiter) Wait(ctx context.Context) error {
	now := l.clock.Now()
	r := l.lim.ReserveN(now, 1)
	if !r.OK() {
		// Burst is at least 1, so this is only a programming error.
		return fmt.Errorf("%w: rate limit %v/s of burst %d admits no request", ErrTemporary, float64(l.limit.Rate), l.limit.Burst)
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	// The deadline is on the wall clock, which the limiter's clock need
	// not be: compare the wait with the time left, not two instants.
	if deadline, ok := ctx.Deadline(); ok && d > time.Until(deadline) {
		r.CancelAt(now)
		return fmt.Errorf("%w: the provider's API rate limit (%.4g requests/s) would hold the request %s, past the deadline", ErrTemporary, float64(l.limit.Rate), d.Round(time.Millisecond))
	}
	if err := l.clock.Sleep(ctx, d); err != nil {
		r.CancelAt(l.clock.Now())
		return fmt.Errorf("%w: waiting for the provider's API rate limit: %w", ErrTemporary, err)
	}
	return nil
}

// RateLimited is a Client that takes a token of its Limiter before every
// call to the Client it wraps. One call counts as one request: the pages,
// zone look-ups and retries an adapter makes within a call are not
// counted, and the adapters back off on the provider's own rate-limit
// answers (HTTP 429, Throttling) for those.
type RateLimited interface {
	Client
	// Limiter is the bucket the calls wait on.
	Limiter() *Limiter
	// Unwrap is the Client the calls go to.
	Unwrap() Client
}

// WithLimiter wraps c so that every call waits on l first. The result
// lists zones when c does (libdns.ZoneLister) and has c's concurrency.
func WithLimiter(c Client, l *Limiter) RateLimited {
	base := &limited{c: c, l: l}
	if lister, ok := c.(libdns.ZoneLister); ok {
		return &limitedLister{limited: base, lister: lister}
	}
	return base
}

type limited struct {
	c Client
	l *Limiter
}

func (r *limited) Limiter() *Limiter { return r.l }
func (r *limited) Unwrap() Client    { return r.c }
func (r *limited) Concurrency() int  { return ConcurrencyOf(r.c) }

func (r *limited) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	if err := r.l.Wait(ctx); err != nil {
		return nil, err
	}
	return r.c.GetRecords(ctx, zone)
}

func (r *limited) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	if err := r.l.Wait(ctx); err != nil {
		return nil, err
	}
	return r.c.AppendRecords(ctx, zone, recs)
}

func (r *limited) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	if err := r.l.Wait(ctx); err != nil {
		return nil, err
	}
	return r.c.SetRecords(ctx, zone, recs)
}

func (r *limited) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	if err := r.l.Wait(ctx); err != nil {
		return nil, err
	}
	return r.c.DeleteRecords(ctx, zone, recs)
}

type limitedLister struct {
	*limited
	lister libdns.ZoneLister
}

func (r *limitedLister) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	if err := r.l.Wait(ctx); err != nil {
		return nil, err
	}
	return r.lister.ListZones(ctx)
}

// rateSchema is the attribute RateLimitedFactory reads from a provider
// block before the provider type decodes the rest.
var rateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "requests_per_second"}}}

// RateLimitedFactory wraps f so that each provider block's Client waits on
// a bucket of its own, of def, or, when the block sets
// requests_per_second (for an account with other limits, or to leave room
// for other tools), of that rate with a burst of 1. clock nil is the wall
// clock.
func RateLimitedFactory(f Factory, def Limit, clock Clock) Factory {
	return func(cfg Config) (Client, hcl.Diagnostics) {
		content, rest, diags := cfg.Body.PartialContent(rateSchema)
		limit := def
		if attr := content.Attributes["requests_per_second"]; attr != nil {
			var rps float64
			ds := gohcl.DecodeExpression(attr.Expr, cfg.EvalContext, &rps)
			diags = append(diags, ds...)
			switch {
			case ds.HasErrors():
			case rps <= 0 || rps > MaxRequestsPerSecond:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid requests_per_second",
					Detail:   fmt.Sprintf("requests_per_second must be above 0 and at most %d, such as 2 or 0.5; remove it to keep the provider's published limit (%.4g requests/s).", MaxRequestsPerSecond, float64(def.Rate)),
					Subject:  attr.Expr.Range().Ptr(),
					Context:  attr.Range.Ptr(),
				})
			default:
				limit = Limit{Rate: rate.Limit(rps), Burst: 1}
			}
		}
		cfg.Body = rest
		c, ds := f(cfg)
		diags = append(diags, ds...)
		if c == nil || diags.HasErrors() {
			return c, diags
		}
		return WithLimiter(c, NewLimiter(limit, clock)), diags
	}
}
