package spf

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flatZone is the DNS the flattening tests share: providers whose records
// flatten, and some that cannot.
func flatZone() zone {
	var many []string
	for i := 1; i < 120; i += 2 {
		// Odd addresses are never siblings, so none of them merge.
		many = append(many, fmt.Sprintf("ip4:198.51.100.%d", i))
	}
	return zone{
		txt: map[string][]string{
			"_spf.a.example":       {"v=spf1 ip4:198.51.100.0/25 ip4:198.51.100.128/25 ~all"},
			"_spf.b.example":       {"v=spf1 ip4:203.0.113.0/24 ip4:203.0.113.7 ip6:2001:db8:1::/48 -all"},
			"_spf.c.example":       {"v=spf1 a:mail.c.example/28 mx include:_spf.a.example ?all"},
			"_spf.r.example":       {"v=spf1 ip4:192.0.2.128/26 redirect=_spf.b.example"},
			"_spf.exists.example":  {"v=spf1 exists:%{i}.x.example ~all"},
			"_spf.neg.example":     {"v=spf1 -ip4:192.0.2.1 ip4:192.0.2.0/24 ~all"},
			"_spf.plusall.example": {"v=spf1 ip4:192.0.2.0/24 +all"},
			"_spf.ptr.example":     {"v=spf1 ptr ~all"},
			"_spf.deep.example":    {"v=spf1 include:_spf.c.example include:_spf.fail.example -all"},
			"_spf.many.example":    {"v=spf1 " + strings.Join(many, " ") + " -all"},
			"_spf.v6.example":      {"v=spf1 ip6:2001:db8::/33 ip6:2001:db8:8000::/33 ip6:2001:db8:1::1 -all"},
			"_spf.macro.example":   {"v=spf1 a:%{d}.example.net -all"},
		},
		mx: map[string][]string{
			"_spf.c.example": {"mx.c.example"},
		},
		ip: map[string][]string{
			"mail.c.example": {"192.0.2.77", "2001:db8:c::1"},
			"mx.c.example":   {"192.0.2.200", "::ffff:192.0.2.201"},
			"example.com":    {"192.0.2.1"},
		},
		fail: []string{"_spf.fail.example"},
	}
}

// serve returns z plus the records of f at their names, so that the result
// of Flatten can be analyzed as receivers would see it.
func serve(z zone, f *Flattened) zone {
	add := zone{txt: map[string][]string{}}
	for _, r := range f.Records {
		add.txt[r.Name] = []string{r.Text}
	}
	return z.merge(add)
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		want    []FlatRecord
		lookups int
	}{
		{
			name:   "includes become addresses, merged and sorted",
			record: "v=spf1 include:_spf.b.example include:_spf.a.example -all",
			want: []FlatRecord{{"example.com",
				"v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all"}},
		},
		{
			name:   "an include's a and mx become addresses with their CIDR lengths",
			record: "v=spf1 include:_spf.c.example ~all",
			want: []FlatRecord{{"example.com",
				"v=spf1 ip4:192.0.2.64/28 ip4:192.0.2.200/31 ip4:198.51.100.0/24 ip6:2001:db8:c::1 ~all"}},
		},
		{
			name:   "own addresses are deduplicated with the includes'",
			record: "v=spf1 ip4:198.51.100.7 ip4:203.0.113.0/24 include:_spf.b.example ip6:2001:db8:1:2::/64 -all",
			want:   []FlatRecord{{"example.com", "v=spf1 ip4:198.51.100.7 ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all"}},
		},
		{
			name:   "IPv6 siblings merge and contained addresses go",
			record: "v=spf1 include:_spf.v6.example -all",
			want:   []FlatRecord{{"example.com", "v=spf1 ip6:2001:db8::/32 -all"}},
		},
		{
			name:   "a redirect inside an include is followed",
			record: "v=spf1 include:_spf.r.example -all",
			want: []FlatRecord{{"example.com",
				"v=spf1 ip4:192.0.2.128/26 ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all"}},
		},
		{
			name:    "includes of exists, a non-pass term or +all stay in order",
			record:  "v=spf1 mx include:_spf.exists.example include:_spf.a.example include:_spf.neg.example include:_spf.plusall.example -all",
			want:    []FlatRecord{{"example.com", "v=spf1 mx include:_spf.exists.example ip4:198.51.100.0/24 include:_spf.neg.example include:_spf.plusall.example -all"}},
			lookups: 1 + 2 + 1 + 1,
		},
		{
			name:    "includes of ptr, macros or a failed lookup stay in order",
			record:  "v=spf1 include:_spf.ptr.example include:_spf.macro.example include:_spf.deep.example include:_spf.b.example -all",
			want:    []FlatRecord{{"example.com", "v=spf1 include:_spf.ptr.example include:_spf.macro.example include:_spf.deep.example ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all"}},
			lookups: 2 + 2 + 6,
		},
		{
			name:    "an include with another qualifier stays",
			record:  "v=spf1 ~include:_spf.a.example include:_spf.b.example -all",
			want:    []FlatRecord{{"example.com", "v=spf1 ~include:_spf.a.example ip4:203.0.113.0/24 ip6:2001:db8:1::/48 -all"}},
			lookups: 1,
		},
		{
			name:    "nothing after a non-pass term joins the addresses",
			record:  "v=spf1 include:_spf.a.example -ip4:203.0.113.9 include:_spf.b.example -all",
			want:    []FlatRecord{{"example.com", "v=spf1 ip4:198.51.100.0/24 -ip4:203.0.113.9 include:_spf.b.example -all"}},
			lookups: 1,
		},
		{
			name:    "a non-pass term before the addresses does not stop flattening",
			record:  "v=spf1 -ip4:198.51.100.9 include:_spf.a.example redirect=_spf.b.example",
			want:    []FlatRecord{{"example.com", "v=spf1 -ip4:198.51.100.9 ip4:198.51.100.0/24 redirect=_spf.b.example"}},
			lookups: 1,
		},
		{
			name:    "terms after all stay and cost nothing",
			record:  "v=spf1 include:_spf.a.example -all mx",
			want:    []FlatRecord{{"example.com", "v=spf1 ip4:198.51.100.0/24 -all mx"}},
			lookups: 0,
		},
		{
			name:   "overflow chains into _spf1 and _spf2",
			record: "v=spf1 a include:_spf.many.example ~all",
			want: []FlatRecord{
				{"example.com", "v=spf1 a " + addrRange(1, 45) + " include:_spf1.example.com ~all"},
				{"_spf1.example.com", "v=spf1 " + addrRange(47, 91) + " include:_spf2.example.com"},
				{"_spf2.example.com", "v=spf1 " + addrRange(93, 119)},
			},
			lookups: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := flatZone()
			f, err := Flatten(context.Background(), z, "example.com", mustParse(t, tt.record), FlattenOptions{})
			if err != nil {
				t.Fatalf("Flatten: %v", err)
			}
			if diff := cmp.Diff(tt.want, f.Records); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
			if f.Lookups != tt.lookups {
				t.Errorf("Lookups = %d, want %d", f.Lookups, tt.lookups)
			}
			checkFlattened(t, z, "example.com", f, maxRecordOctets)
		})
	}
}

// addrRange writes the ip4 terms for the odd addresses from..to of
// 198.51.100.0/24.
func addrRange(from, to int) string {
	var terms []string
	for i := from; i <= to; i += 2 {
		terms = append(terms, fmt.Sprintf("ip4:198.51.100.%d", i))
	}
	return strings.Join(terms, " ")
}

// checkFlattened asserts what every flattening must give: records that
// parse, fit maxLen, and that a receiver evaluates within the lookup limit
// and with the lookup count Flatten claims.
func checkFlattened(t *testing.T, z zone, domain string, f *Flattened, maxLen int) {
	t.Helper()
	for i, r := range f.Records {
		if _, err := Parse(r.Text); err != nil {
			t.Errorf("record %d (%s) does not parse: %v", i, r.Name, err)
		}
		if len(r.Text) > maxLen {
			t.Errorf("record %d (%s) is %d octets, over %d", i, r.Name, len(r.Text), maxLen)
		}
		if i > 0 && mustParse(t, r.Text).All() != nil {
			t.Errorf("chained record %s has an all term: %q", r.Name, r.Text)
		}
	}
	a := Analyze(context.Background(), serve(z, f), domain, nil)
	if a.Lookups != f.Lookups || a.Lookups > maxLookupTerms {
		t.Errorf("receivers need %d lookups; Flatten says %d, and the limit is %d", a.Lookups, f.Lookups, maxLookupTerms)
	}
}

func TestFlattenExactLength(t *testing.T) {
	// 20 address terms of 18 octets take 379 octets with their spaces, and
	// "v=spf1 ", " -all" and an a term of 58 octets bring the record to
	// exactly 450.
	var terms []string
	for i := 101; i <= 139; i += 2 {
		terms = append(terms, fmt.Sprintf("ip4:198.51.100.%d", i))
	}
	addrs := strings.Join(terms, " ")
	filler := "a:" + strings.Repeat("h", 48) + ".example"
	exact := "v=spf1 " + filler + " " + addrs + " -all"
	if len(exact) != 450 {
		t.Fatalf("test setup: record is %d octets", len(exact))
	}
	z := flatZone()
	f, err := Flatten(context.Background(), z, "example.com", mustParse(t, exact), FlattenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Records) != 1 || f.Records[0].Text != exact {
		t.Errorf("a 450-octet record was changed: %+v", f.Records)
	}
	checkFlattened(t, z, "example.com", f, maxRecordOctets)

	// One octet more spills the last addresses into _spf1.
	over := strings.Replace(exact, "a:", "a:h", 1)
	if len(over) != 451 {
		t.Fatalf("test setup: record is %d octets", len(over))
	}
	f, err = Flatten(context.Background(), z, "example.com", mustParse(t, over), FlattenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Records) != 2 || f.Records[1].Name != "_spf1.example.com" || f.Lookups != 2 {
		t.Errorf("a 451-octet record gave %+v with %d lookups, want two records and 2 lookups", f.Records, f.Lookups)
	}
	checkFlattened(t, z, "example.com", f, maxRecordOctets)
}

func TestFlattenMaxLength(t *testing.T) {
	z := flatZone()
	rec := mustParse(t, "v=spf1 include:_spf.many.example -all")
	for _, maxLen := range []int{200, 255, 1000} {
		t.Run(fmt.Sprint(maxLen), func(t *testing.T) {
			f, err := Flatten(context.Background(), z, "example.com", rec, FlattenOptions{MaxLength: maxLen})
			if err != nil {
				t.Fatal(err)
			}
			checkFlattened(t, z, "example.com", f, maxLen)
		})
	}
}

func TestFlattenErrors(t *testing.T) {
	var tooMany []string
	for i := range 11 {
		tooMany = append(tooMany, fmt.Sprintf("exists:%%{i}.l%d.example", i))
	}
	tests := []struct {
		name   string
		domain string
		record string
		maxLen int
		want   error
	}{
		{"too many lookups remain", "example.com", "v=spf1 " + strings.Join(tooMany, " ") + " -all", 0, ErrTooManyLookups},
		{"chain pushes over the limit", "example.com", "v=spf1 " + strings.Join(tooMany[:9], " ") + " include:_spf.many.example -all", 0, ErrTooManyLookups},
		{"kept terms too long", "example.com", "v=spf1 " + strings.Join(tooMany[:5], " ") + " include:_spf.a.example -all", 60, ErrTooLong},
		{"no record", "nospf.example", "", 0, ErrNoRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec *Record
			if tt.record != "" {
				rec = mustParse(t, tt.record)
			}
			z := flatZone().merge(zone{txt: map[string][]string{"nospf.example": {"hello"}}})
			f, err := Flatten(context.Background(), z, tt.domain, rec, FlattenOptions{MaxLength: tt.maxLen})
			if !errors.Is(err, tt.want) {
				t.Errorf("Flatten = %+v, %v; want error %v", f, err, tt.want)
			}
		})
	}
}

func TestFlattenDeterministic(t *testing.T) {
	// The include order changes nothing but the position of kept terms.
	z := flatZone()
	a, err := Flatten(context.Background(), z, "example.com", mustParse(t, "v=spf1 include:_spf.c.example include:_spf.b.example include:_spf.many.example ~all"), FlattenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Flatten(context.Background(), z, "example.com", mustParse(t, "v=spf1 include:_spf.many.example include:_spf.b.example include:_spf.c.example ~all"), FlattenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("include order changed the result (-first +second):\n%s", diff)
	}
}

func TestMergePrefixes(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, nil},
		{"two /25 make a /24", []string{"192.0.2.128/25", "192.0.2.0/25"}, []string{"192.0.2.0/24"}},
		{"a /24 contains a /32", []string{"192.0.2.7/32", "192.0.2.0/24"}, []string{"192.0.2.0/24"}},
		{"duplicates", []string{"192.0.2.1/32", "192.0.2.1/32"}, []string{"192.0.2.1/32"}},
		{"host bits are masked", []string{"192.0.2.77/24"}, []string{"192.0.2.0/24"}},
		{"cascading merge", []string{"192.0.2.0/26", "192.0.2.64/26", "192.0.2.128/25"}, []string{"192.0.2.0/24"}},
		{"non-siblings stay apart", []string{"192.0.2.64/26", "192.0.2.128/26"}, []string{"192.0.2.64/26", "192.0.2.128/26"}},
		{"three quarters", []string{"192.0.2.0/26", "192.0.2.64/26", "192.0.2.128/26"}, []string{"192.0.2.0/25", "192.0.2.128/26"}},
		{"the two halves of everything", []string{"128.0.0.0/1", "0.0.0.0/1"}, []string{"0.0.0.0/0"}},
		{"IPv4 sorts before IPv6", []string{"2001:db8::/32", "198.51.100.0/24", "192.0.2.0/24"}, []string{"192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"}},
		{"IPv6 siblings", []string{"2001:db8::1/128", "2001:db8::/128"}, []string{"2001:db8::/127"}},
		{"IPv4-mapped IPv6 stays IPv6", []string{"::ffff:192.0.2.1/128", "192.0.2.1/32"}, []string{"192.0.2.1/32", "::ffff:192.0.2.1/128"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []netip.Prefix
			for _, s := range tt.in {
				in = append(in, netip.MustParsePrefix(s))
			}
			var got []string
			for _, p := range mergePrefixes(in) {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mergePrefixes(%v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMergePrefixesCoverage(t *testing.T) {
	// Random small networks inside one /24: the merged list must cover
	// exactly the same addresses, and be minimal (no merge left to do).
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		var in []netip.Prefix
		for range rng.IntN(12) {
			addr := netip.AddrFrom4([4]byte{192, 0, 2, byte(rng.IntN(256))})
			in = append(in, netip.PrefixFrom(addr, 24+rng.IntN(9)))
		}
		out := mergePrefixes(in)
		for i := range 256 {
			addr := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			inAny := func(ps []netip.Prefix) bool {
				for _, p := range ps {
					if p.Contains(addr) {
						return true
					}
				}
				return false
			}
			if inAny(in) != inAny(out) {
				t.Fatalf("round %d: %v merged to %v changes %v", round, in, out, addr)
			}
		}
		for i := 1; i < len(out); i++ {
			if comparePrefixes(out[i-1], out[i]) >= 0 || out[i-1].Overlaps(out[i]) {
				t.Fatalf("round %d: %v is not sorted and disjoint", round, out)
			}
			if _, ok := siblings(out[i-1], out[i]); ok {
				t.Fatalf("round %d: %v still holds siblings", round, out)
			}
		}
	}
}

// evaluate is a small check_host() for the tests (RFC 7208 section 4.6),
// enough to compare a record with its flattened form on the fake zone: it
// follows include, redirect, a and mx, and treats what it cannot evaluate
// without a message (exists with macros, ptr, macros) as not matching, which
// is the same for both forms since Flatten keeps such terms unchanged. It
// ignores the lookup limits, which checkFlattened covers.
func evaluate(z zone, ip netip.Addr, domain string, depth int) string {
	if depth > 20 {
		return "permerror"
	}
	txts, _, err := z.LookupTXT(context.Background(), domain)
	if err != nil {
		return "temperror"
	}
	var rec *Record
	for _, t := range txts {
		if IsRecord(t) {
			if rec != nil {
				return "permerror"
			}
			if rec, err = Parse(t); err != nil {
				return "permerror"
			}
		}
	}
	if rec == nil {
		return "none"
	}
	results := map[Qualifier]string{Pass: "pass", 0: "pass", Fail: "fail", SoftFail: "softfail", Neutral: "neutral"}
	matchAddrs := func(m *Mechanism, name string, hosts bool) (bool, string) {
		if m.Domain != "" {
			name = m.Domain
		}
		if m.HasMacro() {
			return false, ""
		}
		names := []string{name}
		if hosts {
			var err error
			if names, _, err = z.LookupMX(context.Background(), name); err != nil {
				return false, "temperror"
			}
		}
		for _, n := range names {
			addrs, _, err := z.LookupIP(context.Background(), n)
			if err != nil {
				return false, "temperror"
			}
			for _, a := range addrs {
				if addrPrefix(a, m).Contains(ip) {
					return true, ""
				}
			}
		}
		return false, ""
	}
	for _, t := range rec.Terms {
		m, ok := t.(*Mechanism)
		if !ok {
			continue
		}
		match, res := false, ""
		switch m.Kind {
		case All:
			match = true
		case IP4, IP6:
			match = m.Net.Masked().Contains(ip)
		case A:
			match, res = matchAddrs(m, domain, false)
		case MX:
			match, res = matchAddrs(m, domain, true)
		case Include:
			if m.HasMacro() {
				continue
			}
			// RFC 7208 section 5.2: pass matches; errors propagate; none
			// is a permerror; anything else does not match.
			switch r := evaluate(z, ip, m.Domain, depth+1); r {
			case "pass":
				match = true
			case "temperror", "permerror":
				res = r
			case "none":
				res = "permerror"
			}
		}
		if res != "" {
			return res
		}
		if match {
			return results[m.Qualifier]
		}
	}
	if rec.All() == nil && rec.Redirect() != "" && !hasExpansion(rec.Redirect()) {
		r := evaluate(z, ip, rec.Redirect(), depth+1)
		if r == "none" {
			return "permerror"
		}
		return r
	}
	return "neutral"
}

// probes returns addresses around every network and address of the zone.
func probes(z zone) []netip.Addr {
	var out []netip.Addr
	add := func(a netip.Addr) {
		out = append(out, a, a.Next(), a.Prev())
	}
	for _, txts := range z.txt {
		for _, t := range txts {
			for _, f := range strings.Fields(t) {
				if term, err := ParseTerm(f); err == nil {
					if m, ok := term.(*Mechanism); ok && m.Net.IsValid() {
						p := m.Net.Masked()
						add(p.Addr())
						last := p.Addr()
						for range 3 {
							// A few addresses into the network and past it.
							last = last.Next()
						}
						add(last)
					}
				}
			}
		}
	}
	for _, as := range z.ip {
		for _, s := range as {
			add(netip.MustParseAddr(s).Unmap())
		}
	}
	add(netip.MustParseAddr("192.0.2.255"))
	add(netip.MustParseAddr("198.51.100.255"))
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

func TestFlattenKeepsResults(t *testing.T) {
	records := []string{
		"v=spf1 include:_spf.b.example include:_spf.a.example -all",
		"v=spf1 include:_spf.c.example ~all",
		"v=spf1 mx include:_spf.exists.example include:_spf.a.example include:_spf.neg.example include:_spf.plusall.example -all",
		"v=spf1 ~include:_spf.a.example include:_spf.b.example -all",
		"v=spf1 include:_spf.a.example -ip4:198.51.100.9 include:_spf.b.example -all",
		"v=spf1 include:_spf.b.example -ip4:198.51.100.9 include:_spf.a.example -all",
		"v=spf1 -ip4:198.51.100.9 include:_spf.a.example redirect=_spf.b.example",
		"v=spf1 a include:_spf.many.example ~all",
		"v=spf1 include:_spf.r.example include:_spf.v6.example ?all",
		"v=spf1 include:_spf.ptr.example include:_spf.macro.example include:_spf.deep.example include:_spf.b.example -all",
	}
	for _, text := range records {
		t.Run(text, func(t *testing.T) {
			z := flatZone()
			f, err := Flatten(context.Background(), z, "example.com", mustParse(t, text), FlattenOptions{MaxLength: 200})
			if err != nil {
				t.Fatal(err)
			}
			before := z.merge(zone{txt: map[string][]string{"example.com": {text}}})
			after := serve(z, f)
			for _, ip := range probes(before) {
				if b, a := evaluate(before, ip, "example.com", 0), evaluate(after, ip, "example.com", 0); a != b {
					t.Errorf("%v: %s before flattening, %s after (records %+v)", ip, b, a, f.Records)
				}
			}
		})
	}
}
