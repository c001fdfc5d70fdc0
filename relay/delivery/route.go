package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/resolve"
)

// Route returns the hosts that take mail for domain, most preferred first,
// as RFC 5321 section 5.1 orders them: by MX preference, hosts of equal
// preference shuffled with rnd (a nil rnd keeps them sorted by name, for
// callers that want a stable order). A domain without MX records but with
// an address is its own mail exchanger (the implicit MX).
//
// The error wraps ErrNullMX when the domain publishes a null MX (RFC 7505),
// ErrNoRoute when it has neither MX records nor addresses or does not exist,
// and ErrTemporary when DNS could not answer.
//
// Only answers fail permanently: a DNS failure of any kind, even one the
// resolver calls permanent (a malformed response, FORMERR), wraps
// ErrTemporary, because a broken name server is usually repaired within
// the queue lifetime and a bounce cannot be taken back.
func Route(ctx context.Context, r resolve.Resolver, domain string, rnd *rand.Rand) (hosts []string, err error) {
	a, err := r.Lookup(ctx, domain, dns.TypeMX)
	if err != nil {
		return nil, fmt.Errorf("%w: MX lookup for %s: %w", ErrTemporary, domain, err)
	}
	if a.Rcode == dns.RcodeNameError {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNoRoute, domain)
	}
	mxs := a.MX()
	if len(mxs) == 0 {
		// RFC 5321 section 5.1: without MX records, the domain itself is
		// the mail exchanger if it has an address (the implicit MX).
		ok, err := hasAddress(ctx, r, domain)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoRoute, domain)
		}
		return []string{domain}, nil
	}
	for _, mx := range mxs {
		// RFC 7505 section 3: a null MX is a single record with the root
		// as its target. A domain must not publish it next to other MX
		// records; if one does, the real hosts still work, so they are
		// used and the "." is skipped.
		if mx.Host != "." {
			hosts = append(hosts, mx.Host)
		}
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNullMX, domain)
	}
	if rnd != nil {
		// RFC 5321 section 5.1: hosts of equal preference must be tried in
		// random order, to spread the load across them.
		hosts = hosts[:0]
		for i := 0; i < len(mxs); {
			j := i
			for j < len(mxs) && mxs[j].Preference == mxs[i].Preference {
				j++
			}
			group := make([]string, 0, j-i)
			for _, mx := range mxs[i:j] {
				if mx.Host != "." {
					group = append(group, mx.Host)
				}
			}
			rnd.Shuffle(len(group), func(x, y int) { group[x], group[y] = group[y], group[x] })
			hosts = append(hosts, group...)
			i = j
		}
	}
	return hosts, nil
}

// hasAddress reports whether name has an A or AAAA record.
func hasAddress(ctx context.Context, r resolve.Resolver, name string) (bool, error) {
	addrs, err := lookupAddrs(ctx, r, name)
	if len(addrs) > 0 {
		return true, nil
	}
	return false, err
}

// lookupAddrs returns the IPv4 then the IPv6 addresses of name. One family
// failing does not hide the other's addresses; the error is returned only
// when no address was found, and wraps ErrTemporary.
func lookupAddrs(ctx context.Context, r resolve.Resolver, name string) ([]string, error) {
	var addrs []string
	var errs []error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		a, err := r.Lookup(ctx, name, qtype)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ip := range a.Addrs() {
			addrs = append(addrs, ip.String())
		}
	}
	if len(addrs) == 0 && len(errs) > 0 {
		return nil, fmt.Errorf("%w: address lookup for %s: %w", ErrTemporary, name, errors.Join(errs...))
	}
	return addrs, nil
}
