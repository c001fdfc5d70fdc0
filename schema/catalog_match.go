package schema

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// TypeSPFInclude is the pseudo type of a LiveRecord that stands for one
// include: term of the domain's own SPF record (Value: the included
// domain), so that a service's include is matched like its records.
const TypeSPFInclude = "SPF-INCLUDE"

// CatalogMatch is a catalog service recognized in a domain's live records:
// the parameter values that make its sender yield records found there,
// and which of them it yields.
type CatalogMatch struct {
	Entry *CatalogEntry
	// Params are the values to write in the sender block: those not equal
	// to the parameter's default, in their string form.
	Params map[string]string
	// Records are the live records the sender yields (indexes into the
	// records given to MatchCatalog), MX and SPF includes among them when
	// MX or SPF are true.
	Records []int
	// MX: the domain's MX records are exactly the service's.
	MX bool
	// SPF are the includes the sender adds to the domain's SPF record.
	SPF []string
}

// Score is how much of the live zone the match explains.
func (m *CatalogMatch) Score() int { return len(m.Records) }

// MatchCatalog finds the catalog services whose records are in a
// domain's live records. Each record's Name is relative to the domain ("@"
// for the domain itself), host names lower case without the trailing dot,
// MX values "PREF HOST"; the includes of the domain's own SPF record come
// as TypeSPFInclude records. A service matches when some parameter values
// make its sender yield only records that are there, at least one of them;
// the best such values (yielding the most records) are returned, best
// matches first. Which of several overlapping matches to keep is the
// caller's choice.
func MatchCatalog(domain string, live []SenderRecord) []*CatalogMatch {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	var out []*CatalogMatch
	for _, e := range Catalog() {
		if m := e.match(domain, live); m != nil {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score() > out[j].Score() })
	return out
}

// Match is MatchCatalog for one entry: nil when the entry's records are
// not live. A record whose Type is "" is never matched, so that a caller
// can take some out and keep the indexes.
func (e *CatalogEntry) Match(domain string, live []SenderRecord) *CatalogMatch {
	return e.match(strings.ToLower(strings.TrimSuffix(domain, ".")), live)
}

// template is one record an entry may yield, with placeholders.
type template struct {
	name, typ, value string
}

func (e *CatalogEntry) templates() []template {
	var ts []template
	if e.MX != nil {
		for _, s := range e.MX.Sets {
			for _, h := range s.Hosts {
				ts = append(ts, template{"@", "MX", strconv.Itoa(h.Preference) + " " + h.Host})
			}
		}
	}
	if s := e.SPF; s != nil && s.At == "@" {
		for _, inc := range s.Includes {
			ts = append(ts, template{"@", TypeSPFInclude, inc})
		}
	}
	for _, d := range e.DKIM {
		switch d.Shape {
		case DKIMShapeCNAME:
			for _, s := range d.Selectors {
				ts = append(ts, template{s.Name + "._domainkey", "CNAME", s.Target})
			}
		case DKIMShapeTXT:
			v := d.Value
			if v == "" {
				v = "{" + d.Key + "}"
			}
			sel := d.Selector
			if p := e.Param(strings.Trim(sel, "{}")); p != nil && sel == "{"+p.Name+"}" && p.Default != nil {
				// Any key at any selector would match a selector that is
				// all parameter: only the service's default one counts.
				sel, _ = p.normalize(p.Default)
			}
			ts = append(ts, template{sel + "._domainkey", "TXT", v})
			// A pasted whole record is the key parameter itself.
			ts = append(ts, template{sel + "._domainkey", "TXT", "{" + d.Key + "}"})
		}
	}
	for _, r := range e.Records {
		for _, v := range r.Values {
			ts = append(ts, template{r.Name, r.Type, v})
		}
	}
	return ts
}

// matcher turns a template into a regular expression whose groups capture
// the parameters; a parameter used twice must capture the same text.
type matcher struct {
	re     *regexp.Regexp
	params []string // by group, from 1
}

// matchers caches the compiled templates that do not name the domain.
var matchers sync.Map // matcherKey -> *matcher

type matcherKey struct {
	entry, template string
	inName          bool
}

func (e *CatalogEntry) compile(domain, t string, inName bool) *matcher {
	if strings.Contains(t, PlaceholderDomain) || strings.Contains(t, PlaceholderDomainDashed) {
		// The domain is part of the text: a captured one could take
		// characters a parameter next to it needs ("{sub}-{domain_dashed}").
		t = strings.NewReplacer(PlaceholderDomain, domain, PlaceholderDomainDashed, strings.ReplaceAll(domain, ".", "-")).Replace(t)
		return e.compileTemplate(t, inName)
	}
	k := matcherKey{e.ID, t, inName}
	if m, ok := matchers.Load(k); ok {
		return m.(*matcher)
	}
	m := e.compileTemplate(t, inName)
	matchers.Store(k, m)
	return m
}

func (e *CatalogEntry) compileTemplate(t string, inName bool) *matcher {
	m := &matcher{}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range catalogPlaceholderRE.FindAllStringIndex(t, -1) {
		b.WriteString(regexp.QuoteMeta(t[last:loc[0]]))
		name := t[loc[0]+1 : loc[1]-1]
		pat := `[^.]+`
		if !inName {
			pat = `.+?`
		}
		if p := e.Param(name); p != nil && p.Pattern != "" {
			pat = nonCapturing(strings.TrimSuffix(strings.TrimPrefix(p.Pattern, "^"), "$"))
		}
		b.WriteString("(" + pat + ")")
		m.params = append(m.params, name)
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(t[last:]))
	b.WriteString("$")
	re, err := regexp.Compile("(?i)" + b.String())
	if err != nil {
		return nil
	}
	m.re = re
	return m
}

// nonCapturing turns the groups of a pattern into non-capturing ones, so
// that the template's own groups keep their numbers.
func nonCapturing(pat string) string {
	var b strings.Builder
	escaped, inClass := false, false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '(' && !inClass && (i+1 >= len(pat) || pat[i+1] != '?'):
			b.WriteString("(?:")
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// captures matches s and returns the parameters' values, or false.
func (m *matcher) captures(s string, into map[string]string) bool {
	sub := m.re.FindStringSubmatch(s)
	if sub == nil {
		return false
	}
	for i, name := range m.params {
		v := sub[i+1]
		if prev, ok := into[name]; ok && prev != v {
			return false
		}
		into[name] = v
	}
	return true
}

func (e *CatalogEntry) match(domain string, live []SenderRecord) *CatalogMatch {
	// Every way each template matches a live record gives parameter
	// values.
	var options [][]map[string]string
	for _, t := range e.templates() {
		nm, vm := e.compile(domain, t.name, true), e.compile(domain, t.value, false)
		if nm == nil || vm == nil {
			continue
		}
		var opts []map[string]string
		for _, r := range live {
			if r.Type != t.typ {
				continue
			}
			caps := map[string]string{}
			if nm.captures(r.Name, caps) && vm.captures(r.Value, caps) {
				opts = append(opts, caps)
			}
		}
		if len(opts) > 0 {
			options = append(options, opts)
		}
	}
	if len(options) == 0 {
		return nil
	}
	// Search the consistent choices, one match per template where one is
	// consistent with those before it, within a budget: several
	// templates of one shape (three DKIM tokens) match each other's
	// records, and only distinct choices explain them all.
	var best *CatalogMatch
	budget := 4096
	var search func(i int, vals map[string]string)
	search = func(i int, vals map[string]string) {
		if budget <= 0 {
			return
		}
		if i == len(options) {
			budget--
			for _, combo := range e.choices(vals) {
				if m := e.try(domain, live, combo); m != nil && (best == nil || m.Score() > best.Score() || m.Score() == best.Score() && len(m.Params) < len(best.Params)) {
					best = m
				}
			}
			return
		}
		took := false
		for _, c := range options[i] {
			if consistent(vals, c) {
				took = true
				next := copyVals(vals)
				for k, v := range c {
					next[k] = v
				}
				search(i+1, next)
			}
		}
		if !took {
			search(i+1, vals)
		}
	}
	search(0, map[string]string{})
	return best
}

func consistent(a, b map[string]string) bool {
	for k, v := range b {
		if prev, ok := a[k]; ok && prev != v {
			return false
		}
	}
	return true
}

// choices extends the captured values with every combination of the
// enumerated and boolean parameters not captured (at most 64).
func (e *CatalogEntry) choices(captured map[string]string) []map[string]string {
	out := []map[string]string{copyVals(captured)}
	for _, p := range e.Parameters {
		if _, ok := captured[p.Name]; ok {
			continue
		}
		var options []string
		switch {
		case p.Type == ParamTypeBool:
			options = []string{"true", "false"}
		case len(p.Enum) > 0:
			options = p.Enum
		default:
			continue
		}
		var next []map[string]string
		for _, base := range out {
			for _, o := range options {
				v := copyVals(base)
				v[p.Name] = o
				next = append(next, v)
			}
		}
		if len(next) > 64 {
			break
		}
		out = next
	}
	return out
}

func copyVals(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// try builds the sender for the values and keeps it when everything it
// yields is live.
func (e *CatalogEntry) try(domain string, live []SenderRecord, given map[string]string) *CatalogMatch {
	vals := map[string]string{}
	for _, p := range e.Parameters {
		v, ok := given[p.Name]
		if !ok {
			if p.Default == nil {
				continue
			}
			v, _ = p.normalize(p.Default)
		} else {
			v = strings.TrimPrefix(v, p.TrimPrefix)
			if p.Type != ParamTypeString {
				v = strings.ToLower(v)
			}
		}
		if msg := p.checkValue(v); msg != "" {
			return nil
		}
		vals[p.Name] = v
	}
	for _, p := range e.Parameters {
		if _, ok := vals[p.Name]; ok {
			continue
		}
		if p.Required || p.RequiredWhen != nil && p.RequiredWhen.holds(vals) {
			return nil
		}
	}
	b, err := e.build(vals)
	if err != nil {
		return nil
	}
	m := &CatalogMatch{Entry: e, Params: map[string]string{}, SPF: b.spf}
	index := func(name, typ, value string) int {
		return slices.IndexFunc(live, func(r SenderRecord) bool {
			return r.Type == typ && strings.EqualFold(r.Name, name) && sameValue(typ, r.Value, value)
		})
	}
	for _, r := range b.records {
		r = ExpandSenderRecord(r, domain)
		i := index(r.Name, r.Type, r.Value)
		if i < 0 || slices.Contains(m.Records, i) {
			// Not live, or a second record yielding the same one: the
			// values are not the service's.
			return nil
		}
		m.Records = append(m.Records, i)
	}
	for _, inc := range b.spf {
		i := index("@", TypeSPFInclude, strings.TrimPrefix(inc, "include:"))
		if i < 0 {
			return nil
		}
		m.Records = append(m.Records, i)
	}
	if len(b.mx) > 0 {
		var mx []int
		liveMX := 0
		for _, r := range live {
			if r.Type == "MX" && r.Name == "@" {
				liveMX++
			}
		}
		for _, h := range b.mx {
			if i := index("@", "MX", strconv.Itoa(int(h.Preference))+" "+h.Host); i >= 0 {
				mx = append(mx, i)
			}
		}
		if len(mx) == len(b.mx) && liveMX == len(b.mx) {
			m.MX = true
			m.Records = append(m.Records, mx...)
		}
	}
	if len(m.Records) == 0 || !e.anchored(b, m) {
		return nil
	}
	for _, p := range e.Parameters {
		v, ok := vals[p.Name]
		if !ok {
			continue
		}
		if p.Default != nil {
			if def, _ := p.normalize(p.Default); def == v {
				continue
			}
		}
		m.Params[p.Name] = v
	}
	sort.Ints(m.Records)
	m.Records = slices.Compact(m.Records)
	return m
}

// anchored reports whether a match rests on something of the service's
// own: its MX, an SPF include, or a record other than a pasted DKIM key at
// a selector the user names, which any key at any name would match.
func (e *CatalogEntry) anchored(b *builtSender, m *CatalogMatch) bool {
	if m.MX || len(b.spf) > 0 {
		return true
	}
	free := ""
	for _, d := range e.DKIM {
		if d.Shape == DKIMShapeTXT && catalogPlaceholderRE.MatchString(d.Selector) {
			free = "TXT"
		}
	}
	for _, r := range b.records {
		if !(free != "" && r.Type == free && strings.HasSuffix(r.Name, "._domainkey")) {
			return true
		}
	}
	return false
}

// sameValue compares values as the DNS does: host names without regard to
// case or a trailing dot.
func sameValue(typ, a, b string) bool {
	switch typ {
	case "TXT":
		return a == b
	}
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// CatalogNames are the names, relative to a domain, at which some catalog
// service publishes a record whatever its parameters ("google._domainkey",
// "autodiscover"): where an import through plain DNS, which cannot list a
// zone, asks.
func CatalogNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range Catalog() {
		for _, t := range e.templates() {
			if t.name == "@" || catalogPlaceholderRE.MatchString(t.name) || seen[t.name] {
				continue
			}
			seen[t.name] = true
			out = append(out, t.name)
		}
	}
	sort.Strings(out)
	return out
}
