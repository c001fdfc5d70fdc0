package plan

import (
	"fmt"
	"strings"
)

// FormatVersion is the version of the plan's JSON form (docs/plan-json.md).
// It changes when a field changes meaning or is removed; new fields may be
// added without changing it.
const FormatVersion = "1"

// Action is what a change does to a record set. Its value is the symbol
// plans print it as.
type Action string

// The actions.
const (
	Create Action = "+"
	Update Action = "~"
	Delete Action = "-"
)

// Word is the action's name in JSON and markdown.
func (a Action) Word() string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return string(a)
}

// MarshalText writes the action as its word.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.Word()), nil }

// UnmarshalText reads an action word.
func (a *Action) UnmarshalText(b []byte) error {
	switch string(b) {
	case "create":
		*a = Create
	case "update":
		*a = Update
	case "delete":
		*a = Delete
	default:
		return fmt.Errorf("plan: unknown action %q", b)
	}
	return nil
}

// Value is one record's TTL and data, in the presentation form of
// RecordSet.Values.
type Value struct {
	TTL  uint32 `json:"ttl"`
	Data string `json:"data"`
}

// Change is one record set to create, update or delete.
type Change struct {
	Action Action `json:"action"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	// Source is the part of the configuration that asks for the set.
	Source string `json:"source"`
	// Old are the live values mailconf owns at (Name, Type); New the values
	// it will leave there.
	Old []Value `json:"old"`
	New []Value `json:"new"`
	// Keep are live values at (Name, Type) that are not mailconf's (a site
	// verification TXT beside SPF): they stay exactly as they are.
	Keep []Value `json:"keep"`
	// Dangerous says why the change needs --force, or is empty.
	Dangerous string `json:"dangerous,omitempty"`
}

// Severity of a finding.
type Severity string

// Severities.
const (
	// SeverityError findings block the domain: its changes are not made.
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	// SeverityNote points at something mailconf leaves alone on purpose.
	SeverityNote Severity = "note"
)

// Finding is something the plan found that is not a change: a second SPF
// record, a DKIM selector nobody declared, a record left alone.
type Finding struct {
	Severity Severity `json:"severity"`
	Name     string   `json:"name,omitempty"`
	Message  string   `json:"message"`
}

// DomainPlan is the plan for one domain.
type DomainPlan struct {
	Domain   string     `json:"domain"`
	Zone     string     `json:"zone"`
	Provider string     `json:"provider"`
	Changes  []*Change  `json:"changes"`
	Findings []*Finding `json:"findings"`
	// Keys are the steps the domain's DKIM keys take, by selector.
	Keys []*KeyTransition `json:"dkim_keys,omitempty"`

	// ownedLive counts the live records mailconf owns for the domain, for
	// the bulk-change rule.
	ownedLive int
}

// Blocked reports whether an error finding stops the domain's changes.
func (d *DomainPlan) Blocked() bool {
	for _, f := range d.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// ZoneState identifies the live zone a plan was computed from.
type ZoneState struct {
	Zone     string `json:"zone"`
	Provider string `json:"provider"`
	// Hash is LiveHash of the zone's records when the plan was made; apply
	// refuses the plan when the zone no longer hashes the same.
	Hash string `json:"live_hash"`
}

// Plan is everything a run would change, per domain, sorted by domain.
type Plan struct {
	FormatVersion string        `json:"format_version"`
	Domains       []*DomainPlan `json:"domains"`
	Zones         []*ZoneState  `json:"zones"`
	// Config identifies the configuration the plan was made from; apply
	// refuses the plan in a directory whose configuration hashes otherwise.
	// Nil in a plan that Diff made and nobody stamped yet.
	Config *ConfigState `json:"config,omitempty"`
	// Shard is the part of the fleet the plan covers (plan --shard), or
	// nil for the whole configuration; apply of the saved plan reads and
	// applies that shard only.
	Shard   *Shard  `json:"shard,omitempty"`
	Summary Summary `json:"summary"`
}

// Summary counts the changes of a plan.
type Summary struct {
	Add       int `json:"add"`
	Change    int `json:"change"`
	Delete    int `json:"delete"`
	Dangerous int `json:"dangerous"`
	Errors    int `json:"errors"`
	Warnings  int `json:"warnings"`
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool { return p.Summary.Add+p.Summary.Change+p.Summary.Delete > 0 }

func (p *Plan) summarize() {
	p.Summary = Summary{}
	for _, d := range p.Domains {
		for _, c := range d.Changes {
			switch c.Action {
			case Create:
				p.Summary.Add++
			case Update:
				p.Summary.Change++
			case Delete:
				p.Summary.Delete++
			}
			if c.Dangerous != "" {
				p.Summary.Dangerous++
			}
		}
		for _, f := range d.Findings {
			switch f.Severity {
			case SeverityError:
				p.Summary.Errors++
			case SeverityWarning:
				p.Summary.Warnings++
			}
		}
	}
}

// Dangerous lists the changes that need --force, as "domain: name type: why".
func (p *Plan) Dangerous() []string {
	var out []string
	for _, d := range p.Domains {
		for _, c := range d.Changes {
			if c.Dangerous != "" {
				out = append(out, fmt.Sprintf("%s %s: %s", c.Name, c.Type, c.Dangerous))
			}
		}
	}
	return out
}

// Filter returns the plan restricted to the named domains.
func (p *Plan) Filter(domains []string) *Plan {
	if len(domains) == 0 {
		return p
	}
	want := map[string]bool{}
	for _, d := range domains {
		want[strings.ToLower(strings.TrimSuffix(d, "."))] = true
	}
	out := &Plan{FormatVersion: p.FormatVersion, Config: p.Config}
	zones := map[string]bool{}
	for _, d := range p.Domains {
		if want[d.Domain] {
			out.Domains = append(out.Domains, d)
			zones[d.Zone] = true
		}
	}
	for _, z := range p.Zones {
		if zones[z.Zone] {
			out.Zones = append(out.Zones, z)
		}
	}
	out.summarize()
	return out
}
