package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"
)

// Record is one live record, normalized so that values compare the way
// the DNS compares them: names and host names lower case and absolute,
// TXT character-strings joined.
type Record struct {
	Name string // absolute, lower case, no trailing dot
	Type string
	TTL  uint32
	Data string // as RecordSet.Values: MX "10 host.", CNAME "host.", TXT the joined text
}

// FromLibdns normalizes a provider's records of one zone.
func FromLibdns(zone string, recs []libdns.Record) []Record {
	out := make([]Record, 0, len(recs))
	for _, r := range recs {
		rr := r.RR()
		name := strings.ToLower(strings.TrimSuffix(libdns.AbsoluteName(rr.Name, dotted(zone)), "."))
		rec := Record{Name: name, Type: strings.ToUpper(rr.Type), TTL: uint32(rr.TTL / time.Second)}
		// Providers may hand back the opaque libdns.RR; parse it into its
		// typed form so that values compare semantically.
		if opaque, ok := r.(libdns.RR); ok {
			if parsed, err := opaque.Parse(); err == nil {
				r = parsed
			}
		}
		switch v := r.(type) {
		case libdns.TXT:
			rec.Data = v.Text
		case libdns.MX:
			rec.Data = fmt.Sprintf("%d %s", v.Preference, absHost(v.Target, zone))
		case libdns.CNAME:
			rec.Data = absHost(v.Target, zone)
		default:
			rec.Data = rr.Data
		}
		out = append(out, rec)
	}
	return out
}

// ToLibdns is the inverse of FromLibdns for the types mailconf writes.
func ToLibdns(zone string, name, typ string, v Value) libdns.Record {
	rel := libdns.RelativeName(dotted(name), dotted(zone))
	ttl := time.Duration(v.TTL) * time.Second
	switch typ {
	case TypeTXT:
		return libdns.TXT{Name: rel, TTL: ttl, Text: v.Data}
	case TypeMX:
		var pref uint16
		var target string
		fmt.Sscanf(v.Data, "%d %s", &pref, &target)
		return libdns.MX{Name: rel, TTL: ttl, Preference: pref, Target: target}
	case TypeCNAME:
		return libdns.CNAME{Name: rel, TTL: ttl, Target: v.Data}
	}
	return libdns.RR{Name: rel, TTL: ttl, Type: typ, Data: v.Data}
}

func dotted(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// absHost makes a target host absolute, lower case, with its trailing dot.
func absHost(target, zone string) string {
	if target == "." || target == "" {
		return "."
	}
	return strings.ToLower(libdns.AbsoluteName(target, dotted(zone)))
}

// LiveHash is a digest of a zone's records, independent of their order, so
// that apply can tell whether the zone changed since the plan was made.
func LiveHash(recs []Record) string {
	lines := make([]string, len(recs))
	var buf []byte
	for i, r := range recs {
		buf = append(buf[:0], r.Name...)
		buf = append(buf, '\t')
		buf = append(buf, r.Type...)
		buf = append(buf, '\t')
		buf = strconv.AppendUint(buf, uint64(r.TTL), 10)
		buf = append(buf, '\t')
		buf = strconv.AppendQuote(buf, r.Data)
		lines[i] = string(buf)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// ErrUnservable reports a live record that no DNS server could send: data
// longer than the wire format allows, or a record or record set too large
// for any DNS message. Reading such a zone fails, so that mailconf never
// plans against, or writes back, a zone the DNS cannot serve.
var ErrUnservable = errors.New("plan: record cannot be served")

// Limits of the DNS wire format (providers/zonefile checks the same ones
// on the records of a zone file, exactly, with their line numbers).
const (
	// RFC 1035 sections 2.3.4 and 3.1: a name is at most 255 octets on
	// the wire, length octets included.
	maxNameLen = 255
	// RFC 1035 section 3.2.1: RDLENGTH is a 16-bit field.
	maxRdataLen = 65535
	// RFC 1035 section 4.2.2: TCP frames a message with a two-octet
	// length, so no message exceeds 65535 octets; a UDP answer that does
	// not fit is retried over TCP, so TCP's bound is the one that counts.
	maxMessageLen = 65535
	// RFC 1035 section 3.3: a character-string has a one-octet length.
	maxStringLen = 255
	// RFC 1035 section 4.1.3: TYPE, CLASS, TTL and RDLENGTH.
	rrFixedLen = 10
	// The fixed part of the smallest response carrying an RRset: the
	// header (12, RFC 1035 section 4.1.1), QTYPE and QCLASS after the
	// question's name (4, section 4.1.2), and the OPT record a responder
	// must return to a query that carried one (11: root name, TYPE, CLASS,
	// TTL, RDLENGTH; RFC 6891 sections 6.1.1 and 7).
	responseFixedLen = 12 + 4 + 11
	// Each answer record's owner is the question's name, compressed to a
	// two-octet pointer (RFC 1035 section 4.1.4).
	answerFixedLen = 2 + rrFixedLen
)

// CheckServable returns ErrUnservable, naming the record, its size and the
// limit, for the first record of a zone's records (as a provider returned
// them) that no DNS server could send: an owner name or host name over the
// RFC 1035 section 2.3.4 limits, data over 65535 octets, or a record or
// record set that no response of at most 65535 octets could carry. A query
// for a name and type is answered with the whole set (RFC 2181 section 5),
// so the set must fit, not only each record.
//
// A TXT record's size is the least any provider could store its text in:
// one length octet per 255 octets of text (RFC 1035 section 3.3.14). Data
// of a type whose syntax is not understood is not measured.
func CheckServable(zone string, recs []libdns.Record) error {
	origin := dotted(zone)
	type measured struct {
		owner, typ string
		rdlen      int
		atLeast    bool
	}
	ms := make([]measured, len(recs))
	all := 0 // the answer records of the whole zone, in octets
	for i, r := range recs {
		name, typ, rdlen, atLeast, err := measure(origin, r)
		owner := strings.ToLower(libdns.AbsoluteName(name, origin))
		what := func() string { return owner + " " + typ }
		if !servableName(owner) {
			return fmt.Errorf("%w: zone %s: %s: the owner name is not one the DNS can carry: a label is over 63 octets or the name over 255 (RFC 1035 section 2.3.4); fix or remove it at the provider", ErrUnservable, zone, what())
		}
		if err != nil {
			return fmt.Errorf("%w: zone %s: %s: %v", ErrUnservable, zone, what(), err)
		}
		size := func() string {
			if atLeast {
				return fmt.Sprintf("at least %d octets", rdlen)
			}
			return fmt.Sprintf("%d octets", rdlen)
		}
		if rdlen > maxRdataLen {
			return fmt.Errorf("%w: zone %s: %s: its data is %s, above the limit of %d octets (RFC 1035 section 3.2.1: RDLENGTH is 16 bits); fix or remove it at the provider", ErrUnservable, zone, what(), size(), maxRdataLen)
		}
		if n := responseFixedLen + wireNameLen(owner) + answerFixedLen + rdlen; n > maxMessageLen {
			return fmt.Errorf("%w: zone %s: %s: its data is %s, and the smallest response carrying it would be %d octets, above the DNS message limit of %d (RFC 1035 section 4.2.2); fix or remove it at the provider", ErrUnservable, zone, what(), size(), n, maxMessageLen)
		}
		ms[i] = measured{owner, typ, rdlen, atLeast}
		all += answerFixedLen + rdlen
	}
	// Most zones are far smaller than one message: then no set of them
	// can be too large, and grouping them into sets is not needed.
	if responseFixedLen+maxNameLen+all <= maxMessageLen {
		return nil
	}

	type setKey struct{ name, typ string }
	type set struct{ count, size int }
	index := map[setKey]int{}
	var keys []setKey // in the order of each set's first record, the provider's
	var sets []set
	for _, m := range ms {
		k := setKey{m.owner, m.typ}
		j, ok := index[k]
		if !ok {
			j = len(sets)
			index[k] = j
			keys = append(keys, k)
			sets = append(sets, set{})
		}
		sets[j].count++
		sets[j].size += answerFixedLen + m.rdlen
	}
	for j, s := range sets {
		if s.count < 2 {
			continue
		}
		k := keys[j]
		if n := responseFixedLen + wireNameLen(k.name) + s.size; n > maxMessageLen {
			return fmt.Errorf("%w: zone %s: %s %s: its %d records need a response of at least %d octets, above the DNS message limit of %d (RFC 1035 section 4.2.2; RFC 2181 section 5: a set is sent whole); fix or remove some at the provider", ErrUnservable, zone, k.name, k.typ, s.count, n, maxMessageLen)
		}
	}
	return nil
}

// servableName reports whether an absolute name in presentation form fits
// the DNS: labels of at most 63 octets and at most 255 octets in all
// (RFC 1035 section 2.3.4). dns.IsDomainName checks the labels, but lets
// names of 256 and 257 octets through.
func servableName(name string) bool {
	_, ok := dns.IsDomainName(name)
	return ok && wireNameLen(name) <= maxNameLen
}

// wireNameLen is the wire length of an absolute name in presentation form:
// one length octet per label and the root label (RFC 1035 section 3.1),
// which comes to one more than the presentation length with the final dot,
// less what escapes take beyond their octet (RFC 1035 section 5.1).
func wireNameLen(name string) int {
	if name == "" || name == "." {
		return 1
	}
	n := len(name) + 1
	if !strings.HasSuffix(name, ".") {
		n++
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '\\' {
			continue
		}
		if i+3 < len(name) && isDigit(name[i+1]) && isDigit(name[i+2]) && isDigit(name[i+3]) {
			n -= 3
			i += 3
		} else {
			n--
			i++
		}
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// measure returns a live record's owner name (as the provider gave it),
// type and data length on the wire. atLeast marks a TXT record's length,
// the least any division of its text into character-strings takes; data
// of a syntax not understood counts as 0 octets.
func measure(origin string, r libdns.Record) (name, typ string, rdlen int, atLeast bool, err error) {
	host := func(target string) (int, error) {
		abs := absHost(target, origin)
		if !servableName(abs) {
			return 0, fmt.Errorf("the name %q in its data is not one the DNS can carry: a label is over 63 octets or the name over 255 (RFC 1035 section 2.3.4); fix or remove it at the provider", target)
		}
		return wireNameLen(abs), nil
	}
	// The common types are measured from their fields: RR() would format
	// their data only to have it parsed again.
	switch v := r.(type) {
	case libdns.TXT:
		// RFC 1035 section 3.3.14: one or more character-strings, each a
		// length octet and at most 255 octets (section 3.3).
		strs := max(1, (len(v.Text)+maxStringLen-1)/maxStringLen)
		return v.Name, "TXT", len(v.Text) + strs, true, nil
	case libdns.Address:
		if v.IP.Is4() {
			return v.Name, "A", 4, false, nil
		}
		return v.Name, "AAAA", 16, false, nil
	case libdns.CNAME:
		n, err := host(v.Target)
		return v.Name, "CNAME", n, false, err
	case libdns.NS:
		n, err := host(v.Target)
		return v.Name, "NS", n, false, err
	case libdns.MX:
		n, err := host(v.Target)
		return v.Name, "MX", 2 + n, false, err // RFC 1035 section 3.3.9: PREFERENCE, EXCHANGE
	}
	// Any other type goes through the master-file parser, which knows the
	// syntax of each. dns.Len is exact but for escaped strings, which it
	// counts as written: an upper bound.
	rr := r.RR()
	typ = strings.ToUpper(rr.Type)
	if strings.ContainsAny(rr.Data, "\n\r") {
		return rr.Name, typ, 0, false, nil
	}
	line := libdns.AbsoluteName(rr.Name, origin) + " 0 IN " + rr.Type + " " + rr.Data + "\n"
	parsed, ok := dns.NewZoneParser(strings.NewReader(line), origin, "").Next()
	if !ok || parsed == nil {
		return rr.Name, typ, 0, false, nil
	}
	return rr.Name, typ, dns.Len(parsed) - dns.Len(parsed.Header()), false, nil
}
