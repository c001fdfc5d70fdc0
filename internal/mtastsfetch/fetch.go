// Package mtastsfetch fetches the MTA-STS policy file a domain serves, the
// way a sending MTA does (RFC 8461 section 3.3): over HTTPS with a
// certificate valid for the policy host, without following redirects,
// accepting only a 200 answer of type text/plain and at most 64 KiB.
//
// The HTTP client is always the caller's, so that tests answer from a
// server on 127.0.0.1 and nothing here reaches the Internet on its own.
package mtastsfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/mailconf/mailconf/mailauth/mtasts"
)

// MaxPolicySize is the largest policy file accepted: RFC 8461 section 3.3
// has senders impose a limit, and names 64 KiB.
const MaxPolicySize = 64 << 10

// DefaultTimeout bounds one fetch, connection and body together, when the
// context has no earlier deadline.
const DefaultTimeout = 15 * time.Second

// ErrFetch is what every failure to obtain a policy file is (errors.Is).
var ErrFetch = errors.New("mtastsfetch: policy not fetched")

// Error is a failed fetch: the URL, and why, in words for a person.
type Error struct {
	URL, Reason string
}

func (e *Error) Error() string        { return "fetching " + e.URL + ": " + e.Reason }
func (e *Error) Is(target error) bool { return target == ErrFetch }

// Fetch returns the body of https://mta-sts.<domain>/.well-known/mta-sts.txt
// as client fetches it. A redirect, a status other than 200, another media
// type or a body over MaxPolicySize is an error wrapping ErrFetch, as it is
// for a sender: such a domain has no policy (RFC 8461 section 3.3).
func Fetch(ctx context.Context, client *http.Client, domain string) (string, error) {
	url := mtasts.PolicyURL(domain)
	fail := func(format string, args ...any) error {
		return &Error{URL: url, Reason: fmt.Sprintf(format, args...)}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	// RFC 8461 section 3.3: "HTTP 3xx redirects MUST NOT be followed".
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fail("%v", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			// url.Error repeats the method and URL; the cause is what
			// matters.
			err = uerr.Err
		}
		return "", fail("%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			return "", fail("HTTP %d redirect to %s, which senders do not follow (RFC 8461 section 3.3)", resp.StatusCode, loc)
		}
		return "", fail("HTTP %d, not 200 (RFC 8461 section 3.3)", resp.StatusCode)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
		return "", fail("media type %q, not text/plain (RFC 8461 section 3.2)", ct)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		return "", fail("reading the body: %v", err)
	}
	if len(body) > MaxPolicySize {
		return "", fail("the policy is over %d octets, the limit senders apply (RFC 8461 section 3.3)", MaxPolicySize)
	}
	return string(body), nil
}
