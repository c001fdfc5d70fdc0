package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/plan"
)

// shardFlag is --shard K/N, parsed when the flag is set so that a bad
// value is a usage error before any configuration is read.
type shardFlag struct{ plan.Shard }

func (f *shardFlag) String() string { return f.Shard.String() }

func (f *shardFlag) Set(s string) error {
	sh, err := plan.ParseShard(s)
	if err != nil {
		return err
	}
	f.Shard = sh
	return nil
}

func (f *shardFlag) Type() string { return "K/N" }

// shardUsage is the help of --shard, for plan, apply and drift alike.
const shardUsage = "only the domains of shard `K/N`: K counts from 1 to N (GitLab's CI_NODE_INDEX/CI_NODE_TOTAL); a domain is in shard K when the first 8 bytes of the SHA-256 of its lower-case name, mod N, are K-1"

// registerShard adds --shard to cmd. Its values are no files, and there is
// nothing to complete: K and N are the job's.
func registerShard(cmd *cobra.Command, f *shardFlag) {
	cmd.Flags().Var(f, "shard", shardUsage)
	_ = cmd.RegisterFlagCompletionFunc("shard", cobra.NoFileCompletions)
}

// selectShard narrows the domains to plan, already narrowed by --domain
// when names were given, to those of shard s. A domain named with --domain
// that another shard holds is an error: its job is another one.
func selectShard(domains []*plan.DomainRecords, named bool, s plan.Shard) ([]*plan.DomainRecords, error) {
	if s.IsZero() {
		return domains, nil
	}
	var out []*plan.DomainRecords
	for _, d := range domains {
		if s.Contains(d.Domain) {
			out = append(out, d)
			continue
		}
		if named {
			return nil, fmt.Errorf("domain %s is in shard %d/%d, not %s: run that shard, or drop --shard to plan it alone", d.Domain, plan.ShardOf(d.Domain, s.N), s.N, s)
		}
	}
	return out, nil
}

// shardReport keeps the findings of a lint report about the domains of
// shard s. Lint runs over every domain, since a check of one domain may
// read another's records (an external DMARC report destination, an SPF
// include of a configured domain); only what it says is narrowed. domains
// is how many domains the shard holds.
func shardReport(r *lint.Report, s plan.Shard, domains int) *lint.Report {
	if s.IsZero() || r == nil {
		return r
	}
	out := &lint.Report{Skipped: r.Skipped, Domains: domains}
	for _, f := range r.Findings {
		if !s.Contains(f.Domain) {
			continue
		}
		out.Findings = append(out.Findings, f)
		switch f.Severity {
		case lint.Error:
			out.Errors++
		case lint.Warning:
			out.Warns++
		}
	}
	return out
}

// planShard sets shard to the one a saved plan holds. A --shard given
// with the plan file must name that same shard: another would apply
// changes planned for other domains than the job's.
func planShard(saved *plan.Plan, shard *plan.Shard, given bool) error {
	var held plan.Shard
	if saved.Shard != nil {
		held = *saved.Shard
	}
	if given && *shard != held {
		if held.IsZero() {
			return fmt.Errorf("the plan file covers the whole configuration, not shard %s: apply it without --shard, or plan --shard %s -out FILE and apply that", shard, shard)
		}
		return fmt.Errorf("the plan file holds shard %s, not %s: apply it without --shard, or apply the plan of shard %s", held, shard, shard)
	}
	*shard = held
	return nil
}
