package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
)

// ErrDangerous is returned by Apply when the plan holds dangerous changes
// and Force is not set.
var ErrDangerous = errors.New("plan: dangerous changes need --force")

// ErrStale is returned when a zone changed since the plan was made.
var ErrStale = errors.New("plan: stale plan: a zone changed since the plan was made")

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Force allows the changes marked dangerous.
	Force bool
	// Concurrency bounds the zones written at once per provider; 0 means
	// the provider's own (its `concurrency` attribute, default 4).
	Concurrency int
	// Progress, when set, is called after each change is attempted (from
	// several goroutines; it must be safe for concurrent use).
	Progress func(zone string, c *Change, err error)
}

// ZoneReport says what Apply did in one zone.
type ZoneReport struct {
	Zone     string
	Provider string
	// Applied are the changes made, in the order they were made.
	Applied []*Change
	// Failed is the change that failed, with Err; nil when all went well.
	Failed *Change
	Err    error
	// NotApplied are the changes not attempted after the failure.
	NotApplied []*Change
}

// Report is the outcome of Apply, one entry per zone with changes.
type Report struct {
	Zones []*ZoneReport
}

// Err is the first failure of the report, or nil.
func (r *Report) Err() error {
	var errs []error
	for _, z := range r.Zones {
		if z.Err != nil {
			errs = append(errs, fmt.Errorf("zone %s (%s): %w", z.Zone, z.Provider, z.Err))
		}
	}
	return errors.Join(errs...)
}

// Applied counts the changes made.
func (r *Report) Applied() int {
	n := 0
	for _, z := range r.Zones {
		n += len(z.Applied)
	}
	return n
}

// Apply makes the plan's changes through the providers. Within a zone it
// creates and updates before it deletes, so a record is never missing
// while its replacement is written; each record set is written with one
// SetRecords call, which replaces the set atomically where the provider
// can. On the first failure in a zone it stops that zone, and the report
// says what was applied and what was not; other zones go on. Running plan
// again then shows exactly the remainder.
func Apply(ctx context.Context, p *Plan, clients map[string]providers.Client, opts ApplyOptions) (*Report, error) {
	if d := p.Dangerous(); len(d) > 0 && !opts.Force {
		return nil, fmt.Errorf("%w: %d change(s): %s", ErrDangerous, len(d), d[0])
	}
	type zoneWork struct {
		zone, provider string
		changes        []*Change
	}
	work := map[string]*zoneWork{}
	var zones []string
	for _, d := range p.Domains {
		if d.Blocked() || len(d.Changes) == 0 {
			continue
		}
		if _, ok := clients[d.Provider]; !ok {
			return nil, fmt.Errorf("plan: domain %s: no provider %q", d.Domain, d.Provider)
		}
		w := work[d.Zone]
		if w == nil {
			w = &zoneWork{zone: d.Zone, provider: d.Provider}
			work[d.Zone] = w
			zones = append(zones, d.Zone)
		}
		w.changes = append(w.changes, d.Changes...)
	}
	sort.Strings(zones)

	report := &Report{}
	sems := map[string]chan struct{}{}
	var wg sync.WaitGroup
	for _, z := range zones {
		w := work[z]
		zr := &ZoneReport{Zone: w.zone, Provider: w.provider}
		report.Zones = append(report.Zones, zr)
		client := clients[w.provider]
		sem := sems[w.provider]
		if sem == nil {
			n := opts.Concurrency
			if n <= 0 {
				n = providers.ConcurrencyOf(client)
			}
			sem = make(chan struct{}, n)
			sems[w.provider] = sem
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			applyZone(ctx, client, zr, ordered(w.changes), opts)
		})
	}
	wg.Wait()
	return report, report.Err()
}

// ordered puts creates and updates before deletes (DESIGN.md section 5).
func ordered(changes []*Change) []*Change {
	out := make([]*Change, 0, len(changes))
	for _, c := range changes {
		if c.Action != Delete {
			out = append(out, c)
		}
	}
	for _, c := range changes {
		if c.Action == Delete {
			out = append(out, c)
		}
	}
	return out
}

func applyZone(ctx context.Context, client providers.Client, zr *ZoneReport, changes []*Change, opts ApplyOptions) {
	for i, c := range changes {
		err := ctx.Err()
		if err == nil {
			err = applyChange(ctx, client, zr.Zone, c)
		}
		if opts.Progress != nil {
			opts.Progress(zr.Zone, c, err)
		}
		if err != nil {
			zr.Failed, zr.Err = c, fmt.Errorf("%s %s %s: %w", c.Action.Word(), c.Name, c.Type, err)
			zr.NotApplied = changes[i+1:]
			return
		}
		zr.Applied = append(zr.Applied, c)
	}
}

func applyChange(ctx context.Context, client providers.Client, zone string, c *Change) error {
	switch c.Action {
	case Create, Update:
		// The whole set at (name, type): mailconf's new values and the
		// values that are not its own, unchanged.
		recs := make([]libdns.Record, 0, len(c.Keep)+len(c.New))
		for _, v := range c.Keep {
			recs = append(recs, ToLibdns(zone, c.Name, c.Type, v))
		}
		for _, v := range c.New {
			recs = append(recs, ToLibdns(zone, c.Name, c.Type, v))
		}
		_, err := client.SetRecords(ctx, zone, recs)
		return err
	case Delete:
		if len(c.Keep) > 0 {
			recs := make([]libdns.Record, 0, len(c.Keep))
			for _, v := range c.Keep {
				recs = append(recs, ToLibdns(zone, c.Name, c.Type, v))
			}
			_, err := client.SetRecords(ctx, zone, recs)
			return err
		}
		recs := make([]libdns.Record, 0, len(c.Old))
		for _, v := range c.Old {
			recs = append(recs, ToLibdns(zone, c.Name, c.Type, v))
		}
		_, err := client.DeleteRecords(ctx, zone, recs)
		return err
	}
	return fmt.Errorf("plan: unknown action %q", c.Action)
}
