package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// PEM block types (RFC 7468 sections 10 and 11, and the traditional OpenSSL
// name for PKCS #1).
const (
	pemPKCS1 = "RSA PRIVATE KEY"
	pemPKCS8 = "PRIVATE KEY"
)

// Object identifiers of the key algorithms in a PKCS #8 PrivateKeyInfo.
var (
	// rsaEncryption, RFC 8017 appendix A.1.
	oidRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	// id-Ed25519, RFC 8410 section 3.
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// maxRSABits bounds the modulus this package reads. No DKIM verifier is
// required to handle more than 4096 bits (RFC 8301 section 3.2); the bound
// only keeps absurd inputs from costing time in the full validation.
const maxRSABits = 16384

// ParsePrivateKeyPEM parses a PEM private key file for signing: a PKCS #1
// "RSA PRIVATE KEY" block, or a PKCS #8 "PRIVATE KEY" block holding an RSA or
// Ed25519 key. Other PEM blocks in the data (a certificate chain, say) are
// skipped; exactly one private key block must be present.
//
// The key is fully validated (the RSA primes must match the modulus), which
// for a 2048-bit RSA key costs about 0.1 ms. To read only the public half of
// many keys, use PublicKeyFromPEM.
//
// The result is a *rsa.PrivateKey or an ed25519.PrivateKey. Errors are
// ErrNoPEM, ErrUnsupportedKey, ErrKeyTooSmall (RSA below 1024 bits, RFC 8301
// section 3.2) or ErrMalformedKey, and never contain key material.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, err := findKeyBlock(data)
	if err != nil {
		return nil, err
	}
	// The cheap structural pass runs first so that the key type and size are
	// checked, with precise errors, before the costly validation.
	pub, err := publicKeyFromBlock(block)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case pemPKCS1:
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case pemPKCS8:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		// The x509 error is not wrapped: it is not needed to act on the
		// failure, and this keeps any detail of the key out of the message.
		return nil, fmt.Errorf("%w: the %s block does not pass validation", ErrMalformedKey, block.Type)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	if !publicKeysEqual(signer.Public(), pub) {
		return nil, fmt.Errorf("%w: the public and private parts of the key disagree", ErrMalformedKey)
	}
	return signer, nil
}

// PublicKeyFromPEM returns the public half of a PEM private key file, read
// from the same blocks ParsePrivateKeyPEM accepts and with the same type and
// size checks, but without validating the private half: for RSA it reads only
// the modulus and public exponent from the PKCS #1 structure (RFC 8017
// appendix A.1.2), which costs microseconds instead of the full validation's
// tenth of a millisecond. An Ed25519 public key is derived from the seed.
//
// It is meant for building key records in bulk. Because the private half is
// not checked, a corrupted key file can yield a record for a key nobody can
// sign with; the signer's ParsePrivateKeyPEM rejects such a file.
//
// The result is a *rsa.PublicKey or an ed25519.PublicKey.
func PublicKeyFromPEM(data []byte) (crypto.PublicKey, error) {
	block, err := findKeyBlock(data)
	if err != nil {
		return nil, err
	}
	return publicKeyFromBlock(block)
}

// findKeyBlock returns the one private key block in data.
func findKeyBlock(data []byte) (*pem.Block, error) {
	var key *pem.Block
	var others []string
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		// RFC 7468 labels of private keys all end in "PRIVATE KEY": PKCS #1,
		// PKCS #8, encrypted PKCS #8, SEC 1 EC keys, OpenSSH keys.
		if !strings.HasSuffix(block.Type, pemPKCS8) {
			others = append(others, block.Type)
			continue
		}
		if key != nil {
			return nil, fmt.Errorf("%w: the data holds more than one private key; keep one key per file", ErrUnsupportedKey)
		}
		key = block
	}
	if key == nil {
		if len(others) == 0 {
			return nil, fmt.Errorf("%w: the data is not PEM", ErrNoPEM)
		}
		return nil, fmt.Errorf("%w: found only %s", ErrNoPEM, strings.Join(others, ", "))
	}
	if strings.Contains(key.Headers["Proc-Type"], "ENCRYPTED") || key.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, fmt.Errorf("%w: the key is encrypted; store it decrypted with mode 0600", ErrUnsupportedKey)
	}
	if key.Type != pemPKCS1 && key.Type != pemPKCS8 {
		return nil, fmt.Errorf("%w: %s blocks are not supported; convert the key to PKCS #8 (openssl pkcs8 -topk8 -nocrypt)", ErrUnsupportedKey, key.Type)
	}
	return key, nil
}

// publicKeyFromBlock reads the public key out of a PKCS #1 or PKCS #8 block
// without validating the private parts.
func publicKeyFromBlock(block *pem.Block) (crypto.PublicKey, error) {
	if block.Type == pemPKCS1 {
		return rsaPublicFromPKCS1(block.Bytes)
	}
	// RFC 5958 section 2 (PKCS #8 v2): OneAsymmetricKey is a SEQUENCE of a
	// version, an AlgorithmIdentifier and the key in an OCTET STRING,
	// followed by optional attributes and public key, which are not needed.
	var info struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(block.Bytes, &info); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: the PKCS #8 structure does not parse", ErrMalformedKey)
	}
	switch alg := info.Algorithm.Algorithm; {
	case alg.Equal(oidRSA):
		return rsaPublicFromPKCS1(info.PrivateKey)
	case alg.Equal(oidEd25519):
		// RFC 8410 section 3: the parameters MUST be absent.
		if len(info.Algorithm.Parameters.FullBytes) != 0 {
			return nil, fmt.Errorf("%w: Ed25519 algorithm parameters must be absent", ErrMalformedKey)
		}
		// RFC 8410 section 7: the key is a CurvePrivateKey, an OCTET STRING
		// holding the 32-octet seed.
		var seed []byte
		if rest, err := asn1.Unmarshal(info.PrivateKey, &seed); err != nil || len(rest) != 0 || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: the Ed25519 key is not a 32-octet seed", ErrMalformedKey)
		}
		return ed25519.NewKeyFromSeed(seed).Public(), nil
	default:
		return nil, fmt.Errorf("%w: key algorithm %s; DKIM signs with RSA or Ed25519", ErrUnsupportedKey, alg)
	}
}

// rsaPublicFromPKCS1 reads n and e from an RSAPrivateKey (RFC 8017 appendix
// A.1.2) and checks the key size.
func rsaPublicFromPKCS1(der []byte) (*rsa.PublicKey, error) {
	// The private values stay raw: decoding them into big.Ints would be
	// wasted work. They must still be present and be INTEGERs, so that a
	// truncated key is not mistaken for a good one.
	var k struct {
		Version                int
		N                      *big.Int
		E                      int
		D, P, Q, Dp, Dq, Coeff asn1.RawValue
	}
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: the PKCS #1 structure does not parse", ErrMalformedKey)
	}
	for _, v := range []asn1.RawValue{k.D, k.P, k.Q, k.Dp, k.Dq, k.Coeff} {
		if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagInteger || v.IsCompound {
			return nil, fmt.Errorf("%w: the PKCS #1 structure does not parse", ErrMalformedKey)
		}
	}
	// RFC 8017 appendix A.1.2: version 0 is two-prime; version 1
	// (multi-prime) is not supported by Go's signer.
	if k.Version != 0 {
		return nil, fmt.Errorf("%w: multi-prime RSA keys", ErrUnsupportedKey)
	}
	// A real modulus is positive and odd (a product of odd primes); a real
	// public exponent is odd and, in Go, fits 31 bits.
	if k.N.Sign() <= 0 || k.N.Bit(0) == 0 || k.E < 3 || k.E%2 == 0 || k.E > 1<<31-1 {
		return nil, fmt.Errorf("%w: the RSA modulus or exponent is not valid", ErrMalformedKey)
	}
	bits := k.N.BitLen()
	if bits < minRSABits {
		// RFC 8301 section 3.2: signers MUST use RSA keys of at least 1024
		// bits.
		return nil, fmt.Errorf("%w: the key has %d bits; generate a %d-bit key", ErrKeyTooSmall, bits, recommendedRSABits)
	}
	if bits > maxRSABits {
		return nil, fmt.Errorf("%w: the RSA key has %d bits, more than %d", ErrUnsupportedKey, bits, maxRSABits)
	}
	return &rsa.PublicKey{N: k.N, E: k.E}, nil
}

// publicKeysEqual compares two public keys of the types this package uses.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// PublicKeyRecord returns the key record that publishes pub:
// "v=DKIM1; k=rsa; p=..." with the base64 of the DER SubjectPublicKeyInfo for
// an RSA key, or "v=DKIM1; k=ed25519; p=..." with the base64 of the raw
// 32-octet key for Ed25519 (RFC 8463 section 4.2).
//
// For RSA, RFC 6376 section 3.6.1 names the bare RSAPublicKey as the content
// of p=, but its own example (appendix C), OpenSSL-based key tools, the large
// mailbox providers' records and verifiers such as go-msgauth use the
// SubjectPublicKeyInfo, and erratum 3017 to RFC 6376 proposes allowing it; a
// record in that form is the one every verifier reads.
//
// pub is a *rsa.PublicKey or an ed25519.PublicKey, as returned by
// PublicKeyFromPEM or a crypto.Signer's Public method. An RSA key below 1024
// bits yields ErrKeyTooSmall: there is no point publishing it.
func PublicKeyRecord(pub crypto.PublicKey) (*Record, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return nil, fmt.Errorf("%w: nil RSA key", ErrUnsupportedKey)
		}
		// RFC 8301 section 3.2: keys below 1024 bits are not verified.
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("%w: the key has %d bits; generate a %d-bit key", ErrKeyTooSmall, bits, recommendedRSABits)
		}
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: the RSA public key does not encode", ErrUnsupportedKey)
		}
		return &Record{Version: Version, KeyType: KeyTypeRSA, PublicKey: der}, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: an Ed25519 public key of %d octets", ErrUnsupportedKey, len(k))
		}
		return &Record{Version: Version, KeyType: KeyTypeEd25519, PublicKey: append([]byte(nil), k...)}, nil
	default:
		return nil, fmt.Errorf("%w: %T; DKIM signs with RSA or Ed25519", ErrUnsupportedKey, pub)
	}
}

// Algorithm returns the DKIM key type of pub and its size in bits: ("rsa",
// modulus bits) for a *rsa.PublicKey, ("ed25519", 256) for an
// ed25519.PublicKey, and ("", 0) for anything else.
func Algorithm(pub crypto.PublicKey) (string, int) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k != nil && k.N != nil {
			return KeyTypeRSA, k.N.BitLen()
		}
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return KeyTypeEd25519, 256
		}
	}
	return "", 0
}

// Names of the keys GenerateKey makes, as the configuration spells them.
const (
	AlgorithmRSA1024 = "rsa-1024"
	AlgorithmRSA2048 = "rsa-2048"
	AlgorithmRSA3072 = "rsa-3072"
	AlgorithmRSA4096 = "rsa-4096"
	AlgorithmEd25519 = "ed25519"
)

// rsaSizes maps GenerateKey's RSA algorithm names to modulus sizes.
var rsaSizes = map[string]int{
	AlgorithmRSA1024: 1024,
	AlgorithmRSA2048: 2048,
	AlgorithmRSA3072: 3072,
	AlgorithmRSA4096: 4096,
}

// GenerateKey makes a new private key: alg is "rsa-1024", "rsa-2048",
// "rsa-3072", "rsa-4096" or "ed25519". RFC 8301 section 3.2 recommends at
// least 2048 bits for RSA; "rsa-1024" exists for receivers that cannot take a
// longer record, and Validate warns about it.
//
// random is the entropy source (nil means crypto/rand.Reader). Ed25519 keys are
// derived from it deterministically. Since Go 1.26 crypto/rsa ignores it and
// always uses the system's secure source; tests that need fixed RSA keys
// use testing/cryptotest.SetGlobalRandom.
//
// Storing the key is the caller's job: encode it with MarshalPrivateKeyPEM
// and write it to a file only its owner can read (mode 0600).
func GenerateKey(alg string, random io.Reader) (crypto.Signer, error) {
	if random == nil {
		random = rand.Reader
	}
	if alg == AlgorithmEd25519 {
		_, key, err := ed25519.GenerateKey(random)
		if err != nil {
			return nil, fmt.Errorf("dkim: generating an Ed25519 key: %w", err)
		}
		return key, nil
	}
	bits, ok := rsaSizes[alg]
	if !ok {
		return nil, fmt.Errorf("%w: algorithm %q; use rsa-2048, rsa-3072, rsa-4096, rsa-1024 or ed25519", ErrUnsupportedKey, alg)
	}
	key, err := rsa.GenerateKey(random, bits)
	if err != nil {
		return nil, fmt.Errorf("dkim: generating an RSA key: %w", err)
	}
	return key, nil
}

// MarshalPrivateKeyPEM encodes a key from GenerateKey or ParsePrivateKeyPEM
// as a PKCS #8 "PRIVATE KEY" PEM block (RFC 5958, RFC 7468 section 10),
// which OpenSSL and go-msgauth's users read alike.
//
// The result is secret: write it to a file of mode 0600, and never log it.
func MarshalPrivateKeyPEM(k crypto.Signer) ([]byte, error) {
	switch key := k.(type) {
	case *rsa.PrivateKey:
		if key == nil || key.N == nil {
			return nil, fmt.Errorf("%w: nil RSA key", ErrUnsupportedKey)
		}
		// RFC 8301 section 3.2: such a key must not be used, so it is not
		// written either.
		if bits := key.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("%w: the key has %d bits", ErrKeyTooSmall, bits)
		}
	case ed25519.PrivateKey:
		if len(key) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%w: an Ed25519 private key of %d octets", ErrUnsupportedKey, len(key))
		}
	default:
		return nil, fmt.Errorf("%w: %T; DKIM signs with RSA or Ed25519", ErrUnsupportedKey, k)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("%w: the key does not encode as PKCS #8", ErrUnsupportedKey)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPKCS8, Bytes: der}), nil
}
