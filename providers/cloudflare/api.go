package cloudflare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// baseURL is the API's address. It is not configurable: tests reach their
// fake through Options.HTTPClient, as they would with libdns/cloudflare,
// whose base URL is a constant too.
const baseURL = "https://api.cloudflare.com/client/v4"

// Page sizes, from the API documentation: GET /zones returns at most 50
// zones a page; GET /zones/{zone_id}/dns_records 100 records a page by
// default. The record listing is documented to accept far larger pages,
// but 100 is what every client uses and what the API is known to serve
// well; a mail zone rarely holds more.
const (
	zonesPerPage   = 50
	recordsPerPage = 100
)

// maxBody bounds what is read of one answer: a page of 100 records is a
// few tens of kilobytes, so anything near this is not an API answer.
const maxBody = 16 << 20

// envelope is the shape of every API answer.
type envelope struct {
	Success    bool            `json:"success"`
	Errors     []Message       `json:"errors"`
	Messages   []Message       `json:"messages"`
	Result     json.RawMessage `json:"result"`
	ResultInfo *resultInfo     `json:"result_info"`
}

// resultInfo describes one page of a list.
type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

// request is one API call.
type request struct {
	method string
	path   string // below baseURL, such as "/zones"
	query  url.Values
	body   any
	// token overrides the API token (the zone token for zone requests).
	token string
}

// idempotent reports whether sending the request twice does no more than
// sending it once, so that it may be retried after a failure that left
// unknown whether the server acted on it (a 5xx, a dropped connection). A
// 429 is retried whatever the method: the server did not act on it.
func (r request) idempotent() bool {
	switch r.method {
	case http.MethodGet, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// call sends req, retrying rate limits, server errors and transport
// failures with exponential backoff (honouring Retry-After) within the
// context deadline and Options.MaxAttempts, and decodes the result into
// out. It returns the page description of list answers.
func (c *Client) call(ctx context.Context, req request, out any) (*resultInfo, error) {
	for attempt := 1; ; attempt++ {
		env, err := c.once(ctx, req)
		if err == nil {
			if out != nil && len(env.Result) > 0 {
				if err := json.Unmarshal(env.Result, out); err != nil {
					return nil, &Error{Method: req.method, Path: req.path, Status: http.StatusOK, Attempts: attempt, Err: fmt.Errorf("decoding the result: %w", err)}
				}
			}
			return env.ResultInfo, nil
		}
		var apiErr *Error
		if !errors.As(err, &apiErr) {
			return nil, err
		}
		apiErr.Attempts = attempt
		retry := apiErr.Status == http.StatusTooManyRequests || (apiErr.Temporary() && req.idempotent())
		if !retry || attempt >= c.opts.MaxAttempts || ctx.Err() != nil {
			return nil, apiErr
		}
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = c.opts.Backoff << (attempt - 1)
		}
		if wait > c.opts.MaxRetryWait {
			// Cloudflare blocks an account that exceeded its rate limit
			// for up to five minutes: better to say so than to hang.
			return nil, apiErr
		}
		if deadline, ok := ctx.Deadline(); ok && c.opts.Now().Add(wait).After(deadline) {
			return nil, apiErr
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return nil, apiErr
		}
	}
}

// once sends req one time. Every failure is an *Error.
func (c *Client) once(ctx context.Context, req request) (*envelope, error) {
	fail := func(status int, err error) *Error {
		return &Error{Method: req.method, Path: req.path, Status: status, Err: err, zoneToken: req.token != ""}
	}
	u := baseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fail(0, err)
		}
		body = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, fail(0, err)
	}
	token := c.opts.APIToken
	if req.token != "" {
		token = req.token
	}
	hreq.Header.Set("Authorization", "Bearer "+token)
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "mailconf (+https://github.com/mailconf/mailconf)")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}

	// The concurrency bound holds for requests in flight, not for the
	// waits between retries.
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fail(0, ctx.Err())
	}
	resp, err := c.opts.HTTPClient.Do(hreq)
	if err != nil {
		<-c.sem
		// net/http's errors quote the URL, which holds no secret: the
		// token only travels in the Authorization header.
		return nil, fail(0, err)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	<-c.sem
	if err != nil {
		return nil, fail(0, fmt.Errorf("reading the answer: %w", err))
	}
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && jsonErr == nil && env.Success {
		return &env, nil
	}
	e := fail(resp.StatusCode, nil)
	e.Errors = env.Errors
	switch {
	case jsonErr != nil:
		e.Err = fmt.Errorf("the answer is not the API's JSON envelope (%s)", contentType(resp))
	case len(env.Errors) == 0 && resp.StatusCode < 300:
		e.Err = errors.New("the answer says success is false without saying why")
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.opts.Now())
	}
	return nil, e
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "no content type"
}

// retryAfter reads a Retry-After value: a number of seconds or an HTTP
// date (RFC 9110 section 10.2.3). It returns 0 when there is none.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// list reads every page of a list endpoint, page after page, until
// result_info says the last page was read (total_pages, or total_count
// when total_pages is missing). Without result_info, which the API always
// sends for lists, an empty or short page ends the list.
func list[T any](ctx context.Context, c *Client, req request, perPage int) ([]T, error) {
	var all []T
	for page := 1; ; page++ {
		q := url.Values{}
		for k, v := range req.query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(perPage))
		req.query = q
		var items []T
		info, err := c.call(ctx, req, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		switch {
		case len(items) == 0:
			return all, nil
		case info != nil && info.TotalPages > 0:
			if page >= info.TotalPages {
				return all, nil
			}
		case info != nil && info.TotalCount > 0:
			if len(all) >= info.TotalCount {
				return all, nil
			}
		case len(items) < perPage:
			return all, nil
		}
	}
}
