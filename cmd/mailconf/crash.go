package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// A crash must never look like an answer. Exit code 2 means "the world
// differs from the declaration" to a pipeline, and the Go runtime exits
// with 2 on an unrecovered panic in any goroutine and on fatal errors
// (stack overflow, out of memory), which no recover can catch. So the
// mailconf process is a small supervisor: it runs itself as a child with
// the same arguments, streams and environment, and the child reports the
// exit code it chose through a pipe just before it exits. A child that
// ends without reporting crashed, and the supervisor turns that into
// "internal error" and exit 1.
//
// A panic on the command's own goroutine is recovered in the child itself
// (runRecovered), so it reads as one line and a stack, and exits 1.

// statusFDEnv names the child's file descriptor for its exit status. It is
// removed from the child's environment as soon as the child reads it.
const statusFDEnv = "MAILCONF_STATUS_FD"

// supervise runs exe with args as the child and returns the exit code the
// process should end with. ok is false when no child could be started; the
// caller then runs the command itself.
func supervise(exe string, args []string, env []string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, false
	}
	defer r.Close()
	child := exec.Command(exe, args...)
	child.Stdin, child.Stdout, child.Stderr = stdin, stdout, stderr
	child.ExtraFiles = []*os.File{w} // fd 3
	child.Env = append(env, statusFDEnv+"=3")

	// Signals sent to this process (SIGTERM from systemd or a CI runner)
	// are passed on; the child decides what they mean. Ctrl-C on a
	// terminal reaches both, which is harmless: the child sees SIGINT
	// twice at most.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	if err := child.Start(); err != nil {
		w.Close()
		return 0, false
	}
	w.Close()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = child.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	waitErr := child.Wait()
	close(done)
	status, _ := io.ReadAll(r)
	if len(status) == 1 {
		return int(status[0]), true
	}
	fmt.Fprintf(stderr, "mailconf: %s\n", describeCrash(waitErr))
	return exitError, true
}

// describeCrash says how a child that did not report its status ended.
func describeCrash(waitErr error) string {
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			switch ws.Signal() {
			case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP:
				return fmt.Sprintf("stopped by %s before it finished", ws.Signal())
			case syscall.SIGKILL:
				return "killed (SIGKILL; out of memory?) before it finished"
			}
			return fmt.Sprintf("internal error: the process died of %s. This is a bug in mailconf; please report it with the output above.", ws.Signal())
		}
		return fmt.Sprintf("internal error: the process crashed (exit status %d). This is a bug in mailconf; please report it with the output above.", ee.ExitCode())
	}
	if waitErr != nil {
		return fmt.Sprintf("internal error: %s", waitErr)
	}
	return "internal error: the process ended without reporting its result. This is a bug in mailconf; please report it."
}

// childStatus returns the status pipe when this process is a supervised
// child, and removes the variable so nothing the child starts inherits it.
func childStatus() *os.File {
	v, ok := os.LookupEnv(statusFDEnv)
	if !ok {
		return nil
	}
	os.Unsetenv(statusFDEnv)
	if v != "3" {
		return nil
	}
	f := os.NewFile(3, "status")
	// Write only to a pipe: a variable set by mistake must not make
	// mailconf write into whatever else fd 3 is.
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return nil
	}
	return f
}

// reportStatus hands the exit code to the supervisor.
func reportStatus(f *os.File, code int) {
	if f != nil {
		_, _ = f.Write([]byte{byte(code)})
		_ = f.Close()
	}
}

// runRecovered executes the root command, turning a panic on its goroutine
// into "internal error" and exit 1.
func runRecovered(e *env, root *cobra.Command) (code int, err error) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(e.stderr, "mailconf: internal error: %v\nThis is a bug in mailconf; please report it with what follows.\n\n%s", v, debug.Stack())
			code, err = exitError, nil
		}
	}()
	return -1, root.Execute()
}
