package receiver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/resolve"
)

// Errors the evaluation reports inside a Verdict (as text) and that callers
// of the helpers can test with errors.Is.
var (
	ErrNoFrom       = errors.New("receiver: message has no usable From header field")
	ErrMultipleFrom = errors.New("receiver: message has several From header fields or author domains")
	ErrBadHeader    = errors.New("receiver: message header cannot be parsed")
)

// DefaultAuthServID is the authserv-id of the Authentication-Results value
// (RFC 8601 section 2.5) when Input.AuthServID is empty.
const DefaultAuthServID = "mailconf-probe"

// maxSignatures bounds the DKIM signatures verified per message, as RFC 6376
// section 6.1 allows a verifier to limit its work; the rest are ignored.
const maxSignatures = 8

// Input is what the receiver knows about one message: the SMTP envelope and
// the message itself (header and body, CRLF line endings).
type Input struct {
	IP       netip.Addr // the connecting client's address
	Helo     string     // the HELO/EHLO argument
	MailFrom string     // the MAIL FROM address; "" or "<>" is the null reverse-path
	Message  []byte

	// AuthServID names the receiver in AuthResults; empty means
	// DefaultAuthServID.
	AuthServID string
}

// Verdict is the outcome of Evaluate.
type Verdict struct {
	SPF          SPFResult    `json:"spf"`
	DKIM         []DKIMResult `json:"dkim"`
	DMARC        DMARCResult  `json:"dmarc"`
	BIMIEligible bool         `json:"bimi_eligible"`
	AuthResults  string       `json:"auth_results"` // an RFC 8601 Authentication-Results value
}

// SPFResult is the RFC 7208 check_host result for the MAIL FROM domain, or
// the HELO domain when MAIL FROM is null (RFC 7208 section 2.4).
type SPFResult struct {
	Result      string `json:"result"` // pass|fail|softfail|neutral|none|temperror|permerror (RFC 7208 section 2.6)
	Domain      string `json:"domain"`
	Explanation string `json:"explanation,omitempty"` // why, as the SPF library reports it (it does not expand exp=)
}

// DKIMResult is the verification of one DKIM-Signature field, in header
// order.
type DKIMResult struct {
	Domain   string `json:"domain"`   // d=
	Selector string `json:"selector"` // s=
	Result   string `json:"result"`   // pass|fail|temperror|permerror (RFC 8601 section 2.7.1)
	Err      string `json:"error,omitempty"`
}

// DMARCResult is the RFC 9989 evaluation for the RFC 5322 From domain.
type DMARCResult struct {
	Result      string `json:"result"` // pass|fail|none|temperror|permerror
	Policy      string `json:"policy"` // the policy published for the From domain: none|quarantine|reject
	FromDomain  string `json:"from_domain"`
	OrgDomain   string `json:"org_domain"`
	SPFAligned  bool   `json:"spf_aligned"`
	DKIMAligned bool   `json:"dkim_aligned"`
	Record      string `json:"record,omitempty"` // the policy record as published
	PolicyFrom  string `json:"policy_domain,omitempty"`
	Err         string `json:"error,omitempty"`
}

// Evaluate authenticates a message as a mailbox provider would: SPF for the
// envelope, every DKIM signature, then DMARC for the From domain and BIMI
// eligibility. Every DNS question goes to r; a failure is reported in the
// Verdict (temperror, permerror), never as an error.
func Evaluate(ctx context.Context, r resolve.Resolver, in Input) *Verdict {
	v := &Verdict{}
	v.SPF = checkSPF(ctx, r, in)
	v.DKIM = checkDKIM(ctx, r, in.Message)
	w := &walker{r: r, cache: map[string]walkResult{}}
	var pol *policyRecord
	v.DMARC, pol = w.evaluate(ctx, in.Message, v.SPF, v.DKIM)
	v.BIMIEligible = bimiEligible(ctx, r, v.DMARC, pol)
	v.AuthResults = formatAuthResults(in, v)
	return v
}

// envelopeSender returns MAIL FROM without angle brackets, "" when null.
func envelopeSender(mailFrom string) string {
	s := strings.TrimSpace(mailFrom)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	return s
}

// canonicalDomain lower-cases a domain and drops a trailing dot.
func canonicalDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

func checkSPF(ctx context.Context, r resolve.Resolver, in Input) SPFResult {
	sender := envelopeSender(in.MailFrom)
	helo := canonicalDomain(in.Helo)
	var domain string
	if i := strings.LastIndexByte(sender, '@'); i >= 0 && sender != "" {
		domain = canonicalDomain(sender[i+1:])
	} else {
		// RFC 7208 section 2.4: with a null reverse-path, check_host uses
		// the HELO identity, as postmaster@<helo>.
		domain = helo
		sender = "postmaster@" + helo
	}
	res := SPFResult{Domain: domain}
	if domain == "" {
		// RFC 7208 section 4.3: a domain that is not a valid name gives none.
		res.Result = string(spf.None)
		res.Explanation = "no domain to check"
		return res
	}
	var ip net.IP
	if in.IP.IsValid() {
		ip = net.IP(in.IP.Unmap().AsSlice())
	}
	result, err := spf.CheckHostWithSender(ip, helo, sender,
		spf.WithContext(ctx), spf.WithResolver(spfResolver{r}))
	res.Result = string(result)
	if err != nil {
		res.Explanation = err.Error()
	}
	return res
}

func checkDKIM(ctx context.Context, r resolve.Resolver, msg []byte) []DKIMResult {
	selectors := signatureSelectors(msg)
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT:        dkimLookupTXT(ctx, r),
		MaxVerifications: maxSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) && len(verifs) == 0 {
		return nil
	}
	out := make([]DKIMResult, 0, len(verifs))
	for i, vf := range verifs {
		d := DKIMResult{Domain: canonicalDomain(vf.Domain), Result: authres.ResultPass}
		if i < len(selectors) {
			d.Selector = selectors[i]
		}
		switch {
		case vf.Err == nil:
		case dkim.IsTempFail(vf.Err):
			d.Result = authres.ResultTempError
		case dkim.IsPermFail(vf.Err):
			d.Result = authres.ResultPermError
		default:
			d.Result = authres.ResultFail
		}
		if vf.Err != nil {
			d.Err = vf.Err.Error()
		}
		out = append(out, d)
	}
	return out
}

// readHeader parses the message header, keeping the fields of one name in
// their order.
func readHeader(msg []byte) (textproto.MIMEHeader, error) {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(msg))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil, errors.Join(ErrBadHeader, err)
	}
	return h, nil
}

// signatureSelectors returns the s= tag of each DKIM-Signature field in
// header order, which is the order go-msgauth verifies them in.
func signatureSelectors(msg []byte) []string {
	h, err := readHeader(msg)
	if err != nil {
		return nil
	}
	var out []string
	for _, sig := range h.Values("Dkim-Signature") {
		sel := ""
		// RFC 6376 section 3.2: a tag-list of tag=value pairs separated by
		// semicolons, with folding whitespace allowed anywhere around them.
		for _, t := range strings.Split(sig, ";") {
			name, value, ok := strings.Cut(t, "=")
			if ok && strings.TrimSpace(name) == "s" {
				sel = strings.Join(strings.Fields(value), "")
			}
		}
		out = append(out, strings.ToLower(sel))
	}
	return out
}

// fromDomain returns the RFC 5322.From domain (the Author Domain of
// RFC 9989 section 3.2.2). RFC 9989 section 4.x leaves messages with no or
// several author domains to local policy; this receiver reports them as a
// DMARC permerror, as it cannot pick a domain to evaluate.
func fromDomain(msg []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return "", errors.Join(ErrBadHeader, err)
	}
	fields := m.Header["From"]
	if len(fields) == 0 {
		return "", ErrNoFrom
	}
	if len(fields) > 1 {
		return "", ErrMultipleFrom
	}
	addrs, err := mail.ParseAddressList(fields[0])
	if err != nil || len(addrs) == 0 {
		return "", ErrNoFrom
	}
	domain := ""
	for _, a := range addrs {
		i := strings.LastIndexByte(a.Address, '@')
		if i < 0 {
			return "", ErrNoFrom
		}
		d := canonicalDomain(a.Address[i+1:])
		if domain != "" && d != domain {
			return "", ErrMultipleFrom
		}
		domain = d
	}
	if _, ok := dns.IsDomainName(domain); !ok || domain == "" {
		return "", ErrNoFrom
	}
	return domain, nil
}

func formatAuthResults(in Input, v *Verdict) string {
	id := in.AuthServID
	if id == "" {
		id = DefaultAuthServID
	}
	results := []authres.Result{&authres.SPFResult{
		Value: authres.ResultValue(v.SPF.Result),
		From:  envelopeSender(in.MailFrom),
		Helo:  canonicalDomain(in.Helo),
	}}
	if len(v.DKIM) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, d := range v.DKIM {
		results = append(results, &authres.DKIMResult{Value: authres.ResultValue(d.Result), Domain: d.Domain, Reason: d.Err})
	}
	results = append(results, &authres.DMARCResult{Value: authres.ResultValue(v.DMARC.Result), From: v.DMARC.FromDomain})
	return authres.Format(id, results)
}
