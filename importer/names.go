package importer

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const (
	hclTokenOBrack = hclsyntax.TokenOBrack
	hclTokenCBrack = hclsyntax.TokenCBrack
	hclTokenComma  = hclsyntax.TokenComma
)

// namer hands out block names that are not taken yet.
type namer struct {
	taken map[string]bool
}

func newNamer(taken map[string]bool) *namer {
	n := &namer{taken: map[string]bool{}}
	for k := range taken {
		n.taken[k] = true
	}
	return n
}

// take returns base, or base_2, base_3, ..., the first whose address
// (prefix + name) is free, and marks it taken.
func (n *namer) take(prefix, base string) string {
	name := base
	for i := 2; n.taken[prefix+name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	n.taken[prefix+name] = true
	return name
}

// slug makes a domain name a block label that references can name:
// letters, digits and underscores, not starting with a digit.
func slug(domain string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(domain) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "d_" + s
	}
	return s
}

// traversal is an address such as "sender.custom.relay" as HCL.
func traversal(addr string) hcl.Traversal {
	parts := strings.Split(addr, ".")
	t := hcl.Traversal{hcl.TraverseRoot{Name: parts[0]}}
	for _, p := range parts[1:] {
		t = append(t, hcl.TraverseAttr{Name: p})
	}
	return t
}
