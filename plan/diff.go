package plan

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/dmarc"
)

// The thresholds of the bulk-change safety rule (DESIGN.md section 5): a
// plan that updates or deletes more than this share of the records
// mailconf owns in a zone with at least MinOwnedForBulkRule of them needs
// --force, because a mistake in a shared policy then hits every domain.
const (
	BulkChangePercent   = 30
	MinOwnedForBulkRule = 10
)

// Live is the live state a plan compares against.
type Live struct {
	// Zones maps each domain to the zone that holds it (lower case, with
	// the trailing dot, as providers.ZoneFor returns it).
	Zones map[string]string
	// Records are each zone's live records, by zone.
	Records map[string][]Record
	// MTASTSPolicies are the MTA-STS policy files served now, by domain
	// (lower case, without the trailing dot): the body of
	// https://mta-sts.<domain>/.well-known/mta-sts.txt as a sender fetches
	// it (RFC 8461 section 3.3). Diff does no I/O, so the caller fetches
	// them; a domain that is absent was not fetched, or could not be.
	//
	// With the served policy known, Diff keeps the live id of a policy
	// that has not changed instead of replacing it with mailconf's own,
	// and warns when the served policy is not the one mailconf compiles;
	// KeepMTASTSIDs makes the desired records agree. Without it, the id
	// is mailconf's.
	MTASTSPolicies map[string]string
	// MTASTSFetchErrors say, by domain, why a served policy could not be
	// fetched; Diff mentions it where the live id is replaced.
	MTASTSFetchErrors map[string]string
	// BaseKeys are the DKIM key states of the previous configuration (the
	// one the live zone was applied from, such as the pull request's base
	// branch): domain -> selector -> state. With it, the plan shows each
	// key's step ("s2026a: active → retiring"), including the steps that
	// change no record. Where it is not known (nil, or a domain it lacks),
	// the steps are read off the live records.
	BaseKeys map[string]map[string]string
}

// Diff compares the desired records with the live zones and returns what
// would change. It touches only what mailconf owns (DESIGN.md section 4):
// for every record set it computes the owned live values, leaves every
// other value at the name as it is, and reports what it finds there.
func Diff(desired *Desired, live Live) *Plan {
	p := &Plan{FormatVersion: FormatVersion}
	byZone := map[string]map[string][]Record{}
	zoneProvider := map[string]string{}
	for _, d := range desired.Domains {
		zone := live.Zones[d.Domain]
		if _, ok := byZone[zone]; !ok {
			idx := map[string][]Record{}
			for _, r := range live.Records[zone] {
				idx[r.Name] = append(idx[r.Name], r)
			}
			byZone[zone] = idx
			zoneProvider[zone] = d.Provider
		}
		served, fetched := live.MTASTSPolicies[d.Domain]
		dp := diffDomain(d, zone, byZone[zone], servedPolicy{text: served, fetched: fetched, err: live.MTASTSFetchErrors[d.Domain]})
		keyDanger(d, byZone[zone], dp, desired.Now)
		dp.Keys = keyTransitions(d, byZone[zone], live.BaseKeys[d.Domain])
		p.Domains = append(p.Domains, dp)
	}
	sort.Slice(p.Domains, func(i, j int) bool { return p.Domains[i].Domain < p.Domains[j].Domain })
	var zones []string
	for z := range byZone {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	for _, z := range zones {
		p.Zones = append(p.Zones, &ZoneState{Zone: z, Provider: zoneProvider[z], Hash: LiveHash(live.Records[z])})
	}
	applyBulkRule(p)
	p.summarize()
	return p
}

func diffDomain(d *DomainRecords, zone string, live map[string][]Record, served servedPolicy) *DomainPlan {
	dp := &DomainPlan{Domain: d.Domain, Zone: zone, Provider: d.Provider, Changes: []*Change{}, Findings: []*Finding{}}
	finding := func(sev Severity, name, format string, args ...any) {
		dp.Findings = append(dp.Findings, &Finding{Severity: sev, Name: name, Message: fmt.Sprintf(format, args...)})
	}
	for _, group := range groupSets(d.Sets) {
		if c := diffGroup(d, group, live[group[0].Name], served, dp, finding); c != nil {
			dp.Changes = append(dp.Changes, c)
		}
	}
	unmanagedSelectors(d, live, finding)
	undeclaredPolicies(d, live, finding)
	sort.SliceStable(dp.Changes, func(i, j int) bool {
		a, b := dp.Changes[i], dp.Changes[j]
		if a.Name != b.Name {
			return nameLess(a.Name, b.Name)
		}
		return a.Type < b.Type
	})
	sort.SliceStable(dp.Findings, func(i, j int) bool {
		a, b := dp.Findings[i], dp.Findings[j]
		if a.Name != b.Name {
			return nameLess(a.Name, b.Name)
		}
		return a.Message < b.Message
	})
	return dp
}

// groupSets groups the sets that share a name and type, in the order of
// each group's first set: the domain's SPF record and its senders'
// verification tokens are one RRset at the provider, so they are one
// change, made with one write.
func groupSets(sets []*RecordSet) [][]*RecordSet {
	type key struct{ name, typ string }
	index := map[key]int{}
	var out [][]*RecordSet
	for _, rs := range sets {
		k := key{rs.Name, rs.Type}
		if i, ok := index[k]; ok {
			out[i] = append(out[i], rs)
			continue
		}
		index[k] = len(out)
		out = append(out, []*RecordSet{rs})
	}
	return out
}

// diffGroup compares the sets of one name and type with the live records
// at that name, and returns the change to make, or nil. A live value
// belongs to the first set of the group that owns it; the values no set
// owns are kept as they are.
func diffGroup(d *DomainRecords, group []*RecordSet, at []Record, served servedPolicy, dp *DomainPlan, finding func(Severity, string, string, ...any)) *Change {
	first := group[0]
	for _, rs := range group {
		if blocked := cnameConflict(rs, at); blocked != "" {
			finding(SeverityError, rs.Name, "%s", blocked)
			return nil
		}
	}
	owned := make([][]Value, len(group))
	keep := []Value{}
	for _, r := range at {
		if r.Type != first.Type {
			continue
		}
		v := Value{TTL: r.TTL, Data: r.Data}
		i := slices.IndexFunc(group, func(rs *RecordSet) bool { return rs.Owns(r.Data) })
		if i < 0 {
			keep = append(keep, v)
			continue
		}
		owned[i] = append(owned[i], v)
	}
	sortValues(keep)
	// RFC 2181 section 5.2: the records of one RRset share one TTL. When
	// values that are not mailconf's share the set, theirs stands:
	// changing it would change records mailconf does not own.
	ttl := first.TTL
	if len(keep) > 0 {
		ttl = keep[0].TTL
		for _, v := range keep[1:] {
			ttl = min(ttl, v.TTL)
		}
		if ttl != first.TTL {
			finding(SeverityNote, first.Name, "the %s records at %s share one TTL (RFC 2181 section 5.2), so mailconf's value takes the TTL of the records that are not its own, %d, instead of %d", first.Type, first.Name, ttl, first.TTL)
		}
	}
	allOwned, allWant := []Value{}, []Value{}
	var sources []string
	dangerous := ""
	partial := false
	for i, rs := range group {
		sortValues(owned[i])
		values := rs.Values
		if isMTASTSSet(d, rs) {
			var notes []*Finding
			values, notes = mtastsValues(d, rs, owned[i], served)
			for _, f := range notes {
				finding(f.Severity, f.Name, "%s", f.Message)
			}
		}
		want := make([]Value, len(values))
		for j, v := range values {
			want[j] = Value{TTL: ttl, Data: v}
		}
		sortValues(want)
		switch rs.Prefix {
		case "v=spf1":
			if len(owned[i]) > 1 {
				// RFC 7208 section 4.5: two SPF records make every check a permerror.
				finding(SeverityWarning, rs.Name, "%d SPF records are published at %s, so receivers return permerror for every message (RFC 7208 section 4.5); this plan replaces them with one.", len(owned[i]), rs.Name)
			}
		case dmarcPrefix:
			dmarcFindings(rs, owned[i], want, finding)
		}
		if a := action(owned[i], want); a != "" && dangerous == "" {
			dangerous = danger(rs, &Change{Name: rs.Name, Type: rs.Type, Action: a, Old: owned[i], New: want, Keep: keep})
		}
		partial = partial || rs.partial()
		sources = append(sources, rs.Source)
		allOwned = append(allOwned, owned[i]...)
		allWant = append(allWant, want...)
	}
	dp.ownedLive += len(allOwned)
	sortValues(allOwned)
	sortValues(allWant)
	if len(keep) > 0 && partial {
		var shown []string
		for _, v := range keep {
			shown = append(shown, abbreviate(v.Data, 50))
		}
		finding(SeverityNote, first.Name, "leaves alone %s at %s that %s not mailconf's: %s", plural(len(keep), first.Type+" record"), first.Name, isAre(len(keep)), strings.Join(shown, ", "))
	}
	a := action(allOwned, allWant)
	if a == "" {
		return nil
	}
	return &Change{Name: first.Name, Type: first.Type, Source: strings.Join(sources, ", "), Action: a, Old: allOwned, New: allWant, Keep: keep, Dangerous: dangerous}
}

// action is what turns the owned live values into the wanted ones, or ""
// when they are the same.
func action(owned, want []Value) Action {
	switch {
	case len(owned) == 0 && len(want) == 0:
		return ""
	case len(owned) == 0:
		return Create
	case equalValues(owned, want):
		return ""
	case len(want) == 0:
		return Delete
	}
	return Update
}

// dmarcFindings explains what the plan does with the DMARC records it
// owns at a name: several valid ones, which leave the domain without a
// policy, and ones meant as DMARC that are not valid records, which
// receivers discard. Both are replaced, and the plan must say why.
func dmarcFindings(rs *RecordSet, owned, want []Value, finding func(Severity, string, string, ...any)) {
	var valid int
	var invalid []Value
	for _, v := range owned {
		if _, err := dmarc.Parse(v.Data); errors.Is(err, dmarc.ErrNotDMARC) {
			invalid = append(invalid, v)
		} else {
			// A record with the right version but a bad tag further on
			// still counts as a record when receivers count them.
			valid++
		}
	}
	if valid > 1 {
		finding(SeverityWarning, rs.Name, "%d DMARC records are published at %s, so receivers apply no DMARC policy (RFC 9989 section 4.10.1); this plan replaces them with one.", valid, rs.Name)
	}
	policy := strings.HasPrefix(rs.Name, "_dmarc.")
	for _, v := range invalid {
		var effect string
		switch {
		case !policy:
			// RFC 7489 section 7.1: the destination authorizes reports
			// with a record that is DMARC.
			effect = "report senders do not take it as an authorization to receive the reports (RFC 7489 section 7.1)"
		case valid > 0:
			effect = "receivers discard it (RFC 7489 section 6.6.3), and those that read the version loosely count a second DMARC record and apply no policy"
		default:
			effect = "receivers discard it (RFC 7489 section 6.6.3), so the domain has no DMARC policy"
		}
		action := "this plan replaces it with mailconf's record"
		if len(owned) > 1 {
			action = "this plan removes it and leaves only mailconf's record"
		}
		if len(want) == 0 {
			action = "this plan deletes it"
		}
		finding(SeverityWarning, rs.Name, "%s holds %s, which is not a valid DMARC record: %s; %s; %s.", rs.Name, abbreviate(v.Data, 50), dmarcVersionProblem(v.Data), effect, action)
	}
}

// dmarcVersionProblem says what is wrong with the start of a value that
// LooksLikeDMARC but that dmarc.Parse rejects as not DMARC.
func dmarcVersionProblem(data string) string {
	first, _, _ := strings.Cut(data, ";")
	_, value, _ := strings.Cut(first, "=")
	value = strings.Trim(value, " \t")
	if value != dmarc.Version && strings.EqualFold(value, dmarc.Version) {
		// RFC 7489 section 6.3: the value "MUST match precisely"; the
		// ABNF of section 6.4 spells it as case-sensitive octets, as
		// RFC 9989 section 4.7 does.
		return fmt.Sprintf("the version must be exactly v=%s, in upper case, not v=%s (RFC 7489 section 6.3, RFC 9989 section 4.7)", dmarc.Version, value)
	}
	// "v=DMARC1 p=reject": the version tag runs on into the next one.
	return fmt.Sprintf("the first tag must be v=%s, ended by \";\" before the next tag (RFC 7489 section 6.4, RFC 9989 section 4.7)", dmarc.Version)
}

// cnameConflict explains why a set cannot be written next to the live
// records at its name: RFC 1034 section 3.6.2 allows no other data beside
// a CNAME.
func cnameConflict(rs *RecordSet, at []Record) string {
	for _, r := range at {
		if rs.Type != TypeCNAME && r.Type == TypeCNAME {
			return fmt.Sprintf("%s is a CNAME to %s, so the %s record mailconf manages there (%s) cannot be published (RFC 1034 section 3.6.2). Remove the CNAME, or stop declaring %s.", rs.Name, r.Data, rs.Type, rs.Source, rs.Source)
		}
		if rs.Type == TypeCNAME && r.Type != TypeCNAME {
			return fmt.Sprintf("%s holds a %s record, so the CNAME %s needs there cannot be published (RFC 1034 section 3.6.2). Remove the %s record first.", rs.Name, r.Type, rs.Source, r.Type)
		}
	}
	return ""
}

// unmanagedSelectors warns about DKIM keys in the zone that nobody declared:
// mailconf never touches them (DESIGN.md section 4), but a forgotten key is
// a key someone may still sign with.
func unmanagedSelectors(d *DomainRecords, live map[string][]Record, finding func(Severity, string, string, ...any)) {
	suffix := "._domainkey." + d.Domain
	var names []string
	for name := range live {
		if strings.HasSuffix(name, suffix) && d.Set(name, TypeTXT) == nil && d.Set(name, TypeCNAME) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		sel := strings.TrimSuffix(name, suffix)
		finding(SeverityWarning, name, "DKIM selector %q is published but not declared; mailconf leaves it alone. Declare it with a dkim %q block to manage it (state = \"retired\" revokes it).", sel, sel)
	}
}

// undeclaredPolicies points at MTA-STS, TLS-RPT and BIMI records the
// configuration does not declare: mailconf owns them only when declared
// (DESIGN.md section 4), so it leaves them, but a policy nobody maintains
// any more is worth knowing about.
func undeclaredPolicies(d *DomainRecords, live map[string][]Record, finding func(Severity, string, string, ...any)) {
	check := func(name, prefix, what, block string) {
		if d.Set(name, TypeTXT) != nil {
			return
		}
		for _, r := range live[name] {
			if r.Type == TypeTXT && HasTagPrefix(r.Data, prefix) {
				finding(SeverityNote, name, "%s publishes a %s record that the configuration does not declare; mailconf leaves it alone. Declare %s to manage it, or remove it by hand if it is stale.", name, what, block)
				return
			}
		}
	}
	check("_mta-sts."+d.Domain, "v=STSv1", "MTA-STS", "mta_sts")
	check("_smtp._tls."+d.Domain, "v=TLSRPTv1", "TLS-RPT", "tls_rpt")
	suffix := "._bimi." + d.Domain
	var names []string
	for name := range live {
		if strings.HasSuffix(name, suffix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		check(name, "v=BIMI1", "BIMI", "bimi")
	}
}

// danger says why a change needs --force (DESIGN.md section 5), or "".
func danger(rs *RecordSet, c *Change) string {
	switch {
	case rs.Type == TypeMX && rs.Source != "parked":
		if c.Action == Delete {
			return "removes every MX record of " + rs.Name + ": mail to the domain stops being delivered to its mail servers"
		}
		if c.Action == Update && !sharesMXHost(c.Old, c.New) && !isNullMX(c.Old) {
			return "replaces every MX host of " + rs.Name + ": all incoming mail moves to servers that do not receive it today; make sure they accept mail for the domain"
		}
	case rs.Prefix == "v=spf1" && c.Action == Delete:
		return "removes the SPF record of " + rs.Name + ": receivers can no longer tell authorized senders from forgers"
	case rs.Prefix == "v=DMARC1" && strings.HasPrefix(rs.Name, "_dmarc."):
		return dmarcWeakening(c)
	case rs.Active:
		if c.Action == Delete {
			return "deletes the active DKIM key " + rs.Name + ": mail signed with it fails DKIM"
		}
		if c.Action == Update && len(c.Old) > 0 && !revoked(c.Old[0].Data) {
			return "replaces the public key of active DKIM selector " + rs.Name + ": mail signed with the key published now fails DKIM; rotate to a new selector instead"
		}
	}
	return ""
}

func sharesMXHost(old, new []Value) bool {
	hosts := map[string]bool{}
	for _, v := range new {
		hosts[mxHost(v.Data)] = true
	}
	for _, v := range old {
		if hosts[mxHost(v.Data)] {
			return true
		}
	}
	return false
}

func mxHost(data string) string {
	_, host, _ := strings.Cut(data, " ")
	return strings.ToLower(host)
}

func isNullMX(vs []Value) bool {
	return len(vs) == 1 && mxHost(vs[0].Data) == "."
}

func revoked(data string) bool {
	r, err := dkim.Parse(data)
	return err == nil && r.Revoked()
}

// dmarcWeakening compares the policies of the old and new DMARC records:
// reject is stronger than quarantine, which is stronger than none, and a
// lower pct applies the policy to less mail.
func dmarcWeakening(c *Change) string {
	// The old policy is the first valid record's. A value meant as DMARC
	// that does not parse (such as "v=dmarc1") is discarded by receivers
	// (RFC 7489 section 6.6.3): replacing it weakens nothing, and it must
	// not hide a valid record that sorts after it.
	var old *dmarc.Record
	for _, v := range c.Old {
		if r, err := dmarc.Parse(v.Data); err == nil {
			old = r
			break
		}
	}
	if old == nil {
		return ""
	}
	if c.Action == Delete || len(c.New) == 0 {
		return fmt.Sprintf("removes the DMARC policy p=%s of %s", policyOf(old.P), strings.TrimPrefix(c.Name, "_dmarc."))
	}
	nw, err := dmarc.Parse(c.New[0].Data)
	if err != nil {
		return ""
	}
	var why []string
	if dmarc.Weaker(policyOf(nw.P), policyOf(old.P)) {
		why = append(why, fmt.Sprintf("p from %s to %s", policyOf(old.P), policyOf(nw.P)))
	}
	// RFC 9989: sp defaults to p when absent.
	oldSP, newSP := old.SP, nw.SP
	if oldSP == "" {
		oldSP = policyOf(old.P)
	}
	if newSP == "" {
		newSP = policyOf(nw.P)
	}
	if dmarc.Weaker(newSP, oldSP) {
		why = append(why, fmt.Sprintf("sp from %s to %s", oldSP, newSP))
	}
	if pct(nw) < pct(old) {
		why = append(why, fmt.Sprintf("pct from %d to %d", pct(old), pct(nw)))
	}
	if len(why) == 0 {
		return ""
	}
	return "weakens DMARC: " + strings.Join(why, ", ")
}

func policyOf(p dmarc.Policy) dmarc.Policy {
	if p == "" {
		return dmarc.None
	}
	return p
}

// pct is the share of mail the policy applies to; absent means 100
// (RFC 7489 section 6.3).
func pct(r *dmarc.Record) int {
	if r.PCT == nil {
		return 100
	}
	return *r.PCT
}

// applyBulkRule marks every update and delete of a zone dangerous when the
// plan changes more than BulkChangePercent of the records mailconf owns
// there.
func applyBulkRule(p *Plan) {
	owned := map[string]int{}
	changed := map[string]int{}
	for _, d := range p.Domains {
		for _, c := range d.Changes {
			if c.Action == Update || c.Action == Delete {
				changed[d.Zone] += len(c.Old)
			}
		}
	}
	for _, d := range p.Domains {
		owned[d.Zone] += d.ownedLive
	}
	for _, d := range p.Domains {
		n, total := changed[d.Zone], owned[d.Zone]
		if total < MinOwnedForBulkRule || n*100 <= total*BulkChangePercent {
			continue
		}
		for _, c := range d.Changes {
			if (c.Action == Update || c.Action == Delete) && c.Dangerous == "" {
				c.Dangerous = fmt.Sprintf("the plan changes %d of the %d records mailconf owns in zone %s (more than %d%%); a mistake in a shared setting would hit them all", n, total, d.Zone, BulkChangePercent)
			}
		}
	}
}

func sortValues(vs []Value) {
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Data != vs[j].Data {
			return dataLess(vs[i].Data, vs[j].Data)
		}
		return vs[i].TTL < vs[j].TTL
	})
}

// dataLess orders values as text, except that values starting with a
// number and a space (MX "5 alt1.example." and "10 alt3.example.") order
// by that number first, as people read them.
func dataLess(a, b string) bool {
	na, ra, oka := leadingNumber(a)
	nb, rb, okb := leadingNumber(b)
	if oka && okb && na != nb {
		return na < nb
	}
	if oka && okb {
		return ra < rb
	}
	return a < b
}

func leadingNumber(s string) (int, string, bool) {
	num, rest, ok := strings.Cut(s, " ")
	if !ok || num == "" || len(num) > 5 {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, rest, true
}

func equalValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q", s[:n-3]+"...")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
