package schema

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// attrs decodes the attributes of one block body, collecting diagnostics.
type attrs struct {
	l         *loader
	ctx       *hcl.EvalContext
	content   *hcl.BodyContent
	inForEach bool
	diags     hcl.Diagnostics
}

func (a *attrs) errorf(rng hcl.Range, summary, format string, args ...any) {
	a.diags = append(a.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

func (a *attrs) warnf(rng hcl.Range, summary, format string, args ...any) {
	a.diags = append(a.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

// value evaluates an attribute. ok is false when the attribute is absent,
// null, or failed to evaluate (then a diagnostic was recorded).
func (a *attrs) value(name string) (cty.Value, *hcl.Attribute, bool) {
	attr := a.content.Attributes[name]
	if attr == nil {
		return cty.NilVal, nil, false
	}
	if ds := a.l.checkRefs(attr.Expr, a.inForEach); ds.HasErrors() {
		a.diags = append(a.diags, ds...)
		return cty.NilVal, attr, false
	}
	v, ds := attr.Expr.Value(a.ctx)
	a.diags = append(a.diags, a.l.rewriteFunctionDiags(ds)...)
	if ds.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, attr, false
	}
	v, _ = v.UnmarkDeep()
	return v, attr, true
}

func (a *attrs) convert(attr *hcl.Attribute, v cty.Value, want cty.Type, what string) (cty.Value, bool) {
	if v.Type() == refType {
		a.errorf(attr.Expr.Range(), "Incorrect attribute value type", "%s must be %s, not a reference.", attr.Name, what)
		return cty.NilVal, false
	}
	out, err := convert.Convert(v, want)
	if err != nil {
		a.errorf(attr.Expr.Range(), "Incorrect attribute value type", "%s must be %s: %s.", attr.Name, what, err)
		return cty.NilVal, false
	}
	return out, true
}

func (a *attrs) str(name string) Field[string] {
	v, attr, ok := a.value(name)
	if !ok {
		return Field[string]{}
	}
	v, ok = a.convert(attr, v, cty.String, "a string")
	if !ok || v.IsNull() {
		return Field[string]{}
	}
	return Field[string]{Value: v.AsString(), Set: true, Range: attr.Expr.Range()}
}

func (a *attrs) strs(name string) Field[[]string] {
	v, attr, ok := a.value(name)
	if !ok {
		return Field[[]string]{}
	}
	v, ok = a.convert(attr, v, cty.List(cty.String), "a list of strings")
	if !ok || v.IsNull() {
		return Field[[]string]{}
	}
	f := Field[[]string]{Set: true, Range: attr.Expr.Range(), Value: []string{}}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			a.errorf(attr.Expr.Range(), "Null list element", "%s must not contain null.", name)
			return Field[[]string]{}
		}
		f.Value = append(f.Value, e.AsString())
	}
	f.Elems = elemRanges(attr.Expr, len(f.Value))
	return f
}

// elemRanges returns the ranges of a literal list's elements, or nil.
func elemRanges(expr hcl.Expression, n int) []hcl.Range {
	exprs, ds := hcl.ExprList(expr)
	if ds.HasErrors() || len(exprs) != n {
		return nil
	}
	out := make([]hcl.Range, n)
	for i, e := range exprs {
		out[i] = e.Range()
	}
	return out
}

func (a *attrs) integer(name string) Field[int] {
	v, attr, ok := a.value(name)
	if !ok {
		return Field[int]{}
	}
	v, ok = a.convert(attr, v, cty.Number, "a whole number")
	if !ok || v.IsNull() {
		return Field[int]{}
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if acc != big.Exact || i > 1<<40 || i < -(1<<40) {
		a.errorf(attr.Expr.Range(), "Invalid number", "%s must be a whole number; %s is not.", name, bf.Text('g', 10))
		return Field[int]{}
	}
	return Field[int]{Value: int(i), Set: true, Range: attr.Expr.Range()}
}

func (a *attrs) boolean(name string) Field[bool] {
	v, attr, ok := a.value(name)
	if !ok {
		return Field[bool]{}
	}
	v, ok = a.convert(attr, v, cty.Bool, "true or false")
	if !ok || v.IsNull() {
		return Field[bool]{}
	}
	return Field[bool]{Value: v.True(), Set: true, Range: attr.Expr.Range()}
}

// reference evaluates an attribute that must refer to a block of kind.
func (a *attrs) reference(name, kind, form string) (string, hcl.Range, bool) {
	v, attr, ok := a.value(name)
	if !ok {
		return "", hcl.Range{}, false
	}
	addr, ok := a.refOf(attr.Name, attr.Expr.Range(), v, kind, form)
	return addr, attr.Expr.Range(), ok
}

// references evaluates a list of references to blocks of kind.
func (a *attrs) references(name, kind, form string) ([]string, []hcl.Range, hcl.Range, bool) {
	v, attr, ok := a.value(name)
	if !ok {
		return nil, nil, hcl.Range{}, false
	}
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		a.errorf(attr.Expr.Range(), "Incorrect attribute value type", "%s must be a list of references such as [%s].", name, form)
		return nil, nil, hcl.Range{}, false
	}
	var addrs []string
	n := v.LengthInt()
	elems := elemRanges(attr.Expr, n)
	i := 0
	good := true
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		rng := attr.Expr.Range()
		if elems != nil {
			rng = elems[i]
		}
		addr, ok := a.refOf(name, rng, e, kind, form)
		if !ok {
			good = false
			continue
		}
		addrs = append(addrs, addr)
	}
	if elems == nil {
		elems = make([]hcl.Range, len(addrs))
		for i := range elems {
			elems[i] = attr.Expr.Range()
		}
	}
	return addrs, elems, attr.Expr.Range(), good
}

func (a *attrs) refOf(name string, rng hcl.Range, v cty.Value, kind, form string) (string, bool) {
	if v.Type() != refType {
		if v.Type().IsObjectType() {
			a.errorf(rng, "Incomplete reference", "%s must refer to one %s, such as %s; this names a group of blocks.", name, kind, form)
		} else {
			a.errorf(rng, "Invalid reference", "%s must be a reference such as %s (without quotes), not a %s.", name, form, v.Type().FriendlyName())
		}
		return "", false
	}
	r := v.EncapsulatedValue().(*ref)
	if r.Kind != kind {
		a.errorf(rng, "Wrong reference type", "%s must refer to a %s (%s), but %s is a %s.", name, kind, form, r.Addr, r.Kind)
		return "", false
	}
	return r.Addr, true
}

// timestamp decodes an RFC 3339 time, such as "2026-12-06T11:00:00Z", the
// form dkim rotate writes.
func (a *attrs) timestamp(name string) Field[time.Time] {
	s := a.str(name)
	if !s.Set {
		return Field[time.Time]{}
	}
	t, err := time.Parse(time.RFC3339, s.Value)
	if err != nil {
		a.errorf(s.Range, "Invalid timestamp", "%s must be an RFC 3339 time in UTC such as \"2026-12-06T11:00:00Z\", not %q.", name, s.Value)
		return Field[time.Time]{}
	}
	return Field[time.Time]{Value: t.UTC(), Set: true, Range: s.Range}
}

// duration decodes a duration written as a number and a unit: "7d", "36h",
// "90m", or Go's own forms ("1h30m"). d means 24 hours.
func (a *attrs) duration(name string) Field[time.Duration] {
	s := a.str(name)
	if !s.Set {
		return Field[time.Duration]{}
	}
	d, err := ParseDuration(s.Value)
	if err != nil || d <= 0 {
		a.errorf(s.Range, "Invalid duration", "%s must be a positive duration such as \"7d\", \"36h\" or \"90m\", not %q.", name, s.Value)
		return Field[time.Duration]{}
	}
	return Field[time.Duration]{Value: d, Set: true, Range: s.Range}
}

// ParseDuration reads "7d" (days of 24 hours) as well as everything
// time.ParseDuration reads.
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && !strings.ContainsAny(n, "hmsuµn") {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil || days > 36500 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(days * 24 * float64(time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// FormatDuration writes d the way ParseDuration reads it, in whole days
// when it is a whole number of days.
func FormatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
