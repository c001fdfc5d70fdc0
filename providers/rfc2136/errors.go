package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers"
)

var (
	// ErrKeyRefused reports that the server did not accept the TSIG key:
	// it knows no key of that name, or the secret or algorithm differ from
	// its copy, or the clocks differ too much (RFC 8945 section 5.2).
	ErrKeyRefused = errors.New("rfc2136: TSIG key refused by the server")
	// ErrRefused reports a request the server refused (REFUSED, RFC 2136
	// section 3.3): the key may not change those records or transfer the
	// zone, or the server's own checks rejected the update.
	ErrRefused = errors.New("rfc2136: refused by the server")
	// ErrNotAuthoritative reports a server that does not hold the zone as
	// a primary (NOTAUTH, RFC 2136 section 2.2).
	ErrNotAuthoritative = errors.New("rfc2136: server is not authoritative for the zone")
	// ErrServer reports any other failure of the server or of its answer.
	ErrServer = errors.New("rfc2136: server error")
)

// opError is the error every method returns: one sentence for the user,
// and the sentinels and cause it wraps for errors.Is and errors.As.
type opError struct {
	msg     string
	wrapped []error
}

func (e *opError) Error() string   { return e.msg }
func (e *opError) Unwrap() []error { return e.wrapped }

// failure is what the client makes of an error from the library: whether
// retrying can help, and which response code the server gave, if any.
type failure struct {
	rcode     int // -1 when the server sent no response code
	auth      bool
	temporary bool
}

// The library reports a response code only in the text of its errors:
// `dns response error code "REFUSED" (5)` for an update, miekg/dns's
// `bad xfr rcode: 5` for a transfer. These patterns are tied to
// github.com/libdns/rfc2136 v1.0.1 and miekg/dns; the tests pin them.
var (
	updateRcodeRE   = regexp.MustCompile(`dns response error code "[^"]*" \((\d+)\)`)
	transferRcodeRE = regexp.MustCompile(`bad xfr rcode: (\d+)`)
)

// classify reads an error of the library: the response code it carries,
// whether it is a TSIG or NOTAUTH failure, and whether retrying can help.
func classify(err error) failure {
	f := failure{rcode: -1}
	for _, re := range []*regexp.Regexp{updateRcodeRE, transferRcodeRE} {
		if m := re.FindStringSubmatch(err.Error()); m != nil {
			f.rcode, _ = strconv.Atoi(m[1])
		}
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, dns.ErrAuth):
		// miekg/dns turns every NOTAUTH answer into ErrAuth, whether the
		// TSIG failed or the server does not hold the zone.
		f.rcode, f.auth = dns.RcodeNotAuth, true
	case errors.Is(err, dns.ErrSig), errors.Is(err, dns.ErrTime):
		// The answer's own signature did not verify.
		f.auth = true
	case f.rcode == dns.RcodeServerFailure:
		f.temporary = true
	case f.rcode >= 0:
		// Any other answer: the server decided, and asking again will not
		// change its mind.
	case errors.Is(err, context.DeadlineExceeded):
		f.temporary = true
	case errors.As(err, &dnsErr):
		f.temporary = !dnsErr.IsNotFound
	case isTimeout(err):
		f.temporary = true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, dns.ErrShortRead):
		// The server may be restarting: a later attempt can succeed.
		f.temporary = true
	}
	return f
}

// op describes a call for error messages: what was being done, in which
// zone, to which records.
type op struct {
	verb     string // "reading", "appending", "setting", "deleting"
	zone     string
	recs     []libdns.Record
	transfer bool // the request was a zone transfer, not an update
}

func (o op) String() string {
	if o.transfer {
		return fmt.Sprintf("zone %s: reading the zone by transfer (AXFR)", o.zone)
	}
	return fmt.Sprintf("zone %s: %s %s", o.zone, o.verb, describe(o.recs))
}

// explain turns a failed call into the error the caller sees. For the
// answers that do not say why (NOTAUTH, REFUSED) it asks the server a
// question or two, signed with the same key, to find the likely cause.
// Nothing it writes contains the secret: only the key's name.
func (c *Client) explain(ctx context.Context, o op, err error) error {
	f := classify(err)
	e := &opError{wrapped: []error{err}}
	var detail string
	switch {
	case errors.Is(err, context.Canceled):
		detail = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		detail = fmt.Sprintf("no complete answer from %s before the deadline", c.server)
	case strings.HasPrefix(err.Error(), "invalid record"):
		e.wrapped = append(e.wrapped, providers.ErrInvalidRecord)
		detail = "the library could not encode a record"
	case strings.Contains(err.Error(), "parse record"):
		e.wrapped = append(e.wrapped, ErrServer)
		detail = "the zone holds a record the libdns rfc2136 library cannot parse, so it cannot be read (remove or fix that record)"
	case f.auth:
		why, sentinel := c.diagnoseAuth(ctx, o.zone)
		e.wrapped = append(e.wrapped, sentinel)
		detail = why
	case f.rcode == dns.RcodeRefused && o.transfer:
		e.wrapped = append(e.wrapped, ErrRefused)
		detail = fmt.Sprintf("%s refused the zone transfer: the provider reads zones by AXFR, so the server must allow key %q to transfer %s (BIND: allow-transfer { key %q; };)", c.server, c.keyName, o.zone, c.keyName)
	case f.rcode == dns.RcodeRefused:
		e.wrapped = append(e.wrapped, ErrRefused)
		detail = c.diagnoseRefused(ctx, o)
	case f.rcode == dns.RcodeServerFailure:
		e.wrapped = append(e.wrapped, ErrServer)
		detail = fmt.Sprintf("%s failed to process the request (SERVFAIL); its log says why", c.server)
	case f.rcode == dns.RcodeNotZone:
		e.wrapped = append(e.wrapped, providers.ErrOutsideZone)
		detail = fmt.Sprintf("%s says a record is not inside zone %s (NOTZONE)", c.server, o.zone)
	case f.rcode == dns.RcodeNotImplemented:
		e.wrapped = append(e.wrapped, ErrServer)
		detail = fmt.Sprintf("%s does not implement this request (NOTIMP): it may not accept dynamic updates (RFC 2136) at all", c.server)
	case f.rcode >= 0:
		e.wrapped = append(e.wrapped, ErrServer)
		detail = fmt.Sprintf("%s answered %s", c.server, dns.RcodeToString[f.rcode])
	case errors.As(err, new(*net.DNSError)):
		detail = fmt.Sprintf("the address of %s could not be looked up; check the host name in `server`", c.server)
	case errors.Is(err, syscall.ECONNREFUSED):
		detail = fmt.Sprintf("nothing accepts connections at %s: is the server running and listening on TCP there?", c.server)
	case isTimeout(err):
		detail = fmt.Sprintf("%s did not answer in time: the server may be down or overloaded, or a firewall may drop DNS over TCP", c.server)
	case f.temporary:
		detail = fmt.Sprintf("%s could not be reached or dropped the connection", c.server)
	default:
		detail = fmt.Sprintf("request to %s failed", c.server)
	}
	if f.temporary {
		e.wrapped = append(e.wrapped, providers.ErrTemporary)
		detail += "; retrying later may help"
	}
	e.msg = fmt.Sprintf("rfc2136: %s: %s (%v)", o, detail, err)
	return e
}

// probeTimeout bounds each diagnostic question: it is asked only after a
// failure, to say why, and must not hold the caller up long.
const probeTimeout = 2 * time.Second

// probeContext is the context for diagnostic questions: none when the
// caller has given up, otherwise the caller's, bounded by probeTimeout.
func probeContext(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	if ctx.Err() != nil {
		return nil, nil, false
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	return pctx, cancel, true
}

// query asks the server one question over TCP, signed with the key. The
// answer is returned even when its signature does not verify, because a
// server that refuses the key answers unsigned, and the TSIG error code it
// puts in that answer is exactly what the caller wants to read.
func (c *Client) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetTsig(c.keyFQDN, c.algorithmFQDN, 300, time.Now().Unix())
	cl := &dns.Client{Net: "tcp", Timeout: probeTimeout, TsigSecret: map[string]string{c.keyFQDN: c.secret}}
	r, _, err := cl.ExchangeContext(ctx, m, c.server)
	return r, err
}

// diagnoseAuth finds out why a request met NOTAUTH: miekg/dns reports any
// NOTAUTH answer the same way, so a signed SOA question tells a refused
// key (the answer's TSIG error: BADKEY, BADSIG or BADTIME, RFC 8945
// section 5.2) from a server that accepts the key but does not hold the
// zone.
func (c *Client) diagnoseAuth(ctx context.Context, zone string) (why string, sentinel error) {
	generic := fmt.Sprintf("%s refused TSIG key %q (NOTAUTH): check that tsig_key_name, tsig_algorithm and tsig_secret match the key configured on the server, that both clocks are right, and that the server is a primary for %s", c.server, c.keyName, zone)
	pctx, cancel, ok := probeContext(ctx)
	if !ok {
		return generic, ErrKeyRefused
	}
	defer cancel()
	r, err := c.query(pctx, zone, dns.TypeSOA)
	if r == nil {
		return generic, ErrKeyRefused
	}
	if t := r.IsTsig(); t != nil && r.Rcode == dns.RcodeNotAuth {
		switch t.Error {
		case dns.RcodeBadKey:
			return fmt.Sprintf("%s refused TSIG key %q: it knows no key of that name and algorithm (%s) (BADKEY); tsig_key_name and tsig_algorithm must match the server's key statement", c.server, c.keyName, c.algorithm), ErrKeyRefused
		case dns.RcodeBadSig:
			return fmt.Sprintf("%s refused TSIG key %q: the signature did not verify (BADSIG); tsig_secret or tsig_algorithm differs from the server's copy of the key", c.server, c.keyName), ErrKeyRefused
		case dns.RcodeBadTime:
			return fmt.Sprintf("%s refused TSIG key %q: the clocks of this machine and the server differ by more than the 300 seconds TSIG allows (BADTIME, RFC 8945 section 5.2.3); correct the clocks", c.server, c.keyName), ErrKeyRefused
		}
	}
	if err == nil && (r.Rcode != dns.RcodeSuccess || !r.Authoritative) {
		// The key verified both ways, so the NOTAUTH was about the zone.
		return fmt.Sprintf("%s accepts TSIG key %q but is not authoritative for zone %s (NOTAUTH): point `server` at the zone's primary, or check the zone name", c.server, c.keyName, zone), ErrNotAuthoritative
	}
	return generic, ErrKeyRefused
}

// diagnoseRefused explains a REFUSED update. BIND refuses an update that
// adds an MX whose target is inside the zone but has no A or AAAA record
// (its check-integrity option, on by default for a primary), and the
// client sees only REFUSED, the reason being in the server's log. So the
// MX targets in the update are looked up, and a missing address is named.
func (c *Client) diagnoseRefused(ctx context.Context, o op) string {
	generic := fmt.Sprintf("%s refused the update: key %q may not be allowed to change these records (BIND: allow-update or update-policy in the zone's configuration), or the server's checks rejected them; the server's log says which", c.server, c.keyName)
	var targets []string
	seen := map[string]bool{}
	for _, r := range o.recs {
		mx, ok := r.(libdns.MX)
		if !ok {
			continue
		}
		t := strings.ToLower(libdns.AbsoluteName(mx.Target, o.zone))
		if t != "." && dns.IsSubDomain(o.zone, t) && !seen[t] {
			seen[t] = true
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return generic
	}
	pctx, cancel, ok := probeContext(ctx)
	if !ok {
		return generic
	}
	defer cancel()
	var missing []string
	for _, t := range targets {
		has, known := c.hasAddress(pctx, t)
		if known && !has {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return generic
	}
	return fmt.Sprintf("%s refused the update, most likely because the MX target %s is inside the zone and has no A or AAAA record, which BIND refuses (its check-integrity option); publish the target's address first or point the MX elsewhere, and check the server's log for the reason it gives", c.server, strings.Join(missing, ", "))
}

// hasAddress asks the server whether name has an A or AAAA record. known
// is false when the server did not answer clearly.
func (c *Client) hasAddress(ctx context.Context, name string) (has, known bool) {
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		r, err := c.query(ctx, name, qt)
		if err != nil || r == nil {
			return false, false
		}
		if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
			return false, false
		}
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == qt {
				return true, true
			}
		}
	}
	return false, true
}

// isTimeout reports a network timeout.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
