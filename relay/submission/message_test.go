package submission

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// dkimZone is example.com's zone with the public keys of the test keys, a
// 2048-bit RSA record split into 255-octet strings as DNS requires
// (RFC 1035 section 3.3.14).
func dkimZone(tb testing.TB) string {
	tb.Helper()
	rsaKey, edKey := testKeys()
	var b strings.Builder
	b.WriteString("$ORIGIN example.com.\n")
	for _, k := range []struct {
		sel string
		key crypto.Signer
	}{{rsaSelector, rsaKey}, {edSelector, edKey}} {
		rec, err := dkim.PublicKeyRecord(k.key.Public())
		if err != nil {
			tb.Fatal(err)
		}
		txt := rec.String()
		var quoted []string
		for len(txt) > 0 {
			n := min(len(txt), 255)
			quoted = append(quoted, `"`+txt[:n]+`"`)
			txt = txt[n:]
		}
		fmt.Fprintf(&b, "%s 300 IN TXT %s\n", dkim.Name(k.sel, "example.com."), strings.Join(quoted, " "))
	}
	return b.String()
}

// verifier checks DKIM signatures against an in-process authoritative
// server publishing the test keys.
func verifier(tb testing.TB) (*dnstest.Server, func([]byte) ([]*msgauth.Verification, error)) {
	tb.Helper()
	srv := dnstest.NewServer(tb, dkimZone(tb))
	client := &resolve.Client{Servers: []string{srv.Addr()}}
	opts := &msgauth.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		txt, _, err := resolve.LookupTXT(context.Background(), client, name)
		return txt, err
	}}
	return srv, func(msg []byte) ([]*msgauth.Verification, error) {
		return msgauth.VerifyWithOptions(bytes.NewReader(msg), opts)
	}
}

// signatureTags returns the a=, s= and h= tags of each DKIM-Signature.
func signatureTags(t *testing.T, msg []byte) []map[string]string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, v := range m.Header["Dkim-Signature"] {
		tags := make(map[string]string)
		for _, kv := range strings.Split(v, ";") {
			k, val, _ := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if k == "a" || k == "s" || k == "h" || k == "c" || k == "d" {
				tags[k] = strings.Join(strings.Fields(val), "")
			}
		}
		out = append(out, tags)
	}
	return out
}

func TestSignaturesVerify(t *testing.T) {
	dnsSrv, verify := verifier(t)
	f := newFixture(t, nil, KindLoopback)
	c := f.login(t, "alice", alicePass)
	status, err := send(c, "alice@example.com", []string{"carol@elsewhere.example", "dave@other.example"}, testMessage)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(status, "OK: queued as Q1") {
		t.Errorf("250 reply %q does not carry the queue ID", status)
	}
	items := f.q.Items()
	if len(items) != 1 {
		t.Fatalf("queued %d messages", len(items))
	}
	got := items[0]
	if got.from != "alice@example.com" || !slices.Equal(got.to, []string{"carol@elsewhere.example", "dave@other.example"}) {
		t.Errorf("envelope: %q -> %q", got.from, got.to)
	}
	// The queue holds the signed message: the signatures, then the
	// trace and the added fields, then exactly what the client sent.
	if !bytes.HasPrefix(got.body, []byte("DKIM-Signature: ")) || !bytes.HasSuffix(got.body, []byte(testMessage)) {
		t.Errorf("queued message:\n%s", got.body)
	}

	verifs, err := verify(got.body)
	if err != nil {
		t.Fatal(err)
	}
	if len(verifs) != 2 {
		t.Fatalf("%d signatures, want 2", len(verifs))
	}
	for i, v := range verifs {
		if v.Err != nil || v.Domain != "example.com" {
			t.Errorf("signature %d: domain %q, %v", i+1, v.Domain, v.Err)
		}
		if n := strings.Count(strings.ToLower(strings.Join(v.HeaderKeys, ":")), "from"); n != 2 {
			t.Errorf("signature %d lists From %d times, want 2 (over-signed): %v", i+1, n, v.HeaderKeys)
		}
	}
	tags := signatureTags(t, got.body)
	wantTags := []map[string]string{
		{"a": "rsa-sha256", "s": rsaSelector, "d": "example.com", "c": "relaxed/relaxed"},
		{"a": "ed25519-sha256", "s": edSelector, "d": "example.com", "c": "relaxed/relaxed"},
	}
	for _, m := range tags {
		delete(m, "h")
	}
	if diff := cmp.Diff(wantTags, tags); diff != "" {
		t.Errorf("signature tags (-want +got):\n%s", diff)
	}
	for _, sel := range []string{rsaSelector, edSelector} {
		if dnsSrv.QueriesFor(dkim.Name(sel, "example.com"), dns.TypeTXT) == 0 {
			t.Errorf("the key %s was not looked up in DNS", sel)
		}
	}

	e, ok := f.logs.find("message queued")
	if !ok || e.attrs["queue_id"] != "Q1" || e.attrs["user"] != "alice" || e.attrs["from"] != "alice@example.com" {
		t.Errorf("queued log entry: %+v", e)
	}

	// A second From added after signing, or a changed body, breaks both
	// signatures.
	sigEnd := bytes.Index(got.body, []byte("Received: "))
	tampered := map[string][]byte{
		"second From": slices.Concat(got.body[:sigEnd], []byte("From: ceo@bank.example\r\n"), got.body[sigEnd:]),
		"body":        bytes.Replace(got.body, []byte("this is a test"), []byte("send money now"), 1),
	}
	for name, msg := range tampered {
		verifs, err := verify(msg)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range verifs {
			if v.Err == nil {
				t.Errorf("%s: signature %d still verifies", name, i+1)
			}
		}
	}
}

func TestUnsignedDomain(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	c := f.login(t, "bob", bobPass)
	msg := strings.ReplaceAll(testMessage, "alice@example.com", "bob@example.org")
	if _, err := send(c, "bob@example.org", []string{"carol@elsewhere.example"}, msg); err != nil {
		t.Fatal(err)
	}
	items := f.q.Items()
	if len(items) != 1 || bytes.Contains(items[0].body, []byte("DKIM-Signature")) {
		t.Fatalf("queued %d messages, or a signature without a key", len(items))
	}
	if _, ok := f.logs.find("no active DKIM key for the From domain; sending unsigned"); !ok {
		t.Error("no warning about the missing key")
	}
}

func TestHeaderFieldsAdded(t *testing.T) {
	f := newFixture(t, nil, KindLoopback)
	c := f.login(t, "alice", alicePass)
	const withBoth = "Date: Fri, 13 Mar 2026 10:00:00 +0000\r\nMessage-ID: <given@client.example.net>\r\n" + testMessage
	for _, msg := range []string{testMessage, withBoth, strings.ReplaceAll(testMessage, "\r\n", "\n")} {
		if _, err := send(c, "alice@example.com", []string{"carol@elsewhere.example"}, msg); err != nil {
			t.Fatal(err)
		}
	}
	items := f.q.Items()
	if len(items) != 3 {
		t.Fatalf("queued %d", len(items))
	}
	wantDate := f.clock.Now().Format(dateLayout)
	idPattern := regexp.MustCompile(`^<[a-z2-7]{26}@relay\.example\.com>$`)
	ids := map[string]bool{}
	for i, it := range items {
		m, err := mail.ReadMessage(bytes.NewReader(it.body))
		if err != nil {
			t.Fatal(err)
		}
		h := m.Header
		if len(h["Date"]) != 1 || len(h["Message-Id"]) != 1 {
			t.Errorf("message %d: Date %q, Message-ID %q; want one of each", i+1, h["Date"], h["Message-Id"])
			continue
		}
		date, id := h.Get("Date"), h.Get("Message-Id")
		switch i {
		case 1:
			if date != "Fri, 13 Mar 2026 10:00:00 +0000" || id != "<given@client.example.net>" {
				t.Errorf("the client's fields were changed: %q %q", date, id)
			}
		default:
			if date != wantDate || !idPattern.MatchString(id) {
				t.Errorf("message %d: Date %q (want %q), Message-ID %q", i+1, date, wantDate, id)
			}
			if ids[id] {
				t.Errorf("Message-ID %s used twice", id)
			}
			ids[id] = true
		}
		if _, err := mail.ParseDate(date); err != nil {
			t.Errorf("Date %q: %v", date, err)
		}
		rcv := h.Get("Received")
		wantRcv := "from " + clientDomain + " ([127.0.0.1]) by " + testHost + " with ESMTPA; " + wantDate
		if strings.Join(strings.Fields(rcv), " ") != wantRcv {
			t.Errorf("Received %q, want %q", rcv, wantRcv)
		}
		if bytes.Contains(bytes.ReplaceAll(it.body, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("message %d has a bare LF", i+1)
		}
	}
}

func TestParseHeader(t *testing.T) {
	type f struct{ Name, Value string }
	tests := []struct {
		name    string
		msg     string
		want    []f
		wantErr error
	}{
		{name: "simple", msg: "From: a@b\r\nTo: c@d\r\n\r\nbody\r\n", want: []f{{"From", " a@b"}, {"To", " c@d"}}},
		{name: "folded", msg: "Subject: one\r\n two\r\n\tthree\r\nFrom: a@b\r\n\r\n", want: []f{{"Subject", " one\r\n two\r\n\tthree"}, {"From", " a@b"}}},
		{name: "no body", msg: "From: a@b\r\n", want: []f{{"From", " a@b"}}},
		{name: "space before colon", msg: "From : a@b\r\n\r\n", want: []f{{"From", " a@b"}}},
		{name: "empty message", msg: "", want: nil},
		{name: "body only", msg: "\r\nFrom: a@b\r\n", want: nil},
		{name: "leading continuation", msg: " From: a@b\r\n\r\n", wantErr: errContinuation},
		{name: "no colon", msg: "From a@b\r\n\r\n", wantErr: errNoColon},
		{name: "empty name", msg: ": a@b\r\n\r\n", wantErr: errFieldName},
		{name: "control in name", msg: "Fr\x00om: a@b\r\n\r\n", wantErr: errFieldName},
		{name: "space in name", msg: "Fr om: a@b\r\n\r\n", wantErr: errFieldName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := []byte(tt.msg)
			fields, err := parseHeader(msg)
			if err != tt.wantErr {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			var got []f
			for _, fl := range fields {
				got = append(got, f{fl.name, string(fl.value(msg))})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeCRLF(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"clean", "a\r\nb\r\n", "a\r\nb\r\n"},
		{"empty", "", ""},
		{"bare LF", "a\nb\n", "a\r\nb\r\n"},
		{"bare CR", "a\rb\r", "a\r\nb\r\n"},
		{"CR CRLF", "a\r\r\nb", "a\r\n\r\nb\r\n"},
		{"no final line end", "a\r\nb", "a\r\nb\r\n"},
		{"lone LF", "\n", "\r\n"},
	}
	for _, tt := range tests {
		if got := string(normalizeCRLF([]byte(tt.in))); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHeaderKeys(t *testing.T) {
	got := headerKeys(map[string]int{"from": 1, "to": 1, "subject": 1, "date": 1, "message-id": 1, "received": 3, "x-mailer": 1, "cc": 2})
	want := []string{"From", "From", "Subject", "Date", "To", "Cc", "Cc", "Message-ID"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("h= (-want +got):\n%s", diff)
	}
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM.", "example.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
		{"", ""},
		{"[192.0.2.1]", ""},
		{"exa mple.com", ""},
	}
	for _, tt := range tests {
		got, err := normalizeDomain(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("normalizeDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 4000}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 4000}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 4000}, "2001:db8:1:2::/64"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:ffff::1"), Port: 4000}, "2001:db8:1:2::/64"},
		{fakeAddr("pipe"), "pipe"},
	}
	for _, tt := range tests {
		if got := clientKey(tt.addr); got != tt.want {
			t.Errorf("clientKey(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestThrottle(t *testing.T) {
	clock := newFakeClock()
	th := newThrottle(clock.Now)
	if d := th.delay("a"); d != 0 {
		t.Errorf("no failures: %v", d)
	}
	for range 3 {
		th.fail("a")
	}
	if d := th.delay("a"); d != 4*time.Second {
		t.Errorf("3 failures: %v", d)
	}
	if d := th.delay("b"); d != 0 {
		t.Errorf("another client pays for a's failures: %v", d)
	}
	clock.Advance(failureDecay + time.Second)
	if d := th.delay("a"); d != 2*time.Second {
		t.Errorf("after one decay period: %v", d)
	}
	clock.Advance(-time.Hour)
	if d := th.delay("a"); d != 2*time.Second {
		t.Errorf("clock went back: %v", d)
	}
	clock.Advance(time.Hour + 2*failureDecay)
	if d := th.delay("a"); d != 0 || len(th.m) != 0 {
		t.Errorf("all decayed: %v, %d entries", d, len(th.m))
	}
	for range 100 {
		th.fail("c")
	}
	if th.m["c"].n != maxFailures || th.delay("c") != authDelayMax {
		t.Errorf("count %d, delay %v", th.m["c"].n, th.delay("c"))
	}
}

func TestThrottleEvicts(t *testing.T) {
	clock := newFakeClock()
	th := newThrottle(clock.Now)
	th.fail("old")
	clock.Advance(time.Second)
	for i := range maxTracked - 1 {
		th.m[fmt.Sprint(i)] = &failures{n: 1, since: clock.Now()}
	}
	th.fail("new")
	if len(th.m) != maxTracked || th.m["old"] != nil || th.m["new"] == nil {
		t.Errorf("%d entries; old kept: %v; new kept: %v", len(th.m), th.m["old"] != nil, th.m["new"] != nil)
	}
}
