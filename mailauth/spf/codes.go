package spf

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one stable Problem code of this package: the code, the
// severity it is reported with, a one-line summary and the standard the rule
// comes from. A Problem may cite a more precise section than RFC does (an
// include and a redirect break the same rule in different sections).
type CodeInfo struct {
	Code     string
	Severity mailauth.Severity
	Summary  string
	RFC      string
}

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
	{codeAnalysisTruncated, Warning, "Analyze stopped following includes on hostile or runaway data; the counts are lower bounds", "RFC 7208 section 4.6.4"},
	{codeEmptyLabel, Warning, "a domain has an empty label and cannot be looked up", "RFC 1035 section 3.1"},
	{codeExpNotLast, Warning, "exp comes before a mechanism instead of at the end", "RFC 7208 section 6"},
	{codeHostBits, Warning, "an ip4 or ip6 network has host bits set, which receivers ignore", "RFC 7208 section 5.6"},
	{codeIncludeLoop, Error, "an include or redirect names a domain that is already being evaluated, so the lookups never end", "RFC 7208 section 4.6.4"},
	{codeIncludeMultipleRecords, Error, "an include target publishes more than one SPF record (permerror)", "RFC 7208 section 4.5"},
	{codeIncludeNoRecord, Error, "an include target publishes no SPF record (permerror)", "RFC 7208 section 5.2"},
	{codeIncludeSyntax, Error, "an include target's SPF record does not parse (permerror)", "RFC 7208 section 4.6"},
	{codeLookupFailed, Warning, "a DNS lookup failed, so receivers may return temperror and the analysis is incomplete", "RFC 7208 section 4.4"},
	{codeMacro, Warning, "a term holds a macro, which cannot be expanded ahead of time: it is counted, not followed", "RFC 7208 section 7"},
	{codeMacroVoidLookups, Warning, "exists terms with macros turn into void lookups for clients they do not list and can exceed the void-lookup limit", "RFC 7208 section 4.6.4"},
	{codeMultipleRecords, Error, "the domain publishes more than one SPF record (permerror)", "RFC 7208 section 4.5"},
	{codeMXTooManyHosts, Error, "an mx term's MX answer names more than 10 hosts (permerror)", "RFC 7208 section 4.6.4"},
	{codeNameTooLong, Warning, "a domain or one of its labels is too long to be looked up", "RFC 1035 section 2.3.4"},
	{codeNeutralAll, Warning, "\"?all\" gives neutral, which receivers treat like having no SPF record", "RFC 7208 section 8.2"},
	{codeNoAll, Warning, "the record has neither \"all\" nor redirect, so unmatched hosts get neutral", "RFC 7208 section 4.7"},
	{codeNoRecord, Warning, "the domain publishes no SPF record, so receivers return none", "RFC 7208 section 4.5"},
	{codePlusAll, Warning, "\"+all\" authorizes every host on the Internet", "RFC 7208 section 5.1"},
	{codePTR, Warning, "ptr should not be used, and cannot be checked without the client's address", "RFC 7208 section 5.5"},
	{codeRecordTooLong, Warning, "a record is longer than 450 octets, so the DNS answer may not fit a 512-octet UDP response", "RFC 7208 section 3.4"},
	{codeRedirectIgnored, Warning, "redirect is ignored because the record has an \"all\" mechanism", "RFC 7208 section 6.1"},
	{codeRedirectMultipleRecords, Error, "a redirect target publishes more than one SPF record (permerror)", "RFC 7208 section 4.5"},
	{codeRedirectNoRecord, Error, "a redirect target publishes no SPF record (permerror)", "RFC 7208 section 6.1"},
	{codeRedirectNotLast, Warning, "redirect is not the last term", "RFC 7208 section 6.1"},
	{codeRedirectSyntax, Error, "a redirect target's SPF record does not parse (permerror)", "RFC 7208 section 4.6"},
	{codeSyntax, Error, "the record does not parse (permerror)", "RFC 7208 section 4.6"},
	{codeTermsAfterAll, Warning, "a mechanism after \"all\" is never evaluated", "RFC 7208 section 5.1"},
	{codeTooManyLookups, Error, "the evaluation needs more than 10 DNS-querying terms (permerror)", "RFC 7208 section 4.6.4"},
	{codeTooManyVoidLookups, Error, "more than 2 DNS-querying terms get an empty answer or NXDOMAIN (permerror)", "RFC 7208 section 4.6.4"},
	{codeUnknownModifier, Warning, "an unknown modifier is ignored by receivers, which hides misspellings", "RFC 7208 section 6"},
}
