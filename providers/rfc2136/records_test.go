package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers"
)

func TestUnescapeTXT(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "v=spf1 -all", "v=spf1 -all"},
		{"quote", `say \"hi\"`, `say "hi"`},
		{"backslash", `a\\b`, `a\b`},
		{"decimal", `caf\195\169`, "café"},
		{"control", `a\009b`, "a\tb"},
		{"decimal over 255 is a plain escape", `\256`, "256"},
		{"short decimal", `\12`, "12"},
		{"trailing backslash", `a\`, `a\`},
		{"escaped letter", `\a`, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unescapeTXT(tt.in); got != tt.want {
				t.Errorf("unescapeTXT(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// miekgTXT is what the library reads for a TXT record holding the
// character-strings raw: miekg/dns's presentation form of each, joined.
func miekgTXT(t testing.TB, raw ...[]byte) string {
	t.Helper()
	var rdata []byte
	for _, r := range raw {
		rdata = append(append(rdata, byte(len(r))), r...)
	}
	h := dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Rdlength: uint16(len(rdata))}
	rr, _, err := dns.UnpackRRWithHeader(h, rdata, 0)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(rr.(*dns.TXT).Txt, "")
}

func TestUnescapeMatchesMiekg(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, raw := range [][][]byte{
		{[]byte(`"quoted" \ back`)},
		{all[:255]},
		{all[255:], all[:100]},
		{[]byte("café"), []byte(" ✓")},
	} {
		want := string(joinBytes(raw))
		if got := unescapeTXT(miekgTXT(t, raw...)); got != want {
			t.Errorf("round trip of %q gave %q", want, got)
		}
	}
}

func joinBytes(parts [][]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestCheckTXT(t *testing.T) {
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"spf", "v=spf1 ip4:192.0.2.1 -all", true},
		{"quotes and backslash", `a "b" \c`, true},
		{"utf8", "café ✓", true},
		{"long", strings.Repeat("p", 2000), true},
		{"empty", "", false},
		{"tab", "a\tb", false},
		{"newline", "a\nb", false},
		{"invalid utf8", "a\xffb", false},
		{"unicode line separator", "a\u2028b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkTXT(tt.text)
			if (err == nil) != tt.ok {
				t.Errorf("checkTXT(%q) = %v, want ok %v", tt.text, err, tt.ok)
			}
			if err != nil && !errors.Is(err, providers.ErrInvalidRecord) {
				t.Errorf("error %v is not ErrInvalidRecord", err)
			}
		})
	}
}

// show prints records as "name ttl type data" for readable diffs.
func show(recs []libdns.Record) []string {
	var out []string
	for _, r := range recs {
		rr := r.RR()
		out = append(out, fmt.Sprintf("%s %d %s %s", rr.Name, int(rr.TTL/time.Second), rr.Type, rr.Data))
	}
	return out
}

func TestFromLibrary(t *testing.T) {
	soa := libdns.RR{Name: "@", TTL: time.Hour, Type: "SOA", Data: "ns1.example.com. host.example.com. 7 3600 600 86400 300"}
	in := []libdns.Record{
		soa,
		libdns.NS{Name: "@", TTL: time.Hour, Target: "ns1.example.com."},
		libdns.TXT{Name: "@", TTL: time.Hour, Text: `say \"hi\" caf\195\169`},
		libdns.RR{Name: "@", TTL: time.Hour, Type: "RRSIG", Data: "SOA 13 2 3600 20300101000000 20200101000000 1 example.com. AAAA"},
		libdns.RR{Name: "@", TTL: time.Hour, Type: "TYPE65534", Data: `\# 5 0d10480001`},
		soa,
	}
	want := []string{
		"@ 3600 SOA ns1.example.com. host.example.com. 7 3600 600 86400 300",
		"@ 3600 NS ns1.example.com.",
		`@ 3600 TXT say "hi" café`,
		"@ 3600 RRSIG SOA 13 2 3600 20300101000000 20200101000000 1 example.com. AAAA",
		`@ 3600 TYPE65534 \# 5 0d10480001`,
	}
	if diff := cmp.Diff(want, show(fromLibrary(in))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name    string
		in      libdns.Record
		want    string
		wantErr error
	}{
		{"absolute name made relative", libdns.RR{Name: "WWW.example.com.", TTL: time.Minute, Type: "a", Data: "192.0.2.1"}, "WWW 60 A 192.0.2.1", nil},
		{"apex", libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mx.example.com."}, "@ 3600 MX 10 mx.example.com.", nil},
		{"srv keeps its service labels", libdns.SRV{Service: "sip", Transport: "tcp", Name: "@", TTL: time.Hour, Target: "sip.example.com.", Port: 5060}, "_sip._tcp 3600 SRV 0 0 5060 sip.example.com.", nil},
		{"unknown type in RFC 3597 form", libdns.RR{Name: "x", Type: "TYPE65280", Data: `\# 1 00`}, `x 0 TYPE65280 \# 1 00`, nil},
		{"outside the zone", libdns.RR{Name: "www.example.org.", Type: "A", Data: "192.0.2.1"}, "", providers.ErrOutsideZone},
		{"SOA", libdns.RR{Name: "@", Type: "SOA", Data: "a. b. 1 2 3 4 5"}, "", providers.ErrInvalidRecord},
		{"RRSIG", libdns.RR{Name: "@", Type: "RRSIG", Data: "x"}, "", providers.ErrInvalidRecord},
		{"unknown type", libdns.RR{Name: "@", Type: "FOO", Data: "x"}, "", providers.ErrInvalidRecord},
		{"negative TTL", libdns.RR{Name: "@", TTL: -time.Second, Type: "A", Data: "192.0.2.1"}, "", providers.ErrInvalidRecord},
		{"TTL over 2^31-1", libdns.RR{Name: "@", TTL: (1 << 31) * time.Second, Type: "A", Data: "192.0.2.1"}, "", providers.ErrInvalidRecord},
		{"no data", libdns.RR{Name: "@", Type: "A"}, "", providers.ErrInvalidRecord},
		{"newline in data", libdns.RR{Name: "@", Type: "A", Data: "192.0.2.1\nevil 60 IN A 192.0.2.66"}, "", providers.ErrInvalidRecord},
		{"unparsable data", libdns.RR{Name: "@", Type: "MX", Data: "ten mx."}, "", providers.ErrInvalidRecord},
		{"TXT with a tab", libdns.TXT{Name: "@", Text: "a\tb"}, "", providers.ErrInvalidRecord},
		{"name with a space", libdns.RR{Name: "a b", Type: "A", Data: "192.0.2.1"}, "", providers.ErrInvalidRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := prepare("example.com.", []libdns.Record{tt.in})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want}, show(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchDeletes(t *testing.T) {
	live := fromLibrary([]libdns.Record{
		libdns.RR{Name: "@", TTL: time.Hour, Type: "SOA", Data: "ns1.example.com. host.example.com. 7 3600 600 86400 300"},
		libdns.NS{Name: "@", TTL: time.Hour, Target: "ns1.example.com."},
		libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"},
		libdns.TXT{Name: "@", TTL: time.Hour, Text: "site-verification=1"},
		libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "MX.example.com."},
		libdns.RR{Name: "www", TTL: time.Minute, Type: "A", Data: "192.0.2.1"},
	})
	tests := []struct {
		name      string
		del       []libdns.Record
		want      []string
		wantWhole []setKey
	}{
		{"exact", []libdns.Record{libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}}, []string{"@ 3600 TXT v=spf1 -all"}, nil},
		{"wrong TTL", []libdns.Record{libdns.TXT{Name: "@", TTL: time.Minute, Text: "v=spf1 -all"}}, nil, nil},
		{"zero TTL matches any", []libdns.Record{libdns.TXT{Name: "@", Text: "v=spf1 -all"}}, []string{"@ 3600 TXT v=spf1 -all"}, nil},
		{"empty data matches the RRset", []libdns.Record{libdns.RR{Name: "@", Type: "TXT"}}, []string{"@ 3600 TXT v=spf1 -all", "@ 3600 TXT site-verification=1"}, []setKey{{"@", "TXT"}}},
		{"names compare without case", []libdns.Record{libdns.MX{Name: "@", Preference: 10, Target: "mx.EXAMPLE.com."}}, []string{"@ 3600 MX 10 MX.example.com."}, []setKey{{"@", "MX"}}},
		{"absolute name", []libdns.Record{libdns.RR{Name: "WWW.example.com.", Type: "A", Data: "192.0.2.1"}}, []string{"www 60 A 192.0.2.1"}, []setKey{{"www", "A"}}},
		{"any type spares SOA and apex NS", []libdns.Record{libdns.RR{Name: "@"}}, []string{"@ 3600 TXT v=spf1 -all", "@ 3600 TXT site-verification=1", "@ 3600 MX 10 MX.example.com."}, []setKey{{"@", "TXT"}, {"@", "MX"}}},
		{"apex NS when named", []libdns.Record{libdns.NS{Name: "@", Target: "ns1.example.com."}}, []string{"@ 3600 NS ns1.example.com."}, []setKey{{"@", "NS"}}},
		{"missing", []libdns.Record{libdns.RR{Name: "nothing", Type: "A"}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, whole, err := matchDeletes("example.com.", live, tt.del)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, show(got)); diff != "" {
				t.Errorf("matched (-want +got):\n%s", diff)
			}
			wantWhole := map[setKey]bool{}
			for _, k := range tt.wantWhole {
				wantWhole[k] = true
			}
			if diff := cmp.Diff(wantWhole, whole, cmp.AllowUnexported(setKey{})); diff != "" {
				t.Errorf("whole RRsets (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []libdns.Record{libdns.RR{Type: "A"}, libdns.RR{Name: "@", Type: "SOA"}, libdns.RR{Name: "x.example.org.", Type: "A"}} {
		if _, _, err := matchDeletes("example.com.", live, []libdns.Record{bad}); err == nil {
			t.Errorf("matchDeletes(%v) accepted", bad)
		}
	}
}

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name      string
		err       error
		rcode     int
		auth      bool
		temporary bool
	}{
		// The formats of github.com/libdns/rfc2136 v1.0.1 and miekg/dns.
		{"update REFUSED", errors.New(`dns response error code "REFUSED" (5)`), dns.RcodeRefused, false, false},
		{"update SERVFAIL with EDE", errors.New(`dns response error code "SERVFAIL" (2): Other (0): busy`), dns.RcodeServerFailure, false, true},
		{"transfer REFUSED", fmt.Errorf("zone transfer: %w", errors.New("dns: bad xfr rcode: 5")), dns.RcodeRefused, false, false},
		{"NOTAUTH", dns.ErrAuth, dns.RcodeNotAuth, true, false},
		{"NOTAUTH wrapped", fmt.Errorf("zone transfer: %w", dns.ErrAuth), dns.RcodeNotAuth, true, false},
		{"bad answer signature", dns.ErrSig, -1, true, false},
		{"deadline", context.DeadlineExceeded, -1, false, true},
		{"canceled", context.Canceled, -1, false, false},
		{"refused connection", fmt.Errorf("dial: %w", refused), -1, false, true},
		{"closed connection", io.EOF, -1, false, true},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "ns1.invalid", IsNotFound: true}, -1, false, false},
		{"resolver timeout", &net.DNSError{Err: "timeout", Name: "ns1.example", IsTimeout: true}, -1, false, true},
		{"other", errors.New("something else"), -1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			want := failure{rcode: tt.rcode, auth: tt.auth, temporary: tt.temporary}
			if got != want {
				t.Errorf("classify(%v) = %+v, want %+v", tt.err, got, want)
			}
		})
	}
}
