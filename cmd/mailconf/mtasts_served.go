package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mailconf/mailconf/internal/mtastsfetch"
	"github.com/mailconf/mailconf/plan"
)

// defaultHTTPClient fetches served MTA-STS policies. Its transport checks
// certificates against the system's roots, as a sender's does.
func defaultHTTPClient() *http.Client {
	return &http.Client{Timeout: mtastsfetch.DefaultTimeout}
}

// fetchConcurrency bounds the policy fetches in flight.
const fetchConcurrency = 16

// fetchServedPolicies fetches the MTA-STS policy file of each domain whose
// plan depends on it (plan.MTASTSToFetch: a live id other than mailconf's),
// records it in live, and rewrites the desired _mta-sts records to carry
// the live id where the plan keeps it. Without an HTTP client (tests that
// give none) nothing is fetched, and the ids are mailconf's.
func fetchServedPolicies(ctx context.Context, e *env, desired *plan.Desired, live *plan.Live) {
	domains := plan.MTASTSToFetch(desired, *live)
	if len(domains) == 0 || e.httpClient == nil {
		return
	}
	live.MTASTSPolicies = map[string]string{}
	live.MTASTSFetchErrors = map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, fetchConcurrency)
	for _, d := range domains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fctx, cancel := context.WithTimeout(ctx, mtastsfetch.DefaultTimeout)
			defer cancel()
			text, err := mtastsfetch.Fetch(fctx, e.httpClient, d)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				reason := err.Error()
				if fe, ok := errors.AsType[*mtastsfetch.Error](err); ok {
					reason = fe.Reason
				}
				live.MTASTSFetchErrors[d] = reason
				return
			}
			live.MTASTSPolicies[d] = text
		}()
	}
	wg.Wait()
	plan.KeepMTASTSIDs(desired, *live)
}

// keepServedMTASTSIDs is fetchServedPolicies for commands that do not
// plan (verify): they read the live zones only when some domain's
// _mta-sts id could be the live one rather than mailconf's. A zone that
// cannot be read leaves mailconf's ids; the propagation check then says
// what is served.
func keepServedMTASTSIDs(ctx context.Context, e *env, desired *plan.Desired, read func(context.Context) (plan.Live, error)) {
	if e.httpClient == nil {
		return
	}
	need := false
	for _, d := range desired.Domains {
		need = need || d.MTASTSPolicy != "" && !d.MTASTSIDExplicit
	}
	if !need {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	live, err := read(rctx)
	if err != nil {
		return
	}
	fetchServedPolicies(ctx, e, desired, &live)
}
