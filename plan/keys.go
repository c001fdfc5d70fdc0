package plan

import (
	"fmt"
	"sort"
	"time"

	"github.com/mailconf/mailconf/mailauth/dkim"
)

// KeyStateRemoved and KeyStateNew are the ends of a key's life in a
// KeyTransition: before it is declared, and after its block and record
// are gone.
const (
	KeyStateNew     = "new"
	KeyStateRemoved = "removed"
)

// KeyTransition is one DKIM key's step through its life in a plan: the
// state it was in and the state the configuration puts it in, with what
// that does. A step that changes only whom the relay signs with (next to
// active, active to retiring) changes no record; the plan shows it all the
// same, because that is what the reviewer has to approve.
type KeyTransition struct {
	Selector string `json:"selector"`
	From     string `json:"from"`
	To       string `json:"to"`
	// Effect says what the step does to the record and to signing.
	Effect string `json:"effect"`
	// Inferred: the previous state was read off the live record (published,
	// revoked or absent), because the previous configuration was not
	// known; "published" then stands for any of next, active and retiring.
	Inferred bool `json:"inferred,omitempty"`
}

// String is the transition as plans print it: "s2026a: active → retiring".
func (t *KeyTransition) String() string {
	return fmt.Sprintf("%s: %s → %s", t.Selector, t.From, t.To)
}

// liveKey is what the live zone holds at a selector.
type liveKey int

const (
	keyAbsent liveKey = iota
	keyRevoked
	keyPublished
)

func liveKeyAt(live []Record) (liveKey, string) {
	state, family := keyAbsent, ""
	for _, r := range live {
		if r.Type != TypeTXT {
			continue
		}
		rec, err := dkim.Parse(r.Data)
		if err != nil {
			continue
		}
		if !rec.Revoked() {
			return keyPublished, keyFamily(rec.KeyType)
		}
		state = keyRevoked
	}
	return state, family
}

func keyFamily(keyType string) string {
	if keyType == "" || keyType == dkim.KeyTypeRSA {
		return "rsa"
	}
	return keyType
}

// keyTransitions lists the steps the domain's keys take. base maps each
// selector the previous configuration declared to its state, or is nil
// when that configuration is not known or does not declare the domain.
// A key whose state differs from base takes that step; otherwise the step
// is read off the live record (published, revoked or absent), which
// catches what the previous configuration asked for but was never applied.
func keyTransitions(d *DomainRecords, live map[string][]Record, base map[string]string) []*KeyTransition {
	var out []*KeyTransition
	declared := map[string]bool{}
	for _, rs := range d.Sets {
		k := rs.Key
		if k == nil {
			continue
		}
		declared[k.Selector] = true
		to := k.State
		if k.Removed {
			to = KeyStateRemoved
		}
		t := &KeyTransition{Selector: k.Selector, To: to, Effect: keyEffect(k)}
		if from, ok := base[k.Selector]; ok && from != k.State {
			t.From = from
			out = append(out, t)
			continue
		}
		lk, _ := liveKeyAt(live[rs.Name])
		t.Inferred = true
		switch {
		case lk == keyAbsent && !k.Removed && k.State != "retired":
			t.From = KeyStateNew
		case lk == keyPublished && k.State == "retired" && !k.RetireAfter.IsZero():
			t.From = "retiring" // it records the end of a retiring period
		case lk == keyPublished && k.State == "retired":
			t.From = "published"
		case lk != keyAbsent && k.Removed:
			t.From = "retired"
		default:
			continue
		}
		out = append(out, t)
	}
	for sel, state := range base {
		if !declared[sel] {
			out = append(out, &KeyTransition{Selector: sel, From: state, To: KeyStateRemoved, Effect: "no longer declared: mailconf leaves whatever is at " + dkim.Name(sel, d.Domain) + " alone"})
		}
	}
	sortTransitions(out)
	return out
}

func sortTransitions(ts []*KeyTransition) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Selector < ts[j].Selector })
}

func keyEffect(k *KeyInfo) string {
	switch {
	case k.Removed:
		return "its revocation period is over: nothing is published at the selector"
	case k.State == "next":
		return "published; the relay does not sign with it yet"
	case k.State == "active":
		return "the relay signs with it"
	case k.State == "retiring":
		if !k.RetireAfter.IsZero() {
			return "the relay no longer signs with it; it stays published until " + stamp(k.RetireAfter) + " for mail already sent"
		}
		return "the relay no longer signs with it; it stays published for mail already sent"
	case k.State == "retired":
		if !k.RemoveAfter.IsZero() {
			return "revoked: published with an empty p= until " + stamp(k.RemoveAfter)
		}
		return "revoked: published with an empty p="
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// keyDanger marks the changes that put a key's life out of order (DESIGN.md
// section 5): revoking or deleting a key that has not been retiring for
// its whole retiring period, since mail it signed may still be in flight
// or be verified again in a mailbox; and publishing an active key in the
// same plan that makes it active, while another key of its kind is
// published, since the relay signs with the new key before any server
// serves it.
func keyDanger(d *DomainRecords, live map[string][]Record, dp *DomainPlan, now time.Time) {
	sets := map[string]*RecordSet{}
	published := map[string]int{} // key family -> declared selectors with a live key
	for _, rs := range d.Sets {
		if rs.Key == nil {
			continue
		}
		sets[rs.Name] = rs
		if lk, fam := liveKeyAt(live[rs.Name]); lk == keyPublished {
			published[fam]++
		}
	}
	for _, c := range dp.Changes {
		rs := sets[c.Name]
		if rs == nil || c.Type != TypeTXT || c.Dangerous != "" {
			continue
		}
		k := rs.Key
		lk, _ := liveKeyAt(live[rs.Name])
		switch {
		case k.State == "retired" && lk == keyPublished:
			verb := "revokes"
			if k.Removed {
				verb = "deletes"
			}
			switch {
			case k.RetireAfter.IsZero():
				c.Dangerous = fmt.Sprintf("%s DKIM key %s, which was never retiring: mail it signed that is still in flight or verified again in a mailbox fails DKIM. Make it retiring first (mailconf dkim rotate does the steps in order)", verb, k.Selector)
			case !now.IsZero() && now.Before(k.RetireAfter):
				c.Dangerous = fmt.Sprintf("%s DKIM key %s before its retiring period ends at %s: mail it signed may still be in flight", verb, k.Selector, stamp(k.RetireAfter))
			}
		case k.State == "active" && lk != keyPublished && published[k.Family] > 0:
			c.Dangerous = fmt.Sprintf("publishes DKIM key %s and makes it active at once: the relay signs with it before any name server serves it, so mail fails DKIM until it propagates. Publish it as next first, then activate it (mailconf dkim rotate)", k.Selector)
		}
	}
}
