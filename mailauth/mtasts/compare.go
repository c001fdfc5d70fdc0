package mtasts

import (
	"slices"
	"strings"
)

// ValidID reports whether id may be published as the id of an _mta-sts
// record: RFC 8461 section 3.1, sts-id = %s"id=" 1*32(ALPHA / DIGIT).
func ValidID(id string) bool { return isID(id) }

// Differences lists the fields in which policy q differs from p as senders
// apply them, or nil when a sender would act the same on either: "mode",
// "mx", "max_age", then the names of extension fields, in that order.
//
// What is only syntax does not count. RFC 8461 section 3.2 lets lines end
// in CRLF or LF, allows whitespace after the colon and at the end of a
// line, and defines the policy as key/value pairs read by name, so line
// endings, spacing and the order of the fields are not compared (ParsePolicy
// has already dropped them). The mx patterns are compared as a set: a host
// is valid when it matches any of them (RFC 8461 section 4.1), so neither
// their order nor a repeated pattern changes the policy, and host names
// compare case-insensitively, as MatchMX does.
//
// Extension fields are compared as written, although senders ignore the
// ones they do not know (RFC 8461 section 3.2): a policy that carries a
// field another lacks is a different text to serve, and it is safer to
// call that a change than to keep an id across it.
func (p *Policy) Differences(q *Policy) []string {
	var out []string
	if p.Mode != q.Mode {
		out = append(out, fieldMode)
	}
	if !slices.Equal(mxSet(p.MX), mxSet(q.MX)) {
		out = append(out, fieldMX)
	}
	if p.MaxAge != q.MaxAge {
		out = append(out, fieldMaxAge)
	}
	pe, qe := extensionsByName(p.Extensions), extensionsByName(q.Extensions)
	var names []string
	for name := range pe {
		names = append(names, name)
	}
	for name := range qe {
		if _, ok := pe[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Equal(pe[name], qe[name]) {
			out = append(out, name)
		}
	}
	return out
}

// mxSet returns the patterns lower case, sorted, without repeats.
func mxSet(patterns []string) []string {
	out := make([]string, 0, len(patterns))
	for _, p := range patterns {
		out = append(out, strings.ToLower(strings.TrimSuffix(p, ".")))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// extensionsByName groups the values of extension fields by field name, in
// the order they appear.
func extensionsByName(tags []Tag) map[string][]string {
	out := map[string][]string{}
	for _, t := range tags {
		out[t.Name] = append(out[t.Name], t.Value)
	}
	return out
}
