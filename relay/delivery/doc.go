// Package delivery takes mail out of mailconf's relay queue and hands it to
// the destination's mail exchangers: MX resolution (RFC 5321 section 5.1,
// null MX of RFC 7505), one SMTP transaction per destination with
// opportunistic STARTTLS (RFC 3207, RFC 7435), 8BITMIME (RFC 6152) and
// SMTPUTF8 (RFC 6531), retries on a schedule, and delivery status
// notifications (RFC 3464, RFC 6522) for what cannot be delivered.
//
// [Route] finds where a domain's mail goes; [Client.Deliver] makes one
// attempt for the recipients of one domain and reports each recipient's
// outcome as a [Result]; [Scheduler] walks the queue, records outcomes,
// schedules retries, expires what stayed too long and queues bounces built
// by [BuildDSN].
//
// # Transport security
//
// Mail to MX hosts uses opportunistic security (RFC 7435): STARTTLS is used
// whenever a server offers it, and the server's certificate is not checked,
// because without DANE or MTA-STS the MX host names come from unsigned DNS
// and a certificate matching them proves nothing (RFC 7672 section 1.3.2);
// unauthenticated encryption beats cleartext, and refusing it would only
// push the mail to cleartext or nowhere (RFC 7435 section 3, "maximize
// security peer by peer"). When the TLS handshake itself fails, the same
// host is tried again in cleartext, since a server whose TLS is broken
// would otherwise never receive mail (RFC 7435 section 3, "prioritize
// communication"; an active attacker can strip STARTTLS anyway).
// A smarthost is different: the relay authenticates to it with a password,
// so TLS (implicit or STARTTLS) is required and its certificate is verified
// against Client.TLSConfig; without TLS the password is never sent and the
// attempt fails temporarily.
//
// # Retries and expiry
//
// A recipient that gets a 4xx reply or whose destination cannot be reached
// stays Pending and is tried again after the next interval of the schedule
// (the last interval repeats), but never later than the message's expiry,
// so that the last attempt happens when the queue lifetime ends. A
// temporary failure at or after the expiry fails the recipient with status
// 4.4.7 (RFC 3463 section 3.5, delivery time expired); a recipient found
// due after its expiry (the relay was down) still gets that one last
// attempt. 5xx replies, and local decisions such as a null MX, fail at
// once. A failed recipient is reported in a DSN queued in the same run;
// one item may thus produce several DSNs, one per run in which some of its
// recipients failed.
//
// # Shutdown
//
// Scheduler.Run stops picking new work when its context ends; deliveries
// in flight continue on a context of their own for at most
// Scheduler.ShutdownTimeout and are then cut off, their recipients
// counting a temporary failure. Run returns when none is left.
//
// The package must never deliver a message anywhere but the MX hosts of its
// recipients' domains (or the configured smarthost), never send a smarthost
// password before TLS, never bounce a message whose sender is the null
// reverse-path (RFC 5321 section 4.5.5), and never record a failure as
// final before its DSN is safely queued. The outside world is injected: the
// Scheduler's clock (Now), the Client's dialer, resolver and randomness, so
// tests run on loopback with a fake clock and fake DNS.
package delivery
