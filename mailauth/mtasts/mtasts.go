// Package mtasts models SMTP MTA Strict Transport Security (RFC 8461): the
// TXT record at _mta-sts.<domain> that announces a policy and its id, and the
// policy file served at https://mta-sts.<domain>/.well-known/mta-sts.txt.
//
// The package parses and prints both, validates them, derives the record's id
// from the policy text so that the id changes exactly when the policy does,
// and matches MX host names against policy patterns.
//
// The package must never fetch a policy or query the DNS: it does no network
// I/O and reads no clock.
package mtasts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Parse and ParsePolicy. ErrNotMTASTS means the text is not
// an MTA-STS record at all; every other malformed record or policy wraps
// ErrSyntax, and ErrDuplicateField and ErrMissingField are wrapped alongside
// it.
var (
	ErrNotMTASTS      = errors.New("mtasts: not an MTA-STS record")
	ErrSyntax         = errors.New("mtasts: syntax error")
	ErrDuplicateField = errors.New("mtasts: duplicate field")
	ErrMissingField   = errors.New("mtasts: missing field")
)

// Version is the only MTA-STS version, in the TXT record (v=STSv1) and the
// policy (version: STSv1) alike (RFC 8461 sections 3.1 and 3.2).
const Version = "STSv1"

// MaxMaxAge is the largest allowed max_age, in seconds (RFC 8461 section 3.2:
// about one year).
const MaxMaxAge = 31557600

// PolicyPath is the path of the policy file on the policy host (RFC 8461
// section 3.2).
const PolicyPath = "/.well-known/mta-sts.txt"

// RecordName returns the name of the TXT record announcing the policy of
// domain: "_mta-sts.<domain>" (RFC 8461 section 3.1).
func RecordName(domain string) string { return "_mta-sts." + domain }

// PolicyHost returns the host serving the policy of domain:
// "mta-sts.<domain>" (RFC 8461 section 3.2).
func PolicyHost(domain string) string { return "mta-sts." + domain }

// PolicyURL returns the URL of the policy file of domain (RFC 8461
// section 3.2).
func PolicyURL(domain string) string { return "https://" + PolicyHost(domain) + PolicyPath }

// Tag is a name=value (TXT record) or name: value (policy) extension field.
type Tag struct {
	Name, Value string
}

// Mode is the policy mode (RFC 8461 section 5).
type Mode string

// Policy modes defined by RFC 8461 section 3.2.
const (
	// Enforce: senders must not deliver to MX hosts that fail validation.
	Enforce Mode = "enforce"
	// Testing: senders deliver anyway and report failures (RFC 8460).
	Testing Mode = "testing"
	// None: the domain has no active policy; used to withdraw one.
	None Mode = "none"
)

// Valid reports whether m is one of the three defined modes.
func (m Mode) Valid() bool { return m == Enforce || m == Testing || m == None }

// Record is the TXT record at _mta-sts.<domain>. The v tag is implicit.
type Record struct {
	// ID identifies the policy instance: 1 to 32 letters and digits
	// (RFC 8461 section 3.1). Senders refetch the policy when it changes.
	ID string
	// Extensions holds further fields in published order; RFC 8461
	// section 3.1 defines none, and senders ignore them.
	Extensions []Tag
}

// Policy is the policy file. The version field is implicit.
type Policy struct {
	Mode Mode
	// MX lists the allowed MX host patterns in order: host names, or
	// "*.<domain>" matching one extra leftmost label (RFC 8461 section 4.1).
	MX []string
	// MaxAge is the policy lifetime in seconds, 0 to MaxMaxAge.
	MaxAge int
	// Extensions holds further fields in published order; senders ignore
	// unknown fields (RFC 8461 section 3.2).
	Extensions []Tag
}

// ID derives a record id from the policy text: the first 32 hex digits of the
// SHA-256 of p.String(). It changes exactly when the served text changes, and
// it satisfies the id grammar of RFC 8461 section 3.1 (1*32 ALPHA / DIGIT).
func (p *Policy) ID() string {
	sum := sha256.Sum256([]byte(p.String()))
	return hex.EncodeToString(sum[:])[:32]
}

// MatchMX reports whether the MX host name host matches the policy pattern
// pattern. RFC 8461 section 4.1: names are compared case-insensitively; a
// pattern "*.example.com" matches exactly one additional leftmost label
// ("mx1.example.com", not "example.com" or "a.b.example.com"). A trailing dot
// on either side is ignored, so host may be taken verbatim from an MX record.
func MatchMX(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if pattern == "" || host == "" {
		return false
	}
	if parent, ok := strings.CutPrefix(pattern, "*."); ok {
		label, rest, found := strings.Cut(host, ".")
		return found && label != "" && rest == parent
	}
	return pattern == host
}

// parseError carries a message and the sentinels it stands for.
type parseError struct {
	msg   string
	kinds []error
}

func (e *parseError) Error() string   { return e.msg }
func (e *parseError) Unwrap() []error { return e.kinds }

func newError(sentinel error, format string, args ...any) error {
	kinds := []error{sentinel}
	if sentinel == ErrDuplicateField || sentinel == ErrMissingField {
		kinds = append(kinds, ErrSyntax)
	}
	return &parseError{msg: sentinel.Error() + ": " + fmt.Sprintf(format, args...), kinds: kinds}
}
