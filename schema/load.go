package schema

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/mailconf/mailconf/internal/regfile"
)

// Options are the outside world the loader reads. The zero value reads the
// process environment and the file system.
type Options struct {
	// LookupEnv backs the env() function. Defaults to os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// ReadFile reads files named by file() and key_file, refusing any
	// above limit bytes. Defaults to regfile.Read: regular files only.
	ReadFile func(path string, limit int64) ([]byte, error)
}

func (o Options) withDefaults() Options {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.ReadFile == nil {
		o.ReadFile = regfile.Read
	}
	return o
}

// Load reads every *.hcl file of dir as one configuration.
func Load(dir string, opts Options) (*Config, hcl.Diagnostics) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration directory",
			Detail:   fmt.Sprintf("Listing %s failed: %s.", dir, err),
		}}
	}
	if len(paths) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s holds no *.hcl files. Point -c at the directory of your mailconf configuration.", dir),
		}}
	}
	return LoadFiles(dir, paths, opts)
}

// LoadFiles reads the given files as one configuration whose relative paths
// resolve against dir.
func LoadFiles(dir string, paths []string, opts Options) (*Config, hcl.Diagnostics) {
	l := &loader{
		opts:   opts.withDefaults(),
		parser: hclparse.NewParser(),
		cfg: &Config{
			Dir:       dir,
			Variables: map[string]*Variable{},
		},
		providers: map[string]*Provider{},
		senders:   map[string]*Sender{},
		policies:  map[string]*Policy{},
	}
	sort.Strings(paths)
	var diags hcl.Diagnostics
	var bodies []*hcl.BodyContent
	for _, p := range paths {
		f, ds := l.parseFile(p)
		diags = append(diags, ds...)
		if f == nil {
			continue
		}
		content, ds := f.Body.Content(rootSchema)
		diags = append(diags, ds...)
		bodies = append(bodies, content)
	}
	l.cfg.Files = l.parser.Files()
	if diags.HasErrors() {
		return l.cfg, diags
	}
	diags = append(diags, l.load(bodies)...)
	return l.cfg, diags
}

// parseFile reads one configuration file (a regular file of at most
// regfile.ConfigLimit bytes) and parses it once its nesting is known to be
// within what the parser can take.
func (l *loader) parseFile(path string) (*hcl.File, hcl.Diagnostics) {
	src, err := regfile.Read(path, regfile.ConfigLimit)
	if err != nil {
		detail := fmt.Sprintf("Reading %s failed: %s.", path, describeFileErr(err))
		var re *regfile.Error
		if errors.As(err, &re) {
			detail = fmt.Sprintf("%s %s. Configuration files are regular files of at most %s.", path, re.Reason(), regfile.Size(regfile.ConfigLimit))
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration file",
			Detail:   detail,
			Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	if diags := checkNesting(src, path); diags.HasErrors() {
		return nil, diags
	}
	return l.parser.ParseHCL(src, path)
}

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "provider", LabelNames: []string{"type", "name"}},
		{Type: "sender", LabelNames: []string{"type", "name"}},
		{Type: "policy", LabelNames: []string{"name"}},
		{Type: "domain", LabelNames: []string{"name"}},
		{Type: "relay"},
		{Type: "probe"},
	},
}

type loader struct {
	opts   Options
	parser *hclparse.Parser
	cfg    *Config

	providers map[string]*Provider // by address
	senders   map[string]*Sender
	policies  map[string]*Policy
	// senderDefs keeps the bodies of sender blocks until the evaluation
	// context exists.
	senderBodies map[*Sender]hcl.Body
	policyBodies map[*Policy]hcl.Body
}

func (l *loader) load(bodies []*hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byType := map[string][]*hcl.Block{}
	for _, b := range bodies {
		for _, blk := range b.Blocks {
			byType[blk.Type] = append(byType[blk.Type], blk)
		}
	}

	// Variables first: their defaults may use functions, not references.
	varVals, ds := l.declareVariables(byType["variable"])
	diags = append(diags, ds...)

	diags = append(diags, l.declareProviders(byType["provider"])...)
	diags = append(diags, l.declareSenders(byType["sender"])...)
	diags = append(diags, l.declarePolicies(byType["policy"])...)

	ctx := l.evalContext(varVals)
	l.cfg.EvalContext = ctx

	for _, s := range l.cfg.Senders {
		diags = append(diags, l.decodeSender(s, l.senderBodies[s], ctx)...)
	}
	for _, p := range l.cfg.Policies {
		diags = append(diags, l.decodePolicy(p, l.policyBodies[p], ctx)...)
	}
	diags = append(diags, l.decodeDomains(byType["domain"], ctx)...)
	diags = append(diags, l.loadKeys()...)
	diags = append(diags, l.decodeRelay(byType["relay"], ctx)...)
	diags = append(diags, l.checkRelayDomains()...)
	diags = append(diags, l.decodeProbe(byType["probe"], ctx)...)

	sort.Slice(l.cfg.Domains, func(i, j int) bool { return l.cfg.Domains[i].Name < l.cfg.Domains[j].Name })
	return diags
}

func (l *loader) declareProviders(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range blocks {
		p := &Provider{Type: b.Labels[0], Name: b.Labels[1], Body: b.Body, DeclRange: b.DefRange, TypeRange: b.LabelRanges[0]}
		diags = append(diags, checkIdent("provider type", p.Type, b.LabelRanges[0])...)
		diags = append(diags, checkIdent("provider name", p.Name, b.LabelRanges[1])...)
		if prev, ok := l.providers[p.Addr()]; ok {
			diags = append(diags, duplicate("provider", p.Addr(), b.DefRange, prev.DeclRange))
			continue
		}
		l.providers[p.Addr()] = p
		l.cfg.Providers = append(l.cfg.Providers, p)
	}
	sort.Slice(l.cfg.Providers, func(i, j int) bool { return l.cfg.Providers[i].Addr() < l.cfg.Providers[j].Addr() })
	return diags
}

func (l *loader) declareSenders(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.senderBodies = map[*Sender]hcl.Body{}
	for _, b := range blocks {
		s := &Sender{Type: b.Labels[0], Name: b.Labels[1], DeclRange: b.DefRange, TypeRange: b.LabelRanges[0]}
		diags = append(diags, checkIdent("sender name", s.Name, b.LabelRanges[1])...)
		if prev, ok := l.senders[s.Addr()]; ok {
			diags = append(diags, duplicate("sender", s.Addr(), b.DefRange, prev.DeclRange))
			continue
		}
		l.senders[s.Addr()] = s
		l.senderBodies[s] = b.Body
		l.cfg.Senders = append(l.cfg.Senders, s)
	}
	sort.Slice(l.cfg.Senders, func(i, j int) bool { return l.cfg.Senders[i].Addr() < l.cfg.Senders[j].Addr() })
	return diags
}

func (l *loader) declarePolicies(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.policyBodies = map[*Policy]hcl.Body{}
	for _, b := range blocks {
		p := &Policy{Name: b.Labels[0], DeclRange: b.DefRange}
		diags = append(diags, checkIdent("policy name", p.Name, b.LabelRanges[0])...)
		if prev, ok := l.policies[p.Addr()]; ok {
			diags = append(diags, duplicate("policy", p.Addr(), b.DefRange, prev.DeclRange))
			continue
		}
		l.policies[p.Addr()] = p
		l.policyBodies[p] = b.Body
		l.cfg.Policies = append(l.cfg.Policies, p)
	}
	sort.Slice(l.cfg.Policies, func(i, j int) bool { return l.cfg.Policies[i].Name < l.cfg.Policies[j].Name })
	return diags
}

func duplicate(kind, addr string, rng, first hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + kind,
		Detail:   fmt.Sprintf("%s is already declared at %s. Remove one of the two blocks or give this one another name.", addr, first),
		Subject:  rng.Ptr(),
		Context:  first.Ptr(),
	}
}

// checkIdent requires block names usable in references: HCL identifiers.
func checkIdent(what, name string, rng hcl.Range) hcl.Diagnostics {
	if validIdent(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + what,
		Detail:   fmt.Sprintf("%q cannot be used in references. A %s starts with a letter and holds only letters, digits, underscores and dashes.", name, what),
		Subject:  rng.Ptr(),
	}}
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// suggest returns " Did you mean "x"?" for the closest of options, or "".
func suggest(given string, options []string) string {
	best, bestDist := "", 1<<30
	for _, o := range options {
		d := editDistance(strings.ToLower(given), strings.ToLower(o))
		if d < bestDist || d == bestDist && o < best {
			best, bestDist = o, d
		}
	}
	if best == "" || bestDist > 2 && bestDist > len(given)/3 {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
