package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/mailconf/mailconf/providers"
)

// ReadOptions tune ReadLive.
type ReadOptions struct {
	// Concurrency bounds the zones read at once per provider; 0 means the
	// provider's own (its `concurrency` attribute, default 4).
	Concurrency int
}

// FindZones finds each domain's zone at its provider: the domain's zone
// attribute, or the longest zone the provider lists that holds it. The
// result maps domain names to zone names with the trailing dot.
func FindZones(ctx context.Context, desired *Desired, clients map[string]providers.Client) (map[string]string, error) {
	zones := map[string]string{}
	var errs []error
	// Zones are listed once per provider, not once per domain: a fleet of
	// a thousand domains on one provider would otherwise list a thousand
	// zones a thousand times.
	listed := map[string]*providers.Zones{}
	for _, d := range desired.Domains {
		if d.Provider == "" {
			errs = append(errs, fmt.Errorf("domain %s: no provider; declare a provider block and set provider on the domain", d.Domain))
			continue
		}
		c, ok := clients[d.Provider]
		if !ok {
			errs = append(errs, fmt.Errorf("domain %s: provider %s is not configured", d.Domain, d.Provider))
			continue
		}
		var zone string
		var err error
		if d.Zone != "" {
			zone, err = providers.ZoneFor(ctx, c, d.Domain, d.Zone)
		} else {
			list, ok := listed[d.Provider]
			if !ok {
				list, err = providers.ListZones(ctx, c)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", d.Provider, err))
					return zones, errors.Join(errs...)
				}
				listed[d.Provider] = list
			}
			zone, err = list.Find(d.Domain)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Provider, err))
			continue
		}
		zones[d.Domain] = zone
	}
	return zones, errors.Join(errs...)
}

// ReadLive finds each domain's zone at its provider and reads every zone
// once, several zones of a provider at a time. Errors name the provider
// and the zone or domain. A zone holding a record no DNS server could send
// is an error (ErrUnservable, see CheckServable).
func ReadLive(ctx context.Context, desired *Desired, clients map[string]providers.Client, opts ReadOptions) (Live, error) {
	live := Live{Records: map[string][]Record{}}
	zones, err := FindZones(ctx, desired, clients)
	live.Zones = zones
	if err != nil {
		return live, err
	}
	type zoneKey struct{ provider, zone string }
	var keys []zoneKey
	seen := map[zoneKey]bool{}
	var errs []error
	for _, d := range desired.Domains {
		k := zoneKey{d.Provider, zones[d.Domain]}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].zone < keys[j].zone })

	var mu sync.Mutex
	var wg sync.WaitGroup
	sems := map[string]chan struct{}{}
	for _, k := range keys {
		c := clients[k.provider]
		sem := sems[k.provider]
		if sem == nil {
			n := opts.Concurrency
			if n <= 0 {
				n = providers.ConcurrencyOf(c)
			}
			sem = make(chan struct{}, n)
			sems[k.provider] = sem
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			recs, err := c.GetRecords(ctx, k.zone)
			if err == nil {
				// Whatever the provider, a record no server could send
				// stops the plan here: planning around it would hide it,
				// and a provider that rewrites whole zones would write it
				// back.
				err = CheckServable(k.zone, recs)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: reading zone %s: %w", k.provider, k.zone, err))
				return
			}
			live.Records[k.zone] = FromLibdns(k.zone, recs)
		})
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return live, errors.Join(errs...)
}

// CheckFresh compares the zones a plan was made from with their live state
// now, and returns ErrStale naming the zones that changed.
func CheckFresh(p *Plan, live Live) error {
	var stale []string
	for _, z := range p.Zones {
		if LiveHash(live.Records[z.Zone]) != z.Hash {
			stale = append(stale, z.Zone)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("%w: %s", ErrStale, strings.Join(stale, ", "))
	}
	return nil
}
