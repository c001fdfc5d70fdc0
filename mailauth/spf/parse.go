package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// IsRecord reports whether s is an SPF record by the test of RFC 7208
// section 4.5: it starts with "v=spf1", compared case-insensitively, followed
// by a space or the end. "v=spf10" and " v=spf1" are not SPF records.
func IsRecord(s string) bool {
	return len(s) >= len(version) &&
		strings.EqualFold(s[:len(version)], version) &&
		(len(s) == len(version) || s[len(version)] == ' ')
}

// Parse parses the text of an SPF record. When the TXT record holds several
// character-strings, join them with nothing in between first
// (RFC 7208 section 3.3).
//
// Parse checks the whole grammar of RFC 7208 section 12, including macros
// (section 7.1), and the rules a receiver enforces before evaluating: c, r
// and t macros only in explanation text (section 7.2), nonzero macro digit
// transformers (section 7.3) and at most one redirect and one exp
// (section 6). The error wraps ErrNotRecord, ErrSyntax or
// ErrDuplicateModifier and names the offending term.
func Parse(s string) (*Record, error) {
	if !IsRecord(s) {
		return nil, fmt.Errorf("%w: %q does not start with %q followed by a space or the end",
			ErrNotRecord, abbreviate(s), version)
	}
	r := &Record{}
	seen := map[string]bool{}
	// RFC 7208 section 12: terms are separated by one or more spaces, and the
	// record may end in spaces. Only SP separates terms; a tab is an invalid
	// character inside a term.
	for _, field := range strings.Split(s[len(version):], " ") {
		if field == "" {
			continue
		}
		t, err := ParseTerm(field)
		if err != nil {
			return nil, err
		}
		if m, ok := t.(*Modifier); ok && (m.Name == redirectName || m.Name == expName) {
			// RFC 7208 section 6: redirect and exp MUST NOT appear more than
			// once each; if they do, the result is permerror.
			if seen[m.Name] {
				return nil, fmt.Errorf("%w: %q: %s may appear only once in a record",
					ErrDuplicateModifier, field, m.Name)
			}
			seen[m.Name] = true
		}
		r.Terms = append(r.Terms, t)
	}
	return r, nil
}

// ParseTerm parses one term, such as "-all", "include:_spf.example.com" or
// "redirect=_spf.example.com", into a *Mechanism or a *Modifier. Mechanism and
// modifier names are case-insensitive (RFC 7208 section 4.6.1). Errors wrap
// ErrSyntax.
func ParseTerm(s string) (Term, error) {
	t, err := parseTerm(s)
	if err != nil {
		return nil, fmt.Errorf("%w: term %q: %v", ErrSyntax, s, err)
	}
	return t, nil
}

// parseTerm does the work of ParseTerm and returns the reason for a syntax
// error without the term, which the caller adds.
func parseTerm(s string) (Term, error) {
	if s == "" {
		return nil, errors.New("empty term")
	}
	// RFC 7208 section 12: directive = [ qualifier ] mechanism.
	q, explicit, body := Pass, false, s
	if Qualifier(s[0]).valid() {
		q, explicit, body = Qualifier(s[0]), true, s[1:]
	}
	n := nameLen(body)
	if n == 0 {
		return nil, errors.New("a term must start with a mechanism or modifier name")
	}
	name, rest := strings.ToLower(body[:n]), body[n:]

	// RFC 7208 section 12: modifier = name "=" ..., and a mechanism name is
	// never followed by "=", so the first character after the name decides.
	if strings.HasPrefix(rest, "=") {
		if explicit {
			return nil, errors.New("a modifier cannot have a qualifier")
		}
		return parseModifier(name, rest[1:])
	}
	kind, ok := kinds[name]
	if !ok {
		// RFC 7208 section 5: unknown mechanisms are a permerror; only
		// modifiers (name=value) may be unknown.
		return nil, fmt.Errorf("unknown mechanism %q", name)
	}
	m, err := parseMechanism(kind, rest)
	if err != nil {
		return nil, err
	}
	m.Qualifier, m.QualifierExplicit = q, explicit
	return m, nil
}

// nameLen returns the length of the name at the start of s, following
// RFC 7208 section 12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
// Mechanism names are a subset of this rule.
func nameLen(s string) int {
	if s == "" || !isAlpha(s[0]) {
		return 0
	}
	i := 1
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.') {
		i++
	}
	return i
}

// parseModifier validates a modifier value. RFC 7208 section 12: redirect and
// exp take a domain-spec; an unknown modifier takes a macro-string, which may
// be empty.
func parseModifier(name, value string) (*Modifier, error) {
	switch name {
	case redirectName, expName:
		if err := checkDomainSpec(value); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	default:
		if _, err := scanMacroString(value, false); err != nil {
			return nil, err
		}
	}
	return &Modifier{Name: name, Value: value}, nil
}

// parseMechanism parses what follows the mechanism name (rest starts with
// ":" or "/" or is empty) according to the rule for kind in RFC 7208
// section 12. It leaves the qualifier to the caller.
func parseMechanism(kind Kind, rest string) (*Mechanism, error) {
	m := &Mechanism{Qualifier: Pass, Kind: kind, Prefix4: -1, Prefix6: -1}
	switch kind {
	case All:
		// RFC 7208 section 5.1: all = "all", with no argument.
		if rest != "" {
			return nil, fmt.Errorf("all takes no argument, found %q", rest)
		}
	case Include, Exists:
		// RFC 7208 section 5.2 and 5.7: the domain-spec is required.
		if !strings.HasPrefix(rest, ":") {
			return nil, fmt.Errorf("%s needs \":\" and a domain", kind)
		}
		if err := checkDomainSpec(rest[1:]); err != nil {
			return nil, err
		}
		m.Domain = rest[1:]
	case PTR:
		// RFC 7208 section 5.5: ptr [ ":" domain-spec ], no CIDR length.
		d, err := optionalDomain(kind, rest)
		if err != nil {
			return nil, err
		}
		m.Domain = d
	case A, MX:
		// RFC 7208 section 5.3 and 5.4: [ ":" domain-spec ] [ dual-cidr-length ].
		rest, p4, p6, err := cutDualCIDR(rest)
		if err != nil {
			return nil, err
		}
		d, err := optionalDomain(kind, rest)
		if err != nil {
			return nil, err
		}
		m.Domain, m.Prefix4, m.Prefix6 = d, p4, p6
	case IP4, IP6:
		prefix, explicit, err := parseNetwork(kind, rest)
		if err != nil {
			return nil, err
		}
		m.Net, m.CIDRExplicit = prefix, explicit
	}
	return m, nil
}

// optionalDomain parses an optional ":" domain-spec.
func optionalDomain(kind Kind, rest string) (string, error) {
	if rest == "" {
		return "", nil
	}
	if rest[0] != ':' {
		return "", fmt.Errorf("unexpected %q after %s", rest, kind)
	}
	if err := checkDomainSpec(rest[1:]); err != nil {
		return "", err
	}
	return rest[1:], nil
}

// cutDualCIDR removes a trailing dual-cidr-length (RFC 7208 section 12:
// [ ip4-cidr-length ] [ "/" ip6-cidr-length ]) from s. It returns -1 for a
// length that is absent. A domain-spec cannot end in "/" and digits (it ends
// in a macro or a top-level label), so a trailing "/digits" is always a
// CIDR length and there is no ambiguity.
func cutDualCIDR(s string) (rest string, p4, p6 int, err error) {
	p4, p6 = -1, -1
	if i := trailingDigits(s); i < len(s) && i >= 2 && s[i-2:i] == "//" {
		if p6, err = cidrLength(s[i:], 128); err != nil {
			return "", 0, 0, err
		}
		s = s[:i-2]
	}
	if i := trailingDigits(s); i < len(s) && i >= 1 && s[i-1] == '/' {
		if p4, err = cidrLength(s[i:], 32); err != nil {
			return "", 0, 0, err
		}
		s = s[:i-1]
	}
	return s, p4, p6, nil
}

// trailingDigits returns the index where the run of ASCII digits at the end
// of s begins (len(s) when s does not end in a digit).
func trailingDigits(s string) int {
	i := len(s)
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	return i
}

// cidrLength parses a CIDR length. RFC 7208 section 12 writes it without
// leading zeros ("0" / %x31-39 0*1DIGIT for IPv4, 0*2DIGIT for IPv6) with a
// value of at most 32 or 128.
func cidrLength(d string, maxBits int) (int, error) {
	if d == "" {
		return 0, errors.New("empty CIDR length")
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return 0, fmt.Errorf("CIDR length %q is not a number", d)
		}
	}
	if len(d) > 1 && d[0] == '0' {
		return 0, fmt.Errorf("CIDR length %q has a leading zero", d)
	}
	n, err := strconv.Atoi(d)
	if err != nil || n > maxBits {
		return 0, fmt.Errorf("CIDR length %s is out of range 0-%d", d, maxBits)
	}
	return n, nil
}

// parseNetwork parses ":" ip4-network [ ip4-cidr-length ] or the IPv6
// equivalent (RFC 7208 section 5.6 and 12). A missing length means the whole
// address (/32 or /128).
func parseNetwork(kind Kind, rest string) (netip.Prefix, bool, error) {
	if !strings.HasPrefix(rest, ":") {
		return netip.Prefix{}, false, fmt.Errorf("%s needs \":\" and an address", kind)
	}
	addrText, lenText, hasLen := strings.Cut(rest[1:], "/")
	addr, err := netip.ParseAddr(addrText)
	maxBits := 32
	if kind == IP6 {
		maxBits = 128
	}
	switch {
	case err != nil:
		return netip.Prefix{}, false, fmt.Errorf("%q is not an IP address", addrText)
	case kind == IP4 && !addr.Is4():
		// RFC 7208 section 12: ip4-network is a dotted quad only.
		return netip.Prefix{}, false, fmt.Errorf("%q is not an IPv4 address", addrText)
	case kind == IP6 && (!addr.Is6() || addr.Zone() != ""):
		// RFC 7208 section 12: ip6-network follows RFC 4291 section 2.2,
		// which has no zone identifiers.
		return netip.Prefix{}, false, fmt.Errorf("%q is not an IPv6 address", addrText)
	}
	bits := maxBits
	if hasLen {
		if bits, err = cidrLength(lenText, maxBits); err != nil {
			return netip.Prefix{}, false, err
		}
	}
	return netip.PrefixFrom(addr, bits), hasLen, nil
}

// checkDomainSpec validates a domain-spec (RFC 7208 section 7.1 and 12):
//
//	domain-spec = macro-string domain-end
//	domain-end  = ( "." toplabel [ "." ] ) / macro-expand
//
// The check is on the text as written, before any macro expansion, as
// receivers do it.
func checkDomainSpec(s string) error {
	if s == "" {
		return errors.New("empty domain")
	}
	// RFC 7208 section 7.2: c, r and t are allowed only in explanation text,
	// never in a domain-spec.
	tail, err := scanMacroString(s, true)
	if err != nil {
		return err
	}
	if tail == "" {
		// The domain-spec ends in a macro-expand.
		return nil
	}
	// The literal tail must end in "." toplabel, optionally followed by ".".
	// A toplabel never contains ".", so the last dot (after removing an
	// optional final one) is the one before the toplabel.
	t := strings.TrimSuffix(tail, ".")
	dot := strings.LastIndexByte(t, '.')
	if dot < 0 {
		return fmt.Errorf("domain %q must end in a macro or in \".\" and a top-level label", s)
	}
	if top := t[dot+1:]; !isTopLabel(top) {
		return fmt.Errorf("domain %q ends in %q, which is not a valid top-level label", s, top)
	}
	return nil
}

// isTopLabel implements RFC 7208 section 12:
//
//	toplabel = ( *alphanum ALPHA *alphanum ) /
//	           ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
//
// that is, letters and digits with at least one letter, or letters, digits
// and hyphens that start and end with a letter or digit and hold a hyphen.
func isTopLabel(s string) bool {
	if s == "" {
		return false
	}
	letter, hyphen := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlpha(c):
			letter = true
		case isDigit(c):
		case c == '-':
			hyphen = true
		default:
			return false
		}
	}
	if hyphen {
		return s[0] != '-' && s[len(s)-1] != '-'
	}
	return letter
}

// scanMacroString validates a macro-string (RFC 7208 section 7.1 and 12):
//
//	macro-string  = *( macro-expand / macro-literal )
//	macro-expand  = ( "%{" macro-letter transformers *delimiter "}" )
//	                / "%%" / "%_" / "%-"
//	macro-literal = %x21-24 / %x26-7E
//
// It returns the literal text after the last macro-expand ("" when s ends in
// one), which is what the domain-end rule looks at. In a domain-spec the
// letters c, r and t are refused (RFC 7208 section 7.2).
func scanMacroString(s string, domainSpec bool) (tail string, err error) {
	tailStart := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				return "", fmt.Errorf("byte 0x%02x is not allowed (only printable ASCII other than space)", c)
			}
			i++
			continue
		}
		// RFC 7208 section 7.1: a "%" not followed by "{", "%", "-" or "_"
		// is a syntax error.
		if i+1 >= len(s) {
			return "", errors.New(`"%" at the end; write "%%" for a literal percent sign`)
		}
		switch s[i+1] {
		case '%', '_', '-':
			i += 2
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("macro %q has no closing \"}\"", s[i:])
			}
			if err := checkMacroBody(s[i+2:i+end], domainSpec); err != nil {
				return "", fmt.Errorf("macro %q: %w", s[i:i+end+1], err)
			}
			i += end + 1
		default:
			return "", fmt.Errorf(`"%%%c" is not a macro: "%%" must be followed by "{", "%%", "_" or "-"`, s[i+1])
		}
		tailStart = i
	}
	return s[tailStart:], nil
}

// checkMacroBody validates what is between "%{" and "}":
//
//	macro-letter transformers *delimiter
//	transformers = *DIGIT [ "r" ]
//	delimiter    = "." / "-" / "+" / "," / "/" / "_" / "="
//
// from RFC 7208 section 7.1. Letters and "r" are case-insensitive, as all
// ABNF literals are (RFC 5234 section 2.3).
func checkMacroBody(b string, domainSpec bool) error {
	if b == "" {
		return errors.New("missing macro letter")
	}
	letter := lower(b[0])
	if !strings.ContainsRune("slodiphcrtv", rune(letter)) {
		return fmt.Errorf("unknown macro letter %q", rune(b[0]))
	}
	if domainSpec && (letter == 'c' || letter == 'r' || letter == 't') {
		// RFC 7208 section 7.2: c, r and t are allowed only in "exp" text.
		return fmt.Errorf("macro letter %q is allowed only in explanation text", rune(b[0]))
	}
	i := 1
	nonzero := false
	for i < len(b) && isDigit(b[i]) {
		nonzero = nonzero || b[i] != '0'
		i++
	}
	// RFC 7208 section 7.3: if a DIGIT transformer is given, it MUST be
	// nonzero.
	if i > 1 && !nonzero {
		return errors.New("the digit transformer must be nonzero")
	}
	if i < len(b) && lower(b[i]) == 'r' {
		i++
	}
	for ; i < len(b); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(b[i])) {
			return fmt.Errorf("%q is not a valid transformer or delimiter", rune(b[i]))
		}
	}
	return nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lower returns the lowercase form of an ASCII letter and c otherwise.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// abbreviate shortens s for an error message, so that a huge TXT value does
// not flood the output.
func abbreviate(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
