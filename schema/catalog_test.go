package schema

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite golden files")

// catalogGolden compares got with testdata/<name> at the repository root, or
// rewrites it with -update.
func catalogGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestCatalogValid: every embedded entry passes its checks, so none is
// silently left out of the catalog, and the required services are there.
func TestCatalogValid(t *testing.T) {
	if catalogErr != nil {
		t.Fatal(catalogErr)
	}
	files, err := fs.Glob(catalogFS, "catalog/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(Catalog()) != len(files) {
		t.Errorf("%d catalog files but %d entries", len(files), len(Catalog()))
	}
	for _, id := range []string{
		"google_workspace", "microsoft_365", "amazon_ses", "sendgrid", "mailgun", "postmark", "mailchimp",
		"mandrill", "brevo", "sparkpost", "zoho_mail", "fastmail", "proton_mail", "hubspot", "salesforce",
		"zendesk", "resend", "mailjet",
	} {
		if CatalogEntryByID(id) == nil {
			t.Errorf("no catalog entry %s", id)
		}
	}
	for i, e := range Catalog() {
		if i > 0 && Catalog()[i-1].ID >= e.ID {
			t.Errorf("catalog not sorted at %s", e.ID)
		}
		if _, ok := senderTypes[e.ID]; !ok {
			t.Errorf("%s is not a sender type", e.ID)
		}
	}
	if CatalogEntryByID("custom") != nil || CatalogEntryByID("nosuch") != nil {
		t.Error("CatalogEntryByID found an entry that is not in the catalog")
	}
}

// validCatalogEntry is a small entry that passes the checks; the cases below
// break one thing each.
const validCatalogEntry = `{
  "id": "acme",
  "name": "Acme Mail",
  "kind": "mailbox",
  "summary": "Acme's mailboxes.",
  "confidence": "confirmed",
  "sources": ["https://acme.example/docs"],
  "parameters": [
    {"name": "region", "type": "string", "doc": "The region.", "default": "us", "example": "eu", "enum": ["us", "eu"]},
    {"name": "token", "type": "string", "doc": "The token.", "example": "abc", "pattern": "^[a-z]+$", "shape": "letters"},
    {"name": "dkim_public_key", "type": "string", "doc": "The key.", "example": "MIIB"}
  ],
  "mx": {"param": "region", "sets": [
    {"name": "us", "hosts": [{"host": "mx.acme.example", "preference": 10}], "confidence": "confirmed", "sources": ["https://acme.example/mx"]},
    {"name": "eu", "hosts": [{"host": "mx.eu.acme.example", "preference": 10}], "confidence": "secondary", "note": "From zones.", "sources": ["zones"]}
  ]},
  "spf": {"includes": ["spf.acme.example"], "at": "@", "confidence": "confirmed", "sources": ["https://acme.example/spf"]},
  "dkim": [{"shape": "txt", "selector": "acme", "key": "dkim_public_key", "value": "p={dkim_public_key}", "confidence": "confirmed", "sources": ["https://acme.example/dkim"]}],
  "records": [
    {"purpose": "verification", "name": "@", "type": "TXT", "values": ["acme={token}"], "when": [{"param": "token"}], "confidence": "confirmed", "sources": ["https://acme.example/verify"]},
    {"purpose": "tracking", "name": "t", "type": "CNAME", "values": ["{domain_dashed}.t.acme.example"], "confidence": "confirmed", "sources": ["https://acme.example/t"]}
  ]
}`

// TestCatalogChecks: each kind of mistake in an entry's data is caught.
func TestCatalogChecks(t *testing.T) {
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"valid", "acme.json", "", "", ""},
		{"id differs from file name", "other.json", "", "", `id "acme" does not match the file name other.json`},
		{"unknown kind", "acme.json", `"kind": "mailbox"`, `"kind": "esp"`, `kind "esp" is neither`},
		{"MX on a sending service", "acme.json", `"kind": "mailbox"`, `"kind": "sending"`, "only mailbox services have MX records"},
		{"undeclared placeholder", "acme.json", `acme={token}`, `acme={code}`, "{code} is neither a parameter nor a builtin"},
		{"builtin in a name", "acme.json", `"name": "t"`, `"name": "{domain}"`, "{domain} is only allowed in record values"},
		{"optional parameter used unconditionally", "acme.json", `"values": ["{domain_dashed}.t.acme.example"]`, `"values": ["{token}.t.acme.example"]`, "{token} may be unset"},
		{"fact without source", "acme.json", `"sources": ["https://acme.example/spf"]`, `"sources": []`, "spf: no sources"},
		{"secondary fact without note", "acme.json", `"note": "From zones.", `, ``, "mx eu: a secondary fact needs a note"},
		{"unknown confidence", "acme.json", `"confidence": "secondary", "note"`, `"confidence": "likely", "note"`, `confidence "likely"`},
		{"bad regexp", "acme.json", `"^[a-z]+$"`, `"^[a-z+$"`, "pattern: error parsing regexp"},
		{"example does not match", "acme.json", `"example": "abc"`, `"example": "ABC"`, "example ABC does not have the expected shape"},
		{"parameter name not an identifier", "acme.json", `"name": "token"`, `"name": "to-ken"`, "not a lower-case HCL identifier"},
		{"parameter named like a builtin", "acme.json", `"name": "token"`, `"name": "domain"`, "is a builtin placeholder"},
		{"unknown field", "acme.json", `"summary"`, `"sumary"`, `unknown field "sumary"`},
		{"MX sets not the enum", "acme.json", `"enum": ["us", "eu"]`, `"enum": ["us", "ap"]`, "whose enum lists the set names"},
		{"unknown DKIM shape", "acme.json", `"shape": "txt"`, `"shape": "dns"`, "unknown shape"},
		{"CNAME at the apex", "acme.json", `"name": "t"`, `"name": "@"`, "only TXT records may be at the domain itself"},
		{"condition on unknown parameter", "acme.json", `"when": [{"param": "token"}]`, `"when": [{"param": "tokn"}]`, `unknown parameter "tokn"`},
		{"example makes an invalid record", "acme.json", `"example": "MIIB"`, `"example": "not base64"`, "example: dkim: malformed key record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(validCatalogEntry, tc.old, tc.new, 1)
			if tc.old != "" && data == validCatalogEntry {
				t.Fatalf("%q not in the entry", tc.old)
			}
			_, err := loadCatalog(fstest.MapFS{"c/" + tc.file: {Data: []byte(data)}}, "c")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %s", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// decodedCatalogSender is what a golden file records of a decoded sender.
type decodedCatalogSender struct {
	SPF       []string            `json:"spf"`
	MX        []string            `json:"mx"`
	Records   []catalogRecordJSON `json:"records"`
	Selectors []string            `json:"dkim_selectors"`
	// Expanded are the records for example.com.
	Expanded []catalogRecordJSON `json:"expanded_for_example_com"`
}

type catalogRecordJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

func loadCatalogSender(t *testing.T, hclText string) (*Sender, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := loadString(t, map[string]string{"m.hcl": hclText}, nil)
	if cfg == nil || len(cfg.Senders) == 0 {
		return nil, diags
	}
	return cfg.Senders[0], diags
}

// TestCatalogEntriesDecode loads, for every entry, the block `senders
// show` prints (every example parameter) and the minimal block (required
// parameters only): both load without diagnostics, the first yields what
// its golden file says and what Example returns, and a domain can use it
// as a sender (and a mailbox service as its mailbox).
func TestCatalogEntriesDecode(t *testing.T) {
	for _, e := range Catalog() {
		t.Run(e.ID, func(t *testing.T) {
			use := "senders = [sender." + e.ID + ".example]"
			if e.Kind == SenderKindMailbox {
				use += "\n  mailbox = sender." + e.ID + ".example"
			}
			text := e.ExampleHCL("example") + "\ndomain \"example.com\" {\n  " + use + "\n}\n"
			s, diags := loadCatalogSender(t, text)
			if len(diags) > 0 {
				t.Fatalf("%s\n%s", text, diags.Error())
			}
			want, err := e.Example()
			if err != nil {
				t.Fatal(err)
			}
			ignore := cmpopts.IgnoreFields(MX{}, "Range")
			if diff := cmp.Diff(want.SPF, s.SPF); diff != "" {
				t.Errorf("SPF differs from Example (-Example +decoded):\n%s", diff)
			}
			if diff := cmp.Diff(want.MX, s.MX, ignore); diff != "" {
				t.Errorf("MX differs from Example (-Example +decoded):\n%s", diff)
			}
			if diff := cmp.Diff(want.Records, s.Records); diff != "" {
				t.Errorf("records differ from Example (-Example +decoded):\n%s", diff)
			}
			for _, m := range s.MX {
				if m.Range != s.DeclRange {
					t.Errorf("MX %s has range %s, want the block's %s", m.Host, m.Range, s.DeclRange)
				}
			}
			got := decodedCatalogSender{SPF: append([]string{}, s.SPF...), MX: []string{}, Records: []catalogRecordJSON{}, Selectors: append([]string{}, s.DKIMSelectors()...), Expanded: []catalogRecordJSON{}}
			for _, m := range s.MX {
				got.MX = append(got.MX, fmt.Sprintf("%d %s", m.Preference, m.Host))
			}
			for _, r := range s.Records {
				got.Records = append(got.Records, catalogRecordJSON(r))
				got.Expanded = append(got.Expanded, catalogRecordJSON(ExpandSenderRecord(r, ExampleDomain)))
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			catalogGolden(t, "senders/decode/"+e.ID+".json", string(b)+"\n")

			minimal := e.MinimalHCL("minimal")
			if _, diags := loadCatalogSender(t, minimal); len(diags) > 0 {
				t.Errorf("minimal block:\n%s\n%s", minimal, diags.Error())
			}
		})
	}
}

// TestCatalogDiagnostics: user mistakes in catalog sender blocks are
// diagnostics at the tightest range, saying how to fix them.
func TestCatalogDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, hcl string
		// want is "LINE:COL Summary" of the only diagnostic.
		want string
		// detail holds what the diagnostic's detail must say.
		detail []string
	}{
		{"missing required parameter", `
sender "sendgrid" "news" {
  user_id   = 1234567
  subdomain = "em1234"
}`, "2:1 Missing required argument", []string{"needs wl_id", `wl_id = "123"`, "Find it in the DNS records SendGrid shows"}},
		{"required when another is set", `
sender "zoho_mail" "z" {
  dkim_public_key = "MIIBIjANBg"
}`, "2:1 Missing required argument", []string{"needs dkim_selector when dkim_public_key is set", "Zoho Mail Admin Console"}},
		{"required when a setting has a value", `
sender "microsoft_365" "m" {
  mx_token = "example-com"
  mx_set   = "mx_microsoft"
}`, "2:1 Missing required argument", []string{`needs mx_partition when mx_set = "mx_microsoft"`}},
		{"wrong region", `
sender "mailgun" "mg" {
  region = "de"
}`, "3:12 Invalid sender parameter", []string{`must be one of "us", "eu", not "de"`, `Did you mean "eu"?`}},
		{"wrong shape", `
sender "proton_mail" "p" {
  domain_id = "x-123"
}`, "3:15 Invalid sender parameter", []string{`"x-123" is not a Proton Mail domain_id`, "the token starting with d", "Find it in the DKIM records Proton shows"}},
		{"wrong shape of a number", `
sender "hubspot" "h" {
  hub_id      = -5
  spf_number  = "12"
  dkim_number = "12"
}`, "3:17 Invalid sender parameter", []string{"digits, such as 1234567"}},
		{"wrong type", `
sender "mailgun" "mg" {
  tracking = "sometimes"
}`, "3:14 Incorrect attribute value type", []string{"tracking must be true or false"}},
		{"unknown parameter", `
sender "mailgun" "mg" {
  regoin = "eu"
}`, "3:3 Unsupported argument", []string{`Did you mean "region"?`}},
		{"unknown type", `
sender "sendgird" "news" {}`, "2:8 Unknown sender type", []string{`Did you mean "sendgrid"?`, "google_workspace", "custom"}},
		{"bad DKIM key", `
sender "google_workspace" "g" {
  dkim_public_key = "not base64!"
}`, "3:21 Invalid DKIM public key", []string{"p= is not valid base64", "Gmail > Authenticate email"}},
		{"key shape unknown, bare key", `
sender "mailjet" "mj" {
  dkim_public_key = "MIIBIjANBg"
}`, "3:21 Invalid DKIM public key", []string{"give the whole TXT value"}},
		{"empty value", `
sender "resend" "r" {
  region          = "us-east-1"
  dkim_public_key = " "
}`, "4:21 Invalid sender parameter", []string{"dkim_public_key is empty"}},
		{"brace in a value", `
sender "sendgrid" "news" {
  user_id   = 1234567
  wl_id     = "123"
  subdomain = "em{domain}"
}`, "5:15 Invalid sender parameter", []string{`"em{domain}" is not a Twilio SendGrid subdomain`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadCatalogSender(t, tc.hcl)
			if len(diags) != 1 {
				t.Fatalf("want one diagnostic, got %d: %s", len(diags), diags.Error())
			}
			d := diags[0]
			if got := fmt.Sprintf("%d:%d %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if filepath.Base(d.Subject.Filename) != "m.hcl" {
				t.Errorf("diagnostic in %s", d.Subject.Filename)
			}
			for _, w := range tc.detail {
				if !strings.Contains(d.Detail, w) {
					t.Errorf("detail lacks %q:\n%s", w, d.Detail)
				}
			}
		})
	}
}

// TestCatalogParameterValues: defaults, prefixes users paste along with a
// value, conditional records and the forms of a DKIM key.
func TestCatalogParameterValues(t *testing.T) {
	const key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy2omGqavE7/6"
	googleMX := []string{"1 aspmx.l.google.com", "5 alt1.aspmx.l.google.com", "5 alt2.aspmx.l.google.com", "10 alt3.aspmx.l.google.com", "10 alt4.aspmx.l.google.com"}
	googleSPF := []string{"include:_spf.google.com"}
	for _, tc := range []struct {
		name, hcl string
		want      []SenderRecord
		wantMX    []string
		wantSPF   []string
	}{
		{"design example: no parameters", `sender "google_workspace" "corp" {}`, nil, googleMX, googleSPF},
		{"alternative MX set", `sender "google_workspace" "corp" { mx_set = "single" }`, nil, []string{"1 smtp.google.com"}, googleSPF},
		{"prefix pasted with the token, key wrapped", `
sender "google_workspace" "corp" {
  verification_token = "google-site-verification=abc_DEF-123"
  dkim_public_key    = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A  MIIBCgKCAQEAy2omGqavE7/6"
}`, []SenderRecord{
			{Name: "google._domainkey", Type: "TXT", Value: "v=DKIM1; k=rsa; p=" + key},
			{Name: "@", Type: "TXT", Value: "google-site-verification=abc_DEF-123"},
		}, googleMX, googleSPF},
		{"whole DKIM record pasted", `
sender "google_workspace" "corp" {
  dkim_selector   = "g2"
  dkim_public_key = "v=DKIM1;  k=rsa; p=` + key + `"
}`, []SenderRecord{{Name: "g2._domainkey", Type: "TXT", Value: "v=DKIM1; k=rsa; p=" + key}}, googleMX, googleSPF},
		{"zoho region", `sender "zoho_mail" "z" { region = "eu" }`, nil,
			[]string{"10 mx.zoho.eu", "20 mx2.zoho.eu", "50 mx3.zoho.eu"}, []string{"include:zohomail.com"}},
		{"mailgun tracking only when asked", `sender "mailgun" "mg" { region = "eu" }`, nil, nil, []string{"include:mailgun.org"}},
		{"mailgun EU tracking", `
sender "mailgun" "mg" {
  region   = "eu"
  tracking = true
}`, []SenderRecord{{Name: "email", Type: "CNAME", Value: "eu.mailgun.org"}}, nil, []string{"include:mailgun.org"}},
		{"sendgrid without link branding", `
sender "sendgrid" "news" {
  user_id   = "7654321"
  wl_id     = "042"
  subdomain = "em99"
}`, []SenderRecord{
			{Name: "s1._domainkey", Type: "CNAME", Value: "s1.domainkey.u7654321.wl042.sendgrid.net"},
			{Name: "s2._domainkey", Type: "CNAME", Value: "s2.domainkey.u7654321.wl042.sendgrid.net"},
			{Name: "em99", Type: "CNAME", Value: "u7654321.wl042.sendgrid.net"},
		}, nil, nil},
		{"SES without custom MAIL FROM", `
sender "amazon_ses" "ses" {
  dkim_token_1 = "aaa"
  dkim_token_2 = "bbb"
  dkim_token_3 = "ccc"
}`, []SenderRecord{
			{Name: "aaa._domainkey", Type: "CNAME", Value: "aaa.dkim.amazonses.com"},
			{Name: "bbb._domainkey", Type: "CNAME", Value: "bbb.dkim.amazonses.com"},
			{Name: "ccc._domainkey", Type: "CNAME", Value: "ccc.dkim.amazonses.com"},
		}, nil, nil},
		{"SES with its own key", `
sender "amazon_ses" "ses" {
  dkim_mode           = "byodkim"
  mail_from_subdomain = "bounce.mail"
  region              = "eu-west-1"
}`, []SenderRecord{
			{Name: "bounce.mail", Type: "MX", Value: "10 feedback-smtp.eu-west-1.amazonses.com"},
			{Name: "bounce.mail", Type: "TXT", Value: "v=spf1 include:amazonses.com ~all"},
		}, nil, nil},
		{"microsoft DKIM derived from the tenant", `
sender "microsoft_365" "m" {
  mx_token     = "contoso-com"
  tenant       = "contoso"
  autodiscover = false
}`, []SenderRecord{
			{Name: "selector1._domainkey", Type: "CNAME", Value: "selector1-{domain_dashed}._domainkey.contoso.onmicrosoft.com"},
			{Name: "selector2._domainkey", Type: "CNAME", Value: "selector2-{domain_dashed}._domainkey.contoso.onmicrosoft.com"},
		}, []string{"0 contoso-com.mail.protection.outlook.com"}, []string{"include:spf.protection.outlook.com"}},
		{"klaviyo dynamic routing", `sender "klaviyo" "k" {}`, []SenderRecord{
			{Name: "send", Type: "NS", Value: "ns1.klaviyo.com"},
			{Name: "send", Type: "NS", Value: "ns2.klaviyo.com"},
			{Name: "send", Type: "NS", Value: "ns3.klaviyo.com"},
			{Name: "send", Type: "NS", Value: "ns4.klaviyo.com"},
		}, nil, nil},
		{"postmark SPF include on request", `sender "postmark" "p" { include_spf = true }`,
			[]SenderRecord{{Name: "pm-bounces", Type: "CNAME", Value: "pm.mtasv.net"}}, nil, []string{"include:spf.mtasv.net"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, diags := loadCatalogSender(t, tc.hcl)
			if len(diags) > 0 {
				t.Fatal(diags.Error())
			}
			if diff := cmp.Diff(tc.want, s.Records, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			var mx []string
			for _, m := range s.MX {
				mx = append(mx, fmt.Sprintf("%d %s", m.Preference, m.Host))
			}
			if diff := cmp.Diff(tc.wantMX, mx, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("MX (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSPF, s.SPF, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("SPF (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandSenderRecord(t *testing.T) {
	r := SenderRecord{Name: "brevo1._domainkey", Type: "CNAME", Value: "b1.{domain_dashed}.dkim.brevo.com"}
	got := ExpandSenderRecord(r, "Mail.Example.co.uk.")
	want := SenderRecord{Name: "brevo1._domainkey", Type: "CNAME", Value: "b1.mail-example-co-uk.dkim.brevo.com"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	r = SenderRecord{Name: "sig1._domainkey", Type: "CNAME", Value: "sig1.dkim.{domain}.at.icloudmailadmin.com"}
	if got := ExpandSenderRecord(r, "example.org").Value; got != "sig1.dkim.example.org.at.icloudmailadmin.com" {
		t.Errorf("got %q", got)
	}
}

func TestDKIMSelectors(t *testing.T) {
	s := &Sender{Records: []SenderRecord{
		{Name: "s2._domainkey", Type: "CNAME", Value: "x"},
		{Name: "em1", Type: "CNAME", Value: "x"},
		{Name: "s1._domainkey", Type: "CNAME", Value: "x"},
		{Name: "google._domainkey", Type: "TXT", Value: "p="},
		{Name: "s1._domainkey", Type: "CNAME", Value: "y"},
	}}
	if diff := cmp.Diff([]string{"google", "s1", "s2"}, s.DKIMSelectors()); diff != "" {
		t.Error(diff)
	}
	if got := (&Sender{}).DKIMSelectors(); len(got) != 0 {
		t.Errorf("a sender without records owns %v", got)
	}
}

func TestSuggestSenderType(t *testing.T) {
	if got := SuggestSenderType("mailgum"); got != ` Did you mean "mailgun"?` {
		t.Errorf("got %q", got)
	}
	if got := SuggestSenderType("nosuchthing"); got != "" {
		t.Errorf("got %q", got)
	}
}
