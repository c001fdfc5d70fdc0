package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/plan"
)

// planView renders a plan for one audience. Every format shows the same
// data model; none computes anything of its own.
type planView interface {
	Plan(w io.Writer, p *plan.Plan) error
}

func viewFor(format string) (planView, error) {
	switch format {
	case "text":
		return textView{}, nil
	case "json":
		return jsonView{}, nil
	case "markdown":
		return markdownView{}, nil
	}
	return nil, fmt.Errorf("--format must be text, json or markdown, not %q", format)
}

func summaryLine(p *plan.Plan) string {
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to delete.", p.Summary.Add, p.Summary.Change, p.Summary.Delete)
}

// textView is for people at a terminal.
type textView struct{}

func (textView) Plan(w io.Writer, p *plan.Plan) error {
	bw := &errWriter{w: w}
	inSync := 0
	for _, d := range p.Domains {
		if quiet(d) {
			inSync++
			continue
		}
		bw.printf("%s  (zone %s, %s)\n", d.Domain, d.Zone, d.Provider)
		for _, t := range d.Keys {
			bw.printf("  dkim %s  (%s)\n", t, t.Effect)
		}
		for _, c := range d.Changes {
			bw.printf("  %s %s %s  (%s)\n", c.Action, c.Name, c.Type, c.Source)
			writeValuesText(bw, c)
			if c.Dangerous != "" {
				bw.printf("      ! needs --force: %s\n", c.Dangerous)
			}
		}
		if d.Blocked() {
			bw.printf("  blocked: the changes of %s are not made until the errors below are fixed\n", d.Domain)
		}
		for _, f := range d.Findings {
			bw.printf("  %s: %s\n", f.Severity, f.Message)
		}
		bw.printf("\n")
	}
	if inSync > 0 {
		if inSync == len(p.Domains) {
			bw.printf("No changes: the live records of %s match the configuration.\n", pluralDomains(inSync))
		} else {
			bw.printf("%s already in sync.\n", pluralDomains(inSync))
		}
	}
	bw.printf("%s\n", summaryLine(p))
	switch n := p.Summary.Dangerous; {
	case n == 1:
		bw.printf("1 change is dangerous and needs --force.\n")
	case n > 1:
		bw.printf("%d changes are dangerous and need --force.\n", n)
	}
	return bw.err
}

// quiet reports whether a domain has nothing to show: no changes and
// nothing but notes, which matter only next to a change.
func quiet(d *plan.DomainPlan) bool {
	if len(d.Changes) > 0 || len(d.Keys) > 0 {
		return false
	}
	for _, f := range d.Findings {
		if f.Severity != plan.SeverityNote {
			return false
		}
	}
	return true
}

func pluralDomains(n int) string {
	if n == 1 {
		return "1 domain"
	}
	return fmt.Sprintf("%d domains", n)
}

// writeValuesText shows old -> new. A change of TTL alone prints as one line.
func writeValuesText(bw *errWriter, c *plan.Change) {
	if c.Action == plan.Update && sameData(c.Old, c.New) {
		for _, v := range c.New {
			bw.printf("      %q  ttl %d → %d\n", v.Data, ttlOf(c.Old, v.Data), v.TTL)
		}
		return
	}
	for _, v := range c.Old {
		bw.printf("      - %d %q\n", v.TTL, v.Data)
	}
	for _, v := range c.New {
		bw.printf("      + %d %q\n", v.TTL, v.Data)
	}
}

func sameData(a, b []plan.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Data != b[i].Data {
			return false
		}
	}
	return true
}

func ttlOf(vs []plan.Value, data string) uint32 {
	for _, v := range vs {
		if v.Data == data {
			return v.TTL
		}
	}
	return 0
}

// jsonView is for programs; docs/plan-json.md documents it. It is also the
// format of saved plan files.
type jsonView struct{}

func (jsonView) Plan(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// markdownView is for pull-request comments: one summary line, the
// dangerous changes called out first, then a collapsed section per domain
// with something to show, and the warnings lint's offline checks found.
type markdownView struct {
	// lint are the findings of the lint checks the plan ran.
	lint []lint.Finding
}

func (v markdownView) Plan(w io.Writer, p *plan.Plan) error {
	bw := &errWriter{w: w}
	bw.printf("### mailconf plan\n\n")
	changed, inSync, blocked, keySteps := 0, 0, 0, 0
	for _, d := range p.Domains {
		keySteps += len(d.Keys)
		if len(d.Changes) > 0 {
			changed++
		}
		if quiet(d) {
			inSync++
		}
		if d.Blocked() {
			blocked++
		}
	}
	if p.HasChanges() {
		bw.printf("**%d to add, %d to change, %d to destroy across %s.**", p.Summary.Add, p.Summary.Change, p.Summary.Delete, pluralDomains(changed))
		if inSync > 0 {
			bw.printf(" %s already in sync.", pluralDomains(inSync))
		}
	} else if keySteps > 0 {
		bw.printf("**No record changes.**")
	} else {
		bw.printf("**No changes.**")
		if inSync == len(p.Domains) {
			bw.printf(" The live records of %s match the configuration.", pluralDomains(inSync))
		}
	}
	if keySteps > 0 {
		bw.printf(" %s to approve.", mdPlural(keySteps, "DKIM key step", "DKIM key steps"))
	}
	bw.printf("\n\n")
	if blocked > 0 {
		bw.printf("❌ %s blocked by errors: %s not made until the errors are fixed.\n\n", mdPlural(blocked, "domain is", "domains are"), mdChoose(blocked, "its changes are", "their changes are"))
	}

	if n := p.Summary.Dangerous; n > 0 {
		bw.printf("#### ⚠ %s `--force`\n\n", mdPlural(n, "dangerous change needs", "dangerous changes need"))
		for _, d := range p.Domains {
			for _, c := range d.Changes {
				if c.Dangerous != "" {
					bw.printf("- **%s** %s `%s %s`: %s\n", d.Domain, c.Action.Word(), c.Name, c.Type, mdEscape(c.Dangerous))
				}
			}
		}
		bw.printf("\nApplying %s takes `mailconf apply --force`: merge only when %s intended.\n\n", mdChoose(n, "it", "them"), mdChoose(n, "it is", "each is"))
	}

	for _, d := range p.Domains {
		if quiet(d) {
			continue
		}
		bw.printf("<details><summary>%s</summary>\n\n", html.EscapeString(mdDomainSummary(d)))
		bw.printf("zone `%s`, `%s`\n\n", d.Zone, d.Provider)
		writeKeyStepsMarkdown(bw, d)
		if len(d.Changes) > 0 {
			var lines []string
			for _, c := range d.Changes {
				lines = append(lines, fmt.Sprintf("# %s %s %s (%s)", c.Action.Word(), c.Name, c.Type, c.Source))
				for _, v := range c.Old {
					lines = append(lines, fmt.Sprintf("- %s %d %s %q", c.Name, v.TTL, c.Type, v.Data))
				}
				for _, v := range c.New {
					lines = append(lines, fmt.Sprintf("+ %s %d %s %q", c.Name, v.TTL, c.Type, v.Data))
				}
			}
			fence := mdFence(lines)
			bw.printf("%sdiff\n%s\n%s\n\n", fence, strings.Join(lines, "\n"), fence)
		}
		items := 0
		for _, c := range d.Changes {
			if c.Dangerous != "" {
				bw.printf("- ⚠ **needs `--force`**: `%s %s` %s\n", c.Name, c.Type, mdEscape(c.Dangerous))
				items++
			}
		}
		for _, f := range d.Findings {
			bw.printf("- %s %s: %s\n", mdIcon(string(f.Severity)), f.Severity, mdEscape(f.Message))
			items++
		}
		if items > 0 {
			bw.printf("\n")
		}
		bw.printf("</details>\n\n")
	}
	writeLintMarkdown(bw, v.lint, p)
	return bw.err
}

// mdDomainSummary is the line a domain's collapsed section shows:
// "example.com: +1 ~2 -1", with what else needs a look.
func mdDomainSummary(d *plan.DomainPlan) string {
	var add, change, del, dangerous int
	for _, c := range d.Changes {
		switch c.Action {
		case plan.Create:
			add++
		case plan.Update:
			change++
		case plan.Delete:
			del++
		}
		if c.Dangerous != "" {
			dangerous++
		}
	}
	var counts, parts []string
	for _, n := range []struct {
		sym string
		n   int
	}{{"+", add}, {"~", change}, {"-", del}} {
		if n.n > 0 {
			counts = append(counts, fmt.Sprintf("%s%d", n.sym, n.n))
		}
	}
	if len(counts) == 0 {
		counts = append(counts, "no record changes")
	}
	parts = append(parts, strings.Join(counts, " "))
	if dangerous > 0 {
		parts = append(parts, fmt.Sprintf("⚠ %d dangerous", dangerous))
	}
	var errs, warns int
	for _, f := range d.Findings {
		switch f.Severity {
		case plan.SeverityError:
			errs++
		case plan.SeverityWarning:
			warns++
		}
	}
	if errs > 0 {
		parts = append(parts, "❌ blocked: "+plural(errs, "error"))
	}
	if warns > 0 {
		parts = append(parts, plural(warns, "warning"))
	}
	return d.Domain + ": " + strings.Join(parts, ", ")
}

// writeLintMarkdown lists lint's errors and warnings about the domains of
// the plan (all of them when p is nil), and about the configuration as a
// whole.
func writeLintMarkdown(bw *errWriter, findings []lint.Finding, p *plan.Plan) {
	var in map[string]bool
	if p != nil {
		in = map[string]bool{}
		for _, d := range p.Domains {
			in[d.Domain] = true
		}
	}
	var shown []lint.Finding
	errs, warns := 0, 0
	for _, f := range findings {
		if f.Severity != lint.Error && f.Severity != lint.Warning {
			continue
		}
		if in != nil && f.Domain != "" && !in[f.Domain] {
			continue
		}
		shown = append(shown, f)
		if f.Severity == lint.Error {
			errs++
		} else {
			warns++
		}
	}
	if len(shown) == 0 {
		return
	}
	var counts []string
	if errs > 0 {
		counts = append(counts, plural(errs, "error"))
	}
	if warns > 0 {
		counts = append(counts, plural(warns, "warning"))
	}
	bw.printf("#### Lint: %s\n\n", strings.Join(counts, ", "))
	for _, f := range shown {
		var where string
		if f.Domain != "" {
			where += "**" + f.Domain + "** "
		}
		if f.Record != "" {
			where += "`" + f.Record + "` "
		}
		bw.printf("- %s %s`%s`: %s", mdIcon(string(f.Severity)), where, f.Code, mdEscape(f.Message))
		if f.Fix != "" {
			bw.printf(" *Fix:* %s", mdEscape(f.Fix))
		}
		bw.printf("\n")
	}
	bw.printf("\n")
}

// writeMarkdownLintBlocked is the comment of a plan that lint's errors
// stopped before it read any zone.
func writeMarkdownLintBlocked(w io.Writer, r *lint.Report) error {
	bw := &errWriter{w: w}
	bw.printf("### mailconf plan\n\n")
	bw.printf("❌ **No plan: lint found %s.** Fix %s and push again; nothing can be applied until then.\n\n", plural(r.Errors, "error"), mdChoose(r.Errors, "it", "them"))
	writeLintMarkdown(bw, r.Findings, nil)
	return bw.err
}

// mdIcon marks a severity, of a plan finding or of lint.
func mdIcon(severity string) string {
	switch severity {
	case "error":
		return "❌"
	case "warning":
		return "⚠"
	}
	return "ℹ"
}

// mdChoose is one when n is 1, else many.
func mdChoose(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdPlural is n and the noun phrase for it: "1 domain is", "2 domains are".
func mdPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// mdFence is a code fence longer than any run of backticks in lines, so
// that no record value can close the block early.
func mdFence(lines []string) string {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// writeKeyStepsMarkdown lists the steps of the domain's DKIM keys, which a
// reviewer approves even when they change no record.
func writeKeyStepsMarkdown(bw *errWriter, d *plan.DomainPlan) {
	if len(d.Keys) == 0 {
		return
	}
	for _, t := range d.Keys {
		bw.printf("- DKIM `%s`: %s → **%s**: %s\n", t.Selector, t.From, t.To, mdEscape(t.Effect))
	}
	bw.printf("\n")
}

// mdEscape keeps record values from being read as markdown.
func mdEscape(s string) string {
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "|", `\|`)
	return r.Replace(s)
}

// errWriter remembers the first write error, so views can print freely.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
