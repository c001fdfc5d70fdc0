package mtasts

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of Record.Validate or Policy.Validate.
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

// Codes lists every code Record.Validate and Policy.Validate can produce,
// record first, then policy, in the order they are checked. A code names a
// rule, not a message. The syntax of extension names and values differs
// between the TXT record (section 3.1) and the policy (section 3.2), so those
// codes say which; the rules for unknown and repeated fields are one for both
// (section 3.2), so mtasts-field-unknown and mtasts-field-duplicate serve
// both, the Tag and the record reported telling which.
var Codes = []CodeInfo{
	{"mtasts-id-invalid", Error, "The record's id is not 1 to 32 letters and digits", rfcRecord},
	{"mtasts-record-field-name-invalid", Error, "A field name of the record is not a valid extension name", rfcRecord},
	{"mtasts-record-field-value-invalid", Error, "A field value of the record is empty or holds a space, '=' or ';'", rfcRecord},
	{"mtasts-field-duplicate", Error, "A field of the record or policy appears more than once, and senders use only the first", rfcFields},
	{"mtasts-field-unknown", Warning, "A field of the record or policy is not defined by RFC 8461, so senders ignore it", rfcFields},
	{"mtasts-mode-missing", Error, "The policy has no mode", rfcPolicy},
	{"mtasts-mode-invalid", Error, "The policy mode is not enforce, testing or none", rfcPolicy},
	{"mtasts-mx-missing", Error, "An enforce or testing policy lists no mx pattern, so no MX host can validate", rfcPolicy},
	{"mtasts-mx-trailing-dot", Error, "An mx pattern ends with a dot", rfcPolicy},
	{"mtasts-mx-invalid", Error, "An mx pattern is neither a host name nor one with \"*.\" as its whole leftmost label", rfcMatching},
	{"mtasts-mx-duplicate", Warning, "An mx pattern is listed more than once", rfcPolicy},
	{"mtasts-mx-single-label", Warning, "An mx pattern is a single label, while MX hosts are fully qualified names", rfcMatching},
	{"mtasts-max-age-range", Error, "The policy max_age is outside 0 to 31557600 seconds", rfcPolicy},
	{"mtasts-max-age-short", Warning, "The max_age of an enforce or testing policy is under a week", rfcPolicy},
	{"mtasts-policy-field-name-invalid", Error, "A field name of the policy is not a valid extension name", rfcPolicy},
	{"mtasts-policy-field-reserved", Error, "A field the policy defines is set as an extension instead of through its field", rfcPolicy},
	{"mtasts-policy-field-value-invalid", Error, "A field value of the policy is empty, holds a control character or has spaces around it", rfcPolicy},
}
