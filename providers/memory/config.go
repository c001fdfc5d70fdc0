package memory

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// configSchema is the body of `provider "memory" "NAME" { zones = [...] }`.
var configSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "zones"}},
}

// FromConfig is the providers.Factory of the "memory" type: a fresh, empty
// provider holding the zones listed in the optional `zones` argument. It is
// meant for tests and for trying configurations out; nothing it stores
// outlives the process.
func FromConfig(cfg providers.Config) (providers.Client, hcl.Diagnostics) {
	content, diags := cfg.Body.Content(configSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	seed := map[string][]libdns.Record{}
	if attr, ok := content.Attributes["zones"]; ok {
		var zones []string
		diags = append(diags, gohcl.DecodeExpression(attr.Expr, cfg.EvalContext, &zones)...)
		if diags.HasErrors() {
			return nil, diags
		}
		for _, z := range zones {
			if _, err := rrset.NormalizeZone(z); err != nil {
				return nil, append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid zone name",
					Detail:   fmt.Sprintf("%q is not a zone name. List zones as domain names, such as \"example.com\".", z),
					Subject:  attr.Expr.Range().Ptr(),
				})
			}
			seed[z] = nil
		}
	}
	return New(seed), diags
}
