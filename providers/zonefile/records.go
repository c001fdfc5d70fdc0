package zonefile

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// maxTTL is the largest TTL a record may carry: RFC 2181 section 8 limits
// TTLs to 2^31 - 1 seconds.
const maxTTL = 1<<31 - 1

// maxStringLen is the largest character-string: one length octet, so at
// most 255 octets (RFC 1035 section 3.3).
const maxStringLen = 255

// toLibdns converts a parsed record of zone into the libdns struct type for
// its RR type (Address, TXT, MX, ...), as libdns asks providers to return.
// Types libdns has no struct for, and the rare record its parser refuses
// (an SRV whose name lacks the _service._proto labels), come back as
// libdns.RR. The owner name must be inside zone.
func toLibdns(rr dns.RR, zone string) (libdns.Record, error) {
	h := rr.Header()
	name, ok := rrset.Relative(h.Name, zone)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not in zone %s", rrset.ErrOutsideZone, h.Name, zone)
	}
	name = escapeName(name)
	ttl := time.Duration(h.Ttl) * time.Second
	switch v := rr.(type) {
	case *dns.A:
		ip, _ := netip.AddrFromSlice(v.A.To4())
		return libdns.Address{Name: name, TTL: ttl, IP: ip}, nil
	case *dns.AAAA:
		ip, _ := netip.AddrFromSlice(v.AAAA.To16())
		return libdns.Address{Name: name, TTL: ttl, IP: ip}, nil
	case *dns.CNAME:
		return libdns.CNAME{Name: name, TTL: ttl, Target: escapeName(v.Target)}, nil
	case *dns.NS:
		return libdns.NS{Name: name, TTL: ttl, Target: escapeName(v.Ns)}, nil
	case *dns.MX:
		return libdns.MX{Name: name, TTL: ttl, Preference: v.Preference, Target: escapeName(v.Mx)}, nil
	case *dns.TXT:
		// RFC 1035 section 3.3.14 and RFC 7208 section 3.3: the strings of
		// one TXT record are concatenated with nothing in between.
		var b strings.Builder
		for _, s := range v.Txt {
			b.WriteString(unescape(s))
		}
		return libdns.TXT{Name: name, TTL: ttl, Text: b.String()}, nil
	case *dns.CAA:
		return libdns.CAA{Name: name, TTL: ttl, Flags: v.Flag, Tag: v.Tag, Value: unescape(v.Value)}, nil
	}
	generic := libdns.RR{Name: name, TTL: ttl, Type: typeString(rr), Data: rdata(rr)}
	switch rr.(type) {
	case *dns.SRV:
		if parsed, err := generic.Parse(); err == nil {
			return parsed, nil
		}
	case *dns.HTTPS, *dns.SVCB:
		// libdns's SvcParams parser turns an escaped octet above 127 into
		// a two-octet UTF-8 sequence, so parameters with escapes stay in
		// the opaque form, which round-trips exactly.
		if strings.IndexByte(generic.Data, '\\') >= 0 {
			return generic, nil
		}
		if parsed, err := generic.Parse(); err == nil {
			return parsed, nil
		}
	}
	return generic, nil
}

// typeString is the presentation name of rr's type, "TYPE65280" style for
// types miekg/dns does not know (RFC 3597 section 5).
func typeString(rr dns.RR) string {
	t := rr.Header().Rrtype
	// Only names the parser maps back to the same type: TypeToString also
	// names pseudo-types ("None" for 0) that a master file cannot use.
	if s, ok := dns.TypeToString[t]; ok && dns.StringToType[s] == t {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// rdata returns the presentation form of rr's data: its String() without
// the owner, TTL, class and type. Those four fields end with a tab each and
// hold no tab themselves (names escape control characters), so the data is
// what follows the fourth tab; cutting a prefix would fail for types whose
// String() spells the class differently (RFC 3597 "CLASS1").
func rdata(rr dns.RR) string {
	s := rr.String()
	for range 4 {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return ""
		}
		s = s[i+1:]
	}
	return s
}

// fromLibdns converts an input record into a record of zone. TTL 0 takes the
// zone's default TTL (libdns allows providers to default it; a sub-second
// TTL asks for a real 0). Data is in master-file syntax, so a domain name in
// it without a trailing dot is relative to the zone, as in the file itself.
func fromLibdns(rec libdns.Record, zone string, defaultTTL uint32) (dns.RR, error) {
	rr := rec.RR()
	name, err := rrset.OwnerName(rr.Name, zone)
	if err != nil {
		return nil, err
	}
	fqdn := rrset.Absolute(name, zone)
	typ := strings.ToUpper(strings.TrimSpace(rr.Type))
	if typ == "" {
		return nil, fmt.Errorf("%w: %s has no type", rrset.ErrInvalidRecord, fqdn)
	}
	if typ == "SOA" {
		return nil, fmt.Errorf("%w: %s SOA", ErrSOAManaged, fqdn)
	}
	ttl, err := seconds(rr.TTL, defaultTTL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", rrset.ErrInvalidRecord, fqdn, typ, err)
	}
	hdr := dns.RR_Header{Name: fqdn, Class: dns.ClassINET, Ttl: ttl}

	switch typ {
	case "TXT":
		hdr.Rrtype = dns.TypeTXT
		return &dns.TXT{Hdr: hdr, Txt: splitTXT(rr.Data)}, nil
	case "CAA":
		c, ok := rec.(libdns.CAA)
		if !ok {
			parsed, err := rr.Parse()
			if err != nil {
				return nil, fmt.Errorf("%w: %s CAA %q: %v", rrset.ErrInvalidRecord, fqdn, rr.Data, err)
			}
			c = parsed.(libdns.CAA)
		}
		// RFC 8659 section 4.1 makes the tag letters and digits; anything
		// the master-file parser reads as one token is let through, so that
		// a record read from a file can always be written back, but nothing
		// that would split or end the line.
		if !validTag(c.Tag) {
			return nil, fmt.Errorf("%w: %s CAA: bad tag %q (RFC 8659 section 4.1)", rrset.ErrInvalidRecord, fqdn, c.Tag)
		}
		hdr.Rrtype = dns.TypeCAA
		return &dns.CAA{Hdr: hdr, Flag: c.Flags, Tag: c.Tag, Value: escape(c.Value)}, nil
	}

	// Every other type goes through the master-file parser, which knows the
	// syntax of each. The data must stay on one line and yield exactly one
	// record of the stated name and type, or it could smuggle in others.
	if strings.ContainsAny(rr.Data, "\n\r") {
		return nil, fmt.Errorf("%w: %s %s: data spans several lines", rrset.ErrInvalidRecord, fqdn, typ)
	}
	if strings.TrimSpace(rr.Data) == "" {
		return nil, fmt.Errorf("%w: %s %s: no data", rrset.ErrInvalidRecord, fqdn, typ)
	}
	line := fmt.Sprintf("%s %d IN %s %s\n", fqdn, ttl, typ, rr.Data)
	zp := dns.NewZoneParser(strings.NewReader(line), zone, "")
	parsed, ok := zp.Next()
	if !ok {
		err := zp.Err()
		if err == nil {
			err = fmt.Errorf("no record")
		}
		return nil, fmt.Errorf("%w: %s %s %q: %v", rrset.ErrInvalidRecord, fqdn, typ, rr.Data, err)
	}
	if _, more := zp.Next(); more || zp.Err() != nil {
		return nil, fmt.Errorf("%w: %s %s %q: not a single record", rrset.ErrInvalidRecord, fqdn, typ, rr.Data)
	}
	if typeString(parsed) != typ || !strings.EqualFold(parsed.Header().Name, fqdn) {
		return nil, fmt.Errorf("%w: %s %s %q: not a single record", rrset.ErrInvalidRecord, fqdn, typ, rr.Data)
	}
	// Keep the owner name exactly as given, not as the parser re-cased it.
	parsed.Header().Name = fqdn
	return parsed, nil
}

// validTag accepts a CAA tag that is one master-file token.
func validTag(tag string) bool {
	return tag != "" && !needsEscape(tag) && !strings.Contains(tag, `\`)
}

// seconds converts a libdns TTL to whole seconds (fractions truncate, as
// libdns documents); 0 means the zone default.
func seconds(ttl time.Duration, defaultTTL uint32) (uint32, error) {
	switch {
	case ttl < 0:
		return 0, fmt.Errorf("negative TTL %s", ttl)
	case ttl == 0:
		return defaultTTL, nil
	case ttl/time.Second > maxTTL:
		return 0, fmt.Errorf("TTL %s above 2^31-1 seconds (RFC 2181 section 8)", ttl)
	}
	return uint32(ttl / time.Second), nil
}

// canonical is the libdns form used to compare records: what GetRecords
// would return for rr, reduced to libdns.RR.
func canonical(rr dns.RR, zone string) (libdns.RR, error) {
	rec, err := toLibdns(rr, zone)
	if err != nil {
		return libdns.RR{}, err
	}
	return rec.RR(), nil
}
