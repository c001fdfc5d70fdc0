package receiver

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/resolve"
)

// fakeClock is an injectable clock for retention tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const apiToken = "s3cret-api-token"

func get(t *testing.T, h http.Handler, path, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestServerLoopback sends a signed probe over SMTP from 127.0.0.2, whose
// address only the SPF record of example.com authorizes, and reads the
// verdict back through the HTTP API.
func TestServerLoopback(t *testing.T) {
	k := newKeys(t)
	dnsData := &resolve.Fake{Records: map[string][]string{
		"example.com TXT":               {"v=spf1 ip4:127.0.0.2 -all"},
		"_dmarc.example.com TXT":        {"v=DMARC1; p=reject"},
		"s1._domainkey.example.com TXT": {dkimRecord(k.good)},
	}}
	clock := &fakeClock{t: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)}
	s := &Server{Resolver: dnsData, APIToken: apiToken, Hostname: "probe.mailconf.test", Now: clock.Now}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	// Serve sets up the SMTP server asynchronously; Close must see it.
	for range 100 {
		s.mu.Lock()
		ready := s.smtp != nil
		s.mu.Unlock()
		if ready {
			break
		}
		time.Sleep(time.Millisecond)
	}

	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("dialing from 127.0.0.2: %v", err)
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("mta.example.com"); err != nil {
		t.Fatal(err)
	}
	msg := message(t, "news@example.com", sig{"example.com", "s1", k.good})
	msg = append([]byte(ProbeHeader+": probe-42\r\n"), msg...)
	if err := c.SendMail("bounce@example.com", []string{"anyone@elsewhere.test"}, strings.NewReader(string(msg))); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	// The same connection carries a second probe identified by its
	// Message-ID only (local part "tok123").
	if err := c.SendMail("bounce@example.com", []string{"anyone@elsewhere.test"}, strings.NewReader(string(message(t, "news@example.com")))); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}

	h := s.Handler()
	code, body := get(t, h, "/verdicts/probe-42", "Bearer "+apiToken)
	if code != http.StatusOK {
		t.Fatalf("GET = %d %s", code, body)
	}
	var v Verdict
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	got := summarize(&v)
	want := summary{SPF: "pass", SPFDomain: "example.com", DKIM: []string{"example.com/s1=pass"}, DMARC: "pass", Policy: "reject", Org: "example.com", SPFAligned: true, DKIMAligned: true}
	if got.SPF != want.SPF || got.DMARC != want.DMARC || len(got.DKIM) != 1 || got.DKIM[0] != want.DKIM[0] || !got.SPFAligned {
		t.Errorf("verdict = %+v, want %+v", got, want)
	}
	if !strings.HasPrefix(v.AuthResults, "probe.mailconf.test; ") {
		t.Errorf("AuthResults = %q", v.AuthResults)
	}
	if code, body := get(t, h, "/verdicts/tok123", "Bearer "+apiToken); code != http.StatusOK || !strings.Contains(body, `"result":"pass"`) {
		t.Errorf("Message-ID token: GET = %d %s", code, body)
	}

	for _, tc := range []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/verdicts/probe-42", "", http.StatusUnauthorized},
		{"wrong token", "/verdicts/probe-42", "Bearer nope", http.StatusUnauthorized},
		{"not bearer", "/verdicts/probe-42", "Basic " + apiToken, http.StatusUnauthorized},
		{"unknown probe", "/verdicts/nothing", "Bearer " + apiToken, http.StatusNotFound},
		{"unknown probe without auth", "/verdicts/nothing", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := get(t, h, tc.path, tc.auth); code != tc.want {
				t.Errorf("GET %s = %d %s, want %d", tc.path, code, body, tc.want)
			}
		})
	}

	clock.Advance(DefaultTTL)
	if code, _ := get(t, h, "/verdicts/probe-42", "Bearer "+apiToken); code != http.StatusNotFound {
		t.Errorf("after the TTL: GET = %d, want 404", code)
	}
}

func TestRetention(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)}
	s := &Server{APIToken: apiToken, MaxEntries: 2, TTL: time.Hour, Now: clock.Now}
	s.store("a", &Verdict{})
	clock.Advance(10 * time.Minute)
	s.store("b", &Verdict{})
	s.store("c", &Verdict{}) // evicts a, the oldest, beyond MaxEntries
	if _, ok := s.Verdict("a"); ok {
		t.Error("a kept beyond MaxEntries")
	}
	for _, tok := range []string{"b", "c"} {
		if _, ok := s.Verdict(tok); !ok {
			t.Errorf("%s missing", tok)
		}
	}
	clock.Advance(40 * time.Minute)
	s.store("b", &Verdict{AuthResults: "again"}) // storing again refreshes b
	clock.Advance(25 * time.Minute)
	if _, ok := s.Verdict("c"); ok {
		t.Error("c kept beyond its TTL")
	}
	if v, ok := s.Verdict("b"); !ok || v.AuthResults != "again" {
		t.Errorf("b = %v, %v; want the second verdict", v, ok)
	}
	s.store("d", &Verdict{}) // prunes the expired c
	s.mu.Lock()
	n := len(s.entries)
	s.mu.Unlock()
	if n != 2 {
		t.Errorf("%d entries kept, want 2", n)
	}
	if code, _ := get(t, s.Handler(), "/verdicts/c", "Bearer "+apiToken); code != http.StatusNotFound {
		t.Errorf("expired verdict: GET = %d, want 404", code)
	}
}

func TestEmptyAPITokenRefusesAll(t *testing.T) {
	s := &Server{}
	s.store("x", &Verdict{})
	if code, _ := get(t, s.Handler(), "/verdicts/x", "Bearer "); code != http.StatusUnauthorized {
		t.Errorf("GET = %d, want 401", code)
	}
}

func TestProbeToken(t *testing.T) {
	tests := []struct {
		name, msg, want string
		err             error
	}{
		{"header wins", "X-Mailconf-Probe: abc\r\nMessage-ID: <def@x.test>\r\n\r\n", "abc", nil},
		{"Message-ID local part", "Message-ID: <def@x.test>\r\n\r\n", "def", nil},
		{"neither", "Subject: hi\r\n\r\n", "", ErrNoToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := probeToken([]byte(tt.msg))
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("probeToken = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestOnReceive: the hook hears of every message, with its own envelope,
// the decoded subject and the verdict; a message without a token too.
func TestOnReceive(t *testing.T) {
	k := newKeys(t)
	dnsData := &resolve.Fake{Records: map[string][]string{
		"example.com TXT":               {"v=spf1 ip4:127.0.0.1 -all"},
		"_dmarc.example.com TXT":        {"v=DMARC1; p=reject"},
		"s1._domainkey.example.com TXT": {dkimRecord(k.good)},
	}}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var got []Received
	s := &Server{Resolver: dnsData, Now: func() time.Time { return at }, OnReceive: func(r Received) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer l.Close()
	defer s.Close()

	c, err := smtp.Dial(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	probe := append([]byte(ProbeHeader+": probe-7\r\n"), message(t, "news@example.com", sig{"example.com", "s1", k.good})...)
	if err := c.SendMail("bounce@example.com", []string{"a@elsewhere.test", "b@elsewhere.test"}, strings.NewReader(string(probe))); err != nil {
		t.Fatal(err)
	}
	plain := "From: someone@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nhi\r\n"
	if err := c.SendMail("someone@example.com", []string{"c@elsewhere.test"}, strings.NewReader(plain)); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("OnReceive called %d times, want 2: %+v", len(got), got)
	}
	type brief struct {
		Token, MailFrom, Subject, SPF, DMARC string
		RcptTo                               []string
		Time                                 time.Time
	}
	var briefs []brief
	for _, r := range got {
		briefs = append(briefs, brief{r.Token, r.MailFrom, r.Subject, r.Verdict.SPF.Result, r.Verdict.DMARC.Result, r.RcptTo, r.Time})
	}
	want := []brief{
		{"probe-7", "bounce@example.com", "mailconf probe", "pass", "pass", []string{"a@elsewhere.test", "b@elsewhere.test"}, at},
		{"", "someone@example.com", "café", "pass", "pass", []string{"c@elsewhere.test"}, at},
	}
	if diff := cmp.Diff(want, briefs); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	if v, ok := s.Verdict("probe-7"); !ok || v != got[0].Verdict {
		t.Errorf("Verdict(probe-7) = %v, %v; want the verdict the hook saw", v, ok)
	}
}
