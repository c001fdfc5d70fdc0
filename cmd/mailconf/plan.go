package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/all"
	"github.com/mailconf/mailconf/schema"
)

func newPlanCmd(e *env) *cobra.Command {
	var cf configFlags
	var out, format string
	var domains []string
	var detailed bool
	var shard shardFlag
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what would change in the live zones to match the configuration",
		Long: `plan compiles the configuration, reads each domain's live zone from its
provider and shows the records it would create, update or delete. It only
touches records mailconf owns: every other record is left alone.

With -out FILE the plan is saved (as JSON) for 'mailconf apply FILE', which
applies exactly that plan and refuses it if the configuration or a zone
changed in between. The file names no absolute path and carries no secret,
so a pipeline can plan in one job and apply in another checkout.

--format markdown is for a pull-request comment: the counts, the dangerous
changes first, one collapsed section per domain, and lint's warnings.

--shard K/N plans only the domains of shard K of N (K counts from 1), for
the N jobs of a CI matrix: each domain is in exactly one shard, by a stable
hash of its name, and a shard's job reads only its own zones. A plan saved
from a shard records it, and apply of that file applies that shard only.

Exit codes: 0 success, 1 error. With --detailed-exitcode: 0 no changes,
1 error, 2 changes pending.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			view, err := viewFor(format)
			if err != nil {
				return err
			}
			run, err := cf.plan(cmd.Context(), e, domains, shard.Shard)
			if err != nil {
				// A pull request still gets a comment that says why there
				// is no plan.
				var lf lintFailed
				if format == "markdown" && errors.As(err, &lf) {
					if werr := writeMarkdownLintBlocked(e.stdout, lf.report); werr != nil {
						return werr
					}
				}
				return err
			}
			if mv, ok := view.(markdownView); ok {
				mv.lint = run.lint.Findings
				view = mv
			}
			p := run.plan
			if err := view.Plan(e.stdout, p); err != nil {
				return err
			}
			if out != "" {
				if err := savePlan(out, p); err != nil {
					return err
				}
				if format == "text" {
					fmt.Fprintf(e.stdout, "\nSaved the plan to %s. Apply exactly this plan with: mailconf apply %s\n", out, out)
				}
			}
			switch {
			case p.Summary.Errors > 0:
				return exitErr{exitError}
			case detailed && p.HasChanges():
				return exitErr{exitChanges}
			}
			return nil
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "when SPF records are flattened")
	cf.registerBase(cmd)
	cmd.Flags().StringVar(&out, "out", "", "save the plan to `FILE` for mailconf apply (-out FILE works too)")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text, json or markdown")
	cmd.Flags().StringSliceVar(&domains, "domain", nil, "only this `DOMAIN` (repeatable)")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none")
	registerShard(cmd, &shard)
	return cmd
}

// planRun is a computed plan with what it was computed from.
type planRun struct {
	cfg     *schema.Config
	clients map[string]providers.Client
	// nameservers are the providers' nameservers attributes, by address.
	nameservers map[string][]string
	desired     *plan.Desired
	live        plan.Live
	plan        *plan.Plan
	// lint is the report of lint's offline checks: warnings only, since
	// errors stop the run.
	lint *lint.Report
}

// plan loads the configuration, reads the live zones and diffs them: of
// the domains named (all when none are) that are in shard (every domain
// for the zero Shard).
func (f *configFlags) plan(ctx context.Context, e *env, domains []string, shard plan.Shard) (*planRun, error) {
	cfg, desired, err := f.load(e)
	if err != nil {
		return nil, err
	}
	// SPF is flattened for every domain, in the shard or not: whether a
	// domain needs flattening depends on the flattened records of the
	// configured domains it includes, and a shard must plan what the
	// whole fleet's plan holds.
	if err := f.complete(ctx, e, desired); err != nil {
		return nil, err
	}
	// The checks that need no DNS: a plan never publishes a record they
	// find wrong.
	report, err := offlineLint(ctx, e, cfg, desired, shard)
	if err != nil {
		return nil, err
	}
	if len(domains) > 0 || !shard.IsZero() {
		sel, err := selectDomains(desired, domains)
		if err != nil {
			return nil, err
		}
		// Before any zone is read: a shard's job reads only its own.
		if sel, err = selectShard(sel, len(domains) > 0, shard); err != nil {
			return nil, err
		}
		desired = &plan.Desired{Domains: sel, Now: desired.Now}
	}
	clients, nameservers, err := buildProviders(e, cfg)
	if err != nil {
		return nil, err
	}
	live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		return nil, err
	}
	fetchServedPolicies(ctx, e, desired, &live)
	if live.BaseKeys, err = baseKeyStates(ctx, cfg, f.dir, f.base); err != nil {
		return nil, err
	}
	p := plan.Diff(desired, live)
	if p.Config, err = configState(cfg); err != nil {
		return nil, err
	}
	if !shard.IsZero() {
		p.Shard = &shard
	}
	return &planRun{cfg: cfg, clients: clients, nameservers: nameservers, desired: desired, live: live, plan: p, lint: report}, nil
}

// offlineLint runs lint's offline checks and stops on their errors, with a
// lintFailed that carries the report. Only the findings about the domains
// of shard count.
func offlineLint(ctx context.Context, e *env, cfg *schema.Config, desired *plan.Desired, shard plan.Shard) (*lint.Report, error) {
	report := shardReport(lint.Run(ctx, cfg, desired, lint.Options{}), shard, len(desired.InShard(shard).Domains))
	for _, f := range report.Findings {
		if f.Severity == lint.Error {
			fmt.Fprintf(e.stderr, "Error: [%s] %s %s: %s\n", f.Code, f.Domain, f.Record, f.Message)
		}
	}
	if report.Errors > 0 {
		fmt.Fprintf(e.stderr, "%s found by mailconf lint --offline; fix them before planning.\n", plural(report.Errors, "error"))
		return report, lintFailed{report}
	}
	return report, nil
}

// lintFailed is the exit 1 of a plan that lint's errors stopped, with the
// report, so the markdown view can still say on the pull request why there
// is no plan.
type lintFailed struct{ report *lint.Report }

func (lintFailed) Error() string { return "lint errors" }

func (lintFailed) Unwrap() error { return exitErr{exitError} }

// buildClients builds every declared provider through the registry.
func buildClients(e *env, cfg *schema.Config) (map[string]providers.Client, error) {
	clients, _, err := buildProviders(e, cfg)
	return clients, err
}

// providerNameservers is the attribute every provider block may carry: the
// authoritative servers ("host:port") that verify asks instead of the
// zone's NS records, for zones the public DNS does not delegate (yet).
var providerNameservers = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "nameservers"}}}

// buildProviders builds every declared provider through the registry and
// returns, per provider address, its nameservers attribute.
func buildProviders(e *env, cfg *schema.Config) (map[string]providers.Client, map[string][]string, error) {
	reg := all.NewRegistry()
	clients := map[string]providers.Client{}
	nameservers := map[string][]string{}
	var diags hcl.Diagnostics
	for _, p := range cfg.Providers {
		common, rest, ds := p.Body.PartialContent(providerNameservers)
		diags = append(diags, ds...)
		if attr := common.Attributes["nameservers"]; attr != nil {
			var list []string
			ds := gohcl.DecodeExpression(attr.Expr, cfg.EvalContext, &list)
			diags = append(diags, cfg.ExplainDiags(ds)...)
			for _, ns := range list {
				if _, _, err := net.SplitHostPort(ns); err != nil {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Invalid nameserver", Subject: attr.Expr.Range().Ptr(),
						Detail: fmt.Sprintf("nameservers lists authoritative servers as host:port, such as \"ns1.example.net:53\", not %q.", ns),
					})
				}
			}
			nameservers[p.Addr()] = list
		}
		c, ds := reg.New(providers.Config{
			Type: p.Type, Name: p.Name, Body: rest, EvalContext: cfg.EvalContext,
			BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange,
		})
		diags = append(diags, cfg.ExplainDiags(ds)...)
		if c != nil && !ds.HasErrors() {
			clients[p.Addr()] = c
		}
	}
	if err := writeDiags(e, cfg, diags); err != nil {
		return nil, nil, err
	}
	if diags.HasErrors() {
		return nil, nil, exitErr{exitError}
	}
	return clients, nameservers, nil
}

// savePlan writes the plan atomically: a half-written plan file must never
// be applied.
func savePlan(path string, p *plan.Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mailconf-plan-*")
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the plan: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the plan: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	return nil
}

func loadPlan(path string) (*plan.Plan, error) {
	b, err := regfile.Read(path, regfile.PlanLimit)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	p, err := decodePlan(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func decodePlan(b []byte) (*plan.Plan, error) {
	var p plan.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("not a mailconf plan: %w", err)
	}
	if p.FormatVersion != plan.FormatVersion {
		return nil, fmt.Errorf("a plan of format %q; this mailconf reads format %q. Run mailconf plan again", p.FormatVersion, plan.FormatVersion)
	}
	return &p, nil
}
