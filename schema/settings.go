package schema

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/mailauth/tlsrpt"
)

// The blocks a policy provides and a domain may override.
var settingsBlocks = []hcl.BlockHeaderSchema{
	{Type: "spf"}, {Type: "dmarc"}, {Type: "mta_sts"}, {Type: "tls_rpt"}, {Type: "bimi"},
	{Type: "dkim_rotation"},
}

var dkimRotationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "retiring_period"}, {Name: "revocation_period"}, {Name: "max_age"}, {Name: "rotate_every"},
}}

var spfSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "all"}, {Name: "ip4"}, {Name: "ip6"}, {Name: "include"}, {Name: "a"}, {Name: "mx"},
	{Name: "flatten"}, {Name: "raw"}, {Name: "publish"},
}}

// SPFFlattenModes are the values of spf.flatten.
var SPFFlattenModes = []string{"never", "auto", "always"}

var dmarcSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "policy"}, {Name: "subdomain_policy"}, {Name: "nonexistent_policy"},
	{Name: "rua"}, {Name: "ruf"}, {Name: "adkim"}, {Name: "aspf"},
	{Name: "failure_options"}, {Name: "psd"}, {Name: "testing"},
	{Name: "pct"}, {Name: "report_format"}, {Name: "report_interval"},
	{Name: "raw"}, {Name: "publish"},
}}

var mtastsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "mode"}, {Name: "max_age"}, {Name: "mx"}, {Name: "id"},
}}

var tlsrptSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "rua"}, {Name: "raw"},
}}

var bimiSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "selector"}, {Name: "logo"}, {Name: "authority"},
}}

// MaxMTASTSMaxAge is the largest max_age a policy may carry.
// RFC 8461 section 3.2: max_age is at most 31557600 seconds (about a year).
const MaxMTASTSMaxAge = 31557600

// decodeSettings decodes the settings blocks found in content into s,
// reporting a block given twice.
func (l *loader) decodeSettings(content *hcl.BodyContent, ctx *hcl.EvalContext, inForEach bool, s *Settings) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*hcl.Block{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "spf", "dmarc", "mta_sts", "tls_rpt", "bimi", "dkim_rotation":
		default:
			continue
		}
		if prev, ok := seen[b.Type]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + b.Type + " block",
				Detail:   fmt.Sprintf("Only one %s block is allowed here; the first is at %s. Merge the two.", b.Type, prev.DefRange),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		seen[b.Type] = b
		var sch *hcl.BodySchema
		switch b.Type {
		case "spf":
			sch = spfSchema
		case "dmarc":
			sch = dmarcSchema
		case "mta_sts":
			sch = mtastsSchema
		case "tls_rpt":
			sch = tlsrptSchema
		case "bimi":
			sch = bimiSchema
		case "dkim_rotation":
			sch = dkimRotationSchema
		}
		c, ds := b.Body.Content(sch)
		diags = append(diags, ds...)
		a := &attrs{l: l, ctx: ctx, content: c, inForEach: inForEach}
		switch b.Type {
		case "spf":
			s.SPF = a.spf(b.DefRange)
		case "dmarc":
			s.DMARC = a.dmarc(b.DefRange)
		case "mta_sts":
			s.MTASTS = a.mtasts(b.DefRange)
		case "tls_rpt":
			s.TLSRPT = &TLSRPTSettings{DeclRange: b.DefRange, RUA: a.strs("rua"), Raw: a.str("raw")}
			if r := s.TLSRPT.Raw; r.Set {
				if _, err := tlsrpt.Parse(r.Value); err != nil {
					a.errorf(r.Range, "Invalid raw TLS-RPT record", "raw is published as written, so it must be a TLS-RPT record (RFC 8460 section 3): %s.", err)
				}
				if s.TLSRPT.RUA.Set {
					a.errorf(s.TLSRPT.RUA.Range, "raw beside other settings", "raw is the whole record; remove rua, or remove raw.")
				}
			}
			a.reportURIs(s.TLSRPT.RUA, "TLS-RPT", "RFC 8460 section 3")
			if s.TLSRPT.RUA.Set && len(s.TLSRPT.RUA.Value) == 0 {
				a.errorf(s.TLSRPT.RUA.Range, "Empty TLS-RPT rua", "RFC 8460 section 3: rua is required; give at least one mailto: or https: address for the reports.")
			}
		case "bimi":
			s.BIMI = a.bimi(b.DefRange)
		case "dkim_rotation":
			s.DKIMRotation = &DKIMRotationSettings{
				DeclRange:        b.DefRange,
				RetiringPeriod:   a.duration("retiring_period"),
				RevocationPeriod: a.duration("revocation_period"),
				MaxAge:           a.duration("max_age"),
				RotateEvery:      a.duration("rotate_every"),
			}
		}
		diags = append(diags, a.diags...)
	}
	return diags
}

func (a *attrs) spf(rng hcl.Range) *SPFSettings {
	s := &SPFSettings{
		DeclRange: rng,
		All:       a.str("all"),
		IP4:       a.strs("ip4"),
		IP6:       a.strs("ip6"),
		Include:   a.strs("include"),
		A:         a.strs("a"),
		MX:        a.strs("mx"),
		Flatten:   a.str("flatten"),
		Raw:       a.str("raw"),
		Publish:   a.boolean("publish"),
	}
	if s.Raw.Set {
		if _, err := spf.Parse(s.Raw.Value); err != nil {
			a.errorf(s.Raw.Range, "Invalid raw SPF record", "raw is published as written, so it must be an SPF record (RFC 7208 section 4.5): %s.", err)
		}
		a.alone("raw", []fieldSet{{"all", s.All.Set}, {"ip4", s.IP4.Set}, {"ip6", s.IP6.Set}, {"include", s.Include.Set}, {"a", s.A.Set}, {"mx", s.MX.Set}, {"flatten", s.Flatten.Set}, {"publish", s.Publish.Set}})
	}
	if s.Publish.Set && !s.Publish.Value {
		a.alone("publish = false", []fieldSet{{"all", s.All.Set}, {"ip4", s.IP4.Set}, {"ip6", s.IP6.Set}, {"include", s.Include.Set}, {"a", s.A.Set}, {"mx", s.MX.Set}, {"flatten", s.Flatten.Set}})
	}
	if s.Flatten.Set && !contains(SPFFlattenModes, s.Flatten.Value) {
		a.errorf(s.Flatten.Range, "Invalid SPF flatten mode", "flatten must be \"never\", \"auto\" (only when the record would exceed 10 DNS lookups) or \"always\", not %q.%s", s.Flatten.Value, suggest(s.Flatten.Value, SPFFlattenModes))
	}
	if s.All.Set {
		switch s.All.Value {
		case "-all", "~all", "?all":
		case "+all", "all":
			a.errorf(s.All.Range, "SPF all passes everything", "%q authorizes every host on the Internet to send as the domain (RFC 7208 section 5.1). Use \"-all\" or \"~all\".", s.All.Value)
		default:
			a.errorf(s.All.Range, "Invalid SPF all", "all must be \"-all\" (fail), \"~all\" (softfail) or \"?all\" (neutral), not %q.", s.All.Value)
		}
	}
	a.checkSPFTerms(s.IP4, s.IP6, s.Include, s.A, s.MX)
	return s
}

// checkSPFTerms validates the values of SPF term lists, shared by spf
// blocks and custom senders.
func (a *attrs) checkSPFTerms(ip4, ip6, include, aHosts, mx Field[[]string]) {
	for i, v := range ip4.Value {
		if !validIP(v, true) {
			a.errorf(ip4.ElemRange(i), "Invalid SPF ip4", "%q is not an IPv4 address or CIDR network (RFC 7208 section 5.6), such as \"203.0.113.10\" or \"203.0.113.0/24\".", v)
		}
	}
	for i, v := range ip6.Value {
		if !validIP(v, false) {
			a.errorf(ip6.ElemRange(i), "Invalid SPF ip6", "%q is not an IPv6 address or CIDR network (RFC 7208 section 5.6), such as \"2001:db8::10\" or \"2001:db8::/48\".", v)
		}
	}
	for i, v := range include.Value {
		if !ValidHostname(v) {
			a.errorf(include.ElemRange(i), "Invalid SPF include", "%q is not a domain name; include takes the domain whose SPF record to include, such as \"_spf.google.com\".", v)
		}
	}
	for _, f := range []struct {
		name string
		v    Field[[]string]
	}{{"a", aHosts}, {"mx", mx}} {
		for i, v := range f.v.Value {
			host, cidr, _ := strings.Cut(v, "/")
			if host != "@" && !ValidHostname(host) || cidr != "" && !allDigits(cidr) {
				a.errorf(f.v.ElemRange(i), "Invalid SPF "+f.name, "%q is not a domain name; %s takes a host name, optionally with a /prefix length, or \"@\" for the domain itself.", v, f.name)
			}
		}
	}
}

func validIP(s string, v4 bool) bool {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return err == nil && p.Addr().Is4() == v4 && !p.Addr().Is4In6()
	}
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.Is4() == v4 && ip.Zone() == "" && !ip.Is4In6()
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

var dmarcPolicies = []string{"none", "quarantine", "reject"}

func (a *attrs) dmarc(rng hcl.Range) *DMARCSettings {
	d := &DMARCSettings{
		DeclRange:         rng,
		Policy:            a.str("policy"),
		SubdomainPolicy:   a.str("subdomain_policy"),
		NonexistentPolicy: a.str("nonexistent_policy"),
		RUA:               a.strs("rua"),
		RUF:               a.strs("ruf"),
		ADKIM:             a.str("adkim"),
		ASPF:              a.str("aspf"),
		FailureOptions:    a.str("failure_options"),
		PSD:               a.str("psd"),
		Testing:           a.boolean("testing"),
		Percent:           a.integer("pct"),
		ReportFormat:      a.str("report_format"),
		ReportInterval:    a.integer("report_interval"),
		Raw:               a.str("raw"),
		Publish:           a.boolean("publish"),
	}
	others := []fieldSet{{"policy", d.Policy.Set}, {"subdomain_policy", d.SubdomainPolicy.Set}, {"nonexistent_policy", d.NonexistentPolicy.Set}, {"rua", d.RUA.Set}, {"ruf", d.RUF.Set}, {"adkim", d.ADKIM.Set}, {"aspf", d.ASPF.Set}, {"failure_options", d.FailureOptions.Set}, {"psd", d.PSD.Set}, {"testing", d.Testing.Set}, {"pct", d.Percent.Set}, {"report_format", d.ReportFormat.Set}, {"report_interval", d.ReportInterval.Set}}
	if d.Raw.Set {
		if _, err := dmarc.Parse(d.Raw.Value); err != nil {
			a.errorf(d.Raw.Range, "Invalid raw DMARC record", "raw is published as written, so it must be a DMARC record (RFC 9989 section 4.7): %s.", err)
		}
		a.alone("raw", append(others, fieldSet{"publish", d.Publish.Set}))
	}
	if d.Publish.Set && !d.Publish.Value {
		a.alone("publish = false", others)
	}
	for _, f := range []struct {
		name string
		v    Field[string]
	}{{"policy", d.Policy}, {"subdomain_policy", d.SubdomainPolicy}, {"nonexistent_policy", d.NonexistentPolicy}} {
		if f.v.Set && !contains(dmarcPolicies, f.v.Value) {
			a.errorf(f.v.Range, "Invalid DMARC policy", "%s must be \"none\", \"quarantine\" or \"reject\" (RFC 9989), not %q.%s", f.name, f.v.Value, suggest(f.v.Value, dmarcPolicies))
		}
	}
	for _, f := range []struct {
		name string
		v    Field[string]
	}{{"adkim", d.ADKIM}, {"aspf", d.ASPF}} {
		if f.v.Set && !contains([]string{"relaxed", "strict"}, f.v.Value) {
			a.errorf(f.v.Range, "Invalid DMARC alignment", "%s must be \"relaxed\" or \"strict\", not %q.", f.name, f.v.Value)
		}
	}
	a.reportURIs(d.RUA, "DMARC", "RFC 9989")
	a.reportURIs(d.RUF, "DMARC", "RFC 9989")
	if d.FailureOptions.Set {
		for _, o := range strings.Split(d.FailureOptions.Value, ":") {
			if !contains([]string{"0", "1", "d", "s"}, o) {
				a.errorf(d.FailureOptions.Range, "Invalid DMARC failure_options", "failure_options is a colon-separated list of 0, 1, d and s (the fo tag), not %q.", d.FailureOptions.Value)
				break
			}
		}
	}
	if d.PSD.Set && !contains([]string{"y", "n", "u"}, d.PSD.Value) {
		a.errorf(d.PSD.Range, "Invalid DMARC psd", "psd must be \"y\", \"n\" or \"u\" (RFC 9989), not %q.", d.PSD.Value)
	}
	if d.Percent.Set {
		if d.Percent.Value < 0 || d.Percent.Value > 100 {
			a.errorf(d.Percent.Range, "Invalid DMARC pct", "pct is a percentage from 0 to 100, not %d.", d.Percent.Value)
		} else {
			a.warnf(d.Percent.Range, "Legacy DMARC tag", "RFC 9989 removed pct; receivers that follow it ignore the tag, so the policy applies to all mail. Remove pct unless you rely on RFC 7489 receivers.")
		}
	}
	if d.ReportFormat.Set {
		if d.ReportFormat.Value != "afrf" {
			a.errorf(d.ReportFormat.Range, "Invalid DMARC report_format", "The only report format is \"afrf\" (RFC 7489 section 6.3), not %q.", d.ReportFormat.Value)
		} else {
			a.warnf(d.ReportFormat.Range, "Legacy DMARC tag", "RFC 9989 removed rf; receivers that follow it ignore the tag. Remove report_format.")
		}
	}
	if d.ReportInterval.Set {
		if d.ReportInterval.Value <= 0 {
			a.errorf(d.ReportInterval.Range, "Invalid DMARC report_interval", "report_interval is a number of seconds greater than zero, not %d.", d.ReportInterval.Value)
		} else {
			a.warnf(d.ReportInterval.Range, "Legacy DMARC tag", "RFC 9989 removed ri; receivers that follow it ignore the tag and send daily reports. Remove report_interval.")
		}
	}
	return d
}

// fieldSet is an attribute's name and whether the block sets it.
type fieldSet struct {
	name string
	set  bool
}

// alone reports the attributes set beside one that stands for the whole
// record (raw, publish = false).
func (a *attrs) alone(what string, others []fieldSet) {
	var set []string
	for _, f := range others {
		if f.set {
			set = append(set, f.name)
		}
	}
	if len(set) == 0 {
		return
	}
	rng := a.content.Attributes[strings.Fields(what)[0]].Range
	a.errorf(rng, what+" beside other settings", "%s stands for the whole record, so %s would be ignored. Remove %s, or remove %s.", what, strings.Join(set, ", "), strings.Join(set, ", "), what)
}

// reportURIs checks report destinations: mailto: or https: URIs.
func (a *attrs) reportURIs(f Field[[]string], what, rfc string) {
	for i, v := range f.Value {
		if err := checkReportURI(v); err != "" {
			a.errorf(f.ElemRange(i), "Invalid "+what+" report address", "%q %s (%s). Write \"mailto:reports@example.com\" or an https: URL.", v, err, rfc)
		}
	}
}

func checkReportURI(v string) string {
	scheme, rest, ok := strings.Cut(v, ":")
	if !ok {
		return "is not a URI"
	}
	switch strings.ToLower(scheme) {
	case "mailto":
		// RFC 7489 section 6.2 allows a "!size" limit after the address.
		addr, _, _ := strings.Cut(rest, "!")
		local, domain, ok := strings.Cut(addr, "@")
		if !ok || local == "" || !ValidHostname(domain) {
			return "is not a valid mailto: address"
		}
		if strings.ContainsAny(addr, ",; ") {
			return "holds a comma, semicolon or space, which must be percent-encoded"
		}
		return ""
	case "https":
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return "is not a valid https: URL"
		}
		return ""
	default:
		return "is neither a mailto: nor an https: URI"
	}
}

func (a *attrs) mtasts(rng hcl.Range) *MTASTSSettings {
	m := &MTASTSSettings{
		DeclRange: rng,
		Mode:      a.str("mode"),
		MaxAge:    a.integer("max_age"),
		MX:        a.strs("mx"),
		ID:        a.str("id"),
	}
	// RFC 8461 section 3.1: sts-id = 1*32(ALPHA / DIGIT).
	if m.ID.Set && !mtasts.ValidID(m.ID.Value) {
		a.errorf(m.ID.Range, "Invalid MTA-STS id", "id is 1 to 32 letters and digits (RFC 8461 section 3.1), not %q. Give the id published today to keep it, or leave id out and mailconf derives one from the policy text.", m.ID.Value)
	}
	if m.Mode.Set && !contains([]string{"enforce", "testing", "none"}, m.Mode.Value) {
		a.errorf(m.Mode.Range, "Invalid MTA-STS mode", "mode must be \"enforce\", \"testing\" or \"none\" (RFC 8461 section 3.2), not %q.", m.Mode.Value)
	}
	if m.MaxAge.Set && (m.MaxAge.Value < 0 || m.MaxAge.Value > MaxMTASTSMaxAge) {
		a.errorf(m.MaxAge.Range, "MTA-STS max_age out of range", "max_age is at most %d seconds (RFC 8461 section 3.2), not %d. 604800 (a week) is common.", MaxMTASTSMaxAge, m.MaxAge.Value)
	}
	for i, p := range m.MX.Value {
		host := strings.TrimPrefix(p, "*.")
		if !ValidHostname(host) {
			a.errorf(m.MX.ElemRange(i), "Invalid MTA-STS mx pattern", "%q is not a host name or a \"*.\" wildcard on the leftmost label (RFC 8461 section 3.2).", p)
		}
	}
	return m
}

func (a *attrs) bimi(rng hcl.Range) *BIMISettings {
	b := &BIMISettings{
		DeclRange: rng,
		Selector:  a.str("selector"),
		Logo:      a.str("logo"),
		Authority: a.str("authority"),
	}
	if b.Selector.Set && !ValidHostname(b.Selector.Value) && !validLabel(b.Selector.Value) {
		a.errorf(b.Selector.Range, "Invalid BIMI selector", "%q is not a DNS label such as \"default\".", b.Selector.Value)
	}
	for _, f := range []struct {
		name string
		v    Field[string]
	}{{"logo", b.Logo}, {"authority", b.Authority}} {
		if !f.v.Set {
			continue
		}
		u, err := url.Parse(f.v.Value)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			a.errorf(f.v.Range, "Invalid BIMI "+f.name, "%s must be an https: URL (draft-brand-indicators-for-message-identification), not %q.", f.name, f.v.Value)
		}
	}
	return b
}

// merge returns the domain's settings over the policy's, attribute by
// attribute. Either may be nil.
func merge(own, policy Settings) Settings {
	var out Settings
	out.SPF = mergeSPF(own.SPF, policy.SPF)
	out.DMARC = mergeDMARC(own.DMARC, policy.DMARC)
	out.MTASTS = mergeMTASTS(own.MTASTS, policy.MTASTS)
	out.TLSRPT = mergeTLSRPT(own.TLSRPT, policy.TLSRPT)
	out.BIMI = mergeBIMI(own.BIMI, policy.BIMI)
	out.DKIMRotation = mergeDKIMRotation(own.DKIMRotation, policy.DKIMRotation)
	return out
}

func mergeSPF(own, pol *SPFSettings) *SPFSettings {
	if own == nil || pol == nil || own.Raw.Set || own.Publish.Set && !own.Publish.Value {
		return pick(own, pol)
	}
	if pol.Raw.Set || pol.Publish.Set && !pol.Publish.Value {
		// The domain's own terms go with a policy that says the whole
		// record: the domain's block decides.
		return own
	}
	return &SPFSettings{
		DeclRange: own.DeclRange,
		All:       own.All.Or(pol.All),
		IP4:       own.IP4.Or(pol.IP4),
		IP6:       own.IP6.Or(pol.IP6),
		Include:   own.Include.Or(pol.Include),
		A:         own.A.Or(pol.A),
		MX:        own.MX.Or(pol.MX),
		Flatten:   own.Flatten.Or(pol.Flatten),
		Publish:   own.Publish.Or(pol.Publish),
	}
}

func mergeDMARC(own, pol *DMARCSettings) *DMARCSettings {
	if own == nil || pol == nil || own.Raw.Set || own.Publish.Set && !own.Publish.Value {
		return pick(own, pol)
	}
	if pol.Raw.Set || pol.Publish.Set && !pol.Publish.Value {
		return own
	}
	return &DMARCSettings{
		DeclRange:         own.DeclRange,
		Policy:            own.Policy.Or(pol.Policy),
		SubdomainPolicy:   own.SubdomainPolicy.Or(pol.SubdomainPolicy),
		NonexistentPolicy: own.NonexistentPolicy.Or(pol.NonexistentPolicy),
		RUA:               own.RUA.Or(pol.RUA),
		RUF:               own.RUF.Or(pol.RUF),
		ADKIM:             own.ADKIM.Or(pol.ADKIM),
		ASPF:              own.ASPF.Or(pol.ASPF),
		FailureOptions:    own.FailureOptions.Or(pol.FailureOptions),
		PSD:               own.PSD.Or(pol.PSD),
		Testing:           own.Testing.Or(pol.Testing),
		Percent:           own.Percent.Or(pol.Percent),
		ReportFormat:      own.ReportFormat.Or(pol.ReportFormat),
		ReportInterval:    own.ReportInterval.Or(pol.ReportInterval),
		Publish:           own.Publish.Or(pol.Publish),
	}
}

func mergeMTASTS(own, pol *MTASTSSettings) *MTASTSSettings {
	if own == nil || pol == nil {
		return pick(own, pol)
	}
	return &MTASTSSettings{
		DeclRange: own.DeclRange,
		Mode:      own.Mode.Or(pol.Mode),
		MaxAge:    own.MaxAge.Or(pol.MaxAge),
		MX:        own.MX.Or(pol.MX),
		ID:        own.ID.Or(pol.ID),
	}
}

func mergeTLSRPT(own, pol *TLSRPTSettings) *TLSRPTSettings {
	if own == nil || pol == nil {
		return pick(own, pol)
	}
	switch {
	case own.Raw.Set:
		return own
	case pol.Raw.Set && own.RUA.Set:
		return own
	case pol.Raw.Set:
		return pol
	}
	return &TLSRPTSettings{DeclRange: own.DeclRange, RUA: own.RUA.Or(pol.RUA)}
}

func mergeBIMI(own, pol *BIMISettings) *BIMISettings {
	if own == nil || pol == nil {
		return pick(own, pol)
	}
	return &BIMISettings{
		DeclRange: own.DeclRange,
		Selector:  own.Selector.Or(pol.Selector),
		Logo:      own.Logo.Or(pol.Logo),
		Authority: own.Authority.Or(pol.Authority),
	}
}

func pick[T any](own, pol *T) *T {
	if own != nil {
		return own
	}
	return pol
}

func mergeDKIMRotation(own, pol *DKIMRotationSettings) *DKIMRotationSettings {
	if own == nil || pol == nil {
		return pick(own, pol)
	}
	return &DKIMRotationSettings{
		DeclRange:        own.DeclRange,
		RetiringPeriod:   own.RetiringPeriod.Or(pol.RetiringPeriod),
		RevocationPeriod: own.RevocationPeriod.Or(pol.RevocationPeriod),
		MaxAge:           own.MaxAge.Or(pol.MaxAge),
		RotateEvery:      own.RotateEvery.Or(pol.RotateEvery),
	}
}
