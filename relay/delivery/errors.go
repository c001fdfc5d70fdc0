package delivery

import (
	"context"
	"errors"

	"github.com/mailconf/mailconf/resolve"
)

// Errors from Route. ErrNullMX and ErrNoRoute are permanent: the domain said
// it takes no mail, or has nowhere to take it. Everything wrapping
// ErrTemporary may go away when asked again later.
var (
	// ErrNullMX means the domain publishes a null MX (RFC 7505): it accepts
	// no mail at all.
	ErrNullMX = errors.New("delivery: domain accepts no mail (null MX)")

	// ErrNoRoute means the domain has neither MX records nor addresses
	// (RFC 5321 section 5.1), or does not exist.
	ErrNoRoute = errors.New("delivery: domain has no mail exchanger and no address")

	// ErrTemporary means the route could not be found now: DNS failed or
	// timed out. Try again later.
	ErrTemporary = errors.New("delivery: temporary failure")
)

// IsTemporary reports whether err is a failure that trying again later may
// cure.
func IsTemporary(err error) bool {
	return errors.Is(err, ErrTemporary) || resolve.IsTemporary(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
