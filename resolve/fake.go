package resolve

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Fake is a Resolver that answers from plain data, for unit tests of the
// packages that take a Resolver. It sends nothing anywhere.
//
//	f := &resolve.Fake{
//		Records: map[string][]string{
//			"example.com TXT":       {"v=spf1 mx include:_spf.example.net -all"},
//			"example.com MX":        {"10 mx.example.com."},
//			"mx.example.com A":      {"192.0.2.1"},
//			"www.example.com CNAME": {"example.com."},
//			"empty.example.com TXT": {}, // the name exists, without TXT records
//		},
//		Fail: map[string]error{"broken.example TXT": resolve.ErrTemporary},
//	}
//
// A key is a name and a type mnemonic separated by a space; case and a
// trailing dot do not matter. Values are record data as in a zone file
// after the type, with absolute names; a TXT value is the text itself,
// split into 255-octet strings for you, unless it starts with a double
// quote, in which case it is read as quoted strings ("part one" "part two").
//
// A name with a key, or with a key below it (an empty non-terminal, RFC 8020
// section 2), exists: questions for other types get NODATA. Any other name
// is NXDOMAIN, unless a wildcard ("*.example.com TXT") covers it as RFC 4592
// section 3.3.1 describes. CNAMEs are followed for other types, as a
// recursive resolver would. Fail maps "name TYPE", or "name" alone for every
// type, to the error a question fails with, also when a CNAME chain reaches
// that name; use ErrTemporary or ErrPermanent for the usual cases. Answers
// are marked authoritative.
//
// Records and Fail are read at the first lookup and must not change after
// it. A malformed key or value panics then, naming it: it is a bug in the
// test. Fake is safe for concurrent use.
type Fake struct {
	Records map[string][]string
	Fail    map[string]error

	once sync.Once
	data *fakeData

	mu     sync.Mutex
	total  int64
	counts map[question]int
}

type fakeData struct {
	nodes  map[string]map[uint16][]dns.RR // canonical owner -> type -> records
	exists map[string]bool                // owners and all their ancestors
	fail   map[question]error             // qtype 0 means every type
}

// fakeTTL is the TTL the Fake gives its records; nothing reads it.
const fakeTTL = 300

// maxCharString is the longest character-string: RFC 1035 section 3.3.
const maxCharString = 255

// Lookup answers from f.Records and f.Fail and counts the question.
func (f *Fake) Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	canon, ok := checkName(name)
	f.count(question{canon, qtype})
	if !ok {
		return nil, &Error{Name: canon, Type: qtype, Rcode: -1, Kind: ErrPermanent, Err: errBadName}
	}
	if err := ctx.Err(); err != nil {
		return nil, contextError(canon, qtype, err)
	}
	d := f.load()
	a := &Answer{Name: canon, Type: qtype, Authoritative: true}
	for cur := canon; ; {
		if err := d.failure(cur, qtype); err != nil {
			e := &Error{Name: canon, Type: qtype, Rcode: -1, Err: err}
			if err == ErrTemporary || err == ErrPermanent {
				e.Kind, e.Err = err, nil
			}
			return nil, e
		}
		node, synthesized, exists := d.find(cur)
		if !exists {
			a.Rcode = dns.RcodeNameError
			return a, nil
		}
		if rrs := node[qtype]; len(rrs) > 0 {
			if synthesized {
				rrs = withOwner(rrs, fqdn(cur))
			}
			a.Records = rrs
			return a, nil
		}
		cn := node[dns.TypeCNAME]
		if qtype == dns.TypeCNAME || len(cn) == 0 {
			return a, nil
		}
		target := canonicalName(cn[0].(*dns.CNAME).Target)
		if target == canon || slices.Contains(a.CNAMEs, target) {
			return nil, &Error{Name: canon, Type: qtype, Rcode: -1, Kind: ErrPermanent, Err: errCNAMELoop}
		}
		a.CNAMEs = append(a.CNAMEs, target)
		cur = target
	}
}

// Queries returns the number of questions asked so far.
func (f *Fake) Queries() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// QueriesFor returns the number of times (name, qtype) was asked.
func (f *Fake) QueriesFor(name string, qtype uint16) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[question{canonicalName(name), qtype}]
}

func (f *Fake) count(q question) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.counts == nil {
		f.counts = make(map[question]int)
	}
	f.counts[q]++
	f.total++
}

// LookupTXT is LookupTXT over f.
func (f *Fake) LookupTXT(ctx context.Context, name string) (txt []string, void bool, err error) {
	return LookupTXT(ctx, f, name)
}

// LookupMX is LookupMX over f.
func (f *Fake) LookupMX(ctx context.Context, name string) (hosts []string, void bool, err error) {
	return LookupMX(ctx, f, name)
}

// LookupIP is LookupIP over f.
func (f *Fake) LookupIP(ctx context.Context, name string) (addrs []netip.Addr, void bool, err error) {
	return LookupIP(ctx, f, name)
}

func (f *Fake) load() *fakeData {
	f.once.Do(func() { f.data = buildFakeData(f.Records, f.Fail) })
	return f.data
}

func buildFakeData(records map[string][]string, fail map[string]error) *fakeData {
	d := &fakeData{
		nodes:  make(map[string]map[uint16][]dns.RR),
		exists: map[string]bool{},
		fail:   make(map[question]error),
	}
	// Sorted keys make the first reported mistake the same on every run.
	for _, key := range slices.Sorted(maps.Keys(records)) {
		q, err := parseFakeKey(key, true)
		if err != nil {
			panic(fmt.Sprintf("resolve: Fake.Records: %v", err))
		}
		node := d.nodes[q.name]
		if node == nil {
			node = make(map[uint16][]dns.RR)
			d.nodes[q.name] = node
		}
		rrs := node[q.qtype]
		if rrs == nil {
			// An empty list still makes the name exist.
			rrs = []dns.RR{}
		}
		for _, v := range records[key] {
			rr, err := parseFakeValue(q, v)
			if err != nil {
				panic(fmt.Sprintf("resolve: Fake.Records[%q]: value %q: %v", key, v, err))
			}
			rrs = append(rrs, rr)
		}
		node[q.qtype] = rrs
		for n := q.name; ; n = parentName(n) {
			d.exists[n] = true
			if n == "." {
				break
			}
		}
	}
	for name, node := range d.nodes {
		// RFC 2181 section 10.1: a CNAME cannot share its name with other
		// data, and there is one CNAME at most.
		if cn := node[dns.TypeCNAME]; len(cn) > 1 || len(cn) == 1 && len(node) > 1 {
			panic(fmt.Sprintf("resolve: Fake.Records: %s: a CNAME must be the only record at its name", name))
		}
	}
	for key, err := range fail {
		q, perr := parseFakeKey(key, false)
		if perr != nil {
			panic(fmt.Sprintf("resolve: Fake.Fail: %v", perr))
		}
		d.fail[q] = err
	}
	return d
}

// parseFakeKey reads "name TYPE", or "name" alone unless needType.
func parseFakeKey(key string, needType bool) (question, error) {
	fields := strings.Fields(key)
	if len(fields) == 0 || len(fields) > 2 || needType && len(fields) != 2 {
		return question{}, fmt.Errorf("key %q is not \"name TYPE\"", key)
	}
	canon, ok := checkName(fields[0])
	if !ok {
		return question{}, fmt.Errorf("key %q: %v", key, errBadName)
	}
	q := question{name: canon}
	if len(fields) == 2 {
		t, ok := dns.StringToType[strings.ToUpper(fields[1])]
		if !ok {
			return question{}, fmt.Errorf("key %q: unknown type %q", key, fields[1])
		}
		q.qtype = t
	}
	return q, nil
}

func parseFakeValue(q question, v string) (dns.RR, error) {
	hdr := dns.RR_Header{Name: fqdn(q.name), Rrtype: q.qtype, Class: dns.ClassINET, Ttl: fakeTTL}
	if q.qtype == dns.TypeTXT && !strings.HasPrefix(strings.TrimSpace(v), `"`) {
		t := &dns.TXT{Hdr: hdr, Txt: []string{}}
		for len(v) > maxCharString {
			t.Txt = append(t.Txt, escapeTXT(v[:maxCharString]))
			v = v[maxCharString:]
		}
		t.Txt = append(t.Txt, escapeTXT(v))
		return t, nil
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", hdr.Name, fakeTTL, dns.Type(q.qtype), v))
	if err != nil {
		return nil, err
	}
	if rr == nil {
		return nil, fmt.Errorf("empty record")
	}
	return rr, nil
}

func (d *fakeData) failure(name string, qtype uint16) error {
	if err := d.fail[question{name, qtype}]; err != nil {
		return err
	}
	return d.fail[question{name, 0}]
}

// find returns the records at name, whether they come from a wildcard, and
// whether the name exists at all.
func (d *fakeData) find(name string) (node map[uint16][]dns.RR, synthesized, exists bool) {
	if d.exists[name] {
		return d.nodes[name], false, true
	}
	// RFC 4592 section 3.3.1: only the wildcard child of the closest
	// encloser, the nearest existing ancestor, can match.
	for p := parentName(name); ; p = parentName(p) {
		if d.exists[p] {
			node, ok := d.nodes[wildcardName(p)]
			return node, true, ok
		}
		if p == "." {
			return nil, false, false
		}
	}
}

func withOwner(rrs []dns.RR, owner string) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = owner
	}
	return out
}

// parentName returns the canonical name one label up; the root's parent is
// the root.
func parentName(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return "."
}

func wildcardName(parent string) string {
	if parent == "." {
		return "*"
	}
	return "*." + parent
}
