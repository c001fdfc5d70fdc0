//go:build linux

package bindtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// NetnsEnv is set, to the namespace's name, in a test binary that Main
// re-executed inside a network namespace; Main does not isolate twice.
const NetnsEnv = "MAILCONF_BINDTEST_NETNS"

// Main runs a package's tests; call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(bindtest.Main(m)) }
//
// Run as root with `ip` and BIND installed, it creates a uniquely named
// network namespace holding only an up loopback (and an
// /etc/netns/<name>/resolv.conf naming 127.0.0.1, so that nothing inside
// resolves through the host's resolver), runs the test binary again inside
// it with `ip netns exec`, passes its exit code through, and deletes the
// namespace and its /etc/netns directory afterwards, whatever happened. The
// servers the tests start can then reach nothing but each other. Otherwise
// (not root, no `ip`, no BIND, or a kernel that refuses namespaces) the
// tests run directly, on the host's loopback; a refused namespace is said on
// stderr.
func Main(m *testing.M) int {
	if _, _, err := Binaries(); err != nil {
		// Every BIND test will skip: there is nothing to isolate.
		return m.Run()
	}
	return Isolate(m)
}

// Isolate is Main for tests that start other servers than BIND: it runs
// the tests inside a fresh network namespace whenever it can (as root, with
// `ip`), whether BIND is installed or not, and otherwise directly. A test
// can tell which happened from NetnsEnv.
func Isolate(m *testing.M) int {
	if os.Getenv(NetnsEnv) != "" || os.Geteuid() != 0 {
		return m.Run()
	}
	ip, err := find("ip")
	if err != nil {
		return m.Run()
	}
	code, err := runInNetns(ip)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bindtest: cannot isolate the tests in a network namespace (%v); running them on the host's loopback\n", err)
		return m.Run()
	}
	return code
}

// runInNetns re-executes the test binary inside a fresh namespace. It
// returns an error only when the namespace could not be set up, before any
// test ran.
func runInNetns(ip string) (code int, err error) {
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return 0, err
	}
	name := fmt.Sprintf("mailconf-test-%d-%s", os.Getpid(), hex.EncodeToString(suffix[:]))
	etcDir := filepath.Join("/etc/netns", name)
	_, statErr := os.Stat("/etc/netns")
	createdEtcNetns := os.IsNotExist(statErr)

	if out, err := exec.Command(ip, "netns", "add", name).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	defer func() {
		killLeftovers(ip, name)
		if out, err := exec.Command(ip, "netns", "delete", name).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "bindtest: ip netns delete %s: %v: %s\n", name, err, strings.TrimSpace(string(out)))
		}
		if err := os.RemoveAll(etcDir); err != nil {
			fmt.Fprintf(os.Stderr, "bindtest: %v\n", err)
		}
		if createdEtcNetns {
			_ = os.Remove("/etc/netns") // only if empty: another run may be using it
		}
	}()
	if out, err := exec.Command(ip, "netns", "exec", name, ip, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bringing lo up: %v: %s", err, strings.TrimSpace(string(out)))
	}
	// `ip netns exec` bind-mounts /etc/netns/<name>/* over /etc, so the
	// tests resolve through the loopback only, never through the host's
	// resolver.
	if err := os.MkdirAll(etcDir, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(etcDir, "resolv.conf"), []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		return 0, err
	}

	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	args := append([]string{"netns", "exec", name, self}, os.Args[1:]...)
	cmd := exec.Command(ip, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), NetnsEnv+"="+name)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	// An interrupt goes to the tests, which then clean up; the namespace
	// is deleted once they have exited.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		if c := exit.ExitCode(); c >= 0 {
			return c, nil
		}
		return 1, nil // killed by a signal
	default:
		fmt.Fprintf(os.Stderr, "bindtest: %v\n", err)
		return 1, nil
	}
}

// killLeftovers ends the processes still in the namespace, such as a named
// whose test was killed before its cleanup ran. The namespace was created
// by this run and has a unique name, so everything in it was started here.
func killLeftovers(ip, name string) {
	out, err := exec.Command(ip, "netns", "pids", name).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
