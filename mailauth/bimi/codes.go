package bimi

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of this package; see mailauth.CodeInfo.
type CodeInfo = mailauth.CodeInfo

// Codes lists every code Validate can produce, sorted by code. A code names a
// rule, not a message. The l= and a= URIs obey the same rules of draft section
// 4.3 but have codes of their own, since a broken logo and a broken evidence
// document call for different fixes.
var Codes = []CodeInfo{
	{Code: "bimi-authority-host-not-fqdn", Severity: Error, Summary: "The a= URL's host is not a fully qualified domain name", RFC: draftRecord},
	{Code: "bimi-authority-not-https", Severity: Error, Summary: "The a= URL is not an https URL", RFC: draftRecord},
	{Code: "bimi-authority-url-invalid", Severity: Error, Summary: "The a= value is not a valid URL", RFC: draftRecord},
	{Code: "bimi-authority-without-logo", Severity: Warning, Summary: "The a= tag names an evidence document, but the empty l= declines to publish an indicator", RFC: draftRecord},
	{Code: "bimi-avp-unknown", Severity: Warning, Summary: "The avp= value is not personal or brand, so receivers ignore it", RFC: draftRecord},
	{Code: "bimi-logo-host-not-fqdn", Severity: Error, Summary: "The l= URL's host is not a fully qualified domain name", RFC: draftRecord},
	{Code: "bimi-logo-not-https", Severity: Error, Summary: "The l= URL is not an https URL", RFC: draftRecord},
	{Code: "bimi-logo-not-svg", Severity: Error, Summary: "The l= URL names a raster image instead of an SVG indicator", RFC: draftFormats},
	{Code: "bimi-logo-url-invalid", Severity: Error, Summary: "The l= value is not a valid URL", RFC: draftRecord},
	{Code: "bimi-lps-invalid", Severity: Error, Summary: "The lps= value is not true or false", RFC: draftRecord},
	{Code: "bimi-tag-duplicate", Severity: Error, Summary: "A tag appears more than once", RFC: draftTagList},
	{Code: "bimi-tag-name-invalid", Severity: Error, Summary: "A tag name is not a letter followed by letters, digits and underscores", RFC: draftTagList},
	{Code: "bimi-tag-reserved", Severity: Error, Summary: "A tag BIMI defines is set as an unknown tag instead of through its field", RFC: draftTagList},
	{Code: "bimi-tag-unknown", Severity: Warning, Summary: "A tag is not a BIMI tag, so receivers ignore it", RFC: draftRecord},
	{Code: "bimi-tag-value-invalid", Severity: Error, Summary: "A tag value holds a semicolon or control character", RFC: draftTagList},
}
