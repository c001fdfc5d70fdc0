package resolve

import (
	"errors"

	"github.com/miekg/dns"
)

// errBadName is the cause when a name asked for is not a domain name.
var errBadName = errors.New("not a valid domain name")

// canonicalName returns name the way Answer reports names: ASCII lower case
// without the trailing dot, the root being ".". RFC 4343 section 3: DNS name
// comparisons are case-insensitive for ASCII letters only, so other bytes are
// left alone.
func canonicalName(name string) string {
	return trimDot(lowerASCII(name))
}

// escapedDot reports whether the final "." of name is escaped ("a\."), in
// which case it is part of the last label rather than the root.
func escapedDot(name string) bool {
	n := 0
	for i := len(name) - 2; i >= 0 && name[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// fqdn is the form put on the wire: canonical and fully qualified.
func fqdn(canonical string) string {
	if canonical == "." {
		return "."
	}
	return canonical + "."
}

// checkName canonicalizes a name given by a caller and rejects what cannot
// be asked: RFC 1035 section 2.3.4 limits labels to 63 octets and names to
// 255.
func checkName(name string) (canonical string, ok bool) {
	canonical = canonicalName(name)
	if _, ok := dns.IsDomainName(fqdn(canonical)); !ok {
		return canonical, false
	}
	return canonical, true
}

// sameName compares two names case-insensitively (RFC 4343 section 3),
// ignoring a trailing dot on either. It does not allocate: it runs for every
// record of every response.
func sameName(a, b string) bool {
	a, b = trimDot(a), trimDot(b)
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

func trimDot(name string) string {
	if len(name) > 1 && name[len(name)-1] == '.' && !escapedDot(name) {
		return name[:len(name)-1]
	}
	if name == "" {
		return "."
	}
	return name
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
