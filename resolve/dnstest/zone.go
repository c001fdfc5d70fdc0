package dnstest

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// ErrZone means a zone text the server cannot serve.
var ErrZone = errors.New("dnstest: bad zone")

// defaultTTL is the TTL of records in a zone that states none.
const defaultTTL = 300

// zone is one parsed zone. It never changes once built, so the handler reads
// it without locks; SetZone swaps in a new one.
type zone struct {
	apex   string // lower case, fully qualified
	soa    *dns.SOA
	nodes  map[string]map[uint16][]dns.RR // lower-case owner -> type -> records
	exists map[string]bool                // owners and their ancestors up to the apex
}

// parseZone reads an RFC 1035 section 5 master file ($INCLUDE is refused).
// The apex is the owner
// of its SOA record or, when there is none, its first $ORIGIN; a zone
// without an SOA gets a made-up one, because negative answers need it
// (RFC 2308 section 3).
func parseZone(text string) (*zone, error) {
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	// Tests write short zones; a record before any TTL is stated gets
	// defaultTTL rather than an error.
	zp.SetDefaultTTL(defaultTTL)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrZone, err)
	}
	z := &zone{nodes: make(map[string]map[uint16][]dns.RR), exists: make(map[string]bool)}
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok {
			if z.soa != nil {
				return nil, fmt.Errorf("%w: two SOA records (%s and %s)", ErrZone, z.soa.Hdr.Name, soa.Hdr.Name)
			}
			z.soa = soa
		}
	}
	switch {
	case z.soa != nil:
		z.apex = strings.ToLower(z.soa.Hdr.Name)
	default:
		origin := firstOrigin(text)
		if origin == "" {
			return nil, fmt.Errorf("%w: neither an SOA record nor $ORIGIN", ErrZone)
		}
		z.apex = strings.ToLower(dns.Fqdn(origin))
		z.soa = &dns.SOA{
			Hdr: dns.RR_Header{Name: z.apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
			Ns:  "ns.invalid.", Mbox: "hostmaster.invalid.",
			Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300,
		}
		rrs = append(rrs, z.soa)
	}
	for _, rr := range rrs {
		h := rr.Header()
		h.Name = strings.ToLower(h.Name)
		if !dns.IsSubDomain(z.apex, h.Name) {
			return nil, fmt.Errorf("%w: %s is outside the zone %s", ErrZone, h.Name, z.apex)
		}
		node := z.nodes[h.Name]
		if node == nil {
			node = make(map[uint16][]dns.RR)
			z.nodes[h.Name] = node
		}
		node[h.Rrtype] = append(node[h.Rrtype], rr)
		for n := h.Name; ; n = parent(n) {
			z.exists[n] = true
			if n == z.apex {
				break
			}
		}
	}
	return z, nil
}

// firstOrigin returns the argument of the first $ORIGIN directive.
func firstOrigin(text string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && strings.EqualFold(f[0], "$ORIGIN") {
			return f[1]
		}
	}
	return ""
}

// cut returns the delegation point at or above name inside the zone, if
// any: the highest name below the apex that has NS records. RFC 1034
// section 4.2.1: the zone holds no authoritative data below a cut.
func (z *zone) cut(name string) (string, bool) {
	labels := dns.SplitDomainName(name)
	apexLabels := dns.CountLabel(z.apex)
	for i := len(labels) - apexLabels - 1; i >= 0; i-- {
		n := dns.Fqdn(strings.Join(labels[i:], "."))
		if len(z.nodes[n][dns.TypeNS]) > 0 {
			return n, true
		}
	}
	return "", false
}

// find returns the records at name, whether they were synthesized from a
// wildcard, and whether the name exists at all.
func (z *zone) find(name string) (node map[uint16][]dns.RR, synthesized, exists bool) {
	if z.exists[name] {
		return z.nodes[name], false, true
	}
	// RFC 4592 section 3.3.1: only the wildcard child of the closest
	// encloser, the nearest existing ancestor, can match.
	for p := parent(name); ; p = parent(p) {
		if z.exists[p] {
			node, ok := z.nodes["*."+p]
			return node, true, ok
		}
		if p == z.apex || p == "." {
			return nil, false, false
		}
	}
}

// negativeSOA is the SOA for the authority section of a negative answer,
// with the TTL RFC 2308 section 3 asks for: the smaller of the SOA's own
// TTL and its MINIMUM field.
func (z *zone) negativeSOA() dns.RR {
	soa := dns.Copy(z.soa).(*dns.SOA)
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	return soa
}

func parent(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return "."
}
