package tlsrpt

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of this package; see mailauth.CodeInfo.
type CodeInfo = mailauth.CodeInfo

// Codes lists every code Validate can produce, sorted by code. A code names a
// rule, not a message: a URI that does not parse is tlsrpt-rua-invalid
// whichever check finds it.
var Codes = []CodeInfo{
	{Code: "tlsrpt-field-duplicate", Severity: Error, Summary: "A field appears more than once", RFC: rfcRecord},
	{Code: "tlsrpt-field-name-invalid", Severity: Error, Summary: "A field name is not a valid extension name", RFC: rfcRecord},
	{Code: "tlsrpt-field-unknown", Severity: Warning, Summary: "A field is not defined by RFC 8460, so senders ignore it", RFC: rfcRecord},
	{Code: "tlsrpt-field-value-invalid", Severity: Error, Summary: "A field value is empty or holds a space, '=' or ';'", RFC: rfcRecord},
	{Code: "tlsrpt-rua-duplicate", Severity: Warning, Summary: "A rua URI is listed more than once", RFC: rfcRecord},
	{Code: "tlsrpt-rua-host-not-fqdn", Severity: Error, Summary: "A rua https: URI's host is not a fully qualified domain name", RFC: rfcRecord},
	{Code: "tlsrpt-rua-invalid", Severity: Error, Summary: "A rua URI is malformed: no scheme, whitespace, or an unencoded ',', ';' or '!'", RFC: rfcRecord},
	{Code: "tlsrpt-rua-mailto-invalid", Severity: Error, Summary: "A rua mailto: URI does not name one valid address", RFC: rfcMailto},
	{Code: "tlsrpt-rua-missing", Severity: Error, Summary: "The record has no rua URI", RFC: rfcRecord},
	{Code: "tlsrpt-rua-scheme-unsupported", Severity: Error, Summary: "A rua URI uses a scheme other than mailto: and https:", RFC: rfcRecord},
}
