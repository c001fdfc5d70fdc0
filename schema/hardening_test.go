package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// deep repeats open n times, then inner, then close n times.
func deep(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// TestDeepNesting: a file nested far deeper than the parser can recurse
// used to kill the process with a stack overflow. Every shape that nests
// by recursion in HCL's parser must be a diagnostic at the token where the
// limit is crossed.
func TestDeepNesting(t *testing.T) {
	const n = 200000
	tests := []struct {
		name string
		src  string
		line int
		col  int
	}{
		{"parentheses", "x = " + deep("(", "1", ")", n), 1, 5 + MaxNesting},
		{"brackets", "x = " + deep("[", "1", "]", n), 1, 5 + MaxNesting},
		{"objects", "x = " + deep("{a=", "1", "}", n), 1, 5 + 3*MaxNesting},
		{"function calls", "x = " + deep("max(", "1", ")", n), 1, 8 + 4*MaxNesting},
		{"templates", "x = " + deep(`"${`, "1", `}"`, n), 1, 197},
		{"blocks", deep("a {\n", "", "}\n", n), MaxNesting + 1, 3},
		{"negation", "x = " + strings.Repeat("!", n) + "true", 1, 5 + MaxNesting},
		{"unary minus", "x = " + strings.Repeat("- ", n) + "1", 1, 5 + 2*MaxNesting},
		{"conditionals", "x = " + strings.Repeat("true ? 1 : ", n) + "2", 1, 5 + 11*MaxNesting + 5},
		{"conditionals over lines", "x = (" + strings.Repeat("true ? 1 :\n", n) + "2)", MaxNesting, 6},
		{"splats", "x = [1]" + strings.Repeat("[*]", n), 1, 8 + 3*(MaxNesting-1) + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadString(t, map[string]string{"main.hcl": tt.src}, nil)
			if len(diags) != 1 || diags[0].Summary != "Nested too deeply" {
				t.Fatalf("diagnostics = %v; want one \"Nested too deeply\"", diags)
			}
			d := diags[0]
			if !strings.Contains(d.Detail, fmt.Sprintf("the limit is %d", MaxNesting)) {
				t.Errorf("detail %q does not state the limit", d.Detail)
			}
			if d.Subject == nil || filepath.Base(d.Subject.Filename) != "main.hcl" ||
				d.Subject.Start.Line != tt.line || d.Subject.Start.Column != tt.col {
				t.Errorf("subject = %v; want main.hcl:%d:%d", d.Subject, tt.line, tt.col)
			}
		})
	}
}

// TestNestingWithinLimit: what real configurations do is not refused, and
// nesting exactly at the limit still parses.
func TestNestingWithinLimit(t *testing.T) {
	cfg := mustLoad(t, map[string]string{
		"main.hcl": `
variable "n" {
  default = ` + deep("(", "1", ")", MaxNesting-2) + `
}
variable "names" {
  default = [for i in range(3) : format("d%d.example", i) if i > -1 && !false]
}
domain "x" {
  for_each = toset(var.names)
  mx {
    host = var.n > 0 ? "mx.${each.key}" : "-${each.key}"
  }
}
`,
	}, nil)
	if got := len(cfg.Domains); got != 3 {
		t.Fatalf("%d domains; want 3", got)
	}
}

// TestUnreadableFiles: every file the configuration names must be a regular
// file under its limit; a FIFO must not hang and /dev/zero must not eat
// memory. Each is a diagnostic naming the file.
func TestUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(big, make([]byte, 5<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   map[string]string
		summary string
		detail  string
	}{
		{
			name:    "key_file is /dev/zero",
			files:   map[string]string{"main.hcl": keyConfig("/dev/zero")},
			summary: "Unreadable DKIM key file",
			detail:  "/dev/zero is a character device, not a regular file",
		},
		{
			name:    "key_file is a FIFO",
			files:   map[string]string{"main.hcl": keyConfig(fifo)},
			summary: "Unreadable DKIM key file",
			detail:  fifo + " is a FIFO, not a regular file",
		},
		{
			name:    "key_file too large",
			files:   map[string]string{"main.hcl": keyConfig(big)},
			summary: "Unreadable DKIM key file",
			detail:  big + " is larger than the limit of 64 KiB",
		},
		{
			name:    "file() of /dev/zero",
			files:   map[string]string{"main.hcl": `variable "x" { default = file("/dev/zero") }`},
			summary: "Unreadable file",
			detail:  "/dev/zero: is a character device, not a regular file",
		},
		{
			name:    "file() too large",
			files:   map[string]string{"main.hcl": `variable "x" { default = file("` + big + `") }`},
			summary: "Unreadable file",
			detail:  big + ": is larger than the limit of 4 MiB",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := loadWithin(t, func() hcl.Diagnostics { _, d := loadString(t, tt.files, nil); return d })
			assertDiag(t, diags, tt.summary, tt.detail)
		})
	}

	t.Run("configuration file is a FIFO", func(t *testing.T) {
		cfgDir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(cfgDir, "main.hcl"), 0o600); err != nil {
			t.Fatal(err)
		}
		diags := loadWithin(t, func() hcl.Diagnostics { _, d := Load(cfgDir, Options{}); return d })
		assertDiag(t, diags, "Cannot read configuration file", "main.hcl is a FIFO, not a regular file")
	})
	t.Run("configuration file is /dev/zero", func(t *testing.T) {
		cfgDir := t.TempDir()
		if err := os.Symlink("/dev/zero", filepath.Join(cfgDir, "main.hcl")); err != nil {
			t.Fatal(err)
		}
		diags := loadWithin(t, func() hcl.Diagnostics { _, d := Load(cfgDir, Options{}); return d })
		assertDiag(t, diags, "Cannot read configuration file", "main.hcl is a character device, not a regular file")
	})
}

func keyConfig(path string) string {
	return "domain \"example.com\" {\n  dkim \"s1\" {\n    key_file = \"" + path + "\"\n  }\n}\n"
}

// loadWithin runs load with a deadline, so a read that blocks fails the
// test instead of hanging the suite.
func loadWithin(t *testing.T, load func() hcl.Diagnostics) hcl.Diagnostics {
	t.Helper()
	done := make(chan hcl.Diagnostics, 1)
	go func() { done <- load() }()
	select {
	case d := <-done:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("loading the configuration blocked")
		return nil
	}
}

func assertDiag(t *testing.T, diags hcl.Diagnostics, summary, detail string) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == summary && strings.Contains(d.Detail, detail) {
			if d.Subject == nil {
				t.Errorf("%q has no source range", summary)
			}
			return
		}
	}
	t.Fatalf("diagnostics = %v; want %q with %q", diags, summary, detail)
}
