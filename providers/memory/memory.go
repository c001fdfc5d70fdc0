// Package memory is an in-memory DNS provider for tests: the libdns record
// interfaces and libdns.ZoneLister over a map of zones, with the same edit
// semantics as the zonefile provider (both share them), plus fault injection
// (FailAfter, SetGetErr) and inspection (Snapshot, Writes).
//
// Zones exist only if seeded with New (or listed in the HCL block); writes
// to any other zone fail with ErrZoneNotFound, as with real providers.
// Records are stored as the libdns struct types, names relative to the zone.
// Unlike the zonefile provider, TTLs are stored as given, 0 included, and no
// SOA is maintained. Every write is atomic: a failing call changes nothing.
//
// The package must never touch the network, the file system or the clock.
package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// ErrZoneNotFound reports a zone the provider does not hold.
var ErrZoneNotFound = errors.New("memory: zone not found")

// Provider is an in-memory DNS host. It is safe for concurrent use.
type Provider struct {
	mu     sync.Mutex
	zones  map[string][]rrset.Entry[libdns.Record]
	writes int // write calls received, failed ones included

	failIn  int // write calls left before the injected failure; -1: none
	failErr error
	getErr  error
}

// Compile-time checks of the interfaces the provider promises.
var (
	_ libdns.RecordGetter   = (*Provider)(nil)
	_ libdns.RecordAppender = (*Provider)(nil)
	_ libdns.RecordSetter   = (*Provider)(nil)
	_ libdns.RecordDeleter  = (*Provider)(nil)
	_ libdns.ZoneLister     = (*Provider)(nil)
)

// New returns a provider holding the given zones, keyed by zone name (with
// or without the trailing dot, any case). Records are validated and
// normalized as AppendRecords would; New panics on an invalid zone name or
// record, since seeds are test fixtures. A nil or empty slice makes an
// empty zone.
func New(zones map[string][]libdns.Record) *Provider {
	p := &Provider{zones: map[string][]rrset.Entry[libdns.Record]{}, failIn: -1}
	for _, name := range slices.Sorted(maps.Keys(zones)) {
		zone, err := rrset.NormalizeZone(name)
		if err != nil {
			panic(fmt.Sprintf("memory.New: %v", err))
		}
		entries, err := normalize(zones[name], zone)
		if err != nil {
			panic(fmt.Sprintf("memory.New: zone %s: %v", zone, err))
		}
		p.zones[zone], _ = rrset.Append(p.zones[zone], entries)
	}
	return p
}

// FailAfter arranges for the (n+1)-th write call from now (AppendRecords,
// SetRecords or DeleteRecords, counted by calls, not records) to fail with
// err and change nothing. The failure happens once; later calls succeed
// again, as when a retried apply converges. FailAfter(-1, nil) cancels it.
func (p *Provider) FailAfter(n int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n < 0 || err == nil {
		p.failIn, p.failErr = -1, nil
		return
	}
	p.failIn, p.failErr = n, err
}

// SetGetErr makes every GetRecords and ListZones call fail with err until it
// is called again with nil.
func (p *Provider) SetGetErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.getErr = err
}

// Writes returns the number of write calls received so far, failed ones
// included; a test can assert that an up-to-date zone gets none.
func (p *Provider) Writes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// Snapshot returns a copy of the zone's records in stored order, or nil if
// the provider does not hold the zone.
func (p *Provider) Snapshot(zone string) []libdns.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	z, err := rrset.NormalizeZone(zone)
	if err != nil {
		return nil
	}
	entries, ok := p.zones[z]
	if !ok {
		return nil
	}
	return values(entries)
}

// ListZones lists the zones the provider holds, sorted by name.
func (p *Provider) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.getErr != nil {
		return nil, p.getErr
	}
	var zones []libdns.Zone
	for _, z := range slices.Sorted(maps.Keys(p.zones)) {
		zones = append(zones, libdns.Zone{Name: z})
	}
	return zones, nil
}

// GetRecords returns the zone's records in stored order.
func (p *Provider) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.getErr != nil {
		return nil, p.getErr
	}
	_, entries, err := p.zone(zone)
	if err != nil {
		return nil, err
	}
	return values(entries), nil
}

// AppendRecords adds recs and returns the records added; a record already
// present (same name, type and data) is neither added again nor returned.
func (p *Provider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.write(ctx, zone, func(z string, cur []rrset.Entry[libdns.Record]) ([]rrset.Entry[libdns.Record], []rrset.Entry[libdns.Record], []string, error) {
		in, err := normalize(recs, z)
		if err != nil {
			return nil, nil, nil, err
		}
		out, added := rrset.Append(cur, in)
		return out, added, rrset.Names(in), nil
	})
}

// SetRecords makes each (name, type) RRset of the input consist of exactly
// the input records, as libdns defines it, atomically, and returns them.
func (p *Provider) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.write(ctx, zone, func(z string, cur []rrset.Entry[libdns.Record]) ([]rrset.Entry[libdns.Record], []rrset.Entry[libdns.Record], []string, error) {
		in, err := normalize(recs, z)
		if err != nil {
			return nil, nil, nil, err
		}
		out, set := rrset.Set(cur, in)
		return out, set, rrset.Names(in), nil
	})
}

// DeleteRecords deletes the records matching the input exactly, with empty
// Type, zero TTL and empty Data as wildcards, and returns them.
func (p *Provider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.write(ctx, zone, func(z string, cur []rrset.Entry[libdns.Record]) ([]rrset.Entry[libdns.Record], []rrset.Entry[libdns.Record], []string, error) {
		patterns := make([]libdns.RR, 0, len(recs))
		for _, rec := range recs {
			rr := rec.RR()
			name, err := rrset.OwnerName(rr.Name, z)
			if err != nil {
				return nil, nil, nil, err
			}
			rr.Name = name
			rr.Type = strings.ToUpper(strings.TrimSpace(rr.Type))
			if rr.Type != "" && rr.Data != "" {
				// Canonical data, so "2001:DB8::1" matches "2001:db8::1".
				e, err := entry(rr, z)
				if err != nil {
					return nil, nil, nil, err
				}
				rr.Data = e.RR.Data
			}
			patterns = append(patterns, rr)
		}
		out, deleted := rrset.Delete(cur, patterns, nil)
		return out, deleted, nil, nil
	})
}

type editFunc func(zone string, cur []rrset.Entry[libdns.Record]) (out, result []rrset.Entry[libdns.Record], touched []string, err error)

// write runs one write call under the lock, with fault injection.
func (p *Provider) write(ctx context.Context, zone string, f editFunc) ([]libdns.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes++
	if p.failIn == 0 {
		err := p.failErr
		p.failIn, p.failErr = -1, nil
		return nil, err
	}
	if p.failIn > 0 {
		p.failIn--
	}
	z, cur, err := p.zone(zone)
	if err != nil {
		return nil, err
	}
	out, result, touched, err := f(z, cur)
	if err == nil {
		err = rrset.CheckCNAME(out, touched)
	}
	if err != nil {
		return nil, fmt.Errorf("memory: zone %s: %w", z, err)
	}
	p.zones[z] = out
	return values(result), nil
}

// zone looks a zone up; the caller holds p.mu.
func (p *Provider) zone(zone string) (string, []rrset.Entry[libdns.Record], error) {
	z, err := rrset.NormalizeZone(zone)
	if err != nil {
		return "", nil, fmt.Errorf("memory: %w", err)
	}
	entries, ok := p.zones[z]
	if !ok {
		return "", nil, fmt.Errorf("%w: %s", ErrZoneNotFound, z)
	}
	return z, entries, nil
}

// normalize validates input records and converts them to entries.
func normalize(recs []libdns.Record, zone string) ([]rrset.Entry[libdns.Record], error) {
	out := make([]rrset.Entry[libdns.Record], 0, len(recs))
	for _, rec := range recs {
		rr := rec.RR()
		name, err := rrset.OwnerName(rr.Name, zone)
		if err != nil {
			return nil, err
		}
		rr.Name = name
		rr.Type = strings.ToUpper(strings.TrimSpace(rr.Type))
		e, err := entry(rr, zone)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// entry parses rr into the libdns struct type for its RR type, which is
// what the provider stores and returns; its RR() form is the canonical one
// that comparisons use.
func entry(rr libdns.RR, zone string) (rrset.Entry[libdns.Record], error) {
	if rr.Type == "" {
		return rrset.Entry[libdns.Record]{}, fmt.Errorf("%w: %s has no type", rrset.ErrInvalidRecord, rrset.Absolute(rr.Name, zone))
	}
	if rr.TTL < 0 {
		return rrset.Entry[libdns.Record]{}, fmt.Errorf("%w: %s %s: negative TTL", rrset.ErrInvalidRecord, rrset.Absolute(rr.Name, zone), rr.Type)
	}
	rec, err := rr.Parse()
	if err != nil {
		return rrset.Entry[libdns.Record]{}, fmt.Errorf("%w: %s %s %q: %v", rrset.ErrInvalidRecord, rrset.Absolute(rr.Name, zone), rr.Type, rr.Data, err)
	}
	return rrset.Entry[libdns.Record]{RR: rec.RR(), Val: rec}, nil
}

// values returns the stored records as copies a caller may modify freely:
// a ServiceBinding's Params map is the one part a struct copy would share.
func values(entries []rrset.Entry[libdns.Record]) []libdns.Record {
	out := make([]libdns.Record, len(entries))
	for i, e := range entries {
		if sb, ok := e.Val.(libdns.ServiceBinding); ok {
			params := make(libdns.SvcParams, len(sb.Params))
			for k, v := range sb.Params {
				params[k] = slices.Clone(v)
			}
			sb.Params = params
			out[i] = sb
			continue
		}
		out[i] = e.Val
	}
	return out
}
