package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The sender catalog is data, not code: one JSON file per service under
// catalog/, embedded in the binary. Adding a service is adding a file (and
// its golden files); the Go below only reads, checks and applies entries.
//
//go:embed catalog/*.json
var catalogFS embed.FS

// Sender kinds.
const (
	// SenderKindMailbox is a service that receives the domain's mail (and
	// usually sends it too): it has MX records.
	SenderKindMailbox = "mailbox"
	// SenderKindSending is a service that only sends for the domain.
	SenderKindSending = "sending"
)

// Confidence levels of a catalog fact.
const (
	// ConfidenceConfirmed facts were read in the vendor's own
	// documentation or in a Domain Connect template the vendor submitted.
	ConfidenceConfirmed = "confirmed"
	// ConfidenceSecondary facts come from third-party guides, catalogs or
	// public zone files that agree with each other; they carry a note.
	ConfidenceSecondary = "secondary"
)

// DKIM shapes: how a service's DKIM keys reach the DNS.
const (
	// DKIMShapeCNAME: selectors under the domain are CNAMEs to keys the
	// service publishes and rotates.
	DKIMShapeCNAME = "cname"
	// DKIMShapeTXT: the service generates a key and the user pastes its
	// public half, which mailconf publishes as a TXT record.
	DKIMShapeTXT = "txt"
	// DKIMShapeGenerated: the domain's own dkim blocks hold the key
	// (mailconf generates and publishes it; the private key is given to
	// the service), so the sender adds no record.
	DKIMShapeGenerated = "generated"
	// DKIMShapeDelegated: the service signs with keys it publishes in a
	// subdomain zone delegated to it, so the sender adds no DKIM record.
	DKIMShapeDelegated = "delegated"
)

// Parameter types.
const (
	ParamTypeString = "string"
	ParamTypeNumber = "number"
	ParamTypeBool   = "bool"
)

// Record purposes, for display and for the ownership report.
const (
	RecordPurposeReturnPath   = "return-path"
	RecordPurposeTracking     = "tracking"
	RecordPurposeVerification = "verification"
	RecordPurposeDelegation   = "delegation"
	RecordPurposeClient       = "client"
)

// Builtin placeholders stand for the domain a sender is used by. A sender
// block can serve several domains, so they stay unexpanded in
// Sender.Records until ExpandSenderRecord is given the domain.
const (
	PlaceholderDomain       = "{domain}"
	PlaceholderDomainDashed = "{domain_dashed}"
)

var catalogBuiltins = map[string]bool{"domain": true, "domain_dashed": true}

// CatalogEntry is one service of the sender catalog: what mailconf knows
// about the records a `sender "ID"` block needs, each fact with where it
// comes from.
type CatalogEntry struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
	// Confidence is the entry's overall confidence; each field has its own.
	Confidence string `json:"confidence"`
	// Sources are all the sources the entry was compiled from.
	Sources []string `json:"sources"`
	// Notes are caveats for the user: DMARC alignment, alternatives that
	// the entry does not model.
	Notes      []string        `json:"notes,omitempty"`
	Parameters []*CatalogParam `json:"parameters,omitempty"`
	// MX is the mailbox's mail exchangers; nil for sending services.
	MX  *CatalogMX  `json:"mx,omitempty"`
	SPF *CatalogSPF `json:"spf,omitempty"`
	// DKIM are alternatives: the first whose condition holds applies, and
	// only the last may have no condition.
	DKIM []*CatalogDKIM `json:"dkim,omitempty"`
	// Records are the further records: return-path, tracking,
	// verification, delegation.
	Records []*CatalogRecord `json:"records,omitempty"`
}

// CatalogFact is where a catalog field comes from.
type CatalogFact struct {
	Confidence string `json:"confidence"`
	// Note says what is secondary or uncertain about the fact.
	Note    string   `json:"note,omitempty"`
	Sources []string `json:"sources"`
}

// CatalogParam is a value the service issues, given as an attribute of the
// sender block.
type CatalogParam struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Doc is one sentence saying what the value is.
	Doc string `json:"doc"`
	// Where says where in the service's console or API the value is shown.
	Where    string `json:"where,omitempty"`
	Required bool   `json:"required,omitempty"`
	// RequiredWhen makes the parameter required when a condition holds.
	RequiredWhen *CatalogCondition `json:"required_when,omitempty"`
	// Default is the value used when the attribute is absent.
	Default any `json:"default,omitempty"`
	// Example is a value of the right shape, used by `senders show`, the
	// golden tests and diagnostics; never a real customer's value.
	Example any `json:"example"`
	// Enum lists the allowed values of a string parameter.
	Enum []string `json:"enum,omitempty"`
	// Pattern is a regular expression the value (its decimal form for a
	// number) must match; Shape describes it in words.
	Pattern string `json:"pattern,omitempty"`
	Shape   string `json:"shape,omitempty"`
	// TrimPrefix is removed from a value that starts with it, so a user
	// may paste "google-site-verification=abc" or just "abc".
	TrimPrefix string `json:"trim_prefix,omitempty"`

	re *regexp.Regexp
}

// CatalogCondition holds when the parameter is set (a bool parameter:
// true), or, with Equals, when its value is Equals.
type CatalogCondition struct {
	Param  string `json:"param"`
	Equals string `json:"equals,omitempty"`
}

// CatalogConditions hold when each of them holds; no conditions always hold.
type CatalogConditions []*CatalogCondition

func (cs CatalogConditions) String() string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, " and ")
}

func (c *CatalogCondition) String() string {
	if c.Equals != "" {
		return fmt.Sprintf("%s = %q", c.Param, c.Equals)
	}
	return c.Param + " is set"
}

// CatalogMX is a mailbox service's MX records: one set, or sets chosen by
// a parameter whose allowed values are the set names.
type CatalogMX struct {
	Param string          `json:"param,omitempty"`
	Sets  []*CatalogMXSet `json:"sets"`
}

// CatalogMXSet is one set of mail exchangers.
type CatalogMXSet struct {
	Name  string          `json:"name,omitempty"`
	Hosts []CatalogMXHost `json:"hosts"`
	CatalogFact
}

// CatalogMXHost is one mail exchanger; Host may hold {param} placeholders.
type CatalogMXHost struct {
	Host       string `json:"host"`
	Preference int    `json:"preference"`
}

// CatalogSPF is what the service's SPF needs.
type CatalogSPF struct {
	// Includes are the include: domains.
	Includes []string `json:"includes"`
	// At is where the includes go: "@" for the domain's own SPF record
	// (they become Sender.SPF), or a subdomain such as a custom MAIL FROM,
	// whose record is one of Records and is shown here for reference.
	At   string            `json:"at"`
	When CatalogConditions `json:"when,omitempty"`
	CatalogFact
}

// CatalogDKIM is one DKIM shape of a service.
type CatalogDKIM struct {
	Shape string            `json:"shape"`
	When  CatalogConditions `json:"when,omitempty"`
	// Selectors are the CNAME shape's selectors and targets.
	Selectors []CatalogSelector `json:"selectors,omitempty"`
	// Selector is the TXT shape's selector (template).
	Selector string `json:"selector,omitempty"`
	// Key is the TXT shape's parameter holding the public key: the
	// base64 p= value or the whole record. No record is published while
	// it is unset.
	Key string `json:"key,omitempty"`
	// Value is the TXT record for a bare base64 key, with {Key}; empty
	// when the service's record shape is not known, so that the key
	// parameter must hold the whole record.
	Value string `json:"value,omitempty"`
	CatalogFact
}

// CatalogSelector is one CNAME selector: <Name>._domainkey -> Target.
type CatalogSelector struct {
	Name   string `json:"name"`
	Target string `json:"target"`
}

// CatalogRecord is a record template. Name is relative to the domain.
type CatalogRecord struct {
	Purpose string            `json:"purpose"`
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	Values  []string          `json:"values"`
	When    CatalogConditions `json:"when,omitempty"`
	CatalogFact
}

// Param returns the parameter with the given name, or nil.
func (e *CatalogEntry) Param(name string) *CatalogParam {
	for _, p := range e.Parameters {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Facts lists the entry's facts with the field each describes, in the
// order `senders show` prints them.
func (e *CatalogEntry) Facts() []CatalogFieldFact {
	var out []CatalogFieldFact
	if e.MX != nil {
		for _, s := range e.MX.Sets {
			field := "mx"
			if s.Name != "" {
				field += " " + s.Name
			}
			out = append(out, CatalogFieldFact{field, s.CatalogFact})
		}
	}
	if e.SPF != nil {
		out = append(out, CatalogFieldFact{"spf", e.SPF.CatalogFact})
	}
	for _, d := range e.DKIM {
		out = append(out, CatalogFieldFact{"dkim " + d.Shape, d.CatalogFact})
	}
	for _, r := range e.Records {
		out = append(out, CatalogFieldFact{r.Purpose + " " + r.Name + " " + r.Type, r.CatalogFact})
	}
	return out
}

// CatalogFieldFact is a CatalogFact with the field it describes.
type CatalogFieldFact struct {
	Field string
	Fact  CatalogFact
}

// catalog is the parsed, checked catalog; catalogErr is what is wrong with
// the embedded data, for the test that keeps it empty. Entries that fail
// their checks are left out rather than taking the binary down: a broken
// file disables one service, and the test names it.
var (
	catalog    []*CatalogEntry
	catalogErr error
)

func init() {
	catalog, catalogErr = loadCatalog(catalogFS, "catalog")
	for _, e := range catalog {
		senderTypes[e.ID] = e.senderType()
	}
}

// Catalog returns the catalog entries, sorted by id.
func Catalog() []*CatalogEntry {
	return slices.Clone(catalog)
}

// CatalogEntryByID returns the entry with the given id, or nil.
func CatalogEntryByID(id string) *CatalogEntry {
	i := sort.Search(len(catalog), func(i int) bool { return catalog[i].ID >= id })
	if i < len(catalog) && catalog[i].ID == id {
		return catalog[i]
	}
	return nil
}

// SuggestSenderType returns ` Did you mean "x"?` for the known sender type
// nearest to id, or "".
func SuggestSenderType(id string) string {
	return suggest(id, SenderTypes())
}

// loadCatalog reads and checks every *.json file of dir in fsys.
func loadCatalog(fsys fs.FS, dir string) ([]*CatalogEntry, error) {
	paths, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*CatalogEntry
	var errs []error
	seen := map[string]bool{}
	for _, p := range paths {
		e, err := readCatalogEntry(fsys, p)
		if err == nil {
			err = e.check(strings.TrimSuffix(path.Base(p), ".json"))
		}
		if err == nil && seen[e.ID] {
			err = fmt.Errorf("duplicate id %q", e.ID)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		seen[e.ID] = true
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, errors.Join(errs...)
}

func readCatalogEntry(fsys fs.FS, p string) (*CatalogEntry, error) {
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	// Unknown fields are typos in the data; numbers stay json.Number so
	// that an example such as 1234567 prints back as written.
	dec.DisallowUnknownFields()
	dec.UseNumber()
	e := &CatalogEntry{}
	if err := dec.Decode(e); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return e, nil
}

var (
	catalogIDRE          = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	catalogParamNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	catalogPlaceholderRE = regexp.MustCompile(`\{([^{}]*)\}`)
)

// check validates an entry whose file is named base.json.
func (e *CatalogEntry) check(base string) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if e.ID != base {
		fail("id %q does not match the file name %s.json", e.ID, base)
	}
	if !catalogIDRE.MatchString(e.ID) || e.ID == "custom" {
		fail("id %q is not a lower-case identifier other than custom", e.ID)
	}
	if e.Name == "" || e.Summary == "" {
		fail("name and summary are required")
	}
	if e.Kind != SenderKindMailbox && e.Kind != SenderKindSending {
		fail("kind %q is neither %q nor %q", e.Kind, SenderKindMailbox, SenderKindSending)
	}
	if e.Confidence != ConfidenceConfirmed && e.Confidence != ConfidenceSecondary {
		fail("confidence %q is neither %q nor %q", e.Confidence, ConfidenceConfirmed, ConfidenceSecondary)
	}
	if len(e.Sources) == 0 {
		fail("no sources")
	}
	errs = append(errs, e.checkParams()...)
	for _, f := range e.Facts() {
		if err := f.Fact.check(); err != nil {
			fail("%s: %s", f.Field, err)
		}
	}
	errs = append(errs, e.checkMX()...)
	errs = append(errs, e.checkSPF()...)
	errs = append(errs, e.checkDKIM()...)
	errs = append(errs, e.checkRecords()...)
	if len(errs) == 0 {
		// The data is consistent; the examples must also produce valid
		// records, which checks the templates' output, not just their
		// placeholders.
		if _, err := e.Example(); err != nil {
			fail("example: %s", err)
		}
	}
	return errors.Join(errs...)
}

func (f CatalogFact) check() error {
	switch {
	case f.Confidence != ConfidenceConfirmed && f.Confidence != ConfidenceSecondary:
		return fmt.Errorf("confidence %q is neither %q nor %q", f.Confidence, ConfidenceConfirmed, ConfidenceSecondary)
	case f.Confidence == ConfidenceSecondary && f.Note == "":
		return errors.New("a secondary fact needs a note saying what is uncertain")
	case len(f.Sources) == 0:
		return errors.New("no sources")
	}
	for _, s := range f.Sources {
		if strings.TrimSpace(s) == "" {
			return errors.New("empty source")
		}
	}
	return nil
}

func (e *CatalogEntry) checkParams() []error {
	var errs []error
	fail := func(p *CatalogParam, format string, args ...any) {
		errs = append(errs, fmt.Errorf("parameter %s: %s", p.Name, fmt.Sprintf(format, args...)))
	}
	seen := map[string]bool{}
	for _, p := range e.Parameters {
		if !catalogParamNameRE.MatchString(p.Name) || catalogBuiltins[p.Name] {
			fail(p, "the name is not a lower-case HCL identifier, or is a builtin placeholder")
		}
		if seen[p.Name] {
			fail(p, "declared twice")
		}
		seen[p.Name] = true
		if p.Doc == "" {
			fail(p, "no doc")
		}
		switch p.Type {
		case ParamTypeString, ParamTypeNumber, ParamTypeBool:
		default:
			fail(p, "unknown type %q", p.Type)
			continue
		}
		if p.Pattern != "" {
			re, err := regexp.Compile(p.Pattern)
			if err != nil {
				fail(p, "pattern: %s", err)
				continue
			}
			p.re = re
			if p.Shape == "" {
				fail(p, "a pattern needs a shape describing it")
			}
		}
		if len(p.Enum) > 0 && p.Type != ParamTypeString {
			fail(p, "enum on a %s parameter", p.Type)
		}
		if p.TrimPrefix != "" && p.Type != ParamTypeString {
			fail(p, "trim_prefix on a %s parameter", p.Type)
		}
		if p.Required && (p.Default != nil || p.RequiredWhen != nil) {
			fail(p, "a required parameter has neither a default nor required_when")
		}
		if p.Default != nil && p.RequiredWhen != nil {
			fail(p, "a parameter with a default cannot be required_when")
		}
		if p.Example == nil {
			fail(p, "no example")
		} else if _, msg := p.normalize(p.Example); msg != "" {
			fail(p, "example %v %s", p.Example, msg)
		}
		if p.Default != nil {
			if _, msg := p.normalize(p.Default); msg != "" {
				fail(p, "default %v %s", p.Default, msg)
			}
		}
	}
	for _, p := range e.Parameters {
		if c := p.RequiredWhen; c != nil {
			if err := e.checkCondition(c); err != nil {
				fail(p, "required_when: %s", err)
			} else if c.Param == p.Name {
				fail(p, "required_when names the parameter itself")
			}
		}
	}
	return errs
}

// normalize turns a JSON or HCL value of the parameter into its string
// form, or says what is wrong with it.
func (p *CatalogParam) normalize(v any) (string, string) {
	var s string
	switch p.Type {
	case ParamTypeString:
		str, ok := v.(string)
		if !ok {
			return "", "is not a string"
		}
		s = strings.TrimPrefix(strings.TrimSpace(str), p.TrimPrefix)
	case ParamTypeNumber:
		n, ok := v.(json.Number)
		if !ok {
			return "", "is not a number"
		}
		if _, err := n.Int64(); err != nil {
			return "", "is not a whole number"
		}
		s = n.String()
	case ParamTypeBool:
		b, ok := v.(bool)
		if !ok {
			return "", "is not true or false"
		}
		s = fmt.Sprint(b)
	}
	return s, p.checkValue(s)
}

// checkValue checks the string form of a value against the enum and the
// pattern; the result completes "VALUE ...".
func (p *CatalogParam) checkValue(s string) string {
	if s == "" {
		return "is empty"
	}
	if strings.ContainsAny(s, "{}") {
		// Braces would be read as placeholders when the records are
		// expanded for a domain; no service issues them.
		return "contains a brace"
	}
	if len(p.Enum) > 0 && !contains(p.Enum, s) {
		return "is not one of " + quoteCatalogValues(p.Enum)
	}
	if p.re != nil && !p.re.MatchString(s) {
		return "does not have the expected shape: " + p.Shape
	}
	return ""
}

func quoteCatalogValues(list []string) string {
	q := make([]string, len(list))
	for i, v := range list {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func (e *CatalogEntry) checkCondition(c *CatalogCondition) error {
	p := e.Param(c.Param)
	if p == nil {
		return fmt.Errorf("unknown parameter %q", c.Param)
	}
	if c.Equals != "" {
		if p.Type == ParamTypeBool {
			return fmt.Errorf("equals on bool parameter %s; use the parameter alone", p.Name)
		}
		if msg := p.checkValue(c.Equals); msg != "" {
			return fmt.Errorf("%q %s", c.Equals, msg)
		}
	}
	return nil
}

func (e *CatalogEntry) checkConditions(cs CatalogConditions) error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, e.checkCondition(c))
	}
	return errors.Join(errs...)
}

// checkTemplate checks that every placeholder of t is a parameter that has
// a value whenever cond holds (or, with allowBuiltins, a builtin).
func (e *CatalogEntry) checkTemplate(what, t string, cond CatalogConditions, allowBuiltins bool) []error {
	var errs []error
	if strings.Count(t, "{") != strings.Count(t, "}") {
		errs = append(errs, fmt.Errorf("%s %q: unbalanced braces", what, t))
	}
	for _, m := range catalogPlaceholderRE.FindAllStringSubmatch(t, -1) {
		name := m[1]
		if catalogBuiltins[name] {
			if !allowBuiltins {
				errs = append(errs, fmt.Errorf("%s %q: {%s} is only allowed in record values, which are expanded per domain", what, t, name))
			}
			continue
		}
		p := e.Param(name)
		switch {
		case p == nil:
			errs = append(errs, fmt.Errorf("%s %q: {%s} is neither a parameter nor a builtin", what, t, name))
		case p.Type == ParamTypeBool:
			errs = append(errs, fmt.Errorf("%s %q: {%s} is a bool", what, t, name))
		case !p.available(cond):
			errs = append(errs, fmt.Errorf("%s %q: {%s} may be unset when the template applies", what, t, name))
		}
	}
	return errs
}

// available reports whether the parameter has a value whenever the
// conditions hold: it is required or has a default, or one of the
// conditions needs it set or makes it required.
func (p *CatalogParam) available(conds CatalogConditions) bool {
	if p.Required || p.Default != nil {
		return true
	}
	rw := p.RequiredWhen
	for _, c := range conds {
		if c.Param == p.Name || rw != nil && rw.Param == c.Param && (rw.Equals == "" || rw.Equals == c.Equals) {
			return true
		}
	}
	return false
}

func (e *CatalogEntry) checkMX() []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("mx: "+format, args...)) }
	if e.Kind != SenderKindMailbox {
		if e.MX != nil {
			fail("only mailbox services have MX records")
		}
		return errs
	}
	if e.MX == nil || len(e.MX.Sets) == 0 {
		fail("a mailbox service needs its MX records")
		return errs
	}
	if e.MX.Param == "" {
		if len(e.MX.Sets) != 1 || e.MX.Sets[0].Name != "" {
			fail("several sets need a param choosing between them, and a single set no name")
		}
	} else {
		p := e.Param(e.MX.Param)
		var names []string
		for _, s := range e.MX.Sets {
			names = append(names, s.Name)
		}
		if p == nil || p.Default == nil || strings.Join(p.Enum, ",") != strings.Join(names, ",") {
			fail("param %q must be a parameter with a default whose enum lists the set names %v", e.MX.Param, names)
		}
	}
	for _, s := range e.MX.Sets {
		if len(s.Hosts) == 0 {
			fail("set %q has no hosts", s.Name)
		}
		var cond CatalogConditions
		if e.MX.Param != "" {
			cond = CatalogConditions{{Param: e.MX.Param, Equals: s.Name}}
		}
		for _, h := range s.Hosts {
			if h.Preference < 0 || h.Preference > 65535 {
				fail("preference %d of %s is outside 0-65535 (RFC 1035 section 3.3.9)", h.Preference, h.Host)
			}
			errs = append(errs, e.checkTemplate("mx host", h.Host, cond, false)...)
		}
	}
	return errs
}

func (e *CatalogEntry) checkSPF() []error {
	s := e.SPF
	if s == nil {
		return nil
	}
	var errs []error
	if len(s.Includes) == 0 {
		errs = append(errs, errors.New("spf: no includes"))
	}
	if err := e.checkConditions(s.When); err != nil {
		errs = append(errs, fmt.Errorf("spf when: %w", err))
	}
	for _, inc := range s.Includes {
		errs = append(errs, e.checkTemplate("spf include", inc, s.When, false)...)
	}
	errs = append(errs, e.checkTemplate("spf at", s.At, s.When, false)...)
	if s.At == "" {
		errs = append(errs, errors.New(`spf: at is "@" or the subdomain the includes go on`))
	}
	return errs
}

func (e *CatalogEntry) checkDKIM() []error {
	var errs []error
	fail := func(d *CatalogDKIM, format string, args ...any) {
		errs = append(errs, fmt.Errorf("dkim %s: %s", d.Shape, fmt.Sprintf(format, args...)))
	}
	for i, d := range e.DKIM {
		if d.When == nil && i != len(e.DKIM)-1 {
			fail(d, "only the last alternative may have no condition")
		}
		if err := e.checkConditions(d.When); err != nil {
			fail(d, "when: %s", err)
		}
		switch d.Shape {
		case DKIMShapeCNAME:
			if len(d.Selectors) == 0 || d.Selector != "" || d.Key != "" || d.Value != "" {
				fail(d, "needs selectors, and no selector, key or value")
			}
			for _, s := range d.Selectors {
				errs = append(errs, e.checkTemplate("dkim selector", s.Name, d.When, false)...)
				errs = append(errs, e.checkTemplate("dkim target", s.Target, d.When, true)...)
			}
		case DKIMShapeTXT:
			if len(d.Selectors) != 0 || d.Selector == "" || d.Key == "" {
				fail(d, "needs selector and key, and no selectors")
			}
			if p := e.Param(d.Key); p == nil || p.Type != ParamTypeString {
				fail(d, "key %q is not a string parameter", d.Key)
			}
			// The record exists only while the key is set, which is
			// what may make a selector parameter required.
			cond := append(CatalogConditions{{Param: d.Key}}, d.When...)
			errs = append(errs, e.checkTemplate("dkim selector", d.Selector, cond, false)...)
			if d.Value != "" {
				if !strings.Contains(d.Value, "{"+d.Key+"}") {
					fail(d, "value %q does not hold {%s}", d.Value, d.Key)
				}
				errs = append(errs, e.checkTemplate("dkim value", d.Value, cond, false)...)
			}
		case DKIMShapeGenerated, DKIMShapeDelegated:
			if len(d.Selectors) != 0 || d.Selector != "" || d.Key != "" || d.Value != "" {
				fail(d, "publishes no record, so it has no selectors, key or value")
			}
		default:
			fail(d, "unknown shape")
		}
	}
	return errs
}

var catalogRecordTypes = map[string]bool{"CNAME": true, "TXT": true, "MX": true, "NS": true}

func (e *CatalogEntry) checkRecords() []error {
	var errs []error
	for _, r := range e.Records {
		what := r.Name + " " + r.Type
		switch r.Purpose {
		case RecordPurposeReturnPath, RecordPurposeTracking, RecordPurposeVerification, RecordPurposeDelegation, RecordPurposeClient:
		default:
			errs = append(errs, fmt.Errorf("record %s: unknown purpose %q", what, r.Purpose))
		}
		if !catalogRecordTypes[r.Type] {
			errs = append(errs, fmt.Errorf("record %s: type is not one of CNAME, TXT, MX, NS", what))
		}
		if r.Name == "@" && r.Type != "TXT" {
			// A CNAME or NS at the apex would take over the whole zone.
			errs = append(errs, fmt.Errorf("record %s: only TXT records may be at the domain itself", what))
		}
		if len(r.Values) == 0 || (r.Type == "CNAME" && len(r.Values) != 1) {
			errs = append(errs, fmt.Errorf("record %s: needs values (one for a CNAME)", what))
		}
		if err := e.checkConditions(r.When); err != nil {
			errs = append(errs, fmt.Errorf("record %s when: %w", what, err))
		}
		errs = append(errs, e.checkTemplate("record name", r.Name, r.When, false)...)
		for _, v := range r.Values {
			errs = append(errs, e.checkTemplate("record value", v, r.When, true)...)
		}
	}
	return errs
}
