package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hook is a webhook receiver on 127.0.0.1 that answers with the given
// statuses in turn (the last one repeated) and keeps what it got.
type hook struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	header   http.Header // answer headers
	bodies   []string
	types    []string
}

func newHook(t *testing.T, statuses ...int) *hook {
	t.Helper()
	h := &hook{statuses: statuses, header: http.Header{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.types = append(h.types, r.Header.Get("Content-Type"))
		status := h.statuses[0]
		if len(h.statuses) > 1 {
			h.statuses = h.statuses[1:]
		}
		for k, v := range h.header {
			w.Header()[k] = v
		}
		h.mu.Unlock()
		w.WriteHeader(status)
		if status != http.StatusOK {
			io.WriteString(w, "invalid_token\nsecond line")
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

// sleeps records the pauses instead of taking them.
type sleeps struct{ got []time.Duration }

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.got = append(s.got, d)
	return nil
}

func TestPost(t *testing.T) {
	for _, tc := range []struct {
		name       string
		statuses   []int
		retryAfter string
		wantErr    bool
		wantStatus int
		wantTries  int
		wantSleeps []time.Duration
	}{
		{name: "first attempt", statuses: []int{200}, wantTries: 1},
		{name: "204 is success", statuses: []int{204}, wantTries: 1},
		{name: "500 then success", statuses: []int{500, 200}, wantTries: 2, wantSleeps: []time.Duration{time.Second}},
		{name: "502 503 then success", statuses: []int{502, 503, 200}, wantTries: 3, wantSleeps: []time.Duration{time.Second, 2 * time.Second}},
		{name: "500 every time", statuses: []int{500}, wantErr: true, wantStatus: 500, wantTries: 3, wantSleeps: []time.Duration{time.Second, 2 * time.Second}},
		{name: "429 with Retry-After", statuses: []int{429, 200}, retryAfter: "7", wantTries: 2, wantSleeps: []time.Duration{7 * time.Second}},
		{name: "Retry-After capped", statuses: []int{429, 200}, retryAfter: "86400", wantTries: 2, wantSleeps: []time.Duration{MaxRetryAfter}},
		{name: "404 is not retried", statuses: []int{404}, wantErr: true, wantStatus: 404, wantTries: 1},
		{name: "400 is not retried", statuses: []int{400, 200}, wantErr: true, wantStatus: 400, wantTries: 1},
		{name: "401 is not retried", statuses: []int{401}, wantErr: true, wantStatus: 401, wantTries: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHook(t, tc.statuses...)
			if tc.retryAfter != "" {
				h.header.Set("Retry-After", tc.retryAfter)
			}
			s := &sleeps{}
			w := &Webhook{URL: h.srv.URL + "/hook", Client: h.srv.Client(), Sleep: s.sleep}
			err := w.Post(context.Background(), "application/json", []byte(`{"a":1}`))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if got := h.count(); got != tc.wantTries {
				t.Errorf("%d requests, want %d", got, tc.wantTries)
			}
			if diff := cmp.Diff(tc.wantSleeps, s.got); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			for i, b := range h.bodies {
				if b != `{"a":1}` || h.types[i] != "application/json" {
					t.Errorf("request %d: %q of type %q", i, b, h.types[i])
				}
			}
			if !tc.wantErr {
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrNotDelivered) {
				t.Fatalf("error %T %v is not an *Error matching ErrNotDelivered", err, err)
			}
			if e.StatusCode != tc.wantStatus || e.Attempts != tc.wantTries {
				t.Errorf("status %d after %d attempts, want %d after %d", e.StatusCode, e.Attempts, tc.wantStatus, tc.wantTries)
			}
			if !strings.Contains(err.Error(), "invalid_token") || strings.Contains(err.Error(), "second line") {
				t.Errorf("reason should quote the first line of the answer: %v", err)
			}
		})
	}
}

// TestPostNetworkError: a server that is not there is retried, and the
// error says so without the URL's credentials.
func TestPostNetworkError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &sleeps{}
	url := "http://user:hunter2hunter2@" + addr + "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?token=s3cr3t"
	w := &Webhook{URL: url, Client: &http.Client{}, Sleep: s.sleep}
	err = w.Post(context.Background(), "application/json", []byte("{}"))
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 3 || e.StatusCode != 0 || !e.Retryable {
		t.Fatalf("got %#v, want 3 attempts without a status", err)
	}
	msg := err.Error()
	for _, secret := range []string{"hunter2", "s3cr3t", "XXXXXXXX", "user"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error leaks %q: %s", secret, msg)
		}
	}
	if !strings.Contains(msg, "http://"+addr+"/services/T000/B000/***") {
		t.Errorf("error does not name the redacted URL: %s", msg)
	}
}

// TestPostTimeout: an attempt that gets no answer within Timeout fails and
// is retried.
func TestPostTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := &sleeps{}
	w := &Webhook{URL: srv.URL, Client: srv.Client(), Sleep: s.sleep, Timeout: 50 * time.Millisecond, Attempts: 2}
	err := w.Post(context.Background(), "application/json", []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") || !strings.Contains(err.Error(), "2 attempts") {
		t.Fatalf("err = %v", err)
	}
}

// TestPostContextEnds: a cancelled sleep stops the retries.
func TestPostContextEnds(t *testing.T) {
	h := newHook(t, 500)
	w := &Webhook{URL: h.srv.URL, Client: h.srv.Client(), Sleep: func(context.Context, time.Duration) error { return context.Canceled }}
	err := w.Post(context.Background(), "application/json", []byte("{}"))
	if err == nil || h.count() != 1 || !strings.Contains(err.Error(), "stopped before attempt 2") {
		t.Fatalf("err = %v after %d requests", err, h.count())
	}
}

func TestPostBadURL(t *testing.T) {
	for _, url := range []string{"", "ftp://example.net/x", "hooks.example.net/x", "http://"} {
		w := &Webhook{URL: url, Client: &http.Client{}}
		if err := w.Post(context.Background(), "application/json", nil); !errors.Is(err, ErrNotDelivered) {
			t.Errorf("%q: err = %v", url, err)
		}
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w := &Webhook{Now: func() time.Time { return now }}
	for v, want := range map[string]time.Duration{
		"Sun, 01 Mar 2026 12:00:30 GMT": 30 * time.Second,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0,
		"-3":                            0,
		"soon":                          0,
		"":                              0,
	} {
		if got := w.retryAfter(v); got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX": "https://hooks.slack.com/services/T0000/B0000/***",
		"https://user:pass@hooks.example.net/mailconf?token=abc#frag":           "https://hooks.example.net/mailconf",
		"http://127.0.0.1:8080/hook":                                            "http://127.0.0.1:8080/hook",
		"not a url":                                                             "(an unparsable URL)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSlackFit(t *testing.T) {
	m := SlackMessage{Text: "x"}
	for range 60 {
		m.Blocks = append(m.Blocks, Section("a <b> & c"))
	}
	m.Fit("Run mailconf drift.")
	if len(m.Blocks) != slackMaxBlocks {
		t.Fatalf("%d blocks", len(m.Blocks))
	}
	b, err := json.Marshal(m.Blocks[len(m.Blocks)-1])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"context","elements":[{"type":"mrkdwn","text":"11 more blocks left out. Run mailconf drift."}]}`; string(b) != want {
		t.Errorf("last block %s, want %s", b, want)
	}
	if got := SlackEscape("a <b> & c"); got != "a &lt;b&gt; &amp; c" {
		t.Errorf("SlackEscape: %q", got)
	}
	long := Section(strings.Repeat("é", 4000))
	if n := len([]rune(long.Text.Text)); n != slackMaxSectionText {
		t.Errorf("section of %d characters", n)
	}
}
