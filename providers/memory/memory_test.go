package memory

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/libdns/libdns"
	"github.com/libdns/libdns/libdnstest"

	"github.com/mailconf/mailconf/providers"
)

const zone = "example.com."

func TestLibdnsConformance(t *testing.T) {
	p := New(map[string][]libdns.Record{zone: nil})
	libdnstest.NewTestSuite(p, zone).RunTests(t)
}

func rrs(recs []libdns.Record) []libdns.RR {
	out := make([]libdns.RR, len(recs))
	for i, r := range recs {
		out[i] = r.RR()
	}
	return out
}

func seeded() *Provider {
	return New(map[string][]libdns.Record{
		"Example.COM": {
			libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mx.example.net."},
			libdns.RR{Name: "@", TTL: time.Hour, Type: "TXT", Data: "v=spf1 -all"},
			libdns.Address{Name: "www.example.com.", TTL: time.Hour, IP: netip.MustParseAddr("192.0.2.1")},
		},
	})
}

func TestSeedAndSnapshot(t *testing.T) {
	p := seeded()
	got := p.Snapshot("example.com")
	want := []libdns.RR{
		{Name: "@", TTL: time.Hour, Type: "MX", Data: "10 mx.example.net."},
		{Name: "@", TTL: time.Hour, Type: "TXT", Data: "v=spf1 -all"},
		{Name: "www", TTL: time.Hour, Type: "A", Data: "192.0.2.1"},
	}
	if diff := cmp.Diff(want, rrs(got)); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	// Seeds come back as the libdns struct types, like every record.
	if _, ok := got[1].(libdns.TXT); !ok {
		t.Errorf("seeded TXT stored as %T, want libdns.TXT", got[1])
	}
	if p.Snapshot("example.org.") != nil {
		t.Error("snapshot of an unknown zone is not nil")
	}
}

func TestFailAfter(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("provider unavailable")
	p := seeded()
	p.FailAfter(2, boom)
	add := func(name string) error {
		_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: name, TTL: time.Minute, Text: "x"}})
		return err
	}
	for i, name := range []string{"a", "b"} {
		if err := add(name); err != nil {
			t.Fatalf("write %d failed early: %v", i+1, err)
		}
	}
	before := p.Snapshot(zone)
	if _, err := p.SetRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "c", TTL: time.Minute, Text: "x"}}); !errors.Is(err, boom) {
		t.Fatalf("third write error = %v, want %v", err, boom)
	}
	if diff := cmp.Diff(rrs(before), rrs(p.Snapshot(zone))); diff != "" {
		t.Errorf("the failed write changed the zone (-before +after):\n%s", diff)
	}
	// One-shot: the retry succeeds, as a re-run apply would.
	if err := add("c"); err != nil {
		t.Fatalf("write after the injected failure: %v", err)
	}
	if got := p.Writes(); got != 4 {
		t.Errorf("Writes() = %d, want 4 (failed calls count)", got)
	}
	p.FailAfter(0, boom)
	p.FailAfter(-1, nil) // cancelled
	if err := add("d"); err != nil {
		t.Errorf("write after cancelling the failure: %v", err)
	}
}

func TestSetGetErr(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("timeout")
	p := seeded()
	p.SetGetErr(boom)
	if _, err := p.GetRecords(ctx, zone); !errors.Is(err, boom) {
		t.Errorf("GetRecords error = %v, want %v", err, boom)
	}
	if _, err := p.ListZones(ctx); !errors.Is(err, boom) {
		t.Errorf("ListZones error = %v, want %v", err, boom)
	}
	p.SetGetErr(nil)
	if _, err := p.GetRecords(ctx, zone); err != nil {
		t.Errorf("GetRecords after clearing: %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(p *Provider) error
		want error
	}{
		{"unknown zone", func(p *Provider) error {
			_, err := p.GetRecords(ctx, "example.org.")
			return err
		}, ErrZoneNotFound},
		{"write to unknown zone", func(p *Provider) error {
			_, err := p.AppendRecords(ctx, "example.org.", []libdns.Record{libdns.TXT{Name: "@", Text: "x"}})
			return err
		}, ErrZoneNotFound},
		{"CNAME next to other data", func(p *Provider) error {
			_, err := p.SetRecords(ctx, zone, []libdns.Record{libdns.CNAME{Name: "www", Target: "x.example.net."}})
			return err
		}, providers.ErrCNAMEConflict},
		{"name outside the zone", func(p *Provider) error {
			_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "a.example.org.", Text: "x"}})
			return err
		}, providers.ErrOutsideZone},
		{"unparsable data", func(p *Provider) error {
			_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "a", Type: "MX", Data: "ten mx."}})
			return err
		}, providers.ErrInvalidRecord},
		{"cancelled context", func(p *Provider) error {
			c, cancel := context.WithCancel(ctx)
			cancel()
			_, err := p.DeleteRecords(c, zone, []libdns.Record{libdns.RR{Name: "www"}})
			return err
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := seeded()
			before := rrs(p.Snapshot(zone))
			if err := tt.call(p); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if diff := cmp.Diff(before, rrs(p.Snapshot(zone))); diff != "" {
				t.Errorf("zone changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestDeleteWildcards(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		pattern libdns.Record
		want    []libdns.RR
	}{
		{"exact", libdns.RR{Name: "@", TTL: time.Hour, Type: "TXT", Data: "v=spf1 -all"},
			[]libdns.RR{{Name: "@", TTL: time.Hour, Type: "TXT", Data: "v=spf1 -all"}}},
		{"wrong TTL deletes nothing", libdns.RR{Name: "@", TTL: time.Minute, Type: "TXT", Data: "v=spf1 -all"}, nil},
		{"any data", libdns.RR{Name: "@", Type: "MX"},
			[]libdns.RR{{Name: "@", TTL: time.Hour, Type: "MX", Data: "10 mx.example.net."}}},
		{"any type", libdns.RR{Name: "@"}, []libdns.RR{
			{Name: "@", TTL: time.Hour, Type: "MX", Data: "10 mx.example.net."},
			{Name: "@", TTL: time.Hour, Type: "TXT", Data: "v=spf1 -all"},
		}},
		{"canonical data", libdns.RR{Name: "WWW", Type: "A", Data: "192.0.2.1"},
			[]libdns.RR{{Name: "www", TTL: time.Hour, Type: "A", Data: "192.0.2.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deleted, err := seeded().DeleteRecords(ctx, zone, []libdns.Record{tt.pattern})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rrs(deleted), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	p := New(map[string][]libdns.Record{zone: nil})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				name := fmt.Sprintf("w%d-%d", w, i)
				if _, err := p.AppendRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: name, TTL: time.Minute, Text: "x"}}); err != nil {
					t.Error(err)
				}
				if _, err := p.GetRecords(context.Background(), zone); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(p.Snapshot(zone)); n != 160 {
		t.Errorf("%d records, want 160", n)
	}
}

func TestReturnedRecordsAreCopies(t *testing.T) {
	p := New(map[string][]libdns.Record{zone: {
		libdns.ServiceBinding{Name: "@", Scheme: "https", TTL: time.Hour, Priority: 1, Target: ".", Params: libdns.SvcParams{"alpn": {"h2"}}},
	}})
	got, _ := p.GetRecords(context.Background(), zone)
	got[0].(libdns.ServiceBinding).Params["alpn"][0] = "changed"
	again, _ := p.GetRecords(context.Background(), zone)
	if v := again[0].(libdns.ServiceBinding).Params["alpn"][0]; v != "h2" {
		t.Errorf("stored record changed through a returned one: alpn=%s", v)
	}
}
