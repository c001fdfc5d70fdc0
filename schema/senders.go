package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// senderType is how one `sender "TYPE"` is decoded. The custom type is
// written in Go; catalog types (a service's known MX, SPF include and
// DKIM shape) will be entries built from embedded data, decoded through
// the same two fields, so adding them changes nothing here.
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
