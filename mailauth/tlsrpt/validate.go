package tlsrpt

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/mailconf/mailconf/mailauth"
	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Severity and Problem are the types of package mailauth, which every
// record type's Validate shares so that the linter can gather all findings
// in one list. The aliases keep this package's names working.
type (
	// Severity says how bad a Problem is.
	Severity = mailauth.Severity
	// Problem is one finding of Validate. Its Tag is the field concerned, or ""
	// for the record as a whole.
	Problem = mailauth.Problem
)

// Severities of a Problem, as in package mailauth.
const (
	// Warning marks a valid record that probably does not do what is wanted.
	Warning = mailauth.Warning
	// Error marks a record senders reject or cannot use.
	Error = mailauth.Error
)

const (
	rfcRecord = "RFC 8460 section 3"
	rfcMailto = "RFC 6068 section 2"
)

// Validate checks r against RFC 8460 and returns the problems found; nil
// means the record is fine. Every problem carries one of the codes listed in
// Codes, with the severity and citation listed there.
func (r *Record) Validate() []Problem {
	var ps []Problem
	add := func(sev Severity, code, tag, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}
	if len(r.RUA) == 0 {
		add(Error, "tlsrpt-rua-missing", "rua", rfcRecord, "the record has no rua URI; give at least one mailto: or https: destination")
	}
	seen := map[string]bool{}
	for _, u := range r.RUA {
		if err := checkURISyntax(u); err != nil {
			add(Error, "tlsrpt-rua-invalid", "rua", rfcRecord, "rua: %v", err)
			continue
		}
		if seen[u] {
			add(Warning, "tlsrpt-rua-duplicate", "rua", rfcRecord, "rua URI %q is listed more than once", u)
		}
		seen[u] = true
		scheme, rest, _ := strings.Cut(u, ":")
		switch strings.ToLower(scheme) {
		case "mailto":
			if err := checkMailto(rest); err != nil {
				add(Error, "tlsrpt-rua-mailto-invalid", "rua", rfcMailto, "rua URI %q is not a valid mailto: address: %v", u, err)
			}
		case "https":
			if code, err := checkHTTPS(u); err != nil {
				add(Error, code, "rua", rfcRecord, "rua URI %q: %v", u, err)
			}
		default:
			// RFC 8460 section 3: the two supported schemes are
			// "mailto" and "https".
			add(Error, "tlsrpt-rua-scheme-unsupported", "rua", rfcRecord, "rua URI %q must use mailto: or https:, the only schemes TLS-RPT defines", u)
		}
	}
	fseen := map[string]bool{}
	for _, t := range r.Extensions {
		switch {
		case !syntax.IsExtName(t.Name):
			add(Error, "tlsrpt-field-name-invalid", t.Name, rfcRecord, "%q is not a valid field name", t.Name)
		case t.Name == "v" || t.Name == "rua" || fseen[t.Name]:
			add(Error, "tlsrpt-field-duplicate", t.Name, rfcRecord, "field %s appears more than once", t.Name)
		case !isExtValue(t.Value):
			add(Error, "tlsrpt-field-value-invalid", t.Name, rfcRecord, "field %s has an empty value or one with a space, '=' or ';'", t.Name)
		default:
			add(Warning, "tlsrpt-field-unknown", t.Name, rfcRecord, "field %s is not defined by RFC 8460; senders ignore it", t.Name)
		}
		fseen[t.Name] = true
	}
	return ps
}

// checkMailto checks the address of a mailto: URI (RFC 6068 section 2),
// given the text after "mailto:": one address whose domain is a fully
// qualified host name. Header fields after "?" are ignored.
func checkMailto(rest string) error {
	addr, _, _ := strings.Cut(rest, "?")
	addr, err := url.PathUnescape(addr)
	if err != nil {
		return fmt.Errorf("bad percent-encoding")
	}
	if strings.Contains(addr, ",") {
		return fmt.Errorf("more than one address")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return fmt.Errorf("address %q has no @", addr)
	}
	local, domain := addr[:at], strings.TrimSuffix(addr[at+1:], ".")
	// RFC 5321 section 4.5.3.1.1: a local part is at most 64 octets.
	if local == "" || len(local) > 64 || strings.ContainsAny(local, " \t") {
		return fmt.Errorf("address %q has an empty, overlong or blank-containing local part", addr)
	}
	if !syntax.IsFQDN(domain) {
		return fmt.Errorf("address %q does not end in a domain name", addr)
	}
	return nil
}

// checkHTTPS checks that an https: URI is a valid URL with a fully qualified
// host name. When it is not, checkHTTPS returns the code of the rule broken
// and an error saying how: a URL that does not parse breaks the same rule as
// any other malformed URI.
func checkHTTPS(s string) (code string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "tlsrpt-rua-invalid", fmt.Errorf("not a valid URL")
	}
	if !syntax.IsFQDN(strings.TrimSuffix(u.Hostname(), ".")) {
		return "tlsrpt-rua-host-not-fqdn", fmt.Errorf("host %q is not a fully qualified domain name", u.Hostname())
	}
	return "", nil
}
