package probe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/verify/receiver"
)

// fakeReceiver emulates receiver.Server.Handler: 404 for the first
// notReady requests, then the verdict; 401 without the right bearer token.
func fakeReceiver(t *testing.T, notReady int32, v *receiver.Verdict) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verdicts/{token}", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer api-secret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.PathValue("token") != "t0k" || n <= notReady {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &calls
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestReceiverClientWait(t *testing.T) {
	want := &receiver.Verdict{
		SPF:         receiver.SPFResult{Result: "pass", Domain: "example.com"},
		DKIM:        []receiver.DKIMResult{{Domain: "example.com", Selector: "ed", Result: "pass"}},
		DMARC:       receiver.DMARCResult{Result: "pass", Policy: "reject", FromDomain: "example.com", OrgDomain: "example.com"},
		AuthResults: "probe.test; spf=pass",
	}
	srv, calls := fakeReceiver(t, 2, want)
	c := &ReceiverClient{BaseURL: srv.URL + "/", APIToken: "api-secret", HTTP: srv.Client(), Sleep: noSleep}
	got, err := c.Wait(context.Background(), "t0k")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("verdict (-want +got):\n%s", d)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (two 404s, then 200)", n)
	}
}

func TestReceiverClientErrors(t *testing.T) {
	srv, calls := fakeReceiver(t, 0, &receiver.Verdict{})
	t.Run("wrong API token is permanent", func(t *testing.T) {
		calls.Store(0)
		c := &ReceiverClient{BaseURL: srv.URL, APIToken: "wrong", HTTP: srv.Client(), Sleep: noSleep}
		if _, err := c.Wait(context.Background(), "t0k"); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("err = %v, want ErrUnauthorized", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("never arrives", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		polls := 0
		sleep := func(ctx context.Context, d time.Duration) error {
			if d != DefaultPoll {
				t.Errorf("poll interval %v, want %v", d, DefaultPoll)
			}
			if polls++; polls == 3 {
				cancel()
			}
			return ctx.Err()
		}
		c := &ReceiverClient{BaseURL: srv.URL, APIToken: "api-secret", HTTP: srv.Client(), Sleep: sleep}
		_, err := c.Wait(ctx, "other")
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want ErrNotFound and context.Canceled", err)
		}
	})
}

// TestReceiverClientRealHandler reads from mailconf's own receiver: an
// unknown token times out, and the wrong API token is refused.
func TestReceiverClientRealHandler(t *testing.T) {
	srv := httptest.NewServer((&receiver.Server{APIToken: "api-secret"}).Handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c := &ReceiverClient{BaseURL: srv.URL, APIToken: "api-secret", HTTP: srv.Client(), Poll: 10 * time.Millisecond}
	if _, err := c.Wait(ctx, "unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	c.APIToken = "wrong"
	if _, err := c.Wait(context.Background(), "unknown"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("err = %v, want ErrUnauthorized", err)
	}
}
