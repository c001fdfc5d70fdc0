package probe

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailconf/mailconf/verify/receiver"
)

// TokenBytes is the number of random bytes in a probe token; the token is
// their lowercase hex form, so 32 characters.
const TokenBytes = 16

// ErrRandom reports that the randomness source failed.
var ErrRandom = errors.New("probe: cannot read random bytes for the token")

// NewToken reads TokenBytes from r and returns them hex-encoded. The token
// is unguessable so that nobody else can plant a verdict under it.
func NewToken(r io.Reader) (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return hex.EncodeToString(b), nil
}

// DefaultFrom returns the probe's default author for domain.
func DefaultFrom(domain string) string { return "mailconf-probe@" + domain }

// Message builds the probe for one domain. An empty from means
// DefaultFrom(domain). The token goes into three places so that any
// receiver can find it: the X-Mailconf-Probe field (which mailconf's
// receiver reads first), the Message-ID's local part (its fallback) and the
// Subject (which every IMAP server can search). Lines end in CRLF as RFC 5322
// section 2.1 requires, and the message is plain ASCII so that no relay has
// to convert it, which would break the DKIM signature.
func Message(domain, from, to, token string, now time.Time) []byte {
	if from == "" {
		from = DefaultFrom(domain)
	}
	var b strings.Builder
	field := func(name, value string) {
		// Values come from the caller; CR and LF would start a new field.
		value = strings.NewReplacer("\r", "", "\n", "").Replace(value)
		b.WriteString(name + ": " + value + "\r\n")
	}
	// RFC 5322 section 3.6: Date and From are required; section 3.6.4 gives
	// the msg-id form <id-left@id-right>.
	field("From", from)
	field("To", to)
	field("Subject", "mailconf probe "+token)
	field("Date", now.Format(time.RFC1123Z))
	field("Message-ID", "<"+token+"@"+domain+">")
	field(receiver.ProbeHeader, token)
	field("MIME-Version", "1.0")
	field("Content-Type", "text/plain; charset=us-ascii")
	b.WriteString("\r\n")
	b.WriteString("This message was sent by mailconf to verify the mail authentication\r\n")
	b.WriteString("records (SPF, DKIM, DMARC) of " + strings.NewReplacer("\r", "", "\n", "").Replace(domain) + ".\r\n")
	b.WriteString("It can be deleted.\r\n")
	return []byte(b.String())
}
