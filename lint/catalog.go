package lint

import (
	"sort"
	"sync"

	"github.com/mailconf/mailconf/mailauth"
	"github.com/mailconf/mailconf/mailauth/bimi"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/mailauth/mtasts"
	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/mailauth/tlsrpt"
)

// catalog is every code a finding can carry: lint's own Checks and the
// codes of the record models' problems.
var catalog = sync.OnceValue(func() map[string]Check {
	m := map[string]Check{}
	add := func(code string, sev mailauth.Severity, summary, rfc string) {
		s := Warning
		if sev == mailauth.Error {
			s = Error
		}
		m[code] = Check{Code: code, Severity: s, Summary: summary, RFC: rfc}
	}
	for _, c := range spf.Codes {
		add(c.Code, c.Severity, c.Summary, c.RFC)
	}
	for _, c := range dmarc.Codes {
		add(c.Code, c.Severity, c.Summary, c.RFC)
	}
	for _, c := range dkim.Codes {
		add(c.Code, c.Severity, c.Summary, c.RFC)
	}
	for _, c := range bimi.Codes {
		add(c.Code, c.Severity, c.Summary, c.RFC)
	}
	for _, c := range mtasts.Codes {
		add(c.Code, c.Severity, c.Summary, c.RFC)
	}
	for _, c := range tlsrpt.Codes {
		add(c.Code, c.Severity, c.Summary, c.RFC)
	}
	for _, c := range Checks {
		m[c.Code] = c
	}
	return m
})

// AllChecks lists every code a finding can carry, sorted.
func AllChecks() []Check {
	var out []Check
	for _, c := range catalog() {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func checkInfo(code string) Check {
	if c, ok := catalog()[code]; ok {
		return c
	}
	return Check{Code: code, Severity: Warning}
}
