// Package probe is the sending side of verification: it builds a probe
// message (RFC 5322), submits it through mailconf's relay over SMTP
// submission (RFC 6409, STARTTLS per RFC 3207, AUTH per RFC 4954, implicit
// TLS per RFC 8314), and collects the verdict, either from mailconf's probe
// receiver over its HTTP API or from a real mailbox over IMAP (RFC 9051),
// where it reads the Authentication-Results header field (RFC 8601) that the
// mailbox provider added.
//
// The network, the clock and randomness are injected: a Dial function, an
// http.Client, a Sleep function, a time.Time and an io.Reader.
//
// The package must never send credentials in the clear to anything but a
// loopback address, and never modify a mailbox: it opens it read-only
// (EXAMINE) and fetches with BODY.PEEK, so no flag changes and nothing is
// deleted.
package probe
