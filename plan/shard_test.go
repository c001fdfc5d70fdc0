package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/memory"
)

// TestShardOfGolden pins the hash: a job of a CI matrix and a job of the
// next mailconf release must put every domain in the same shard, or a
// fleet split across versions would overlap and have gaps. The numbers
// were computed independently, with Python's hashlib.
func TestShardOfGolden(t *testing.T) {
	tests := []struct {
		domain string
		want   [4]int // shards of 2, 3, 7 and 10
	}{
		{"example.com", [4]int{2, 2, 6, 10}},
		{"example.org", [4]int{1, 1, 5, 3}},
		{"sub.example.com", [4]int{2, 2, 7, 2}},
		{"xn--bcher-kva.example", [4]int{1, 2, 4, 1}},
		{"a.b.c.d.example.net", [4]int{1, 2, 1, 5}},
		{"mailconf.dev", [4]int{1, 1, 7, 9}},
		// Case and the trailing dot do not move a domain.
		{"Example.COM.", [4]int{2, 2, 6, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			var got [4]int
			for i, n := range []int{2, 3, 7, 10} {
				got[i] = ShardOf(tt.domain, n)
				if !InShard(tt.domain, got[i], n) {
					t.Errorf("InShard(%q, %d, %d) = false, ShardOf says it is there", tt.domain, got[i], n)
				}
			}
			if got != tt.want {
				t.Errorf("ShardOf(%q, 2, 3, 7, 10) = %v, want %v", tt.domain, got, tt.want)
			}
		})
	}
	if got := ShardOf("example.com", 1); got != 1 {
		t.Errorf("ShardOf(_, 1) = %d, want 1", got)
	}
}

// TestShardOfSpread checks that fleets of generated names spread evenly: a
// chi-square statistic over the shards stays far below what a skewed hash
// gives. The bound is the 99.9th percentile of the chi-square distribution
// with N-1 degrees of freedom, so the deterministic inputs pass with a wide
// margin and a broken hash (everything in one shard, or in every other
// one) fails by orders of magnitude.
func TestShardOfSpread(t *testing.T) {
	// Chi-square 99.9th percentiles for N-1 = 2, 6, 15 and 31 degrees of
	// freedom, from the standard tables.
	bounds := map[int]float64{3: 13.82, 7: 22.46, 16: 37.70, 32: 61.10}
	const domains = 20000
	for n, bound := range bounds {
		for _, pattern := range []string{"client%d.example", "d%05d.agency.example.net", "shop-%d.example.co.uk"} {
			t.Run(fmt.Sprintf("%d/%s", n, pattern), func(t *testing.T) {
				counts := make([]int, n)
				for i := range domains {
					counts[ShardOf(fmt.Sprintf(pattern, i), n)-1]++
				}
				expected := float64(domains) / float64(n)
				chi := 0.0
				for _, c := range counts {
					d := float64(c) - expected
					chi += d * d / expected
				}
				if chi > bound {
					t.Errorf("chi-square %.1f > %.1f over %d shards: counts %v", chi, bound, n, counts)
				}
			})
		}
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr string
	}{
		{in: "1/1", want: Shard{1, 1}},
		{in: "2/7", want: Shard{2, 7}},
		{in: "7/7", want: Shard{7, 7}},
		{in: " 3 / 10 ", want: Shard{3, 10}},
		{in: "0/7", wantErr: `plan: invalid shard "0/7": K counts from 1 to N (7), so the shards of 7 are 1/7 to 7/7`},
		{in: "8/7", wantErr: `plan: invalid shard "8/7": K counts from 1 to N (7), so the shards of 7 are 1/7 to 7/7`},
		{in: "1/0", wantErr: `plan: invalid shard "1/0": N, the number of shards, must be at least 1`},
		{in: "-1/3", wantErr: `plan: invalid shard "-1/3": K counts from 1 to N (3), so the shards of 3 are 1/3 to 3/3`},
		{in: "2", wantErr: `plan: invalid shard "2": write K/N, such as 2/7 for the second of 7 shards (K counts from 1)`},
		{in: "a/b", wantErr: `plan: invalid shard "a/b": K and N are whole numbers, such as 2/7 for the second of 7 shards`},
		{in: "", wantErr: `plan: invalid shard "": write K/N, such as 2/7 for the second of 7 shards (K counts from 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrBadShard) {
					t.Fatalf("ParseShard(%q) = %v, %v; want the error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, err := ParseShard(got.String()); err != nil || back != got {
				t.Errorf("ParseShard(%q.String()) = %v, %v", got, back, err)
			}
		})
	}
}

func TestDesiredInShard(t *testing.T) {
	d := &Desired{}
	for i := range 50 {
		d.Domains = append(d.Domains, &DomainRecords{Domain: fmt.Sprintf("d%02d.example", i)})
	}
	if d.InShard(Shard{}) != d {
		t.Error("the zero Shard is not the whole fleet")
	}
	var union []string
	for k := 1; k <= 4; k++ {
		for _, dr := range d.InShard(Shard{K: k, N: 4}).Domains {
			if ShardOf(dr.Domain, 4) != k {
				t.Errorf("%s in shard %d/4, ShardOf says %d", dr.Domain, k, ShardOf(dr.Domain, 4))
			}
			union = append(union, dr.Domain)
		}
	}
	// Each shard keeps the order it was given; the union, sorted, is the
	// whole.
	var want []string
	for _, dr := range d.Domains {
		want = append(want, dr.Domain)
	}
	slices.Sort(union)
	if diff := cmp.Diff(want, union); diff != "" {
		t.Errorf("union of the shards differs from the whole (-want +got):\n%s", diff)
	}
}

// countingClient counts the zones a provider is asked for.
type countingClient struct {
	providers.Client
	mu    sync.Mutex
	reads map[string]int
	lists int
}

func (c *countingClient) GetRecords(ctx context.Context, zone string) ([]libdns.Record, error) {
	c.mu.Lock()
	c.reads[zone]++
	c.mu.Unlock()
	return c.Client.GetRecords(ctx, zone)
}

func (c *countingClient) ListZones(ctx context.Context) ([]libdns.Zone, error) {
	c.mu.Lock()
	c.lists++
	c.mu.Unlock()
	return c.Client.(libdns.ZoneLister).ListZones(ctx)
}

// TestReadLiveReadsEachZoneOnce: a plan reads a zone once however many of
// its domains the configuration holds, and lists a provider's zones once;
// a shard's plan reads only the zones of its own domains.
func TestReadLiveReadsEachZoneOnce(t *testing.T) {
	mem := memory.New(map[string][]libdns.Record{
		"example.com.": {libdns.TXT{Name: "@", TTL: 3600 * time.Second, Text: "v=spf1 -all"}},
		"example.net.": nil,
		"other.org.":   nil,
	})
	names := []string{"example.com", "sub.example.com", "mail.example.com", "a.b.example.com", "example.net", "www.example.net", "other.org"}
	slices.Sort(names)
	desired := &Desired{}
	for _, n := range names {
		desired.Domains = append(desired.Domains, &DomainRecords{Domain: n, Provider: "provider.memory.m"})
	}
	// One domain names its zone: it is read with the others all the same.
	desired.Domain("sub.example.com").Zone = "example.com"

	read := func(t *testing.T, d *Desired) *countingClient {
		t.Helper()
		c := &countingClient{Client: mem, reads: map[string]int{}}
		live, err := ReadLive(context.Background(), d, map[string]providers.Client{"provider.memory.m": c}, ReadOptions{Concurrency: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, dr := range d.Domains {
			if _, ok := live.Records[live.Zones[dr.Domain]]; !ok {
				t.Errorf("%s: zone %q not read", dr.Domain, live.Zones[dr.Domain])
			}
		}
		return c
	}

	c := read(t, desired)
	want := map[string]int{"example.com.": 1, "example.net.": 1, "other.org.": 1}
	if diff := cmp.Diff(want, c.reads); diff != "" {
		t.Errorf("GetRecords calls by zone (-want +got):\n%s", diff)
	}
	if c.lists != 1 {
		t.Errorf("ListZones called %d times, want 1", c.lists)
	}

	// Each shard reads the zones of its domains, each once, and no other.
	for k := 1; k <= 3; k++ {
		sel := desired.InShard(Shard{K: k, N: 3})
		c := read(t, sel)
		want := map[string]int{}
		for _, dr := range sel.Domains {
			zone := "example.com."
			switch {
			case strings.HasSuffix(dr.Domain, "example.net"):
				zone = "example.net."
			case dr.Domain == "other.org":
				zone = "other.org."
			}
			want[zone] = 1
		}
		if diff := cmp.Diff(want, c.reads, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("shard %d/3 (%d domains): GetRecords calls by zone (-want +got):\n%s", k, len(sel.Domains), diff)
		}
	}
}
