package zonefile

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain turns fsync off: on a shared disk it makes each write slow, and
// only TestAtomicReplace, which turns it back on, is about durability.
func TestMain(m *testing.M) {
	syncWrites = false
	os.Exit(m.Run())
}

const zone = "example.com."

// fixedNow is the clock of every test: 5 March 2026, so today's first
// serial is 2026030500.
func fixedNow() time.Time { return time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC) }

// setup copies testdata/example.com.zone (or the given content) into a
// temporary directory and returns a provider for it with the fixed clock.
func setup(t *testing.T, content string) (*Provider, string) {
	t.Helper()
	if content == "" {
		b, err := os.ReadFile(filepath.Join("testdata", "example.com.zone"))
		if err != nil {
			t.Fatal(err)
		}
		content = string(b)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "example.com.zone")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p := New(dir)
	p.Now = fixedNow
	return p, path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rrs compares records by their libdns RR form: the typed structs hold
// netip.Addr and maps, which cmp cannot look into.
func rrs(recs []libdns.Record) []libdns.RR {
	out := make([]libdns.RR, len(recs))
	for i, r := range recs {
		out[i] = r.RR()
	}
	return out
}

// parseFile parses a zone file with miekg/dns directly, independently of
// the code under test.
func parseFile(t *testing.T, path string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(bytes.NewReader(readFile(t, path)), zone, path)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return out
}

func dkimKey(n int) string {
	// Base64 alphabet only, like a real key; deterministic.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := range n {
		b.WriteByte(alphabet[(i*7+3)%len(alphabet)])
	}
	return b.String()
}

func TestGetRecordsRealisticZone(t *testing.T) {
	p, _ := setup(t, "")
	got, err := p.GetRecords(context.Background(), zone)
	if err != nil {
		t.Fatal(err)
	}
	// Check the concrete types libdns asks for, then the values.
	wantTypes := []string{"RR", "NS", "NS", "MX", "MX", "TXT", "TXT", "CAA", "CAA", "Address", "Address",
		"CNAME", "Address", "Address", "TXT", "TXT", "SRV", "Address", "TXT"}
	var gotTypes []string
	for _, r := range got {
		gotTypes = append(gotTypes, strings.TrimPrefix(fmt.Sprintf("%T", r), "libdns."))
	}
	if diff := cmp.Diff(wantTypes, gotTypes); diff != "" {
		t.Errorf("record types (-want +got):\n%s", diff)
	}

	// The key of testdata/example.com.zone, written there as two strings.
	const key = "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1L9RIvNEVUxTveLruM0rfj0WAK1jHDhaXXzOI8d4VFmtvBtMkA/+SNV1tdpcY4BAEl9l2w/j4kSUt26phkV9mGCE/tCLl4r019GWp0RqhrWACeY2thHbFiEbZamq3/KcXlLZxQjFAjRzRNjAetkcvWBor8" +
		"df9ikvBioJyjgcieced7mprp4wsNvbb1EKJk753ngVAde2uSronrBZxat0PbZ1humPrSfaC5lovAOaHvNMk5ubjlI6i++J1HhgjF7PbKNYdY9tJ+bPRScpN5d6dI/Yg5HbZ5ztp9x78fAF7oeb7q13mUz1czQewXtYu/frNNJxHJk8HZdrEosxiNwYKaK0w0L1Qz"
	h := time.Hour
	want := []libdns.RR{
		{Name: "@", TTL: h, Type: "SOA", Data: "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"},
		{Name: "@", TTL: h, Type: "NS", Data: "ns1.example.com."},
		{Name: "@", TTL: h, Type: "NS", Data: "ns2.example.net."},
		{Name: "@", TTL: h, Type: "MX", Data: "10 mx1.example.com."},
		{Name: "@", TTL: h, Type: "MX", Data: "20 mx2.example.com."},
		{Name: "@", TTL: h, Type: "TXT", Data: "v=spf1 include:_spf.google.com ~all"},
		{Name: "@", TTL: h, Type: "TXT", Data: "google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ"},
		{Name: "@", TTL: h, Type: "CAA", Data: `0 issue "letsencrypt.org"`},
		{Name: "@", TTL: h, Type: "CAA", Data: `128 iodef "mailto:security@example.com"`},
		{Name: "@", TTL: h, Type: "A", Data: "192.0.2.10"},
		{Name: "@", TTL: h, Type: "AAAA", Data: "2001:db8::10"},
		{Name: "www", TTL: 300 * time.Second, Type: "CNAME", Data: "example.com."},
		// RFC 1035 section 5.1: an omitted TTL is the last one stated...
		// unless $TTL set it, as here.
		{Name: "mx1", TTL: h, Type: "A", Data: "192.0.2.25"},
		{Name: "*", TTL: h, Type: "A", Data: "192.0.2.99"},
		{Name: "_dmarc", TTL: h, Type: "TXT", Data: "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"},
		{Name: "s1._domainkey", TTL: h, Type: "TXT", Data: "v=DKIM1; k=rsa; p=" + key},
		{Name: "_sip._tcp", TTL: h, Type: "SRV", Data: "10 60 5060 sip.example.com."},
		{Name: "sip", TTL: h, Type: "A", Data: "192.0.2.50"},
		{Name: "quoted", TTL: h, Type: "TXT", Data: "say \"hi\"back\\slashtab\tend"},
	}
	if diff := cmp.Diff(want, rrs(got)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	srv := got[16].(libdns.SRV)
	if srv.Service != "sip" || srv.Transport != "tcp" || srv.Name != "@" {
		t.Errorf("SRV = %+v, want service sip, transport tcp at @", srv)
	}
}

// TestWriteKeepsUnrelatedRecords appends one record and checks that every
// other record is still there with the same owner, TTL and rdata, in the
// same order, and that the new one sits after its owner's last record.
func TestWriteKeepsUnrelatedRecords(t *testing.T) {
	p, path := setup(t, "")
	before := parseFile(t, path)
	added, err := p.AppendRecords(context.Background(), zone, []libdns.Record{
		libdns.Address{Name: "mx1", TTL: time.Hour, IP: netip.MustParseAddr("2001:db8::25")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 {
		t.Fatalf("added %d records, want 1", len(added))
	}
	after := parseFile(t, path)
	if len(after) != len(before)+1 {
		t.Fatalf("%d records after append, want %d", len(after), len(before)+1)
	}
	var want, got []string
	for i, rr := range before {
		if i == 13 { // after mx1's A record
			want = append(want, "mx1.example.com.\t3600\tIN\tAAAA\t2001:db8::25")
		}
		if _, ok := rr.(*dns.SOA); ok {
			continue // its serial changed, checked elsewhere
		}
		want = append(want, rr.String())
	}
	for _, rr := range after {
		if _, ok := rr.(*dns.SOA); !ok {
			got = append(got, rr.String())
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records after append (-want +got):\n%s", diff)
	}
	// Beyond presentation form, the wire rdata of every TXT string must be
	// unchanged: the escapes of "quoted" and the split DKIM key.
	for i, rr := range before {
		j := i
		if i >= 13 {
			j++
		}
		if a, ok := rr.(*dns.TXT); ok {
			if diff := cmp.Diff(a.Txt, after[j].(*dns.TXT).Txt); diff != "" {
				t.Errorf("TXT strings of %s changed (-before +after):\n%s", a.Hdr.Name, diff)
			}
		}
	}
}

func TestNextSerial(t *testing.T) {
	now := fixedNow()
	tests := []struct {
		name    string
		current uint32
		want    uint32
	}{
		{"older date serial jumps to today", 2024010101, 2026030500},
		{"small counter serial jumps to today", 7, 2026030500},
		{"today's serial increments", 2026030500, 2026030501},
		{"today's last serial runs into tomorrow's range", 2026030599, 2026030600},
		{"serial far in the future increments", 2099123100, 2099123101},
		{"largest serial wraps (RFC 1982 section 3.1)", 4294967295, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextSerial(tt.current, now); got != tt.want {
				t.Errorf("nextSerial(%d) = %d, want %d", tt.current, got, tt.want)
			}
		})
	}
}

func TestWriteBumpsSerial(t *testing.T) {
	tests := []struct {
		name   string
		serial string
		want   uint32
	}{
		{"older serial", "2024010101", 2026030500},
		{"same-day serial", "2026030507", 2026030508},
		{"serial far in the future", "2099123100", 2099123101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, path := setup(t, strings.Replace(minimalZone, "2024010100", tt.serial, 1))
			if _, err := p.AppendRecords(context.Background(), zone, []libdns.Record{
				libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: "v=DMARC1; p=none"},
			}); err != nil {
				t.Fatal(err)
			}
			soa := parseFile(t, path)[0].(*dns.SOA)
			if soa.Serial != tt.want {
				t.Errorf("serial = %d, want %d", soa.Serial, tt.want)
			}
		})
	}
}

// TestNoChangeNoWrite: a call that changes nothing leaves the file, and so
// the serial, alone.
func TestNoChangeNoWrite(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		name string
		call func(p *Provider) ([]libdns.Record, error)
	}{
		{"append of an existing record", func(p *Provider) ([]libdns.Record, error) {
			return p.AppendRecords(ctx, zone, []libdns.Record{libdns.Address{Name: "mx1", TTL: time.Hour, IP: netip.MustParseAddr("192.0.2.25")}})
		}},
		{"set to the current RRset", func(p *Provider) ([]libdns.Record, error) {
			return p.SetRecords(ctx, zone, []libdns.Record{
				libdns.MX{Name: "@", TTL: time.Hour, Preference: 20, Target: "mx2.example.com."},
				libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mx1.example.com."},
			})
		}},
		{"delete of a missing record", func(p *Provider) ([]libdns.Record, error) {
			return p.DeleteRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "nothing", Text: "x"}})
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			p, path := setup(t, "")
			before := readFile(t, path)
			if _, err := tt.call(p); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, readFile(t, path)) {
				t.Error("the file was rewritten")
			}
		})
	}
}

func TestAtomicReplace(t *testing.T) {
	syncWrites = true
	t.Cleanup(func() { syncWrites = false })
	p, path := setup(t, "")
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		if _, err := p.AppendRecords(ctx, zone, []libdns.Record{
			libdns.TXT{Name: fmt.Sprintf("t%d", i), TTL: time.Minute, Text: "x"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"example.com.zone"}, names); diff != "" {
		t.Errorf("directory after writes (-want +got):\n%s", diff)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", info.Mode().Perm())
	}
}

// TestLongTXTSplitIntoStrings: a 2048-bit DKIM key is one TXT record of
// several character-strings of at most 255 octets, read back as one Text.
func TestLongTXTSplitIntoStrings(t *testing.T) {
	p, path := setup(t, minimalZone)
	text := "v=DKIM1; k=rsa; p=" + dkimKey(392)
	ctx := context.Background()
	if _, err := p.AppendRecords(ctx, zone, []libdns.Record{
		libdns.TXT{Name: "s2026a._domainkey", TTL: time.Hour, Text: text},
	}); err != nil {
		t.Fatal(err)
	}
	var txts []*dns.TXT
	for _, rr := range parseFile(t, path) {
		if v, ok := rr.(*dns.TXT); ok {
			txts = append(txts, v)
		}
	}
	if len(txts) != 1 {
		t.Fatalf("%d TXT records in the file, want 1", len(txts))
	}
	if len(txts[0].Txt) != 2 {
		t.Errorf("%d strings, want 2", len(txts[0].Txt))
	}
	for i, s := range txts[0].Txt {
		if len(s) > 255 {
			t.Errorf("string %d has %d octets, more than 255", i, len(s))
		}
	}
	got, err := p.GetRecords(ctx, zone)
	if err != nil {
		t.Fatal(err)
	}
	if txt := got[len(got)-1].(libdns.TXT); txt.Text != text {
		t.Errorf("Text read back = %q, want %q", txt.Text, text)
	}
}

func TestSplitTXT(t *testing.T) {
	spf := "v=spf1 " + strings.Repeat("include:_spf.example.net ", 12) + "-all"
	tests := []struct {
		name string
		text string
		want []int // lengths of the strings
	}{
		{"short", "v=spf1 -all", []int{11}},
		{"empty", "", []int{0}},
		{"exactly 255", strings.Repeat("a", 255), []int{255}},
		{"256 without spaces", strings.Repeat("a", 256), []int{255, 1}},
		{"DKIM key cut at 255, not at an early space", "v=DKIM1; k=rsa; p=" + dkimKey(392), []int{255, 155}},
		{"SPF cut after a space", spf, []int{232, 79}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitTXT(tt.text)
			var lens []int
			var joined string
			for _, s := range got {
				lens = append(lens, len(s))
				joined += unescape(s)
			}
			if diff := cmp.Diff(tt.want, lens); diff != "" {
				t.Errorf("string lengths (-want +got):\n%s", diff)
			}
			if joined != tt.text {
				t.Errorf("strings join to %q, want %q", joined, tt.text)
			}
		})
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, raw := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\nnul\x00", "\xff\xfe utf8 é"} {
		if got := unescape(escape(raw)); got != raw {
			t.Errorf("unescape(escape(%q)) = %q", raw, got)
		}
	}
}

// TestConcurrentWriters: goroutines writing through one provider, and
// through separate providers on the same directory (as separate processes
// would, meeting only at the lock file), all land.
func TestConcurrentWriters(t *testing.T) {
	p, path := setup(t, minimalZone)
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		// Odd writers get a provider of their own.
		wp := p
		if w%2 == 1 {
			wp = New(p.Dir)
			wp.Now = fixedNow
		}
		wg.Go(func() {
			for i := range each {
				_, err := wp.AppendRecords(context.Background(), zone, []libdns.Record{
					libdns.TXT{Name: fmt.Sprintf("w%d", w), TTL: time.Minute, Text: fmt.Sprintf("record %d", i)},
				})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	txts := 0
	for _, rr := range parseFile(t, path) {
		if _, ok := rr.(*dns.TXT); ok {
			txts++
		}
	}
	if txts != writers*each {
		t.Errorf("%d TXT records, want %d", txts, writers*each)
	}
	soa := parseFile(t, path)[0].(*dns.SOA)
	if want := uint32(2026030500 + writers*each - 1); soa.Serial != want {
		t.Errorf("serial = %d, want %d (one bump per write)", soa.Serial, want)
	}
}

// TestDeterministicOutput: the same changes to the same file give the same
// bytes, and rendering a parsed rendering changes nothing.
func TestDeterministicOutput(t *testing.T) {
	var outputs [][]byte
	for range 2 {
		p, path := setup(t, "")
		applyGoldenChanges(t, p)
		outputs = append(outputs, readFile(t, path))
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Error("two identical runs wrote different files")
	}
	z, err := parseZone(outputs[0], zone, "out")
	if err != nil {
		t.Fatal(err)
	}
	if again := render(z); !bytes.Equal(again, outputs[0]) {
		t.Errorf("re-rendering the output changed it:\n%s", cmp.Diff(string(outputs[0]), string(again)))
	}
}

// applyGoldenChanges makes the changes a mailconf apply would: a DKIM key,
// a new SPF value replacing the old one, a DMARC update, and a report
// authorization, leaving the site verification alone.
func applyGoldenChanges(t *testing.T, p *Provider) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.AppendRecords(ctx, zone, []libdns.Record{
		libdns.TXT{Name: "s2026a._domainkey", TTL: time.Hour, Text: "v=DKIM1; k=rsa; p=" + dkimKey(392)},
		libdns.TXT{Name: "@", TTL: time.Hour, Text: "v=spf1 include:_spf.google.com include:sendgrid.net -all"},
		libdns.TXT{Name: "example.org._report._dmarc", TTL: time.Hour, Text: "v=DMARC1;"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteRecords(ctx, zone, []libdns.Record{
		libdns.TXT{Name: "@", Text: "v=spf1 include:_spf.google.com ~all"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SetRecords(ctx, zone, []libdns.Record{
		libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@example.com"},
	}); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenLayout(t *testing.T) {
	p, path := setup(t, "")
	applyGoldenChanges(t, p)
	got := readFile(t, path)
	golden := filepath.Join("testdata", "golden", "example.com.zone")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("written zone differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		content string
		call    func(p *Provider) error
		want    error
		msg     string // a substring the message must hold
	}{
		{
			name: "missing zone file on read",
			call: func(p *Provider) error {
				_, err := p.GetRecords(ctx, "example.org")
				return err
			},
			want: ErrZoneNotFound, msg: "example.org.zone",
		},
		{
			name: "missing zone file on write",
			call: func(p *Provider) error {
				_, err := p.AppendRecords(ctx, "example.org.", []libdns.Record{libdns.TXT{Name: "@", Text: "x"}})
				return err
			},
			want: ErrZoneNotFound, msg: "example.org.zone",
		},
		{
			name:    "syntax error names file and line",
			content: "$ORIGIN example.com.\n$TTL 60\n@ IN SOA a. b. 1 2 3 4 5\nwww IN A 999.1.1.1\n",
			call: func(p *Provider) error {
				_, err := p.GetRecords(ctx, zone)
				return err
			},
			want: ErrSyntax, msg: "example.com.zone: dns: bad A A: \"999.1.1.1\" at line: 4",
		},
		{
			name:    "out-of-zone record",
			content: "$ORIGIN example.com.\n$TTL 60\nwww.example.org. IN A 192.0.2.1\n",
			call: func(p *Provider) error {
				_, err := p.GetRecords(ctx, zone)
				return err
			},
			want: ErrSyntax, msg: "outside zone",
		},
		{
			name:    "$INCLUDE refused",
			content: "$ORIGIN example.com.\n$INCLUDE /etc/passwd\n",
			call: func(p *Provider) error {
				_, err := p.GetRecords(ctx, zone)
				return err
			},
			want: ErrSyntax, msg: "$INCLUDE",
		},
		{
			name: "SOA cannot be written",
			call: func(p *Provider) error {
				_, err := p.SetRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "@", Type: "SOA", Data: "a. b. 1 2 3 4 5"}})
				return err
			},
			want: ErrSOAManaged,
		},
		{
			name: "SOA cannot be deleted",
			call: func(p *Provider) error {
				_, err := p.DeleteRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "@", Type: "SOA"}})
				return err
			},
			want: ErrSOAManaged,
		},
		{
			name:    "write without SOA",
			content: "$ORIGIN example.com.\n$TTL 60\nwww IN A 192.0.2.1\n",
			call: func(p *Provider) error {
				_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "@", Text: "x"}})
				return err
			},
			want: ErrNoSOA,
		},
		{
			name: "CNAME next to other data",
			call: func(p *Provider) error {
				_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.CNAME{Name: "mx1", Target: "elsewhere.example.net."}})
				return err
			},
			want: providers.ErrCNAMEConflict, msg: "mx1",
		},
		{
			name: "record outside the zone",
			call: func(p *Provider) error {
				_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "www.example.org.", Text: "x"}})
				return err
			},
			want: providers.ErrOutsideZone,
		},
		{
			name: "data smuggling a second record",
			call: func(p *Provider) error {
				_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "x", Type: "A", Data: "192.0.2.1\nevil IN A 192.0.2.66"}})
				return err
			},
			want: providers.ErrInvalidRecord,
		},
		{
			name: "name with master-file syntax",
			call: func(p *Provider) error {
				_, err := p.AppendRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "a b", Text: "x"}})
				return err
			},
			want: providers.ErrInvalidRecord,
		},
		{
			name: "path traversal in the zone name",
			call: func(p *Provider) error {
				_, err := p.GetRecords(ctx, "../../etc/passwd")
				return err
			},
			want: providers.ErrInvalidZone,
		},
		{
			name: "cancelled context",
			call: func(p *Provider) error {
				c, cancel := context.WithCancel(ctx)
				cancel()
				_, err := p.AppendRecords(c, zone, []libdns.Record{libdns.TXT{Name: "@", Text: "x"}})
				return err
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, path := setup(t, tt.content)
			before := readFile(t, path)
			err := tt.call(p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			if !bytes.Equal(before, readFile(t, path)) {
				t.Error("the zone file changed")
			}
			entries, _ := os.ReadDir(p.Dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "example.org") {
					t.Errorf("%s was created", e.Name())
				}
			}
		})
	}
}

// TestSetIsAtomic: one bad record in a SetRecords call leaves the whole
// zone as it was.
func TestSetIsAtomic(t *testing.T) {
	p, path := setup(t, "")
	before := readFile(t, path)
	_, err := p.SetRecords(context.Background(), zone, []libdns.Record{
		libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: "v=DMARC1; p=none"},
		libdns.MX{Name: "@", TTL: time.Hour, Preference: 10, Target: "mx.example.net."},
		libdns.RR{Name: "bad", Type: "A", Data: "not an address"},
	})
	if !errors.Is(err, providers.ErrInvalidRecord) {
		t.Fatalf("error = %v, want ErrInvalidRecord", err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Error("the zone file changed")
	}
}

func TestSetAndDeleteSemantics(t *testing.T) {
	ctx := context.Background()
	p, _ := setup(t, "")
	// Replace the MX RRset: both old MX go, the new one takes their place.
	if _, err := p.SetRecords(ctx, zone, []libdns.Record{
		libdns.MX{Name: "@", TTL: 300 * time.Second, Preference: 5, Target: "mx.example.net."},
	}); err != nil {
		t.Fatal(err)
	}
	// Delete with wildcards: every A record at "*", whatever its TTL and data.
	deleted, err := p.DeleteRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "*", Type: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]libdns.RR{{Name: "*", TTL: time.Hour, Type: "A", Data: "192.0.2.99"}}, rrs(deleted)); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	// An exact delete with the wrong TTL deletes nothing.
	deleted, err = p.DeleteRecords(ctx, zone, []libdns.Record{libdns.Address{Name: "sip", TTL: time.Minute, IP: netip.MustParseAddr("192.0.2.50")}})
	if err != nil || len(deleted) != 0 {
		t.Errorf("delete with wrong TTL = %v, %v; want nothing deleted", rrs(deleted), err)
	}
	// A differently written but equal address still matches.
	deleted, err = p.DeleteRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "@", Type: "AAAA", Data: "2001:DB8:0::10"}})
	if err != nil || len(deleted) != 1 {
		t.Errorf("delete of 2001:DB8:0::10 = %v, %v; want the AAAA deleted", rrs(deleted), err)
	}
	// A name-only pattern deletes everything at the name except the SOA.
	if _, err := p.DeleteRecords(ctx, zone, []libdns.Record{libdns.RR{Name: "@"}}); err != nil {
		t.Fatal(err)
	}
	got, err := p.GetRecords(ctx, zone)
	if err != nil {
		t.Fatal(err)
	}
	var apex []string
	for _, r := range got {
		if rr := r.RR(); rr.Name == "@" {
			apex = append(apex, rr.Type)
		}
	}
	if !slices.Equal(apex, []string{"SOA"}) {
		t.Errorf("apex after deleting @ = %v, want only the SOA", apex)
	}
}

func TestListZones(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"example.com.zone", "b.example.zone", ".hidden.zone", "notes.txt", "Upper.example.zone"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(minimalZone), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.zone"), 0o755); err != nil {
		t.Fatal(err)
	}
	zones, err := New(dir).ListZones(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []libdns.Zone{{Name: "b.example."}, {Name: "example.com."}}
	if diff := cmp.Diff(want, zones); diff != "" {
		t.Errorf("zones (-want +got):\n%s", diff)
	}
}
