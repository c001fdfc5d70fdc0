// Package zonefile is mailconf's embedded default provider: a directory of
// RFC 1035 master files (section 5), one per zone, named "<zone>.zone"
// where <zone> is the zone name without its trailing dot, for example
// "example.com.zone". It implements the libdns record interfaces and
// libdns.ZoneLister.
//
// Reading uses the master-file parser of github.com/miekg/dns: $ORIGIN,
// $TTL (RFC 2308 section 4), relative names and multi-string TXT records are
// understood; $INCLUDE and $GENERATE are refused, as are classes other than
// IN. GetRecords returns every record of the file, SOA and any DNSSEC
// records included, as the libdns struct types; a TXT record's Text is the
// concatenation of its strings (RFC 7208 section 3.3). Two kinds of record
// come back as the opaque libdns.RR because libdns cannot represent them
// exactly: an SRV whose name lacks the _service._proto labels, and an HTTPS
// or SVCB record whose parameters contain escapes.
//
// A zone file is read only if it is a regular file (a FIFO or a link to a
// device is refused at once, not waited on) of at most regfile.ZoneLimit,
// and only if every record in it is one a DNS server could send: names of
// at most 255 octets, character-strings of at most 255, data of at most
// 65535 octets (RFC 1035 sections 2.3.4, 3.3 and 3.2.1), and each record
// and RRset small enough for a response of at most 65535 octets (section
// 4.2.2). Otherwise reading fails with ErrUnservable, naming the file,
// line, record, size and limit; since a write rewrites the whole file,
// such a zone is never written either, and a write whose result would
// hold such a record is refused the same way.
//
// Input records follow libdns: names relative to the zone, Data unescaped.
// A TXT text longer than 255 octets is written as one record of several
// character-strings (RFC 1035 section 3.3.14), cut after a space where one
// is near the limit. A TTL of 0 means the zone's $TTL; a sub-second TTL
// asks for a real 0. Domain names in Data without a trailing dot are
// relative to the zone, as in the file itself.
//
// Writes (AppendRecords, SetRecords, DeleteRecords) read the file, edit the
// records in memory and write the whole file back:
//
//   - Every record the call does not name is kept with the same owner, TTL
//     and data, in the same order. A new record goes right after the last
//     record of its owner name, or at the end.
//   - The file is rewritten in one clean layout ($ORIGIN and $TTL, then one
//     record per line, aligned). Comments and the original formatting are
//     not preserved. The same records always give the same bytes.
//   - The SOA serial is bumped to a date-based YYYYMMDDnn value; the SOA
//     record itself cannot be written through this provider.
//   - A call that changes nothing writes nothing and keeps the serial.
//   - The file is replaced atomically (temporary file in the same
//     directory, fsync, rename, fsync of the directory), keeping its mode.
//     Each call is all or nothing: if it returns an error, the file is as it
//     was, with one exception: if only the final directory fsync fails, the
//     change is in place but may not survive a crash, and the error says so.
//   - Calls are serialized per zone within the process, and across processes
//     by an flock(2) on the lock file "<dir>/.<zone>.zone.lock", held for
//     the whole read-modify-write. The lock file exists only during a write:
//     the writer removes it before it lets go. One left behind shows that a
//     writer was killed; the next write takes it over, removes the
//     temporary files of mailconf's own naming ".<zone>.zone.tmp-<digits>"
//     that the killed writer may have left, and removes the lock file in
//     turn. The zone file itself is never half-written, killed or not.
//   - A CNAME is refused next to other data at one name (RFC 1034 section
//     3.6.2), since servers reject such a zone entirely.
//
// The provider never creates a zone file: a missing file is ErrZoneNotFound.
// It does no network I/O; its only clock is Provider.Now, for serials.
package zonefile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/providers/internal/rrset"
)

var (
	// ErrZoneNotFound reports a zone without a zone file. The provider never
	// creates one: create the file, or point `dir` at the right directory.
	ErrZoneNotFound = errors.New("zonefile: zone file not found")
	// ErrSyntax reports a zone file that is not a valid master file for its
	// zone; the message names the file and line.
	ErrSyntax = errors.New("zonefile: syntax error")
	// ErrNoSOA reports a write to a zone file without an SOA record, whose
	// serial could not be bumped (RFC 1035 section 5.2 requires one).
	ErrNoSOA = errors.New("zonefile: zone has no SOA record")
	// ErrSOAManaged reports an attempt to write or delete the SOA record,
	// which the provider maintains itself.
	ErrSOAManaged = errors.New("zonefile: the SOA record is managed by the provider")
	// ErrNotDurable reports a write that replaced the zone file but whose
	// directory could not be synced: the change is visible, but a crash could
	// still undo it.
	ErrNotDurable = errors.New("zonefile: zone file replaced but not synced to disk")
)

// lockRetry is how often a lock held by another process is tried again.
const lockRetry = 5 * time.Millisecond

// Provider manages the zone files in one directory. Its methods are safe for
// concurrent use; a Provider must not be copied after first use.
type Provider struct {
	// Dir holds the zone files.
	Dir string
	// Now is the clock for SOA serials; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	locks map[string]chan struct{} // per zone, a one-slot semaphore
}

// New returns a provider for the zone files in dir.
func New(dir string) *Provider {
	return &Provider{Dir: dir}
}

// Compile-time checks of the interfaces the provider promises.
var (
	_ libdns.RecordGetter   = (*Provider)(nil)
	_ libdns.RecordAppender = (*Provider)(nil)
	_ libdns.RecordSetter   = (*Provider)(nil)
	_ libdns.RecordDeleter  = (*Provider)(nil)
	_ libdns.ZoneLister     = (*Provider)(nil)
)

// path returns the zone file of a normalized zone.
func (p *Provider) path(zone string) string {
	return filepath.Join(p.Dir, strings.TrimSuffix(zone, ".")+".zone")
}

// lockPath returns the inter-process lock file of a normalized zone.
func (p *Provider) lockPath(zone string) string {
	return filepath.Join(p.Dir, "."+strings.TrimSuffix(zone, ".")+".zone.lock")
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// ListZones lists the zones that have a zone file in Dir, sorted by name.
func (p *Provider) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p.Dir)
	if err != nil {
		return nil, fmt.Errorf("zonefile: listing zones in %s: %w", p.Dir, err)
	}
	var zones []libdns.Zone
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".zone") {
			continue
		}
		zone, err := rrset.NormalizeZone(strings.TrimSuffix(name, ".zone"))
		// Only files that GetRecords would find under this zone name count;
		// "Example.com.zone" is not the file of "example.com.".
		if err != nil || p.path(zone) != filepath.Join(p.Dir, name) {
			continue
		}
		zones = append(zones, libdns.Zone{Name: zone})
	}
	return zones, nil
}

// GetRecords returns every record of the zone file. It takes no lock: writes
// replace the file atomically, so a reader always sees a whole version.
func (p *Provider) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	z, err := p.read(zone)
	if err != nil {
		return nil, err
	}
	recs, err := z.libdnsRecords()
	if err != nil {
		return nil, fmt.Errorf("zonefile: zone %s: %w", z.origin, err)
	}
	return recs, nil
}

// read parses the zone file of zone (not yet normalized).
func (p *Provider) read(zone string) (*zoneData, error) {
	norm, err := rrset.NormalizeZone(zone)
	if err != nil {
		return nil, fmt.Errorf("zonefile: %w", err)
	}
	return p.readNormalized(norm)
}

func (p *Provider) readNormalized(zone string) (*zoneData, error) {
	file := p.path(zone)
	// Bounded, and never blocking: a zone file that is a FIFO or a link
	// to a device is refused instead of hanging the plan.
	data, err := regfile.Read(file, regfile.ZoneLimit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: zone %s: looked for %s; create it or set `dir` to the directory holding it", ErrZoneNotFound, zone, file)
	}
	if err != nil {
		return nil, fmt.Errorf("zonefile: zone %s: %w", zone, err)
	}
	return parseZone(data, zone, file)
}

// AppendRecords adds recs to the zone and returns the records it added.
// A record identical in name, type and data to one already in the zone is
// not added twice and not returned (RFC 2181 section 5). A zero TTL takes
// the zone's $TTL. Domain names in Data without a trailing dot are relative
// to the zone, as in the file itself.
func (p *Provider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.edit(ctx, zone, func(z *zoneData, cur []rrset.Entry[dns.RR]) ([]rrset.Entry[dns.RR], []rrset.Entry[dns.RR], []string, error) {
		in, err := inputEntries(z, recs)
		if err != nil {
			return nil, nil, nil, err
		}
		out, added := rrset.Append(cur, in)
		return out, added, rrset.Names(in), nil
	})
}

// SetRecords makes each (name, type) RRset of the input consist of exactly
// the input records, as libdns defines it, and returns them. It is atomic:
// all the changes land in one file replacement, or none does.
func (p *Provider) SetRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.edit(ctx, zone, func(z *zoneData, cur []rrset.Entry[dns.RR]) ([]rrset.Entry[dns.RR], []rrset.Entry[dns.RR], []string, error) {
		in, err := inputEntries(z, recs)
		if err != nil {
			return nil, nil, nil, err
		}
		out, set := rrset.Set(cur, in)
		return out, set, rrset.Names(in), nil
	})
}

// DeleteRecords deletes the zone's records that exactly match an input
// record (name, type, TTL and data), where an empty Type, a zero TTL or an
// empty Data match anything, as libdns defines it; it returns the deleted
// records. The SOA record is never deleted: naming it is an error, and a
// pattern without a type skips it.
func (p *Provider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	return p.edit(ctx, zone, func(z *zoneData, cur []rrset.Entry[dns.RR]) ([]rrset.Entry[dns.RR], []rrset.Entry[dns.RR], []string, error) {
		patterns := make([]libdns.RR, 0, len(recs))
		for _, rec := range recs {
			pat, err := pattern(rec, z)
			if err != nil {
				return nil, nil, nil, err
			}
			patterns = append(patterns, pat)
		}
		out, deleted := rrset.Delete(cur, patterns, func(rr libdns.RR) bool { return rr.Type == "SOA" })
		return out, deleted, nil, nil
	})
}

// pattern turns a DeleteRecords input into a match pattern. With both a
// type and data it is brought to canonical form, so that "2001:DB8::1"
// matches the stored "2001:db8::1".
func pattern(rec libdns.Record, z *zoneData) (libdns.RR, error) {
	rr := rec.RR()
	name, err := rrset.OwnerName(rr.Name, z.origin)
	if err != nil {
		return libdns.RR{}, err
	}
	rr.Name = name
	rr.Type = strings.ToUpper(strings.TrimSpace(rr.Type))
	if rr.Type == "SOA" {
		return libdns.RR{}, fmt.Errorf("%w: %s SOA", ErrSOAManaged, rrset.Absolute(name, z.origin))
	}
	if rr.Type == "" || rr.Data == "" {
		return rr, nil
	}
	d, err := fromLibdns(rec, z.origin, z.defaultTTL)
	if err != nil {
		return libdns.RR{}, err
	}
	c, err := canonical(d, z.origin)
	if err != nil {
		return libdns.RR{}, err
	}
	rr.Data = c.Data
	return rr, nil
}

// inputEntries converts input records to zone entries.
func inputEntries(z *zoneData, recs []libdns.Record) ([]rrset.Entry[dns.RR], error) {
	out := make([]rrset.Entry[dns.RR], 0, len(recs))
	for _, rec := range recs {
		d, err := fromLibdns(rec, z.origin, z.defaultTTL)
		if err != nil {
			return nil, err
		}
		c, err := canonical(d, z.origin)
		if err != nil {
			return nil, err
		}
		out = append(out, rrset.Entry[dns.RR]{RR: c, Val: d})
	}
	return out, nil
}

// editFunc computes a write: from the zone and its current entries, the new
// entries, the entries to return, and the owner names to check for CNAME
// conflicts.
type editFunc func(z *zoneData, cur []rrset.Entry[dns.RR]) (out, result []rrset.Entry[dns.RR], touched []string, err error)

// edit runs one read-modify-write of a zone file under both locks.
func (p *Provider) edit(ctx context.Context, zone string, f editFunc) ([]libdns.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	norm, err := rrset.NormalizeZone(zone)
	if err != nil {
		return nil, fmt.Errorf("zonefile: %w", err)
	}
	// Refuse a missing zone before taking the lock, whose file would be
	// the only thing created for it.
	if _, err := os.Stat(p.path(norm)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: zone %s: looked for %s; create it or set `dir` to the directory holding it", ErrZoneNotFound, norm, p.path(norm))
	}

	unlock, err := p.lock(ctx, norm)
	if err != nil {
		return nil, err
	}
	defer unlock()

	z, err := p.readNormalized(norm)
	if err != nil {
		return nil, err
	}
	cur, err := z.entries()
	if err != nil {
		return nil, fmt.Errorf("zonefile: zone %s: %w", norm, err)
	}
	out, result, touched, err := f(z, cur)
	if err == nil {
		err = rrset.CheckCNAME(out, touched)
	}
	if err != nil {
		return nil, fmt.Errorf("zonefile: zone %s: %w", norm, err)
	}

	recs := make([]libdns.Record, len(result))
	for i, e := range result {
		if recs[i], err = toLibdns(e.Val, z.origin); err != nil {
			return nil, fmt.Errorf("zonefile: zone %s: %w", norm, err)
		}
	}
	if !rrset.Changed(cur, out) {
		return recs, nil
	}

	next := &zoneData{origin: z.origin, defaultTTL: z.defaultTTL, records: make([]dns.RR, len(out))}
	for i, e := range out {
		next.records[i] = e.Val
	}
	// The records written must be servable too: an input TXT of a
	// megabyte would otherwise land in the file, and every later read
	// would refuse the zone.
	if u := checkServable(next.records); u != nil {
		return nil, fmt.Errorf("%w: zone %s: %s; the file is unchanged", ErrUnservable, norm, u.reason)
	}
	soa := next.soa()
	if soa == nil {
		return nil, fmt.Errorf("%w: %s; add one at the top of the file", ErrNoSOA, p.path(norm))
	}
	// The SOA is shared with the parsed copy; that copy is discarded.
	soa.Serial = nextSerial(soa.Serial, p.now())

	// The last moment a cancellation can still leave the zone untouched.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := replaceFile(p.path(norm), render(next)); err != nil {
		return nil, err
	}
	return recs, nil
}

// lock takes the zone's in-process lock, then its lock file (see
// lockFile), honoring ctx while waiting for either, and removes what a
// writer killed while holding the lock left behind. The returned function
// releases both locks, removing the lock file.
func (p *Provider) lock(ctx context.Context, zone string) (func(), error) {
	p.mu.Lock()
	if p.locks == nil {
		p.locks = map[string]chan struct{}{}
	}
	sem := p.locks[zone]
	if sem == nil {
		sem = make(chan struct{}, 1)
		p.locks[zone] = sem
	}
	p.mu.Unlock()

	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	fl, found, err := lockFile(ctx, p.lockPath(zone))
	if err != nil {
		<-sem
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, lockError(zone, p.lockPath(zone), err)
	}
	if found {
		// A writer died holding this lock: it may have left the
		// temporary file of a replacement behind.
		cleanTemps(p.path(zone))
	}
	return func() {
		fl.unlock()
		<-sem
	}, nil
}
