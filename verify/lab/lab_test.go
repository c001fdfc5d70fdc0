package lab

import (
	"context"
	"testing"
	"time"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// quickstart loads examples/quickstart and returns it with "live" zones
// that hold exactly its compiled records, as after an apply.
func quickstart(tb testing.TB) (*schema.Config, map[string][]plan.Record) {
	tb.Helper()
	cfg, diags := schema.Load("../../examples/quickstart", schema.Options{})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	live := map[string][]plan.Record{}
	for _, d := range desired.Domains {
		zone := d.Domain + "."
		for _, rs := range d.Sets {
			for _, v := range rs.Values {
				live[zone] = append(live[zone], plan.Record{Name: rs.Name, Type: rs.Type, TTL: rs.TTL, Data: v})
			}
		}
	}
	return cfg, live
}

func TestLabProbe(t *testing.T) {
	cfg, live := quickstart(t)
	l, err := Start(context.Background(), cfg, live)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, domain := range []string{"example.com", "example.net"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		v, err := l.Probe(ctx, domain)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if v.SPF.Result != "pass" || v.DMARC.Result != "pass" || len(v.DKIM) == 0 {
			t.Errorf("%s: verdict %+v", domain, v)
		}
		for _, d := range v.DKIM {
			if d.Result != "pass" {
				t.Errorf("%s: DKIM %s: %s %s", domain, d.Selector, d.Result, d.Err)
			}
		}
	}
}

// BenchmarkProbe measures one probe's round trip in the lab: submission
// to the relay, signing, the durable queue, MX delivery to the receiver
// and its evaluation.
func BenchmarkProbe(b *testing.B) {
	cfg, live := quickstart(b)
	l, err := Start(context.Background(), cfg, live)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := l.Probe(ctx, "example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
