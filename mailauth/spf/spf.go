// Package spf models Sender Policy Framework records as defined by RFC 7208.
//
// It parses the text of an SPF TXT record into its terms (mechanisms and
// modifiers, RFC 7208 section 12), prints the canonical text back, counts the
// terms that cost DNS lookups and reports what a receiver would object to
// (Validate). Analyze follows a record's includes and redirects through DNS
// to count lookups and void lookups against the limits of RFC 7208 section
// 4.6.4 and explains the result as a tree; Flatten replaces includes with the
// addresses they resolve to, chaining records when they do not fit. The
// record compiler, the linter and the flattener all share this one model, so
// the checker never disagrees with the generator about what a record means.
// Every finding carries a stable code, listed in Codes.
//
// The package must never touch the network or read the clock: DNS comes in
// through the Resolver interface, implemented elsewhere. Nor may it evaluate
// a record against a connection (check_host) or expand macros: those need a
// message, and belong to the packages that have one.
package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Sentinel errors returned (wrapped, with the offending term) by [Parse],
// [ParseTerm], [NewMechanism] and [NewModifier]. Test them with errors.Is.
var (
	// ErrNotRecord means the text does not start with "v=spf1" followed by a
	// space or the end (RFC 7208 section 4.5). Such TXT records are not SPF
	// records at all and are simply skipped by receivers.
	ErrNotRecord = errors.New("spf: not an SPF record")

	// ErrSyntax means the text is an SPF record but a term breaks the grammar
	// of RFC 7208 section 12. Receivers return "permerror" for the whole
	// record (RFC 7208 section 4.6).
	ErrSyntax = errors.New("spf: syntax error")

	// ErrDuplicateModifier means "redirect" or "exp" appears more than once,
	// which RFC 7208 section 6 makes a permerror.
	ErrDuplicateModifier = errors.New("spf: duplicate modifier")
)

// Qualifier is the result a mechanism yields when it matches (RFC 7208
// section 4.6.2). Its value is the character written before the mechanism.
type Qualifier byte

// The four qualifiers of RFC 7208 section 4.6.2. A mechanism written without
// a qualifier behaves as Pass.
const (
	Pass     Qualifier = '+'
	Fail     Qualifier = '-'
	SoftFail Qualifier = '~'
	Neutral  Qualifier = '?'
)

// String returns the qualifier as it is written in a record, such as "-".
func (q Qualifier) String() string { return string(rune(q)) }

// valid reports whether q is one of the four qualifiers of RFC 7208 section 12.
func (q Qualifier) valid() bool {
	return q == Pass || q == Fail || q == SoftFail || q == Neutral
}

// Kind names a mechanism. Its value is the lowercase mechanism name.
type Kind string

// The mechanisms of RFC 7208 section 5. Mechanism names are case-insensitive
// (RFC 7208 section 4.6.1); these constants are the canonical lowercase form.
const (
	All     Kind = "all"     // RFC 7208 section 5.1
	Include Kind = "include" // RFC 7208 section 5.2
	A       Kind = "a"       // RFC 7208 section 5.3
	MX      Kind = "mx"      // RFC 7208 section 5.4
	PTR     Kind = "ptr"     // RFC 7208 section 5.5
	IP4     Kind = "ip4"     // RFC 7208 section 5.6
	IP6     Kind = "ip6"     // RFC 7208 section 5.6
	Exists  Kind = "exists"  // RFC 7208 section 5.7
)

// kinds maps a lowercase mechanism name to its Kind.
var kinds = map[string]Kind{
	"all": All, "include": Include, "a": A, "mx": MX,
	"ptr": PTR, "ip4": IP4, "ip6": IP6, "exists": Exists,
}

// Names of the two modifiers RFC 7208 section 6 defines.
const (
	redirectName = "redirect" // RFC 7208 section 6.1
	expName      = "exp"      // RFC 7208 section 6.2
)

// Term is one space-separated element of a record after the version: either
// a *Mechanism or a *Modifier (RFC 7208 section 4.6.1). Use a type switch to
// tell them apart; no other type implements Term.
type Term interface {
	// String returns the canonical text of the term.
	String() string
	// isTerm keeps the set of Term implementations closed to this package.
	isTerm()
}

// Mechanism is a directive: an optional qualifier and a mechanism
// (RFC 7208 section 4.6.2 and section 5).
//
// Build one with [NewMechanism] or [ParseTerm] rather than a composite
// literal: the zero value of Prefix4 and Prefix6 means "/0", not "absent".
type Mechanism struct {
	// Qualifier is the result when the mechanism matches. Parse sets Pass
	// when none was written; a zero Qualifier is printed and treated as Pass.
	Qualifier Qualifier
	// Kind is the mechanism name.
	Kind Kind
	// Domain is the domain-spec for include, exists, a, mx and ptr, exactly
	// as written (it may hold macros, and uppercase macro letters differ from
	// lowercase ones, RFC 7208 section 7.3). It is "" when absent, and always
	// "" for all, ip4 and ip6.
	Domain string
	// Prefix4 and Prefix6 are the dual-cidr-length of a and mx
	// (RFC 7208 section 5.3 and 5.4), -1 when not written. They are -1 for
	// every other kind.
	Prefix4, Prefix6 int
	// Net is the network of ip4 and ip6, with the address exactly as written
	// (host bits are kept, so that the text round-trips and Validate can warn
	// about them). When no CIDR length was written its Bits() is 32 or 128
	// (RFC 7208 section 5.6). It is the zero Prefix for other kinds.
	Net netip.Prefix
	// QualifierExplicit records whether the qualifier was written, so that
	// "+a" and "a" both round-trip. A qualifier other than Pass is always
	// printed.
	QualifierExplicit bool
	// CIDRExplicit records whether ip4 or ip6 carried a written "/len", so
	// that "ip4:192.0.2.1" and "ip4:192.0.2.1/32" both round-trip.
	CIDRExplicit bool
}

func (*Mechanism) isTerm() {}

// String returns the canonical text of the mechanism: the qualifier only when
// it was written or is not Pass, the lowercase name, the domain-spec as
// written, and IP addresses in their canonical form (RFC 5952 for IPv6).
func (m *Mechanism) String() string {
	var b strings.Builder
	q := m.Qualifier
	if q == 0 {
		q = Pass
	}
	if m.QualifierExplicit || q != Pass {
		b.WriteByte(byte(q))
	}
	b.WriteString(string(m.Kind))
	switch m.Kind {
	case IP4, IP6:
		b.WriteByte(':')
		b.WriteString(m.Net.Addr().String())
		if m.CIDRExplicit {
			fmt.Fprintf(&b, "/%d", m.Net.Bits())
		}
	default:
		if m.Domain != "" {
			b.WriteByte(':')
			b.WriteString(m.Domain)
		}
		if m.Kind == A || m.Kind == MX {
			if m.Prefix4 >= 0 {
				fmt.Fprintf(&b, "/%d", m.Prefix4)
			}
			if m.Prefix6 >= 0 {
				fmt.Fprintf(&b, "//%d", m.Prefix6)
			}
		}
	}
	return b.String()
}

// HasMacro reports whether the mechanism's domain-spec contains a macro
// expansion such as %{d} or %{i}, which can only be resolved while a message
// is being checked (RFC 7208 section 7). The escapes %%, %_ and %- expand to
// fixed text and do not count.
func (m *Mechanism) HasMacro() bool { return hasExpansion(m.Domain) }

// Modifier is a name=value term (RFC 7208 section 6 and section 12): the
// "redirect" and "exp" modifiers, whose value is a domain-spec, or an unknown
// modifier, whose value is a macro-string that receivers ignore.
type Modifier struct {
	// Name is the modifier name in lowercase, since modifier names are
	// case-insensitive (RFC 7208 section 4.6.1).
	Name string
	// Value is the text after "=", exactly as written.
	Value string
}

func (*Modifier) isTerm() {}

// String returns the canonical text of the modifier, "name=value".
func (m *Modifier) String() string { return m.Name + "=" + m.Value }

// HasMacro reports whether the value contains a macro expansion such as %{d};
// the escapes %%, %_ and %- do not count.
func (m *Modifier) HasMacro() bool { return hasExpansion(m.Value) }

// Record is a parsed SPF record: the terms that follow "v=spf1", in order.
type Record struct {
	// Terms are the mechanisms and modifiers in the order written; order
	// matters, since evaluation stops at the first matching mechanism
	// (RFC 7208 section 4.6.2).
	Terms []Term
}

// version is the record prefix of RFC 7208 section 4.5, compared
// case-insensitively.
const version = "v=spf1"

// String returns the canonical text of the record: "v=spf1" and each term's
// canonical text, separated by single spaces. Parse(r.String()) yields a
// record equal to r for every record Parse returned.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString(version)
	for _, t := range r.Terms {
		if t == nil {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(t.String())
	}
	return b.String()
}

// All returns the first "all" mechanism of the record, or nil. Only the first
// one matters: evaluation stops there (RFC 7208 section 5.1).
func (r *Record) All() *Mechanism {
	for _, t := range r.Terms {
		if m, ok := t.(*Mechanism); ok && m.Kind == All {
			return m
		}
	}
	return nil
}

// Redirect returns the domain-spec of the "redirect" modifier, or "" when
// there is none. It returns the value even when an "all" mechanism makes
// receivers ignore it (RFC 7208 section 6.1); check All for that.
func (r *Record) Redirect() string { return r.modifierValue(redirectName) }

// Exp returns the domain-spec of the "exp" modifier (RFC 7208 section 6.2),
// or "" when there is none.
func (r *Record) Exp() string { return r.modifierValue(expName) }

// modifierValue returns the value of the first modifier called name.
func (r *Record) modifierValue(name string) string {
	for _, t := range r.Terms {
		if m, ok := t.(*Modifier); ok && m.Name == name {
			return m.Value
		}
	}
	return ""
}

// HasMacros reports whether any mechanism, or the redirect or exp modifier,
// contains a macro expansion, so the record cannot be fully resolved ahead of
// time. Unknown modifiers are not considered: receivers ignore them
// (RFC 7208 section 6), so their macros are never expanded.
func (r *Record) HasMacros() bool {
	for _, t := range r.Terms {
		switch t := t.(type) {
		case *Mechanism:
			if t.HasMacro() {
				return true
			}
		case *Modifier:
			if (t.Name == redirectName || t.Name == expName) && t.HasMacro() {
				return true
			}
		}
	}
	return false
}

// LookupTerms returns the number of terms in this record alone that cause DNS
// queries when a receiver evaluates it. It does not follow include or
// redirect; the 10-lookup limit applies to the sum over the whole evaluation.
//
// RFC 7208 section 4.6.4: include, a, mx, ptr and exists mechanisms and the
// redirect modifier cause DNS queries; all, ip4, ip6 and exp do not. The
// qualifier does not matter: "-a" and "~include:x" count like "a" and
// "include:x".
//
// RFC 7208 section 6.1: a redirect modifier is ignored when the record has an
// "all" mechanism anywhere, so it causes no query and is not counted then.
// Likewise, mechanisms after the first "all" are never evaluated and MUST be
// ignored (RFC 7208 section 5.1), so they are not counted either; Validate
// reports them separately.
func (r *Record) LookupTerms() int {
	n := 0
	sawAll := false
	hasRedirect := false
	for _, t := range r.Terms {
		switch t := t.(type) {
		case *Mechanism:
			if sawAll {
				continue
			}
			switch t.Kind {
			case All:
				sawAll = true
			case Include, A, MX, PTR, Exists:
				n++
			}
		case *Modifier:
			if t.Name == redirectName {
				hasRedirect = true
			}
		}
	}
	if hasRedirect && !sawAll {
		n++
	}
	return n
}

// hasExpansion reports whether s contains a "%{...}" macro-expand. It skips
// the two-character escapes %%, %_ and %- so that "%%{" is not mistaken for
// an expansion.
func hasExpansion(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '{' {
			return true
		}
		i++
	}
	return false
}
