package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailconf/mailconf/verify/receiver"
)

// DefaultPoll is the interval between two looks for a verdict.
const DefaultPoll = 2 * time.Second

// Errors of the collectors.
var (
	ErrUnauthorized = errors.New("probe: the receiver refused the API token; check the token configured for the probe receiver")
	ErrNotFound     = errors.New("probe: no verdict arrived before the deadline")
	ErrReceiver     = errors.New("probe: unexpected answer from the probe receiver")
)

// ReceiverClient polls a mailconf probe receiver (receiver.Server.Handler)
// for the verdict of one probe: GET {BaseURL}/verdicts/{token} with a Bearer
// API token. It is safe for concurrent use.
type ReceiverClient struct {
	BaseURL  string // e.g. "https://probe.example.com"
	APIToken string
	HTTP     *http.Client                                     // nil means http.DefaultClient
	Poll     time.Duration                                    // zero means DefaultPoll
	Sleep    func(ctx context.Context, d time.Duration) error // nil waits on a timer or ctx
}

// Wait polls until the receiver has a verdict for token, or ctx ends. A 404
// means "not yet" and a 5xx or transport error is retried; 401 is permanent
// (ErrUnauthorized), as is any other status (ErrReceiver). When ctx ends the
// error wraps ErrNotFound, ctx.Err() and the last temporary error seen.
func (c *ReceiverClient) Wait(ctx context.Context, token string) (*receiver.Verdict, error) {
	u := strings.TrimSuffix(c.BaseURL, "/") + "/verdicts/" + url.PathEscape(token)
	var last error
	for {
		v, retry, err := c.get(ctx, u)
		if err == nil {
			return v, nil
		}
		if !retry {
			return nil, fmt.Errorf("%w (probe %s)", err, token)
		}
		last = err
		if err := sleep(ctx, c.Sleep, cmpOr(c.Poll, DefaultPoll)); err != nil {
			return nil, fmt.Errorf("%w (probe %s): %w", ErrNotFound, token, errors.Join(err, last))
		}
	}
}

// errPending is the "not yet" answer: 404.
var errPending = errors.New("probe: the receiver has no verdict yet")

func (c *ReceiverClient) get(ctx context.Context, u string) (v *receiver.Verdict, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrReceiver, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.APIToken)
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		v = new(receiver.Verdict)
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
			return nil, false, fmt.Errorf("%w: bad verdict JSON: %w", ErrReceiver, err)
		}
		return v, false, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, true, errPending
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, false, ErrUnauthorized
	case resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("%w: %s", ErrReceiver, resp.Status)
	default:
		return nil, false, fmt.Errorf("%w: %s", ErrReceiver, resp.Status)
	}
}

// sleep waits d with s, or on a timer that ctx cancels.
func sleep(ctx context.Context, s func(context.Context, time.Duration) error, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s != nil {
		return s(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
