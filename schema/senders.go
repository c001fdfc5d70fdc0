package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// senderType is how one `sender "TYPE"` is decoded. The custom type is
// written in Go; catalog types (a service's known MX, SPF include and
// DKIM shape) are entries of embedded data (catalog.go), each decoded by
// the one generic function below.
type senderType struct {
	schema *hcl.BodySchema
	decode func(a *attrs, s *Sender)
}

var senderTypes = map[string]senderType{
	"custom": {
		schema: &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "ip4"}, {Name: "ip6"}, {Name: "include"}, {Name: "a"}, {Name: "mx"},
		}},
		decode: decodeCustomSender,
	},
}

// SenderTypes lists the sender types mailconf knows.
func SenderTypes() []string {
	var out []string
	for t := range senderTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (l *loader) decodeSender(s *Sender, body hcl.Body, ctx *hcl.EvalContext) hcl.Diagnostics {
	st, ok := senderTypes[s.Type]
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown sender type",
			Detail:   fmt.Sprintf("There is no sender type %q.%s Known types: %s.", s.Type, suggest(s.Type, SenderTypes()), strings.Join(SenderTypes(), ", ")),
			Subject:  s.TypeRange.Ptr(),
		}}
	}
	content, diags := body.Content(st.schema)
	for _, d := range diags {
		// HCL suggests a near name only; say which arguments there are.
		if d.Summary == "Unsupported argument" {
			var names []string
			for _, at := range st.schema.Attributes {
				names = append(names, at.Name)
			}
			takes := "no arguments"
			if len(names) > 0 {
				takes = strings.Join(names, ", ")
			}
			d.Detail = strings.TrimSuffix(d.Detail, ".") + fmt.Sprintf(". A %s sender takes %s.", s.Type, takes)
			if s.Type != "custom" {
				d.Detail += fmt.Sprintf(" mailconf senders show %s describes them.", s.Type)
			}
		}
	}
	a := &attrs{l: l, ctx: ctx, content: content}
	st.decode(a, s)
	return append(diags, a.diags...)
}

// decodeCustomSender reads a sender described by its SPF terms: a server
// of one's own or a service that mailconf has no catalog entry for.
func decodeCustomSender(a *attrs, s *Sender) {
	ip4, ip6, include, hosts, mx := a.strs("ip4"), a.strs("ip6"), a.strs("include"), a.strs("a"), a.strs("mx")
	a.checkSPFTerms(ip4, ip6, include, hosts, mx)
	if a.diags.HasErrors() {
		return
	}
	s.SPF = SPFTerms(ip4.Value, ip6.Value, include.Value, hosts.Value, mx.Value)
	if len(s.SPF) == 0 {
		a.errorf(s.DeclRange, "Sender authorizes nothing", "A custom sender needs at least one of ip4, ip6, include, a or mx, so that SPF can authorize it.")
	}
}

// SPFTerms turns the values of ip4, ip6, include, a and mx lists into SPF
// terms. "@" in a and mx means the domain itself.
//
// The terms come in a fixed order of kinds, ip4, ip6, a, mx, include, and
// each list in the order it is written. HCL attributes carry no order of
// their own (a body is a set of attributes), so the order between the
// lists is mailconf's: the address terms, which cost a receiver no DNS
// lookup (RFC 7208 section 4.6.4), come first, so that a client they
// match is decided before any lookup is spent; then a and mx, one lookup
// each; then include, which costs a lookup plus whatever the included
// record spends. Within a list the order is the user's, because the first
// matching term decides (RFC 7208 section 4.6.2).
func SPFTerms(ip4, ip6, include, a, mx []string) []string {
	var out []string
	for _, v := range ip4 {
		out = append(out, "ip4:"+v)
	}
	for _, v := range ip6 {
		out = append(out, "ip6:"+v)
	}
	for _, v := range a {
		out = append(out, hostTerm("a", v))
	}
	for _, v := range mx {
		out = append(out, hostTerm("mx", v))
	}
	for _, v := range include {
		out = append(out, "include:"+strings.ToLower(v))
	}
	return out
}

func hostTerm(mech, v string) string {
	host, cidr, hasCIDR := strings.Cut(v, "/")
	term := mech
	if host != "@" {
		term += ":" + strings.ToLower(host)
	}
	if hasCIDR {
		term += "/" + cidr
	}
	return term
}

// senderType makes the entry a sender type: its parameters are the body's
// attributes. None is marked required in the schema, so that a missing
// one is reported by decodeSender, which can say where the service
// shows the value.
func (e *CatalogEntry) senderType() senderType {
	bs := &hcl.BodySchema{}
	for _, p := range e.Parameters {
		bs.Attributes = append(bs.Attributes, hcl.AttributeSchema{Name: p.Name})
	}
	return senderType{schema: bs, decode: e.decodeSender}
}

// decodeSender reads and checks the parameters of a catalog sender block
// and fills in the records the service needs.
func (e *CatalogEntry) decodeSender(a *attrs, s *Sender) {
	vals := map[string]string{}
	ranges := map[string]hcl.Range{}
	for _, p := range e.Parameters {
		v, rng, ok := a.param(p)
		if !ok {
			continue
		}
		if msg := p.checkValue(v); msg != "" {
			a.errorf(rng, "Invalid sender parameter", "%s", e.invalidDetail(p, v, msg))
			continue
		}
		vals[p.Name], ranges[p.Name] = v, rng
	}
	if a.diags.HasErrors() {
		return
	}
	for _, p := range e.Parameters {
		if _, ok := vals[p.Name]; ok || p.Default == nil {
			continue
		}
		vals[p.Name], _ = p.normalize(p.Default)
	}
	for _, p := range e.Parameters {
		if _, ok := vals[p.Name]; ok {
			continue
		}
		switch {
		case p.Required:
			a.errorf(s.DeclRange, "Missing required argument", "A %s sender needs %s. %s%s Add it to the block, as in %s.", e.Name, p.Name, p.Doc, p.whereSentence(), p.exampleAttr())
		case p.RequiredWhen != nil && p.RequiredWhen.holds(vals):
			a.errorf(s.DeclRange, "Missing required argument", "A %s sender needs %s when %s. %s%s Add it to the block, as in %s.", e.Name, p.Name, p.RequiredWhen, p.Doc, p.whereSentence(), p.exampleAttr())
		}
	}
	if a.diags.HasErrors() {
		return
	}
	if d := e.activeDKIM(vals); d != nil && d.Shape == DKIMShapeTXT {
		if key, ok := vals[d.Key]; ok {
			if _, err := dkimRecordValue(key, d.Value, vals, d.Key); err != nil {
				p := e.Param(d.Key)
				a.errorf(ranges[d.Key], "Invalid DKIM public key", "%s does not make a DKIM key record (RFC 6376 section 3.6.1): %s. %s%s", d.Key, err, p.Doc, p.whereSentence())
				return
			}
		}
	}
	b, err := e.build(vals)
	if err != nil {
		// The parameters passed their checks but still make an invalid
		// record: the catalog entry's patterns are too loose.
		a.errorf(s.DeclRange, "Invalid sender parameter", "The parameters of this %s sender make an invalid record: %s. Check the values against what %s shows.", e.Name, err, e.Name)
		return
	}
	s.SPF, s.Records, s.Facts = b.spf, b.records, b.facts
	for _, m := range b.mx {
		m.Range = s.DeclRange
		s.MX = append(s.MX, m)
	}
}

// param reads one parameter in its string form.
func (a *attrs) param(p *CatalogParam) (string, hcl.Range, bool) {
	switch p.Type {
	case ParamTypeNumber:
		f := a.integer(p.Name)
		return strconv.Itoa(f.Value), f.Range, f.Set
	case ParamTypeBool:
		f := a.boolean(p.Name)
		return strconv.FormatBool(f.Value), f.Range, f.Set
	default:
		f := a.str(p.Name)
		return strings.TrimPrefix(strings.TrimSpace(f.Value), p.TrimPrefix), f.Range, f.Set
	}
}

func (e *CatalogEntry) invalidDetail(p *CatalogParam, v, msg string) string {
	var b strings.Builder
	switch {
	case v == "":
		fmt.Fprintf(&b, "%s is empty: give the value %s issues, or leave the argument out.", p.Name, e.Name)
	case len(p.Enum) > 0 && !contains(p.Enum, v):
		fmt.Fprintf(&b, "%s of a %s sender must be one of %s, not %q.%s", p.Name, e.Name, quoteCatalogValues(p.Enum), v, suggest(v, p.Enum))
	case p.re != nil && !p.re.MatchString(v):
		fmt.Fprintf(&b, "%q is not a %s %s: expected %s.", v, e.Name, p.Name, p.Shape)
	default:
		fmt.Fprintf(&b, "%s %q %s.", p.Name, v, msg)
	}
	fmt.Fprintf(&b, " %s%s", p.Doc, p.whereSentence())
	return b.String()
}

func (p *CatalogParam) whereSentence() string {
	if p.Where == "" {
		return ""
	}
	return " Find it in " + p.Where + "."
}

// exampleAttr is the parameter set to its example, as HCL.
func (p *CatalogParam) exampleAttr() string {
	return p.Name + " = " + strings.TrimSpace(string(hclwrite.TokensForValue(catalogCtyValue(p.Example)).Bytes()))
}
