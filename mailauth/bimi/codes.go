package bimi

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

// Codes lists every code Validate can produce, in the order Validate checks
// them. A code names a rule, not a message. The l= and a= URIs obey the same
// rules of draft section 4.3 but have codes of their own, since a broken logo
// and a broken evidence document call for different fixes.
var Codes = []CodeInfo{
	{"bimi-logo-url-invalid", Error, "The l= value is not a valid URL", draftRecord},
	{"bimi-logo-not-https", Error, "The l= URL is not an https URL", draftRecord},
	{"bimi-logo-host-not-fqdn", Error, "The l= URL's host is not a fully qualified domain name", draftRecord},
	{"bimi-logo-not-svg", Error, "The l= URL names a raster image instead of an SVG indicator", draftFormats},
	{"bimi-authority-url-invalid", Error, "The a= value is not a valid URL", draftRecord},
	{"bimi-authority-not-https", Error, "The a= URL is not an https URL", draftRecord},
	{"bimi-authority-host-not-fqdn", Error, "The a= URL's host is not a fully qualified domain name", draftRecord},
	{"bimi-authority-without-logo", Warning, "The a= tag names an evidence document, but the empty l= declines to publish an indicator", draftRecord},
	{"bimi-tag-name-invalid", Error, "A tag name is not a letter followed by letters, digits and underscores", draftTagList},
	{"bimi-tag-reserved", Error, "A tag BIMI defines is set as an unknown tag instead of through its field", draftTagList},
	{"bimi-tag-duplicate", Error, "A tag appears more than once", draftTagList},
	{"bimi-tag-value-invalid", Error, "A tag value holds a semicolon or control character", draftTagList},
	{"bimi-lps-invalid", Error, "The lps= value is not true or false", draftRecord},
	{"bimi-avp-unknown", Warning, "The avp= value is not personal or brand, so receivers ignore it", draftRecord},
	{"bimi-tag-unknown", Warning, "A tag is not a BIMI tag, so receivers ignore it", draftRecord},
}
