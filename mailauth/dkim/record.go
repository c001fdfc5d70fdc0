package dkim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Key types of the k= tag.
const (
	// KeyTypeRSA is the default key type (RFC 6376 section 3.6.1).
	KeyTypeRSA = "rsa"
	// KeyTypeEd25519 is the key type RFC 8463 section 4.2 adds.
	KeyTypeEd25519 = "ed25519"
)

// Version is the only value the v= tag may have (RFC 6376 section 3.6.1).
const Version = "DKIM1"

// Record is a DKIM key record (RFC 6376 section 3.6.1).
//
// The zero value of every field means "tag absent". Parse never yields an
// empty non-nil slice, so two records parsed from equivalent text compare
// equal with go-cmp or reflect.DeepEqual.
type Record struct {
	// Version is "DKIM1", or "" when v= is absent.
	Version string
	// KeyType is the k= value, or "" when absent, which means rsa.
	KeyType string
	// PublicKey is the decoded p= value. Empty means the key is revoked.
	// For rsa it is normally a DER SubjectPublicKeyInfo, for ed25519 the
	// raw 32-byte key.
	PublicKey []byte
	// Hashes is the h= list of acceptable hash algorithms.
	Hashes []string
	// Services is the s= list of service types.
	Services []string
	// Flags is the t= list of flags.
	Flags []string
	// Notes is the n= value as written; its quoted-printable encoding
	// (RFC 6376 section 3.6.1) is not decoded, so that it prints back
	// unchanged.
	Notes string
	// Unknown holds the tags this package does not know, in record order.
	// RFC 6376 section 3.2 says unknown tags must be ignored; they are kept
	// only so that String reproduces them.
	Unknown []Tag
}

// Tag is one tag=value pair of a tag-list (RFC 6376 section 3.2).
type Tag struct {
	Name, Value string
}

// Parse parses the text of a DKIM key record, with the TXT record's
// character-strings already joined.
//
// It follows RFC 6376 section 3.2: whitespace is allowed around tags, around
// "=" and inside values (inside p= it is removed before base64 decoding), a
// trailing ";" is allowed, and a repeated tag name makes the record invalid.
// Tag names and values are case-sensitive (RFC 6376 section 3.2). Where the
// grammar allows folding whitespace, CR and LF are accepted as well as space
// and tab. Values that are syntactically valid but unknown (k=dsa, h=sha512)
// are kept: judging them is Validate's job.
func Parse(s string) (*Record, error) {
	specs := strings.Split(s, ";")
	// RFC 6376 section 3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ].
	// A trailing ";" leaves an empty last element, which is not a tag-spec.
	if n := len(specs); n > 1 && trimFWS(specs[n-1]) == "" {
		specs = specs[:n-1]
	}
	r := &Record{}
	seen := make(map[string]bool, len(specs))
	for i, spec := range specs {
		name, value, ok := strings.Cut(spec, "=")
		name, value = trimFWS(name), trimFWS(value)
		if !ok {
			if name == "" {
				return nil, fmt.Errorf("%w: empty tag at position %d", ErrSyntax, i+1)
			}
			return nil, fmt.Errorf("%w: tag at position %d has no '='", ErrSyntax, i+1)
		}
		if !syntax.IsTagName(name) {
			return nil, fmt.Errorf("%w: invalid tag name %q", ErrSyntax, name)
		}
		if !validTagValue(value) {
			return nil, fmt.Errorf("%w: tag %s= has a character outside printable ASCII or whitespace", ErrSyntax, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: %s=", ErrDuplicateTag, name)
		}
		seen[name] = true

		var err error
		switch name {
		case "v":
			// RFC 6376 section 3.6.1: v= MUST be the first tag and MUST be
			// "DKIM1"; records with another value MUST be discarded.
			if i != 0 {
				return nil, fmt.Errorf("%w: v= is tag %d", ErrVersion, i+1)
			}
			if value != Version {
				return nil, fmt.Errorf("%w: got v=%s", ErrVersion, value)
			}
			r.Version = value
		case "k":
			// RFC 6376 section 3.6.1: key-k-tag-type = "rsa" / x-key-k-tag-type,
			// and x-key-k-tag-type = hyphenated-word.
			if !isHyphenatedWord(value) {
				return nil, fmt.Errorf("%w: k=%s is not a key type name", ErrSyntax, value)
			}
			r.KeyType = value
		case "h":
			r.Hashes, err = parseList(name, value, false)
		case "s":
			r.Services, err = parseList(name, value, true)
		case "t":
			r.Flags, err = parseList(name, value, false)
		case "n":
			r.Notes = value
		case "p":
			r.PublicKey, err = decodeBase64(value)
		default:
			r.Unknown = append(r.Unknown, Tag{Name: name, Value: value})
		}
		if err != nil {
			return nil, err
		}
	}
	// RFC 6376 section 3.6.1: p= is REQUIRED.
	if !seen["p"] {
		return nil, ErrMissingPublicKey
	}
	return r, nil
}

// String returns the record in canonical form: tags separated by "; ", in
// the order v, k, h, s, t, n, the unknown tags in their original order, and
// p last. v= comes first because RFC 6376 section 3.6.1 requires it; p= comes
// last because it is by far the longest value, so a reader sees every
// parameter before the key. Absent tags are not printed; p= always is (empty
// when revoked). The p= value is base64 with padding and no whitespace;
// splitting it into 255-octet character-strings is the DNS layer's job.
func (r *Record) String() string {
	var b strings.Builder
	add := func(name, value string) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(value)
	}
	if r.Version != "" {
		add("v", r.Version)
	}
	if r.KeyType != "" {
		add("k", r.KeyType)
	}
	if len(r.Hashes) > 0 {
		add("h", strings.Join(r.Hashes, ":"))
	}
	if len(r.Services) > 0 {
		add("s", strings.Join(r.Services, ":"))
	}
	if len(r.Flags) > 0 {
		add("t", strings.Join(r.Flags, ":"))
	}
	if r.Notes != "" {
		add("n", r.Notes)
	}
	for _, t := range r.Unknown {
		add(t.Name, t.Value)
	}
	add("p", base64.StdEncoding.EncodeToString(r.PublicKey))
	return b.String()
}

// Revoked reports whether the record revokes its key: RFC 6376 section 3.6.1
// says an empty p= value means the public key has been revoked.
func (r *Record) Revoked() bool {
	return len(r.PublicKey) == 0
}

// keyType returns the effective key type: RFC 6376 section 3.6.1 makes "rsa"
// the default when k= is absent.
func (r *Record) keyType() string {
	if r.KeyType == "" {
		return KeyTypeRSA
	}
	return r.KeyType
}

// KeyBits returns the size of the published key: the RSA modulus size in
// bits, 256 for a well-formed Ed25519 key, and 0 when the key is revoked, of
// an unknown type, or does not decode.
func (r *Record) KeyBits() int {
	if r.Revoked() {
		return 0
	}
	switch r.keyType() {
	case KeyTypeRSA:
		pub, _, err := r.rsaPublicKey()
		if err != nil {
			return 0
		}
		return pub.N.BitLen()
	case KeyTypeEd25519:
		// RFC 8463 section 4.2: p= holds the 32-octet Ed25519 public key.
		if len(r.PublicKey) == ed25519KeySize {
			return 256
		}
	}
	return 0
}

// ed25519KeySize is the size of an Ed25519 public key (RFC 8032 section
// 5.1.5), which RFC 8463 section 4.2 publishes as is.
const ed25519KeySize = 32

// rsaPublicKey decodes an rsa p= value. RFC 6376 section 3.6.1 names an
// RSAPublicKey (RFC 8017 appendix A.1.1) as the content of p=, but its own
// example in appendix C, every common key generator and most verifiers
// (go-msgauth among them) use a SubjectPublicKeyInfo (RFC 5280 section
// 4.1.2.7) wrapping it; erratum 3017 to RFC 6376 proposes allowing both.
// So both are decoded here, and spki reports which one was found.
func (r *Record) rsaPublicKey() (pub *rsa.PublicKey, spki bool, err error) {
	if k, err := x509.ParsePKIXPublicKey(r.PublicKey); err == nil {
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, false, fmt.Errorf("p= holds a %T, not an RSA key", k)
		}
		return pub, true, nil
	}
	if pub, err := x509.ParsePKCS1PublicKey(r.PublicKey); err == nil {
		return pub, false, nil
	}
	return nil, false, fmt.Errorf("p= is neither a SubjectPublicKeyInfo nor an RSAPublicKey")
}

// isWSP reports whether c is whitespace that folding whitespace (FWS, RFC
// 6376 section 2.8) may consist of. Bare CR and LF are accepted too, not only
// CRLF followed by a space or tab: a record never carries a line break that
// matters, and some zone tools leave them.
func isWSP(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// trimFWS removes folding whitespace at both ends of s.
func trimFWS(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r < 0x80 && isWSP(byte(r)) })
}

// validTagValue checks RFC 6376 section 3.2: a tag-value is made of VALCHAR
// (%x21-3A / %x3C-7E, printable ASCII except ";") and whitespace between
// them. Split on ";" has already removed the semicolons.
func validTagValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x21 || c > 0x7e) && !isWSP(c) {
			return false
		}
	}
	return true
}

// parseList parses the colon-separated lists of h=, s= and t= (RFC 6376
// section 3.6.1): items are hyphenated-words with optional whitespace around
// the colons; s= may also hold "*".
func parseList(name, value string, allowStar bool) ([]string, error) {
	parts := strings.Split(value, ":")
	list := make([]string, 0, len(parts))
	for _, p := range parts {
		p = trimFWS(p)
		if !isHyphenatedWord(p) && (!allowStar || p != "*") {
			return nil, fmt.Errorf("%w: %s= has an invalid item %q", ErrSyntax, name, p)
		}
		list = append(list, p)
	}
	return list, nil
}

// isHyphenatedWord checks RFC 6376 section 2.10:
// hyphenated-word = ALPHA [ *(ALPHA / DIGIT / "-") (ALPHA / DIGIT) ].
func isHyphenatedWord(s string) bool {
	if s == "" || !isAlpha(s[0]) || s[len(s)-1] == '-' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// decodeBase64 decodes a p= value. RFC 6376 section 2.10 allows folding
// whitespace between the base64 characters and makes the "=" padding
// optional in the grammar, so whitespace is removed and both padded and
// unpadded text are accepted. The empty value decodes to nil (revoked).
func decodeBase64(value string) ([]byte, error) {
	compact := strings.Map(func(r rune) rune {
		if r < 0x80 && isWSP(byte(r)) {
			return -1
		}
		return r
	}, value)
	if compact == "" {
		return nil, nil
	}
	enc := base64.RawStdEncoding
	if strings.HasSuffix(compact, "=") {
		enc = base64.StdEncoding
	}
	key, err := enc.Strict().DecodeString(compact)
	if err != nil {
		return nil, fmt.Errorf("%w: p= is not valid base64", ErrSyntax)
	}
	return key, nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
