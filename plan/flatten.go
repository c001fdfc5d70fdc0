package plan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/resolve"
)

// NeedsDNS reports whether compiling the records completely needs the DNS:
// some domain asks for its SPF record to be flattened.
func (d *Desired) NeedsDNS() bool {
	for _, dr := range d.Domains {
		if dr.SPFFlatten == "auto" || dr.SPFFlatten == "always" {
			return true
		}
	}
	return false
}

// FlattenSPF rewrites the SPF record of every domain whose spf.flatten is
// "always", or "auto" with more than 10 DNS lookups: includes become the
// addresses they resolve to now, and what does not fit in one record is
// chained through _spf1.<domain>, _spf2.<domain>, ... (see spf.Flatten).
// Nothing is cached between runs: every plan resolves again, so a
// provider's new range shows up as an ordinary change. now is recorded as
// the expansion time, for plans to show; it is never published.
func FlattenSPF(ctx context.Context, desired *Desired, r resolve.Resolver, now time.Time) error {
	dns := SPFResolver(desired, r)
	var errs []error
	for _, d := range desired.Domains {
		if d.SPFFlatten != "auto" && d.SPFFlatten != "always" {
			continue
		}
		if err := flattenDomain(ctx, d, dns, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Domain, err))
		}
	}
	return errors.Join(errs...)
}

func flattenDomain(ctx context.Context, d *DomainRecords, dns spf.Resolver, now time.Time) error {
	rs := d.Set(d.Domain, TypeTXT)
	if rs == nil || len(rs.Values) != 1 {
		return nil
	}
	rec, err := spf.Parse(rs.Values[0])
	if err != nil {
		return err
	}
	if d.SPFFlatten == "auto" {
		a := spf.Analyze(ctx, dns, d.Domain, rec)
		if a.Lookups <= MaxSPFLookups {
			return nil
		}
	}
	f, err := spf.Flatten(ctx, dns, d.Domain, rec, spf.FlattenOptions{MaxLength: MaxSPFLength})
	if err != nil {
		return fmt.Errorf("flattening SPF: %w", err)
	}
	if f.Lookups > MaxSPFLookups {
		return fmt.Errorf("the flattened SPF record still needs %d DNS lookups, more than %d (RFC 7208 section 4.6.4): terms such as a, mx and exists cannot be flattened; remove some", f.Lookups, MaxSPFLookups)
	}
	when := now.UTC().Format(time.RFC3339)
	rs.Values = []string{f.Records[0].Text}
	rs.Source = "spf, flattened " + when
	for _, fr := range f.Records[1:] {
		d.Sets = append(d.Sets, &RecordSet{
			Name: strings.ToLower(fr.Name), Type: TypeTXT, TTL: rs.TTL, Prefix: "v=spf1",
			Values: []string{fr.Text}, Source: "spf, flattened " + when,
		})
	}
	d.SPFFlattenedAt = now
	d.sort()
	return nil
}

// SPFResolver answers SPF lookups for checks and flattening: a name whose
// SPF record the configuration manages is answered with the compiled
// record (what will be published, not what is), anything else from r.
func SPFResolver(desired *Desired, r resolve.Resolver) spf.Resolver {
	return &overlay{desired: desired, r: r}
}

type overlay struct {
	desired *Desired
	r       resolve.Resolver
}

func (o *overlay) LookupTXT(ctx context.Context, name string) ([]string, bool, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	// The domain that would publish name: name itself or its nearest
	// configured parent.
	for n := name; n != ""; {
		if d := o.desired.Domain(n); d != nil {
			if rs := d.Set(name, TypeTXT); rs != nil && rs.Prefix == "v=spf1" {
				return rs.Values, len(rs.Values) == 0, nil
			}
			break
		}
		_, parent, _ := strings.Cut(n, ".")
		n = parent
	}
	return resolve.LookupTXT(ctx, o.r, name)
}

func (o *overlay) LookupMX(ctx context.Context, name string) ([]string, bool, error) {
	return resolve.LookupMX(ctx, o.r, name)
}

func (o *overlay) LookupIP(ctx context.Context, name string) ([]netip.Addr, bool, error) {
	return resolve.LookupIP(ctx, o.r, name)
}
