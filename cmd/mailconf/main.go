// Command mailconf makes a domain's mail identity config-as-code: it reads
// HCL, compiles the MX, SPF, DKIM, DMARC, BIMI, MTA-STS and TLS-RPT
// records, and shows, plans and applies them.
//
// This package is the only one that prints. Commands parse flags, call the
// packages and render what they return.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command (DESIGN.md section 6).
const (
	exitOK      = 0 // nothing to do, all good
	exitError   = 1 // mailconf could not do its job: bad config, provider error, I/O
	exitChanges = 2 // the world differs from the declaration
)

// exitErr carries an exit code out of a command whose output is already
// written.
type exitErr struct{ code int }

func (e exitErr) Error() string { return fmt.Sprintf("exit %d", e.code) }

// env is what a command needs from its process, so tests can run commands
// in-process with their own streams and environment.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	lookupEnv      func(string) (string, bool)
	// colorErr: stderr is a terminal, so diagnostics may be coloured.
	colorErr bool
	// interactive: stdin and stdout are a terminal, so apply may ask.
	interactive bool
	// clock, when set, replaces the time of day (tests).
	clock func() time.Time
	// httpClient fetches the MTA-STS policies domains serve; nil (tests
	// that give none) fetches nothing.
	httpClient *http.Client
}

func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock()
	}
	return time.Now()
}

func main() {
	status := childStatus()
	if status == nil {
		if exe, err := os.Executable(); err == nil {
			if code, ok := supervise(exe, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr); ok {
				os.Exit(code)
			}
		}
	}
	e := &env{
		httpClient:  defaultHTTPClient(),
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		stdin:       os.Stdin,
		lookupEnv:   os.LookupEnv,
		colorErr:    isTerminal(os.Stderr),
		interactive: isTerminal(os.Stdin) && isTerminal(os.Stdout),
	}
	code := run(e, os.Args[1:])
	reportStatus(status, code)
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run executes one command line and returns the process exit code.
func run(e *env, args []string) int {
	root := newRootCmd(e)
	root.SetArgs(terraformFlags(args))
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetIn(e.stdin)
	code, err := runRecovered(e, root)
	if code >= 0 {
		return code
	}
	var ee exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(e.stderr, "Error: %s\n", err)
		return exitError
	}
}

// terraformFlags accepts Terraform's single-dash spelling of -out, which
// people type from habit and pipelines copy from Terraform's; the flag
// library only knows --out.
func terraformFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "-out" || strings.HasPrefix(a, "-out=") {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "mailconf",
		Short: "Config-as-code for a domain's mail identity: MX, SPF, DKIM, DMARC, BIMI, MTA-STS, TLS-RPT",
		Long: `mailconf reads mail domains, their senders and policies from HCL files,
compiles them into DNS records, lints them against the RFCs and the live DNS,
plans and applies them through DNS providers touching only the records it
owns, verifies them on every authoritative server, and runs an SMTP relay that
signs with the keys it manages.

Exit codes: 0 all good / nothing to do, 1 mailconf could not do its job,
2 the world differs from the declaration.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newValidateCmd(e),
		newPlanCmd(e),
		newApplyCmd(e),
		newLintCmd(e),
		newRelayCmd(e),
		newVerifyCmd(e),
		newProbeCmd(e),
		newRecordsCmd(e),
		newMTASTSPolicyCmd(e),
		newSendersCmd(e),
		newImportCmd(e),
		newFmtCmd(e),
		newDKIMCmd(e),
		newLabCmd(e),
		newDriftCmd(e),
	)
	return root
}
