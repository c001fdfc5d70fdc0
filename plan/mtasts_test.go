package plan_test

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/plan"
)

// -update is accepted so that go test ./... -update runs this package too;
// its golden files are the command's (cmd/mailconf).
var _ = flag.Bool("update", false, "rewrite golden files")

const mtastsHCL = `
domain "example.com" {
  mx {
    host = "mx1.example.com"
  }
  mx {
    host       = "mx2.example.com"
    preference = 20
  }
  mta_sts {
    mode = "enforce"
    %s
  }
}`

// The policy mailconf compiles for mtastsHCL, and its id.
const (
	compiledPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n"
	compiledID     = "2d120f5760e028c5eff9ef7eab9d28ee"
)

// TestCompileMTASTSExplicitID: an id in the configuration is published as
// it is, and marked so that Diff never replaces it.
func TestCompileMTASTSExplicitID(t *testing.T) {
	d := compileHCL(t, strings.Replace(mtastsHCL, "%s", `id = "20240101000000"`, 1))
	if diff := cmp.Diff([]string{"v=STSv1; id=20240101000000"}, values(d, "example.com", "_mta-sts.example.com", "TXT")); diff != "" {
		t.Error(diff)
	}
	if dr := d.Domain("example.com"); !dr.MTASTSIDExplicit || dr.MTASTSPolicy != compiledPolicy {
		t.Errorf("explicit %v, policy %q", dr.MTASTSIDExplicit, dr.MTASTSPolicy)
	}
	d = compileHCL(t, strings.Replace(mtastsHCL, "%s", "", 1))
	if diff := cmp.Diff([]string{"v=STSv1; id=" + compiledID}, values(d, "example.com", "_mta-sts.example.com", "TXT")); diff != "" {
		t.Error(diff)
	}
}

// TestDiffMTASTSLiveID: with the served policy known, a live id is kept
// exactly when the served policy is the compiled one as senders read it;
// an explicit id always wins; without it, the id is mailconf's.
func TestDiffMTASTSLiveID(t *testing.T) {
	const name = "_mta-sts.example.com"
	lfReordered := "version: STSv1\nmode: enforce\nmx: mx2.example.com\nmx: MX1.example.com\nmax_age:604800\n"
	modeTesting := "version: STSv1\nmode: testing\nmx: mx1.example.com\nmx: mx2.example.com\nmax_age: 604800\n"
	for _, tc := range []struct {
		name     string
		id       string // the id attribute, or ""
		live     []string
		served   *string
		want     []string // the _mta-sts values after the plan
		changed  bool
		findings []string // phrases, one per finding of _mta-sts, in order
	}{
		{"not fetched: the id is mailconf's", "", []string{"v=STSv1; id=20240101000000"}, nil, []string{"v=STSv1; id=" + compiledID}, true, nil},
		{"served text equal: live id kept", "", []string{"v=STSv1; id=20240101000000"}, ptr(compiledPolicy), []string{"v=STSv1; id=20240101000000"}, false,
			[]string{"note: the policy served at https://mta-sts.example.com/.well-known/mta-sts.txt is the one mailconf compiles, so the plan keeps the live id 20240101000000 instead of mailconf's " + compiledID}},
		{"line ends, spacing, mx order and case do not count", "", []string{"v=STSv1; id=20240101000000"}, ptr(lfReordered), []string{"v=STSv1; id=20240101000000"}, false, []string{"keeps the live id 20240101000000"}},
		{"live extension dropped, id kept", "", []string{"v=STSv1; id=20240101000000; x=1"}, ptr(compiledPolicy), []string{"v=STSv1; id=20240101000000"}, true, []string{"keeps the live id"}},
		{"served policy differs: id changes", "", []string{"v=STSv1; id=20240101000000"}, ptr(modeTesting), []string{"v=STSv1; id=" + compiledID}, true,
			[]string{"warning: the policy served at https://mta-sts.example.com/.well-known/mta-sts.txt differs from mailconf's in mode; serve mailconf's policy (mailconf mta-sts-policy example.com) before applying this plan, or senders cache the policy served now under the new id."}},
		{"served policy differs, id already mailconf's", "", []string{"v=STSv1; id=" + compiledID}, ptr(modeTesting), []string{"v=STSv1; id=" + compiledID}, false,
			[]string{"warning: the policy served at https://mta-sts.example.com/.well-known/mta-sts.txt differs from mailconf's in mode; serve mailconf's policy (mailconf mta-sts-policy example.com)."}},
		{"served policy invalid", "", []string{"v=STSv1; id=20240101000000"}, ptr("<html>Not found</html>"), []string{"v=STSv1; id=" + compiledID}, true, []string{"is not a valid MTA-STS policy"}},
		{"already mailconf's id: nothing to say", "", []string{"v=STSv1; id=" + compiledID}, ptr(compiledPolicy), []string{"v=STSv1; id=" + compiledID}, false, nil},
		{"no live record: mailconf's id", "", nil, ptr(compiledPolicy), []string{"v=STSv1; id=" + compiledID}, true, nil},
		{"two live records: none kept", "", []string{"v=STSv1; id=a1", "v=STSv1; id=b2"}, ptr(compiledPolicy), []string{"v=STSv1; id=" + compiledID}, true, nil},
		{"live id invalid: not kept", "", []string{"v=STSv1; id=2024-01-01"}, ptr(compiledPolicy), []string{"v=STSv1; id=" + compiledID}, true, nil},
		{"explicit id equal to the live one", "20240101000000", []string{"v=STSv1; id=20240101000000"}, nil, []string{"v=STSv1; id=20240101000000"}, false, nil},
		{"explicit id wins over the live one", "abc123", []string{"v=STSv1; id=20240101000000"}, ptr(compiledPolicy), []string{"v=STSv1; id=abc123"}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attr := ""
			if tc.id != "" {
				attr = `id = "` + tc.id + `"`
			}
			d := compileHCL(t, strings.Replace(mtastsHCL, "%s", attr, 1))
			var live []plan.Record
			for _, v := range tc.live {
				live = append(live, plan.Record{Name: name, Type: "TXT", TTL: 3600, Data: v})
			}
			l := plan.Live{Zones: map[string]string{"example.com": "example.com."}, Records: map[string][]plan.Record{"example.com.": live}}
			if tc.served != nil {
				l.MTASTSPolicies = map[string]string{"example.com": *tc.served}
			}
			p := plan.Diff(d, l)
			dp := p.Domains[0]
			got := append([]string(nil), tc.live...)
			changed := false
			for _, c := range dp.Changes {
				if c.Name != name {
					continue
				}
				changed = true
				got = nil
				for _, v := range c.New {
					got = append(got, v.Data)
				}
			}
			if len(tc.live) == 0 && !changed {
				got = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if changed != tc.changed {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			var findings []string
			for _, f := range dp.Findings {
				if f.Name == name {
					findings = append(findings, string(f.Severity)+": "+f.Message)
				}
			}
			if len(findings) != len(tc.findings) {
				t.Fatalf("findings %q, want %d", findings, len(tc.findings))
			}
			for i, want := range tc.findings {
				if !strings.Contains(findings[i], want) {
					t.Errorf("finding %q does not say %q", findings[i], want)
				}
			}

			// KeepMTASTSIDs makes the desired records what the plan
			// leaves, and Diff gives the same plan after it.
			kept := compileHCL(t, strings.Replace(mtastsHCL, "%s", attr, 1))
			plan.KeepMTASTSIDs(kept, l)
			if diff := cmp.Diff(tc.want, values(kept, "example.com", name, "TXT")); diff != "" {
				t.Errorf("KeepMTASTSIDs: values (-want +got):\n%s", diff)
			}
			before, _ := json.Marshal(p)
			after, _ := json.Marshal(plan.Diff(kept, l))
			if string(before) != string(after) {
				t.Errorf("Diff after KeepMTASTSIDs differs:\n%s\n%s", before, after)
			}
		})
	}
}

func ptr(s string) *string { return &s }
