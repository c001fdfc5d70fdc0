package plan_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/memory"
	"github.com/mailconf/mailconf/schema"
)

// world is one random configuration with its random live zones.
type world struct {
	hcl   string
	zones map[string][]libdns.Record
}

// randomWorld builds a configuration of up to four domains in up to two
// zones, and zones that hold a mix of records mailconf owns (in any state:
// right, wrong, duplicated, with other TTLs) and records it does not.
func randomWorld(r *rand.Rand) world {
	zones := []string{"example.com", "example.net"}
	w := world{zones: map[string][]libdns.Record{}}
	var b strings.Builder
	b.WriteString("provider \"memory\" \"m\" {}\n")
	ips := []string{"192.0.2.1", "192.0.2.2", "198.51.100.0/24", "203.0.113.7"}
	for i := range 3 {
		fmt.Fprintf(&b, "sender \"custom\" \"s%d\" {\n  ip4 = [%q]\n}\n", i, ips[r.IntN(len(ips))])
	}
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	var domains []string
	for _, z := range zones {
		domains = append(domains, z)
		if r.IntN(2) == 0 {
			domains = append(domains, "mail."+z)
		}
	}
	for _, d := range domains {
		zone := d
		if strings.HasPrefix(d, "mail.") {
			zone = strings.TrimPrefix(d, "mail.")
		}
		fmt.Fprintf(&b, "domain %q {\n  zone = %q\n  ttl = %d\n", d, zone, []int{300, 3600}[r.IntN(2)])
		if r.IntN(5) == 0 {
			b.WriteString("  parked = true\n}\n")
			continue
		}
		if r.IntN(3) > 0 {
			fmt.Fprintf(&b, "  senders = [sender.custom.s%d]\n", r.IntN(3))
		}
		if r.IntN(3) > 0 {
			fmt.Fprintf(&b, "  mx {\n    host = %q\n  }\n", pick([]string{"mx1." + zone, "mx2." + zone, "mx.example.org"}))
		}
		fmt.Fprintf(&b, "  dmarc {\n    policy = %q\n  }\n", pick([]string{"none", "quarantine", "reject"}))
		if r.IntN(2) == 0 {
			b.WriteString("  dkim \"old\" {\n    state = \"retired\"\n  }\n")
		}
		if r.IntN(3) == 0 {
			b.WriteString("  tls_rpt {\n    rua = [\"mailto:tlsrpt@example.org\"]\n  }\n")
		}
		b.WriteString("}\n")
	}
	w.hcl = b.String()

	for _, z := range zones {
		var recs []libdns.Record
		n := 3 + r.IntN(12)
		for range n {
			name := pick([]string{"@", "@", "_dmarc", "mail", "_dmarc.mail", "old._domainkey", "s9._domainkey", "www", "_smtp._tls", "x"})
			ttl := time.Duration([]int{300, 3600}[r.IntN(2)]) * time.Second
			switch r.IntN(6) {
			case 0:
				recs = append(recs, libdns.TXT{Name: name, TTL: ttl, Text: pick([]string{"v=spf1 -all", "v=spf1 ip4:192.0.2.1 ~all", "google-site-verification=xyz", "MS=ms1", "v=spf10 no"})})
			case 1:
				recs = append(recs, libdns.TXT{Name: name, TTL: ttl, Text: pick([]string{"v=DMARC1; p=none", "v=DMARC1; p=reject", "v=DKIM1; p=", "hello world", "v=TLSRPTv1; rua=mailto:a@example.org"})})
			case 2:
				if name == "@" || name == "mail" {
					recs = append(recs, libdns.MX{Name: name, TTL: ttl, Preference: uint16(r.IntN(3) * 10), Target: pick([]string{"mx1." + z + ".", "mx.example.org.", "old.example.org."})})
				}
			case 3:
				recs = append(recs, libdns.Address{Name: pick([]string{"@", "www", "mail", "x"}), TTL: ttl, IP: netip.MustParseAddr("192.0.2.99")})
			case 4:
				// CNAMEs only where mailconf never publishes: a CNAME where it
				// does is a blocking error finding, tested on its own.
				recs = append(recs, libdns.CNAME{Name: pick([]string{"www", "x"}), TTL: ttl, Target: "target.example.org."})
			case 5:
				recs = append(recs, libdns.TXT{Name: name, TTL: ttl, Text: fmt.Sprintf("random-%d", r.IntN(1000))})
			}
		}
		w.zones[z] = dedupeCNAME(recs)
	}
	return w
}

// dedupeCNAME keeps the random zone valid: no CNAME beside other data.
func dedupeCNAME(recs []libdns.Record) []libdns.Record {
	cname := map[string]bool{}
	other := map[string]bool{}
	for _, r := range recs {
		if r.RR().Type == "CNAME" {
			cname[r.RR().Name] = true
		} else {
			other[r.RR().Name] = true
		}
	}
	var out []libdns.Record
	seenCNAME := map[string]bool{}
	for _, r := range recs {
		rr := r.RR()
		if rr.Type == "CNAME" && (other[rr.Name] || seenCNAME[rr.Name]) {
			continue
		}
		if rr.Type == "CNAME" {
			seenCNAME[rr.Name] = true
		}
		out = append(out, r)
	}
	return out
}

// TestPropertyApplyConverges: for random configurations and zones, apply
// then plan has nothing left to do, and no record outside the ownership
// rules is ever modified or deleted.
func TestPropertyApplyConverges(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	for seed := range iterations {
		r := rand.New(rand.NewPCG(uint64(seed), 42))
		w := randomWorld(r)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			checkConverges(t, w)
		})
	}
}

func checkConverges(t *testing.T, w world) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(w.hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatalf("config:\n%s\n%s", w.hcl, diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		t.Fatalf("compile:\n%s\n%s", w.hcl, diags.Error())
	}
	mem := memory.New(w.zones)
	clients := map[string]providers.Client{"provider.memory.m": mem}
	ctx := context.Background()

	live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(desired, live)
	if _, err := plan.Apply(ctx, p, clients, plan.ApplyOptions{Force: true}); err != nil {
		t.Fatalf("apply: %v\nconfig:\n%s", err, w.hcl)
	}
	after, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again := plan.Diff(desired, after)
	if again.HasChanges() {
		t.Fatalf("changes left after apply:\n%+v\nconfig:\n%s\nzones: %v", describe(again), w.hcl, w.zones)
	}
	// Every record outside the ownership rules is still there, exactly.
	for zone, recs := range live.Records {
		have := map[plan.Record]bool{}
		for _, r := range after.Records[zone] {
			have[r] = true
		}
		for _, r := range recs {
			if !ownedByRules(desired, r) && !have[r] {
				t.Errorf("record not owned by mailconf was modified or deleted: %+v\nconfig:\n%s", r, w.hcl)
			}
		}
	}
}

// ownedByRules is DESIGN.md section 4 written out again, independently of
// the planner: a live record is mailconf's when a declared record set sits
// at its name and type and, for the shared TXT names, its text starts with
// the set's version tag followed by a space, a semicolon or the end.
func ownedByRules(desired *plan.Desired, r plan.Record) bool {
	for _, d := range desired.Domains {
		for _, rs := range d.Sets {
			if rs.Name != r.Name || rs.Type != r.Type {
				continue
			}
			if rs.Prefix == "" {
				return true
			}
			text := strings.ToLower(r.Data)
			tag := strings.ToLower(rs.Prefix)
			if text == tag || strings.HasPrefix(text, tag+" ") || strings.HasPrefix(text, tag+";") {
				return true
			}
		}
	}
	return false
}

func describe(p *plan.Plan) []string {
	var out []string
	for _, d := range p.Domains {
		for _, c := range d.Changes {
			out = append(out, fmt.Sprintf("%s %s %s old=%v new=%v", c.Action, c.Name, c.Type, c.Old, c.New))
		}
	}
	return out
}

// TestPartialFailureConverges injects a failure on the k-th write, checks
// the report says what was and was not applied, and that running plan and
// apply again converges.
func TestPartialFailureConverges(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var w world
	for {
		w = randomWorld(r)
		if strings.Count(w.hcl, "domain ") >= 3 {
			break
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(w.hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, _ := plan.Compile(cfg)
	ctx := context.Background()
	for k := range 6 {
		t.Run(fmt.Sprintf("fail-write-%d", k), func(t *testing.T) {
			mem := memory.New(w.zones)
			clients := map[string]providers.Client{"provider.memory.m": mem}
			live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p := plan.Diff(desired, live)
			total := p.Summary.Add + p.Summary.Change + p.Summary.Delete
			boom := errors.New("injected failure")
			mem.FailAfter(k, boom)
			// One zone at a time, so "the k-th write" is well defined.
			report, err := plan.Apply(ctx, p, clients, plan.ApplyOptions{Force: true, Concurrency: 1})
			if k >= total {
				if err != nil {
					t.Fatalf("no write should fail: %v", err)
				}
				return
			}
			if !errors.Is(err, boom) {
				t.Fatalf("apply error %v, want the injected failure", err)
			}
			applied, failed, notApplied := 0, 0, 0
			for _, z := range report.Zones {
				applied += len(z.Applied)
				notApplied += len(z.NotApplied)
				if z.Failed != nil {
					failed++
				}
			}
			if failed != 1 || applied+notApplied+failed > total {
				t.Fatalf("report: %d applied, %d failed, %d not applied of %d", applied, failed, notApplied, total)
			}
			// Plan again: exactly the failed and not-applied changes remain
			// (plus the changes of zones written concurrently, none here).
			live2, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			remainder := plan.Diff(desired, live2)
			if got := remainder.Summary.Add + remainder.Summary.Change + remainder.Summary.Delete; got != total-applied {
				t.Errorf("remainder has %d changes, want %d (total %d - applied %d)", got, total-applied, total, applied)
			}
			if _, err := plan.Apply(ctx, remainder, clients, plan.ApplyOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			live3, _ := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
			if plan.Diff(desired, live3).HasChanges() {
				t.Error("apply did not converge after the failure")
			}
		})
	}
}
