package rfc2136

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers/rfc2136/bindtest"
)

// BenchmarkGetRecordsBIND reads zones of growing size from BIND by zone
// transfer, as plan.ReadLive does once per zone.
func BenchmarkGetRecordsBIND(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			var zone strings.Builder
			for i := range n {
				fmt.Fprintf(&zone, "host%d IN A 192.0.2.%d\nhost%d IN TXT \"v=spf1 ip4:192.0.2.%d -all\"\n", i, i%250+1, i, i%250+1)
			}
			s := bindtest.Start(b, bindtest.Zone{Name: "bench.test", Records: zone.String()})
			c, err := New(Options{Server: s.Addr, KeyName: s.KeyName, Secret: s.Secret})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				recs, err := c.GetRecords(ctx, "bench.test.")
				if err != nil || len(recs) < 2*n {
					b.Fatalf("%d records, %v", len(recs), err)
				}
			}
		})
	}
}

// BenchmarkSetRecordsBIND replaces one RRset per call, as plan.Apply does
// for each change.
func BenchmarkSetRecordsBIND(b *testing.B) {
	s := bindtest.Start(b)
	c, err := New(Options{Server: s.Addr, KeyName: s.KeyName, Secret: s.Secret})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rec := []libdns.Record{libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: fmt.Sprintf("v=DMARC1; p=none; ri=%d", i)}}
		if _, err := c.SetRecords(ctx, ExampleZone, rec); err != nil {
			b.Fatal(err)
		}
	}
}
