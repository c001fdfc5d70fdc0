package schema

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/mailauth/dkim"
)

// ExampleDomain is the domain `senders show` and the golden tests expand
// an entry's records for.
const ExampleDomain = "example.com"

func (cs CatalogConditions) holds(vals map[string]string) bool {
	for _, c := range cs {
		if !c.holds(vals) {
			return false
		}
	}
	return true
}

// holds reports whether c holds for the parameter values (their string
// forms; an absent parameter is not in the map).
func (c *CatalogCondition) holds(vals map[string]string) bool {
	if c == nil {
		return true
	}
	v, ok := vals[c.Param]
	switch {
	case !ok:
		return false
	case c.Equals != "":
		return v == c.Equals
	default:
		return v != "" && v != "false"
	}
}

// expandTemplate replaces the {param} placeholders of t, leaving the builtins for
// ExpandSenderRecord. The checks of the entry make a missing parameter a
// bug in the data, reported as an error rather than a diagnostic.
func expandTemplate(t string, vals map[string]string) (string, error) {
	var missing string
	out := catalogPlaceholderRE.ReplaceAllStringFunc(t, func(m string) string {
		name := m[1 : len(m)-1]
		if catalogBuiltins[name] {
			return m
		}
		v, ok := vals[name]
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("template %q: parameter %s has no value", t, missing)
	}
	return out, nil
}

// builtSender is what an entry contributes to a sender for given parameters.
type builtSender struct {
	spf     []string
	mx      []MX
	records []SenderRecord
	// facts are the facts behind what was built.
	facts []CatalogFieldFact
}

// build expands the entry's templates for the parameter values, which
// hold every set parameter and every default.
func (e *CatalogEntry) build(vals map[string]string) (*builtSender, error) {
	b := &builtSender{}
	if e.MX != nil {
		set := e.MX.Sets[0]
		for _, s := range e.MX.Sets {
			if e.MX.Param != "" && vals[e.MX.Param] == s.Name {
				set = s
			}
		}
		field := "mx"
		if set.Name != "" {
			field += " " + set.Name
		}
		b.facts = append(b.facts, CatalogFieldFact{field, set.CatalogFact})
		for _, h := range set.Hosts {
			host, err := expandTemplate(h.Host, vals)
			if err != nil {
				return nil, err
			}
			b.mx = append(b.mx, MX{Preference: uint16(h.Preference), Host: strings.ToLower(host)})
		}
	}
	if s := e.SPF; s != nil && s.At == "@" && s.When.holds(vals) {
		b.facts = append(b.facts, CatalogFieldFact{"spf", s.CatalogFact})
		for _, inc := range s.Includes {
			v, err := expandTemplate(inc, vals)
			if err != nil {
				return nil, err
			}
			b.spf = append(b.spf, "include:"+strings.ToLower(v))
		}
	}
	if err := e.buildDKIM(b, vals); err != nil {
		return nil, err
	}
	for _, r := range e.Records {
		if !r.When.holds(vals) {
			continue
		}
		b.facts = append(b.facts, CatalogFieldFact{r.Purpose + " " + r.Name + " " + r.Type, r.CatalogFact})
		name, err := expandTemplate(r.Name, vals)
		if err != nil {
			return nil, err
		}
		for _, v := range r.Values {
			value, err := expandTemplate(v, vals)
			if err != nil {
				return nil, err
			}
			b.records = append(b.records, SenderRecord{Name: strings.ToLower(name), Type: r.Type, Value: value})
		}
	}
	for _, r := range b.records {
		if err := checkCatalogRecord(r); err != nil {
			return nil, err
		}
	}
	for _, m := range b.mx {
		if !ValidHostname(m.Host) {
			return nil, fmt.Errorf("MX host %q is not a host name", m.Host)
		}
	}
	for _, t := range b.spf {
		if !ValidHostname(strings.TrimPrefix(t, "include:")) {
			return nil, fmt.Errorf("SPF term %q does not name a host", t)
		}
	}
	return b, nil
}

// fullDKIMRecord tells a pasted DKIM record ("v=DKIM1; k=rsa; p=MIIB...")
// from a bare base64 key, which may itself end in "p=" padding.
var fullDKIMRecord = regexp.MustCompile(`(^|;)\s*p\s*=`)

// activeDKIM is the DKIM alternative that applies, or nil.
func (e *CatalogEntry) activeDKIM(vals map[string]string) *CatalogDKIM {
	for _, alt := range e.DKIM {
		if alt.When.holds(vals) {
			return alt
		}
	}
	return nil
}

func (e *CatalogEntry) buildDKIM(b *builtSender, vals map[string]string) error {
	d := e.activeDKIM(vals)
	if d == nil {
		return nil
	}
	if d.Shape != DKIMShapeTXT || vals[d.Key] != "" {
		b.facts = append(b.facts, CatalogFieldFact{"dkim " + d.Shape, d.CatalogFact})
	}
	switch d.Shape {
	case DKIMShapeCNAME:
		for _, s := range d.Selectors {
			sel, err := expandTemplate(s.Name, vals)
			if err != nil {
				return err
			}
			target, err := expandTemplate(s.Target, vals)
			if err != nil {
				return err
			}
			b.records = append(b.records, SenderRecord{Name: strings.ToLower(sel) + "._domainkey", Type: "CNAME", Value: strings.ToLower(target)})
		}
	case DKIMShapeTXT:
		key, ok := vals[d.Key]
		if !ok || key == "" {
			return nil
		}
		sel, err := expandTemplate(d.Selector, vals)
		if err != nil {
			return err
		}
		value, err := dkimRecordValue(key, d.Value, vals, d.Key)
		if err != nil {
			return err
		}
		b.records = append(b.records, SenderRecord{Name: strings.ToLower(sel) + "._domainkey", Type: "TXT", Value: value})
	}
	return nil
}

// dkimRecordValue is the TXT record for a pasted key: the record itself
// when the user pasted one, else the service's template around the bare
// base64 key. The result must parse as a DKIM key record (RFC 6376
// section 3.6.1); whether the key is strong enough is lint's concern.
func dkimRecordValue(key, template string, vals map[string]string, keyParam string) (string, error) {
	key = strings.TrimSpace(key)
	var value string
	switch {
	case fullDKIMRecord.MatchString(key):
		value = strings.Join(strings.Fields(key), " ")
	case template == "":
		return "", fmt.Errorf("the record for this service is not known, so give the whole TXT value as shown by the service, such as \"v=DKIM1; k=rsa; p=MIIB...\"")
	default:
		// A bare key pasted from a console is often wrapped; base64
		// ignores no whitespace, so join it.
		withKey := map[string]string{}
		for k, v := range vals {
			withKey[k] = v
		}
		withKey[keyParam] = strings.Join(strings.Fields(key), "")
		var err error
		if value, err = expandTemplate(template, withKey); err != nil {
			return "", err
		}
	}
	if _, err := dkim.Parse(value); err != nil {
		return "", err
	}
	return value, nil
}

// checkCatalogRecord checks the syntax of a built record, with the builtins
// standing for the example domain.
func checkCatalogRecord(r SenderRecord) error {
	r = ExpandSenderRecord(r, ExampleDomain)
	if r.Name != "@" && !ValidHostname(r.Name) {
		return fmt.Errorf("record name %q is not a relative DNS name", r.Name)
	}
	switch r.Type {
	case "CNAME", "NS":
		if !ValidHostname(r.Value) {
			return fmt.Errorf("%s %s target %q is not a host name", r.Name, r.Type, r.Value)
		}
	case "MX":
		pref, host, ok := strings.Cut(r.Value, " ")
		if n, err := strconv.Atoi(pref); !ok || err != nil || n < 0 || n > 65535 || !ValidHostname(host) {
			return fmt.Errorf("%s MX value %q is not \"PREFERENCE HOST\"", r.Name, r.Value)
		}
	case "TXT":
		if r.Value == "" {
			return fmt.Errorf("%s TXT value is empty", r.Name)
		}
		for _, c := range []byte(r.Value) {
			if c < 0x20 || c > 0x7e {
				return fmt.Errorf("%s TXT value holds a character outside printable ASCII", r.Name)
			}
		}
	}
	return nil
}

// ExpandSenderRecord returns the record with the domain placeholders of its
// value replaced for the domain that publishes it: {domain} by the domain,
// {domain_dashed} by the domain with its dots turned into dashes.
func ExpandSenderRecord(r SenderRecord, domain string) SenderRecord {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	r.Value = strings.NewReplacer(
		PlaceholderDomain, domain,
		PlaceholderDomainDashed, strings.ReplaceAll(domain, ".", "-"),
	).Replace(r.Value)
	return r
}

// DKIMSelectors are the DKIM selectors the sender's records publish, sorted:
// the domain owns what is at <selector>._domainkey for each of them
// (DESIGN.md section 4).
func (s *Sender) DKIMSelectors() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.Records {
		sel, ok := strings.CutSuffix(r.Name, "._domainkey")
		if !ok || seen[sel] || (r.Type != "CNAME" && r.Type != "TXT") {
			continue
		}
		seen[sel] = true
		out = append(out, sel)
	}
	sort.Strings(out)
	return out
}

// exampleValues are the string forms of every parameter's example.
func (e *CatalogEntry) exampleValues() map[string]string {
	vals := map[string]string{}
	for _, p := range e.Parameters {
		if s, msg := p.normalize(p.Example); msg == "" {
			vals[p.Name] = s
		}
	}
	return vals
}

// Example is the sender a block with every parameter's example value
// decodes to, for `senders show` and the tests. Its records keep the
// domain placeholders; expand them with ExpandSenderRecord.
func (e *CatalogEntry) Example() (*Sender, error) {
	b, err := e.build(e.exampleValues())
	if err != nil {
		return nil, err
	}
	return &Sender{Type: e.ID, Name: "example", SPF: b.spf, MX: b.mx, Records: b.records}, nil
}

// ExampleHCL is a sender block for the configuration Example decodes. It
// gives every setting (a parameter with a default) whose example differs
// from the default, and the other parameters only where the example uses
// them: a parameter of an alternative the example does not take would
// only confuse the reader, and leaving it out changes no record.
func (e *CatalogEntry) ExampleHCL(name string) string {
	used := e.used(e.exampleValues())
	return e.hclBlock(name, func(p *CatalogParam) bool {
		if p.Default != nil {
			return !sameCatalogValue(p.Example, p.Default)
		}
		return used[p.Name]
	})
}

// used lists the parameters that matter for the values: the required ones
// and those the applying MX set, SPF, DKIM alternative and records refer to.
func (e *CatalogEntry) used(vals map[string]string) map[string]bool {
	used := map[string]bool{}
	refer := func(cs CatalogConditions, templates ...string) {
		for _, c := range cs {
			used[c.Param] = true
		}
		for _, t := range templates {
			for _, m := range catalogPlaceholderRE.FindAllStringSubmatch(t, -1) {
				used[m[1]] = true
			}
		}
	}
	for _, p := range e.Parameters {
		if p.Required || p.RequiredWhen != nil && p.RequiredWhen.holds(vals) {
			used[p.Name] = true
		}
	}
	if e.MX != nil {
		if e.MX.Param != "" {
			used[e.MX.Param] = true
		}
		for _, s := range e.MX.Sets {
			if e.MX.Param == "" || vals[e.MX.Param] == s.Name {
				for _, h := range s.Hosts {
					refer(nil, h.Host)
				}
			}
		}
	}
	if s := e.SPF; s != nil && s.When.holds(vals) {
		refer(s.When, append([]string{s.At}, s.Includes...)...)
	}
	if d := e.activeDKIM(vals); d != nil {
		refer(d.When)
		for _, s := range d.Selectors {
			refer(nil, s.Name, s.Target)
		}
		if d.Key != "" && vals[d.Key] != "" {
			refer(nil, "{"+d.Key+"}", d.Selector, d.Value)
		}
	}
	for _, r := range e.Records {
		if r.When.holds(vals) {
			refer(r.When, append([]string{r.Name}, r.Values...)...)
		}
	}
	return used
}

// MinimalHCL is a sender block giving only the parameters that are
// required with the defaults of the others.
func (e *CatalogEntry) MinimalHCL(name string) string {
	vals := map[string]string{}
	for _, p := range e.Parameters {
		if p.Default != nil {
			vals[p.Name], _ = p.normalize(p.Default)
		}
	}
	need := map[string]bool{}
	// Requiring one parameter can make another required; repeat until
	// nothing changes.
	for changed := true; changed; {
		changed = false
		for _, p := range e.Parameters {
			if need[p.Name] || !(p.Required || p.RequiredWhen != nil && p.RequiredWhen.holds(vals)) {
				continue
			}
			need[p.Name], changed = true, true
			vals[p.Name], _ = p.normalize(p.Example)
		}
	}
	return e.hclBlock(name, func(p *CatalogParam) bool { return need[p.Name] })
}

func sameCatalogValue(a, b any) bool {
	return b != nil && fmt.Sprint(a) == fmt.Sprint(b)
}

func (e *CatalogEntry) hclBlock(name string, include func(*CatalogParam) bool) string {
	f := hclwrite.NewEmptyFile()
	body := f.Body().AppendNewBlock("sender", []string{e.ID, name}).Body()
	for _, p := range e.Parameters {
		if include(p) {
			body.SetAttributeValue(p.Name, catalogCtyValue(p.Example))
		}
	}
	return string(hclwrite.Format(f.Bytes()))
}

func catalogCtyValue(v any) cty.Value {
	switch v := v.(type) {
	case string:
		return cty.StringVal(v)
	case bool:
		return cty.BoolVal(v)
	case json.Number:
		n, _ := v.Int64()
		return cty.NumberIntVal(n)
	}
	return cty.NilVal
}
