package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/plan"
)

func newRecordsCmd(e *env) *cobra.Command {
	var cf configFlags
	var domains []string
	var format string
	cmd := &cobra.Command{
		Use:   "records",
		Short: "Print the DNS records the configuration compiles to",
		Long: `records prints every record mailconf would publish, in zone-file syntax
(RFC 1035 master file format) or as JSON, so you can see exactly what goes
into DNS. Long TXT values are split into strings of at most 255 octets, as
they are published.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "zone" && format != "json" {
				return fmt.Errorf("--format must be zone or json, not %q", format)
			}
			_, desired, err := cf.load(e)
			if err != nil {
				return err
			}
			if err := cf.complete(cmd.Context(), e, desired); err != nil {
				return err
			}
			sel, err := selectDomains(desired, domains)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeRecordsJSON(e.stdout, sel)
			}
			return writeRecordsZone(e.stdout, sel)
		},
	}
	cf.register(cmd)
	cf.registerResolver(cmd, "when SPF records are flattened")
	cmd.Flags().StringSliceVar(&domains, "domain", nil, "only this `DOMAIN` (repeatable)")
	cmd.Flags().StringVar(&format, "format", "zone", "output `FORMAT`: zone or json")
	return cmd
}

// selectDomains keeps the named domains, in configuration order.
func selectDomains(desired *plan.Desired, names []string) ([]*plan.DomainRecords, error) {
	if len(names) == 0 {
		return desired.Domains, nil
	}
	var out []*plan.DomainRecords
	for _, n := range names {
		d := desired.Domain(strings.ToLower(strings.TrimSuffix(n, ".")))
		if d == nil {
			return nil, fmt.Errorf("domain %q is not in the configuration", n)
		}
		out = append(out, d)
	}
	return out, nil
}

// rrs turns a record set into miekg/dns records, so that names, TXT
// quoting and escaping follow the master-file rules exactly.
func rrs(rs *plan.RecordSet) ([]dns.RR, error) {
	var out []dns.RR
	hdr := dns.RR_Header{Name: dns.Fqdn(rs.Name), Class: dns.ClassINET, Ttl: rs.TTL}
	for _, v := range rs.Values {
		switch rs.Type {
		case plan.TypeTXT:
			h := hdr
			h.Rrtype = dns.TypeTXT
			out = append(out, &dns.TXT{Hdr: h, Txt: spf.Split(v)})
		default:
			rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", hdr.Name, rs.TTL, rs.Type, v))
			if err != nil {
				return nil, fmt.Errorf("record %s %s %q: %w", rs.Name, rs.Type, v, err)
			}
			out = append(out, rr)
		}
	}
	return out, nil
}

func writeRecordsZone(w io.Writer, domains []*plan.DomainRecords) error {
	for i, d := range domains {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "; %s", d.Domain)
		if d.Provider != "" {
			fmt.Fprintf(w, " (%s)", d.Provider)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
		for _, rs := range d.Sets {
			list, err := rrs(rs)
			if err != nil {
				return err
			}
			for _, rr := range list {
				h := rr.Header()
				rdata := strings.TrimPrefix(rr.String(), h.String())
				fmt.Fprintf(tw, "%s\t%d\tIN\t%s\t%s\n", h.Name, h.Ttl, dns.TypeToString[h.Rrtype], rdata)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

type recordsJSON struct {
	Domains []domainJSON `json:"domains"`
}

type domainJSON struct {
	Domain       string      `json:"domain"`
	Zone         string      `json:"zone,omitempty"`
	Provider     string      `json:"provider,omitempty"`
	Records      []rrsetJSON `json:"records"`
	MTASTSPolicy string      `json:"mta_sts_policy,omitempty"`
}

type rrsetJSON struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	TTL    uint32   `json:"ttl"`
	Values []string `json:"values"`
	// Strings are the TXT values as published: character-strings of at
	// most 255 octets each.
	Strings [][]string `json:"strings,omitempty"`
	// OwnedPrefix: mailconf owns only the values at this name that start
	// with it; absent: it owns every value of this type at the name.
	OwnedPrefix string `json:"owned_prefix,omitempty"`
	// OwnedExact: mailconf owns only these values at this name (a
	// service's verification token beside other TXT values).
	OwnedExact bool   `json:"owned_exact,omitempty"`
	Source     string `json:"source"`
}

func writeRecordsJSON(w io.Writer, domains []*plan.DomainRecords) error {
	out := recordsJSON{Domains: []domainJSON{}}
	for _, d := range domains {
		dj := domainJSON{Domain: d.Domain, Zone: d.Zone, Provider: d.Provider, Records: []rrsetJSON{}, MTASTSPolicy: d.MTASTSPolicy}
		for _, rs := range d.Sets {
			rj := rrsetJSON{Name: rs.Name, Type: rs.Type, TTL: rs.TTL, Values: rs.Values, OwnedPrefix: rs.Prefix, OwnedExact: rs.Exact, Source: rs.Source}
			if rs.Type == plan.TypeTXT {
				for _, v := range rs.Values {
					rj.Strings = append(rj.Strings, spf.Split(v))
				}
			}
			dj.Records = append(dj.Records, rj)
		}
		out.Domains = append(out.Domains, dj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
