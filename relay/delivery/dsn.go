package delivery

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailconf/mailconf/relay/queue"
)

// expiredStatus is the status of a recipient whose message stayed queued
// too long: RFC 3463 section 3.5, X.4.7 delivery time expired. It keeps its
// class 4 in the DSN, with Action failed, as the persistent transient
// failure it is.
const expiredStatus = "4.4.7"

// expiredText starts the LastError of an expired recipient; the last error
// seen before the expiry follows after expiredSep.
const (
	expiredText = expiredStatus + " delivery time expired"
	expiredSep  = "; last error: "
)

// expiredError is the LastError of a recipient that expired after the
// error prev.
func expiredError(prev string) string {
	if prev == "" {
		return expiredText
	}
	return expiredText + expiredSep + prev
}

// maxFieldValue bounds a diagnostic copied into a header field, well under
// the 998 octets of RFC 5322 section 2.1.1 with the field name and folding.
const maxFieldValue = 900

// BuildDSN returns a delivery status notification (RFC 3464) telling the
// sender of item that the failed recipients could not be delivered: a
// multipart/report (RFC 6522) of report-type delivery-status holding a
// human-readable explanation, the machine-readable message/delivery-status,
// and the header of the original message (text/rfc822-headers; the body is
// not returned, so a bounce never carries more than the sender needs to
// recognize the message).
//
// Each failed recipient's Status is the RFC 3463 code at the start of its
// LastError, or the class of its LastCode (X.0.0) when there is none, and
// its Action is "failed". A recipient that expired keeps status 4.4.7
// (delivery time expired). Diagnostic-Code carries the last SMTP reply when
// a server sent one.
//
// The DSN is From MAILER-DAEMON@reportingMTA, To the envelope sender. It is
// deterministic: the Message-ID and the MIME boundary derive from the item,
// now and original. When an address or a diagnostic is not ASCII, the
// report parts are message/global-delivery-status and message/global-headers
// (RFC 6533 section 6) and the DSN needs SMTPUTF8 to travel, as the
// sender's address then does anyway.
func BuildDSN(reportingMTA string, item *queue.Item, failed []queue.Recipient, original []byte, now time.Time) []byte {
	headers := headerSection(original)
	global := !isASCII(item.From) || !isASCII(string(headers))
	for _, r := range failed {
		global = global || !isASCII(r.Addr) || !isASCII(r.LastError)
	}

	sum := sha256.New()
	fmt.Fprintf(sum, "%s\x00%d\x00", item.ID, now.UnixNano())
	sum.Write(original)
	boundary := "=_dsn_" + hex.EncodeToString(sum.Sum(nil)[:12])

	var b bytes.Buffer
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}

	// RFC 3464 section 2 and RFC 6522 section 3: the report is a
	// multipart/report whose report-type names the second part.
	line("From: Mail Delivery System <MAILER-DAEMON@%s>", reportingMTA)
	line("To: <%s>", item.From)
	line("Subject: Undelivered Mail Returned to Sender")
	line("Date: %s", now.Format(time.RFC1123Z))
	line("Message-ID: <%s.%s.dsn@%s>", item.ID, strconv.FormatInt(now.UnixNano(), 36), reportingMTA)
	// RFC 3834 section 5.1: a report generated in response to a message
	// is auto-replied, which keeps responders from answering it.
	line("Auto-Submitted: auto-replied")
	line("MIME-Version: 1.0")
	line("Content-Type: %s", mime.FormatMediaType("multipart/report", map[string]string{
		"report-type": "delivery-status",
		"boundary":    boundary,
	}))
	line("")
	line("This is a delivery status notification in MIME format.")
	line("")

	// Part 1: the explanation for people (RFC 6522 section 3: the first
	// part is human-readable).
	line("--%s", boundary)
	line("Content-Type: text/plain; charset=utf-8")
	line("Content-Transfer-Encoding: quoted-printable")
	line("")
	var text bytes.Buffer
	fmt.Fprintf(&text, "This is the mail system at %s.\r\n\r\n", reportingMTA)
	text.WriteString("Your message could not be delivered to the recipients below.\r\n")
	for _, r := range failed {
		if strings.HasPrefix(r.LastError, expiredText) {
			text.WriteString("It stayed in the queue until its delivery time expired.\r\n")
			break
		}
	}
	text.WriteString("\r\n")
	for _, r := range failed {
		reason := r.LastError
		if reason == "" {
			reason = "no reason recorded"
		}
		fmt.Fprintf(&text, "<%s>: %s\r\n", r.Addr, reason)
	}
	text.WriteString("\r\nThe delivery report and the header of your message follow.\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write(text.Bytes())
	qp.Close()
	line("")

	// Part 2: the report for programs, RFC 3464 section 2.
	line("--%s", boundary)
	if global {
		line("Content-Type: message/global-delivery-status")
		line("Content-Transfer-Encoding: 8bit")
	} else {
		line("Content-Type: message/delivery-status")
	}
	line("")
	// RFC 3464 section 2.2: per-message fields, then a blank line before
	// each recipient's fields (section 2.3).
	line("Reporting-MTA: dns; %s", reportingMTA)
	if !item.Received.IsZero() {
		line("Arrival-Date: %s", item.Received.Format(time.RFC1123Z))
	}
	for _, r := range failed {
		line("")
		// RFC 3464 section 2.3.2, and RFC 6533 section 3 for the utf-8
		// address type of a non-ASCII address.
		addrType := "rfc822"
		if !isASCII(r.Addr) {
			addrType = "utf-8"
		}
		line("Final-Recipient: %s; %s", addrType, fieldValue(r.Addr, global))
		// RFC 3464 section 2.3.3.
		line("Action: failed")
		// RFC 3464 section 2.3.4.
		line("Status: %s", dsnStatus(r))
		// RFC 3464 section 2.3.6: the reply of the remote MTA, when one
		// replied.
		if diag := diagnostic(r); diag != "" {
			line("Diagnostic-Code: smtp; %s", fieldValue(diag, global))
		}
	}
	line("")

	// Part 3: the original header, RFC 6522 section 3 and RFC 3462 (now
	// RFC 6522) text/rfc822-headers.
	line("--%s", boundary)
	if global {
		line("Content-Type: message/global-headers")
		line("Content-Transfer-Encoding: 8bit")
	} else {
		line("Content-Type: text/rfc822-headers")
	}
	line("")
	b.Write(headers)
	// RFC 2046 section 5.1.1: the CRLF before a boundary belongs to the
	// boundary, so the header's last CRLF needs one more after it.
	line("")
	line("--%s--", boundary)
	return b.Bytes()
}

// dsnStatus returns the RFC 3463 status of a failed recipient.
func dsnStatus(r queue.Recipient) string {
	code, _, _ := strings.Cut(r.LastError, " ")
	if validEnhanced(code) {
		return code
	}
	switch r.LastCode / 100 {
	case 4:
		return "4.0.0"
	default:
		// RFC 3463 section 3.1: X.0.0, other undefined status; a failure
		// without a code is permanent unless it says otherwise.
		return "5.0.0"
	}
}

// diagnostic returns "<code> <text>" of the last reply a server sent, or ""
// when the failure was not a server's reply.
func diagnostic(r queue.Recipient) string {
	if r.LastCode == 0 {
		return ""
	}
	text := r.LastError
	if rest, ok := strings.CutPrefix(text, expiredText); ok {
		text = strings.TrimPrefix(rest, expiredSep)
	}
	return strconv.Itoa(r.LastCode) + " " + text
}

// fieldValue makes s safe as the value of a report field: one line, ASCII
// unless the report is global, and not too long.
func fieldValue(s string, global bool) string {
	s = oneLine(s)
	if !global {
		s = strings.Map(func(r rune) rune {
			if r >= 0x80 {
				return '?'
			}
			return r
		}, s)
	}
	if len(s) > maxFieldValue {
		n := maxFieldValue
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}

// headerSection returns the header of a message, up to and excluding the
// blank line that ends it (RFC 5322 section 2.1), with CRLF line ends.
// A message without a blank line is all header.
func headerSection(msg []byte) []byte {
	var out bytes.Buffer
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		var l []byte
		if i < 0 {
			l, msg = msg, nil
		} else {
			l, msg = msg[:i], msg[i+1:]
		}
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 {
			break
		}
		out.Write(l)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}
