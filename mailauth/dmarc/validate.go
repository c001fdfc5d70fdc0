package dmarc

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
	// Problem is one finding of Validate. Its Tag is the tag concerned, or ""
	// for the record as a whole.
	Problem = mailauth.Problem
)

// Severities of a Problem, as in package mailauth.
const (
	// Warning marks a valid record that probably does not do what is wanted.
	Warning = mailauth.Warning
	// Error marks a record that receivers reject, misread or ignore in part
	// against the publisher's evident intent.
	Error = mailauth.Error
)

// Sections cited by Validate. The RFC 9989 and RFC 9990 section numbers were
// taken from the last drafts (draft-ietf-dmarc-dmarcbis-41 and
// draft-ietf-dmarc-aggregate-reporting), as the published text was not at
// hand; check them against the RFCs.
const (
	rfcTags      = "RFC 9989 section 4.7"
	rfcGrammar   = "RFC 9989 section 4.8"
	rfcDiscovery = "RFC 9989 section 4.10.1"
	rfcRemoved   = "RFC 9989 appendix C.5.2"
	rfcTagList   = "RFC 6376 section 3.2"
	rfcLegacy    = "RFC 7489 section 6.3"
	rfcMailto    = "RFC 6068 section 2"
)

// Validate checks r against RFC 9989 (and RFC 7489 for the legacy tags) and
// returns the problems found, errors and warnings mixed, in tag order. A nil
// result means the record is fine. Every problem carries one of the codes
// listed in Codes, with the severity and citation listed there. Validate is
// meant for records built by the compiler as much as for parsed ones, so it
// re-checks every value.
func (r *Record) Validate() []Problem {
	var ps []Problem
	add := func(sev Severity, code, tag, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}

	// p, and what receivers do without it.
	switch {
	case r.P == "" && !hasValidURI(r.RUA):
		add(Error, "dmarc-policy-missing-no-rua", tagP, rfcDiscovery,
			"the record has no p tag and no valid rua tag, so receivers apply no DMARC processing at all; add p=none, quarantine or reject")
	case r.P == "":
		add(Warning, "dmarc-policy-missing", tagP, rfcTags,
			"the record has no p tag: RFC 9989 receivers treat it as p=none, but RFC 7489 receivers require p right after v; publish p explicitly")
	case !r.P.Valid():
		// RFC 9989 section 4.10.1: an invalid p makes receivers fall back to
		// p=none (with a valid rua) or ignore the record, as for sp and np.
		add(Error, "dmarc-policy-invalid", tagP, rfcDiscovery, "p=%s is not a policy; use none, quarantine or reject", r.P)
	case r.P == None:
		add(Warning, "dmarc-policy-none", tagP, rfcTags,
			"p=none is monitoring only: mail failing DMARC is delivered as usual; move to quarantine or reject once reports show all legitimate mail passes")
	}
	for _, sub := range []struct {
		tag string
		p   Policy
		who string
	}{{tagSP, r.SP, "existing subdomains"}, {tagNP, r.NP, "non-existent subdomains"}} {
		switch {
		case sub.p == "":
		case !sub.p.Valid():
			// RFC 9989 section 4.10.1: an invalid sp or np makes receivers
			// fall back to p=none (with a valid rua) or ignore the record.
			add(Error, "dmarc-policy-invalid", sub.tag, rfcDiscovery, "%s=%s is not a policy; use none, quarantine or reject", sub.tag, sub.p)
		case sub.p == None && r.P.Strength() > 0:
			add(Warning, "dmarc-subdomain-policy-none", sub.tag, rfcTags, "%s=none leaves %s unprotected although p=%s", sub.tag, sub.who, r.P)
		}
	}

	for _, al := range []struct {
		tag string
		a   Alignment
	}{{tagADKIM, r.ADKIM}, {tagASPF, r.ASPF}} {
		if al.a != "" && !al.a.Valid() {
			add(Error, "dmarc-alignment-invalid", al.tag, rfcTags, "%s=%s is not an alignment mode; use r (relaxed) or s (strict)", al.tag, al.a)
		}
	}

	switch r.T {
	case "", "n":
	case "y":
		if r.P.Strength() > 0 || r.SP.Strength() > 0 || r.NP.Strength() > 0 {
			add(Warning, "dmarc-testing-mode", tagT, rfcTags,
				"t=y is testing mode: receivers apply one level below the published policy (reject as quarantine, quarantine as none)")
		}
	default:
		add(Error, "dmarc-testing-invalid", tagT, rfcGrammar, "t=%s is invalid; use y or n", r.T)
	}

	switch r.PSD {
	case "", "n", "u":
	case "y":
		add(Warning, "dmarc-psd-public-suffix", tagPSD, rfcTags,
			"psd=y declares the domain a public suffix domain; only public suffix operators publish it, and it changes which domain is the organizational domain")
	default:
		add(Error, "dmarc-psd-invalid", tagPSD, rfcGrammar, "psd=%s is invalid; use y, n or u", r.PSD)
	}

	ps = append(ps, validateURIs(tagRUA, r.RUA)...)
	ps = append(ps, validateURIs(tagRUF, r.RUF)...)

	if r.FO != "" {
		ps = append(ps, validateFO(r.FO, len(r.RUF) > 0)...)
	}

	// The legacy RFC 7489 tags.
	if r.PCT != nil {
		if *r.PCT < 0 || *r.PCT > 100 {
			add(Error, "dmarc-legacy-pct-range", tagPCT, rfcLegacy, "pct=%d is out of range; RFC 7489 allows 0 to 100", *r.PCT)
		}
		msg := "pct was removed by RFC 9989 and its receivers ignore it"
		if *r.PCT < 100 {
			msg += fmt.Sprintf("; RFC 7489 receivers still apply the policy to only %d%% of failing mail", *r.PCT)
		}
		add(Warning, "dmarc-legacy-pct", tagPCT, rfcRemoved, "%s; remove it", msg)
	}
	if r.RF != "" {
		if _, err := parseRF(r.RF); err != nil {
			add(Error, "dmarc-legacy-rf-invalid", tagRF, rfcLegacy, "rf=%s is invalid: %v", r.RF, err)
		}
		add(Warning, "dmarc-legacy-rf", tagRF, rfcRemoved, "rf was removed by RFC 9989 and its receivers ignore it; remove it")
	}
	if r.RI != nil {
		if *r.RI < 0 || uint64(*r.RI) > 1<<32-1 {
			add(Error, "dmarc-legacy-ri-range", tagRI, rfcLegacy, "ri=%d is out of range for a 32-bit unsigned integer", *r.RI)
		}
		add(Warning, "dmarc-legacy-ri", tagRI, rfcRemoved, "ri was removed by RFC 9989 and its receivers ignore it; remove it")
	}

	seen := map[string]bool{}
	for _, t := range r.Unknown {
		lname := strings.ToLower(t.Name)
		switch {
		case !isTagName(t.Name):
			add(Error, "dmarc-tag-name-invalid", t.Name, rfcGrammar, "%q is not a valid tag name; tag names are letters only", t.Name)
		case isKnownTag(t.Name):
			add(Error, "dmarc-tag-reserved", t.Name, rfcTagList, "tag %s is set as an unknown tag; use the field for it", lname)
		case seen[lname]:
			add(Error, "dmarc-tag-duplicate", t.Name, rfcTagList, "tag %s appears more than once", lname)
		case !isTagValue(t.Value):
			add(Error, "dmarc-tag-value-invalid", t.Name, rfcGrammar, "tag %s has an empty value or one with a semicolon or control character", t.Name)
		default:
			add(Warning, "dmarc-tag-unknown", t.Name, rfcTags, "tag %s is not a DMARC tag; receivers ignore it", t.Name)
		}
		seen[lname] = true
	}
	return ps
}

// hasValidURI reports whether at least one URI of a list is a syntactically
// valid reporting URI, the condition of RFC 9989 section 4.10.1 for treating a
// record without a valid p as p=none.
func hasValidURI(uris []string) bool {
	for _, u := range uris {
		if checkURISyntax(u) == nil {
			return true
		}
	}
	return false
}

// validateURIs checks the URIs of a rua or ruf tag.
func validateURIs(tag string, uris []string) []Problem {
	var ps []Problem
	add := func(sev Severity, code, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}
	if uris != nil && len(uris) == 0 {
		add(Error, "dmarc-uri-list-empty", rfcGrammar, "%s is present but lists no URI", tag)
	}
	for _, u := range uris {
		if err := checkURISyntax(u); err != nil {
			add(Error, "dmarc-uri-invalid", rfcGrammar, "%s: %v", tag, err)
			continue
		}
		if strings.Contains(u, ",") || strings.Contains(u, ";") {
			add(Error, "dmarc-uri-unencoded-separator", rfcGrammar, "%s URI %q must percent-encode commas and semicolons", tag, u)
			continue
		}
		base, size := splitSize(u)
		if size != "" {
			add(Warning, "dmarc-uri-size-limit", rfcGrammar,
				"%s URI %q carries an RFC 7489 size limit, which is obsolete: RFC 9989 reporters ignore it; remove %q",
				tag, u, "!"+size)
		}
		scheme, rest, _ := strings.Cut(base, ":")
		if !strings.EqualFold(scheme, "mailto") {
			// RFC 9989 section 4.7: any URI may be given, but receivers
			// need only support mailto: and ignore schemes they do not
			// support; RFC 9990 defines delivery by email only.
			add(Warning, "dmarc-uri-not-mailto", rfcTags,
				"%s URI %q is not a mailto: URI: receivers are only required to send reports by email and ignore schemes they do not support",
				tag, u)
			continue
		}
		if _, _, err := mailtoAddress(rest); err != nil {
			add(Error, "dmarc-uri-mailto-invalid", rfcMailto, "%s URI %q is not a valid mailto: address: %v", tag, u, err)
		}
	}
	return ps
}

// validateFO applies the RFC 9989 rules for fo.
func validateFO(fo string, hasRUF bool) []Problem {
	var ps []Problem
	add := func(sev Severity, code, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: tagFO, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}
	norm, err := parseFO(fo)
	if err != nil {
		add(Error, "dmarc-fo-invalid", rfcGrammar, "fo=%s is invalid: %v", fo, err)
		return ps
	}
	seen := map[string]bool{}
	for tok := range strings.SplitSeq(norm, ":") {
		if seen[tok] {
			add(Warning, "dmarc-fo-duplicate", rfcGrammar, "fo lists option %s more than once", tok)
		}
		seen[tok] = true
	}
	if seen["0"] && seen["1"] {
		add(Warning, "dmarc-fo-conflict", rfcGrammar, "fo options 0 and 1 are mutually exclusive; keep one")
	}
	if !hasRUF {
		add(Warning, "dmarc-fo-without-ruf", rfcTags, "fo has no effect without ruf: receivers ignore it")
	}
	return ps
}
