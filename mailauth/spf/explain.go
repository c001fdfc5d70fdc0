package spf

import (
	"errors"
	"fmt"
	"strings"
)

// Explain renders the analysis as a tree for people, one term per line, such
// as:
//
//	example.com  v=spf1 ip4:192.0.2.1 include:_spf.example.net mx ~all   (lookups 3/10, void 0/2)
//	├─ ip4:192.0.2.1
//	├─ include:_spf.example.net  +1 → v=spf1 include:_nb.example.net ~all
//	│  └─ include:_nb.example.net  +1 → v=spf1 ip4:198.51.100.0/24 ~all
//	├─ mx  +1 → 2 hosts (mx1.example.com, mx2.example.com)
//	└─ ~all
//
// Every term of the domain's own record is shown; in the records reached
// through include and redirect, only the terms that cost a lookup or carry a
// note, since the record text is shown on the line that fetched it. "+1" is
// what a term adds to the lookup count and "void" marks a void lookup. The
// output depends only on the analysis, so it can be compared with a golden
// file.
func (a *Analysis) Explain() string {
	var b strings.Builder
	root := a.Tree
	b.WriteString(a.Domain)
	switch {
	case root == nil:
	case a.Record == nil:
		b.WriteString("  " + errorSummary(root))
	default:
		b.WriteString("  " + root.Record)
	}
	fmt.Fprintf(&b, "   (lookups %d/%d, void %d/%d", a.Lookups, maxLookupTerms, a.VoidLookups, maxVoidLookups)
	if a.Incomplete {
		b.WriteString(", incomplete")
	}
	b.WriteString(")\n")
	if root != nil {
		writeChildren(&b, root, "", true)
	}
	return b.String()
}

// writeChildren writes the children of n worth showing, indented by indent.
func writeChildren(b *strings.Builder, n *Node, indent string, top bool) {
	var shown []*Node
	for _, c := range n.Children {
		if top || c.Lookups > 0 || c.Err != nil || (c.Note != "" && !c.afterAll) {
			shown = append(shown, c)
		}
	}
	for i, c := range shown {
		branch, next := "├─ ", "│  "
		if i == len(shown)-1 {
			branch, next = "└─ ", "   "
		}
		b.WriteString(indent + branch + label(c) + "\n")
		writeChildren(b, c, indent+next, false)
	}
}

// label is the line of one node: the term, its cost and what it led to.
func label(n *Node) string {
	var b strings.Builder
	b.WriteString(n.Term)
	if n.Lookups > 0 {
		fmt.Fprintf(&b, "  +%d", n.Lookups)
	}
	if n.Void {
		b.WriteString(" void")
	}
	if s := summary(n); s != "" {
		if n.Lookups == 0 && !n.Void {
			b.WriteString(" ")
		}
		b.WriteString(" → " + s)
	}
	return b.String()
}

// summary says what a node's lookup found.
func summary(n *Node) string {
	if n.Err != nil {
		return errorSummary(n)
	}
	var parts []string
	switch {
	case n.Record != "":
		parts = append(parts, n.Record)
	case len(n.Hosts) > 0:
		parts = append(parts, fmt.Sprintf("%s (%s)", plural(len(n.Hosts), "host"), list(n.Hosts, maxMXHosts)))
	case len(n.Addrs) > 0:
		addrs := make([]string, len(n.Addrs))
		for i, a := range n.Addrs {
			addrs[i] = a.String()
		}
		parts = append(parts, list(addrs, 4))
	}
	if n.Note != "" {
		parts = append(parts, n.Note)
	}
	return strings.Join(parts, "; ")
}

// errorSummary describes n.Err in words, without the package prefix of the
// sentinels.
func errorSummary(n *Node) string {
	err := n.Err
	switch {
	case err == nil:
		return "no SPF record"
	case errors.Is(err, ErrNoRecord):
		return "no SPF record"
	case errors.Is(err, ErrMultipleRecords):
		return "more than one SPF record"
	case errors.Is(err, ErrSyntax):
		return "does not parse: " + n.Record
	case errors.Is(err, ErrTooManyMXHosts):
		return fmt.Sprintf("%s, more than %d (%s)", plural(len(n.Hosts), "host"), maxMXHosts, list(n.Hosts, maxMXHosts))
	case errors.Is(err, ErrLoop), errors.Is(err, ErrAnalysisLimit):
		return n.Note
	}
	return "lookup failed: " + strings.TrimPrefix(err.Error(), ErrLookup.Error()+": ")
}

// list joins up to limit items with commas, then says how many are left out.
func list(items []string, limit int) string {
	if len(items) <= limit {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:limit], ", ") + fmt.Sprintf(", … (%d more)", len(items)-limit)
}

// plural formats a count of things, such as "1 host" or "2 hosts".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
