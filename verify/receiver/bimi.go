package receiver

import (
	"context"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailconf/mailconf/mailauth/dmarc"
	"github.com/mailconf/mailconf/resolve"
)

// bimiSelector is the selector a receiver asks for when the message names
// none (draft-brand-indicators-for-message-identification, "Selectors").
const bimiSelector = "default"

// bimiEligible reports whether a mailbox provider would show the brand
// indicator: DMARC passed under an enforcing policy, and a BIMI record is
// published. The BIMI draft requires the policy that applied to the message
// and the Organizational Domain's p to be quarantine or reject, with no
// sampling (RFC 7489 pct below 100) and not in testing mode (RFC 9989 t=y,
// which asks receivers to apply a weaker policy). The record is looked up
// at the Author Domain, then at its Organizational Domain.
func bimiEligible(ctx context.Context, r resolve.Resolver, res DMARCResult, pol *policyRecord) bool {
	if res.Result != authres.ResultPass || pol == nil {
		return false
	}
	enforcing := func(p dmarc.Policy) bool { return p == dmarc.Quarantine || p == dmarc.Reject }
	rec := pol.Rec
	if !enforcing(dmarc.Policy(res.Policy)) || !enforcing(rec.P) {
		return false
	}
	if rec.PCT != nil && *rec.PCT < 100 || rec.T == "y" {
		return false
	}
	names := []string{res.FromDomain}
	if res.OrgDomain != "" && res.OrgDomain != res.FromDomain {
		names = append(names, res.OrgDomain)
	}
	for _, d := range names {
		txts, _, err := resolve.LookupTXT(ctx, r, bimiSelector+"._bimi."+d)
		if err != nil {
			return false
		}
		n := 0
		for _, t := range txts {
			if strings.HasPrefix(t, "v=BIMI1") {
				n++
			}
		}
		// As with DMARC, several records at one name are no record.
		if n == 1 {
			return true
		}
	}
	return false
}
