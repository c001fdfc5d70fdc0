package dkim

import (
	"fmt"
	"slices"

	"github.com/mailconf/mailconf/mailauth"
)

// Severity and Problem are the types of package mailauth, which every
// record type's Validate shares so that the linter can gather all findings
// in one list. The aliases keep this package's names working.
type (
	// Severity says how bad a Problem is.
	Severity = mailauth.Severity
	// Problem is one finding of Validate. Its Tag is the tag concerned, without
	// "=" ("p", "k", ...).
	Problem = mailauth.Problem
)

// Severities of a Problem, as in package mailauth.
const (
	// Warning marks a record that works but should be changed.
	Warning = mailauth.Warning
	// Error marks a record that verifiers reject or ignore, so signatures made
	// with its key will not verify.
	Error = mailauth.Error
)

// Sections cited by Validate.
const (
	rfcKeyRecord  = "RFC 6376 section 3.6.1"
	rfcAlgorithms = "RFC 8301 section 3.1"
	rfcKeySizes   = "RFC 8301 section 3.2"
	rfcEd25519Key = "RFC 8463 section 4.2"
)

// ed25519SPKISize is the size of a DER SubjectPublicKeyInfo holding an
// Ed25519 key (RFC 8410 section 4): a 12-octet header and the raw key. It is
// what people publish by mistake when they copy OpenSSL's output.
const ed25519SPKISize = 44

// Key sizes from RFC 8301 section 3.2.
const (
	// minRSABits: signers MUST use RSA keys of at least 1024 bits, and
	// verifiers MUST NOT accept signatures made with smaller keys.
	minRSABits = 1024
	// recommendedRSABits: signers SHOULD use RSA keys of at least 2048 bits.
	recommendedRSABits = 2048
	// maxVerifiedRSABits: verifiers MUST be able to validate signatures with
	// keys from 1024 to 4096 bits; larger keys may not verify everywhere.
	maxVerifiedRSABits = 4096
)

// Validate reports what receivers would object to in the record. Problems
// come in tag order v, k, h, s, t, p, so that the output is stable. A revoked
// key (empty p=) is not a problem: it is the last step of a key rotation.
// Unknown tags are not problems either: RFC 6376 section 3.2 says they must be
// ignored. Every problem carries one of the codes listed in Codes, with the
// severity and citation listed there.
func (r *Record) Validate() []Problem {
	var ps []Problem
	add := func(sev Severity, code, tag, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}

	// RFC 6376 section 3.6.1: if v= is given it MUST be "DKIM1". Parse
	// refuses anything else; a hand-built Record may still get it wrong.
	if r.Version != "" && r.Version != Version {
		add(Error, "dkim-version-invalid", "v", rfcKeyRecord,
			"version %q is not DKIM1; verifiers discard the record", r.Version)
	}

	keyType := r.keyType()
	// RFC 6376 section 3.6.1: unrecognized key types MUST be ignored, so the
	// record is useless to a verifier. RFC 8463 section 4.2 adds ed25519 to
	// rsa.
	knownType := keyType == KeyTypeRSA || keyType == KeyTypeEd25519
	if !knownType {
		add(Error, "dkim-key-type-unknown", "k", rfcKeyRecord,
			"key type %q is unknown (use rsa or ed25519); verifiers ignore the key", r.KeyType)
	}

	if len(r.Hashes) > 0 {
		// RFC 8301 section 3.1: rsa-sha1 MUST NOT be used for signing or
		// verifying, and every other algorithm (rsa-sha256, ed25519-sha256)
		// hashes with sha256. Unknown hash names are ignored by verifiers
		// (RFC 6376 section 3.6.1).
		hasSHA1 := slices.Contains(r.Hashes, "sha1")
		hasSHA256 := slices.Contains(r.Hashes, "sha256")
		switch {
		case !hasSHA256 && hasSHA1:
			add(Error, "dkim-hash-sha1-only", "h", rfcAlgorithms,
				"only sha1 is allowed, and rsa-sha1 must not be used; set h=sha256 or drop h=")
		case !hasSHA256:
			add(Error, "dkim-hash-no-sha256", "h", rfcKeyRecord,
				"no hash algorithm verifiers know (sha256) is allowed; set h=sha256 or drop h=")
		case hasSHA1:
			add(Warning, "dkim-hash-sha1-allowed", "h", rfcAlgorithms,
				"sha1 is listed, but rsa-sha1 must not be used; set h=sha256 or drop h=")
		}
	}

	// RFC 6376 section 3.6.1: s= restricts the key to the listed services;
	// a key without "email" or "*" cannot verify mail.
	if len(r.Services) > 0 && !slices.Contains(r.Services, "email") && !slices.Contains(r.Services, "*") {
		add(Error, "dkim-service-not-email", "s", rfcKeyRecord,
			"service types do not include email or *; verifiers will not use the key for mail")
	}

	// RFC 6376 section 3.6.1: t=y means the domain is testing DKIM, and
	// verifiers MUST NOT treat signed mail differently from unsigned mail.
	if slices.Contains(r.Flags, "y") {
		add(Warning, "dkim-testing", "t", rfcKeyRecord,
			"t=y marks the key as testing, so verifiers treat signed mail as unsigned; remove it once signing works")
	}

	if !r.Revoked() && knownType {
		ps = append(ps, r.validateKey(keyType)...)
	}
	return ps
}

// validateKey checks the p= value of a known key type.
func (r *Record) validateKey(keyType string) []Problem {
	var ps []Problem
	add := func(sev Severity, code, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: "p", Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}
	switch keyType {
	case KeyTypeRSA:
		pub, spki, err := r.rsaPublicKey()
		if err != nil {
			add(Error, "dkim-rsa-key-invalid", rfcKeyRecord,
				"the key data does not decode as an RSA public key (%v); republish the record from the key file", err)
			return ps
		}
		if !spki {
			// RFC 6376 section 3.6.1 allows the bare RSAPublicKey, but
			// verifiers following appendix C (go-msgauth among them) accept
			// only a SubjectPublicKeyInfo; see erratum 3017.
			add(Warning, "dkim-rsa-key-not-spki", rfcKeyRecord,
				"the key is a bare RSAPublicKey; some verifiers accept only a SubjectPublicKeyInfo, so republish it in that form")
		}
		switch bits := pub.N.BitLen(); {
		case bits < minRSABits:
			add(Error, "dkim-rsa-too-small", rfcKeySizes,
				"the RSA key has %d bits; verifiers reject keys below %d bits, so generate a %d-bit key",
				bits, minRSABits, recommendedRSABits)
		case bits < recommendedRSABits:
			add(Warning, "dkim-rsa-1024", rfcKeySizes,
				"the RSA key has %d bits; %d bits are recommended", bits, recommendedRSABits)
		case bits > maxVerifiedRSABits:
			add(Warning, "dkim-rsa-too-large", rfcKeySizes,
				"the RSA key has %d bits; verifiers are only required to handle up to %d bits",
				bits, maxVerifiedRSABits)
		}
	case KeyTypeEd25519:
		// RFC 8463 section 4.2: p= is the 32-octet Ed25519 public key.
		if n := len(r.PublicKey); n != ed25519KeySize {
			hint := "republish the record from the key file"
			if n == ed25519SPKISize {
				hint = "it looks like a SubjectPublicKeyInfo; publish only the raw key"
			}
			add(Error, "dkim-ed25519-key-size", rfcEd25519Key,
				"an Ed25519 key has %d octets, this one has %d; %s", ed25519KeySize, n, hint)
		}
	}
	return ps
}
