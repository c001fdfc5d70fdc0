package spf

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// masterFiles turns a test zone into RFC 1035 master files, one per
// top-level label (the test names live under "example" and "com"), so an
// authoritative server can serve exactly the same data as the fake.
func masterFiles(z zone) (files []string, fail []string) {
	byTLD := map[string]*strings.Builder{}
	add := func(name, line string) {
		labels := strings.Split(name, ".")
		tld := labels[len(labels)-1]
		b := byTLD[tld]
		if b == nil {
			b = &strings.Builder{}
			fmt.Fprintf(b, "$ORIGIN %s.\n@ 300 IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ 300 IN NS ns.%s.\n", tld, tld, tld, tld)
			byTLD[tld] = b
		}
		fmt.Fprintf(b, "%s. 300 IN %s\n", name, line)
	}
	for name, txts := range z.txt {
		for _, t := range txts {
			var parts []string
			for _, chunk := range Split(t) {
				parts = append(parts, `"`+strings.ReplaceAll(chunk, `"`, `\"`)+`"`)
			}
			add(name, "TXT "+strings.Join(parts, " "))
		}
	}
	for name, hosts := range z.mx {
		for i, h := range hosts {
			add(name, fmt.Sprintf("MX %d %s.", 10*(i+1), h))
		}
	}
	for name, ips := range z.ip {
		for _, ip := range ips {
			if netip.MustParseAddr(ip).Is4() {
				add(name, "A "+ip)
			} else {
				add(name, "AAAA "+ip)
			}
		}
	}
	tlds := make([]string, 0, len(byTLD))
	for tld := range byTLD {
		tlds = append(tlds, tld)
	}
	sort.Strings(tlds)
	for _, tld := range tlds {
		files = append(files, byTLD[tld].String())
	}
	return files, z.fail
}

// TestAnalyzeCountsOverDNS runs the counting table against zones served by
// an in-process authoritative DNS server through the real resolver client:
// the counts must not depend on which one answers.
func TestAnalyzeCountsOverDNS(t *testing.T) {
	for _, tt := range analyzeCases() {
		t.Run(tt.name, func(t *testing.T) {
			files, fail := masterFiles(baseZone().merge(tt.extra))
			srv := dnstest.NewServer(t, files...)
			for _, name := range fail {
				srv.ServFail(name)
			}
			client := &resolve.Client{Servers: []string{srv.Addr()}, Attempts: 1}
			domain, rec := tt.input(t)
			a := Analyze(context.Background(), client, domain, rec)
			if diff := cmp.Diff(tt.want, summarize(a), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Analyze(%q) over DNS mismatch (-want +got):\n%s\nproblems:\n%s", tt.record, diff, problemList(a))
			}
		})
	}
}
