package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/schema"
)

// fmtRunIn runs a command line with dir as the working directory, so that
// the names fmt prints are the relative ones a user sees.
func fmtRunIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Run(strings.Join(args, " "), func(t *testing.T) {
		t.Chdir(dir)
		code, stdout, stderr = runCmd(t, map[string]string{"NO_COLOR": "1"}, args...)
	})
	return code, stdout, stderr
}

// fmtReadDir returns the name and content of every file in dir.
func fmtReadDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, ent := range entries {
		if !ent.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[ent.Name()] = string(b)
	}
	return files
}

func fmtWriteFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}

// TestFmtGolden formats testdata/fmt/unformatted: what --check lists, the
// --check --diff, what fmt prints and writes (testdata/fmt/formatted), and
// that a second run finds nothing to do.
func TestFmtGolden(t *testing.T) {
	work := t.TempDir()
	conf := filepath.Join(work, "conf")
	copyDir(t, filepath.Join("..", "..", "testdata", "fmt", "unformatted"), conf)
	input := fmtReadDir(t, conf)
	_, recordsBefore, _ := runCmd(t, nil, "records", "-c", conf)

	code, out, errOut := fmtRunIn(t, work, "fmt", "-c", "conf", "--check")
	if code != exitError || errOut != "" {
		t.Errorf("fmt --check: exit %d, want %d; stderr:\n%s", code, exitError, errOut)
	}
	golden(t, "fmt/check.txt", out)
	if diff := cmp.Diff(input, fmtReadDir(t, conf)); diff != "" {
		t.Errorf("fmt --check changed files (-before +after):\n%s", diff)
	}

	code, diffOut, errOut := fmtRunIn(t, work, "fmt", "-c", "conf", "--check", "--diff")
	if code != exitError || errOut != "" {
		t.Errorf("fmt --check --diff: exit %d, want %d; stderr:\n%s", code, exitError, errOut)
	}
	golden(t, "fmt/diff.txt", diffOut)
	if diff := cmp.Diff(input, fmtReadDir(t, conf)); diff != "" {
		t.Errorf("fmt --check --diff changed files (-before +after):\n%s", diff)
	}

	code, jsonOut, errOut := fmtRunIn(t, work, "fmt", "-c", "conf", "--check", "--diff", "--format", "json")
	if code != exitError || errOut != "" {
		t.Errorf("fmt --check --diff --format json: exit %d, want %d; stderr:\n%s", code, exitError, errOut)
	}
	golden(t, "fmt/check.json", jsonOut)
	if diff := cmp.Diff(input, fmtReadDir(t, conf)); diff != "" {
		t.Errorf("fmt --check --format json changed files (-before +after):\n%s", diff)
	}

	code, out, errOut = fmtRunIn(t, work, "fmt", "-c", "conf")
	if code != exitOK || errOut != "" {
		t.Errorf("fmt: exit %d, want 0; stderr:\n%s", code, errOut)
	}
	golden(t, "fmt/write.txt", out)
	code, jsonOut, _ = fmtRunIn(t, work, "fmt", "-c", "conf", "--format", "json")
	if code != exitOK || !strings.Contains(jsonOut, `"changed": 0`) {
		t.Errorf("fmt --format json after fmt: exit %d, want 0 and nothing changed:\n%s", code, jsonOut)
	}
	formatted := fmtReadDir(t, conf)
	if diff := cmp.Diff(slices.Sorted(maps.Keys(input)), slices.Sorted(maps.Keys(formatted))); diff != "" {
		t.Errorf("files in the directory (-before +after):\n%s", diff)
	}
	for name, content := range formatted {
		golden(t, "fmt/formatted/"+name, content)
	}

	// The diff is exactly the change fmt makes.
	patched := fmtApplyPatch(t, map[string]string{
		"conf/domains.hcl":   input["domains.hcl"],
		"conf/mailconf.hcl":  input["mailconf.hcl"],
		"conf/variables.hcl": input["variables.hcl"],
	}, diffOut)
	for name, content := range formatted {
		if diff := cmp.Diff(content, patched["conf/"+name]); diff != "" {
			t.Errorf("%s: the diff applied differs from fmt's result (-fmt +diff):\n%s", name, diff)
		}
	}

	// Only whitespace changed: the configuration means the same.
	_, recordsAfter, _ := runCmd(t, nil, "records", "-c", conf)
	if recordsBefore == "" || recordsAfter != recordsBefore {
		t.Errorf("the records changed with the layout:\n%s\n--- after:\n%s", recordsBefore, recordsAfter)
	}

	// Idempotent: nothing left to do.
	for _, args := range [][]string{{"fmt", "-c", "conf"}, {"fmt", "-c", "conf", "--check", "--diff"}} {
		code, out, errOut := fmtRunIn(t, work, args...)
		if code != exitOK || out != "" || errOut != "" {
			t.Errorf("%s on formatted files: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	if diff := cmp.Diff(formatted, fmtReadDir(t, conf)); diff != "" {
		t.Errorf("the second run changed files:\n%s", diff)
	}
}

// TestFmtDiffWrites: --diff without --check prints the diff and writes.
func TestFmtDiffWrites(t *testing.T) {
	work := t.TempDir()
	conf := filepath.Join(work, "conf")
	copyDir(t, filepath.Join("..", "..", "testdata", "fmt", "unformatted"), conf)
	code, out, errOut := fmtRunIn(t, work, "fmt", "-c", "conf", "--diff")
	if code != exitOK || errOut != "" {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	golden(t, "fmt/diff.txt", out)
	for name, content := range fmtReadDir(t, conf) {
		golden(t, "fmt/formatted/"+name, content)
	}
}

// TestFmtGitApply: git, when there is one, applies the diff and gets what
// fmt writes.
func TestFmtGitApply(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	work := t.TempDir()
	conf := filepath.Join(work, "conf")
	copyDir(t, filepath.Join("..", "..", "testdata", "fmt", "unformatted"), conf)
	_, diffOut, _ := fmtRunIn(t, work, "fmt", "-c", "conf", "--check", "--diff")
	cmd := exec.Command(git, "apply", "-p1", "-")
	cmd.Dir = work
	cmd.Stdin = strings.NewReader(diffOut)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %s\n%s", err, out)
	}
	if code, out, _ := fmtRunIn(t, work, "fmt", "-c", "conf", "--check"); code != exitOK {
		t.Errorf("after git apply, fmt --check: exit %d\n%s", code, out)
	}
}

// TestFmtExamples: every example is in canonical layout, and formatting
// one twice changes nothing the second time.
func TestFmtExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if names, _ := filepath.Glob(filepath.Join(dir, "*.hcl")); len(names) == 0 {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, "fmt", "--check", "-c", dir)
			if code != exitOK || out != "" || errOut != "" {
				t.Errorf("fmt --check: exit %d; the example is not in canonical layout (run mailconf fmt -c %s):\n%s%s", code, dir, out, errOut)
			}
			work := t.TempDir()
			copyDir(t, dir, work)
			if code, _, errOut := runCmd(t, nil, "fmt", "-c", work); code != exitOK {
				t.Fatalf("fmt: exit %d\n%s", code, errOut)
			}
			once := fmtReadDir(t, work)
			code, out, errOut = runCmd(t, nil, "fmt", "-c", work)
			if code != exitOK || out != "" || errOut != "" {
				t.Errorf("second fmt: exit %d\n%s%s", code, out, errOut)
			}
			if diff := cmp.Diff(once, fmtReadDir(t, work)); diff != "" {
				t.Errorf("the second fmt changed files:\n%s", diff)
			}
		})
	}
	if n < 4 {
		t.Errorf("only %d examples with *.hcl files", n)
	}
}

// TestFmtFiles: FILE arguments, taken from DIR, restrict fmt to those
// files; anything but a *.hcl file is refused before anything is written.
func TestFmtFiles(t *testing.T) {
	work := t.TempDir()
	conf := filepath.Join(work, "conf")
	copyDir(t, filepath.Join("..", "..", "testdata", "fmt", "unformatted"), conf)
	input := fmtReadDir(t, conf)

	code, out, errOut := fmtRunIn(t, work, "fmt", "-c", "conf", "--check", "mailconf.hcl", "variables.hcl", "mailconf.hcl")
	if code != exitError || out != "conf/mailconf.hcl\n" || errOut != "" {
		t.Errorf("--check with files: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	code, out, errOut = fmtRunIn(t, work, "fmt", filepath.Join("conf", "domains.hcl"))
	if code != exitOK || out != "conf/domains.hcl\n" || errOut != "" {
		t.Errorf("fmt conf/domains.hcl: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	abs := filepath.Join(conf, "mailconf.hcl")
	code, out, errOut = fmtRunIn(t, work, "fmt", "-c", "elsewhere", abs)
	if code != exitOK || out != abs+"\n" || errOut != "" {
		t.Errorf("fmt with an absolute path: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	after := fmtReadDir(t, conf)
	if after["variables.hcl"] != input["variables.hcl"] || after["domains.hcl"] == input["domains.hcl"] || after["mailconf.hcl"] == input["mailconf.hcl"] {
		t.Errorf("the wrong files were formatted")
	}

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"zone file", []string{"fmt", "-c", "conf", "domains.hcl", "zones/example.com.zone"}, []string{"Error: conf/zones/example.com.zone is not a *.hcl file"}},
		{"directory", []string{"fmt", "."}, []string{"Error: . is a directory: format its *.hcl files with -c ."}},
		{"missing file", []string{"fmt", "-c", "conf", "nosuch.hcl"}, []string{
			"conf/nosuch.hcl:1:1: Error: Cannot read configuration file",
			"Reading conf/nosuch.hcl failed: no such file or directory.",
		}},
		{"empty directory", []string{"fmt", "-c", "conf/empty"}, []string{
			"Error: No configuration files",
			"The directory conf/empty holds no *.hcl files.",
		}},
		{"missing directory", []string{"fmt", "-c", "nosuch", "--check"}, []string{
			"Error: Cannot read configuration directory",
			"Listing nosuch failed: no such file or directory.",
		}},
	} {
		if err := os.MkdirAll(filepath.Join(conf, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := fmtRunIn(t, work, tc.args...)
		if code != exitError || out != "" {
			t.Errorf("%s: exit %d, want %d; stdout %q", tc.name, code, exitError, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, errOut)
			}
		}
	}
	if diff := cmp.Diff(after, fmtReadDir(t, conf)); diff != "" {
		t.Errorf("a refused command changed files:\n%s", diff)
	}
}

// TestFmtParseError: a file that does not parse is reported with
// file:line:col and left alone; the other files are formatted; exit 1.
func TestFmtParseError(t *testing.T) {
	work := t.TempDir()
	conf := filepath.Join(work, "conf")
	if err := os.Mkdir(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	broken := "domain \"example.com\" {\n  ttl = = 300\n}\n\npolicy \"p\" {\n  dmarc { policy = \"reject\"\n}\n"
	fmtWriteFile(t, filepath.Join(conf, "broken.hcl"), broken, 0o644)
	fmtWriteFile(t, filepath.Join(conf, "good.hcl"), "domain \"example.net\" {\nparked = true\n}\n", 0o644)

	code, out, errOut := fmtRunIn(t, work, "fmt", "-c", "conf", "--check")
	if code != exitError || out != "conf/good.hcl\n" {
		t.Errorf("--check: exit %d, stdout %q", code, out)
	}
	golden(t, "fmt/parse-error.txt", errOut)

	code, out, errOut2 := fmtRunIn(t, work, "fmt", "-c", "conf")
	if code != exitError || out != "conf/good.hcl\n" || errOut2 != errOut {
		t.Errorf("fmt: exit %d, stdout %q, stderr:\n%s", code, out, errOut2)
	}
	files := fmtReadDir(t, conf)
	if files["broken.hcl"] != broken {
		t.Errorf("the broken file was rewritten:\n%s", files["broken.hcl"])
	}
	if want := "domain \"example.net\" {\n  parked = true\n}\n"; files["good.hcl"] != want {
		t.Errorf("good.hcl = %q, want %q", files["good.hcl"], want)
	}
}

// TestFmtNesting: a file nested deeper than the parser can take is a
// diagnostic, not a crash, at the token where validate puts it; one nested
// as deep as validate accepts is formatted.
func TestFmtNesting(t *testing.T) {
	deep := func(open, inner, close string, n int) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}

	// Parsing this overflows the stack, which kills the process.
	dir := t.TempDir()
	fmtWriteFile(t, filepath.Join(dir, "deep.hcl"), "x = "+deep("(", "1", ")", 200000)+"\n", 0o644)
	code, _, errOut := runCmd(t, nil, "fmt", "-c", dir)
	if want := filepath.Join(dir, "deep.hcl") + fmt.Sprintf(":1:%d", 5+schema.MaxNesting); code != exitError || fmtNestingDiag(errOut) != want {
		t.Errorf("exit %d, want the diagnostic at %s:\n%.2000s", code, want, errOut)
	}

	// Every shape that nests is refused where validate refuses it.
	for _, tc := range []struct {
		name string
		src  func(n int) string
	}{
		{"parentheses", func(n int) string { return "x = " + deep("(", "1", ")", n) }},
		{"brackets", func(n int) string { return "x = " + deep("[", "1", "]", n) }},
		{"objects", func(n int) string { return "x = " + deep("{a=", "1", "}", n) }},
		{"function calls", func(n int) string { return "x = " + deep("max(", "1", ")", n) }},
		{"templates", func(n int) string { return "x = " + deep(`"${`, "1", `}"`, n) }},
		{"blocks", func(n int) string { return deep("a {\n", "", "}\n", n) }},
		{"negation", func(n int) string { return "x = " + strings.Repeat("!", n) + "true" }},
		{"unary minus", func(n int) string { return "x = " + strings.Repeat("- ", n) + "1" }},
		// Not nested: the parser loops over the operators.
		{"subtraction", func(n int) string { return "x = 1" + strings.Repeat(" - 1", n) }},
		{"conditionals", func(n int) string { return "x = " + strings.Repeat("true ? 1 : ", n) + "2" }},
		{"conditionals over lines", func(n int) string { return "x = (" + strings.Repeat("true ? 1 :\n", n) + "2)" }},
		{"splats", func(n int) string { return "x = [1]" + strings.Repeat("[*]", n) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "deep.hcl")
			for _, n := range []int{2 * schema.MaxNesting, schema.MaxNesting + 1, schema.MaxNesting - 2} {
				src := tc.src(n) + "\n"
				fmtWriteFile(t, path, src, 0o644)
				_, _, validateErr := runCmd(t, nil, "validate", "-c", dir)
				code, _, errOut := runCmd(t, nil, "fmt", "-c", dir)
				want := fmtNestingDiag(validateErr)
				if got := fmtNestingDiag(errOut); got != want {
					t.Errorf("n=%d: fmt says %q, validate %q", n, got, want)
				}
				switch {
				case n > schema.MaxNesting && tc.name != "subtraction" && (want == "" || code != exitError):
					t.Errorf("n=%d: exit %d, diagnostic %q", n, code, want)
				case want == "" && code != exitOK:
					t.Errorf("n=%d: exit %d\n%.2000s", n, code, errOut)
				}
				if code != exitOK && fmtReadDir(t, dir)["deep.hcl"] != src {
					t.Errorf("n=%d: the refused file was rewritten", n)
				}
			}
		})
	}
}

// fmtNestingDiag returns the file:line:col of the "Nested too deeply"
// diagnostic in stderr, or "".
func fmtNestingDiag(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if pos, ok := strings.CutSuffix(line, ": Error: Nested too deeply"); ok {
			return pos
		}
	}
	return ""
}

// TestFmtKeepsFile: a rewritten file keeps its permission bits, a symbolic
// link stays a link to the file it names, and no temporary file is left.
func TestFmtKeepsFile(t *testing.T) {
	work := t.TempDir()
	conf := filepath.Join(work, "conf")
	shared := filepath.Join(work, "shared")
	for _, d := range []string{conf, shared} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const messy = "domain \"example.org\" {\nparked = true\n}\n"
	const tidy = "domain \"example.org\" {\n  parked = true\n}\n"
	modes := map[string]os.FileMode{"a.hcl": 0o640, "b.hcl": 0o604, "c.hcl": 0o755}
	for name, mode := range modes {
		fmtWriteFile(t, filepath.Join(conf, name), messy, 0o600)
		// Chmod, not the umask-filtered mode of WriteFile.
		if err := os.Chmod(filepath.Join(conf, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	fmtWriteFile(t, filepath.Join(shared, "policy.hcl"), messy, 0o640)
	if err := os.Symlink(filepath.Join("..", "shared", "policy.hcl"), filepath.Join(conf, "link.hcl")); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := fmtRunIn(t, work, "fmt", "-c", "conf")
	if want := "conf/a.hcl\nconf/b.hcl\nconf/c.hcl\nconf/link.hcl\n"; code != exitOK || out != want {
		t.Errorf("exit %d, stdout %q, want %q; stderr:\n%s", code, out, want, errOut)
	}
	for name, mode := range modes {
		fi, err := os.Stat(filepath.Join(conf, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	fi, err := os.Lstat(filepath.Join(conf, "link.hcl"))
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link.hcl is no longer a symbolic link: %v, %v", fi.Mode(), err)
	}
	if got := fmtReadDir(t, shared); !cmp.Equal(got, map[string]string{"policy.hcl": tidy}) {
		t.Errorf("the link's target: %q", got)
	}
	var names []string
	for _, d := range []string{conf, shared} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range entries {
			names = append(names, ent.Name())
		}
	}
	if diff := cmp.Diff([]string{"a.hcl", "b.hcl", "c.hcl", "link.hcl", "policy.hcl"}, names); diff != "" {
		t.Errorf("files left behind (-want +got):\n%s", diff)
	}
}

// TestFmtWriteError: a file that cannot be replaced is reported, the
// others are formatted, and exit 1.
func TestFmtWriteError(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	work := t.TempDir()
	ro := filepath.Join(work, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	const messy = "domain \"example.org\" {\nparked = true\n}\n"
	fmtWriteFile(t, filepath.Join(ro, "a.hcl"), messy, 0o644)
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	code, out, errOut := fmtRunIn(t, work, "fmt", "-c", "ro")
	if code != exitError || out != "" || !strings.Contains(errOut, "Error: Cannot write configuration file") || !strings.Contains(errOut, "Replacing ro/a.hcl failed: permission denied. The file is unchanged.") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if got := fmtReadDir(t, ro)["a.hcl"]; got != messy {
		t.Errorf("a.hcl changed: %q", got)
	}
}

// TestFmtIrregular: a FIFO or a device named *.hcl is refused without
// blocking, whether in the directory or named as FILE.
func TestFmtIrregular(t *testing.T) {
	conf := t.TempDir()
	pipe, zero := filepath.Join(conf, "pipe.hcl"), filepath.Join(conf, "zero.hcl")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fmtWriteFile(t, filepath.Join(conf, "tidy.hcl"), "variable \"x\" {}\n", 0o644)
	for _, args := range [][]string{
		{"fmt", "-c", conf},
		{"fmt", "-c", conf, "--check", "pipe.hcl", "zero.hcl"},
	} {
		type result struct {
			code        int
			out, errOut string
		}
		done := make(chan result, 1)
		go func() {
			code, out, errOut := runCmd(t, nil, args...)
			done <- result{code, out, errOut}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s blocks", strings.Join(args, " "))
		}
		for _, want := range []string{
			pipe + ":1:1: Error: Cannot read configuration file",
			pipe + " is a FIFO, not a regular file.",
			zero + ":1:1: Error: Cannot read configuration file",
			zero + " is a character device, not a regular file.",
			"2 errors, 0 warnings.",
		} {
			if !strings.Contains(r.errOut, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", strings.Join(args, " "), want, r.errOut)
			}
		}
		if r.code != exitError || r.out != "" {
			t.Errorf("%s: exit %d, want %d; stdout %q", strings.Join(args, " "), r.code, exitError, r.out)
		}
	}
}

// TestFmtCompletion: flags complete; FILE completes *.hcl files through the
// shell, or, with -c DIR, the *.hcl files of DIR not named yet.
func TestFmtCompletion(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.hcl", "b.hcl", "notes.txt"} {
		fmtWriteFile(t, filepath.Join(dir, name), "", 0o644)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"fmt", ""}, []string{"hcl", ":8"}},
		{[]string{"fmt", "-c", ".", "x.hcl", ""}, []string{"hcl", ":8"}},
		{[]string{"fmt", "-c", dir, ""}, []string{"a.hcl", "b.hcl", ":4"}},
		{[]string{"fmt", "-c", dir, "a.hcl", ""}, []string{"b.hcl", ":4"}},
		{[]string{"fmt", "-c", dir, "b"}, []string{"b.hcl", ":4"}},
		{[]string{"fmt", "-c", ""}, []string{":16"}},
	} {
		code, out, errOut := runCmd(t, nil, append([]string{"__complete"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", tc.args, code, errOut)
		}
		if diff := cmp.Diff(tc.want, strings.Split(strings.TrimSpace(out), "\n")); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.args, diff)
		}
	}
	_, out, _ := runCmd(t, nil, "__complete", "fmt", "--")
	for _, flag := range []string{"--check\t", "--diff\t", "--config\t"} {
		if !strings.Contains(out, flag) {
			t.Errorf("flag completion lacks %s:\n%s", flag, out)
		}
	}
}

func TestFmtHelp(t *testing.T) {
	code, out, _ := runCmd(t, nil, "fmt", "--help")
	for _, want := range []string{"mailconf fmt [FILE...] [flags]", "Exit codes: 0", "--check", "--diff", "-c, --config DIR", "Examples:"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("help lacks %q (exit %d):\n%s", want, code, out)
		}
	}
}

func TestFmtUnifiedDiff(t *testing.T) {
	ten := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n"
	for _, tc := range []struct {
		name, before, after, want string
	}{
		{"equal", ten, ten, ""},
		{"empty", "", "", ""},
		{"one line in the middle", ten, strings.Replace(ten, "\n10\n", "\nten\n", 1), `--- a/x.hcl
+++ b/x.hcl
@@ -7,7 +7,7 @@
 7
 8
 9
-10
+ten
 11
 12
 13
`},
		{"first and last line", ten, "one\n" + strings.TrimPrefix(strings.TrimSuffix(ten, "20\n"), "1\n") + "twenty\n", `--- a/x.hcl
+++ b/x.hcl
@@ -1,4 +1,4 @@
-1
+one
 2
 3
 4
@@ -17,4 +17,4 @@
 17
 18
 19
-20
+twenty
`},
		{"six lines apart: one hunk", ten, strings.NewReplacer("\n5\n", "\nfive\n", "\n12\n", "\ntwelve\n").Replace(ten), `--- a/x.hcl
+++ b/x.hcl
@@ -2,14 +2,14 @@
 2
 3
 4
-5
+five
 6
 7
 8
 9
 10
 11
-12
+twelve
 13
 14
 15
`},
		{"seven lines apart: two hunks", ten, strings.NewReplacer("\n5\n", "\nfive\n", "\n13\n", "\nthirteen\n").Replace(ten), `--- a/x.hcl
+++ b/x.hcl
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
@@ -10,7 +10,7 @@
 10
 11
 12
-13
+thirteen
 14
 15
 16
`},
		{"from nothing", "", "a\nb\n", `--- a/x.hcl
+++ b/x.hcl
@@ -0,0 +1,2 @@
+a
+b
`},
		{"to nothing", "a\n", "", `--- a/x.hcl
+++ b/x.hcl
@@ -1 +0,0 @@
-a
`},
		{"insertion", "a\nb\n", "a\nx\nb\n", `--- a/x.hcl
+++ b/x.hcl
@@ -1,2 +1,3 @@
 a
+x
 b
`},
		{"no newline at the end", "a\nb", "a\nb\n", `--- a/x.hcl
+++ b/x.hcl
@@ -1,2 +1,2 @@
 a
-b
\ No newline at end of file
+b
`},
		{"unchanged last line without newline", "a\nb\nc", "x\nb\nc", `--- a/x.hcl
+++ b/x.hcl
@@ -1,3 +1,3 @@
-a
+x
 b
 c
\ No newline at end of file
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fmtUnifiedDiff("x.hcl", []byte(tc.before), []byte(tc.after))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if patched := fmtApplyPatch(t, map[string]string{"x.hcl": tc.before}, got)["x.hcl"]; patched != tc.after {
				t.Errorf("patched = %q, want %q", patched, tc.after)
			}
		})
	}
	if got := fmtUnifiedDiff("/abs/x.hcl", []byte("a\n"), []byte("b\n")); !strings.HasPrefix(got, "--- /abs/x.hcl\n+++ /abs/x.hcl\n@@ -1 +1 @@\n") {
		t.Errorf("absolute name:\n%s", got)
	}
}

// TestFmtUnifiedDiffRandom: on random pairs of files, the diff applies and
// gives the new file, and its edits are as few as can be (the lines of
// neither file less twice their longest common subsequence); past
// maxEdits, the fallback's edits still apply.
func TestFmtUnifiedDiffRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	file := func() string {
		var sb strings.Builder
		for range rng.IntN(16) {
			sb.WriteString([]string{"a\n", "b\n", "c\n", "  }\n", "}\n"}[rng.IntN(5)])
		}
		if rng.IntN(4) == 0 {
			sb.WriteString("end")
		}
		return sb.String()
	}
	for i := range 3000 {
		before, after := file(), file()
		if i%3 == 0 {
			// Same number of lines, as reformatting gives.
			after = strings.NewReplacer("a\n", "  a\n", "}\n", "  }\n").Replace(before)
		}
		a, b := fmtLines([]byte(before)), fmtLines([]byte(after))
		for _, maxEdits := range []int{fmtMaxEdits, 1} {
			ops := fmtEdits(a, b, maxEdits)
			if got := fmtApplyOps(t, a, b, ops); got != after {
				t.Fatalf("maxEdits %d: edits of %q to %q give %q", maxEdits, before, after, got)
			}
			if maxEdits == fmtMaxEdits {
				edits := len(ops) - strings.Count(string(ops), " ")
				if want := len(a) + len(b) - 2*fmtLCS(a, b); edits != want {
					t.Fatalf("%q to %q: %d edits, want %d (%s)", before, after, edits, want, ops)
				}
			}
		}
		d := fmtUnifiedDiff("x.hcl", []byte(before), []byte(after))
		if got := fmtApplyPatch(t, map[string]string{"x.hcl": before}, d)["x.hcl"]; got != after {
			t.Fatalf("the diff of %q to %q gives %q:\n%s", before, after, got, d)
		}
	}
}

// fmtApplyOps applies an edit script to a, checking that it keeps only
// lines a and b share, and returns what it yields.
func fmtApplyOps(t *testing.T, a, b []string, ops []byte) string {
	t.Helper()
	var out strings.Builder
	i, j := 0, 0
	for _, op := range ops {
		switch {
		case op == ' ' && i < len(a) && j < len(b) && a[i] == b[j]:
			out.WriteString(a[i])
			i, j = i+1, j+1
		case op == '-' && i < len(a):
			i++
		case op == '+' && j < len(b):
			out.WriteString(b[j])
			j++
		default:
			t.Fatalf("edit %q at line %d/%d of %q to %q: %s", op, i, j, a, b, ops)
		}
	}
	if i != len(a) || j != len(b) {
		t.Fatalf("edits %s of %q to %q stop at %d/%d", ops, a, b, i, j)
	}
	return out.String()
}

func fmtLCS(a, b []string) int {
	l := make([][]int, len(a)+1)
	for i := range l {
		l[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	return l[0][0]
}

// fmtApplyPatch applies a unified diff to files, by the names after its
// "+++ b/", as patch -p1 does without fuzz: every header count, context
// line and removed line must match.
func fmtApplyPatch(t *testing.T, files map[string]string, diff string) map[string]string {
	t.Helper()
	out := maps.Clone(files)
	lines := strings.SplitAfter(diff, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	i := 0
	next := func() string {
		t.Helper()
		if i >= len(lines) {
			t.Fatalf("the diff ends early:\n%s", diff)
		}
		i++
		return lines[i-1]
	}
	for i < len(lines) {
		from, to := next(), next()
		if !strings.HasPrefix(from, "--- a/") || !strings.HasPrefix(to, "+++ b/") || from[len("--- a/"):] != to[len("+++ b/"):] {
			t.Fatalf("bad file header %q %q", from, to)
		}
		name := strings.TrimSuffix(to[len("+++ b/"):], "\n")
		before, ok := files[name]
		if !ok {
			t.Fatalf("the diff names %s, which is not among %v", name, slices.Sorted(maps.Keys(files)))
		}
		a := fmtLines([]byte(before))
		var b []string
		pos := 0
		for i < len(lines) && strings.HasPrefix(lines[i], "@@ ") {
			h := next()
			var r1, r2 string
			if _, err := fmt.Sscanf(h, "@@ -%s +%s @@\n", &r1, &r2); err != nil {
				t.Fatalf("bad hunk header %q: %v", h, err)
			}
			s1, c1 := fmtParseRange(t, r1)
			s2, c2 := fmtParseRange(t, r2)
			start := s1 - 1
			if c1 == 0 {
				start = s1
			}
			if start < pos || start > len(a) {
				t.Fatalf("hunk %q out of order or past the end", h)
			}
			b = append(b, a[pos:start]...)
			pos = start
			if want := len(b) + 1; c2 == 0 && s2 != len(b) || c2 > 0 && s2 != want {
				t.Fatalf("hunk %q: the new file is at line %d here", h, len(b)+1)
			}
			for c1 > 0 || c2 > 0 {
				l := next()
				op, text := l[0], l[1:]
				if i < len(lines) && lines[i] == "\\ No newline at end of file\n" {
					text = strings.TrimSuffix(text, "\n")
					i++
				}
				if op != '+' && (pos >= len(a) || a[pos] != text) {
					t.Fatalf("hunk %q: line %q does not match line %d of %s", h, l, pos+1, name)
				}
				switch op {
				case ' ':
					b = append(b, text)
					pos++
					c1, c2 = c1-1, c2-1
				case '-':
					pos++
					c1--
				case '+':
					b = append(b, text)
					c2--
				default:
					t.Fatalf("bad line %q", l)
				}
				if c1 < 0 || c2 < 0 {
					t.Fatalf("hunk %q: more lines than its header says", h)
				}
			}
		}
		out[name] = strings.Join(append(b, a[pos:]...), "")
	}
	return out
}

func fmtParseRange(t *testing.T, r string) (start, count int) {
	t.Helper()
	count = 1
	var err error
	if s, c, ok := strings.Cut(r, ","); ok {
		_, err = fmt.Sscanf(s+" "+c, "%d %d", &start, &count)
	} else {
		_, err = fmt.Sscanf(r, "%d", &start)
	}
	if err != nil {
		t.Fatalf("bad range %q: %v", r, err)
	}
	return start, count
}
