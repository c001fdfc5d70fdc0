// Package hcledit changes mailconf's HCL files the way a person editing them
// would: it finds blocks by type and labels, appends blocks and sets
// attributes through hclwrite, so that every comment and every block it does
// not touch stays as written, and it replaces files atomically.
//
// Writing goes through hclwrite, which puts the whole file in canonical
// layout (indentation, alignment of "=", spaces between tokens: what
// terraform fmt does); it never changes anything but whitespace outside the
// parts that were edited.
//
// The package decides nothing about what to write: commands do. It never
// prints, and it reads and writes only the files it is given.
package hcledit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Parse parses src, the native syntax of the file filename, for editing.
// The error holds every syntax error with its position.
func Parse(src []byte, filename string) (*hclwrite.File, error) {
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("hcledit: %s", diags.Error())
	}
	return f, nil
}

// FindBlock returns the first block directly inside body of type typ whose
// labels are exactly labels, or nil. Labels are compared as the strings they
// decode to; matching that normalizes them (case, IDNs) is FindBlocks' job.
func FindBlock(body *hclwrite.Body, typ string, labels ...string) *hclwrite.Block {
	found := FindBlocks(body, typ, func(l []string) bool {
		if len(l) != len(labels) {
			return false
		}
		for i := range l {
			if l[i] != labels[i] {
				return false
			}
		}
		return true
	})
	if len(found) == 0 {
		return nil
	}
	return found[0]
}

// FindBlocks returns the blocks directly inside body of type typ for whose
// labels match reports true, in the order of the file.
func FindBlocks(body *hclwrite.Body, typ string, match func(labels []string) bool) []*hclwrite.Block {
	var out []*hclwrite.Block
	for _, b := range body.Blocks() {
		if b.Type() == typ && match(b.Labels()) {
			out = append(out, b)
		}
	}
	return out
}

// Attr is one attribute of a block that AppendBlock or BlockText makes: the
// literal Value, or, when Expr is set, the HCL expression Expr as it is to
// be written (a template such as "keys/${each.key}.pem", a reference such as
// policy.strict), which Value could not express.
type Attr struct {
	Name  string
	Value cty.Value
	Expr  string
}

// tokens returns the expression tokens of the attribute.
func (a Attr) tokens() (hclwrite.Tokens, error) {
	if a.Expr == "" {
		return hclwrite.TokensForValue(a.Value), nil
	}
	// The expression is parsed as the value of an attribute, which is
	// exactly where it will stand.
	f, diags := hclwrite.ParseConfig([]byte("x = "+a.Expr+"\n"), "expression", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("hcledit: attribute %s: expression %q does not parse: %s", a.Name, a.Expr, diags.Error())
	}
	attr := f.Body().GetAttribute("x")
	if attr == nil || len(f.Body().Attributes()) != 1 || len(f.Body().Blocks()) != 0 {
		return nil, fmt.Errorf("hcledit: attribute %s: %q is not one expression", a.Name, a.Expr)
	}
	return attr.Expr().BuildTokens(nil), nil
}

// AppendBlock appends a new block of type typ with labels and the attributes
// attrs, in that order, at the end of body. When something precedes it in
// body, a blank line separates the two, unless one is there already. A
// block's body written on one line ({} or { a = 1 }) is opened onto several
// lines first; a body without a line break is taken for such a block's, so
// appending to an empty file starts it with a newline. The rest of body is
// left as it is.
//
// Nothing is appended when an attribute's Expr does not parse.
func AppendBlock(body *hclwrite.Body, typ string, labels []string, attrs ...Attr) (*hclwrite.Block, error) {
	block, err := newBlock(typ, labels, attrs)
	if err != nil {
		return nil, err
	}
	toks := body.BuildTokens(nil)
	content, lines := false, false
	for _, t := range toks {
		content = content || t.Type != hclsyntax.TokenNewline
		lines = lines || endsLine(t)
	}
	n := len(toks)
	switch {
	case n == 0:
		// The body of a block written {}: the new block goes on the line
		// after the "{".
		body.AppendNewline()
	case !lines && len(body.Blocks()) == 0 && len(body.Attributes()) == 1:
		// A one-line body, { a = 1 }, holds one attribute and nothing else
		// (HCL's native syntax allows no more). It is rebuilt on lines of
		// its own, which keeps the attribute one that SetAttribute finds.
		for name, attr := range body.Attributes() {
			expr := attr.Expr().BuildTokens(nil)
			body.RemoveAttribute(name)
			body.Clear()
			body.AppendNewline()
			body.SetAttributeRaw(name, expr)
		}
	case !endsLine(toks[n-1]):
		// A file whose last line has no newline.
		body.AppendNewline()
	}
	toks = body.BuildTokens(nil)
	n = len(toks)
	blank := n >= 2 && toks[n-1].Type == hclsyntax.TokenNewline && endsLine(toks[n-2])
	if content && !blank {
		body.AppendNewline()
	}
	body.AppendBlock(block)
	return block, nil
}

func newBlock(typ string, labels []string, attrs []Attr) (*hclwrite.Block, error) {
	block := hclwrite.NewBlock(typ, labels)
	for _, a := range attrs {
		toks, err := a.tokens()
		if err != nil {
			return nil, err
		}
		block.Body().SetAttributeRaw(a.Name, toks)
	}
	return block, nil
}

// endsLine reports whether t ends a line: a newline, or a comment, whose
// token holds the newline that ends it.
func endsLine(t *hclwrite.Token) bool {
	return t.Type == hclsyntax.TokenNewline || t.Type == hclsyntax.TokenComment && bytes.HasSuffix(t.Bytes, []byte("\n"))
}

// SetAttribute sets the attribute name of body to v. An attribute that is
// there already keeps its place and its comments; only its value changes.
// A new one is appended at the end of body.
func SetAttribute(body *hclwrite.Body, name string, v cty.Value) *hclwrite.Attribute {
	return body.SetAttributeValue(name, v)
}

// BlockText renders a block on its own, in canonical layout and ending in a
// newline: the text to show a user who is to add it by hand.
func BlockText(typ string, labels []string, attrs ...Attr) ([]byte, error) {
	block, err := newBlock(typ, labels, attrs)
	if err != nil {
		return nil, err
	}
	f := hclwrite.NewEmptyFile()
	f.Body().AppendBlock(block)
	return f.Bytes(), nil
}

// WriteFileAtomic replaces the file at path with data, so that a reader sees
// either the old content or the new one, never a part, and a crash leaves
// the old file in place: data goes to a temporary file in the same
// directory, which is synced to disk and renamed over path; the directory
// is synced after.
//
// An existing file keeps its permission bits; a new file gets perm. When
// path is a symbolic link, the file it points to is replaced and the link
// stays. The temporary file's name starts with a dot and does not end in
// the file's extension, so that a leftover one is not read as
// configuration; it is removed on every error.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	switch fi, err := os.Stat(path); {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("hcledit: %s is not a regular file", path)
	case err == nil:
		perm = fi.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("hcledit: %w", err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("hcledit: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("hcledit: %w", err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("hcledit: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("hcledit: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hcledit: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("hcledit: %w", err)
	}
	SyncDir(dir)
	return nil
}

// SyncDir flushes a directory's entries to disk, so that a file created or
// renamed in it survives a crash. It is best effort: some systems cannot
// sync a directory, and the file itself is already on disk.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	_ = d.Sync()
}
