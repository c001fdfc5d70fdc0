package route53

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
	"github.com/mailconf/mailconf/providers/route53/internal/escape"
)

// batchAttempts bounds how often a write is redone when its record sets
// changed between the read and the write.
const batchAttempts = 3

// setKey identifies a record set: owner name (fully qualified, lower case)
// and type. Route 53 keys plain record sets the same way.
type setKey struct{ name, typ string }

// wantSet is a record set as a caller wants it written.
type wantSet struct {
	setKey
	ttl time.Duration
	// values, canon and recs have one entry per distinct record: the
	// Route 53 Value, the canonical data, and the record as it will read
	// back.
	values []string
	canon  []string
	recs   []libdns.Record
}

// group sorts records into record sets, in first-seen order, checking what
// Route 53 would refuse or silently change: names outside the zone, types it
// does not store, records of one set with different TTLs (RFC 2181 section
// 5.2 makes the TTL a property of the set, and Route 53 stores one), several
// CNAMEs at one name (RFC 2181 section 10.1). A record repeated in the input
// is written once (RFC 2181 section 5: an RRset holds each record once;
// Route 53 refuses duplicate values).
func group(zone string, recs []libdns.Record) ([]*wantSet, error) {
	var sets []*wantSet
	index := map[setKey]*wantSet{}
	for _, r := range recs {
		rr := r.RR()
		rr.Type = strings.ToUpper(rr.Type)
		rel, err := rrset.OwnerName(rr.Name, zone)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rr.Type, rr.Name, err)
		}
		rr.Name = strings.ToLower(rel)
		if !supportedTypes[rr.Type] {
			return nil, fmt.Errorf("%w: %s %s: Route 53 does not store %s records", providers.ErrInvalidRecord, rr.Type, rrset.Absolute(rr.Name, zone), rr.Type)
		}
		value, err := valueOf(rr)
		if err != nil {
			return nil, err
		}
		ttl := rr.TTL.Truncate(time.Second)
		k := setKey{rrset.Absolute(rr.Name, zone), rr.Type}
		s := index[k]
		if s == nil {
			s = &wantSet{setKey: k, ttl: ttl}
			index[k] = s
			sets = append(sets, s)
		} else if s.ttl != ttl {
			return nil, fmt.Errorf("%w: %s %s: its records have different TTLs (%d and %d seconds), but Route 53 holds one TTL per record set (RFC 2181 section 5.2)", providers.ErrInvalidRecord, k.typ, k.name, s.ttl/time.Second, ttl/time.Second)
		}
		rec := recordOf(rr.Name, rr.Type, ttl, value)
		c := canon(rec.RR())
		if slices.Contains(s.canon, c) {
			continue
		}
		s.values = append(s.values, value)
		s.canon = append(s.canon, c)
		s.recs = append(s.recs, rec)
	}
	for _, s := range sets {
		if s.typ == "CNAME" && len(s.values) > 1 {
			return nil, fmt.Errorf("%w: %s would have %d CNAME records (RFC 2181 section 10.1)", providers.ErrCNAMEConflict, s.name, len(s.values))
		}
	}
	return sets, nil
}

// SetRecords makes each record set named in recs (by name and type) hold
// exactly the given records, leaving every other set alone (the libdns
// RecordSetter contract).
//
// All the sets of one call are replaced in one ChangeResourceRecordSets
// batch, which Route 53 applies entirely or not at all: on error, the zone
// is as it was. A set is replaced by DELETE of exactly the values read just
// before plus CREATE of the new ones, rather than UPSERT: the read is what
// lets the adapter refuse to overwrite an alias or routing-policy set and
// skip a set that is already right, and the exact DELETE makes Route 53
// refuse the batch if the set changed since, in which case the adapter
// reads again and redoes it (AppendRecords and DeleteRecords rely on this
// to keep another writer's records).
func (p *Provider) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, api, id, err := p.prepare(ctx, zone)
	if err != nil {
		return nil, err
	}
	sets, err := group(z, recs)
	if err != nil {
		return nil, p.fail(z, "", err)
	}
	if len(sets) == 0 {
		return nil, nil
	}
	var targets []setKey
	var names []string
	for _, s := range sets {
		targets = append(targets, s.setKey)
		names = append(names, s.name)
	}
	defer p.lock(id, names)()
	err = p.transact(ctx, api, z, id, targets, func(have map[setKey]*haveSet) ([]types.Change, error) {
		var changes []types.Change
		for _, s := range sets {
			h := have[s.setKey]
			switch {
			case h == nil:
			case !h.simple:
				return nil, unmanaged(h)
			case h.ttl == s.ttl && sameValues(h.canon, s.canon):
				continue
			default:
				changes = append(changes, deleteChange(h))
			}
			changes = append(changes, createChange(s.name, s.typ, s.ttl, s.values))
		}
		return changes, nil
	})
	if err != nil {
		return nil, p.fail(z, "setting "+describe(targets), err)
	}
	var out []libdns.Record
	for _, s := range sets {
		out = append(out, s.recs...)
	}
	return out, nil
}

// AppendRecords adds records to their record sets, never removing one
// (the libdns RecordAppender contract), in one all-or-nothing batch. A
// record already present is not added again and not returned. Adding to an
// existing set with another TTL is refused: Route 53 holds one TTL per set,
// and changing it would change the records already there.
func (p *Provider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, api, id, err := p.prepare(ctx, zone)
	if err != nil {
		return nil, err
	}
	sets, err := group(z, recs)
	if err != nil {
		return nil, p.fail(z, "", err)
	}
	if len(sets) == 0 {
		return nil, nil
	}
	var targets []setKey
	var names []string
	for _, s := range sets {
		targets = append(targets, s.setKey)
		names = append(names, s.name)
	}
	defer p.lock(id, names)()
	// What was there at the first read decides what this call added: a
	// retry after a conflict, or after a batch that Route 53 applied but
	// whose answer was lost, finds the records already present.
	var before map[setKey]*haveSet
	err = p.transact(ctx, api, z, id, targets, func(have map[setKey]*haveSet) ([]types.Change, error) {
		if before == nil {
			before = have
		}
		var changes []types.Change
		for _, s := range sets {
			h := have[s.setKey]
			if h == nil {
				changes = append(changes, createChange(s.name, s.typ, s.ttl, s.values))
				continue
			}
			if !h.simple {
				return nil, unmanaged(h)
			}
			var add []string
			for i, c := range s.canon {
				if !slices.Contains(h.canon, c) {
					add = append(add, s.values[i])
				}
			}
			if len(add) == 0 {
				continue
			}
			if h.ttl != s.ttl {
				return nil, fmt.Errorf("%w: %s %s has a TTL of %d seconds and the new records %d; Route 53 holds one TTL per record set (RFC 2181 section 5.2), so use the set's TTL, or replace the set with SetRecords", providers.ErrInvalidRecord, s.typ, s.name, h.ttl/time.Second, s.ttl/time.Second)
			}
			changes = append(changes, deleteChange(h), createChange(s.name, s.typ, h.ttl, append(rawValues(h), add...)))
		}
		return changes, nil
	})
	if err != nil {
		return nil, p.fail(z, "adding to "+describe(targets), err)
	}
	var out []libdns.Record
	for _, s := range sets {
		h := before[s.setKey]
		for i, c := range s.canon {
			if h == nil || !slices.Contains(h.canon, c) {
				out = append(out, s.recs[i])
			}
		}
	}
	return out, nil
}

// DeleteRecords removes the records that match the input (the libdns
// RecordDeleter contract: the name must match; an empty type, a zero TTL or
// empty data match anything) and returns those it removed, in one
// all-or-nothing batch. A set that keeps some records is rewritten with the
// rest. Alias and routing-policy sets are never touched, and neither are the
// SOA record and the apex NS set unless a record names their type: Route 53
// refuses to delete them, and libdns leaves removing a zone's last NS
// undefined.
func (p *Provider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	z, api, id, err := p.prepare(ctx, zone)
	if err != nil {
		return nil, err
	}
	var patterns []libdns.RR
	typed := map[string][]string{} // name -> the types asked for; "" for any
	var order []string
	for _, r := range recs {
		rr := r.RR()
		rr.Type = strings.ToUpper(rr.Type)
		rel, err := rrset.OwnerName(rr.Name, z)
		if err != nil {
			return nil, p.fail(z, "", fmt.Errorf("%s %s: %w", rr.Type, rr.Name, err))
		}
		rr.Name = strings.ToLower(rel)
		if rr.Data != "" && rr.Type != "" {
			rr.Data = canon(recordOf(rr.Name, rr.Type, rr.TTL, mustValue(rr)).RR())
		}
		patterns = append(patterns, rr)
		name := rrset.Absolute(rr.Name, z)
		if _, ok := typed[name]; !ok {
			order = append(order, name)
		}
		if !slices.Contains(typed[name], rr.Type) {
			typed[name] = append(typed[name], rr.Type)
		}
	}
	var targets []setKey
	for _, name := range order {
		if slices.Contains(typed[name], "") {
			targets = append(targets, setKey{name: name})
			continue
		}
		for _, t := range typed[name] {
			targets = append(targets, setKey{name, t})
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	defer p.lock(id, order)()
	var deleted []libdns.Record
	err = p.transact(ctx, api, z, id, targets, func(have map[setKey]*haveSet) ([]types.Change, error) {
		deleted = nil
		var changes []types.Change
		for _, k := range sortedKeys(have) {
			h := have[k]
			if !h.simple {
				continue
			}
			protected := h.typ == "SOA" || h.typ == "NS" && h.name == z
			var keep []string
			var gone []libdns.Record
			for i, rec := range h.recs {
				// The stored name, not the record's: libdns rebuilds the
				// names of SRV, SVCB and HTTPS records from their fields.
				rr := rec.RR()
				rr.Name, rr.Data = h.rel, h.canon[i]
				hit := false
				for _, pat := range patterns {
					if rrset.Matches(rr, pat) && (!protected || pat.Type == h.typ) {
						hit = true
						break
					}
				}
				if hit {
					gone = append(gone, rec)
				} else {
					keep = append(keep, aws.ToString(h.raw.ResourceRecords[i].Value))
				}
			}
			if len(gone) == 0 {
				continue
			}
			deleted = append(deleted, gone...)
			changes = append(changes, deleteChange(h))
			if len(keep) > 0 {
				changes = append(changes, createChange(h.name, h.typ, h.ttl, keep))
			}
		}
		return changes, nil
	})
	if err != nil {
		return nil, p.fail(z, "deleting "+describe(targets), err)
	}
	return deleted, nil
}

// mustValue is the Route 53 value of a deletion pattern's data; data that
// cannot be a value matches nothing, which its raw form ensures.
func mustValue(rr libdns.RR) string {
	v, err := valueOf(rr)
	if err != nil {
		return rr.Data
	}
	return v
}

// transact reads the record sets of targets, asks build for the changes,
// and submits them as one batch. Route 53 validates and applies a batch as
// a whole, so a refused batch changed nothing. When it is refused and the
// sets read a moment before have changed since, another writer got in
// between: the adapter reads again and rebuilds, a few times. When they
// have not changed, the refusal is final and returned as is.
func (p *Provider) transact(ctx context.Context, api *r53.Client, zone, id string, targets []setKey, build func(map[setKey]*haveSet) ([]types.Change, error)) error {
	for attempt := 1; ; attempt++ {
		have, err := p.read(ctx, api, zone, id, targets)
		if err != nil {
			return err
		}
		changes, err := build(have)
		if err != nil || len(changes) == 0 {
			return err
		}
		err = p.change(ctx, api, id, changes)
		var batch *types.InvalidChangeBatch
		if err == nil || !errors.As(err, &batch) {
			return err
		}
		again, rerr := p.read(ctx, api, zone, id, targets)
		if rerr != nil || sameHave(have, again) {
			return err
		}
		if attempt == batchAttempts {
			return &opError{kind: ErrConflict, detail: fmt.Sprintf("gave up after %d attempts", attempt), temporary: true, err: err}
		}
	}
}

// read returns the record sets of targets, by name and type. A target
// without a type reads every set at its name.
func (p *Provider) read(ctx context.Context, api *r53.Client, zone, id string, targets []setKey) (map[setKey]*haveSet, error) {
	have := map[setKey]*haveSet{}
	for _, t := range targets {
		// One set of a name and type is on the first page from that
		// position: a plain set is alone at its name and type, and if the
		// first is a routing-policy set the name and type are not
		// manageable anyway. A whole name needs paging through its types.
		size := int32(1)
		if t.typ == "" {
			size = int32(p.opts.PageSize)
		}
		err := p.list(ctx, api, id, t.name, t.typ, size, func(s types.ResourceRecordSet) bool {
			h := haveOf(zone, s)
			if h == nil || h.name != t.name || t.typ != "" && h.typ != t.typ {
				return false
			}
			k := setKey{h.name, h.typ}
			if prev := have[k]; prev != nil {
				// Several sets of one name and type: a routing policy.
				prev.simple = false
				return true
			}
			have[k] = h
			return t.typ == ""
		})
		if err != nil {
			return nil, err
		}
	}
	return have, nil
}

// change submits one change batch and, with WaitForSync, waits until
// Route 53 reports it INSYNC.
func (p *Provider) change(ctx context.Context, api *r53.Client, id string, changes []types.Change) error {
	out, err := api.ChangeResourceRecordSets(ctx, &r53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(id),
		ChangeBatch:  &types.ChangeBatch{Comment: aws.String("mailconf"), Changes: changes},
	})
	if err != nil {
		return apiError("ChangeResourceRecordSets", err)
	}
	if !p.opts.WaitForSync || out.ChangeInfo == nil {
		return nil
	}
	info := out.ChangeInfo
	for info.Status != types.ChangeStatusInsync {
		t := time.NewTimer(p.opts.SyncPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return &opError{kind: ErrNotInSync, op: "GetChange", detail: fmt.Sprintf("change %s still %s", aws.ToString(info.Id), info.Status), temporary: true, err: ctx.Err()}
		case <-t.C:
		}
		got, err := api.GetChange(ctx, &r53.GetChangeInput{Id: info.Id})
		if err != nil {
			return apiError("GetChange", err)
		}
		if got.ChangeInfo == nil {
			return &opError{kind: ErrRequest, op: "GetChange", detail: "no change information in the response"}
		}
		info = got.ChangeInfo
	}
	return nil
}

// deleteChange deletes a set exactly as it was read, which Route 53
// requires of a DELETE ("you must specify all the same values"), and which
// makes the batch fail if the set changed since.
func deleteChange(h *haveSet) types.Change {
	raw := h.raw
	return types.Change{Action: types.ChangeActionDelete, ResourceRecordSet: &raw}
}

func createChange(name, typ string, ttl time.Duration, values []string) types.Change {
	rrs := make([]types.ResourceRecord, len(values))
	for i, v := range values {
		rrs[i] = types.ResourceRecord{Value: aws.String(v)}
	}
	return types.Change{Action: types.ChangeActionCreate, ResourceRecordSet: &types.ResourceRecordSet{
		Name:            aws.String(escape.ToAPIName(name)),
		Type:            types.RRType(typ),
		TTL:             aws.Int64(int64(ttl / time.Second)),
		ResourceRecords: rrs,
	}}
}

func rawValues(h *haveSet) []string {
	out := make([]string, len(h.raw.ResourceRecords))
	for i, v := range h.raw.ResourceRecords {
		out[i] = aws.ToString(v.Value)
	}
	return out
}

func unmanaged(h *haveSet) error {
	return fmt.Errorf("%w: %s %s; mailconf leaves such sets to the Route 53 console or the tool that made them", ErrUnmanagedSet, h.typ, h.name)
}

// sameValues reports whether two lists hold the same values, in any order.
func sameValues(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// sameHave reports whether two reads found the same record sets.
func sameHave(a, b map[setKey]*haveSet) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y := b[k]
		if y == nil || x.simple != y.simple || x.ttl != y.ttl || !sameValues(rawValues(x), rawValues(y)) {
			return false
		}
	}
	return true
}

func sortedKeys(have map[setKey]*haveSet) []setKey {
	keys := make([]setKey, 0, len(have))
	for k := range have {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].name != keys[j].name {
			return keys[i].name < keys[j].name
		}
		return keys[i].typ < keys[j].typ
	})
	return keys
}

// describe names the record sets of a write for an error message, a few
// of them at most.
func describe(keys []setKey) string {
	const shown = 3
	var parts []string
	for i, k := range keys {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-shown))
			break
		}
		typ := k.typ
		if typ == "" {
			typ = "every type at"
		}
		parts = append(parts, typ+" "+k.name)
	}
	return strings.Join(parts, ", ")
}

// lockKey identifies an owner name in a hosted zone.
type lockKey struct{ zoneID, name string }

// lock takes the locks of names in zoneID, in sorted order so that two
// calls on overlapping names cannot deadlock, and returns the unlock.
func (p *Provider) lock(zoneID string, names []string) func() {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	mus := make([]*sync.Mutex, 0, len(sorted))
	for _, n := range sorted {
		v, _ := p.locks.LoadOrStore(lockKey{zoneID, n}, &sync.Mutex{})
		mu := v.(*sync.Mutex)
		mu.Lock()
		mus = append(mus, mu)
	}
	return func() {
		for i := len(mus) - 1; i >= 0; i-- {
			mus[i].Unlock()
		}
	}
}
