package lint

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
)

// lintHCL compiles a configuration and lints it against a fake DNS.
func lintHCL(t *testing.T, text string, dns map[string][]string) *Report {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.hcl"), []byte(text), 0o600); err != nil {
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
	opts := Options{Now: lintNow}
	if dns != nil {
		opts.Resolver = &resolve.Fake{Records: dns}
	}
	return Run(context.Background(), cfg, desired, opts)
}

// lintNow is the time of day of the tests' lint runs.
var lintNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func codes(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, string(f.Severity)+" "+f.Code)
	}
	sort.Strings(out)
	return out
}

func TestReportAuthorization(t *testing.T) {
	const cfg = `
domain "example.com" {
  dmarc {
    policy = "reject"
    rua    = ["mailto:a@reports.example.net", "mailto:b@example.com", "mailto:c@sub.example.com"]
  }
}`
	base := map[string][]string{
		"example.com TXT": {"v=spf1 -all"},
	}
	for _, tc := range []struct {
		name string
		dns  map[string][]string
		want []string
	}{
		{"not authorized", map[string][]string{"reports.example.net A": {"192.0.2.1"}}, []string{"error dmarc-report-unauthorized"}},
		{"authorized with semicolon", map[string][]string{"example.com._report._dmarc.reports.example.net TXT": {"v=DMARC1;"}}, nil},
		{"authorized without semicolon", map[string][]string{"example.com._report._dmarc.reports.example.net TXT": {"v=DMARC1"}}, nil},
		{"authorized by wildcard", map[string][]string{"*._report._dmarc.reports.example.net TXT": {"v=DMARC1;"}}, nil},
		{"wrong record is no authorization", map[string][]string{"example.com._report._dmarc.reports.example.net TXT": {"hello"}}, []string{"error dmarc-report-unauthorized"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dns := map[string][]string{}
			for k, v := range base {
				dns[k] = v
			}
			for k, v := range tc.dns {
				dns[k] = v
			}
			got := filter(codes(lintHCL(t, cfg, dns)), "dmarc-report-unauthorized")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func filter(list []string, code string) []string {
	var out []string
	for _, s := range list {
		if len(s) > len(code) && s[len(s)-len(code):] == code {
			out = append(out, s)
		}
	}
	return out
}

func TestMXChecks(t *testing.T) {
	const cfg = `
domain "example.com" {
  mx {
    host = "mx1.example.com"
  }
  mx {
    host = "alias.example.com"
  }
  mx {
    host       = "gone.example.com"
    preference = 30
  }
}`
	r := lintHCL(t, cfg, map[string][]string{
		"mx1.example.com A":         {"192.0.2.25"},
		"alias.example.com CNAME":   {"mx1.example.com."},
		"gone.example.com TXT":      {"exists but has no address"},
		"example.com TXT":           {"v=spf1 -all"},
		"_dmarc.example.com TXT":    {"v=DMARC1; p=none"},
		"unrelated.example.com TXT": {"x"},
	})
	got := append(filter(codes(r), "mx-cname"), filter(codes(r), "mx-no-address")...)
	want := []string{"error mx-cname", "error mx-no-address"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s\n%+v", diff, r.Findings)
	}
}

func TestDKIMPublished(t *testing.T) {
	key, err := filepath.Abs(filepath.Join("..", "testdata", "error-files", "keys", "ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := `
domain "example.com" {
  dkim "s1" {
    key_file = "` + key + `"
  }
  dkim "s2" {
    key_file = "` + key + `"
    state    = "next"
  }
  dkim "s3" {
    key_file = "` + key + `"
    state    = "next"
  }
}`
	r := lintHCL(t, cfg, map[string][]string{
		"s1._domainkey.example.com TXT": {"v=DKIM1; k=ed25519; p=UJs8HqmM/QSnj+rzgVsyKUaB7TGko8ufyAfDp/p2Lq4="},
		"s2._domainkey.example.com TXT": {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
	})
	got := append(filter(codes(r), "dkim-key-mismatch"), filter(codes(r), "dkim-key-not-published")...)
	want := []string{"warning dkim-key-mismatch", "warning dkim-key-not-published"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s\n%+v", diff, r.Findings)
	}
}

func TestOfflineSkipsOnlineChecks(t *testing.T) {
	r := lintHCL(t, `domain "example.com" {}`, nil)
	var online []string
	for _, c := range Checks {
		if c.Online {
			online = append(online, c.Code)
		}
	}
	if diff := cmp.Diff(online, r.Skipped); diff != "" {
		t.Error(diff)
	}
}

func TestOfflineRecordRules(t *testing.T) {
	r := lintHCL(t, `
domain "example.com" {
  dmarc {
    policy = "none"
  }
}`, nil)
	if len(filter(codes(r), "dmarc-policy-none")) != 1 {
		t.Errorf("p=none not reported: %v", codes(r))
	}
}

// TestSenderSecondaryFacts: lint mentions the catalog facts behind a
// domain's records that come from secondary sources, and only those that
// made records (Mailchimp's optional SPF include is off by default).
func TestSenderSecondaryFacts(t *testing.T) {
	const cfg = `
sender "mailchimp" "news" {}
sender "zoho_mail" "mail" {}
sender "sendgrid" "tx" {
  user_id   = 1234567
  wl_id     = "123"
  subdomain = "em1234"
}
domain "example.com" {
  mailbox = sender.zoho_mail.mail
  senders = [sender.zoho_mail.mail, sender.mailchimp.news, sender.sendgrid.tx]
}`
	r := lintHCL(t, cfg, nil)
	var got []string
	for _, f := range r.Findings {
		if f.Code == "sender-secondary-facts" {
			got = append(got, f.Record)
			if f.Severity != Info || !strings.Contains(f.Message, "dkim cname") || strings.Contains(f.Message, "spf") {
				t.Errorf("finding = %s %q", f.Severity, f.Message)
			}
		}
	}
	// Zoho's zoho.com MX set and SendGrid's records are confirmed.
	if diff := cmp.Diff([]string{"sender.mailchimp.news"}, got); diff != "" {
		t.Errorf("secondary-fact findings (-want +got):\n%s", diff)
	}
}

// TestDKIMKeyChecks: the checks of the keys themselves, offline.
func TestDKIMKeyChecks(t *testing.T) {
	keys, err := filepath.Abs(filepath.Join("..", "testdata", "error-files", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	relay := `
relay {
  hostname  = "relay.example.com"
  spool_dir = "spool"
  listener "loopback" {
    address = "127.0.0.1:2525"
  }
  user "alice" {
    password_hash = "$2a$12$KfZ.8g7n9KMozBManGKkAuQ1qRqczOIaEpFHQi9B5BZkSFBDBdST2"
    allowed_from  = ["example.com", "example.org", "example.net"]
  }
}
`
	cfg := relay + `
policy "p" {
  dkim_rotation {
    max_age = "180d"
  }
}

# A weak key, and one past max_age.
domain "example.com" {
  policy = policy.p
  dkim "old" {
    key_file = "` + keys + `/rsa1024.pem"
    created  = "2026-01-01T00:00:00Z"
  }
  dkim "young" {
    key_file = "` + keys + `/ed25519.pem"
    created  = "2026-11-01T00:00:00Z"
  }
}

# Only a next key: the relay sends its mail unsigned.
domain "example.org" {
  dkim "s1" {
    key_file = "` + keys + `/ed25519.pem"
    state    = "next"
  }
}

# A retired weak key is no finding; the active key is young enough and
# has no max_age to meet.
domain "example.net" {
  dkim "s0" {
    key_file = "` + keys + `/rsa1024.pem"
    state    = "retired"
  }
  dkim "s1" {
    key_file = "` + keys + `/rsa2048.pem"
    created  = "2020-01-01T00:00:00Z"
  }
}
`
	r := lintHCL(t, cfg, nil)
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Code, "dkim-") {
			got = append(got, f.Domain+" "+f.Record+" "+string(f.Severity)+" "+f.Code)
		}
	}
	want := []string{
		"example.com old._domainkey.example.com TXT warning dkim-key-too-old",
		"example.com old._domainkey.example.com TXT warning dkim-rsa-1024",
		"example.org example.org warning dkim-no-active-key",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s\n%+v", diff, r.Findings)
	}
}

// TestDKIMActiveNotServed: an active key the DNS does not serve is an
// error; a next key not yet served only a warning.
func TestDKIMActiveNotServed(t *testing.T) {
	key, err := filepath.Abs(filepath.Join("..", "testdata", "error-files", "keys", "ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	r := lintHCL(t, `
domain "example.com" {
  dkim "a" {
    key_file = "`+key+`"
  }
  dkim "n" {
    key_file = "`+key+`"
    state    = "next"
  }
  dkim "r" {
    key_file     = "`+key+`"
    state        = "retiring"
  }
}`, map[string][]string{"example.com TXT": {"v=spf1 -all"}})
	got := append(filter(codes(r), "dkim-active-key-not-served"), filter(codes(r), "dkim-key-not-published")...)
	want := []string{"error dkim-active-key-not-served", "warning dkim-key-not-published"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s\n%+v", diff, r.Findings)
	}
}
