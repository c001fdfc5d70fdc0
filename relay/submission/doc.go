// Package submission is the message-submission side of mailconf's SMTP
// relay: an SMTP server (RFC 5321) in the role of a Message Submission Agent
// (RFC 6409) that authenticates users (SMTP AUTH, RFC 4954, with the PLAIN
// mechanism of RFC 4616 and the de-facto LOGIN mechanism), enforces the
// sending policy of the mailconf configuration, completes the header
// (RFC 6409 section 8, RFC 5322 section 3.6), signs each message with every
// active DKIM key of its author domain (RFC 6376, RFC 8301, RFC 8463) and
// hands it to the relay's durable queue.
//
// It listens in three ways: "submission" (port 587, RFC 6409 section 4 and
// STARTTLS of RFC 3207, with AUTH only after TLS), "submissions" (port 465,
// implicit TLS, RFC 8314 section 3.3) and "loopback" (plain text on
// 127.0.0.0/8 only, for local programs and mailconf's offline lab).
//
// The package must never relay mail for a client that has not
// authenticated, never accept an envelope sender or header From whose
// domain the authenticated user may not use, never answer 250 to a message
// before the queue reports it safe on disk, and never write a password, a
// password hash or a private key into a log line, a reply or an error.
package submission
