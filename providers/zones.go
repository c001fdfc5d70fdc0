package providers

import (
	"context"
	"fmt"
	"strings"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// Zones is the list of a provider's zones, indexed so that finding the zone
// of a domain costs a lookup per label of the domain, not a pass over every
// zone: an agency's provider holds thousands of zones and a plan looks up
// thousands of domains.
type Zones struct {
	set   map[string]bool
	names []string
}

// ListZones lists the zones of c once. It fails when c cannot list zones.
func ListZones(ctx context.Context, c Client) (*Zones, error) {
	lister, ok := c.(libdns.ZoneLister)
	if !ok {
		return nil, fmt.Errorf("%w: the provider cannot list its zones; set `zone` on the domain", ErrNoZone)
	}
	zones, err := lister.ListZones(ctx)
	if err != nil {
		return nil, fmt.Errorf("providers: listing zones: %w", err)
	}
	z := &Zones{set: make(map[string]bool, len(zones))}
	for _, zone := range zones {
		name, err := rrset.NormalizeZone(zone.Name)
		if err != nil {
			continue
		}
		if !z.set[name] {
			z.set[name] = true
			z.names = append(z.names, name)
		}
	}
	return z, nil
}

// Find returns the longest listed zone that equals domain or is a parent
// of it, lower case with a trailing dot, so a delegated sub-zone wins over
// its parent.
func (z *Zones) Find(domain string) (string, error) {
	fqdn, err := rrset.NormalizeZone(domain)
	if err != nil {
		return "", fmt.Errorf("%w: domain %q is not a valid name", ErrNoZone, domain)
	}
	for name := fqdn; name != ""; {
		if z.set[name] {
			return name, nil
		}
		_, parent, ok := strings.Cut(name, ".")
		if !ok || parent == "" {
			break
		}
		name = parent
	}
	return "", fmt.Errorf("%w: %s: no zone of the provider contains it (zones: %s); create the zone or set `zone` on the domain", ErrNoZone, fqdn, listZones(append([]string(nil), z.names...)))
}
