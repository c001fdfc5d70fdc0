package providers

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// Registry maps provider types (the TYPE of `provider "TYPE" "NAME"`) to
// their factories. It is an explicit value, built once by the program
// (usually with providers/all.NewRegistry) and passed to whoever decodes
// configuration: there is no package-level registry and no registration
// from init functions, so what a binary supports is visible in one place
// and tests can build registries of their own.
//
// A Registry is safe for concurrent use once registration is done; Register
// itself must not run concurrently with other methods.
type Registry struct {
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: map[string]Factory{}}
}

// Register adds a provider type. It panics when typ is empty, f is nil, or
// typ is already registered: all three are programming errors that must
// fail at start-up, not when a user's configuration happens to use the type.
func (r *Registry) Register(typ string, f Factory) {
	switch {
	case typ == "":
		panic("providers: Register with an empty type")
	case f == nil:
		panic(fmt.Sprintf("providers: Register(%q) with a nil factory", typ))
	case r.factories[typ] != nil:
		panic(fmt.Sprintf("providers: provider type %q registered twice", typ))
	}
	r.factories[typ] = f
}

// Types returns the registered provider types, sorted.
func (r *Registry) Types() []string {
	return slices.Sorted(maps.Keys(r.factories))
}

// New builds the Client for one provider block. An unregistered type is an
// "Unknown provider type" diagnostic on the TYPE label that lists the known
// types and suggests the closest one.
func (r *Registry) New(cfg Config) (Client, hcl.Diagnostics) {
	f := r.factories[cfg.Type]
	if f == nil {
		return nil, hcl.Diagnostics{r.unknownType(cfg)}
	}
	return f(cfg)
}

func (r *Registry) unknownType(cfg Config) *hcl.Diagnostic {
	known := r.Types()
	var detail strings.Builder
	fmt.Fprintf(&detail, "There is no provider type %q.", cfg.Type)
	if s := suggest(cfg.Type, known); s != "" {
		fmt.Fprintf(&detail, " Did you mean %q?", s)
	}
	if len(known) == 0 {
		detail.WriteString(" No provider types are available in this build.")
	} else {
		fmt.Fprintf(&detail, " The known types are: %s.", quoteAll(known))
	}
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown provider type",
		Detail:   detail.String(),
		Subject:  cfg.TypeRange.Ptr(),
	}
	if cfg.DeclRange != (hcl.Range{}) {
		d.Context = cfg.DeclRange.Ptr()
	}
	return d
}

// suggest returns the known name closest to given, if it is close enough to
// be a likely typo (an edit distance below 3, the threshold HCL itself uses
// for its "Did you mean" suggestions), or "".
func suggest(given string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(strings.ToLower(given), k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
