package mailauth

// CodeInfo documents one rule of a record package's Validate (or, for spf,
// Analyze): each of those packages lists its rules in a variable Codes of
// this type, so that the linter can describe every code it may report. The
// packages keep CodeInfo as an alias of this type.
type CodeInfo struct {
	// Code is what the problems of the rule carry in their Code field.
	Code string
	// Severity is the severity of every problem with this code.
	Severity Severity
	// Summary says in one short sentence what the rule finds. It is one
	// capitalized sentence without a final period, since rule lists show
	// it beside the linter's own checks, which read that way.
	Summary string
	// RFC is where the rule lives, cited exactly as in the problems.
	RFC string
}
