package zonefile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// FuzzParse feeds arbitrary master files to the parser. Whatever parses
// must render to a file that parses to the same records and renders to the
// same bytes again, and every record must survive the trip through its
// libdns form, which is what a DeleteRecords of a GetRecords result needs.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "example.com.zone"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(minimalZone))
	for _, s := range []string{
		"@ 60 IN TXT \"a\\\"b\" \"\\255\\000\" \"\"\n",
		"$TTL 1h30m\n@ IN A 192.0.2.1\nsub IN AAAA ::ffff:192.0.2.1\n",
		"x 60 IN HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1 ech=AEX+DQBBpQAgACBX\n",
		"_dns.x 60 IN SVCB 1 svc.example.net. alpn=dot port=853\n",
		"c 60 IN CAA 0 issue \"ca.example.net; account=\\\"1\\\"\"\n",
		"$ORIGIN sub.example.com.\nwww 60 IN CNAME other\n",
		"a\\032b 60 IN TXT x\n",
		"t 60 IN TYPE65280 \\# 3 010203\n",
		"s 60 IN SRV 0 0 0 .\n",
		"d 60 IN DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118\n",
		"$GENERATE 1-3 h$ 60 IN A 192.0.2.$\n", // refused
		"@ 60 IN MX 0 .\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := parseZone(data, zone, "fuzz.zone")
		if err != nil {
			return
		}
		out := render(z)
		z2, err := parseZone(out, zone, "rendered.zone")
		if err != nil {
			t.Fatalf("rendered zone does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(strs(z.records), strs(z2.records)); diff != "" {
			t.Fatalf("records changed through render (-parsed +reparsed):\n%s", diff)
		}
		if again := render(z2); !bytes.Equal(out, again) {
			t.Fatalf("render is not stable:\n%s", cmp.Diff(string(out), string(again)))
		}
		for _, rr := range z.records {
			if _, ok := rr.(*dns.SOA); ok {
				continue // not writable through the provider
			}
			rec, err := toLibdns(rr, zone)
			if err != nil {
				t.Fatalf("toLibdns(%s): %v", rr, err)
			}
			back, err := fromLibdns(rec, zone, 3600)
			if err != nil {
				t.Fatalf("record %q read as %#v cannot be written back: %v", rr, rec.RR(), err)
			}
			c1, _ := canonical(rr, zone)
			c2, err := canonical(back, zone)
			if c1.TTL == 0 {
				c2.TTL = 0 // by design, TTL 0 in libdns means the zone default
			}
			if err != nil || c1 != c2 {
				t.Fatalf("record %q changed through libdns: %#v became %#v (%v)", rr, c1, c2, err)
			}
		}
	})
}

// strs prints records for comparison, owner names folded to lower case:
// the apex is written as "@" and reads back in the zone's spelling, which
// DNS does not distinguish (RFC 4343 section 3).
func strs(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		owner, rest, _ := strings.Cut(rr.String(), "\t")
		out[i] = strings.ToLower(owner) + "\t" + rest
	}
	return out
}
