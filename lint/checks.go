package lint

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/mailauth"
	"github.com/mailconf/mailconf/mailauth/bimi"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/mailauth/tlsrpt"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
)

// Check describes one kind of finding.
type Check struct {
	Code     string
	Severity Severity
	Summary  string
	RFC      string
	// Online checks need the DNS; lint --offline skips them.
	Online bool
}

// Checks are the findings lint itself produces. The record models of
// mailauth add their own codes (spf-*, dmarc-*, dkim-*, ...) through their
// Validate and Analyze problems; checkInfo knows both.
var Checks = []Check{
	{"spf-analysis", Error, "SPF record expanded through every include: lookup and void limits", "RFC 7208 section 4.6.4", true},
	{"dmarc-report-unauthorized", Error, "An external DMARC report destination has not authorized the domain's reports", "RFC 7489 section 7.1", true},
	{"dkim-key-not-published", Warning, "The DKIM key of a next selector is not published yet", "RFC 6376 section 3.6.2", true},
	{"dkim-active-key-not-served", Error, "The relay signs with a DKIM key the DNS does not serve", "RFC 6376 section 3.6.2", true},
	{"dkim-key-too-old", Warning, "An active DKIM key older than dkim_rotation.max_age", "RFC 6376 section 3.6.1", false},
	{"dkim-no-active-key", Warning, "The relay sends for a domain that has no active DKIM key", "RFC 6376 section 5", false},
	{"dkim-key-mismatch", Warning, "The published DKIM key differs from the configured private key", "RFC 6376 section 3.6.1", true},
	{"mx-no-address", Error, "An MX host has no A or AAAA record", "RFC 5321 section 5.1", true},
	{"mx-cname", Error, "An MX host is a CNAME", "RFC 2181 section 10.3", true},
	{"mx-lookup-failed", Warning, "An MX host could not be looked up", "RFC 5321 section 5.1", true},
	{"mx-ip-literal", Error, "An MX target is an IP address", "RFC 5321 section 5.1", false},
	{"mx-null-not-alone", Error, "A null MX is published beside other MX records", "RFC 7505 section 3", false},
	{"mx-null-sending-domain", Error, "A domain that sends mail publishes a null MX", "RFC 7505 section 4.2", false},
	{"bimi-dmarc-not-enforcing", Error, "BIMI without an enforcing DMARC policy", "draft-brand-indicators-for-message-identification section 4", false},
	{"mtasts-mx-not-covered", Error, "An MX host matches no pattern of the MTA-STS policy", "RFC 8461 section 4.1", false},
	{"record-unparsable", Error, "A compiled record does not parse", "", false},
	{"sender-secondary-facts", Info, "A catalog sender's records rest on secondary sources", "", false},
}

// offline runs the checks that need only the compiled records.
func (c *checker) offline() {
	for _, rs := range c.records.Sets {
		for _, v := range rs.Values {
			c.validate(rs, v)
		}
	}
	c.mx()
	c.bimiNeedsDMARC()
	c.mtastsCoversMX()
	c.senderConfidence()
	c.dkimKeys()
}

// dkimKeys checks the managed keys themselves (their strength is the
// record check dkim-rsa-1024 of mailauth/dkim): their age
// against the policy's max_age, and that a domain the relay sends for has
// a key to sign with.
func (c *checker) dkimKeys() {
	d := c.domain
	rot := d.DKIMRotation
	signing := false
	for _, k := range d.DKIM {
		name := dkim.Name(k.Selector, d.Name) + " TXT"
		state := k.StateOr()
		if k.StateOr() == schema.DKIMActive && k.Path != "" && k.PublicKey != nil {
			signing = true
		}
		if rot != nil && rot.MaxAge.Set && state == schema.DKIMActive && k.Created.Set && !c.now.IsZero() {
			if age := c.now.Sub(k.Created.Value); age > rot.MaxAge.Value {
				c.add("dkim-key-too-old", name, fmt.Sprintf("Selector %s of %s was created %s, %s ago, longer than max_age = %q allows.", k.Selector, d.Name, k.Created.Value.Format(time.RFC3339), roughAge(age), schema.FormatDuration(rot.MaxAge.Value)), fmt.Sprintf("Rotate it: mailconf dkim rotate %s --write, then plan and apply.", d.Name))
			}
		}
	}
	if signing || c.cfg.Relay == nil || d.Parked {
		return
	}
	for _, u := range c.cfg.Relay.Users {
		if slices.Contains(u.AllowedFrom, d.Name) {
			c.add("dkim-no-active-key", d.Name, fmt.Sprintf("Relay user %q may send as %s, but %s has no active DKIM key with a key file, so the relay sends its mail unsigned and DMARC rests on SPF alone.", u.Name, d.Name, d.Name), fmt.Sprintf("Make a key: mailconf dkim keygen %s SELECTOR --write (or mailconf dkim rotate %s --write, then activate it once it is served).", d.Name, d.Name))
			return
		}
	}
}

// roughAge prints an age in days, or hours under two days.
func roughAge(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// senderConfidence mentions the catalog facts behind a domain's records
// that come from third-party sources rather than the service's own
// documentation, so that the user compares them with what the service
// shows before trusting them with mail.
func (c *checker) senderConfidence() {
	senders := append([]*schema.Sender(nil), c.domain.Senders...)
	if m := c.domain.Mailbox; m != nil && !slices.Contains(senders, m) {
		senders = append(senders, m)
	}
	for _, s := range senders {
		e := schema.CatalogEntryByID(s.Type)
		if e == nil {
			continue
		}
		var fields, notes []string
		for _, f := range s.Facts {
			if f.Fact.Confidence != schema.ConfidenceSecondary {
				continue
			}
			fields = append(fields, f.Field)
			if f.Fact.Note != "" && !slices.Contains(notes, f.Fact.Note) {
				notes = append(notes, f.Fact.Note)
			}
		}
		if len(fields) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s (%s): the catalog's facts for %s come from secondary sources, not %s's own documentation", s.Addr(), e.Name, strings.Join(fields, ", "), e.Name)
		if len(notes) > 0 {
			msg += ": " + strings.Join(notes, " ")
		}
		c.add("sender-secondary-facts", s.Addr(), msg, fmt.Sprintf("compare the records of mailconf records --domain %s with what %s shows for the domain (mailconf senders show %s lists the sources)", c.records.Domain, e.Name, e.ID))
	}
}

// validate runs the record model's own rules over one value.
func (c *checker) validate(rs *plan.RecordSet, value string) {
	record := rs.Name + " " + rs.Type
	var problems []mailauth.Problem
	var err error
	switch {
	case rs.Type != plan.TypeTXT:
		return
	case rs.Prefix == "v=spf1":
		var r *spf.Record
		if r, err = spf.Parse(value); err == nil {
			problems = r.Validate()
		}
	case rs.Prefix == "v=DMARC1" && strings.HasPrefix(rs.Name, "_dmarc."):
		var r *dmarc.Record
		if r, err = dmarc.Parse(value); err == nil {
			problems = r.Validate()
		}
	case strings.Contains(rs.Name, "._domainkey."):
		var r *dkim.Record
		if r, err = dkim.Parse(value); err == nil {
			problems = r.Validate()
		}
	case rs.Prefix == "v=BIMI1":
		var r *bimi.Record
		if r, err = bimi.Parse(value); err == nil {
			problems = r.Validate()
		}
	case rs.Prefix == "v=STSv1":
		var r *mtasts.Record
		if r, err = mtasts.Parse(value); err == nil {
			problems = r.Validate()
		}
		if c.records.MTASTSPolicy != "" {
			if p, perr := mtasts.ParsePolicy(c.records.MTASTSPolicy); perr == nil {
				problems = append(problems, p.Validate()...)
			}
		}
	case rs.Prefix == "v=TLSRPTv1":
		var r *tlsrpt.Record
		if r, err = tlsrpt.Parse(value); err == nil {
			problems = r.Validate()
		}
	default:
		return
	}
	if err != nil {
		c.add("record-unparsable", record, fmt.Sprintf("%q does not parse: %s.", value, err), "Report this: mailconf compiled a record it cannot read back.")
		return
	}
	for _, p := range problems {
		c.problem(record, p)
	}
}

// problem turns a record model's problem into a finding.
func (c *checker) problem(record string, p mailauth.Problem) {
	sev := Warning
	if p.Severity == mailauth.Error {
		sev = Error
	}
	msg := p.Message
	if p.Tag != "" {
		msg = fmt.Sprintf("%s: %s", p.Tag, p.Message)
	}
	code := p.Code
	if code == "" {
		code = "record-problem"
	}
	c.addSeverity(code, sev, record, msg, "", p.RFC)
}

// mx checks the MX set without the DNS: no IP literals, a null MX alone and
// not on a domain that sends mail.
func (c *checker) mx() {
	d := c.records
	rs := d.Set(d.Domain, plan.TypeMX)
	if rs == nil {
		return
	}
	record := d.Domain + " MX"
	null := false
	for _, v := range rs.Values {
		host := mxHost(v)
		if host == "." {
			null = true
			continue
		}
		if _, err := netip.ParseAddr(strings.TrimSuffix(host, ".")); err == nil {
			c.add("mx-ip-literal", record, fmt.Sprintf("MX target %s is an IP address.", host), "Publish the host name of the mail server; its A/AAAA records hold the address.")
		}
	}
	if null && len(rs.Values) > 1 {
		c.add("mx-null-not-alone", record, "A null MX (\"0 .\") is published with other MX records; receivers may treat the domain as receiving no mail.", "Keep either the null MX or the real mail servers.")
	}
	if null {
		if spfSet := d.Set(d.Domain, plan.TypeTXT); spfSet != nil {
			for _, v := range spfSet.Values {
				if r, err := spf.Parse(v); err == nil && sends(r) {
					c.add("mx-null-sending-domain", record, "The domain publishes a null MX but its SPF record authorizes senders: bounces and replies to its mail cannot be delivered.", "Remove the senders, or publish real MX records.")
				}
			}
		}
	}
}

// sends reports whether an SPF record authorizes anything.
func sends(r *spf.Record) bool {
	for _, t := range r.Terms {
		if m, ok := t.(*spf.Mechanism); ok && m.Kind != spf.All && m.Qualifier == spf.Pass {
			return true
		}
	}
	if all := r.All(); all != nil && all.Qualifier == spf.Pass {
		return true
	}
	return false
}

func mxHost(v string) string {
	_, host, _ := strings.Cut(v, " ")
	return strings.ToLower(host)
}

// bimiNeedsDMARC: receivers show a logo only under an enforcing DMARC
// policy for all mail.
func (c *checker) bimiNeedsDMARC() {
	d := c.records
	var bimiSet *plan.RecordSet
	for _, rs := range d.Sets {
		if rs.Prefix == "v=BIMI1" {
			bimiSet = rs
		}
	}
	if bimiSet == nil {
		return
	}
	dm := d.Set("_dmarc."+d.Domain, plan.TypeTXT)
	if dm == nil || len(dm.Values) == 0 {
		c.add("bimi-dmarc-not-enforcing", bimiSet.Name+" TXT", "The domain publishes BIMI but no DMARC policy.", "Publish DMARC with p=quarantine or p=reject.")
		return
	}
	r, err := dmarc.Parse(dm.Values[0])
	if err != nil {
		return
	}
	switch {
	case r.P != dmarc.Quarantine && r.P != dmarc.Reject:
		c.add("bimi-dmarc-not-enforcing", bimiSet.Name+" TXT", fmt.Sprintf("The DMARC policy is p=%s; receivers show BIMI logos only for p=quarantine or p=reject.", policy(r.P)), "Set the DMARC policy to quarantine or reject.")
	case r.SP == dmarc.None:
		c.add("bimi-dmarc-not-enforcing", bimiSet.Name+" TXT", "The DMARC subdomain policy is sp=none; BIMI needs enforcement for subdomains too.", "Set sp to quarantine or reject, or leave it out.")
	case r.PCT != nil && *r.PCT < 100:
		c.add("bimi-dmarc-not-enforcing", bimiSet.Name+" TXT", fmt.Sprintf("The DMARC policy applies to pct=%d%% of mail; BIMI needs 100.", *r.PCT), "Remove pct.")
	}
}

func policy(p dmarc.Policy) dmarc.Policy {
	if p == "" {
		return dmarc.None
	}
	return p
}

// mtastsCoversMX: a sender enforcing MTA-STS refuses MX hosts that match no
// pattern of the policy.
func (c *checker) mtastsCoversMX() {
	d := c.records
	if d.MTASTSPolicy == "" {
		return
	}
	p, err := mtasts.ParsePolicy(d.MTASTSPolicy)
	if err != nil {
		c.add("record-unparsable", "mta-sts."+d.Domain+" policy", fmt.Sprintf("The MTA-STS policy does not parse: %s.", err), "")
		return
	}
	rs := d.Set(d.Domain, plan.TypeMX)
	if rs == nil {
		return
	}
	for _, v := range rs.Values {
		host := strings.TrimSuffix(mxHost(v), ".")
		matched := false
		for _, pattern := range p.MX {
			if mtasts.MatchMX(pattern, host) {
				matched = true
				break
			}
		}
		if !matched {
			c.add("mtasts-mx-not-covered", "_mta-sts."+d.Domain+" TXT", fmt.Sprintf("MX host %s matches no mx pattern of the MTA-STS policy; senders enforcing the policy refuse to deliver to it.", host), "Add the host to the mta_sts mx patterns, or leave mx out to use the MX hosts.")
		}
	}
}

// online runs the checks that need the DNS.
func (c *checker) online() {
	c.spfAnalysis()
	c.reportAuthorization()
	c.dkimPublished()
	c.mxResolves()
}

// reportAuthorization: a receiver sends aggregate and failure reports to a
// destination in another organization only when that destination publishes
// <domain>._report._dmarc.<dest> (or a wildcard) with v=DMARC1.
func (c *checker) reportAuthorization() {
	d := c.domain
	if d.DMARC == nil {
		return
	}
	seen := map[string]bool{}
	uris := append(append([]string(nil), d.DMARC.RUA.Value...), d.DMARC.RUF.Value...)
	for _, uri := range uris {
		dest, err := dmarc.ReportDomain(uri)
		if err != nil || dest == "" {
			continue
		}
		dest = strings.ToLower(dest)
		if seen[dest] || plan.SameOrganization(d.Name, dest) {
			continue
		}
		seen[dest] = true
		name := dmarc.ReportAuthorizationName(d.Name, dest)
		// A destination managed by this configuration gets the record
		// from the plan itself.
		if dr := c.desired.Domain(dest); dr != nil && dr.Set(name, plan.TypeTXT) != nil {
			continue
		}
		ok, err := c.authorized(name)
		if err == nil && !ok {
			ok, err = c.authorized("*._report._dmarc." + dest)
		}
		switch {
		case err != nil:
			c.addSeverity("dmarc-report-unauthorized", Warning, "_dmarc."+d.Name+" TXT", fmt.Sprintf("Could not check whether %s authorizes reports for %s: %s.", dest, d.Name, err), "Run lint again; the lookup may succeed.", "")
		case !ok:
			c.add("dmarc-report-unauthorized", "_dmarc."+d.Name+" TXT", fmt.Sprintf("Reports go to %s, which has not authorized them: %s has no v=DMARC1 record, so receivers will not send them.", uri, name), fmt.Sprintf("Ask the owner of %s to publish %s TXT \"v=DMARC1;\", or send reports to an address of %s.", dest, name, d.Name))
		}
	}
}

func (c *checker) authorized(name string) (bool, error) {
	txt, void, err := resolve.LookupTXT(c.ctx, c.resolver, name)
	if err != nil || void {
		return false, err
	}
	for _, t := range txt {
		if dmarc.IsReportAuthorization(t) {
			return true, nil
		}
	}
	return false, nil
}

// dkimPublished compares the published key of each selector that has a
// private key with the key configured.
func (c *checker) dkimPublished() {
	for _, k := range c.domain.DKIM {
		if k.PublicKey == nil {
			continue
		}
		want, err := dkim.PublicKeyRecord(k.PublicKey)
		if err != nil {
			continue
		}
		name := dkim.Name(k.Selector, c.domain.Name)
		txt, void, err := resolve.LookupTXT(c.ctx, c.resolver, name)
		if err != nil {
			continue
		}
		if void || len(txt) == 0 {
			switch k.StateOr() {
			case schema.DKIMActive:
				c.add("dkim-active-key-not-served", name+" TXT", fmt.Sprintf("Selector %s of %s is active, so the relay signs with it, but the DNS serves no key at %s: every message it signs fails DKIM.", k.Selector, c.domain.Name, name), "Apply the plan and wait for it to propagate (mailconf verify --no-probe); new keys should start as next and be activated with mailconf dkim rotate once they are served.")
			case schema.DKIMNext:
				c.add("dkim-key-not-published", name+" TXT", fmt.Sprintf("Selector %s of %s has no published key yet; it cannot become active until it is served.", k.Selector, c.domain.Name), "Apply the plan, then run mailconf dkim rotate once verify shows it on every name server.")
			}
			continue
		}
		match := false
		for _, t := range txt {
			if r, err := dkim.Parse(t); err == nil && string(r.PublicKey) == string(want.PublicKey) {
				match = true
			}
		}
		if !match {
			c.add("dkim-key-mismatch", name+" TXT", fmt.Sprintf("The key published at %s is not the public half of %s; signatures made with the configured key fail.", name, k.KeyFile.Value), "Apply the plan to publish the configured key, or fix key_file.")
		}
	}
}

// mxResolves: every MX host must have an address and must not be a CNAME.
func (c *checker) mxResolves() {
	d := c.records
	rs := d.Set(d.Domain, plan.TypeMX)
	if rs == nil {
		return
	}
	hosts := map[string]bool{}
	for _, v := range rs.Values {
		h := strings.TrimSuffix(mxHost(v), ".")
		if h == "" || h == "." {
			continue
		}
		if _, err := netip.ParseAddr(h); err == nil {
			continue
		}
		hosts[h] = true
	}
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		var cname string
		found := false
		var failed error
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			a, err := c.resolver.Lookup(c.ctx, h, qt)
			if err != nil {
				failed = err
				continue
			}
			if len(a.CNAMEs) > 0 {
				cname = a.CNAMEs[0]
			}
			if !a.Void() {
				found = true
			}
		}
		record := d.Domain + " MX"
		switch {
		case cname != "":
			c.add("mx-cname", record, fmt.Sprintf("MX host %s is a CNAME to %s; MX targets must be the canonical name.", h, cname), fmt.Sprintf("Publish %s in the MX record instead.", cname))
		case !found && failed != nil:
			c.add("mx-lookup-failed", record, fmt.Sprintf("MX host %s could not be looked up: %s.", h, failed), "Run lint again; if it persists, check the host's DNS.")
		case !found:
			c.add("mx-no-address", record, fmt.Sprintf("MX host %s has no A or AAAA record, so mail to %s cannot be delivered to it.", h, d.Domain), fmt.Sprintf("Publish an address for %s, or list another mail server.", h))
		}
	}
}

// spfAnalysis expands the domain's SPF record through every include, as a
// receiver would, and reports the analyzer's problems.
func (c *checker) spfAnalysis() {
	d := c.records
	rs := d.Set(d.Domain, plan.TypeTXT)
	if rs == nil {
		return
	}
	for _, v := range rs.Values {
		rec, err := spf.Parse(v)
		if err != nil {
			continue
		}
		a := spf.Analyze(c.ctx, c.spfResolver(), d.Domain, rec)
		// The analysis repeats some of the record's own rules (ptr, a
		// redirect beside all, length) with more context: keep its word.
		record := d.Domain + " TXT"
		codes := map[string]bool{}
		for _, p := range a.Problems {
			codes[p.Code] = true
		}
		kept := c.findings[:0]
		for _, f := range c.findings {
			if f.Record != record || !codes[f.Code] {
				kept = append(kept, f)
			}
		}
		c.findings = kept
		for _, p := range a.Problems {
			c.problem(record, p)
		}
	}
}

// spfResolver answers the analyzer's lookups with the compiled records
// overlaid on the DNS.
func (c *checker) spfResolver() spf.Resolver {
	return plan.SPFResolver(c.desired, c.resolver)
}

// ExplainSPF expands one domain's compiled SPF record and returns the tree
// a person reads to see where each lookup comes from.
func ExplainSPF(ctx context.Context, desired *plan.Desired, r resolve.Resolver, domain string) (string, error) {
	d := desired.Domain(domain)
	if d == nil {
		return "", fmt.Errorf("domain %q is not in the configuration", domain)
	}
	rs := d.Set(domain, plan.TypeTXT)
	if rs == nil || len(rs.Values) == 0 {
		return "", fmt.Errorf("domain %s publishes no SPF record", domain)
	}
	rec, err := spf.Parse(rs.Values[0])
	if err != nil {
		return "", err
	}
	a := spf.Analyze(ctx, plan.SPFResolver(desired, r), domain, rec)
	return a.Explain(), nil
}

// Summary is the one-line description of a finding code, for rule lists.
func Summary(code string) string {
	if c := checkInfo(code); c.Summary != "" {
		return c.Summary
	}
	return code
}
