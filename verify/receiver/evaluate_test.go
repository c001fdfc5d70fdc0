package receiver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/resolve"
)

// testKeys are the signing keys of the tests, generated once per run.
type testKeys struct {
	good, other ed25519.PrivateKey
}

func newKeys(t *testing.T) testKeys {
	t.Helper()
	var k testKeys
	for _, p := range []*ed25519.PrivateKey{&k.good, &k.other} {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		*p = priv
	}
	return k
}

// dkimRecord is the RFC 8463 section 4 key record of an Ed25519 key.
func dkimRecord(k ed25519.PrivateKey) string {
	return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
}

const (
	goodIP = "192.0.2.1"
	badIP  = "198.51.100.9"
)

// testZone is the DNS of the evaluation tests.
func testZone(k testKeys) *resolve.Fake {
	spf := "v=spf1 ip4:" + goodIP + " -all"
	return &resolve.Fake{
		Records: map[string][]string{
			"example.com A":                         {goodIP},
			"example.com TXT":                       {spf},
			"_dmarc.example.com TXT":                {"v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com"},
			"default._bimi.example.com TXT":         {"v=BIMI1; l=https://example.com/logo.svg"},
			"s1._domainkey.example.com TXT":         {dkimRecord(k.good)},
			"s2._domainkey.example.com TXT":         {dkimRecord(k.other)},
			"mail.example.com A":                    {goodIP},
			"mail.example.com TXT":                  {spf},
			"mta.example.com A":                     {goodIP},
			"mta.example.com TXT":                   {spf},
			"a.b.c.example.com A":                   {goodIP},
			"soft.example.com TXT":                  {"v=spf1 ip4:" + goodIP + " ~all"},
			"strict.test TXT":                       {spf},
			"_dmarc.strict.test TXT":                {"v=DMARC1; p=reject; adkim=s; aspf=s"},
			"s1._domainkey.strict.test TXT":         {dkimRecord(k.good)},
			"bounce.strict.test TXT":                {spf},
			"s1._domainkey.mail.strict.test TXT":    {dkimRecord(k.good)},
			"none.test TXT":                         {spf},
			"_dmarc.none.test TXT":                  {"v=DMARC1; p=none"},
			"nodmarc.test TXT":                      {spf},
			"s1._domainkey.nodmarc.test TXT":        {dkimRecord(k.good)},
			"other.test TXT":                        {spf},
			"mx.other.test TXT":                     {spf},
			"s1._domainkey.other.test TXT":          {dkimRecord(k.good)},
			"_dmarc.psd.test TXT":                   {"v=DMARC1; p=reject; psd=y"},
			"brand.psd.test A":                      {goodIP},
			"s1._domainkey.mail.brand.psd.test TXT": {dkimRecord(k.good)},
			"flaky.test TXT":                        {spf},
			"_dmarc.twice.test TXT":                 {"v=DMARC1; p=reject", "v=DMARC1; p=none"},
			"twice.test TXT":                        {spf},
			"pct.test TXT":                          {spf},
			"_dmarc.pct.test TXT":                   {"v=DMARC1; p=reject; pct=50"},
			"default._bimi.pct.test TXT":            {"v=BIMI1; l=https://pct.test/logo.svg"},
			"quar.test TXT":                         {spf},
			"_dmarc.quar.test TXT":                  {"v=DMARC1; p=quarantine"},
			"lenient.test TXT":                      {spf},
			"_dmarc.lenient.test TXT":               {"v=DMARC1; p=reject; adkim=x; foo=bar"},
		},
		Fail: map[string]error{
			"_dmarc.flaky.test TXT":           resolve.ErrTemporary,
			"spfflaky.test TXT":               resolve.ErrTemporary,
			"s9._domainkey.example.com TXT":   resolve.ErrTemporary,
			"_dmarc.flakyorg.example.com TXT": resolve.ErrTemporary,
		},
	}
}

// sig is one DKIM signature to add to a test message.
type sig struct {
	domain, selector string
	key              ed25519.PrivateKey
}

// message builds a probe message from "from" and signs it with sigs, the
// last one ending up on top.
func message(t *testing.T, from string, sigs ...sig) []byte {
	t.Helper()
	msg := []byte("From: Probe <" + from + ">\r\n" +
		"To: probe@receiver.test\r\n" +
		"Subject: mailconf probe\r\n" +
		"Date: Mon, 01 Jun 2026 10:00:00 +0000\r\n" +
		"Message-ID: <tok123@mailconf.test>\r\n" +
		"\r\n" +
		"This is a probe.\r\n")
	for _, s := range sigs {
		var b bytes.Buffer
		err := dkim.Sign(&b, bytes.NewReader(msg), &dkim.SignOptions{
			Domain: s.domain, Selector: s.selector, Signer: s.key,
			HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
		})
		if err != nil {
			t.Fatal(err)
		}
		msg = b.Bytes()
	}
	return msg
}

// summary is the part of a Verdict the table checks, in a form that reads
// well in a diff.
type summary struct {
	SPF, SPFDomain string
	DKIM           []string // "domain/selector=result"
	DMARC, Policy  string
	Org            string
	SPFAligned     bool
	DKIMAligned    bool
	BIMI           bool
}

func summarize(v *Verdict) summary {
	s := summary{
		SPF: v.SPF.Result, SPFDomain: v.SPF.Domain,
		DMARC: v.DMARC.Result, Policy: v.DMARC.Policy, Org: v.DMARC.OrgDomain,
		SPFAligned: v.DMARC.SPFAligned, DKIMAligned: v.DMARC.DKIMAligned, BIMI: v.BIMIEligible,
	}
	for _, d := range v.DKIM {
		s.DKIM = append(s.DKIM, fmt.Sprintf("%s/%s=%s", d.Domain, d.Selector, d.Result))
	}
	return s
}

func TestEvaluate(t *testing.T) {
	k := newKeys(t)
	good := func(domain string) sig { return sig{domain, "s1", k.good} }
	tests := []struct {
		name     string
		ip       string
		helo     string
		mailFrom string
		msg      []byte
		want     summary
	}{
		{
			name: "SPF and DKIM aligned, enforcing policy with BIMI", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@example.com", good("example.com")),
			want: summary{SPF: "pass", SPFDomain: "example.com", DKIM: []string{"example.com/s1=pass"}, DMARC: "pass", Policy: "reject", Org: "example.com", SPFAligned: true, DKIMAligned: true, BIMI: true},
		},
		{
			name: "unsigned, SPF aligned", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@example.com"),
			want: summary{SPF: "pass", SPFDomain: "example.com", DMARC: "pass", Policy: "reject", Org: "example.com", SPFAligned: true, BIMI: true},
		},
		{
			name: "SPF fail but DKIM aligned passes DMARC", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@example.com", good("example.com")),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"example.com/s1=pass"}, DMARC: "pass", Policy: "reject", Org: "example.com", DKIMAligned: true, BIMI: true},
		},
		{
			name: "SPF softfail", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@soft.example.com",
			msg:  message(t, "news@example.com"),
			want: summary{SPF: "softfail", SPFDomain: "soft.example.com", DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "DKIM key in DNS differs from the signing key", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@example.com", sig{"example.com", "s2", k.good}),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"example.com/s2=fail"}, DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "From aligned with neither SPF nor DKIM domain", ip: goodIP, helo: "mx.other.test", mailFrom: "bounce@other.test",
			msg:  message(t, "news@example.com", good("other.test")),
			want: summary{SPF: "pass", SPFDomain: "other.test", DKIM: []string{"other.test/s1=pass"}, DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "relaxed SPF alignment of a subdomain", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@mail.example.com",
			msg:  message(t, "news@example.com"),
			want: summary{SPF: "pass", SPFDomain: "mail.example.com", DMARC: "pass", Policy: "reject", Org: "example.com", SPFAligned: true, BIMI: true},
		},
		{
			name: "strict SPF alignment rejects a subdomain", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@bounce.strict.test",
			msg:  message(t, "news@strict.test"),
			want: summary{SPF: "pass", SPFDomain: "bounce.strict.test", DMARC: "fail", Policy: "reject", Org: "strict.test"},
		},
		{
			name: "strict DKIM alignment rejects a subdomain", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@strict.test",
			msg:  message(t, "news@strict.test", good("mail.strict.test")),
			want: summary{SPF: "fail", SPFDomain: "strict.test", DKIM: []string{"mail.strict.test/s1=pass"}, DMARC: "fail", Policy: "reject", Org: "strict.test"},
		},
		{
			name: "strict DKIM alignment with the exact domain", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@strict.test",
			msg:  message(t, "news@strict.test", good("strict.test")),
			want: summary{SPF: "fail", SPFDomain: "strict.test", DKIM: []string{"strict.test/s1=pass"}, DMARC: "pass", Policy: "reject", Org: "strict.test", DKIMAligned: true},
		},
		{
			name: "existing subdomain gets sp, BIMI record at the organizational domain", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@mail.example.com", good("example.com")),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"example.com/s1=pass"}, DMARC: "pass", Policy: "quarantine", Org: "example.com", DKIMAligned: true, BIMI: true},
		},
		{
			name: "existing subdomain failing gets sp", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@mail.example.com"),
			want: summary{SPF: "fail", SPFDomain: "example.com", DMARC: "fail", Policy: "quarantine", Org: "example.com"},
		},
		{
			name: "non-existent subdomain gets np", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@ghost.example.com"),
			want: summary{SPF: "fail", SPFDomain: "example.com", DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "p=none", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@none.test",
			msg:  message(t, "news@none.test"),
			want: summary{SPF: "fail", SPFDomain: "none.test", DMARC: "fail", Policy: "none", Org: "none.test"},
		},
		{
			name: "p=none passing is not BIMI eligible", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@none.test",
			msg:  message(t, "news@none.test"),
			want: summary{SPF: "pass", SPFDomain: "none.test", DMARC: "pass", Policy: "none", Org: "none.test", SPFAligned: true},
		},
		{
			name: "no DMARC record", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@nodmarc.test",
			msg:  message(t, "news@nodmarc.test", good("nodmarc.test")),
			want: summary{SPF: "pass", SPFDomain: "nodmarc.test", DKIM: []string{"nodmarc.test/s1=pass"}, DMARC: "none", Policy: "none", Org: "nodmarc.test"},
		},
		{
			name: "null MAIL FROM checks HELO, aligned", ip: goodIP, helo: "mta.example.com", mailFrom: "<>",
			msg:  message(t, "news@example.com"),
			want: summary{SPF: "pass", SPFDomain: "mta.example.com", DMARC: "pass", Policy: "reject", Org: "example.com", SPFAligned: true, BIMI: true},
		},
		{
			name: "null MAIL FROM checks HELO, unaligned", ip: goodIP, helo: "mx.other.test", mailFrom: "",
			msg:  message(t, "news@example.com"),
			want: summary{SPF: "pass", SPFDomain: "mx.other.test", DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "record at the organizational domain found by the tree walk", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@a.b.c.example.com", good("example.com")),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"example.com/s1=pass"}, DMARC: "pass", Policy: "quarantine", Org: "example.com", DKIMAligned: true, BIMI: true},
		},
		{
			name: "psd=y makes the name below it the organizational domain", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@brand.psd.test", good("mail.brand.psd.test")),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"mail.brand.psd.test/s1=pass"}, DMARC: "pass", Policy: "reject", Org: "brand.psd.test", DKIMAligned: true},
		},
		{
			name: "psd=y does not align sibling organizations", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@other.psd.test", good("mail.brand.psd.test")),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"mail.brand.psd.test/s1=pass"}, DMARC: "fail", Policy: "reject", Org: "other.psd.test"},
		},
		{
			name: "DMARC temperror on DNS failure", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@flaky.test",
			msg:  message(t, "news@flaky.test"),
			want: summary{SPF: "pass", SPFDomain: "flaky.test", DMARC: "temperror", Policy: "none"},
		},
		{
			name: "SPF temperror on DNS failure", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@spfflaky.test",
			msg:  message(t, "news@example.com"),
			want: summary{SPF: "temperror", SPFDomain: "spfflaky.test", DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "DKIM temperror when the key cannot be fetched", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@example.com", sig{"example.com", "s9", k.good}),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"example.com/s9=temperror"}, DMARC: "fail", Policy: "reject", Org: "example.com"},
		},
		{
			name: "two DMARC records count as none", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@twice.test",
			msg:  message(t, "news@twice.test"),
			want: summary{SPF: "pass", SPFDomain: "twice.test", DMARC: "none", Policy: "none", Org: "twice.test"},
		},
		{
			name: "pct below 100 is not BIMI eligible", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@pct.test",
			msg:  message(t, "news@pct.test"),
			want: summary{SPF: "pass", SPFDomain: "pct.test", DMARC: "pass", Policy: "reject", Org: "pct.test", SPFAligned: true},
		},
		{
			name: "quarantine without BIMI record", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@quar.test",
			msg:  message(t, "news@quar.test"),
			want: summary{SPF: "pass", SPFDomain: "quar.test", DMARC: "pass", Policy: "quarantine", Org: "quar.test", SPFAligned: true},
		},
		{
			name: "one bad and one good signature", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  message(t, "news@example.com", good("example.com"), sig{"example.com", "s2", k.good}),
			want: summary{SPF: "fail", SPFDomain: "example.com", DKIM: []string{"example.com/s2=fail", "example.com/s1=pass"}, DMARC: "pass", Policy: "reject", Org: "example.com", DKIMAligned: true, BIMI: true},
		},
		{
			name: "bad tag in the DMARC record is ignored", ip: badIP, helo: "mta.example.com", mailFrom: "bounce@lenient.test",
			msg:  message(t, "news@lenient.test"),
			want: summary{SPF: "fail", SPFDomain: "lenient.test", DMARC: "fail", Policy: "reject", Org: "lenient.test"},
		},
		{
			name: "message without From is a DMARC permerror", ip: goodIP, helo: "mta.example.com", mailFrom: "bounce@example.com",
			msg:  []byte("Subject: x\r\n\r\nbody\r\n"),
			want: summary{SPF: "pass", SPFDomain: "example.com", DMARC: "permerror", Policy: "none"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{IP: netip.MustParseAddr(tt.ip), Helo: tt.helo, MailFrom: tt.mailFrom, Message: tt.msg}
			v := Evaluate(context.Background(), testZone(k), in)
			if diff := cmp.Diff(tt.want, summarize(v)); diff != "" {
				t.Errorf("verdict mismatch (-want +got):\n%s\nfull verdict: %+v", diff, v)
			}
		})
	}
}

// TestTreeWalkBound checks the RFC 9989 section 4.10 bound: a name of
// eleven labels is queried itself, then from seven labels down to one.
func TestTreeWalkBound(t *testing.T) {
	f := &resolve.Fake{Records: map[string][]string{"x.test A": {goodIP}}}
	w := &walker{r: f, cache: map[string]walkResult{}}
	res := w.walk(context.Background(), "a.b.c.d.e.f.g.h.i.x.test")
	if res.err != nil || len(res.records) != 0 {
		t.Fatalf("walk = %+v", res)
	}
	if got := f.Queries(); got != maxWalkQueries {
		t.Errorf("walk made %d queries, want %d", got, maxWalkQueries)
	}
	for _, name := range []string{"_dmarc.a.b.c.d.e.f.g.h.i.x.test", "_dmarc.e.f.g.h.i.x.test", "_dmarc.test"} {
		if f.QueriesFor(name, 16) != 1 {
			t.Errorf("%s was not queried once", name)
		}
	}
	if f.QueriesFor("_dmarc.d.e.f.g.h.i.x.test", 16) != 0 {
		t.Errorf("the walk queried an eight-label name after the first query")
	}
}

func TestOrgDomain(t *testing.T) {
	rec := func(domain, psd string) policyRecord {
		r := parseLenient("v=DMARC1; p=none" + map[bool]string{true: "; psd=" + psd, false: ""}[psd != ""])
		return policyRecord{Domain: domain, Rec: r}
	}
	tests := []struct {
		name, domain string
		records      []policyRecord
		want         string
	}{
		{"no records", "a.example.com", nil, "a.example.com"},
		{"fewest labels", "a.b.example.com", []policyRecord{rec("a.b.example.com", ""), rec("example.com", "")}, "example.com"},
		{"psd=n stops", "a.b.example.com", []policyRecord{rec("b.example.com", "n")}, "b.example.com"},
		{"psd=y above", "a.b.example.com", []policyRecord{rec("com", "y")}, "example.com"},
		{"psd=y at the start", "example.com", []policyRecord{rec("example.com", "y")}, "example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := orgDomain(tt.domain, walkResult{records: tt.records}); got != tt.want {
				t.Errorf("orgDomain = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuthResults(t *testing.T) {
	k := newKeys(t)
	in := Input{IP: netip.MustParseAddr(goodIP), Helo: "mta.example.com", MailFrom: "bounce@example.com",
		Message: message(t, "news@example.com", sig{"example.com", "s1", k.good}), AuthServID: "probe.mailconf.test"}
	v := Evaluate(context.Background(), testZone(k), in)
	id, results, err := authres.Parse(v.AuthResults)
	if err != nil {
		t.Fatalf("Parse(%q): %v", v.AuthResults, err)
	}
	if id != "probe.mailconf.test" {
		t.Errorf("authserv-id = %q", id)
	}
	want := []authres.Result{
		&authres.SPFResult{Value: authres.ResultPass, From: "bounce@example.com", Helo: "mta.example.com"},
		&authres.DKIMResult{Value: authres.ResultPass, Domain: "example.com"},
		&authres.DMARCResult{Value: authres.ResultPass, From: "example.com"},
	}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("results (-want +got):\n%s\nvalue: %s", diff, v.AuthResults)
	}
	if !strings.HasPrefix(v.AuthResults, "probe.mailconf.test; spf=pass") {
		t.Errorf("AuthResults = %q", v.AuthResults)
	}
}

func FuzzParseLenient(f *testing.F) {
	for _, s := range []string{"v=DMARC1; p=reject", "v=DMARC1; p=reject; adkim=x", "v=DMARC1", "v=spf1 -all",
		"v=DMARC1; p=none; p=reject", "v=DMARC1;;;", "v=DMARC1; rua=mailto:a@b.c; pct=50; psd=y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := parseLenient(s)
		if r == nil {
			return
		}
		again := parseLenient(r.String())
		if again == nil {
			t.Fatalf("parseLenient(%q) = %q, which does not parse again", s, r.String())
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
	})
}
