package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// childModeEnv makes the test binary act as a supervised mailconf child
// that ends in the named way (see TestMain).
const childModeEnv = "MAILCONF_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv(childModeEnv); ok {
		os.Exit(testChild(mode))
	}
	os.Exit(m.Run())
}

// testChild is what the supervised child does in each mode. Only the
// modes that return report a status, as main does.
func testChild(mode string) int {
	status := childStatus()
	code := 0
	switch mode {
	case "exit0":
	case "exit2":
		code = exitChanges
	case "goroutine-panic":
		go func() { panic("boom in a goroutine") }()
		time.Sleep(time.Minute)
	case "stack-overflow":
		debug.SetMaxStack(32 << 20) // overflow soon, not at 1 GB
		var f func(int) int
		f = func(n int) int { return f(n+1) + 1 }
		f(0)
	case "sigterm":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		os.Stdout.WriteString("ready\n")
		select {
		case <-ctx.Done():
			os.Stdout.WriteString("stopped cleanly\n")
		case <-time.After(time.Minute):
			code = exitError
		}
	case "env":
		if _, leaked := os.LookupEnv(statusFDEnv); leaked {
			code = 3
		}
	}
	reportStatus(status, code)
	return code
}

func superviseMode(t *testing.T, mode string, stdout io.Writer) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code, ok := supervise(os.Args[0], []string{"-test.run=^$"}, append(os.Environ(), childModeEnv+"="+mode), nil, stdout, &stderr)
	if !ok {
		t.Fatal("supervise could not start the child")
	}
	return code, stderr.String()
}

// TestSupervisorExitCodes: a command's own exit code passes through; a
// crash anywhere (a panic on another goroutine, a stack overflow, neither
// recoverable) ends as an internal error with exit 1, never the runtime's
// exit 2, which pipelines read as drift.
func TestSupervisorExitCodes(t *testing.T) {
	tests := []struct {
		mode     string
		code     int
		stderr   []string
		noStderr string
	}{
		{mode: "exit0", code: exitOK},
		{mode: "exit2", code: exitChanges, noStderr: "internal error"},
		{mode: "env", code: exitOK},
		{mode: "goroutine-panic", code: exitError, stderr: []string{"boom in a goroutine", "mailconf: internal error: the process crashed (exit status 2)"}},
		{mode: "stack-overflow", code: exitError, stderr: []string{"stack overflow", "mailconf: internal error: the process crashed (exit status 2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			code, stderr := superviseMode(t, tt.mode, io.Discard)
			if code != tt.code {
				t.Errorf("exit code %d; want %d\n%s", code, tt.code, tail(stderr))
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, tail(stderr))
				}
			}
			if tt.noStderr != "" && strings.Contains(stderr, tt.noStderr) {
				t.Errorf("stderr has %q:\n%s", tt.noStderr, stderr)
			}
		})
	}
}

// TestSupervisorForwardsSignals: SIGTERM sent to the supervisor (as systemd
// or a CI runner sends it) reaches the child, which stops cleanly.
func TestSupervisorForwardsSignals(t *testing.T) {
	pr, pw := io.Pipe()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stderr := superviseMode(t, "sigterm", pw)
		pw.Close()
		done <- result{code, stderr}
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("child did not start: %q", lines.Text())
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || lines.Text() != "stopped cleanly" {
		t.Errorf("child output %q; want it to stop on the forwarded SIGTERM", lines.Text())
	}
	go io.Copy(io.Discard, pr)
	select {
	case r := <-done:
		if r.code != exitOK {
			t.Errorf("exit code %d; want 0\n%s", r.code, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("supervisor did not return")
	}
}

// TestPanicInCommand: a panic on the command's goroutine is recovered:
// "internal error", exit 1.
func TestPanicInCommand(t *testing.T) {
	var stderr bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &stderr, lookupEnv: func(string) (string, bool) { return "", false }}
	root := &cobra.Command{Use: "mailconf", SilenceErrors: true, SilenceUsage: true,
		RunE: func(*cobra.Command, []string) error { panic("boom") }}
	root.SetArgs(nil)
	root.SetOut(io.Discard)
	root.SetErr(&stderr)
	code, err := runRecovered(e, root)
	if err != nil || code != exitError {
		t.Fatalf("runRecovered = %v, %d; want exit %d", err, code, exitError)
	}
	if !strings.Contains(stderr.String(), "mailconf: internal error: boom") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// TestDeeplyNestedConfiguration: the file that used to overflow the stack
// (exit 2 and a Go stack dump) is a diagnostic at file:line:col, exit 1.
func TestDeeplyNestedConfiguration(t *testing.T) {
	dir := t.TempDir()
	src := "variable \"x\" {\n  default = " + strings.Repeat("(", 200000) + "1" + strings.Repeat(")", 200000) + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"validate", "plan"} {
		code, _, stderr := runCmd(t, nil, cmd, "-c", dir)
		if code != exitError {
			t.Errorf("%s: exit %d; want 1", cmd, code)
		}
		if want := filepath.Join(dir, "main.hcl") + ":2:140: Error: Nested too deeply"; !strings.HasPrefix(stderr, want) {
			t.Errorf("%s: stderr starts %q; want %q", cmd, tail(stderr), want)
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
