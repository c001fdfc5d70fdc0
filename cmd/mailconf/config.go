package main

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// configFlags are the flags of every command that reads a configuration.
type configFlags struct {
	dir      string
	resolver string
	base     string // --base: see registerBase
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "config", "c", ".", "configuration `DIR`ectory: all its *.hcl files form one configuration")
}

// registerResolver adds --resolver, for commands that may need the DNS.
func (f *configFlags) registerResolver(cmd *cobra.Command, why string) {
	cmd.Flags().StringVar(&f.resolver, "resolver", "", "DNS server `HOST:PORT` to ask "+why+" (default: the system's, from /etc/resolv.conf)")
}

// complete finishes what compilation leaves to the DNS: flattening the
// SPF records of domains that ask for it. Without such domains it does
// nothing and needs no DNS.
func (f *configFlags) complete(ctx context.Context, e *env, desired *plan.Desired) error {
	if !desired.NeedsDNS() {
		return nil
	}
	r, err := newResolver(f.resolver)
	if err != nil {
		return err
	}
	return plan.FlattenSPF(ctx, desired, r, e.now())
}

// load reads and compiles the configuration, rendering every diagnostic to
// stderr. It returns nil and exit code 1 when there are errors.
func (f *configFlags) load(e *env) (*schema.Config, *plan.Desired, error) {
	cfg, diags := schema.Load(f.dir, schema.Options{LookupEnv: e.lookupEnv})
	var desired *plan.Desired
	if !diags.HasErrors() {
		var ds hcl.Diagnostics
		desired, ds = plan.CompileAt(cfg, e.now())
		diags = append(diags, ds...)
	}
	if err := writeDiags(e, cfg, diags); err != nil {
		return nil, nil, err
	}
	if diags.HasErrors() {
		return nil, nil, exitErr{exitError}
	}
	return cfg, desired, nil
}
