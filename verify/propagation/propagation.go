// Package propagation proves, after an apply, that every authoritative name
// server of a domain's zone serves the records mailconf wants.
//
// It finds the zone's name servers (the NS RRset at the apex, RFC 1034
// section 4.2.1) and their addresses through a recursive Resolver, or takes
// them from the provider's configuration, then asks each server directly,
// without recursion (RD clear, RFC 1035 section 4.1.1), for every record set
// the plan owns, and compares what it serves with what is wanted.
//
// The package must never trust a recursive resolver's cache for the records
// themselves (only for finding the servers), never send a record query
// anywhere but a zone's authoritative servers, never read the clock or sleep
// except through Options.Now and Options.Sleep, and never change anything:
// it only reads.
//
// What counts as "serving the new records" follows the ownership rules of
// DESIGN.md section 4: for a set with a Prefix only the values starting with
// it are compared, so a site-verification TXT beside the SPF record is no
// mismatch. TTLs are not compared: a plan may change only a TTL, and a
// server still handing out the old TTL with the right values serves the
// right data; the TTL is the caches' business, not propagation's.
package propagation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
)

// Defaults for Options' zero fields.
const (
	DefaultTimeout     = 10 * time.Minute
	DefaultConcurrency = 32
	// DefaultMaxBackoff caps the default Backoff's doubling.
	DefaultMaxBackoff = 30 * time.Second
)

// dnsPort is the port of a discovered name server: RFC 1035 section 4.2.
const dnsPort = "53"

// Errors. Every error the package returns, and every ServerState.Err and
// DomainResult.Err it sets, wraps one of these or an error of package
// resolve (test those with resolve.IsTemporary).
var (
	// ErrNotPropagated means some authoritative server does not serve the
	// wanted records yet, or could not be asked.
	ErrNotPropagated = errors.New("propagation: records not served by every authoritative server")

	// ErrNoNameservers means no name server could be found for a zone: its
	// NS lookup was void, or no Resolver was given to look it up.
	ErrNoNameservers = errors.New("propagation: no name servers")

	// ErrNoAddress means a name server's host name has no A or AAAA record.
	ErrNoAddress = errors.New("propagation: name server has no address")

	// ErrNotAuthoritative means a server answered without the AA bit
	// (RFC 1035 section 4.1.1): it does not hold the zone, so its answer
	// says nothing about propagation (a lame delegation).
	ErrNotAuthoritative = errors.New("propagation: server is not authoritative for the name")

	// ErrBadOptions means Options lacks what a check needs.
	ErrBadOptions = errors.New("propagation: bad options")
)

// Options say how to find the servers and how long to wait for them.
type Options struct {
	// Resolver is a recursive resolver, used only to find a zone's NS
	// records and the name servers' addresses. It may be nil when
	// Nameservers covers every domain and names servers by address.
	Resolver resolve.Resolver

	// Exchange asks one server directly, without recursion and without a
	// cache: resolve.Client.Exchange with NoRecurse set. Required.
	Exchange func(ctx context.Context, server, name string, qtype uint16) (*resolve.Answer, error)

	// Nameservers, keyed by domain or by zone (the domain's key wins),
	// lists the "host:port" servers to ask instead of discovering the NS
	// records: a provider's `nameservers`, or a hidden primary that is in
	// no NS record. A host that is not an address is looked up through
	// Resolver; a missing port means 53.
	Nameservers map[string][]string

	// Timeout bounds Wait, measured with Now. Zero means DefaultTimeout.
	Timeout time.Duration

	// Backoff is the pause after the attempt-th pass (from 0) that left
	// something unverified. Nil means 1s doubling up to DefaultMaxBackoff.
	Backoff func(attempt int) time.Duration

	// Now and Sleep are the clock; nil means time.Now and a timer that
	// honours ctx.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	// Progress, if set, is called after every pass whose outcome differs
	// from the previous one's, and once with Done set at the end. It is
	// called from the goroutine that called Check or Wait, and must not
	// modify the Status (its slices are shared with later calls).
	Progress func(Status)

	// Concurrency bounds the queries in flight (discovery and record
	// queries alike). Zero means DefaultConcurrency.
	Concurrency int
}

// Status is the outcome of a pass: one DomainResult per desired domain, in
// the order of plan.Desired (sorted by name).
type Status struct {
	Domains []DomainResult
	// Done says no further pass will follow: always for Check; for Wait,
	// when everything is verified, the timeout passed or ctx ended.
	Done bool
}

// Verified reports whether every domain is verified.
func (s *Status) Verified() bool {
	for i := range s.Domains {
		if !s.Domains[i].Verified {
			return false
		}
	}
	return true
}

// DomainResult is what the servers of one domain's zone serve.
type DomainResult struct {
	Domain string
	Zone   string
	// Servers are the authoritative servers asked: discovered ones in the
	// order of their host names then addresses, configured ones in the
	// order given.
	Servers []ServerState
	// Verified is true once every server serves every owned record set as
	// wanted. A domain once verified is not asked again by later passes of
	// Wait: authoritative servers do not go back to older data on their own.
	Verified bool
	// Elapsed is the time from the start of Check or Wait to the pass that
	// verified the domain, or to the last pass.
	Elapsed time.Duration
	// Err is why the servers could not be found, or nil.
	Err error
}

// ServerState is what one server serves of a domain's record sets.
type ServerState struct {
	// Server is the "address:port" asked, or the host name when it has no
	// usable address.
	Server string
	// NS is the name server's host name, from the NS record or the
	// configured list; "" when the server was configured by address.
	NS string
	// Agrees is true when the server answered every question and serves
	// every owned record set as wanted.
	Agrees bool
	// Lagging are the record sets it serves differently, in the order of
	// the domain's sets.
	Lagging []Mismatch
	// Err is the first failure asking it (a timeout, SERVFAIL, REFUSED, a
	// non-authoritative answer), or nil.
	Err error
}

// Mismatch is one record set a server serves differently from the plan.
type Mismatch struct {
	Name, Type string
	// Want and Got are normalized values, sorted: MX "10 host.", CNAME
	// "host.", TXT the joined text. For a set with a Prefix, Got holds only
	// the values it owns.
	Want, Got []string
}

// label names a server in messages: "ns1.example.net (192.0.2.1:53)".
func (s *ServerState) label() string {
	if s.NS == "" || s.NS == s.Server {
		return s.Server
	}
	return s.NS + " (" + s.Server + ")"
}

// Check asks every authoritative server of every desired domain once, and
// reports what each serves. The error wraps ErrNotPropagated, naming the
// lagging servers, when any domain is not verified; it wraps ctx.Err()
// when ctx ended.
func Check(ctx context.Context, desired *plan.Desired, zones map[string]string, opts Options) (*Status, error) {
	c, err := newChecker(desired, zones, opts)
	if err != nil {
		return nil, err
	}
	c.pass(ctx)
	st := c.status(true)
	c.report(st, true)
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("%w: %w", ErrNotPropagated, err)
	}
	if !st.Verified() {
		return st, fmt.Errorf("%w: %s", ErrNotPropagated, describe(st))
	}
	return st, nil
}

// Wait repeats Check's pass, pausing Backoff between passes, until every
// server of every domain serves the wanted records or Timeout has passed.
// The error wraps ErrNotPropagated and names the lagging servers and what
// they still serve; it also wraps ctx.Err() when ctx ended first.
func Wait(ctx context.Context, desired *plan.Desired, zones map[string]string, opts Options) (*Status, error) {
	c, err := newChecker(desired, zones, opts)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		c.pass(ctx)
		st := c.status(false)
		if st.Verified() {
			st.Done = true
			c.report(st, true)
			return st, nil
		}
		if err := ctx.Err(); err != nil {
			st.Done = true
			c.report(st, true)
			return st, fmt.Errorf("%w: %w: %s", ErrNotPropagated, err, describe(st))
		}
		elapsed := c.opts.Now().Sub(c.start)
		remaining := c.opts.Timeout - elapsed
		if remaining <= 0 {
			st.Done = true
			c.report(st, true)
			return st, fmt.Errorf("%w after %s: %s", ErrNotPropagated, elapsed.Round(time.Millisecond), describe(st))
		}
		c.report(st, false)
		// The last pause is cut short so that the final pass happens at
		// the deadline rather than after it.
		if err := c.opts.Sleep(ctx, min(c.opts.Backoff(attempt), remaining)); err != nil {
			st.Done = true
			c.report(st, true)
			return st, fmt.Errorf("%w: %w: %s", ErrNotPropagated, err, describe(st))
		}
	}
}

// describe names every unverified domain's lagging servers and what they
// serve, for the error of Check and Wait.
func describe(st *Status) string {
	const maxDomains = 10
	var parts []string
	left := 0
	for i := range st.Domains {
		d := &st.Domains[i]
		if d.Verified {
			continue
		}
		if len(parts) == maxDomains {
			left++
			continue
		}
		var b strings.Builder
		b.WriteString(d.Domain)
		b.WriteString(": ")
		if d.Err != nil {
			b.WriteString(d.Err.Error())
			parts = append(parts, b.String())
			continue
		}
		var servers []string
		for j := range d.Servers {
			s := &d.Servers[j]
			if s.Agrees {
				continue
			}
			var what []string
			for _, m := range s.Lagging {
				what = append(what, fmt.Sprintf("serves %s %s %s, want %s", m.Name, m.Type, quoteList(m.Got), quoteList(m.Want)))
			}
			if s.Err != nil {
				what = append(what, s.Err.Error())
			}
			servers = append(servers, s.label()+" "+strings.Join(what, ", "))
		}
		b.WriteString(strings.Join(servers, "; "))
		parts = append(parts, b.String())
	}
	if left > 0 {
		parts = append(parts, fmt.Sprintf("and %d more domains", left))
	}
	return strings.Join(parts, "; ")
}

func quoteList(vs []string) string {
	if len(vs) == 0 {
		return "nothing"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// server is one address to ask, or a name server that could not be
// resolved to one (err set).
type server struct {
	ns   string
	addr string
	err  error
}

// query is one question to one server, asked once per pass however many
// record sets need it.
type query struct {
	server, name string
	qtype        uint16
}

type outcome struct {
	ans *resolve.Answer
	err error
}

type checker struct {
	opts    Options
	start   time.Time
	domains []domainState
	// found keeps discovered server lists that had no failure, by
	// discovery key, across the passes of Wait.
	found map[string][]server
	prev  string // the fingerprint of the last Status reported
}

type domainState struct {
	rec    *plan.DomainRecords
	zone   string
	key    string   // discovery key: "domain:" or "zone:" for Nameservers, else the zone
	static []string // the configured servers, if any
	result DomainResult
}

func newChecker(desired *plan.Desired, zones map[string]string, opts Options) (*checker, error) {
	if desired == nil {
		return nil, fmt.Errorf("%w: no desired records", ErrBadOptions)
	}
	if opts.Exchange == nil {
		return nil, fmt.Errorf("%w: Exchange is required", ErrBadOptions)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Backoff == nil {
		opts.Backoff = defaultBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	c := &checker{opts: opts, start: opts.Now(), found: make(map[string][]server)}
	// Keys are names: any case, with or without the trailing dot.
	configured := make(map[string][]string, len(opts.Nameservers))
	for k, v := range opts.Nameservers {
		configured[canonical(k)] = v
	}
	for _, d := range desired.Domains {
		ds := domainState{rec: d, zone: zoneOf(d, zones)}
		switch {
		case configured[canonical(d.Domain)] != nil:
			ds.key, ds.static = "domain:"+d.Domain, configured[canonical(d.Domain)]
		case configured[ds.zone] != nil:
			ds.key, ds.static = "zone:"+ds.zone, configured[ds.zone]
		default:
			ds.key = ds.zone
		}
		ds.result = DomainResult{Domain: d.Domain, Zone: ds.zone}
		c.domains = append(c.domains, ds)
	}
	return c, nil
}

// zoneOf is the zone of a domain: the caller's map (the provider found it),
// else the configuration's, else the domain itself.
func zoneOf(d *plan.DomainRecords, zones map[string]string) string {
	z := zones[d.Domain]
	if z == "" {
		z = d.Zone
	}
	if z == "" {
		z = d.Domain
	}
	return canonical(z)
}

// canonical is a name lower case without its trailing dot, as plan writes
// names.
func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func defaultBackoff(attempt int) time.Duration {
	d := time.Second
	for range attempt {
		d *= 2
		if d >= DefaultMaxBackoff {
			return DefaultMaxBackoff
		}
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// status copies the current results into a Status.
func (c *checker) status(done bool) *Status {
	st := &Status{Domains: make([]DomainResult, len(c.domains)), Done: done}
	for i := range c.domains {
		st.Domains[i] = c.domains[i].result
	}
	return st
}

// report calls Progress when the Status differs from the last one reported,
// and always for the final one.
func (c *checker) report(st *Status, final bool) {
	if c.opts.Progress == nil {
		return
	}
	fp := fingerprint(st)
	if fp == c.prev && !final {
		return
	}
	c.prev = fp
	c.opts.Progress(*st)
}

// fingerprint summarizes what a Status says, without times, to tell
// whether anything changed.
func fingerprint(st *Status) string {
	var b strings.Builder
	for i := range st.Domains {
		d := &st.Domains[i]
		fmt.Fprintf(&b, "%s %t %v\n", d.Domain, d.Verified, d.Err)
		for _, s := range d.Servers {
			fmt.Fprintf(&b, " %s %t %v %v\n", s.Server, s.Agrees, s.Lagging, s.Err)
		}
	}
	return b.String()
}

// pass asks every server of every unverified domain about each of the
// domain's record sets, and updates the results.
func (c *checker) pass(ctx context.Context) {
	servers := c.discover(ctx)

	index := make(map[query]int)
	var queries []query
	for i := range c.domains {
		d := &c.domains[i]
		if d.result.Verified {
			continue
		}
		for _, s := range servers[d.key].list {
			if s.err != nil {
				continue
			}
			for _, rs := range d.rec.Sets {
				q := query{server: s.addr, name: rs.Name, qtype: qtypeOf(rs.Type)}
				if _, ok := index[q]; !ok {
					index[q] = len(queries)
					queries = append(queries, q)
				}
			}
		}
	}
	outcomes := make([]outcome, len(queries))
	c.run(len(queries), func(i int) {
		q := queries[i]
		ans, err := c.opts.Exchange(ctx, q.server, q.name, q.qtype)
		outcomes[i] = outcome{ans, err}
	})

	elapsed := c.opts.Now().Sub(c.start)
	for i := range c.domains {
		d := &c.domains[i]
		if d.result.Verified {
			continue
		}
		res := DomainResult{Domain: d.rec.Domain, Zone: d.zone, Elapsed: elapsed}
		found := servers[d.key]
		list := found.list
		if found.err != nil || len(list) == 0 {
			res.Err = found.err
			if res.Err == nil {
				res.Err = fmt.Errorf("%w for %s", ErrNoNameservers, d.zone)
			}
			d.result = res
			continue
		}
		res.Verified = true
		for _, s := range list {
			st := ServerState{Server: s.addr, NS: s.ns, Err: s.err}
			if s.err == nil {
				for _, rs := range d.rec.Sets {
					o := outcomes[index[query{server: s.addr, name: rs.Name, qtype: qtypeOf(rs.Type)}]]
					m, err := compare(rs, o)
					if err != nil && st.Err == nil {
						st.Err = err
					}
					if m != nil {
						st.Lagging = append(st.Lagging, *m)
					}
				}
				st.Agrees = st.Err == nil && len(st.Lagging) == 0
			}
			res.Verified = res.Verified && st.Agrees
			res.Servers = append(res.Servers, st)
		}
		d.result = res
	}
}

// discovered is the outcome of finding the servers for one discovery key.
type discovered struct {
	list []server
	err  error
}

// run calls f(0..n-1) on at most Concurrency goroutines.
func (c *checker) run(n int, f func(i int)) {
	workers := min(c.opts.Concurrency, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// discover returns the servers of every discovery key an unverified domain
// needs: cached lists, configured lists, or NS records looked up now.
func (c *checker) discover(ctx context.Context) map[string]discovered {
	out := make(map[string]discovered)
	var keys []string
	byKey := make(map[string]*domainState)
	for i := range c.domains {
		d := &c.domains[i]
		if d.result.Verified {
			continue
		}
		if l, ok := c.found[d.key]; ok {
			out[d.key] = discovered{list: l}
			continue
		}
		if _, ok := byKey[d.key]; !ok {
			byKey[d.key] = d
			keys = append(keys, d.key)
		}
	}
	type found struct {
		list      []server
		err       error
		cacheable bool
	}
	results := make([]found, len(keys))
	c.run(len(keys), func(i int) {
		d := byKey[keys[i]]
		var f found
		if d.static != nil {
			f.list, f.cacheable = c.configured(ctx, d.static)
		} else {
			f.list, f.cacheable, f.err = c.lookupNS(ctx, d.zone)
		}
		results[i] = f
	})
	for i, k := range keys {
		f := results[i]
		out[k] = discovered{list: f.list, err: f.err}
		if f.err == nil && f.cacheable {
			c.found[k] = f.list
		}
	}
	return out
}

// configured turns a configured server list into addresses, looking up the
// ones named by host name.
func (c *checker) configured(ctx context.Context, list []string) ([]server, bool) {
	var out []server
	cacheable := true
	for _, s := range list {
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			host, port = strings.Trim(s, "[]"), dnsPort
		}
		if _, err := netip.ParseAddr(host); err == nil {
			out = append(out, server{addr: net.JoinHostPort(host, port)})
			continue
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		got, ok := c.addresses(ctx, host, port)
		cacheable = cacheable && ok
		out = append(out, got...)
	}
	return dedupe(out), cacheable
}

// lookupNS finds a zone's name servers and their addresses. RFC 1034
// section 4.2.1: the NS RRset at the apex names the zone's authoritative
// servers.
func (c *checker) lookupNS(ctx context.Context, zone string) ([]server, bool, error) {
	if c.opts.Resolver == nil {
		return nil, false, fmt.Errorf("%w for %s: no resolver and no nameservers configured", ErrNoNameservers, zone)
	}
	ans, err := c.opts.Resolver.Lookup(ctx, zone, dns.TypeNS)
	if err != nil {
		return nil, false, fmt.Errorf("propagation: NS of %s: %w", zone, err)
	}
	hosts := ans.Names()
	if len(ans.CNAMEs) > 0 || len(hosts) == 0 {
		// RFC 2181 section 10.1: a zone apex cannot be an alias, so NS
		// records reached through a CNAME are not the zone's.
		return nil, false, fmt.Errorf("%w for %s: no NS records at the zone apex", ErrNoNameservers, zone)
	}
	var out []server
	cacheable := true
	for _, h := range hosts {
		got, ok := c.addresses(ctx, h, dnsPort)
		cacheable = cacheable && ok
		out = append(out, got...)
	}
	return dedupe(out), cacheable, nil
}

// addresses looks up a name server's A and AAAA records. A failure of one
// family is tolerated when the other gives addresses, but the list is then
// not kept for later passes.
func (c *checker) addresses(ctx context.Context, host, port string) ([]server, bool) {
	if c.opts.Resolver == nil {
		return []server{{ns: host, addr: host, err: fmt.Errorf("%w: %s: no resolver to look it up", ErrNoAddress, host)}}, false
	}
	var addrs []netip.Addr
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		ans, err := c.opts.Resolver.Lookup(ctx, host, t)
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		addrs = append(addrs, ans.Addrs()...)
	}
	if len(addrs) == 0 {
		err := firstErr
		if err == nil {
			err = fmt.Errorf("%w: %s", ErrNoAddress, host)
		}
		return []server{{ns: host, addr: host, err: err}}, false
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	out := make([]server, 0, len(addrs))
	for _, a := range slices.Compact(addrs) {
		out = append(out, server{ns: host, addr: net.JoinHostPort(a.String(), port)})
	}
	return out, firstErr == nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// dedupe drops later entries with an address already listed: two NS names
// for one address are one server.
func dedupe(list []server) []server {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if seen[s.addr] {
			continue
		}
		seen[s.addr] = true
		out = append(out, s)
	}
	return out
}

func qtypeOf(t string) uint16 {
	return dns.StringToType[strings.ToUpper(t)]
}
