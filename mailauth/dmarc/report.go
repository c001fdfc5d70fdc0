package dmarc

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// ReportAuthorizationRecord is the TXT value a report destination publishes
// at <domain>._report._dmarc.<dest> to accept reports for <domain>
// (RFC 9990 section 3, formerly RFC 7489 section 7.1).
const ReportAuthorizationRecord = "v=DMARC1;"

// ReportAuthorizationName returns the name at which dest authorizes reports
// about domain: "<domain>._report._dmarc.<dest>" (RFC 9990 section 3, steps 1
// to 3). A trailing dot on domain is dropped; dest is used as given, so an
// absolute dest gives an absolute name. Both must already be A-labels.
func ReportAuthorizationName(domain, dest string) string {
	return strings.TrimSuffix(domain, ".") + "._report._dmarc." + dest
}

// IsReportAuthorization reports whether s is a valid report authorization
// record. RFC 9990 section 3, step 6: the record is parsed as a tag-list like
// the policy record, "v=DMARC1" must be the first tag, and a trailing ";" is
// optional; further tags (such as an overriding rua) are allowed. Only the
// tag-list syntax is checked, not the values of further tags, as a receiver
// does.
func IsReportAuthorization(s string) bool {
	if checkVersion(s) != nil {
		return false
	}
	tags, err := splitTags(s)
	if err != nil {
		return false
	}
	// RFC 6376 section 3.2: a tag-list with a repeated tag is invalid.
	seen := map[string]bool{}
	for _, t := range tags {
		name := strings.ToLower(t.Name)
		if seen[name] {
			return false
		}
		seen[name] = true
	}
	return true
}

// ReportDomain returns the domain a report URI delivers to, in lower case and
// without a trailing dot: the domain of the address of a mailto: URI, or the
// host of an http: or https: URI. An RFC 7489 size suffix ("!10m") is ignored.
// The planner compares it with the publishing domain to decide whether the
// destination is external and needs an authorization record (RFC 9990
// section 3, step 1: the "destination host").
func ReportDomain(uri string) (string, error) {
	base, _ := splitSize(uri)
	scheme, rest, ok := strings.Cut(base, ":")
	if !ok || !syntax.IsScheme(scheme) {
		return "", fmt.Errorf("%w: %q is not an absolute URI", ErrInvalidURI, uri)
	}
	switch strings.ToLower(scheme) {
	case "mailto":
		_, domain, err := mailtoAddress(rest)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrInvalidURI, uri, err)
		}
		return domain, nil
	case "http", "https":
		u, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrInvalidURI, uri, err)
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if !syntax.IsFQDN(host) {
			return "", fmt.Errorf("%w: %q: host %q is not a domain name", ErrInvalidURI, uri, u.Hostname())
		}
		return host, nil
	}
	return "", fmt.Errorf("%w: %q: scheme %q has no destination domain", ErrInvalidURI, uri, scheme)
}

// mailtoAddress returns the local part and the lower-cased domain of the
// single address of a mailto: URI (RFC 6068 section 2), given the text after
// "mailto:". Header fields after "?" are ignored. A mailto: URI may name
// several addresses, but a DMARC report destination names one (RFC 9989
// section 4.8 requires commas in a dmarc-uri to be encoded, so several would
// be an oddity at best).
func mailtoAddress(rest string) (local, domain string, err error) {
	addr, _, _ := strings.Cut(rest, "?")
	addr, err = url.PathUnescape(addr)
	if err != nil {
		return "", "", fmt.Errorf("bad percent-encoding")
	}
	if strings.Contains(addr, ",") {
		return "", "", fmt.Errorf("more than one address")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", "", fmt.Errorf("address %q has no @", addr)
	}
	local, domain = addr[:at], strings.TrimSuffix(strings.ToLower(addr[at+1:]), ".")
	// RFC 5321 section 4.5.3.1.1: a local part is at most 64 octets.
	if local == "" || len(local) > 64 {
		return "", "", fmt.Errorf("address %q has an empty or overlong local part", addr)
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c <= ' ' || c > 0x7e {
			return "", "", fmt.Errorf("address %q has a space or control character", addr)
		}
	}
	if !syntax.IsFQDN(domain) {
		return "", "", fmt.Errorf("address %q does not end in a domain name", addr)
	}
	return local, domain, nil
}
