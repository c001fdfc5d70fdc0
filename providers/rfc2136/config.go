package rfc2136

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/mailconf/mailconf/providers"
)

// configSchema is the body of `provider "rfc2136" "NAME" { ... }`.
var configSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "server", Required: true},
		{Name: "tsig_key_name", Required: true},
		{Name: "tsig_algorithm"},
		{Name: "tsig_secret", Required: true},
		{Name: "zone"},
		{Name: "concurrency"},
	},
}

// FromConfig is the providers.Factory of the "rfc2136" type. It checks
// every argument offline (no query is sent) and reports each problem on
// the argument's expression. The secret, usually read with env() or
// file(), appears in no diagnostic.
func FromConfig(cfg providers.Config) (providers.Client, hcl.Diagnostics) {
	content, diags := cfg.Body.Content(configSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	var o Options
	// check decodes a string argument and validates it with fn, which
	// returns a *ConfigError.
	check := func(name string, dst *string, fn func(string) (string, error)) {
		attr := content.Attributes[name]
		if attr == nil {
			return
		}
		v, ds := evalString(attr, cfg.EvalContext)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return
		}
		norm, err := fn(v)
		if err != nil {
			diags = append(diags, configDiag(attr, err))
			return
		}
		*dst = norm
	}
	check("server", &o.Server, checkServer)
	check("tsig_key_name", &o.KeyName, checkKeyName)
	check("tsig_algorithm", &o.Algorithm, checkAlgorithm)
	check("tsig_secret", &o.Secret, func(s string) (string, error) {
		secret, _, err := checkSecret(s)
		return secret, err
	})
	check("zone", &o.Zone, func(s string) (string, error) {
		z, err := checkZone(s)
		if err != nil {
			return "", zoneError(s)
		}
		return z, nil
	})
	if attr := content.Attributes["concurrency"]; attr != nil {
		n, ds := evalInt(attr, cfg.EvalContext)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			if n < 1 {
				diags = append(diags, configDiag(attr, concurrencyError(n)))
			} else {
				o.Concurrency = n
			}
		}
	}
	if o.Algorithm == "hmac-sha1" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Weak TSIG algorithm",
			// RFC 8945 section 6: HMAC-SHA1 is NOT RECOMMENDED for use.
			Detail:  `RFC 8945 section 6 recommends against hmac-sha1. Make a new key on the server with "tsig-keygen -a hmac-sha256 NAME" and switch to it.`,
			Subject: content.Attributes["tsig_algorithm"].Expr.Range().Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	c, err := New(o)
	if err != nil {
		// Every option was checked above; this is a safety net that still
		// says which argument is wrong.
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid rfc2136 provider",
			Detail:   err.Error(),
			Subject:  cfg.DeclRange.Ptr(),
		})
	}
	return c, diags
}

// configDiag turns a *ConfigError into a diagnostic on the argument's
// expression.
func configDiag(attr *hcl.Attribute, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + attr.Name, Detail: err.Error(), Subject: attr.Expr.Range().Ptr()}
	var ce *ConfigError
	if errors.As(err, &ce) {
		d.Summary, d.Detail = ce.Summary, ce.Detail
	}
	return d
}

// evalValue evaluates an argument and drops the marks env() and file()
// put on secrets: they only tell the rest of mailconf to keep the value out
// of what it prints, which this package does for every value it is given.
func evalValue(attr *hcl.Attribute, ctx *hcl.EvalContext, want cty.Type, what string) (cty.Value, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	v, _ = v.UnmarkDeep()
	rng := attr.Expr.Range().Ptr()
	switch {
	case v.IsNull():
		return cty.NilVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing value", Detail: fmt.Sprintf("The %q argument is null; give it %s.", attr.Name, what), Subject: rng})
	case !v.IsWhollyKnown():
		return cty.NilVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown value", Detail: fmt.Sprintf("The %q argument must be known when the configuration is read; give it %s.", attr.Name, what), Subject: rng})
	}
	cv, err := convert.Convert(v, want)
	if err != nil {
		// The conversion error names types only, never the value.
		return cty.NilVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: fmt.Sprintf("Inappropriate value for attribute %q: %s; give it %s.", attr.Name, err, what), Subject: rng})
	}
	return cv, diags
}

func evalString(attr *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := evalValue(attr, ctx, cty.String, "a string")
	if diags.HasErrors() {
		return "", diags
	}
	return v.AsString(), diags
}

func evalInt(attr *hcl.Attribute, ctx *hcl.EvalContext) (int, hcl.Diagnostics) {
	v, diags := evalValue(attr, ctx, cty.Number, "a whole number")
	if diags.HasErrors() {
		return 0, diags
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() || bf.Cmp(big.NewFloat(1<<20)) > 0 || bf.Cmp(big.NewFloat(-1<<20)) < 0 {
		return 0, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + attr.Name, Detail: fmt.Sprintf("The %q argument must be a whole number, such as 4.", attr.Name), Subject: attr.Expr.Range().Ptr()})
	}
	n, _ := bf.Int64()
	return int(n), diags
}
