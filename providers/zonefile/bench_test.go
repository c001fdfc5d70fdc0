package zonefile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchZone is testdata/example.com.zone grown to 40 records with the kinds
// of names a mail domain has: hosts, DKIM selectors, sender CNAMEs, report
// authorizations.
func benchZone(b *testing.B) string {
	b.Helper()
	seed, err := os.ReadFile(filepath.Join("testdata", "example.com.zone"))
	if err != nil {
		b.Fatal(err)
	}
	var z strings.Builder
	z.Write(seed)
	for i := range 7 {
		fmt.Fprintf(&z, "host%d IN A 192.0.2.%d\n", i, 100+i)
		fmt.Fprintf(&z, "em%d IN CNAME u%d.wl.sendgrid.net.\n", i, 1000+i)
		fmt.Fprintf(&z, "client%d.example.net._report._dmarc IN TXT \"v=DMARC1;\"\n", i)
	}
	return z.String()
}

// BenchmarkZonefileGetRecords reads and converts one 40-record zone file;
// a plan over 1,000 such zones does this 1,000 times.
func BenchmarkZonefileGetRecords(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.com.zone"), []byte(benchZone(b)), 0o644); err != nil {
		b.Fatal(err)
	}
	p := New(dir)
	ctx := context.Background()
	recs, err := p.GetRecords(ctx, zone)
	if err != nil {
		b.Fatal(err)
	}
	if len(recs) != 40 {
		b.Fatalf("benchmark zone has %d records, want 40", len(recs))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.GetRecords(ctx, zone); err != nil {
			b.Fatal(err)
		}
	}
}
