package route53

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
	"github.com/mailconf/mailconf/providers/route53/internal/escape"
)

// zonePage is the maxitems of the hosted zone listings; 100 is the most
// Route 53 returns per call.
const zonePage = 100

// ListZones lists the zones this provider can manage: the public hosted
// zones of the account, each name once, or only the zone of
// hosted_zone_id when the provider block sets it. Private zones serve
// names inside a VPC only, so publishing mail records there would change
// nothing the Internet sees; they are left out unless hosted_zone_id names
// one.
func (p *Provider) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	api, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	if p.opts.HostedZoneID != "" {
		name, err := p.pinnedZone(ctx, api)
		if err != nil {
			return nil, &redacted{err: fmt.Errorf("route53: %w", err), secrets: p.secrets()}
		}
		return []libdns.Zone{{Name: name}}, nil
	}
	var zones []libdns.Zone
	public := map[string][]string{}
	in := &r53.ListHostedZonesInput{MaxItems: aws.Int32(zonePage)}
	for {
		out, err := api.ListHostedZones(ctx, in)
		if err != nil {
			return nil, &redacted{err: fmt.Errorf("route53: listing hosted zones: %w", apiError("ListHostedZones", err)), secrets: p.secrets()}
		}
		for _, z := range out.HostedZones {
			if z.Config != nil && z.Config.PrivateZone {
				continue
			}
			name := escape.FromAPIName(aws.ToString(z.Name))
			if _, seen := public[name]; !seen {
				zones = append(zones, libdns.Zone{Name: name})
			}
			public[name] = append(public[name], hostedZoneID(aws.ToString(z.Id)))
		}
		if !out.IsTruncated || aws.ToString(out.NextMarker) == "" {
			break
		}
		in.Marker = out.NextMarker
	}
	// The listing already says which hosted zone holds each name that has
	// exactly one public zone, so reading those zones next costs no
	// ListHostedZonesByName call each: a fleet of a thousand zones would
	// otherwise spend a thousand requests of a five-per-second budget.
	p.zonesMu.Lock()
	for name, ids := range public {
		if len(ids) == 1 {
			p.zoneIDs[name] = ids[0]
		}
	}
	p.zonesMu.Unlock()
	return zones, nil
}

// zoneID returns the hosted zone ID of zone (lower case, fully qualified).
//
// With hosted_zone_id set, that zone is used and must carry the name asked
// for. Otherwise the zone is found with ListHostedZonesByName: the public
// hosted zone of that name if there is exactly one; several public zones of
// one name (Route 53 allows it, only one being delegated) are ambiguous,
// and a name held only by private zones is not found, both with an error
// that says to set hosted_zone_id.
func (p *Provider) zoneID(ctx context.Context, api *r53.Client, zone string) (string, error) {
	if p.opts.HostedZoneID != "" {
		name, err := p.pinnedZone(ctx, api)
		if err != nil {
			return "", err
		}
		if name != zone {
			return "", fmt.Errorf("%w: hosted_zone_id %s is the zone %s, not %s; use one provider block per hosted zone, or drop hosted_zone_id", ErrZoneMismatch, p.opts.HostedZoneID, name, zone)
		}
		return p.opts.HostedZoneID, nil
	}
	p.zonesMu.Lock()
	id, ok := p.zoneIDs[zone]
	p.zonesMu.Unlock()
	if ok {
		return id, nil
	}

	var public, private []string
	in := &r53.ListHostedZonesByNameInput{DNSName: aws.String(escape.ToAPIName(zone)), MaxItems: aws.Int32(zonePage)}
	for done := false; !done; {
		out, err := api.ListHostedZonesByName(ctx, in)
		if err != nil {
			return "", fmt.Errorf("finding the hosted zone: %w", apiError("ListHostedZonesByName", err))
		}
		// Zones come sorted by name from DNSName on, so the first zone of
		// another name ends the search.
		for _, z := range out.HostedZones {
			if escape.FromAPIName(aws.ToString(z.Name)) != zone {
				done = true
				break
			}
			if z.Config != nil && z.Config.PrivateZone {
				private = append(private, hostedZoneID(aws.ToString(z.Id)))
			} else {
				public = append(public, hostedZoneID(aws.ToString(z.Id)))
			}
		}
		if !out.IsTruncated || aws.ToString(out.NextDNSName) == "" {
			break
		}
		in.DNSName, in.HostedZoneId = out.NextDNSName, out.NextHostedZoneId
	}
	switch {
	case len(public) == 1:
		p.zonesMu.Lock()
		p.zoneIDs[zone] = public[0]
		p.zonesMu.Unlock()
		return public[0], nil
	case len(public) > 1:
		sort.Strings(public)
		return "", fmt.Errorf("%w: %s (%s); set hosted_zone_id to the one the domain is delegated to", ErrAmbiguousZone, zone, strings.Join(public, ", "))
	case len(private) > 0:
		sort.Strings(private)
		return "", fmt.Errorf("%w: %s exists only as a private hosted zone (%s), which the Internet does not see; set hosted_zone_id to manage it anyway", providers.ErrNoZone, zone, strings.Join(private, ", "))
	}
	return "", fmt.Errorf("%w: no hosted zone named %s in this AWS account; create it, or check the credentials' account", providers.ErrNoZone, zone)
}

// pinnedZone returns the name of the hosted zone hosted_zone_id names,
// asking Route 53 once.
func (p *Provider) pinnedZone(ctx context.Context, api *r53.Client) (string, error) {
	p.zonesMu.Lock()
	name := p.pinned
	p.zonesMu.Unlock()
	if name != "" {
		return name, nil
	}
	out, err := api.GetHostedZone(ctx, &r53.GetHostedZoneInput{Id: aws.String(p.opts.HostedZoneID)})
	if err != nil {
		return "", fmt.Errorf("hosted_zone_id %s: %w", p.opts.HostedZoneID, apiError("GetHostedZone", err))
	}
	if out.HostedZone == nil {
		return "", fmt.Errorf("hosted_zone_id %s: %w", p.opts.HostedZoneID, &opError{kind: ErrRequest, op: "GetHostedZone", detail: "no hosted zone in the response"})
	}
	name, err = rrset.NormalizeZone(escape.FromAPIName(aws.ToString(out.HostedZone.Name)))
	if err != nil {
		return "", fmt.Errorf("hosted_zone_id %s: %w", p.opts.HostedZoneID, err)
	}
	p.zonesMu.Lock()
	p.pinned = name
	p.zonesMu.Unlock()
	return name, nil
}

// hostedZoneID strips the "/hostedzone/" prefix Route 53 puts on zone IDs
// in its responses, so IDs compare and print alike whatever their source.
func hostedZoneID(id string) string {
	return strings.TrimPrefix(id, "/hostedzone/")
}
