package plan_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/memory"
)

// TestReadLiveUnservable: a zone holding a record no DNS server could send
// fails to read, whatever the provider, with the provider, zone, record,
// size and limit in the error; plan and apply stop there.
func TestReadLiveUnservable(t *testing.T) {
	// 4,100 strings of 250 octets, as a provider's API would hand the
	// text back: joined.
	huge := strings.Repeat("a", 4100*250)
	mem := memory.New(map[string][]libdns.Record{
		"example.com.": {
			libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"},
			libdns.TXT{Name: "big", TTL: time.Hour, Text: huge},
		},
		"example.net.": {libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}},
	})
	desired := &plan.Desired{Domains: []*plan.DomainRecords{
		{Domain: "example.com", Provider: "provider.memory.m"},
		{Domain: "example.net", Provider: "provider.memory.m"},
	}}
	clients := map[string]providers.Client{"provider.memory.m": mem}
	_, err := plan.ReadLive(context.Background(), desired, clients, plan.ReadOptions{})
	if !errors.Is(err, plan.ErrUnservable) {
		t.Fatalf("ReadLive: err = %v, want ErrUnservable", err)
	}
	// 1,025,000 octets of text need at least 4,020 strings: 1,029,020
	// octets of data.
	for _, want := range []string{"provider.memory.m: reading zone example.com.", "big.example.com. TXT", "at least 1029020 octets", "65535", "RFC 1035 section 3.2.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "example.net") {
		t.Errorf("error %q blames the good zone too", err)
	}
}

func TestCheckServable(t *testing.T) {
	const zone = "example.com."
	txt := func(name string, n int) libdns.Record {
		return libdns.TXT{Name: name, TTL: time.Hour, Text: strings.Repeat("t", n)}
	}
	tests := []struct {
		name string
		recs []libdns.Record
		msg  string // empty: servable
	}{
		{"ordinary records", []libdns.Record{
			libdns.Address{Name: "@", TTL: time.Hour, IP: netip.MustParseAddr("192.0.2.1")},
			libdns.Address{Name: "@", TTL: time.Hour, IP: netip.MustParseAddr("2001:db8::1")},
			libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mx1.example.net."},
			libdns.MX{Name: "@", TTL: time.Hour, Target: "."},
			libdns.CNAME{Name: "www", TTL: time.Hour, Target: "example.com."},
			libdns.NS{Name: "@", TTL: time.Hour, Target: "ns1"},
			libdns.RR{Name: "@", TTL: time.Hour, Type: "CAA", Data: `0 issue "ca.example.net"`},
			libdns.RR{Name: "x", TTL: time.Hour, Type: "BOGUS", Data: "not understood"},
			txt("dkim._domainkey", 410),
		}, ""},
		// 60,000 octets of text are 60,236 octets of data at least: a
		// legal record, in a response of about 60,300 octets.
		{"60,000-octet TXT", []libdns.Record{txt("big", 60000)}, ""},
		// 65,230 octets of text need 256 strings: 65,486 octets of data,
		// within RDLENGTH, but 27 + 17 + 12 + 65,486 = 65,542 for the
		// response.
		{"TXT too large for a response", []libdns.Record{txt("big", 65230)},
			"big.example.com. TXT: its data is at least 65486 octets, and the smallest response carrying it would be 65542 octets, above the DNS message limit of 65535"},
		{"TXT over RDLENGTH", []libdns.Record{txt("big", 70000)},
			"big.example.com. TXT: its data is at least 70275 octets, above the limit of 65535 octets"},
		{"RRset too large for a response", []libdns.Record{txt("set", 40000), txt("set", 40000)},
			"set.example.com. TXT: its 2 records need a response of at least 80382 octets"},
		{"the same at two names", []libdns.Record{txt("one", 40000), txt("two", 40000)}, ""},
		{"opaque record of another type", []libdns.Record{
			libdns.RR{Name: "x", TTL: time.Hour, Type: "TYPE65280", Data: `\# 65500 ` + strings.Repeat("00", 65500)},
		}, "x.example.com. TYPE65280: its data is 65500 octets, and the smallest response carrying it would be 65554 octets"},
		{"label over 63 octets", []libdns.Record{txt(strings.Repeat("l", 64), 1)},
			"the owner name is not one the DNS can carry"},
		// 3 * 61 + 59 + 8 + 4 + 1 = 255 octets: the longest name.
		{"owner of 255 octets", []libdns.Record{txt(strings.Repeat(strings.Repeat("l", 60)+".", 3)+strings.Repeat("l", 58), 1)}, ""},
		{"owner of 256 octets", []libdns.Record{txt(strings.Repeat(strings.Repeat("l", 60)+".", 3)+strings.Repeat("l", 59), 1)},
			"the owner name is not one the DNS can carry"},
		{"MX exchange with a long label", []libdns.Record{
			libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: strings.Repeat("m", 64) + ".example.net."},
		}, "example.com. MX: the name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plan.CheckServable(zone, tt.recs)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("CheckServable: %v", err)
				}
				return
			}
			if !errors.Is(err, plan.ErrUnservable) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("CheckServable: err = %v, want ErrUnservable with %q", err, tt.msg)
			}
		})
	}
}
