package spf

import (
	"fmt"
	"strings"

	"github.com/mailconf/mailconf/mailauth"
)

// Severity and Problem are the types of package mailauth, which every
// record type's Validate shares so that the linter can gather all findings
// in one list. The aliases keep this package's names working.
type (
	// Severity says how bad a Problem is.
	Severity = mailauth.Severity
	// Problem is one finding of Validate. Its Tag is the canonical text of the
	// term concerned (such as "include:_spf.example.com"), or "" when the
	// problem is about the record as a whole.
	Problem = mailauth.Problem
)

// Severities of a Problem, as in package mailauth.
const (
	// Warning marks a record that works but likely not as intended.
	Warning = mailauth.Warning
	// Error marks a record receivers reject (permerror) or cannot use.
	Error = mailauth.Error
)

// Limits taken from the standards.
const (
	// RFC 7208 section 4.6.4: at most 10 DNS-querying terms per evaluation.
	maxLookupTerms = 10
	// RFC 7208 section 3.4: keeping the record under 450 octets lets the
	// whole DNS answer fit a 512-octet UDP response.
	maxRecordOctets = 450
	// RFC 1035 section 2.3.4: labels are at most 63 octets and names at most
	// 255 octets on the wire, which is 253 characters in text form.
	maxLabelOctets = 63
	maxNameOctets  = 253
)

// Validate checks the record against the rules of RFC 7208 that a parsed
// record can still break, and against its advice. It looks at this record
// alone: includes and redirects are not followed, so the lookup limit is
// checked only for the terms written here.
//
// Problems come in a stable order: a syntax error of a hand-built record
// first, then one entry per term in record order, then problems of the
// record as a whole. Every problem carries a stable Code listed in [Codes].
// To follow includes and redirects through DNS, use [Analyze].
func (r *Record) Validate() []Problem {
	var ps []Problem
	var add adder = func(sev Severity, code string, term Term, rfc, format string, args ...any) {
		p := Problem{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...), RFC: rfc}
		if term != nil {
			p.Tag = term.String()
		}
		ps = append(ps, p)
	}

	text := r.String()
	// A record assembled in code may break the grammar Parse enforces.
	// RFC 7208 section 4.6: any syntax error makes the whole record a
	// permerror.
	if _, err := Parse(text); err != nil {
		add(Error, codeSyntax, nil, "RFC 7208 section 4.6", "the record does not parse, so receivers return permerror: %v", err)
	}

	all := r.All()
	sawAll := false
	for i, t := range r.Terms {
		switch t := t.(type) {
		case *Mechanism:
			if sawAll {
				// RFC 7208 section 5.1: mechanisms after "all" will never be
				// tested and MUST be ignored.
				add(Warning, codeTermsAfterAll, t, "RFC 7208 section 5.1",
					"this mechanism comes after \"all\" and is never evaluated; move it before \"all\" or remove it")
			}
			if t == all {
				sawAll = true
				switch all.Qualifier {
				case Pass, 0:
					// RFC 7208 section 5.1: "all" always matches, so its
					// qualifier is the result for every host not matched
					// before; with "+" that result is pass.
					add(Warning, codePlusAll, t, "RFC 7208 section 5.1",
						"\"+all\" authorizes every host on the Internet to send as this domain; use \"-all\" or \"~all\"")
				case Neutral:
					// RFC 7208 section 8.2: neutral MUST be treated like
					// "none", so the record protects nothing.
					add(Warning, codeNeutralAll, t, "RFC 7208 section 8.2",
						"\"?all\" gives a neutral result, which receivers treat like having no SPF record; use \"-all\" or \"~all\"")
				}
			}
			validateMechanism(t, add)
		case *Modifier:
			switch t.Name {
			case redirectName:
				if all != nil {
					// RFC 7208 section 6.1: redirect MUST be ignored when the
					// record has an "all" mechanism, wherever it stands.
					add(Warning, codeRedirectIgnored, t, "RFC 7208 section 6.1",
						"redirect is ignored because the record has an \"all\" mechanism; remove one of them")
				} else if i != len(r.Terms)-1 {
					// RFC 7208 section 6.1: redirect SHOULD be the very last
					// term, for clarity.
					add(Warning, codeRedirectNotLast, t, "RFC 7208 section 6.1",
						"redirect should be the last term of the record")
				}
				validateDomain(t, t.Value, add)
			case expName:
				// RFC 7208 section 6: redirect and exp SHOULD appear at the
				// end, after all mechanisms.
				if mechanismAfter(r.Terms[i+1:]) {
					add(Warning, codeExpNotLast, t, "RFC 7208 section 6", "exp should come after all mechanisms")
				}
				validateDomain(t, t.Value, add)
			default:
				// RFC 7208 section 6: unrecognized modifiers MUST be ignored,
				// so a misspelled "redirect" silently does nothing.
				add(Warning, codeUnknownModifier, t, "RFC 7208 section 6",
					"unknown modifier %q is ignored by receivers; check its spelling", t.Name)
			}
		}
	}

	if n := r.LookupTerms(); n > maxLookupTerms {
		add(Error, codeTooManyLookups, nil, "RFC 7208 section 4.6.4",
			"the record alone has %d DNS-querying terms (include, a, mx, ptr, exists, redirect) and the limit for the whole evaluation is %d, so receivers return permerror; replace some with ip4/ip6 or flatten includes",
			n, maxLookupTerms)
	}
	if len(text) > maxRecordOctets {
		add(Warning, codeRecordTooLong, nil, "RFC 7208 section 3.4",
			"the record is %d octets long; above %d octets the DNS answer may not fit a 512-octet UDP response, so shorten it",
			len(text), maxRecordOctets)
	}
	if all == nil && r.Redirect() == "" {
		// RFC 7208 section 4.7: when no mechanism matches and there is no
		// redirect, the result is neutral.
		add(Warning, codeNoAll, nil, "RFC 7208 section 4.7",
			"the record has neither \"all\" nor redirect, so hosts that match nothing get neutral; end it with \"-all\" or \"~all\"")
	}
	return ps
}

// adder records one problem; see Validate.
type adder func(sev Severity, code string, term Term, rfc, format string, args ...any)

// validateMechanism adds the problems of a single mechanism.
func validateMechanism(m *Mechanism, add adder) {
	switch m.Kind {
	case PTR:
		// RFC 7208 section 5.5: ptr is slow, unreliable and SHOULD NOT be
		// used; some receivers skip it.
		add(Warning, codePTR, m, "RFC 7208 section 5.5",
			"ptr should not be used: it is slow and unreliable; list the addresses with ip4/ip6 or a instead")
	case IP4, IP6:
		// RFC 7208 section 5.6: only the first CIDR-length bits are
		// compared, so host bits are ignored and probably a mistake.
		if m.Net.IsValid() && m.Net != m.Net.Masked() {
			add(Warning, codeHostBits, m, "RFC 7208 section 5.6",
				"%s has host bits set and means %s; write the network address", m.Net, m.Net.Masked())
		}
	}
	if m.Domain != "" {
		validateDomain(m, m.Domain, add)
	}
}

// validateDomain checks a domain-spec without macros against the size rules
// of DNS names. Parse accepts any macro-string that ends in a top-level
// label, which still allows names no DNS query can carry.
func validateDomain(t Term, d string, add adder) {
	if strings.Contains(d, "%") {
		// Macros and escapes change the name; after expansion the receiver
		// even shortens it (RFC 7208 section 7.3), so it cannot be judged
		// here.
		return
	}
	name := strings.TrimSuffix(d, ".")
	if len(name) > maxNameOctets {
		add(Warning, codeNameTooLong, t, "RFC 1035 section 2.3.4",
			"domain %q is longer than %d characters and cannot be looked up", d, maxNameOctets)
		return
	}
	for label := range strings.SplitSeq(name, ".") {
		switch {
		case label == "":
			add(Warning, codeEmptyLabel, t, "RFC 1035 section 3.1",
				"domain %q has an empty label and cannot be looked up", d)
			return
		case len(label) > maxLabelOctets:
			add(Warning, codeNameTooLong, t, "RFC 1035 section 2.3.4",
				"domain %q has a label longer than %d octets and cannot be looked up", d, maxLabelOctets)
			return
		}
	}
}

// mechanismAfter reports whether terms holds a mechanism.
func mechanismAfter(terms []Term) bool {
	for _, t := range terms {
		if _, ok := t.(*Mechanism); ok {
			return true
		}
	}
	return false
}
