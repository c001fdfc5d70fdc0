package dmarc

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of this package; see mailauth.CodeInfo.
type CodeInfo = mailauth.CodeInfo

// Codes lists every code Validate can produce, sorted by code, which groups
// most of them by tag. A code names a rule, not a message: invalid p, sp and
// np values share dmarc-policy-invalid, and the URI rules apply alike to rua
// and ruf, the Tag of the problem telling which. Codes are stable: a rule that
// changes meaning gets a new code rather than reusing an old one.
var Codes = []CodeInfo{
	{Code: "dmarc-alignment-invalid", Severity: Error, Summary: "An adkim or aspf value is not r or s", RFC: rfcTags},
	{Code: "dmarc-fo-conflict", Severity: Warning, Summary: "The fo tag lists both 0 and 1, which exclude each other", RFC: rfcGrammar},
	{Code: "dmarc-fo-duplicate", Severity: Warning, Summary: "The fo tag lists an option more than once", RFC: rfcGrammar},
	{Code: "dmarc-fo-invalid", Severity: Error, Summary: "The fo value is not a colon-separated list of 0, 1, d and s", RFC: rfcGrammar},
	{Code: "dmarc-fo-without-ruf", Severity: Warning, Summary: "The fo tag has no effect without a ruf tag", RFC: rfcTags},
	{Code: "dmarc-legacy-pct", Severity: Warning, Summary: "The pct tag was removed by RFC 9989, but RFC 7489 receivers may still apply it", RFC: rfcRemoved},
	{Code: "dmarc-legacy-pct-range", Severity: Error, Summary: "The pct value is outside 0 to 100", RFC: rfcLegacy},
	{Code: "dmarc-legacy-rf", Severity: Warning, Summary: "The rf tag was removed by RFC 9989, whose receivers ignore it", RFC: rfcRemoved},
	{Code: "dmarc-legacy-rf-invalid", Severity: Error, Summary: "The rf value is not a colon-separated list of report formats", RFC: rfcLegacy},
	{Code: "dmarc-legacy-ri", Severity: Warning, Summary: "The ri tag was removed by RFC 9989, whose receivers ignore it", RFC: rfcRemoved},
	{Code: "dmarc-legacy-ri-range", Severity: Error, Summary: "The ri value is not a 32-bit unsigned integer", RFC: rfcLegacy},
	{Code: "dmarc-policy-invalid", Severity: Error, Summary: "A p, sp or np value is not none, quarantine or reject", RFC: rfcDiscovery},
	{Code: "dmarc-policy-missing", Severity: Warning, Summary: "The record has no p tag, so RFC 9989 receivers treat it as p=none", RFC: rfcTags},
	{Code: "dmarc-policy-missing-no-rua", Severity: Error, Summary: "The record has neither a p tag nor a valid rua tag, so receivers apply no DMARC processing", RFC: rfcDiscovery},
	{Code: "dmarc-policy-none", Severity: Warning, Summary: "The policy is p=none, which only monitors: failing mail is delivered as usual", RFC: rfcTags},
	{Code: "dmarc-psd-invalid", Severity: Error, Summary: "The psd value is not y, n or u", RFC: rfcGrammar},
	{Code: "dmarc-psd-public-suffix", Severity: Warning, Summary: "The psd=y tag declares the domain a public suffix domain", RFC: rfcTags},
	{Code: "dmarc-subdomain-policy-none", Severity: Warning, Summary: "An sp=none or np=none leaves subdomains unprotected under an enforcing p", RFC: rfcTags},
	{Code: "dmarc-tag-duplicate", Severity: Error, Summary: "A tag appears more than once", RFC: rfcTagList},
	{Code: "dmarc-tag-name-invalid", Severity: Error, Summary: "A tag name is not made of letters only", RFC: rfcGrammar},
	{Code: "dmarc-tag-reserved", Severity: Error, Summary: "A tag DMARC defines is set as an unknown tag instead of through its field", RFC: rfcTagList},
	{Code: "dmarc-tag-unknown", Severity: Warning, Summary: "A tag is not a DMARC tag, so receivers ignore it", RFC: rfcTags},
	{Code: "dmarc-tag-value-invalid", Severity: Error, Summary: "A tag value is empty or holds a semicolon or control character", RFC: rfcGrammar},
	{Code: "dmarc-testing-invalid", Severity: Error, Summary: "The t value is not y or n", RFC: rfcGrammar},
	{Code: "dmarc-testing-mode", Severity: Warning, Summary: "The t=y testing mode makes receivers apply one level below the published policy", RFC: rfcTags},
	{Code: "dmarc-uri-invalid", Severity: Error, Summary: "A rua or ruf URI is not a well-formed absolute URI", RFC: rfcGrammar},
	{Code: "dmarc-uri-list-empty", Severity: Error, Summary: "A rua or ruf tag is present but lists no URI", RFC: rfcGrammar},
	{Code: "dmarc-uri-mailto-invalid", Severity: Error, Summary: "A rua or ruf mailto: URI does not name one valid address", RFC: rfcMailto},
	{Code: "dmarc-uri-not-mailto", Severity: Warning, Summary: "A rua or ruf URI is not a mailto: URI, so receivers may not use it", RFC: rfcTags},
	{Code: "dmarc-uri-size-limit", Severity: Warning, Summary: "A rua or ruf URI carries an obsolete RFC 7489 size limit", RFC: rfcGrammar},
	{Code: "dmarc-uri-unencoded-separator", Severity: Error, Summary: "A rua or ruf URI holds a comma or semicolon that is not percent-encoded", RFC: rfcGrammar},
}
