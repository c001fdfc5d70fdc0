package dkim

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of Validate.
type CodeInfo struct {
	// Code is what the problems of the rule carry in their Code field.
	Code string
	// Severity is the severity of every problem with this code.
	Severity mailauth.Severity
	// Summary says in one short sentence what the rule finds.
	Summary string
	// RFC is where the rule lives, cited exactly as in the problems.
	RFC string
}

// Codes lists every code Validate can produce, in the tag order Validate
// checks them. A code names a rule, not a message: the three RSA size rules
// of RFC 8301 section 3.2 have a code each, so that a pipeline can accept a
// 1024-bit key (dkim-rsa-1024) and still fail on a smaller one
// (dkim-rsa-too-small).
var Codes = []CodeInfo{
	{"dkim-version-invalid", Error, "The v= tag is not DKIM1, so verifiers discard the record", rfcKeyRecord},
	{"dkim-key-type-unknown", Error, "The k= key type is neither rsa nor ed25519, so verifiers ignore the key", rfcKeyRecord},
	{"dkim-hash-sha1-only", Error, "The h= tag allows sha1 but not sha256, and rsa-sha1 must not be used", rfcAlgorithms},
	{"dkim-hash-no-sha256", Error, "The h= tag allows no hash algorithm verifiers know", rfcKeyRecord},
	{"dkim-hash-sha1-allowed", Warning, "The h= tag allows sha1 beside sha256, although rsa-sha1 must not be used", rfcAlgorithms},
	{"dkim-service-not-email", Error, "The s= service types exclude email, so verifiers do not use the key for mail", rfcKeyRecord},
	{"dkim-testing", Warning, "The t=y flag makes verifiers treat signed mail as unsigned", rfcKeyRecord},
	{"dkim-rsa-key-invalid", Error, "The p= data does not decode as an RSA public key", rfcKeyRecord},
	{"dkim-rsa-key-not-spki", Warning, "The RSA key is a bare RSAPublicKey, which some verifiers refuse", rfcKeyRecord},
	{"dkim-rsa-too-small", Error, "The RSA key is shorter than 1024 bits, so verifiers reject it", rfcKeySizes},
	{"dkim-rsa-1024", Warning, "The RSA key is shorter than the recommended 2048 bits (typically 1024)", rfcKeySizes},
	{"dkim-rsa-too-large", Warning, "The RSA key is longer than the 4096 bits verifiers must handle", rfcKeySizes},
	{"dkim-ed25519-key-size", Error, "The Ed25519 key is not 32 octets, often because it was published as a SubjectPublicKeyInfo", rfcEd25519Key},
}
