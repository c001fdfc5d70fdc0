package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mailconf/mailconf/lint"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// shardFleet writes a configuration of n client domains declared by one
// for_each block over a list, each in a zone file of its own, and every
// fifth with a subdomain of its own in the same zone (mail.cNNNN.example),
// so that zones hold several domains. Every tenth zone is already in sync
// for its apex's MX. It returns the directory and the domains, sorted.
func shardFleet(t testing.TB, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	zones := filepath.Join(dir, "zones")
	if err := os.Mkdir(zones, 0o755); err != nil {
		t.Fatal(err)
	}
	var domains []string
	var list strings.Builder
	for i := range n {
		apex := fmt.Sprintf("c%04d.example", i)
		domains = append(domains, apex)
		fmt.Fprintf(&list, "    %q,\n", apex)
		if i%5 == 0 {
			sub := "mail." + apex
			domains = append(domains, sub)
			fmt.Fprintf(&list, "    %q,\n", sub)
		}
		zone := fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1.host.example. hostmaster.host.example. 2026010100 3600 600 1209600 300\n@ IN NS ns1.host.example.\n@ IN A 192.0.2.80\n", apex)
		if i%10 == 0 {
			zone += "@ 1800 IN MX 10 mx.host.example.\n"
		}
		if err := os.WriteFile(filepath.Join(zones, apex+".zone"), []byte(zone), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `provider "zonefile" "local" {
  dir = "zones"
}

policy "agency" {
  dmarc {
    policy = "quarantine"
    rua    = ["mailto:dmarc@host.example"]
  }
}

variable "clients" {
  default = [
` + list.String() + `  ]
}

domain "clients" {
  for_each = toset(var.clients)

  provider = provider.zonefile.local
  policy   = policy.agency
  ttl      = 1800

  mx {
    host       = "mx.host.example"
    preference = 10
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(domains)
	return dir, domains
}

// planJSON runs plan --format json with args and decodes the plan.
func planJSON(t *testing.T, dir string, args ...string) *plan.Plan {
	t.Helper()
	code, out, errOut := runCmd(t, nil, append([]string{"plan", "-c", dir, "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("plan %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return &p
}

// TestShardUnion: over K = 1..N, the shards' plans hold every domain of
// the whole plan exactly once, each with the very plan the whole run
// makes for it, and the zones and counts add up.
func TestShardUnion(t *testing.T) {
	dir, domains := shardFleet(t, 1200)
	whole := planJSON(t, dir)
	if whole.Shard != nil {
		t.Errorf("the whole plan records shard %v", whole.Shard)
	}
	byDomain := map[string]*plan.DomainPlan{}
	var wholeDomains []string
	for _, d := range whole.Domains {
		byDomain[d.Domain] = d
		wholeDomains = append(wholeDomains, d.Domain)
	}
	if diff := cmp.Diff(domains, wholeDomains); diff != "" {
		t.Fatalf("the whole plan's domains are not the configuration's (-want +got):\n%s", diff)
	}
	wholeZones := map[string]*plan.ZoneState{}
	for _, z := range whole.Zones {
		wholeZones[z.Zone] = z
	}

	for _, n := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			seen := map[string]int{}
			var sum plan.Summary
			for k := 1; k <= n; k++ {
				p := planJSON(t, dir, "--shard", fmt.Sprintf("%d/%d", k, n))
				if want := (plan.Shard{K: k, N: n}); p.Shard == nil || *p.Shard != want {
					t.Errorf("shard %d/%d: the plan records shard %v", k, n, p.Shard)
				}
				if n > 1 && len(p.Domains) == len(domains) {
					t.Errorf("shard %d/%d holds every domain", k, n)
				}
				zones := map[string]bool{}
				for _, d := range p.Domains {
					if seen[d.Domain] > 0 {
						t.Errorf("%s is in shard %d/%d and shard %d/%d", d.Domain, seen[d.Domain], n, k, n)
					}
					seen[d.Domain] = k
					if got := plan.ShardOf(d.Domain, n); got != k {
						t.Errorf("%s in the plan of shard %d/%d; ShardOf says %d", d.Domain, k, n, got)
					}
					if diff := cmp.Diff(jsonOf(t, byDomain[d.Domain]), jsonOf(t, d)); diff != "" {
						t.Errorf("%s: shard %d/%d plans it otherwise than the whole plan (-whole +shard):\n%s", d.Domain, k, n, diff)
					}
					zones[d.Zone] = true
				}
				// The shard read only its own domains' zones, as the whole
				// plan found them.
				for _, z := range p.Zones {
					if !zones[z.Zone] {
						t.Errorf("shard %d/%d read zone %s, which holds none of its domains", k, n, z.Zone)
					}
					if diff := cmp.Diff(jsonOf(t, wholeZones[z.Zone]), jsonOf(t, z)); diff != "" {
						t.Errorf("zone %s (-whole +shard %d/%d):\n%s", z.Zone, k, n, diff)
					}
				}
				if len(p.Zones) != len(zones) {
					t.Errorf("shard %d/%d: %d zones for %d zones of its domains", k, n, len(p.Zones), len(zones))
				}
				if diff := cmp.Diff(jsonOf(t, whole.Config), jsonOf(t, p.Config)); diff != "" {
					t.Errorf("shard %d/%d: another configuration state (-whole +shard):\n%s", k, n, diff)
				}
				sum.Add += p.Summary.Add
				sum.Change += p.Summary.Change
				sum.Delete += p.Summary.Delete
				sum.Dangerous += p.Summary.Dangerous
				sum.Errors += p.Summary.Errors
				sum.Warnings += p.Summary.Warnings
			}
			var missing []string
			for _, d := range domains {
				if seen[d] == 0 {
					missing = append(missing, d)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%d domains in no shard of %d: %v", len(missing), n, missing)
			}
			if len(seen) != len(domains) {
				t.Errorf("the shards of %d hold %d domains, the configuration %d", n, len(seen), len(domains))
			}
			if sum != whole.Summary {
				t.Errorf("the shards' summaries add up to %+v, the whole plan's is %+v", sum, whole.Summary)
			}
		})
	}
}

// jsonOf is v as the plan file holds it: what a shard's plan must agree
// on with the whole plan.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestShardApplyPlanFile: a plan saved from a shard records it, and apply
// of that file changes that shard's zones and no other.
func TestShardApplyPlanFile(t *testing.T) {
	dir, domains := shardFleet(t, 40)
	file := filepath.Join(t.TempDir(), "shard.plan")
	if code, _, errOut := runCmd(t, nil, "plan", "-c", dir, "--shard", "2/3", "-out", file); code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	saved, err := loadPlan(file)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Shard == nil || *saved.Shard != (plan.Shard{K: 2, N: 3}) {
		t.Fatalf("the saved plan records shard %v, want 2/3", saved.Shard)
	}

	// Another shard's --shard with the file is refused before anything is
	// read.
	code, _, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", "--shard", "1/3", file)
	if code != exitError || !strings.Contains(errOut, "the plan file holds shard 2/3, not 1/3") {
		t.Errorf("apply --shard 1/3 of a 2/3 plan: exit %d\n%s", code, errOut)
	}

	before := zoneFiles(t, dir)
	if code, out, errOut := runCmd(t, nil, "apply", "-c", dir, "--auto-approve", file); code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	after := zoneFiles(t, dir)
	for zone, text := range after {
		apex := strings.TrimSuffix(zone, ".zone")
		changed := text != before[zone]
		// A zone changes when one of its domains, the apex or its mail.
		// subdomain, is in the shard.
		inShard := plan.InShard(apex, 2, 3) || (slices.Contains(domains, "mail."+apex) && plan.InShard("mail."+apex, 2, 3))
		if changed != inShard {
			t.Errorf("zone %s: changed %v, in shard 2/3 %v", zone, changed, inShard)
		}
	}

	// Shard 2 is in sync now; the others are not.
	for k, wantChanges := range map[int]bool{1: true, 2: false, 3: true} {
		p := planJSON(t, dir, "--shard", fmt.Sprintf("%d/3", k))
		if p.HasChanges() != wantChanges {
			t.Errorf("after applying shard 2/3, shard %d/3 has changes: %v", k, p.HasChanges())
		}
	}
}

func zoneFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "zones"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".zone") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "zones", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestShardFlagErrors: a bad --shard is a usage error that says what K/N
// means; a --domain of another shard is refused.
func TestShardFlagErrors(t *testing.T) {
	dir, _ := shardFleet(t, 10)
	other := "c0000.example"
	otherShard := plan.ShardOf(other, 3)
	notIt := otherShard%3 + 1
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"K zero", []string{"plan", "-c", dir, "--shard", "0/3"}, `invalid argument "0/3" for "--shard" flag: plan: invalid shard "0/3": K counts from 1 to N (3), so the shards of 3 are 1/3 to 3/3`},
		{"K above N", []string{"apply", "-c", dir, "--shard", "4/3"}, `K counts from 1 to N (3)`},
		{"N zero", []string{"drift", "-c", dir, "--shard", "1/0"}, `N, the number of shards, must be at least 1`},
		{"no slash", []string{"plan", "-c", dir, "--shard", "3"}, `write K/N, such as 2/7 for the second of 7 shards (K counts from 1)`},
		{"not numbers", []string{"plan", "-c", dir, "--shard", "one/three"}, `K and N are whole numbers`},
		{"domain of another shard", []string{"plan", "-c", dir, "--domain", other, "--shard", fmt.Sprintf("%d/3", notIt)},
			fmt.Sprintf("domain %s is in shard %d/3, not %d/3: run that shard, or drop --shard to plan it alone", other, otherShard, notIt)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, nil, tt.args...)
			if code != exitError || !strings.Contains(errOut, tt.want) {
				t.Errorf("mailconf %s: exit %d, want 1 and %q in\n%s", strings.Join(tt.args, " "), code, tt.want, errOut)
			}
		})
	}
	// The domain in its own shard plans.
	p := planJSON(t, dir, "--domain", other, "--shard", fmt.Sprintf("%d/3", otherShard))
	if len(p.Domains) != 1 || p.Domains[0].Domain != other {
		t.Errorf("--domain %s --shard %d/3 planned %d domains", other, otherShard, len(p.Domains))
	}
}

// TestShardDrift: drift --shard reports the shard's domains, and the
// shards together report each domain once.
func TestShardDrift(t *testing.T) {
	dir, domains := shardFleet(t, 20)
	var zones []string
	for _, text := range zoneFiles(t, dir) {
		zones = append(zones, text)
	}
	dns := dnstest.NewServer(t, append(zones, "$ORIGIN example.\n")...)
	var union []string
	for k := 1; k <= 3; k++ {
		code, out, errOut := runOn(t, driftEnv(dir), nil, "drift", "-c", dir, "--resolver", dns.Addr(), "--nameserver", dns.Addr(), "--format", "json", "--shard", fmt.Sprintf("%d/3", k))
		if code != exitChanges {
			t.Fatalf("drift --shard %d/3: exit %d\n%s", k, code, errOut)
		}
		var rep struct {
			Domains []struct{ Domain string } `json:"domains"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		for _, d := range rep.Domains {
			if !plan.InShard(d.Domain, k, 3) {
				t.Errorf("drift --shard %d/3 reports %s", k, d.Domain)
			}
			union = append(union, d.Domain)
		}
	}
	slices.Sort(union)
	if diff := cmp.Diff(domains, union); diff != "" {
		t.Errorf("the drift shards' domains differ from the configuration's (-want +got):\n%s", diff)
	}
}

// TestShardCompletion: --shard completes to nothing, and never to files.
func TestShardCompletion(t *testing.T) {
	for _, cmd := range []string{"plan", "apply", "drift"} {
		code, out, errOut := runCmd(t, nil, "__complete", cmd, "--shard", "")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", cmd, code, errOut)
		}
		if want := ":4\n"; !strings.HasPrefix(out, want) {
			t.Errorf("completion of %s --shard: %q, want the directive %q (no file completion) and no words", cmd, out, want)
		}
	}
}

// TestShardReport: only the findings about the shard's domains count, so
// a lint error of another shard's domain stops only that shard's job.
func TestShardReport(t *testing.T) {
	a, b := "example.com", "example.org" // shards 2 and 1 of 2
	if plan.ShardOf(a, 2) == plan.ShardOf(b, 2) {
		t.Fatal("the two domains share a shard; pick others")
	}
	full := &lint.Report{Domains: 2, Errors: 1, Warns: 1, Skipped: []string{"spf-analysis"}, Findings: []lint.Finding{
		{Code: "mx-ip-literal", Severity: lint.Error, Domain: a},
		{Code: "dkim-no-active-key", Severity: lint.Warning, Domain: b},
		{Code: "sender-secondary-facts", Severity: lint.Info, Domain: b},
	}}
	if got := shardReport(full, plan.Shard{}, 2); got != full {
		t.Error("the zero Shard changed the report")
	}
	got := shardReport(full, plan.Shard{K: plan.ShardOf(b, 2), N: 2}, 1)
	want := &lint.Report{Domains: 1, Warns: 1, Skipped: []string{"spf-analysis"}, Findings: full.Findings[1:]}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(lint.Finding{}, "Range")); diff != "" {
		t.Errorf("shard of %s (-want +got):\n%s", b, diff)
	}
	got = shardReport(full, plan.Shard{K: plan.ShardOf(a, 2), N: 2}, 1)
	if got.Errors != 1 || got.Warns != 0 || len(got.Findings) != 1 || got.Findings[0].Domain != a {
		t.Errorf("shard of %s: %+v", a, got)
	}
}
