// Package published evaluates the records a domain serves the way a
// receiver would, once they have propagated: SPF's check_host for every
// address the configuration says sends for the domain, each active DKIM
// key retrievable and equal to the configured private key, the DMARC
// policy found by RFC 9989's tree walk, and the BIMI, MTA-STS and TLS-RPT
// records readable.
//
// It only reads the DNS, through the resolver it is given; it never sends
// mail. Every failure says what to fix.
package published

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/mailconf/mailconf/mailauth/bimi"
	mdkim "github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/mailauth/tlsrpt"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/receiver"
)

// Check is one evaluation.
type Check struct {
	Domain string `json:"domain"`
	// Kind is "spf", "dkim", "dmarc", "bimi", "mta-sts" or "tls-rpt".
	Kind string `json:"kind"`
	// Subject is what was checked: an address for SPF, a selector for DKIM.
	Subject string `json:"subject,omitempty"`
	OK      bool   `json:"ok"`
	// Result is the receiver's word: "pass", "fail", "softfail", ...
	Result string `json:"result,omitempty"`
	// Message says what was found and, on failure, what to fix.
	Message string `json:"message"`
}

// Helo is the HELO name used for SPF checks: a receiver evaluates MAIL
// FROM, which is the domain's own probe address.
const Helo = "probe.mailconf.invalid"

// Evaluate checks every domain of the configuration against what r serves.
func Evaluate(ctx context.Context, r resolve.Resolver, cfg *schema.Config, desired *plan.Desired) []Check {
	var out []Check
	for _, d := range cfg.Domains {
		dr := desired.Domain(d.Name)
		if dr == nil {
			continue
		}
		out = append(out, spfChecks(ctx, r, cfg.Relay, d, dr)...)
		out = append(out, dkimChecks(ctx, r, d)...)
		out = append(out, dmarcCheck(ctx, r, d))
		out = append(out, parseChecks(ctx, r, d, dr)...)
	}
	return out
}

// senderAddr is an address some part of the configuration says sends for
// the domain, with where it was declared.
type senderAddr struct {
	ip     netip.Addr
	source string
	relay  bool // an address of mailconf's relay, not declared by a sender
}

func senderAddrs(relay *schema.Relay, d *schema.Domain) []senderAddr {
	var out []senderAddr
	seen := map[netip.Addr]bool{}
	add := func(term, source string, relay bool) {
		kind, v, ok := strings.Cut(term, ":")
		if !ok || kind != "ip4" && kind != "ip6" {
			return
		}
		var ip netip.Addr
		if p, err := netip.ParsePrefix(v); err == nil {
			ip = p.Masked().Addr()
		} else if a, err := netip.ParseAddr(v); err == nil {
			ip = a
		} else {
			return
		}
		if !seen[ip] {
			seen[ip] = true
			out = append(out, senderAddr{ip: ip, source: source, relay: relay})
		}
	}
	for _, s := range d.Senders {
		for _, t := range s.SPF {
			add(t, s.Addr(), false)
		}
	}
	if d.SPF != nil {
		for _, v := range d.SPF.IP4.Value {
			add("ip4:"+v, "the spf block", false)
		}
		for _, v := range d.SPF.IP6.Value {
			add("ip6:"+v, "the spf block", false)
		}
	}
	// mailconf's own relay sends for every domain one of its users may
	// send as.
	if relay != nil && relaySends(relay, d.Name) {
		for _, ip := range relay.Addresses {
			kind := "ip4:"
			if ip.Is6() {
				kind = "ip6:"
			}
			add(kind+ip.String(), "relay.addresses", true)
		}
	}
	return out
}

func relaySends(relay *schema.Relay, domain string) bool {
	for _, u := range relay.Users {
		for _, d := range u.AllowedFrom {
			if d == domain {
				return true
			}
		}
	}
	return false
}

func spfChecks(ctx context.Context, r resolve.Resolver, relay *schema.Relay, d *schema.Domain, dr *plan.DomainRecords) []Check {
	if d.Parked {
		return nil
	}
	var record string
	if rs := dr.Set(d.Name, plan.TypeTXT); rs != nil && len(rs.Values) > 0 {
		record = rs.Values[0]
	}
	var out []Check
	for _, a := range senderAddrs(relay, d) {
		res := receiver.CheckSPF(ctx, r, a.ip, Helo, "mailconf-probe@"+d.Name)
		c := Check{Domain: d.Name, Kind: "spf", Subject: a.ip.String(), Result: res.Result, OK: res.Result == "pass"}
		switch {
		case c.OK:
			c.Message = fmt.Sprintf("%s is authorized (declared by %s)", a.ip, a.source)
		case a.relay:
			c.Message = fmt.Sprintf("SPF: %s, an address of mailconf's relay, is not authorized (%s) by %q; add it to a sender of %s (such as a custom sender's ip4/ip6), then plan and apply", a.ip, res.Result, record, d.Name)
		default:
			c.Message = fmt.Sprintf("SPF: %s is not authorized (%s) by %q, though %s declares it: the published record is not the configured one; apply the plan", a.ip, res.Result, record, a.source)
		}
		out = append(out, c)
	}
	return out
}

func dkimChecks(ctx context.Context, r resolve.Resolver, d *schema.Domain) []Check {
	var out []Check
	for _, k := range d.DKIM {
		if k.StateOr() != schema.DKIMActive || k.PublicKey == nil {
			continue
		}
		want, err := mdkim.PublicKeyRecord(k.PublicKey)
		if err != nil {
			continue
		}
		name := mdkim.Name(k.Selector, d.Name)
		c := Check{Domain: d.Name, Kind: "dkim", Subject: k.Selector}
		txt, void, err := resolve.LookupTXT(ctx, r, name)
		switch {
		case err != nil:
			c.Result, c.Message = "temperror", fmt.Sprintf("DKIM: looking up %s failed: %s; run verify again", name, err)
		case void || len(txt) == 0:
			c.Result, c.Message = "fail", fmt.Sprintf("DKIM: %s publishes no key, so every message signed with selector %s fails DKIM; apply the plan", name, k.Selector)
		default:
			c.Result, c.Message = "fail", fmt.Sprintf("DKIM: the key at %s is not the public half of %s; signatures made with it fail; apply the plan or fix key_file", name, k.KeyFile.Value)
			for _, t := range txt {
				if rec, err := mdkim.Parse(t); err == nil && string(rec.PublicKey) == string(want.PublicKey) {
					c.OK, c.Result, c.Message = true, "pass", fmt.Sprintf("%s serves the configured key", name)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func dmarcCheck(ctx context.Context, r resolve.Resolver, d *schema.Domain) Check {
	c := Check{Domain: d.Name, Kind: "dmarc"}
	pol, err := receiver.DiscoverDMARC(ctx, r, d.Name)
	switch {
	case err != nil:
		c.Result, c.Message = "temperror", fmt.Sprintf("DMARC: the tree walk from %s failed: %s; run verify again", d.Name, err)
	case pol == nil:
		c.Result, c.Message = "none", fmt.Sprintf("DMARC: no policy applies to %s (the tree walk found no record); apply the plan", d.Name)
	default:
		if _, err := dmarc.Parse(pol.Record); err != nil {
			c.Result, c.Message = "permerror", fmt.Sprintf("DMARC: the record at _dmarc.%s does not parse: %s", pol.Domain, err)
		} else {
			c.OK, c.Result = true, "pass"
			c.Message = fmt.Sprintf("policy %q found at _dmarc.%s (organizational domain %s)", pol.Record, pol.Domain, pol.OrgDomain)
		}
	}
	return c
}

// parseChecks reads back the BIMI, MTA-STS and TLS-RPT records the plan
// publishes.
func parseChecks(ctx context.Context, r resolve.Resolver, d *schema.Domain, dr *plan.DomainRecords) []Check {
	var out []Check
	for _, rs := range dr.Sets {
		var kind string
		var parse func(string) error
		switch rs.Prefix {
		case "v=BIMI1":
			kind, parse = "bimi", func(s string) error { _, err := bimi.Parse(s); return err }
		case "v=STSv1":
			kind, parse = "mta-sts", func(s string) error { _, err := mtasts.Parse(s); return err }
		case "v=TLSRPTv1":
			kind, parse = "tls-rpt", func(s string) error { _, err := tlsrpt.Parse(s); return err }
		default:
			continue
		}
		c := Check{Domain: d.Name, Kind: kind, Subject: rs.Name}
		txt, _, err := resolve.LookupTXT(ctx, r, rs.Name)
		if err != nil {
			c.Result, c.Message = "temperror", fmt.Sprintf("looking up %s failed: %s", rs.Name, err)
			out = append(out, c)
			continue
		}
		var found []string
		for _, t := range txt {
			if plan.HasTagPrefix(t, rs.Prefix) {
				found = append(found, t)
			}
		}
		sort.Strings(found)
		switch {
		case len(found) == 0:
			c.Result, c.Message = "none", fmt.Sprintf("%s serves no %s record; apply the plan", rs.Name, rs.Prefix)
		case len(found) > 1:
			c.Result, c.Message = "permerror", fmt.Sprintf("%s serves %d %s records; receivers need exactly one", rs.Name, len(found), rs.Prefix)
		default:
			if err := parse(found[0]); err != nil {
				c.Result, c.Message = "permerror", fmt.Sprintf("%s: %q does not parse: %s", rs.Name, found[0], err)
			} else {
				c.OK, c.Result, c.Message = true, "pass", fmt.Sprintf("%s serves %q", rs.Name, found[0])
			}
		}
		out = append(out, c)
	}
	return out
}
