package schema

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// liveOf turns a sender's records for a domain into live records, as
// import reads them.
func liveOf(domain string, s *Sender) []SenderRecord {
	var live []SenderRecord
	for _, m := range s.MX {
		live = append(live, SenderRecord{Name: "@", Type: "MX", Value: strconv.Itoa(int(m.Preference)) + " " + m.Host})
	}
	for _, t := range s.SPF {
		live = append(live, SenderRecord{Name: "@", Type: TypeSPFInclude, Value: strings.TrimPrefix(t, "include:")})
	}
	for _, r := range s.Records {
		live = append(live, ExpandSenderRecord(r, domain))
	}
	return live
}

// TestMatchCatalogRoundTrip: the records each catalog entry's example
// yields are recognized as that entry, with the parameters that yield
// exactly them again.
func TestMatchCatalogRoundTrip(t *testing.T) {
	for _, e := range Catalog() {
		t.Run(e.ID, func(t *testing.T) {
			ex, err := e.Example()
			if err != nil {
				t.Fatal(err)
			}
			live := liveOf("example.com", ex)
			if len(live) == 0 {
				t.Skip("the example yields no records")
			}
			var got *CatalogMatch
			for _, m := range MatchCatalog("example.com", live) {
				if m.Entry.ID == e.ID {
					got = m
					break
				}
			}
			if got == nil {
				t.Fatalf("not recognized in %v", live)
			}
			vals := copyVals(got.Params)
			for _, p := range e.Parameters {
				if _, ok := vals[p.Name]; !ok && p.Default != nil {
					vals[p.Name], _ = p.normalize(p.Default)
				}
			}
			b, err := e.build(vals)
			if err != nil {
				t.Fatal(err)
			}
			again := liveOf("example.com", &Sender{SPF: b.spf, MX: b.mx, Records: b.records})
			// The same records, in any order: a service with two equal
			// selectors may match with them swapped.
			less := func(a, b SenderRecord) int { return strings.Compare(a.Name+a.Type+a.Value, b.Name+b.Type+b.Value) }
			slices.SortFunc(live, less)
			slices.SortFunc(again, less)
			if diff := cmp.Diff(live, again); diff != "" {
				t.Errorf("params %v yield other records (-example +matched):\n%s", got.Params, diff)
			}
		})
	}
}
