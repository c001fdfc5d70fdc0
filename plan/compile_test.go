package plan_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

func compileHCL(t *testing.T, text string) *plan.Desired {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	d, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return d
}

func values(d *plan.Desired, domain, name, typ string) []string {
	dr := d.Domain(domain)
	if dr == nil {
		return nil
	}
	rs := dr.Set(name, typ)
	if rs == nil {
		return nil
	}
	return rs.Values
}

func TestCompileSPF(t *testing.T) {
	for _, tc := range []struct {
		name, hcl, want string
	}{
		{"nothing sends", `domain "example.com" {}`, "v=spf1 -all"},
		{"senders softfail by default", `
sender "custom" "a" { ip4 = ["192.0.2.1"] }
domain "example.com" { senders = [sender.custom.a] }`, "v=spf1 ip4:192.0.2.1 ~all"},
		{"declared order: senders as listed, each sender's terms, then the spf block; first occurrence kept", `
sender "custom" "a" {
  include = ["_spf.z.example", "_spf.a.example"]
  ip4     = ["198.51.100.7"]
}
sender "custom" "b" {
  ip6 = ["2001:db8::1"]
  ip4 = ["192.0.2.1", "198.51.100.7"]
  a   = ["@"]
  mx  = ["mail.example.com/24"]
}
domain "example.com" {
  senders = [sender.custom.b, sender.custom.a]
  spf {
    all     = "-all"
    include = ["_spf.a.example"]
    ip4     = ["203.0.113.0/24", "192.0.2.1"]
  }
}`, "v=spf1 ip4:192.0.2.1 ip4:198.51.100.7 ip6:2001:db8::1 a mx:mail.example.com/24 include:_spf.z.example include:_spf.a.example ip4:203.0.113.0/24 -all"},
		{"includes keep their declared order", `
sender "custom" "mail" { include = ["servers.mcsv.net", "_spf.google.com"] }
domain "example.com" { senders = [sender.custom.mail] }`, "v=spf1 include:servers.mcsv.net include:_spf.google.com ~all"},
		{"senders keep their listed order", `
sender "custom" "z" { include = ["_spf.z.example"] }
sender "custom" "a" { ip4 = ["192.0.2.1"] }
domain "example.com" { senders = [sender.custom.z, sender.custom.a] }`, "v=spf1 include:_spf.z.example ip4:192.0.2.1 ~all"},
		{"catalog and custom senders in listed order", `
sender "custom" "relay" { ip4 = ["192.0.2.1"] }
sender "google_workspace" "corp" {}
domain "example.com" { senders = [sender.custom.relay, sender.google_workspace.corp] }`, "v=spf1 ip4:192.0.2.1 include:_spf.google.com ~all"},
		{"policy spf terms after the senders, domain overriding the policy", `
sender "custom" "s" { include = ["_spf.s.example"] }
policy "p" {
  spf {
    include = ["_spf.policy.example"]
    ip4     = ["192.0.2.9"]
  }
}
domain "example.com" {
  policy  = policy.p
  senders = [sender.custom.s]
  spf {
    ip4 = ["192.0.2.8"]
  }
}`, "v=spf1 include:_spf.s.example ip4:192.0.2.8 include:_spf.policy.example ~all"},
		{"for_each domains keep the senders order", `
sender "custom" "z" { include = ["_spf.z.example"] }
sender "custom" "a" { include = ["_spf.a.example"] }
domain "fleet" {
  for_each = toset(["example.com"])
  senders  = [sender.custom.z, sender.custom.a]
}`, "v=spf1 include:_spf.z.example include:_spf.a.example ~all"},
		{"parked", `domain "example.com" { parked = true }`, "v=spf1 -all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := compileHCL(t, tc.hcl)
			if diff := cmp.Diff([]string{tc.want}, values(d, "example.com", "example.com", "TXT")); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestCompileParked(t *testing.T) {
	d := compileHCL(t, `
policy "p" {
  dmarc {
    policy = "none"
    rua    = ["mailto:d@example.net"]
  }
  tls_rpt {
    rua = ["mailto:t@example.net"]
  }
}
domain "example.com" {
  parked = true
  policy = policy.p
}`)
	got := map[string][]string{}
	for _, rs := range d.Domain("example.com").Sets {
		got[rs.Name+" "+rs.Type] = rs.Values
	}
	want := map[string][]string{
		"example.com MX":         {"0 ."},
		"example.com TXT":        {"v=spf1 -all"},
		"_dmarc.example.com TXT": {"v=DMARC1; p=reject; sp=reject; rua=mailto:d@example.net"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parked records (-want +got):\n%s", diff)
	}
}

func TestCompileMTASTS(t *testing.T) {
	d := compileHCL(t, `
domain "example.com" {
  mx {
    host       = "mx2.example.com"
    preference = 20
  }
  mx {
    host = "mx1.example.com"
  }
  mta_sts {
    mode = "enforce"
  }
}
domain "example.net" {
  mx {
    host = "mx1.example.net"
  }
  mta_sts {
    mode    = "testing"
    max_age = 86400
    mx      = ["*.example.net"]
  }
}`)
	com := d.Domain("example.com")
	if diff := cmp.Diff([]string{"10 mx1.example.com.", "20 mx2.example.com."}, values(d, "example.com", "example.com", "MX")); diff != "" {
		t.Error(diff)
	}
	wantPolicy := "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n"
	if com.MTASTSPolicy != wantPolicy {
		t.Errorf("policy %q, want %q", com.MTASTSPolicy, wantPolicy)
	}
	id1 := values(d, "example.com", "_mta-sts.example.com", "TXT")
	id2 := values(d, "example.net", "_mta-sts.example.net", "TXT")
	if len(id1) != 1 || len(id2) != 1 || id1[0] == id2[0] {
		t.Errorf("policy ids must differ with the policy text: %v %v", id1, id2)
	}
	// The id is a function of the policy text alone.
	again := compileHCL(t, `
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
  }
}`)
	if diff := cmp.Diff(id1, values(again, "example.com", "_mta-sts.example.com", "TXT")); diff != "" {
		t.Errorf("same policy, another id: %s", diff)
	}
}

func TestCompileReportAuthorization(t *testing.T) {
	d := compileHCL(t, `
policy "p" {
  dmarc {
    policy = "reject"
    rua    = ["mailto:agg@reports.example.net", "mailto:dmarc@example.com"]
    ruf    = ["mailto:forensic@reports.example.net!10m"]
  }
}
domain "example.com" {
  policy = policy.p
}
domain "mail.example.com" {
  policy = policy.p
}
domain "reports.example.net" {
  dmarc {
    policy = "reject"
  }
}`)
	reports := d.Domain("reports.example.net")
	var names []string
	for _, rs := range reports.Sets {
		if rs.Prefix == "v=DMARC1" && rs.Name != "_dmarc.reports.example.net" {
			names = append(names, rs.Name)
			if diff := cmp.Diff([]string{"v=DMARC1;"}, rs.Values); diff != "" {
				t.Error(diff)
			}
		}
	}
	want := []string{"example.com._report._dmarc.reports.example.net", "mail.example.com._report._dmarc.reports.example.net"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("authorization records (-want +got):\n%s", diff)
	}
	// example.com receives reports of its own subdomain: same
	// organization, no authorization record needed.
	for _, rs := range d.Domain("example.com").Sets {
		if rs.Name != "_dmarc.example.com" && rs.Prefix == "v=DMARC1" {
			t.Errorf("unexpected authorization record %s", rs.Name)
		}
	}
}

func absKey(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "testdata", "error-files", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompileDKIMStates(t *testing.T) {
	d := compileHCL(t, `
domain "example.com" {
  dkim "new" {
    key_file = "`+absKey(t, "ed25519.pem")+`"
    state    = "next"
  }
  dkim "old" {
    state = "retired"
  }
}`)
	dr := d.Domain("example.com")
	next := dr.Set("new._domainkey.example.com", "TXT")
	old := dr.Set("old._domainkey.example.com", "TXT")
	if next == nil || next.Active || len(next.Values) != 1 || next.Values[0][:24] != "v=DKIM1; k=ed25519; p=UJ" {
		t.Errorf("next key: %+v", next)
	}
	if old == nil || old.Values[0] != "v=DKIM1; p=" {
		t.Errorf("retired key must be published revoked: %+v", old)
	}
}

func TestFromLibdnsNormalizes(t *testing.T) {
	got := plan.FromLibdns("Example.COM.", []libdns.Record{
		libdns.MX{Name: "@", Preference: 10, Target: "MX1"},
		libdns.MX{Name: "Sub", Preference: 0, Target: "."},
		libdns.CNAME{Name: "WWW", Target: "Host.Example.NET."},
		libdns.TXT{Name: "_DMARC", Text: "v=DMARC1; p=reject"},
		libdns.RR{Name: "raw", Type: "TXT", TTL: 300 * time.Second, Data: "opaque text"},
	})
	want := []plan.Record{
		{Name: "example.com", Type: "MX", Data: "10 mx1.example.com."},
		{Name: "sub.example.com", Type: "MX", Data: "0 ."},
		{Name: "www.example.com", Type: "CNAME", Data: "host.example.net."},
		{Name: "_dmarc.example.com", Type: "TXT", Data: "v=DMARC1; p=reject"},
		{Name: "raw.example.com", Type: "TXT", TTL: 300, Data: "opaque text"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
