// Package all assembles the registry of every provider type built into
// mailconf. It exists so that the providers package need not import its own
// sub-packages (which import it for Config): the command builds its
// registry here, once, explicitly, instead of relying on init-time
// registration side effects.
//
// The package only wires constructors together; it must never hold state.
package all

import (
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/cloudflare"
	"github.com/mailconf/mailconf/providers/memory"
	"github.com/mailconf/mailconf/providers/rfc2136"
	"github.com/mailconf/mailconf/providers/route53"
	"github.com/mailconf/mailconf/providers/zonefile"
)

// NewRegistry returns a registry with every built-in provider type:
// "zonefile" (RFC 1035 master files in a directory), "cloudflare" (the
// Cloudflare v4 API), "route53" (Amazon Route 53), "rfc2136" (dynamic
// updates signed with TSIG to a primary server) and "memory" (an
// in-process store for tests and experiments).
func NewRegistry() *providers.Registry {
	r := providers.NewRegistry()
	// The hosted APIs limit requests per account: each block's client
	// waits on a token bucket of the published limit.
	r.Register(cloudflare.Type, providers.RateLimitedFactory(cloudflare.FromConfig, providers.CloudflareLimit, nil))
	r.Register("memory", memory.FromConfig)
	r.Register("rfc2136", rfc2136.FromConfig)
	r.Register("route53", providers.RateLimitedFactory(route53.FromConfig, providers.Route53Limit, nil))
	r.Register("zonefile", zonefile.FromConfig)
	return r
}
