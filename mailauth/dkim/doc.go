// Package dkim models DKIM key records and the private keys behind them.
//
// A key record is the TXT record published at <selector>._domainkey.<domain>
// (RFC 6376 section 3.6.1 and section 3.6.2.1), as updated by RFC 8301
// (cryptographic algorithm and key-size requirements) and RFC 8463
// (Ed25519-SHA256). The package parses such records into a [Record], prints
// them back in one canonical form, and reports what a receiver would object
// to with [Record.Validate].
//
// For keys it loads PEM private key files ([ParsePrivateKeyPEM] with full
// validation, for signers; [PublicKeyFromPEM] without it, for the record
// compiler, which only needs the public half and loads thousands of files in
// one run), builds the public record for a key ([PublicKeyRecord]), and
// generates and encodes new keys ([GenerateKey], [MarshalPrivateKeyPEM]).
//
// The package must never do network or file I/O, read the clock, or put
// private key material into an error message or any printed value: callers
// pass bytes in and write files themselves. Errors are package sentinels,
// testable with errors.Is, wrapped with what went wrong but never with the
// bytes of a key.
package dkim
