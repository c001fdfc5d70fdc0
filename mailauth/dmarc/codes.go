package dmarc

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of Validate.
type CodeInfo struct {
	// Code is what the problems of the rule carry in their Code field.
	Code string
	// Severity is the severity of every problem with this code.
	Severity mailauth.Severity
	// Summary says in one short sentence what the rule finds.
	Summary string
	// RFC is where the rule lives, cited exactly as in the problems.
	RFC string
}

// Codes lists every code Validate can produce, grouped by tag in the order
// Validate checks them. A code names a rule, not a message: invalid p, sp and
// np values share dmarc-policy-invalid, and the URI rules apply alike to rua
// and ruf, the Tag of the problem telling which. Codes are stable: a rule that
// changes meaning gets a new code rather than reusing an old one.
var Codes = []CodeInfo{
	{"dmarc-policy-missing-no-rua", Error, "The record has neither a p tag nor a valid rua tag, so receivers apply no DMARC processing", rfcDiscovery},
	{"dmarc-policy-missing", Warning, "The record has no p tag, so RFC 9989 receivers treat it as p=none", rfcTags},
	{"dmarc-policy-invalid", Error, "A p, sp or np value is not none, quarantine or reject", rfcDiscovery},
	{"dmarc-policy-none", Warning, "The policy is p=none, which only monitors: failing mail is delivered as usual", rfcTags},
	{"dmarc-subdomain-policy-none", Warning, "An sp=none or np=none leaves subdomains unprotected under an enforcing p", rfcTags},
	{"dmarc-alignment-invalid", Error, "An adkim or aspf value is not r or s", rfcTags},
	{"dmarc-testing-mode", Warning, "The t=y testing mode makes receivers apply one level below the published policy", rfcTags},
	{"dmarc-testing-invalid", Error, "The t value is not y or n", rfcGrammar},
	{"dmarc-psd-public-suffix", Warning, "The psd=y tag declares the domain a public suffix domain", rfcTags},
	{"dmarc-psd-invalid", Error, "The psd value is not y, n or u", rfcGrammar},
	{"dmarc-uri-list-empty", Error, "A rua or ruf tag is present but lists no URI", rfcGrammar},
	{"dmarc-uri-invalid", Error, "A rua or ruf URI is not a well-formed absolute URI", rfcGrammar},
	{"dmarc-uri-unencoded-separator", Error, "A rua or ruf URI holds a comma or semicolon that is not percent-encoded", rfcGrammar},
	{"dmarc-uri-size-limit", Warning, "A rua or ruf URI carries an obsolete RFC 7489 size limit", rfcGrammar},
	{"dmarc-uri-not-mailto", Warning, "A rua or ruf URI is not a mailto: URI, so receivers may not use it", rfcTags},
	{"dmarc-uri-mailto-invalid", Error, "A rua or ruf mailto: URI does not name one valid address", rfcMailto},
	{"dmarc-fo-invalid", Error, "The fo value is not a colon-separated list of 0, 1, d and s", rfcGrammar},
	{"dmarc-fo-duplicate", Warning, "The fo tag lists an option more than once", rfcGrammar},
	{"dmarc-fo-conflict", Warning, "The fo tag lists both 0 and 1, which exclude each other", rfcGrammar},
	{"dmarc-fo-without-ruf", Warning, "The fo tag has no effect without a ruf tag", rfcTags},
	{"dmarc-legacy-pct", Warning, "The pct tag was removed by RFC 9989, but RFC 7489 receivers may still apply it", rfcRemoved},
	{"dmarc-legacy-pct-range", Error, "The pct value is outside 0 to 100", rfcLegacy},
	{"dmarc-legacy-rf", Warning, "The rf tag was removed by RFC 9989, whose receivers ignore it", rfcRemoved},
	{"dmarc-legacy-rf-invalid", Error, "The rf value is not a colon-separated list of report formats", rfcLegacy},
	{"dmarc-legacy-ri", Warning, "The ri tag was removed by RFC 9989, whose receivers ignore it", rfcRemoved},
	{"dmarc-legacy-ri-range", Error, "The ri value is not a 32-bit unsigned integer", rfcLegacy},
	{"dmarc-tag-name-invalid", Error, "A tag name is not made of letters only", rfcGrammar},
	{"dmarc-tag-reserved", Error, "A tag DMARC defines is set as an unknown tag instead of through its field", rfcTagList},
	{"dmarc-tag-duplicate", Error, "A tag appears more than once", rfcTagList},
	{"dmarc-tag-value-invalid", Error, "A tag value is empty or holds a semicolon or control character", rfcGrammar},
	{"dmarc-tag-unknown", Warning, "A tag is not a DMARC tag, so receivers ignore it", rfcTags},
}
