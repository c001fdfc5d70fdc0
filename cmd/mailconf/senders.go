package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/schema"
)

func newSendersCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "senders",
		Short: "List and describe the sender catalog: the services mailconf knows the records of",
		Long: `The sender catalog holds, for each mailbox and sending service mailconf knows,
its MX hosts, SPF include, DKIM shape, return-path and tracking records, and
the parameters the service issues, each fact with its sources and confidence.
A block such as sender "sendgrid" "news" { ... } takes its records from it.`,
	}
	cmd.AddCommand(newSendersListCmd(e), newSendersShowCmd(e))
	return cmd
}

func checkSendersFormat(format string) error {
	if format != "text" && format != "json" {
		return fmt.Errorf("--format must be text or json, not %q", format)
	}
	return nil
}

func newSendersListCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the catalog's sender types",
		Long: `list prints each sender type of the catalog: the id to write in
sender "ID" "NAME" { ... }, the service's name, its kind (mailbox: receives
the domain's mail and may be its mailbox; sending: sends for it), and the
confidence of its facts (confirmed by the service's own documentation, or
secondary: from other sources; lint mentions it).`,
		Example: `  mailconf senders list
  mailconf senders list --format json | jq -r '.senders[].id'`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := checkSendersFormat(format); err != nil {
				return err
			}
			if format == "json" {
				return writeSendersListJSON(e.stdout, schema.Catalog())
			}
			return writeSendersListText(e.stdout, schema.Catalog())
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text or json")
	return cmd
}

func writeSendersListText(w io.Writer, entries []*schema.CatalogEntry) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tCONFIDENCE")
	for _, c := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Kind, c.Confidence)
	}
	return tw.Flush()
}

type senderListJSON struct {
	Senders []senderSummaryJSON `json:"senders"`
}

type senderSummaryJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Confidence string `json:"confidence"`
}

func writeSendersListJSON(w io.Writer, entries []*schema.CatalogEntry) error {
	out := senderListJSON{Senders: []senderSummaryJSON{}}
	for _, c := range entries {
		out.Senders = append(out.Senders, senderSummaryJSON{ID: c.ID, Name: c.Name, Kind: c.Kind, Confidence: c.Confidence})
	}
	return writeSendersJSON(w, out)
}

func writeSendersJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// The catalog's texts hold <domain>; nothing here is read as HTML.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newSendersShowCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Describe one sender type: parameters, records, confidence and sources",
		Long: `show prints what a sender type needs and publishes: its parameters (type,
whether required, default, allowed values, where the service shows them), its
MX set, SPF include, DKIM shape and further records as templates, and the
records an example block yields for example.com. Every fact names its sources;
facts from secondary sources carry a note saying what is uncertain.`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, c := range schema.Catalog() {
				if strings.HasPrefix(c.ID, toComplete) {
					out = append(out, c.ID+"\t"+c.Name)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkSendersFormat(format); err != nil {
				return err
			}
			c, err := senderCatalogEntry(args[0])
			if err != nil {
				return err
			}
			ex, err := c.Example()
			if err != nil {
				// The catalog's own test makes every example build.
				return fmt.Errorf("catalog entry %s: %w", c.ID, err)
			}
			if format == "json" {
				return writeSenderShowJSON(e.stdout, c, ex)
			}
			return writeSenderShowText(e.stdout, c, ex)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text or json")
	return cmd
}

func senderCatalogEntry(id string) (*schema.CatalogEntry, error) {
	if c := schema.CatalogEntryByID(id); c != nil {
		return c, nil
	}
	if id == "custom" {
		return nil, fmt.Errorf("custom is not a catalog entry: it is the sender type for servers of your own and services without an entry, and takes SPF terms directly (ip4, ip6, include, a, mx)")
	}
	var ids []string
	for _, c := range schema.Catalog() {
		ids = append(ids, c.ID)
	}
	return nil, fmt.Errorf("unknown sender type %q.%s Known catalog types: %s", id, schema.SuggestSenderType(id), strings.Join(ids, ", "))
}

// senderExampleRecord is one record the example block yields, with its full name.
type senderExampleRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// senderExampleRecords are the example sender's MX and records for example.com,
// in the presentation format of a zone file's names.
func senderExampleRecords(ex *schema.Sender) []senderExampleRecord {
	var out []senderExampleRecord
	for _, m := range ex.MX {
		out = append(out, senderExampleRecord{Name: schema.ExampleDomain + ".", Type: "MX", Value: fmt.Sprintf("%d %s.", m.Preference, m.Host)})
	}
	for _, r := range ex.Records {
		r = schema.ExpandSenderRecord(r, schema.ExampleDomain)
		name := schema.ExampleDomain + "."
		if r.Name != "@" {
			name = r.Name + "." + name
		}
		value := r.Value
		switch r.Type {
		case "CNAME", "NS", "MX":
			value += "."
		}
		out = append(out, senderExampleRecord{Name: name, Type: r.Type, Value: value})
	}
	return out
}

type senderShowJSON struct {
	*schema.CatalogEntry
	Example senderExampleJSON `json:"example"`
}

type senderExampleJSON struct {
	Domain string `json:"domain"`
	HCL    string `json:"hcl"`
	// SPF are the terms the sender adds to the domain's SPF record.
	SPF           []string              `json:"spf"`
	Records       []senderExampleRecord `json:"records"`
	DKIMSelectors []string              `json:"dkim_selectors"`
}

func writeSenderShowJSON(w io.Writer, c *schema.CatalogEntry, ex *schema.Sender) error {
	out := senderShowJSON{CatalogEntry: c, Example: senderExampleJSON{
		Domain:        schema.ExampleDomain,
		HCL:           c.ExampleHCL("example"),
		SPF:           append([]string{}, ex.SPF...),
		Records:       append([]senderExampleRecord{}, senderExampleRecords(ex)...),
		DKIMSelectors: append([]string{}, ex.DKIMSelectors()...),
	}}
	return writeSendersJSON(w, out)
}

func writeSenderShowText(w io.Writer, c *schema.CatalogEntry, ex *schema.Sender) error {
	bw := &errWriter{w: w}
	bw.printf("%s: %s\n", c.ID, c.Name)
	bw.printf("Kind: %s\nConfidence: %s\n\n%s\n", c.Kind, c.Confidence, c.Summary)

	bw.printf("\nParameters:\n")
	if len(c.Parameters) == 0 {
		bw.printf("  none: the block is sender %q \"NAME\" {}\n", c.ID)
	}
	for _, p := range c.Parameters {
		bw.printf("  %s (%s)\n", p.Name, senderParamSummary(c, p))
		bw.printf("      %s\n", p.Doc)
		if p.Where != "" {
			bw.printf("      Where: %s\n", p.Where)
		}
		if p.Shape != "" {
			bw.printf("      Shape: %s (%s)\n", p.Shape, p.Pattern)
		}
		if p.TrimPrefix != "" {
			bw.printf("      A leading %q is removed.\n", p.TrimPrefix)
		}
		bw.printf("      Example: %s\n", senderHCLValue(p.Example))
	}

	bw.printf("\nMX:")
	switch {
	case c.MX == nil:
		bw.printf(" none: a sending service does not receive the domain's mail\n")
	case c.MX.Param == "":
		bw.printf(" [%s]\n", c.MX.Sets[0].Confidence)
		writeSenderMXHosts(bw, c.MX.Sets[0])
		writeSenderFact(bw, "    ", c.MX.Sets[0].CatalogFact)
	default:
		bw.printf(" chosen by %s\n", c.MX.Param)
		def := fmt.Sprint(c.Param(c.MX.Param).Default)
		for _, s := range c.MX.Sets {
			label := s.Name
			if s.Name == def {
				label += " (default)"
			}
			bw.printf("  %s  [%s]\n", label, s.Confidence)
			writeSenderMXHosts(bw, s)
			writeSenderFact(bw, "    ", s.CatalogFact)
		}
	}

	bw.printf("\nSPF:")
	if s := c.SPF; s == nil {
		bw.printf(" no include\n")
	} else {
		where := "in the domain's SPF record"
		if s.At != "@" {
			where = fmt.Sprintf("on %s.<domain>, not in the domain's own SPF record", s.At)
		}
		bw.printf(" include:%s %s%s  [%s]\n", strings.Join(s.Includes, " include:"), where, senderWhenText(c, s.When), s.Confidence)
		writeSenderFact(bw, "    ", s.CatalogFact)
	}

	bw.printf("\nDKIM:")
	if len(c.DKIM) == 0 {
		bw.printf(" none documented\n")
	} else {
		bw.printf("\n")
	}
	for _, d := range c.DKIM {
		bw.printf("  %s%s  [%s]\n", d.Shape, senderWhenText(c, d.When), d.Confidence)
		switch d.Shape {
		case schema.DKIMShapeCNAME:
			for _, s := range d.Selectors {
				bw.printf("    %s._domainkey CNAME %s\n", s.Name, s.Target)
			}
		case schema.DKIMShapeTXT:
			value := d.Value
			if value == "" {
				value = "{" + d.Key + "} (the whole TXT value)"
			}
			bw.printf("    %s._domainkey TXT %s, while %s is set\n", d.Selector, value, d.Key)
		case schema.DKIMShapeGenerated:
			bw.printf("    the domain's dkim blocks publish the key; the service signs with its private key\n")
		case schema.DKIMShapeDelegated:
			bw.printf("    the service publishes its keys in the subdomain delegated to it\n")
		}
		writeSenderFact(bw, "    ", d.CatalogFact)
	}

	if len(c.Records) > 0 {
		bw.printf("\nRecords:\n")
	}
	for _, r := range c.Records {
		bw.printf("  %s: %s %s %s%s  [%s]\n", r.Purpose, r.Name, r.Type, strings.Join(r.Values, ", "), senderWhenText(c, r.When), r.Confidence)
		writeSenderFact(bw, "    ", r.CatalogFact)
	}

	bw.printf("\nExample for %s:\n", schema.ExampleDomain)
	for _, line := range strings.Split(strings.TrimSuffix(c.ExampleHCL("example"), "\n"), "\n") {
		bw.printf("  %s\n", line)
	}
	bw.printf("\n")
	if len(ex.SPF) > 0 {
		bw.printf("  SPF terms of %s: %s\n", schema.ExampleDomain, strings.Join(ex.SPF, " "))
	}
	recs := senderExampleRecords(ex)
	if len(recs) == 0 && len(ex.SPF) == 0 {
		bw.printf("  no records\n")
	}
	if bw.err != nil {
		return bw.err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	for _, r := range recs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Name, r.Type, r.Value)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if sel := ex.DKIMSelectors(); len(sel) > 0 {
		bw.printf("  DKIM selectors owned: %s\n", strings.Join(sel, ", "))
	}

	if len(c.Notes) > 0 {
		bw.printf("\nNotes:\n")
	}
	for _, n := range c.Notes {
		bw.printf("  - %s\n", n)
	}
	bw.printf("\nSources:\n")
	for _, s := range c.Sources {
		bw.printf("  - %s\n", s)
	}
	return bw.err
}

func senderParamSummary(c *schema.CatalogEntry, p *schema.CatalogParam) string {
	parts := []string{p.Type}
	switch {
	case p.Required:
		parts = append(parts, "required")
	case p.RequiredWhen != nil:
		parts = append(parts, "required when "+senderCondText(c, p.RequiredWhen))
	case p.Default != nil:
		parts = append(parts, "default "+senderHCLValue(p.Default))
	default:
		parts = append(parts, "optional")
	}
	if len(p.Enum) > 0 {
		q := make([]string, len(p.Enum))
		for i, v := range p.Enum {
			q[i] = fmt.Sprintf("%q", v)
		}
		parts = append(parts, "one of "+strings.Join(q, ", "))
	}
	return strings.Join(parts, ", ")
}

// senderHCLValue prints a catalog value as it is written in HCL.
func senderHCLValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func senderWhenText(c *schema.CatalogEntry, cs schema.CatalogConditions) string {
	if len(cs) == 0 {
		return ""
	}
	parts := make([]string, len(cs))
	for i, cond := range cs {
		parts[i] = senderCondText(c, cond)
	}
	return ", when " + strings.Join(parts, " and ")
}

// senderCondText says a condition in the terms of the block: a bool parameter
// is "= true" rather than "is set".
func senderCondText(c *schema.CatalogEntry, cond *schema.CatalogCondition) string {
	if p := c.Param(cond.Param); p != nil && p.Type == schema.ParamTypeBool {
		return cond.Param + " = true"
	}
	return cond.String()
}

func writeSenderMXHosts(bw *errWriter, s *schema.CatalogMXSet) {
	for _, h := range s.Hosts {
		bw.printf("    %d %s\n", h.Preference, h.Host)
	}
}

func writeSenderFact(bw *errWriter, indent string, f schema.CatalogFact) {
	if f.Note != "" {
		bw.printf("%snote: %s\n", indent, f.Note)
	}
	for _, s := range f.Sources {
		bw.printf("%ssource: %s\n", indent, s)
	}
}
