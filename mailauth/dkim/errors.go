package dkim

import "errors"

// Errors about key records. Parse wraps them with the tag concerned.
var (
	// ErrSyntax means the text is not a tag=value list as RFC 6376
	// section 3.2 defines it, or a tag's value breaks that tag's grammar in
	// RFC 6376 section 3.6.1.
	ErrSyntax = errors.New("dkim: malformed key record")

	// ErrDuplicateTag means a tag name occurs twice; RFC 6376 section 3.2
	// makes the whole tag-list invalid then.
	ErrDuplicateTag = errors.New("dkim: duplicate tag in key record")

	// ErrVersion means a v= tag that is not the first tag or is not
	// "DKIM1"; RFC 6376 section 3.6.1 says such records must be discarded.
	ErrVersion = errors.New("dkim: v= must be the first tag and be DKIM1")

	// ErrMissingPublicKey means the record has no p= tag, which RFC 6376
	// section 3.6.1 requires (an empty p= is allowed: it revokes the key).
	ErrMissingPublicKey = errors.New("dkim: key record has no p= tag")
)

// Errors about keys and key files. None of them ever carries key material.
var (
	// ErrNoPEM means the data holds no PEM private key block at all: it is
	// not PEM, or it is PEM without a private key (a certificate, say).
	ErrNoPEM = errors.New("dkim: no PEM private key block")

	// ErrUnsupportedKey means a key DKIM cannot sign with (ECDSA, RSA-PSS),
	// an encrypted key file, a file holding several keys, or an algorithm
	// name GenerateKey does not know.
	ErrUnsupportedKey = errors.New("dkim: unsupported key")

	// ErrKeyTooSmall means an RSA key below 1024 bits, which RFC 8301
	// section 3.2 forbids signers to use and verifiers to accept.
	ErrKeyTooSmall = errors.New("dkim: RSA key smaller than 1024 bits")

	// ErrMalformedKey means a private key block whose DER structure does not
	// parse, or whose parts do not belong together.
	ErrMalformedKey = errors.New("dkim: malformed private key")
)

// ErrSelector means a selector that is not a dot-separated list of DNS
// labels (RFC 6376 section 3.1).
var ErrSelector = errors.New("dkim: invalid selector")
