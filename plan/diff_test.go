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

// TestDiffInvalidDMARCVersion: a TXT at _dmarc meant as DMARC whose version
// is not exactly v=DMARC1 is not a DMARC record (RFC 7489 section 6.3);
// the plan replaces it and says why, and a valid record written with
// spaces around "=" (RFC 7489 section 6.4) is replaced, not left beside
// mailconf's.
func TestDiffInvalidDMARCVersion(t *testing.T) {
	set := &RecordSet{Name: "_dmarc.example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=DMARC1", Values: []string{"v=DMARC1; p=reject"}, Source: "dmarc"}
	for _, tc := range []struct {
		name     string
		live     []string
		actions  []string
		findings []string // a phrase each warning must contain, in order
	}{
		{"lower case version", []string{"v=dmarc1; p=reject"}, []string{"~ _dmarc.example.com TXT"},
			[]string{`holds "v=dmarc1; p=reject", which is not a valid DMARC record: the version must be exactly v=DMARC1, in upper case, not v=dmarc1 (RFC 7489 section 6.3, RFC 9989 section 4.7); receivers discard it (RFC 7489 section 6.6.3), so the domain has no DMARC policy; this plan replaces it with mailconf's record.`}},
		{"mixed case version", []string{"v=Dmarc1; p=none"}, []string{"~ _dmarc.example.com TXT"}, []string{"not v=Dmarc1"}},
		{"version run into the next tag", []string{"v=DMARC1 p=reject"}, []string{"~ _dmarc.example.com TXT"}, []string{`ended by ";"`}},
		{"invalid beside the valid record", []string{"v=DMARC1; p=reject", "v=dmarc1; p=none"}, []string{"~ _dmarc.example.com TXT"},
			[]string{"those that read the version loosely count a second DMARC record and apply no policy; this plan removes it and leaves only mailconf's record."}},
		{"spaces around = are valid and owned", []string{"v = DMARC1; p=none"}, []string{"~ _dmarc.example.com TXT"}, nil},
		{"upper-case tag name is valid", []string{"V=DMARC1; p=reject"}, []string{"~ _dmarc.example.com TXT"}, nil},
		{"valid and equal", []string{"v=DMARC1; p=reject"}, nil, nil},
		{"two valid records", []string{"v=DMARC1; p=reject", "v=DMARC1; p=none"}, []string{"~ _dmarc.example.com TXT"}, []string{"2 DMARC records are published"}},
		{"not DMARC at all is left alone", []string{"v=DMARC10; p=none", "vdmarc1"}, []string{"+ _dmarc.example.com TXT"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var live []Record
			for _, v := range tc.live {
				live = append(live, rec("_dmarc.example.com", "TXT", 3600, v))
			}
			d := diffOne([]*RecordSet{set}, live)
			if diff := cmp.Diff(tc.actions, actions(d)); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			var warnings []string
			for _, f := range d.Findings {
				if f.Severity == SeverityWarning {
					warnings = append(warnings, f.Message)
				}
			}
			if len(warnings) != len(tc.findings) {
				t.Fatalf("warnings %q, want %d", warnings, len(tc.findings))
			}
			for i, w := range tc.findings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %q does not say %q", warnings[i], w)
				}
			}
		})
	}
}

// TestDiffReportAuthorizationVersion: a report authorization record with
// the wrong version authorizes nothing (RFC 7489 section 7.1).
func TestDiffReportAuthorizationVersion(t *testing.T) {
	set := &RecordSet{Name: "example.org._report._dmarc.example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=DMARC1", Values: []string{"v=DMARC1;"}, Source: "dmarc reports of example.org"}
	d := diffOne([]*RecordSet{set}, []Record{rec(set.Name, "TXT", 3600, "v=dmarc1")})
	if diff := cmp.Diff([]string{"~ example.org._report._dmarc.example.com TXT"}, actions(d)); diff != "" {
		t.Error(diff)
	}
	if len(d.Findings) != 1 || !strings.Contains(d.Findings[0].Message, "report senders do not take it as an authorization") {
		t.Errorf("findings %+v", d.Findings)
	}
}

// TestDiffDMARCWeakeningPastInvalid: the weakening rule compares with the
// valid record, not with an invalid one that sorts before it.
func TestDiffDMARCWeakeningPastInvalid(t *testing.T) {
	set := &RecordSet{Name: "_dmarc.example.com", Type: TypeTXT, TTL: 3600, Prefix: "v=DMARC1", Values: []string{"v=DMARC1; p=none"}, Source: "dmarc"}
	d := diffOne([]*RecordSet{set}, []Record{
		rec("_dmarc.example.com", "TXT", 3600, "V=dmarc1; p=none"),
		rec("_dmarc.example.com", "TXT", 3600, "v=DMARC1; p=reject"),
	})
	if len(d.Changes) != 1 || !strings.Contains(d.Changes[0].Dangerous, "p from reject to none") {
		t.Errorf("changes %+v, want a dangerous weakening", d.Changes)
	}
}

func TestLooksLikeDMARC(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"v=DMARC1", true},
		{"v=DMARC1; p=none", true},
		{"V=DMARC1;p=none", true},
		{"v = DMARC1 ; p=none", true},
		{"v\t=\tdmarc1;", true},
		{"v=dmarc1 p=reject", true},
		{"v=DMARC10; p=none", false},
		{"v=DMARC", false},
		{"vv=DMARC1", false},
		{"p=none; v=DMARC1", false},
		{" v=DMARC1", false},
		{"", false},
	} {
		if got := LooksLikeDMARC(tc.value); got != tc.want {
			t.Errorf("LooksLikeDMARC(%q) = %v", tc.value, got)
		}
	}
}
