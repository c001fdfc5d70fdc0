package receiver

import (
	"context"
	"net/netip"

	"github.com/mailconf/mailconf/resolve"
)

// CheckSPF runs SPF's check_host (RFC 7208 section 4) for a sender at an
// address, as Evaluate does for a message: what a receiver would conclude
// about mail from ip with this HELO and MAIL FROM.
func CheckSPF(ctx context.Context, r resolve.Resolver, ip netip.Addr, helo, mailFrom string) SPFResult {
	return checkSPF(ctx, r, Input{IP: ip, Helo: helo, MailFrom: mailFrom})
}

// PolicyRecord is a DMARC record found by the tree walk.
type PolicyRecord struct {
	// Domain is where the record was found: the domain itself or the
	// organizational domain above it.
	Domain string
	// Record is the record's text.
	Record string
	// OrgDomain is the organizational domain the walk settles on.
	OrgDomain string
}

// DiscoverDMARC finds the DMARC policy that applies to domain by the DNS
// tree walk of RFC 9989 section 4.10, as a receiver does; nil with a nil
// error means no policy applies.
func DiscoverDMARC(ctx context.Context, r resolve.Resolver, domain string) (*PolicyRecord, error) {
	w := &walker{r: r, cache: map[string]walkResult{}}
	d := canonicalDomain(domain)
	res := w.walk(ctx, d)
	if res.err != nil {
		return nil, res.err
	}
	if len(res.records) == 0 {
		return nil, nil
	}
	first := res.records[0]
	return &PolicyRecord{Domain: first.Domain, Record: first.Raw, OrgDomain: orgDomain(d, res)}, nil
}
