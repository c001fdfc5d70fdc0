// Package cloudflare is mailconf's provider for DNS zones hosted at
// Cloudflare, through the Cloudflare API v4
// (https://developers.cloudflare.com/api/). It implements the libdns
// interfaces (github.com/libdns/libdns) that mailconf drives, and accepts
// the HTTP client type of github.com/libdns/cloudflare, whose API model it
// follows.
//
// What the API needs and this package handles:
//
//   - TXT content is a list of quoted character-strings of at most 255
//     octets (RFC 1035 sections 3.3.14 and 5.1); libdns and mailconf hold
//     one unquoted text. A 2048-bit DKIM key is one record of several
//     strings, never several records.
//   - TTL 1 means "automatic" (300 seconds); see AutoTTL.
//   - Records carry a proxied flag (A, AAAA and CNAME only). An update
//     never changes it; a record created here is DNS-only, because a
//     proxied name answers with Cloudflare's addresses instead of its data.
//   - Lists are paginated; every page is read.
//   - HTTP 429 answers are retried after Retry-After, server errors and
//     lost connections with exponential backoff, within the context
//     deadline and a bounded number of attempts.
//
// Zone IDs are looked up once per zone and kept (ListZones fills them for
// every zone at once). GetRecords keeps what it read, so that SetRecords
// and DeleteRecords, right after a plan read the zone, need no other read
// and send one request per record they change.
//
// The package talks to the API itself rather than through the Provider of
// github.com/libdns/cloudflare v0.2.2, whose request and record model it
// follows, because that Provider's SetRecords patches every input record
// into the same existing record of a set (two MX records become one; an
// SPF record overwrites the site verification beside it), its GetRecords
// returns a TXT record of several strings with `" "` inside, its
// ListZones reads the first page only, and it neither retries nor
// classifies errors. upstream_test.go pins these down.
//
// This package must never change a record it was not asked to change,
// never create a zone, and never put an API token into an error: the
// tokens only travel in the Authorization header.
package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	libdnscf "github.com/libdns/cloudflare"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// Type is the provider type of `provider "cloudflare" "NAME"` blocks.
const Type = "cloudflare"

// Options configure a Client. Only APIToken is required.
type Options struct {
	// APIToken authenticates every request (`Authorization: Bearer`). It
	// needs the Zone:DNS:Edit permission for the zones mailconf writes,
	// and Zone:Zone:Read to find them unless ZoneToken has it.
	APIToken string
	// ZoneToken, when set, authenticates the zone requests (finding and
	// listing zones) instead of APIToken, as in libdns/cloudflare.
	ZoneToken string
	// Concurrency bounds the requests in flight; 0 means
	// providers.DefaultConcurrency.
	Concurrency int

	// HTTPClient sends the requests; nil means an http.Client with a
	// 60-second timeout. Tests pass one that reaches a fake (cftest).
	HTTPClient libdnscf.HTTPClient
	// MaxAttempts bounds how many times one request is sent; 0 means 5.
	MaxAttempts int
	// Backoff is the wait before the second attempt of a request whose
	// answer gave no Retry-After; it doubles with each attempt. 0 means
	// 500 ms.
	Backoff time.Duration
	// MaxRetryWait is the longest single wait before a retry; a longer
	// Retry-After fails the request at once, as a temporary error. 0
	// means one minute.
	MaxRetryWait time.Duration
	// SnapshotMaxAge is how long the records GetRecords read stand in for
	// the zone's state in SetRecords and DeleteRecords; older, they read
	// the record sets they change again. 0 means ten minutes.
	SnapshotMaxAge time.Duration
	// Sleep waits between attempts; nil waits on a timer. Now reads the
	// clock; nil means time.Now. Tests replace both.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = providers.DefaultConcurrency
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = time.Minute
	}
	if o.SnapshotMaxAge <= 0 {
		o.SnapshotMaxAge = 10 * time.Minute
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Client is a Cloudflare account's zones, as libdns record interfaces. It
// is safe for concurrent use; operations on one zone run one at a time, so
// that two writers never work from the same stale view of a record set.
type Client struct {
	opts Options
	sem  chan struct{}

	mu    sync.Mutex
	zones map[string]*zoneState // by lower-case name with the trailing dot
	ids   map[string]string     // zone IDs found by ListZones, by name
}

// zoneState is what the client knows of one zone.
type zoneState struct {
	name string
	// lock serializes the operations on the zone; a channel rather than a
	// mutex, so that waiting for it honours the context.
	lock chan struct{}
	// id is the zone's API identifier, "" until known.
	id string
	// snap is the zone's records as last read in full, kept up to date
	// with this client's own writes; nil when unknown. Guarded by lock.
	snap *snapshot
}

type snapshot struct {
	at   time.Time
	byID map[string]apiRecord
}

// New returns a client. It does not contact the API.
func New(opts Options) (*Client, error) {
	if opts.APIToken == "" {
		return nil, errors.New("cloudflare: an API token is required")
	}
	opts = opts.withDefaults()
	return &Client{opts: opts, sem: make(chan struct{}, opts.Concurrency), zones: map[string]*zoneState{}, ids: map[string]string{}}, nil
}

// Concurrency implements providers.Concurrent.
func (c *Client) Concurrency() int { return c.opts.Concurrency }

var (
	_ providers.Client     = (*Client)(nil)
	_ providers.Concurrent = (*Client)(nil)
	_ libdns.ZoneLister    = (*Client)(nil)
)

func (c *Client) zoneState(name string) *zoneState {
	c.mu.Lock()
	defer c.mu.Unlock()
	z := c.zones[name]
	if z == nil {
		z = &zoneState{name: name, lock: make(chan struct{}, 1)}
		c.zones[name] = z
	}
	return z
}

// acquire normalizes zone, locks its state and makes sure its ID is known.
// The caller must call release.
func (c *Client) acquire(ctx context.Context, zone string) (*zoneState, func(), error) {
	name, err := rrset.NormalizeZone(zone)
	if err != nil {
		return nil, nil, fmt.Errorf("cloudflare: %w", err)
	}
	z := c.zoneState(name)
	select {
	case z.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("cloudflare: zone %s: %w", name, ctx.Err())
	}
	release := func() { <-z.lock }
	if _, err := c.zoneID(ctx, z); err != nil {
		release()
		return nil, nil, err
	}
	return z, release, nil
}

// zoneID returns the zone's ID: known already, listed by ListZones, or
// looked up (GET /zones?name=). Called with z.lock held, so one zone is
// looked up once.
func (c *Client) zoneID(ctx context.Context, z *zoneState) (string, error) {
	if z.id != "" {
		return z.id, nil
	}
	c.mu.Lock()
	listed := c.ids[z.name]
	c.mu.Unlock()
	if listed != "" {
		z.id = listed
		return listed, nil
	}
	var found []apiZone
	_, err := c.call(ctx, request{
		method: http.MethodGet, path: "/zones",
		query: url.Values{"name": {strings.TrimSuffix(z.name, ".")}},
		token: c.opts.ZoneToken,
	}, &found)
	if err != nil {
		return "", fmt.Errorf("cloudflare: zone %s: looking up its ID: %w", z.name, err)
	}
	for _, f := range found {
		if strings.EqualFold(f.Name+".", z.name) && f.ID != "" {
			z.id = f.ID
			return f.ID, nil
		}
	}
	return "", fmt.Errorf("%w: cloudflare: zone %s is not in the account, or the token cannot see it; check the zone name, and that the token has Zone:Zone:Read for it", providers.ErrNoZone, z.name)
}

type apiZone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ListZones lists every zone the token can see, reading every page, and
// remembers their IDs, so that reading them afterwards needs no lookup.
func (c *Client) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	found, err := list[apiZone](ctx, c, request{method: http.MethodGet, path: "/zones", token: c.opts.ZoneToken}, zonesPerPage)
	if err != nil {
		return nil, fmt.Errorf("cloudflare: listing zones: %w", err)
	}
	out := make([]libdns.Zone, 0, len(found))
	for _, f := range found {
		name, err := rrset.NormalizeZone(f.Name)
		if err != nil || f.ID == "" {
			continue
		}
		c.mu.Lock()
		c.ids[name] = f.ID
		c.mu.Unlock()
		out = append(out, libdns.Zone{Name: name})
	}
	return out, nil
}

func recordsPath(id string) string { return "/zones/" + url.PathEscape(id) + "/dns_records" }

func recordPath(zoneID, recID string) string {
	return recordsPath(zoneID) + "/" + url.PathEscape(recID)
}

// GetRecords returns every record of the zone, reading every page. What it
// reads becomes the zone's snapshot.
func (c *Client) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	z, release, err := c.acquire(ctx, zone)
	if err != nil {
		return nil, err
	}
	defer release()
	recs, err := c.readAll(ctx, z)
	if err != nil {
		return nil, err
	}
	out := make([]libdns.Record, len(recs))
	for i, r := range recs {
		out[i] = r.libdnsRecord(z.name)
	}
	return out, nil
}

// readAll lists the zone's records and keeps them as its snapshot.
func (c *Client) readAll(ctx context.Context, z *zoneState) ([]apiRecord, error) {
	recs, err := list[apiRecord](ctx, c, request{method: http.MethodGet, path: recordsPath(z.id)}, recordsPerPage)
	if err != nil {
		z.snap = nil
		return nil, fmt.Errorf("cloudflare: zone %s: listing records: %w", z.name, err)
	}
	// A record that moved between pages while they were read would
	// appear twice; keep it once.
	snap := &snapshot{at: c.opts.Now(), byID: make(map[string]apiRecord, len(recs))}
	out := recs[:0]
	for _, r := range recs {
		if _, dup := snap.byID[r.ID]; dup {
			continue
		}
		snap.byID[r.ID] = r
		out = append(out, r)
	}
	z.snap = snap
	return out, nil
}

// fresh reports whether the zone's snapshot may stand in for its state.
func (c *Client) fresh(z *zoneState) bool {
	return z.snap != nil && c.opts.Now().Sub(z.snap.at) < c.opts.SnapshotMaxAge
}

// at returns the records of the zone at fqdn (of type typ, or of every
// type when typ is ""): from the snapshot when it is fresh, otherwise from
// the API, filtered by name (and type).
func (c *Client) at(ctx context.Context, z *zoneState, fqdn, typ string) ([]have, error) {
	var recs []apiRecord
	if c.fresh(z) {
		for _, r := range z.snap.byID {
			if strings.EqualFold(strings.TrimSuffix(r.Name, ".")+".", fqdn) && (typ == "" || r.Type == typ) {
				recs = append(recs, r)
			}
		}
	} else {
		z.snap = nil
		q := url.Values{"name": {strings.TrimSuffix(fqdn, ".")}}
		if typ != "" {
			q.Set("type", typ)
		}
		var err error
		recs, err = list[apiRecord](ctx, c, request{method: http.MethodGet, path: recordsPath(z.id), query: q}, recordsPerPage)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", describeSet(fqdn, typ), err)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	out := make([]have, len(recs))
	for i, r := range recs {
		out[i] = newHave(r, z.name)
	}
	return out, nil
}

func describeSet(fqdn, typ string) string {
	if typ == "" {
		return "the records at " + fqdn
	}
	return typ + " " + fqdn
}

// remember updates the snapshot after a write: r was created or updated,
// or, with deleted, removed.
func (z *zoneState) remember(r apiRecord, deleted bool) {
	if z.snap == nil {
		return
	}
	if deleted {
		delete(z.snap.byID, r.ID)
	} else {
		z.snap.byID[r.ID] = r
	}
}

func (c *Client) create(ctx context.Context, z *zoneState, w want) (apiRecord, error) {
	body := w.body
	if w.typ == "A" || w.typ == "AAAA" || w.typ == "CNAME" {
		// Created DNS-only, whatever the account's default: a proxied
		// name answers with Cloudflare's addresses, which breaks the
		// CNAMEs mail senders ask for (DKIM keys, return paths).
		body.Proxied = new(bool)
	}
	var created apiRecord
	if _, err := c.call(ctx, request{method: http.MethodPost, path: recordsPath(z.id), body: body}, &created); err != nil {
		return apiRecord{}, fmt.Errorf("creating %s %s: %w", w.typ, w.fqdn, err)
	}
	z.remember(created, false)
	return created, nil
}

// update rewrites an existing record with PATCH, which changes only the
// fields sent: the proxied flag is never sent, so it stays as it was.
func (c *Client) update(ctx context.Context, z *zoneState, h have, w want) (apiRecord, error) {
	var updated apiRecord
	if _, err := c.call(ctx, request{method: http.MethodPatch, path: recordPath(z.id, h.api.ID), body: w.body}, &updated); err != nil {
		return apiRecord{}, fmt.Errorf("updating %s %s: %w", w.typ, w.fqdn, err)
	}
	z.remember(updated, false)
	return updated, nil
}

func (c *Client) remove(ctx context.Context, z *zoneState, h have) error {
	if _, err := c.call(ctx, request{method: http.MethodDelete, path: recordPath(z.id, h.api.ID)}, nil); err != nil {
		return fmt.Errorf("deleting %s %s %q: %w", h.typ, h.fqdn, h.data, err)
	}
	z.remember(h.api, true)
	return nil
}

// failed wraps an error of a write in zone z, and forgets the snapshot: a
// write whose outcome is unknown leaves the zone in an unknown state.
func failed(z *zoneState, err error) error {
	z.snap = nil
	return fmt.Errorf("cloudflare: zone %s: %w", z.name, err)
}

// AppendRecords creates the records, one request each, and returns them
// as created. A record identical to an existing one is refused by the API.
func (c *Client) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, release, err := c.acquire(ctx, zone)
	if err != nil {
		return nil, err
	}
	defer release()
	wants, err := parseAll(recs, z.name)
	if err != nil {
		return nil, err
	}
	var out []libdns.Record
	for _, w := range wants {
		created, err := c.create(ctx, z, w)
		if err != nil {
			return out, failed(z, err)
		}
		out = append(out, created.libdnsRecord(z.name))
	}
	return out, nil
}

func parseAll(recs []libdns.Record, zone string) ([]want, error) {
	out := make([]want, 0, len(recs))
	for _, r := range recs {
		w, err := parseInput(r, zone)
		if err != nil {
			return nil, fmt.Errorf("cloudflare: zone %s: %w", zone, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// SetRecords makes every record set (name, type) of the input hold exactly
// the input's records there, with the fewest requests: records already as
// asked are left alone; the others are updated in place (PATCH) as far as
// the set had records to update, created (POST) beyond that, and the
// set's remaining records deleted last, so that a set is never empty while
// it is rewritten. Updating in place keeps a record's ID and its proxied
// flag.
//
// The sets are read from the snapshot of the last GetRecords when it is
// fresh (see Options.SnapshotMaxAge), otherwise with one filtered request
// per set. SetRecords is not atomic: the API offers no atomic change of
// several records through these endpoints, and a failure leaves the
// changes made before it.
func (c *Client) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, release, err := c.acquire(ctx, zone)
	if err != nil {
		return nil, err
	}
	defer release()
	wants, err := parseAll(recs, z.name)
	if err != nil {
		return nil, err
	}
	// Group the input by set, in input order, once per record.
	var order []string
	sets := map[string][]want{}
	for _, w := range wants {
		k := w.setKey()
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		if !slices.ContainsFunc(sets[k], func(o want) bool { return o.data == w.data }) {
			sets[k] = append(sets[k], w)
		}
	}
	var out []libdns.Record
	for _, k := range order {
		set := sets[k]
		existing, err := c.at(ctx, z, set[0].fqdn, set[0].typ)
		if err != nil {
			return out, failed(z, err)
		}
		done, err := c.setOne(ctx, z, set, existing)
		out = append(out, done...)
		if err != nil {
			return out, failed(z, err)
		}
	}
	return out, nil
}

// setOne rewrites one record set.
func (c *Client) setOne(ctx context.Context, z *zoneState, wants []want, existing []have) ([]libdns.Record, error) {
	var out []libdns.Record
	used := make([]bool, len(existing))
	var todo []want
	// Records already as asked, TTL included, need nothing. A proxied
	// record's TTL is Cloudflare's to choose (always automatic), so a
	// write could not change it: its TTL is not compared.
	for _, w := range wants {
		i := slices.IndexFunc(existing, func(h have) bool { return h.data == w.data && (h.ttl == w.ttl || h.api.Proxied) })
		if i >= 0 && !used[i] {
			used[i] = true
			out = append(out, existing[i].rec)
			continue
		}
		todo = append(todo, w)
	}
	// Pair each remaining input record with a record to rewrite: first
	// one with the same data (only the TTL changes), then any other.
	target := make([]int, len(todo))
	for i, w := range todo {
		target[i] = -1
		if j := slices.IndexFunc(existing, func(h have) bool { return h.data == w.data }); j >= 0 && !used[j] {
			used[j], target[i] = true, j
		}
	}
	for i := range todo {
		if target[i] >= 0 {
			continue
		}
		if j := slices.Index(used, false); j >= 0 {
			used[j], target[i] = true, j
		}
	}
	for i, w := range todo {
		if target[i] < 0 {
			continue
		}
		updated, err := c.update(ctx, z, existing[target[i]], w)
		if err != nil {
			return out, err
		}
		out = append(out, updated.libdnsRecord(z.name))
	}
	for i, w := range todo {
		if target[i] >= 0 {
			continue
		}
		created, err := c.create(ctx, z, w)
		if err != nil {
			return out, err
		}
		out = append(out, created.libdnsRecord(z.name))
	}
	for j, h := range existing {
		if used[j] {
			continue
		}
		if err := c.remove(ctx, z, h); err != nil {
			return out, err
		}
	}
	return out, nil
}

// pattern is one DeleteRecords input: the name always counts; an empty
// type, a zero TTL or empty data match anything (the libdns contract).
type pattern struct {
	fqdn, typ, data string
	ttl             time.Duration // 0: any
}

func parsePattern(rec libdns.Record, zone string) (pattern, error) {
	rr := rec.RR()
	if rr.Name == "" {
		return pattern{}, fmt.Errorf("%w: a record to delete needs a name", providers.ErrInvalidRecord)
	}
	rel, err := rrset.OwnerName(rr.Name, zone)
	if err != nil {
		return pattern{}, err
	}
	p := pattern{fqdn: strings.ToLower(rrset.Absolute(rel, zone)), typ: strings.ToUpper(rr.Type)}
	if rr.TTL > 0 {
		p.ttl = canonicalTTL(rr.TTL)
	}
	if rr.Data != "" && p.typ != "" {
		parsed, err := rr.Parse()
		if err != nil {
			return pattern{}, fmt.Errorf("%w: %s %s %q: %v", providers.ErrInvalidRecord, rr.Name, rr.Type, rr.Data, err)
		}
		p.data = canonical(parsed)
	} else if rr.Data != "" {
		p.data = strings.Join(strings.Fields(rr.Data), " ")
	}
	return p, nil
}

func (p pattern) matches(h have) bool {
	return (p.typ == "" || p.typ == h.typ) && (p.ttl == 0 || p.ttl == h.ttl) && (p.data == "" || p.data == h.data)
}

// DeleteRecords deletes the zone's records that match the input, one
// request each, and returns them. Input records that match nothing are
// ignored. The records at each input name are read from the fresh
// snapshot, otherwise with one filtered request per name.
func (c *Client) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, release, err := c.acquire(ctx, zone)
	if err != nil {
		return nil, err
	}
	defer release()
	var names []string
	byName := map[string][]pattern{}
	for _, r := range recs {
		p, err := parsePattern(r, z.name)
		if err != nil {
			return nil, fmt.Errorf("cloudflare: zone %s: %w", z.name, err)
		}
		if _, ok := byName[p.fqdn]; !ok {
			names = append(names, p.fqdn)
		}
		byName[p.fqdn] = append(byName[p.fqdn], p)
	}
	var out []libdns.Record
	for _, name := range names {
		pats := byName[name]
		// Read one type when every pattern at the name names the same.
		typ := pats[0].typ
		for _, p := range pats {
			if p.typ != typ {
				typ = ""
			}
		}
		existing, err := c.at(ctx, z, name, typ)
		if err != nil {
			return out, failed(z, err)
		}
		for _, h := range existing {
			if !slices.ContainsFunc(pats, func(p pattern) bool { return p.matches(h) }) {
				continue
			}
			if err := c.remove(ctx, z, h); err != nil {
				return out, failed(z, err)
			}
			out = append(out, h.rec)
		}
	}
	return out, nil
}
