// Package receiver evaluates an incoming message the way a mailbox provider
// does, and runs the probe receiver: an SMTP server that evaluates each probe
// message and keeps only the verdict, for `mailconf probe serve`.
//
// The evaluation follows SPF (RFC 7208, through blitiri.com.ar/go/spf), DKIM
// (RFC 6376, RFC 8463, through go-msgauth), DMARC (RFC 9989: policy discovery
// and Organizational Domain by the DNS Tree Walk, never a public suffix list)
// and BIMI eligibility (draft-brand-indicators-for-message-identification).
// The verdict is also rendered as an Authentication-Results value (RFC 8601).
//
// Every DNS question goes through the injected resolve.Resolver. The package
// must never relay, forward or store a message: the server reads it, evaluates
// it, keeps the Verdict for a bounded time and discards the message. Evaluate
// touches neither the network nor the clock; the Server's clock is injectable.
package receiver
