package spf

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// FlattenOptions tune [Flatten].
type FlattenOptions struct {
	// MaxLength is the longest record text to produce, in octets; 0 means
	// 450, the size RFC 7208 section 3.4 advises so that the DNS answer fits
	// a 512-octet UDP response. Records over 255 octets are published as
	// several character-strings (see [Split]).
	MaxLength int
}

// FlatRecord is one TXT record that a flattened SPF policy publishes.
type FlatRecord struct {
	// Name is the owner name: the domain itself, or _spfN.<domain> for the
	// records chained after it.
	Name string
	// Text is the whole SPF record.
	Text string
}

// Flattened is a flattened SPF policy: the domain's own record and the
// records chained from it.
type Flattened struct {
	// Records holds the domain's own record first, then _spf1.<domain>,
	// _spf2.<domain> and so on, in chain order.
	Records []FlatRecord
	// Lookups is the number of DNS-querying terms a receiver needs to
	// evaluate the flattened policy to the end (RFC 7208 section 4.6.4),
	// including one per chained record.
	Lookups int
}

// NeedsFlattening reports whether the analyzed evaluation breaks the limit of
// 10 DNS-querying terms (RFC 7208 section 4.6.4), which is when mailconf's
// automatic mode flattens.
func NeedsFlattening(a *Analysis) bool { return a.Lookups > maxLookupTerms }

// Flatten analyzes the SPF record rec of domain through r (see [Analyze];
// rec may be nil to fetch it) and replaces what it can with the addresses the
// lookups found, so that receivers need fewer DNS-querying terms. It is
// [Analysis.Flatten] after Analyze.
func Flatten(ctx context.Context, r Resolver, domain string, rec *Record, opts FlattenOptions) (*Flattened, error) {
	return Analyze(ctx, r, domain, rec).Flatten(opts)
}

// Flatten rewrites the analyzed record with includes replaced by the ip4 and
// ip6 terms they resolve to, recursively: an include's a and mx terms become
// their addresses too. An include stays as it is when its record holds a term
// that cannot be resolved ahead of time (exists, ptr, a macro), a qualifier
// other than "+", "+all", or when a lookup under it failed.
//
// The ip4 and ip6 terms of the record and of the flattened includes are
// merged into one sorted list (IPv4 first, numerically; duplicates and
// networks inside others dropped, sibling networks joined into their
// supernet) placed where the first of them stood. The other terms stay in
// order, and so do the domain's own a and mx terms, which name hosts the
// domain manages itself. Since the first matching term decides, a term with a
// qualifier other than "+", or a term that ends the evaluation in an error,
// after that place ends the flattening: the terms after it stay as they are. When the list does not fit the record, the rest goes
// to _spf1.<domain>, chained with include from the domain's record, then
// _spf2.<domain> and so on.
//
// The result is deterministic for the same DNS answers. It fails with
// ErrTooManyLookups when the terms that stay, plus the chain, still need more
// than 10 lookups, and with ErrTooLong when the terms that stay do not fit
// one record.
func (a *Analysis) Flatten(opts FlattenOptions) (*Flattened, error) {
	maxLen := opts.MaxLength
	if maxLen <= 0 {
		maxLen = maxRecordOctets
	}
	if a.Record == nil {
		return nil, fmt.Errorf("flatten %s: %w", a.Domain, a.Tree.Err)
	}

	var (
		kept   []*Node
		pool   []netip.Prefix
		poolAt = -1
		frozen bool
	)
	for _, c := range a.Tree.Children {
		m, isMech := c.term.(*Mechanism)
		if isMech && !c.afterAll && !frozen && isPass(m.Qualifier) {
			var ps []netip.Prefix
			ok := false
			switch m.Kind {
			case IP4, IP6:
				ps, ok = []netip.Prefix{m.Net.Masked()}, true
			case Include:
				// RFC 7208 section 5.2: include matches exactly when the
				// included record's evaluation returns pass, and then yields
				// its own qualifier. So with "+" the included record's pass
				// addresses can stand in for it; with "-", "~" or "?" they
				// would need that other qualifier, and the included record's
				// fail and softfail results, which are "no match" through an
				// include, would be lost. Only "+" includes are flattened.
				ps, ok = passPrefixes(c)
			}
			if ok {
				if poolAt < 0 {
					poolAt = len(kept)
				}
				pool = append(pool, ps...)
				continue
			}
		}
		if poolAt >= 0 && !c.afterAll && (isMech && m.Kind != All && !isPass(m.Qualifier) || hasErr(c)) {
			// RFC 7208 section 4.6.2: the first matching mechanism decides.
			// Pass terms may trade places, but moving a pass address from
			// behind a "-", "~" or "?" term, or a term that ends the
			// evaluation in an error (section 4.6), to the address list in
			// front of it would change the result for a client both match.
			// So once the list has started, nothing after such a term
			// joins it.
			frozen = true
		}
		kept = append(kept, c)
	}

	lookups := 0
	var head, tail []string
	for i, c := range kept {
		lookups += c.Total()
		if poolAt < 0 || i < poolAt {
			head = append(head, c.Term)
		} else {
			tail = append(tail, c.Term)
		}
	}
	var addrs []string
	for _, p := range mergePrefixes(pool) {
		addrs = append(addrs, prefixTerm(p))
	}

	recs, err := pack(a.Domain, head, addrs, tail, maxLen)
	if err != nil {
		return nil, fmt.Errorf("flatten %s: %w", a.Domain, err)
	}
	// Each chained record costs its include.
	lookups += len(recs) - 1
	if lookups > maxLookupTerms {
		return nil, fmt.Errorf("flatten %s: %w: %d DNS-querying terms remain, %d of them for the %d chained records, and the limit is %d",
			a.Domain, ErrTooManyLookups, lookups, len(recs)-1, len(recs)-1, maxLookupTerms)
	}
	return &Flattened{Records: recs, Lookups: lookups}, nil
}

// passPrefixes returns the networks for which the record fetched by an
// include or redirect node returns pass, and false when that set cannot be
// known ahead of time or a "no match" inside would be lost.
func passPrefixes(n *Node) ([]netip.Prefix, bool) {
	if n.Err != nil || n.rec == nil {
		return nil, false
	}
	var out []netip.Prefix
	for _, c := range n.Children {
		if c.afterAll {
			break
		}
		switch t := c.term.(type) {
		case *Mechanism:
			if t.Kind == All {
				// RFC 7208 section 5.1: all ends the evaluation. "+all"
				// passes everyone, which no address list expresses.
				return out, !isPass(t.Qualifier)
			}
			if !isPass(t.Qualifier) {
				// A fail, softfail or neutral term stops the included
				// record for the clients it matches, without a pass.
				return nil, false
			}
			switch t.Kind {
			case IP4, IP6:
				out = append(out, t.Net.Masked())
			case A, MX:
				if c.Err != nil || c.Target == "" {
					return nil, false
				}
				for _, addr := range c.Addrs {
					out = append(out, addrPrefix(addr, t))
				}
			case Include:
				ps, ok := passPrefixes(c)
				if !ok {
					return nil, false
				}
				out = append(out, ps...)
			default:
				// ptr and exists depend on the client.
				return nil, false
			}
		case *Modifier:
			if t.Name != redirectName || c.Lookups == 0 {
				// exp, unknown modifiers and an ignored redirect do not
				// change the result.
				continue
			}
			// RFC 7208 section 6.1: when nothing matched, the result is the
			// redirect target's, so its pass addresses pass too.
			ps, ok := passPrefixes(c)
			if !ok {
				return nil, false
			}
			out = append(out, ps...)
		}
	}
	return out, true
}

// hasErr reports whether the evaluation of n, or of a term below it, ends
// in an error with the answers analyzed.
func hasErr(n *Node) bool {
	if n.Err != nil {
		return true
	}
	return slices.ContainsFunc(n.Children, hasErr)
}

// isPass reports whether a qualifier yields pass; a zero qualifier is read as
// Pass, as String prints it.
func isPass(q Qualifier) bool { return q == Pass || q == 0 }

// addrPrefix returns the network an a or mx term matches for one of its
// addresses, using the term's dual-cidr-length (RFC 7208 section 5.3 and
// 5.6).
func addrPrefix(addr netip.Addr, m *Mechanism) netip.Prefix {
	addr = addr.Unmap()
	bits := addr.BitLen()
	if addr.Is4() && m.Prefix4 >= 0 {
		bits = m.Prefix4
	} else if addr.Is6() && m.Prefix6 >= 0 {
		bits = m.Prefix6
	}
	return netip.PrefixFrom(addr, bits).Masked()
}

// prefixTerm writes a network as an ip4 or ip6 term, without the length for
// a single address (RFC 7208 section 5.6).
func prefixTerm(p netip.Prefix) string {
	kind := IP6
	if p.Addr().Is4() {
		kind = IP4
	}
	if p.IsSingleIP() {
		return fmt.Sprintf("%s:%s", kind, p.Addr())
	}
	return fmt.Sprintf("%s:%s", kind, p)
}

// comparePrefixes orders IPv4 before IPv6, then by address, then shorter
// prefixes (bigger networks) first.
func comparePrefixes(a, b netip.Prefix) int {
	if a.Addr().Is4() != b.Addr().Is4() {
		if a.Addr().Is4() {
			return -1
		}
		return 1
	}
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// mergePrefixes returns the smallest sorted list of networks that covers
// exactly the same addresses as ps: masked, deduplicated, without networks
// contained in others, and with sibling networks joined into their parent
// (two /25 into a /24) as long as possible.
func mergePrefixes(ps []netip.Prefix) []netip.Prefix {
	sorted := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if p.IsValid() {
			sorted = append(sorted, p.Masked())
		}
	}
	slices.SortFunc(sorted, comparePrefixes)
	var out []netip.Prefix
	for _, p := range sorted {
		// In this order a network comes before every network inside it, and
		// all the networks between them are inside it too, so the top of
		// the stack is the only candidate container.
		if n := len(out); n > 0 && out[n-1].Addr().Is4() == p.Addr().Is4() &&
			out[n-1].Bits() <= p.Bits() && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
		// The parent of two siblings covers exactly them, so it can only
		// merge further with the network before it.
		for n := len(out); n >= 2; n = len(out) {
			parent, ok := siblings(out[n-2], out[n-1])
			if !ok {
				break
			}
			out = append(out[:n-2], parent)
		}
	}
	return out
}

// siblings reports whether a and b are the two halves of one network, and
// returns that network.
func siblings(a, b netip.Prefix) (netip.Prefix, bool) {
	if a.Bits() != b.Bits() || a.Bits() == 0 || a.Addr().Is4() != b.Addr().Is4() || a == b {
		return netip.Prefix{}, false
	}
	pa, _ := a.Addr().Prefix(a.Bits() - 1)
	pb, _ := b.Addr().Prefix(b.Bits() - 1)
	return pa, pa == pb
}

// chainName is the owner name of the i-th chained record.
func chainName(i int, domain string) string { return fmt.Sprintf("_spf%d.%s", i, domain) }

// pack lays the record out: head terms, the address terms, tail terms. When
// that is longer than maxLen it keeps as many addresses as fit, followed by
// include:_spf1.<domain>, and chains the rest through _spf1, _spf2, ...
//
// A chained record has no "all" term: when none of its addresses match, its
// evaluation ends in neutral (RFC 7208 section 4.7), which makes the include
// that reached it not match (section 5.2), so evaluation continues in the
// record before it and ends at the domain's own "all". An "-all" in a chained
// record would instead decide for every term after the include.
func pack(domain string, head, addrs, tail []string, maxLen int) ([]FlatRecord, error) {
	fixed := len(version) + termsLen(head) + termsLen(tail)
	if fixed+termsLen(addrs) <= maxLen {
		return []FlatRecord{{Name: domain, Text: join(head, addrs, tail)}}, nil
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: the terms that cannot be flattened take %d octets and the limit is %d", ErrTooLong, fixed, maxLen)
	}
	var recs []FlatRecord
	name, room := domain, maxLen-fixed
	for i := 1; ; i++ {
		chain := "include:" + chainName(i, domain)
		used, n := 1+len(chain), 0
		if used > room {
			return nil, fmt.Errorf("%w: the terms that cannot be flattened leave no room for %q within %d octets", ErrTooLong, chain, maxLen)
		}
		for n < len(addrs) && used+1+len(addrs[n]) <= room {
			used += 1 + len(addrs[n])
			n++
		}
		if n == 0 && i > 1 {
			return nil, fmt.Errorf("%w: %q does not fit a chained record of %d octets", ErrTooLong, addrs[0], maxLen)
		}
		recs = append(recs, FlatRecord{Name: name, Text: join(head, addrs[:n], []string{chain}, tail)})
		addrs = addrs[n:]
		head, tail = nil, nil
		name, room = chainName(i, domain), maxLen-len(version)
		if termsLen(addrs) <= room {
			return append(recs, FlatRecord{Name: name, Text: join(addrs)}), nil
		}
	}
}

// termsLen is the length of terms written after "v=spf1", each with its
// separating space.
func termsLen(terms []string) int {
	n := 0
	for _, t := range terms {
		n += 1 + len(t)
	}
	return n
}

// join writes "v=spf1" and the terms of each group, separated by spaces.
func join(groups ...[]string) string {
	var b strings.Builder
	b.WriteString(version)
	for _, g := range groups {
		for _, t := range g {
			b.WriteByte(' ')
			b.WriteString(t)
		}
	}
	return b.String()
}
