package schema

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/mailconf/mailconf/internal/regfile"
)

// ref is what a reference such as sender.custom.relay evaluates to. It is a
// capsule, so a reference survives conditionals, lists and for_each maps
// but can never be forged from a string.
type ref struct {
	Kind string // "provider", "sender", "policy"
	Addr string
}

var refType = cty.Capsule("reference", reflect.TypeOf(ref{}))

func refVal(kind, addr string) cty.Value {
	return cty.CapsuleVal(refType, &ref{Kind: kind, Addr: addr})
}

// errUnsetEnv and errFileRead let the loader rewrite HCL's generic
// "Error in function call" into a diagnostic that says what to do.
var (
	errUnsetEnv = errors.New("environment variable is not set")
	errFileRead = errors.New("cannot read file")
)

func (l *loader) functions() map[string]function.Function {
	fns := map[string]function.Function{
		"env": function.New(&function.Spec{
			Description: "The value of an environment variable; an error when it is not set.",
			Params:      []function.Parameter{{Name: "name", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				name := args[0].AsString()
				v, ok := l.opts.LookupEnv(name)
				if !ok {
					return cty.NilVal, fmt.Errorf("%w: %s", errUnsetEnv, name)
				}
				l.cfg.addSecret(v)
				// Values from env() are often secrets: mark them so they
				// can be kept out of anything printed.
				return cty.StringVal(v).Mark(Sensitive), nil
			},
		}),
		"file": function.New(&function.Spec{
			Description: "The contents of a file, relative to the configuration directory.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				p := l.resolvePath(args[0].AsString())
				b, err := l.opts.ReadFile(p, regfile.FileFuncLimit)
				if err != nil {
					return cty.NilVal, fmt.Errorf("%w %s: %s", errFileRead, p, describeFileErr(err))
				}
				l.cfg.addSecret(string(b))
				return cty.StringVal(string(b)).Mark(Sensitive), nil
			},
		}),
		"toset":    toSetFunc,
		"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tostring": stdlib.MakeToFunc(cty.String),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool":   stdlib.MakeToFunc(cty.Bool),
	}
	for name, fn := range map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc,
		"format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "index": stdlib.IndexFunc, "join": stdlib.JoinFunc,
		"jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc,
		"lower": stdlib.LowerFunc, "max": stdlib.MaxFunc, "merge": stdlib.MergeFunc,
		"min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "range": stdlib.RangeFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc, "replace": stdlib.ReplaceFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc,
		"setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc, "substr": stdlib.SubstrFunc,
		"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"upper": stdlib.UpperFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	} {
		fns[name] = fn
	}
	return fns
}

// toSetFunc is HCL's toset with a fast path for the common case of a
// fleet: a list of thousands of domain names. cty's generic conversion
// unifies a tuple's element types pairwise, which is quadratic in the
// number of elements; a tuple of known strings needs none of that.
var toSetFunc = func() function.Function {
	generic := stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType))
	return function.New(&function.Spec{
		Description: generic.Description(),
		Params:      []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true, AllowMarked: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if ty := args[0].Type(); allStrings(ty) {
				return cty.Set(cty.String), nil
			}
			return generic.ReturnType([]cty.Type{args[0].Type()})
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			v := args[0]
			if !allStrings(v.Type()) || !v.IsWhollyKnown() || v.IsNull() {
				return generic.Call(args)
			}
			v, marks := v.Unmark()
			if v.LengthInt() == 0 {
				return cty.SetValEmpty(cty.String).WithMarks(marks), nil
			}
			elems := make([]cty.Value, 0, v.LengthInt())
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if e.IsNull() {
					return generic.Call(args)
				}
				elems = append(elems, e)
			}
			return cty.SetVal(elems).WithMarks(marks), nil
		},
	})
}()

// allStrings reports whether a type is a list, set or tuple of strings.
func allStrings(ty cty.Type) bool {
	switch {
	case ty.IsListType() || ty.IsSetType():
		return ty.ElementType() == cty.String
	case ty.IsTupleType():
		for _, et := range ty.TupleElementTypes() {
			if et != cty.String {
				return false
			}
		}
		return true
	}
	return false
}

// Sensitive marks values that came from env() or file(): they may be
// secrets and must never be printed.
const Sensitive = "sensitive"

func (l *loader) resolvePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.cfg.Dir, p)
}

func describeFileErr(err error) string {
	var re *regfile.Error
	if errors.As(err, &re) {
		return re.Reason()
	}
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return err.Error()
}

// evalContext builds the context every attribute is evaluated in.
func (l *loader) evalContext(vars map[string]cty.Value) *hcl.EvalContext {
	providers := map[string]map[string]cty.Value{}
	for _, p := range l.cfg.Providers {
		if providers[p.Type] == nil {
			providers[p.Type] = map[string]cty.Value{}
		}
		providers[p.Type][p.Name] = refVal("provider", p.Addr())
	}
	senders := map[string]map[string]cty.Value{}
	for _, s := range l.cfg.Senders {
		if senders[s.Type] == nil {
			senders[s.Type] = map[string]cty.Value{}
		}
		senders[s.Type][s.Name] = refVal("sender", s.Addr())
	}
	policies := map[string]cty.Value{}
	for _, p := range l.cfg.Policies {
		policies[p.Name] = refVal("policy", p.Addr())
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":      cty.ObjectVal(vars),
			"provider": nestedObject(providers),
			"sender":   nestedObject(senders),
			"policy":   cty.ObjectVal(policies),
		},
		Functions: l.functions(),
	}
}

func nestedObject(m map[string]map[string]cty.Value) cty.Value {
	out := map[string]cty.Value{}
	for k, v := range m {
		out[k] = cty.ObjectVal(v)
	}
	return cty.ObjectVal(out)
}

func (l *loader) declareVariables(blocks []*hcl.Block) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	ctx := &hcl.EvalContext{Functions: l.functions()}
	for _, b := range blocks {
		name := b.Labels[0]
		diags = append(diags, checkIdent("variable name", name, b.LabelRanges[0])...)
		if prev, ok := l.cfg.Variables[name]; ok {
			diags = append(diags, duplicate("variable", "var."+name, b.DefRange, prev.DeclRange))
			continue
		}
		l.cfg.Variables[name] = &Variable{Name: name, DeclRange: b.DefRange}
		content, ds := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "default", Required: true},
			{Name: "description"},
		}})
		diags = append(diags, ds...)
		attr := content.Attributes["default"]
		if attr == nil {
			vals[name] = cty.DynamicVal
			continue
		}
		if ds := onlyFunctions(attr.Expr); ds.HasErrors() {
			diags = append(diags, ds...)
			vals[name] = cty.DynamicVal
			continue
		}
		v, ds := attr.Expr.Value(ctx)
		diags = append(diags, l.rewriteFunctionDiags(ds)...)
		vals[name] = v
	}
	return vals, diags
}

// onlyFunctions rejects references in a variable's default: defaults are
// evaluated before anything else exists.
func onlyFunctions(expr hcl.Expression) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reference in variable default",
			Detail:   fmt.Sprintf("A variable's default must be a constant; it cannot refer to %s.", traversalString(t)),
			Subject:  t.SourceRange().Ptr(),
		})
	}
	return diags
}

// rewriteFunctionDiags turns failures of env() and file() into
// diagnostics that say what to do.
func (l *loader) rewriteFunctionDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	return explainFunctionDiags(diags, l.cfg.Dir)
}

// ExplainDiags rewrites the diagnostics of expressions evaluated later with
// the configuration's EvalContext (provider blocks, decoded by each
// provider) the way the loader rewrites its own: a failing env() or file()
// says which variable or file and what to do.
func (c *Config) ExplainDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	return explainFunctionDiags(diags, c.Dir)
}

func explainFunctionDiags(diags hcl.Diagnostics, dir string) hcl.Diagnostics {
	for _, d := range diags {
		extra, ok := d.Extra.(hclsyntax.FunctionCallDiagExtra)
		if !ok {
			continue
		}
		err := extra.FunctionCallError()
		switch {
		case errors.Is(err, errUnsetEnv):
			d.Summary = "Unset environment variable"
			d.Detail = fmt.Sprintf("%s. Export it before running mailconf, or give the attribute another value.", capitalize(err.Error()))
		case errors.Is(err, errFileRead):
			d.Summary = "Unreadable file"
			d.Detail = fmt.Sprintf("file(): %s. Paths are relative to the configuration directory %s.", err, dir)
		}
	}
	return diags
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			b.WriteString("[...]")
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// checkRefs reports references to things that are not declared, before
// evaluation, so the user gets "Reference to undeclared sender" with a
// suggestion instead of HCL's generic "Unsupported attribute".
func (l *loader) checkRefs(expr hcl.Expression, inForEach bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		root := t.RootName()
		names := attrNames(t)
		rng := t.SourceRange().Ptr()
		switch root {
		case "provider", "sender":
			var all []string
			if root == "provider" {
				for _, p := range l.cfg.Providers {
					all = append(all, p.Addr())
				}
			} else {
				for _, s := range l.cfg.Senders {
					all = append(all, s.Addr())
				}
			}
			if len(names) < 2 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incomplete reference",
					Detail:   fmt.Sprintf("A %s reference has the form %s.TYPE.NAME, such as %s.", root, root, example(all, root+".TYPE.NAME")),
					Subject:  rng,
				})
				continue
			}
			addr := root + "." + names[0] + "." + names[1]
			if !contains(all, addr) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared " + root,
					Detail:   fmt.Sprintf("No %s %q %q is declared.%s Declare it with a %s block, or fix the reference.", root, names[0], names[1], suggest(addr, all), root),
					Subject:  rng,
				})
			}
		case "policy":
			var all []string
			for _, p := range l.cfg.Policies {
				all = append(all, p.Addr())
			}
			if len(names) < 1 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incomplete reference",
					Detail:   fmt.Sprintf("A policy reference has the form policy.NAME, such as %s.", example(all, "policy.strict")),
					Subject:  rng,
				})
				continue
			}
			if addr := "policy." + names[0]; !contains(all, addr) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared policy",
					Detail:   fmt.Sprintf("No policy %q is declared.%s Declare it with a policy block, or fix the reference.", names[0], suggest(addr, all)),
					Subject:  rng,
				})
			}
		case "var":
			var all []string
			for n := range l.cfg.Variables {
				all = append(all, n)
			}
			sort.Strings(all)
			if len(names) < 1 {
				continue
			}
			if _, ok := l.cfg.Variables[names[0]]; !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared variable",
					Detail:   fmt.Sprintf("No variable %q is declared.%s Declare it with a variable block.", names[0], suggest(names[0], all)),
					Subject:  rng,
				})
			}
		case "each":
			if !inForEach {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  `Reference to "each" outside for_each`,
					Detail:   "each.key and each.value exist only inside a domain block that has for_each. Add for_each to the block or use a literal value.",
					Subject:  rng,
				})
			}
		}
	}
	return diags
}

func attrNames(t hcl.Traversal) []string {
	var out []string
	for _, step := range t[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		out = append(out, a.Name)
	}
	return out
}

func example(all []string, fallback string) string {
	if len(all) > 0 {
		return all[0]
	}
	return fallback
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
