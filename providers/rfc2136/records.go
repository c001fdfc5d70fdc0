package rfc2136

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// serverMaintained are the types a primary server keeps up to date by
// itself: the SOA (its serial changes with every update, RFC 2136 section
// 3.6) and the DNSSEC records its signer makes (RFC 4034; BIND's private
// type 65534 records its signing state). GetRecords returns them, because
// mailconf must see the whole zone, but they are never written or deleted
// here: a write would fight the server's own bookkeeping.
var serverMaintained = map[string]bool{
	"SOA": true, "RRSIG": true, "NSEC": true, "NSEC3": true, "NSEC3PARAM": true,
	"DNSKEY": true, "CDS": true, "CDNSKEY": true, "TYPE65534": true,
}

// fromLibrary turns what the library read by zone transfer into the
// records GetRecords returns:
//
//   - An AXFR begins and ends with the zone's SOA (RFC 5936 section 2.2),
//     and the library returns both; the second copy is dropped, so that the
//     zone has one SOA as it really does.
//   - The library joins a TXT record's character-strings as miekg/dns
//     presents them, with `"`, `\` and every byte outside printable ASCII
//     escaped (\", \\, \DDD, RFC 1035 section 5.1); the escapes are undone,
//     so that the text is the record's real content and compares equal to
//     the value mailconf declared.
func fromLibrary(recs []libdns.Record) []libdns.Record {
	out := make([]libdns.Record, 0, len(recs))
	seenSOA := false
	for _, r := range recs {
		rr := r.RR()
		switch rr.Type {
		case "SOA":
			if seenSOA {
				continue
			}
			seenSOA = true
		case "TXT":
			t, ok := r.(libdns.TXT)
			if !ok {
				t = libdns.TXT{Name: rr.Name, TTL: rr.TTL, Text: rr.Data}
			}
			t.Text = unescapeTXT(t.Text)
			r = t
		}
		out = append(out, r)
	}
	return out
}

// unescapeTXT undoes the presentation escapes of a character-string
// (RFC 1035 section 5.1): \DDD is the octet with decimal value DDD, and a
// backslash before any other character stands for that character.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if n <= 0xff {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkTXT says whether the library can send text as it is. It writes a
// TXT record by quoting the text with Go's %q and parsing the result as a
// master file; that round-trips `"`, `\` and every printable character,
// but turns a control character or an invalid UTF-8 byte into a Go escape
// (\t, \x01) that the master-file parser reads as different text. Such
// text is refused rather than silently changed. Mail records (SPF, DKIM,
// DMARC...) never contain it.
func checkTXT(text string) error {
	if text == "" {
		// The library would send a TXT with no character-string at all,
		// which RFC 1035 section 3.3.14 does not allow.
		return fmt.Errorf("%w: an empty TXT text cannot be sent through RFC 2136 here", providers.ErrInvalidRecord)
	}
	if !utf8.ValidString(text) {
		return fmt.Errorf("%w: TXT text is not valid UTF-8, which the libdns rfc2136 library would alter", providers.ErrInvalidRecord)
	}
	for i, r := range text {
		if !strconv.IsPrint(r) {
			return fmt.Errorf("%w: TXT text holds the unprintable character %U at byte %d, which the libdns rfc2136 library would alter", providers.ErrInvalidRecord, r, i)
		}
	}
	return nil
}

// hasControl reports a control character, which in the master-file text
// the library builds would end the record early or start another.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// prepare validates records to write to zone and returns them in the typed
// libdns form, with names relative to the zone ("@" for the apex). It
// refuses what the library would send wrongly or the server maintains
// itself, before anything is sent.
func prepare(zone string, recs []libdns.Record) ([]libdns.Record, error) {
	out := make([]libdns.Record, 0, len(recs))
	for _, r := range recs {
		rr := r.RR()
		name, err := rrset.OwnerName(rr.Name, zone)
		if err != nil {
			return nil, err
		}
		typ := strings.ToUpper(rr.Type)
		if err := checkType(typ, name); err != nil {
			return nil, err
		}
		switch {
		case rr.TTL < 0 || rr.TTL/time.Second > maxTTL:
			// RFC 2181 section 8: a TTL is at most 2^31-1 seconds.
			return nil, fmt.Errorf("%w: %s %s: TTL %s is outside 0 to 2147483647 seconds (RFC 2181 section 8)", providers.ErrInvalidRecord, name, typ, rr.TTL)
		case typ == "TXT":
			if err := checkTXT(rr.Data); err != nil {
				return nil, fmt.Errorf("%s TXT: %w", name, err)
			}
		case strings.TrimSpace(rr.Data) == "":
			return nil, fmt.Errorf("%w: %s %s: the record has no data", providers.ErrInvalidRecord, name, typ)
		case hasControl(rr.Data):
			return nil, fmt.Errorf("%w: %s %s: the data holds a control character", providers.ErrInvalidRecord, name, typ)
		}
		typed, err := libdns.RR{Name: name, TTL: rr.TTL, Type: typ, Data: rr.Data}.Parse()
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s: %v", providers.ErrInvalidRecord, name, typ, err)
		}
		out = append(out, typed)
	}
	return out, nil
}

// maxTTL is the largest TTL, 2^31-1 seconds (RFC 2181 section 8).
const maxTTL = 1<<31 - 1

// checkType refuses types this provider must not write: unknown ones, and
// those the server maintains itself.
func checkType(typ, name string) error {
	if serverMaintained[typ] {
		return fmt.Errorf("%w: %s %s: the server maintains %s records itself; they are never written through RFC 2136 here", providers.ErrInvalidRecord, name, typ, typ)
	}
	if _, ok := dns.StringToType[typ]; ok {
		return nil
	}
	if n, ok := strings.CutPrefix(typ, "TYPE"); ok {
		// RFC 3597 section 5: an unknown type is written TYPEnnn.
		if v, err := strconv.ParseUint(n, 10, 16); err == nil && v > 0 {
			return nil
		}
	}
	return fmt.Errorf("%w: %s: unknown record type %q", providers.ErrInvalidRecord, name, typ)
}

// matchDeletes returns the records of live (the zone, as GetRecords
// returns it) that the delete requests in del name, with the libdns
// DeleteRecords rules: name, type, TTL and data must all match, except that
// an empty type, a zero TTL or empty data match anything. The records the
// server maintains are never matched, and neither is the apex NS RRset
// unless the request names its type: RFC 2136 section 3.4.2.4 has the
// server ignore such deletes, so reporting them as deleted would be false.
// It also returns which RRsets lose every member.
func matchDeletes(zone string, live, del []libdns.Record) (matched []libdns.Record, whole map[setKey]bool, err error) {
	type want struct {
		name, typ, data string
		ttl             time.Duration
	}
	wants := make([]want, 0, len(del))
	for _, d := range del {
		rr := d.RR()
		if rr.Name == "" {
			return nil, nil, fmt.Errorf("%w: a record to delete must have a name (\"@\" for the apex)", providers.ErrInvalidRecord)
		}
		name, err := rrset.OwnerName(rr.Name, zone)
		if err != nil {
			return nil, nil, err
		}
		typ := strings.ToUpper(rr.Type)
		if typ != "" {
			if err := checkType(typ, name); err != nil {
				return nil, nil, err
			}
		}
		data := rr.Data
		if data != "" && typ != "" {
			// Compare in the same form GetRecords returns.
			if p, err := (libdns.RR{Name: name, Type: typ, Data: data}).Parse(); err == nil {
				data = p.RR().Data
			}
		}
		wants = append(wants, want{name: name, typ: typ, data: data, ttl: rr.TTL})
	}

	members := map[setKey]int{}
	hit := map[setKey]int{}
	for _, r := range live {
		rr := r.RR()
		k := setKey{strings.ToLower(rr.Name), rr.Type}
		members[k]++
		if serverMaintained[rr.Type] {
			continue
		}
		for _, w := range wants {
			if !strings.EqualFold(w.name, rr.Name) {
				continue
			}
			if w.typ == "" && rr.Type == "NS" && rr.Name == "@" {
				continue
			}
			if (w.typ != "" && w.typ != rr.Type) || (w.ttl != 0 && w.ttl != rr.TTL) {
				continue
			}
			if w.data != "" && !sameData(rr.Type, w.data, rr.Data) {
				continue
			}
			matched = append(matched, r)
			hit[k]++
			break
		}
	}
	whole = map[setKey]bool{}
	for k, n := range hit {
		if n == members[k] {
			whole[k] = true
		}
	}
	return matched, whole, nil
}

// setKey names an RRset: owner name (lower case, relative) and type
// (RFC 2181 section 5).
type setKey struct{ name, typ string }

// sameData compares record data as the DNS does: TXT text exactly, other
// data without regard to the case of the names it holds (RFC 1034 section
// 3.1).
func sameData(typ, a, b string) bool {
	if typ == "TXT" {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// describe names the RRsets of recs for an error message: "@ TXT, _dmarc
// TXT", at most five of them.
func describe(recs []libdns.Record) string {
	const shown = 5
	var sets []string
	seen := map[string]bool{}
	for _, r := range recs {
		rr := r.RR()
		s := rr.Name + " " + rr.Type
		if rr.Type == "" {
			s = rr.Name
		}
		if !seen[s] {
			seen[s] = true
			sets = append(sets, s)
		}
	}
	if len(sets) > shown {
		return fmt.Sprintf("%s and %d more", strings.Join(sets[:shown], ", "), len(sets)-shown)
	}
	return strings.Join(sets, ", ")
}
