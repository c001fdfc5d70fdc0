package resolve_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/resolve"
)

// Both implementations must satisfy the interface, and the small one the
// SPF analyzer declares for itself.
var (
	_ resolve.Resolver = (*resolve.Client)(nil)
	_ resolve.Resolver = (*resolve.Fake)(nil)
	_ spfResolver      = (*resolve.Client)(nil)
	_ spfResolver      = (*resolve.Fake)(nil)
)

type spfResolver interface {
	LookupTXT(ctx context.Context, name string) (txt []string, void bool, err error)
	LookupMX(ctx context.Context, name string) (hosts []string, void bool, err error)
	LookupIP(ctx context.Context, name string) (addrs []netip.Addr, void bool, err error)
}

var errBoom = errors.New("boom")

func newFake() *resolve.Fake {
	return &resolve.Fake{
		Records: map[string][]string{
			"example.com TXT":                {"v=spf1 mx include:_spf.example.net -all", "other"},
			"Example.COM. MX":                {"20 mx2.example.com.", "10 mx1.example.com"},
			"mx1.example.com A":              {"192.0.2.1"},
			"mx1.example.com AAAA":           {"2001:db8::1"},
			"mx2.example.com AAAA":           {"2001:db8::2"},
			"www.example.com CNAME":          {"alias.example.com."},
			"alias.example.com CNAME":        {"example.com."},
			"loop1.example.com CNAME":        {"loop2.example.com."},
			"loop2.example.com CNAME":        {"loop1.example.com."},
			"empty.example.com TXT":          {},
			"sel._domainkey.example.com TXT": {`"v=DKIM1; k=rsa; " "p=MIIB"`},
			"long.example.com TXT":           {strings.Repeat("a", 300)},
			"*.wild.example.com TXT":         {"wildcard"},
			"x.wild.example.com A":           {"192.0.2.7"},
			"null.example.com MX":            {"0 ."},
			"to-broken.example.com CNAME":    {"broken.example.com."},
			"broken.example.com TXT":         {"never seen"},
			"flaky.example.com A":            {"192.0.2.8"},
		},
		Fail: map[string]error{
			"broken.example.com":    resolve.ErrTemporary,
			"flaky.example.com TXT": errBoom,
		},
	}
}

func TestFakeLookup(t *testing.T) {
	f := newFake()
	ok, nx := dns.RcodeSuccess, dns.RcodeNameError
	tests := []struct {
		name  string
		qname string
		qtype uint16
		want  result
	}{
		{"TXT text as given", "example.com", dns.TypeTXT, result{Rcode: ok, AA: true,
			TXT: []string{"other", "v=spf1 mx include:_spf.example.net -all"}}},
		{"TXT quoted strings joined", "sel._domainkey.example.com", dns.TypeTXT, result{Rcode: ok, AA: true,
			TXT: []string{"v=DKIM1; k=rsa; p=MIIB"}}},
		{"TXT longer than 255 octets", "long.example.com", dns.TypeTXT, result{Rcode: ok, AA: true,
			TXT: []string{strings.Repeat("a", 300)}}},
		{"MX sorted, key case ignored", "EXAMPLE.com", dns.TypeMX, result{Rcode: ok, AA: true,
			MX: []resolve.MX{{10, "mx1.example.com"}, {20, "mx2.example.com"}}}},
		{"null MX", "null.example.com", dns.TypeMX, result{Rcode: ok, AA: true, MX: []resolve.MX{{0, "."}}}},
		{"NODATA at a name with other types", "mx2.example.com", dns.TypeA, result{Rcode: ok, Void: true, AA: true}},
		{"NODATA from an empty list", "empty.example.com", dns.TypeTXT, result{Rcode: ok, Void: true, AA: true}},
		{"empty non-terminal is NODATA", "_domainkey.example.com", dns.TypeTXT, result{Rcode: ok, Void: true, AA: true}},
		{"NXDOMAIN", "nope.example.com", dns.TypeTXT, result{Rcode: nx, Void: true, AA: true}},
		{"CNAME chain", "www.example.com", dns.TypeTXT, result{Rcode: ok, AA: true,
			CNAMEs: []string{"alias.example.com", "example.com"},
			TXT:    []string{"other", "v=spf1 mx include:_spf.example.net -all"}}},
		{"CNAME asked for", "www.example.com", dns.TypeCNAME, result{Rcode: ok, AA: true,
			Names: []string{"alias.example.com"}}},
		{"wildcard", "a.b.wild.example.com", dns.TypeTXT, result{Rcode: ok, AA: true, TXT: []string{"wildcard"}}},
		{"wildcard does not cover an existing name", "x.wild.example.com", dns.TypeTXT, result{Rcode: ok, Void: true, AA: true}},
		{"wildcard does not cover below an existing name", "y.x.wild.example.com", dns.TypeTXT, result{Rcode: nx, Void: true, AA: true}},
		{"Fail for one type only", "flaky.example.com", dns.TypeA, result{Rcode: ok, AA: true,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.8")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := f.Lookup(t.Context(), tt.qname, tt.qtype)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(a), cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, rr := range a.Records {
				if !strings.EqualFold(rr.Header().Name, tt.qname+".") && len(a.CNAMEs) == 0 {
					t.Errorf("record owned by %s, want %s", rr.Header().Name, tt.qname)
				}
			}
		})
	}
}

func TestFakeErrors(t *testing.T) {
	f := newFake()
	tests := []struct {
		name     string
		qname    string
		qtype    uint16
		wantErr  error
		wantText string
	}{
		{"Fail for every type", "broken.example.com", dns.TypeMX, resolve.ErrTemporary,
			"resolve: temporary failure: broken.example.com MX"},
		{"Fail along a CNAME chain", "to-broken.example.com", dns.TypeTXT, resolve.ErrTemporary,
			"resolve: temporary failure: to-broken.example.com TXT"},
		{"Fail with any error", "flaky.example.com", dns.TypeTXT, errBoom,
			"resolve: flaky.example.com TXT: boom"},
		{"CNAME loop", "loop1.example.com", dns.TypeA, resolve.ErrPermanent,
			"resolve: permanent failure: loop1.example.com A: CNAME loop"},
		{"bad name", "a..example.com", dns.TypeA, resolve.ErrPermanent,
			"resolve: permanent failure: a..example.com A: not a valid domain name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Lookup(t.Context(), tt.qname, tt.qtype)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err.Error() != tt.wantText {
				t.Errorf("err = %q, want %q", err, tt.wantText)
			}
		})
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.Lookup(ctx, "example.com", dns.TypeTXT); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want Canceled", err)
	}
}

func TestFakeHelpers(t *testing.T) {
	f := newFake()
	ctx := t.Context()
	if hosts, void, err := f.LookupMX(ctx, "example.com"); err != nil || void ||
		!cmp.Equal(hosts, []string{"mx1.example.com", "mx2.example.com"}) {
		t.Errorf("LookupMX = %q, %v, %v", hosts, void, err)
	}
	if addrs, void, err := f.LookupIP(ctx, "mx1.example.com"); err != nil || void || fmt.Sprint(addrs) != "[192.0.2.1 2001:db8::1]" {
		t.Errorf("LookupIP = %v, %v, %v", addrs, void, err)
	}
	if txt, void, err := f.LookupTXT(ctx, "nope.example.com"); err != nil || !void || txt != nil {
		t.Errorf("LookupTXT(nope) = %q, %v, %v", txt, void, err)
	}
	if _, _, err := f.LookupIP(ctx, "broken.example.com"); !resolve.IsTemporary(err) {
		t.Errorf("LookupIP(broken) err = %v, want temporary", err)
	}
}

func TestFakeCounts(t *testing.T) {
	f := newFake()
	ctx := t.Context()
	f.LookupTXT(ctx, "example.com")
	f.LookupTXT(ctx, "Example.Com.")
	f.LookupIP(ctx, "mx1.example.com")
	f.LookupTXT(ctx, "broken.example.com")
	if got := f.QueriesFor("example.com", dns.TypeTXT); got != 2 {
		t.Errorf("QueriesFor(example.com, TXT) = %d, want 2", got)
	}
	if got := f.QueriesFor("mx1.example.com.", dns.TypeAAAA); got != 1 {
		t.Errorf("QueriesFor(mx1.example.com., AAAA) = %d, want 1", got)
	}
	if got := f.Queries(); got != 5 {
		t.Errorf("Queries() = %d, want 5", got)
	}
	var zero resolve.Fake
	if a, err := zero.Lookup(ctx, "example.com", dns.TypeA); err != nil || a.Rcode != dns.RcodeNameError {
		t.Errorf("zero Fake: %v, %v; want NXDOMAIN", a, err)
	}
}

func TestFakeBadData(t *testing.T) {
	tests := []struct {
		name string
		fake *resolve.Fake
		want string
	}{
		{"no type", &resolve.Fake{Records: map[string][]string{"example.com": {"x"}}}, `key "example.com"`},
		{"unknown type", &resolve.Fake{Records: map[string][]string{"example.com TXTT": {"x"}}}, `unknown type "TXTT"`},
		{"bad value", &resolve.Fake{Records: map[string][]string{"example.com A": {"300.1.1.1"}}}, `value "300.1.1.1"`},
		{"CNAME and other data", &resolve.Fake{Records: map[string][]string{
			"example.com CNAME": {"x.example."}, "example.com TXT": {"x"}}}, "CNAME must be the only record"},
		{"bad Fail key", &resolve.Fake{Fail: map[string]error{"a b c": errBoom}}, `key "a b c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("panic %v, want one mentioning %s", r, tt.want)
				}
			}()
			tt.fake.Lookup(t.Context(), "example.com", dns.TypeA)
		})
	}
}

func ExampleFake() {
	f := &resolve.Fake{Records: map[string][]string{
		"example.com TXT":        {"v=spf1 mx -all"},
		"example.com MX":         {"10 mx.example.com."},
		"mx.example.com A":       {"192.0.2.1"},
		"mail.example.com CNAME": {"mx.example.com."},
	}}
	ctx := context.Background()
	txt, _, _ := f.LookupTXT(ctx, "example.com")
	hosts, _, _ := f.LookupMX(ctx, "example.com")
	addrs, _, _ := f.LookupIP(ctx, "mail.example.com")
	_, void, _ := f.LookupTXT(ctx, "mx.example.com")
	fmt.Println(txt, hosts, addrs, void)
	// Output: [v=spf1 mx -all] [mx.example.com] [192.0.2.1] true
}
