package delivery

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/relay/queue"
)

var update = flag.Bool("update", false, "rewrite golden files")

// parsedDSN is a DSN read back with the standard library's MIME parsers.
type parsedDSN struct {
	header      mail.Header
	text        string               // the human-readable part, decoded
	statusType  string               // media type of the second part
	perMessage  textproto.MIMEHeader // RFC 3464 section 2.2 fields
	recipients  []textproto.MIMEHeader
	headersType string // media type of the third part
	headers     string
}

func parseDSN(t testing.TB, b []byte) parsedDSN {
	t.Helper()
	p, err := readDSN(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return p
}

func readDSN(b []byte) (parsedDSN, error) {
	var p parsedDSN
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return p, err
	}
	p.header = msg.Header
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return p, err
	}
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		return p, errors.New("not a multipart/report of delivery-status: " + msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts [][]byte
	var types []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p, err
		}
		body, err := io.ReadAll(part)
		if err != nil {
			return p, err
		}
		mt, _, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			return p, err
		}
		parts = append(parts, body)
		types = append(types, mt)
	}
	if len(parts) != 3 {
		return p, errors.New("want 3 parts")
	}
	if types[0] != "text/plain" {
		return p, errors.New("first part is " + types[0])
	}
	p.text, p.statusType, p.headersType, p.headers = string(parts[0]), types[1], types[2], string(parts[2])
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(parts[1])))
	p.perMessage, err = tr.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return p, err
	}
	for err == nil {
		var h textproto.MIMEHeader
		h, err = tr.ReadMIMEHeader()
		if err != nil && err != io.EOF {
			return p, err
		}
		if len(h) > 0 {
			p.recipients = append(p.recipients, h)
		}
	}
	return p, nil
}

var (
	dsnNow  = time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	dsnItem = &queue.Item{
		ID:       "18a2b3c4d5e6f708",
		From:     "alice@example.org",
		Received: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Expires:  time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC),
	}
)

func TestBuildDSN(t *testing.T) {
	failed := []queue.Recipient{
		{Addr: "unknown@example.test", Status: queue.Failed, Attempts: 1, LastCode: 550, LastError: "5.1.1 no such user"},
		{Addr: "slow@example.net", Status: queue.Failed, Attempts: 30, LastCode: 451, LastError: expiredError("4.3.0 try again later")},
		{Addr: "bob@null.test", Status: queue.Failed, Attempts: 1, LastError: "5.1.10 delivery: domain accepts no mail (null MX): null.test"},
		{Addr: "nocode@example.test", Status: queue.Failed, Attempts: 1, LastCode: 554, LastError: "rejected"},
	}
	original := []byte(strings.ReplaceAll(testBody, "\r\n", "\n")) // LF only: the DSN must still use CRLF
	got := BuildDSN("relay.example.org", dsnItem, failed, original, dsnNow)

	golden := filepath.Join("testdata", "dsn.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("DSN differs from %s (-want +got):\n%s", golden, diff)
	}

	p := parseDSN(t, got)
	for field, want := range map[string]string{
		"From":           "Mail Delivery System <MAILER-DAEMON@relay.example.org>",
		"To":             "<alice@example.org>",
		"Date":           "Fri, 06 Mar 2026 12:00:00 +0000",
		"Auto-Submitted": "auto-replied",
	} {
		if got := p.header.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<18a2b3c4d5e6f708.") || !strings.HasSuffix(id, "@relay.example.org>") {
		t.Errorf("Message-ID = %q", id)
	}
	if p.statusType != "message/delivery-status" || p.headersType != "text/rfc822-headers" {
		t.Errorf("part types %q, %q", p.statusType, p.headersType)
	}
	if diff := cmp.Diff(textproto.MIMEHeader{
		"Reporting-Mta": {"dns; relay.example.org"},
		"Arrival-Date":  {"Sun, 01 Mar 2026 12:00:00 +0000"},
	}, p.perMessage); diff != "" {
		t.Errorf("per-message fields (-want +got):\n%s", diff)
	}
	wantRcpts := []textproto.MIMEHeader{
		{"Final-Recipient": {"rfc822; unknown@example.test"}, "Action": {"failed"}, "Status": {"5.1.1"}, "Diagnostic-Code": {"smtp; 550 5.1.1 no such user"}},
		{"Final-Recipient": {"rfc822; slow@example.net"}, "Action": {"failed"}, "Status": {"4.4.7"}, "Diagnostic-Code": {"smtp; 451 4.3.0 try again later"}},
		{"Final-Recipient": {"rfc822; bob@null.test"}, "Action": {"failed"}, "Status": {"5.1.10"}},
		{"Final-Recipient": {"rfc822; nocode@example.test"}, "Action": {"failed"}, "Status": {"5.0.0"}, "Diagnostic-Code": {"smtp; 554 rejected"}},
	}
	if diff := cmp.Diff(wantRcpts, p.recipients); diff != "" {
		t.Errorf("per-recipient fields (-want +got):\n%s", diff)
	}
	wantHeaders := "From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: hello\r\nMessage-ID: <1@example.org>\r\n"
	if p.headers != wantHeaders {
		t.Errorf("original headers = %q, want %q", p.headers, wantHeaders)
	}
	if strings.Contains(string(got), "Hello Bob") {
		t.Error("the DSN returns the original body; it should return the header only")
	}
	for _, s := range []string{"<unknown@example.test>: 5.1.1 no such user", "delivery time expired"} {
		if !strings.Contains(p.text, s) {
			t.Errorf("human-readable part lacks %q:\n%s", s, p.text)
		}
	}
}

// A non-ASCII address makes the report global (RFC 6533).
func TestBuildDSNGlobal(t *testing.T) {
	failed := []queue.Recipient{{Addr: "jörg@example.test", Status: queue.Failed, LastCode: 550, LastError: "5.1.1 unknown"}}
	p := parseDSN(t, BuildDSN("relay.example.org", dsnItem, failed, []byte(testBody), dsnNow))
	if p.statusType != "message/global-delivery-status" || p.headersType != "message/global-headers" {
		t.Errorf("part types %q, %q, want the global ones", p.statusType, p.headersType)
	}
	if got := p.recipients[0].Get("Final-Recipient"); got != "utf-8; jörg@example.test" {
		t.Errorf("Final-Recipient = %q", got)
	}
}

// FuzzBuildDSN feeds arbitrary originals and diagnostics: the DSN must
// always parse back, with one recipient block per failed recipient, a
// Status that is an RFC 3463 code, and the header section of the original.
func FuzzBuildDSN(f *testing.F) {
	f.Add([]byte(testBody), "5.1.1 no such user", 550, "bob@example.test")
	f.Add([]byte("no header at all"), "", 0, "x@y")
	f.Add([]byte("Subject: =?utf-8?q?h=C3=A9?=\n\nbody"), expiredError("4.3.0 later"), 451, "a@b")
	f.Add([]byte("Subject: ünïcode\r\n\r\n"), "5.6.7 non-ASCII", 0, "jörg@example.test")
	f.Add([]byte("--=_dsn_\r\nX: y\r\n\r\n"), "line\r\nbreak\x00nul", 554, "a@b")
	f.Add([]byte("A: b\r\n c\r\n\tcontinued\r\n\r\n"), strings.Repeat("long ", 400), 550, "a@b")
	f.Fuzz(func(t *testing.T, original []byte, lastError string, code int, addr string) {
		failed := []queue.Recipient{
			{Addr: addr, Status: queue.Failed, LastCode: code, LastError: lastError},
			{Addr: "second@example.test", Status: queue.Failed, LastCode: 550, LastError: "5.1.1 x"},
		}
		b := BuildDSN("relay.example.org", dsnItem, failed, original, dsnNow)
		p, err := readDSN(b)
		if err != nil {
			t.Fatalf("DSN does not parse: %v\n%q", err, b)
		}
		if len(p.recipients) != 2 {
			t.Fatalf("%d recipient blocks, want 2\n%q", len(p.recipients), b)
		}
		for _, r := range p.recipients {
			if s := r.Get("Status"); !validEnhanced(s) {
				t.Errorf("Status %q is not an RFC 3463 code", s)
			}
		}
		for l := range strings.SplitSeq(string(b), "\r\n") {
			if len(l) > 998 {
				t.Errorf("line of %d octets exceeds RFC 5322 section 2.1.1", len(l))
			}
		}
		if want := string(headerSection(original)); p.headers != want {
			t.Errorf("headers part %q, want %q", p.headers, want)
		}
	})
}
