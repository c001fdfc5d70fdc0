package resolve_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// benchZone answers any name under bench.test with an SPF record that
// includes one shared record, the shape of an agency's fleet.
const benchZone = `$ORIGIN bench.test.
@    SOA ns hostmaster 1 3600 600 86400 300
_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"
*    TXT "v=spf1 include:_spf.bench.test -all"
`

func benchClient(b *testing.B) *resolve.Client {
	b.Helper()
	s := dnstest.NewServer(b, benchZone)
	return &resolve.Client{Servers: []string{s.Addr()}, MaxInFlight: 64}
}

// BenchmarkClientCached measures a lookup answered from the cache.
func BenchmarkClientCached(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "_spf.bench.test", dns.TypeTXT); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.LookupTXT(ctx, "_spf.bench.test"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientCachedParallel is BenchmarkClientCached from every CPU at
// once, which is how the SPF analyzer uses a Client.
func BenchmarkClientCachedParallel(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "_spf.bench.test", dns.TypeTXT); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.LookupTXT(ctx, "_spf.bench.test"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkClientUncached measures a lookup that goes to the network: one
// UDP round trip to a dnstest server on the loopback interface.
func BenchmarkClientUncached(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Lookup(ctx, "d"+strconv.Itoa(i)+".bench.test", dns.TypeTXT); err != nil {
			b.Fatal(err)
		}
	}
	if got := c.Queries(); got != int64(i) {
		b.Fatalf("%d queries for %d lookups", got, i)
	}
}

// BenchmarkClientRun measures one analyzer run over a fleet: a fresh
// Client, every domain's TXT record looked up from 64 goroutines, each
// domain's record including the same shared one. The shared record must be
// asked once per run, so queries/op is domains+1.
func BenchmarkClientRun(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			s := dnstest.NewServer(b, benchZone)
			ctx := context.Background()
			b.ReportAllocs()
			var queries int64
			for b.Loop() {
				c := &resolve.Client{Servers: []string{s.Addr()}, MaxInFlight: 64}
				work := make(chan int)
				var wg sync.WaitGroup
				for range min(n, 64) {
					wg.Go(func() {
						for d := range work {
							if _, _, err := c.LookupTXT(ctx, "d"+strconv.Itoa(d)+".bench.test"); err != nil {
								b.Error(err)
							}
							if _, _, err := c.LookupTXT(ctx, "_spf.bench.test"); err != nil {
								b.Error(err)
							}
						}
					})
				}
				for d := range n {
					work <- d
				}
				close(work)
				wg.Wait()
				queries = c.Queries()
			}
			if queries != int64(n+1) {
				b.Fatalf("%d queries for %d domains, want %d", queries, n, n+1)
			}
			b.ReportMetric(float64(queries), "queries/op")
		})
	}
}
