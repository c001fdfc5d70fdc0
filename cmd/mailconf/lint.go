package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
)

func newLintCmd(e *env) *cobra.Command {
	var cf configFlags
	var offline bool
	var format, explain string
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check the records against the RFCs and the live DNS they depend on",
		Long: `lint tells you, before anything is published, whether the records will work
for receivers: SPF within its lookup limits through every include, DMARC
report destinations authorized, BIMI allowed, DKIM keys strong and matching
what is published, MTA-STS consistent with MX, MX hosts with addresses.

Every finding has a stable code, the RFC section it comes from and a fix.
--offline skips the checks that need the DNS and lists them.
--explain-spf DOMAIN prints the expanded SPF tree of one domain.

Exit codes: 0 clean (warnings allowed), 2 errors found, 1 could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" && format != "sarif" {
				return fmt.Errorf("--format must be text, json or sarif, not %q", format)
			}
			cfg, desired, err := cf.load(e)
			if err != nil {
				return err
			}
			if !offline {
				if err := cf.complete(cmd.Context(), e, desired); err != nil {
					return err
				}
			}
			opts := lint.Options{Now: e.now()}
			if !offline {
				r, err := newResolver(cf.resolver)
				if err != nil {
					return err
				}
				opts.Resolver = r
			}
			if explain != "" {
				return explainSPF(cmd, e, desired, opts, explain)
			}
			report := lint.Run(cmd.Context(), cfg, desired, opts)
			switch format {
			case "json":
				err = writeLintJSON(e.stdout, report)
			case "sarif":
				err = writeSARIF(e.stdout, report, cfg.Dir)
			default:
				err = writeLintText(e.stdout, report)
			}
			if err != nil {
				return err
			}
			if report.Errors > 0 {
				return exitErr{exitChanges}
			}
			return nil
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "for live checks")
	cmd.Flags().BoolVar(&offline, "offline", false, "skip the checks that need the DNS")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text, json or sarif")
	cmd.Flags().StringVar(&explain, "explain-spf", "", "print the expanded SPF tree of `DOMAIN`")
	return cmd
}

// newResolver builds the DNS client lint and plan use: the given server, or
// the system's.
func newResolver(server string) (*resolve.Client, error) {
	servers := []string{server}
	if server == "" {
		var err error
		servers, err = resolve.SystemServers()
		if err != nil {
			return nil, fmt.Errorf("no DNS server: %w; give one with --resolver HOST:PORT or use --offline", err)
		}
	}
	return &resolve.Client{Servers: servers}, nil
}

func explainSPF(cmd *cobra.Command, e *env, desired *plan.Desired, opts lint.Options, domain string) error {
	if opts.Resolver == nil {
		return fmt.Errorf("--explain-spf follows includes through the DNS; it cannot run with --offline")
	}
	text, err := lint.ExplainSPF(cmd.Context(), desired, opts.Resolver, strings.ToLower(strings.TrimSuffix(domain, ".")))
	if err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, text)
	return err
}

func writeLintText(w io.Writer, r *lint.Report) error {
	bw := &errWriter{w: w}
	domain := ""
	for _, f := range r.Findings {
		if f.Domain != domain {
			if domain != "" {
				bw.printf("\n")
			}
			domain = f.Domain
			bw.printf("%s\n", domain)
		}
		bw.printf("  %-7s %s", f.Severity, f.Code)
		if f.Record != "" {
			bw.printf("  (%s)", f.Record)
		}
		bw.printf("\n          %s\n", f.Message)
		if f.Fix != "" {
			bw.printf("          fix: %s\n", f.Fix)
		}
		if f.RFC != "" {
			bw.printf("          see: %s\n", f.RFC)
		}
	}
	if len(r.Findings) > 0 {
		bw.printf("\n")
	}
	bw.printf("Lint: %s, %s in %s.\n", plural(r.Errors, "error"), plural(r.Warns, "warning"), pluralDomains(r.Domains))
	if len(r.Skipped) > 0 {
		bw.printf("Offline: skipped %s.\n", strings.Join(r.Skipped, ", "))
	}
	return bw.err
}

func writeLintJSON(w io.Writer, r *lint.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// SARIF 2.1.0 (OASIS), for code-scanning tools: one rule per code, one
// result per finding, located at the domain's block in the configuration.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string            `json:"id"`
	ShortDescription sarifText         `json:"shortDescription"`
	Properties       map[string]string `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

func writeSARIF(w io.Writer, r *lint.Report, dir string) error {
	rules := map[string]sarifRule{}
	var results []sarifResult
	for _, f := range r.Findings {
		if _, ok := rules[f.Code]; !ok {
			rule := sarifRule{ID: f.Code, ShortDescription: sarifText{Text: lint.Summary(f.Code)}}
			if f.RFC != "" {
				rule.Properties = map[string]string{"rfc": f.RFC}
			}
			rules[f.Code] = rule
		}
		level := map[lint.Severity]string{lint.Error: "error", lint.Warning: "warning", lint.Info: "note"}[f.Severity]
		msg := f.Domain + ": " + f.Message
		if f.Fix != "" {
			msg += " Fix: " + f.Fix
		}
		res := sarifResult{RuleID: f.Code, Level: level, Message: sarifText{Text: msg}}
		if f.Range.Filename != "" {
			uri, err := filepath.Rel(dir, f.Range.Filename)
			if err != nil {
				uri = f.Range.Filename
			}
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(uri)},
				Region:           sarifRegion{StartLine: f.Range.Start.Line, StartColumn: f.Range.Start.Column},
			}}}
		}
		results = append(results, res)
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	driver := sarifDriver{Name: "mailconf", Rules: []sarifRule{}}
	for _, id := range ids {
		driver.Rules = append(driver.Rules, rules[id])
	}
	if results == nil {
		results = []sarifResult{}
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
