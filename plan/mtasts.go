package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mailconf/mailconf/mailauth/mtasts"
)

// servedPolicy is the MTA-STS policy file a domain serves, when known.
type servedPolicy struct {
	text    string
	fetched bool
	// err says why the policy could not be fetched, when that was tried.
	err string
}

// MTASTSToFetch returns the domains whose served MTA-STS policy decides
// their plan, sorted: those whose one live _mta-sts record carries an id
// other than the one mailconf would publish, with no id set in the
// configuration. For every other domain the plan is the same whatever is
// served, so a caller fetches only these (and fills Live.MTASTSPolicies
// or Live.MTASTSFetchErrors).
func MTASTSToFetch(desired *Desired, live Live) []string {
	var out []string
	for _, d := range desired.Domains {
		if d.MTASTSPolicy == "" || d.MTASTSIDExplicit {
			continue
		}
		rs := d.Set(mtasts.RecordName(d.Domain), TypeTXT)
		if rs == nil || !isMTASTSSet(d, rs) || len(rs.Values) != 1 {
			continue
		}
		owned := ownedValues(rs, live.Records[live.Zones[d.Domain]])
		if len(owned) != 1 {
			continue
		}
		lr, err := mtasts.Parse(owned[0].Data)
		if err != nil {
			continue
		}
		if want, err := mtasts.Parse(rs.Values[0]); err == nil && lr.ID != want.ID {
			out = append(out, d.Domain)
		}
	}
	sort.Strings(out)
	return out
}

// ownedValues are the live values at the set's name and type that the set
// owns.
func ownedValues(rs *RecordSet, recs []Record) []Value {
	var owned []Value
	for _, r := range recs {
		if r.Name == rs.Name && r.Type == rs.Type && rs.Owns(r.Data) {
			owned = append(owned, Value{TTL: r.TTL, Data: r.Data})
		}
	}
	return owned
}

func isMTASTSSet(d *DomainRecords, rs *RecordSet) bool {
	return rs.Prefix == "v=STSv1" && rs.Type == TypeTXT && rs.Name == mtasts.RecordName(d.Domain)
}

// KeepMTASTSIDs rewrites the _mta-sts record of every domain whose live
// id Diff would keep (see Live.MTASTSPolicies) to carry that id, so that
// what else reads the desired records (verify's propagation check, a
// records listing) expects what the plan leaves in the zone. Diff does not
// need it: it applies the same rule, and gives the same plan with or
// without it.
func KeepMTASTSIDs(desired *Desired, live Live) {
	for _, d := range desired.Domains {
		rs := d.Set(mtasts.RecordName(d.Domain), TypeTXT)
		text, fetched := live.MTASTSPolicies[d.Domain]
		if rs == nil || !isMTASTSSet(d, rs) || !fetched {
			continue
		}
		owned := ownedValues(rs, live.Records[live.Zones[d.Domain]])
		rs.Values, _ = mtastsValues(d, rs, owned, servedPolicy{text: text, fetched: true})
	}
}

// mtastsValues returns the values of a domain's _mta-sts set, given the
// owned live values and the policy file the domain serves now, and what
// the plan should say about that file.
//
// RFC 8461 section 3.1: the id "MUST uniquely identify a given instance of
// a policy", so that senders fetch the policy again when it changes. A
// domain migrated from another tool has a live id that is not mailconf's
// hash; replacing it while the policy served is the one mailconf compiles
// would only make every sender fetch the same policy again, and show as a
// change in every plan until applied. So when the served policy does not
// differ from the compiled one as senders read it (mtasts.Differences) and
// the domain publishes exactly one valid record, its id stays. An id set
// in the configuration always wins. Without a served policy mailconf
// cannot tell what senders have cached, and the id is its hash.
func mtastsValues(d *DomainRecords, rs *RecordSet, owned []Value, served servedPolicy) ([]string, []*Finding) {
	if !served.fetched && served.err != "" && len(owned) == 1 && len(rs.Values) == 1 {
		// The fetch was tried because the live id is not mailconf's.
		if lr, err := mtasts.Parse(owned[0].Data); err == nil {
			return rs.Values, []*Finding{{Severity: SeverityNote, Name: rs.Name, Message: fmt.Sprintf(
				"the policy served at %s could not be fetched (%s), so mailconf cannot tell whether senders hold its policy under the live id %s, and publishes its own; if the served policy is the one mailconf compiles, set id = %q in the mta_sts block to keep it.",
				mtasts.PolicyURL(d.Domain), served.err, lr.ID, lr.ID)}}
		}
	}
	if !served.fetched || d.MTASTSPolicy == "" || len(rs.Values) != 1 {
		return rs.Values, nil
	}
	compiled, err := mtasts.ParsePolicy(d.MTASTSPolicy)
	if err != nil {
		return rs.Values, nil // lint reports mailconf's own policy
	}
	rec, err := mtasts.Parse(rs.Values[0])
	if err != nil {
		return rs.Values, nil
	}
	// mailconf's id is the hash of the policy, or the one configured;
	// computed from the policy, not from rs, so that the answer is the
	// same after KeepMTASTSIDs has rewritten rs.
	ownID := compiled.ID()
	if d.MTASTSIDExplicit {
		ownID = rec.ID
	}
	var live *mtasts.Record
	if len(owned) == 1 {
		live, _ = mtasts.Parse(owned[0].Data)
	}
	with := func(id string) []string {
		r := *rec
		r.ID = id
		return []string{r.String()}
	}
	note := func(sev Severity, format string, args ...any) []*Finding {
		return []*Finding{{Severity: sev, Name: rs.Name, Message: fmt.Sprintf(format, args...)}}
	}

	url := mtasts.PolicyURL(d.Domain)
	serve := fmt.Sprintf("serve mailconf's policy (mailconf mta-sts-policy %s)", d.Domain)
	if live == nil || live.ID != ownID {
		// RFC 8461 sections 3.1 and 8.1: a sender that sees a new id
		// fetches the policy and caches what it gets for max_age; if that
		// is still the old policy, the new one is not fetched until the id
		// changes again. The policy is updated first, then the id.
		serve += " before applying this plan, or senders cache the policy served now under the new id"
	}
	servedPol, err := mtasts.ParsePolicy(served.text)
	if err != nil {
		return with(ownID), note(SeverityWarning, "the policy served at %s is not a valid MTA-STS policy (%v), so senders apply none (RFC 8461 section 3.3); %s.", url, err, serve)
	}
	if diffs := servedPol.Differences(compiled); len(diffs) > 0 {
		return with(ownID), note(SeverityWarning, "the policy served at %s differs from mailconf's in %s; %s.", url, strings.Join(diffs, ", "), serve)
	}
	if d.MTASTSIDExplicit || live == nil || live.ID == ownID {
		return with(ownID), nil
	}
	return with(live.ID), note(SeverityNote, "the policy served at %s is the one mailconf compiles, so the plan keeps the live id %s instead of mailconf's %s: the id changes only when the policy does (RFC 8461 section 3.1).", url, live.ID, ownID)
}
