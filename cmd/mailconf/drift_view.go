package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mailconf/mailconf/internal/notify"
)

// driftFormatVersion is the version of the drift report's JSON form
// (docs/drift-json.md). It changes when a field changes meaning or is
// removed; new fields may be added without changing it.
const driftFormatVersion = "1"

// driftReport is what drift found: the one data model every format shows.
type driftReport struct {
	FormatVersion string    `json:"format_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	// Drift is true when some domain drifted.
	Drift   bool         `json:"drift"`
	Summary driftSummary `json:"summary"`
	// Checks are the checks drift runs, by name.
	Checks  []string       `json:"checks"`
	Domains []*driftDomain `json:"domains"`
	// Errors are what kept drift from checking at all (a configuration
	// that does not load, no DNS server).
	Errors []string `json:"errors"`
}

type driftSummary struct {
	Domains int `json:"domains"`
	Drifted int `json:"drifted"`
	Items   int `json:"items"`
	// Errors counts the report's errors and every domain's.
	Errors int `json:"errors"`
}

type driftDomain struct {
	Domain   string `json:"domain"`
	Zone     string `json:"zone"`
	Provider string `json:"provider"`
	// Status is "drift", "error" (nothing drifted as far as drift could
	// tell, but a check could not run) or "ok".
	Status string       `json:"status"`
	Since  *driftSince  `json:"since,omitempty"`
	Items  []*driftItem `json:"items"`
	// Fix lists what to run, or do, to put the domain back, in order.
	Fix []string `json:"fix"`
	// Errors are the checks that could not run for the domain, and why.
	Errors []string `json:"errors"`
	// Skipped are the checks not run, and why.
	Skipped []string `json:"skipped,omitempty"`
	// Warnings are the plan's warnings: not drift, worth knowing.
	Warnings []string `json:"warnings,omitempty"`
}

// driftSince says since when a domain drifted, as far as can be told.
type driftSince struct {
	// Basis is "zone-file-mtime", "soa-serial" or "unknown".
	Basis     string     `json:"basis"`
	Time      *time.Time `json:"time,omitempty"`
	SOASerial *uint32    `json:"soa_serial,omitempty"`
	Note      string     `json:"note"`
}

type driftItem struct {
	// Kind is what the record is for: "MX", "SPF", "DKIM", "DMARC",
	// "MTA-STS", "MTA-STS policy", "TLS-RPT", "BIMI", ...
	Kind string `json:"kind"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	// Expected and Live are the values, sorted: MX "10 host.", TXT the
	// whole text. Empty Live: the record is missing; empty Expected: it
	// should not be there. Both empty: the message says what is wrong.
	Expected []string      `json:"expected"`
	Live     []string      `json:"live"`
	FoundBy  []driftFinder `json:"found_by"`
	Message  string        `json:"message"`
	Fix      string        `json:"fix"`
}

// driftFinder is one check that found an item, and where it looked.
type driftFinder struct {
	Check string `json:"check"`
	// Where is the provider, the server or the URL the check read.
	Where string `json:"where,omitempty"`
	// Code is the finding's code (lint's, or the receiver's result).
	Code string `json:"code,omitempty"`
}

func (it *driftItem) foundBy(check string) bool {
	return slices.ContainsFunc(it.FoundBy, func(f driftFinder) bool { return f.Check == check })
}

func (f driftFinder) String() string {
	s := f.Check
	if f.Code != "" {
		s += " " + f.Code
	}
	if f.Where != "" {
		s += " (" + f.Where + ")"
	}
	return s
}

func (r *driftReport) summarize() {
	r.Summary = driftSummary{Domains: len(r.Domains), Errors: len(r.Errors)}
	r.Drift = false
	for _, d := range r.Domains {
		if len(d.Items) > 0 {
			r.Drift = true
			r.Summary.Drifted++
			r.Summary.Items += len(d.Items)
		}
		r.Summary.Errors += len(d.Errors)
	}
}

func (r *driftReport) summaryLine() string {
	s := "No drift: "
	if r.Drift {
		s = fmt.Sprintf("Drift: %s in %d of %s", plural(r.Summary.Items, "record"), r.Summary.Drifted, pluralDomains(r.Summary.Domains))
	} else {
		s += fmt.Sprintf("the live records of %s match the configuration", pluralDomains(r.Summary.Domains))
	}
	if r.Summary.Errors > 0 {
		s += fmt.Sprintf("; %s could not run", plural(r.Summary.Errors, "check"))
	}
	return s + "."
}

func writeDriftJSON(w io.Writer, r *driftReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Fixes are shell commands ("... && mailconf apply"): keep them
	// readable rather than HTML-safe.
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// driftMDCode is s as a code span: markdown escapes do not work inside one.
func driftMDCode(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// driftSymbol is the plan's symbol for what putting the record back does.
func driftSymbol(it *driftItem) string {
	switch {
	case len(it.Expected) > 0 && len(it.Live) == 0:
		return "+"
	case len(it.Expected) == 0 && len(it.Live) > 0:
		return "-"
	case len(it.Expected) == 0 && len(it.Live) == 0:
		return "!"
	}
	return "~"
}

func driftTitle(it *driftItem) string {
	s := it.Kind + " " + it.Name
	if it.Type != "" {
		s += " " + it.Type
	}
	return s
}

func driftFinders(it *driftItem) string {
	out := make([]string, len(it.FoundBy))
	for i, f := range it.FoundBy {
		out[i] = f.String()
	}
	return strings.Join(out, ", ")
}

func writeDriftText(w io.Writer, r *driftReport, color bool) error {
	bw := &errWriter{w: w}
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	for i, d := range r.Domains {
		if i > 0 {
			bw.printf("\n")
		}
		state := map[string]string{"drift": paint("1;31", "DRIFT"), "error": paint("33", "NOT CHECKED"), "ok": paint("32", "ok")}[d.Status]
		bw.printf("%s  %s  (zone %s, %s)\n", d.Domain, state, d.Zone, d.Provider)
		if d.Since != nil {
			bw.printf("  since: %s\n", d.Since.Note)
		}
		for _, it := range d.Items {
			bw.printf("  %s %s\n", driftSymbol(it), driftTitle(it))
			bw.printf("      %s\n", it.Message)
			if len(it.Expected) > 0 || len(it.Live) > 0 {
				bw.printf("      expected %s\n      live     %s\n", quoteAll(it.Expected), quoteAll(it.Live))
			}
			bw.printf("      found by %s\n", driftFinders(it))
		}
		for _, err := range d.Errors {
			bw.printf("  could not check: %s\n", err)
		}
		for _, s := range d.Skipped {
			bw.printf("  skipped: %s\n", s)
		}
		for _, warn := range d.Warnings {
			bw.printf("  warning: %s\n", warn)
		}
		for _, f := range d.Fix {
			bw.printf("  fix: %s\n", f)
		}
	}
	for _, err := range r.Errors {
		bw.printf("could not check: %s\n", err)
	}
	bw.printf("\n%s\n", r.summaryLine())
	return bw.err
}

// driftMD keeps a value from being read as markdown in a table cell.
func driftMD(s string) string {
	return strings.NewReplacer("\\", `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "|", `\|`, "\n", " ").Replace(s)
}

// driftMDValues shows values in a table cell, one per line.
func driftMDValues(vs []string) string {
	if len(vs) == 0 {
		return "*nothing*"
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = `"` + driftMD(v) + `"`
	}
	return strings.Join(out, "<br>")
}

// writeDriftMarkdown is for an issue or a pull-request comment a
// pipeline opens when drift is found.
func writeDriftMarkdown(w io.Writer, r *driftReport) error {
	bw := &errWriter{w: w}
	bw.printf("### mailconf drift\n\n**%s**\n\n", driftMD(r.summaryLine()))
	ok := 0
	for _, d := range r.Domains {
		if d.Status == "ok" && len(d.Warnings) == 0 && len(d.Skipped) == 0 {
			ok++
			continue
		}
		icon := map[string]string{"drift": ":x:", "error": ":warning:", "ok": ":white_check_mark:"}[d.Status]
		bw.printf("#### %s %s\n\nzone %s, %s", icon, driftMDCode(d.Domain), driftMDCode(d.Zone), driftMDCode(d.Provider))
		if d.Since != nil {
			bw.printf("; since: %s", driftMD(d.Since.Note))
		}
		bw.printf("\n\n")
		if len(d.Items) > 0 {
			bw.printf("| record | expected | live | found by |\n|---|---|---|---|\n")
			for _, it := range d.Items {
				bw.printf("| %s %s%s<br>%s | %s | %s | %s |\n", driftMD(it.Kind), driftMDCode(it.Name), driftTypeSuffix(it.Type), driftMD(it.Message), driftMDValues(it.Expected), driftMDValues(it.Live), driftMD(driftFinders(it)))
			}
			bw.printf("\n")
		}
		for _, err := range d.Errors {
			bw.printf("- :warning: could not check: %s\n", driftMD(err))
		}
		for _, s := range d.Skipped {
			bw.printf("- :information_source: skipped: %s\n", driftMD(s))
		}
		for _, warn := range d.Warnings {
			bw.printf("- :warning: warning: %s\n", driftMD(warn))
		}
		for _, f := range d.Fix {
			bw.printf("- fix: %s\n", driftMDFix(f))
		}
		bw.printf("\n")
	}
	for _, err := range r.Errors {
		bw.printf("- :warning: could not check: %s\n", driftMD(err))
	}
	if ok > 0 {
		bw.printf("%s without drift.\n", pluralDomains(ok))
	}
	return bw.err
}

func driftTypeSuffix(t string) string {
	if t == "" {
		return ""
	}
	return " " + t
}

// driftMDFix shows a fix that is a command as code, and a sentence as text.
func driftMDFix(f string) string {
	if strings.HasPrefix(f, "mailconf ") && !strings.Contains(f, "`") {
		cmd, rest, found := strings.Cut(f, " shows ")
		if found {
			return driftMDCode(cmd) + " shows " + driftMD(rest)
		}
		return driftMDCode(f)
	}
	return driftMD(f)
}

// driftSlack is the report as a Slack incoming-webhook message.
func driftSlack(r *driftReport) notify.SlackMessage {
	m := notify.SlackMessage{Text: "mailconf: " + r.summaryLine()}
	m.Blocks = append(m.Blocks, notify.Header("mailconf drift"), notify.Section("*"+notify.SlackEscape(r.summaryLine())+"*"))
	// Per block, at most this many items: a message is read on a phone.
	const perDomain = 8
	for _, d := range r.Domains {
		if d.Status == "ok" {
			continue
		}
		var b strings.Builder
		icon := map[string]string{"drift": ":x:", "error": ":warning:"}[d.Status]
		fmt.Fprintf(&b, "%s *%s* (zone `%s`, %s)\n", icon, notify.SlackEscape(d.Domain), notify.SlackEscape(d.Zone), notify.SlackEscape(d.Provider))
		if d.Since != nil {
			fmt.Fprintf(&b, "since: %s\n", notify.SlackEscape(d.Since.Note))
		}
		for i, it := range d.Items {
			if i == perDomain {
				fmt.Fprintf(&b, "… and %d more\n", len(d.Items)-perDomain)
				break
			}
			fmt.Fprintf(&b, "• `%s` %s: %s (found by %s)\n", driftSymbol(it), notify.SlackEscape(driftTitle(it)), notify.SlackEscape(it.Message), notify.SlackEscape(driftFinders(it)))
		}
		for _, err := range d.Errors {
			fmt.Fprintf(&b, "• could not check: %s\n", notify.SlackEscape(err))
		}
		for _, f := range d.Fix {
			if strings.HasPrefix(f, "mailconf ") {
				fmt.Fprintf(&b, "fix: `%s`\n", notify.SlackEscape(f))
			} else {
				fmt.Fprintf(&b, "fix: %s\n", notify.SlackEscape(f))
			}
		}
		m.Blocks = append(m.Blocks, notify.Divider(), notify.Section(strings.TrimSpace(b.String())))
	}
	for _, err := range r.Errors {
		m.Blocks = append(m.Blocks, notify.Section(":warning: could not check: "+notify.SlackEscape(err)))
	}
	m.Blocks = append(m.Blocks, notify.Context(fmt.Sprintf("%s · checks: %s", r.GeneratedAt.Format(time.RFC3339), strings.Join(r.Checks, ", "))))
	m.Fit("Run mailconf drift for the whole report.")
	return m
}
