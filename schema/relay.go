package schema

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Relay is the `relay {}` block: mailconf's own SMTP relay, which accepts
// authenticated submissions, signs them with the configuration's active
// DKIM keys, queues them durably and delivers them.
type Relay struct {
	DeclRange hcl.Range
	Hostname  string // EHLO name and Message-ID domain
	SpoolDir  string // resolved against the configuration directory
	Listeners []RelayListener
	// TLSCertFile and TLSKeyFile are the PEM certificate chain and key for
	// STARTTLS and implicit TLS, resolved against the configuration directory.
	TLSCertFile, TLSKeyFile string
	Users                   []RelayUser
	MaxMessageBytes         int64
	MaxRecipients           int
	MaxConnsPerIP           int
	RetrySchedule           []time.Duration
	MaxQueueLifetime        time.Duration
	Smarthost               *Smarthost
	MetricsListen           string
	// Addresses are the public addresses the relay sends from: SPF must
	// authorize them for every domain its users send as. verify checks
	// that, and the offline lab stands the relay at the first of them.
	Addresses []netip.Addr
	// AddressesRange is where addresses is set, for diagnostics.
	AddressesRange hcl.Range
}

// Listener kinds.
const (
	ListenSubmission  = "submission"  // STARTTLS, AUTH only after TLS (RFC 6409, RFC 3207)
	ListenSubmissions = "submissions" // implicit TLS (RFC 8314)
	ListenLoopback    = "loopback"    // plain, 127.0.0.0/8 only: tests and the lab
)

// RelayListener is one `listener "KIND" { address = ... }` block.
type RelayListener struct {
	Kind    string
	Address string
	Range   hcl.Range
}

// RelayUser is one `user "NAME"` block.
type RelayUser struct {
	Name         string
	PasswordHash string // bcrypt
	AllowedFrom  []string
	Range        hcl.Range
}

// Smarthost is the optional `smarthost {}` block: relay everything to one
// upstream server with AUTH instead of delivering by MX.
type Smarthost struct {
	Address     string
	Username    string
	Password    string // from env() or file(); never printed
	ImplicitTLS bool
}

// Relay defaults.
const (
	DefaultMaxMessageBytes  = 25 << 20
	DefaultMaxRecipients    = 100
	DefaultMaxConnsPerIP    = 10
	DefaultMaxQueueLifetime = 5 * 24 * time.Hour
)

// DefaultRetrySchedule is when a deferred message is tried again; the last
// interval repeats until the queue lifetime ends.
var DefaultRetrySchedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}

var relaySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "hostname", Required: true}, {Name: "spool_dir", Required: true},
		{Name: "tls_cert_file"}, {Name: "tls_key_file"},
		{Name: "max_message_bytes"}, {Name: "max_recipients"}, {Name: "max_connections_per_ip"},
		{Name: "retry_schedule"}, {Name: "max_queue_lifetime"}, {Name: "metrics_listen"},
		{Name: "addresses"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "listener", LabelNames: []string{"kind"}},
		{Type: "user", LabelNames: []string{"name"}},
		{Type: "smarthost"},
	},
}

func (l *loader) decodeRelay(blocks []*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, b := range blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate relay block",
				Detail:   fmt.Sprintf("A configuration has one relay; the first is at %s. Merge the two.", blocks[0].DefRange),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		content, ds := b.Body.Content(relaySchema)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		a := &attrs{l: l, ctx: ctx, content: content}
		r := &Relay{
			DeclRange:        b.DefRange,
			MaxMessageBytes:  DefaultMaxMessageBytes,
			MaxRecipients:    DefaultMaxRecipients,
			MaxConnsPerIP:    DefaultMaxConnsPerIP,
			RetrySchedule:    DefaultRetrySchedule,
			MaxQueueLifetime: DefaultMaxQueueLifetime,
		}
		if h := a.str("hostname"); h.Set {
			if n, err := NormalizeDomain(h.Value); err != "" {
				a.errorf(h.Range, "Invalid relay hostname", "%q %s. The hostname is the relay's EHLO name: a fully qualified name whose A/AAAA records point at it.", h.Value, err)
			} else {
				r.Hostname = n
			}
		}
		if d := a.str("spool_dir"); d.Set {
			r.SpoolDir = l.resolvePath(d.Value)
		}
		cert, key := a.str("tls_cert_file"), a.str("tls_key_file")
		if cert.Set != key.Set {
			rng := cert.Range
			if !cert.Set {
				rng = key.Range
			}
			a.errorf(rng, "Incomplete relay TLS", "Give both tls_cert_file and tls_key_file, or neither.")
		}
		if cert.Set {
			r.TLSCertFile = l.resolvePath(cert.Value)
		}
		if key.Set {
			r.TLSKeyFile = l.resolvePath(key.Value)
		}
		if v := a.integer("max_message_bytes"); v.Set {
			if v.Value < 1024 {
				a.errorf(v.Range, "Invalid message size limit", "max_message_bytes is at least 1024, not %d.", v.Value)
			} else {
				r.MaxMessageBytes = int64(v.Value)
			}
		}
		if v := a.integer("max_recipients"); v.Set {
			// RFC 5321 section 4.5.3.1.8: servers must accept at least 100.
			if v.Value < 1 {
				a.errorf(v.Range, "Invalid recipient limit", "max_recipients is at least 1, not %d.", v.Value)
			} else {
				r.MaxRecipients = v.Value
			}
		}
		if v := a.integer("max_connections_per_ip"); v.Set {
			if v.Value < 1 {
				a.errorf(v.Range, "Invalid connection limit", "max_connections_per_ip is at least 1, not %d.", v.Value)
			} else {
				r.MaxConnsPerIP = v.Value
			}
		}
		if v := a.strs("retry_schedule"); v.Set {
			var sched []time.Duration
			for i, s := range v.Value {
				d, err := time.ParseDuration(s)
				if err != nil || d <= 0 {
					a.errorf(v.ElemRange(i), "Invalid retry interval", "%q is not a positive duration such as \"5m\" or \"2h\".", s)
					continue
				}
				sched = append(sched, d)
			}
			if len(v.Value) == 0 {
				a.errorf(v.Range, "Empty retry schedule", "retry_schedule needs at least one interval; the last one repeats.")
			}
			if len(sched) > 0 {
				r.RetrySchedule = sched
			}
		}
		if v := a.str("max_queue_lifetime"); v.Set {
			d, err := time.ParseDuration(v.Value)
			if err != nil || d <= 0 {
				a.errorf(v.Range, "Invalid queue lifetime", "%q is not a positive duration such as \"120h\" (5 days, the default).", v.Value)
			} else {
				r.MaxQueueLifetime = d
			}
		}
		if v := a.strs("addresses"); v.Set {
			r.AddressesRange = v.Range
			for i, s := range v.Value {
				ip, err := netip.ParseAddr(s)
				if err != nil || ip.Zone() != "" {
					a.errorf(v.ElemRange(i), "Invalid relay address", "%q is not an IP address; addresses lists the public IPv4 and IPv6 addresses the relay sends from, such as \"203.0.113.10\".", s)
					continue
				}
				r.Addresses = append(r.Addresses, ip.Unmap())
			}
		}
		if v := a.str("metrics_listen"); v.Set {
			if _, _, err := net.SplitHostPort(v.Value); err != nil {
				a.errorf(v.Range, "Invalid metrics address", "metrics_listen is host:port, such as \"127.0.0.1:9187\", not %q.", v.Value)
			} else {
				r.MetricsListen = v.Value
			}
		}
		diags = append(diags, a.diags...)
		diags = append(diags, l.relayBlocks(r, content, ctx)...)
		if len(r.Listeners) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Relay without listeners",
				Detail:   "Add a listener block: listener \"submission\" { address = \":587\" } (STARTTLS), \"submissions\" (implicit TLS, port 465) or \"loopback\" (plain, 127.0.0.0/8 only).",
				Subject:  b.DefRange.Ptr(),
			})
		}
		l.cfg.Relay = r
	}
	return diags
}

func (l *loader) relayBlocks(r *Relay, content *hcl.BodyContent, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	users := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "listener":
			c, ds := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "address", Required: true}}})
			diags = append(diags, ds...)
			a := &attrs{l: l, ctx: ctx, content: c}
			addr := a.str("address")
			diags = append(diags, a.diags...)
			kind := b.Labels[0]
			kinds := []string{ListenSubmission, ListenSubmissions, ListenLoopback}
			if !contains(kinds, kind) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Unknown listener kind", Subject: b.LabelRanges[0].Ptr(),
					Detail: fmt.Sprintf("There is no listener kind %q.%s Kinds: submission (STARTTLS, port 587), submissions (implicit TLS, port 465), loopback (plain, 127.0.0.0/8 only).", kind, suggest(kind, kinds)),
				})
				continue
			}
			if !addr.Set {
				continue
			}
			host, _, err := net.SplitHostPort(addr.Value)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid listener address", Subject: addr.Range.Ptr(),
					Detail: fmt.Sprintf("address is host:port, such as \":587\" or \"127.0.0.1:2525\", not %q.", addr.Value),
				})
				continue
			}
			if kind == ListenLoopback {
				ip, err := netip.ParseAddr(host)
				if err != nil || !ip.Is4() || !netip.MustParsePrefix("127.0.0.0/8").Contains(ip) {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Plain listener off loopback", Subject: addr.Range.Ptr(),
						Detail: fmt.Sprintf("A loopback listener takes plain-text passwords, so it may only listen on 127.0.0.0/8, not %q. Use a submission listener with TLS for anything else.", addr.Value),
					})
					continue
				}
			} else if r.TLSCertFile == "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Listener needs TLS", Subject: b.DefRange.Ptr(),
					Detail: fmt.Sprintf("A %s listener offers AUTH only over TLS: set tls_cert_file and tls_key_file on the relay.", kind),
				})
			}
			r.Listeners = append(r.Listeners, RelayListener{Kind: kind, Address: addr.Value, Range: b.DefRange})
		case "user":
			name := b.Labels[0]
			if prev, dup := users[name]; dup {
				diags = append(diags, duplicate("relay user", name, b.DefRange, prev))
				continue
			}
			users[name] = b.DefRange
			c, ds := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
				{Name: "password_hash", Required: true}, {Name: "allowed_from", Required: true},
			}})
			diags = append(diags, ds...)
			a := &attrs{l: l, ctx: ctx, content: c}
			hash, from := a.str("password_hash"), a.strs("allowed_from")
			u := RelayUser{Name: name, PasswordHash: hash.Value, Range: b.DefRange}
			if hash.Set && !isBcrypt(hash.Value) {
				a.errorf(hash.Range, "Invalid password hash", "password_hash must be a bcrypt hash ($2a$, $2b$ or $2y$ with a cost from 10 to 31), never a password. Make one with: htpasswd -bnBC 12 \"\" PASSWORD | tr -d ':\\n'")
			}
			for i, d := range from.Value {
				n, err := NormalizeDomain(d)
				if err != "" {
					a.errorf(from.ElemRange(i), "Invalid allowed_from domain", "%q %s.", d, err)
					continue
				}
				u.AllowedFrom = append(u.AllowedFrom, n)
			}
			diags = append(diags, a.diags...)
			r.Users = append(r.Users, u)
		case "smarthost":
			c, ds := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
				{Name: "address", Required: true}, {Name: "username"}, {Name: "password"}, {Name: "implicit_tls"},
			}})
			diags = append(diags, ds...)
			a := &attrs{l: l, ctx: ctx, content: c}
			s := &Smarthost{Address: a.str("address").Value, Username: a.str("username").Value, Password: a.str("password").Value, ImplicitTLS: a.boolean("implicit_tls").Value}
			if s.Address != "" {
				if _, _, err := net.SplitHostPort(s.Address); err != nil {
					a.errorf(c.Attributes["address"].Expr.Range(), "Invalid smarthost address", "address is host:port, such as \"smtp.example.net:587\".")
				}
			}
			if (s.Username == "") != (s.Password == "") {
				a.errorf(b.DefRange, "Incomplete smarthost credentials", "Give both username and password (from env() or file()), or neither.")
			}
			diags = append(diags, a.diags...)
			r.Smarthost = s
		}
	}
	return diags
}

// checkRelayDomains runs once the domains are known: a user may only send
// as domains the configuration manages.
func (l *loader) checkRelayDomains() hcl.Diagnostics {
	r := l.cfg.Relay
	if r == nil {
		return nil
	}
	var diags hcl.Diagnostics
	managed := map[string]bool{}
	for _, d := range l.cfg.Domains {
		managed[d.Name] = true
	}
	for _, u := range r.Users {
		for _, d := range u.AllowedFrom {
			if !managed[d] {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Relay user sends for an unmanaged domain",
					Detail:   fmt.Sprintf("User %q may send as %s, but the configuration declares no domain %s: the relay signs only for domains whose DKIM keys it manages. Declare the domain or remove it from allowed_from.", u.Name, d, d),
					Subject:  u.Range.Ptr(),
				})
			}
		}
	}
	return diags
}

// isBcrypt checks the shape of a bcrypt hash: $2a$, $2b$ or $2y$, a two-digit
// cost, and 53 characters of salt and hash.
func isBcrypt(h string) bool {
	if len(h) != 60 || !(strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")) || h[6] != '$' {
		return false
	}
	cost := int(h[4]-'0')*10 + int(h[5]-'0')
	return h[4] >= '0' && h[4] <= '9' && h[5] >= '0' && h[5] <= '9' && cost >= 10 && cost <= 31
}
