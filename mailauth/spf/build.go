package spf

import (
	"fmt"
	"strings"
)

// NewMechanism builds a mechanism from its parts, validating them exactly as
// Parse would. arg is what follows the mechanism name without the ":":
//
//	NewMechanism(Pass, Include, "_spf.google.com")
//	NewMechanism(Pass, IP4, "203.0.113.0/24")
//	NewMechanism(Pass, A, "")                      // a
//	NewMechanism(Pass, A, "mail.example.com/24")   // a:mail.example.com/24
//	NewMechanism(Pass, MX, "//64")                 // mx//64
//	NewMechanism(Fail, All, "")                    // -all
//
// For a and mx, an arg starting with "/" is a dual-cidr-length alone. A zero
// q means Pass. The qualifier is marked as written only when it is not Pass,
// so the result prints in its shortest form ("a", not "+a"); set
// QualifierExplicit to print "+". The result round-trips through String and
// Parse. Errors wrap ErrSyntax.
func NewMechanism(q Qualifier, kind Kind, arg string) (*Mechanism, error) {
	if q == 0 {
		q = Pass
	}
	kind = Kind(strings.ToLower(string(kind)))
	rest := ""
	switch {
	case arg == "":
	case (kind == A || kind == MX) && arg[0] == '/':
		rest = arg
	default:
		rest = ":" + arg
	}
	text := q.String() + string(kind) + rest
	if !q.valid() {
		return nil, fmt.Errorf("%w: term %q: invalid qualifier %q", ErrSyntax, text, rune(q))
	}
	if _, ok := kinds[string(kind)]; !ok {
		return nil, fmt.Errorf("%w: term %q: unknown mechanism %q", ErrSyntax, text, string(kind))
	}
	m, err := parseMechanism(kind, rest)
	if err != nil {
		return nil, fmt.Errorf("%w: term %q: %v", ErrSyntax, text, err)
	}
	m.Qualifier, m.QualifierExplicit = q, q != Pass
	return m, nil
}

// NewModifier builds a modifier, validating it exactly as Parse would: the
// name follows RFC 7208 section 12 (ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ))
// and is stored in lowercase; redirect and exp need a domain-spec, any other
// name a macro-string. Errors wrap ErrSyntax.
func NewModifier(name, value string) (*Modifier, error) {
	text := name + "=" + value
	if name == "" || nameLen(name) != len(name) {
		return nil, fmt.Errorf("%w: term %q: invalid modifier name %q", ErrSyntax, text, name)
	}
	m, err := parseModifier(strings.ToLower(name), value)
	if err != nil {
		return nil, fmt.Errorf("%w: term %q: %v", ErrSyntax, text, err)
	}
	return m, nil
}
