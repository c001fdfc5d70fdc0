package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/internal/mtastsfetch"
	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers/zonefile"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/verify/propagation"
	"github.com/mailconf/mailconf/verify/published"
)

// The checks drift runs, as reports name them.
const (
	checkPlan        = "plan"           // the provider's zone against the configuration
	checkPropagation = "propagation"    // every authoritative server, asked directly
	checkPublished   = "published"      // the served records evaluated as a receiver would
	checkMTASTS      = "mta-sts-policy" // the policy file served over HTTPS
	checkSPF         = "spf-lint"       // lint's live expansion of SPF includes
)

var driftChecks = []string{checkPlan, checkPropagation, checkPublished, checkMTASTS, checkSPF}

type driftOptions struct {
	format       string
	notifyURL    string
	notifyFormat string
	domains      []string
	nameservers  []string
	shard        shardFlag
}

func newDriftCmd(e *env) *cobra.Command {
	var cf configFlags
	var o driftOptions
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Detect where the live DNS no longer matches the configuration, for a cron job",
		Long: `drift checks, without changing anything, whether what the world sees still
matches the configuration:

  plan            the records each provider holds, as 'mailconf plan' diffs them
  propagation     what every authoritative name server serves, asked directly
                  (as 'mailconf verify --no-probe' does, in one pass)
  published       the served SPF, DKIM, DMARC, MTA-STS and TLS-RPT records
                  evaluated as a receiver would, once every server agrees
  mta-sts-policy  the policy file served at https://mta-sts.DOMAIN/
  spf-lint        SPF expanded through every include, live, as 'mailconf lint'
                  does: an include that now costs too many lookups is drift

The report says, per domain, each record that drifted (expected and live
values, and the checks that found it), since when if the provider can tell
(a zone file's modification time, the SOA serial; otherwise "unknown"), and
the command that fixes it.

--notify URL posts the report to a webhook when there is drift or an error,
and only then: the JSON report (docs/drift-json.md), or with
--notify-format slack a Slack-compatible message. Each attempt has 10 s;
3 attempts in all, retried on network errors, 5xx and 429. A notification
that fails is exit 1.

--shard K/N checks only the domains of shard K of N (K counts from 1), as
'mailconf plan --shard' splits them, for an hourly matrix of N jobs.

Exit codes: 0 no drift, 2 drift found, 1 drift could not be checked
(a bad configuration, a provider or server that could not be read, a
notification that failed): the report says what was checked.`,
		Example: `  # every hour from cron, posting to Slack when something drifted
  0 * * * * mailconf drift -c /etc/mailconf --notify "$SLACK_WEBHOOK_URL" --notify-format slack`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "text" && o.format != "json" && o.format != "markdown" {
				return fmt.Errorf("--format must be text, json or markdown, not %q", o.format)
			}
			if o.notifyFormat != "json" && o.notifyFormat != "slack" {
				return fmt.Errorf("--notify-format must be json or slack, not %q", o.notifyFormat)
			}
			// Drift compares records; the DKIM key steps a previous
			// configuration would show change none.
			cf.base = baseNone
			return runDrift(cmd.Context(), e, &cf, o)
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "for name servers, published records and SPF includes")
	cmd.Flags().StringVar(&o.format, "format", "text", "output `FORMAT`: text, json or markdown")
	cmd.Flags().StringVar(&o.notifyURL, "notify", "", "post the report to this webhook `URL` when there is drift or an error")
	cmd.Flags().StringVar(&o.notifyFormat, "notify-format", "json", "webhook payload `FORMAT`: json (the report) or slack")
	cmd.Flags().StringSliceVar(&o.domains, "domain", nil, "only this `DOMAIN` (repeatable)")
	cmd.Flags().StringSliceVar(&o.nameservers, "nameserver", nil, "ask this authoritative server `HOST:PORT` instead of the zone's NS records or the provider's nameservers (repeatable)")
	registerShard(cmd, &o.shard)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "markdown"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("notify-format", cobra.FixedCompletions([]string{"json", "slack"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("notify", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("resolver", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("nameserver", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("config", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	return cmd
}

// runDrift computes the report, prints it, notifies, and picks the exit
// code: 1 when something could not be checked or the notification failed,
// else 2 when something drifted, else 0.
func runDrift(ctx context.Context, e *env, cf *configFlags, o driftOptions) error {
	rep := computeDrift(ctx, e, cf, o)
	// A run that could not even plan has nothing for stdout: its
	// diagnostics are on stderr already. The notification still goes.
	if len(rep.Domains) > 0 {
		if err := writeDrift(e, o.format, rep); err != nil {
			return err
		}
	}
	if o.notifyURL != "" && (rep.Drift || rep.Summary.Errors > 0) {
		if err := notifyDrift(ctx, e, o, rep); err != nil {
			fmt.Fprintf(e.stderr, "Error: the drift notification failed: %s\n", err)
			return exitErr{exitError}
		}
	}
	switch {
	case rep.Summary.Errors > 0:
		return exitErr{exitError}
	case rep.Drift:
		return exitErr{exitChanges}
	}
	return nil
}

func writeDrift(e *env, format string, rep *driftReport) error {
	switch format {
	case "json":
		return writeDriftJSON(e.stdout, rep)
	case "markdown":
		return writeDriftMarkdown(e.stdout, rep)
	}
	return writeDriftText(e.stdout, rep, driftColor(e))
}

// driftANSI matches the colour sequences of diagnostics written for a terminal.
var driftANSI = regexp.MustCompile("\x1b\\[[0-9;]*m")

// computeDrift runs every check and returns the report; what could not be
// checked is in its errors.
func computeDrift(ctx context.Context, e *env, cf *configFlags, o driftOptions) *driftReport {
	rep := &driftReport{FormatVersion: driftFormatVersion, GeneratedAt: e.now().UTC(), Checks: driftChecks, Domains: []*driftDomain{}, Errors: []string{}}
	// What planning writes to stderr (diagnostics, lint errors) is also
	// the reason a notification gives when planning fails.
	var captured bytes.Buffer
	pe := *e
	pe.stderr = io.MultiWriter(e.stderr, &captured)
	run, err := cf.plan(ctx, &pe, o.domains, o.shard.Shard)
	if err != nil {
		msg := strings.TrimSpace(driftANSI.ReplaceAllString(captured.String(), ""))
		if _, ok := errors.AsType[exitErr](err); !ok {
			fmt.Fprintf(e.stderr, "Error: %s\n", err)
			msg = strings.TrimSpace(msg + "\n" + err.Error())
		}
		if msg == "" {
			msg = "the configuration could not be planned"
		}
		if len(msg) > 4000 {
			msg = strings.ToValidUTF8(msg[:4000], "") + "…"
		}
		rep.Errors = append(rep.Errors, "mailconf could not plan: "+msg)
		rep.summarize()
		return rep
	}
	dc := &driftCollector{e: e, run: run, dir: cf.dir, byDomain: map[string]*driftDomain{}}
	for _, d := range run.desired.Domains {
		dd := &driftDomain{Domain: d.Domain, Zone: run.live.Zones[d.Domain], Provider: d.Provider, Items: []*driftItem{}, Fix: []string{}, Errors: []string{}}
		rep.Domains = append(rep.Domains, dd)
		dc.byDomain[d.Domain] = dd
	}
	dc.planItems()
	dc.servedPolicies(ctx)
	r, err := newResolver(cf.resolver)
	if err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("the %s, %s and %s checks need the DNS: %s", checkPropagation, checkPublished, checkSPF, err))
	} else {
		dc.propagation(ctx, r, o.nameservers)
		dc.spf(ctx, r)
	}
	for _, dd := range rep.Domains {
		dc.finish(dd)
	}
	rep.summarize()
	return rep
}

// driftCollector gathers the items of one run, per domain.
type driftCollector struct {
	e        *env
	run      *planRun
	dir      string
	byDomain map[string]*driftDomain
}

// add records what a check found, merged with an item another check found
// with the same expected and live values.
func (dc *driftCollector) add(domain string, it *driftItem, by driftFinder) {
	dd := dc.byDomain[domain]
	if dd == nil {
		return
	}
	slices.Sort(it.Expected)
	slices.Sort(it.Live)
	for _, have := range dd.Items {
		if have.Name == it.Name && have.Type == it.Type && have.Kind == it.Kind &&
			slices.Equal(have.Expected, it.Expected) && slices.Equal(have.Live, it.Live) {
			if !slices.Contains(have.FoundBy, by) {
				have.FoundBy = append(have.FoundBy, by)
			}
			return
		}
	}
	it.FoundBy = []driftFinder{by}
	if it.Expected == nil {
		it.Expected = []string{}
	}
	if it.Live == nil {
		it.Live = []string{}
	}
	dd.Items = append(dd.Items, it)
}

func (dc *driftCollector) fail(domain, check, format string, args ...any) {
	if dd := dc.byDomain[domain]; dd != nil {
		dd.Errors = append(dd.Errors, check+": "+fmt.Sprintf(format, args...))
	}
}

// planItems turns the plan's changes, and the errors that block a
// domain, into items.
func (dc *driftCollector) planItems() {
	for _, d := range dc.run.plan.Domains {
		dd := dc.byDomain[d.Domain]
		if dd == nil {
			continue
		}
		if dd.Zone == "" {
			dd.Zone = d.Zone
		}
		by := driftFinder{Check: checkPlan, Where: d.Provider}
		for _, c := range d.Changes {
			it := &driftItem{Kind: driftRecordKind(d.Domain, c.Name, c.Type, c.Source), Name: c.Name, Type: c.Type, Fix: dc.applyFix(d.Domain)}
			for _, v := range c.New {
				it.Expected = append(it.Expected, v.Data)
			}
			for _, v := range c.Old {
				it.Live = append(it.Live, v.Data)
			}
			switch {
			case c.Action == plan.Update && sameData(c.Old, c.New):
				it.Message = fmt.Sprintf("the TTL is %s, the configuration says %d", driftTTLs(c.Old), c.New[0].TTL)
			case c.Action == plan.Create:
				it.Message = fmt.Sprintf("%s %s is missing from the zone", c.Name, c.Type)
			case c.Action == plan.Delete:
				it.Message = fmt.Sprintf("%s %s is in the zone, but the configuration no longer asks for it", c.Name, c.Type)
			default:
				it.Message = fmt.Sprintf("%s %s differs from the configuration", c.Name, c.Type)
			}
			if c.Dangerous != "" {
				it.Message += "; putting it back needs --force: " + c.Dangerous
				it.Fix = strings.Replace(it.Fix, " && mailconf apply", " && mailconf apply --force", 1)
			}
			dc.add(d.Domain, it, by)
		}
		for _, f := range d.Findings {
			switch f.Severity {
			case plan.SeverityError:
				dc.add(d.Domain, &driftItem{Kind: driftRecordKind(d.Domain, f.Name, "", ""), Name: f.Name, Message: f.Message, Fix: "fix the zone by hand as the message says, then " + dc.applyFix(d.Domain)}, by)
			case plan.SeverityWarning:
				dd.Warnings = append(dd.Warnings, f.Message)
			}
		}
	}
}

func driftTTLs(vs []plan.Value) string {
	var out []string
	for _, v := range vs {
		s := strconv.FormatUint(uint64(v.TTL), 10)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// propagation asks every authoritative server once, and evaluates the
// records of the domains all servers agree on.
func (dc *driftCollector) propagation(ctx context.Context, r *resolve.Client, nameservers []string) {
	run := dc.run
	opts := propagation.Options{Resolver: r, Exchange: r.Exchange, Nameservers: map[string][]string{}}
	for _, d := range run.desired.Domains {
		if ns := run.nameservers[d.Provider]; len(ns) > 0 {
			opts.Nameservers[d.Domain] = ns
		}
		if len(nameservers) > 0 {
			opts.Nameservers[d.Domain] = nameservers
		}
	}
	status, err := propagation.Check(ctx, run.desired, run.live.Zones, opts)
	if status == nil {
		for d := range dc.byDomain {
			dc.fail(d, checkPropagation, "%v", err)
		}
		return
	}
	verified := &plan.Desired{}
	for _, res := range status.Domains {
		if res.Err != nil {
			dc.fail(res.Domain, checkPropagation, "%v", res.Err)
			continue
		}
		for _, srv := range res.Servers {
			where := srv.Server
			if srv.NS != "" && srv.NS != srv.Server {
				where = srv.NS + " (" + srv.Server + ")"
			}
			if srv.Err != nil {
				dc.fail(res.Domain, checkPropagation, "%s: %v", where, srv.Err)
				continue
			}
			for _, m := range srv.Lagging {
				source := driftSourceOf(run.desired.Domain(res.Domain), m)
				it := &driftItem{
					Kind: driftRecordKind(res.Domain, m.Name, m.Type, source), Name: m.Name, Type: m.Type,
					Expected: slices.Clone(m.Want), Live: slices.Clone(m.Got),
					Message: fmt.Sprintf("%s %s is served differently from the configuration", m.Name, m.Type),
					Fix:     dc.applyFix(res.Domain),
				}
				if len(m.Got) == 0 {
					it.Message = fmt.Sprintf("%s %s is not served", m.Name, m.Type)
				}
				dc.add(res.Domain, it, driftFinder{Check: checkPropagation, Where: where})
			}
		}
		if res.Verified {
			if d := run.desired.Domain(res.Domain); d != nil {
				verified.Domains = append(verified.Domains, d)
			}
		}
	}
	// As verify does: the records are evaluated once every server serves
	// them, or the evaluation only repeats what propagation found.
	for _, c := range published.Evaluate(ctx, r, run.cfg, verified) {
		if c.OK {
			continue
		}
		if c.Result == "temperror" {
			dc.fail(c.Domain, checkPublished, "%s %s: %s", c.Kind, c.Subject, c.Message)
			continue
		}
		it := &driftItem{Kind: driftKindWord(c.Kind), Name: c.Subject, Message: c.Kind + " " + c.Result + ": " + c.Message,
			Fix: "fix what the message names, then " + dc.applyFix(c.Domain)}
		dc.add(c.Domain, it, driftFinder{Check: checkPublished, Code: c.Result})
	}
}

// driftSourceOf is the Source of the set a mismatch is about: a name may hold
// several sets of one type (SPF beside a service's verification token),
// told apart by their values.
func driftSourceOf(d *plan.DomainRecords, m propagation.Mismatch) string {
	if d == nil {
		return ""
	}
	source := ""
	for _, rs := range d.Sets {
		if rs.Name != m.Name || rs.Type != m.Type {
			continue
		}
		if source == "" {
			source = rs.Source
		}
		vals := slices.Clone(rs.Values)
		slices.Sort(vals)
		if slices.Equal(vals, m.Want) {
			return rs.Source
		}
	}
	return source
}

// servedPolicies fetches the MTA-STS policy file of every domain that
// declares one and compares it with the compiled policy as senders read
// it (mtasts.Differences). The fetches plan made already are reused.
func (dc *driftCollector) servedPolicies(ctx context.Context) {
	run := dc.run
	var domains []*plan.DomainRecords
	for _, d := range run.desired.Domains {
		if d.MTASTSPolicy != "" {
			domains = append(domains, d)
		}
	}
	if len(domains) == 0 {
		return
	}
	if dc.e.httpClient == nil {
		for _, d := range domains {
			dc.byDomain[d.Domain].Skipped = append(dc.byDomain[d.Domain].Skipped, checkMTASTS+": no HTTP client to fetch the policy with")
		}
		return
	}
	type result struct {
		text, err string
	}
	results := make([]result, len(domains))
	var wg sync.WaitGroup
	sem := make(chan struct{}, fetchConcurrency)
	for i, d := range domains {
		if text, ok := run.live.MTASTSPolicies[d.Domain]; ok {
			results[i].text = text
			continue
		}
		if reason, ok := run.live.MTASTSFetchErrors[d.Domain]; ok {
			results[i].err = reason
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			fctx, cancel := context.WithTimeout(ctx, mtastsfetch.DefaultTimeout)
			defer cancel()
			text, err := mtastsfetch.Fetch(fctx, dc.e.httpClient, d.Domain)
			if err != nil {
				results[i].err = err.Error()
				if fe, ok := errors.AsType[*mtastsfetch.Error](err); ok {
					results[i].err = fe.Reason
				}
				return
			}
			results[i].text = text
		})
	}
	wg.Wait()
	for i, d := range domains {
		url := mtasts.PolicyURL(d.Domain)
		by := driftFinder{Check: checkMTASTS, Where: url}
		fix := fmt.Sprintf("serve the output of %s at %s", driftCommand("mailconf", "mta-sts-policy", "-c", dc.dir, d.Domain), url)
		compiled, err := mtasts.ParsePolicy(d.MTASTSPolicy)
		if err != nil {
			continue // lint reports mailconf's own policy
		}
		want := driftPolicyLines(compiled)
		if results[i].err != "" {
			// RFC 8461 section 3.3: a policy that cannot be fetched is no
			// policy; senders that cached one keep it until max_age.
			dc.add(d.Domain, &driftItem{Kind: "MTA-STS policy", Name: url, Expected: want,
				Message: "the policy could not be fetched (" + results[i].err + "), so senders without a cached policy apply none", Fix: fix}, by)
			continue
		}
		served, err := mtasts.ParsePolicy(results[i].text)
		if err != nil {
			dc.add(d.Domain, &driftItem{Kind: "MTA-STS policy", Name: url, Expected: want, Live: []string{strings.TrimSpace(results[i].text)},
				Message: fmt.Sprintf("the served policy is not a valid MTA-STS policy (%v), so senders apply none (RFC 8461 section 3.3)", err), Fix: fix}, by)
			continue
		}
		if diffs := served.Differences(compiled); len(diffs) > 0 {
			// Only the lines that differ: the rest is noise in a report.
			got := driftPolicyLines(served)
			expected := slices.DeleteFunc(slices.Clone(want), func(l string) bool { return slices.Contains(got, l) })
			live := slices.DeleteFunc(got, func(l string) bool { return slices.Contains(want, l) })
			dc.add(d.Domain, &driftItem{Kind: "MTA-STS policy", Name: url, Expected: expected, Live: live,
				Message: "the served policy differs from mailconf's in " + strings.Join(diffs, ", "), Fix: fix}, by)
		}
	}
}

// driftPolicyLines are a policy's fields as senders read them, one per line,
// without the line endings and order that do not matter.
func driftPolicyLines(p *mtasts.Policy) []string {
	out := []string{"mode: " + string(p.Mode), "max_age: " + strconv.Itoa(int(p.MaxAge))}
	for _, mx := range p.MX {
		out = append(out, "mx: "+mx)
	}
	return out
}

// spf runs lint's live checks and keeps what SPF's expansion through
// every include finds: the includes are other people's records, and
// change without any apply.
func (dc *driftCollector) spf(ctx context.Context, r *resolve.Client) {
	report := lint.Run(ctx, dc.run.cfg, dc.run.desired, lint.Options{Resolver: r, Now: dc.e.now()})
	for _, f := range report.Findings {
		if !strings.HasPrefix(f.Code, "spf-") || f.Severity != lint.Error {
			continue
		}
		if f.Code == "spf-lookup-failed" {
			dc.fail(f.Domain, checkSPF, "%s", f.Message)
			continue
		}
		name, typ, _ := strings.Cut(f.Record, " ")
		msg := f.Message
		if f.RFC != "" {
			msg += " (" + f.RFC + ")"
		}
		dc.add(f.Domain, &driftItem{Kind: "SPF", Name: name, Type: typ, Message: msg,
			Fix: driftCommand("mailconf", "lint", "-c", dc.dir, "--explain-spf", f.Domain) + " shows where the lookups come from; flatten the record (spf { flatten = \"auto\" }) or drop an include, then " + dc.applyFix(f.Domain)},
			driftFinder{Check: checkSPF, Code: f.Code})
	}
}

// finish sorts a domain's items, gathers its fixes and says since when.
func (dc *driftCollector) finish(dd *driftDomain) {
	slices.SortStableFunc(dd.Items, func(a, b *driftItem) int {
		return strings.Compare(a.Kind+" "+a.Name+" "+a.Type, b.Kind+" "+b.Name+" "+b.Type)
	})
	inPlan := map[string]bool{}
	for _, it := range dd.Items {
		if it.foundBy(checkPlan) {
			inPlan[it.Name+" "+it.Type] = true
		}
	}
	for _, it := range dd.Items {
		// A server serving other records than the provider holds, where
		// the provider's are right: its zone transfers lag, and applying
		// would change nothing.
		if it.FoundBy[0].Check == checkPropagation && !inPlan[it.Name+" "+it.Type] {
			it.Fix = "the provider holds the configured records: check that the servers named load the zone from it (NOTIFY, zone transfers), then run mailconf drift again"
		}
		if !slices.Contains(dd.Fix, it.Fix) {
			dd.Fix = append(dd.Fix, it.Fix)
		}
	}
	switch {
	case len(dd.Items) > 0:
		dd.Status = "drift"
		dd.Since = dc.since(dd)
	case len(dd.Errors) > 0:
		dd.Status = "error"
	default:
		dd.Status = "ok"
	}
}

func (dc *driftCollector) planFound(dd *driftDomain) bool {
	return slices.ContainsFunc(dd.Items, func(it *driftItem) bool { return it.foundBy(checkPlan) })
}

// since says when the drift began, as far as the provider can tell: a
// zone file's modification time is when the zone last changed, so drift
// found in the zone is at least that old, unless the configuration changed
// later. The SOA serial is given when the provider hands out the SOA.
// Drift found only elsewhere (on the servers, in a served policy, in
// other domains' SPF records) has no date mailconf can read.
func (dc *driftCollector) since(dd *driftDomain) *driftSince {
	s := &driftSince{Basis: "unknown"}
	if !dc.planFound(dd) {
		var checks []string
		for _, it := range dd.Items {
			for _, f := range it.FoundBy {
				if !slices.Contains(checks, f.Check) {
					checks = append(checks, f.Check)
				}
			}
		}
		slices.Sort(checks)
		s.Note = "unknown: not in the zone the provider holds; found by " + strings.Join(checks, ", ") + ", which cannot tell when it began"
		return s
	}
	for _, r := range dc.run.live.Records[dd.Zone] {
		if r.Type != "SOA" {
			continue
		}
		if f := strings.Fields(r.Data); len(f) >= 3 {
			if n, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				serial := uint32(n)
				s.SOASerial = &serial
			}
		}
	}
	if zp, ok := dc.run.clients[dd.Provider].(*zonefile.Provider); ok {
		path := filepath.Join(zp.Dir, strings.TrimSuffix(dd.Zone, ".")+".zone")
		if fi, err := os.Stat(path); err == nil {
			t := fi.ModTime().UTC().Truncate(time.Second)
			s.Time, s.Basis = &t, "zone-file-mtime"
			shown := path
			if rel, err := filepath.Rel(dc.run.cfg.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
				shown = rel
			}
			s.Note = fmt.Sprintf("%s, when %s last changed", t.Format(time.RFC3339), shown)
			if s.SOASerial != nil {
				s.Note += fmt.Sprintf(" (SOA serial %d)", *s.SOASerial)
			}
			s.Note += "; the drift in the zone is that old or older, unless the configuration changed since"
			return s
		}
	}
	if s.SOASerial != nil {
		s.Basis = "soa-serial"
		s.Note = fmt.Sprintf("unknown; the zone's SOA serial is %d, so a zone with a dated serial changed then", *s.SOASerial)
		return s
	}
	s.Note = fmt.Sprintf("unknown: %s does not say when the zone last changed", dd.Provider)
	return s
}

// applyFix puts one domain back through a saved plan, which applies only
// that domain's changes (apply itself has no --domain), and only if its
// zone did not change again in between.
func (dc *driftCollector) applyFix(domain string) string {
	file := domain + ".plan"
	return driftCommand("mailconf", "plan", "-c", dc.dir, "--domain", domain, "-out", file) + " && " + driftCommand("mailconf", "apply", "-c", dc.dir, file)
}

// driftCommand joins a command's words, quoting for a POSIX shell those
// that need it.
func driftCommand(words ...string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
			out[i] = w
		} else {
			out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// driftRecordKind names what a record is for, as operators say it.
func driftRecordKind(domain, name, typ, source string) string {
	switch {
	case typ == plan.TypeMX:
		return "MX"
	case strings.HasPrefix(name, "_dmarc.") && name == "_dmarc."+domain:
		return "DMARC"
	case strings.Contains(name, "._report._dmarc."):
		return "DMARC report authorization"
	case strings.Contains(name, "._domainkey."):
		return "DKIM"
	case strings.HasPrefix(name, "_mta-sts."):
		return "MTA-STS"
	case strings.HasPrefix(name, "_smtp._tls."):
		return "TLS-RPT"
	case strings.Contains(name, "._bimi."):
		return "BIMI"
	case name == domain && typ == plan.TypeTXT && (source == "" || strings.HasPrefix(source, "spf")):
		return "SPF"
	case strings.HasPrefix(source, "sender."):
		return "sender " + strings.TrimPrefix(source, "sender.")
	case source != "":
		return source
	}
	return "record"
}

// driftKindWord is a published check's kind as driftRecordKind says it.
func driftKindWord(kind string) string {
	switch kind {
	case "spf", "dkim", "dmarc", "bimi", "mta-sts", "tls-rpt":
		return strings.ToUpper(kind)
	}
	return kind
}

// driftColor: stdout is a terminal and NO_COLOR (https://no-color.org)
// is not set.
func driftColor(e *env) bool {
	if _, noColor := e.lookupEnv("NO_COLOR"); noColor {
		return false
	}
	f, ok := e.stdout.(*os.File)
	return ok && isTerminal(f)
}
