// Package rfc2136 is mailconf's provider for DNS servers that take dynamic
// updates (RFC 2136) signed with a TSIG key (RFC 8945): BIND, Knot,
// PowerDNS and others. It is built on github.com/libdns/rfc2136, which
// reads a zone by zone transfer (AXFR, RFC 5936) and changes it with UPDATE
// messages, and it smooths over what that library leaves raw:
//
//   - The AXFR's closing copy of the SOA is dropped (RFC 5936 section 2.2).
//   - TXT text comes back as the server holds it, with miekg/dns's
//     presentation escapes undone, and goes out split into 255-octet
//     character-strings (RFC 1035 section 3.3.14), so a 2048-bit DKIM key
//     round-trips as one value. Text the library would alter is refused.
//   - The SOA, NS and DNSSEC records are returned by GetRecords, so that
//     mailconf sees the whole zone, but the SOA and DNSSEC records (which
//     the server maintains) are never written or deleted.
//   - DeleteRecords deletes and returns only records that exist and match,
//     as libdns requires; the library alone would report every input.
//   - Failures name the zone, the records and the TSIG key (never its
//     secret), say the likely cause of a NOTAUTH or REFUSED answer, and wrap
//     providers.ErrTemporary when retrying can help (timeouts, SERVFAIL,
//     refused connections), after a few quick retries.
//
// Each write is one UPDATE message, which the server applies entirely or
// not at all (RFC 2136 section 3.7), so SetRecords is atomic.
//
// The package must never put the TSIG secret into an error, a diagnostic,
// a log line or a formatted Client, never write a record the server
// maintains itself, and never change a record it was not given.
package rfc2136

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/libdns/libdns"
	librfc2136 "github.com/libdns/rfc2136"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers"
)

// Options configure a Client.
type Options struct {
	// Server is the primary's address, "host:port" (the DNS port is 53).
	Server string
	// KeyName is the TSIG key's name, as in the server's key statement.
	KeyName string
	// Algorithm is the key's HMAC algorithm (RFC 8945 section 6), such as
	// "hmac-sha256", the default when empty.
	Algorithm string
	// Secret is the key's secret in base64 (RFC 4648 section 4).
	Secret string
	// Zone, when set, is the zone the client lists (libdns.ZoneLister), so
	// that domains inside it need no `zone` attribute. An RFC 2136 server
	// cannot be asked which zones it holds.
	Zone string
	// Concurrency bounds the requests in flight; 0 means
	// providers.DefaultConcurrency.
	Concurrency int
}

// DefaultAlgorithm is the TSIG algorithm used when none is given: the one
// tsig-keygen and knsupdate make by default.
const DefaultAlgorithm = "hmac-sha256"

// Client is a providers.Client for one RFC 2136 server and TSIG key. It is
// safe for concurrent use; writes to one zone are serialized, so that the
// read that DeleteRecords makes first stays true until its update.
type Client struct {
	lib              *librfc2136.Provider
	server           string
	keyName, keyFQDN string
	algorithm        string
	algorithmFQDN    string // as TSIG carries it: "hmac-sha256."
	secret           string
	zone             string
	concurrency      int

	// attempts and backoff bound the retries of temporary failures.
	attempts int
	backoff  time.Duration

	locks sync.Map // zone -> *sync.Mutex
}

var (
	_ providers.Client     = (*Client)(nil)
	_ providers.Concurrent = (*Client)(nil)
	_ libdns.ZoneLister    = (*Client)(nil)
)

// Retry policy: a few quick attempts, since libdns asks providers not to
// add more than a couple of seconds of latency by retrying.
const (
	defaultAttempts = 3
	defaultBackoff  = 100 * time.Millisecond
)

// New validates o and returns a client. It does not contact the server.
// Its errors name the problem but never contain the secret.
func New(o Options) (*Client, error) {
	server, err := checkServer(o.Server)
	if err != nil {
		return nil, err
	}
	keyName, err := checkKeyName(o.KeyName)
	if err != nil {
		return nil, err
	}
	algorithm, err := checkAlgorithm(o.Algorithm)
	if err != nil {
		return nil, err
	}
	secret, _, err := checkSecret(o.Secret)
	if err != nil {
		return nil, err
	}
	var zone string
	if o.Zone != "" {
		if zone, err = checkZone(o.Zone); err != nil {
			return nil, zoneError(o.Zone)
		}
	}
	concurrency := o.Concurrency
	switch {
	case concurrency == 0:
		concurrency = providers.DefaultConcurrency
	case concurrency < 0:
		return nil, concurrencyError(concurrency)
	}
	return &Client{
		lib: &librfc2136.Provider{
			KeyName: keyName,
			KeyAlg:  algorithm,
			Key:     secret,
			Server:  server,
		},
		server:        server,
		keyName:       keyName,
		keyFQDN:       dns.Fqdn(keyName),
		algorithm:     algorithm,
		algorithmFQDN: dns.Fqdn(algorithm),
		secret:        secret,
		zone:          zone,
		concurrency:   concurrency,
		attempts:      defaultAttempts,
		backoff:       defaultBackoff,
	}, nil
}

// String describes the client without its secret.
func (c *Client) String() string {
	return fmt.Sprintf("rfc2136 server %s, TSIG key %q (%s)", c.server, c.keyName, c.algorithm)
}

// GoString keeps %#v from printing the fields, among them the secret.
func (c *Client) GoString() string { return "rfc2136.Client{" + c.String() + "}" }

// Concurrency is the number of requests the client may have in flight
// (providers.Concurrent).
func (c *Client) Concurrency() int { return c.concurrency }

// ListZones returns the zone of the client's Options (libdns.ZoneLister).
// Without one it fails with providers.ErrNoZone: RFC 2136 gives no way to
// ask a server which zones it holds.
func (c *Client) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	if c.zone == "" {
		return nil, fmt.Errorf("%w: rfc2136 server %s: an RFC 2136 server cannot list its zones; set `zone` on the provider block or on each domain", providers.ErrNoZone, c.server)
	}
	return []libdns.Zone{{Name: c.zone}}, nil
}

// GetRecords returns every record of the zone, read by zone transfer: the
// SOA once, the NS records, any DNSSEC records, and all other data.
func (c *Client) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	z, err := checkZone(zone)
	if err != nil {
		return nil, err
	}
	o := op{verb: "reading", zone: z, transfer: true}
	recs, err := retry(ctx, c, o, func(ctx context.Context) ([]libdns.Record, error) {
		return c.lib.GetRecords(ctx, z)
	})
	if err != nil {
		return nil, err
	}
	return fromLibrary(recs), nil
}

// AppendRecords adds records, never changing existing ones. A record that
// already exists is left as it is (RFC 2136 section 3.4.2.2).
func (c *Client) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return c.write(ctx, zone, "appending", recs, c.lib.AppendRecords)
}

// SetRecords makes each (name, type) of recs hold exactly the given
// records, in one UPDATE message that deletes each RRset and adds its new
// members, so the change is atomic. An RRset has one TTL (RFC 2181 section
// 5.2): given several, BIND keeps the last one for the whole set.
func (c *Client) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return c.write(ctx, zone, "setting", recs, c.lib.SetRecords)
}

func (c *Client) write(ctx context.Context, zone, verb string, recs []libdns.Record, send func(context.Context, string, []libdns.Record) ([]libdns.Record, error)) ([]libdns.Record, error) {
	z, err := checkZone(zone)
	if err != nil {
		return nil, err
	}
	in, err := prepare(z, recs)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: zone %s: %s records: %w", z, verb, err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	unlock := c.lock(z)
	defer unlock()
	o := op{verb: verb, zone: z, recs: in}
	if _, err := retry(ctx, c, o, func(ctx context.Context) ([]libdns.Record, error) {
		return send(ctx, z, in)
	}); err != nil {
		return nil, err
	}
	return in, nil
}

// DeleteRecords deletes the records of the zone that match recs by the
// libdns rules (an empty type, a zero TTL or empty data match anything) and
// returns them. It reads the zone first, so that it deletes and reports
// only what exists. An RRset that loses every member is deleted as a whole,
// which also removes TXT records whose character-strings were split
// differently from how this provider would split them.
func (c *Client) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, err := checkZone(zone)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	unlock := c.lock(z)
	defer unlock()
	live, err := c.GetRecords(ctx, z)
	if err != nil {
		return nil, err
	}
	matched, whole, err := matchDeletes(z, live, recs)
	if err != nil {
		return nil, fmt.Errorf("rfc2136: zone %s: deleting records: %w", z, err)
	}
	if len(matched) == 0 {
		return nil, nil
	}
	var send []libdns.Record
	done := map[setKey]bool{}
	for _, r := range matched {
		rr := r.RR()
		k := setKey{strings.ToLower(rr.Name), rr.Type}
		switch {
		case whole[k] && done[k]:
		case whole[k]:
			done[k] = true
			// Empty data makes the library delete the RRset (RFC 2136
			// section 2.5.2).
			send = append(send, libdns.RR{Name: rr.Name, Type: rr.Type})
		case rr.Type == "TXT" && checkTXT(rr.Data) != nil:
			return nil, fmt.Errorf("rfc2136: zone %s: deleting %s TXT: %w", z, rr.Name, checkTXT(rr.Data))
		default:
			send = append(send, r)
		}
	}
	o := op{verb: "deleting", zone: z, recs: matched}
	if _, err := retry(ctx, c, o, func(ctx context.Context) ([]libdns.Record, error) {
		return c.lib.DeleteRecords(ctx, z, send)
	}); err != nil {
		return nil, err
	}
	return matched, nil
}

// lock serializes the writes to one zone and returns the unlock function.
func (c *Client) lock(zone string) func() {
	m, _ := c.locks.LoadOrStore(zone, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// retry runs fn until it succeeds, fails in a way retrying cannot cure, has
// run c.attempts times, or ctx ends, waiting c.backoff, then twice as long,
// between attempts. Every request the provider makes is idempotent (an
// UPDATE that deletes and re-adds an RRset, adds an existing record or
// deletes a missing one leaves the zone as one attempt would), so a retry
// after a lost answer is safe. The last error is explained for the user.
func retry[T any](ctx context.Context, c *Client, o op, fn func(context.Context) (T, error)) (T, error) {
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		v, err := call(ctx, fn)
		if err == nil {
			return v, nil
		}
		if attempt >= c.attempts || !classify(err).temporary || ctx.Err() != nil {
			var zero T
			return zero, c.explain(ctx, o, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			var zero T
			return zero, c.explain(ctx, o, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// call runs fn and returns its result, or ctx's error as soon as ctx ends.
// The library honours a context's deadline when it connects and waits for
// an update's answer, but not its cancellation, nor anything during a zone
// transfer, where it waits up to two seconds per message; an abandoned call
// finishes in the background within that time.
func call[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
