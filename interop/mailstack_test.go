//go:build interop

package interop

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailconf/mailconf/providers/rfc2136/bindtest"
)

// The receivers' side of the namespace: unbound, the recursive resolver
// every receiver asks, and one Postfix with two SMTP listeners on the same
// port but on their own loopback addresses, each the MX of its own sink
// domain, so that the relay finds them by MX lookup as on the Internet.
const (
	// resolverAddr is unbound. It must be port 53 on 127.0.0.1: that is
	// what the namespace's /etc/resolv.conf names (bindtest.Isolate), which
	// policyd-spf and OpenDMARC resolve through.
	resolverAddr = "127.0.0.1:53"
	// deliveryPort is where both receivers listen; the relay delivers
	// there instead of port 25 (relay.Options.DeliveryPort).
	deliveryPort = "2525"
	// authServID is Postfix's myhostname, the authserv-id (RFC 8601
	// section 2.5) every milter writes.
	authServID = "mx.sink.test"
	// sinkZone holds the receivers' domains and MX hosts.
	sinkZone = "sink.test"
)

// receiverStack is one receiver behind Postfix: the domain whose MX it is.
type receiverStack struct {
	name   string // as the agreement table shows it
	domain string // recipient domain; its MX is addr
	addr   string // the Postfix listener's IP
	// fields is how many Authentication-Results fields it writes.
	fields int
}

var receiverStacks = []receiverStack{
	{name: "rspamd", domain: "rspamd." + sinkZone, addr: "127.0.0.10", fields: 1},
	{name: "opendkim+opendmarc+policyd-spf", domain: "milters." + sinkZone, addr: "127.0.0.11", fields: 3},
}

// sinkRecords are the sink zone's records: an MX per receiver.
func sinkRecords() string {
	var b strings.Builder
	for i, r := range receiverStacks {
		fmt.Fprintf(&b, "%s. 300 IN MX 10 mx%d.%s.\nmx%d.%s. 300 IN A %s\n", r.domain, i, sinkZone, i, sinkZone, r.addr)
	}
	return b.String()
}

// mailPrograms are what the receivers need, by the name findProgram looks
// up, with the Debian package to install.
var mailPrograms = [][2]string{
	{"unbound", "unbound"},
	{"postfix", "postfix"},
	{"rspamd", "rspamd"},
	{"opendkim", "opendkim"},
	{"opendmarc", "opendmarc"},
	{"policyd-spf", "postfix-policyd-spf-python"},
	{"dovecot", "dovecot-imapd"},
}

// requireMailPrograms skips or fails the test unless every receiver
// program is installed.
func requireMailPrograms(t *testing.T) {
	t.Helper()
	var missing, pkgs []string
	for _, p := range mailPrograms {
		if _, err := findProgram(p[0]); err != nil {
			missing = append(missing, p[0])
			pkgs = append(pkgs, p[1])
		}
	}
	if len(missing) > 0 {
		skipOrFail(t, "receivers: %s not found on PATH or in /usr/sbin (on Debian: apt-get install %s)", strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
}

// sharedDir is a scratch directory that the daemons dropping privileges
// (rspamd as _rspamd, Postfix's virtual as nobody) can traverse, unlike
// t.TempDir's 0700 parents. It is removed when the test ends.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailconf-receivers-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writeFiles(dir string, files map[string]string) error {
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// startUnbound runs unbound on resolverAddr as a recursive resolver that
// knows only zones, each a stub zone on the authoritative server at auth:
// every other name is answered NXDOMAIN from its local data ("." static),
// so it never sends a query anywhere else. Its query log is returned by
// the daemon's readLog.
func startUnbound(t *testing.T, dir, auth string, zones []string) *daemon {
	t.Helper()
	host, port, _ := net.SplitHostPort(auth)
	var b strings.Builder
	fmt.Fprintf(&b, `server:
    interface: %s
    port: 53
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: %q
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    log-queries: yes
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    local-zone: "." static
`, strings.Split(resolverAddr, ":")[0], dir)
	for _, z := range zones {
		fmt.Fprintf(&b, "    local-zone: %q transparent\n    domain-insecure: %q\n", z+".", z+".")
	}
	for _, z := range zones {
		fmt.Fprintf(&b, "stub-zone:\n    name: %q\n    stub-addr: %s@%s\n", z+".", host, port)
	}
	b.WriteString("remote-control:\n    control-enable: no\n")
	conf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	prog, _ := findProgram("unbound")
	d, err := startDaemon(t, dir, filepath.Join(dir, "unbound.log"), prog, "-d", "-c", conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.waitListening(resolverAddr, "unbound"); err != nil {
		t.Fatal(err)
	}
	return d
}

// milterPorts are the free ports the milters listen on.
type milterPorts struct{ rspamdMilter, rspamdNormal, rspamdController, opendkim, opendmarc int }

func freePorts(t *testing.T) milterPorts {
	t.Helper()
	var ports [5]int
	seen := map[int]bool{}
	for i := range ports {
		for {
			p, err := bindtest.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			if !seen[p] {
				seen[p] = true
				ports[i] = p
				break
			}
		}
	}
	return milterPorts{ports[0], ports[1], ports[2], ports[3], ports[4]}
}

// rspamdDisabled are the rspamd modules that would look things up outside
// the test's zones (RBLs, URIBLs, ASN, fuzzy storage, maps fetched over
// HTTPS), learn or keep state, or sign: none of them judges SPF, DKIM or
// DMARC, and none may run here.
var rspamdDisabled = []string{
	"arc", "asn", "bayes_expiry", "clickhouse", "dcc", "dkim_signing", "elastic", "emails",
	"external_services", "fuzzy_check", "greylist", "hfilter", "history_redis", "maillist",
	"metadata_exporter", "metric_exporter", "mid", "mime_types", "multimap", "mx_check",
	"neural", "p0f", "phishing", "ratelimit", "rbl", "replies", "reputation", "rspamd_update",
	"spamassassin", "spamtrap", "url_redirector", "whitelist",
}

// startRspamd runs rspamd as _rspamd with its local configuration in dir,
// its milter proxy on ports.rspamdMilter, resolving through unbound only.
func startRspamd(t *testing.T, dir string, ports milterPorts) (*daemon, error) {
	files := map[string]string{
		"conf/local.d/options.inc":           fmt.Sprintf("dns { nameserver = [%q]; timeout = 1s; retransmits = 2; }\n", resolverAddr),
		"conf/local.d/worker-normal.inc":     fmt.Sprintf("bind_socket = \"127.0.0.1:%d\";\n", ports.rspamdNormal),
		"conf/local.d/worker-controller.inc": fmt.Sprintf("bind_socket = \"127.0.0.1:%d\";\n", ports.rspamdController),
		"conf/local.d/worker-proxy.inc": fmt.Sprintf("bind_socket = \"127.0.0.1:%d\";\nmilter = yes;\ntimeout = 120s;\n"+
			"upstream \"local\" { default = yes; self_scan = yes; }\n", ports.rspamdMilter),
		"conf/local.d/worker-fuzzy.inc": "count = 0;\n",
		"conf/local.d/logging.inc":      "type = \"console\";\nlevel = \"info\";\n",
		// 127/8 is "local" to rspamd, which would skip the checks and
		// write no header for it.
		"conf/local.d/spf.conf":   "check_local = true;\ncheck_authed = true;\nmin_cache_ttl = 1s;\n",
		"conf/local.d/dkim.conf":  "check_local = true;\ncheck_authed = true;\n",
		"conf/local.d/dmarc.conf": "check_local = true;\ncheck_authed = true;\n",
		"conf/local.d/milter_headers.conf": "use = [\"authentication-results\"];\n" +
			"skip_local = false;\nskip_authenticated = false;\n",
	}
	for _, m := range rspamdDisabled {
		files["conf/local.d/"+m+".conf"] = "enabled = false;\n"
	}
	if err := writeFiles(dir, files); err != nil {
		return nil, err
	}
	for _, sub := range []string{"run", "db", "log"} {
		p := filepath.Join(dir, sub)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
		if err := command(dir, "", "chown", "_rspamd:_rspamd", p); err != nil {
			return nil, err
		}
	}
	prog, _ := findProgram("rspamd")
	d, err := startDaemon(t, dir, filepath.Join(dir, "rspamd.log"), prog, "-f", "-u", "_rspamd", "-g", "_rspamd",
		"--var=LOCAL_CONFDIR="+filepath.Join(dir, "conf"),
		"--var=RUNDIR="+filepath.Join(dir, "run"),
		"--var=DBDIR="+filepath.Join(dir, "db"),
		"--var=LOGDIR="+filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	// The proxy listens before the scanner has compiled its rules; the
	// controller answers once the workers run. Rspamd takes a few
	// seconds on the first start.
	if err := waitFor(d, "rspamd", 60*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", ports.rspamdNormal), 200*time.Millisecond)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}); err != nil {
		return nil, err
	}
	if err := d.waitListening(fmt.Sprintf("127.0.0.1:%d", ports.rspamdMilter), "rspamd proxy"); err != nil {
		return nil, err
	}
	return d, nil
}

// waitFor polls ready until it holds, d exits, or timeout passes.
func waitFor(d *daemon, name string, timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ready() {
		select {
		case <-d.done:
			return fmt.Errorf("%s exited during start-up\nlog:\n%s", name, tail(d.readLog(), 30))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s\nlog:\n%s", name, timeout, tail(d.readLog(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// noHost is the address the milters are told is internal or to ignore,
// in place of their default 127.0.0.1: every probe here comes from
// loopback, and must be verified, not signed or skipped.
const noHost = "192.0.2.254\n"

// startOpenDKIM runs OpenDKIM in verify-only mode, resolving through
// libunbound forwarding everything to unbound.
func startOpenDKIM(t *testing.T, dir string, port int) (*daemon, error) {
	files := map[string]string{
		"opendkim.conf": fmt.Sprintf(`Mode v
Socket inet:%d@127.0.0.1
PidFile %s
Syslog no
Background no
AuthservID %s
AlwaysAddARHeader yes
InternalHosts %s
ResolverConfiguration %s
`, port, filepath.Join(dir, "opendkim.pid"), authServID, filepath.Join(dir, "internal.hosts"), filepath.Join(dir, "libunbound.conf")),
		"internal.hosts": noHost,
		// libunbound answers .test NXDOMAIN itself unless told otherwise.
		"libunbound.conf": fmt.Sprintf("server:\n    do-not-query-localhost: no\n    module-config: \"iterator\"\n    local-zone: \"test.\" nodefault\nforward-zone:\n    name: \".\"\n    forward-addr: %s\n",
			strings.Replace(resolverAddr, ":", "@", 1)),
	}
	if err := writeFiles(dir, files); err != nil {
		return nil, err
	}
	prog, _ := findProgram("opendkim")
	d, err := startDaemon(t, dir, filepath.Join(dir, "opendkim.log"), prog, "-f", "-x", filepath.Join(dir, "opendkim.conf"))
	if err != nil {
		return nil, err
	}
	return d, d.waitListening(fmt.Sprintf("127.0.0.1:%d", port), "opendkim")
}

// startOpenDMARC runs OpenDMARC taking SPF and DKIM from the
// Authentication-Results of policyd-spf and OpenDKIM. Its own SPF check
// (libspf2) passes every 127/8 client, so it is off.
func startOpenDMARC(t *testing.T, dir string, port int) (*daemon, error) {
	files := map[string]string{
		"opendmarc.conf": fmt.Sprintf(`Socket inet:%d@127.0.0.1
PidFile %s
AuthservID %s
TrustedAuthservIDs %s
SPFSelfValidate false
SPFIgnoreResults false
IgnoreHosts %s
IgnoreAuthenticatedClients false
RejectFailures false
FailureReports false
Syslog false
Background false
`, port, filepath.Join(dir, "opendmarc.pid"), authServID, authServID, filepath.Join(dir, "ignore.hosts")),
		"ignore.hosts": noHost,
	}
	if err := writeFiles(dir, files); err != nil {
		return nil, err
	}
	prog, _ := findProgram("opendmarc")
	d, err := startDaemon(t, dir, filepath.Join(dir, "opendmarc.log"), prog, "-f", "-c", filepath.Join(dir, "opendmarc.conf"))
	if err != nil {
		return nil, err
	}
	return d, d.waitListening(fmt.Sprintf("127.0.0.1:%d", port), "opendmarc")
}

// startPostfix runs one Postfix, its queue and configuration in dir, that
// accepts mail for the receivers' domains only and delivers it to the
// maildir dir/mail/sink (nothing is ever sent on). The listener of each
// receiver runs its milters.
func startPostfix(t *testing.T, dir string, ports milterPorts) (*daemon, error) {
	spfConf := filepath.Join(dir, "policyd-spf.conf")
	var domains []string
	for _, r := range receiverStacks {
		domains = append(domains, r.domain)
	}
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/spool
data_directory = %[1]s/data
myhostname = %[2]s
mydomain = %[3]s
mydestination =
# The listeners in master.cf name their own addresses; Postfix wants
# every address here configured on an interface, which 127.0.0.10 is not.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 192.0.2.254/32
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = %[4]s
virtual_mailbox_base = %[1]s/mail
virtual_mailbox_maps = static:sink/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
default_transport = error:outbound delivery disabled in the test sink
relay_transport = error:outbound delivery disabled in the test sink
smtpd_relay_restrictions = reject_unauth_destination
smtpd_peername_lookup = no
smtputf8_enable = no
biff = no
milter_protocol = 6
milter_default_action = tempfail
maillog_file = /dev/stdout
`, dir, authServID, sinkZone, strings.Join(domains, ", "))
	masterCF := fmt.Sprintf(`%[1]s:%[2]s inet n - n - - smtpd
  -o smtpd_milters=inet:127.0.0.1:%[3]d
%[4]s:%[2]s inet n - n - - smtpd
  -o smtpd_milters=inet:127.0.0.1:%[5]d,inet:127.0.0.1:%[6]d
  -o smtpd_recipient_restrictions=reject_unauth_destination,check_policy_service,unix:private/policyd-spf
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
policyd-spf unix - n n - 0 spawn user=nobody argv=/usr/bin/policyd-spf %[7]s
`, receiverStacks[0].addr, deliveryPort, ports.rspamdMilter, receiverStacks[1].addr, ports.opendkim, ports.opendmarc, spfConf)
	// policyd-spf only reports (TestOnly), as an A-R header for OpenDMARC
	// to read; its default skip_addresses would skip every loopback client.
	spf := fmt.Sprintf(`debugLevel = 1
TestOnly = 1
HELO_reject = False
Mail_From_reject = False
PermError_reject = False
TempError_Defer = False
skip_addresses = 192.0.2.254/32
Header_Type = AR
Authserv_Id = %s
`, authServID)
	if err := writeFiles(dir, map[string]string{"etc/main.cf": mainCF, "etc/master.cf": masterCF, "policyd-spf.conf": spf}); err != nil {
		return nil, err
	}
	for _, sub := range []string{"spool", "data", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	if err := command(dir, "", "chown", "postfix:", filepath.Join(dir, "data")); err != nil {
		return nil, err
	}
	if err := command(dir, "", "chown", "65534:65534", filepath.Join(dir, "mail")); err != nil {
		return nil, err
	}
	prog, _ := findProgram("postfix")
	etc := filepath.Join(dir, "etc")
	if err := command(dir, "", prog, "-c", etc, "check"); err != nil {
		return nil, err
	}
	d, err := startDaemon(t, dir, filepath.Join(dir, "postfix.log"), prog, "-c", etc, "start-fg")
	if err != nil {
		return nil, err
	}
	for _, r := range receiverStacks {
		if err := d.waitListening(net.JoinHostPort(r.addr, deliveryPort), "postfix"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// mailStack is the running receivers.
type mailStack struct {
	maildir string // where Postfix delivers, a maildir
	daemons map[string]*daemon
	// imap is Dovecot serving the maildir over IMAP, the way a mailbox
	// provider lets a mail client read what its receiver judged.
	imap imapAccount
}

// imapAccount is where and as whom the maildir is read over IMAP.
type imapAccount struct {
	addr, username, password string
}

// startDovecot serves maildir over IMAP (RFC 9051) on loopback, without
// TLS, to one user with a fresh password: the mailbox verify reads its
// probes back from. Its indexes stay in memory, so it writes nothing
// beside the messages (it may move them from new/ to cur/).
func startDovecot(t *testing.T, dir, maildir string) (*daemon, imapAccount, error) {
	port, err := bindtest.FreePort()
	if err != nil {
		return nil, imapAccount{}, err
	}
	acct := imapAccount{addr: fmt.Sprintf("127.0.0.1:%d", port), username: "sink", password: hex.EncodeToString(randomBytes(t, 16))}
	conf := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = mailconf-interop
log_path = /dev/stderr
ssl = no
# Loopback only: LOGIN in the clear is what verify allows there too.
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[2]s:INDEX=MEMORY
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=%[1]s/home
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    port = 0
  }
}
`, dir, maildir, port)
	users := fmt.Sprintf("%s:{PLAIN}%s\n", acct.username, acct.password)
	if err := writeFiles(dir, map[string]string{"dovecot.conf": conf, "users": users}); err != nil {
		return nil, acct, err
	}
	// Dovecot's auth process reads the passwords as the dovecot user.
	if err := os.Chmod(filepath.Join(dir, "users"), 0o640); err != nil {
		return nil, acct, err
	}
	if err := command(dir, "", "chown", "root:dovecot", filepath.Join(dir, "users")); err != nil {
		return nil, acct, err
	}
	for _, sub := range []string{"run", "state", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, acct, err
		}
	}
	if err := command(dir, "", "chown", "65534:65534", filepath.Join(dir, "home")); err != nil {
		return nil, acct, err
	}
	prog, _ := findProgram("dovecot")
	d, err := startDaemon(t, dir, filepath.Join(dir, "dovecot.log"), prog, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	if err != nil {
		return nil, acct, err
	}
	return d, acct, d.waitListening(acct.addr, "dovecot")
}

// startMailStack starts the milters and Postfix, concurrently: rspamd's
// start-up is most of the wait. unbound must be running.
func startMailStack(t *testing.T) *mailStack {
	t.Helper()
	dir := sharedDir(t)
	ports := freePorts(t)
	s := &mailStack{maildir: filepath.Join(dir, "postfix", "mail", "sink"), daemons: map[string]*daemon{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for name, start := range map[string]func(string) (*daemon, error){
		"rspamd":    func(d string) (*daemon, error) { return startRspamd(t, d, ports) },
		"opendkim":  func(d string) (*daemon, error) { return startOpenDKIM(t, d, ports.opendkim) },
		"opendmarc": func(d string) (*daemon, error) { return startOpenDMARC(t, d, ports.opendmarc) },
	} {
		wg.Go(func() {
			sub := filepath.Join(dir, name)
			err := os.MkdirAll(sub, 0o755)
			var d *daemon
			if err == nil {
				d, err = start(sub)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			} else {
				s.daemons[name] = d
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "postfix")
	if err := os.MkdirAll(pf, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := startPostfix(t, pf, ports)
	if err != nil {
		t.Fatalf("postfix: %v", err)
	}
	s.daemons["postfix"] = d
	// Dovecot needs the maildir Postfix made.
	dv := filepath.Join(dir, "dovecot")
	if err := os.MkdirAll(dv, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.maildir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := command(dir, "", "chown", "-R", "65534:65534", filepath.Join(pf, "mail")); err != nil {
		t.Fatal(err)
	}
	d, s.imap, err = startDovecot(t, dv, s.maildir)
	if err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	s.daemons["dovecot"] = d
	// Stopping one daemon can take seconds (rspamd's workers, a milter
	// finishing its sessions): stop them all at once, Postfix first, before
	// each one's own cleanup (registered earlier, so run later), which
	// then has nothing left to do.
	t.Cleanup(func() {
		if d := s.daemons["postfix"]; d != nil {
			d.stop()
		}
		var wg sync.WaitGroup
		for _, d := range s.daemons {
			wg.Go(d.stop)
		}
		wg.Wait()
	})
	return s
}

// logs is every daemon's log, for a failing test.
func (s *mailStack) logs() string {
	var b strings.Builder
	for _, name := range []string{"postfix", "rspamd", "opendkim", "opendmarc", "dovecot"} {
		if d := s.daemons[name]; d != nil {
			fmt.Fprintf(&b, "--- %s\n%s\n", name, tail(d.readLog(), 25))
		}
	}
	return b.String()
}

// delivered waits for the message carrying token in the maildir (in new/,
// or cur/ once Dovecot has seen it) and returns it with CRLF line endings.
func (s *mailStack) delivered(token string, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	for {
		for _, sub := range []string{"new", "cur"} {
			entries, _ := os.ReadDir(filepath.Join(s.maildir, sub))
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(s.maildir, sub, e.Name()))
				if err == nil && strings.Contains(string(b), token) {
					return []byte(strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n")), nil
				}
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no message with token %s delivered within %s", token, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
