package plan_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/zonefile"
	"github.com/mailconf/mailconf/schema"
)

// writeZones writes, for every domain of the fleet in dir, a zone file
// holding its 8 mail records exactly as compiled (so the plan is in sync)
// and 31 records mailconf does not own.
func writeZones(tb testing.TB, dir string) {
	tb.Helper()
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	zdir := filepath.Join(dir, "zones")
	if err := os.MkdirAll(zdir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, d := range desired.Domains {
		var b strings.Builder
		fmt.Fprintf(&b, "$ORIGIN %s.\n$TTL 3600\n", d.Domain)
		fmt.Fprintf(&b, "@ IN SOA ns1.example.net. hostmaster.example.net. 2026010100 3600 600 1209600 300\n")
		b.WriteString(unrelatedRecords)
		mail := 0
		for _, rs := range d.Sets {
			for _, v := range rs.Values {
				mail++
				if rs.Type == plan.TypeTXT {
					v = `"` + strings.Join(spf.Split(v), `" "`) + `"`
				}
				fmt.Fprintf(&b, "%s. %d IN %s %s\n", rs.Name, rs.TTL, rs.Type, v)
			}
		}
		if mail != 8 {
			tb.Fatalf("%s has %d mail records, want 8", d.Domain, mail)
		}
		if err := os.WriteFile(filepath.Join(zdir, d.Domain+".zone"), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// unrelatedRecords are 30 records of a typical zone that mailconf must leave
// alone (the SOA above makes 31).
const unrelatedRecords = `@ IN NS ns1.example.net.
@ IN NS ns2.example.net.
@ IN A 192.0.2.1
@ IN AAAA 2001:db8::1
www IN CNAME @
api IN A 192.0.2.2
api IN AAAA 2001:db8::2
app IN CNAME app.hosting.example.
blog IN CNAME blog.hosting.example.
shop IN CNAME shop.hosting.example.
cdn IN CNAME cdn.hosting.example.
status IN CNAME status.hosting.example.
vpn IN A 192.0.2.3
git IN A 192.0.2.4
ci IN A 192.0.2.5
grafana IN A 192.0.2.6
*.dev IN A 192.0.2.7
mx1 IN A 192.0.2.25
mx2 IN A 192.0.2.26
_sip._tcp IN SRV 10 60 5060 sip.example.net.
_xmpp-server._tcp IN SRV 5 0 5269 xmpp.example.net.
@ IN CAA 0 issue "letsencrypt.org"
@ IN CAA 0 iodef "mailto:security@example.net"
@ IN TXT "google-site-verification=0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
@ IN TXT "MS=ms12345678"
@ IN TXT "apple-domain-verification=abcdefgh12345678"
_github-challenge IN TXT "a1b2c3d4e5"
_acme-challenge IN TXT "challenge-token-value"
mta-sts IN CNAME mta-sts.hosting.example.
autodiscover IN CNAME autodiscover.outlook.com.
`

// BenchmarkPlan measures what `mailconf plan` does on a fleet already in
// sync: load and compile the configuration, find each domain's zone, read
// every zone file and diff.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			dir := writeFleet(b, n)
			writeZones(b, dir)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				cfg, diags := schema.Load(dir, schema.Options{})
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				desired, diags := plan.Compile(cfg)
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				clients := map[string]providers.Client{"provider.zonefile.local": zonefile.New(filepath.Join(dir, "zones"))}
				live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if p := plan.Diff(desired, live); p.HasChanges() {
					b.Fatalf("fleet not in sync: %+v", p.Summary)
				}
			}
		})
	}
}

var (
	fleetDir  = flag.String("fleet-dir", "", "TestFleetInSync writes its fleet here, to time `mailconf plan` on it")
	fleetSize = flag.Int("fleet-size", 3, "domains in TestFleetInSync's fleet")
)

// TestFleetInSync checks the benchmark fleet: its zones hold exactly the
// compiled records, so a plan has nothing to do. With -fleet-dir and
// -fleet-size it leaves a fleet of that size for timing the command:
//
//	go test ./plan -run TestFleetInSync -fleet-dir /tmp/fleet -fleet-size 1000
//	/usr/bin/time -v mailconf plan -c /tmp/fleet
func TestFleetInSync(t *testing.T) {
	dir := *fleetDir
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFleetIn(t, dir, *fleetSize)
	writeZones(t, dir)
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, _ := plan.Compile(cfg)
	clients := map[string]providers.Client{"provider.zonefile.local": zonefile.New(filepath.Join(dir, "zones"))}
	live, err := plan.ReadLive(context.Background(), desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := plan.Diff(desired, live); p.HasChanges() || len(p.Domains) != *fleetSize {
		t.Fatalf("fleet of %d not in sync: %+v", len(p.Domains), p.Summary)
	}
}
