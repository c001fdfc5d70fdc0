package published

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	mdkim "github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
)

const config = `
sender "custom" "relay" {
  ip4 = ["203.0.113.10", "198.51.100.0/24"]
}

domain "example.com" {
  senders = [sender.custom.relay]
  mx {
    host = "mx.example.com"
  }
  dmarc {
    policy = "reject"
  }
  dkim "s1" {
    key_file = "KEY"
  }
  mta_sts {
    mode = "enforce"
  }
}

domain "mail.example.com" {
  senders = [sender.custom.relay]
}
`

func load(t *testing.T) (*schema.Config, *plan.Desired, string) {
	t.Helper()
	key, err := filepath.Abs(filepath.Join("..", "..", "testdata", "error-files", "keys", "ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(strings.Replace(config, "KEY", key, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var dkimRecord string
	for _, k := range cfg.Domain("example.com").DKIM {
		rec, err := mdkim.PublicKeyRecord(k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		dkimRecord = rec.String()
	}
	return cfg, desired, dkimRecord
}

// served is the DNS as published by the plan.
func served(desired *plan.Desired) map[string][]string {
	out := map[string][]string{}
	for _, d := range desired.Domains {
		for _, rs := range d.Sets {
			out[rs.Name+" "+rs.Type] = append(out[rs.Name+" "+rs.Type], rs.Values...)
		}
	}
	out["mx.example.com A"] = []string{"192.0.2.25"}
	return out
}

func summary(checks []Check) []string {
	var out []string
	for _, c := range checks {
		s := c.Domain + " " + c.Kind + " " + c.Subject + " " + c.Result
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestEvaluateAllPass(t *testing.T) {
	cfg, desired, _ := load(t)
	checks := Evaluate(context.Background(), &resolve.Fake{Records: served(desired)}, cfg, desired)
	want := []string{
		"example.com dkim s1 pass",
		"example.com dmarc  pass",
		"example.com mta-sts _mta-sts.example.com pass",
		"example.com spf 198.51.100.0 pass",
		"example.com spf 203.0.113.10 pass",
		"mail.example.com dmarc  pass",
		"mail.example.com spf 198.51.100.0 pass",
		"mail.example.com spf 203.0.113.10 pass",
	}
	if diff := cmp.Diff(want, summary(checks)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%+v", diff, checks)
	}
}

func TestEvaluateFailures(t *testing.T) {
	cfg, desired, _ := load(t)
	dns := served(desired)
	// The relay's address was dropped from SPF by hand, the DKIM key is an
	// old one, and mail.example.com has no DMARC record of its own: the
	// tree walk finds example.com's.
	dns["example.com TXT"] = []string{"v=spf1 ip4:198.51.100.0/24 -all"}
	dns["s1._domainkey.example.com TXT"] = []string{"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
	delete(dns, "_dmarc.mail.example.com TXT")
	checks := Evaluate(context.Background(), &resolve.Fake{Records: dns}, cfg, desired)
	byKey := map[string]Check{}
	for _, c := range checks {
		byKey[c.Domain+" "+c.Kind+" "+c.Subject] = c
	}
	spf := byKey["example.com spf 203.0.113.10"]
	if spf.OK || spf.Result != "fail" || !strings.Contains(spf.Message, "though sender.custom.relay declares it") {
		t.Errorf("SPF failure not explained: %+v", spf)
	}
	if dk := byKey["example.com dkim s1"]; dk.OK || !strings.Contains(dk.Message, "not the public half") {
		t.Errorf("DKIM mismatch not explained: %+v", dk)
	}
	if dm := byKey["mail.example.com dmarc "]; !dm.OK || !strings.Contains(dm.Message, "_dmarc.example.com") {
		t.Errorf("the tree walk did not find the organizational policy: %+v", dm)
	}
}
