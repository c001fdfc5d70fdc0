package propagation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// benchDKIM is a DKIM record of realistic length (a 1024-bit key).
var benchDKIM = "v=DKIM1; k=rsa; p=" + strings.Repeat("MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC", 6)

// fleet builds n domains spread over zones zones, each with MX, SPF, DMARC
// and DKIM, and the zone texts that serve them.
func fleet(n, zones int) (*plan.Desired, map[string]string, []string) {
	d := &plan.Desired{}
	zoneOf := make(map[string]string, n)
	texts := make([]strings.Builder, zones)
	for z := range zones {
		fmt.Fprintf(&texts[z], "$ORIGIN z%d.bench.test.\n@ IN NS ns1.bench.test.\n@ IN NS ns2.bench.test.\n", z)
	}
	for i := range n {
		z := i % zones
		zone := fmt.Sprintf("z%d.bench.test", z)
		dom := fmt.Sprintf("d%04d.%s", i, zone)
		zoneOf[dom] = zone
		spf := "v=spf1 mx include:_spf.sender.net -all"
		dmarc := "v=DMARC1; p=reject; rua=mailto:dmarc@" + dom
		d.Domains = append(d.Domains, &plan.DomainRecords{Domain: dom, Sets: []*plan.RecordSet{
			{Name: dom, Type: plan.TypeMX, Values: []string{"10 mx1." + dom + ".", "20 mx2." + dom + "."}},
			{Name: dom, Type: plan.TypeTXT, Prefix: "v=spf1", Values: []string{spf}},
			{Name: "_dmarc." + dom, Type: plan.TypeTXT, Prefix: "v=DMARC1", Values: []string{dmarc}},
			{Name: "s1._domainkey." + dom, Type: plan.TypeTXT, Values: []string{benchDKIM}},
		}})
		t := &texts[z]
		fmt.Fprintf(t, "%s. IN MX 10 mx1.%s.\n%s. IN MX 20 mx2.%s.\n", dom, dom, dom, dom)
		fmt.Fprintf(t, "%s. IN TXT %q\n%s. IN TXT \"google-site-verification=x\"\n", dom, spf, dom)
		fmt.Fprintf(t, "_dmarc.%s. IN TXT %q\n", dom, dmarc)
		fmt.Fprintf(t, "s1._domainkey.%s. IN TXT %q\n", dom, benchDKIM)
	}
	// plan.Desired is sorted by domain name.
	slices.SortFunc(d.Domains, func(a, b *plan.DomainRecords) int { return strings.Compare(a.Domain, b.Domain) })
	out := make([]string, zones)
	for z := range texts {
		out[z] = texts[z].String()
	}
	return d, zoneOf, out
}

// BenchmarkCheck is one pass over 1,000 domains in 4 zones against two
// in-process authoritative servers that both serve everything: 8,000
// direct queries.
func BenchmarkCheck(b *testing.B) {
	desired, zones, texts := fleet(1000, 4)
	s1, s2 := dnstest.NewServer(b, texts...), dnstest.NewServer(b, texts...)
	ns := make(map[string][]string)
	for z := range 4 {
		ns[fmt.Sprintf("z%d.bench.test", z)] = []string{s1.Addr(), s2.Addr()}
	}
	// The defaults users get: 32 queries in flight on both sides.
	c := &resolve.Client{Servers: []string{"127.0.0.1:1"}, NoRecurse: true, Timeout: 2 * time.Second}
	opts := Options{Exchange: c.Exchange, Nameservers: ns}
	b.ReportAllocs()
	for b.Loop() {
		st, err := Check(context.Background(), desired, zones, opts)
		if err != nil {
			b.Fatal(err)
		}
		if !st.Verified() {
			b.Fatal("not verified")
		}
	}
}
