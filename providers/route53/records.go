package route53

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
	"github.com/mailconf/mailconf/providers/route53/internal/escape"
)

// supportedTypes are the record types Route 53 stores (the RRType values of
// its API, 2013-04-01).
var supportedTypes = map[string]bool{
	"A": true, "AAAA": true, "CAA": true, "CNAME": true, "DS": true, "HTTPS": true,
	"MX": true, "NAPTR": true, "NS": true, "PTR": true, "SOA": true, "SPF": true,
	"SRV": true, "SSHFP": true, "SVCB": true, "TLSA": true, "TXT": true,
}

// GetRecords returns the records of zone, with names relative to it.
//
// Only plain record sets are returned. Alias record sets (Route 53's
// pointers to AWS resources) and sets with a routing policy (weighted,
// latency, failover, geolocation, ...) have no single DNS form: several of
// them can share a name and type, and what a resolver sees depends on who
// asks. They are left out, and writes refuse to replace them
// (ErrUnmanagedSet). SOA and NS records are included.
func (p *Provider) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	z, api, id, err := p.prepare(ctx, zone)
	if err != nil {
		return nil, err
	}
	var out []libdns.Record
	err = p.list(ctx, api, id, "", "", int32(p.opts.PageSize), func(s types.ResourceRecordSet) bool {
		if h := haveOf(z, s); h != nil && h.simple {
			out = append(out, h.recs...)
		}
		return true
	})
	if err != nil {
		return nil, p.fail(z, "reading records", err)
	}
	return out, nil
}

// prepare normalizes zone and finds its hosted zone. Errors are wrapped
// with the zone already.
func (p *Provider) prepare(ctx context.Context, zone string) (string, *r53.Client, string, error) {
	z, err := rrset.NormalizeZone(zone)
	if err != nil {
		return "", nil, "", p.fail(zone, "", err)
	}
	api, err := p.client(ctx)
	if err != nil {
		return "", nil, "", p.fail(z, "", err)
	}
	id, err := p.zoneID(ctx, api, z)
	if err != nil {
		return "", nil, "", p.fail(z, "", err)
	}
	return z, api, id, nil
}

// list pages through ListResourceRecordSets from (name, typ) on (both
// empty: from the start), handing each record set to each until it returns
// false. Pages follow NextRecordName, NextRecordType and
// NextRecordIdentifier, as the API documents for truncated results.
func (p *Provider) list(ctx context.Context, api *r53.Client, id, name, typ string, pageSize int32, each func(types.ResourceRecordSet) bool) error {
	in := &r53.ListResourceRecordSetsInput{HostedZoneId: aws.String(id), MaxItems: aws.Int32(pageSize)}
	if name != "" {
		in.StartRecordName = aws.String(escape.ToAPIName(name))
		if typ != "" {
			in.StartRecordType = types.RRType(typ)
		}
	}
	for {
		out, err := api.ListResourceRecordSets(ctx, in)
		if err != nil {
			return apiError("ListResourceRecordSets", err)
		}
		for _, s := range out.ResourceRecordSets {
			if !each(s) {
				return nil
			}
		}
		if !out.IsTruncated {
			return nil
		}
		if aws.ToString(out.NextRecordName) == "" {
			return &opError{kind: ErrRequest, op: "ListResourceRecordSets", detail: "truncated result without NextRecordName"}
		}
		in.StartRecordName = out.NextRecordName
		in.StartRecordType = out.NextRecordType
		in.StartRecordIdentifier = out.NextRecordIdentifier
	}
}

// haveSet is a record set as Route 53 holds it, with its values parsed.
type haveSet struct {
	raw  types.ResourceRecordSet
	name string // fully qualified, lower case, presentation form
	rel  string // name relative to the zone, as libdns has it
	typ  string
	ttl  time.Duration
	// recs and canon have one entry per value of raw, in its order: the
	// libdns record, and the canonical data compared against callers'
	// records.
	recs  []libdns.Record
	canon []string
	// simple is false for alias sets and sets with a routing policy or a
	// traffic policy, which this adapter never lists nor rewrites.
	simple bool
}

// haveOf parses a record set of zone; nil when it is not in the zone.
func haveOf(zone string, s types.ResourceRecordSet) *haveSet {
	name := escape.FromAPIName(aws.ToString(s.Name))
	rel, ok := rrset.Relative(name, zone)
	if !ok {
		return nil
	}
	h := &haveSet{
		raw:    s,
		name:   name,
		rel:    rel,
		typ:    string(s.Type),
		ttl:    time.Duration(aws.ToInt64(s.TTL)) * time.Second,
		simple: s.AliasTarget == nil && s.SetIdentifier == nil && s.TrafficPolicyInstanceId == nil,
	}
	for _, v := range s.ResourceRecords {
		rec := recordOf(rel, h.typ, h.ttl, aws.ToString(v.Value))
		h.recs = append(h.recs, rec)
		h.canon = append(h.canon, canon(rec.RR()))
	}
	return h
}

// recordOf turns one Route 53 value into a libdns record: TXT values are
// unquoted and their strings joined into one text; names inside the data
// get the trailing dot Route 53 leaves optional. A value libdns cannot
// parse comes back as an opaque libdns.RR rather than failing the read of
// the whole zone.
func recordOf(rel, typ string, ttl time.Duration, value string) libdns.Record {
	switch typ {
	case "TXT", "SPF":
		text, err := escape.TextOf(value)
		if err != nil {
			return libdns.RR{Name: rel, TTL: ttl, Type: typ, Data: value}
		}
		if typ == "SPF" {
			return libdns.RR{Name: rel, TTL: ttl, Type: typ, Data: text}
		}
		return libdns.TXT{Name: rel, TTL: ttl, Text: text}
	}
	rr := libdns.RR{Name: rel, TTL: ttl, Type: typ, Data: qualify(typ, value)}
	rec, err := rr.Parse()
	if err != nil {
		return rr
	}
	return rec
}

// valueOf is the Route 53 Value of a libdns record.
func valueOf(rr libdns.RR) (string, error) {
	switch rr.Type {
	case "TXT", "SPF":
		return escape.FormatTXT(rr.Data), nil
	}
	if strings.TrimSpace(rr.Data) == "" {
		return "", fmt.Errorf("%w: %s %s has no data", providers.ErrInvalidRecord, rr.Type, rr.Name)
	}
	if strings.ContainsAny(rr.Data, "\n\r") {
		return "", fmt.Errorf("%w: %s %s has a line break in its data", providers.ErrInvalidRecord, rr.Type, rr.Name)
	}
	return qualify(rr.Type, rr.Data), nil
}

// canon is the form in which record data compare: libdns's own rendering
// of the parsed record (so "2001:0db8::1" equals "2001:db8::1"), with the
// names inside the data fully qualified.
func canon(rr libdns.RR) string {
	if rr.Type == "TXT" || rr.Type == "SPF" {
		return rr.Data
	}
	rr.Data = qualify(rr.Type, rr.Data)
	if rec, err := rr.Parse(); err == nil {
		return rec.RR().Data
	}
	return rr.Data
}

// targetField is the position of the domain name in the data of the types
// that carry one. Route 53 treats every such name as fully qualified, with
// or without its trailing dot (its documentation says so for each type);
// adding the dot makes the name mean the same to libdns, whose callers
// read an undotted target as relative to the zone.
var targetField = map[string]int{"CNAME": 0, "NS": 0, "PTR": 0, "MX": 1, "SRV": 3, "HTTPS": 1, "SVCB": 1}

// qualify adds the trailing dot to the domain name in data, if the type
// has one and it lacks the dot; the rest of data is left byte for byte.
func qualify(typ, data string) string {
	idx, ok := targetField[typ]
	if !ok {
		return data
	}
	field := -1
	for i := 0; i < len(data); {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i == len(data) {
			break
		}
		start := i
		for i < len(data) && !isSpace(data[i]) {
			i++
		}
		field++
		if field == idx {
			if strings.HasSuffix(data[start:i], ".") {
				return data
			}
			return data[:i] + "." + data[i:]
		}
	}
	return data
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
