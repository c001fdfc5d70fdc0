package zonefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/internal/regfile"
)

// txtLine is a master-file TXT record at name of n strings of size
// octets each.
func txtLine(name string, n, size int) string {
	var b strings.Builder
	b.WriteString(name + " 3600 IN TXT")
	s := ` "` + strings.Repeat("a", size) + `"`
	for range n {
		b.WriteString(s)
	}
	b.WriteByte('\n')
	return b.String()
}

// TestUnservableZoneRefused: a zone file holding a record no DNS server
// could send is refused on read and on write, with the file, the line, the
// record, its size and the limit in the message, and the file is not
// rewritten.
func TestUnservableZoneRefused(t *testing.T) {
	ctx := context.Background()
	// Line 6 of the file; 4,100 strings of 250 octets are 4,100 * 251 =
	// 1,029,100 octets of data.
	content := minimalZone + "www IN A 192.0.2.1\n" + txtLine("big", 4100, 250) + "after IN A 192.0.2.2\n"
	p, path := setup(t, content)

	_, err := p.GetRecords(ctx, zone)
	if !errors.Is(err, ErrUnservable) {
		t.Fatalf("GetRecords: err = %v, want ErrUnservable", err)
	}
	for _, want := range []string{path + ":6:", "big.example.com. TXT", "1029100 octets", "65535", "RFC 1035 section 3.2.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("GetRecords error %q does not mention %q", err, want)
		}
	}

	before := readFile(t, path)
	_, err = p.AppendRecords(ctx, zone, []libdns.Record{libdns.TXT{Name: "_dmarc", Text: "v=DMARC1; p=none"}})
	if !errors.Is(err, ErrUnservable) {
		t.Fatalf("AppendRecords: err = %v, want ErrUnservable", err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("the zone file was rewritten")
	}
}

// caaSet is n CAA records at one name, each value 120 escaped quotes.
func caaSet(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "c 60 IN CAA 0 issue \"%03d%s\"\n", i, strings.Repeat(`\"`, 120))
	}
	return b.String()
}

// TestServableLimits: where the line between a record the DNS can carry
// and one it cannot lies.
func TestServableLimits(t *testing.T) {
	tests := []struct {
		name    string
		records string
		msg     string // empty: the zone is accepted
	}{
		{
			// 240 strings of 250 octets: 60,240 octets of data, in a
			// response of 60,301 octets. Legal: accepted.
			name:    "60 KB TXT",
			records: txtLine("big", 240, 250),
		},
		{
			// At big.example.com. (17 octets on the wire) a response holds
			// 65535 - 12 - 17 - 4 - 12 - 11 = 65,479 octets of data: 255
			// strings of 255 octets and one of 198.
			name:    "largest TXT that fits a response",
			records: strings.TrimSuffix(txtLine("big", 255, 255), "\n") + ` "` + strings.Repeat("a", 198) + "\"\n",
		},
		{
			name:    "one octet more",
			records: strings.TrimSuffix(txtLine("big", 255, 255), "\n") + ` "` + strings.Repeat("a", 199) + "\"\n",
			msg:     "its data is 65480 octets, and the smallest response carrying it would be 65536 octets",
		},
		{
			// 261 strings of 250 octets: 65,511 octets of data fit
			// RDLENGTH, but the response would be 65,567 octets.
			name:    "data fits RDLENGTH, response does not",
			records: txtLine("big", 261, 250),
			msg:     "big.example.com. TXT: its data is 65511 octets, and the smallest response carrying it would be 65567 octets, above the DNS message limit of 65535",
		},
		{
			name:    "over RDLENGTH",
			records: txtLine("big", 262, 250),
			msg:     "big.example.com. TXT: its data is 65762 octets, above the limit of 65535 octets",
		},
		{
			// Each record fits alone; the set of two does not.
			name:    "RRset too large for one response",
			records: txtLine("set", 200, 250) + txtLine("set", 200, 250),
			msg:     "set.example.com. TXT: its 2 records need a response of 100468 octets",
		},
		{
			name:    "the same records at two names",
			records: txtLine("one", 200, 250) + txtLine("two", 200, 250),
		},
		{
			// RFC 3597 generic data is measured like any other.
			name:    "unknown type too large for a response",
			records: "x 60 IN TYPE65280 \\# 65500 " + strings.Repeat("00", 65500) + "\n",
			msg:     "x.example.com. TYPE65280: its data is 65500 octets, and the smallest response carrying it would be 65554 octets",
		},
		{
			// dns.Len counts each CAA value's 120 `\"` as 240 octets,
			// which would put the set over 65535 octets; packed, it is
			// 35,561 octets and fits.
			name:    "escaped CAA set measured exactly",
			records: caaSet(250),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, path := setup(t, minimalZone+tt.records)
			_, err := p.GetRecords(context.Background(), zone)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("GetRecords: %v", err)
				}
				// And a write keeps the record and reads back.
				if _, err := p.AppendRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "new", Text: "x"}}); err != nil {
					t.Fatalf("AppendRecords: %v", err)
				}
				if _, err := p.GetRecords(context.Background(), zone); err != nil {
					t.Fatalf("GetRecords after a write: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUnservable) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("GetRecords: err = %v, want ErrUnservable with %q", err, tt.msg)
			}
			if !strings.Contains(err.Error(), path+":5:") {
				t.Errorf("error %q does not name %s:5", err, path)
			}
		})
	}
}

// TestWriteUnservableRefused: a record given to a write that could not be
// served is refused, and the file is left as it was.
func TestWriteUnservableRefused(t *testing.T) {
	p, path := setup(t, minimalZone)
	before := readFile(t, path)
	huge := strings.Repeat("x", 1<<20)
	_, err := p.SetRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "big", TTL: time.Hour, Text: huge}})
	if !errors.Is(err, ErrUnservable) || !strings.Contains(err.Error(), "big.example.com. TXT") || !strings.Contains(err.Error(), "65535") {
		t.Fatalf("SetRecords of a 1 MB TXT: err = %v, want ErrUnservable naming it and the limit", err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("the zone file was rewritten")
	}
	// A 60,000-octet text is one record the DNS can carry.
	if _, err := p.SetRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "big", TTL: time.Hour, Text: huge[:60000]}}); err != nil {
		t.Fatalf("SetRecords of a 60,000-octet TXT: %v", err)
	}
}

// TestNameLimits: the master-file parser already refuses labels over 63
// octets and names well over 255 (RFC 1035 section 2.3.4), in owner names
// and in data, but not names of 256 octets, which the provider refuses; a
// quoted string over 255 octets the parser cuts into several
// character-strings, which read back as the same text.
func TestNameLimits(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(strings.Repeat("b", 60)+".", 5) // 305 octets
	for name, records := range map[string]string{
		"label of 64":      strings.Repeat("a", 64) + " IN A 192.0.2.1\n",
		"owner over 255":   long + " IN A 192.0.2.1\n",
		"target over 255":  "x IN CNAME " + long + "\n",
		"exchange over 63": "@ IN MX 10 " + label63 + "a.example.net.\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := setup(t, minimalZone+records)
			if _, err := p.GetRecords(context.Background(), zone); !errors.Is(err, ErrSyntax) {
				t.Errorf("GetRecords: err = %v, want ErrSyntax", err)
			}
		})
	}

	// The parser lets names of 256 and 257 octets through (its count
	// leaves out the root label); the DNS does not.
	name256 := strings.Repeat(strings.Repeat("l", 60)+".", 3) + strings.Repeat("l", 59) + ".example.com."
	for what, records := range map[string]string{
		"owner":  name256 + " IN A 192.0.2.1\n",
		"target": "x IN CNAME " + name256 + "\n",
	} {
		t.Run(what+" of 256 octets", func(t *testing.T) {
			p, _ := setup(t, minimalZone+records)
			_, err := p.GetRecords(context.Background(), zone)
			if !errors.Is(err, ErrUnservable) || !strings.Contains(err.Error(), "is 256 octets, above the limit of 255 (RFC 1035 section 2.3.4)") {
				t.Errorf("GetRecords: err = %v, want ErrUnservable for the 256-octet name", err)
			}
		})
	}
	name255 := strings.Repeat(strings.Repeat("l", 60)+".", 3) + strings.Repeat("l", 58) + ".example.com."
	if n := nameLen(name255); n != 255 {
		t.Fatalf("nameLen = %d, want 255", n)
	}
	p, _ := setup(t, minimalZone+name255+" IN CNAME "+name255+"\n")
	if _, err := p.GetRecords(context.Background(), zone); err != nil {
		t.Errorf("names of 255 octets: %v", err)
	}

	text := strings.Repeat("c", 300)
	p, _ = setup(t, minimalZone+`t IN TXT "`+text+"\"\n")
	recs, err := p.GetRecords(context.Background(), zone)
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[len(recs)-1].(libdns.TXT).Text; got != text {
		t.Errorf("Text = %q, want the 300 octets", got)
	}
}

// TestCheckServableString: a character-string over 255 octets, which the
// parser never produces but a record built elsewhere could hold.
func TestCheckServableString(t *testing.T) {
	rr := &dns.TXT{Hdr: dns.RR_Header{Name: "t.example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"ok", strings.Repeat("d", 256)}}
	u := checkServable([]dns.RR{rr})
	if u == nil || !strings.Contains(u.reason, "character-string 2 is 256 octets, above the limit of 255") {
		t.Fatalf("checkServable = %+v, want the 256-octet string", u)
	}
	// Escapes count as the octets they stand for: 200 `\255` are 200
	// octets, not 800.
	rr.Txt = []string{strings.Repeat(`\255`, 200)}
	if u := checkServable([]dns.RR{rr}); u != nil {
		t.Errorf("checkServable of 200 escaped octets: %s", u.reason)
	}
}

func TestUnescapedLen(t *testing.T) {
	for _, s := range []string{"", "plain", `a\"b`, `\255\000`, `\256`, `\25`, `x\`, `\\\\`, `\065BC`, "a.b.example.com."} {
		if got, want := unescapedLen(s), len(unescape(s)); got != want {
			t.Errorf("unescapedLen(%q) = %d, want %d", s, got, want)
		}
	}
	for name, want := range map[string]int{".": 1, "example.com.": 13, `a\.b.example.com.`: 17, `\000.example.com.`: 15} {
		if got := nameLen(name); got != want {
			t.Errorf("nameLen(%q) = %d, want %d", name, got, want)
		}
	}
}

// TestRdataLenExact: the measured data length is the packed one, or for
// types with escaped strings an upper bound of it.
func TestRdataLenExact(t *testing.T) {
	for _, s := range []string{
		`t 60 IN TXT "a\"b" "\255\000" ""`,
		"m 60 IN MX 10 mx1.example.net.",
		`c 60 IN CAA 0 issue "ca.example.net; account=\"1\""`,
		"h 60 IN HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1",
		"d 60 IN DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118",
		`x 60 IN TXT "` + strings.Repeat(`\"`, 200) + `"`,
	} {
		rr, err := dns.NewRR("$ORIGIN example.com.\n" + s)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1<<16)
		off, err := dns.PackRR(rr, buf, 0, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		want := int(rr.Header().Rdlength)
		if off-want != nameLen(rr.Header().Name)+rrFixedLen {
			t.Errorf("%s: nameLen = %d, packed header %d", s, nameLen(rr.Header().Name), off-want-rrFixedLen)
		}
		n, exact := rdataLen(rr)
		if exact && n != want || n < want {
			t.Errorf("%s: rdataLen = %d (exact %v), packed %d", s, n, exact, want)
		}
		if n, ok := packedRdataLen(rr); !ok || n != want {
			t.Errorf("%s: packedRdataLen = %d, %v, packed %d", s, n, ok, want)
		}
	}
}

// TestRecordLines: the line of each record, against the parser's count.
func TestRecordLines(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []int
	}{
		{"directives and blank lines", "$ORIGIN example.com.\n$TTL 60\n\n@ IN A 192.0.2.1\n   \n; comment\nwww IN A 192.0.2.2\n", []int{4, 7}},
		{"multi-line SOA", "@ IN SOA a. b. (\n 1 ; serial\n 2 3 4 5 )\nx IN A 192.0.2.1\n", []int{1, 4}},
		{"blank owner continues", "x IN A 192.0.2.1\n    IN AAAA ::1\n", []int{1, 2}},
		{"quotes hide syntax", "t IN TXT \"a ( ; b\"\nu IN TXT \"c \\\" )\"\nv IN A 192.0.2.1\n", []int{1, 2, 3}},
		{"comment hides parens", "t IN TXT x ; (\nu IN A 192.0.2.1\n", []int{1, 2}},
		{"no final newline", "x IN A 192.0.2.1", []int{1}},
		{"CRLF", "x IN A 192.0.2.1\r\n\r\ny IN A 192.0.2.2\r\n", []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := recordLines([]byte(tt.data))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recordLines (-want +got):\n%s", diff)
			}
			z, err := parseZone([]byte(tt.data), zone, "f")
			if err != nil {
				t.Fatal(err)
			}
			if len(z.records) != len(got) {
				t.Errorf("%d lines for %d records", len(got), len(z.records))
			}
		})
	}
	data := readFile(t, filepath.Join("testdata", "example.com.zone"))
	z, err := parseZone(data, zone, "f")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(recordLines(data)); n != len(z.records) {
		t.Errorf("testdata/example.com.zone: %d record lines, %d records", n, len(z.records))
	}
}

// TestIrregularZoneFile: a zone file that is a FIFO, or a link to
// /dev/zero, is refused at once with an error naming it, on read and on
// write, instead of blocking or eating memory.
func TestIrregularZoneFile(t *testing.T) {
	for _, kind := range []string{"fifo", "devzero"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "example.com.zone")
			switch kind {
			case "fifo":
				if err := syscall.Mkfifo(path, 0o644); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			case "devzero":
				if _, err := os.Stat("/dev/zero"); err != nil {
					t.Skip("no /dev/zero")
				}
				if err := os.Symlink("/dev/zero", path); err != nil {
					t.Fatal(err)
				}
			}
			p := New(dir)
			calls := map[string]func() error{
				"GetRecords": func() error { _, err := p.GetRecords(context.Background(), zone); return err },
				"AppendRecords": func() error {
					_, err := p.AppendRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "x", Text: "y"}})
					return err
				},
			}
			for name, call := range calls {
				done := make(chan error, 1)
				go func() { done <- call() }()
				select {
				case err := <-done:
					if !errors.Is(err, regfile.ErrNotRegular) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
						t.Errorf("%s: err = %v, want ErrNotRegular naming %s", name, err, path)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%s on a %s did not return", name, kind)
				}
			}
			if diff := cmp.Diff([]string{"example.com.zone"}, dirNames(t, dir)); diff != "" {
				t.Errorf("directory after the refused calls (-want +got):\n%s", diff)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// BenchmarkCheckServable measures the check over a realistic zone, run on
// every read.
func BenchmarkCheckServable(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "example.com.zone"))
	if err != nil {
		b.Fatal(err)
	}
	z, err := parseZone(data, zone, "f")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if u := checkServable(z.records); u != nil {
			b.Fatal(fmt.Errorf("%s", u.reason))
		}
	}
}
