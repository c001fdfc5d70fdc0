// Package notify posts a report to a webhook: one HTTP POST, tried a
// bounded number of times with backoff, retried only when a retry can
// help (a network error, a 5xx or a 429), never on another 4xx, which says
// the request itself is wrong and will be wrong again.
//
// The HTTP client, the clock and the sleep are the caller's, so that tests
// answer from a server on 127.0.0.1 and wait for nothing. The package must
// never put a webhook URL's userinfo, query string or token-like path
// segment into an error: webhook URLs often carry their credential there
// (Slack's and Discord's in the path, others in ?token=). It never reads
// the body it posts, so what it sends is exactly what the caller built.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Defaults for Webhook's zero fields.
const (
	// DefaultTimeout bounds one attempt: connection, request and answer.
	DefaultTimeout = 10 * time.Second
	// DefaultAttempts is how many times a post is tried in all.
	DefaultAttempts = 3
	// MaxRetryAfter caps the wait a server asks for with Retry-After
	// (RFC 9110 section 10.2.3): a cron job must not hang for an hour
	// because a webhook says so.
	MaxRetryAfter = 60 * time.Second
	// maxReason is how much of an error answer's body is quoted.
	maxReason = 200
)

// ErrNotDelivered is what every failed post is (errors.Is).
var ErrNotDelivered = errors.New("notify: webhook not delivered")

// Error is a post that failed: every attempt, or one that retrying cannot
// help. URL is redacted (see Redact).
type Error struct {
	URL      string
	Attempts int
	// StatusCode is the last answer's status, or 0 when no answer came.
	StatusCode int
	// Reason says what the last attempt got, in words for a person.
	Reason string
	// Retryable says whether a later run may succeed (the failure was a
	// network error, a 5xx or a 429).
	Retryable bool
}

func (e *Error) Error() string {
	tries := "1 attempt"
	if e.Attempts != 1 {
		tries = fmt.Sprintf("%d attempts", e.Attempts)
	}
	return fmt.Sprintf("posting to %s failed after %s: %s", e.URL, tries, e.Reason)
}

// Is makes every Error match ErrNotDelivered.
func (e *Error) Is(target error) bool { return target == ErrNotDelivered }

// Webhook posts to one URL. Its zero fields take the defaults; Client is
// required. A Webhook is safe for concurrent use if its Client is.
type Webhook struct {
	URL    string
	Client *http.Client
	// Header is added to every request (an Authorization header, say).
	Header http.Header
	// Timeout bounds each attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Attempts is the number of tries in all; zero means DefaultAttempts.
	Attempts int
	// Backoff is the pause after the attempt-th failure (from 1); nil
	// means 1s, 2s, 4s, ...
	Backoff func(attempt int) time.Duration
	// Now and Sleep are the clock; nil means time.Now and a timer that
	// honours ctx.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Post sends body with the given content type. It returns nil once a 2xx
// answer comes, and an *Error otherwise (or ctx's error, wrapped in one,
// when ctx ends first).
func (w *Webhook) Post(ctx context.Context, contentType string, body []byte) error {
	u, err := neturl.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{URL: Redact(w.URL), Reason: "not an http or https URL"}
	}
	if w.Client == nil {
		return &Error{URL: Redact(w.URL), Reason: "no HTTP client"}
	}
	attempts := w.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	var last *Error
	for i := 1; i <= attempts; i++ {
		wait, e := w.attempt(ctx, contentType, body)
		if e == nil {
			return nil
		}
		e.Attempts = i
		last = e
		if !e.Retryable || i == attempts {
			break
		}
		d := w.backoff(i)
		if wait > d {
			d = wait
		}
		if err := w.sleep(ctx, d); err != nil {
			last.Reason += fmt.Sprintf("; stopped before attempt %d: %v", i+1, err)
			break
		}
	}
	return last
}

// attempt makes one request. It returns the wait the server asked for
// (Retry-After), and the failure or nil.
func (w *Webhook) attempt(ctx context.Context, contentType string, body []byte) (time.Duration, *Error) {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(status int, retry bool, format string, args ...any) *Error {
		return &Error{URL: Redact(w.URL), StatusCode: status, Retryable: retry, Reason: fmt.Sprintf(format, args...)}
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fail(0, false, "%s", scrub(err, w.URL))
	}
	for k, vs := range w.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "mailconf")
	resp, err := w.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fail(0, false, "%v", ctx.Err())
		}
		if actx.Err() != nil {
			return 0, fail(0, true, "no answer within %s", timeout)
		}
		return 0, fail(0, true, "%s", scrub(err, w.URL))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 == 2 {
		return 0, nil
	}
	reason := "HTTP " + resp.Status
	if s := firstLine(snippet); s != "" {
		reason += ": " + s
	}
	// Retry on what a later attempt can fix: the server's trouble (5xx)
	// and rate limits (429). Any other answer says the request is wrong,
	// and it would be just as wrong again.
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	return w.retryAfter(resp.Header.Get("Retry-After")), fail(resp.StatusCode, retry, "%s", reason)
}

func (w *Webhook) backoff(attempt int) time.Duration {
	if w.Backoff != nil {
		return w.Backoff(attempt)
	}
	return time.Second << (attempt - 1)
}

func (w *Webhook) sleep(ctx context.Context, d time.Duration) error {
	if w.Sleep != nil {
		return w.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header, delay-seconds or an HTTP-date
// (RFC 9110 section 10.2.3), capped at MaxRetryAfter; 0 when absent or
// unreadable.
func (w *Webhook) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		now := time.Now
		if w.Now != nil {
			now = w.Now
		}
		d = t.Sub(now())
	}
	return min(max(d, 0), MaxRetryAfter)
}

// scrub turns a transport error into words without the URL: url.Error
// repeats the method and the full URL, credential included.
func scrub(err error, rawURL string) string {
	var uerr *neturl.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	s := err.Error()
	if rawURL != "" {
		s = strings.ReplaceAll(s, rawURL, Redact(rawURL))
	}
	return s
}

// firstLine is the start of an error answer's body, printable, for the
// reason: "invalid_token", "no_service".
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > maxReason {
		s = s[:maxReason] + "…"
	}
	return s
}

// Redact returns a URL fit for messages: scheme, host and path, without
// userinfo, query string or fragment, and with every path segment that
// looks like a credential (16 characters or more) replaced by "***".
// Slack's https://hooks.slack.com/services/T0/B0/SECRET prints as
// https://hooks.slack.com/services/T0/B0/***.
func Redact(rawURL string) string {
	u, err := neturl.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(an unparsable URL)"
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if len(s) >= 16 {
			segs[i] = "***"
		}
	}
	return u.Scheme + "://" + u.Host + strings.Join(segs, "/")
}
