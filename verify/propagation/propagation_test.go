package propagation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

const (
	newSPF = "v=spf1 mx include:_spf.sender.net -all"
	oldSPF = "v=spf1 mx -all"
)

// desired is what the plan asks of example.com.
func desired() *plan.Desired {
	return &plan.Desired{Domains: []*plan.DomainRecords{{
		Domain: "example.com",
		Sets: []*plan.RecordSet{
			{Name: "example.com", Type: plan.TypeMX, TTL: 300, Values: []string{"10 mx1.example.com.", "20 MX2.Example.com."}},
			{Name: "example.com", Type: plan.TypeTXT, TTL: 300, Prefix: "v=spf1", Values: []string{newSPF}},
			{Name: "_dmarc.example.com", Type: plan.TypeTXT, TTL: 300, Prefix: "v=DMARC1", Values: []string{"v=DMARC1; p=reject"}},
			{Name: "s1._domainkey.example.com", Type: plan.TypeCNAME, TTL: 300, Values: []string{"s1.dkim.sender.net."}},
		},
	}}}
}

// zoneText is example.com as a server serves it, with the given SPF record
// (written as quoted strings) and extra lines. The MX TTL differs from the
// plan's on purpose: TTLs are not compared.
func zoneText(spf string, extra ...string) string {
	return strings.Join(append([]string{
		"$ORIGIN example.com.",
		"@ IN SOA ns1.example.net. hostmaster.example.com. 1 3600 600 86400 300",
		"@ IN NS ns1.example.net.",
		"@ IN NS ns2.example.net.",
		"@ 3600 IN MX 10 MX1.example.com.",
		"@ IN MX 20 mx2.example.com.",
		`@ IN TXT "google-site-verification=abc123"`,
		"@ IN TXT " + spf,
		`_dmarc IN TXT "v=DMARC1; p=reject"`,
		"s1._domainkey IN CNAME S1.dkim.sender.net.",
	}, extra...), "\n") + "\n"
}

// current splits the new SPF record into two strings, as a provider may.
var current = zoneText(`"v=spf1 mx include:_spf.sender.net" " -all"`)

func stale() string { return zoneText(`"` + oldSPF + `"`) }

// client asks the in-process servers directly; a short timeout keeps the
// tests of unanswered queries fast, and three attempts keep a loaded
// machine (a 2-core CI runner) from losing an answer to it.
func client() *resolve.Client {
	return &resolve.Client{Servers: []string{"127.0.0.1:1"}, NoRecurse: true, Timeout: 200 * time.Millisecond, Attempts: 3}
}

// pair starts two authoritative servers for example.com.
func pair(t *testing.T, zone1, zone2 string) (*dnstest.Server, *dnstest.Server, Options) {
	t.Helper()
	s1, s2 := dnstest.NewServer(t, zone1), dnstest.NewServer(t, zone2)
	opts := Options{
		Exchange:    client().Exchange,
		Nameservers: map[string][]string{"example.com": {s1.Addr(), s2.Addr()}},
		Sleep: func(context.Context, time.Duration) error {
			t.Fatal("unexpected sleep")
			return nil
		},
	}
	return s1, s2, opts
}

func TestCheckBothCurrent(t *testing.T) {
	s1, s2, opts := pair(t, current, current)
	st, err := Check(context.Background(), desired(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := &Status{Done: true, Domains: []DomainResult{{
		Domain: "example.com", Zone: "example.com", Verified: true,
		Servers: []ServerState{{Server: s1.Addr(), Agrees: true}, {Server: s2.Addr(), Agrees: true}},
	}}}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(DomainResult{}, "Elapsed")); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	// The MX and SPF sets share the name but not the type: one query each
	// per server, and nothing else asked.
	for _, s := range []*dnstest.Server{s1, s2} {
		if n := s.Queries(); n != 4 {
			t.Errorf("%s got %d queries, want 4", s.Addr(), n)
		}
	}
}

func TestCheckCompares(t *testing.T) {
	for _, tc := range []struct {
		name string
		zone string
		want []Mismatch // of the second server; nil: verified
	}{
		{name: "current", zone: current},
		{
			name: "stale SPF",
			zone: stale(),
			want: []Mismatch{{Name: "example.com", Type: "TXT", Want: []string{newSPF}, Got: []string{oldSPF}}},
		},
		{
			name: "other TXT beside SPF are not owned",
			zone: zoneText(`"`+newSPF+`"`, `@ IN TXT "MS=ms12345"`, `_dmarc IN TXT "unrelated"`),
		},
		{
			name: "second SPF record is owned",
			zone: zoneText(`"`+newSPF+`"`, `@ IN TXT "v=spf1 -all"`),
			want: []Mismatch{{Name: "example.com", Type: "TXT", Want: []string{newSPF}, Got: []string{"v=spf1 -all", newSPF}}},
		},
		{
			name: "no SPF yet",
			zone: zoneText(`"v=spf10 is not spf"`),
			want: []Mismatch{{Name: "example.com", Type: "TXT", Want: []string{newSPF}}},
		},
		{
			name: "MX preference differs",
			zone: zoneText(`"`+newSPF+`"`, "@ IN MX 30 mx1.example.com."),
			want: []Mismatch{{Name: "example.com", Type: "MX",
				Want: []string{"10 mx1.example.com.", "20 mx2.example.com."},
				Got:  []string{"10 mx1.example.com.", "20 mx2.example.com.", "30 mx1.example.com."}}},
		},
		{
			name: "missing names",
			zone: strings.Join([]string{
				"$ORIGIN example.com.",
				"@ IN MX 10 mx1.example.com.",
				"@ IN MX 20 mx2.example.com.",
				`@ IN TXT "` + newSPF + `"`,
			}, "\n"),
			want: []Mismatch{
				{Name: "_dmarc.example.com", Type: "TXT", Want: []string{"v=DMARC1; p=reject"}},
				{Name: "s1._domainkey.example.com", Type: "CNAME", Want: []string{"s1.dkim.sender.net."}},
			},
		},
		{
			name: "CNAME target differs",
			zone: strings.Replace(current, "S1.dkim.sender.net.", "s1.dkim.old.net.", 1),
			want: []Mismatch{{Name: "s1._domainkey.example.com", Type: "CNAME", Want: []string{"s1.dkim.sender.net."}, Got: []string{"s1.dkim.old.net."}}},
		},
		{
			name: "alias where TXT is wanted",
			zone: strings.Replace(current, `_dmarc IN TXT "v=DMARC1; p=reject"`, "_dmarc IN CNAME dmarc.example.net.", 1),
			want: []Mismatch{{Name: "_dmarc.example.com", Type: "TXT", Want: []string{"v=DMARC1; p=reject"}, Got: []string{"CNAME dmarc.example.net."}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, s2, opts := pair(t, current, tc.zone)
			st, err := Check(context.Background(), desired(), nil, opts)
			d := st.Domains[0]
			if d.Verified != (tc.want == nil) || (err == nil) != (tc.want == nil) {
				t.Fatalf("verified %t, error %v; want verified %t", d.Verified, err, tc.want == nil)
			}
			if !d.Servers[0].Agrees {
				t.Errorf("first server: %+v", d.Servers[0])
			}
			if diff := cmp.Diff(tc.want, d.Servers[1].Lagging, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("lagging (-want +got):\n%s", diff)
			}
			if err != nil {
				if !errors.Is(err, ErrNotPropagated) || !strings.Contains(err.Error(), s2.Addr()) {
					t.Errorf("error %q does not wrap ErrNotPropagated or name %s", err, s2.Addr())
				}
			}
		})
	}
}

// clock is a fake clock whose Sleep advances it, optionally doing
// something at each sleep.
type clock struct {
	now    time.Time
	sleeps []time.Duration
	onWake func(n int)
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if c.onWake != nil {
		c.onWake(len(c.sleeps))
	}
	return ctx.Err()
}

func TestWaitRecovers(t *testing.T) {
	_, s2, opts := pair(t, current, stale())
	clk := newClock()
	clk.onWake = func(n int) {
		if n == 1 {
			if err := s2.SetZone(current); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts.Now, opts.Sleep = clk.Now, clk.Sleep
	var progress []Status
	opts.Progress = func(s Status) { progress = append(progress, s) }

	st, err := Wait(context.Background(), desired(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Done || !st.Verified() {
		t.Errorf("status %+v, want done and verified", st)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, clk.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if got := st.Domains[0].Elapsed; got != time.Second {
		t.Errorf("elapsed %s, want 1s", got)
	}
	if len(progress) != 2 || progress[0].Done || progress[0].Verified() || !progress[1].Done {
		t.Errorf("progress: %+v", progress)
	}
}

func TestWaitTimesOut(t *testing.T) {
	_, s2, opts := pair(t, current, stale())
	clk := newClock()
	opts.Now, opts.Sleep = clk.Now, clk.Sleep
	opts.Timeout = time.Minute
	var calls int
	opts.Progress = func(Status) { calls++ }

	st, err := Wait(context.Background(), desired(), nil, opts)
	if !errors.Is(err, ErrNotPropagated) {
		t.Fatalf("error %v, want ErrNotPropagated", err)
	}
	for _, want := range []string{s2.Addr(), `serves example.com TXT ["` + oldSPF + `"]`, `want ["` + newSPF + `"]`, "after 1m0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// 1+2+4+8+16 seconds, then the rest of the minute, then the last pass.
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 29 * time.Second}
	if diff := cmp.Diff(want, clk.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if !st.Done || st.Domains[0].Verified || st.Domains[0].Elapsed != time.Minute {
		t.Errorf("status %+v", st.Domains[0])
	}
	// The state never changed: the first pass and the final one.
	if calls != 2 {
		t.Errorf("progress called %d times, want 2", calls)
	}
}

func TestWaitCancelled(t *testing.T) {
	_, _, opts := pair(t, current, stale())
	ctx, cancel := context.WithCancel(context.Background())
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	_, err := Wait(ctx, desired(), nil, opts)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNotPropagated) {
		t.Errorf("error %v, want context.Canceled and ErrNotPropagated", err)
	}
}

func TestCheckUnansweredServer(t *testing.T) {
	_, s2, opts := pair(t, current, current)
	s2.Drop("example.com")
	st, err := Check(context.Background(), desired(), nil, opts)
	if !errors.Is(err, ErrNotPropagated) || !strings.Contains(err.Error(), s2.Addr()) {
		t.Fatalf("error %v, want ErrNotPropagated naming %s", err, s2.Addr())
	}
	s := st.Domains[0].Servers[1]
	if s.Agrees || !resolve.IsTemporary(s.Err) || len(s.Lagging) != 0 {
		t.Errorf("server state %+v, want a temporary error", s)
	}
	if !st.Domains[0].Servers[0].Agrees {
		t.Errorf("first server: %+v", st.Domains[0].Servers[0])
	}
}

func TestCheckRefusingServer(t *testing.T) {
	// The second server does not hold the zone at all.
	_, _, opts := pair(t, current, "$ORIGIN other.example.\n@ IN TXT x\n")
	st, err := Check(context.Background(), desired(), nil, opts)
	if !errors.Is(err, ErrNotPropagated) {
		t.Fatalf("error %v", err)
	}
	if s := st.Domains[0].Servers[1]; s.Agrees || !resolve.IsTemporary(s.Err) {
		t.Errorf("server state %+v, want REFUSED", s)
	}
}

// routed maps the addresses a Fake resolver gives to the in-process
// servers, and fails the test for any other address: no query may go
// anywhere but the zone's name servers.
func routed(t *testing.T, routes map[string]string) func(context.Context, string, string, uint16) (*resolve.Answer, error) {
	t.Helper()
	c := client()
	var mu sync.Mutex
	return func(ctx context.Context, server, name string, qtype uint16) (*resolve.Answer, error) {
		to, ok := routes[server]
		if !ok {
			mu.Lock()
			defer mu.Unlock()
			t.Errorf("query for %s %s sent to %s", name, dns.TypeToString[qtype], server)
			return nil, fmt.Errorf("unexpected server %s: %w", server, resolve.ErrPermanent)
		}
		return c.Exchange(ctx, to, name, qtype)
	}
}

func TestDiscovery(t *testing.T) {
	s1, s2 := dnstest.NewServer(t, current), dnstest.NewServer(t, stale())
	exchange := routed(t, map[string]string{
		"192.0.2.1:53":       s1.Addr(),
		"[2001:db8::1]:53":   s1.Addr(),
		"192.0.2.2:53":       s2.Addr(),
		"198.51.100.7:53":    s1.Addr(),
		"[2001:db8::7]:5353": s2.Addr(),
	})
	records := map[string][]string{
		"example.com NS":       {"ns1.example.net.", "NS2.example.net."},
		"ns1.example.net A":    {"192.0.2.1"},
		"ns1.example.net AAAA": {"2001:db8::1"},
		"ns2.example.net A":    {"192.0.2.2"},
		"hidden.example.net A": {"198.51.100.7"},
	}
	for _, tc := range []struct {
		name        string
		records     map[string][]string
		nameservers map[string][]string
		zones       map[string]string
		want        []ServerState // Agrees and Err left out
		wantErr     error         // of the domain
	}{
		{
			name:    "NS records",
			records: records,
			want: []ServerState{
				{Server: "192.0.2.1:53", NS: "ns1.example.net"},
				{Server: "[2001:db8::1]:53", NS: "ns1.example.net"},
				{Server: "192.0.2.2:53", NS: "ns2.example.net", Lagging: []Mismatch{{Name: "example.com", Type: "TXT", Want: []string{newSPF}, Got: []string{oldSPF}}}},
			},
		},
		{
			name:    "NS of the zone the caller names",
			records: map[string][]string{"com NS": {"ns1.example.net."}, "ns1.example.net A": {"192.0.2.1"}},
			zones:   map[string]string{"example.com": "com."},
			want:    []ServerState{{Server: "192.0.2.1:53", NS: "ns1.example.net"}},
		},
		{
			name:    "name server without address",
			records: map[string][]string{"example.com NS": {"ns1.example.net.", "ns3.example.net."}, "ns1.example.net A": {"192.0.2.1"}},
			want: []ServerState{
				{Server: "192.0.2.1:53", NS: "ns1.example.net"},
				{Server: "ns3.example.net", NS: "ns3.example.net", Err: ErrNoAddress},
			},
		},
		{
			name:    "no NS records",
			records: map[string][]string{"example.com MX": {"10 mx1.example.com."}},
			wantErr: ErrNoNameservers,
		},
		{
			name:        "configured servers win over NS records",
			records:     records,
			nameservers: map[string][]string{"example.com": {"hidden.example.net.", "[2001:db8::7]:5353"}},
			want: []ServerState{
				{Server: "198.51.100.7:53", NS: "hidden.example.net"},
				{Server: "[2001:db8::7]:5353", Lagging: []Mismatch{{Name: "example.com", Type: "TXT", Want: []string{newSPF}, Got: []string{oldSPF}}}},
			},
		},
		{
			name:        "configured by zone",
			records:     records,
			zones:       map[string]string{"example.com": "Zone.Example."},
			nameservers: map[string][]string{"zone.example": {"192.0.2.1"}},
			want:        []ServerState{{Server: "192.0.2.1:53"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &resolve.Fake{Records: tc.records}
			opts := Options{Resolver: fake, Exchange: exchange, Nameservers: tc.nameservers}
			st, err := Check(context.Background(), desired(), tc.zones, opts)
			d := st.Domains[0]
			if tc.wantErr != nil {
				if !errors.Is(d.Err, tc.wantErr) || !errors.Is(err, ErrNotPropagated) {
					t.Fatalf("domain error %v, error %v; want %v", d.Err, err, tc.wantErr)
				}
				return
			}
			for i := range d.Servers {
				s := &d.Servers[i]
				if s.Agrees != (s.Err == nil && len(s.Lagging) == 0) {
					t.Errorf("%s: Agrees %t with %+v", s.Server, s.Agrees, s)
				}
				s.Agrees = false
			}
			if diff := cmp.Diff(tc.want, d.Servers, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("servers (-want +got):\n%s", diff)
			}
			if tc.nameservers != nil && fake.QueriesFor("example.com", dns.TypeNS) != 0 {
				t.Error("asked for NS records although servers were configured")
			}
		})
	}
}

func TestQueriesShared(t *testing.T) {
	s1, s2, opts := pair(t, current, current)
	// Two domains wanting the same record set (as two domains' report
	// authorizations can) ask each server once for it.
	d := desired()
	other := &plan.DomainRecords{Domain: "example.org", Zone: "example.com", Sets: d.Domains[0].Sets[1:2]}
	d.Domains = append(d.Domains, other)
	opts.Nameservers = map[string][]string{"example.com": {s1.Addr(), s2.Addr()}}
	st, err := Check(context.Background(), d, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Domains) != 2 || !st.Domains[1].Verified {
		t.Fatalf("status %+v", st)
	}
	for _, s := range []*dnstest.Server{s1, s2} {
		if n := s.QueriesFor("example.com", dns.TypeTXT); n != 1 {
			t.Errorf("%s asked %d times for example.com TXT, want 1", s.Addr(), n)
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := Check(context.Background(), desired(), nil, Options{}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("no Exchange: %v", err)
	}
	if _, err := Wait(context.Background(), nil, nil, Options{Exchange: client().Exchange}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("no desired: %v", err)
	}
	st, err := Check(context.Background(), desired(), nil, Options{Exchange: client().Exchange})
	if !errors.Is(err, ErrNotPropagated) || !errors.Is(st.Domains[0].Err, ErrNoNameservers) {
		t.Errorf("no resolver: %v, %v", err, st.Domains[0].Err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	var got []time.Duration
	for i := range 8 {
		got = append(got, defaultBackoff(i))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

func TestConfiguredHostWithoutResolver(t *testing.T) {
	opts := Options{Exchange: client().Exchange, Nameservers: map[string][]string{"example.com": {"ns1.example.net"}}}
	st, err := Check(context.Background(), desired(), nil, opts)
	if !errors.Is(err, ErrNotPropagated) || !errors.Is(st.Domains[0].Servers[0].Err, ErrNoAddress) {
		t.Errorf("error %v, server %+v", err, st.Domains[0].Servers)
	}
}
