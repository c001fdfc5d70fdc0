package cloudflare

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers/cloudflare/cftest"
)

// fleetConfig is an agency's configuration: n client domains, each its
// own Cloudflare zone, each with 2 MX, SPF, DMARC, TLS-RPT and a 2048-bit
// DKIM key: 6 records in 5 record sets. zoneAttr, when set, is the
// domain's zone attribute.
func fleetConfig(n int, zoneAttr string) string {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("%q", fleetDomain(i)))
	}
	return fmt.Sprintf(`
variable "clients" {
  default = [%s]
}

provider "cloudflare" "main" {
  api_token = env("CLOUDFLARE_API_TOKEN")
}

sender "custom" "esp" {
  ip4     = ["198.51.100.0/24"]
  include = ["_spf.mailer.example.net"]
}

policy "agency" {
  dmarc {
    policy = "quarantine"
    rua    = ["mailto:dmarc@reports.example.net"]
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@reports.example.net"]
  }
}

domain "clients" {
  for_each = toset(var.clients)
  %s
  provider = provider.cloudflare.main
  policy   = policy.agency
  senders  = [sender.custom.esp]

  mx {
    host       = "mx1.mailer.example.net"
    preference = 10
  }
  mx {
    host       = "mx2.mailer.example.net"
    preference = 20
  }

  dkim "agency1" {
    algorithm = "rsa-2048"
    key_file  = "keys/rsa2048.pem"
  }
}
`, strings.Join(names, ", "), zoneAttr)
}

func fleetDomain(i int) string { return fmt.Sprintf("client%03d.example", i) }

// fleetRecords is how many records fleetConfig asks for per domain.
const fleetRecords = 6

// seedFleet creates the zones of n fleet domains, each holding the
// records of `unrelated` (which are not mailconf's, among them a site
// verification TXT beside the SPF record), and, in every other zone, a
// DMARC record of the past that the plan updates.
func seedFleet(t testing.TB, srv *cftest.Server, n int) (updates int) {
	t.Helper()
	for i := range n {
		zone := fleetDomain(i)
		srv.AddZone(zone)
		seed(t, srv, zone, unrelated...)
		if i%2 == 0 {
			seed(t, srv, zone, cftest.Record{Name: "_dmarc", Type: "TXT", Content: `"v=DMARC1; p=none"`, TTL: 3600})
			updates++
		}
	}
	return updates
}

// TestPlanApplyRequestCount plans and applies 100 domains and checks that
// the client sends exactly the requests the API needs, no more:
//
//   - finding the zones: the domains do not name their zones, so the zones
//     are listed, 50 a page (the most GET /zones returns); the list holds
//     the zone IDs, so no zone is looked up on its own. When the domains
//     name their zones, each zone is looked up once (GET /zones?name=),
//     and the ID serves both the read and the writes.
//   - reading: each zone once, 100 records a page; a fleet zone holds
//     fewer, so one page each.
//   - writing: one request per record that changes: POST for a new record,
//     PATCH for one to rewrite. The v4 record endpoints change one record
//     a request; the record sets are not read again before writing, since
//     the plan's read is the state the writes are computed from.
//
// (Cloudflare's batch endpoint could write a zone's records in one
// request; libdns/cloudflare does not use it and this client does not
// either.)
func TestPlanApplyRequestCount(t *testing.T) {
	const n = 100
	for _, tc := range []struct {
		name     string
		zoneAttr string
		lookups  func(zones int) int
	}{
		{"zones listed", "", func(zones int) int { return (zones + zonesPerPage - 1) / zonesPerPage }},
		{"zones named", "zone = each.key", func(zones int) int { return zones }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t)
			updates := seedFleet(t, srv, n)
			desired, clients := loadAll(t, writeConfig(t, fleetConfig(n, tc.zoneAttr)), srv)
			srv.ResetRequests()
			p := planApply(t, desired, clients)
			if got := p.Summary.Add + p.Summary.Change; got != n*5 {
				t.Fatalf("the plan changes %d record sets, want %d", got, n*5)
			}
			want := map[string]int{
				listZones:   tc.lookups(n),
				listRecords: n,
				postRecord:  n*fleetRecords - updates,
				patchRecord: updates,
			}
			if diff := cmp.Diff(want, srv.Requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}

			// Planning again reads the zones and writes nothing.
			desired, clients = loadAll(t, writeConfig(t, fleetConfig(n, tc.zoneAttr)), srv)
			live, err := plan.ReadLive(context.Background(), desired, clients, plan.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if plan.Diff(desired, live).HasChanges() {
				t.Error("changes left after apply")
			}
		})
	}
}

// BenchmarkPlanApply100 plans and applies 100 domains (600 records) against
// the fake API with 50 ms of latency per request, as a distant API has. It
// reports the requests made and the wall time; the time is dominated by
// the latency of the requests that run one after another, which the
// provider's concurrency (zones read and written at once) divides.
//
// It is slow by design: go test -run '^$' -bench PlanApply -benchtime 1x
func BenchmarkPlanApply100(b *testing.B) {
	const n = 100
	for _, conc := range []int{4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			dir := writeConfig(b, fleetConfig(n, ""))
			for range b.N {
				b.StopTimer()
				srv := newFake(b)
				seedFleet(b, srv, n)
				desired, clients := loadAll(b, dir, srv, func(o *Options) { o.Concurrency = conc })
				srv.SetLatency(50 * time.Millisecond)
				srv.ResetRequests()
				b.StartTimer()
				planApply(b, desired, clients)
				b.ReportMetric(float64(srv.TotalRequests()), "requests/op")
			}
		})
	}
}
