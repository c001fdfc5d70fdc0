package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/importer"
	"github.com/mailconf/mailconf/internal/hcledit"
	"github.com/mailconf/mailconf/internal/mtastsfetch"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
)

func newImportCmd(e *env) *cobra.Command {
	var cf configFlags
	var provider, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "import DOMAIN...",
		Short: "Write the configuration that declares what live domains publish",
		Long: `import reads each domain's live zone through the configuration's provider
(or, with --resolver, asks a DNS server) and writes HCL that declares what is
there, so that mailconf plan right after it shows no changes:

  - MX records that are a catalog mailbox service's become mailbox = sender...;
    others become mx blocks; a null MX makes the domain parked.
  - SPF includes of catalog services become their senders, the other terms
    custom senders, in the record's order; a record the senders cannot say
    (exists:, ptr, redirect=, macros) is kept verbatim in spf { raw = ... }.
  - DKIM CNAMEs and return-path, bounce and tracking names of catalog services
    become those senders' parameters; a key the catalog does not explain is
    declared with published = ... (kept as it is, and not used to sign until
    key_file names its private key).
  - DMARC, MTA-STS (mode and max_age from the policy the domain serves) and
    TLS-RPT become policy blocks, one per distinct set of settings, shared by
    the domains that have the same; BIMI goes in the domain block.

import then plans the result against the live zones and falls back to raw
records where mailconf would write something differently. Everything it could
not express, or chose for you, is said on stderr; no record is dropped
without a word. Records that are not about mail are left out: mailconf never
touches them.

The configuration directory must declare the provider (one, or name it with
--provider); the imported domains must not be declared yet. The HCL goes to
stdout, or to --out FILE, which is not overwritten without --force.

Exit codes: 0 written, 1 could not read a zone or write the file.`,
		Example: `  mailconf import example.com -c . --out imported.hcl
  mailconf import example.com example.net --provider cloudflare.main > domains.hcl
  mailconf import example.org --resolver 192.0.2.53:53`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), e, &cf, args, provider, out, force)
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "instead of reading the zones through the provider")
	cmd.Flags().StringVar(&provider, "provider", "", "the `PROVIDER` (TYPE.NAME, or NAME) holding the domains' zones; needed when the configuration declares several")
	cmd.Flags().StringVar(&out, "out", "", "write the HCL to `FILE` instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out FILE if it exists")
	_ = cmd.RegisterFlagCompletionFunc("provider", func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		cfg, diags := schema.Load(cf.dir, schema.Options{LookupEnv: e.lookupEnv})
		if cfg == nil || diags.HasErrors() {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, p := range cfg.Providers {
			out = append(out, p.Type+"."+p.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("out", func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return []string{"hcl"}, cobra.ShellCompDirectiveFilterFileExt
	})
	cmd.ValidArgsFunction = func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

func runImport(ctx context.Context, e *env, cf *configFlags, args []string, providerFlag, out string, force bool) error {
	var domains []string
	for _, a := range args {
		d := strings.ToLower(strings.TrimSuffix(a, "."))
		if !schema.ValidHostname(d) {
			return fmt.Errorf("%q is not a domain name", a)
		}
		if !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	if out != "" && !force {
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("%s exists; import does not overwrite it without --force", out)
		}
	}
	// The configuration, without the file being replaced.
	existing, err := filepath.Glob(filepath.Join(cf.dir, "*.hcl"))
	if err != nil {
		return err
	}
	if out != "" {
		abs, _ := filepath.Abs(out)
		existing = slices.DeleteFunc(existing, func(p string) bool {
			pa, _ := filepath.Abs(p)
			return pa == abs
		})
	}
	if len(existing) == 0 {
		return fmt.Errorf("%s holds no *.hcl files: declare the provider the zones are at first, such as provider \"zonefile\" \"local\" { dir = \"zones\" }", cf.dir)
	}
	cfg, diags := schema.LoadFiles(cf.dir, existing, schema.Options{LookupEnv: e.lookupEnv})
	if err := writeDiags(e, cfg, diags); err != nil {
		return err
	}
	if diags.HasErrors() {
		return exitErr{exitError}
	}
	taken := map[string]bool{}
	for _, d := range cfg.Domains {
		if slices.Contains(domains, d.Name) {
			return fmt.Errorf("%s is already declared at %s; import writes domains that are not", d.Name, d.DeclRange)
		}
	}
	for _, s := range cfg.Senders {
		taken[s.Addr()] = true
	}
	for _, p := range cfg.Policies {
		taken[p.Addr()] = true
	}
	addr, err := pickProvider(cfg, providerFlag)
	if err != nil {
		return err
	}

	var live plan.Live
	var zoneOf map[string]string
	if cf.resolver != "" {
		fmt.Fprintf(e.stderr, "import: a DNS server cannot list a zone: import asks for DKIM selectors %s and the catalog's fixed names only; declare other selectors and return-path names yourself, or import through the provider\n", strings.Join(dnsSelectors, ", "))
		live, zoneOf, err = readByDNS(ctx, cf.resolver, domains)
	} else {
		if addr == "" {
			return errors.New("import reads the zones through a provider: declare one (such as provider \"zonefile\" \"local\" { dir = \"zones\" }), or give --resolver to ask a DNS server")
		}
		var clients map[string]providers.Client
		clients, _, err = buildProviders(e, cfg)
		if err != nil {
			return err
		}
		desired := &plan.Desired{}
		for _, d := range domains {
			desired.Domains = append(desired.Domains, &plan.DomainRecords{Domain: d, Provider: addr})
		}
		live, err = plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
		zoneOf = live.Zones
	}
	if err != nil {
		return err
	}

	in := make([]importer.Domain, len(domains))
	for i, d := range domains {
		in[i] = importer.Domain{Name: d, Records: recordsOf(d, domains, live.Records[zoneOf[d]])}
	}
	fetchImportPolicies(ctx, e, in)
	live.MTASTSPolicies = map[string]string{}
	for _, d := range in {
		if d.MTASTSFetched {
			live.MTASTSPolicies[d.Name] = d.MTASTSPolicy
		}
	}

	res, err := importer.Generate(in, importer.Options{
		Provider: addr,
		Taken:    taken,
		Check: func(hcl []byte) (map[string][]*plan.Change, error) {
			return planImported(e, cfg.Dir, existing, hcl, domains, live)
		},
	})
	if err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintf(e.stderr, "import: %s\n", n)
	}
	if out == "" {
		_, err := e.stdout.Write(res.HCL)
		return err
	}
	if err := hcledit.WriteFileAtomic(out, res.HCL, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "import: wrote %s; run mailconf plan -c %s: it should show no changes\n", out, cf.dir)
	return nil
}

// pickProvider finds the provider the domains' zones are at.
func pickProvider(cfg *schema.Config, flag string) (string, error) {
	var all []string
	for _, p := range cfg.Providers {
		all = append(all, p.Type+"."+p.Name)
		if flag != "" && (flag == p.Type+"."+p.Name || flag == p.Name || flag == p.Addr()) {
			return p.Addr(), nil
		}
	}
	switch {
	case flag != "":
		return "", fmt.Errorf("no provider %q is declared; the configuration declares %s", flag, listOrNone(all))
	case len(cfg.Providers) == 1:
		return cfg.Providers[0].Addr(), nil
	case len(cfg.Providers) > 1:
		return "", fmt.Errorf("the configuration declares %d providers (%s); name the one holding the zones with --provider", len(all), strings.Join(all, ", "))
	}
	return "", nil
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// recordsOf are the records of a zone at or below domain, without those at
// or below another imported domain deeper in the same zone.
func recordsOf(domain string, all []string, recs []plan.Record) []plan.Record {
	var out []plan.Record
	for _, r := range recs {
		if r.Name != domain && !strings.HasSuffix(r.Name, "."+domain) {
			continue
		}
		deeper := slices.ContainsFunc(all, func(o string) bool {
			return o != domain && strings.HasSuffix(o, "."+domain) && (r.Name == o || strings.HasSuffix(r.Name, "."+o))
		})
		if !deeper {
			out = append(out, r)
		}
	}
	return out
}

// fetchImportPolicies fetches the MTA-STS policy of each domain that
// announces one; without an HTTP client (tests that give none) nothing is
// fetched.
func fetchImportPolicies(ctx context.Context, e *env, in []importer.Domain) {
	if e.httpClient == nil {
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, fetchConcurrency)
	for i := range in {
		d := &in[i]
		if !slices.ContainsFunc(d.Records, func(r plan.Record) bool {
			return r.Name == mtasts.RecordName(d.Name) && plan.HasTagPrefix(r.Data, "v=STSv1")
		}) {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if text, err := mtastsfetch.Fetch(ctx, e.httpClient, d.Name); err == nil {
				d.MTASTSPolicy, d.MTASTSFetched = text, true
			}
		})
	}
	wg.Wait()
}

// planImported plans the configuration with the generated file added and
// returns the changes left for each imported domain.
func planImported(e *env, dir string, existing []string, hcl []byte, domains []string, live plan.Live) (map[string][]*plan.Change, error) {
	tmp, err := os.MkdirTemp("", "mailconf-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "imported.hcl")
	if err := os.WriteFile(path, hcl, 0o600); err != nil {
		return nil, err
	}
	cfg, diags := schema.LoadFiles(dir, append(slices.Clone(existing), path), schema.Options{LookupEnv: e.lookupEnv})
	var desired *plan.Desired
	if !diags.HasErrors() {
		d, ds := plan.CompileAt(cfg, e.now())
		desired = d
		diags = append(diags, ds...)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("import wrote a configuration that does not compile, which is a bug in mailconf: %s", diags.Error())
	}
	sel := &plan.Desired{}
	for _, d := range desired.Domains {
		if slices.Contains(domains, d.Domain) {
			sel.Domains = append(sel.Domains, d)
		}
	}
	plan.KeepMTASTSIDs(sel, live)
	p := plan.Diff(sel, live)
	out := map[string][]*plan.Change{}
	for _, d := range p.Domains {
		if len(d.Changes) > 0 {
			out[d.Domain] = d.Changes
		}
	}
	return out, nil
}

// dnsSelectors are the DKIM selectors an import through plain DNS asks for
// besides the catalog's.
var dnsSelectors = []string{"default", "dkim", "google", "k1", "key1", "key2", "mail", "s1", "s2", "selector1", "selector2"}

// readByDNS reads the names a domain's mail records live at through a DNS
// server: it cannot list a zone, so it asks where mailconf and the catalog
// publish, and a record elsewhere (a return-path name with a parameter in
// it) is not seen.
func readByDNS(ctx context.Context, server string, domains []string) (plan.Live, map[string]string, error) {
	r := &resolve.Client{Servers: []string{server}}
	live := plan.Live{Records: map[string][]plan.Record{}, Zones: map[string]string{}}
	for _, d := range domains {
		zone := d + "."
		live.Zones[d] = zone
		names := []string{d, "_dmarc." + d, mtasts.RecordName(d), "_smtp._tls." + d, "default._bimi." + d}
		for _, n := range schema.CatalogNames() {
			names = append(names, n+"."+d)
		}
		for _, sel := range dnsSelectors {
			names = append(names, sel+"._domainkey."+d)
		}
		sort.Strings(names)
		names = slices.Compact(names)
		var recs []plan.Record
		seen := map[string]bool{}
		for _, n := range names {
			for _, qt := range []uint16{dns.TypeTXT, dns.TypeMX} {
				if qt == dns.TypeMX && n != d && !strings.HasPrefix(n, "mail.") && !strings.HasPrefix(n, "send.") {
					continue
				}
				a, err := r.Lookup(ctx, n, qt)
				if err != nil {
					if n == d {
						return live, nil, fmt.Errorf("import: asking %s about %s: %w", server, n, err)
					}
					continue
				}
				if len(a.CNAMEs) > 0 {
					if !seen[n+" CNAME"] {
						seen[n+" CNAME"] = true
						recs = append(recs, plan.Record{Name: n, Type: plan.TypeCNAME, TTL: answerTTL(a), Data: a.CNAMEs[0] + "."})
					}
					continue
				}
				switch qt {
				case dns.TypeTXT:
					for _, t := range a.TXT() {
						recs = append(recs, plan.Record{Name: n, Type: plan.TypeTXT, TTL: answerTTL(a), Data: t})
					}
				case dns.TypeMX:
					for _, m := range a.MX() {
						recs = append(recs, plan.Record{Name: n, Type: plan.TypeMX, TTL: answerTTL(a), Data: fmt.Sprintf("%d %s.", m.Preference, strings.TrimSuffix(m.Host, "."))})
					}
				}
			}
		}
		live.Records[zone] = append(live.Records[zone], recs...)
	}
	return live, live.Zones, nil
}

func answerTTL(a *resolve.Answer) uint32 {
	if len(a.Records) > 0 {
		return a.Records[0].Header().Ttl
	}
	return schema.DefaultTTL
}
