package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-msgauth/authres"

	"github.com/mailconf/mailconf/verify/receiver"
)

// Errors of the mailbox reader.
var (
	ErrNoAuthResults  = errors.New("probe: the probe arrived without an Authentication-Results header field")
	ErrBadAuthResults = errors.New("probe: cannot parse the Authentication-Results header field")
	ErrBadHeader      = errors.New("probe: cannot parse the message header")
	// ErrIMAP reports a protocol failure or a refusal by the IMAP server.
	ErrIMAP = errors.New("probe: IMAP")
)

// Mailbox reads a probe back from a real mailbox over IMAP (for example a
// test account at a large mailbox provider) and reports what the provider
// concluded, from the Authentication-Results field it added.
//
// TLS follows the same rules as Submitter: ImplicitTLS is TLS from the first
// byte (RFC 8314), a non-nil TLSConfig makes STARTTLS mandatory, and with
// neither the password is only sent to a loopback address.
type Mailbox struct {
	Addr               string // host:port of the IMAP server
	Username, Password string // for LOGIN (RFC 9051 section 6.2.3)
	TLSConfig          *tls.Config
	ImplicitTLS        bool
	Mailbox            string // empty means INBOX; a provider may file probes elsewhere (e.g. a spam folder)
	// AuthServID, when set, is the receiver's authserv-id (RFC 8601
	// section 2.5): only its Authentication-Results fields are read. When
	// empty, the topmost field's is taken.
	AuthServID string
	Poll       time.Duration                                                     // zero means DefaultPoll
	Sleep      func(ctx context.Context, d time.Duration) error                  // nil waits on a timer or ctx
	Dial       func(ctx context.Context, network, addr string) (net.Conn, error) // nil means a net.Dialer
}

// MailboxVerdict is what the mailbox provider concluded about the probe.
type MailboxVerdict struct {
	SPF, DKIM, DMARC string // result words (RFC 8601 section 2.7), "" when the provider gave none
	// SPFFrom is the smtp.mailfrom SPF was checked for, as the provider
	// wrote it.
	SPFFrom string
	// Signatures are the provider's DKIM results, one per signature, in
	// the order it wrote them. DKIM above sums them up.
	Signatures []Signature
	AuthServID string // who wrote the results (RFC 8601 section 2.5)
	// Fields are the Authentication-Results values the verdict comes
	// from, unfolded, topmost first.
	Fields []string
}

// Signature is a provider's result for one DKIM signature (RFC 8601
// section 2.7.1): header.d, header.s (RFC 8616 section 2 registers it) and
// header.i when given.
type Signature struct {
	Domain, Selector, Identifier string
	Result                       string
}

// Wait logs in, then polls the mailbox until a message carrying token
// appears or ctx ends, and returns the verdict parsed from its topmost
// Authentication-Results field. It never changes the mailbox: EXAMINE opens
// it read-only and BODY.PEEK leaves the \Seen flag alone.
func (m *Mailbox) Wait(ctx context.Context, token string) (*MailboxVerdict, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	conn, err := dial(ctx, m.Dial, m.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrIMAP, m.Addr, err)
	}
	defer conn.Close()
	// imapclient's commands take no context, so ending ctx closes the
	// connection, which fails whatever command is waiting.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := m.login(ctx, conn)
	if err != nil {
		return nil, wrapCtx(ctx, fmt.Errorf("%s: %w", m.Addr, err))
	}
	defer func() {
		_ = c.Logout().Wait()
		_ = c.Close()
	}()
	// RFC 9051 section 6.4.4 (RFC 3501 section 6.4.4): HEADER matches a
	// substring of the named field, SUBJECT one of the Subject; OR (section
	// 6.4.4 too) finds the probe even where a provider rewrote or dropped
	// the X-Mailconf-Probe field.
	search := &imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{
		{Header: []imap.SearchCriteriaHeaderField{{Key: receiver.ProbeHeader, Value: token}}},
		{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: token}}},
	}}}
	box := cmpOr(m.Mailbox, "INBOX")
	for {
		v, err := m.look(c, box, search, token)
		if err != nil {
			return nil, wrapCtx(ctx, fmt.Errorf("%s: %w", m.Addr, err))
		}
		if v != nil {
			return v, nil
		}
		if err := sleep(ctx, m.Sleep, cmpOr(m.Poll, DefaultPoll)); err != nil {
			return nil, fmt.Errorf("%w (probe %s in %s): %w", ErrNotFound, token, m.Addr, err)
		}
	}
}

// checkToken refuses a token that cannot be a probe token: empty (it would
// match every message) or holding control or non-ASCII characters, which
// Message never writes.
func checkToken(token string) error {
	if token == "" {
		return fmt.Errorf("%w: empty probe token", ErrIMAP)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x20 || c >= 0x7f {
			return fmt.Errorf("%w: probe token %q holds a control or non-ASCII character", ErrIMAP, token)
		}
	}
	return nil
}

func wrapCtx(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, errors.Join(ctx.Err(), err))
	}
	return err
}

// login sets up TLS as Mailbox's rules say and sends LOGIN (RFC 9051
// section 6.2.3). Wait closes conn whatever happens.
func (m *Mailbox) login(ctx context.Context, conn net.Conn) (*imapclient.Client, error) {
	host, _, _ := net.SplitHostPort(m.Addr)
	var c *imapclient.Client
	switch {
	case m.ImplicitTLS:
		// RFC 8314 section 3.2: TLS from the first byte, before the greeting.
		tc := tls.Client(conn, tlsConfig(m.TLSConfig, host))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("%w: TLS: %w", ErrIMAP, err)
		}
		c = imapclient.New(tc, nil)
	case m.TLSConfig != nil:
		// RFC 9051 section 6.2.1: STARTTLS. NewStartTLS fails when the
		// server refuses it, so a configured TLSConfig is never silently
		// skipped, and it refuses a PREAUTH greeting over plaintext
		// (section 7.1.4).
		var err error
		c, err = imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: tlsConfig(m.TLSConfig, host)})
		if err != nil {
			return nil, fmt.Errorf("%w: STARTTLS: %w", ErrIMAP, err)
		}
	default:
		if !isLoopback(conn.RemoteAddr()) {
			return nil, ErrInsecure
		}
		c = imapclient.New(conn, nil)
	}
	if err := c.WaitGreeting(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%w: greeting: %w", ErrIMAP, err)
	}
	if err := c.Login(m.Username, m.Password).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%w: LOGIN: %w", ErrIMAP, err)
	}
	return c, nil
}

// look opens the mailbox afresh, which makes the server report new mail,
// searches for the token and reads the newest match.
func (m *Mailbox) look(c *imapclient.Client, box string, search *imap.SearchCriteria, token string) (*MailboxVerdict, error) {
	// RFC 9051 section 6.3.3: EXAMINE selects the mailbox read-only.
	if _, err := c.Select(box, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("%w: EXAMINE: %w", ErrIMAP, err)
	}
	data, err := c.UIDSearch(search, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("%w: UID SEARCH: %w", ErrIMAP, err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	// RFC 9051 section 6.4.5: BODY.PEEK[HEADER] returns the header block
	// without setting \Seen, unlike BODY[HEADER].
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	for _, uid := range slices.Backward(uids) {
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return nil, fmt.Errorf("%w: UID FETCH: %w", ErrIMAP, err)
		}
		for _, msg := range msgs {
			header := msg.FindBodySection(section)
			if header == nil {
				continue
			}
			v, err := ParseHeader(header, token, m.AuthServID)
			if errors.Is(err, errOtherMessage) {
				continue
			}
			return v, err
		}
	}
	return nil, nil
}

// errOtherMessage marks a search hit that is not the probe: IMAP SEARCH
// matches substrings, so the token may merely appear inside another value.
var errOtherMessage = errors.New("probe: not the probe message")

// ParseHeader reads a message header block and returns the verdict from the
// Authentication-Results fields (RFC 8601) of one authserv-id: authServID
// when it is not empty, else that of the topmost field. When token is not
// empty the header must carry it in X-Mailconf-Probe or in the Subject that
// Message writes.
//
// RFC 8601 section 5: each receiving host prepends its field, and fields
// added before the message reached the final receiver cannot be trusted;
// the receiver removes any arriving from outside with its own authserv-id.
// So only the receiver's fields count, and those may be several: a receiver
// built of filters (Postfix with OpenDKIM, OpenDMARC and policyd-spf) writes
// one per filter. For each method the topmost field that reports it wins.
func ParseHeader(header []byte, token, authServID string) (*MailboxVerdict, error) {
	// textproto needs the empty line that ends the header.
	if !bytes.HasSuffix(header, []byte("\r\n\r\n")) && !bytes.HasSuffix(header, []byte("\n\n")) {
		header = append(bytes.TrimRight(header, "\r\n"), "\r\n\r\n"...)
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(header))).ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadHeader, err)
	}
	if token != "" && strings.TrimSpace(h.Get(receiver.ProbeHeader)) != token && !strings.Contains(h.Get("Subject"), "mailconf probe "+token) {
		return nil, errOtherMessage
	}
	ars := h.Values("Authentication-Results")
	if len(ars) == 0 {
		return nil, ErrNoAuthResults
	}
	var v *MailboxVerdict
	id := authServID
	for i, value := range ars {
		f, err := ParseAuthResults(value)
		if err != nil {
			// Without a configured authserv-id the topmost field names the
			// receiver, so it must parse; below it, a field that does not
			// parse cannot be told apart and is not the receiver's.
			if i == 0 && authServID == "" {
				return nil, err
			}
			continue
		}
		if id == "" {
			id = f.AuthServID
		}
		if !strings.EqualFold(f.AuthServID, id) {
			continue
		}
		if v == nil {
			v = f
			continue
		}
		v.merge(f)
	}
	if v == nil {
		return nil, fmt.Errorf("%w of %s", ErrNoAuthResults, authServID)
	}
	return v, nil
}

// merge adds what a lower field of the same authserv-id says about the
// methods the fields above it did not report.
func (v *MailboxVerdict) merge(f *MailboxVerdict) {
	v.Fields = append(v.Fields, f.Fields...)
	if v.SPF == "" {
		v.SPF, v.SPFFrom = f.SPF, f.SPFFrom
	}
	if v.DMARC == "" {
		v.DMARC = f.DMARC
	}
	if len(v.Signatures) == 0 && f.DKIM != "" {
		v.DKIM, v.Signatures = f.DKIM, f.Signatures
	}
}

// ParseAuthResults parses one Authentication-Results value (RFC 8601
// section 2.2). DKIM is "pass" when any signature passed, since one passing
// aligned signature is enough for DMARC (RFC 9989), else the first result.
func ParseAuthResults(value string) (*MailboxVerdict, error) {
	v := &MailboxVerdict{Fields: []string{strings.TrimSpace(value)}}
	stripped := stripComments(value)
	id, results, err := authres.Parse(stripped)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAuthResults, err)
	}
	v.AuthServID = id
	// authres keeps no header.s; it is read from the same resinfos, in
	// the same order.
	selectors := dkimSelectors(stripped)
	for _, r := range results {
		switch r := r.(type) {
		case *authres.SPFResult:
			if v.SPF == "" {
				v.SPF, v.SPFFrom = string(r.Value), strings.Trim(r.From, `"`)
			}
		case *authres.DKIMResult:
			if r.Value == authres.ResultNone {
				// RFC 8601 section 2.7.1: dkim=none, the message was not
				// signed; it is no signature.
				if v.DKIM == "" {
					v.DKIM = string(r.Value)
				}
				continue
			}
			sig := Signature{Domain: strings.ToLower(r.Domain), Identifier: r.Identifier, Result: string(r.Value)}
			if n := len(v.Signatures); n < len(selectors) {
				sig.Selector = selectors[n]
			}
			if sig.Domain == "" {
				// header.i is the AUID, in the SDID or a subdomain of it
				// (RFC 6376 section 3.5): the best a receiver that writes
				// no header.d offers.
				_, sig.Domain, _ = strings.Cut(strings.ToLower(r.Identifier), "@")
			}
			v.Signatures = append(v.Signatures, sig)
			if v.DKIM == "" || v.DKIM == string(authres.ResultNone) || r.Value == authres.ResultPass {
				v.DKIM = string(r.Value)
			}
		case *authres.DMARCResult:
			if v.DMARC == "" {
				v.DMARC = string(r.Value)
			}
		}
	}
	return v, nil
}

// dkimSelectors returns the header.s of each dkim resinfo of a value
// stripped of comments, "" where a resinfo has none, in order. A dkim=none
// resinfo is left out, as ParseAuthResults leaves it out of Signatures.
func dkimSelectors(value string) []string {
	var out []string
	for _, resinfo := range splitResinfos(value)[1:] {
		words := strings.Fields(resinfo)
		if len(words) == 0 {
			continue
		}
		method, result, ok := strings.Cut(words[0], "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(method), "dkim") || strings.EqualFold(result, "none") {
			continue
		}
		sel := ""
		for _, w := range words[1:] {
			if k, val, ok := strings.Cut(w, "="); ok && strings.EqualFold(k, "header.s") {
				sel = strings.ToLower(strings.Trim(val, `"`))
			}
		}
		out = append(out, sel)
	}
	return out
}

// splitResinfos splits a value at the semicolons outside quoted strings.
func splitResinfos(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// stripComments removes RFC 5322 section 3.2.2 comments, which RFC 8601
// section 2.2 allows anywhere as CFWS and which providers use for prose
// ("(google.com: domain of ... designates ...)"). authres does not skip
// them, and a ";" or "=" inside one would confuse it. Quoted strings are
// kept as they are.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (quoted || depth > 0) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case quoted:
			b.WriteByte(c)
			if c == '"' {
				quoted = false
			}
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
