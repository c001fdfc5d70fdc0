package dkim

import "github.com/mailconf/mailconf/mailauth"

// CodeInfo documents one rule of this package; see mailauth.CodeInfo.
type CodeInfo = mailauth.CodeInfo

// Codes lists every code Validate can produce, sorted by code. A code names a
// rule, not a message: the three RSA size rules of RFC 8301 section 3.2 have a
// code each, so that a pipeline can accept a 1024-bit key (dkim-rsa-1024) and
// still fail on a smaller one (dkim-rsa-too-small).
var Codes = []CodeInfo{
	{Code: "dkim-ed25519-key-size", Severity: Error, Summary: "The Ed25519 key is not 32 octets, often because it was published as a SubjectPublicKeyInfo", RFC: rfcEd25519Key},
	{Code: "dkim-hash-no-sha256", Severity: Error, Summary: "The h= tag allows no hash algorithm verifiers know", RFC: rfcKeyRecord},
	{Code: "dkim-hash-sha1-allowed", Severity: Warning, Summary: "The h= tag allows sha1 beside sha256, although rsa-sha1 must not be used", RFC: rfcAlgorithms},
	{Code: "dkim-hash-sha1-only", Severity: Error, Summary: "The h= tag allows sha1 but not sha256, and rsa-sha1 must not be used", RFC: rfcAlgorithms},
	{Code: "dkim-key-type-unknown", Severity: Error, Summary: "The k= key type is neither rsa nor ed25519, so verifiers ignore the key", RFC: rfcKeyRecord},
	{Code: "dkim-rsa-1024", Severity: Warning, Summary: "The RSA key is shorter than the recommended 2048 bits (typically 1024)", RFC: rfcKeySizes},
	{Code: "dkim-rsa-key-invalid", Severity: Error, Summary: "The p= data does not decode as an RSA public key", RFC: rfcKeyRecord},
	{Code: "dkim-rsa-key-not-spki", Severity: Warning, Summary: "The RSA key is a bare RSAPublicKey, which some verifiers refuse", RFC: rfcKeyRecord},
	{Code: "dkim-rsa-too-large", Severity: Warning, Summary: "The RSA key is longer than the 4096 bits verifiers must handle", RFC: rfcKeySizes},
	{Code: "dkim-rsa-too-small", Severity: Error, Summary: "The RSA key is shorter than 1024 bits, so verifiers reject it", RFC: rfcKeySizes},
	{Code: "dkim-service-not-email", Severity: Error, Summary: "The s= service types exclude email, so verifiers do not use the key for mail", RFC: rfcKeyRecord},
	{Code: "dkim-testing", Severity: Warning, Summary: "The t=y flag makes verifiers treat signed mail as unsigned", RFC: rfcKeyRecord},
	{Code: "dkim-version-invalid", Severity: Error, Summary: "The v= tag is not DKIM1, so verifiers discard the record", RFC: rfcKeyRecord},
}
