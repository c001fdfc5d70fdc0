package spf

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of this package; see mailauth.CodeInfo.
type CodeInfo = mailauth.CodeInfo

// The codes of the problems reported by Validate and Analyze. They are part
// of mailconf's interface: pipelines filter and suppress findings by code, so
// a code is never renamed or reused for another rule.
const (
	codeSyntax                  = "spf-syntax"
	codeNoRecord                = "spf-no-record"
	codeMultipleRecords         = "spf-multiple-records"
	codeTermsAfterAll           = "spf-terms-after-all"
	codePlusAll                 = "spf-plus-all"
	codeNeutralAll              = "spf-neutral-all"
	codeNoAll                   = "spf-no-all"
	codeRedirectIgnored         = "spf-redirect-ignored"
	codeRedirectNotLast         = "spf-redirect-not-last"
	codeExpNotLast              = "spf-exp-not-last"
	codeUnknownModifier         = "spf-unknown-modifier"
	codePTR                     = "spf-ptr"
	codeHostBits                = "spf-host-bits"
	codeNameTooLong             = "spf-name-too-long"
	codeEmptyLabel              = "spf-empty-label"
	codeTooManyLookups          = "spf-too-many-lookups"
	codeTooManyVoidLookups      = "spf-too-many-void-lookups"
	codeMXTooManyHosts          = "spf-mx-too-many-hosts"
	codeRecordTooLong           = "spf-record-too-long"
	codeIncludeLoop             = "spf-include-loop"
	codeIncludeNoRecord         = "spf-include-no-record"
	codeIncludeMultipleRecords  = "spf-include-multiple-records"
	codeIncludeSyntax           = "spf-include-syntax"
	codeRedirectNoRecord        = "spf-redirect-no-record"
	codeRedirectMultipleRecords = "spf-redirect-multiple-records"
	codeRedirectSyntax          = "spf-redirect-syntax"
	codeMacro                   = "spf-macro"
	codeMacroVoidLookups        = "spf-macro-void-lookups"
	codeLookupFailed            = "spf-lookup-failed"
	codeAnalysisTruncated       = "spf-analysis-truncated"
)

// Codes lists every code that Validate and Analyze report, sorted by code.
// Validate looks at one record; Analyze follows includes and redirects
// through DNS. A few codes come from both: Validate reports them for the
// record it is given, Analyze for every record it reaches.
var Codes = []CodeInfo{
	{Code: codeAnalysisTruncated, Severity: Warning, Summary: "Analyze stopped following includes on hostile or runaway data; the counts are lower bounds", RFC: "RFC 7208 section 4.6.4"},
	{Code: codeEmptyLabel, Severity: Warning, Summary: "A domain has an empty label and cannot be looked up", RFC: "RFC 1035 section 3.1"},
	{Code: codeExpNotLast, Severity: Warning, Summary: "The exp modifier comes before a mechanism instead of at the end", RFC: "RFC 7208 section 6"},
	{Code: codeHostBits, Severity: Warning, Summary: "An ip4 or ip6 network has host bits set, which receivers ignore", RFC: "RFC 7208 section 5.6"},
	{Code: codeIncludeLoop, Severity: Error, Summary: "An include or redirect names a domain that is already being evaluated, so the lookups never end", RFC: "RFC 7208 section 4.6.4"},
	{Code: codeIncludeMultipleRecords, Severity: Error, Summary: "An include target publishes more than one SPF record (permerror)", RFC: "RFC 7208 section 4.5"},
	{Code: codeIncludeNoRecord, Severity: Error, Summary: "An include target publishes no SPF record (permerror)", RFC: "RFC 7208 section 5.2"},
	{Code: codeIncludeSyntax, Severity: Error, Summary: "An include target's SPF record does not parse (permerror)", RFC: "RFC 7208 section 4.6"},
	{Code: codeLookupFailed, Severity: Warning, Summary: "A DNS lookup failed, so receivers may return temperror and the analysis is incomplete", RFC: "RFC 7208 section 4.4"},
	{Code: codeMacro, Severity: Warning, Summary: "A term holds a macro, which cannot be expanded ahead of time: it is counted, not followed", RFC: "RFC 7208 section 7"},
	{Code: codeMacroVoidLookups, Severity: Warning, Summary: "Exists terms with macros turn into void lookups for clients they do not list and can exceed the void-lookup limit", RFC: "RFC 7208 section 4.6.4"},
	{Code: codeMultipleRecords, Severity: Error, Summary: "The domain publishes more than one SPF record (permerror)", RFC: "RFC 7208 section 4.5"},
	{Code: codeMXTooManyHosts, Severity: Error, Summary: "An mx term's MX answer names more than 10 hosts (permerror)", RFC: "RFC 7208 section 4.6.4"},
	{Code: codeNameTooLong, Severity: Warning, Summary: "A domain or one of its labels is too long to be looked up", RFC: "RFC 1035 section 2.3.4"},
	{Code: codeNeutralAll, Severity: Warning, Summary: "The \"?all\" mechanism gives neutral, which receivers treat like having no SPF record", RFC: "RFC 7208 section 8.2"},
	{Code: codeNoAll, Severity: Warning, Summary: "The record has neither \"all\" nor redirect, so unmatched hosts get neutral", RFC: "RFC 7208 section 4.7"},
	{Code: codeNoRecord, Severity: Warning, Summary: "The domain publishes no SPF record, so receivers return none", RFC: "RFC 7208 section 4.5"},
	{Code: codePlusAll, Severity: Warning, Summary: "The \"+all\" mechanism authorizes every host on the Internet", RFC: "RFC 7208 section 5.1"},
	{Code: codePTR, Severity: Warning, Summary: "The ptr mechanism should not be used, and cannot be checked without the client's address", RFC: "RFC 7208 section 5.5"},
	{Code: codeRecordTooLong, Severity: Warning, Summary: "A record is longer than 450 octets, so the DNS answer may not fit a 512-octet UDP response", RFC: "RFC 7208 section 3.4"},
	{Code: codeRedirectIgnored, Severity: Warning, Summary: "The redirect modifier is ignored because the record has an \"all\" mechanism", RFC: "RFC 7208 section 6.1"},
	{Code: codeRedirectMultipleRecords, Severity: Error, Summary: "A redirect target publishes more than one SPF record (permerror)", RFC: "RFC 7208 section 4.5"},
	{Code: codeRedirectNoRecord, Severity: Error, Summary: "A redirect target publishes no SPF record (permerror)", RFC: "RFC 7208 section 6.1"},
	{Code: codeRedirectNotLast, Severity: Warning, Summary: "The redirect modifier is not the last term", RFC: "RFC 7208 section 6.1"},
	{Code: codeRedirectSyntax, Severity: Error, Summary: "A redirect target's SPF record does not parse (permerror)", RFC: "RFC 7208 section 4.6"},
	{Code: codeSyntax, Severity: Error, Summary: "The record does not parse (permerror)", RFC: "RFC 7208 section 4.6"},
	{Code: codeTermsAfterAll, Severity: Warning, Summary: "A mechanism after \"all\" is never evaluated", RFC: "RFC 7208 section 5.1"},
	{Code: codeTooManyLookups, Severity: Error, Summary: "The evaluation needs more than 10 DNS-querying terms (permerror)", RFC: "RFC 7208 section 4.6.4"},
	{Code: codeTooManyVoidLookups, Severity: Error, Summary: "More than 2 DNS-querying terms get an empty answer or NXDOMAIN (permerror)", RFC: "RFC 7208 section 4.6.4"},
	{Code: codeUnknownModifier, Severity: Warning, Summary: "An unknown modifier is ignored by receivers, which hides misspellings", RFC: "RFC 7208 section 6"},
}
