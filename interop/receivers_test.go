//go:build interop

package interop

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailconf/mailconf/relay"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/probe"
	"github.com/mailconf/mailconf/verify/published"
	"github.com/mailconf/mailconf/verify/receiver"
)

// relayIP is the address the relay connects from, the one its SPF records
// authorize: a loopback address of its own, so that every receiver sees
// the client address SPF is about, as on the Internet.
const relayIP = "127.0.0.5"

// The domains of the receivers test, one per case, each differing from
// good.test in one thing only.
const (
	goodDomain       = "good.test"       // RSA-2048 and Ed25519 keys, SPF naming the relay
	wrongKeyDomain   = "wrongkey.test"   // its RSA key in the DNS is not the one the relay signs with
	noSPFDomain      = "nospf.test"      // its SPF record does not name the relay's address
	misalignedDomain = "misaligned.test" // p=reject, no keys; sent with good.test's envelope sender
	edOnlyDomain     = "edonly.test"     // only an Ed25519 key, and SPF not naming the relay
)

// receiversHCL is the configuration the test applies, through the rfc2136
// provider, to BIND. %[1]s is the provider block, %[2]s the relay user's
// bcrypt hash, %[3]s the key file wrongkey.test publishes.
const receiversHCL = `%[1]s
sender "custom" "relay" {
  ip4 = ["` + relayIP + `"]
}

sender "custom" "elsewhere" {
  ip4 = ["192.0.2.1"]
}

policy "strict" {
  spf {
    all = "-all"
  }
  dmarc {
    policy = "reject"
  }
}

domain "` + goodDomain + `" {
  provider = provider.rfc2136.primary
  zone     = "` + goodDomain + `"
  policy   = policy.strict
  senders  = [sender.custom.relay]

  dkim "r2048" {
    algorithm = "rsa-2048"
    key_file  = "keys/rsa.pem"
  }
  dkim "ed" {
    algorithm = "ed25519"
    key_file  = "keys/ed25519.pem"
  }
}

domain "` + wrongKeyDomain + `" {
  provider = provider.rfc2136.primary
  zone     = "` + wrongKeyDomain + `"
  policy   = policy.strict
  senders  = [sender.custom.relay]

  dkim "r2048" {
    algorithm = "rsa-2048"
    key_file  = "%[3]s"
  }
}

domain "` + noSPFDomain + `" {
  provider = provider.rfc2136.primary
  zone     = "` + noSPFDomain + `"
  policy   = policy.strict
  senders  = [sender.custom.elsewhere]

  dkim "r2048" {
    algorithm = "rsa-2048"
    key_file  = "keys/rsa.pem"
  }
}

domain "` + edOnlyDomain + `" {
  provider = provider.rfc2136.primary
  zone     = "` + edOnlyDomain + `"
  policy   = policy.strict
  senders  = [sender.custom.elsewhere]

  dkim "ed" {
    algorithm = "ed25519"
    key_file  = "keys/ed25519.pem"
  }
}

domain "` + misalignedDomain + `" {
  provider = provider.rfc2136.primary
  zone     = "` + misalignedDomain + `"
  policy   = policy.strict
  senders  = []
}

relay {
  hostname  = "relay.` + goodDomain + `"
  spool_dir = "spool"
  addresses = ["` + relayIP + `"]

  listener "loopback" {
    address = "127.0.0.1:0"
  }

  user "probe" {
    password_hash = "%[2]s"
    allowed_from  = ["` + goodDomain + `", "` + wrongKeyDomain + `", "` + noSPFDomain + `", "` + edOnlyDomain + `", "` + misalignedDomain + `"]
  }
}
`

// authVerdict is what one receiver concluded about one message: each
// method's result (RFC 8601 section 2.7), DKIM per signature by selector.
type authVerdict struct {
	SPF   string
	DKIM  string // "sel=result ..." sorted by selector, or "none"
	DMARC string
}

func (v authVerdict) String() string {
	return fmt.Sprintf("spf=%s dkim=[%s] dmarc=%s", v.SPF, v.DKIM, v.DMARC)
}

// receiverCase is one probe: who it is from, and what every receiver must
// conclude.
type receiverCase struct {
	name     string
	from     string // header From
	mailFrom string // envelope sender
	want     authVerdict
}

// receiverCases are the probes. Ed25519 (RFC 8463): rspamd 3.4 and
// OpenDKIM 2.11.0~beta2 (Debian 12) both verify ed25519-sha256, measured;
// the Ed25519-only case shows that each takes DMARC from that signature
// alone. A receiver that could not verify it would say dkim=permerror or
// neutral for the "ed" selector there and dmarc=fail, and still pass the
// first case on the RSA signature.
var receiverCases = []receiverCase{
	{
		name: "RSA and Ed25519 signatures, SPF naming the relay",
		from: "probe@" + goodDomain, mailFrom: "probe@" + goodDomain,
		want: authVerdict{SPF: "pass", DKIM: "ed=pass r2048=pass", DMARC: "pass"},
	},
	{
		name: "wrong DKIM key in the DNS",
		from: "probe@" + wrongKeyDomain, mailFrom: "probe@" + wrongKeyDomain,
		// DMARC still passes, on aligned SPF.
		want: authVerdict{SPF: "pass", DKIM: "r2048=fail", DMARC: "pass"},
	},
	{
		name: "SPF without the relay's address",
		from: "probe@" + noSPFDomain, mailFrom: "probe@" + noSPFDomain,
		// DMARC still passes, on the aligned signature.
		want: authVerdict{SPF: "fail", DKIM: "r2048=pass", DMARC: "pass"},
	},
	{
		name: "Ed25519 signature only, SPF without the relay",
		from: "probe@" + edOnlyDomain, mailFrom: "probe@" + edOnlyDomain,
		want: authVerdict{SPF: "fail", DKIM: "ed=pass", DMARC: "pass"},
	},
	{
		name: "p=reject with a misaligned From",
		from: "probe@" + misalignedDomain, mailFrom: "probe@" + goodDomain,
		// SPF passes for good.test, which is not the From domain, and the
		// relay has no key for misaligned.test.
		want: authVerdict{SPF: "pass", DKIM: "none", DMARC: "fail"},
	},
}

// TestReceivers sends probes through mailconf's relay to real receivers,
// rspamd and OpenDKIM + OpenDMARC + policyd-spf behind Postfix, with the
// records mailconf applied to BIND resolved through unbound, and checks
// that every receiver's Authentication-Results and mailconf's own
// receiver (receiver.Evaluate, on the message as delivered) agree, case
// by case, with what the case must give.
func TestReceivers(t *testing.T) {
	requireNetns(t)
	requireMailPrograms(t)
	mailconfBinary(t)
	started := time.Now()

	// The zones, empty but for what the sink needs: mailconf publishes
	// the rest.
	zones := []zone{{name: sinkZone, records: sinkRecords()}}
	var zoneNames = []string{sinkZone}
	for _, d := range []string{goodDomain, wrongKeyDomain, noSPFDomain, edOnlyDomain, misalignedDomain} {
		zones = append(zones, zone{name: d})
		zoneNames = append(zoneNames, d)
	}
	s := bind.run(t, zones...)

	// Apply the configuration, wrongkey.test publishing another key than
	// the one its relay then signs with.
	c := &config{dir: t.TempDir()}
	writeKey(t, c.dir, "keys/rsa.pem", rsaKey(t))
	writeKey(t, c.dir, "keys/other-rsa.pem", rsaKey(t))
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	writeKey(t, c.dir, "keys/ed25519.pem", edKey)
	password := hex.EncodeToString(randomBytes(t, 16))
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10) // the least schema accepts
	if err != nil {
		t.Fatal(err)
	}
	write := func(wrongKeyFile string) {
		c.hcl = fmt.Sprintf(receiversHCL, providerBlock(s), hash, wrongKeyFile)
		if err := os.WriteFile(filepath.Join(c.dir, "mailconf.hcl"), []byte(c.hcl), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("keys/other-rsa.pem")
	c.mustRun(t, s, "apply", "-c", ".", "--auto-approve")
	write("keys/rsa.pem")
	t.Setenv("MAILCONF_TSIG_SECRET", s.key.secret)
	cfg, diags := schema.Load(c.dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	applied := time.Now()

	dir := sharedDir(t)
	unbound := startUnbound(t, dir, s.addr, zoneNames)
	stack := startMailStack(t)
	up := time.Now()
	t.Logf("BIND and apply %s; unbound, rspamd, OpenDKIM, OpenDMARC and Postfix up in %s", applied.Sub(started).Round(time.Millisecond), up.Sub(applied).Round(time.Millisecond))

	res := &resolve.Client{Servers: []string{resolverAddr}, Timeout: 2 * time.Second}
	submit := startProbeRelay(t, cfg, res, password)

	var rows []row
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Every probe goes out first; the receivers judge them concurrently.
	type sent struct {
		c     receiverCase
		r     receiverStack
		token string
	}
	var probes []sent
	for _, rc := range receiverCases {
		for _, r := range receiverStacks {
			token := hex.EncodeToString(randomBytes(t, 16))
			to := "probe@" + r.domain
			msg := probe.Message(strings.SplitN(rc.from, "@", 2)[1], rc.from, to, token, time.Now())
			if _, err := submit.Submit(ctx, rc.mailFrom, []string{to}, msg); err != nil {
				t.Fatalf("%s to %s: submitting: %v", rc.name, r.name, err)
			}
			probes = append(probes, sent{rc, r, token})
		}
	}
	for _, p := range probes {
		msg, err := stack.delivered(p.token, 30*time.Second)
		if err != nil {
			t.Fatalf("%s to %s: %v\n%s", p.c.name, p.r.name, err, stack.logs())
		}
		got, fields, err := receiverVerdict(msg)
		if err != nil {
			t.Fatalf("%s to %s: %v\nmessage:\n%s", p.c.name, p.r.name, err, msg)
		}
		// The number of fields tells the receivers apart: rspamd writes
		// one, the milter chain one per milter.
		if len(fields) != p.r.fields {
			t.Errorf("%s to %s: %d Authentication-Results fields of %s, want %d:\n%s", p.c.name, p.r.name, len(fields), authServID, p.r.fields, strings.Join(fields, "\n"))
		}
		v := receiver.Evaluate(ctx, res, receiver.Input{
			IP:       netip.MustParseAddr(relayIP),
			Helo:     cfg.Relay.Hostname,
			MailFrom: p.c.mailFrom,
			Message:  msg,
		})
		rows = append(rows, row{p.c, p.r.name, got, fields, mailconfVerdict(v)})
	}

	var table strings.Builder
	fmt.Fprintf(&table, "%-48s %-32s %-52s %s\n", "case", "receiver", "receiver's verdict", "mailconf's verdict")
	for _, r := range rows {
		agree := "agree"
		if r.got != r.mailconf {
			agree = "DISAGREE"
		}
		fmt.Fprintf(&table, "%-48s %-32s %-52s %s (%s)\n", r.c.name, r.receiver, r.got, r.mailconf, agree)
	}
	t.Logf("cases × receivers:\n%s", table.String())
	for _, r := range rows {
		t.Logf("%s, %s:\n  %s", r.c.name, r.receiver, strings.Join(r.fields, "\n  "))
	}
	for _, r := range rows {
		if r.got != r.c.want {
			t.Errorf("%s, %s: the receiver says %s, want %s", r.c.name, r.receiver, r.got, r.c.want)
		}
		if r.mailconf != r.c.want {
			t.Errorf("%s: mailconf's receiver says %s, want %s", r.c.name, r.mailconf, r.c.want)
		}
		if r.got != r.mailconf {
			t.Errorf("%s, %s: the receiver says %s, mailconf's receiver %s", r.c.name, r.receiver, r.got, r.mailconf)
		}
	}
	if t.Failed() {
		t.Logf("daemon logs:\n%s", stack.logs())
	}
	verifyFromMailbox(t, s, hash, c.dir, stack, submit, rows2verdicts(rows))
	checkQueries(t, unbound.readLog(), zoneNames)
	// rspamd logs every map it adds; one fetched over HTTP(S) (its
	// defaults name maps.rspamd.com) means a module meant to be off is on.
	if log := stack.daemons["rspamd"].readLog(); strings.Contains(log, "http://") || strings.Contains(log, "https://") {
		t.Errorf("rspamd names a URL, which it would fetch; disable the module in rspamdDisabled:\n%s", tail(log, 40))
	}
	t.Logf("%d probes sent and judged in %s; whole test %s", len(probes), time.Since(up).Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
}

// row is one probe judged by one receiver, and by mailconf's receiver.
type row struct {
	c        receiverCase
	receiver string
	got      authVerdict
	fields   []string // the receiver's Authentication-Results
	mailconf authVerdict
}

// rows2verdicts indexes the receivers' verdicts by receiver and From domain.
func rows2verdicts(rows []row) map[[2]string]authVerdict {
	out := map[[2]string]authVerdict{}
	for _, r := range rows {
		if r.c.from == r.c.mailFrom {
			out[[2]string{r.receiver, strings.SplitN(r.c.from, "@", 2)[1]}] = r.got
		}
	}
	return out
}

// verifyProbeHCL is the probe block of verifyFromMailbox: probes go
// through the running relay, and the verdict is read back over IMAP from
// the receiver's mailbox, from the fields of its authserv-id.
const verifyProbeHCL = `
probe {
  to      = "probe@%s"
  timeout = "60s"
  relay {
    address  = %q
    username = "probe"
    password = env("MAILCONF_PROBE_RELAY_PASSWORD")
  }
  imap {
    host        = %q
    username    = %q
    password    = env("MAILCONF_PROBE_IMAP_PASSWORD")
    authserv_id = %q
  }
}
`

// verifyFromMailbox runs mailconf verify with each receiver as the
// probes' mailbox: Postfix delivers to the maildir Dovecot serves, and
// verify reads each probe's Authentication-Results back over IMAP, as it
// would from a test account at a mailbox provider. The configuration is
// the one applied (wrongkey.test's DNS key is its key_file, so the
// records verify), while the running relay signs wrongkey.test's probes
// with another key. Each domain's verdict must agree with what the
// receiver wrote in the delivered message (want, from TestReceivers'
// table), held to verify's rules: SPF pass, every active selector's
// signature passing, DMARC pass.
func verifyFromMailbox(t *testing.T, s *server, hash []byte, keysFrom string, stack *mailStack, submit *probe.Submitter, want map[[2]string]authVerdict) {
	t.Helper()
	t.Setenv("MAILCONF_PROBE_RELAY_PASSWORD", submit.Password)
	t.Setenv("MAILCONF_PROBE_IMAP_PASSWORD", stack.imap.password)
	selectors := map[string][]string{
		goodDomain:     {"r2048", "ed"},
		wrongKeyDomain: {"r2048"},
		noSPFDomain:    {"r2048"},
		edOnlyDomain:   {"ed"},
	}
	for _, r := range receiverStacks {
		c := &config{dir: t.TempDir()}
		for _, k := range []string{"keys/rsa.pem", "keys/other-rsa.pem", "keys/ed25519.pem"} {
			b, err := os.ReadFile(filepath.Join(keysFrom, k))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(c.dir, "keys"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(c.dir, k), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c.hcl = fmt.Sprintf(receiversHCL, providerBlock(s), hash, "keys/other-rsa.pem") +
			fmt.Sprintf(verifyProbeHCL, r.domain, submit.Addr, stack.imap.addr, stack.imap.username, authServID)
		if err := os.WriteFile(filepath.Join(c.dir, "mailconf.hcl"), []byte(c.hcl), 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out, code := c.mailconf(t, s, "verify", "-c", ".", "--format", "json", "--timeout", "1m",
			"--nameserver", s.addr, "--resolver", resolverAddr)
		// Some domains fail by design: exit 2, verified false.
		if code != 2 {
			t.Fatalf("verify with %s's mailbox: exit %d, want 2 (some probes fail by design)\n%s\n%s", r.name, code, out, stack.logs())
		}
		var report struct {
			Verified bool `json:"verified"`
			Domains  []struct {
				Domain   string `json:"domain"`
				Verified bool   `json:"verified"`
			} `json:"domains"`
			Checks []published.Check `json:"checks"`
		}
		if err := json.Unmarshal([]byte(out), &report); err != nil {
			t.Fatalf("verify --format json: %v\n%s", err, out)
		}
		for _, d := range report.Domains {
			if !d.Verified {
				t.Errorf("verify with %s's mailbox: %s not served by every server", r.name, d.Domain)
			}
		}
		probes := map[string]published.Check{}
		for _, ch := range report.Checks {
			if ch.Kind == "probe" {
				probes[ch.Domain] = ch
			}
		}
		for domain, sels := range selectors {
			ch, ok := probes[domain]
			if !ok {
				t.Errorf("verify with %s's mailbox: no probe check for %s", r.name, domain)
				continue
			}
			v, ok := want[[2]string{r.name, domain}]
			if !ok {
				t.Fatalf("no verdict of %s on %s in the table", r.name, domain)
			}
			wantOK, mentions := expectVerify(v, sels)
			if ch.OK != wantOK {
				t.Errorf("verify with %s's mailbox, %s: ok=%v (%s), want ok=%v: the receiver wrote %s", r.name, domain, ch.OK, ch.Message, wantOK, v)
			}
			for _, m := range append(mentions, "probe: "+authServID+" says") {
				if !strings.Contains(ch.Message, m) {
					t.Errorf("verify with %s's mailbox, %s: %q does not say %q (the receiver wrote %s)", r.name, domain, ch.Message, m, v)
				}
			}
		}
		t.Logf("verify reading %s's verdicts over IMAP (%s):", r.name, time.Since(start).Round(time.Millisecond))
		for _, domain := range slices.Sorted(maps.Keys(probes)) {
			t.Logf("  %-16s ok=%-5v %s", domain, probes[domain].OK, probes[domain].Message)
		}
	}
}

// expectVerify is what verify must conclude from a receiver's verdict by
// its rules, and the words its message must hold.
func expectVerify(v authVerdict, selectors []string) (bool, []string) {
	var mentions []string
	if v.SPF != "pass" {
		mentions = append(mentions, "SPF "+v.SPF)
	}
	passed := map[string]bool{}
	for _, r := range strings.Fields(v.DKIM) {
		if sel, res, ok := strings.Cut(r, "="); ok && res == "pass" {
			passed[sel] = true
		}
	}
	for _, sel := range selectors {
		if !passed[sel] {
			mentions = append(mentions, "selector "+sel)
		}
	}
	if v.DMARC != "pass" {
		mentions = append(mentions, "DMARC "+v.DMARC)
	}
	if len(mentions) == 0 {
		return true, []string{"DKIM pass (" + strings.Join(selectors, ", ") + "), DMARC pass"}
	}
	return false, mentions
}

// startProbeRelay runs the configuration's relay in-process, delivering by
// MX through the resolver, from relayIP, to deliveryPort: the one liberty
// it takes over a relay on the Internet is relay.Options.DeliveryPort, a
// Go-only setting no configuration can set.
func startProbeRelay(t *testing.T, cfg *schema.Config, res resolve.Resolver, password string) *probe.Submitter {
	t.Helper()
	rc := *cfg.Relay
	rc.SpoolDir = t.TempDir()
	rc.MetricsListen = ""
	from := &net.TCPAddr{IP: net.ParseIP(relayIP)}
	rl, err := relay.New(&schema.Config{Dir: cfg.Dir, Domains: cfg.Domains, Relay: &rc}, relay.Options{
		Resolver:     res,
		DeliveryPort: deliveryPort,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{LocalAddr: from, Timeout: 5 * time.Second}
			return d.DialContext(ctx, network, addr)
		},
		Interval:        50 * time.Millisecond,
		ShutdownTimeout: 2 * time.Second,
		NoSync:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rl.Serve(ctx, map[string]net.Listener{schema.ListenLoopback: ln})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &probe.Submitter{Addr: ln.Addr().String(), Username: "probe", Password: password}
}

// receiverVerdict reads the Authentication-Results fields with
// authServID, which only the receivers write, from a delivered message,
// and returns them too, unfolded.
func receiverVerdict(msg []byte) (authVerdict, []string, error) {
	header, _, _ := strings.Cut(string(msg), "\r\n\r\n")
	var fields []string
	for _, line := range strings.Split(header, "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += " " + strings.TrimSpace(line)
			continue
		}
		fields = append(fields, line)
	}
	v := authVerdict{}
	var dkim, ours []string
	for _, f := range fields {
		name, value, ok := strings.Cut(f, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "Authentication-Results") {
			continue
		}
		results := strings.Split(stripComments(value), ";")
		if strings.TrimSpace(results[0]) != authServID {
			continue
		}
		ours = append(ours, strings.TrimSpace(value))
		for _, r := range results[1:] {
			words := strings.Fields(r)
			if len(words) == 0 {
				continue
			}
			method, result, ok := strings.Cut(words[0], "=")
			if !ok {
				continue
			}
			result = strings.ToLower(result)
			switch strings.ToLower(method) {
			case "spf":
				v.SPF = result
			case "dmarc":
				v.DMARC = result
			case "dkim":
				if result == "none" {
					continue
				}
				sel := "?"
				for _, w := range words[1:] {
					if s, ok := strings.CutPrefix(w, "header.s="); ok {
						sel = s
					}
				}
				dkim = append(dkim, sel+"="+result)
			}
		}
	}
	if len(ours) == 0 {
		return v, nil, fmt.Errorf("no Authentication-Results field of %s", authServID)
	}
	v.DKIM = dkimString(dkim)
	return v, ours, nil
}

// stripComments removes RFC 5322 comments (parenthesized, possibly
// nested), which carry the receivers' explanations.
func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func dkimString(results []string) string {
	if len(results) == 0 {
		return "none"
	}
	slices.Sort(results)
	return strings.Join(results, " ")
}

func mailconfVerdict(v *receiver.Verdict) authVerdict {
	var dkim []string
	for _, d := range v.DKIM {
		dkim = append(dkim, d.Selector+"="+d.Result)
	}
	return authVerdict{SPF: v.SPF.Result, DKIM: dkimString(dkim), DMARC: v.DMARC.Result}
}

// checkQueries logs the names outside the test's zones that unbound was
// asked for (such as the DMARC tree walk's _dmarc.test), which it answers
// NXDOMAIN from its local data without sending a query anywhere.
func checkQueries(t *testing.T, log string, zones []string) {
	t.Helper()
	outside := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		// "[1717...] unbound[1:0] info: 127.0.0.1 good.test. TXT IN"
		f := strings.Fields(line)
		i := slices.Index(f, "info:")
		if i < 0 || len(f) < i+5 || f[len(f)-1] != "IN" {
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(f[i+2], "."))
		in := false
		for _, z := range zones {
			if name == z || strings.HasSuffix(name, "."+z) {
				in = true
			}
		}
		if !in {
			outside[name+" "+f[i+3]] = true
		}
	}
	if len(outside) > 0 {
		var names []string
		for n := range outside {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Logf("names outside the test's zones asked of unbound (answered locally, never forwarded): %s", strings.Join(names, ", "))
	}
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeKey(t *testing.T, dir, name string, key any) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
