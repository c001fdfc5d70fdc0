package delivery

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/net/idna"

	"github.com/mailconf/mailconf/resolve"
)

// DefaultPort is the SMTP port of mail exchangers: RFC 5321 section 4.5.4.2.
const DefaultPort = "25"

// DefaultTimeout bounds connecting and each command's reply when
// Client.Timeout is zero. RFC 5321 section 4.5.3.2 recommends five minutes
// for the greeting, MAIL and RCPT; the reply to the final dot of DATA then
// gets go-smtp's twelve minutes (RFC 5321 section 4.5.3.2.6 asks for ten).
const DefaultTimeout = 5 * time.Minute

// Smarthost is a server that takes all outbound mail instead of the
// recipients' MX hosts, usually a provider's submission service.
type Smarthost struct {
	Addr        string // host:port, e.g. "smtp.example.net:587"
	Username    string // AUTH PLAIN user name; empty means no AUTH
	Password    string // never logged, never in a Result
	ImplicitTLS bool   // TLS from the first octet (RFC 8314 section 3.3, port 465) instead of STARTTLS
}

// Client makes delivery attempts. Its fields are set before the first
// Deliver and not changed after; Deliver is then safe for concurrent use.
type Client struct {
	// Resolver finds MX hosts and their addresses. Required unless
	// Smarthost is set.
	Resolver resolve.Resolver

	// Hostname is the name the client gives in EHLO (RFC 5321 section
	// 4.1.1.1): the relay's fully qualified domain name. Default
	// "localhost", which receivers may frown upon.
	Hostname string

	// Port is the port dialled on MX hosts; default DefaultPort.
	Port string

	// Dial opens connections; default a net.Dialer. Tests point it at
	// loopback listeners. The context carries the connect timeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// TLSConfig is the base of every TLS configuration: client
	// certificates, versions, and the roots a smarthost's certificate is
	// verified against (nil: the system's). ServerName and, for MX hosts,
	// InsecureSkipVerify are set per connection; see the package
	// documentation for the opportunistic TLS policy.
	TLSConfig *tls.Config

	// Smarthost, when set, receives all mail, authenticated with AUTH
	// PLAIN (RFC 4954, RFC 4616) after TLS only.
	Smarthost *Smarthost

	// Timeout bounds connecting and waiting for each reply; default
	// DefaultTimeout.
	Timeout time.Duration

	// Rand orders MX hosts of equal preference (RFC 5321 section 5.1).
	// Nil uses a source seeded by the runtime. Deliver draws from it under
	// a lock, so one Rand serves concurrent deliveries.
	Rand *rand.Rand

	mu sync.Mutex // guards Rand
}

// Result is the outcome of one delivery attempt for one recipient.
//
// Temporary is authoritative: a recipient whose Result is not a success is
// retried when Temporary is set and failed for good otherwise. It usually
// follows the reply code (4xx temporary, 5xx permanent), but a network
// error is temporary, and so is a 5xx greeting when another host could not
// be reached, or a smarthost refusing the relay's own credentials.
type Result struct {
	Rcpt      string
	Code      int    // SMTP reply code, 250 on success; 0 when no server replied (DNS, network, local decision)
	Enhanced  string // RFC 3463 status code such as "5.1.1"; "" when the server sent none
	Message   string // the reply text or error, on one line
	Temporary bool   // try again later
}

// Delivered reports whether the recipient was accepted by the destination.
func (r Result) Delivered() bool { return r.Code/100 == 2 }

// String formats the result as LastError and DSNs show it: the enhanced
// status code, if any, then the text.
func (r Result) String() string {
	if r.Enhanced == "" {
		return r.Message
	}
	return r.Enhanced + " " + r.Message
}

// failure is an outcome that applies to every recipient of an attempt.
type failure struct {
	code     int
	enhanced string
	msg      string
	temp     bool
}

func (f failure) result(rcpt string) Result {
	return Result{Rcpt: rcpt, Code: f.code, Enhanced: f.enhanced, Message: f.msg, Temporary: f.temp}
}

func (f failure) all(rcpts []string) []Result {
	out := make([]Result, len(rcpts))
	for i, r := range rcpts {
		out[i] = f.result(r)
	}
	return out
}

// Deliver makes one delivery attempt of body from the envelope sender from
// ("" for the null reverse-path) to rcpts, and returns one Result per
// recipient, in the order given. The recipients should share one domain,
// as the Scheduler groups them; recipients of several domains are
// delivered one domain after the other.
//
// Without a smarthost the domain's MX hosts are tried in Route's order,
// each of a host's addresses in turn, moving on when a connection fails or
// a server refuses the session (its greeting, EHLO or MAIL reply is an
// error, or it lacks an extension the message needs). Once a server has
// answered RCPT, its answers are final for this attempt: per-recipient 4xx
// replies wait for the next retry rather than another host.
//
// Cancelling ctx aborts the attempt; recipients not yet accepted get a
// temporary Result.
func (c *Client) Deliver(ctx context.Context, from string, rcpts []string, body []byte) []Result {
	if len(rcpts) == 0 {
		return nil
	}
	if c.Smarthost != nil {
		return c.deliverSmarthost(ctx, from, rcpts, body)
	}
	results := make([]Result, len(rcpts))
	var order []string
	byDomain := make(map[string][]int)
	for i, rcpt := range rcpts {
		d := domainOf(rcpt)
		if _, ok := byDomain[d]; !ok {
			order = append(order, d)
		}
		byDomain[d] = append(byDomain[d], i)
	}
	for _, d := range order {
		idx := byDomain[d]
		sub := make([]string, len(idx))
		for j, i := range idx {
			sub[j] = rcpts[i]
		}
		res := c.deliverDomain(ctx, d, from, sub, body)
		for j, i := range idx {
			results[i] = res[j]
		}
	}
	return results
}

func (c *Client) deliverDomain(ctx context.Context, domain, from string, rcpts []string, body []byte) []Result {
	if domain == "" {
		// RFC 3463 section 3.2: X.1.3, bad destination mailbox address
		// syntax.
		return failure{0, "5.1.3", "recipient address has no domain", false}.all(rcpts)
	}
	if strings.HasPrefix(domain, "[") {
		return failure{0, "5.1.2", "address literals are not supported", false}.all(rcpts)
	}
	// RFC 5890 section 2.3.2.1: DNS knows internationalized names by their
	// A-labels.
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return failure{0, "5.1.2", fmt.Sprintf("domain %q is not a valid domain name: %v", domain, err), false}.all(rcpts)
	}
	hosts, err := Route(ctx, c.Resolver, ascii, c.shuffler())
	switch {
	case errors.Is(err, ErrNullMX):
		// RFC 7505 section 3: no delivery is attempted to a null MX;
		// X.1.10 (recipient address has null MX) is the status RFC 7505
		// registers for it.
		return failure{0, "5.1.10", err.Error(), false}.all(rcpts)
	case errors.Is(err, ErrNoRoute):
		// RFC 3463 section 3.2: X.1.2, bad destination system address.
		return failure{0, "5.1.2", err.Error(), false}.all(rcpts)
	case err != nil:
		// RFC 3463 section 3.5: X.4.3, directory server failure.
		return failure{0, "4.4.3", err.Error(), true}.all(rcpts)
	}
	port := cmp.Or(c.Port, DefaultPort)
	last := failure{0, "4.4.1", "no mail exchanger could be reached", true}
	anyTemp := false
	for _, host := range hosts {
		addrs, err := lookupAddrs(ctx, c.Resolver, host)
		switch {
		case err != nil:
			last, anyTemp = failure{0, "4.4.3", err.Error(), true}, true
			continue
		case len(addrs) == 0:
			// RFC 3463 section 3.5: X.4.4, unable to route. DNS may be
			// mid-change, so this is retried.
			last, anyTemp = failure{0, "4.4.4", fmt.Sprintf("mail exchanger %s has no address", host), true}, true
			continue
		}
		for _, ip := range addrs {
			if err := ctx.Err(); err != nil {
				return failure{0, "4.4.2", err.Error(), true}.all(rcpts)
			}
			out := c.attempt(ctx, host, net.JoinHostPort(ip, port), tlsOpportunistic, from, rcpts, body)
			if out.results != nil {
				return out.results
			}
			last = out.fail
			anyTemp = anyTemp || out.fail.temp
		}
	}
	// Every host refused the session. If any of them might accept later,
	// so might the domain.
	last.temp = last.temp || anyTemp
	return last.all(rcpts)
}

func (c *Client) deliverSmarthost(ctx context.Context, from string, rcpts []string, body []byte) []Result {
	sh := c.Smarthost
	host, _, err := net.SplitHostPort(sh.Addr)
	if err != nil {
		return failure{0, "4.3.5", fmt.Sprintf("smarthost address %q: %v", sh.Addr, err), true}.all(rcpts)
	}
	policy := tlsRequired
	if sh.ImplicitTLS {
		policy = tlsImplicit
	}
	out := c.attempt(ctx, host, sh.Addr, policy, from, rcpts, body)
	if out.results != nil {
		return out.results
	}
	return out.fail.all(rcpts)
}

// attempt connects to addr (the address of host) and runs one SMTP
// transaction. It returns either final results or, when the server refused
// the session, a failure that lets the caller try another host.
func (c *Client) attempt(ctx context.Context, host, addr string, policy tlsPolicy, from string, rcpts []string, body []byte) outcome {
	out := c.attemptOnce(ctx, host, addr, policy, from, rcpts, body)
	if out.tlsFailed && policy == tlsOpportunistic {
		// RFC 7435 section 3: with opportunistic security, a failed
		// handshake falls back to cleartext rather than to no delivery.
		out = c.attemptOnce(ctx, host, addr, tlsNone, from, rcpts, body)
	}
	return out
}

type outcome struct {
	results   []Result // final results, one per recipient; nil when the session was refused
	fail      failure  // why the session was refused
	tlsFailed bool     // the refusal was a failed TLS handshake
}

func refused(f failure) outcome { return outcome{fail: f} }

func (c *Client) attemptOnce(ctx context.Context, host, addr string, policy tlsPolicy, from string, rcpts []string, body []byte) outcome {
	dctx, cancel := context.WithTimeout(ctx, c.timeout())
	conn, err := c.dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		// RFC 3463 section 3.5: X.4.1, no answer from host.
		return refused(failure{0, "4.4.1", fmt.Sprintf("connect to %s [%s]: %v", host, addr, err), true})
	}
	defer conn.Close()
	// go-smtp sets its own deadlines per command; closing the connection
	// is how a cancelled context interrupts it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	sc, out := c.open(ctx, conn, host, policy)
	if sc == nil {
		return out
	}
	defer sc.Close()
	if sh := c.Smarthost; sh != nil && sh.Username != "" {
		if f, ok := c.auth(sc, sh); !ok {
			return refused(f)
		}
	}
	return c.transaction(sc, host, from, rcpts, body)
}

// auth authenticates to the smarthost. Its failures are temporary whatever
// the reply code: a wrong password is the relay operator's mistake, to be
// fixed while the mail waits, not the sender's.
func (c *Client) auth(sc *smtp.Client, sh *Smarthost) (failure, bool) {
	if !sc.SupportsAuth(sasl.Plain) {
		return failure{0, "4.7.0", "smarthost does not offer AUTH PLAIN", true}, false
	}
	if err := sc.Auth(sasl.NewPlainClient("", sh.Username, sh.Password)); err != nil {
		f := replyFailure(err)
		f.temp = true
		f.msg = "smarthost authentication failed: " + f.msg
		return f, false
	}
	return failure{}, true
}

// transaction runs MAIL, RCPT and DATA on an open session.
func (c *Client) transaction(sc *smtp.Client, host, from string, rcpts []string, body []byte) outcome {
	needUTF8 := !isASCII(from)
	for _, r := range rcpts {
		needUTF8 = needUTF8 || !isASCII(r)
	}
	if ok, _ := sc.Extension("SMTPUTF8"); needUTF8 && !ok {
		// RFC 6531 section 3.2: a non-ASCII address must not be sent to a
		// server without SMTPUTF8; the message is bounced with X.6.7
		// (non-ASCII addresses not permitted, RFC 6531 section 3.5).
		return refused(failure{0, "5.6.7", fmt.Sprintf("%s does not support SMTPUTF8, needed for a non-ASCII address", host), false})
	}
	if ok, _ := sc.Extension("8BITMIME"); !ok && has8bit(body) {
		// RFC 6152 section 3: 8-bit data must not be sent to a server
		// that did not offer 8BITMIME. Converting the message would break
		// its DKIM signature, so it is returned instead: X.6.3,
		// conversion required but not supported (RFC 3463 section 3.7).
		return refused(failure{0, "5.6.3", fmt.Sprintf("%s does not support 8BITMIME, needed for an 8-bit message", host), false})
	}
	// go-smtp adds BODY=8BITMIME (RFC 6152) whenever the server offers it,
	// and SIZE (RFC 1870) when the server announced a limit.
	opts := &smtp.MailOptions{UTF8: needUTF8, Size: int64(len(body))}
	if err := sc.Mail(from, opts); err != nil {
		f := replyFailure(err)
		if f.temp {
			return refused(f)
		}
		return outcome{results: f.all(rcpts)}
	}
	results := make([]Result, len(rcpts))
	var accepted []int
	for i, rcpt := range rcpts {
		err := sc.Rcpt(rcpt, nil)
		if err == nil {
			accepted = append(accepted, i)
			continue
		}
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			results[i] = replyFailure(err).result(rcpt)
			continue
		}
		// The session broke: nothing was delivered. Recipients the server
		// refused keep its answer; the others are tried again later.
		f := replyFailure(err)
		for _, j := range accepted {
			results[j] = f.result(rcpts[j])
		}
		for j := i; j < len(rcpts); j++ {
			results[j] = f.result(rcpts[j])
		}
		return outcome{results: results}
	}
	if len(accepted) == 0 {
		_ = sc.Quit()
		return outcome{results: results}
	}
	fail := func(err error) outcome {
		f := replyFailure(err)
		for _, i := range accepted {
			results[i] = f.result(rcpts[i])
		}
		return outcome{results: results}
	}
	w, err := sc.Data()
	if err != nil {
		return fail(err)
	}
	if _, err := w.Write(body); err != nil {
		return fail(err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return fail(err)
	}
	enhanced, text := splitEnhanced(oneLine(resp.StatusText))
	for _, i := range accepted {
		results[i] = Result{Rcpt: rcpts[i], Code: 250, Enhanced: enhanced, Message: text}
	}
	// The message is delivered; a failing QUIT changes nothing.
	_ = sc.Quit()
	return outcome{results: results}
}

// replyFailure turns an error of go-smtp into a failure: the server's reply
// when there was one, else a temporary network failure (RFC 3463 section
// 3.5: X.4.2, bad connection).
func replyFailure(err error) failure {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		f := failure{code: se.Code, msg: oneLine(se.Message), temp: se.Code/100 != 5}
		if ec := se.EnhancedCode; ec[0] == 2 || ec[0] == 4 || ec[0] == 5 {
			f.enhanced = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		}
		return f
	}
	return failure{0, "4.4.2", oneLine(err.Error()), true}
}

func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if c.Dial != nil {
		return c.Dial(ctx, network, addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) hostname() string { return cmp.Or(c.Hostname, "localhost") }

// shuffler returns a source for one Route call, drawn from c.Rand so that
// concurrent deliveries do not share an unsynchronized *rand.Rand.
func (c *Client) shuffler() *rand.Rand {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Rand == nil {
		return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return rand.New(rand.NewPCG(c.Rand.Uint64(), c.Rand.Uint64()))
}

// domainOf returns the domain of an address, lower case; "" when there is
// none. RFC 5321 section 2.4: the domain part is case-insensitive, the
// local part is not, so only the domain is folded.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func has8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// oneLine joins a multi-line reply into one line and drops control
// characters, so it fits a log line, LastError and a DSN field.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// splitEnhanced splits an RFC 3463 status code off the front of a reply
// text ("2.0.0 OK" -> "2.0.0", "OK"), as RFC 2034 section 4 places it.
func splitEnhanced(text string) (enhanced, rest string) {
	code, rest, _ := strings.Cut(text, " ")
	if validEnhanced(code) {
		return code, rest
	}
	return "", text
}

// validEnhanced reports whether s is an RFC 3463 section 2 status code:
// class 2, 4 or 5, a subject of 1 to 3 digits and a detail of 1 to 3
// digits.
func validEnhanced(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || strings.IndexByte("245", parts[0][0]) < 0 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}
