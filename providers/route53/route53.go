// Package route53 is mailconf's adapter for Amazon Route 53: the libdns
// record interfaces (get, append, set, delete, list zones) over the Route 53
// API (version 2013-04-01) through the AWS SDK for Go v2, the same SDK and
// record-set approach as github.com/libdns/route53.
//
// Route 53 stores record sets, not records: one name and type, one TTL
// (which RFC 2181 section 5.2 requires of an RRset anyway), and a list of
// values. Every write here therefore rewrites whole record sets, and does so
// in a single ChangeResourceRecordSets batch, which Route 53 applies all or
// nothing: a set is replaced by DELETE of exactly the values just read plus
// CREATE of the new ones, so that a write racing another writer fails
// instead of silently dropping the other writer's values, and a failed batch
// leaves the zone as it was. TXT values are written as Route 53 wants them:
// quoted character-strings of at most 255 octets (RFC 1035 section
// 3.3.14), escaped with Route 53's octal escapes.
//
// The package must never change a record set the caller did not name, never
// replace an alias or routing-policy record set (they have no plain DNS
// form), never pick a private hosted zone unless hosted_zone_id names it,
// never contact AWS when a provider is configured (only when used), and
// never put a secret access key or session token into an error or
// diagnostic.
package route53

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
)

// Defaults of Options.
const (
	// DefaultRegion signs requests when neither the provider block nor the
	// AWS configuration names a region: Route 53 is a global service whose
	// API lives in us-east-1 for the aws partition.
	DefaultRegion = "us-east-1"
	// DefaultMaxAttempts bounds the attempts of one API call, the first
	// included, when Route 53 throttles or fails temporarily.
	DefaultMaxAttempts = 5
	// DefaultMaxBackoff caps the SDK's exponential backoff between attempts.
	DefaultMaxBackoff = 20 * time.Second
	// DefaultPageSize is the number of record sets asked for per
	// ListResourceRecordSets call: 300 is the most Route 53 returns.
	DefaultPageSize = 300
	// DefaultAttemptTimeout bounds one HTTP attempt, so a hung connection
	// becomes a retried timeout instead of a stuck apply.
	DefaultAttemptTimeout = 30 * time.Second
	// DefaultSyncPoll is the interval between GetChange calls when waiting
	// for a change to be INSYNC.
	DefaultSyncPoll = 5 * time.Second
)

// Options configure a Provider. The zero value uses the AWS configuration
// chain (environment, shared files, SSO, container and instance roles) for
// credentials and region.
type Options struct {
	// Region signs the requests; empty means the AWS configuration's
	// region, or DefaultRegion.
	Region string
	// Profile selects a profile of the shared AWS configuration files.
	Profile string
	// AccessKeyID, SecretAccessKey and optional SessionToken are static
	// credentials; when empty, the AWS credential chain is used.
	AccessKeyID, SecretAccessKey, SessionToken string
	// HostedZoneID pins the provider to one hosted zone (with or without the
	// "/hostedzone/" prefix), for instance a private zone, or one of several
	// public zones with the same name.
	HostedZoneID string
	// Concurrency is the number of zones mailconf works on at once through
	// this provider; 0 means providers.DefaultConcurrency.
	Concurrency int
	// Endpoint replaces the Route 53 API endpoint (a base URL), for tests
	// and API-compatible services.
	Endpoint string
	// HTTPClient sends the requests; nil means the SDK's client with a
	// DefaultAttemptTimeout limit per attempt.
	HTTPClient *http.Client
	// MaxAttempts and MaxBackoff tune the SDK's retryer (exponential
	// backoff with jitter, always bounded by the context); zero means the
	// defaults above.
	MaxAttempts int
	MaxBackoff  time.Duration
	// PageSize is the maxitems of ListResourceRecordSets; 0 means
	// DefaultPageSize.
	PageSize int
	// WaitForSync makes every write wait until GetChange reports the change
	// INSYNC on all Route 53 servers, polling every SyncPoll (0 means
	// DefaultSyncPoll), for as long as the context allows.
	WaitForSync bool
	SyncPoll    time.Duration
}

// Provider is a Route 53 client implementing mailconf's providers.Client,
// libdns.ZoneLister and providers.Concurrent. It is safe for concurrent
// use. The AWS SDK client is built on first use, so that building a
// Provider reads no file and contacts nothing.
type Provider struct {
	opts Options

	initMu sync.Mutex
	api    *r53.Client

	zonesMu sync.Mutex
	zoneIDs map[string]string // zone name -> hosted zone ID
	pinned  string            // the zone name of opts.HostedZoneID, once known

	// locks serialize the read-modify-write cycles of one process on one
	// owner name of one hosted zone; the DELETE of exactly the values read
	// protects against other processes.
	locks sync.Map // lockKey -> *sync.Mutex
}

var (
	_ providers.Client     = (*Provider)(nil)
	_ providers.Concurrent = (*Provider)(nil)
	_ libdns.ZoneLister    = (*Provider)(nil)
)

// New returns a Provider. It contacts nothing and reads no file: the AWS
// configuration is loaded on first use.
func New(opts Options) *Provider {
	opts.HostedZoneID = hostedZoneID(strings.TrimSpace(opts.HostedZoneID))
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.PageSize <= 0 || opts.PageSize > DefaultPageSize {
		opts.PageSize = DefaultPageSize
	}
	if opts.SyncPoll <= 0 {
		opts.SyncPoll = DefaultSyncPoll
	}
	return &Provider{opts: opts, zoneIDs: map[string]string{}}
}

// Concurrency is the provider block's `concurrency`, or
// providers.DefaultConcurrency. Route 53 allows five API requests per
// second per account, so more rarely helps.
func (p *Provider) Concurrency() int {
	if p.opts.Concurrency > 0 {
		return p.opts.Concurrency
	}
	return providers.DefaultConcurrency
}

// client returns the SDK client, loading the AWS configuration the first
// time. A failure is not remembered: the configuration files may be fixed
// between two calls of a long-running process.
func (p *Provider) client(ctx context.Context) (*r53.Client, error) {
	p.initMu.Lock()
	defer p.initMu.Unlock()
	if p.api != nil {
		return p.api, nil
	}
	o := p.opts
	var load []func(*config.LoadOptions) error
	if o.Region != "" {
		load = append(load, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(o.Profile))
	}
	if o.AccessKeyID != "" || o.SecretAccessKey != "" {
		load = append(load, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)))
	}
	// The standard retryer already treats Throttling and
	// PriorRequestNotComplete as throttling errors and retries 5xx and
	// connection failures; its sleeps end with the context. Its client-wide
	// retry quota is turned off: every call is bounded by MaxAttempts and
	// the context already, and a quota drained by one throttled burst would
	// fail every later call of a long apply at once.
	load = append(load, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.RateLimiter = ratelimit.None
			so.MaxAttempts = o.MaxAttempts
			so.MaxBackoff = o.MaxBackoff
			so.Backoff = newBackoff(o.MaxBackoff)
		})
	}))
	if o.HTTPClient != nil {
		load = append(load, config.WithHTTPClient(o.HTTPClient))
	} else {
		load = append(load, config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(DefaultAttemptTimeout)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, &redacted{err: fmt.Errorf("%w: %v; check the profile and the AWS_* environment variables", ErrConfig, err), secrets: p.secrets()}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	p.api = r53.NewFromConfig(cfg, func(ro *r53.Options) {
		if o.Endpoint != "" {
			ro.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	return p.api, nil
}

// secrets are the values no error may show.
func (p *Provider) secrets() []string {
	return []string{p.opts.SecretAccessKey, p.opts.SessionToken}
}

// fail wraps err with the provider type, the zone and what was being done,
// and hides the secrets.
func (p *Provider) fail(zone, what string, err error) error {
	return &redacted{err: &zoneError{zone: zone, what: what, err: err}, secrets: p.secrets()}
}

// zoneError names the provider type, the zone and the operation of an
// error, without repeating the "route53: " of the sentinel it wraps.
type zoneError struct {
	zone, what string
	err        error
}

func (e *zoneError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "route53: ")
	if e.what != "" {
		return "route53: zone " + e.zone + ": " + e.what + ": " + msg
	}
	return "route53: zone " + e.zone + ": " + msg
}

func (e *zoneError) Unwrap() error { return e.err }

// backoff is the SDK's exponential backoff with jitter, except that a
// Retry-After header in seconds (RFC 9110 section 10.2.3), should Route 53
// or a proxy send one, sets the delay, capped like every other delay.
type backoff struct {
	jitter *retry.ExponentialJitterBackoff
	max    time.Duration
}

func newBackoff(max time.Duration) backoff {
	return backoff{jitter: retry.NewExponentialJitterBackoff(max), max: max}
}

func (b backoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.Response != nil && resp.Response.Response != nil {
		if s := resp.Response.Header.Get("Retry-After"); s != "" {
			if secs, perr := strconv.Atoi(strings.TrimSpace(s)); perr == nil && secs >= 0 {
				return min(time.Duration(secs)*time.Second, b.max), nil
			}
		}
	}
	return b.jitter.BackoffDelay(attempt, err)
}
