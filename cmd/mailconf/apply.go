package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
)

func newApplyCmd(e *env) *cobra.Command {
	var cf configFlags
	var autoApprove, force, verify bool
	var vo verifyOptions
	var shard shardFlag
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Make the live zones match the configuration",
		Long: `apply makes the changes a plan shows. Without PLANFILE it plans first, shows
the plan and asks for confirmation (on a terminal; elsewhere it needs
--auto-approve). With PLANFILE, saved by 'mailconf plan -out', it applies
exactly that plan, and refuses it when the configuration (the *.hcl files
and the DKIM public keys) or a zone changed since it was made.

Dangerous changes (removing every MX, weakening DMARC, removing SPF,
replacing an active DKIM key, changing more than 30% of the records mailconf
owns in a zone) need --force.

--shard K/N plans and applies only the domains of shard K of N (K counts
from 1), as 'mailconf plan --shard' splits them. A plan file saved from a
shard holds its shard: apply PLANFILE reads and applies exactly that one.

With --verify it then waits until every authoritative server serves the
records, evaluates them as a receiver would and, when the configuration has a
probe block, sends each domain's probe (as mailconf verify).

Exit codes: 0 applied (or nothing to do) and, with --verify, verified;
1 error or refused; 2 applied but verification failed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var p, saved *plan.Plan
			if len(args) == 1 {
				var err error
				if saved, err = loadPlan(args[0]); err != nil {
					return err
				}
				// The plan's shard is the one applied: its job reads only
				// the zones that shard's plan read.
				if err := planShard(saved, &shard.Shard, cmd.Flags().Changed("shard")); err != nil {
					return err
				}
			}
			run, err := cf.plan(ctx, e, nil, shard.Shard)
			if err != nil {
				return err
			}
			if saved != nil {
				// Apply what was reviewed, only from the configuration it was
				// reviewed with, and only to the zones as they were then.
				if err := checkSameConfig(saved, run.plan.Config); err != nil {
					return err
				}
				if err := plan.CheckFresh(saved, run.live); err != nil {
					return fmt.Errorf("%w. Run mailconf plan again, review it, and apply the new plan", err)
				}
				p = saved
				if err := (textView{}).Plan(e.stdout, p); err != nil {
					return err
				}
			} else {
				p = run.plan
				if err := (textView{}).Plan(e.stdout, p); err != nil {
					return err
				}
			}
			if p.Summary.Errors > 0 {
				fmt.Fprintln(e.stderr, "Error: the plan has errors (see above); fix them and plan again.")
				return exitErr{exitError}
			}
			if !p.HasChanges() {
				if verify {
					vo.providerNS = run.nameservers
					vo.probe = run.cfg.Probe != nil
					return runVerify(ctx, e, cf.resolver, vo, run.cfg, desiredOf(run), run.clients)
				}
				return nil
			}
			if p.Summary.Dangerous > 0 && !force {
				fmt.Fprintf(e.stderr, "Error: %d dangerous change(s); review them above and run again with --force to make them.\n", p.Summary.Dangerous)
				return exitErr{exitError}
			}
			if !autoApprove {
				if !e.interactive {
					fmt.Fprintln(e.stderr, "Error: apply needs --auto-approve when it is not run on a terminal (or apply a reviewed plan file with --auto-approve).")
					return exitErr{exitError}
				}
				fmt.Fprint(e.stdout, "\nApply these changes? Only 'yes' is accepted: ")
				answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
				if strings.TrimSpace(answer) != "yes" {
					fmt.Fprintln(e.stderr, "Apply cancelled.")
					return exitErr{exitError}
				}
			}
			report, err := plan.Apply(ctx, p, run.clients, plan.ApplyOptions{Force: force})
			if report != nil {
				writeReport(e, report)
			}
			if err != nil {
				if errors.Is(err, plan.ErrDangerous) {
					fmt.Fprintf(e.stderr, "Error: %s\n", err)
				}
				return exitErr{exitError}
			}
			fmt.Fprintf(e.stdout, "\nApply complete: %d change(s) made.\n", report.Applied())
			if verify {
				fmt.Fprintln(e.stdout)
				vo.providerNS = run.nameservers
				vo.probe = run.cfg.Probe != nil
				return runVerify(ctx, e, cf.resolver, vo, run.cfg, desiredOf(run), run.clients)
			}
			return nil
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "when SPF records are flattened")
	cmd.Flags().BoolVar(&autoApprove, "auto-approve", false, "apply without asking for confirmation")
	cmd.Flags().BoolVar(&force, "force", false, "allow dangerous changes")
	cmd.Flags().BoolVar(&verify, "verify", false, "after applying, verify as mailconf verify does (probes only with a probe block)")
	cmd.Flags().DurationVar(&vo.timeout, "verify-timeout", 10*time.Minute, "with --verify, how long to wait for every server to agree")
	cmd.Flags().StringSliceVar(&vo.nameservers, "nameserver", nil, "with --verify, ask this authoritative server `HOST:PORT` instead of the zones' NS records (repeatable)")
	vo.format = "text"
	registerShard(cmd, &shard)
	return cmd
}

// checkSameConfig refuses a saved plan made from another configuration
// than the one in the directory: applying it would publish records the
// configuration no longer asks for, and the next plan would undo them.
func checkSameConfig(saved *plan.Plan, cur *plan.ConfigState) error {
	if saved.Config == nil {
		return errors.New("the plan carries no configuration hash (an older mailconf made it), so it cannot be matched to this directory: run plan -out again, review it, and apply the new plan")
	}
	if saved.Config.Hash == cur.Hash {
		return nil
	}
	changed := ""
	if diffs := saved.Config.Differences(cur); len(diffs) > 0 {
		const most = 10
		if len(diffs) > most {
			diffs = append(diffs[:most:most], fmt.Sprintf("and %d more", len(diffs)-most))
		}
		changed = " (since the plan: " + strings.Join(diffs, ", ") + ")"
	}
	msg := fmt.Sprintf("the plan was made from another configuration (hash %s), this directory is %s%s: run plan again, review it, and apply the new plan",
		plan.ShortHash(saved.Config.Hash), plan.ShortHash(cur.Hash), changed)
	return errors.New(msg)
}

func writeReport(e *env, r *plan.Report) {
	for _, z := range r.Zones {
		if z.Err == nil {
			continue
		}
		fmt.Fprintf(e.stderr, "\nError: zone %s (%s): %s\n", z.Zone, z.Provider, z.Err)
		fmt.Fprintf(e.stderr, "  applied before the failure: %d change(s)\n", len(z.Applied))
		for _, c := range z.Applied {
			fmt.Fprintf(e.stderr, "    done   %s %s %s\n", c.Action, c.Name, c.Type)
		}
		fmt.Fprintf(e.stderr, "    FAILED %s %s %s\n", z.Failed.Action, z.Failed.Name, z.Failed.Type)
		for _, c := range z.NotApplied {
			fmt.Fprintf(e.stderr, "    not done %s %s %s\n", c.Action, c.Name, c.Type)
		}
		if providers.IsTemporary(z.Err) {
			fmt.Fprintln(e.stderr, "  The failure looks temporary: running apply again may succeed.")
		} else {
			fmt.Fprintln(e.stderr, "  Retrying will not help until the cause above is fixed.")
		}
		fmt.Fprintln(e.stderr, "  Run mailconf plan to see what remains; apply again to converge.")
	}
}

// desiredOf is the compiled configuration a plan run was made from.
func desiredOf(run *planRun) *plan.Desired { return run.desired }
