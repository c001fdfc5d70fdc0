package mtasts

import (
	"fmt"
	"strings"

	"github.com/mailconf/mailconf/mailauth"
	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Severity and Problem are the types of package mailauth, which every
// record type's Validate shares so that the linter can gather all findings
// in one list. The aliases keep this package's names working.
type (
	// Severity says how bad a Problem is.
	Severity = mailauth.Severity
	// Problem is one finding of Validate. Its Tag is the record field or policy
	// field concerned, or "" for the whole.
	Problem = mailauth.Problem
)

// Severities of a Problem, as in package mailauth.
const (
	// Warning marks a valid record or policy that probably does not do what is
	// wanted.
	Warning = mailauth.Warning
	// Error marks a record or policy senders reject or misapply.
	Error = mailauth.Error
)

const (
	rfcRecord   = "RFC 8461 section 3.1"
	rfcPolicy   = "RFC 8461 section 3.2"
	rfcMatching = "RFC 8461 section 4.1"
	// rfcFields is where the rules for unknown and repeated fields live:
	// RFC 8461 section 3.2 states them for the TXT record and the policy
	// alike (senders ignore unknown fields and all but the first of a
	// repeated one), so both share their codes.
	rfcFields = "RFC 8461 section 3.2"
)

// minExpectedMaxAge is one week. RFC 8461 section 3.2 expects max_age "to be
// in the range of weeks or greater" to limit attacks at refresh time.
const minExpectedMaxAge = 7 * 24 * 60 * 60

type problems []Problem

func (ps *problems) add(sev Severity, code, tag, rfc, format string, args ...any) {
	*ps = append(*ps, Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
}

// Validate checks the TXT record against RFC 8461 section 3.1 and returns the
// problems found; nil means the record is fine. Every problem carries one of
// the codes listed in Codes, with the severity and citation listed there.
func (r *Record) Validate() []Problem {
	var ps problems
	if !isID(r.ID) {
		ps.add(Error, "mtasts-id-invalid", "id", rfcRecord, "id %q must be 1 to 32 letters and digits", r.ID)
	}
	seen := map[string]bool{}
	for _, t := range r.Extensions {
		switch {
		case !syntax.IsExtName(t.Name):
			ps.add(Error, "mtasts-record-field-name-invalid", t.Name, rfcRecord, "%q is not a valid field name", t.Name)
		case t.Name == "v" || t.Name == "id" || seen[t.Name]:
			ps.add(Error, "mtasts-field-duplicate", t.Name, rfcFields, "field %s appears more than once; senders use only the first", t.Name)
		case !isRecordExtValue(t.Value):
			ps.add(Error, "mtasts-record-field-value-invalid", t.Name, rfcRecord, "field %s has an empty value or one with a space, '=' or ';'", t.Name)
		default:
			ps.add(Warning, "mtasts-field-unknown", t.Name, rfcFields, "field %s is not defined by RFC 8461; senders ignore it", t.Name)
		}
		seen[t.Name] = true
	}
	return ps
}

// Validate checks the policy against RFC 8461 and returns the problems found;
// nil means the policy is fine. Every problem carries one of the codes listed
// in Codes, with the severity and citation listed there.
func (p *Policy) Validate() []Problem {
	var ps problems
	switch {
	case p.Mode == "":
		ps.add(Error, "mtasts-mode-missing", fieldMode, rfcPolicy, "the policy has no mode; set enforce, testing or none")
	case !p.Mode.Valid():
		ps.add(Error, "mtasts-mode-invalid", fieldMode, rfcPolicy, "mode %q is not enforce, testing or none", p.Mode)
	}

	if len(p.MX) == 0 && p.Mode != None {
		ps.add(Error, "mtasts-mx-missing", fieldMX, rfcPolicy,
			"the policy lists no mx pattern, so no MX host can validate; list every MX host, or use mode none")
	}
	seen := map[string]bool{}
	for _, mx := range p.MX {
		key := strings.ToLower(mx)
		switch {
		case strings.HasSuffix(mx, ".") && isMXPattern(strings.TrimSuffix(mx, ".")):
			ps.add(Error, "mtasts-mx-trailing-dot", fieldMX, rfcPolicy, "mx %q must not end with a dot", mx)
		case !isMXPattern(mx):
			ps.add(Error, "mtasts-mx-invalid", fieldMX, rfcMatching,
				"mx %q is not a host name or a pattern with \"*.\" as its whole leftmost label", mx)
		case seen[key]:
			ps.add(Warning, "mtasts-mx-duplicate", fieldMX, rfcPolicy, "mx %q is listed more than once", mx)
		case !strings.Contains(strings.TrimPrefix(mx, "*."), "."):
			ps.add(Warning, "mtasts-mx-single-label", fieldMX, rfcMatching, "mx %q is a single label; MX hosts are fully qualified names", mx)
		}
		seen[key] = true
	}

	switch {
	case p.MaxAge < 0 || p.MaxAge > MaxMaxAge:
		ps.add(Error, "mtasts-max-age-range", fieldMaxAge, rfcPolicy, "max_age %d is outside 0 to %d seconds", p.MaxAge, MaxMaxAge)
	case p.MaxAge < minExpectedMaxAge && (p.Mode == Enforce || p.Mode == Testing):
		ps.add(Warning, "mtasts-max-age-short", fieldMaxAge, rfcPolicy,
			"max_age %d is under a week; RFC 8461 expects weeks or more, so that a policy survives an attack at refresh time", p.MaxAge)
	}

	fseen := map[string]bool{}
	for _, t := range p.Extensions {
		switch {
		case !syntax.IsExtName(t.Name):
			ps.add(Error, "mtasts-policy-field-name-invalid", t.Name, rfcPolicy, "%q is not a valid field name", t.Name)
		case t.Name == fieldVersion || t.Name == fieldMode || t.Name == fieldMX || t.Name == fieldMaxAge:
			ps.add(Error, "mtasts-policy-field-reserved", t.Name, rfcPolicy, "field %s is set as an extension; use the field for it", t.Name)
		case fseen[t.Name]:
			ps.add(Error, "mtasts-field-duplicate", t.Name, rfcFields, "field %s appears more than once; senders use only the first", t.Name)
		case !isPolicyExtValue(t.Value):
			ps.add(Error, "mtasts-policy-field-value-invalid", t.Name, rfcPolicy, "field %s has an empty value or one with control characters or surrounding spaces", t.Name)
		default:
			ps.add(Warning, "mtasts-field-unknown", t.Name, rfcFields, "field %s is not defined by RFC 8461; senders ignore it", t.Name)
		}
		fseen[t.Name] = true
	}
	return ps
}
