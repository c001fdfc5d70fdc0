package cloudflare

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// AutoTTL is what Cloudflare's automatic TTL (ttl = 1 in the API) means
// for a DNS-only record: 300 seconds, per Cloudflare's documentation of
// TTL. GetRecords reports automatic records with this TTL, and a record
// asked for with a TTL of 0 or of AutoTTL compares equal to an automatic
// one, so that a plan never shows a change between "automatic" and 300
// seconds, which resolvers cannot tell apart. Any other TTL is written as
// given, so a desired 3600 replaces an automatic TTL. (Proxied records are
// always automatic: Cloudflare answers them itself.)
const AutoTTL = 300 * time.Second

// apiAutoTTL is the API's value for an automatic TTL.
const apiAutoTTL = 1

// apiRecord is a DNS record as the API returns it.
type apiRecord struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Name     string   `json:"name"` // fully qualified, no trailing dot
	Content  string   `json:"content"`
	Priority *float64 `json:"priority"`
	TTL      int      `json:"ttl"`
	Proxied  bool     `json:"proxied"`
	Data     *apiData `json:"data"`
}

// apiData holds the structured fields of CAA, SRV, HTTPS and SVCB records.
// Numbers are read as float64: JSON has no integers.
type apiData struct {
	Flags    *float64 `json:"flags,omitempty"`
	Tag      string   `json:"tag,omitempty"`
	Value    string   `json:"value,omitempty"`
	Priority *float64 `json:"priority,omitempty"`
	Weight   *float64 `json:"weight,omitempty"`
	Port     *float64 `json:"port,omitempty"`
	Target   string   `json:"target,omitempty"`
}

// recordBody is what a POST, PUT or PATCH sends. Proxied is sent only on
// creation: an update never touches the proxy status a record has.
type recordBody struct {
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Content  string   `json:"content,omitempty"`
	Priority *uint16  `json:"priority,omitempty"`
	TTL      int      `json:"ttl"`
	Proxied  *bool    `json:"proxied,omitempty"`
	Data     *apiData `json:"data,omitempty"`
}

// want is one input record, checked and translated.
type want struct {
	rec  libdns.Record // the caller's record
	fqdn string        // lower case, with the trailing dot
	typ  string
	data string        // canonical data (see canonical)
	ttl  time.Duration // canonical TTL
	body recordBody
}

// setKey identifies an RRset: owner name and type (RFC 2181 section 5).
func (w want) setKey() string { return w.fqdn + " " + w.typ }

// parseInput checks a libdns record for zone and translates it for the API.
func parseInput(rec libdns.Record, zone string) (want, error) {
	rr := rec.RR()
	if rr.Name == "" {
		return want{}, fmt.Errorf("%w: %s record without a name", providers.ErrInvalidRecord, rr.Type)
	}
	rel, err := rrset.OwnerName(rr.Name, zone)
	if err != nil {
		return want{}, err
	}
	parsed, err := rr.Parse()
	if err != nil {
		return want{}, fmt.Errorf("%w: %s %s %q: %v", providers.ErrInvalidRecord, rr.Name, rr.Type, rr.Data, err)
	}
	w := want{rec: rec, fqdn: strings.ToLower(rrset.Absolute(rel, zone)), typ: strings.ToUpper(rr.Type)}
	w.data = canonical(parsed)
	w.ttl = canonicalTTL(rr.TTL)
	w.body = recordBody{Type: w.typ, Name: strings.TrimSuffix(w.fqdn, "."), TTL: apiTTL(rr.TTL)}
	switch r := parsed.(type) {
	case libdns.Address:
		w.body.Content = r.IP.String()
	case libdns.TXT:
		w.body.Content = formatTXT(r.Text)
	case libdns.CNAME:
		w.body.Content = apiHost(r.Target)
	case libdns.NS:
		w.body.Content = apiHost(r.Target)
	case libdns.MX:
		w.body.Content = apiHost(r.Target)
		w.body.Priority = &r.Preference
	case libdns.CAA:
		w.body.Data = &apiData{Flags: num(uint16(r.Flags)), Tag: r.Tag, Value: r.Value}
	case libdns.SRV:
		// The API takes SRV data as fields; the name carries
		// _service._proto (libdns builds it in RR()).
		w.body.Priority = &r.Priority
		w.body.Data = &apiData{Priority: num(r.Priority), Weight: num(r.Weight), Port: num(r.Port), Target: apiHost(r.Target)}
	case libdns.ServiceBinding:
		w.body.Data = &apiData{Priority: num(r.Priority), Target: r.Target, Value: r.Params.String()}
	default:
		w.body.Content = rr.Data
	}
	if w.body.Content == "" && w.body.Data == nil {
		return want{}, fmt.Errorf("%w: %s %s has no data", providers.ErrInvalidRecord, rr.Name, w.typ)
	}
	return w, nil
}

func num(v uint16) *float64 {
	f := float64(v)
	return &f
}

// apiHost is a host name as the API stores it: fully qualified without the
// trailing dot. The root (the null MX target of RFC 7505) stays ".".
func apiHost(h string) string {
	if h == "." {
		return h
	}
	return strings.TrimSuffix(h, ".")
}

// apiTTL is the API's TTL for a libdns TTL: 0 asks for the automatic TTL.
func apiTTL(d time.Duration) int {
	secs := int(d / time.Second)
	if secs <= 0 {
		return apiAutoTTL
	}
	return secs
}

// canonicalTTL is the TTL a record compares with: automatic is AutoTTL.
func canonicalTTL(d time.Duration) time.Duration {
	secs := d / time.Second
	if secs <= apiAutoTTL {
		return AutoTTL
	}
	return secs * time.Second
}

// libdnsRecord translates an API record of zone into the libdns type for
// its RR type. A record that does not parse (a type libdns does not know,
// or data it cannot read) is returned as an opaque libdns.RR, so that one
// odd record never hides the rest of a zone.
func (r apiRecord) libdnsRecord(zone string) libdns.Record {
	fqdn := strings.ToLower(strings.TrimSuffix(r.Name, ".")) + "."
	name, ok := rrset.Relative(fqdn, zone)
	if !ok {
		name = fqdn
	}
	ttl := time.Duration(r.TTL) * time.Second
	if r.TTL <= apiAutoTTL {
		ttl = AutoTTL
	}
	opaque := libdns.RR{Name: name, TTL: ttl, Type: r.Type, Data: r.Content}
	prio := func(p *float64) uint16 {
		if p == nil {
			return 0
		}
		return uint16(*p)
	}
	switch r.Type {
	case "A", "AAAA":
		if ip, err := netip.ParseAddr(r.Content); err == nil {
			return libdns.Address{Name: name, TTL: ttl, IP: ip}
		}
	case "TXT":
		return libdns.TXT{Name: name, TTL: ttl, Text: parseTXT(r.Content)}
	case "CNAME":
		return libdns.CNAME{Name: name, TTL: ttl, Target: dotted(r.Content)}
	case "NS":
		return libdns.NS{Name: name, TTL: ttl, Target: dotted(r.Content)}
	case "MX":
		return libdns.MX{Name: name, TTL: ttl, Preference: prio(r.Priority), Target: dotted(r.Content)}
	case "CAA":
		if d := r.Data; d != nil && d.Tag != "" {
			return libdns.CAA{Name: name, TTL: ttl, Flags: uint8(prio(d.Flags)), Tag: d.Tag, Value: d.Value}
		}
	case "SRV":
		// The content of an SRV record omits the priority; the data has
		// every field.
		if d := r.Data; d != nil && d.Target != "" {
			opaque.Data = fmt.Sprintf("%d %d %d %s", prio(d.Priority), prio(d.Weight), prio(d.Port), dotted(d.Target))
		}
	case "HTTPS", "SVCB":
		if d := r.Data; d != nil && d.Target != "" {
			opaque.Data = strings.TrimSpace(fmt.Sprintf("%d %s %s", prio(d.Priority), d.Target, d.Value))
		}
	}
	if parsed, err := opaque.Parse(); err == nil {
		return parsed
	}
	return opaque
}

// dotted adds the trailing dot to a fully qualified host name.
func dotted(h string) string {
	if h == "" || strings.HasSuffix(h, ".") {
		return h
	}
	return h + "."
}

// have is an API record with its canonical form, as SetRecords and
// DeleteRecords compare it with their input.
type have struct {
	api  apiRecord
	rec  libdns.Record
	fqdn string
	typ  string
	data string
	ttl  time.Duration
}

func newHave(r apiRecord, zone string) have {
	rec := r.libdnsRecord(zone)
	return have{
		api:  r,
		rec:  rec,
		fqdn: strings.ToLower(strings.TrimSuffix(r.Name, ".")) + ".",
		typ:  r.Type,
		data: canonical(rec),
		ttl:  rec.RR().TTL,
	}
}

// canonical is the data of a record in one form per meaning, so that
// records compare as the DNS compares them: host names lower case and
// absolute (RFC 1034 section 3.1), TXT as the joined text, addresses in
// their canonical text form.
func canonical(rec libdns.Record) string {
	switch r := rec.(type) {
	case libdns.Address:
		return r.IP.Unmap().String()
	case libdns.TXT:
		return r.Text
	case libdns.CNAME:
		return host(r.Target)
	case libdns.NS:
		return host(r.Target)
	case libdns.MX:
		return strconv.Itoa(int(r.Preference)) + " " + host(r.Target)
	case libdns.SRV:
		return fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, host(r.Target))
	case libdns.CAA:
		return fmt.Sprintf("%d %s %q", r.Flags, strings.ToLower(r.Tag), r.Value)
	case libdns.ServiceBinding:
		return strings.TrimSpace(fmt.Sprintf("%d %s %s", r.Priority, host(r.Target), r.Params.String()))
	}
	return strings.Join(strings.Fields(rec.RR().Data), " ")
}

// host is a host name in canonical form: lower case with the trailing dot.
func host(h string) string {
	if h == "" || h == "." {
		return h
	}
	return strings.ToLower(dotted(h))
}
