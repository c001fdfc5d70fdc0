package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/libdns/libdns/libdnstest"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/rfc2136/bindtest"
	"github.com/mailconf/mailconf/schema"
)

// TestMain isolates the tests in a network namespace when run as root
// (bindtest.Main), so the BIND servers they start can reach nothing.
func TestMain(m *testing.M) { os.Exit(bindtest.Main(m)) }

// bindClient is a client of s with its key.
func bindClient(t *testing.T, s *bindtest.Server, zone string) *Client {
	t.Helper()
	c, err := New(Options{Server: s.Addr, KeyName: s.KeyName, Algorithm: s.Algorithm, Secret: s.Secret, Zone: zone})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestLibdnsConformanceBIND runs the libdns conformance suite against BIND,
// with no record type skipped. Its zone has check-integrity off, because
// the suite adds an MX whose in-zone target has no address, which BIND
// otherwise refuses (TestMXTargetWithoutAddressBIND shows that refusal).
func TestLibdnsConformanceBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t, bindtest.Zone{Name: "conformance.test", NoIntegrityCheck: true})
	c := bindClient(t, s, "conformance.test")
	libdnstest.NewTestSuite(c, "conformance.test.").RunTests(t)
}

// TestGetRecordsBIND checks the quirks of reading by zone transfer: one
// SOA, the NS present, names relative, TXT text unescaped.
func TestGetRecordsBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t, bindtest.Zone{Name: "example.test", Records: bindtest.ExampleRecords + `
quoted IN TXT "say \"hi\"" "back\\slash" "caf\195\169"
`})
	c := bindClient(t, s, "")
	ctx := testContext(t)
	recs, err := c.GetRecords(ctx, "Example.Test")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var quoted string
	for _, r := range recs {
		rr := r.RR()
		count[rr.Name+" "+rr.Type]++
		if rr.Name == "quoted" {
			quoted = r.(libdns.TXT).Text
		}
	}
	if count["@ SOA"] != 1 || count["@ NS"] != 1 || count["_sip._tcp SRV"] != 1 || count["*.wild A"] != 1 {
		t.Errorf("record counts = %v; want one SOA, NS, SRV and wildcard A", count)
	}
	if want := `say "hi"back\slashcafé`; quoted != want {
		t.Errorf("TXT text = %q, want %q", quoted, want)
	}
}

// TestTXTRoundTripBIND writes TXT records that the library's own quoting
// handles only with care (quotes, backslashes, UTF-8, more than 255
// octets) and checks both what GetRecords reads back and the character-
// strings the server holds, seen by zone transfer.
func TestTXTRoundTripBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t)
	c := bindClient(t, s, "")
	ctx := testContext(t)
	long := "v=DKIM1; k=rsa; p=" + strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", 13)
	texts := map[string]string{
		"quote":   `a "quoted" word`,
		"slash":   `back\slash`,
		"utf8":    "café ✓",
		"long":    long,
		"long-mb": strings.Repeat("é", 300),
	}
	var in []libdns.Record
	for name, text := range texts {
		in = append(in, libdns.TXT{Name: name, TTL: time.Hour, Text: text})
	}
	if _, err := c.SetRecords(ctx, ExampleZone, in); err != nil {
		t.Fatal(err)
	}
	recs, err := c.GetRecords(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		if txt, ok := r.(libdns.TXT); ok && texts[txt.Name] != "" {
			got[txt.Name] = txt.Text
		}
	}
	if !mapsEqual(got, texts) {
		t.Errorf("read back %q, want %q", got, texts)
	}
	rrs, err := s.Transfer(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range rrs {
		txt, ok := rr.(*dns.TXT)
		if !ok || txt.Hdr.Name != "long.example.test." {
			continue
		}
		// RFC 1035 section 3.3.14: one record of 255-octet strings, not
		// several records.
		if len(txt.Txt) != 2 || len(txt.Txt[0]) != 255 {
			t.Errorf("long TXT held as %d strings of lengths %v; want 255 + rest", len(txt.Txt), lengths(txt.Txt))
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func lengths(ss []string) []int {
	var n []int
	for _, s := range ss {
		n = append(n, len(s))
	}
	return n
}

// ExampleZone is bindtest's zone, named here for brevity.
const ExampleZone = bindtest.ExampleZone

// TestMailconfLoopBIND drives mailconf's whole loop against BIND: load a
// configuration, compile, read the zone, diff, apply, read again and diff,
// which must show nothing left to do. Then a zone transfer proves that
// every record that was not mailconf's is exactly as it was.
func TestMailconfLoopBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t)
	ctx := testContext(t)
	before, err := s.Transfer(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}

	key, err := filepath.Abs("../../testdata/error-files/keys/rsa2048.pem")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := fmt.Sprintf(`
provider "rfc2136" "bind" {
  server        = %q
  tsig_key_name = %q
  tsig_secret   = env("MAILCONF_TSIG_SECRET")
  zone          = "example.test"
}

sender "custom" "relay" {
  ip4 = ["192.0.2.25"]
}

domain "example.test" {
  provider = provider.rfc2136.bind
  senders  = [sender.custom.relay]

  mx {
    host       = "mail.example.test"
    preference = 10
  }
  dmarc {
    policy = "quarantine"
    rua    = ["mailto:dmarc@example.test"]
  }
  dkim "s1" {
    algorithm = "rsa-2048"
    key_file  = %q
  }
}
`, s.Addr, s.KeyName, key)
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MAILCONF_TSIG_SECRET": s.Secret + "\n"}
	cfg, diags := schema.Load(dir, schema.Options{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	desired, diags := plan.Compile(cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	clients := map[string]providers.Client{}
	for _, p := range cfg.Providers {
		c, diags := FromConfig(providers.Config{Type: p.Type, Name: p.Name, Body: p.Body, EvalContext: cfg.EvalContext, BaseDir: cfg.Dir, DeclRange: p.DeclRange, TypeRange: p.TypeRange})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		clients[p.Addr()] = c
	}

	live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(desired, live)
	if !p.HasChanges() {
		t.Fatal("the first plan has no changes")
	}
	if _, err := plan.Apply(ctx, p, clients, plan.ApplyOptions{Force: true}); err != nil {
		t.Fatalf("apply: %v\nnamed.log:\n%s", err, s.Log())
	}
	live, err = plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := plan.Diff(desired, live); p.HasChanges() {
		for _, d := range p.Domains {
			for _, c := range d.Changes {
				t.Errorf("left after apply: %s %s %s old=%v new=%v", c.Action.Word(), c.Name, c.Type, c.Old, c.New)
			}
		}
	}

	// The DKIM key is one TXT value for mailconf, held as 255-octet strings.
	var dkim string
	for _, r := range live.Records[ExampleZone] {
		if r.Name == "s1._domainkey.example.test" && r.Type == "TXT" {
			dkim = r.Data
		}
	}
	if len(dkim) <= 255 || !strings.HasPrefix(dkim, "v=DKIM1;") {
		t.Errorf("DKIM record read back as %q; want one value over 255 octets", dkim)
	}

	after, err := s.Transfer(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}
	assertUnrelatedUnchanged(t, before, after)
}

// assertUnrelatedUnchanged checks that every record of before but the SOA
// is in after with the same data and TTL, that the SOA serial grew, and
// that every new record is at a name and type mailconf manages.
func assertUnrelatedUnchanged(t *testing.T, before, after []dns.RR) {
	t.Helper()
	same := func(a, b dns.RR) bool { return dns.IsDuplicate(a, b) && a.Header().Ttl == b.Header().Ttl }
	for _, b := range before {
		if b.Header().Rrtype == dns.TypeSOA {
			continue
		}
		if !slices.ContainsFunc(after, func(a dns.RR) bool { return same(a, b) }) {
			t.Errorf("unrelated record changed or gone: %s", b)
		}
	}
	if sb, sa := before[0].(*dns.SOA), after[0].(*dns.SOA); sa.Serial <= sb.Serial {
		t.Errorf("SOA serial %d after apply, %d before; the server must have bumped it", sa.Serial, sb.Serial)
	}
	managed := map[string]bool{
		"example.test. MX": true, "example.test. TXT": true,
		"_dmarc.example.test. TXT": true, "s1._domainkey.example.test. TXT": true,
	}
	for _, a := range after {
		if slices.ContainsFunc(before, func(b dns.RR) bool { return same(a, b) }) || a.Header().Rrtype == dns.TypeSOA {
			continue
		}
		if k := a.Header().Name + " " + dns.TypeToString[a.Header().Rrtype]; !managed[k] {
			t.Errorf("apply added a record outside what mailconf manages: %s", a)
		}
	}
}

// TestWrongKeyBIND checks the errors of a key the server refuses: they
// say the key was refused, name it, tell the causes apart, and never show
// the secret.
func TestWrongKeyBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t)
	ctx := testContext(t)
	const wrongSecret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw=="
	rec := []libdns.Record{libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 -all"}}
	tests := []struct {
		name              string
		keyName, secret   string
		zone              string
		want              error
		wantIn, wantNotIn []string
	}{
		{"wrong secret", s.KeyName, wrongSecret, ExampleZone, ErrKeyRefused, []string{`TSIG key "mailconf-key"`, "refused", "BADSIG", "zone example.test."}, nil},
		{"unknown key name", "other-key", s.Secret, ExampleZone, ErrKeyRefused, []string{`TSIG key "other-key"`, "refused", "BADKEY"}, nil},
		{"zone not on the server", s.KeyName, s.Secret, "elsewhere.test.", ErrNotAuthoritative, []string{"not authoritative", "elsewhere.test."}, []string{"BADSIG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{Server: s.Addr, KeyName: tt.keyName, Secret: tt.secret})
			if err != nil {
				t.Fatal(err)
			}
			_, setErr := c.SetRecords(ctx, tt.zone, rec)
			_, getErr := c.GetRecords(ctx, tt.zone)
			for what, err := range map[string]error{"SetRecords": setErr, "GetRecords": getErr} {
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: error %v, want %v", what, err, tt.want)
					continue
				}
				if providers.IsTemporary(err) {
					t.Errorf("%s: a refused key is not temporary: %v", what, err)
				}
				msg := err.Error()
				for _, w := range tt.wantIn {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: error %q does not contain %q", what, msg, w)
					}
				}
				for _, w := range append(tt.wantNotIn, s.Secret, wrongSecret) {
					if strings.Contains(msg, w) {
						t.Errorf("%s: error %q contains %q", what, msg, w)
					}
				}
			}
		})
	}
}

// TestMXTargetWithoutAddressBIND checks what happens when BIND refuses an
// update that adds an MX whose in-zone target has no address: the client
// sees only REFUSED, so the error must name the likely cause and point at
// the server's log, and the zone must be unchanged.
func TestMXTargetWithoutAddressBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t)
	c := bindClient(t, s, "")
	ctx := testContext(t)
	_, err := c.SetRecords(ctx, ExampleZone, []libdns.Record{
		libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "nomail.example.test."},
	})
	if !errors.Is(err, ErrRefused) || providers.IsTemporary(err) {
		t.Fatalf("error %v; want ErrRefused, not temporary", err)
	}
	for _, w := range []string{"nomail.example.test.", "no A or AAAA record", "log", "zone example.test.", "@ MX"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if !strings.Contains(s.Log(), "has no address records") {
		t.Errorf("named.log does not show the reason the test relies on:\n%s", s.Log())
	}
	recs, err := c.GetRecords(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if rr := r.RR(); rr.Name == "@" && rr.Type == "MX" {
			t.Errorf("a refused update left %v", rr)
		}
	}
	// The same MX with a target that has an address goes through.
	if _, err := c.SetRecords(ctx, ExampleZone, []libdns.Record{
		libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mail.example.test."},
	}); err != nil {
		t.Errorf("MX to a target with an address: %v", err)
	}
}

// TestDeleteRecordsBIND checks that DeleteRecords deletes and reports only
// what exists and matches, and never the SOA or the apex NS.
func TestDeleteRecordsBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t)
	c := bindClient(t, s, "")
	ctx := testContext(t)
	deleted, err := c.DeleteRecords(ctx, ExampleZone, []libdns.Record{
		libdns.RR{Name: "mail", Type: "A", TTL: 3600 * time.Second, Data: "192.0.2.25"}, // exists
		libdns.RR{Name: "mail", Type: "AAAA", TTL: 60 * time.Second},                    // wrong TTL
		libdns.RR{Name: "nothing", Type: "A"},                                           // no such name
		libdns.RR{Name: "@"},                                                            // everything at the apex
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range deleted {
		rr := r.RR()
		got = append(got, rr.Name+" "+rr.Type+" "+rr.Data)
	}
	slices.Sort(got)
	want := []string{
		"@ A 192.0.2.10",
		"@ AAAA 2001:db8::10",
		"@ TXT google-site-verification=mailconf-test-token",
		"mail A 192.0.2.25",
	}
	if !slices.Equal(got, want) {
		t.Errorf("deleted %q, want %q", got, want)
	}
	after, err := s.Transfer(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, rr := range after {
		h := rr.Header()
		if h.Name == "example.test." || h.Name == "mail.example.test." {
			left = append(left, dns.TypeToString[h.Rrtype]+" "+h.Name)
		}
	}
	slices.Sort(left)
	if want := []string{"AAAA mail.example.test.", "NS example.test.", "SOA example.test."}; !slices.Equal(left, want) {
		t.Errorf("left at the apex and mail: %q, want %q", left, want)
	}
}

// TestFromConfigBIND checks that a client built from HCL reaches the
// server: the attributes are wired to the right options.
func TestFromConfigBIND(t *testing.T) {
	t.Parallel()
	s := bindtest.Start(t)
	body := fmt.Sprintf(`
server         = %q
tsig_key_name  = %q
tsig_algorithm = "HMAC-SHA256."
tsig_secret    = env("SECRET")
zone           = "example.test"
concurrency    = 2
`, s.Addr, s.KeyName)
	c, diags := fromHCL(t, body, map[string]string{"SECRET": s.Secret})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := testContext(t)
	zones, err := c.(libdns.ZoneLister).ListZones(ctx)
	if err != nil || len(zones) != 1 || zones[0].Name != ExampleZone {
		t.Errorf("ListZones = %v, %v", zones, err)
	}
	if n := providers.ConcurrencyOf(c); n != 2 {
		t.Errorf("concurrency %d, want 2", n)
	}
	if zone, err := providers.ZoneFor(ctx, c, "sub.example.test", ""); err != nil || zone != ExampleZone {
		t.Errorf("ZoneFor = %q, %v", zone, err)
	}
	if _, err := c.GetRecords(ctx, ExampleZone); err != nil {
		t.Errorf("GetRecords: %v", err)
	}
}
