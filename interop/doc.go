// Package interop holds mailconf's interoperability suite: tests that run
// mailconf, as a user runs it, against real servers nobody here wrote. The
// DNS half applies the quickstart through the rfc2136 provider to BIND 9,
// Knot DNS and PowerDNS, each a primary accepting dynamic updates (RFC
// 2136) and zone transfers (RFC 5936) signed with TSIG (RFC 8945), and
// reads back what each server holds.
//
// The tests are behind the build tag "interop" (`make interop`), as they
// need the servers installed and root to isolate them: each server is
// started by the test, inside a private network namespace, on 127.0.0.1,
// and stopped by its process id when the test ends. With
// MAILCONF_REQUIRE_INTEROP=1 (as in CI) a missing server or namespace is a
// failure; otherwise the test skips, saying what to install.
//
// Nothing here may listen on anything but the namespace's loopback, send a
// query to a server the test did not start, or stop a process it did not
// start.
package interop
