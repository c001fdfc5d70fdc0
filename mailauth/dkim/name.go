package dkim

import "fmt"

// Name returns the DNS name of a key record, <selector>._domainkey.<domain>
// (RFC 6376 section 3.6.2.1). It neither validates nor changes its arguments:
// a trailing dot on domain stays, and case is kept.
func Name(selector, domain string) string {
	return selector + "._domainkey." + domain
}

// maxLabelLength is the longest DNS label (RFC 1035 section 2.3.4).
const maxLabelLength = 63

// ValidSelector checks a selector against RFC 6376 section 3.1:
// selector = sub-domain *( "." sub-domain ), where a sub-domain (RFC 5321
// section 4.1.2) is letters, digits and hyphens that neither begin nor end
// with a hyphen. Each label is also limited to 63 octets (RFC 1035 section
// 2.3.4). The error wraps ErrSelector.
func ValidSelector(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrSelector)
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if err := validLabel(s[start:i]); err != nil {
			return fmt.Errorf("%w %q: %s", ErrSelector, s, err)
		}
		start = i + 1
	}
	return nil
}

// validLabel checks one sub-domain of a selector: RFC 5321 section 4.1.2,
// sub-domain = Let-dig [Ldh-str], Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig.
func validLabel(l string) error {
	switch {
	case l == "":
		return fmt.Errorf("empty label (leading, trailing or doubled dot)")
	case len(l) > maxLabelLength:
		return fmt.Errorf("label of %d octets, more than %d", len(l), maxLabelLength)
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q begins or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
			return fmt.Errorf("label %q has %q; only letters, digits and hyphens are allowed", l, c)
		}
	}
	return nil
}
