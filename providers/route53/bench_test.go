package route53

import (
	"context"
	"fmt"
	"testing"

	"github.com/mailconf/mailconf/providers/route53/r53test"
)

// BenchmarkGetRecords reads zones of the sizes mailconf's users have
// through the in-process fake, so it measures the adapter and the SDK
// (serialization, pagination at 300 sets a page), not the network.
func BenchmarkGetRecords(b *testing.B) {
	for _, sets := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("sets=%d", sets), func(b *testing.B) {
			hermetic(b)
			srv := r53test.New(b)
			id := srv.AddZone("example.com.", false)
			for i := range sets {
				srv.Put(id, r53test.RRSet{Name: fmt.Sprintf("h%04d.example.com.", i), Type: "TXT", TTL: 300, Values: []string{`"v=spf1 -all"`, `"` + dkimText[:200] + `" "` + dkimText[200:] + `"`}})
			}
			p := New(fakeOptions(srv))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				recs, err := p.GetRecords(ctx, "example.com.")
				if err != nil {
					b.Fatal(err)
				}
				if len(recs) < 2*sets {
					b.Fatalf("%d records", len(recs))
				}
			}
		})
	}
}
