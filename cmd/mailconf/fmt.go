package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/internal/hcledit"
	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/schema"
)

func newFmtCmd(e *env) *cobra.Command {
	var cf configFlags
	var opts fmtOptions
	cmd := &cobra.Command{
		Use:   "fmt [FILE...]",
		Short: "Rewrite the configuration's HCL files in canonical layout, as terraform fmt does",
		Long: `fmt rewrites the *.hcl files of the configuration directory in HCL's
canonical layout, the one terraform fmt produces: two-space indentation, single
spaces between tokens, and the "=" signs and end-of-line comments of
neighbouring lines aligned. Only whitespace changes; comments, heredocs and
line breaks stay as written.

FILE arguments restrict fmt to those files, which must end in .hcl; relative
paths are taken from DIR, like every path in the configuration. A file is
rewritten only when its layout changes, atomically, keeping its permission
bits; fmt prints the name of each file it changed.

--format json prints one object instead: every file fmt looked at, whether
its layout changed (or would, with --check), whether it was written, and with
--diff the diff; diagnostics still go to stderr.

--check changes nothing and lists the files whose layout would change, for a
pipeline or a pre-commit hook. --diff prints the changes as a unified diff,
which git apply and patch -p1 accept; with --check as well, it changes nothing.

A file that does not parse is reported with its file, line and column and left
as it is; the other files are formatted all the same.

Exit codes: 0 done, or with --check every file is in canonical layout; 1 a file
does not parse or cannot be read or written, or with --check a file would
change.`,
		Example: `  mailconf fmt
  mailconf fmt -c config --check --diff
  mailconf fmt domains.hcl policies.hcl`,
		RunE: func(_ *cobra.Command, args []string) error {
			return runFmt(e, cf.dir, args, opts)
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if filepath.Clean(cf.dir) == "." {
				return []string{"hcl"}, cobra.ShellCompDirectiveFilterFileExt
			}
			// FILE is taken from DIR, which the shell knows nothing of:
			// offer DIR's own *.hcl files.
			names, err := fmtDirFiles(cf.dir)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, n := range names {
				if strings.HasPrefix(n, toComplete) && !slices.Contains(args, n) {
					out = append(out, n)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&opts.check, "check", false, "change nothing: list the files whose layout would change, and exit 1 if there are any")
	cmd.Flags().BoolVar(&opts.diff, "diff", false, "print the changes as a unified diff (with --check, write nothing)")
	cmd.Flags().StringVar(&opts.format, "format", "text", "output `FORMAT`: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("config", func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	return cmd
}

type fmtOptions struct {
	check  bool   // write nothing; exit 1 when a file would change
	diff   bool   // print a unified diff of each change
	format string // text or json
}

// fmtReport is fmt's --format json output.
type fmtReport struct {
	Files []*fmtFileResult `json:"files"`
	// Changed counts the files whose layout changed (or would, with
	// --check); Errors the files that could not be read, parsed or written.
	Changed int `json:"changed"`
	Errors  int `json:"errors"`
}

type fmtFileResult struct {
	File    string `json:"file"`
	Changed bool   `json:"changed"`
	Written bool   `json:"written"`
	Diff    string `json:"diff,omitempty"`
	// Error says why the file was left as it is; the diagnostic with its
	// position goes to stderr.
	Error string `json:"error,omitempty"`
}

func runFmt(e *env, dir string, args []string, o fmtOptions) error {
	switch o.format {
	case "text", "json":
	default:
		return fmt.Errorf("unknown --format %q: use text or json", o.format)
	}
	asJSON := o.format == "json"
	report := &fmtReport{Files: []*fmtFileResult{}}
	names, diags, err := fmtTargets(dir, args)
	if err != nil {
		return err
	}
	// The sources of the files read, for the snippets of diagnostics.
	files := map[string]*hcl.File{}
	out := &errWriter{w: e.stdout}
	changed := false
	if asJSON {
		out = &errWriter{w: io.Discard}
	}
	for _, name := range names {
		res := &fmtFileResult{File: name}
		report.Files = append(report.Files, res)
		f, formatted, ds := fmtFile(name)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			res.Error = ds.Errs()[0].Error()
			report.Errors++
		}
		if f == nil {
			continue
		}
		files[name] = f
		src := f.Bytes
		if ds.HasErrors() || bytes.Equal(src, formatted) {
			continue
		}
		changed = true
		res.Changed = true
		report.Changed++
		if o.diff {
			res.Diff = fmtUnifiedDiff(name, src, formatted)
			out.printf("%s", res.Diff)
		}
		if o.check {
			if !o.diff {
				out.printf("%s\n", name)
			}
			continue
		}
		if err := hcledit.WriteFileAtomic(name, formatted, 0o644); err != nil {
			d := &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot write configuration file",
				Detail:   fmt.Sprintf("Replacing %s failed: %s. The file is unchanged.", name, fmtFileErr(err)),
			}
			diags = append(diags, d)
			res.Error = d.Summary + ": " + d.Detail
			report.Errors++
			continue
		}
		res.Written = true
		// The diff names the file already.
		if !o.diff {
			out.printf("%s\n", name)
		}
	}
	if out.err != nil {
		return out.err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	}
	if err := writeDiags(e, &schema.Config{Files: files}, diags); err != nil {
		return err
	}
	if diags.HasErrors() || o.check && changed {
		return exitErr{exitError}
	}
	return nil
}

// fmtTargets returns the files to format, by the names fmt prints: DIR as
// the user gave it joined with the file's name, so that they work from the
// working directory, as in the diagnostics of every other command. An
// argument fmt must not touch is an error; a directory it cannot list is a
// diagnostic.
func fmtTargets(dir string, args []string) ([]string, hcl.Diagnostics, error) {
	if len(args) == 0 {
		names, err := fmtDirFiles(dir)
		if err != nil {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot read configuration directory",
				Detail:   fmt.Sprintf("Listing %s failed: %s. Point -c at the directory of your mailconf configuration.", dir, fmtFileErr(err)),
			}}, nil
		}
		if len(names) == 0 {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "No configuration files",
				Detail:   fmt.Sprintf("The directory %s holds no *.hcl files. Point -c at the directory of your mailconf configuration.", dir),
			}}, nil
		}
		for i, n := range names {
			names[i] = filepath.Join(dir, n)
		}
		return names, nil, nil
	}
	seen := map[string]bool{}
	var names []string
	for _, a := range args {
		name := a
		if !filepath.IsAbs(a) {
			name = filepath.Join(dir, a)
		}
		// Only configuration files: a zone file or a key named by
		// mistake would not survive an HCL formatter.
		if !strings.HasSuffix(name, ".hcl") {
			if fi, err := os.Stat(name); err == nil && fi.IsDir() {
				return nil, nil, fmt.Errorf("%s is a directory: format its *.hcl files with -c %s", name, name)
			}
			return nil, nil, fmt.Errorf("%s is not a *.hcl file: fmt rewrites only configuration files", name)
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil, nil
}

// fmtDirFiles returns the names of the *.hcl files in dir, sorted: the files
// schema.Load reads as the configuration.
func fmtDirFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ent := range entries {
		if strings.HasSuffix(ent.Name(), ".hcl") {
			names = append(names, ent.Name())
		}
	}
	return names, nil
}

// fmtFile reads and formats one file. It returns the file as parsed, for the
// snippets of diagnostics (nil when it could not be read, or is nested too
// deeply to parse: its snippet could be as long as the file), and its
// canonical layout (nil when the file does not parse: HCL's formatter works
// on tokens and would rearrange a broken file in ways nobody asked for).
func fmtFile(name string) (*hcl.File, []byte, hcl.Diagnostics) {
	src, err := regfile.Read(name, regfile.ConfigLimit)
	if err != nil {
		detail := fmt.Sprintf("Reading %s failed: %s.", name, fmtFileErr(err))
		var re *regfile.Error
		if errors.As(err, &re) {
			detail = fmt.Sprintf("%s %s. Configuration files are regular files of at most %s.", name, re.Reason(), regfile.Size(regfile.ConfigLimit))
		}
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration file",
			Detail:   detail,
			Subject:  &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	if diags := schema.CheckNesting(src, name); diags.HasErrors() {
		return nil, nil, diags
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return f, nil, diags
	}
	return f, hclwrite.Format(src), diags
}

// fmtFileErr is err without the path that the message around it names.
func fmtFileErr(err error) string {
	var re *regfile.Error
	if errors.As(err, &re) {
		return re.Reason()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// fmtContext is the number of unchanged lines a diff shows around each
// change, as diff -u and git diff do.
const fmtContext = 3

// fmtMaxEdits bounds the edit distance fmtEdits searches for the shortest
// edit script: its memory grows with the square of that distance.
const fmtMaxEdits = 2000

// fmtUnifiedDiff returns the changes that turn before into after, both the
// content of the file name, as a unified diff with fmtContext lines of
// context: the format of diff -u and git diff, which patch and git apply
// read. It returns "" when before and after are equal.
func fmtUnifiedDiff(name string, before, after []byte) string {
	a, b := fmtLines(before), fmtLines(after)
	ops := fmtEdits(a, b, fmtMaxEdits)
	var sb strings.Builder
	// Git's a/ and b/ prefixes, so that git apply and patch -p1 find a
	// relative name from the working directory; an absolute name is
	// left as it is.
	from, to := filepath.ToSlash(name), filepath.ToSlash(name)
	if !filepath.IsAbs(name) {
		from, to = "a/"+from, "b/"+to
	}
	// ai[k] and bi[k] are the lines of before and after ahead of ops[k].
	ai, bi := make([]int, len(ops)+1), make([]int, len(ops)+1)
	for k, op := range ops {
		ai[k+1], bi[k+1] = ai[k], bi[k]
		if op != '+' {
			ai[k+1]++
		}
		if op != '-' {
			bi[k+1]++
		}
	}
	for k := 0; k < len(ops); {
		if ops[k] == ' ' {
			k++
			continue
		}
		// A hunk runs from fmtContext lines before this change to
		// fmtContext lines after the last change that is no more than
		// 2*fmtContext unchanged lines from the one before it.
		start := max(0, k-fmtContext)
		end, same := k, 0
		for j := k; j < len(ops) && same <= 2*fmtContext; j++ {
			if ops[j] == ' ' {
				same++
			} else {
				end, same = j+1, 0
			}
		}
		stop := min(len(ops), end+fmtContext)
		if sb.Len() == 0 {
			fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", fmtHunkRange(ai[start], ai[stop]), fmtHunkRange(bi[start], bi[stop]))
		for j := start; j < stop; j++ {
			var line string
			if ops[j] == '-' {
				line = a[ai[j]]
			} else {
				line = b[bi[j]]
			}
			sb.WriteByte(ops[j])
			sb.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		k = stop
	}
	return sb.String()
}

// fmtHunkRange prints lines [from, to) of a file, counted from 0, as a hunk
// header does: "start,count" counted from 1, "start" alone for one line,
// and for no lines the line before them and 0.
func fmtHunkRange(from, to int) string {
	switch n := to - from; n {
	case 0:
		return fmt.Sprintf("%d,0", from)
	case 1:
		return fmt.Sprint(from + 1)
	default:
		return fmt.Sprintf("%d,%d", from+1, n)
	}
}

// fmtLines splits s into lines that keep their "\n"; only the last may
// lack one.
func fmtLines(s []byte) []string {
	var lines []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, string(s[:i]))
		s = s[i:]
	}
	return lines
}

// fmtEdits returns an edit script that turns a into b: one op per line,
// ' ' for a line both have, '-' for a line of a removed, '+' for a line of b
// inserted, removals before insertions where both meet. It is a shortest
// one (Myers, "An O(ND) Difference Algorithm and Its Variations", 1986)
// unless more than maxEdits lines differ between the common head and tail;
// then the lines between them are paired by position when a and b have as
// many, which is what reformatting does (it changes whitespace only, never
// line breaks), and otherwise all replaced.
func fmtEdits(a, b []string, maxEdits int) []byte {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	ops := bytes.Repeat([]byte{' '}, head)
	ma, mb := a[head:len(a)-tail], b[head:len(b)-tail]
	if mid, ok := fmtMyers(ma, mb, maxEdits); ok {
		ops = append(ops, mid...)
	} else if len(ma) == len(mb) {
		for i := range ma {
			if ma[i] == mb[i] {
				ops = append(ops, ' ')
			} else {
				ops = append(ops, '-', '+')
			}
		}
	} else {
		ops = append(ops, bytes.Repeat([]byte{'-'}, len(ma))...)
		ops = append(ops, bytes.Repeat([]byte{'+'}, len(mb))...)
	}
	return append(ops, bytes.Repeat([]byte{' '}, tail)...)
}

// fmtMyers is the greedy forward search of Myers' paper, which keeps the
// furthest point reached on each diagonal for each edit distance d and
// walks back through them; ok is false when a and b differ by more than
// maxEdits lines.
func fmtMyers(a, b []string, maxEdits int) (ops []byte, ok bool) {
	n, m := len(a), len(b)
	// v[off+k] is the furthest x reached on diagonal k = x - y.
	off := n + m + 1
	v := make([]int, 2*off+1)
	// trace[d] holds v[off-d : off+d+1] as it was before step d.
	var trace [][]int
	for d := 0; d <= n+m; d++ {
		if d > maxEdits {
			return nil, false
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1] // down from diagonal k+1: insert b[y-1]
			} else {
				x = v[off+k-1] + 1 // right from diagonal k-1: remove a[x-1]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return fmtBacktrack(trace, n, m), true
			}
		}
	}
	panic("unreachable: a and b differ by at most len(a)+len(b) lines")
}

// fmtBacktrack walks from (n, m) back to (0, 0) through the furthest points
// of trace and returns the edits in order.
func fmtBacktrack(trace [][]int, n, m int) []byte {
	var rev []byte
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d] // prev[d+k] is v[k] before step d
		k := x - y
		var pk int
		if k == -d || k != d && prev[d+k-1] < prev[d+k+1] {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := prev[d+pk]
		py := px - pk
		for x > px && y > py {
			rev = append(rev, ' ')
			x, y = x-1, y-1
		}
		if pk == k+1 {
			rev = append(rev, '+')
		} else {
			rev = append(rev, '-')
		}
		x, y = px, py
	}
	for ; x > 0; x-- {
		rev = append(rev, ' ')
	}
	ops := make([]byte, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}
