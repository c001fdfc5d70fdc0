package schema

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Probe is the `probe {}` block: where `mailconf verify` sends each
// domain's probe message and how it reads the verdict back.
type Probe struct {
	DeclRange hcl.Range
	// To is the probe's recipient: an address of a mailconf probe receiver
	// (`mailconf probe serve`) or of a real mailbox read over IMAP.
	To string
	// FromLocal is the local part of the probe's From; the domain is the
	// domain probed. Default "mailconf-probe".
	FromLocal string
	// Timeout bounds the wait for one probe's verdict. Default 2 minutes.
	Timeout time.Duration
	// Receiver, when set, is a running mailconf probe receiver's verdict API.
	Receiver *ProbeReceiver
	// IMAP, when set, is a real mailbox the probe is read back from.
	IMAP *ProbeEndpoint
	// Relay, when set, is a running relay to submit through; otherwise
	// verify runs the relay block's relay in-process.
	Relay *ProbeEndpoint
}

// ProbeReceiver is the `receiver {}` block of a probe.
type ProbeReceiver struct {
	URL      string
	APIToken string // from env() or file(); never printed
}

// ProbeEndpoint is an `imap {}` or `relay {}` block of a probe: a server to
// log in to.
type ProbeEndpoint struct {
	Address     string
	Username    string
	Password    string // from env() or file(); never printed
	ImplicitTLS bool
	// AuthServID (imap only) is the mailbox provider's authserv-id (RFC
	// 8601 section 2.5), such as "mx.google.com": only its
	// Authentication-Results fields are read. Empty: the topmost field's.
	AuthServID string
}

var probeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "to", Required: true}, {Name: "from_local"}, {Name: "timeout"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "receiver"}, {Type: "imap"}, {Type: "relay"}},
}

var endpointSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "address", Required: true}, {Name: "username", Required: true}, {Name: "password", Required: true}, {Name: "implicit_tls"},
}}

// imapSchema names the server by host, as mail clients do: "imap.gmail.com"
// means port 993 with implicit TLS (RFC 8314); "host:port" picks the port.
var imapSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "host", Required: true}, {Name: "username", Required: true}, {Name: "password", Required: true}, {Name: "implicit_tls"},
	{Name: "authserv_id"},
}}

func (l *loader) decodeProbe(blocks []*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, b := range blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate probe block", Subject: b.DefRange.Ptr(),
				Detail: fmt.Sprintf("A configuration has one probe block; the first is at %s.", blocks[0].DefRange)})
			continue
		}
		content, ds := b.Body.Content(probeSchema)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		a := &attrs{l: l, ctx: ctx, content: content}
		p := &Probe{DeclRange: b.DefRange, FromLocal: "mailconf-probe", Timeout: 2 * time.Minute}
		if to := a.str("to"); to.Set {
			if addr, err := mailAddress(to.Value); err != "" {
				a.errorf(to.Range, "Invalid probe address", "%q %s; to is the address probes are sent to, such as \"probe@probe.example.net\".", to.Value, err)
			} else {
				p.To = addr
			}
		}
		if v := a.str("from_local"); v.Set {
			if v.Value == "" || !validLabel(v.Value) {
				a.errorf(v.Range, "Invalid probe from_local", "from_local is the local part of the probe's From, such as \"mailconf-probe\", not %q.", v.Value)
			} else {
				p.FromLocal = v.Value
			}
		}
		if v := a.str("timeout"); v.Set {
			d, err := time.ParseDuration(v.Value)
			if err != nil || d <= 0 {
				a.errorf(v.Range, "Invalid probe timeout", "%q is not a positive duration such as \"2m\".", v.Value)
			} else {
				p.Timeout = d
			}
		}
		diags = append(diags, a.diags...)
		for _, blk := range content.Blocks {
			switch blk.Type {
			case "receiver":
				c, ds := blk.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "url", Required: true}, {Name: "api_token", Required: true}}})
				diags = append(diags, ds...)
				ra := &attrs{l: l, ctx: ctx, content: c}
				r := &ProbeReceiver{URL: ra.str("url").Value, APIToken: ra.str("api_token").Value}
				if u, err := url.Parse(r.URL); r.URL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
					ra.errorf(c.Attributes["url"].Expr.Range(), "Invalid receiver URL", "url is the receiver's verdict API, such as \"https://probe.example.net:8026\", not %q.", r.URL)
				}
				diags = append(diags, ra.diags...)
				p.Receiver = r
			case "imap":
				c, ds := blk.Body.Content(imapSchema)
				diags = append(diags, ds...)
				ea := &attrs{l: l, ctx: ctx, content: c}
				e := &ProbeEndpoint{Address: ea.str("host").Value, Username: ea.str("username").Value, Password: ea.str("password").Value}
				tlsAttr := ea.boolean("implicit_tls")
				if _, _, err := net.SplitHostPort(e.Address); e.Address != "" && err != nil {
					// A bare host: the submission-era default, port 993
					// with implicit TLS (RFC 8314 section 3.3).
					e.Address = net.JoinHostPort(e.Address, "993")
					e.ImplicitTLS = true
				}
				if tlsAttr.Set {
					e.ImplicitTLS = tlsAttr.Value
				}
				if id := ea.str("authserv_id"); id.Set {
					// RFC 8601 section 2.2: authserv-id is a value, in
					// practice the receiver's host name.
					if _, err := NormalizeDomain(id.Value); err != "" {
						ea.errorf(id.Range, "Invalid authserv_id", "authserv_id is the host name the mailbox provider writes first in its Authentication-Results fields, such as \"mx.google.com\"; %q %s.", id.Value, err)
					} else {
						e.AuthServID = id.Value
					}
				}
				diags = append(diags, ea.diags...)
				p.IMAP = e
			case "relay":
				c, ds := blk.Body.Content(endpointSchema)
				diags = append(diags, ds...)
				ea := &attrs{l: l, ctx: ctx, content: c}
				e := &ProbeEndpoint{Address: ea.str("address").Value, Username: ea.str("username").Value, Password: ea.str("password").Value, ImplicitTLS: ea.boolean("implicit_tls").Value}
				if _, _, err := net.SplitHostPort(e.Address); e.Address != "" && err != nil {
					ea.errorf(c.Attributes["address"].Expr.Range(), "Invalid relay address", "address is host:port, such as \"relay.example.net:587\", not %q.", e.Address)
				}
				diags = append(diags, ea.diags...)
				p.Relay = e
			}
		}
		if (p.Receiver == nil) == (p.IMAP == nil) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Probe needs one verdict source", Subject: b.DefRange.Ptr(),
				Detail: "Give the probe block either a receiver block (a running mailconf probe serve) or an imap block (a real mailbox), not both or neither."})
		}
		l.cfg.Probe = p
	}
	return diags
}

// mailAddress checks a plain addr-spec: local@domain.
func mailAddress(s string) (string, string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' {
			local, domain := s[:i], s[i+1:]
			if local == "" {
				return "", "has an empty local part"
			}
			d, err := NormalizeDomain(domain)
			if err != "" {
				return "", "has a domain that " + err
			}
			return local + "@" + d, ""
		}
	}
	return "", "is not an address (local@domain)"
}
