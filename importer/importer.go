// Package importer writes the configuration that declares what a domain's
// live zone holds: `mailconf import`. The sender catalog recognizes the
// services behind MX, SPF includes, DKIM CNAMEs and return-path names;
// what is left of SPF becomes custom senders; DMARC, MTA-STS, TLS-RPT and
// BIMI become policy settings, shared by the domains that have the same.
// What the configuration cannot say is kept verbatim in a raw attribute,
// or left undeclared with a note; nothing is dropped without one.
//
// Generate does no I/O: the caller reads the zones, fetches the MTA-STS
// policies and, through Options.Check, plans the result, so that Generate
// can fall back to raw records until the plan after import is empty.
package importer

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/mailauth/bimi"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/mailauth/tlsrpt"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// Domain is one domain to import.
type Domain struct {
	// Name is lower case, without the trailing dot.
	Name string
	// Records are the live records at Name and below it, as plan reads
	// them.
	Records []plan.Record
	// MTASTSPolicy is the policy file the domain serves, when it could be
	// fetched (MTASTSFetched).
	MTASTSPolicy  string
	MTASTSFetched bool
}

// Options say where the imported domains live and how to check the result.
type Options struct {
	// Provider is the address of the provider holding the domains' zones
	// ("provider.zonefile.live"); empty leaves the attribute out (a
	// configuration with one provider).
	Provider string
	// Taken are the block addresses the configuration already declares
	// ("sender.custom.relay", "policy.strict"); imported blocks get other
	// names.
	Taken map[string]bool
	// Check plans the configuration with the generated file and returns,
	// by domain, the changes the plan would still make (as "name type
	// action" lines). Nil: no checking, no fallbacks.
	Check func(hcl []byte) (map[string][]*plan.Change, error)
}

// Result is the generated file and what the user must know about it.
type Result struct {
	HCL []byte
	// Notes say, per domain, what import could not express exactly and
	// what it did instead; for stderr.
	Notes []string
	// Remaining are the changes a plan would still make, by domain, after
	// every fallback: ideally none.
	Remaining map[string][]*plan.Change
}

// Generate writes the configuration for the domains. With Options.Check,
// it plans the result and, for each domain the plan would change, falls
// back to the live records as written (raw SPF, DMARC and TLS-RPT, an
// explicit MTA-STS id, the domain's TTL, no mailbox sender), twice at most.
func Generate(domains []Domain, opts Options) (*Result, error) {
	fb := map[string]*fallback{}
	for _, d := range domains {
		fb[d.Name] = &fallback{}
	}
	var res *Result
	for round := 0; ; round++ {
		res = generate(domains, opts, fb)
		if opts.Check == nil {
			return res, nil
		}
		changes, err := opts.Check(res.HCL)
		if err != nil {
			return nil, err
		}
		res.Remaining = map[string][]*plan.Change{}
		more := false
		for _, d := range domains {
			cs := changes[d.Name]
			if len(cs) == 0 {
				continue
			}
			res.Remaining[d.Name] = cs
			if round < 3 && fb[d.Name].learn(d.Name, cs) {
				more = true
			}
		}
		if !more {
			for name, cs := range res.Remaining {
				var what []string
				for _, c := range cs {
					what = append(what, fmt.Sprintf("%s %s %s", c.Action, c.Name, c.Type))
				}
				res.Notes = append(res.Notes, fmt.Sprintf("%s: the first plan after import will still change %s", name, strings.Join(what, ", ")))
			}
			sort.Strings(res.Notes)
			return res, nil
		}
	}
}

// fallback is what a domain's plan showed import cannot say its way.
type fallback struct {
	rawSPF, rawDMARC, rawTLSRPT, explicitID, noMailbox, noBIMI bool
}

// learn turns the changes a plan still makes into fallbacks, and reports
// whether there was a new one.
func (f *fallback) learn(domain string, cs []*plan.Change) bool {
	before := *f
	for _, c := range cs {
		switch {
		case c.Name == domain && c.Type == plan.TypeTXT:
			f.rawSPF = true
		case c.Name == domain && c.Type == plan.TypeMX:
			f.noMailbox = true
		case c.Name == "_dmarc."+domain:
			f.rawDMARC = true
		case c.Name == "_smtp._tls."+domain:
			f.rawTLSRPT = true
		case c.Name == mtasts.RecordName(domain):
			f.explicitID = true
		case strings.HasSuffix(c.Name, "._bimi."+domain):
			f.noBIMI = true
		}
	}
	return *f != before
}

// model is what one domain's block will say.
type model struct {
	name    string
	ttl     uint32
	parked  bool
	mailbox *senderBlock
	mx      []string // "PREF HOST"
	senders []*senderBlock

	spfAll   string
	spfRaw   string
	spfOff   bool
	dmarc    []attr // structured, or
	dmarcRaw string
	dmarcOff bool
	tlsRUA   []string
	tlsRaw   string

	mtastsMode   string
	mtastsMaxAge int
	mtastsMX     []string
	mtastsID     string
	hasMTASTS    bool

	bimi []attr
	dkim []dkimBlock

	policy *policyBlock
	notes  []string
}

type attr struct {
	name string
	val  cty.Value
}

type senderBlock struct {
	typ, name string
	attrs     []attr
	key       string // type and attributes, for sharing
}

func (s *senderBlock) addr() string { return "sender." + s.typ + "." + s.name }

type dkimBlock struct {
	selector, published, state string
}

type policyBlock struct {
	name string
	key  string
	body []blockBody
}

type blockBody struct {
	typ   string
	attrs []attr
}

func (m *model) note(format string, args ...any) {
	m.notes = append(m.notes, m.name+": "+fmt.Sprintf(format, args...))
}

func generate(domains []Domain, opts Options, fb map[string]*fallback) *Result {
	names := newNamer(opts.Taken)
	senders := map[string]*senderBlock{} // by key
	var senderOrder []*senderBlock
	share := func(s *senderBlock, domain string) *senderBlock {
		if prev, ok := senders[s.key]; ok {
			return prev
		}
		base := slug(domain)
		if len(s.attrs) == 0 {
			// The same for every domain: one block for all.
			base = "main"
		}
		s.name = names.take("sender."+s.typ+".", base)
		senders[s.key] = s
		senderOrder = append(senderOrder, s)
		return s
	}
	var models []*model
	for _, d := range domains {
		models = append(models, analyze(d, fb[d.Name], share))
	}

	// Policies: the settings several domains share are written once.
	policies := map[string]*policyBlock{}
	var policyOrder []*policyBlock
	for _, m := range models {
		body := m.policyBody()
		if len(body) == 0 {
			continue
		}
		key := bodyKey(body)
		p, ok := policies[key]
		if !ok {
			base := "imported"
			if v, ok := findAttr(m.dmarc, "policy"); ok {
				base = v.AsString()
			} else if r, err := dmarc.Parse(m.dmarcRaw); m.dmarcRaw != "" && err == nil && r.P != "" {
				base = string(r.P)
			}
			p = &policyBlock{name: names.take("policy.", base), key: key, body: body}
			policies[key] = p
			policyOrder = append(policyOrder, p)
		}
		m.policy = p
	}

	// A sender named after the first domain that uses it is named for
	// what it is once several do.
	users := map[*senderBlock]int{}
	for _, m := range models {
		seen := map[*senderBlock]bool{}
		for _, s := range append([]*senderBlock{m.mailbox}, m.senders...) {
			if s != nil && !seen[s] {
				seen[s] = true
				users[s]++
			}
		}
	}
	for _, s := range senderOrder {
		if users[s] > 1 && len(s.attrs) > 0 {
			s.name = names.take("sender."+s.typ+".", "shared")
		}
	}

	f := hclwrite.NewEmptyFile()
	root := f.Body()
	for _, s := range senderOrder {
		b := root.AppendNewBlock("sender", []string{s.typ, s.name}).Body()
		for _, a := range s.attrs {
			b.SetAttributeValue(a.name, a.val)
		}
		root.AppendNewline()
	}
	for _, p := range policyOrder {
		b := root.AppendNewBlock("policy", []string{p.name}).Body()
		for _, bb := range p.body {
			writeBlock(b, bb)
		}
		root.AppendNewline()
	}
	res := &Result{}
	for i, m := range models {
		m.write(root, opts.Provider)
		if i < len(models)-1 {
			root.AppendNewline()
		}
		res.Notes = append(res.Notes, m.notes...)
	}
	res.HCL = hclwrite.Format(f.Bytes())
	return res
}

func writeBlock(parent *hclwrite.Body, bb blockBody) {
	b := parent.AppendNewBlock(bb.typ, nil).Body()
	for _, a := range bb.attrs {
		b.SetAttributeValue(a.name, a.val)
	}
}

func findAttr(as []attr, name string) (cty.Value, bool) {
	for _, a := range as {
		if a.name == name {
			return a.val, true
		}
	}
	return cty.NilVal, false
}

// policyBody is what a domain can share: DMARC, TLS-RPT and the MTA-STS
// mode and max_age.
func (m *model) policyBody() []blockBody {
	if m.parked {
		return nil
	}
	var body []blockBody
	switch {
	case m.dmarcRaw != "":
		body = append(body, blockBody{"dmarc", []attr{{"raw", cty.StringVal(m.dmarcRaw)}}})
	case m.dmarcOff:
		body = append(body, blockBody{"dmarc", []attr{{"publish", cty.False}}})
	case len(m.dmarc) > 0:
		body = append(body, blockBody{"dmarc", m.dmarc})
	}
	if m.hasMTASTS {
		as := []attr{{"mode", cty.StringVal(m.mtastsMode)}}
		if m.mtastsMaxAge != plan.DefaultMTASTSMaxAge {
			as = append(as, attr{"max_age", cty.NumberIntVal(int64(m.mtastsMaxAge))})
		}
		body = append(body, blockBody{"mta_sts", as})
	}
	switch {
	case m.tlsRaw != "":
		body = append(body, blockBody{"tls_rpt", []attr{{"raw", cty.StringVal(m.tlsRaw)}}})
	case len(m.tlsRUA) > 0:
		body = append(body, blockBody{"tls_rpt", []attr{{"rua", strList(m.tlsRUA)}}})
	}
	return body
}

func bodyKey(body []blockBody) string {
	var b strings.Builder
	for _, bb := range body {
		b.WriteString(bb.typ + "{")
		for _, a := range bb.attrs {
			b.WriteString(a.name + "=" + valueKey(a.val) + ";")
		}
		b.WriteString("}")
	}
	return b.String()
}

func valueKey(v cty.Value) string {
	return string(hclwrite.TokensForValue(v).Bytes())
}

func (m *model) write(root *hclwrite.Body, provider string) {
	b := root.AppendNewBlock("domain", []string{m.name}).Body()
	if provider != "" {
		b.SetAttributeTraversal("provider", traversal(provider))
	}
	if m.ttl != 0 && m.ttl != schema.DefaultTTL {
		b.SetAttributeValue("ttl", cty.NumberIntVal(int64(m.ttl)))
	}
	if m.policy != nil {
		b.SetAttributeTraversal("policy", traversal("policy."+m.policy.name))
	}
	if m.parked {
		b.SetAttributeValue("parked", cty.True)
	}
	if m.mailbox != nil {
		b.SetAttributeTraversal("mailbox", traversal(m.mailbox.addr()))
	}
	if len(m.senders) > 0 {
		var toks hclwrite.Tokens
		toks = append(toks, &hclwrite.Token{Type: hclTokenOBrack, Bytes: []byte("[")})
		for i, s := range m.senders {
			if i > 0 {
				toks = append(toks, &hclwrite.Token{Type: hclTokenComma, Bytes: []byte(", ")})
			}
			toks = append(toks, hclwrite.TokensForTraversal(traversal(s.addr()))...)
		}
		toks = append(toks, &hclwrite.Token{Type: hclTokenCBrack, Bytes: []byte("]")})
		b.SetAttributeRaw("senders", toks)
	}
	for _, h := range m.mx {
		pref, host, _ := strings.Cut(h, " ")
		mb := b.AppendNewBlock("mx", nil).Body()
		mb.SetAttributeValue("host", cty.StringVal(host))
		if p, _ := strconv.Atoi(pref); p != 10 {
			mb.SetAttributeValue("preference", cty.NumberIntVal(int64(p)))
		}
	}
	switch {
	case m.spfRaw != "":
		writeBlock(b, blockBody{"spf", []attr{{"raw", cty.StringVal(m.spfRaw)}}})
	case m.spfOff:
		writeBlock(b, blockBody{"spf", []attr{{"publish", cty.False}}})
	case m.spfAll != "":
		writeBlock(b, blockBody{"spf", []attr{{"all", cty.StringVal(m.spfAll)}}})
	}
	if m.parked {
		// A parked domain's DMARC is p=reject; sp=reject with the report
		// destinations it has.
		if len(m.dmarc) > 0 {
			var as []attr
			for _, a := range m.dmarc {
				if a.name != "policy" && a.name != "subdomain_policy" {
					as = append(as, a)
				}
			}
			if len(as) > 0 {
				writeBlock(b, blockBody{"dmarc", as})
			}
		}
	}
	if m.hasMTASTS && (len(m.mtastsMX) > 0 || m.mtastsID != "") {
		var as []attr
		if len(m.mtastsMX) > 0 {
			as = append(as, attr{"mx", strList(m.mtastsMX)})
		}
		if m.mtastsID != "" {
			as = append(as, attr{"id", cty.StringVal(m.mtastsID)})
		}
		writeBlock(b, blockBody{"mta_sts", as})
	}
	if len(m.bimi) > 0 {
		writeBlock(b, blockBody{"bimi", m.bimi})
	}
	for _, k := range m.dkim {
		kb := b.AppendNewBlock("dkim", []string{k.selector}).Body()
		if k.state != "" {
			kb.SetAttributeValue("state", cty.StringVal(k.state))
		}
		kb.SetAttributeValue("published", cty.StringVal(k.published))
	}
}

func strList(vs []string) cty.Value {
	if len(vs) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	out := make([]cty.Value, len(vs))
	for i, v := range vs {
		out[i] = cty.StringVal(v)
	}
	return cty.ListVal(out)
}

// analyze builds a domain's model from its live records.
func analyze(d Domain, fb *fallback, share func(*senderBlock, string) *senderBlock) *model {
	m := &model{name: d.Name}
	rel := func(name string) string {
		if name == d.Name {
			return "@"
		}
		return strings.TrimSuffix(name, "."+d.Name)
	}
	at := func(name, typ string) []plan.Record {
		var out []plan.Record
		for _, r := range d.Records {
			if r.Name == name && r.Type == typ {
				out = append(out, r)
			}
		}
		return out
	}
	var spfs []string
	for _, r := range at(d.Name, plan.TypeTXT) {
		if plan.HasTagPrefix(r.Data, "v=spf1") {
			spfs = append(spfs, r.Data)
		}
	}
	mxRecs := at(d.Name, plan.TypeMX)

	// What the catalog may recognize: every record but the ones mailconf
	// compiles from policies, with the SPF includes as their own.
	var live []schema.SenderRecord
	var liveRecs []*plan.Record
	for i := range d.Records {
		r := &d.Records[i]
		if r.Type != plan.TypeTXT && r.Type != plan.TypeMX && r.Type != plan.TypeCNAME && r.Type != "NS" {
			continue
		}
		if r.Type == "NS" && r.Name == d.Name {
			continue
		}
		v := r.Data
		switch r.Type {
		case plan.TypeMX:
			pref, host, _ := strings.Cut(v, " ")
			v = pref + " " + strings.TrimSuffix(host, ".")
		case plan.TypeCNAME, "NS":
			v = strings.TrimSuffix(v, ".")
		}
		live = append(live, schema.SenderRecord{Name: rel(r.Name), Type: r.Type, Value: v})
		liveRecs = append(liveRecs, r)
	}
	var spfTerms []string
	if len(spfs) == 1 {
		spfTerms = strings.Fields(strings.TrimPrefix(spfs[0], "v=spf1"))
		for _, t := range spfTerms {
			if inc, ok := strings.CutPrefix(t, "include:"); ok {
				live = append(live, schema.SenderRecord{Name: "@", Type: schema.TypeSPFInclude, Value: strings.ToLower(inc)})
				liveRecs = append(liveRecs, nil)
			}
		}
	}

	// Recognized services: the best matches first, none claiming a record
	// another took.
	claimed := map[int]bool{}
	var accepted []*schema.CatalogMatch
	without := func(drop []int) []schema.SenderRecord {
		out := slices.Clone(live)
		for _, i := range drop {
			out[i].Type = ""
		}
		return out
	}
	for _, cm := range schema.MatchCatalog(d.Name, live) {
		if cm.MX && fb.noMailbox {
			continue
		}
		if slices.ContainsFunc(cm.Records, func(i int) bool { return claimed[i] }) {
			// Two services whose templates both fit a record (two pasted
			// DKIM keys at selectors the user names): an accepted match
			// may fit as well without the records this one needs.
			for j, a := range accepted {
				if !slices.ContainsFunc(a.Records, func(i int) bool { return slices.Contains(cm.Records, i) }) {
					continue
				}
				if alt := a.Entry.Match(d.Name, without(cm.Records)); alt != nil && alt.Score() == a.Score() && alt.MX == a.MX {
					for _, i := range a.Records {
						delete(claimed, i)
					}
					for _, i := range alt.Records {
						claimed[i] = true
					}
					accepted[j] = alt
				}
			}
			if slices.ContainsFunc(cm.Records, func(i int) bool { return claimed[i] }) {
				continue
			}
		}
		for _, i := range cm.Records {
			claimed[i] = true
		}
		accepted = append(accepted, cm)
	}
	includeOf := map[string]*senderBlock{}
	var catalogSenders []*senderBlock
	for _, cm := range accepted {
		s := catalogBlock(cm)
		s = share(s, d.Name)
		if cm.MX {
			m.mailbox = s
		}
		for _, inc := range cm.SPF {
			includeOf[strings.TrimPrefix(inc, "include:")] = s
		}
		catalogSenders = append(catalogSenders, s)
	}

	// MX: the mailbox's, a null MX (parked), or mx blocks.
	if m.mailbox == nil && len(mxRecs) > 0 {
		if len(mxRecs) == 1 && mxRecs[0].Data == "0 ." {
			m.parked = true
		} else {
			for _, r := range mxRecs {
				pref, host, _ := strings.Cut(r.Data, " ")
				m.mx = append(m.mx, pref+" "+strings.TrimSuffix(host, "."))
			}
			sort.Slice(m.mx, func(i, j int) bool { return mxLess(m.mx[i], m.mx[j]) })
		}
	}

	// SPF.
	switch {
	case m.parked:
		if len(spfs) != 1 || spfs[0] != "v=spf1 -all" {
			m.note("the domain has a null MX, so it is declared parked, which publishes v=spf1 -all in place of %s", describe(spfs))
		}
	case len(spfs) == 0:
		m.spfOff = true
	case len(spfs) > 1:
		m.spfRaw = spfs[0]
		m.note("%d SPF records are published, which makes every SPF check a permerror (RFC 7208 section 4.5); the first is kept as raw and the plan removes the others", len(spfs))
	case fb.rawSPF:
		m.spfRaw = spfs[0]
		m.note("its SPF record is kept verbatim (spf { raw = ... }): the senders cannot say it term for term")
	default:
		if !m.spf(spfTerms, includeOf, share) {
			m.spfRaw = spfs[0]
			m.note("its SPF record uses terms a sender cannot declare (such as exists:, ptr, redirect= or macros); it is kept verbatim in spf { raw = ... }, and mailconf publishes it as written")
		}
	}
	for _, s := range catalogSenders {
		if !slices.Contains(m.senders, s) && s != m.mailbox {
			m.senders = append(m.senders, s)
		}
	}

	m.dmarcFrom(at("_dmarc."+d.Name, plan.TypeTXT), fb.rawDMARC)
	m.mtastsFrom(d, at(mtasts.RecordName(d.Name), plan.TypeTXT), mxRecs, fb.explicitID)
	m.tlsrptFrom(at("_smtp._tls."+d.Name, plan.TypeTXT), fb.rawTLSRPT)
	m.bimiFrom(d, fb.noBIMI)

	// DKIM selectors no sender explains.
	explained := map[string]bool{}
	for i := range claimed {
		if r := liveRecs[i]; r != nil {
			explained[r.Name] = true
		}
	}
	var selectors []string
	for _, r := range d.Records {
		if sel, ok := strings.CutSuffix(r.Name, "._domainkey."+d.Name); ok && !explained[r.Name] && !slices.Contains(selectors, sel) {
			selectors = append(selectors, sel)
		}
	}
	sort.Strings(selectors)
	for _, sel := range selectors {
		name := sel + "._domainkey." + d.Name
		txt, cname := at(name, plan.TypeTXT), at(name, plan.TypeCNAME)
		switch {
		case len(cname) > 0:
			m.note("DKIM selector %s is a CNAME to %s, which no catalog service explains; it is left undeclared, and the plan reports it as an unmanaged selector", sel, cname[0].Data)
		case len(txt) == 1:
			rec, err := dkim.Parse(txt[0].Data)
			if err != nil {
				m.note("DKIM selector %s holds %q, which is not a DKIM key record (%v); it is left undeclared", sel, abbreviate(txt[0].Data), err)
				continue
			}
			k := dkimBlock{selector: sel, published: txt[0].Data}
			if rec.Revoked() {
				k.state = schema.DKIMRetired
			}
			m.dkim = append(m.dkim, k)
			m.note("DKIM selector %s is declared with the key it publishes (published = ...): mailconf keeps it as it is and cannot sign with it until key_file names its private key", sel)
		case len(txt) > 1:
			m.note("DKIM selector %s has %d TXT records; it is left undeclared", sel, len(txt))
		}
	}

	m.ttl = commonTTL(d, m)
	if !m.parked && m.mailbox == nil && len(m.mx) == 0 && len(m.senders) == 0 && len(spfs) == 0 && len(m.dkim) == 0 {
		m.note("it has no MX, SPF or DKIM records; it is declared with what it has, and publishes nothing new")
	}
	return m
}

// spf turns the live SPF terms into the domain's senders, in the order the
// record gives them, and reports false when they cannot say it: the
// compiled record lists each sender's terms in turn, a custom sender's in
// the order ip4, ip6, a, mx, include, then the all term.
func (m *model) spf(terms []string, includeOf map[string]*senderBlock, share func(*senderBlock, string) *senderBlock) bool {
	if len(terms) == 0 {
		return false
	}
	all := terms[len(terms)-1]
	switch all {
	case "-all", "~all", "?all":
	default:
		return false
	}
	var group [5][]string // ip4, ip6, a, mx, include
	rank := -1
	// The senders in order; custom ones are shared only once the whole
	// record is known to be expressible.
	var list []*senderBlock
	flush := func() {
		if rank < 0 {
			return
		}
		s := &senderBlock{typ: "custom"}
		for i, name := range []string{"ip4", "ip6", "a", "mx", "include"} {
			if len(group[i]) > 0 {
				s.attrs = append(s.attrs, attr{name, strList(group[i])})
			}
		}
		s.key = senderKey(s)
		list = append(list, s)
		group = [5][]string{}
		rank = -1
	}
	add := func(r int, v string) {
		if r < rank {
			flush()
		}
		group[r] = append(group[r], v)
		rank = r
	}
	for _, t := range terms[:len(terms)-1] {
		lower := strings.ToLower(t)
		switch {
		case strings.HasPrefix(lower, "include:"):
			inc := lower[len("include:"):]
			if s, ok := includeOf[inc]; ok {
				flush()
				if !slices.Contains(list, s) {
					list = append(list, s)
				}
				continue
			}
			if strings.Contains(inc, "%") {
				return false
			}
			add(4, inc)
		case strings.HasPrefix(lower, "ip4:"):
			add(0, t[4:])
		case strings.HasPrefix(lower, "ip6:"):
			add(1, t[4:])
		case lower == "a":
			add(2, "@")
		case strings.HasPrefix(lower, "a:"):
			if strings.Contains(t, "%") {
				return false
			}
			add(2, t[2:])
		case lower == "mx":
			add(3, "@")
		case strings.HasPrefix(lower, "mx:"):
			if strings.Contains(t, "%") {
				return false
			}
			add(3, t[3:])
		default:
			return false
		}
	}
	flush()
	for _, s := range list {
		if s.typ == "custom" {
			s = share(s, m.name)
		}
		if !slices.Contains(m.senders, s) {
			m.senders = append(m.senders, s)
		}
	}
	def := "~all"
	if len(m.senders) == 0 {
		def = "-all"
	}
	if all != def {
		m.spfAll = all
	}
	return true
}

func senderKey(s *senderBlock) string {
	k := s.typ
	for _, a := range s.attrs {
		k += ";" + a.name + "=" + valueKey(a.val)
	}
	return k
}

// catalogBlock is the sender block of a recognized service.
func catalogBlock(cm *schema.CatalogMatch) *senderBlock {
	s := &senderBlock{typ: cm.Entry.ID}
	for _, p := range cm.Entry.Parameters {
		v, ok := cm.Params[p.Name]
		if !ok {
			continue
		}
		var val cty.Value
		switch p.Type {
		case schema.ParamTypeNumber:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				val = cty.StringVal(v)
			} else {
				val = cty.NumberIntVal(n)
			}
		case schema.ParamTypeBool:
			val = cty.BoolVal(v == "true")
		default:
			val = cty.StringVal(v)
		}
		s.attrs = append(s.attrs, attr{p.Name, val})
	}
	s.key = senderKey(s)
	return s
}

func (m *model) dmarcFrom(recs []plan.Record, raw bool) {
	var owned []string
	for _, r := range recs {
		if plan.LooksLikeDMARC(r.Data) {
			owned = append(owned, r.Data)
		}
	}
	switch {
	case len(owned) == 0:
		if !m.parked {
			m.dmarcOff = true
		}
		return
	case len(owned) > 1:
		m.note("%d DMARC records are published, so receivers apply none; the first is kept as raw and the plan removes the others", len(owned))
		m.dmarcRaw = owned[0]
		return
	}
	r, err := dmarc.Parse(owned[0])
	if err != nil {
		m.note("its DMARC record %q is not valid (%v); it is declared as p=none, which the plan publishes in its place", abbreviate(owned[0]), err)
		m.dmarc = []attr{{"policy", cty.StringVal("none")}}
		return
	}
	if raw || len(r.Unknown) > 0 {
		m.dmarcRaw = owned[0]
		if raw {
			m.note("its DMARC record is not written the way mailconf writes it (tag order, spacing or legacy tags); it is kept verbatim in dmarc { raw = ... }, shared by the domains that publish the same text")
		} else {
			m.note("its DMARC record has tags mailconf does not model; it is kept verbatim in dmarc { raw = ... }")
		}
		return
	}
	as := []attr{}
	add := func(name, v string) {
		if v != "" {
			as = append(as, attr{name, cty.StringVal(v)})
		}
	}
	add("policy", string(r.P))
	add("subdomain_policy", string(r.SP))
	add("nonexistent_policy", string(r.NP))
	if len(r.RUA) > 0 {
		as = append(as, attr{"rua", strList(r.RUA)})
	}
	if len(r.RUF) > 0 {
		as = append(as, attr{"ruf", strList(r.RUF)})
	}
	align := map[dmarc.Alignment]string{dmarc.Strict: "strict", dmarc.Relaxed: "relaxed"}
	add("adkim", align[r.ADKIM])
	add("aspf", align[r.ASPF])
	add("failure_options", r.FO)
	add("psd", r.PSD)
	switch r.T {
	case "y":
		as = append(as, attr{"testing", cty.True})
	case "n":
		as = append(as, attr{"testing", cty.False})
	}
	if r.PCT != nil {
		as = append(as, attr{"pct", cty.NumberIntVal(int64(*r.PCT))})
	}
	add("report_format", r.RF)
	if r.RI != nil {
		as = append(as, attr{"report_interval", cty.NumberIntVal(int64(*r.RI))})
	}
	if r.P == "" {
		m.dmarcRaw = owned[0]
		return
	}
	m.dmarc = as
}

func (m *model) mtastsFrom(d Domain, recs []plan.Record, mx []plan.Record, explicitID bool) {
	var owned []*mtasts.Record
	for _, r := range recs {
		if plan.HasTagPrefix(r.Data, "v=STSv1") {
			if rec, err := mtasts.Parse(r.Data); err == nil && len(rec.Extensions) == 0 {
				owned = append(owned, rec)
			} else {
				m.note("its MTA-STS record %q is not one mailconf writes; mta_sts is left undeclared and the record stays as it is", abbreviate(r.Data))
				return
			}
		}
	}
	if len(owned) != 1 || m.parked {
		if len(owned) > 1 {
			m.note("%d MTA-STS records are published; mta_sts is left undeclared", len(owned))
		}
		return
	}
	m.hasMTASTS = true
	m.mtastsMode, m.mtastsMaxAge = string(mtasts.Enforce), plan.DefaultMTASTSMaxAge
	pol, err := mtasts.ParsePolicy(d.MTASTSPolicy)
	if !d.MTASTSFetched || err != nil {
		m.mtastsID = owned[0].ID
		why := "it could not be fetched"
		if d.MTASTSFetched {
			why = fmt.Sprintf("it is not valid (%v)", err)
		}
		m.note("the MTA-STS policy at %s was not read (%s): mta_sts keeps the live id %s and takes mode = \"enforce\" and max_age = %d, which may not be what is served; check them with mailconf mta-sts-policy %s, serve that, then remove id", mtasts.PolicyURL(d.Name), why, owned[0].ID, plan.DefaultMTASTSMaxAge, d.Name)
		return
	}
	m.mtastsMode, m.mtastsMaxAge = string(pol.Mode), pol.MaxAge
	var hosts []string
	for _, r := range mx {
		_, host, _ := strings.Cut(r.Data, " ")
		hosts = append(hosts, strings.TrimSuffix(host, "."))
	}
	if !sameSet(hosts, pol.MX) {
		m.mtastsMX = pol.MX
	}
	if explicitID {
		m.mtastsID = owned[0].ID
	}
}

func (m *model) tlsrptFrom(recs []plan.Record, raw bool) {
	for _, r := range recs {
		if !plan.HasTagPrefix(r.Data, "v=TLSRPTv1") {
			continue
		}
		rec, err := tlsrpt.Parse(r.Data)
		if err != nil || raw || len(rec.Extensions) > 0 {
			if err != nil {
				m.note("its TLS-RPT record %q does not parse (%v); it is kept verbatim in tls_rpt { raw = ... }", abbreviate(r.Data), err)
				// raw must parse; leave it undeclared instead.
				return
			}
			m.tlsRaw = r.Data
			return
		}
		m.tlsRUA = rec.RUA
		return
	}
}

func (m *model) bimiFrom(d Domain, skip bool) {
	for _, r := range d.Records {
		sel, ok := strings.CutSuffix(r.Name, "._bimi."+d.Name)
		if !ok || r.Type != plan.TypeTXT || !plan.HasTagPrefix(r.Data, "v=BIMI1") {
			continue
		}
		if skip || sel != bimi.DefaultSelector && len(m.bimi) > 0 {
			m.note("its BIMI record at %s is left undeclared and stays as it is: mailconf would publish it differently", r.Name)
			continue
		}
		rec, err := bimi.Parse(r.Data)
		if err != nil || len(rec.Unknown) > 0 {
			m.note("its BIMI record at %s is not one mailconf writes; it is left undeclared and stays as it is", r.Name)
			continue
		}
		var as []attr
		if sel != bimi.DefaultSelector {
			as = append(as, attr{"selector", cty.StringVal(sel)})
		}
		if rec.Logo != "" {
			as = append(as, attr{"logo", cty.StringVal(rec.Logo)})
		}
		if rec.Authority != "" {
			as = append(as, attr{"authority", cty.StringVal(rec.Authority)})
		}
		m.bimi = as
	}
}

// commonTTL is the TTL most of the records mailconf will own carry.
func commonTTL(d Domain, m *model) uint32 {
	count := map[uint32]int{}
	for _, r := range d.Records {
		owned := r.Name == d.Name && (r.Type == plan.TypeMX || plan.HasTagPrefix(r.Data, "v=spf1")) ||
			strings.HasPrefix(r.Name, "_dmarc.") || strings.Contains(r.Name, "._domainkey.") ||
			strings.HasPrefix(r.Name, "_mta-sts.") || strings.HasPrefix(r.Name, "_smtp._tls.")
		if owned {
			count[r.TTL]++
		}
	}
	best, n := uint32(0), 0
	for ttl, c := range count {
		if c > n || c == n && ttl < best {
			best, n = ttl, c
		}
	}
	if len(count) > 1 {
		m.note("its mail records have %d different TTLs; the domain's ttl is %d, the most common, and the plan sets the others to it", len(count), best)
	}
	return best
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	for i := range x {
		x[i] = strings.ToLower(x[i])
	}
	for i := range y {
		y[i] = strings.ToLower(y[i])
	}
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func mxLess(a, b string) bool {
	pa, ha, _ := strings.Cut(a, " ")
	pb, hb, _ := strings.Cut(b, " ")
	na, _ := strconv.Atoi(pa)
	nb, _ := strconv.Atoi(pb)
	if na != nb {
		return na < nb
	}
	return ha < hb
}

func describe(spfs []string) string {
	switch len(spfs) {
	case 0:
		return "no SPF record"
	case 1:
		return fmt.Sprintf("%q", spfs[0])
	}
	return fmt.Sprintf("%d SPF records", len(spfs))
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
