// Package resolve asks DNS questions for mailconf's analyzers, linter and
// propagation checks, over github.com/miekg/dns.
//
// [Resolver] is the one interface; an [Answer] is what came back for one
// (name, type). NXDOMAIN and NODATA are answers, with [Answer.Void] true as
// RFC 7208 section 4.6.4 counts void lookups; failures are errors wrapping
// [ErrTemporary] (timeouts, network errors, SERVFAIL, REFUSED: a temperror
// in RFC 7208 section 2.6.6's terms) or [ErrPermanent] (FORMERR, NOTIMP,
// malformed or mismatched responses, CNAME loops).
//
// [Client] asks real servers: the system's recursive resolvers (RFC 1035
// section 7, /etc/resolv.conf) for lookups, or one authoritative server at a
// time with [Client.Exchange], RD clear (RFC 1035 section 4.1.1), for
// propagation checks. It speaks EDNS0 (RFC 6891) with a 1232-byte buffer,
// falls back to TCP when an answer is truncated (RFC 7766), bounds the
// queries in flight, and keeps every answer for its lifetime, asking each
// (name, type) once however many callers want it: an SPF analysis of
// thousands of domains sharing includes must not ask for the same include
// thousands of times. [Fake] answers from a map, for unit tests; package
// dnstest runs a real authoritative server on 127.0.0.1 for the rest.
//
// The package must never decide what an answer means (that is the
// analyzers' job), never keep answers beyond a Client's life (a run), never
// retry a permanent failure, and never send a query anywhere but the
// servers it was given or found in /etc/resolv.conf: tests point it at
// 127.0.0.1 or use Fake, so no test touches the Internet.
package resolve
