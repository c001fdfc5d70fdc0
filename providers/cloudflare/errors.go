package cloudflare

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mailconf/mailconf/providers"
)

var (
	// ErrAPI marks every failed Cloudflare API request.
	ErrAPI = errors.New("cloudflare: API request failed")
	// ErrAuth marks a request Cloudflare refused for its credentials: an
	// invalid token, or one without the permission the request needs.
	ErrAuth = errors.New("cloudflare: not authorized")
	// ErrRateLimited marks a request still rate limited (HTTP 429) after
	// the retries the client allows itself.
	ErrRateLimited = errors.New("cloudflare: rate limited")
)

// Message is one entry of the errors (or messages) list of the API's
// response envelope.
type Message struct {
	Code       int       `json:"code"`
	Message    string    `json:"message"`
	ErrorChain []Message `json:"error_chain,omitempty"`
}

func (m Message) String() string {
	s := fmt.Sprintf("%s (code %d)", strings.TrimSuffix(m.Message, "."), m.Code)
	for _, c := range m.ErrorChain {
		s += ": " + c.String()
	}
	return s
}

// Error is a failed API request. It says which request failed and what
// Cloudflare answered; it never holds a token, which only ever travels in
// the Authorization header.
type Error struct {
	// Method and Path are the request's, Path without the query.
	Method, Path string
	// Status is the HTTP status, or 0 when no answer came.
	Status int
	// Errors are the envelope's error entries, when the answer had any.
	Errors []Message
	// RetryAfter is what a 429 answer asked to wait, or 0.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the transport failure when no answer came.
	Err error
	// zoneToken says the request carried the zone token.
	zoneToken bool
}

// Temporary reports whether retrying later may succeed: rate limits,
// server errors and transport failures (DESIGN.md section 7).
func (e *Error) Temporary() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	if e.Status == 0 {
		fmt.Fprintf(&b, "no answer: %v", e.Err)
	} else {
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
		for i, m := range e.Errors {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(m.String())
		}
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	switch {
	case (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) && e.zoneToken:
		b.WriteString("; check that zone_token is a valid API token (not the global API key) with the Zone:Zone:Read permission")
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		b.WriteString("; check that api_token is a valid API token (not the global API key) with the Zone:DNS:Edit permission for this zone, and Zone:Zone:Read (or a zone_token that has it)")
	case e.Status == http.StatusTooManyRequests && e.RetryAfter > 0:
		fmt.Fprintf(&b, "; Cloudflare asks to wait %s before the next request", e.RetryAfter)
	}
	if e.Temporary() {
		b.WriteString("; retrying later may succeed")
	}
	return b.String()
}

// Unwrap makes the error match ErrAPI, ErrAuth, ErrRateLimited and
// providers.ErrTemporary as they apply, and the transport failure.
func (e *Error) Unwrap() []error {
	errs := []error{ErrAPI}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		errs = append(errs, ErrAuth)
	}
	if e.Status == http.StatusTooManyRequests {
		errs = append(errs, ErrRateLimited)
	}
	if e.Temporary() {
		errs = append(errs, providers.ErrTemporary)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
