package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
)

// sharedIncludes is the outside world of a fleet whose domains all send
// through the same five providers: five SPF includes (one of them nesting
// another) and the shared MX hosts.
const sharedIncludes = `$ORIGIN esp.example.
@            IN SOA ns1.esp.example. hostmaster.esp.example. 1 3600 600 86400 300
@            IN NS  ns1.esp.example.
_spf.one     IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"
_spf.two     IN TXT "v=spf1 ip4:203.0.113.0/25 include:_nets.two.esp.example ~all"
_nets.two    IN TXT "v=spf1 ip6:2001:db8:2::/48 ~all"
_spf.three   IN TXT "v=spf1 ip4:192.0.2.128/25 ~all"
_spf.four    IN TXT "v=spf1 ip4:198.51.100.128/25 ~all"
_spf.five    IN TXT "v=spf1 ip6:2001:db8:5::/48 ~all"
mx1          IN A   192.0.2.25
mx2          IN A   192.0.2.26
`

// The unique names a lint run of the fleet asks for, with the type.
var sharedNames = []struct {
	name  string
	qtype uint16
}{
	{"_spf.one.esp.example.", dns.TypeTXT}, {"_spf.two.esp.example.", dns.TypeTXT},
	{"_nets.two.esp.example.", dns.TypeTXT}, {"_spf.three.esp.example.", dns.TypeTXT},
	{"_spf.four.esp.example.", dns.TypeTXT}, {"_spf.five.esp.example.", dns.TypeTXT},
	{"mx1.esp.example.", dns.TypeA}, {"mx1.esp.example.", dns.TypeAAAA},
	{"mx2.esp.example.", dns.TypeA}, {"mx2.esp.example.", dns.TypeAAAA},
}

func writeSharedFleet(tb testing.TB, n int) (*schema.Config, *plan.Desired) {
	tb.Helper()
	dir := tb.TempDir()
	var names strings.Builder
	for i := range n {
		fmt.Fprintf(&names, "%q, ", fmt.Sprintf("d%05d.example", i))
	}
	cfg := fmt.Sprintf(`
sender "custom" "esps" {
  include = ["_spf.one.esp.example", "_spf.two.esp.example", "_spf.three.esp.example",
             "_spf.four.esp.example", "_spf.five.esp.example"]
}
domain "fleet" {
  for_each = toset([%s])
  senders  = [sender.custom.esps]
  mx {
    host = "mx1.esp.example"
  }
  mx {
    host = "mx2.esp.example"
  }
  dmarc {
    policy = "reject"
    rua    = ["mailto:dmarc@${each.key}"]
  }
}
`, names.String())
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	c, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(c)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return c, desired
}

// TestSharedNamesQueriedOnce: a thousand domains sharing five includes
// cost one query per unique name per run.
func TestSharedNamesQueriedOnce(t *testing.T) {
	cfg, desired := writeSharedFleet(t, 1000)
	srv := dnstest.NewServer(t, sharedIncludes)
	r := &resolve.Client{Servers: []string{srv.Addr()}}
	report := Run(context.Background(), cfg, desired, Options{Resolver: r})
	if report.Errors != 0 {
		t.Fatalf("%d errors: %+v", report.Errors, report.Findings[0])
	}
	for _, q := range sharedNames {
		if got := srv.QueriesFor(q.name, q.qtype); got != 1 {
			t.Errorf("%s %s asked %d times, want once", q.name, dns.TypeToString[q.qtype], got)
		}
	}
	if got := srv.Queries(); got != len(sharedNames) {
		t.Errorf("%d queries in all, want %d", got, len(sharedNames))
	}
}

// BenchmarkLintSharedIncludes lints 1,000 domains whose SPF records share
// the same 5 provider includes, against the in-process server: one full
// run (new resolver, so a cold cache) per op.
func BenchmarkLintSharedIncludes(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			cfg, desired := writeSharedFleet(b, n)
			srv := dnstest.NewServer(b, sharedIncludes)
			b.ResetTimer()
			for b.Loop() {
				r := &resolve.Client{Servers: []string{srv.Addr()}}
				if rep := Run(context.Background(), cfg, desired, Options{Resolver: r}); rep.Errors != 0 {
					b.Fatal(rep.Findings[0])
				}
			}
		})
	}
}
