package cloudflare

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/mailconf/mailconf/providers"
)

// configSchema is the body of `provider "cloudflare" "NAME" { ... }`.
var configSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "api_token", Required: true},
		{Name: "zone_token"},
		{Name: "concurrency"},
	},
}

// MaxConcurrency bounds the concurrency attribute. Cloudflare allows 1,200
// requests per five minutes per user: more requests in flight only reach
// that limit sooner, and then every request waits.
const MaxConcurrency = 32

// FromConfig is the providers.Factory of the "cloudflare" type:
//
//	provider "cloudflare" "main" {
//	  api_token   = env("CLOUDFLARE_API_TOKEN") # required
//	  zone_token  = env("CLOUDFLARE_ZONE_TOKEN") # optional
//	  concurrency = 4                            # optional
//	}
//
// It checks the attributes and contacts nothing. Diagnostics never show a
// token's value.
func FromConfig(cfg providers.Config) (providers.Client, hcl.Diagnostics) {
	return Factory(Options{})(cfg)
}

// Factory returns a providers.Factory for the "cloudflare" type whose
// clients take the transport settings of base (HTTPClient, retries, clock)
// and the tokens and concurrency of the provider block. Tests use it to
// point configurations at a fake API; FromConfig is Factory(Options{}).
func Factory(base Options) providers.Factory {
	return func(cfg providers.Config) (providers.Client, hcl.Diagnostics) {
		content, diags := cfg.Body.Content(configSchema)
		if diags.HasErrors() {
			return nil, diags
		}
		opts := base
		var ds hcl.Diagnostics
		opts.APIToken, ds = token(content.Attributes["api_token"], cfg.EvalContext)
		diags = append(diags, ds...)
		if attr, ok := content.Attributes["zone_token"]; ok {
			opts.ZoneToken, ds = token(attr, cfg.EvalContext)
			diags = append(diags, ds...)
		}
		if attr, ok := content.Attributes["concurrency"]; ok {
			opts.Concurrency, ds = concurrency(attr, cfg.EvalContext)
			diags = append(diags, ds...)
		}
		if diags.HasErrors() {
			return nil, diags
		}
		c, err := New(opts)
		if err != nil {
			return nil, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Cloudflare provider",
				Detail:   err.Error() + ".",
				Subject:  cfg.DeclRange.Ptr(),
			})
		}
		return c, diags
	}
}

// value evaluates an attribute, without the sensitive mark env() and
// file() put on their values: the mark only says not to print the value,
// which nothing here does.
func value(attr *hcl.Attribute, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	for _, d := range diags {
		// HCL's "Error in function call" for env() becomes what to do.
		if extra, ok := d.Extra.(hclsyntax.FunctionCallDiagExtra); ok && extra.CalledFunctionName() == "env" && extra.FunctionCallError() != nil {
			d.Summary = "Unset environment variable"
			d.Detail = fmt.Sprintf("env(): %s. Export it before running mailconf; %s takes a Cloudflare API token from it.", extra.FunctionCallError(), attr.Name)
		}
	}
	v, _ = v.UnmarkDeep()
	return v, diags
}

// token reads a token attribute. A token is printable ASCII without
// spaces (it travels in an HTTP header); surrounding white space, such as
// the newline file() keeps, is dropped. The diagnostics never quote it.
func token(attr *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := value(attr, ctx)
	if diags.HasErrors() {
		return "", diags
	}
	bad := func(summary, detail string) (string, hcl.Diagnostics) {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  summary,
			Detail:   detail,
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	if v.IsNull() || !v.IsKnown() {
		return bad("Missing Cloudflare token", fmt.Sprintf("%s has no value. Set it to a Cloudflare API token, such as env(\"CLOUDFLARE_API_TOKEN\").", attr.Name))
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return bad("Invalid Cloudflare token", fmt.Sprintf("%s must be a string: a Cloudflare API token, such as env(\"CLOUDFLARE_API_TOKEN\").", attr.Name))
	}
	tok := strings.TrimSpace(s.AsString())
	if tok == "" {
		return bad("Empty Cloudflare token", fmt.Sprintf("%s is empty. Create an API token in the Cloudflare dashboard (My Profile > API Tokens) with the Zone:DNS:Edit permission and pass it through env().", attr.Name))
	}
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		return bad("Invalid Cloudflare token", fmt.Sprintf("%s starts with \"Bearer\"; give the token alone, mailconf adds the header itself.", attr.Name))
	}
	for _, c := range tok {
		if c <= ' ' || c > '~' {
			return bad("Invalid Cloudflare token", fmt.Sprintf("%s holds white space or characters outside printable ASCII, which no Cloudflare API token has. Check that the variable or file holds the token alone.", attr.Name))
		}
	}
	return tok, diags
}

func concurrency(attr *hcl.Attribute, ctx *hcl.EvalContext) (int, hcl.Diagnostics) {
	v, diags := value(attr, ctx)
	if diags.HasErrors() {
		return 0, diags
	}
	var n int
	nv, err := convert.Convert(v, cty.Number)
	if err == nil && !nv.IsNull() && nv.IsKnown() {
		err = gocty.FromCtyValue(nv, &n)
	}
	if err != nil || nv.IsNull() || n < 1 || n > MaxConcurrency {
		return 0, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid concurrency",
			Detail:   fmt.Sprintf("concurrency is how many API requests may be in flight at once: a whole number from 1 to %d (default %d). Cloudflare allows 1,200 requests per five minutes, so more only reach the rate limit sooner.", MaxConcurrency, providers.DefaultConcurrency),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return n, diags
}
