package spf

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Resolver is the DNS access the analyzer needs. Package spf declares it so
// that it stays free of network code; the project's resolve package
// implements it, and tests serve plain data.
//
// A void lookup (RFC 7208 section 4.6.4: NXDOMAIN, or NOERROR with no answer)
// is reported with void=true and a nil error. err is for failures (timeouts,
// SERVFAIL) and makes the analysis incomplete, as it makes a receiver's
// evaluation end in temperror. Implementations honour ctx.
type Resolver interface {
	// LookupTXT returns the TXT records at name, each record's strings
	// joined with nothing in between (RFC 7208 section 3.3).
	LookupTXT(ctx context.Context, name string) (txt []string, void bool, err error)
	// LookupMX returns the MX host names at name, in preference order.
	LookupMX(ctx context.Context, name string) (hosts []string, void bool, err error)
	// LookupIP returns the A then the AAAA addresses of name; void is true
	// only when both answers are void.
	LookupIP(ctx context.Context, name string) (addrs []netip.Addr, void bool, err error)
}

// Sentinel errors set on [Node.Err] by Analyze, and returned (wrapped) by
// [Flatten]. Test them with errors.Is.
var (
	// ErrNoRecord means a domain publishes no SPF record. For an include or
	// redirect target receivers return permerror (RFC 7208 section 5.2 and
	// section 6.1); for the domain being checked, none (section 4.5).
	ErrNoRecord = errors.New("spf: no SPF record")

	// ErrMultipleRecords means a domain publishes more than one SPF record,
	// which receivers treat as permerror (RFC 7208 section 4.5).
	ErrMultipleRecords = errors.New("spf: more than one SPF record")

	// ErrLoop means an include or redirect names a domain whose record is
	// already being evaluated on the same path, so evaluation only ends at
	// the lookup limit (RFC 7208 section 4.6.4).
	ErrLoop = errors.New("spf: include loop")

	// ErrLookup means a DNS lookup failed (a timeout or SERVFAIL, not a
	// void answer); receivers return temperror (RFC 7208 section 4.4 and
	// section 5), and the analysis below that point is missing.
	ErrLookup = errors.New("spf: DNS lookup failed")

	// ErrTooManyMXHosts means an mx term's MX answer names more than 10
	// hosts, which makes the mechanism a permerror (RFC 7208 section 4.6.4).
	ErrTooManyMXHosts = errors.New("spf: too many MX hosts")

	// ErrAnalysisLimit means Analyze stopped following includes because the
	// tree was deeper or needed more queries than any record within the
	// lookup limit can.
	ErrAnalysisLimit = errors.New("spf: analysis limit reached")

	// ErrTooManyLookups means a record needs more DNS-querying terms than
	// RFC 7208 section 4.6.4 allows, even after flattening.
	ErrTooManyLookups = errors.New("spf: too many DNS lookups")

	// ErrTooLong means flattening cannot fit the terms that must stay into a
	// record of the maximum length.
	ErrTooLong = errors.New("spf: record too long")
)

// Limits of RFC 7208 section 4.6.4 that Analyze checks, besides
// maxLookupTerms.
const (
	// RFC 7208 section 4.6.4: SPF implementations SHOULD limit void
	// lookups to two; a third is a permerror.
	maxVoidLookups = 2
	// RFC 7208 section 4.6.4: the evaluation of each MX record MUST NOT
	// query more than 10 address records; more is a permerror for mx. The
	// same number bounds the names of ptr (whose extras are ignored).
	maxMXHosts = 10
)

// Safety limits of Analyze on hostile data. Neither is reached by a record
// that is within the lookup limit: every level of include or redirect costs a
// lookup, so a path deeper than 10 already breaks the limit; and 10 lookups
// need at most 10*(1+10)+1 = 111 queries (an mx with 10 hosts is 11 queries).
const (
	maxDepth   = maxLookupTerms
	maxQueries = 250
)

// Analysis is the static, worst-case expansion of a domain's SPF record: what
// a receiver evaluating check_host() for the domain would look up if no
// mechanism matched before the end (RFC 7208 section 4.6). It needs no client
// address; the terms whose outcome depends on one (ptr, macros) are counted
// and reported, not resolved.
type Analysis struct {
	// Domain is the domain whose record was analyzed, in lowercase without
	// a final dot.
	Domain string
	// Record is the record analyzed: the one passed to Analyze, or the one
	// it fetched. It is nil when the domain has no usable record.
	Record *Record
	// Lookups is the number of DNS-querying terms of the whole evaluation,
	// across every include and redirect (RFC 7208 section 4.6.4).
	Lookups int
	// VoidLookups is the number of DNS-querying terms whose query came back
	// void (RFC 7208 section 4.6.4); see Analyze for exactly what counts.
	VoidLookups int
	// Incomplete is true when a DNS lookup failed or a safety limit stopped
	// the analysis: the counts are then lower bounds.
	Incomplete bool
	// Tree is the root of the expansion: its Record is the domain's record
	// and its Children are the record's terms.
	Tree *Node
	// Problems are the findings, each with a stable Code listed in [Codes]:
	// first those about the evaluation as a whole (the limits), then one per
	// finding in tree order.
	Problems []Problem
}

// Node is one term of the expansion, or the root.
type Node struct {
	// Term is the canonical text of the term, "" for the root.
	Term string
	// Domain is the <domain> of check_host() while this term is evaluated:
	// the domain of the record that holds the term (for the root, the
	// analyzed domain).
	Domain string
	// Target is the name this term looks up (the include or redirect
	// target, the a, mx or exists name), "" when it looks up nothing or the
	// name holds a macro.
	Target string
	// Lookups is what this term adds to the lookup count: 1 for a term that
	// a receiver evaluates and that queries DNS, 0 otherwise. [Node.Total]
	// adds up a subtree.
	Lookups int
	// Void is true when the term's lookup came back void, which counts
	// toward the void-lookup limit.
	Void bool
	// Record is the SPF record fetched for the root, an include or a
	// redirect, as published (TXT strings joined).
	Record string
	// Hosts are the MX host names of an mx term, in the order received.
	Hosts []string
	// Addrs are the addresses of an a term, or of all the hosts of an mx
	// term, in the order received.
	Addrs []netip.Addr
	// Children are the terms of the fetched record, for the root, an
	// include and a redirect.
	Children []*Node
	// Note says something about the term that is not a fault: why it was
	// not followed or not evaluated, or which MX hosts have no address.
	Note string
	// Err is what went wrong with the term: it wraps one of ErrNoRecord,
	// ErrMultipleRecords, ErrSyntax, ErrLoop, ErrLookup, ErrTooManyMXHosts
	// or ErrAnalysisLimit.
	Err error

	// term is the parsed term, and rec the parsed record fetched; Flatten
	// needs both.
	term Term
	rec  *Record
	// afterAll marks a term that comes after the record's "all" and is
	// never evaluated (RFC 7208 section 5.1).
	afterAll bool
}

// Total returns the lookups of the node and everything below it.
func (n *Node) Total() int {
	t := n.Lookups
	for _, c := range n.Children {
		t += c.Total()
	}
	return t
}

// Analyze expands the SPF record rec of domain through r, following what a
// receiver's check_host() would follow if nothing matched before the end:
// include and redirect fetch the target's record and recurse; a, mx and
// exists look up their names; ptr and terms holding macros are counted but
// cannot be resolved without a client (RFC 7208 section 5.5 and section 7).
// When rec is nil, Analyze fetches the domain's record itself.
//
// Lookups are counted as RFC 7208 section 4.6.4 says: include, a, mx, ptr,
// exists and redirect count one each, whatever their qualifier; all, ip4, ip6
// and exp count nothing. A redirect in a record that has "all" is ignored
// (section 6.1) and terms after "all" are never evaluated (section 5.1), so
// neither is counted or followed.
//
// Void lookups are counted per term, as section 4.6.4 words the limit ("the
// number of terms for which DNS queries return" an empty answer or NXDOMAIN):
//   - include and redirect: the target's TXT query is void;
//   - a and exists: the address lookup is void for both A and AAAA (a name
//     with only AAAA records is not void, since the resolver looks up both);
//   - mx: the MX query itself is void. MX hosts without addresses are listed
//     in the node's Note but not counted: the mx term's query had an answer,
//     and section 5.4 has receivers simply skip such hosts. At most one void
//     per term.
//
// The resolver is called sequentially; Analyze never returns nil. It stops
// descending at a loop, and on hostile data after maxDepth levels or
// maxQueries queries, which no record within the limits reaches.
func Analyze(ctx context.Context, r Resolver, domain string, rec *Record) *Analysis {
	an := &analyzer{ctx: ctx, r: r, a: &Analysis{Domain: normalizeName(domain)}}
	a := an.a
	root := &Node{Domain: a.Domain}
	a.Tree = root
	if rec == nil {
		// The lookup of the domain's own record is not a DNS-querying term
		// (RFC 7208 section 4.6.4 counts terms), so its answer counts
		// nothing.
		text, got, _, err := an.fetch(a.Domain)
		root.Record, root.rec, root.Err = text, got, err
		switch {
		case errors.Is(err, ErrNoRecord):
			an.add(Warning, codeNoRecord, "RFC 7208 section 4.5", root,
				"%s publishes no SPF record, so receivers get the result none and cannot tell forged mail from real", a.Domain)
		case errors.Is(err, ErrMultipleRecords):
			an.add(Error, codeMultipleRecords, "RFC 7208 section 4.5", root,
				"%s publishes more than one SPF record, so receivers return permerror; merge them into one", a.Domain)
		case errors.Is(err, ErrSyntax):
			an.add(Error, codeSyntax, "RFC 7208 section 4.6", root,
				"the SPF record of %s does not parse, so receivers return permerror: %v", a.Domain, err)
		case err != nil:
			an.lookupFailed(root, a.Domain, err)
		}
		if got == nil {
			an.finish()
			return a
		}
		rec = got
	} else {
		root.Record, root.rec = rec.String(), rec
	}
	a.Record = rec
	an.checkLength(root)
	an.walk(root, []string{a.Domain}, 0)
	an.finish()
	return a
}

// analyzer carries the state of one Analyze call.
type analyzer struct {
	ctx     context.Context
	r       Resolver
	a       *Analysis
	queries int
	// truncated is set once a safety limit stopped the analysis.
	truncated bool
	// macroExists counts evaluated exists terms holding macros.
	macroExists int
	// problems collects the findings in tree order; finish puts the
	// findings about the whole evaluation in front.
	problems []Problem
}

// add records a finding about node. Its Tag is the node's term ("" for the
// root) and the message names the record holding the term when that is not
// the analyzed domain's own.
func (an *analyzer) add(sev Severity, code, rfc string, n *Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n.Term != "" && n.Domain != an.a.Domain {
		msg += fmt.Sprintf(" (in the SPF record of %s)", n.Domain)
	}
	an.problems = append(an.problems, Problem{Severity: sev, Code: code, Tag: n.Term, Message: msg, RFC: rfc})
}

// walk evaluates the terms of n.rec, evaluated for n's target domain (the
// analyzed domain for the root). path holds the domains whose records are
// being evaluated, outermost first, to find loops.
func (an *analyzer) walk(n *Node, path []string, depth int) {
	domain := path[len(path)-1]
	all := n.rec.All()
	sawAll := false
	for _, t := range n.rec.Terms {
		c := &Node{Term: t.String(), Domain: domain, term: t}
		n.Children = append(n.Children, c)
		switch t := t.(type) {
		case *Mechanism:
			if sawAll {
				// RFC 7208 section 5.1: mechanisms after "all" will never be
				// tested and MUST be ignored, so they cost nothing.
				c.afterAll = true
				c.Note = "not evaluated: it comes after \"all\""
				continue
			}
			switch t.Kind {
			case All:
				sawAll = true
			case Include:
				c.Lookups = 1
				an.follow(c, t.Domain, false, path, depth)
			case A:
				c.Lookups = 1
				an.lookupA(c, t, domain)
			case MX:
				c.Lookups = 1
				an.lookupMX(c, t, domain)
			case PTR:
				// RFC 7208 section 5.5: ptr looks up the client's PTR names
				// and their addresses, so only a receiver can evaluate it;
				// it still counts one lookup (section 4.6.4).
				c.Lookups = 1
				c.Note = "not checked: it depends on the client's address"
				an.add(Warning, codePTR, "RFC 7208 section 5.5", c,
					"ptr should not be used: it is slow and unreliable, and costs a lookup that cannot be checked ahead of time; list the addresses with ip4/ip6 or a instead")
			case Exists:
				c.Lookups = 1
				an.lookupExists(c, t, domain)
			}
		case *Modifier:
			if t.Name != redirectName {
				// RFC 7208 section 4.6.4: exp causes no query during the
				// evaluation (only afterwards, for a fail result), and
				// unknown modifiers are ignored (section 6).
				continue
			}
			if all != nil {
				// RFC 7208 section 6.1: redirect MUST be ignored when the
				// record has an "all" mechanism, so it is neither counted
				// nor followed.
				c.Note = "ignored: the record has an \"all\" mechanism"
				an.add(Warning, codeRedirectIgnored, "RFC 7208 section 6.1", c,
					"redirect is ignored because the record has an \"all\" mechanism; remove one of them")
				continue
			}
			c.Lookups = 1
			an.follow(c, t.Value, true, path, depth)
		}
	}
}

// follow fetches and expands the record of an include (RFC 7208 section
// 5.2) or redirect (section 6.1) target.
func (an *analyzer) follow(c *Node, spec string, redirect bool, path []string, depth int) {
	if hasExpansion(spec) {
		an.macro(c)
		return
	}
	target := normalizeName(spec)
	c.Target = target
	if i := slices.Index(path, target); i >= 0 {
		loop := strings.Join(append(slices.Clone(path[i:]), target), " → ")
		c.Err = fmt.Errorf("%w: %s", ErrLoop, loop)
		c.Note = "loop: " + loop
		an.add(Error, codeIncludeLoop, "RFC 7208 section 4.6.4", c,
			"%s is already being evaluated (%s), so receivers keep looking it up until the 10-lookup limit and return permerror", target, loop)
		return
	}
	if depth >= maxDepth {
		an.stop(c, fmt.Sprintf("more than %d levels of include and redirect", maxDepth))
		return
	}
	text, rec, void, err := an.fetch(target)
	c.Record, c.rec, c.Void, c.Err = text, rec, void, err
	noRecord, multiple, syntax := codeIncludeNoRecord, codeIncludeMultipleRecords, codeIncludeSyntax
	noRecordRFC, what := "RFC 7208 section 5.2", "include"
	if redirect {
		noRecord, multiple, syntax = codeRedirectNoRecord, codeRedirectMultipleRecords, codeRedirectSyntax
		noRecordRFC, what = "RFC 7208 section 6.1", "redirect"
	}
	switch {
	case errors.Is(err, ErrAnalysisLimit):
		an.stop(c, fmt.Sprintf("more than %d DNS queries", maxQueries))
		return
	case errors.Is(err, ErrNoRecord):
		// RFC 7208 section 5.2 and section 6.1: a target without an SPF
		// record makes the include or redirect a permerror.
		an.add(Error, noRecord, noRecordRFC, c,
			"%s publishes no SPF record, so this %s makes receivers return permerror", target, what)
		return
	case errors.Is(err, ErrMultipleRecords):
		an.add(Error, multiple, "RFC 7208 section 4.5", c,
			"%s publishes more than one SPF record, so this %s makes receivers return permerror", target, what)
		return
	case errors.Is(err, ErrSyntax):
		an.add(Error, syntax, "RFC 7208 section 4.6", c,
			"the SPF record of %s does not parse, so this %s makes receivers return permerror: %v", target, what, err)
		return
	case err != nil:
		an.lookupFailed(c, target, err)
		return
	}
	an.checkLength(c)
	an.walk(c, append(slices.Clone(path), target), depth+1)
}

// lookupA evaluates an a mechanism (RFC 7208 section 5.3).
func (an *analyzer) lookupA(c *Node, m *Mechanism, domain string) {
	target, ok := an.targetOf(c, m, domain)
	if !ok {
		return
	}
	addrs, void, err := an.lookupIP(target)
	switch {
	case err != nil:
		an.failed(c, target, err)
	case void:
		c.Void = true
		c.Note = "no A or AAAA records"
	default:
		c.Addrs = addrs
	}
}

// lookupExists evaluates an exists mechanism (RFC 7208 section 5.7). It is
// almost always written with macros, whose answer depends on the client.
func (an *analyzer) lookupExists(c *Node, m *Mechanism, domain string) {
	if m.HasMacro() {
		an.macroExists++
	}
	target, ok := an.targetOf(c, m, domain)
	if !ok {
		return
	}
	// RFC 7208 section 5.7 has receivers query A records only; the resolver
	// looks up AAAA as well, so a name with only AAAA records is not counted
	// as void here although a receiver would see a void answer.
	_, void, err := an.lookupIP(target)
	switch {
	case err != nil:
		an.failed(c, target, err)
	case void:
		c.Void = true
		c.Note = "the name does not exist, so exists never matches"
	}
}

// lookupMX evaluates an mx mechanism (RFC 7208 section 5.4).
func (an *analyzer) lookupMX(c *Node, m *Mechanism, domain string) {
	target, ok := an.targetOf(c, m, domain)
	if !ok {
		return
	}
	hosts, void, err := an.lookupMXHosts(target)
	switch {
	case err != nil:
		an.failed(c, target, err)
		return
	case void:
		c.Void = true
		c.Note = "no MX records"
		return
	}
	c.Hosts = hosts
	if len(hosts) > maxMXHosts {
		// RFC 7208 section 4.6.4: the evaluation of each MX record MUST NOT
		// result in querying more than 10 address records; if this limit is
		// exceeded, the mx mechanism produces permerror.
		c.Err = fmt.Errorf("%w: %s has %d MX records", ErrTooManyMXHosts, target, len(hosts))
		an.add(Error, codeMXTooManyHosts, "RFC 7208 section 4.6.4", c,
			"the MX answer of %s names %d hosts and receivers look up at most %d, so this mx term makes them return permerror; use ip4/ip6 for the extra hosts",
			target, len(hosts), maxMXHosts)
		return
	}
	var noAddr []string
	for _, h := range hosts {
		name := normalizeName(h)
		addrs, void, err := an.lookupIP(name)
		switch {
		case err != nil:
			an.failed(c, name, err)
		case void:
			// RFC 7208 section 5.4: hosts without addresses are skipped;
			// see Analyze for why they are not counted as void.
			noAddr = append(noAddr, name)
		default:
			c.Addrs = append(c.Addrs, addrs...)
		}
	}
	if len(noAddr) > 0 {
		c.Note = "no address for " + strings.Join(noAddr, ", ")
	}
}

// targetOf returns the name an a, mx or exists term looks up: its
// domain-spec, or the current domain when it has none (RFC 7208 section
// 5.3 and 5.4). It reports false, after recording why, when the name holds a
// macro.
func (an *analyzer) targetOf(c *Node, m *Mechanism, domain string) (string, bool) {
	if m.HasMacro() {
		an.macro(c)
		return "", false
	}
	target := domain
	if m.Domain != "" {
		target = normalizeName(m.Domain)
	}
	c.Target = target
	return target, true
}

// macro records a term whose domain-spec holds a macro.
func (an *analyzer) macro(c *Node) {
	// RFC 7208 section 7: macros expand to parts of the message and the
	// connection (sender, client address, HELO name), which do not exist
	// ahead of time. The term still costs its lookup (section 4.6.4).
	c.Note = "not expanded: the name holds a macro, which only a receiver can expand"
	an.add(Warning, codeMacro, "RFC 7208 section 7", c,
		"the name holds a macro, which only a receiver can expand: counted as one lookup, not followed")
}

// failed records a failed lookup of a term.
func (an *analyzer) failed(c *Node, name string, err error) {
	if errors.Is(err, ErrAnalysisLimit) {
		an.stop(c, fmt.Sprintf("more than %d DNS queries", maxQueries))
		return
	}
	if c.Err == nil {
		c.Err = err
	}
	an.lookupFailed(c, name, err)
}

// lookupFailed records a DNS failure, which makes the analysis incomplete.
func (an *analyzer) lookupFailed(c *Node, name string, err error) {
	an.a.Incomplete = true
	an.add(Warning, codeLookupFailed, "RFC 7208 section 4.4", c,
		"the lookup of %s failed (%v), so receivers may return temperror and this analysis is incomplete; check the name's DNS servers", name, err)
}

// stop records that a safety limit ended the analysis at c.
func (an *analyzer) stop(c *Node, why string) {
	c.Err = fmt.Errorf("%w: %s", ErrAnalysisLimit, why)
	c.Note = "not followed: " + why
	an.a.Incomplete = true
	if !an.truncated {
		an.truncated = true
		an.add(Warning, codeAnalysisTruncated, "RFC 7208 section 4.6.4", c,
			"the analysis stopped here after %s, far beyond what receivers evaluate; the counts are lower bounds", why)
	}
}

// checkLength warns about a fetched record longer than RFC 7208 section 3.4
// advises.
func (an *analyzer) checkLength(n *Node) {
	if len(n.Record) <= maxRecordOctets {
		return
	}
	// RFC 7208 section 3.4: a record that keeps the whole answer within 512
	// octets avoids falling back to TCP, which some receivers do not do.
	whose := n.Target
	if n.Term == "" {
		whose = n.Domain
	}
	an.add(Warning, codeRecordTooLong, "RFC 7208 section 3.4", n,
		"the SPF record of %s is %d octets long; above %d octets the DNS answer may not fit a 512-octet UDP response",
		whose, len(n.Record), maxRecordOctets)
}

// fetch looks up the SPF record of name: the one TXT record that starts with
// "v=spf1" (RFC 7208 section 4.5). void reports a void TXT lookup.
func (an *analyzer) fetch(name string) (text string, rec *Record, void bool, err error) {
	txts, void, err := an.lookupTXT(name)
	if err != nil {
		return "", nil, false, err
	}
	var found []string
	for _, t := range txts {
		if IsRecord(t) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", nil, void, fmt.Errorf("%w at %s", ErrNoRecord, name)
	case 1:
	default:
		return "", nil, false, fmt.Errorf("%w at %s: %d records", ErrMultipleRecords, name, len(found))
	}
	rec, err = Parse(found[0])
	if err != nil {
		return found[0], nil, false, fmt.Errorf("record of %s: %w", name, err)
	}
	return found[0], rec, false, nil
}

// query runs one resolver call, after checking the context and the query
// budget, and wraps a failure in ErrLookup.
func query[T any](an *analyzer, name string, f func(context.Context, string) (T, bool, error)) (T, bool, error) {
	var zero T
	if err := an.ctx.Err(); err != nil {
		return zero, false, fmt.Errorf("%w: %s: %w", ErrLookup, name, err)
	}
	if an.queries >= maxQueries {
		return zero, false, fmt.Errorf("%w: more than %d DNS queries", ErrAnalysisLimit, maxQueries)
	}
	an.queries++
	v, void, err := f(an.ctx, name)
	if err != nil {
		return zero, false, fmt.Errorf("%w: %s: %w", ErrLookup, name, err)
	}
	return v, void, nil
}

func (an *analyzer) lookupTXT(name string) ([]string, bool, error) {
	return query(an, name, an.r.LookupTXT)
}

func (an *analyzer) lookupMXHosts(name string) ([]string, bool, error) {
	return query(an, name, an.r.LookupMX)
}

func (an *analyzer) lookupIP(name string) ([]netip.Addr, bool, error) {
	return query(an, name, an.r.LookupIP)
}

// finish adds up the tree and puts the findings about the whole evaluation
// in front of the others.
func (an *analyzer) finish() {
	a := an.a
	var walk func(n *Node)
	walk = func(n *Node) {
		a.Lookups += n.Lookups
		if n.Void {
			a.VoidLookups++
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(a.Tree)

	var head []Problem
	root := a.Tree
	if a.Lookups > maxLookupTerms {
		// RFC 7208 section 4.6.4: more than 10 DNS-querying terms in one
		// evaluation is a permerror.
		head = append(head, Problem{Severity: Error, Code: codeTooManyLookups, RFC: "RFC 7208 section 4.6.4",
			Message: fmt.Sprintf("the evaluation needs %d DNS-querying terms (include, a, mx, ptr, exists, redirect) and the limit is %d, so receivers return permerror; most come from %s; flatten includes or replace a and mx with ip4/ip6",
				a.Lookups, maxLookupTerms, contributors(root))})
	}
	if a.VoidLookups > maxVoidLookups {
		// RFC 7208 section 4.6.4: more than two void lookups is a
		// permerror.
		head = append(head, Problem{Severity: Error, Code: codeTooManyVoidLookups, RFC: "RFC 7208 section 4.6.4",
			Message: fmt.Sprintf("%d DNS-querying terms get an empty answer or NXDOMAIN (%s) and the limit is %d, so receivers return permerror; remove the terms for names that do not exist",
				a.VoidLookups, strings.Join(voidTerms(root), ", "), maxVoidLookups)})
	} else if an.macroExists > 0 && a.VoidLookups+an.macroExists > maxVoidLookups {
		// RFC 7208 section 4.6.4 (and erratum 6595): an exists term built
		// from macros gets NXDOMAIN for every client it does not list,
		// which is a void lookup.
		head = append(head, Problem{Severity: Warning, Code: codeMacroVoidLookups, RFC: "RFC 7208 section 4.6.4",
			Message: fmt.Sprintf("%d exists terms with macros get NXDOMAIN for clients they do not list; with the %d void lookups found, such a client exceeds the limit of %d and receivers return permerror",
				an.macroExists, a.VoidLookups, maxVoidLookups)})
	}
	a.Problems = append(head, an.problems...)
}

// contributors names the terms of the root record that cost the most
// lookups, with their subtree counts, most first and at most five.
func contributors(root *Node) string {
	type contrib struct {
		term string
		n    int
	}
	var cs []contrib
	for _, c := range root.Children {
		if n := c.Total(); n > 0 {
			cs = append(cs, contrib{c.Term, n})
		}
	}
	// A stable sort keeps record order among equal counts.
	slices.SortStableFunc(cs, func(a, b contrib) int { return cmp.Compare(b.n, a.n) })
	var parts []string
	for i, c := range cs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", c.term, c.n))
	}
	return strings.Join(parts, ", ")
}

// voidTerms lists the void terms of the tree in order, each with the domain
// whose record holds it.
func voidTerms(n *Node) []string {
	var out []string
	for _, c := range n.Children {
		if c.Void {
			out = append(out, fmt.Sprintf("%s in %s", c.Term, c.Domain))
		}
		out = append(out, voidTerms(c)...)
	}
	return out
}

// normalizeName returns a DNS name in the form Analyze compares and looks up:
// lowercase (DNS names are case-insensitive, RFC 4343) without a final dot.
func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}
