package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"
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
