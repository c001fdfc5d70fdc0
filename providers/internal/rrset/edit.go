package rrset

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libdns/libdns"
)

// Entry is one record of a zone as a provider stores it (Val), together with
// its canonical libdns form (RR), which is what the editing rules compare.
// RR.Name is relative to the zone ("@" for the apex), RR.Type is upper case
// and RR.Data is in the provider's canonical form, so that two entries
// describe the same DNS record exactly when their keys are equal.
type Entry[T any] struct {
	RR  libdns.RR
	Val T
}

// key identifies a record regardless of its TTL: RFC 2181 section 5 makes
// the TTL a property of the RRset, and a record (name, type, data) appears at
// most once in an RRset.
func key(rr libdns.RR) string {
	return strings.ToLower(rr.Name) + "\x00" + rr.Type + "\x00" + rr.Data
}

// setKey identifies an RRset: owner name and type (RFC 2181 section 5).
func setKey(rr libdns.RR) string {
	return strings.ToLower(rr.Name) + "\x00" + rr.Type
}

func sameOwner(a, b libdns.RR) bool { return strings.EqualFold(a.Name, b.Name) }

// seconds truncates a TTL to what DNS carries, whole seconds.
func seconds(d time.Duration) time.Duration { return d / time.Second }

// insertAfterOwner inserts e right after the last entry with the same owner
// name, or at the end, so that a zone file keeps a name's records together.
func insertAfterOwner[T any](zone []Entry[T], e Entry[T]) []Entry[T] {
	for i := len(zone) - 1; i >= 0; i-- {
		if sameOwner(zone[i].RR, e.RR) {
			return slices.Insert(zone, i+1, e)
		}
	}
	return append(zone, e)
}

// Append adds the records of add to zone, never changing an existing one.
// A record already present with the same name, type and data is not added
// a second time (RFC 2181 section 5: an RRset holds each record once) and is
// not reported as added. It returns the new zone and the added entries.
func Append[T any](zone, add []Entry[T]) (out, added []Entry[T]) {
	out = slices.Clone(zone)
	have := make(map[string]bool, len(out)+len(add))
	for _, e := range out {
		have[key(e.RR)] = true
	}
	for _, e := range add {
		k := key(e.RR)
		if have[k] {
			continue
		}
		have[k] = true
		out = insertAfterOwner(out, e)
		added = append(added, e)
	}
	return out, added
}

// Set makes every RRset named in in (by owner name and type) consist of
// exactly the input records, leaving all other records untouched: the
// libdns RecordSetter contract. A replaced RRset takes the place of its
// first old member, so the order of the zone stays stable; a new RRset goes
// after the last record of its owner name, or at the end. An input record
// equal to an old member (same data and TTL) keeps the old entry, so that an
// unchanged record keeps its stored form. It returns the new zone and the
// entries that now form the input RRsets, in input order.
func Set[T any](zone, in []Entry[T]) (out, set []Entry[T]) {
	groups := map[string][]Entry[T]{}
	var order []string
	seen := map[string]bool{}
	for _, e := range in {
		k := key(e.RR)
		if seen[k] {
			continue
		}
		seen[k] = true
		sk := setKey(e.RR)
		if _, ok := groups[sk]; !ok {
			order = append(order, sk)
		}
		groups[sk] = append(groups[sk], e)
	}

	// Reuse old entries that are unchanged, in data and in TTL.
	for _, e := range zone {
		g, ok := groups[setKey(e.RR)]
		if !ok {
			continue
		}
		for i := range g {
			if key(g[i].RR) == key(e.RR) && g[i].RR.TTL == e.RR.TTL {
				g[i] = e
			}
		}
	}

	placed := map[string]bool{}
	for _, e := range zone {
		sk := setKey(e.RR)
		g, ok := groups[sk]
		if !ok {
			out = append(out, e)
			continue
		}
		if !placed[sk] {
			placed[sk] = true
			out = append(out, g...)
		}
	}
	for _, sk := range order {
		if placed[sk] {
			continue
		}
		for _, e := range groups[sk] {
			out = insertAfterOwner(out, e)
		}
	}
	for _, sk := range order {
		set = append(set, groups[sk]...)
	}
	return out, set
}

// Matches reports whether the zone record e matches the deletion pattern p
// under the libdns RecordDeleter contract: the name must always match; an
// empty Type, a zero TTL or an empty Data match anything.
func Matches(e, p libdns.RR) bool {
	return strings.EqualFold(e.Name, p.Name) &&
		(p.Type == "" || p.Type == e.Type) &&
		(p.TTL == 0 || seconds(p.TTL) == seconds(e.TTL)) &&
		(p.Data == "" || p.Data == e.Data)
}

// Delete removes from zone every entry that matches one of the patterns
// (see Matches), except those protect reports true for (nil protects
// nothing). It returns the new zone and the deleted entries in zone order.
func Delete[T any](zone []Entry[T], patterns []libdns.RR, protect func(libdns.RR) bool) (out, deleted []Entry[T]) {
	for _, e := range zone {
		hit := false
		if protect == nil || !protect(e.RR) {
			for _, p := range patterns {
				if Matches(e.RR, p) {
					hit = true
					break
				}
			}
		}
		if hit {
			deleted = append(deleted, e)
		} else {
			out = append(out, e)
		}
	}
	return out, deleted
}

// Changed reports whether two zones differ in any record or TTL. Order is
// ignored: a write that only reorders records, such as a Set repeating what
// is already there, changes nothing a resolver can see and is not worth a
// new serial.
func Changed[T any](before, after []Entry[T]) bool {
	if len(before) != len(after) {
		return true
	}
	count := make(map[libdns.RR]int, len(before))
	for _, e := range before {
		count[canon(e.RR)]++
	}
	for _, e := range after {
		c := canon(e.RR)
		if count[c] == 0 {
			return true
		}
		count[c]--
	}
	return false
}

// canon folds the case of the owner name, which DNS ignores.
func canon(rr libdns.RR) libdns.RR {
	rr.Name = strings.ToLower(rr.Name)
	return rr
}

// dnssecTypes may share a name with a CNAME: RFC 4035 section 2.5 allows
// RRSIG and NSEC next to a CNAME in a signed zone.
var dnssecTypes = map[string]bool{"RRSIG": true, "NSEC": true}

// CheckCNAME reports ErrCNAMEConflict when one of names holds a CNAME
// together with any other record, or more than one CNAME. RFC 1034 section
// 3.6.2 and RFC 2181 section 10.1: a CNAME name has no other data. Only the
// names a write touched are checked, so a conflict written by hand elsewhere
// does not block unrelated changes.
func CheckCNAME[T any](zone []Entry[T], names []string) error {
	for _, name := range names {
		cnames, other := 0, ""
		for _, e := range zone {
			if !strings.EqualFold(e.RR.Name, name) {
				continue
			}
			switch {
			case e.RR.Type == "CNAME":
				cnames++
			case !dnssecTypes[e.RR.Type] && other == "":
				other = e.RR.Type
			}
		}
		if cnames > 1 {
			return fmt.Errorf("%w: %s would have %d CNAME records (RFC 2181 section 10.1)", ErrCNAMEConflict, name, cnames)
		}
		if cnames == 1 && other != "" {
			return fmt.Errorf("%w: %s would have a CNAME and a %s record (RFC 1034 section 3.6.2)", ErrCNAMEConflict, name, other)
		}
	}
	return nil
}

// Names returns the distinct owner names of entries, in first-seen order.
func Names[T any](entries []Entry[T]) []string {
	var names []string
	seen := map[string]bool{}
	for _, e := range entries {
		n := strings.ToLower(e.RR.Name)
		if !seen[n] {
			seen[n] = true
			names = append(names, e.RR.Name)
		}
	}
	return names
}
