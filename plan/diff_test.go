package plan

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const zone = "example.com."

func rec(name, typ string, ttl uint32, data string) Record {
	return Record{Name: name, Type: typ, TTL: ttl, Data: data}
}

func diffOne(sets []*RecordSet, live []Record) *DomainPlan {
	d := &Desired{Domains: []*DomainRecords{{Domain: "example.com", Provider: "provider.memory.m", Sets: sets}}}
	p := Diff(d, Live{Zones: map[string]string{"example.com": zone}, Records: map[string][]Record{zone: live}})
	return p.Domains[0]
}

func actions(d *DomainPlan) []string {
	var out []string
	for _, c := range d.Changes {
		s := string(c.Action) + " " + c.Name + " " + c.Type
		if c.Dangerous != "" {
			s += " !"
		}
		out = append(out, s)
	}
	return out
}

func TestDiffOwnership(t *testing.T) {
	spfSet := &RecordSet{Name: "example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=spf1", Values: []string{"v=spf1 -all"}, Source: "spf"}
	for _, tc := range []struct {
		name     string
		live     []Record
		want     []string
		wantKeep int
	}{
		{"absent: create", nil, []string{"+ example.com TXT"}, 0},
		{"equal: nothing", []Record{rec("example.com", "TXT", 3600, "v=spf1 -all")}, nil, 0},
		{"other TXT kept", []Record{rec("example.com", "TXT", 3600, "google-site-verification=x"), rec("example.com", "TXT", 3600, "v=spf1 ~all")}, []string{"~ example.com TXT"}, 1},
		{"v=spf10 is not SPF", []Record{rec("example.com", "TXT", 3600, "v=spf10 x")}, []string{"+ example.com TXT"}, 1},
		{"prefix case-insensitive", []Record{rec("example.com", "TXT", 3600, "V=SPF1 -all")}, []string{"~ example.com TXT"}, 0},
		{"TTL only", []Record{rec("example.com", "TXT", 300, "v=spf1 -all")}, []string{"~ example.com TXT"}, 0},
		{"other names untouched", []Record{rec("www.example.com", "TXT", 3600, "v=spf1 ~all"), rec("example.com", "TXT", 3600, "v=spf1 -all")}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diffOne([]*RecordSet{spfSet}, tc.live)
			if diff := cmp.Diff(tc.want, actions(d)); diff != "" {
				t.Error(diff)
			}
			if len(d.Changes) == 1 && len(d.Changes[0].Keep) != tc.wantKeep {
				t.Errorf("keep %v, want %d values", d.Changes[0].Keep, tc.wantKeep)
			}
		})
	}
}

func TestDiffDanger(t *testing.T) {
	mx := func(values ...string) *RecordSet {
		return &RecordSet{Name: "example.com", Type: TypeMX, TTL: 3600, Values: values, Source: "mx"}
	}
	dmarcSet := func(v string) *RecordSet {
		return &RecordSet{Name: "_dmarc.example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=DMARC1", Values: []string{v}, Source: "dmarc"}
	}
	const keyA = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	const keyB = "v=DKIM1; k=ed25519; p=UJs8HqmM/QSnj+rzgVsyKUaB7TGko8ufyAfDp/p2Lq4="
	dkimSet := func(v string, active bool) *RecordSet {
		return &RecordSet{Name: "s1._domainkey.example.com", Type: TypeTXT, TTL: 3600, Values: []string{v}, Source: "dkim s1", Active: active}
	}
	liveMX := []Record{rec("example.com", "MX", 3600, "10 mx1.example.com."), rec("example.com", "MX", 3600, "20 mx2.example.com.")}
	for _, tc := range []struct {
		name   string
		set    *RecordSet
		live   []Record
		danger string // a word the reason must contain, or "" for safe
	}{
		{"MX all deleted", mx(), liveMX, "removes every MX"},
		{"MX all hosts replaced", mx("10 new.example.net."), liveMX, "replaces every MX host"},
		{"MX one host kept", mx("10 mx1.example.com.", "20 new.example.net."), liveMX, ""},
		{"parked null MX", &RecordSet{Name: "example.com", Type: TypeMX, TTL: 3600, Values: []string{"0 ."}, Source: "parked"}, liveMX, ""},
		{"null MX to real MX", mx("10 mx1.example.com."), []Record{rec("example.com", "MX", 3600, "0 .")}, ""},
		{"SPF deleted", &RecordSet{Name: "example.com", Type: TypeTXT, Prefix: "v=spf1", Source: "spf"}, []Record{rec("example.com", "TXT", 3600, "v=spf1 -all")}, "removes the SPF"},
		{"DMARC reject to none", dmarcSet("v=DMARC1; p=none"), []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject")}, "p from reject to none"},
		{"DMARC reject to quarantine", dmarcSet("v=DMARC1; p=quarantine"), []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject")}, "p from reject to quarantine"},
		{"DMARC none to reject", dmarcSet("v=DMARC1; p=reject"), []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=none")}, ""},
		{"DMARC sp weakened", dmarcSet("v=DMARC1; p=reject; sp=none"), []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject")}, "sp from reject to none"},
		{"DMARC lower pct", dmarcSet("v=DMARC1; p=reject; pct=50"), []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject")}, "pct from 100 to 50"},
		{"DMARC deleted", &RecordSet{Name: "_dmarc.example.com", Type: TypeTXT, Prefix: "v=DMARC1", Source: "dmarc"}, []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject")}, "removes the DMARC policy"},
		{"DMARC rua change only", dmarcSet("v=DMARC1; p=reject; rua=mailto:a@example.com"), []Record{rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject")}, ""},
		{"active DKIM key replaced", dkimSet(keyB, true), []Record{rec("s1._domainkey.example.com", "TXT", 3600, keyA)}, "replaces the public key"},
		{"active DKIM key published over a revoked one", dkimSet(keyB, true), []Record{rec("s1._domainkey.example.com", "TXT", 3600, "v=DKIM1; p=")}, ""},
		{"retired DKIM key revoked", dkimSet("v=DKIM1; p=", false), []Record{rec("s1._domainkey.example.com", "TXT", 3600, keyA)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diffOne([]*RecordSet{tc.set}, tc.live)
			if len(d.Changes) != 1 {
				t.Fatalf("changes %v, want one", actions(d))
			}
			got := d.Changes[0].Dangerous
			if tc.danger == "" && got != "" || tc.danger != "" && !strings.Contains(got, tc.danger) {
				t.Errorf("dangerous %q, want %q", got, tc.danger)
			}
		})
	}
}

// TestDiffBulkRule: more than 30% of the owned records of a zone holding
// at least 10 of them is dangerous; 30% exactly, or a smaller zone, is not.
func TestDiffBulkRule(t *testing.T) {
	build := func(owned, changed int) *Plan {
		var sets []*RecordSet
		var live []Record
		for i := range owned {
			name := string(rune('a'+i)) + ".example.com"
			sets = append(sets, &RecordSet{Name: name, Type: TypeTXT, TTL: 3600, Prefix: "v=spf1", Values: []string{"v=spf1 -all"}, Source: "spf"})
			data := "v=spf1 -all"
			if i < changed {
				data = "v=spf1 ~all"
			}
			live = append(live, rec(name, "TXT", 3600, data))
		}
		d := &Desired{Domains: []*DomainRecords{{Domain: "example.com", Sets: sets}}}
		return Diff(d, Live{Zones: map[string]string{"example.com": zone}, Records: map[string][]Record{zone: live}})
	}
	for _, tc := range []struct {
		owned, changed int
		dangerous      bool
	}{{10, 3, false}, {10, 4, true}, {9, 9, false}, {20, 6, false}, {20, 7, true}} {
		p := build(tc.owned, tc.changed)
		if got := p.Summary.Dangerous > 0; got != tc.dangerous {
			t.Errorf("%d of %d changed: dangerous=%v, want %v", tc.changed, tc.owned, got, tc.dangerous)
		}
		if tc.dangerous && p.Summary.Dangerous != tc.changed {
			t.Errorf("%d of %d: %d dangerous changes, want every one", tc.changed, tc.owned, p.Summary.Dangerous)
		}
	}
}

func TestDiffFindings(t *testing.T) {
	sets := []*RecordSet{
		{Name: "example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=spf1", Values: []string{"v=spf1 -all"}, Source: "spf"},
		{Name: "_dmarc.example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=DMARC1", Values: []string{"v=DMARC1; p=reject"}, Source: "dmarc"},
		{Name: "s1._domainkey.example.com", Type: TypeTXT, TTL: 3600, Values: []string{"v=DKIM1; p="}, Source: "dkim s1"},
	}
	live := []Record{
		rec("example.com", "TXT", 3600, "v=spf1 -all"),
		rec("example.com", "TXT", 3600, "v=spf1 include:x.example ~all"),
		rec("_dmarc.example.com", "CNAME", 3600, "dmarc.vendor.example."),
		rec("s1._domainkey.example.com", "TXT", 3600, "v=DKIM1; p="),
		rec("google._domainkey.example.com", "TXT", 3600, "v=DKIM1; p=abc"),
		rec("x._domainkey.sub.example.com", "TXT", 3600, "v=DKIM1; p=abc"),
	}
	d := diffOne(sets, live)
	var got []string
	for _, f := range d.Findings {
		got = append(got, string(f.Severity)+" "+f.Name)
	}
	want := []string{"warning example.com", "error _dmarc.example.com", "warning google._domainkey.example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if !d.Blocked() {
		t.Error("a CNAME where DMARC goes must block the domain")
	}
	if diff := cmp.Diff([]string{"~ example.com TXT"}, actions(d)); diff != "" {
		t.Error(diff)
	}
}

// TestDiffDeterministic: the same input in any order gives byte-identical
// plans.
func TestDiffDeterministic(t *testing.T) {
	sets := []*RecordSet{
		{Name: "example.com", Type: TypeMX, TTL: 3600, Values: []string{"10 a.example.com.", "20 b.example.com."}, Source: "mx"},
		{Name: "example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=spf1", Values: []string{"v=spf1 -all"}, Source: "spf"},
		{Name: "_dmarc.example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=DMARC1", Values: []string{"v=DMARC1; p=reject"}, Source: "dmarc"},
	}
	live := []Record{
		rec("example.com", "MX", 3600, "30 c.example.com."),
		rec("example.com", "MX", 3600, "10 a.example.com."),
		rec("example.com", "TXT", 60, "z"),
		rec("example.com", "TXT", 60, "a"),
		rec("a._domainkey.example.com", "TXT", 60, "v=DKIM1; p="),
		rec("b._domainkey.example.com", "TXT", 60, "v=DKIM1; p="),
	}
	var first []byte
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		r.Shuffle(len(sets), func(i, j int) { sets[i], sets[j] = sets[j], sets[i] })
		r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		d := &Desired{Domains: []*DomainRecords{{Domain: "example.com", Sets: sets}}}
		b, err := json.Marshal(Diff(d, Live{Zones: map[string]string{"example.com": zone}, Records: map[string][]Record{zone: live}}))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("run %d differs:\n%s\n%s", i, first, b)
		}
	}
}

func TestHasTagPrefix(t *testing.T) {
	for _, tc := range []struct {
		value, prefix string
		want          bool
	}{
		{"v=spf1", "v=spf1", true},
		{"v=spf1 -all", "v=spf1", true},
		{"V=SPF1 -all", "v=spf1", true},
		{"v=spf10", "v=spf1", false},
		{"v=DMARC1;", "v=DMARC1", true},
		{"v=DMARC1; p=none", "v=DMARC1", true},
		{"v=DMARC12", "v=DMARC1", false},
		{"xv=spf1", "v=spf1", false},
		{"", "v=spf1", false},
	} {
		if got := HasTagPrefix(tc.value, tc.prefix); got != tc.want {
			t.Errorf("HasTagPrefix(%q, %q) = %v", tc.value, tc.prefix, got)
		}
	}
}

// TestDiffSharedTTL: values that are not mailconf's dictate the TTL of the
// RRset they share with mailconf's (RFC 2181 section 5.2).
func TestDiffSharedTTL(t *testing.T) {
	spfSet := &RecordSet{Name: "example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=spf1", Values: []string{"v=spf1 -all"}, Source: "spf"}
	d := diffOne([]*RecordSet{spfSet}, []Record{
		rec("example.com", "TXT", 300, "google-site-verification=x"),
		rec("example.com", "TXT", 300, "v=spf1 -all"),
	})
	if len(d.Changes) != 0 {
		t.Errorf("changes %v; the SPF value must keep the set's TTL", actions(d))
	}
	d = diffOne([]*RecordSet{spfSet}, []Record{rec("example.com", "TXT", 300, "google-site-verification=x")})
	if len(d.Changes) != 1 || d.Changes[0].New[0].TTL != 300 {
		t.Fatalf("create must take the set's TTL 300: %+v", d.Changes)
	}
	var notes int
	for _, f := range d.Findings {
		if f.Severity == SeverityNote && strings.Contains(f.Message, "share one TTL") {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("want one note about the shared TTL, got %+v", d.Findings)
	}
}
