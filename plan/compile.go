package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/mailauth/bimi"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/mailauth/tlsrpt"
	"github.com/mailconf/mailconf/schema"
)

// DefaultMTASTSMaxAge is the max_age of an MTA-STS policy that sets none:
// a week, long enough to protect and short enough to change.
const DefaultMTASTSMaxAge = 604800

// MaxSPFLookups is the limit on DNS-querying terms in one SPF evaluation.
// RFC 7208 section 4.6.4.
const MaxSPFLookups = 10

// MaxSPFLength keeps an SPF answer inside a 512-octet UDP response.
// RFC 7208 section 3.4.
const MaxSPFLength = 450

// Compile computes the records the configuration asks for. Rules that
// span a whole domain (SPF lookup limits, BIMI's need for an enforcing
// DMARC policy, MTA-STS's need for MX) are reported as diagnostics against
// the block that causes them.
func Compile(cfg *schema.Config) (*Desired, hcl.Diagnostics) {
	return CompileAt(cfg, time.Time{})
}

// CompileAt is Compile at the time now, which the steps of a DKIM key's
// life that end at a recorded time depend on: a retired key whose
// remove_after has passed publishes nothing, so the plan deletes its
// revocation record. The zero time takes no such step. plan reads no
// clock; the caller passes it.
func CompileAt(cfg *schema.Config, now time.Time) (*Desired, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := &Desired{Now: now}
	for _, d := range cfg.Domains {
		dr, ds := compileDomain(d, now)
		diags = append(diags, ds...)
		out.Domains = append(out.Domains, dr)
	}
	sort.Slice(out.Domains, func(i, j int) bool { return out.Domains[i].Domain < out.Domains[j].Domain })
	diags = append(diags, addReportAuthorizations(cfg, out)...)
	for _, dr := range out.Domains {
		dr.sort()
	}
	return out, diags
}

type compiler struct {
	d     *schema.Domain
	now   time.Time
	out   *DomainRecords
	diags hcl.Diagnostics
}

func (c *compiler) errorf(rng hcl.Range, summary, format string, args ...any) {
	c.diags = append(c.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject(rng, c.d.DeclRange),
	})
}

func (c *compiler) warnf(rng hcl.Range, summary, format string, args ...any) {
	c.diags = append(c.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject(rng, c.d.DeclRange),
	})
}

func subject(rng, fallback hcl.Range) *hcl.Range {
	if rng.Filename == "" {
		return fallback.Ptr()
	}
	return rng.Ptr()
}

// add records a set, reporting two parts of the configuration that want
// different things at the same name and type.
func (c *compiler) add(rs *RecordSet) {
	for _, prev := range c.out.Sets {
		if prev.Name != rs.Name || prev.Type != rs.Type {
			continue
		}
		switch {
		case prev.Exact && rs.Exact:
			// Two services' tokens at one name: one set, one change.
			for _, v := range rs.Values {
				if !slices.Contains(prev.Values, v) {
					prev.Values = append(prev.Values, v)
				}
			}
			if !strings.Contains(prev.Source, rs.Source) {
				prev.Source += ", " + rs.Source
			}
			return
		case prev.partial() && rs.partial() && prev.Prefix != rs.Prefix:
			// The SPF record and a service's token share the domain's
			// TXT records, each owning its own values; Diff merges them
			// into one change.
			continue
		}
		c.errorf(c.d.DeclRange, "Conflicting records", "Both %s and %s want the %s records at %s. Remove one of them.", prev.Source, rs.Source, rs.Type, rs.Name)
		return
	}
	for _, prev := range c.out.Sets {
		if prev.Name == rs.Name && (prev.Type == TypeCNAME) != (rs.Type == TypeCNAME) {
			// RFC 1034 section 3.6.2: a CNAME cannot coexist with other data.
			c.errorf(c.d.DeclRange, "CNAME beside other records", "%s wants a CNAME at %s, where %s also publishes %s records; a CNAME must be alone at its name (RFC 1034 section 3.6.2).", pick(rs, prev).Source, rs.Name, other(rs, prev).Source, other(rs, prev).Type)
			return
		}
	}
	c.out.Sets = append(c.out.Sets, rs)
}

func pick(a, b *RecordSet) *RecordSet {
	if a.Type == TypeCNAME {
		return a
	}
	return b
}

func other(a, b *RecordSet) *RecordSet {
	if a.Type == TypeCNAME {
		return b
	}
	return a
}

func compileDomain(d *schema.Domain, now time.Time) (*DomainRecords, hcl.Diagnostics) {
	c := &compiler{d: d, now: now, out: &DomainRecords{Domain: d.Name, Zone: d.Zone.Value}}
	if d.Provider != nil {
		c.out.Provider = d.Provider.Addr()
	}
	mx := c.mx()
	c.spf()
	dm := c.dmarc()
	c.dkim()
	c.senderRecords()
	if !d.Parked {
		c.bimi(dm)
		c.mtasts(mx)
		c.tlsrpt()
	}
	return c.out, c.diags
}

// mx returns the domain's MX hosts (nil for none or a null MX).
func (c *compiler) mx() []schema.MX {
	d := c.d
	var hosts []schema.MX
	source := "mx"
	switch {
	case d.Parked:
		// RFC 7505 section 3: a null MX is a single MX with preference 0
		// and the root as its exchange, and the only MX of the domain.
		c.add(&RecordSet{Name: d.Name, Type: TypeMX, TTL: d.TTL, Values: []string{"0 ."}, Source: "parked"})
		return nil
	case d.Mailbox != nil:
		hosts, source = d.Mailbox.MX, d.Mailbox.Addr()
	case len(d.MX) > 0:
		hosts = d.MX
	default:
		return nil
	}
	hosts = append([]schema.MX(nil), hosts...)
	sort.Slice(hosts, func(i, j int) bool {
		if hosts[i].Preference != hosts[j].Preference {
			return hosts[i].Preference < hosts[j].Preference
		}
		return hosts[i].Host < hosts[j].Host
	})
	rs := &RecordSet{Name: d.Name, Type: TypeMX, TTL: d.TTL, Source: source}
	for _, h := range hosts {
		rs.Values = append(rs.Values, fmt.Sprintf("%d %s.", h.Preference, h.Host))
	}
	c.add(rs)
	return hosts
}

func (c *compiler) spf() {
	d := c.d
	rs := &RecordSet{Name: d.Name, Type: TypeTXT, TTL: d.TTL, Prefix: "v=spf1", Source: "spf"}
	if d.Parked {
		// RFC 7208 section 8.1 / RFC 7505 practice: nothing sends as a
		// parked domain.
		rs.Values = []string{"v=spf1 -all"}
		c.add(rs)
		return
	}
	if s := d.SPF; s != nil {
		if s.Publish.Set && !s.Publish.Value {
			return
		}
		if s.Raw.Set {
			// Published as written; schema checked that it parses.
			rs.Values = []string{s.Raw.Value}
			c.add(rs)
			return
		}
	}
	// RFC 7208 section 4.6.2: mechanisms are evaluated left to right and
	// the first match decides, and section 4.6.4 counts DNS lookups as
	// they are spent, so the order of the terms is the operator's to
	// choose: the record keeps the order of the domain's senders list,
	// each sender's terms in the order the sender gives them (for a
	// custom sender: ip4, ip6, a, mx, include, each list as written; see
	// schema.SPFTerms), then the terms of the spf block. A term already
	// present is dropped where it repeats, so that nothing moves.
	var terms []string
	seen := map[string]bool{}
	addTerms := func(list []string) {
		for _, t := range list {
			parsed, err := spf.ParseTerm(t)
			if err != nil {
				c.errorf(spfRange(d), "Invalid SPF term", "%s: %s.", t, err)
				continue
			}
			m, ok := parsed.(*spf.Mechanism)
			if !ok {
				continue
			}
			s := m.String()
			if seen[s] {
				continue
			}
			seen[s] = true
			terms = append(terms, s)
		}
	}
	for _, s := range d.Senders {
		addTerms(s.SPF)
	}
	if s := d.SPF; s != nil {
		addTerms(schema.SPFTerms(s.IP4.Value, s.IP6.Value, s.Include.Value, s.A.Value, s.MX.Value))
	}
	// With nothing authorized, nothing may send: "-all". With senders, a
	// softfail leaves the verdict to DMARC, which is what receivers act on.
	all := "~all"
	if len(terms) == 0 {
		all = "-all"
	}
	if d.SPF != nil && d.SPF.All.Set {
		all = d.SPF.All.Value
	}
	parts := append([]string{"v=spf1"}, terms...)
	parts = append(parts, all)
	text := strings.Join(parts, " ")
	rec, err := spf.Parse(text)
	if err != nil {
		c.errorf(spfRange(d), "Invalid SPF record", "The compiled record %q does not parse: %s.", text, err)
		return
	}
	text = rec.String()
	c.out.SPFFlatten = "never"
	if d.SPF != nil {
		c.out.SPFFlatten = d.SPF.Flatten.Get("never")
	}
	// A record to be flattened is checked after flattening, when its
	// includes have become addresses.
	if n := rec.LookupTerms(); n > MaxSPFLookups && c.out.SPFFlatten == "never" {
		c.errorf(spfRange(d), "Too many SPF lookups", "The SPF record of %s has %d DNS-querying terms before any include is even expanded; receivers stop at %d and return permerror (RFC 7208 section 4.6.4), so SPF fails for all mail. Remove senders or replace includes with ip4/ip6 terms.", d.Name, n, MaxSPFLookups)
	}
	if len(text) > MaxSPFLength {
		c.warnf(spfRange(d), "Long SPF record", "The SPF record of %s is %d octets; above about %d the DNS answer may not fit a 512-octet UDP response (RFC 7208 section 3.4). Replace some terms with includes or networks.", d.Name, len(text), MaxSPFLength)
	}
	rs.Values = []string{text}
	c.add(rs)
}

func spfRange(d *schema.Domain) hcl.Range {
	switch {
	case d.Own.SPF != nil:
		return d.Own.SPF.DeclRange
	case len(d.SenderRanges) > 0:
		return hcl.RangeOver(d.SenderRanges[0], d.SenderRanges[len(d.SenderRanges)-1])
	case d.SPF != nil:
		return d.SPF.DeclRange
	}
	return d.DeclRange
}

func (c *compiler) dmarc() *dmarc.Record {
	d := c.d
	r := &dmarc.Record{P: dmarc.None}
	if s := d.DMARC; s != nil && !d.Parked {
		if s.Publish.Set && !s.Publish.Value {
			return r
		}
		if s.Raw.Set {
			if raw, err := dmarc.Parse(s.Raw.Value); err == nil {
				r = raw
			}
			c.add(&RecordSet{Name: "_dmarc." + d.Name, Type: TypeTXT, TTL: d.TTL, Prefix: "v=DMARC1", Values: []string{s.Raw.Value}, Source: "dmarc"})
			return r
		}
	}
	if s := d.DMARC; s != nil {
		r.P = dmarc.Policy(s.Policy.Get(string(dmarc.None)))
		r.SP = dmarc.Policy(s.SubdomainPolicy.Value)
		r.NP = dmarc.Policy(s.NonexistentPolicy.Value)
		r.RUA = s.RUA.Value
		r.RUF = s.RUF.Value
		r.ADKIM = alignment(s.ADKIM.Value)
		r.ASPF = alignment(s.ASPF.Value)
		r.FO = s.FailureOptions.Value
		r.PSD = s.PSD.Value
		if s.Testing.Set {
			r.T = "n"
			if s.Testing.Value {
				r.T = "y"
			}
		}
		if s.Percent.Set {
			v := s.Percent.Value
			r.PCT = &v
		}
		r.RF = s.ReportFormat.Value
		if s.ReportInterval.Set {
			v := s.ReportInterval.Value
			r.RI = &v
		}
	}
	if d.Parked {
		// Parked domains: every message claiming to be from them is forged.
		r.P, r.SP = dmarc.Reject, dmarc.Reject
		r.NP = ""
	}
	c.add(&RecordSet{Name: "_dmarc." + d.Name, Type: TypeTXT, TTL: d.TTL, Prefix: "v=DMARC1", Values: []string{r.String()}, Source: "dmarc"})
	return r
}

func alignment(v string) dmarc.Alignment {
	switch v {
	case "strict":
		return dmarc.Strict
	case "relaxed":
		return dmarc.Relaxed
	}
	return ""
}

func (c *compiler) dkim() {
	d := c.d
	for _, k := range d.DKIM {
		info := &KeyInfo{Selector: k.Selector, State: k.StateOr(), Family: k.KeyFamily(), RetireAfter: k.RetireAfter.Value, RemoveAfter: k.RemoveAfter.Value}
		set := &RecordSet{Name: dkim.Name(k.Selector, d.Name), Type: TypeTXT, TTL: d.TTL, Source: "dkim " + k.Selector, Active: info.State == schema.DKIMActive, Key: info}
		if info.State == schema.DKIMRetired && k.RemoveAfter.Set && !c.now.IsZero() && !c.now.Before(k.RemoveAfter.Value) {
			// The revocation period is over: nothing is published at the
			// selector, and the set (still owned) deletes what is there.
			info.Removed = true
			c.add(set)
			continue
		}
		if k.Published.Set {
			value := k.Published.Value
			if info.State == schema.DKIMRetired {
				value = "v=DKIM1; p="
			}
			set.Values = []string{value}
			c.add(set)
			continue
		}
		var rec *dkim.Record
		if info.State == schema.DKIMRetired || k.PublicKey == nil {
			if info.State != schema.DKIMRetired {
				continue // the key file failed to load; schema reported it
			}
			// RFC 6376 section 3.6.1: an empty p= means the key is revoked.
			rec = &dkim.Record{Version: "DKIM1"}
			if k.PublicKey != nil {
				alg, _ := dkim.Algorithm(k.PublicKey)
				rec.KeyType = alg
			}
		} else {
			var err error
			rec, err = dkim.PublicKeyRecord(k.PublicKey)
			if err != nil {
				c.errorf(k.KeyFile.Range, "Unusable DKIM key", "%s: %s.", k.Path, err)
				continue
			}
		}
		set.Values = []string{rec.String()}
		c.add(set)
	}
}

// senderRecords adds the records the domain's senders need: a catalog
// service's DKIM CNAMEs or keys, return-path, bounce and tracking names,
// and verification tokens. The mailbox's records come with it even when it
// is not in senders (only senders are authorized in SPF).
func (c *compiler) senderRecords() {
	d := c.d
	senders := d.Senders
	if d.Mailbox != nil && !slices.Contains(senders, d.Mailbox) {
		senders = append([]*schema.Sender{d.Mailbox}, senders...)
	}
	for _, s := range senders {
		type key struct{ name, typ string }
		var order []key
		sets := map[key]*RecordSet{}
		for _, r := range s.Records {
			r = schema.ExpandSenderRecord(r, d.Name)
			name := d.Name
			if r.Name != "@" && r.Name != "" {
				name = strings.ToLower(r.Name) + "." + d.Name
			}
			k := key{name, r.Type}
			rs := sets[k]
			if rs == nil {
				rs = &RecordSet{Name: name, Type: r.Type, TTL: d.TTL, Source: s.Addr()}
				switch {
				case r.Type == TypeTXT && name == d.Name:
					// DESIGN.md section 4: of the domain's own TXT values
					// mailconf owns only its SPF record, and the tokens
					// its senders need.
					rs.Exact = true
				case r.Type == TypeTXT && HasTagPrefix(r.Value, "v=spf1"):
					// A return-path name's SPF record.
					rs.Prefix = "v=spf1"
				}
				sets[k] = rs
				order = append(order, k)
			}
			if v := senderValue(r.Type, r.Value); !slices.Contains(rs.Values, v) {
				rs.Values = append(rs.Values, v)
			}
		}
		for _, k := range order {
			sort.Strings(sets[k].Values)
			c.add(sets[k])
		}
	}
}

// senderValue writes a catalog record's value as plan writes values: host
// names lower case and absolute (CNAME "host.", NS "host.", MX "10 host.").
func senderValue(typ, value string) string {
	absolute := func(h string) string {
		h = strings.ToLower(strings.TrimSpace(h))
		if !strings.HasSuffix(h, ".") {
			h += "."
		}
		return h
	}
	switch typ {
	case TypeCNAME, "NS":
		return absolute(value)
	case TypeMX:
		if pref, host, ok := strings.Cut(strings.TrimSpace(value), " "); ok {
			return pref + " " + absolute(host)
		}
	}
	return value
}

func (c *compiler) bimi(dm *dmarc.Record) {
	d := c.d
	b := d.BIMI
	if b == nil {
		return
	}
	// draft-brand-indicators-for-message-identification section 4: BIMI
	// is only honoured for a domain whose DMARC policy is enforcing, for
	// the domain and its subdomains, and not reduced by pct.
	var why string
	switch {
	case dm.P != dmarc.Quarantine && dm.P != dmarc.Reject:
		why = fmt.Sprintf("its DMARC policy is p=%s", dm.P)
	case dm.SP == dmarc.None:
		why = "its DMARC subdomain policy is sp=none"
	case dm.PCT != nil && *dm.PCT < 100:
		why = fmt.Sprintf("its DMARC policy applies to pct=%d%% of mail", *dm.PCT)
	}
	if why != "" {
		c.errorf(b.DeclRange, "BIMI without an enforcing DMARC policy", "Receivers show a BIMI logo only for domains whose DMARC policy is quarantine or reject for all mail, but %s. Set dmarc policy to \"quarantine\" or \"reject\" (without pct) or remove the bimi block.", why)
		return
	}
	rec := &bimi.Record{Logo: b.Logo.Value, Authority: b.Authority.Value}
	sel := b.Selector.Get(bimi.DefaultSelector)
	c.add(&RecordSet{Name: bimi.Name(sel, d.Name), Type: TypeTXT, TTL: d.TTL, Prefix: "v=BIMI1", Values: []string{rec.String()}, Source: "bimi"})
}

func (c *compiler) mtasts(mx []schema.MX) {
	d := c.d
	m := d.MTASTS
	if m == nil || !m.Mode.Set {
		return
	}
	if len(mx) == 0 {
		c.errorf(m.DeclRange, "MTA-STS without MX", "Domain %s publishes no MX records, so an MTA-STS policy has no mail servers to protect (RFC 8461 section 3.2). Declare a mailbox or mx blocks, or remove mta_sts.", d.Name)
		return
	}
	patterns := m.MX.Value
	if !m.MX.Set {
		for _, h := range mx {
			patterns = append(patterns, h.Host)
		}
	}
	// RFC 8461 section 4.1: a sender enforcing the policy refuses every MX
	// host that matches no pattern, so mail would bounce.
	for _, h := range mx {
		matched := false
		for _, p := range patterns {
			if mtasts.MatchMX(p, h.Host) {
				matched = true
				break
			}
		}
		if !matched {
			c.errorf(m.MX.Range, "MX host not in MTA-STS policy", "MX host %s matches no mx pattern of the MTA-STS policy of %s; senders enforcing the policy would refuse to deliver to it (RFC 8461 section 4.1). Add it to mx, or leave mx out to use the MX hosts.", h.Host, d.Name)
		}
	}
	pol := &mtasts.Policy{
		Mode:   mtasts.Mode(m.Mode.Value),
		MX:     patterns,
		MaxAge: m.MaxAge.Get(DefaultMTASTSMaxAge),
	}
	c.out.MTASTSPolicy = pol.String()
	// RFC 8461 section 3.1: the id must change whenever the policy does.
	// Derived from the policy text, it changes exactly then. An explicit
	// id (from a domain migrated from another tool) is published as it
	// is; keeping it current is then the user's job.
	rec := &mtasts.Record{ID: pol.ID()}
	if m.ID.Set {
		rec.ID = m.ID.Value
		c.out.MTASTSIDExplicit = true
	}
	c.add(&RecordSet{Name: "_mta-sts." + d.Name, Type: TypeTXT, TTL: d.TTL, Prefix: "v=STSv1", Values: []string{rec.String()}, Source: "mta_sts"})
}

func (c *compiler) tlsrpt() {
	d := c.d
	t := d.TLSRPT
	if t != nil && t.Raw.Set {
		c.add(&RecordSet{Name: "_smtp._tls." + d.Name, Type: TypeTXT, TTL: d.TTL, Prefix: "v=TLSRPTv1", Values: []string{t.Raw.Value}, Source: "tls_rpt"})
		return
	}
	if t == nil || !t.RUA.Set || len(t.RUA.Value) == 0 {
		return
	}
	rec := &tlsrpt.Record{RUA: t.RUA.Value}
	c.add(&RecordSet{Name: "_smtp._tls." + d.Name, Type: TypeTXT, TTL: d.TTL, Prefix: "v=TLSRPTv1", Values: []string{rec.String()}, Source: "tls_rpt"})
}

// addReportAuthorizations publishes, in each destination domain that the
// configuration also manages, the record that lets it receive another
// domain's DMARC reports (RFC 7489 section 7.1, RFC 9990).
func addReportAuthorizations(cfg *schema.Config, out *Desired) hcl.Diagnostics {
	for _, d := range cfg.Domains {
		if d.DMARC == nil {
			continue
		}
		dests := map[string]bool{}
		for _, uri := range append(append([]string(nil), d.DMARC.RUA.Value...), d.DMARC.RUF.Value...) {
			dest, err := dmarc.ReportDomain(uri)
			if err != nil || dest == "" {
				continue
			}
			dest = strings.ToLower(dest)
			if SameOrganization(d.Name, dest) {
				continue
			}
			dests[dest] = true
		}
		for dest := range dests {
			dr := out.Domain(dest)
			if dr == nil {
				continue // not ours: lint checks the live record
			}
			name := dmarc.ReportAuthorizationName(d.Name, dest)
			if dr.Set(name, TypeTXT) != nil {
				continue
			}
			dr.Sets = append(dr.Sets, &RecordSet{
				Name: name, Type: TypeTXT, TTL: cfg.Domain(dest).TTL, Prefix: "v=DMARC1",
				Values: []string{dmarc.ReportAuthorizationRecord},
				Source: "dmarc reports of " + d.Name,
			})
		}
	}
	return nil
}

// SameOrganization reports whether reports for domain sent to dest stay
// within one organization: dest is the domain, a parent or a subdomain of
// it. Without the public suffix list this is conservative: siblings such
// as a.example.com and b.example.com are treated as external, so at worst
// mailconf publishes an authorization record that is not needed.
func SameOrganization(domain, dest string) bool {
	return domain == dest || strings.HasSuffix(domain, "."+dest) || strings.HasSuffix(dest, "."+domain)
}
