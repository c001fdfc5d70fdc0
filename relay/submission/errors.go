package submission

import "errors"

// Errors returned by New and Serve. They are wrapped with the detail that
// says what to fix; test them with errors.Is.
var (
	// ErrConfig means a Config that cannot be served: a missing host name,
	// a user without a usable bcrypt hash, a domain that is not managed, or
	// a DKIM key that cannot sign.
	ErrConfig = errors.New("submission: invalid configuration")

	// ErrKind means Serve was given a listener kind other than
	// "submission", "submissions" or "loopback".
	ErrKind = errors.New("submission: unknown listener kind")

	// ErrNotLoopback means a "loopback" listener whose address is not in
	// 127.0.0.0/8. Such a listener accepts AUTH without TLS, so it must not
	// be reachable from another host.
	ErrNotLoopback = errors.New("submission: loopback listener on a non-loopback address")

	// ErrNoTLS means a "submission" or "submissions" listener without
	// Config.TLSConfig: passwords would cross the network in clear text.
	ErrNoTLS = errors.New("submission: listener needs a TLS configuration")

	// ErrServerClosed is returned by Serve after Shutdown, and by a second
	// Shutdown.
	ErrServerClosed = errors.New("submission: server closed")
)
