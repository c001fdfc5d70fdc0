package resolve

import (
	"errors"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// The two kinds of failure. Every error a lookup returns wraps one of them
// (or, when the caller cancelled its context, context.Canceled), so callers
// decide what to do next with errors.Is or IsTemporary.
var (
	// ErrTemporary means the question could not be answered now: a timeout,
	// a network error, SERVFAIL or REFUSED. Asking again later may succeed;
	// RFC 7208 section 2.6.6 calls this a temperror.
	ErrTemporary = errors.New("resolve: temporary failure")

	// ErrPermanent means a server answered, but not with something usable:
	// FORMERR, NOTIMP or another error rcode, an answer to another question,
	// a malformed message or a CNAME loop. Asking again will not help.
	ErrPermanent = errors.New("resolve: permanent failure")

	// ErrNoServers means a Client has no server to ask: its Servers list is
	// empty and /etc/resolv.conf names none.
	ErrNoServers = errors.New("resolve: no DNS servers configured")
)

// IsTemporary reports whether err is a failure that retrying may cure.
func IsTemporary(err error) bool { return errors.Is(err, ErrTemporary) }

// Error is the error a lookup returns. It names the question and the server
// and wraps both its kind (ErrTemporary or ErrPermanent) and its cause, so
// errors.Is works for either, for example with context.DeadlineExceeded.
type Error struct {
	Name   string // the name asked, lower case, no trailing dot
	Type   uint16 // the type asked
	Server string // "host:port" of the server concerned, or "" when none was
	Rcode  int    // the server's response code, or -1 when there was no response
	Kind   error  // ErrTemporary, ErrPermanent, or nil when the caller cancelled
	Err    error  // the cause, or nil when Rcode says it all
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("resolve")
	}
	b.WriteString(": ")
	b.WriteString(e.Name)
	b.WriteByte(' ')
	b.WriteString(dns.Type(e.Type).String())
	if e.Server != "" {
		b.WriteString(" at ")
		b.WriteString(e.Server)
	}
	if e.Rcode > 0 {
		b.WriteString(": ")
		b.WriteString(rcodeString(e.Rcode))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind and the cause, whichever are set.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func rcodeString(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}
