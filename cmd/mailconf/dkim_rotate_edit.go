package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/internal/hcledit"
	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/schema"
)

// writes reports whether a step changes the configuration.
func (s *rotateStep) writes() bool {
	return s.Outcome == outcomeStep && (len(s.Set) > 0 || s.Action == actionRemove)
}

// edit computes the new text of every file that declares a domain with a
// step to write, in memory: nothing is written here.
func (r *rotation) edit(res *rotateResult) error {
	byFile := map[string][]*rotateDomain{}
	var files []string
	for _, rd := range res.Domains {
		if !slices.ContainsFunc(rd.Steps, (*rotateStep).writes) {
			continue
		}
		if byFile[rd.File] == nil {
			files = append(files, rd.File)
		}
		byFile[rd.File] = append(byFile[rd.File], rd)
	}
	for _, file := range files {
		rf, err := r.editFile(file, byFile[file])
		if err != nil {
			return err
		}
		res.Files = append(res.Files, rf)
	}
	return nil
}

// removal is a dkim block to take out of a domain block.
type removal struct{ domain, selector string }

func (r *rotation) editFile(file string, domains []*rotateDomain) (*rotateFile, error) {
	src, err := regfile.Read(file, regfile.ConfigLimit)
	if err != nil {
		return nil, err
	}
	// The configuration was checked as it was read a moment ago; a file
	// changed since is not edited blind.
	if parsed := r.cfg.Files[file]; parsed == nil || !bytes.Equal(parsed.Bytes, src) {
		return nil, fmt.Errorf("%s changed while rotate ran; run it again", file)
	}
	f, err := hcledit.Parse(src, file)
	if err != nil {
		return nil, err
	}
	rf := &rotateFile{Path: file, before: src, Relaid: !bytes.Equal(hclwrite.Format(src), src)}
	var removals []removal
	for _, rd := range domains {
		block, err := domainBlock(f, rd.d)
		if err != nil {
			return nil, err
		}
		for _, s := range rd.Steps {
			if !s.writes() {
				continue
			}
			switch s.Action {
			case actionRemove:
				removals = append(removals, removal{rd.Name, s.Selector})
			case actionGenerate:
				attrs := make([]hcledit.Attr, len(s.Set))
				for i, a := range s.Set {
					attrs[i] = hcledit.Attr{Name: a.Name, Value: cty.StringVal(a.Value)}
				}
				if _, err := hcledit.AppendBlock(block.Body(), "dkim", []string{s.Selector}, attrs...); err != nil {
					return nil, err
				}
				rf.keys = append(rf.keys, s)
			default:
				kb, err := dkimBlock(block, rd.d, s.Selector, file)
				if err != nil {
					return nil, err
				}
				openOneLineBody(kb.Body())
				for _, a := range s.Set {
					hcledit.SetAttribute(kb.Body(), a.Name, cty.StringVal(a.Value))
				}
			}
		}
	}
	out := f.Bytes()
	if len(removals) > 0 {
		if out, err = removeDKIMBlocks(out, file, removals); err != nil {
			return nil, err
		}
	}
	if _, err := hcledit.Parse(out, file); err != nil {
		return nil, fmt.Errorf("the edited %s would not parse, so it was not written (%w); make the change by hand", file, err)
	}
	rf.after = out
	rf.Diff = fmtUnifiedDiff(file, src, out)
	return rf, nil
}

// openOneLineBody puts the body of a block written on one line,
// dkim "s1" { key_file = "k.pem" }, on lines of its own, so that attributes
// can be added to it: HCL's one-line form holds one attribute at most.
func openOneLineBody(body *hclwrite.Body) {
	for _, t := range body.BuildTokens(nil) {
		if t.Type == hclsyntax.TokenNewline || t.Type == hclsyntax.TokenComment && bytes.HasSuffix(t.Bytes, []byte("\n")) {
			return
		}
	}
	attrs := body.Attributes()
	if len(body.Blocks()) > 0 || len(attrs) > 1 {
		return
	}
	exprs := map[string]hclwrite.Tokens{}
	for name, attr := range attrs {
		exprs[name] = attr.Expr().BuildTokens(nil)
		// Removed first: Clear alone leaves the attribute where
		// SetAttributeRaw finds it, off the page.
		body.RemoveAttribute(name)
	}
	body.Clear()
	body.AppendNewline()
	for name, expr := range exprs {
		body.SetAttributeRaw(name, expr)
	}
}

// matchesDomain reports whether a domain block's labels name d, as the
// configuration reads them: in any case, with a final dot, as Unicode. A
// for_each block's label names no domain.
func matchesDomain(d *schema.Domain, labels []string) bool {
	if len(labels) != 1 {
		return false
	}
	n, bad := schema.NormalizeDomain(labels[0])
	return bad == "" && n == d.Name
}

// domainBlock finds the one domain block of f that declares d.
func domainBlock(f *hclwrite.File, d *schema.Domain) (*hclwrite.Block, error) {
	found := hcledit.FindBlocks(f.Body(), "domain", func(labels []string) bool { return matchesDomain(d, labels) })
	found = slices.DeleteFunc(found, func(b *hclwrite.Block) bool { return b.Body().GetAttribute("for_each") != nil })
	if len(found) != 1 {
		return nil, fmt.Errorf("found %d domain %q blocks in %s where the configuration has one; rotate its keys by hand", len(found), d.Name, d.DeclRange.Filename)
	}
	return found[0], nil
}

// dkimBlock finds the dkim block of selector in a domain block.
func dkimBlock(domain *hclwrite.Block, d *schema.Domain, selector, file string) (*hclwrite.Block, error) {
	found := hcledit.FindBlocks(domain.Body(), "dkim", func(labels []string) bool {
		return len(labels) == 1 && strings.EqualFold(labels[0], selector)
	})
	if len(found) != 1 {
		return nil, fmt.Errorf("found %d dkim %q blocks in domain %q of %s where the configuration has one; change it by hand", len(found), selector, d.Name, file)
	}
	return found[0], nil
}

// removeDKIMBlocks cuts dkim blocks out of src, each with the comment
// lines right above it (which hclwrite, too, takes to belong to the
// block), and leaves no doubled blank line where one was. hclwrite removes
// blocks but not the blank lines around them, so the cut is made on the
// text, with the ranges hclsyntax reads.
func removeDKIMBlocks(src []byte, file string, removals []removal) ([]byte, error) {
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", file, diags.Error())
	}
	body := f.Body.(*hclsyntax.Body)
	type cut struct{ start, end int }
	var cuts []cut
	for _, rm := range removals {
		var found []*hclsyntax.Block
		for _, db := range body.Blocks {
			if db.Type != "domain" || len(db.Labels) != 1 || db.Body.Attributes["for_each"] != nil {
				continue
			}
			if n, bad := schema.NormalizeDomain(db.Labels[0]); bad != "" || n != rm.domain {
				continue
			}
			for _, kb := range db.Body.Blocks {
				if kb.Type == "dkim" && len(kb.Labels) == 1 && strings.EqualFold(kb.Labels[0], rm.selector) {
					found = append(found, kb)
				}
			}
		}
		if len(found) != 1 {
			return nil, fmt.Errorf("found %d dkim %q blocks of %s in %s where the configuration has one; remove it by hand", len(found), rm.selector, rm.domain, file)
		}
		start, end := lineBounds(src, found[0].TypeRange.Start.Byte, found[0].CloseBraceRange.End.Byte)
		cuts = append(cuts, cut{start, end})
	}
	// From the end, so that the offsets of the cuts still to make hold.
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].start > cuts[j].start })
	out := slices.Clone(src)
	for _, c := range cuts {
		pre, post := out[:c.start], out[c.end:]
		before, after := tailLine(pre), headLine(post)
		blankBefore := isBlank(before) || strings.HasSuffix(strings.TrimSpace(before), "{")
		blankAfter := isBlank(after) || strings.HasPrefix(strings.TrimSpace(after), "}")
		switch {
		case blankBefore && isBlank(after) && len(post) > 0:
			post = post[len(after)+1:]
		case blankAfter && isBlank(before) && len(pre) > 0:
			pre = pre[:len(pre)-len(before)-1]
		}
		out = append(slices.Clone(pre), post...)
	}
	return hclwrite.Format(out), nil
}

// lineBounds widens [start, end) to whole lines: back to the start of the
// line, over the comment lines right above, and on past the end of the
// last line's newline.
func lineBounds(src []byte, start, end int) (int, int) {
	start = bytes.LastIndexByte(src[:start], '\n') + 1
	for start > 0 {
		prev := bytes.LastIndexByte(src[:start-1], '\n') + 1
		line := strings.TrimSpace(string(src[prev : start-1]))
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "//") {
			break
		}
		start = prev
	}
	if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
		end += i + 1
	} else {
		end = len(src)
	}
	return start, end
}

// tailLine is the last line of b, which ends in a newline, without it.
func tailLine(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	b = b[:len(b)-1]
	return string(b[bytes.LastIndexByte(b, '\n')+1:])
}

// headLine is the first line of b, without its newline.
func headLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

func isBlank(line string) bool { return strings.TrimSpace(line) == "" }

// rotateBeforeWrite, when set, runs after rotate has decided and before it
// writes anything; tests make a key file appear there.
var rotateBeforeWrite func()

// write makes the new keys, then replaces the edited files. A file that
// cannot be written takes its new keys back with it, so that running
// rotate again starts from where this run started.
func (r *rotation) write(res *rotateResult) error {
	if rotateBeforeWrite != nil {
		rotateBeforeWrite()
	}
	for _, rf := range res.Files {
		for i, s := range rf.keys {
			if err := makeKey(s); err != nil {
				for _, done := range rf.keys[:i] {
					os.Remove(done.path)
				}
				return fmt.Errorf("%w; %s was not edited", err, rf.Path)
			}
		}
		if err := writeConfigFile(rf.Path, rf.after, 0o644); err != nil {
			var kept []string
			for _, s := range rf.keys {
				if rmErr := os.Remove(s.path); rmErr != nil {
					kept = append(kept, s.path)
				}
			}
			if len(kept) > 0 {
				return fmt.Errorf("%w; the new key files %s stay, remove them before running rotate again", err, strings.Join(kept, ", "))
			}
			return fmt.Errorf("%w; its new key files were removed again", err)
		}
		rf.Written = true
	}
	return nil
}

// makeKey generates the key of a generate step and writes its file, as
// keygen does: mode 0600, never replacing a file.
func makeKey(s *rotateStep) error {
	key, err := dkim.GenerateKey(s.Algorithm, dkimRandom)
	if err != nil {
		return err
	}
	pemData, err := dkim.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	err = writeKeyFile(s.path, pemData)
	clear(pemData)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; rotate never replaces a key file", s.path)
	}
	if err != nil {
		return fmt.Errorf("writing the key file of %s: %w", s.Selector, err)
	}
	return nil
}
