// Package schema reads a mailconf configuration: every *.hcl file of a
// directory, decoded into a typed Config with every reference resolved and
// every user mistake reported as an hcl.Diagnostic with a source range.
//
// The package reads the configuration files and the DKIM key files they
// name, and nothing else: it never touches the network, and it never prints.
// Rules that need more than one block at a time and the records themselves
// (SPF lookup counts, BIMI's need for an enforcing DMARC policy, ...) are
// checked by plan.Compile, which works on the Config this package returns.
package schema

import (
	"crypto"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Config is one mailconf configuration: all the *.hcl files of one directory.
type Config struct {
	// Dir is the configuration directory; relative paths (key files,
	// file(), zone directories) resolve against it.
	Dir string
	// Files are the parsed files by name, for rendering diagnostics.
	Files map[string]*hcl.File
	// EvalContext holds var.*, env(), file() and the standard functions,
	// for decoding provider attributes later (providers decode their own).
	EvalContext *hcl.EvalContext

	Variables map[string]*Variable
	Providers []*Provider // sorted by address
	Senders   []*Sender   // sorted by address
	Policies  []*Policy   // sorted by name
	Domains   []*Domain   // sorted by name
	// Relay is the relay block, or nil.
	Relay *Relay
	// Probe is the probe block, or nil.
	Probe *Probe

	secretsMu sync.Mutex
	secrets   []string
}

// minSecret is the shortest value Redact hides: shorter ones (a "1" read
// from the environment) would blot out ordinary text.
const minSecret = 6

func (c *Config) addSecret(v string) {
	v = strings.TrimSpace(v)
	if len(v) < minSecret {
		return
	}
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	c.secrets = append(c.secrets, v)
}

// Redact replaces every value the configuration read with env() or file()
// in s, so that no message can show a secret, whatever it quotes.
func (c *Config) Redact(s string) string {
	if c == nil {
		return s
	}
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	for _, secret := range c.secrets {
		s = strings.ReplaceAll(s, secret, "(sensitive value)")
	}
	return s
}

// Domain returns the domain with the given name, or nil.
func (c *Config) Domain(name string) *Domain {
	for _, d := range c.Domains {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// Variable is a `variable "NAME"` block.
type Variable struct {
	Name      string
	DeclRange hcl.Range
}

// Provider is a `provider "TYPE" "NAME"` block. Its attributes stay opaque
// here: each provider type decodes and validates its own.
type Provider struct {
	Type, Name string
	Body       hcl.Body
	DeclRange  hcl.Range
	TypeRange  hcl.Range
}

// Addr is how the configuration refers to the provider.
func (p *Provider) Addr() string { return "provider." + p.Type + "." + p.Name }

// Sender is a `sender "TYPE" "NAME"` block, decoded by its type into what
// it contributes to a domain's records.
type Sender struct {
	Type, Name string
	DeclRange  hcl.Range
	TypeRange  hcl.Range

	// SPF are the SPF terms that authorize this sender, in the SPF
	// syntax of RFC 7208 ("ip4:203.0.113.10", "include:_spf.example.net").
	SPF []string
	// MX are the mail exchangers to publish when the sender is a domain's
	// mailbox. Empty when the sender does not receive mail.
	MX []MX
	// Records are further records the sender needs under the domain
	// (DKIM CNAMEs, return-path hosts). Owned by mailconf because the
	// sender is declared.
	Records []SenderRecord
	// Facts are the catalog facts behind a catalog sender's records, with
	// their confidence and sources; nil for a custom sender.
	Facts []CatalogFieldFact
}

// Addr is how the configuration refers to the sender.
func (s *Sender) Addr() string { return "sender." + s.Type + "." + s.Name }

// SenderRecord is a record a sender needs published under a domain.
type SenderRecord struct {
	// Name is relative to the domain: "@" for the domain itself,
	// otherwise labels to prepend ("em123", "s1._domainkey").
	Name  string
	Type  string // "CNAME", "TXT", "MX"
	Value string // presentation value: a host name, or the TXT text
}

// MX is one mail exchanger.
type MX struct {
	Preference uint16
	Host       string // lower case, without the trailing dot; "." for a null MX
	Range      hcl.Range
}

// Policy is a `policy "NAME"` block: settings shared by the domains that
// refer to it.
type Policy struct {
	Name      string
	DeclRange hcl.Range
	Settings
}

// Addr is how the configuration refers to the policy.
func (p *Policy) Addr() string { return "policy." + p.Name }

// Settings are the record settings a policy provides and a domain may
// override, attribute by attribute.
type Settings struct {
	SPF          *SPFSettings
	DMARC        *DMARCSettings
	MTASTS       *MTASTSSettings
	TLSRPT       *TLSRPTSettings
	BIMI         *BIMISettings
	DKIMRotation *DKIMRotationSettings
}

// DKIMRotationSettings is a dkim_rotation block: how long each step of a
// DKIM key's life lasts. It publishes nothing itself; dkim rotate and lint
// read it.
type DKIMRotationSettings struct {
	DeclRange hcl.Range
	// RetiringPeriod is how long a key stays published after the relay
	// stops signing with it, for mail in flight and mailboxes that verify
	// again later. Default 7 days.
	RetiringPeriod Field[time.Duration]
	// RevocationPeriod is how long a retired key's revocation record
	// (p=) stays published before the selector is removed. Default 7 days.
	RevocationPeriod Field[time.Duration]
	// MaxAge is the age past which lint reports an active key (from its
	// created time). Unset: no limit.
	MaxAge Field[time.Duration]
	// RotateEvery is the age at which `dkim rotate --due` starts a new
	// rotation. Unset: MaxAge.
	RotateEvery Field[time.Duration]
}

// The defaults of dkim_rotation.
const (
	DefaultRetiringPeriod   = 7 * 24 * time.Hour
	DefaultRevocationPeriod = 7 * 24 * time.Hour
)

// Retiring returns the retiring period, the default when r is nil or
// leaves it unset.
func (r *DKIMRotationSettings) Retiring() time.Duration {
	if r == nil {
		return DefaultRetiringPeriod
	}
	return r.RetiringPeriod.Get(DefaultRetiringPeriod)
}

// Revocation returns the revocation period, the default when r is nil or
// leaves it unset.
func (r *DKIMRotationSettings) Revocation() time.Duration {
	if r == nil {
		return DefaultRevocationPeriod
	}
	return r.RevocationPeriod.Get(DefaultRevocationPeriod)
}

// Every returns the age at which a rotation is due, 0 when neither
// rotate_every nor max_age is set.
func (r *DKIMRotationSettings) Every() time.Duration {
	if r == nil {
		return 0
	}
	return r.RotateEvery.Get(r.MaxAge.Value)
}

// Field is one attribute value with where it was set. A Field that is not
// Set holds the zero value and no range.
type Field[T any] struct {
	Value T
	Set   bool
	Range hcl.Range
	// Elems are the ranges of a list's elements, where the list was
	// written as a literal; otherwise nil.
	Elems []hcl.Range
}

// ElemRange is the tightest range known for the i-th element of a list.
func (f Field[T]) ElemRange(i int) hcl.Range {
	if i < len(f.Elems) {
		return f.Elems[i]
	}
	return f.Range
}

// Or returns f when it is set, else the fallback.
func (f Field[T]) Or(fallback Field[T]) Field[T] {
	if f.Set {
		return f
	}
	return fallback
}

// Get returns the value, or def when the field is not set.
func (f Field[T]) Get(def T) T {
	if f.Set {
		return f.Value
	}
	return def
}

// SPFSettings is an `spf` block.
type SPFSettings struct {
	DeclRange hcl.Range
	All       Field[string]   // "-all", "~all", "?all"
	IP4       Field[[]string] // extra ip4 terms
	IP6       Field[[]string]
	Include   Field[[]string]
	A         Field[[]string] // host names; "@" is the domain itself
	MX        Field[[]string]
	// Flatten is "never" (the default), "auto" (flatten only when the
	// record would need more than 10 DNS lookups) or "always".
	Flatten Field[string]
	// Raw is a whole SPF record published as written, for what the terms
	// above cannot say (exists: with macros, redirect=); the senders' terms
	// are then not added.
	Raw Field[string]
	// Publish = false: mailconf publishes no SPF record for the domain and
	// leaves any at its name alone.
	Publish Field[bool]
}

// DMARCSettings is a `dmarc` block.
type DMARCSettings struct {
	DeclRange         hcl.Range
	Policy            Field[string] // p
	SubdomainPolicy   Field[string] // sp
	NonexistentPolicy Field[string] // np (RFC 9989)
	RUA               Field[[]string]
	RUF               Field[[]string]
	ADKIM             Field[string] // "relaxed" | "strict"
	ASPF              Field[string]
	FailureOptions    Field[string] // fo
	PSD               Field[string] // "y" | "n" | "u"
	Testing           Field[bool]   // t=y
	// Legacy RFC 7489 tags, emitted only when set.
	Percent        Field[int]    // pct
	ReportFormat   Field[string] // rf
	ReportInterval Field[int]    // ri
	// Raw is a whole DMARC record published as written (tags in another
	// tool's order, an extension tag).
	Raw Field[string]
	// Publish = false: mailconf publishes no DMARC record at _dmarc and
	// leaves any there alone.
	Publish Field[bool]
}

// MTASTSSettings is an `mta_sts` block.
type MTASTSSettings struct {
	DeclRange hcl.Range
	Mode      Field[string]   // enforce | testing | none
	MaxAge    Field[int]      // seconds
	MX        Field[[]string] // patterns; default: the domain's MX hosts
	// ID is the id to publish in _mta-sts.<domain> (RFC 8461 section 3.1),
	// for a policy whose id another tool chose; unset, mailconf derives it
	// from the policy text.
	ID Field[string]
}

// TLSRPTSettings is a `tls_rpt` block.
type TLSRPTSettings struct {
	DeclRange hcl.Range
	RUA       Field[[]string]
	// Raw is a whole TLS-RPT record published as written.
	Raw Field[string]
}

// BIMISettings is a `bimi` block.
type BIMISettings struct {
	DeclRange hcl.Range
	Selector  Field[string]
	Logo      Field[string]
	Authority Field[string]
}

// Domain is one mail domain: a `domain` block, or one instance of a
// `domain` block with for_each.
type Domain struct {
	Name      string // lower case ASCII (IDNs in punycode), no trailing dot
	DeclRange hcl.Range
	NameRange hcl.Range
	// EachKey is the for_each key that produced this instance, or "".
	EachKey string

	Provider      *Provider
	ProviderRange hcl.Range
	Zone          Field[string]
	TTL           uint32
	Policy        *Policy

	Mailbox      *Sender
	MailboxRange hcl.Range
	MX           []MX // explicit mx blocks
	MXRange      hcl.Range
	Senders      []*Sender
	SenderRanges []hcl.Range
	Parked       bool
	ParkedRange  hcl.Range

	DKIM []*DKIMKey

	// Settings are the effective settings: the domain's own blocks merged
	// over the policy's, attribute by attribute. A nil entry means neither
	// declared it.
	Settings
	// Own are the settings the domain block itself declares, before the
	// policy's were merged in; used to tell the user which block to change.
	Own Settings
}

// DKIM key states, in the order a key lives through them.
const (
	DKIMNext     = "next"
	DKIMActive   = "active"
	DKIMRetiring = "retiring"
	DKIMRetired  = "retired"
)

// DKIMKey is a `dkim "SELECTOR"` block: a key mailconf manages.
type DKIMKey struct {
	Selector  string
	DeclRange hcl.Range
	Algorithm Field[string] // "rsa-2048", "rsa-1024", "rsa-3072", "rsa-4096", "ed25519"
	KeyFile   Field[string] // as written; resolved against Config.Dir
	State     Field[string]
	// Published is a key record kept as it is served, for a key whose
	// private key mailconf does not have (an imported domain's): mailconf
	// publishes it as written and the relay cannot sign with it.
	Published Field[string]
	// The key's history, as keygen and rotate record it (RFC 3339, UTC):
	// Created is when the key was made; Activated when the relay began to
	// sign with it; RetireAfter, set when the key became retiring, is the
	// time after which it may be retired (mail signed with it has had time
	// to arrive and be read); RemoveAfter, set when the key was retired, is
	// when its revocation record may go: after it the plan publishes
	// nothing at the selector.
	Created     Field[time.Time]
	Activated   Field[time.Time]
	RetireAfter Field[time.Time]
	RemoveAfter Field[time.Time]
	// Path is KeyFile resolved against the configuration directory.
	Path string
	// PublicKey is read from the key file; nil for a retired key without one.
	PublicKey crypto.PublicKey
}

// StateOr returns the key's state, "active" when not set.
func (k *DKIMKey) StateOr() string { return k.State.Get(DKIMActive) }
