// Package providers connects mailconf to the DNS hosts that serve a domain's
// records. A provider is any implementation of the libdns record interfaces
// (github.com/libdns/libdns); this package defines what mailconf needs from
// one (Client), how a `provider "TYPE" "NAME" { ... }` block becomes one
// (Registry), and how the zone holding a domain is found (ZoneFor).
//
// Record names follow libdns: relative to the zone, "@" for the apex; zone
// names are fully qualified with a trailing dot. Names compare
// case-insensitively (RFC 1034 section 3.1).
//
// This package and its sub-packages must never change a record the caller
// did not name, never create a zone implicitly, and never put a secret from
// a provider block into an error or diagnostic.
package providers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// Client is what mailconf needs from a DNS host: the libdns record
// interfaces. Implementations must be safe for concurrent use and honor
// context cancellation, as libdns requires. A Client may also implement
// libdns.ZoneLister, which ZoneFor uses to find a domain's zone.
type Client interface {
	libdns.RecordGetter
	libdns.RecordAppender
	libdns.RecordSetter
	libdns.RecordDeleter
}

// Config is one `provider "TYPE" "NAME" { ... }` block, its attributes not
// yet decoded: each provider type decodes its own.
type Config struct {
	// Type and Name are the block's two labels.
	Type, Name string
	// Body is the block body, decoded by the provider type's Factory.
	Body hcl.Body
	// EvalContext holds the variables and functions (env(), file(), var.*)
	// that attribute expressions may use.
	EvalContext *hcl.EvalContext
	// BaseDir is the configuration directory; relative paths in attributes
	// resolve against it.
	BaseDir string
	// DeclRange is the whole block's definition range; TypeRange is the
	// range of its TYPE label.
	DeclRange, TypeRange hcl.Range
}

// Factory builds a Client from a provider block. It decodes the block body
// itself, so that unknown and missing attributes get HCL's own "Unsupported
// argument" and "Missing required argument" diagnostics, and returns every
// problem as a diagnostic with a source range. It must not contact the
// network: configuration validation runs offline.
type Factory func(cfg Config) (Client, hcl.Diagnostics)

var (
	// ErrNoZone reports that no zone could be found for a domain.
	ErrNoZone = errors.New("providers: no zone for domain")
	// ErrOutsideZone reports a name that is not inside the zone it was
	// given with.
	ErrOutsideZone = rrset.ErrOutsideZone
	// ErrInvalidZone reports a zone name that is not a usable domain name.
	ErrInvalidZone = rrset.ErrInvalidZone
	// ErrInvalidRecord reports an input record a provider cannot store.
	ErrInvalidRecord = rrset.ErrInvalidRecord
	// ErrCNAMEConflict reports a write that would put a CNAME next to other
	// data at one name, which RFC 1034 section 3.6.2 forbids; providers
	// refuse it rather than leave a zone that servers reject.
	ErrCNAMEConflict = rrset.ErrCNAMEConflict
)

// ZoneFor returns the zone that holds domain at the provider c, as a
// lower-case name with a trailing dot.
//
// An explicit zone (the domain's `zone` attribute) wins; it must equal
// domain or be one of its parents. Otherwise, when c implements
// libdns.ZoneLister, the longest listed zone that equals domain or is a
// parent of it is chosen, so that a delegated sub-zone is preferred over its
// parent. Otherwise ZoneFor fails and the error says to set `zone`. The
// provider's name is not known here: callers wrap the error with it.
func ZoneFor(ctx context.Context, c Client, domain, explicitZone string) (string, error) {
	fqdn, err := rrset.NormalizeZone(domain)
	if err != nil {
		return "", fmt.Errorf("%w: domain %q is not a valid name", ErrNoZone, domain)
	}
	if explicitZone != "" {
		zone, err := rrset.NormalizeZone(explicitZone)
		if err != nil {
			return "", err
		}
		if !rrset.InZone(fqdn, zone) {
			return "", fmt.Errorf("%w: domain %s is not in zone %s; set `zone` to %s or one of its parents", ErrOutsideZone, fqdn, zone, fqdn)
		}
		return zone, nil
	}
	zones, err := ListZones(ctx, c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", fqdn, err)
	}
	return zones.Find(fqdn)
}

// listZones names a few zones for an error message; an agency's provider may
// hold thousands, and the message must stay readable.
func listZones(names []string) string {
	const shown = 10
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}

// ErrTemporary marks a provider failure that retrying may cure: a rate
// limit, a timeout, a server error. Adapters wrap such errors with it, so
// that mailconf can say whether running again can help (DESIGN.md
// section 7).
var ErrTemporary = errors.New("providers: temporary failure")

// IsTemporary reports whether err is a failure retrying may cure.
func IsTemporary(err error) bool { return errors.Is(err, ErrTemporary) }

// Concurrent is implemented by clients that say how many requests they may
// have in flight at once (their `concurrency` attribute). Callers bound
// their concurrency per provider by it; DefaultConcurrency otherwise.
type Concurrent interface {
	Concurrency() int
}

// DefaultConcurrency bounds the requests in flight per provider when the
// provider block does not say.
const DefaultConcurrency = 4

// ConcurrencyOf is c's concurrency, or DefaultConcurrency.
func ConcurrencyOf(c Client) int {
	if cc, ok := c.(Concurrent); ok && cc.Concurrency() > 0 {
		return cc.Concurrency()
	}
	return DefaultConcurrency
}
