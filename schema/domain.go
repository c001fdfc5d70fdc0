package schema

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/net/idna"
)

// DefaultTTL is the TTL of every record a domain does not give one for.
const DefaultTTL = 3600

// MaxTTL is the largest TTL: RFC 2181 section 8 limits TTLs to 2^31 - 1.
const MaxTTL = 1<<31 - 1

var policySchema = &hcl.BodySchema{Blocks: settingsBlocks}

func (l *loader) decodePolicy(p *Policy, body hcl.Body, ctx *hcl.EvalContext) hcl.Diagnostics {
	content, diags := body.Content(policySchema)
	return append(diags, l.decodeSettings(content, ctx, false, &p.Settings)...)
}

var domainSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_each"}, {Name: "provider"}, {Name: "zone"}, {Name: "ttl"}, {Name: "policy"},
		{Name: "mailbox"}, {Name: "senders"}, {Name: "parked"},
	},
	Blocks: append([]hcl.BlockHeaderSchema{
		{Type: "mx"},
		{Type: "dkim", LabelNames: []string{"selector"}},
	}, settingsBlocks...),
}

var mxSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "host", Required: true}, {Name: "preference"},
}}

var dkimSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "algorithm"}, {Name: "key_file"}, {Name: "state"}, {Name: "published"},
	{Name: "created"}, {Name: "activated"}, {Name: "retire_after"}, {Name: "remove_after"},
}}

// DKIMAlgorithms are the algorithm values a dkim block accepts.
var DKIMAlgorithms = []string{"ed25519", "rsa-1024", "rsa-2048", "rsa-3072", "rsa-4096"}

var dkimStates = []string{DKIMNext, DKIMActive, DKIMRetiring, DKIMRetired}

func (l *loader) decodeDomains(blocks []*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*Domain{}
	add := func(d *Domain) {
		if prev, ok := seen[d.Name]; ok {
			what := "domain " + d.Name
			if d.EachKey != "" {
				what += fmt.Sprintf(" (for_each key %q)", d.EachKey)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate domain",
				Detail:   fmt.Sprintf("The %s is already declared at %s. Each domain may be declared once; merge the two blocks.", what, prev.DeclRange),
				Subject:  d.NameRange.Ptr(),
				Context:  prev.DeclRange.Ptr(),
			})
			return
		}
		seen[d.Name] = d
		l.cfg.Domains = append(l.cfg.Domains, d)
	}
	for _, b := range blocks {
		content, ds := b.Body.Content(domainSchema)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		fe := content.Attributes["for_each"]
		if fe == nil {
			d, ds := l.decodeDomain(b, content, ctx, b.Labels[0], b.LabelRanges[0], "")
			diags = append(diags, ds...)
			if d != nil {
				add(d)
			}
			continue
		}
		keys, vals, ds := l.forEach(fe, ctx)
		diags = append(diags, ds...)
		for i, k := range keys {
			ectx := ctx.NewChild()
			ectx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{
				"key": cty.StringVal(k), "value": vals[i],
			})}
			d, ds := l.decodeDomain(b, content, ectx, k, fe.Expr.Range(), k)
			diags = append(diags, ds...)
			if d != nil {
				add(d)
			}
			if ds.HasErrors() && i > 0 {
				// The same mistake repeats for every key: report it for
				// the first failing instance only.
				break
			}
		}
	}
	return diags
}

// forEach evaluates a for_each argument: a set of names, or a map whose
// keys are the names (each.value is then the map's value).
func (l *loader) forEach(attr *hcl.Attribute, ctx *hcl.EvalContext) ([]string, []cty.Value, hcl.Diagnostics) {
	diags := l.checkRefs(attr.Expr, false)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	v, ds := attr.Expr.Value(ctx)
	diags = append(diags, l.rewriteFunctionDiags(ds)...)
	if ds.HasErrors() {
		return nil, nil, diags
	}
	v, _ = v.UnmarkDeep()
	bad := func(detail string) ([]string, []cty.Value, hcl.Diagnostics) {
		return nil, nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid for_each argument",
			Detail:   detail,
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		return bad("for_each must be a set of domain names or a map keyed by domain name, not null.")
	}
	ty := v.Type()
	var keys []string
	var vals []cty.Value
	switch {
	case ty.IsSetType():
		if !ty.ElementType().Equals(cty.String) {
			return bad(fmt.Sprintf("for_each must be a set of strings (domain names), not a %s.", ty.FriendlyName()))
		}
		for it := v.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			if k.IsNull() {
				return bad("for_each must not contain null.")
			}
			keys = append(keys, k.AsString())
			vals = append(vals, k)
		}
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			keys = append(keys, k.AsString())
			vals = append(vals, e)
		}
	case ty.IsListType() || ty.IsTupleType():
		return bad("for_each takes a set, so that each domain appears once and the order does not matter; wrap the list in toset(), as in for_each = toset([\"a.example\", \"b.example\"]).")
	default:
		return bad(fmt.Sprintf("for_each must be a set of domain names or a map keyed by domain name, not a %s.", ty.FriendlyName()))
	}
	return keys, vals, diags
}

func (l *loader) decodeDomain(b *hcl.Block, content *hcl.BodyContent, ctx *hcl.EvalContext, name string, nameRange hcl.Range, eachKey string) (*Domain, hcl.Diagnostics) {
	a := &attrs{l: l, ctx: ctx, content: content, inForEach: eachKey != ""}
	d := &Domain{DeclRange: b.DefRange, NameRange: nameRange, EachKey: eachKey, TTL: DefaultTTL}

	norm, err := NormalizeDomain(name)
	if err != "" {
		a.errorf(nameRange, "Invalid domain name", "%q %s.", name, err)
		return nil, a.diags
	}
	d.Name = norm

	if addr, rng, ok := a.reference("provider", "provider", "provider.zonefile.local"); ok {
		d.Provider, d.ProviderRange = l.providers[addr], rng
	} else if content.Attributes["provider"] == nil {
		switch len(l.cfg.Providers) {
		case 0:
		case 1:
			d.Provider = l.cfg.Providers[0]
		default:
			a.errorf(b.DefRange, "Missing provider", "The configuration declares %d providers, so domain %s must say which one holds its zone: add provider = %s (or another).", len(l.cfg.Providers), d.Name, l.cfg.Providers[0].Addr())
		}
	}
	d.Zone = a.str("zone")
	if d.Zone.Set {
		z, err := NormalizeDomain(d.Zone.Value)
		if err != "" {
			a.errorf(d.Zone.Range, "Invalid zone", "%q %s.", d.Zone.Value, err)
		} else if d.Name != z && !strings.HasSuffix(d.Name, "."+z) {
			a.errorf(d.Zone.Range, "Domain outside its zone", "Domain %s is not inside zone %s. Set zone to %s or one of its parents.", d.Name, z, d.Name)
		} else {
			d.Zone.Value = z
		}
	}
	if ttl := a.integer("ttl"); ttl.Set {
		if ttl.Value < 0 || ttl.Value > MaxTTL {
			a.errorf(ttl.Range, "Invalid TTL", "ttl is a number of seconds from 0 to %d (RFC 2181 section 8), not %d.", MaxTTL, ttl.Value)
		} else {
			d.TTL = uint32(ttl.Value)
		}
	}
	if addr, _, ok := a.reference("policy", "policy", "policy.strict"); ok {
		d.Policy = l.policies[addr]
	}
	if addr, rng, ok := a.reference("mailbox", "sender", "sender.custom.relay"); ok {
		d.Mailbox, d.MailboxRange = l.senders[addr], rng
	}
	if addrs, ranges, _, ok := a.references("senders", "sender", "sender.custom.relay"); ok {
		seen := map[string]int{}
		for i, addr := range addrs {
			if j, dup := seen[addr]; dup {
				a.errorf(ranges[i], "Duplicate sender", "%s is already listed at %s; list each sender once.", addr, ranges[j])
				continue
			}
			seen[addr] = i
			d.Senders = append(d.Senders, l.senders[addr])
			d.SenderRanges = append(d.SenderRanges, ranges[i])
		}
	}
	if p := a.boolean("parked"); p.Set {
		d.Parked, d.ParkedRange = p.Value, p.Range
	}

	selectors := map[string]hcl.Range{}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "mx":
			a.mxBlock(d, blk)
		case "dkim":
			a.dkimBlock(d, blk, selectors)
		}
	}
	a.diags = append(a.diags, l.decodeSettings(content, ctx, a.inForEach, &d.Own)...)
	var pol Settings
	if d.Policy != nil {
		pol = d.Policy.Settings
	}
	d.Settings = merge(d.Own, pol)

	a.checkDomain(d)
	return d, a.diags
}

func (a *attrs) mxBlock(d *Domain, blk *hcl.Block) {
	content, ds := blk.Body.Content(mxSchema)
	a.diags = append(a.diags, ds...)
	if ds.HasErrors() {
		return
	}
	ma := &attrs{l: a.l, ctx: a.ctx, content: content, inForEach: a.inForEach}
	host := ma.str("host")
	pref := ma.integer("preference")
	a.diags = append(a.diags, ma.diags...)
	if !host.Set {
		return
	}
	mx := MX{Preference: 10, Range: blk.DefRange}
	if pref.Set {
		if pref.Value < 0 || pref.Value > 65535 {
			a.errorf(pref.Range, "Invalid MX preference", "preference is a number from 0 to 65535 (RFC 1035 section 3.3.9), not %d.", pref.Value)
			return
		}
		mx.Preference = uint16(pref.Value)
	}
	h := strings.TrimSuffix(host.Value, ".")
	switch {
	case h == "" || host.Value == ".":
		a.errorf(host.Range, "Null MX in an mx block", "A null MX (\".\") says the domain receives no mail (RFC 7505); declare it with parked = true instead of an mx block.")
		return
	case isIPLiteral(h):
		a.errorf(host.Range, "MX target is an IP address", "%q is an address; an MX record names a host whose A/AAAA records hold the addresses (RFC 5321 section 5.1, RFC 7505). Give the host name of the mail server.", host.Value)
		return
	}
	norm, err := NormalizeDomain(h)
	if err != "" {
		a.errorf(host.Range, "Invalid MX host", "%q %s.", host.Value, err)
		return
	}
	mx.Host = norm
	for _, prev := range d.MX {
		if prev.Host == mx.Host {
			a.errorf(blk.DefRange, "Duplicate MX host", "%s is already declared at %s.", mx.Host, prev.Range)
			return
		}
	}
	d.MX = append(d.MX, mx)
	if d.MXRange.Filename == "" {
		d.MXRange = blk.DefRange
	}
}

func isIPLiteral(s string) bool {
	s = strings.Trim(s, "[]")
	_, err := netip.ParseAddr(s)
	return err == nil
}

func (a *attrs) dkimBlock(d *Domain, blk *hcl.Block, seen map[string]hcl.Range) {
	sel := blk.Labels[0]
	if prev, ok := seen[strings.ToLower(sel)]; ok {
		a.errorf(blk.LabelRanges[0], "Duplicate DKIM selector", "Selector %q is already declared at %s for %s.", sel, prev, d.Name)
		return
	}
	seen[strings.ToLower(sel)] = blk.DefRange
	if !validSelector(sel) {
		a.errorf(blk.LabelRanges[0], "Invalid DKIM selector", "%q is not a DKIM selector: dot-separated labels of letters, digits and hyphens (RFC 6376 section 3.1), such as \"s2026a\".", sel)
		return
	}
	content, ds := blk.Body.Content(dkimSchema)
	a.diags = append(a.diags, ds...)
	ka := &attrs{l: a.l, ctx: a.ctx, content: content, inForEach: a.inForEach}
	k := &DKIMKey{
		Selector:  strings.ToLower(sel),
		DeclRange: blk.DefRange,
		Algorithm: ka.str("algorithm"),
		KeyFile:   ka.str("key_file"),
		State:     ka.str("state"),
		Published: ka.str("published"),

		Created:     ka.timestamp("created"),
		Activated:   ka.timestamp("activated"),
		RetireAfter: ka.timestamp("retire_after"),
		RemoveAfter: ka.timestamp("remove_after"),
	}
	a.diags = append(a.diags, ka.diags...)
	if p := k.Published; p.Set {
		if _, err := dkim.Parse(p.Value); err != nil {
			a.errorf(p.Range, "Invalid published DKIM record", "published is the key record as it is served, kept as written, so it must be a DKIM key record (RFC 6376 section 3.6.1): %s.", err)
			return
		}
		if k.KeyFile.Set || k.Algorithm.Set {
			a.errorf(p.Range, "published beside key_file", "published keeps a key record whose private key mailconf does not have; with key_file the record comes from the key. Remove published once key_file names the key (the plan then shows any difference), or remove key_file and algorithm.")
			return
		}
		d.DKIM = append(d.DKIM, k)
		return
	}
	if k.Algorithm.Set && !contains(DKIMAlgorithms, k.Algorithm.Value) {
		a.errorf(k.Algorithm.Range, "Invalid DKIM algorithm", "algorithm must be one of %s, not %q.%s", strings.Join(DKIMAlgorithms, ", "), k.Algorithm.Value, suggest(k.Algorithm.Value, DKIMAlgorithms))
		return
	}
	if k.State.Set && !contains(dkimStates, k.State.Value) {
		a.errorf(k.State.Range, "Invalid DKIM state", "state must be one of %s, not %q.%s", strings.Join(dkimStates, ", "), k.State.Value, suggest(k.State.Value, dkimStates))
		return
	}
	a.checkKeyHistory(k)
	if k.KeyFile.Set {
		k.Path = a.l.resolvePath(k.KeyFile.Value)
	} else if k.StateOr() != DKIMRetired {
		a.errorf(blk.DefRange, "Missing DKIM key file", "A %s DKIM key needs key_file, the PEM private key mailconf publishes the public half of. Create one with openssl genpkey -algorithm ed25519 (or RSA 2048).", k.StateOr())
		return
	}
	d.DKIM = append(d.DKIM, k)
}

// checkKeyHistory checks that a key's timestamps fit its state: each is
// written by the step that enters a state, so a key cannot carry the
// timestamp of a state it has not reached.
func (a *attrs) checkKeyHistory(k *DKIMKey) {
	state := k.StateOr()
	reached := map[string]int{DKIMNext: 0, DKIMActive: 1, DKIMRetiring: 2, DKIMRetired: 3}[state]
	for _, f := range []struct {
		name  string
		field Field[time.Time]
		from  string
	}{
		{"activated", k.Activated, DKIMActive},
		{"retire_after", k.RetireAfter, DKIMRetiring},
		{"remove_after", k.RemoveAfter, DKIMRetired},
	} {
		if f.field.Set && reached < map[string]int{DKIMActive: 1, DKIMRetiring: 2, DKIMRetired: 3}[f.from] {
			a.errorf(f.field.Range, "Timestamp of a later state", "%s is recorded when a key becomes %s, but %s is %s. Remove %s, or set the state the key is in (mailconf dkim rotate records both).", f.name, f.from, k.Selector, state, f.name)
		}
	}
	if k.Created.Set && k.Activated.Set && k.Activated.Value.Before(k.Created.Value) {
		a.errorf(k.Activated.Range, "Key activated before it was created", "activated (%s) is before created (%s). Fix one of the two.", k.Activated.Value.Format(time.RFC3339), k.Created.Value.Format(time.RFC3339))
	}
}

func validSelector(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func mailboxType(d *Domain) string {
	if d.Mailbox == nil {
		return ""
	}
	return d.Mailbox.Type
}

// checkDomain applies the rules between a domain's settings.
func (a *attrs) checkDomain(d *Domain) {
	if d.Mailbox != nil && len(d.MX) > 0 {
		a.errorf(d.MXRange, "Conflicting MX sources", "Domain %s takes its MX from mailbox = %s and also declares mx blocks. Keep one of the two.", d.Name, d.Mailbox.Addr())
	}
	var mailboxes []int
	for i, s := range d.Senders {
		if e := CatalogEntryByID(s.Type); e != nil && e.Kind == SenderKindMailbox && (len(mailboxes) == 0 || d.Senders[mailboxes[0]].Type != s.Type) {
			mailboxes = append(mailboxes, i)
		}
	}
	if len(mailboxes) > 1 {
		first, second := d.Senders[mailboxes[0]], d.Senders[mailboxes[1]]
		which := "mailbox = " + first.Addr()
		if e := CatalogEntryByID(mailboxType(d)); e != nil && e.Kind == SenderKindMailbox {
			which = "mailbox = " + d.Mailbox.Addr() + " (as now)"
		}
		a.warnf(d.SenderRanges[mailboxes[1]], "Two mailbox services", "Domain %s lists %s and %s, two services that host mailboxes. Only one receives the domain's mail (the one named by mailbox), so the other's users get no mail at this domain; both are authorized to send. That is right during a migration; otherwise keep one, with %s.", d.Name, first.Addr(), second.Addr(), which)
	}
	if d.Mailbox != nil && len(d.Mailbox.MX) == 0 && !d.Parked {
		if e := CatalogEntryByID(d.Mailbox.Type); e != nil {
			a.errorf(d.MailboxRange, "Mailbox sender receives no mail", "%s is a sending service: it sends for %s but receives no mail, so it cannot be its mailbox. Name a service of kind mailbox (mailconf senders list), or declare the mail servers with mx blocks.", e.Name, d.Name)
		} else {
			a.errorf(d.MailboxRange, "Mailbox sender receives no mail", "%s defines no MX hosts, so it cannot be the mailbox of %s. Declare the mail servers with mx blocks instead.", d.Mailbox.Addr(), d.Name)
		}
	}
	if d.Parked {
		for _, c := range []struct {
			what string
			rng  hcl.Range
			set  bool
		}{
			{"senders", rangeOf(d.SenderRanges), len(d.Senders) > 0},
			{"a mailbox", d.MailboxRange, d.Mailbox != nil},
			{"mx blocks", d.MXRange, len(d.MX) > 0},
			{"an spf block", ownRange(d.Own.SPF != nil, func() hcl.Range { return d.Own.SPF.DeclRange }), d.Own.SPF != nil},
			{"an mta_sts block", ownRange(d.Own.MTASTS != nil, func() hcl.Range { return d.Own.MTASTS.DeclRange }), d.Own.MTASTS != nil},
			{"a bimi block", ownRange(d.Own.BIMI != nil, func() hcl.Range { return d.Own.BIMI.DeclRange }), d.Own.BIMI != nil},
		} {
			if c.set {
				a.errorf(c.rng, "Parked domain with "+c.what, "Domain %s is parked (parked = true at %s): it sends and receives no mail, so it cannot have %s. Remove them, or remove parked.", d.Name, d.ParkedRange, c.what)
			}
		}
		for _, k := range d.DKIM {
			if k.StateOr() == DKIMActive || k.StateOr() == DKIMNext {
				a.errorf(k.DeclRange, "Parked domain with a DKIM key", "Domain %s is parked and sends no mail, so it has no %s DKIM key; set state = \"retired\" to revoke it, or remove parked.", d.Name, k.StateOr())
			}
		}
		return
	}
	if m := d.MTASTS; m != nil && !m.Mode.Set {
		a.errorf(m.DeclRange, "Missing MTA-STS mode", "An mta_sts block needs mode = \"enforce\", \"testing\" or \"none\" (RFC 8461 section 3.2).")
	}
	if t := d.TLSRPT; t != nil && !t.RUA.Set && !t.Raw.Set {
		a.errorf(t.DeclRange, "Missing TLS-RPT rua", "RFC 8460 section 3: rua is required; give at least one address for reports, such as [\"mailto:tlsrpt@example.com\"].")
	}
	if b := d.BIMI; b != nil && !b.Logo.Set {
		a.errorf(b.DeclRange, "Missing BIMI logo", "A bimi block needs logo, the https: URL of the brand's SVG Tiny PS logo.")
	}
}

func ownRange(set bool, rng func() hcl.Range) hcl.Range {
	if !set {
		return hcl.Range{}
	}
	return rng()
}

func rangeOf(rs []hcl.Range) hcl.Range {
	if len(rs) == 0 {
		return hcl.Range{}
	}
	return hcl.RangeOver(rs[0], rs[len(rs)-1])
}

// NormalizeDomain returns the canonical form of a domain name: lower case,
// ASCII (internationalized names in punycode), without a trailing dot.
// The second result is empty when the name is valid, and otherwise says
// what is wrong with it.
func NormalizeDomain(name string) (string, string) {
	n := strings.TrimSuffix(strings.TrimSpace(name), ".")
	if n == "" {
		return "", "is empty"
	}
	if isIPLiteral(n) {
		return "", "is an IP address, not a domain name"
	}
	ascii, err := idna.Lookup.ToASCII(n)
	if err != nil {
		// idna rejects underscores, which DNS names used by mail
		// (_dmarc, _domainkey) legitimately hold; check those by hand.
		ascii = strings.ToLower(n)
	}
	ascii = strings.ToLower(ascii)
	if !ValidHostname(ascii) {
		return "", "is not a valid domain name (labels of letters, digits and hyphens, at most 63 characters each)"
	}
	if !strings.Contains(ascii, ".") {
		return "", "has a single label; mail domains have at least two, such as example.com"
	}
	return ascii, ""
}

// ValidHostname reports whether s is a syntactically valid DNS name of
// letters, digits, hyphens and underscores (RFC 1035 section 2.3.1,
// relaxed for the underscore labels of RFC 8552), with or without a
// trailing dot.
func ValidHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	// RFC 1035 section 2.3.4: at most 255 octets in wire form, so 253 in text.
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(l string) bool {
	// RFC 1035 section 2.3.4: labels are 63 octets or less.
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
