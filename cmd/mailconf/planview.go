package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

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

// markdownView is for pull-request comments.
type markdownView struct{}

func (markdownView) Plan(w io.Writer, p *plan.Plan) error {
	bw := &errWriter{w: w}
	bw.printf("### mailconf plan\n\n**%s**", summaryLine(p))
	if p.Summary.Dangerous > 0 {
		bw.printf(" :warning: %d dangerous (need `--force`).", p.Summary.Dangerous)
	}
	bw.printf("\n\n")
	inSync := 0
	for _, d := range p.Domains {
		if quiet(d) {
			inSync++
			continue
		}
		bw.printf("#### `%s`\n\nzone `%s`, `%s`\n\n", d.Domain, d.Zone, d.Provider)
		writeKeyStepsMarkdown(bw, d)
		if len(d.Changes) > 0 {
			bw.printf("```diff\n")
			for _, c := range d.Changes {
				bw.printf("# %s %s %s (%s)\n", c.Action.Word(), c.Name, c.Type, c.Source)
				for _, v := range c.Old {
					bw.printf("- %s %d %s %q\n", c.Name, v.TTL, c.Type, v.Data)
				}
				for _, v := range c.New {
					bw.printf("+ %s %d %s %q\n", c.Name, v.TTL, c.Type, v.Data)
				}
			}
			bw.printf("```\n\n")
		}
		for _, c := range d.Changes {
			if c.Dangerous != "" {
				bw.printf("- :warning: **needs `--force`**: `%s %s` %s\n", c.Name, c.Type, mdEscape(c.Dangerous))
			}
		}
		for _, f := range d.Findings {
			icon := map[plan.Severity]string{plan.SeverityError: ":x:", plan.SeverityWarning: ":warning:", plan.SeverityNote: ":information_source:"}[f.Severity]
			bw.printf("- %s %s: %s\n", icon, f.Severity, mdEscape(f.Message))
		}
		bw.printf("\n")
	}
	if inSync > 0 {
		bw.printf("%s already in sync.\n", pluralDomains(inSync))
	}
	return bw.err
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
