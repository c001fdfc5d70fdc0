// Package tlsrpt models the SMTP TLS Reporting record published at
// _smtp._tls.<domain> (RFC 8460 section 3), which tells sending MTAs where to
// send reports about TLS failures (for MTA-STS and DANE).
//
// The package parses a record into a Record, prints a Record as the canonical
// text mailconf publishes, and validates it.
//
// The package must never send or fetch anything: it does no network I/O and
// reads no clock.
package tlsrpt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Errors returned by Parse. ErrNotTLSRPT means the text is not a TLS-RPT
// record at all; every other malformed record wraps ErrSyntax, and
// ErrDuplicateField and ErrMissingRUA are wrapped alongside it.
var (
	ErrNotTLSRPT      = errors.New("tlsrpt: not a TLS-RPT record")
	ErrSyntax         = errors.New("tlsrpt: syntax error")
	ErrDuplicateField = errors.New("tlsrpt: duplicate field")
	ErrMissingRUA     = errors.New("tlsrpt: missing rua field")
)

// Version is the only TLS-RPT version (RFC 8460 section 3).
const Version = "TLSRPTv1"

// RecordName returns the name of the TXT record for domain:
// "_smtp._tls.<domain>" (RFC 8460 section 3).
func RecordName(domain string) string { return "_smtp._tls." + domain }

// Tag is a name=value extension field.
type Tag struct {
	Name, Value string
}

// Record is a TLS-RPT record. The v field is implicit.
type Record struct {
	// RUA lists the report destinations in published order: mailto: or
	// https: URIs (RFC 8460 section 3). At least one is required.
	RUA []string
	// Extensions holds further fields in published order; RFC 8460 defines
	// none, and senders ignore them.
	Extensions []Tag
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
	if sentinel == ErrDuplicateField || sentinel == ErrMissingRUA {
		kinds = append(kinds, ErrSyntax)
	}
	return &parseError{msg: sentinel.Error() + ": " + fmt.Sprintf(format, args...), kinds: kinds}
}

func trimWSP(s string) string { return strings.Trim(s, " \t") }

// isExtValue reports whether s matches RFC 8460 section 3
// tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E).
func isExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// checkURISyntax checks one tlsrpt-uri: an RFC 3986 absolute URI, here an
// RFC 3986 section 3.1 scheme, a colon and no whitespace. RFC 8460 section 3
// requires commas, exclamation points and semicolons inside it to be
// percent-encoded.
func checkURISyntax(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || !syntax.IsScheme(scheme) {
		return fmt.Errorf("%q is not an absolute URI", u)
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c > 0x7e || c == ',' || c == ';' || c == '!' {
			return fmt.Errorf("URI %q contains whitespace or an unencoded ',', ';' or '!'", u)
		}
	}
	return nil
}

// Parse parses the text of a TLS-RPT record (the TXT strings, concatenated).
//
// RFC 8460 section 3: the record starts with the case-sensitive
// "v=TLSRPTv1", fields are separated by *WSP ";" *WSP with an optional
// trailing separator, there is no whitespace around "=", and rua is a list of
// URIs separated by *WSP "," *WSP. rua is required. Other fields are kept as
// extensions. A repeated field is an error. Whether each URI is a usable
// mailto: or https: URI is left to Validate.
func Parse(s string) (*Record, error) {
	first, rest, found := strings.Cut(s, ";")
	if strings.TrimRight(first, " \t") != "v="+Version {
		return nil, newError(ErrNotTLSRPT, "record must start with v=%s", Version)
	}
	if !found {
		return nil, newError(ErrMissingRUA, "record has no rua field")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return nil, newError(ErrSyntax, "invalid character %q at offset %d", c, i)
		}
	}
	r := &Record{}
	fields, ferr := syntax.SplitFields(rest, "v")
	if ferr != nil {
		kind := ErrSyntax
		if ferr.Kind == syntax.FieldDuplicate {
			kind = ErrDuplicateField
		}
		return nil, newError(kind, "%s", ferr.Msg)
	}
	seen := map[string]bool{}
	for _, f := range fields {
		name, value := f.Name, f.Value
		seen[name] = true
		if name == "rua" {
			for u := range strings.SplitSeq(value, ",") {
				u = trimWSP(u)
				if err := checkURISyntax(u); err != nil {
					return nil, newError(ErrSyntax, "rua: %v", err)
				}
				r.RUA = append(r.RUA, u)
			}
			continue
		}
		if !isExtValue(value) {
			return nil, newError(ErrSyntax, "field %s has an invalid value %q", name, value)
		}
		r.Extensions = append(r.Extensions, Tag{Name: name, Value: value})
	}
	if !seen["rua"] {
		return nil, newError(ErrMissingRUA, "record has no rua field")
	}
	return r, nil
}

// String returns the record as mailconf publishes it:
// "v=TLSRPTv1; rua=<uri>,<uri>", then extensions in order, separated by "; ",
// without a trailing semicolon. String does not validate.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=" + Version + "; rua=" + strings.Join(r.RUA, ","))
	for _, t := range r.Extensions {
		b.WriteString("; " + t.Name + "=" + t.Value)
	}
	return b.String()
}
