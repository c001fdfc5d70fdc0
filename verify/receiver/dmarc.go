package receiver

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/resolve"
)

// errNoPolicy is not a failure of the evaluation: it explains a DMARC
// result of none, when the Tree Walk found no DMARC Policy Record.
var errNoPolicy = errors.New("receiver: no DMARC policy record")

// dmarcPrefix is the version tag every DMARC record starts with
// (RFC 9989 section 4.7).
const dmarcPrefix = "v=DMARC1; "

// maxWalkQueries is the bound of the DNS Tree Walk: RFC 9989 section 4.10
// queries the starting name, then at most seven shorter names, so a walk never
// asks more than eight questions.
const maxWalkQueries = 8

// maxWalkLabels is the longest name queried after the first: RFC 9989
// section 4.10 step 3 jumps from a longer name straight to its last seven
// labels.
const maxWalkLabels = 7

// policyRecord is a DMARC Policy Record found at _dmarc.<Domain>.
type policyRecord struct {
	Domain string
	Raw    string
	Rec    *dmarc.Record
}

// walkResult is the outcome of one DNS Tree Walk.
type walkResult struct {
	records []policyRecord // valid records, from the starting name upwards
	err     error          // a DNS failure that stopped the walk
}

// walker runs DNS Tree Walks, at most once per starting name within one
// evaluation.
type walker struct {
	r     resolve.Resolver
	cache map[string]walkResult
}

// walk performs the DNS Tree Walk of RFC 9989 section 4.10 from domain:
// query _dmarc.<domain>; discard records that are not DMARC and, when
// several remain, all of them (step 2); stop at a record with psd=y or psd=n
// (steps 2 and 5); otherwise remove labels from the left (one at a time,
// or down to seven labels at once from a longer name: step 3) and repeat
// until no label is left (step 6).
func (w *walker) walk(ctx context.Context, domain string) walkResult {
	if res, ok := w.cache[domain]; ok {
		return res
	}
	var res walkResult
	labels := dns.SplitDomainName(domain)
	for n, queries := len(labels), 0; n > 0 && queries < maxWalkQueries; queries++ {
		name := strings.Join(labels[len(labels)-n:], ".")
		rec, raw, err := w.lookup(ctx, name)
		if err != nil {
			res.err = err
			break
		}
		if rec != nil {
			res.records = append(res.records, policyRecord{Domain: name, Raw: raw, Rec: rec})
			if rec.PSD == "y" || rec.PSD == "n" {
				break
			}
		}
		n = min(n-1, maxWalkLabels)
	}
	w.cache[domain] = res
	return res
}

// lookup returns the single valid DMARC record at _dmarc.<name>, or nil.
func (w *walker) lookup(ctx context.Context, name string) (*dmarc.Record, string, error) {
	txts, _, err := resolve.LookupTXT(ctx, w.r, "_dmarc."+name)
	if err != nil {
		return nil, "", err
	}
	var found []string
	var rec *dmarc.Record
	for _, t := range txts {
		if r := parseLenient(t); r != nil {
			found = append(found, t)
			rec = r
		}
	}
	// RFC 9989 section 4.10 step 2: several DMARC records at one name are
	// all discarded, as if there were none.
	if len(found) != 1 {
		return nil, "", nil
	}
	// RFC 9989 section 4.7: p is RECOMMENDED; a record without it is
	// treated as p=none when it has a usable rua, and is otherwise not a
	// Policy Record at all.
	if rec.P == "" {
		if len(rec.RUA) == 0 {
			return nil, "", nil
		}
		rec.P = dmarc.None
	}
	return rec, found[0], nil
}

// parseLenient reads a DMARC record the way a receiver does: text that is
// not DMARC1 is no record, and tags with bad values are ignored instead of
// voiding the record (RFC 9989 section 4.8: receivers ignore tags they
// cannot read). Repeated tags keep their first value.
func parseLenient(s string) *dmarc.Record {
	rec, err := dmarc.Parse(s)
	if err == nil {
		return rec
	}
	if errors.Is(err, dmarc.ErrNotDMARC) {
		return nil
	}
	parts := strings.Split(s, ";")
	if _, err := dmarc.Parse(parts[0]); err != nil {
		return nil
	}
	var kept []string
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		name, _, ok := strings.Cut(p, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || seen[name] {
			continue
		}
		if _, err := dmarc.Parse(dmarcPrefix + p); err == nil {
			seen[name] = true
			kept = append(kept, p)
		}
	}
	rec, err = dmarc.Parse(dmarcPrefix + strings.Join(kept, "; "))
	if err != nil {
		return nil
	}
	return rec
}

// orgDomain determines the Organizational Domain of domain from its Tree
// Walk, per RFC 9989 section 4.10.2, taking the records from the longest
// name to the shortest: a record with psd=n marks its own domain; a record
// with psd=y, other than at the starting name, marks the name one label
// below it; otherwise the record with the fewest labels marks it. With no
// record at all, the domain is its own Organizational Domain.
func orgDomain(domain string, res walkResult) string {
	labels := dns.SplitDomainName(domain)
	for _, pr := range res.records {
		switch {
		case pr.Rec.PSD == "n":
			return pr.Domain
		case pr.Rec.PSD == "y" && pr.Domain != domain:
			n := dns.CountLabel(pr.Domain) + 1
			return strings.Join(labels[len(labels)-n:], ".")
		case pr.Rec.PSD == "y":
			return domain
		}
	}
	if len(res.records) == 0 {
		return domain
	}
	return res.records[len(res.records)-1].Domain
}

// aligned reports whether an authenticated domain aligns with the From
// domain under mode (RFC 9989 section 4.4): strict wants the same name,
// relaxed the same Organizational Domain, found by the same Tree Walk.
func (w *walker) aligned(ctx context.Context, from, fromOrg, other string, mode dmarc.Alignment) (bool, error) {
	if other == "" {
		return false, nil
	}
	if other == from {
		return true, nil
	}
	if mode == dmarc.Strict {
		return false, nil
	}
	// Names that do not share the From domain's Organizational Domain as a
	// suffix cannot have it as theirs; skip their walk.
	if other != fromOrg && !strings.HasSuffix(other, "."+fromOrg) {
		return false, nil
	}
	res := w.walk(ctx, other)
	if res.err != nil {
		return false, res.err
	}
	return orgDomain(other, res) == fromOrg, nil
}

// evaluate runs DMARC for msg given the SPF and DKIM results, and returns
// the result with the policy record it applied (nil when none).
func (w *walker) evaluate(ctx context.Context, msg []byte, spfRes SPFResult, dkimRes []DKIMResult) (DMARCResult, *policyRecord) {
	out := DMARCResult{Result: string(authres.ResultNone), Policy: string(dmarc.None)}
	from, err := fromDomain(msg)
	if err != nil {
		out.Result, out.Err = authres.ResultPermError, err.Error()
		return out, nil
	}
	out.FromDomain = from

	// RFC 9989 section 4.10.1: the policy is the first valid record the
	// Tree Walk from the Author Domain finds, at the Author Domain itself
	// or the nearest ancestor that publishes one.
	walk := w.walk(ctx, from)
	if walk.err != nil {
		out.Result, out.Err = dnsFailure(walk.err), walk.err.Error()
		return out, nil
	}
	out.OrgDomain = orgDomain(from, walk)
	if len(walk.records) == 0 {
		out.Err = errNoPolicy.Error()
		return out, nil
	}
	pol := &walk.records[0]
	rec := pol.Rec
	out.Record, out.PolicyFrom = pol.Raw, pol.Domain

	// RFC 9989 section 4.4: DMARC passes when SPF or DKIM passes for a
	// domain aligned with the Author Domain. The SPF domain is the one
	// check_host evaluated: MAIL FROM, or HELO for a null reverse-path.
	var tempErr error
	if spfRes.Result == authres.ResultPass {
		ok, err := w.aligned(ctx, from, out.OrgDomain, spfRes.Domain, rec.ASPF)
		out.SPFAligned = ok
		tempErr = errors.Join(tempErr, err)
	}
	for _, d := range dkimRes {
		if d.Result != authres.ResultPass || out.DKIMAligned {
			continue
		}
		ok, err := w.aligned(ctx, from, out.OrgDomain, d.Domain, rec.ADKIM)
		out.DKIMAligned = ok
		tempErr = errors.Join(tempErr, err)
	}

	policy, err := w.applicablePolicy(ctx, from, pol)
	out.Policy = string(policy)
	tempErr = errors.Join(tempErr, err)

	switch {
	case out.SPFAligned || out.DKIMAligned:
		out.Result = authres.ResultPass
	case tempErr != nil:
		// A DNS failure kept an identifier from being checked, so the
		// failure may not be real: report the transient error (RFC 8601
		// section 2.7.1, temperror) rather than a fail a retry could undo.
		out.Result, out.Err = dnsFailure(tempErr), tempErr.Error()
	default:
		out.Result = authres.ResultFail
	}
	return out, pol
}

// applicablePolicy picks the tag of the policy record that applies to the
// Author Domain (RFC 9989 section 4.7): p when the record is the Author
// Domain's own; for a subdomain, np when the Author Domain does not exist
// and the record has np, else sp when present, else p.
func (w *walker) applicablePolicy(ctx context.Context, from string, pol *policyRecord) (dmarc.Policy, error) {
	rec := pol.Rec
	if pol.Domain == from {
		return rec.P, nil
	}
	if rec.NP != "" {
		exists, err := domainExists(ctx, w.r, from)
		if err != nil {
			return rec.P, err
		}
		if !exists {
			return rec.NP, nil
		}
	}
	if rec.SP != "" {
		return rec.SP, nil
	}
	return rec.P, nil
}

// domainExists implements the RFC 9989 section 3.2 definition of a
// Non-existent Domain: one for which A, AAAA and MX questions all get
// NXDOMAIN or NODATA. Any record of those types makes the domain exist.
func domainExists(ctx context.Context, r resolve.Resolver, domain string) (bool, error) {
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX} {
		a, err := r.Lookup(ctx, domain, t)
		if err != nil {
			return false, err
		}
		if !a.Void() {
			return true, nil
		}
	}
	return false, nil
}

// dnsFailure maps a DNS error to temperror when retrying may help and
// permerror otherwise.
func dnsFailure(err error) string {
	if resolve.IsTemporary(err) || errors.Is(err, context.DeadlineExceeded) {
		return authres.ResultTempError
	}
	return authres.ResultPermError
}
