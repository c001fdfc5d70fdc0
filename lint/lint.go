// Package lint checks the records a configuration compiles to against the
// RFCs and against the live DNS they depend on, before anything is
// published: SPF within its lookup limits through every include, DMARC
// report destinations authorized, BIMI allowed, DKIM keys strong and
// matching what is published, MTA-STS consistent with MX.
//
// Every finding has a stable code (see Checks), a severity, the domain and
// record it concerns, a message, a fix and the RFC section the rule comes
// from. Checks that need the DNS run only when a resolver is given; without
// one, Run says which it skipped. The package never writes to the DNS and
// never prints: rendering is the command's job.
package lint

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
)

// Severity of a finding.
type Severity string

// Severities, from worst to mildest. Errors make `mailconf lint` exit 2.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Finding is one result of a check.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Domain   string   `json:"domain"`
	// Record is the record concerned, as "NAME TYPE", or "" for the domain.
	Record  string `json:"record,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	RFC     string `json:"rfc,omitempty"`
	// Range is the configuration block the finding is about (the domain),
	// for editors and code-scanning annotations.
	Range hcl.Range `json:"-"`
}

// Report is the outcome of a lint run.
type Report struct {
	Findings []Finding `json:"findings"`
	// Skipped names the checks that did not run because lint was offline.
	Skipped []string `json:"skipped,omitempty"`
	// Domains counts the domains checked.
	Domains int `json:"domains"`
	Errors  int `json:"errors"`
	Warns   int `json:"warnings"`
}

// Options tune Run.
type Options struct {
	// Resolver answers the live lookups; nil means offline: only the checks
	// that need no DNS run.
	Resolver resolve.Resolver
	// Concurrency bounds the domains checked at once; 0 means 16. The
	// resolver's cache makes names shared by many domains (a provider's
	// SPF include) cost one query per run.
	Concurrency int
	// Now is the time of day for the checks that compare with recorded
	// times (a key's age against max_age); zero skips them.
	Now time.Time
}

// checker collects the findings of one domain.
type checker struct {
	ctx      context.Context
	cfg      *schema.Config
	desired  *plan.Desired
	domain   *schema.Domain
	records  *plan.DomainRecords
	resolver resolve.Resolver
	now      time.Time
	findings []Finding
}

func (c *checker) add(code string, record, message, fix string) {
	info := checkInfo(code)
	c.findings = append(c.findings, Finding{
		Code: code, Severity: info.Severity, Domain: c.records.Domain, Record: record,
		Message: message, Fix: fix, RFC: info.RFC, Range: c.domain.DeclRange,
	})
}

// addSeverity records a finding whose severity differs from the check's
// default (an analyzer problem that carries its own).
func (c *checker) addSeverity(code string, sev Severity, record, message, fix, rfc string) {
	if rfc == "" {
		rfc = checkInfo(code).RFC
	}
	c.findings = append(c.findings, Finding{
		Code: code, Severity: sev, Domain: c.records.Domain, Record: record,
		Message: message, Fix: fix, RFC: rfc, Range: c.domain.DeclRange,
	})
}

// Run checks every domain of the compiled configuration.
func Run(ctx context.Context, cfg *schema.Config, desired *plan.Desired, opts Options) *Report {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	report := &Report{Domains: len(desired.Domains)}
	results := make([][]Finding, len(desired.Domains))
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for i, dr := range desired.Domains {
		d := cfg.Domain(dr.Domain)
		if d == nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := &checker{ctx: ctx, cfg: cfg, desired: desired, domain: d, records: dr, resolver: opts.Resolver, now: opts.Now}
			c.offline()
			if opts.Resolver != nil {
				c.online()
			}
			results[i] = c.findings
		})
	}
	wg.Wait()
	for _, fs := range results {
		report.Findings = append(report.Findings, fs...)
	}
	if opts.Resolver == nil {
		for _, ch := range Checks {
			if ch.Online {
				report.Skipped = append(report.Skipped, ch.Code)
			}
		}
	}
	sort.SliceStable(report.Findings, func(i, j int) bool {
		a, b := report.Findings[i], report.Findings[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Record != b.Record {
			return a.Record < b.Record
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
	report.Findings = dedupe(report.Findings)
	for _, f := range report.Findings {
		switch f.Severity {
		case Error:
			report.Errors++
		case Warning:
			report.Warns++
		}
	}
	if report.Findings == nil {
		report.Findings = []Finding{}
	}
	return report
}

func dedupe(fs []Finding) []Finding {
	var out []Finding
	for i, f := range fs {
		if i > 0 && sameFinding(f, fs[i-1]) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func sameFinding(a, b Finding) bool {
	return a.Code == b.Code && a.Severity == b.Severity && a.Domain == b.Domain &&
		a.Record == b.Record && a.Message == b.Message && a.Fix == b.Fix && a.RFC == b.RFC
}
