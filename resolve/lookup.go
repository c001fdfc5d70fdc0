package resolve

import (
	"context"
	"net/netip"

	"github.com/miekg/dns"
)

// Resolver answers DNS questions. Implementations are safe for concurrent
// use and honour ctx: when it ends, Lookup returns promptly with an error
// wrapping ctx.Err().
//
// NXDOMAIN and NODATA are answers, not errors: Lookup returns them with
// Void true. Errors wrap ErrTemporary or ErrPermanent.
type Resolver interface {
	Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// LookupTXT returns the TXT records at name, each record's strings joined
// (RFC 7208 section 3.3), and whether the lookup was void (RFC 7208 section
// 4.6.4).
func LookupTXT(ctx context.Context, r Resolver, name string) (txt []string, void bool, err error) {
	a, err := r.Lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, false, err
	}
	return a.TXT(), a.Void(), nil
}

// LookupMX returns the MX hosts at name in preference order, and whether the
// lookup was void. A null MX (RFC 7505) comes back as the single host ".".
func LookupMX(ctx context.Context, r Resolver, name string) (hosts []string, void bool, err error) {
	a, err := r.Lookup(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, false, err
	}
	for _, mx := range a.MX() {
		hosts = append(hosts, mx.Host)
	}
	return hosts, a.Void(), nil
}

// LookupIP returns the IPv4 then the IPv6 addresses of name. It is void only
// when both lookups are: a name with addresses of one family is not a void
// lookup for an analyzer that cannot know the sender's family (RFC 7208
// section 5.3 asks for the type matching the connection).
func LookupIP(ctx context.Context, r Resolver, name string) (addrs []netip.Addr, void bool, err error) {
	a4, err := r.Lookup(ctx, name, dns.TypeA)
	if err != nil {
		return nil, false, err
	}
	a6, err := r.Lookup(ctx, name, dns.TypeAAAA)
	if err != nil {
		return nil, false, err
	}
	addrs = append(a4.Addrs(), a6.Addrs()...)
	return addrs, a4.Void() && a6.Void(), nil
}
