package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/propagation"
)

func newDKIMRotateCmd(e *env) *cobra.Command {
	var (
		cf   configFlags
		opts rotateOptions
	)
	cmd := &cobra.Command{
		Use:   "rotate DOMAIN... | --all",
		Short: "Move each DKIM key of the domains one step along its rotation",
		Long: `rotate moves every DKIM key of each DOMAIN (or of every domain, with --all)
at most one step along its life, for each family of keys (RSA and Ed25519
apart: the relay signs with one active key of each), at the time of day:

  1. a retired key whose remove_after has passed loses its dkim block, once
     the live zone no longer has a record at its selector (the plan deletes
     the revocation record after remove_after: apply it first). A retired
     key without remove_after gets one: now + the revocation period.
  2. a retiring key whose retire_after has passed becomes retired (its
     record revoked: p= empty), with remove_after = now + the revocation
     period. Before retire_after, mail signed with it may still be in
     flight, and it stays. A retiring key without retire_after gets one:
     now + the retiring period.
  3. a next key becomes active (activated = now) once the provider's zone
     has exactly its key record and every authoritative server of the
     domain serves it, as verify --no-probe checks it; the family's active
     key becomes retiring in the same run (retire_after = now + the
     retiring period), so the relay signs with the new key only.
  4. a family with none of that under way (no next, retiring or retired
     key) gets a new key: state next, created = now, a fresh selector
     ("s" + the year + the next free letter: s2026b) and its key file at
     keys/DOMAIN/SELECTOR.pem (mode 0600, never replacing a file). Its
     algorithm is --algorithm, else that of the family's active key, else
     rsa-2048; --algorithm makes a key of its family only. With --due, only
     when the active key is at least rotate_every old (max_age when
     rotate_every is not set), counted from its created time.

The periods come from the dkim_rotation block of the domain or its policy:
retiring_period and revocation_period (7d each by default), rotate_every
and max_age.

Without --write, rotate says what each step would do and shows the change
to the configuration as a diff; nothing is written and no key is made. With
--write it makes the new keys and edits the file that declares each domain,
atomically, keeping comments and layout (hclwrite's canonical whitespace).
A domain declared by a for_each block is refused (--all passes it over):
the block declares every domain of its set alike. Then run mailconf plan and apply, and rotate again
later: a whole rotation takes four runs, as the periods allow.

--nameserver asks the given authoritative servers instead of the zone's NS
records or the provider's nameservers attribute; --resolver is the DNS
server that finds the NS records and their addresses.

Exit codes: 0 every step that could be taken was (or nothing was due),
2 a step waits for the world (an apply, propagation, a period to pass),
1 an error: nothing is written then.`,
		Example: `  mailconf dkim rotate example.com
  mailconf dkim rotate example.com --write && mailconf plan
  mailconf dkim rotate --all --due --write --format json`,
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for _, d := range completeDomains(e, cf.dir, toComplete) {
				if !slices.Contains(args, d) {
					out = append(out, d)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.domains = args
			if err := opts.check(); err != nil {
				return err
			}
			res, err := dkimRotate(cmd.Context(), e, &cf, &opts)
			if err != nil {
				return err
			}
			if opts.format == "json" {
				err = writeRotateJSON(e.stdout, res)
			} else {
				err = writeRotateText(e.stdout, res, stdoutColor(e))
			}
			if err != nil {
				return err
			}
			if code := res.exitCode(); code != exitOK {
				return exitErr{code}
			}
			return nil
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "to find the authoritative name servers")
	cmd.Flags().BoolVar(&opts.all, "all", false, "rotate the keys of every domain of the configuration")
	cmd.Flags().StringVar(&opts.algorithm, "algorithm", "", "`ALGORITHM` of new keys: rsa-2048, rsa-3072 or ed25519 (default: that of the family's active key, else rsa-2048)")
	cmd.Flags().BoolVar(&opts.write, "write", false, "make the new keys and edit the configuration (default: only show what would change)")
	cmd.Flags().BoolVar(&opts.due, "due", false, "start a new rotation only where the active key is at least rotate_every (or max_age) old")
	cmd.Flags().StringVar(&opts.format, "format", "text", "output `FORMAT`: text or json")
	cmd.Flags().StringSliceVar(&opts.nameservers, "nameserver", nil, "ask this authoritative server `HOST:PORT` instead of the zone's NS records or the provider's nameservers (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("algorithm", completeAlgorithms)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

type rotateOptions struct {
	domains     []string
	all         bool
	algorithm   string
	write, due  bool
	format      string
	nameservers []string
}

func (o *rotateOptions) check() error {
	switch {
	case o.all && len(o.domains) > 0:
		return errors.New("give domains or --all, not both")
	case !o.all && len(o.domains) == 0:
		return errors.New("name the domains whose keys to rotate, or give --all")
	case o.format != "text" && o.format != "json":
		return fmt.Errorf("--format must be text or json, not %q", o.format)
	}
	if o.algorithm != "" {
		if err := checkKeygenFlags(o.algorithm, "", "text"); err != nil {
			return err
		}
	}
	return nil
}

// Outcomes of a step.
const (
	// outcomeStep: the step is taken (with --write) or would be.
	outcomeStep = "step"
	// outcomeRefused: the step waits for the world: an apply, propagation,
	// a period to pass. Exit 2.
	outcomeRefused = "refused"
	// outcomeSkipped: nothing is due; said for --due and parked domains.
	outcomeSkipped = "skipped"
	// outcomeError: rotate cannot take the step. Exit 1.
	outcomeError = "error"
)

// Actions of a step, as the JSON view names them.
const (
	actionActivate     = "activate"       // next -> active
	actionStartRetire  = "start_retiring" // active -> retiring
	actionRetire       = "retire"         // retiring -> retired
	actionRemove       = "remove"         // the block of a retired key goes
	actionRetireAfter  = "set_retire_after"
	actionRemoveAfter  = "set_remove_after"
	actionGenerate     = "generate" // a new next key
	actionWait         = "wait"     // a refused step
	actionNothing      = "none"     // skipped
	actionRefuseDomain = "refuse_domain"
)

// rotateStep is one step of one key, or why it is not taken.
type rotateStep struct {
	Domain   string `json:"domain"`
	Family   string `json:"family,omitempty"`
	Selector string `json:"selector,omitempty"`
	Action   string `json:"action"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Outcome  string `json:"outcome"`
	Message  string `json:"message"`
	// Set are the attributes the step writes to the key's block, in order.
	Set []rotateAttr `json:"set,omitempty"`
	// Waiting are the authoritative servers that do not serve the next
	// key yet.
	Waiting []string `json:"waiting_for,omitempty"`
	// Algorithm and KeyFile describe a new key (generate).
	Algorithm string `json:"algorithm,omitempty"`
	KeyFile   string `json:"key_file,omitempty"`
	// path is where the new key's file goes.
	path string
}

type rotateAttr struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// rotateDomain is what rotate does to one domain.
type rotateDomain struct {
	d     *schema.Domain
	Name  string        `json:"domain"`
	File  string        `json:"file,omitempty"`
	Steps []*rotateStep `json:"steps"`
}

// rotateFile is one configuration file rotate edits.
type rotateFile struct {
	Path    string `json:"path"`
	Diff    string `json:"diff"`
	Written bool   `json:"written"`
	// Relaid: the file was not in canonical layout, and writing it puts
	// all of it in that layout.
	Relaid bool `json:"relaid,omitempty"`
	before []byte
	after  []byte
	keys   []*rotateStep
}

type rotateResult struct {
	Now     time.Time       `json:"now"`
	Write   bool            `json:"write"`
	Domains []*rotateDomain `json:"domains"`
	Files   []*rotateFile   `json:"files"`
	// Error is why the edits could not be written, when they could not.
	Error string `json:"error,omitempty"`
}

func (r *rotateResult) count(outcome string) int {
	n := 0
	for _, d := range r.Domains {
		for _, s := range d.Steps {
			if s.Outcome == outcome {
				n++
			}
		}
	}
	return n
}

func (r *rotateResult) exitCode() int {
	switch {
	case r.Error != "" || r.count(outcomeError) > 0:
		return exitError
	case r.count(outcomeRefused) > 0:
		return exitChanges
	}
	return exitOK
}

// rotation is one run of rotate: what it knows of the world.
type rotation struct {
	e    *env
	opts *rotateOptions
	now  time.Time
	cfg  *schema.Config
	// desired are the compiled records of the domains rotated.
	desired *plan.Desired
	live    plan.Live
	// served: the next keys' record sets every authoritative server
	// serves, by record name; lagging names the servers that do not.
	served  map[string]bool
	lagging map[string][]string
	// propErr is why propagation could not be checked, by domain.
	propErr map[string]error
}

func dkimRotate(ctx context.Context, e *env, cf *configFlags, opts *rotateOptions) (*rotateResult, error) {
	cfg, desired, err := cf.load(e)
	if err != nil {
		return nil, err
	}
	r := &rotation{e: e, opts: opts, now: e.now().UTC().Truncate(time.Second), cfg: cfg}
	res := &rotateResult{Now: r.now, Write: opts.write}

	var domains []*schema.Domain
	if opts.all {
		domains = cfg.Domains
	} else {
		seen := map[string]bool{}
		for _, arg := range opts.domains {
			name, bad := schema.NormalizeDomain(arg)
			if bad != "" {
				return nil, fmt.Errorf("%q %s", arg, bad)
			}
			d, err := rotateDomainNamed(cfg, name, arg)
			if err != nil {
				return nil, err
			}
			if !seen[d.Name] {
				seen[d.Name] = true
				domains = append(domains, d)
			}
		}
	}

	// The domains whose keys can move, and their records.
	r.desired = &plan.Desired{Now: desired.Now}
	for _, d := range domains {
		rd := &rotateDomain{d: d, Name: d.Name, File: d.DeclRange.Filename}
		res.Domains = append(res.Domains, rd)
		switch {
		case d.Parked:
			rd.Steps = append(rd.Steps, &rotateStep{Domain: d.Name, Action: actionNothing, Outcome: outcomeSkipped,
				Message: "parked: it sends no mail and has no DKIM key to rotate"})
		case d.EachKey != "":
			// Named, the domain is an error; with --all it is left out,
			// so that one for_each block does not hold back every other
			// domain's rotation.
			outcome := outcomeError
			if opts.all {
				outcome = outcomeSkipped
			}
			rd.Steps = append(rd.Steps, &rotateStep{Domain: d.Name, Action: actionRefuseDomain, Outcome: outcome,
				Message: fmt.Sprintf("declared by the for_each block at %s, which declares every domain of its set alike, so rotate cannot edit the keys of %s alone. Rotate the set's keys by hand (mailconf dkim keygen prints the blocks), or move %s into a domain %q block of its own", at(d.DeclRange), d.Name, d.Name, d.Name)})
		default:
			if dr := desired.Domain(d.Name); dr != nil {
				r.desired.Domains = append(r.desired.Domains, dr)
			}
		}
	}
	if r.needsWorld() {
		if err := r.readWorld(ctx, cf); err != nil {
			return nil, err
		}
	}
	for _, rd := range res.Domains {
		if len(rd.Steps) == 0 {
			rd.Steps = r.domainSteps(rd.d)
		}
	}
	if err := r.edit(res); err != nil {
		return nil, err
	}
	if opts.write && res.exitCode() != exitError {
		if err := r.write(res); err != nil {
			res.Error = err.Error()
		}
	}
	return res, nil
}

// rotateDomainNamed finds a domain named on the command line.
func rotateDomainNamed(cfg *schema.Config, name, given string) (*schema.Domain, error) {
	var names []string
	for _, d := range cfg.Domains {
		if d.Name == name {
			return d, nil
		}
		names = append(names, d.Name)
	}
	msg := fmt.Sprintf("domain %q is not declared in the configuration %s.", given, cfg.Dir)
	if s := closest(name, names); s != "" {
		msg += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(names) > 0 && len(names) <= 10 {
		msg += " It declares " + strings.Join(names, ", ") + "."
	}
	return nil, errors.New(msg)
}

// needsWorld reports whether a step depends on the live zones: a next key
// to promote, or a retired key past its remove_after. A run that only makes
// keys or moves them along their periods reads no zone, so it works before
// a domain's zone exists.
func (r *rotation) needsWorld() bool {
	for _, dr := range r.desired.Domains {
		for _, k := range r.domain(dr.Domain).DKIM {
			switch k.StateOr() {
			case schema.DKIMNext:
				return true
			case schema.DKIMRetired:
				if k.RemoveAfter.Set && !r.now.Before(k.RemoveAfter.Value) {
					return true
				}
			}
		}
	}
	return false
}

// readWorld reads the live zones of the domains and, for each next key the
// provider publishes exactly, asks every authoritative server whether it
// serves it.
func (r *rotation) readWorld(ctx context.Context, cf *configFlags) error {
	clients, providerNS, err := buildProviders(r.e, r.cfg)
	if err != nil {
		return err
	}
	r.live, err = plan.ReadLive(ctx, r.desired, clients, plan.ReadOptions{})
	if err != nil {
		return err
	}
	// The next keys the zone has as they should be: only they can be
	// propagated.
	check := &plan.Desired{}
	for _, dr := range r.desired.Domains {
		d := r.domain(dr.Domain)
		var sets []*plan.RecordSet
		for _, fam := range families(d, "") {
			if k := firstNext(fam.keys); k != nil {
				if set := dr.Set(dkim.Name(k.Selector, d.Name), plan.TypeTXT); set != nil && r.publishedExactly(d, set) {
					sets = append(sets, set)
				}
			}
		}
		if len(sets) > 0 {
			check.Domains = append(check.Domains, &plan.DomainRecords{Domain: dr.Domain, Zone: dr.Zone, Provider: dr.Provider, Sets: sets})
		}
	}
	r.served, r.lagging, r.propErr = map[string]bool{}, map[string][]string{}, map[string]error{}
	if len(check.Domains) == 0 {
		return nil
	}
	return r.checkPropagation(ctx, cf, check, clients, providerNS)
}

// checkPropagation asks each authoritative server once, as verify
// --no-probe does, without waiting: rotate tells, and a later run acts.
func (r *rotation) checkPropagation(ctx context.Context, cf *configFlags, check *plan.Desired, clients map[string]providers.Client, providerNS map[string][]string) error {
	res, err := newResolver(cf.resolver)
	if err != nil {
		return err
	}
	zones := map[string]string{}
	for _, dr := range check.Domains {
		zones[dr.Domain] = r.live.Zones[dr.Domain]
	}
	opts := propagation.Options{Resolver: res, Exchange: res.Exchange, Nameservers: map[string][]string{}}
	for _, dr := range check.Domains {
		if ns := providerNS[dr.Provider]; len(ns) > 0 {
			opts.Nameservers[zones[dr.Domain]] = ns
		}
		if len(r.opts.nameservers) > 0 {
			opts.Nameservers[zones[dr.Domain]] = r.opts.nameservers
		}
	}
	status, err := propagation.Check(ctx, check, zones, opts)
	if status == nil {
		return err
	}
	for _, dres := range status.Domains {
		if dres.Err != nil {
			r.propErr[dres.Domain] = dres.Err
			continue
		}
		dr := check.Domain(dres.Domain)
		for _, set := range dr.Sets {
			r.served[set.Name] = true
		}
		for _, srv := range dres.Servers {
			for _, set := range dr.Sets {
				lags := srv.Err != nil || slices.ContainsFunc(srv.Lagging, func(m propagation.Mismatch) bool { return m.Name == set.Name })
				if lags {
					r.served[set.Name] = false
					r.lagging[set.Name] = append(r.lagging[set.Name], serverLabel(srv))
				}
			}
		}
	}
	return nil
}

// serverLabel names a server as verify does, with why it lags when it
// could not be asked.
func serverLabel(s propagation.ServerState) string {
	name := s.Server
	if s.NS != "" && s.NS != s.Server {
		name = s.NS + " (" + s.Server + ")"
	}
	if s.Err != nil {
		name += ": " + s.Err.Error()
	}
	return name
}

func (r *rotation) domain(name string) *schema.Domain {
	for _, d := range r.cfg.Domains {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// liveAt returns the live records of d's zone at name.
func (r *rotation) liveAt(d *schema.Domain, name string) []plan.Record {
	var out []plan.Record
	for _, rec := range r.live.Records[r.live.Zones[d.Name]] {
		if rec.Name == name {
			out = append(out, rec)
		}
	}
	return out
}

// publishedExactly: the zone has the set's record at its name, and nothing
// else there.
func (r *rotation) publishedExactly(d *schema.Domain, set *plan.RecordSet) bool {
	recs := r.liveAt(d, set.Name)
	if len(recs) != len(set.Values) || len(recs) == 0 {
		return false
	}
	for _, rec := range recs {
		if rec.Type != set.Type || !slices.Contains(set.Values, rec.Data) {
			return false
		}
	}
	return true
}

// family is the keys of one family of a domain, in the order declared.
type family struct {
	name string
	keys []*schema.DKIMKey
}

// families groups d's keys by family, RSA first. The family of algorithm,
// when given, is there even without keys; a domain without keys has the
// RSA family, in which rotate makes its first key.
func families(d *schema.Domain, algorithm string) []*family {
	var out []*family
	get := func(name string) *family {
		for _, f := range out {
			if f.name == name {
				return f
			}
		}
		f := &family{name: name}
		out = append(out, f)
		return f
	}
	for _, k := range d.DKIM {
		get(k.KeyFamily()).keys = append(get(k.KeyFamily()).keys, k)
	}
	if algorithm != "" {
		get(algorithmFamily(algorithm))
	}
	if len(out) == 0 {
		get("rsa")
	}
	slices.SortStableFunc(out, func(a, b *family) int {
		switch {
		case a.name == b.name:
			return 0
		case a.name == "rsa":
			return -1
		case b.name == "rsa":
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

func algorithmFamily(alg string) string {
	if strings.HasPrefix(alg, "rsa") {
		return "rsa"
	}
	return alg
}

func firstNext(keys []*schema.DKIMKey) *schema.DKIMKey {
	for _, k := range keys {
		if k.StateOr() == schema.DKIMNext {
			return k
		}
	}
	return nil
}

// domainSteps decides the steps of d's keys, family by family.
func (r *rotation) domainSteps(d *schema.Domain) []*rotateStep {
	var steps []*rotateStep
	// Selectors this run gives new keys, so that two families do not pick
	// the same one.
	taken := map[string]bool{}
	for _, fam := range families(d, r.opts.algorithm) {
		steps = append(steps, r.familySteps(d, fam, taken)...)
	}
	return steps
}

func (r *rotation) familySteps(d *schema.Domain, fam *family, taken map[string]bool) []*rotateStep {
	rot := d.DKIMRotation
	var steps []*rotateStep
	step := func(k *schema.DKIMKey, action, outcome, format string, args ...any) *rotateStep {
		s := &rotateStep{Domain: d.Name, Family: fam.name, Action: action, Outcome: outcome, Message: fmt.Sprintf(format, args...)}
		if k != nil {
			s.Selector = k.Selector
		}
		steps = append(steps, s)
		return s
	}
	underWay := false
	var active, next *schema.DKIMKey
	for _, k := range fam.keys {
		switch k.StateOr() {
		case schema.DKIMRetired:
			underWay = true
			switch {
			case !k.RemoveAfter.Set:
				until := r.now.Add(rot.Revocation())
				s := step(k, actionRemoveAfter, outcomeStep, "%s is retired but has no remove_after: its revocation record stays published for the revocation period (%s), until %s, then the plan deletes it", k.Selector, schema.FormatDuration(rot.Revocation()), humanTime(until))
				s.Set = []rotateAttr{{"remove_after", timestamp(until)}}
			case r.now.Before(k.RemoveAfter.Value):
				step(k, actionWait, outcomeRefused, "%s is revoked; its revocation record stays published until %s (in %s), so that receivers holding the key learn it is revoked; then the plan deletes the record and a later rotate removes the block", k.Selector, humanTime(k.RemoveAfter.Value), humanDuration(k.RemoveAfter.Value.Sub(r.now)))
			case len(r.liveAt(d, dkim.Name(k.Selector, d.Name))) > 0:
				step(k, actionWait, outcomeRefused, "apply the plan first: it deletes the revocation record of %s (%s)", k.Selector, dkim.Name(k.Selector, d.Name))
			default:
				s := step(k, actionRemove, outcomeStep, "%s: retired, and the zone no longer has a record at %s: its dkim block goes", k.Selector, dkim.Name(k.Selector, d.Name))
				s.From = schema.DKIMRetired
				if k.Path != "" {
					s.Message += fmt.Sprintf(". Its key file %s stays: rotate never deletes a key; delete it when nothing needs it", k.KeyFile.Value)
				}
			}
		case schema.DKIMRetiring:
			underWay = true
			switch {
			case !k.RetireAfter.Set:
				until := r.now.Add(rot.Retiring())
				s := step(k, actionRetireAfter, outcomeStep, "%s is retiring but has no retire_after: it retires after the retiring period (%s), at %s", k.Selector, schema.FormatDuration(rot.Retiring()), humanTime(until))
				s.Set = []rotateAttr{{"retire_after", timestamp(until)}}
			case r.now.Before(k.RetireAfter.Value):
				step(k, actionWait, outcomeRefused, "%s retires after %s (in %s): mail signed with it may still be in flight", k.Selector, humanTime(k.RetireAfter.Value), humanDuration(k.RetireAfter.Value.Sub(r.now)))
			default:
				until := r.now.Add(rot.Revocation())
				s := step(k, actionRetire, outcomeStep, "%s: retiring → retired: the plan revokes its key (an empty p=) and keeps the revocation published until remove_after, %s", k.Selector, humanTime(until))
				s.From, s.To = schema.DKIMRetiring, schema.DKIMRetired
				s.Set = []rotateAttr{{"state", schema.DKIMRetired}, {"remove_after", timestamp(until)}}
			}
		case schema.DKIMNext:
			underWay = true
			if next == nil {
				next = k
			} else {
				step(k, actionWait, outcomeRefused, "%s stays next: one key of a family becomes active at a time, %s first", k.Selector, next.Selector)
			}
		case schema.DKIMActive:
			if active == nil {
				active = k
			}
		}
	}
	if next != nil {
		r.promote(d, fam, next, active, step)
		return steps
	}
	if underWay {
		return steps
	}
	r.generate(d, fam, active, taken, step, func(s *rotateStep) { steps = append(steps, s) })
	return steps
}

type stepFunc func(k *schema.DKIMKey, action, outcome, format string, args ...any) *rotateStep

// promote makes next active and active retiring, once the world serves
// next's key.
func (r *rotation) promote(d *schema.Domain, fam *family, next, active *schema.DKIMKey, step stepFunc) {
	name := dkim.Name(next.Selector, d.Name)
	dr := r.desired.Domain(d.Name)
	var set *plan.RecordSet
	if dr != nil {
		set = dr.Set(name, plan.TypeTXT)
	}
	switch {
	case set == nil:
		step(next, actionWait, outcomeError, "%s has no key record to publish (its key file did not load), so it cannot become active", next.Selector)
		return
	case !r.publishedExactly(d, set):
		if len(r.liveAt(d, name)) == 0 {
			step(next, actionWait, outcomeRefused, "%s is not in the zone yet: apply the plan first", next.Selector)
		} else {
			step(next, actionWait, outcomeRefused, "the zone has another record at %s than %s's key: apply the plan first", name, next.Selector)
		}
		return
	case r.propErr[d.Name] != nil:
		step(next, actionWait, outcomeError, "%s is in the zone, but rotate could not ask the authoritative servers of %s: %s. Give them with --nameserver or the provider's nameservers attribute, or --resolver to find them", next.Selector, d.Name, r.propErr[d.Name])
		return
	case !r.served[name]:
		waiting := r.lagging[name]
		msg := fmt.Sprintf("%s is in the zone", next.Selector)
		if next.Created.Set {
			msg = fmt.Sprintf("%s was published %s ago", next.Selector, humanDuration(r.now.Sub(next.Created.Value)))
		}
		s := step(next, actionWait, outcomeRefused, "%s; it becomes active after propagation is verified: run verify or wait. Not serving it yet: %s", msg, strings.Join(waiting, ", "))
		s.Waiting = waiting
		return
	}
	s := step(next, actionActivate, outcomeStep, "%s: next → active: every authoritative server serves its key, and the relay signs with it", next.Selector)
	s.From, s.To = schema.DKIMNext, schema.DKIMActive
	s.Set = []rotateAttr{{"state", schema.DKIMActive}, {"activated", timestamp(r.now)}}
	if active != nil {
		until := r.now.Add(d.DKIMRotation.Retiring())
		s := step(active, actionStartRetire, outcomeStep, "%s: active → retiring: the relay stops signing with it; its key stays published until retire_after, %s, for mail in flight", active.Selector, humanTime(until))
		s.From, s.To = schema.DKIMActive, schema.DKIMRetiring
		s.Set = []rotateAttr{{"state", schema.DKIMRetiring}, {"retire_after", timestamp(until)}}
	}
}

// generate makes the family's next key, when one is due.
func (r *rotation) generate(d *schema.Domain, fam *family, active *schema.DKIMKey, taken map[string]bool, step stepFunc, add func(*rotateStep)) {
	if r.opts.algorithm != "" && algorithmFamily(r.opts.algorithm) != fam.name {
		return // --algorithm makes keys of its own family only
	}
	if r.opts.due {
		every := d.DKIMRotation.Every()
		switch {
		case active == nil:
			step(nil, actionNothing, outcomeSkipped, "no active %s key, so no rotation is due; run rotate without --due to make one", strings.ToUpper(fam.name))
			return
		case every == 0:
			step(active, actionNothing, outcomeSkipped, "--due: no rotate_every or max_age in a dkim_rotation block, so no rotation of %s is ever due", active.Selector)
			return
		case !active.Created.Set:
			step(active, actionNothing, outcomeSkipped, "--due cannot tell the age of %s: it has no created time. Add created to its block, or run rotate without --due", active.Selector)
			return
		case r.now.Sub(active.Created.Value) < every:
			due := active.Created.Value.Add(every)
			step(active, actionNothing, outcomeSkipped, "%s is %s old; its rotation is due at %s (rotate_every %s), in %s", active.Selector, humanDuration(r.now.Sub(active.Created.Value)), humanTime(due), schema.FormatDuration(every), humanDuration(due.Sub(r.now)))
			return
		}
	}
	alg := r.opts.algorithm
	if alg == "" {
		alg = keyAlgorithmOf(active)
	}
	sel, err := r.freshSelector(d, taken)
	if err != nil {
		step(nil, actionGenerate, outcomeError, "%s", err)
		return
	}
	taken[sel] = true
	keyFile := path.Join(keyDir, d.Name, sel+".pem")
	p := filepath.Join(r.cfg.Dir, filepath.FromSlash(keyFile))
	why := ""
	if r.opts.due {
		why = fmt.Sprintf(" (%s is %s old: rotate_every is %s)", active.Selector, humanDuration(r.now.Sub(active.Created.Value)), schema.FormatDuration(d.DKIMRotation.Every()))
	}
	add(&rotateStep{
		Domain: d.Name, Family: fam.name, Selector: sel, Action: actionGenerate, To: schema.DKIMNext, Outcome: outcomeStep,
		Algorithm: alg, KeyFile: keyFile, path: p,
		Message: fmt.Sprintf("%s: a new %s key, state next%s; the next apply publishes it, and rotate makes it active once every authoritative server serves it. Key file %s (mode 0600)", sel, alg, why, keyFile),
		Set:     []rotateAttr{{"algorithm", alg}, {"key_file", keyFile}, {"state", schema.DKIMNext}, {"created", timestamp(r.now)}},
	})
}

// keyAlgorithmOf is the algorithm of a new key replacing k: k's own when
// keygen makes such keys, the nearest stronger one otherwise.
func keyAlgorithmOf(k *schema.DKIMKey) string {
	if k == nil {
		return dkim.AlgorithmRSA2048
	}
	if k.KeyFamily() == dkim.AlgorithmEd25519 {
		return dkim.AlgorithmEd25519
	}
	bits := 0
	if pub, ok := k.PublicKey.(*rsa.PublicKey); ok {
		bits = pub.N.BitLen()
	} else if _, b, ok := strings.Cut(k.Algorithm.Value, "-"); ok {
		fmt.Sscan(b, &bits)
	}
	if bits > 2048 {
		return dkim.AlgorithmRSA3072
	}
	return dkim.AlgorithmRSA2048
}

// freshSelector is "s" + the year + the first letter that gives a selector
// the domain does not use: not declared, not published by a sender, not in
// the live zone, not given to another key in this run, and without a file
// at its key file's place. That file is most often the key of a block an
// earlier rotation removed: a selector is not used twice, so that reports
// and caches that still name the old key never meet the new one.
func (r *rotation) freshSelector(d *schema.Domain, taken map[string]bool) (string, error) {
	used := map[string]bool{}
	for _, k := range d.DKIM {
		used[k.Selector] = true
	}
	suffix := "._domainkey." + d.Name
	if dr := r.desired.Domain(d.Name); dr != nil {
		for _, rs := range dr.Sets {
			if s, ok := strings.CutSuffix(rs.Name, suffix); ok {
				used[s] = true
			}
		}
	}
	for _, rec := range r.live.Records[r.live.Zones[d.Name]] {
		if s, ok := strings.CutSuffix(rec.Name, suffix); ok {
			used[s] = true
		}
	}
	prefix := fmt.Sprintf("s%d", r.now.Year())
	for c := 'a'; c <= 'z'; c++ {
		sel := prefix + string(c)
		if used[sel] || taken[sel] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(r.cfg.Dir, keyDir, d.Name, sel+".pem")); err == nil {
			continue
		}
		return sel, nil
	}
	return "", fmt.Errorf("every selector from %sa to %sz is used by %s; make the key with mailconf dkim keygen %s SELECTOR", prefix, prefix, d.Name, d.Name)
}

// humanTime writes a time for people: "2026-12-13 11:00 UTC".
func humanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// humanDuration writes a length of time to the hour, or to the minute
// under a day: "6 d 23 h", "2 h", "2 h 5 min", "40 min".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		return fmt.Sprintf("%d d", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	case mins > 0:
		return fmt.Sprintf("%d min", mins)
	}
	return "less than a minute"
}
