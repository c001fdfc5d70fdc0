package cloudflare

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/providers/cloudflare/cftest"
)

// dkimRecordOf returns the DKIM TXT value of the key in a PEM file.
func dkimRecordOf(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := dkim.PublicKeyFromPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dkim.PublicKeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	return rec.String()
}

func TestFormatTXT(t *testing.T) {
	long := strings.Repeat("a", 255) + strings.Repeat("b", 255) + "c"
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", `""`},
		{"plain", "v=spf1 -all", `"v=spf1 -all"`},
		{"quote and backslash", `say "hi" \o/`, `"say \"hi\" \\o/"`},
		{"control and non-ASCII as DDD", "tab\there é", `"tab\009here \195\169"`},
		{"exactly 255 octets", strings.Repeat("x", 255), `"` + strings.Repeat("x", 255) + `"`},
		{"split at 255 octets", long, `"` + strings.Repeat("a", 255) + `" "` + strings.Repeat("b", 255) + `" "c"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := formatTXT(tc.text)
			if got != tc.want {
				t.Errorf("formatTXT = %s, want %s", got, tc.want)
			}
			if back := parseTXT(got); back != tc.text {
				t.Errorf("parseTXT(formatTXT(x)) = %q, want %q", back, tc.text)
			}
		})
	}
}

func TestParseTXT(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"one string", `"v=DMARC1; p=reject"`, "v=DMARC1; p=reject"},
		{"strings joined with nothing between", `"v=DKIM1; p=MIIB" "IjANBg"`, "v=DKIM1; p=MIIBIjANBg"},
		{"white space around and between", ` "a"   "b"	"c" `, "abc"},
		{"escapes", `"a\"b\\c\065\255"`, "a\"b\\cA\xff"},
		{"escaped digit beyond 255", `"\256"`, "256"},
		{"empty string", `""`, ""},
		{"unquoted legacy content", "v=spf1 include:_spf.example.net ~all", "v=spf1 include:_spf.example.net ~all"},
		{"unterminated: as written", `"abc`, `"abc`},
		{"text outside quotes: as written", `"a" b`, `"a" b`},
		{"dangling backslash: as written", `"a\`, `"a\`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseTXT(tc.content); got != tc.want {
				t.Errorf("parseTXT(%s) = %q, want %q", tc.content, got, tc.want)
			}
		})
	}
}

func TestTTL(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         time.Duration
		api        int
		comparable time.Duration
	}{
		{"unset is automatic", 0, 1, AutoTTL},
		{"sub-second is automatic", time.Millisecond, 1, AutoTTL},
		{"one second is the API's automatic", time.Second, 1, AutoTTL},
		{"300 seconds is written as asked and equals automatic", 300 * time.Second, 300, AutoTTL},
		{"an hour", time.Hour, 3600, time.Hour},
		{"fractions truncated", 90*time.Second + 500*time.Millisecond, 90, 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := apiTTL(tc.in); got != tc.api {
				t.Errorf("apiTTL = %d, want %d", got, tc.api)
			}
			if got := canonicalTTL(tc.in); got != tc.comparable {
				t.Errorf("canonicalTTL = %s, want %s", got, tc.comparable)
			}
		})
	}
}

// TestLibdnsRecord checks how API records read back, the quirks included.
func TestLibdnsRecord(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name string
		in   apiRecord
		want libdns.Record
	}{
		{"automatic TTL", apiRecord{Type: "A", Name: "www.example.com", Content: "192.0.2.1", TTL: 1},
			libdns.Address{Name: "www", TTL: AutoTTL, IP: netip.MustParseAddr("192.0.2.1")}},
		{"apex", apiRecord{Type: "TXT", Name: "example.com", Content: `"v=spf1" " -all"`, TTL: 3600},
			libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}},
		{"MX gets the dot back", apiRecord{Type: "MX", Name: "example.com", Content: "mx.example.net", Priority: f(10), TTL: 3600},
			libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mx.example.net."}},
		{"null MX", apiRecord{Type: "MX", Name: "example.com", Content: ".", Priority: f(0), TTL: 3600},
			libdns.MX{Name: "@", TTL: time.Hour, Target: "."}},
		{"CNAME", apiRecord{Type: "CNAME", Name: "s1._domainkey.example.com", Content: "s1.domainkey.u1.wl.sendgrid.net", TTL: 300, Proxied: false},
			libdns.CNAME{Name: "s1._domainkey", TTL: 300 * time.Second, Target: "s1.domainkey.u1.wl.sendgrid.net."}},
		{"SRV from data", apiRecord{Type: "SRV", Name: "_sip._tcp.example.com", Content: "20 5060 sip.example.com", TTL: 3600,
			Data: &apiData{Priority: f(10), Weight: f(20), Port: f(5060), Target: "sip.example.com"}},
			libdns.SRV{Service: "sip", Transport: "tcp", Name: "@", TTL: time.Hour, Priority: 10, Weight: 20, Port: 5060, Target: "sip.example.com."}},
		{"CAA from data", apiRecord{Type: "CAA", Name: "example.com", Content: `0 issue "ca.example.net"`, TTL: 3600,
			Data: &apiData{Flags: f(0), Tag: "issue", Value: "ca.example.net"}},
			libdns.CAA{Name: "@", TTL: time.Hour, Tag: "issue", Value: "ca.example.net"}},
		{"unknown type stays opaque", apiRecord{Type: "SSHFP", Name: "h.example.com", Content: "1 1 abcd", TTL: 3600},
			libdns.RR{Name: "h", TTL: time.Hour, Type: "SSHFP", Data: "1 1 abcd"}},
		{"unreadable A stays opaque", apiRecord{Type: "A", Name: "h.example.com", Content: "not-an-address", TTL: 3600},
			libdns.RR{Name: "h", TTL: time.Hour, Type: "A", Data: "not-an-address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.libdnsRecord("example.com.")
			if diff := cmp.Diff(tc.want, got, recordCmp); diff != "" {
				t.Errorf("libdnsRecord (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDKIMRoundTrip writes a 2048-bit DKIM key, whose 410-octet record
// needs two character-strings, and reads it back as one value: the API
// content holds two quoted strings, libdns one text.
func TestDKIMRoundTrip(t *testing.T) {
	ctx := context.Background()
	srv := newFake(t, "example.com")
	c := newClient(t, srv)
	key := dkimValue(t)
	if len(key) <= maxCharString {
		t.Fatalf("the test key's record has %d octets; it must need two strings", len(key))
	}
	in := libdns.TXT{Name: "s2026a._domainkey", TTL: time.Hour, Text: key}
	if _, err := c.SetRecords(ctx, "example.com.", []libdns.Record{in}); err != nil {
		t.Fatal(err)
	}
	stored := srv.Records("example.com")
	if len(stored) != 1 {
		t.Fatalf("zone holds %d records, want the one TXT record", len(stored))
	}
	if want := `"` + key[:255] + `" "` + key[255:] + `"`; stored[0].Content != want {
		t.Errorf("API content:\n%s\nwant two quoted strings:\n%s", stored[0].Content, want)
	}
	recs, err := newClient(t, srv).GetRecords(ctx, "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]libdns.Record{in}, recs, recordCmp); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	// Writing it again changes nothing.
	srv.ResetRequests()
	c2 := newClient(t, srv)
	if _, err := c2.GetRecords(ctx, "example.com."); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.SetRecords(ctx, "example.com.", []libdns.Record{in}); err != nil {
		t.Fatal(err)
	}
	if writes := writesOf(srv.Requests()); writes != 0 {
		t.Errorf("setting the same key again made %d writes, want 0", writes)
	}
}

// TestTXTSeededByHand reads TXT records written in the dashboard or by
// other tools, quoted or not, split or not.
func TestTXTSeededByHand(t *testing.T) {
	srv := newFake(t, "example.com")
	seed(t, srv, "example.com",
		cftest.Record{Name: "@", Type: "TXT", Content: "google-site-verification=unquoted", TTL: 1},
		cftest.Record{Name: "@", Type: "TXT", Content: `"v=spf1 ip4:192.0.2.0/24" " -all"`, TTL: 1},
		cftest.Record{Name: "_dmarc", Type: "TXT", Content: `"v=DMARC1; p=none"`, TTL: 1},
	)
	recs, err := newClient(t, srv).GetRecords(context.Background(), "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.RR().Name+" "+r.(libdns.TXT).Text)
	}
	want := []string{"@ google-site-verification=unquoted", "@ v=spf1 ip4:192.0.2.0/24 -all", "_dmarc v=DMARC1; p=none"}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
}

// writesOf counts the requests that change records.
func writesOf(counts map[string]int) int {
	n := 0
	for k, v := range counts {
		if !strings.HasPrefix(k, "GET ") {
			n += v
		}
	}
	return n
}
