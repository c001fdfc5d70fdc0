package zonefile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// fallbackTTL is the default TTL of a zone whose file has neither a $TTL
// directive nor an SOA record to take one from.
const fallbackTTL = 3600

// zoneData is one parsed zone file.
type zoneData struct {
	origin     string // the zone, lower case with a trailing dot
	defaultTTL uint32 // for new records given TTL 0
	records    []dns.RR
}

// parseZone reads an RFC 1035 master file (section 5) for zone. Relative
// names resolve against zone; $ORIGIN and $TTL are honored; $INCLUDE is
// refused, because a rewrite could not put the records back where they came
// from, and so is $GENERATE (see directives). Every record must be inside
// the zone, and an SOA record, if any, must be the only one and sit at the
// apex (RFC 1035 section 5.2). Every record must be one a DNS server can
// send (see checkServable), or the zone is refused with ErrUnservable.
func parseZone(data []byte, zone, file string) (*zoneData, error) {
	ttl, hasTTL, hasGenerate := directives(data)
	if hasGenerate {
		return nil, fmt.Errorf("%w: %s: $GENERATE is not supported, since rewriting the file would expand it; list the records instead", ErrSyntax, file)
	}
	z := &zoneData{origin: zone, records: make([]dns.RR, 0, bytes.Count(data, []byte("\n")))}
	zp := dns.NewZoneParser(bytes.NewReader(data), zone, file)
	var soa *dns.SOA
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		if !rrset.InZone(h.Name, zone) {
			return nil, fmt.Errorf("%w: %s: record %s %s is outside zone %s", ErrSyntax, file, h.Name, typeString(rr), zone)
		}
		if h.Class != dns.ClassINET {
			// RFC 1035 section 5.2: a zone file holds one class; mailconf's
			// zones are Internet zones, and libdns has no notion of class.
			return nil, fmt.Errorf("%w: %s: record %s has class %s; only class IN is supported", ErrSyntax, file, h.Name, dns.Class(h.Class))
		}
		if t := h.Rrtype; t == 0 || t == dns.TypeOPT || (t >= dns.TypeTKEY && t <= dns.TypeANY) {
			// RFC 6895 section 3.1: type 0 is reserved, and meta-types
			// and query types (OPT, TKEY, TSIG, IXFR, AXFR, MAILB,
			// MAILA, ANY) are never zone data.
			return nil, fmt.Errorf("%w: %s: record %s has type %d, which cannot appear in a zone (RFC 6895 section 3.1)", ErrSyntax, file, h.Name, t)
		}
		if emptyRdata(rr) {
			return nil, fmt.Errorf("%w: %s: record %s %s has no data", ErrSyntax, file, h.Name, typeString(rr))
		}
		if c, isCAA := rr.(*dns.CAA); isCAA && !validTag(c.Tag) {
			return nil, fmt.Errorf("%w: %s: CAA record %s has the tag %q; tags are letters and digits (RFC 8659 section 4.1)", ErrSyntax, file, h.Name, c.Tag)
		}
		if s, isSOA := rr.(*dns.SOA); isSOA {
			if soa != nil {
				return nil, fmt.Errorf("%w: %s: more than one SOA record (RFC 1035 section 5.2)", ErrSyntax, file)
			}
			if !strings.EqualFold(h.Name, zone) {
				return nil, fmt.Errorf("%w: %s: SOA record at %s, not at the zone apex %s (RFC 1035 section 5.2)", ErrSyntax, file, h.Name, zone)
			}
			soa = s
		}
		z.records = append(z.records, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if u := checkServable(z.records); u != nil {
		where := file
		if lines := recordLines(data); len(lines) == len(z.records) {
			where = fmt.Sprintf("%s:%d", file, lines[u.index])
		}
		return nil, fmt.Errorf("%w: %s: %s; no DNS server can send it, and mailconf does not rewrite a zone holding it: shorten or remove the record in the file", ErrUnservable, where, u.reason)
	}
	z.defaultTTL = fallbackTTL
	if hasTTL {
		z.defaultTTL = ttl
	} else if soa != nil && soa.Hdr.Ttl > 0 {
		z.defaultTTL = soa.Hdr.Ttl
	}
	return z, nil
}

// emptyRdata reports a record written without data. The parser accepts
// that (dynamic updates, RFC 2136 section 2.5, use such records) and leaves
// the data at its zero value, but in a zone it is malformed (RFC 1035
// section 5.1) and could not be written back.
func emptyRdata(rr dns.RR) bool {
	// The common types are checked field by field: this runs for every
	// record read, and the generic check below allocates.
	switch v := rr.(type) {
	case *dns.A:
		return len(v.A) == 0
	case *dns.AAAA:
		return len(v.AAAA) == 0
	case *dns.CNAME:
		return v.Target == ""
	case *dns.NS:
		return v.Ns == ""
	case *dns.MX:
		return v.Mx == ""
	case *dns.TXT:
		return len(v.Txt) == 0 // RFC 1035 section 3.3.14: one or more strings
	case *dns.SOA:
		return v.Ns == ""
	case *dns.SRV:
		return v.Target == ""
	}
	newRR, ok := dns.TypeToRR[rr.Header().Rrtype]
	if !ok {
		return false
	}
	zero := newRR()
	*zero.Header() = *rr.Header()
	return dns.IsDuplicate(rr, zero)
}

// directives scans a master file for the directives the parser applies but
// does not expose: the first $TTL (RFC 2308 section 4), which a rewrite
// must keep as the default for new records, and $GENERATE, a BIND extension
// that a rewrite would expand into one line per generated record.
// Directives start at the beginning of a line (RFC 1035 section 5.1).
func directives(data []byte) (ttl uint32, hasTTL, hasGenerate bool) {
	for line := range bytes.Lines(data) {
		if len(line) == 0 || line[0] != '$' {
			continue
		}
		fields := strings.Fields(string(line))
		switch strings.ToUpper(fields[0]) {
		case "$GENERATE":
			hasGenerate = true
		case "$TTL":
			if hasTTL || len(fields) < 2 {
				continue
			}
			if n, err := strconv.ParseUint(fields[1], 10, 32); err == nil {
				ttl, hasTTL = uint32(n), true
				continue
			}
			// BIND's unit syntax ("1h30m"): let the parser read it.
			if rr, err := dns.NewRR("$TTL " + fields[1] + "\n. IN A 192.0.2.1"); err == nil && rr != nil {
				ttl, hasTTL = rr.Header().Ttl, true
			}
		}
	}
	return ttl, hasTTL, hasGenerate
}

// soa returns the zone's SOA record, or nil.
func (z *zoneData) soa() *dns.SOA {
	for _, rr := range z.records {
		if s, ok := rr.(*dns.SOA); ok {
			return s
		}
	}
	return nil
}

// entries pairs each record with its canonical libdns form, for editing.
func (z *zoneData) entries() ([]rrset.Entry[dns.RR], error) {
	out := make([]rrset.Entry[dns.RR], len(z.records))
	for i, rr := range z.records {
		c, err := canonical(rr, z.origin)
		if err != nil {
			return nil, err
		}
		out[i] = rrset.Entry[dns.RR]{RR: c, Val: rr}
	}
	return out, nil
}

// libdnsRecords converts every record for GetRecords.
func (z *zoneData) libdnsRecords() ([]libdns.Record, error) {
	out := make([]libdns.Record, len(z.records))
	for i, rr := range z.records {
		rec, err := toLibdns(rr, z.origin)
		if err != nil {
			return nil, err
		}
		out[i] = rec
	}
	return out, nil
}

// nextSerial returns the SOA serial after a change: the date-based
// YYYYMMDDnn of now (in UTC, so that a laptop and a CI runner agree), or the
// current serial plus one when that is already at or past today's first
// value. RFC 1982 section 3.1: serial addition is modulo 2^32, so a serial
// at 4294967295 wraps to 0, which is still "greater" in serial arithmetic.
// Jumping from any smaller serial to today's value adds less than 2^31
// (until the year 2147), a valid serial increase as well.
func nextSerial(current uint32, now time.Time) uint32 {
	d := now.UTC()
	today := uint64(d.Year())*1_000_000 + uint64(d.Month())*10_000 + uint64(d.Day())*100
	if today <= 0xFFFFFFFF && uint64(current) < today {
		return uint32(today)
	}
	return current + 1
}

// nameColumnMax caps the owner column: a long DKIM or report-authorization
// name overflows its column instead of pushing every other line right.
const nameColumnMax = 40

// render writes the zone in mailconf's layout: a short header, $ORIGIN and
// $TTL, then one record per line with owner names relative to the origin
// ("@" for the apex) and aligned columns. Rdata is printed by miekg/dns in
// its presentation format, with names in rdata fully qualified. The output
// depends only on the records, so identical zones give identical bytes.
func render(z *zoneData) []byte {
	type line struct{ owner, ttl, class, typ, data string }
	lines := make([]line, len(z.records))
	nameW, ttlW, typeW := 1, 1, 1
	for i, rr := range z.records {
		h := rr.Header()
		owner, ok := rrset.Relative(h.Name, z.origin)
		if !ok {
			owner = h.Name
		}
		switch strings.ToUpper(owner) {
		case "$TTL", "$ORIGIN", "$INCLUDE", "$GENERATE":
			// RFC 1035 section 5.1: an owner spelled like a directive
			// would be read as one; the escape keeps it a name.
			owner = `\` + owner
		}
		l := line{
			owner: owner,
			ttl:   strconv.FormatUint(uint64(h.Ttl), 10),
			class: dns.Class(h.Class).String(),
			typ:   typeString(rr),
			data:  rdata(rr),
		}
		lines[i] = l
		if n := len(l.owner); n > nameW && n <= nameColumnMax {
			nameW = n
		}
		ttlW = max(ttlW, len(l.ttl))
		typeW = max(typeW, len(l.typ))
	}

	var b bytes.Buffer
	b.Grow(64 * (len(lines) + 4))
	b.WriteString("; Zone " + z.origin + ", written by mailconf.\n")
	b.WriteString("; mailconf rewrites this file on every change: comments are not kept.\n")
	b.WriteString("$ORIGIN " + z.origin + "\n")
	b.WriteString("$TTL " + strconv.FormatUint(uint64(z.defaultTTL), 10) + "\n")
	for _, l := range lines {
		start := b.Len()
		pad(&b, l.owner, nameW)
		b.WriteByte(' ')
		b.WriteString(strings.Repeat(" ", ttlW-len(l.ttl)))
		b.WriteString(l.ttl)
		b.WriteByte(' ')
		b.WriteString(l.class)
		b.WriteByte(' ')
		pad(&b, l.typ, typeW)
		b.WriteByte(' ')
		b.WriteString(l.data)
		// No trailing blanks, even for a record with empty data.
		for b.Len() > start && b.Bytes()[b.Len()-1] == ' ' {
			b.Truncate(b.Len() - 1)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func pad(b *bytes.Buffer, s string, w int) {
	b.WriteString(s)
	if n := w - len(s); n > 0 {
		b.WriteString(strings.Repeat(" ", n))
	}
}
