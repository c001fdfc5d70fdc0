// Package plan turns a configuration into the DNS records it asks for
// (Compile), and later compares them with a live zone (Diff) and applies the
// difference through a provider.
//
// Compile and Diff are pure: they do no network I/O, read no clock and
// return byte-identical results for identical input. Everything from the
// outside world is passed in.
package plan

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Record types mailconf publishes.
const (
	TypeMX    = "MX"
	TypeTXT   = "TXT"
	TypeCNAME = "CNAME"
)

// RecordSet is what mailconf wants at one (name, type): the values, and
// which of the live values there it owns.
type RecordSet struct {
	// Name is absolute, lower case, without the trailing dot.
	Name string
	Type string
	TTL  uint32
	// Values are in presentation form: MX "10 mx1.example.com.", CNAME
	// "target.example.net.", TXT the whole text, unquoted and unsplit
	// (TXTStrings splits it for the wire).
	Values []string
	// Prefix limits ownership to the TXT values that start with it (such as
	// "v=spf1"); other values at the name are never touched. Empty: every
	// value at (Name, Type) is mailconf's.
	Prefix string
	// Exact limits ownership to the set's own Values: a service's
	// verification token at the domain itself (MS=..., apple-domain=...),
	// which shares the name with the SPF record and with other services'
	// tokens that are not mailconf's (DESIGN.md section 4). A value that is
	// not wanted any more is then no longer owned, and stays.
	Exact bool
	// Source says which part of the configuration asks for the set, for
	// people reading plans: "mx", "spf", "dkim s2026a", "sender.custom.relay".
	Source string
	// Active marks the record of an active DKIM key: replacing or deleting
	// it breaks the signatures of mail in flight, so that needs --force.
	Active bool
	// Key describes the DKIM key whose record this is, or is nil.
	Key *KeyInfo
}

// KeyInfo is what the plan knows of the DKIM key behind a record set: its
// state and the recorded ends of its retiring and revocation periods.
type KeyInfo struct {
	Selector string
	State    string // next, active, retiring, retired
	Family   string // rsa, ed25519
	// RetireAfter and RemoveAfter are zero when not recorded.
	RetireAfter time.Time
	RemoveAfter time.Time
	// Removed: the revocation period is over, so nothing is published.
	Removed bool
}

// Owns reports whether a live value at the set's (name, type) belongs to
// mailconf under DESIGN.md section 4.
//
// A DMARC set owns every value that is meant as a DMARC record, valid or
// not (see LooksLikeDMARC): leaving "v=dmarc1; p=reject" or
// "v = DMARC1; p=none" beside mailconf's record would leave two records
// that some receivers count as DMARC, and then none applies (RFC 7489
// section 6.6.3 step 4).
func (rs *RecordSet) Owns(value string) bool {
	if rs.Exact {
		return slices.Contains(rs.Values, value)
	}
	switch rs.Prefix {
	case "":
		return true
	case dmarcPrefix:
		return LooksLikeDMARC(value)
	}
	return HasTagPrefix(value, rs.Prefix)
}

// OwnsAll reports whether every value at the set's (name, type) is
// mailconf's.
func (rs *RecordSet) OwnsAll() bool { return rs.Prefix == "" && !rs.Exact }

// partial reports whether the set owns only some values at its name, so
// that another partial set may share the name and type.
func (rs *RecordSet) partial() bool { return !rs.OwnsAll() }

// dmarcPrefix is the Prefix of the DMARC policy and report authorization
// sets.
const dmarcPrefix = "v=DMARC1"

// LooksLikeDMARC reports whether a TXT value starts with a DMARC version
// tag in any letter case and spacing: "v" or "V", optional whitespace, "=",
// optional whitespace, "DMARC1" in any case, then the end, whitespace or
// ";". RFC 7489 section 6.4 allows whitespace around "=" (dmarc-version =
// "v" *WSP "=" *WSP %x44.4d.41.52.43.31), so "v = DMARC1" is a valid
// record; the value itself is case-sensitive, so "v=dmarc1" is a record
// someone meant as DMARC that receivers discard. Both are mailconf's to
// replace; Diff says which are not valid.
func LooksLikeDMARC(value string) bool {
	if value == "" || value[0] != 'v' && value[0] != 'V' {
		return false
	}
	rest := strings.TrimLeft(value[1:], " \t")
	rest, ok := strings.CutPrefix(rest, "=")
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, " \t")
	if len(rest) < len("DMARC1") || !strings.EqualFold(rest[:len("DMARC1")], "DMARC1") {
		return false
	}
	rest = rest[len("DMARC1"):]
	return rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == ';'
}

// HasTagPrefix reports whether a TXT value starts with a version tag such
// as "v=spf1": the tag, case-insensitively, followed by the end, a space
// or a semicolon. "v=spf10" does not start with "v=spf1".
func HasTagPrefix(value, prefix string) bool {
	if len(value) < len(prefix) || !strings.EqualFold(value[:len(prefix)], prefix) {
		return false
	}
	rest := value[len(prefix):]
	return rest == "" || rest[0] == ' ' || rest[0] == ';' || rest[0] == '\t'
}

// DomainRecords are the record sets of one domain.
type DomainRecords struct {
	Domain string
	// Zone is the zone the configuration names for the domain, or "" when
	// the provider is to find it.
	Zone string
	// Provider is the address of the domain's provider ("provider.zonefile.local"), or "".
	Provider string
	Sets     []*RecordSet
	// MTASTSPolicy is the policy file to serve at
	// https://mta-sts.<domain>/.well-known/mta-sts.txt, or "".
	MTASTSPolicy string
	// MTASTSIDExplicit marks an MTA-STS id set in the configuration rather
	// than derived from MTASTSPolicy: Diff then never replaces it with the
	// live one.
	MTASTSIDExplicit bool
	// SPFFlatten is the domain's spf.flatten mode: "never", "auto" or
	// "always". Compile leaves the record as declared; FlattenSPF, which
	// needs the DNS, rewrites it.
	SPFFlatten string
	// SPFFlattenedAt is when FlattenSPF expanded the includes, or zero.
	// It is shown in plans, never published.
	SPFFlattenedAt time.Time
}

// Set returns the set at (name, type), or nil.
func (d *DomainRecords) Set(name, typ string) *RecordSet {
	for _, s := range d.Sets {
		if s.Name == name && s.Type == typ {
			return s
		}
	}
	return nil
}

func (d *DomainRecords) sort() {
	sort.Slice(d.Sets, func(i, j int) bool {
		a, b := d.Sets[i], d.Sets[j]
		if a.Name != b.Name {
			return nameLess(a.Name, b.Name)
		}
		return a.Type < b.Type
	})
}

// nameLess orders names the way people read zones: the domain first, then
// its subdomains, by label from the right.
func nameLess(a, b string) bool {
	la, lb := strings.Split(a, "."), strings.Split(b, ".")
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if la[i] != lb[j] {
			return la[i] < lb[j]
		}
	}
	return len(la) < len(lb)
}

// Desired is the compiled configuration: every domain's record sets,
// sorted by domain name.
type Desired struct {
	Domains []*DomainRecords
	// Now is the time the records were compiled for (CompileAt), or zero.
	Now time.Time
}

// Domain returns the records of one domain, or nil.
func (d *Desired) Domain(name string) *DomainRecords {
	i := sort.Search(len(d.Domains), func(i int) bool { return d.Domains[i].Domain >= name })
	if i < len(d.Domains) && d.Domains[i].Domain == name {
		return d.Domains[i]
	}
	return nil
}
