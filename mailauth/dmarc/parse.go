package dmarc

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// parseError carries a readable message and the sentinels it stands for, so
// that one error matches several sentinels with errors.Is without repeating
// the "dmarc:" prefix in its text.
type parseError struct {
	msg   string
	kinds []error
}

func (e *parseError) Error() string   { return e.msg }
func (e *parseError) Unwrap() []error { return e.kinds }

func notDMARC(format string, args ...any) error {
	return &parseError{
		msg:   ErrNotDMARC.Error() + ": " + fmt.Sprintf(format, args...),
		kinds: []error{ErrNotDMARC},
	}
}

func syntaxError(format string, args ...any) error {
	return &parseError{
		msg:   ErrSyntax.Error() + ": " + fmt.Sprintf(format, args...),
		kinds: []error{ErrSyntax},
	}
}

func duplicateTag(name string) error {
	return &parseError{
		msg:   fmt.Sprintf("%s %q (RFC 6376 section 3.2: a tag-list with a repeated tag is invalid)", ErrDuplicateTag, name),
		kinds: []error{ErrSyntax, ErrDuplicateTag},
	}
}

func invalidValue(name, value, want string) error {
	return &parseError{
		msg:   fmt.Sprintf("%s: %s=%s: %s", ErrInvalidValue, name, value, want),
		kinds: []error{ErrSyntax, ErrInvalidValue},
	}
}

// trimWSP removes WSP (space and horizontal tab, RFC 5234) at both ends.
func trimWSP(s string) string { return strings.Trim(s, " \t") }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isTagName reports whether s matches 1*ALPHA (RFC 9989 section 4.8).
func isTagName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return true
}

// isTagValue reports whether s matches 1*dmarc-value, any printing character
// but the semicolon (RFC 9989 section 4.8).
func isTagValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == ';' {
			return false
		}
	}
	return true
}

// splitTags splits a record into its tags following the RFC 9989 section 4.8
// grammar: tags separated by *WSP ";" *WSP, an optional trailing separator,
// and *WSP "=" *WSP between name and value. Names and values are returned as
// written, without the surrounding whitespace.
func splitTags(s string) ([]Tag, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return nil, syntaxError("invalid character %q at offset %d", c, i)
		}
	}
	parts := strings.Split(s, ";")
	tags := make([]Tag, 0, len(parts))
	for i, part := range parts {
		part = trimWSP(part)
		if part == "" {
			// Only the optional trailing separator may leave an empty part.
			if i == len(parts)-1 && i > 0 {
				continue
			}
			return nil, syntaxError("empty tag at position %d", i+1)
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, syntaxError("tag %q has no '='", part)
		}
		name, value = trimWSP(name), trimWSP(value)
		if !isTagName(name) {
			return nil, syntaxError("invalid tag name %q: must be letters only", name)
		}
		if !isTagValue(value) {
			return nil, syntaxError("tag %q has an empty or invalid value %q", name, value)
		}
		tags = append(tags, Tag{Name: name, Value: value})
	}
	return tags, nil
}

// checkVersion reports whether s starts with the version tag. RFC 9989
// section 4.7: v must be the first tag and its value is exactly "DMARC1"
// (case-sensitive, %s"DMARC1" in section 4.8); a record that does not start
// with it is not a DMARC record and is ignored. The tag name itself is an
// ABNF literal and therefore case-insensitive.
func checkVersion(s string) error {
	if s == "" {
		return notDMARC("empty record")
	}
	if s[0] != 'v' && s[0] != 'V' {
		return notDMARC("record must start with v=%s", Version)
	}
	first, _, _ := strings.Cut(s, ";")
	name, value, ok := strings.Cut(first, "=")
	if !ok || trimWSP(name) != name[:1] || trimWSP(value) != Version {
		return notDMARC("record must start with v=%s", Version)
	}
	return nil
}

// Parse parses the text of a DMARC policy record (the TXT strings at
// _dmarc.<domain>, already concatenated).
//
// Tag names are case-insensitive; the values of the enumerated tags are
// normalized to lower case. A repeated tag, an invalid value of a known tag,
// or text that is not a tag-list is an error wrapping ErrSyntax. Parse is
// stricter than a receiver, which would ignore a bad tag (RFC 9989
// section 4.8): mailconf wants to report it. A record without p is accepted,
// as RFC 9989 allows; Validate reports what receivers make of it.
func Parse(s string) (*Record, error) {
	if err := checkVersion(s); err != nil {
		return nil, err
	}
	tags, err := splitTags(s)
	if err != nil {
		return nil, err
	}
	r := &Record{}
	seen := map[string]bool{tagV: true}
	for _, t := range tags[1:] {
		name := strings.ToLower(t.Name)
		if seen[name] {
			return nil, duplicateTag(name)
		}
		seen[name] = true
		if err := r.set(name, t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// set stores one parsed tag into r. name is t.Name in lower case.
func (r *Record) set(name string, t Tag) error {
	v := t.Value
	switch name {
	case tagP, tagSP, tagNP:
		p := Policy(strings.ToLower(v))
		if !p.Valid() {
			return invalidValue(name, v, "must be none, quarantine or reject")
		}
		switch name {
		case tagP:
			r.P = p
		case tagSP:
			r.SP = p
		default:
			r.NP = p
		}
	case tagADKIM, tagASPF:
		a := Alignment(strings.ToLower(v))
		if !a.Valid() {
			return invalidValue(name, v, "must be r or s")
		}
		if name == tagADKIM {
			r.ADKIM = a
		} else {
			r.ASPF = a
		}
	case tagRUA, tagRUF:
		uris, err := parseURIList(v)
		if err != nil {
			return invalidValue(name, v, err.Error())
		}
		if name == tagRUA {
			r.RUA = uris
		} else {
			r.RUF = uris
		}
	case tagFO:
		fo, err := parseFO(v)
		if err != nil {
			return invalidValue(name, v, err.Error())
		}
		r.FO = fo
	case tagPSD:
		// RFC 9989 section 4.8: dmarc-psd = "y" / "n" / "u".
		psd := strings.ToLower(v)
		if psd != "y" && psd != "n" && psd != "u" {
			return invalidValue(name, v, "must be y, n or u")
		}
		r.PSD = psd
	case tagT:
		// RFC 9989 section 4.8: dmarc-yorn = "y" / "n".
		yn := strings.ToLower(v)
		if yn != "y" && yn != "n" {
			return invalidValue(name, v, "must be y or n")
		}
		r.T = yn
	case tagPCT:
		// RFC 7489 section 6.4: dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT.
		// The 0..100 range is left to Validate so that the linter can say
		// what is wrong with a published value.
		if len(v) > 3 || !allDigits(v) {
			return invalidValue(name, v, "must be an integer from 0 to 100")
		}
		n, _ := strconv.Atoi(v)
		r.PCT = &n
	case tagRF:
		rf, err := parseRF(v)
		if err != nil {
			return invalidValue(name, v, err.Error())
		}
		r.RF = rf
	case tagRI:
		// RFC 7489 section 6.3: ri is a 32-bit unsigned integer.
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || !allDigits(v) || n > math.MaxInt {
			return invalidValue(name, v, "must be a 32-bit unsigned integer")
		}
		i := int(n)
		r.RI = &i
	default:
		r.Unknown = append(r.Unknown, t)
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseURIList splits a dmarc-urilist (RFC 9989 section 4.8): URIs separated
// by *WSP "," *WSP, each optionally followed by the obsolete RFC 7489 size
// limit "!" 1*DIGIT [unit]. The URIs are returned as written.
func parseURIList(v string) ([]string, error) {
	var uris []string
	for u := range strings.SplitSeq(v, ",") {
		u = trimWSP(u)
		if err := checkURISyntax(u); err != nil {
			return nil, err
		}
		uris = append(uris, u)
	}
	return uris, nil
}

// checkURISyntax checks the shape of one dmarc-uri or obs-dmarc-uri: an
// RFC 3986 scheme, a colon, no whitespace, and a well-formed size suffix if
// there is an exclamation point (RFC 9989 section 4.8 requires a literal "!"
// inside the URI to be percent-encoded, so any "!" starts the suffix).
func checkURISyntax(u string) error {
	if u == "" {
		return fmt.Errorf("empty URI")
	}
	base, size, hasSize := strings.Cut(u, "!")
	if hasSize && !validSize(size) {
		return fmt.Errorf("URI %q has an invalid size limit %q", u, "!"+size)
	}
	scheme, rest, ok := strings.Cut(base, ":")
	if !ok || !syntax.IsScheme(scheme) {
		return fmt.Errorf("%q is not an absolute URI", u)
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c > 0x7e {
			return fmt.Errorf("URI %q contains whitespace", u)
		}
	}
	return nil
}

// validSize reports whether s (without the "!") matches the RFC 9989
// section 4.8 obs-dmarc-report-size: 1*DIGIT [ "k" / "m" / "g" / "t" ].
func validSize(s string) bool {
	if s != "" && strings.ContainsRune("kmgtKMGT", rune(s[len(s)-1])) {
		s = s[:len(s)-1]
	}
	return allDigits(s)
}

// splitSize separates an obsolete size limit from a report URI.
func splitSize(u string) (base, size string) {
	base, size, _ = strings.Cut(u, "!")
	return base, size
}

// parseFO parses the fo tag. RFC 7489 section 6.4 allows any colon-separated
// list of 0, 1, d and s (with optional whitespace around the colons); the
// stricter RFC 9989 rules (no repeats, 0 and 1 mutually exclusive) are checked
// by Validate, since receivers of either version accept such lists. The result
// is normalized to lower case without whitespace.
func parseFO(v string) (string, error) {
	tokens := strings.Split(v, ":")
	for i, tok := range tokens {
		tok = strings.ToLower(trimWSP(tok))
		if tok != "0" && tok != "1" && tok != "d" && tok != "s" {
			return "", fmt.Errorf("options must be 0, 1, d or s, separated by colons")
		}
		tokens[i] = tok
	}
	return strings.Join(tokens, ":"), nil
}

// parseRF parses the RFC 7489 rf tag: Keyword *(*WSP ":" *WSP Keyword)
// (RFC 7489 section 6.4), where Keyword is an RFC 5321 Ldh-str starting with a
// letter or digit. The result is normalized without whitespace.
func parseRF(v string) (string, error) {
	tokens := strings.Split(v, ":")
	for i, tok := range tokens {
		tok = trimWSP(tok)
		if !isKeyword(tok) {
			return "", fmt.Errorf("report formats must be keywords separated by colons")
		}
		tokens[i] = tok
	}
	return strings.Join(tokens, ":"), nil
}

// isKeyword reports whether s matches RFC 5321 section 4.1.2
// Keyword = Let-dig [Ldh-str].
func isKeyword(s string) bool {
	if s == "" || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && (c != '-' || i == 0) {
			return false
		}
	}
	return true
}
