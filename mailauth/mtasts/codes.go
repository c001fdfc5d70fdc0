package mtasts

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of this package; see mailauth.CodeInfo.
type CodeInfo = mailauth.CodeInfo

// Codes lists every code Record.Validate and Policy.Validate can produce,
// sorted by code. A code names a rule, not a message. The syntax of extension
// names and values differs between the TXT record (section 3.1) and the policy
// (section 3.2), so those codes say which; the rules for unknown and repeated
// fields are one for both (section 3.2), so mtasts-field-unknown and
// mtasts-field-duplicate serve both, the Tag and the record reported telling
// which.
var Codes = []CodeInfo{
	{Code: "mtasts-field-duplicate", Severity: Error, Summary: "A field of the record or policy appears more than once, and senders use only the first", RFC: rfcFields},
	{Code: "mtasts-field-unknown", Severity: Warning, Summary: "A field of the record or policy is not defined by RFC 8461, so senders ignore it", RFC: rfcFields},
	{Code: "mtasts-id-invalid", Severity: Error, Summary: "The record's id is not 1 to 32 letters and digits", RFC: rfcRecord},
	{Code: "mtasts-max-age-range", Severity: Error, Summary: "The policy max_age is outside 0 to 31557600 seconds", RFC: rfcPolicy},
	{Code: "mtasts-max-age-short", Severity: Warning, Summary: "The max_age of an enforce or testing policy is under a week", RFC: rfcPolicy},
	{Code: "mtasts-mode-invalid", Severity: Error, Summary: "The policy mode is not enforce, testing or none", RFC: rfcPolicy},
	{Code: "mtasts-mode-missing", Severity: Error, Summary: "The policy has no mode", RFC: rfcPolicy},
	{Code: "mtasts-mx-duplicate", Severity: Warning, Summary: "An mx pattern is listed more than once", RFC: rfcPolicy},
	{Code: "mtasts-mx-invalid", Severity: Error, Summary: "An mx pattern is neither a host name nor one with \"*.\" as its whole leftmost label", RFC: rfcMatching},
	{Code: "mtasts-mx-missing", Severity: Error, Summary: "An enforce or testing policy lists no mx pattern, so no MX host can validate", RFC: rfcPolicy},
	{Code: "mtasts-mx-single-label", Severity: Warning, Summary: "An mx pattern is a single label, while MX hosts are fully qualified names", RFC: rfcMatching},
	{Code: "mtasts-mx-trailing-dot", Severity: Error, Summary: "An mx pattern ends with a dot", RFC: rfcPolicy},
	{Code: "mtasts-policy-field-name-invalid", Severity: Error, Summary: "A field name of the policy is not a valid extension name", RFC: rfcPolicy},
	{Code: "mtasts-policy-field-reserved", Severity: Error, Summary: "A field the policy defines is set as an extension instead of through its field", RFC: rfcPolicy},
	{Code: "mtasts-policy-field-value-invalid", Severity: Error, Summary: "A field value of the policy is empty, holds a control character or has spaces around it", RFC: rfcPolicy},
	{Code: "mtasts-record-field-name-invalid", Severity: Error, Summary: "A field name of the record is not a valid extension name", RFC: rfcRecord},
	{Code: "mtasts-record-field-value-invalid", Severity: Error, Summary: "A field value of the record is empty or holds a space, '=' or ';'", RFC: rfcRecord},
}
