//go:build interop

package interop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers/rfc2136/bindtest"
)

// RequireEnv turns a missing server, program or network namespace into a
// failure instead of a skip; CI sets it to 1, so that a broken set-up
// cannot pass silently.
const RequireEnv = "MAILCONF_REQUIRE_INTEROP"

// The TSIG key every server is given; the secret is fresh for each server.
const (
	keyName   = "mailconf-key"
	algorithm = "hmac-sha256"
)

// tsigKey is a TSIG key (RFC 8945); secret is base64.
type tsigKey struct{ name, algorithm, secret string }

// zone is a primary zone a server holds when it starts.
type zone struct {
	// name is the zone name without the trailing dot.
	name string
	// records are master-file lines (RFC 1035 section 5) with absolute
	// names, added after the SOA, the NS ns1 and ns1's address 127.0.0.1.
	records string
}

// masterFile is z as a master file, the same for every implementation:
// what bindtest writes for BIND.
func (z zone) masterFile() string {
	return fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hostmaster ( 1 3600 600 86400 300 )\n@ IN NS ns1\nns1 IN A 127.0.0.1\n%s", z.name, z.records)
}

// server is a running DNS server that accepts updates and zone transfers
// signed with key; it stops when the test that started it ends.
type server struct {
	// addr is "127.0.0.1:PORT", on TCP and UDP.
	addr string
	key  tsigKey
	// log returns what the server has logged so far.
	log func() string
}

// implementation is one DNS server program: what it needs installed and
// how to start it. Every implementation runs the same tests.
type implementation struct {
	name string
	// programs are the executables start runs, looked up on PATH and in
	// /usr/sbin; install says how to get them.
	programs []string
	install  string
	// start runs the server holding zones and returns once it answers
	// for them; it fails the test when it cannot.
	start func(t testing.TB, zones []zone) *server
}

// implementations are the servers of the suite.
var implementations = []implementation{bind, knot, powerDNS}

var errAddrInUse = errors.New("address in use")

// run starts impl holding zones, once it answers SOA queries for all of
// them. It skips the test when a program is missing, or fails it under
// RequireEnv.
func (impl implementation) run(t testing.TB, zones ...zone) *server {
	t.Helper()
	var missing []string
	for _, p := range impl.programs {
		if _, err := findProgram(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		skipOrFail(t, "%s: %s not found on PATH or in /usr/sbin (on Debian: %s)", impl.name, strings.Join(missing, ", "), impl.install)
	}
	return impl.start(t, zones)
}

// startOnFreePort is start for a server that is given its directory, port
// and key: it makes them, calls launch, and waits until the server answers
// for zones. launch returns errAddrInUse when the port was taken
// meanwhile (by another test's server), and is then tried on another one.
func startOnFreePort(t testing.TB, name string, zones []zone, launch func(dir string, port int, key tsigKey) (*server, error)) *server {
	t.Helper()
	key := tsigKey{name: keyName, algorithm: algorithm, secret: newSecret(t)}
	var lastErr error
	for range 3 {
		port, err := bindtest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		s, err := launch(t.TempDir(), port, key)
		if err == nil {
			err = waitReady(s, zones)
		}
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errAddrInUse) {
			break
		}
	}
	t.Fatalf("%s: %v", name, lastErr)
	return nil
}

// skipOrFail skips the test, or fails it when RequireEnv is 1.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s; %s=1 requires it", msg, RequireEnv)
	}
	t.Skipf("skipping: %s; set %s=1 to make this a failure", msg, RequireEnv)
}

// requireNetns skips or fails the test unless it runs inside the network
// namespace bindtest.Isolate made: no server of this suite runs on the
// host's network.
func requireNetns(t testing.TB) {
	t.Helper()
	if os.Getenv(bindtest.NetnsEnv) == "" {
		skipOrFail(t, "not inside a network namespace: the suite needs root and ip (apt-get install iproute2)")
	}
}

// findProgram looks a program up on PATH, then in /usr/sbin, where Debian
// puts the servers.
func findProgram(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/sbin", name)
	if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return p, nil
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/sbin", name)
}

// newSecret is a fresh 256-bit TSIG secret, as long as the hmac-sha256
// output (RFC 2104 section 3 recommends at least that).
func newSecret(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// waitReady polls until every zone answers its SOA with authority, or ten
// seconds pass.
func waitReady(s *server, zones []zone) error {
	deadline := time.Now().Add(10 * time.Second)
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	for _, z := range zones {
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(z.name), dns.TypeSOA)
		for {
			r, _, err := c.Exchange(q, s.addr)
			if err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative && len(r.Answer) > 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no answer to SOA %s within 10s (last: %v, %v)\nlog:\n%s", z.name, err, r, tail(s.log(), 30))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// daemon is a server process a test started; stop ends it by its pid.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	log  string        // the file its stdout and stderr go to
}

// startDaemon runs argv in dir, its output to logPath, and stops it when
// the test ends. The kernel kills it should the test binary die without
// running its cleanups.
func startDaemon(t testing.TB, dir, logPath string, argv ...string) (*daemon, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	d := &daemon{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{}), log: logPath}
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	go func() {
		_ = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(d.stop)
	return d, nil
}

// stop ends the process by its pid: SIGTERM, then SIGKILL if it has not
// exited within five seconds.
func (d *daemon) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// readLog returns what the process has logged so far.
func (d *daemon) readLog() string {
	b, _ := os.ReadFile(d.log)
	return string(b)
}

// waitListening waits until d listens on addr over TCP, exits, or ten
// seconds pass. An exit whose log says the address is taken is
// errAddrInUse.
func (d *daemon) waitListening(addr, name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-d.done:
			log := d.readLog()
			if strings.Contains(strings.ToLower(log), "address in use") || strings.Contains(strings.ToLower(log), "address already in use") {
				return fmt.Errorf("%w: %s", errAddrInUse, addr)
			}
			return fmt.Errorf("%s exited during start-up\nlog:\n%s", name, tail(log, 30))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within 10s\nlog:\n%s", name, addr, tail(d.readLog(), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// command runs a set-up program to completion, returning its output in the
// error when it fails.
func command(dir string, stdin string, argv ...string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// transfer returns the zone's records by a zone transfer (AXFR, RFC 5936)
// signed with key (nil: unsigned), without the closing copy of the SOA
// (RFC 5936 section 2.2).
func transfer(ctx context.Context, addr string, key *tsigKey, zone string) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetAxfr(dns.Fqdn(zone))
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	tr := &dns.Transfer{Conn: &dns.Conn{Conn: conn}}
	if key != nil {
		m.SetTsig(dns.Fqdn(key.name), dns.Fqdn(key.algorithm), 300, time.Now().Unix())
		tr.TsigSecret = map[string]string{dns.Fqdn(key.name): key.secret}
	}
	envs, err := tr.In(m, addr)
	if err != nil {
		return nil, err
	}
	var rrs []dns.RR
	var errs []error
	for e := range envs {
		if e.Error != nil {
			errs = append(errs, e.Error)
			continue
		}
		rrs = append(rrs, e.RR...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("AXFR %s: %w", zone, err)
	}
	if len(rrs) == 0 || rrs[0].Header().Rrtype != dns.TypeSOA {
		return nil, fmt.Errorf("AXFR %s: no SOA first (%d records)", zone, len(rrs))
	}
	if n := len(rrs); n > 1 && rrs[n-1].Header().Rrtype == dns.TypeSOA {
		rrs = rrs[:n-1]
	}
	return rrs, nil
}

// recorder stands in for a test to see whether run skips or fails it.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMissingServer checks what run does when a server is not installed:
// skip with a message saying what to install, or fail under RequireEnv.
func TestMissingServer(t *testing.T) {
	impl := implementation{
		name:     "nosuch",
		programs: []string{"mailconf-no-such-server"},
		install:  "apt-get install nosuch",
		start:    func(t testing.TB, zones []zone) *server { panic("started a missing server") },
	}
	for _, require := range []string{"", "1"} {
		t.Run("require="+require, func(t *testing.T) {
			t.Setenv(RequireEnv, require)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				impl.run(r)
			}()
			<-done
			if r.skipped != (require == "") || r.failed != (require == "1") {
				t.Errorf("skipped %v, failed %v with %s=%q", r.skipped, r.failed, RequireEnv, require)
			}
			if !strings.Contains(r.msg, "mailconf-no-such-server not found") || !strings.Contains(r.msg, "apt-get install nosuch") || !strings.Contains(r.msg, RequireEnv) {
				t.Errorf("message %q should say what is missing, how to install it and name %s", r.msg, RequireEnv)
			}
		})
	}
}
