package zonefile

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/mailconf/mailconf/providers"
)

// configSchema is the body of `provider "zonefile" "NAME" { dir = "..." }`.
var configSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "dir", Required: true}},
}

// FromConfig is the providers.Factory of the "zonefile" type. `dir` is
// required and resolves against the configuration directory; it must be an
// existing directory, checked here so that `mailconf validate` reports it
// with its source range. The zone files themselves are only read on use.
func FromConfig(cfg providers.Config) (providers.Client, hcl.Diagnostics) {
	content, diags := cfg.Body.Content(configSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	attr := content.Attributes["dir"]
	var dir string
	diags = append(diags, gohcl.DecodeExpression(attr.Expr, cfg.EvalContext, &dir)...)
	if diags.HasErrors() {
		return nil, diags
	}
	rng := attr.Expr.Range().Ptr()
	if dir == "" {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty zone directory",
			Detail:   `The "dir" argument must name the directory that holds the zone files, such as "zones".`,
			Subject:  rng,
		})
	}
	full := dir
	if !filepath.IsAbs(full) {
		full = filepath.Join(cfg.BaseDir, dir)
	}
	info, err := os.Stat(full)
	switch {
	case os.IsNotExist(err):
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Zone directory not found",
			Detail:   fmt.Sprintf("The directory %q does not exist (relative paths are relative to the configuration directory). Create it with one <zone>.zone file per zone, or fix the path.", full),
			Subject:  rng,
		})
	case err != nil:
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unreadable zone directory",
			Detail:   fmt.Sprintf("The directory %q cannot be read: %v. Check its permissions.", full, err),
			Subject:  rng,
		})
	case !info.IsDir():
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Zone directory is not a directory",
			Detail:   fmt.Sprintf("%q is a file. Set \"dir\" to the directory that holds the <zone>.zone files.", full),
			Subject:  rng,
		})
	}
	return New(full), diags
}
