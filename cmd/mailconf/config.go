package main

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// configFlags are the flags of every command that reads a configuration.
type configFlags struct {
	dir string
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "config", "c", ".", "configuration `DIR`ectory: all its *.hcl files form one configuration")
}

// load reads and compiles the configuration, rendering every diagnostic to
// stderr. It returns nil and exit code 1 when there are errors.
func (f *configFlags) load(e *env) (*schema.Config, *plan.Desired, error) {
	cfg, diags := schema.Load(f.dir, schema.Options{LookupEnv: e.lookupEnv})
	var desired *plan.Desired
	if !diags.HasErrors() {
		var ds hcl.Diagnostics
		desired, ds = plan.Compile(cfg)
		diags = append(diags, ds...)
	}
	var files map[string]*hcl.File
	if cfg != nil {
		files = cfg.Files
	}
	if err := writeDiags(e, files, diags); err != nil {
		return nil, nil, err
	}
	if diags.HasErrors() {
		return nil, nil, exitErr{exitError}
	}
	return cfg, desired, nil
}
