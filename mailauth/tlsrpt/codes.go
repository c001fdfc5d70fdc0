package tlsrpt

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
// them. A code names a rule, not a message: a URI that does not parse is
// tlsrpt-rua-invalid whichever check finds it.
var Codes = []CodeInfo{
	{"tlsrpt-rua-missing", Error, "The record has no rua URI", rfcRecord},
	{"tlsrpt-rua-invalid", Error, "A rua URI is malformed: no scheme, whitespace, or an unencoded ',', ';' or '!'", rfcRecord},
	{"tlsrpt-rua-duplicate", Warning, "A rua URI is listed more than once", rfcRecord},
	{"tlsrpt-rua-mailto-invalid", Error, "A rua mailto: URI does not name one valid address", rfcMailto},
	{"tlsrpt-rua-host-not-fqdn", Error, "A rua https: URI's host is not a fully qualified domain name", rfcRecord},
	{"tlsrpt-rua-scheme-unsupported", Error, "A rua URI uses a scheme other than mailto: and https:", rfcRecord},
	{"tlsrpt-field-name-invalid", Error, "A field name is not a valid extension name", rfcRecord},
	{"tlsrpt-field-duplicate", Error, "A field appears more than once", rfcRecord},
	{"tlsrpt-field-value-invalid", Error, "A field value is empty or holds a space, '=' or ';'", rfcRecord},
	{"tlsrpt-field-unknown", Warning, "A field is not defined by RFC 8460, so senders ignore it", rfcRecord},
}
