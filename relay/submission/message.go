package submission

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
	"golang.org/x/net/idna"
)

var crlf = []byte("\r\n")

// dateLayout is RFC 5322 section 3.3's date-time, with the optional day of
// the week and a numeric zone.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// signedFields is the h= list of the DKIM signatures, in this order, each
// name repeated as often as the message has the field. The first twenty
// are those RFC 6376 section 5.4.1 recommends signing when present; the
// rest are those its section 5.4 informative note adds (Sender and the MIME
// fields, whose change alters what the reader sees) and the Message-ID,
// which threading and duplicate detection rely on.
var signedFields = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc",
	"Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
	"In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
	"Message-ID", "Sender", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
}

// prepared is a message ready for the queue.
type prepared struct {
	body       []byte
	headerFrom string
	signedWith []string // "selector._domainkey.domain" of each signature
}

// prepare checks the header From of a submitted message against the
// sending policy, adds the trace, Date and Message-ID fields, and signs it
// with each key of the From domain. A refusal is an *smtp.SMTPError.
func (s *Server) prepare(ss *session, raw []byte) (*prepared, *smtp.SMTPError) {
	msg := normalizeCRLF(raw)
	fields, err := parseHeader(msg)
	if err != nil {
		return nil, contentError("Malformed message header: %v (RFC 5322 section 2.2)", err)
	}
	count := make(map[string]int)
	var from []field
	for _, f := range fields {
		count[f.lower]++
		if f.lower == "from" {
			from = append(from, f)
		}
	}

	// RFC 5322 section 3.6: exactly one From field. Two would let a
	// receiver show one author while DMARC evaluates the other.
	switch len(from) {
	case 0:
		return nil, contentError("The message has no From header field (RFC 5322 section 3.6)")
	case 1:
	default:
		return nil, policyError("The message has %d From header fields; exactly one is allowed (RFC 5322 section 3.6)", len(from))
	}
	authors, perr := addressParser.ParseList(string(unfold(from[0].value(msg))))
	if perr != nil {
		return nil, contentError("The From header field does not parse as an address list")
	}
	// RFC 5322 section 3.6.2 allows several authors, but the signature and
	// the DMARC evaluation (RFC 7489 section 6.6.1) concern one domain, so
	// exactly one author is accepted.
	if len(authors) != 1 {
		return nil, policyError("The From header field must name exactly one author, not %d", len(authors))
	}
	fromDomain, derr := addressDomain(authors[0].Address)
	if derr != nil {
		return nil, contentError("The From header field has no valid domain")
	}
	if err := ss.checkDomain("header From", fromDomain); err != nil {
		return nil, err
	}

	now := s.cfg.Now()
	var head bytes.Buffer
	// RFC 5321 section 4.4: a server that accepts a message inserts a
	// Received field at the top.
	head.WriteString(s.received(ss, now))
	// RFC 6409 sections 8.2 and 8.3: an MSA may add the Date and
	// Message-ID fields RFC 5322 section 3.6 requires (Date) and
	// recommends (Message-ID) when the client left them out.
	if count["date"] == 0 {
		fmt.Fprintf(&head, "Date: %s\r\n", now.Format(dateLayout))
		count["date"] = 1
	}
	if count["message-id"] == 0 {
		id, err := s.messageID()
		if err != nil {
			s.log.Error("no randomness for a Message-ID", "err", err)
			return nil, errQueue
		}
		fmt.Fprintf(&head, "Message-ID: %s\r\n", id)
		count["message-id"] = 1
	}
	unsigned := make([]byte, 0, head.Len()+len(msg))
	unsigned = append(unsigned, head.Bytes()...)
	unsigned = append(unsigned, msg...)

	keys := s.keys[fromDomain]
	if len(keys) == 0 {
		ss.logger().Warn("no active DKIM key for the From domain; sending unsigned", "domain", fromDomain)
	}
	sigs, signedWith, err := sign(unsigned, keys, headerKeys(count))
	if err != nil {
		s.log.Error("DKIM signing failed", "domain", fromDomain, "err", err)
		return nil, errQueue
	}
	body := make([]byte, 0, len(sigs)+len(unsigned))
	body = append(body, sigs...)
	body = append(body, unsigned...)
	return &prepared{body: body, headerFrom: authors[0].Address, signedWith: signedWith}, nil
}

// addressParser reads the From field. Encoded words (RFC 2047) in charsets
// Go does not know are passed through undecoded: only the address matters
// here, and refusing a message over its display name's charset would be
// wrong.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, input io.Reader) (io.Reader, error) { return input, nil },
}}

// received is the trace field for this hop (RFC 5321 section 4.4), with
// the "with" protocol of RFC 3848 (ESMTPA, ESMTPSA) or RFC 6531 section
// 3.7.3 (UTF8SMTPA, UTF8SMTPSA).
func (s *Server) received(ss *session, now time.Time) string {
	proto := "ESMTP"
	if ss.utf8 {
		proto = "UTF8SMTP"
	}
	if ss.isTLS() {
		proto += "S"
	}
	proto += "A"
	helo := ss.conn.Hostname()
	if !traceSafe(helo) {
		helo = "unknown"
	}
	tcpInfo := ""
	if ap, err := netip.ParseAddrPort(ss.remote); err == nil {
		// RFC 5321 section 4.1.3: address literals.
		ip := ap.Addr().Unmap().WithZone("")
		if ip.Is4() {
			tcpInfo = " ([" + ip.String() + "])"
		} else {
			tcpInfo = " ([IPv6:" + ip.String() + "])"
		}
	}
	return fmt.Sprintf("Received: from %s%s\r\n\tby %s with %s;\r\n\t%s\r\n", helo, tcpInfo, s.hostname, proto, now.Format(dateLayout))
}

// traceSafe reports whether a client's EHLO argument can go into the
// Received field as it is: printable ASCII without the characters that
// delimit the field's clauses.
func traceSafe(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || strings.IndexByte("();\\\"", c) >= 0 {
			return false
		}
	}
	return true
}

// messageIDEncoding spells the random part of a Message-ID in lower-case
// letters and digits, which are all atext (RFC 5322 section 3.2.3).
var messageIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// messageID returns a new msg-id (RFC 5322 section 3.6.4): 128 random bits
// at this server's host name, unique without any state.
func (s *Server) messageID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return "", err
	}
	return "<" + messageIDEncoding.EncodeToString(b[:]) + "@" + s.hostname + ">", nil
}

// headerKeys is the h= list for a message whose header has the given field
// counts (by lower-case name). RFC 6376 section 5.4.2: a name listed once
// more than the field occurs signs the absence of a further instance, so
// From is listed one extra time and no second From can be added without
// breaking the signature.
func headerKeys(count map[string]int) []string {
	var keys []string
	for _, name := range signedFields {
		n := count[strings.ToLower(name)]
		if name == "From" {
			n++
		}
		for range n {
			keys = append(keys, name)
		}
	}
	return keys
}

// sign returns one DKIM-Signature field per key (RFC 6376 section 5), with
// relaxed/relaxed canonicalization (section 3.4), which survives the
// whitespace changes of relays, and the names of the keys used.
func sign(msg []byte, keys []Key, headerKeys []string) ([]byte, []string, error) {
	var sigs []byte
	var names []string
	for _, k := range keys {
		signer, err := msgauth.NewSigner(&msgauth.SignOptions{
			Domain:                 k.Domain,
			Selector:               k.Selector,
			Signer:                 k.Signer,
			HeaderCanonicalization: msgauth.CanonicalizationRelaxed,
			BodyCanonicalization:   msgauth.CanonicalizationRelaxed,
			HeaderKeys:             headerKeys,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("key %s of %s: %w", k.Selector, k.Domain, err)
		}
		if _, err := signer.Write(msg); err != nil {
			signer.Close()
			return nil, nil, fmt.Errorf("key %s of %s: %w", k.Selector, k.Domain, err)
		}
		if err := signer.Close(); err != nil {
			return nil, nil, fmt.Errorf("key %s of %s: %w", k.Selector, k.Domain, err)
		}
		sigs = append(sigs, signer.Signature()...)
		names = append(names, k.Selector+"._domainkey."+k.Domain)
	}
	return sigs, names, nil
}

// field is one header field of a message: its name as written and in
// lower case, and the offsets of its value (after the colon, up to the
// CRLF that ends its last line, folding included).
type field struct {
	name, lower string
	start, end  int
}

func (f field) value(msg []byte) []byte { return msg[f.start:f.end] }

var (
	errContinuation = errors.New("the header starts with a continuation line")
	errNoColon      = errors.New("a header line has no colon")
	errFieldName    = errors.New("a header field name has characters outside printable US-ASCII")
)

// parseHeader splits the header of msg, whose lines all end in CRLF, into
// fields (RFC 5322 section 2.2). The header ends at the first empty line,
// or at the end of a message without a body.
func parseHeader(msg []byte) ([]field, error) {
	var fields []field
	for i := 0; i < len(msg); {
		n := bytes.Index(msg[i:], crlf)
		if n < 0 {
			n = len(msg) - i
		}
		line := msg[i : i+n]
		if len(line) == 0 {
			break
		}
		switch line[0] {
		case ' ', '\t':
			// RFC 5322 section 2.2.3: a line starting with white space
			// continues the field above it.
			if len(fields) == 0 {
				return nil, errContinuation
			}
			fields[len(fields)-1].end = i + n
		default:
			colon := bytes.IndexByte(line, ':')
			if colon < 0 {
				return nil, errNoColon
			}
			// RFC 5322 section 4.5 (obsolete syntax) allowed white space
			// before the colon; receivers still read "From :" as From, so
			// it is read that way here too.
			name := bytes.TrimRight(line[:colon], " \t")
			if len(name) == 0 {
				return nil, errFieldName
			}
			// RFC 5322 section 3.6.8: ftext is printable US-ASCII except
			// the colon.
			for _, c := range name {
				if c < 33 || c > 126 {
					return nil, errFieldName
				}
			}
			fields = append(fields, field{name: string(name), lower: strings.ToLower(string(name)), start: i + colon + 1, end: i + n})
		}
		i += n + len(crlf)
	}
	return fields, nil
}

// unfold removes the CRLFs of folded lines (RFC 5322 section 2.2.3).
func unfold(v []byte) []byte {
	if !bytes.Contains(v, crlf) {
		return v
	}
	return bytes.ReplaceAll(v, crlf, nil)
}

// normalizeCRLF makes every line end in CRLF: a lone LF or a lone CR
// becomes CRLF, and a last line without an end gets one. RFC 5322 section
// 2.3 allows CR and LF only together, and RFC 5321 section 2.3.8 forbids
// sending other line ends; fixing them here, before signing, makes the
// signature cover the bytes that will be sent.
func normalizeCRLF(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	clean := true
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') || c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			clean = false
			break
		}
	}
	if clean && bytes.HasSuffix(b, crlf) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32+2)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, crlf...)
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, crlf...)
		default:
			out = append(out, c)
		}
	}
	if !bytes.HasSuffix(out, crlf) {
		out = append(out, crlf...)
	}
	return out
}

// normalizeDomain returns the form domains are compared in: lower-case
// A-labels (RFC 5890 section 2.3.2.1) without a trailing dot.
func normalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", errors.New("empty domain")
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", errors.New("not a valid domain name")
	}
	return strings.ToLower(a), nil
}
