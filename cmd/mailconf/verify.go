package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/lab"
	"github.com/mailconf/mailconf/verify/probe"
	"github.com/mailconf/mailconf/verify/propagation"
	"github.com/mailconf/mailconf/verify/published"
	"github.com/mailconf/mailconf/verify/receiver"
)

func newVerifyCmd(e *env) *cobra.Command {
	var cf configFlags
	var timeout time.Duration
	var noProbe, useLab bool
	var format string
	var nameservers []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove that every authoritative name server serves the configured records, and that they evaluate as intended",
		Long: `verify finds each domain's authoritative name servers (the zone's NS records
and their addresses, a provider's nameservers attribute, or the servers given
with --nameserver), asks each of them directly, without recursion, for every
record set mailconf owns, and compares the answers with the configuration. It polls with backoff until all agree or
--timeout passes, and names the servers that lag and what they still serve.
Then it evaluates the served records as a receiver would: SPF check_host for
every address the configuration declares for a domain, each active DKIM key
published and equal to the configured private key, the DMARC policy found by
RFC 9989's tree walk, and the BIMI, MTA-STS and TLS-RPT records readable.
Last, each domain with an active DKIM key sends a probe as the probe block
says: through a running relay (or the relay block's, run in-process) to a
mailconf probe receiver or a real mailbox read over IMAP. SPF, every active
key's DKIM signature and DMARC must pass.

With --lab, everything runs offline on loopback: the zones as the providers
hold them are served by an in-process DNS server, and the probes go through
mailconf's relay (the relay block) to an in-process receiver, which sees the
relay at its first relay.addresses entry. --no-probe skips the probes.

Exit codes: 0 all verified, 2 something failed verification, 1 could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" && format != "markdown" {
				return fmt.Errorf("--format must be text, json or markdown, not %q", format)
			}
			ctx := cmd.Context()
			cfg, desired, err := cf.load(e)
			if err != nil {
				return err
			}
			if !noProbe && !useLab && cfg.Probe == nil {
				return errors.New("verify sends each domain's probe as the probe block says: add a probe block, or use --lab (offline) or --no-probe (propagation and published records only)")
			}
			if err := cf.complete(ctx, e, desired); err != nil {
				return err
			}
			clients, providerNS, err := buildProviders(e, cfg)
			if err != nil {
				return err
			}
			if !useLab {
				keepServedMTASTSIDs(ctx, e, desired, func(ctx context.Context) (plan.Live, error) {
					return plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
				})
			}
			return runVerify(ctx, e, cf.resolver, verifyOptions{timeout: timeout, format: format, nameservers: nameservers, providerNS: providerNS, lab: useLab && !noProbe, probe: !useLab && !noProbe}, cfg, desired, clients)
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "to find name servers")
	cmd.Flags().DurationVar(&timeout, "timeout", propagation.DefaultTimeout, "how long to wait for every server to agree")
	cmd.Flags().BoolVar(&noProbe, "no-probe", false, "check propagation only, without sending a probe message")
	cmd.Flags().BoolVar(&useLab, "lab", false, "run offline: serve the zones as the providers hold them from an in-process DNS server, and send each domain's probe through mailconf's relay to an in-process receiver")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text, json or markdown")
	cmd.Flags().StringSliceVar(&nameservers, "nameserver", nil, "ask this authoritative server `HOST:PORT` instead of the zone's NS records or the provider's nameservers (repeatable)")
	return cmd
}

type verifyOptions struct {
	timeout     time.Duration
	format      string
	nameservers []string
	// providerNS are the providers' nameservers attributes, by address:
	// asked instead of the NS records of their zones.
	providerNS map[string][]string
	lab        bool
	// probe sends probes as the probe block says (outside the lab).
	probe bool
}

// judge checks a receiver's verdict on a domain's probe: SPF pass, every
// active selector's signature passing, DMARC pass.
func judge(c *published.Check, selectors []string, v *receiver.Verdict) {
	var problems []string
	if v.SPF.Result != "pass" {
		problems = append(problems, fmt.Sprintf("SPF %s for %s (%s)", v.SPF.Result, v.SPF.Domain, v.SPF.Explanation))
	}
	passed := map[string]bool{}
	for _, dk := range v.DKIM {
		if dk.Result == "pass" && dk.Domain == c.Domain {
			passed[dk.Selector] = true
		}
	}
	for _, sel := range selectors {
		if !passed[sel] {
			problems = append(problems, fmt.Sprintf("no passing DKIM signature with selector %s", sel))
		}
	}
	if v.DMARC.Result != "pass" {
		problems = append(problems, fmt.Sprintf("DMARC %s (SPF aligned %v, DKIM aligned %v)", v.DMARC.Result, v.DMARC.SPFAligned, v.DMARC.DKIMAligned))
	}
	if len(problems) == 0 {
		c.OK, c.Result = true, "pass"
		c.Message = fmt.Sprintf("probe: SPF pass, DKIM pass (%s), DMARC pass (policy %s)", strings.Join(selectors, ", "), v.DMARC.Policy)
		return
	}
	c.Result = "fail"
	c.Message = "probe: " + strings.Join(problems, "; ")
}

// judgeMailbox checks what a mailbox provider wrote in its
// Authentication-Results about a domain's probe, by the rules judge
// applies to mailconf's own receiver: SPF pass, a passing signature of the
// domain for every active selector, DMARC pass. A provider that names no
// selector (header.s is optional, RFC 8601 section 2.7.1) cannot tell the
// keys apart: one passing signature of the domain stands for all of them,
// and the message says so.
func judgeMailbox(c *published.Check, selectors []string, v *probe.MailboxVerdict) {
	var problems []string
	if v.SPF != "pass" {
		problems = append(problems, fmt.Sprintf("SPF %s", cmp.Or(v.SPF, "not reported")))
	}
	passed, named := map[string]bool{}, false
	for _, s := range v.Signatures {
		named = named || s.Selector != ""
		if s.Result == "pass" && s.Domain == c.Domain {
			passed[s.Selector] = true
		}
	}
	dkim := strings.Join(selectors, ", ")
	switch {
	case named:
		for _, sel := range selectors {
			if !passed[sel] {
				problems = append(problems, fmt.Sprintf("no passing DKIM signature with selector %s (%s)", sel, signatures(v.Signatures)))
			}
		}
	case !passed[""]:
		problems = append(problems, fmt.Sprintf("no passing DKIM signature of %s (%s)", c.Domain, signatures(v.Signatures)))
	default:
		dkim = "selectors not named"
	}
	if v.DMARC != "pass" {
		problems = append(problems, fmt.Sprintf("DMARC %s", cmp.Or(v.DMARC, "not reported")))
	}
	if len(problems) == 0 {
		c.OK, c.Result = true, "pass"
		c.Message = fmt.Sprintf("probe: %s says SPF pass, DKIM pass (%s), DMARC pass", v.AuthServID, dkim)
		return
	}
	c.Result = "fail"
	c.Message = fmt.Sprintf("probe: %s says %s", v.AuthServID, strings.Join(problems, "; "))
}

// signatures sums up a provider's DKIM results: "ed=pass, r2048=fail".
func signatures(sigs []probe.Signature) string {
	if len(sigs) == 0 {
		return "no signature results"
	}
	var parts []string
	for _, s := range sigs {
		name := s.Domain
		if s.Selector != "" {
			name = s.Selector + "._domainkey." + s.Domain
		}
		parts = append(parts, name+"="+s.Result)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// probeDomains are the domains that send probes: those with an active key.
func probeDomains(cfg *schema.Config) map[string][]string {
	out := map[string][]string{}
	for _, d := range cfg.Domains {
		if d.Parked {
			continue
		}
		for _, k := range d.DKIM {
			if k.StateOr() == schema.DKIMActive && k.PublicKey != nil {
				out[d.Name] = append(out[d.Name], k.Selector)
			}
		}
	}
	return out
}

// remoteProbes sends each domain's probe as the probe block says: through
// a running relay (or the relay block's relay, in-process) to a receiver
// or a real mailbox, and reads the verdict back. A failure to reach the
// relay, the receiver or the mailbox is an error: verify could not run.
func remoteProbes(ctx context.Context, e *env, cfg *schema.Config, r *resolve.Client) ([]published.Check, error) {
	pc := cfg.Probe
	var submit *probe.Submitter
	if pc.Relay != nil {
		submit = &probe.Submitter{Addr: pc.Relay.Address, Username: pc.Relay.Username, Password: pc.Relay.Password, ImplicitTLS: pc.Relay.ImplicitTLS, TLSConfig: tlsFor(pc.Relay.Address, pc.Relay.ImplicitTLS)}
	} else {
		s, stop, err := lab.StartRelay(ctx, cfg, r, "")
		if err != nil {
			return nil, err
		}
		defer stop()
		submit = s
	}
	domains := probeDomains(cfg)
	var out []published.Check
	for _, d := range cfg.Domains {
		selectors, ok := domains[d.Name]
		if !ok {
			continue
		}
		token := probeToken()
		from := pc.FromLocal + "@" + d.Name
		msg := probe.Message(d.Name, from, pc.To, token, e.now())
		c := published.Check{Domain: d.Name, Kind: "probe", Subject: from}
		pctx, cancel := context.WithTimeout(ctx, pc.Timeout)
		if _, err := submit.Submit(pctx, from, []string{pc.To}, msg); err != nil {
			cancel()
			return out, fmt.Errorf("submitting the probe of %s: %w", d.Name, err)
		}
		if pc.Receiver != nil {
			v, err := (&probe.ReceiverClient{BaseURL: pc.Receiver.URL, APIToken: pc.Receiver.APIToken, Poll: 200 * time.Millisecond}).Wait(pctx, token)
			cancel()
			if err != nil {
				return out, fmt.Errorf("waiting for the verdict on the probe of %s: %w", d.Name, err)
			}
			judge(&c, selectors, v)
		} else {
			m := &probe.Mailbox{Addr: pc.IMAP.Address, Username: pc.IMAP.Username, Password: pc.IMAP.Password, ImplicitTLS: pc.IMAP.ImplicitTLS,
				TLSConfig: tlsFor(pc.IMAP.Address, pc.IMAP.ImplicitTLS), AuthServID: pc.IMAP.AuthServID, Poll: 500 * time.Millisecond}
			v, err := m.Wait(pctx, token)
			cancel()
			if err != nil {
				return out, fmt.Errorf("reading the probe of %s back from the mailbox: %w", d.Name, err)
			}
			judgeMailbox(&c, selectors, v)
		}
		out = append(out, c)
	}
	return out, nil
}

// tlsFor is the TLS configuration for a server: verified by its host name,
// or nil (plain) for a loopback address without implicit TLS.
func tlsFor(addr string, implicit bool) *tls.Config {
	host, _, _ := net.SplitHostPort(addr)
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() && !implicit {
		return nil
	}
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

func probeToken() string {
	t, err := probe.NewToken(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return t
}

// probeChecks sends each domain's probe through the lab's relay and checks
// the receiver's verdict: SPF pass, every active key's signature passing,
// DMARC pass.
func probeChecks(ctx context.Context, l *lab.Lab, cfg *schema.Config) []published.Check {
	domains := probeDomains(cfg)
	var out []published.Check
	for _, d := range cfg.Domains {
		selectors, ok := domains[d.Name]
		if !ok {
			continue
		}
		c := published.Check{Domain: d.Name, Kind: "probe", Subject: probe.DefaultFrom(d.Name)}
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		v, err := l.Probe(pctx, d.Name)
		cancel()
		if err != nil {
			c.Result, c.Message = "error", err.Error()
			out = append(out, c)
			continue
		}
		judge(&c, selectors, v)
		out = append(out, c)
	}
	return out
}

// runVerify waits until every authoritative server serves the desired
// records, then evaluates them as a receiver would, and reports.
func runVerify(ctx context.Context, e *env, resolver string, vo verifyOptions, cfg *schema.Config, desired *plan.Desired, clients map[string]providers.Client) error {
	var r *resolve.Client
	var l *lab.Lab
	if vo.lab {
		// The lab serves the zones as the providers hold them now.
		live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
		if err != nil {
			return err
		}
		l, err = lab.Start(ctx, cfg, live.Records)
		if err != nil {
			return err
		}
		defer l.Close()
		r = l.Resolver
		vo.nameservers = []string{l.DNS.Addr()}
	} else {
		var err error
		if r, err = newResolver(resolver); err != nil {
			return err
		}
	}
	zones, err := plan.FindZones(ctx, desired, clients)
	if err != nil {
		return err
	}
	progress := newProgress(e)
	defer progress.stop()
	opts := propagation.Options{
		Resolver: r,
		Exchange: r.Exchange,
		Timeout:  vo.timeout,
		Progress: progress.update,
	}
	opts.Nameservers = map[string][]string{}
	for _, d := range desired.Domains {
		if ns := vo.providerNS[d.Provider]; len(ns) > 0 {
			opts.Nameservers[zones[d.Domain]] = ns
		}
	}
	if len(vo.nameservers) > 0 {
		for _, z := range zones {
			opts.Nameservers[z] = vo.nameservers
		}
	}
	// The lab's zones cannot change while it runs: one pass says all.
	wait := propagation.Wait
	if l != nil {
		wait = propagation.Check
	}
	status, waitErr := wait(ctx, desired, zones, opts)
	if status == nil {
		return waitErr
	}
	// Once served everywhere, the records are evaluated as a receiver
	// would: SPF for every declared sender address, the DKIM keys, the
	// DMARC policy by the tree walk.
	var checks []published.Check
	// In the lab the evaluation runs even when a record differs: it says
	// what the difference does to mail.
	if status.Verified() || l != nil {
		checks = published.Evaluate(ctx, r, cfg, desired)
		switch {
		case l != nil:
			checks = append(checks, probeChecks(ctx, l, cfg)...)
		case vo.probe:
			pcs, err := remoteProbes(ctx, e, cfg, r)
			if err != nil {
				return err
			}
			checks = append(checks, pcs...)
		}
	}
	switch vo.format {
	case "json":
		err = writeVerifyJSON(e.stdout, status, checks)
	case "markdown":
		err = writeVerifyMarkdown(e.stdout, status, checks)
	default:
		err = writeVerifyText(e.stdout, status, checks)
	}
	if err != nil {
		return err
	}
	if !status.Verified() || !allOK(checks) {
		return exitErr{exitChanges}
	}
	return nil
}

// progress reports a long wait. On a terminal it keeps a live view, one
// line per domain (which servers agree, time elapsed), redrawn every second;
// elsewhere it prints one line per change of state.
type progress struct {
	e     *env
	start time.Time
	mu    sync.Mutex
	last  *propagation.Status
	lines int
	done  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(e *env) *progress {
	p := &progress{e: e, start: e.now(), done: make(chan struct{})}
	if e.colorErr {
		p.wg.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-p.done:
					return
				case <-t.C:
					p.mu.Lock()
					p.redraw()
					p.mu.Unlock()
				}
			}
		})
	}
	return p
}

func (p *progress) update(s propagation.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.e.colorErr {
		p.last = &s
		p.redraw()
		return
	}
	if s.Done {
		return
	}
	verified := 0
	for _, d := range s.Domains {
		if d.Verified {
			verified++
		}
	}
	fmt.Fprintf(p.e.stderr, "%s  %d of %d domains verified on every authoritative server\n", p.e.now().UTC().Format("15:04:05"), verified, len(s.Domains))
}

// redraw replaces the live view; the caller holds mu.
func (p *progress) redraw() {
	if p.last == nil {
		return
	}
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.lines)
	}
	elapsed := p.e.now().Sub(p.start).Round(time.Second)
	// A fleet would not fit the screen: the domains still waiting come
	// first, at most liveLines of them, and a count of the rest.
	const liveLines = 20
	var shown []propagation.DomainResult
	verified := 0
	for _, d := range p.last.Domains {
		if d.Verified {
			verified++
		} else if len(shown) < liveLines {
			shown = append(shown, d)
		}
	}
	for _, d := range p.last.Domains {
		if d.Verified && len(shown) < liveLines {
			shown = append(shown, d)
		}
	}
	for _, d := range shown {
		agree := 0
		for _, srv := range d.Servers {
			if srv.Agrees {
				agree++
			}
		}
		state := "waiting"
		if d.Verified {
			state = "verified"
		}
		fmt.Fprintf(&b, "  %-30s %d/%d servers agree  %-8s %s\n", d.Domain, agree, len(d.Servers), state, elapsed)
	}
	fmt.Fprintf(&b, "  %d of %d domains verified on every authoritative server  %s\n", verified, len(p.last.Domains), elapsed)
	p.lines = len(shown) + 1
	io.WriteString(p.e.stderr, b.String())
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

func serverList(d propagation.DomainResult) string {
	var names []string
	for _, s := range d.Servers {
		names = append(names, s.Server)
	}
	return strings.Join(names, ", ")
}

func allOK(checks []published.Check) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func writeVerifyText(w io.Writer, s *propagation.Status, checks []published.Check) error {
	bw := &errWriter{w: w}
	verified := 0
	for _, d := range s.Domains {
		if d.Verified {
			verified++
			bw.printf("%s  verified on %s (%s)\n", d.Domain, plural(len(d.Servers), "server"), serverList(d))
			continue
		}
		bw.printf("%s  NOT verified\n", d.Domain)
		if d.Err != nil {
			bw.printf("  %s\n", d.Err)
		}
		for _, srv := range d.Servers {
			switch {
			case srv.Err != nil:
				bw.printf("  %s: %s\n", srv.Server, srv.Err)
			case !srv.Agrees:
				for _, m := range srv.Lagging {
					bw.printf("  %s serves %s %s %s, want %s\n", srv.Server, m.Name, m.Type, quoteAll(m.Got), quoteAll(m.Want))
				}
			}
		}
	}
	failed := 0
	for _, c := range checks {
		if !c.OK {
			failed++
			bw.printf("%s  %s %s: %s\n", c.Domain, c.Kind, c.Result, c.Message)
		} else if c.Kind == "probe" {
			bw.printf("%s  %s\n", c.Domain, c.Message)
		}
	}
	bw.printf("Verify: %d of %s verified on every authoritative server.\n", verified, pluralDomains(len(s.Domains)))
	if checks != nil {
		bw.printf("Published records: %d of %d checks pass as a receiver evaluates them.\n", len(checks)-failed, len(checks))
	}
	return bw.err
}

func quoteAll(vs []string) string {
	if len(vs) == 0 {
		return "nothing"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, " ") + "]"
}

type verifyJSON struct {
	Verified bool               `json:"verified"`
	Domains  []verifyDomainJSON `json:"domains"`
	// Checks are the published-record evaluations, once propagated.
	Checks []published.Check `json:"checks"`
}

type verifyDomainJSON struct {
	Domain   string             `json:"domain"`
	Zone     string             `json:"zone"`
	Verified bool               `json:"verified"`
	Error    string             `json:"error,omitempty"`
	Servers  []verifyServerJSON `json:"servers"`
}

type verifyServerJSON struct {
	Server  string                 `json:"server"`
	Agrees  bool                   `json:"agrees"`
	Error   string                 `json:"error,omitempty"`
	Lagging []propagation.Mismatch `json:"lagging,omitempty"`
}

func writeVerifyJSON(w io.Writer, s *propagation.Status, checks []published.Check) error {
	out := verifyJSON{Verified: s.Verified() && allOK(checks), Domains: []verifyDomainJSON{}, Checks: checks}
	if out.Checks == nil {
		out.Checks = []published.Check{}
	}
	for _, d := range s.Domains {
		dj := verifyDomainJSON{Domain: d.Domain, Zone: d.Zone, Verified: d.Verified, Servers: []verifyServerJSON{}}
		if d.Err != nil {
			dj.Error = d.Err.Error()
		}
		for _, srv := range d.Servers {
			sj := verifyServerJSON{Server: srv.Server, Agrees: srv.Agrees, Lagging: srv.Lagging}
			if srv.Err != nil {
				sj.Error = srv.Err.Error()
			}
			dj.Servers = append(dj.Servers, sj)
		}
		out.Domains = append(out.Domains, dj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeVerifyMarkdown(w io.Writer, s *propagation.Status, checks []published.Check) error {
	bw := &errWriter{w: w}
	passed, total := map[string]int{}, map[string]int{}
	for _, c := range checks {
		total[c.Domain]++
		if c.OK {
			passed[c.Domain]++
		}
	}
	bw.printf("### mailconf verify\n\n| domain | propagation | records and probe |\n|---|---|---|\n")
	for _, d := range s.Domains {
		state := ":white_check_mark: " + plural(len(d.Servers), "server")
		if !d.Verified {
			state = ":x: "
			var why []string
			if d.Err != nil {
				why = append(why, mdEscape(d.Err.Error()))
			}
			for _, srv := range d.Servers {
				if srv.Err != nil {
					why = append(why, mdEscape(srv.Server+": "+srv.Err.Error()))
				} else if !srv.Agrees {
					why = append(why, mdEscape(srv.Server+" lags"))
				}
			}
			state += strings.Join(why, "; ")
		}
		evaluated := "not evaluated"
		if n := total[d.Domain]; n > 0 {
			icon := ":white_check_mark:"
			if passed[d.Domain] < n {
				icon = ":x:"
			}
			evaluated = fmt.Sprintf("%s %d of %d checks pass", icon, passed[d.Domain], n)
		}
		bw.printf("| `%s` | %s | %s |\n", d.Domain, state, evaluated)
	}
	for _, c := range checks {
		if !c.OK {
			bw.printf("\n- :x: `%s` %s: %s", c.Domain, c.Kind, mdEscape(c.Message))
		}
	}
	bw.printf("\n")
	return bw.err
}
