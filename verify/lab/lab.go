// Package lab runs mailconf's whole loop offline, on loopback: an
// in-process authoritative DNS server serving the live zones (as the
// providers hold them), mailconf's relay with the configuration's keys, and
// a probe receiver that evaluates SPF, DKIM and DMARC as a mailbox
// provider does. verify --lab sends each domain's probe through it.
//
// Everything listens on 127.0.0.1 only and is torn down by Close. The one
// liberty the lab takes: its relay connects from loopback, so the receiver
// evaluates SPF as if the connection came from the relay's first public
// address (relay.addresses), which is what a receiver on the Internet sees.
package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/relay"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
	"github.com/mailconf/mailconf/verify/probe"
	"github.com/mailconf/mailconf/verify/receiver"
)

// ProbeDomain is the lab's receiving domain: its MX is the receiver.
const ProbeDomain = "probe.mailconf.test"

// labUser is the relay user the lab submits probes as.
const labUser = "mailconf-lab"

// Lab is a running lab.
type Lab struct {
	// DNS serves the live zones, the probe domain and empty top-level
	// zones (so DMARC's tree walk ends in NXDOMAIN, as on the Internet).
	DNS *dnstest.Server
	// Resolver asks DNS.
	Resolver *resolve.Client
	receiver *receiver.Server
	submit   *probe.Submitter
	stop     func()
	now      func() time.Time
}

// Start starts a lab for the configuration, serving live (zone name with
// the trailing dot -> records) as the authoritative DNS.
func Start(ctx context.Context, cfg *schema.Config, live map[string][]plan.Record) (*Lab, error) {
	if cfg.Relay == nil {
		return nil, errors.New("lab: the configuration has no relay block; the lab sends probes through mailconf's relay")
	}
	l := &Lab{now: time.Now}
	dns, err := dnstest.Start(zoneTexts(cfg, live)...)
	if err != nil {
		return nil, fmt.Errorf("lab: DNS: %w", err)
	}
	l.DNS = dns
	l.Resolver = &resolve.Client{Servers: []string{dns.Addr()}, Timeout: 2 * time.Second}

	rcvLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		dns.Close()
		return nil, err
	}
	l.receiver = &receiver.Server{Resolver: l.Resolver, APIToken: randomHex(16), Hostname: "mx." + ProbeDomain, ClientIP: publicAddress(cfg.Relay)}
	go l.receiver.Serve(rcvLn)
	_, rcvPort, _ := net.SplitHostPort(rcvLn.Addr().String())

	submit, stop, err := StartRelay(ctx, cfg, l.Resolver, rcvPort)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.submit, l.stop = submit, stop
	return l, nil
}

// StartRelay runs the configuration's relay in-process on loopback, with a
// temporary spool and an extra user that may send as every configured
// domain, and returns a submitter logged in as that user. deliveryPort
// replaces port 25 for delivery ("" keeps it). stop shuts the relay down
// and removes its spool.
func StartRelay(ctx context.Context, cfg *schema.Config, r resolve.Resolver, deliveryPort string) (*probe.Submitter, func(), error) {
	if cfg.Relay == nil {
		return nil, nil, errors.New("the configuration has no relay block to send probes through")
	}
	spool, err := os.MkdirTemp("", "mailconf-probe-spool-")
	if err != nil {
		return nil, nil, err
	}
	password := randomHex(16)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, err
	}
	rc := *cfg.Relay
	rc.SpoolDir = spool
	rc.MetricsListen = ""
	rc.Listeners = nil
	var managed []string
	for _, d := range cfg.Domains {
		managed = append(managed, d.Name)
	}
	rc.Users = append(append([]schema.RelayUser(nil), cfg.Relay.Users...), schema.RelayUser{Name: labUser, PasswordHash: string(hash), AllowedFrom: managed})
	rl, err := relay.New(&schema.Config{Dir: cfg.Dir, Domains: cfg.Domains, Relay: &rc}, relay.Options{
		Resolver:     r,
		DeliveryPort: deliveryPort,
		Interval:     50 * time.Millisecond,
	})
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, fmt.Errorf("relay: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(spool)
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		rl.Serve(rctx, map[string]net.Listener{schema.ListenLoopback: ln})
	}()
	stop := func() {
		cancel()
		<-done
		os.RemoveAll(spool)
	}
	return &probe.Submitter{Addr: ln.Addr().String(), Username: labUser, Password: password}, stop, nil
}

// Close stops everything the lab started.
func (l *Lab) Close() {
	if l.stop != nil {
		l.stop()
	}
	if l.receiver != nil {
		l.receiver.Close()
	}
	if l.DNS != nil {
		l.DNS.Close()
	}
}

// Probe sends one probe from domain through the relay to the receiver and
// returns the receiver's verdict.
func (l *Lab) Probe(ctx context.Context, domain string) (*receiver.Verdict, error) {
	token := randomHex(16)
	from := probe.DefaultFrom(domain)
	to := "probe@" + ProbeDomain
	msg := probe.Message(domain, from, to, token, l.now())
	if _, err := l.submit.Submit(ctx, from, []string{to}, msg); err != nil {
		return nil, fmt.Errorf("lab: submitting the probe of %s: %w", domain, err)
	}
	for {
		if v, ok := l.receiver.Verdict(token); ok {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lab: the probe of %s did not arrive: %w", domain, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// publicAddress maps the relay's loopback connections to its first public
// address, preferring IPv4.
func publicAddress(rc *schema.Relay) func(netip.Addr) netip.Addr {
	if len(rc.Addresses) == 0 {
		return nil
	}
	pub := rc.Addresses[0]
	for _, a := range rc.Addresses {
		if a.Is4() {
			pub = a
			break
		}
	}
	return func(ip netip.Addr) netip.Addr {
		if ip.IsLoopback() {
			return pub
		}
		return ip
	}
}

// zoneTexts renders the live zones as master files, adds the probe
// domain and empty top-level zones.
func zoneTexts(cfg *schema.Config, live map[string][]plan.Record) []string {
	var zones []string
	served := map[string]bool{}
	names := make([]string, 0, len(live))
	for z := range live {
		names = append(names, z)
	}
	sort.Strings(names)
	for _, z := range names {
		served[strings.TrimSuffix(z, ".")] = true
		var b strings.Builder
		fmt.Fprintf(&b, "$ORIGIN %s\n", z)
		for _, r := range live[z] {
			if r.Type == "SOA" {
				continue // the server makes its own
			}
			data := r.Data
			if r.Type == "TXT" {
				var parts []string
				for _, chunk := range spf.Split(r.Data) {
					parts = append(parts, `"`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(chunk)+`"`)
				}
				data = strings.Join(parts, " ")
			}
			fmt.Fprintf(&b, "%s. %d IN %s %s\n", r.Name, r.TTL, r.Type, data)
		}
		zones = append(zones, b.String())
	}
	zones = append(zones, fmt.Sprintf("$ORIGIN %s.\n@ 300 IN MX 10 mx.%s.\nmx 300 IN A 127.0.0.1\n", ProbeDomain, ProbeDomain))
	tlds := map[string]bool{}
	for _, d := range cfg.Domains {
		labels := strings.Split(d.Name, ".")
		tlds[labels[len(labels)-1]] = true
	}
	tlds["test"] = false // the probe domain's zone answers for itself
	for _, t := range sortedTrue(tlds) {
		if !served[t] {
			zones = append(zones, fmt.Sprintf("$ORIGIN %s.\n", t))
		}
	}
	return zones
}

func sortedTrue(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
