// Package bindtest runs a real BIND 9 primary (named) on the loopback for
// the tests of mailconf's RFC 2136 provider: the dynamic updates (RFC 2136)
// and zone transfers (RFC 5936) it signs with TSIG (RFC 8945) are then
// checked against a server nobody here wrote.
//
// The package installs nothing. It looks for `named` and `tsig-keygen` on
// PATH and in /usr/sbin; when they are missing a test that asks for a server
// is skipped with a message saying how to install them, unless the
// environment sets MAILCONF_REQUIRE_BIND=1 (as CI does), in which case it
// fails. Servers listen on 127.0.0.1 only, on a free high port, and are
// stopped by their process id when the test ends. Main runs a package's
// tests inside a private network namespace when it can, so that nothing a
// server does can reach another network.
//
// This package must never listen on anything but 127.0.0.1, never send a
// query anywhere but to a server it started, and never stop a process it
// did not start.
package bindtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// RequireEnv is the environment variable that turns a missing BIND into a
// test failure instead of a skip: CI sets it to 1, so that a broken set-up
// cannot pass silently.
const RequireEnv = "MAILCONF_REQUIRE_BIND"

// KeyName and Algorithm describe the TSIG key every server is given; the
// secret is fresh for each server (tsig-keygen makes it).
const (
	KeyName   = "mailconf-key"
	Algorithm = "hmac-sha256"
)

// ExampleZone is the zone a server holds when Start is given none.
const ExampleZone = "example.test."

// ExampleRecords are the records of ExampleZone besides its SOA and NS:
// data that is not mailconf's, of the kinds a real zone holds, so that tests
// can prove an apply leaves them alone. The MX host has an address, as BIND
// requires of an in-zone MX target; the wildcard is below "wild" so that it
// does not give every other name an address.
const ExampleRecords = `
@          IN A     192.0.2.10
@          IN AAAA  2001:db8::10
@          IN TXT   "google-site-verification=mailconf-test-token"
www        IN CNAME example.test.
mail       IN A     192.0.2.25
mail       IN AAAA  2001:db8::25
_sip._tcp  IN SRV   10 60 5060 sip.example.test.
sip        IN A     192.0.2.20
*.wild     IN A     192.0.2.30
*.wild     IN TXT   "wildcard"
lists      IN MX    10 mail.example.test.
`

// Zone is one primary zone of a test server.
type Zone struct {
	// Name is the zone name, with or without the trailing dot.
	Name string
	// Records are master-file lines (RFC 1035 section 5) added after the
	// zone's SOA and its NS ns1 (which has the address 127.0.0.1); names
	// are relative to the zone and the default TTL is 3600.
	Records string
	// NoIntegrityCheck turns off BIND's check-integrity for the zone. With
	// it on (BIND's default for a primary), BIND refuses an update that adds
	// an MX whose target is inside the zone and has no address record.
	NoIntegrityCheck bool
}

// Example is ExampleZone with ExampleRecords.
func Example() Zone { return Zone{Name: ExampleZone, Records: ExampleRecords} }

// Server is a running named.
type Server struct {
	// Addr is the server's address, "127.0.0.1:PORT", on TCP and UDP.
	Addr string
	// KeyName, Algorithm and Secret are the TSIG key the server accepts
	// for updates and zone transfers; Secret is base64 (RFC 4648 section 4).
	KeyName, Algorithm, Secret string
	// Dir holds named.conf, the zone files and named.log.
	Dir string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// Binaries returns the paths of named and tsig-keygen, or an error saying
// how to install them.
func Binaries() (named, keygen string, err error) {
	named, err1 := findProgram("named")
	keygen, err2 := findProgram("tsig-keygen")
	if err := errors.Join(err1, err2); err != nil {
		return "", "", fmt.Errorf("bindtest: %w (on Debian: apt-get install bind9 bind9-dnsutils)", err)
	}
	return named, keygen, nil
}

// findProgram is find, replaced in tests that pretend BIND is missing.
var findProgram = find

// find looks a program up on PATH, then in /usr/sbin, which is where Debian
// puts named but which is often not on an unprivileged user's PATH.
func find(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/sbin", name)
	if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return p, nil
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/sbin", name)
}

// Start runs a named that holds the given zones (Example() when none are
// given) and returns once it answers SOA queries for all of them. The
// server is stopped when the test ends. Start skips the test when BIND is
// not installed, or fails it when RequireEnv is set to 1.
func Start(t testing.TB, zones ...Zone) *Server {
	t.Helper()
	named, keygen, err := Binaries()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v; %s=1 requires BIND", err, RequireEnv)
		}
		t.Skipf("skipping: %v; set %s=1 to make this a failure", err, RequireEnv)
	}
	if len(zones) == 0 {
		zones = []Zone{Example()}
	}
	secret := generateSecret(t, keygen)
	// A port found free may be taken again before named binds it; a
	// second try with another port makes that race harmless.
	var lastErr error
	for range 3 {
		s, err := start(t, named, secret, zones)
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errAddrInUse) {
			break
		}
	}
	t.Fatalf("bindtest: %v", lastErr)
	return nil
}

var errAddrInUse = errors.New("address in use")

// secretRE finds the secret in tsig-keygen's output (a named.conf key
// statement).
var secretRE = regexp.MustCompile(`secret\s+"([^"]+)"`)

func generateSecret(t testing.TB, keygen string) string {
	t.Helper()
	out, err := exec.Command(keygen, "-a", Algorithm, KeyName).Output()
	if err != nil {
		t.Fatalf("bindtest: %s: %v", keygen, err)
	}
	m := secretRE.FindSubmatch(out)
	if m == nil {
		// The output holds the secret, so it is not shown.
		t.Fatalf("bindtest: %s printed no secret", keygen)
	}
	return string(m[1])
}

func start(t testing.TB, named, secret string, zones []Zone) (*Server, error) {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Addr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		KeyName:   KeyName,
		Algorithm: Algorithm,
		Secret:    secret,
		Dir:       t.TempDir(),
		done:      make(chan struct{}),
	}
	if err := s.writeConfig(port, zones); err != nil {
		return nil, err
	}
	logf, err := os.Create(s.LogPath())
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// -g keeps named in the foreground, logging to stderr; -4 keeps it off
	// IPv6; -n 1 starts one worker, which is all a test needs and starts
	// faster.
	s.cmd = exec.Command(named, "-g", "-4", "-n", "1", "-c", filepath.Join(s.Dir, "named.conf"))
	s.cmd.Dir = s.Dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", named, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.stop)
	if err := s.waitReady(zones); err != nil {
		s.stop()
		log := s.Log()
		if strings.Contains(log, "address in use") {
			return nil, fmt.Errorf("%w: port %d", errAddrInUse, port)
		}
		hint := ""
		if strings.Contains(strings.ToLower(log), "permission denied") && appArmorEnabled() {
			// Debian's and Ubuntu's AppArmor profile for /usr/sbin/named
			// confines it to /etc/bind, /var/lib/bind and /var/cache/bind,
			// so it cannot read a test's temporary directory.
			hint = "\nAppArmor confines named to its own directories; on a test machine unload its profile first: apparmor_parser -R /etc/apparmor.d/usr.sbin.named"
		}
		return nil, fmt.Errorf("%v%s\nnamed.log:\n%s", err, hint, tail(log, 30))
	}
	return s, nil
}

// FreePort finds a port that is free on 127.0.0.1 for both TCP and UDP,
// as a DNS server listens on both: named here, and the other servers the
// interop suite starts.
func FreePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, errors.New("bindtest: no free port on 127.0.0.1")
}

func (s *Server) writeConfig(port int, zones []Zone) error {
	key := fmt.Sprintf("key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", KeyName, Algorithm, s.Secret)
	if err := os.WriteFile(filepath.Join(s.Dir, "tsig.key"), []byte(key), 0o600); err != nil {
		return err
	}
	var conf bytes.Buffer
	fmt.Fprintf(&conf, "include %q;\n", filepath.Join(s.Dir, "tsig.key"))
	fmt.Fprintf(&conf, `options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
`, s.Dir, filepath.Join(s.Dir, "named.pid"), filepath.Join(s.Dir, "session.key"), port)
	for _, z := range zones {
		name := strings.TrimSuffix(strings.ToLower(z.Name), ".")
		file := filepath.Join(s.Dir, name+".zone")
		fmt.Fprintf(&conf, "zone %q {\n\ttype primary;\n\tfile %q;\n", name, file)
		// Without allow-transfer BIND 9.18 gives the zone to anyone who
		// asks; with it, only to holders of the key.
		fmt.Fprintf(&conf, "\tallow-update { key %q; };\n\tallow-transfer { key %q; };\n", KeyName, KeyName)
		if z.NoIntegrityCheck {
			conf.WriteString("\tcheck-integrity no;\n")
		}
		conf.WriteString("};\n")
		body := fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hostmaster ( 1 3600 600 86400 300 )\n@ IN NS ns1\nns1 IN A 127.0.0.1\n%s", name, z.Records)
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(s.Dir, "named.conf"), conf.Bytes(), 0o644)
}

// waitReady polls until every zone answers its SOA, the process exits, or
// ten seconds pass. It queries with miekg/dns rather than dig, which may
// not be installed.
func (s *Server) waitReady(zones []Zone) error {
	deadline := time.Now().Add(10 * time.Second)
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	for _, z := range zones {
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(strings.ToLower(z.Name)), dns.TypeSOA)
		for {
			r, _, err := c.Exchange(q, s.Addr)
			if err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative && len(r.Answer) > 0 {
				break
			}
			select {
			case <-s.done:
				return errors.New("named exited during start-up")
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("named did not answer SOA %s within 10s (last: %v)", z.Name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// stop ends the server by its process id: SIGTERM, then SIGKILL if it has
// not exited within five seconds.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// LogPath is the path of the server's log (named's stderr).
func (s *Server) LogPath() string { return filepath.Join(s.Dir, "named.log") }

// Log returns what the server has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath())
	return string(b)
}

// appArmorEnabled reports whether the kernel enforces AppArmor profiles.
func appArmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(b), "Y")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Transfer returns the zone's records by a zone transfer (AXFR, RFC 5936)
// signed with the server's key, in the order the server sent them, without
// the closing copy of the SOA that ends every AXFR (RFC 5936 section 2.2).
func (s *Server) Transfer(ctx context.Context, zone string) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetAxfr(dns.Fqdn(zone))
	m.SetTsig(dns.Fqdn(s.KeyName), dns.Fqdn(s.Algorithm), 300, time.Now().Unix())
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, err
	}
	tr := &dns.Transfer{Conn: &dns.Conn{Conn: conn}, TsigSecret: map[string]string{dns.Fqdn(s.KeyName): s.Secret}}
	envs, err := tr.In(m, s.Addr)
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
		return nil, fmt.Errorf("bindtest: AXFR %s: %w", zone, err)
	}
	if n := len(rrs); n > 1 && rrs[n-1].Header().Rrtype == dns.TypeSOA {
		rrs = rrs[:n-1]
	}
	return rrs, nil
}

// Exchange sends m to the server, signed with its key, over TCP, and
// returns the answer.
func (s *Server) Exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	m.SetTsig(dns.Fqdn(s.KeyName), dns.Fqdn(s.Algorithm), 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second, TsigSecret: map[string]string{dns.Fqdn(s.KeyName): s.Secret}}
	r, _, err := c.ExchangeContext(ctx, m, s.Addr)
	return r, err
}
