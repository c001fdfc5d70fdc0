package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/verify/lab"
	"github.com/mailconf/mailconf/verify/receiver"
)

func newLabCmd(e *env) *cobra.Command {
	var cf configFlags
	var dnsAddr, relayAddr, format string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run the offline lab on loopback until interrupted: DNS, relay and receiver, for dig, swaks and mail clients",
		Long: `lab starts what verify --lab uses and leaves it running on 127.0.0.1:

  DNS       an authoritative server (UDP and TCP) for the zones as the
            providers hold them now, and for probe.mailconf.test;
  relay     mailconf's relay (the relay block: its keys, its users), plain
            SMTP submission with AUTH, plus a user of the lab's own with a
            password made up for this run that may send as every domain;
  receiver  the MX of probe.mailconf.test, which evaluates SPF, DKIM and
            DMARC as a mailbox provider does, seeing every loopback
            connection as coming from the relay's first relay.addresses
            entry.

It prints the addresses, the lab user and its password, and commands to try,
then one line per message the receiver gets, with its verdict (a JSON object
per line with --format json), until SIGINT or SIGTERM. Then it stops, removes
the relay's temporary spool and exits 0. The relay delivers to the receiver
only: mail to anyone but an address at probe.mailconf.test stays queued
until the lab stops. Nothing listens beyond loopback; --dns and --relay
refuse any other address.

The lab serves the zones as they are: run mailconf apply first to try what
the configuration declares.`,
		Example: `  mailconf lab -c examples/quickstart --dns 127.0.0.1:5353 --relay 127.0.0.1:2525
  dig @127.0.0.1 -p 5353 TXT _dmarc.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format must be text or json, not %q", format)
			}
			// The addresses are checked before anything is loaded or
			// started.
			for _, a := range []struct{ flag, what, addr string }{{"--dns", "DNS", dnsAddr}, {"--relay", "relay", relayAddr}} {
				if _, err := lab.CheckAddress(a.what, a.addr); err != nil {
					return fmt.Errorf("%s %s: the lab listens on loopback only; use 127.0.0.1:PORT", a.flag, a.addr)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runLab(ctx, e, &cf, labOptions{dns: dnsAddr, relay: relayAddr, format: format, verbose: verbose})
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&dnsAddr, "dns", "", "serve DNS at `127.0.0.1:PORT`, UDP and TCP (default: a free port)")
	cmd.Flags().StringVar(&relayAddr, "relay", "", "accept submission at `127.0.0.1:PORT` (default: a free port)")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text or json (one object per line)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log the relay's sessions and delivery attempts on stderr, not only its warnings")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("dns", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("relay", cobra.NoFileCompletions)
	return cmd
}

type labOptions struct {
	dns, relay, format string
	verbose            bool
}

// runLab starts the lab, prints where it listens, reports each message
// the receiver gets and stops when ctx ends.
func runLab(ctx context.Context, e *env, cf *configFlags, o labOptions) error {
	cfg, desired, err := cf.load(e)
	if err != nil {
		return err
	}
	if cfg.Relay == nil {
		return fmt.Errorf("the configuration in %s has no relay block: the lab runs mailconf's relay, with the relay block's keys and users", cf.dir)
	}
	clients, _, err := buildProviders(e, cfg)
	if err != nil {
		return err
	}
	// As verify --lab: the zones as the providers hold them now.
	live, err := plan.ReadLive(ctx, desired, clients, plan.ReadOptions{})
	if err != nil {
		return err
	}

	out := &labOutput{w: e.stdout, json: o.format == "json", color: stdoutColor(e)}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	var handler slog.Handler = slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})
	if out.json {
		handler = slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level})
	}
	l, err := lab.StartWith(ctx, cfg, live.Records, lab.Options{
		DNS:       o.dns,
		Relay:     o.relay,
		Logger:    slog.New(handler).With("component", "relay"),
		OnReceive: out.received,
	})
	if err != nil {
		return err
	}
	// Applied or not, the lab serves the zones as they are; a user who
	// expected the configuration's records should hear why they differ.
	// Flattened SPF records would differ by construction: no note then.
	if !desired.NeedsDNS() {
		if p := plan.Diff(desired, live); p.HasChanges() {
			fmt.Fprintf(e.stderr, "Note: the zones differ from the configuration (%d to add, %d to change, %d to delete): the lab serves them as they are. Run mailconf apply first to try what the configuration declares.\n",
				p.Summary.Add, p.Summary.Change, p.Summary.Delete)
		}
	}
	var domains []string
	for _, d := range cfg.Domains {
		domains = append(domains, d.Name)
	}
	zones := []string{lab.ProbeDomain}
	for z := range live.Records {
		zones = append(zones, strings.TrimSuffix(z, "."))
	}
	sort.Strings(zones)
	user, password := l.Credentials()
	out.ready(labReady{
		Event:       "ready",
		DNS:         l.DNSAddr(),
		Relay:       l.RelayAddr(),
		User:        user,
		Password:    password,
		Receiver:    l.ReceiverAddr(),
		ProbeDomain: lab.ProbeDomain,
		RelayIP:     l.RelayIP().String(),
		Domains:     domains,
		Zones:       zones,
	})

	<-ctx.Done()
	l.Close()
	out.stopped()
	return nil
}

// labReady is the banner's content; with --format json, its first line.
type labReady struct {
	Event       string   `json:"event"`
	DNS         string   `json:"dns"`
	Relay       string   `json:"relay"`
	User        string   `json:"user"`
	Password    string   `json:"password"`
	Receiver    string   `json:"receiver"`
	ProbeDomain string   `json:"probe_domain"`
	RelayIP     string   `json:"relay_ip"`
	Domains     []string `json:"domains"`
	Zones       []string `json:"zones"`
}

// labReceived is one line of --format json per message received.
type labReceived struct {
	Event string `json:"event"`
	receiver.Received
}

// labOutput writes the lab's stdout. The receiver reports from its SMTP
// sessions' goroutines, so every write holds mu.
type labOutput struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	color bool
}

func (o *labOutput) ready(r labReady) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		writeJSONLine(o.w, r)
		return
	}
	dnsHost, dnsPort, _ := net.SplitHostPort(r.DNS)
	first := "example.com"
	if len(r.Domains) > 0 {
		first = r.Domains[0]
	}
	w := o.w
	fmt.Fprintf(w, "mailconf lab for %s, on loopback only: nothing reaches the Internet.\n\n", strings.Join(r.Domains, ", "))
	// No padding after an address: its width varies with the port.
	fmt.Fprintf(w, "  DNS       %s (UDP and TCP), authoritative for %s\n", r.DNS, strings.Join(r.Zones, ", "))
	fmt.Fprintf(w, "  relay     %s, SMTP submission with AUTH PLAIN or LOGIN, no TLS\n", r.Relay)
	fmt.Fprintf(w, "            user %s, password %s (made up for this run; sends as every domain)\n", r.User, r.Password)
	fmt.Fprintf(w, "  receiver  %s, SMTP, the MX of %s; it sees every loopback\n", r.Receiver, r.ProbeDomain)
	fmt.Fprintf(w, "            connection as coming from %s, the relay's address\n\n", r.RelayIP)
	fmt.Fprintf(w, "Try:\n")
	fmt.Fprintf(w, "  dig @%s -p %s TXT _dmarc.%s\n", dnsHost, dnsPort, first)
	fmt.Fprintf(w, "  swaks --server %s --auth-user %s --auth-password %s --from you@%s --to probe@%s\n\n", r.Relay, r.User, r.Password, first, r.ProbeDomain)
	fmt.Fprintf(w, "The relay block's users log in with their own passwords. Mail to any address at\n")
	fmt.Fprintf(w, "%s reaches the receiver; nothing leaves loopback. Each message the\n", r.ProbeDomain)
	fmt.Fprintf(w, "receiver gets is printed below with its verdict. Ctrl-C stops the lab.\n\n")
}

func (o *labOutput) received(r receiver.Received) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		writeJSONLine(o.w, labReceived{Event: "received", Received: r})
		return
	}
	fmt.Fprintf(o.w, "%s  %s -> %s  %s\n", r.Time.Format("15:04:05"), orNull(r.MailFrom), strings.Join(r.RcptTo, ", "), verdictLine(r.Verdict, o.color))
}

func (o *labOutput) stopped() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		writeJSONLine(o.w, map[string]string{"event": "stopped"})
		return
	}
	fmt.Fprintln(o.w, "Stopped; the relay's spool is removed.")
}

func writeJSONLine(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data
	}
	w.Write(append(b, '\n'))
}

func orNull(from string) string {
	if from == "" {
		return "<>"
	}
	return from
}

// verdictLine says what the receiver found, as verify's probe check does
// when everything passes: "SPF pass, DKIM pass (s1, s2), DMARC pass
// (policy reject)", with the reason beside each result that does not.
func verdictLine(v *receiver.Verdict, color bool) string {
	paint := func(result string) string {
		if !color {
			return result
		}
		code := "33" // yellow: neither pass nor fail
		switch result {
		case "pass":
			code = "32"
		case "fail", "softfail", "permerror":
			code = "31"
		}
		return "\x1b[" + code + "m" + result + "\x1b[0m"
	}
	var b strings.Builder
	b.WriteString("SPF " + paint(v.SPF.Result))
	if v.SPF.Result != "pass" && v.SPF.Explanation != "" {
		fmt.Fprintf(&b, " (%s: %s)", v.SPF.Domain, v.SPF.Explanation)
	}
	b.WriteString(", DKIM ")
	allPass := len(v.DKIM) > 0
	for _, d := range v.DKIM {
		allPass = allPass && d.Result == "pass"
	}
	name := func(d receiver.DKIMResult) string {
		if d.Domain == v.DMARC.FromDomain {
			return d.Selector
		}
		return d.Selector + "._domainkey." + d.Domain
	}
	switch {
	case len(v.DKIM) == 0:
		b.WriteString(paint("none") + " (no signature)")
	case allPass:
		var names []string
		for _, d := range v.DKIM {
			names = append(names, name(d))
		}
		fmt.Fprintf(&b, "%s (%s)", paint("pass"), strings.Join(names, ", "))
	default:
		for i, d := range v.DKIM {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(name(d) + " " + paint(d.Result))
			if d.Err != "" {
				fmt.Fprintf(&b, " (%s)", d.Err)
			}
		}
	}
	b.WriteString(", DMARC " + paint(v.DMARC.Result))
	switch {
	case v.DMARC.Result == "pass":
		fmt.Fprintf(&b, " (policy %s)", v.DMARC.Policy)
	case v.DMARC.Err != "":
		fmt.Fprintf(&b, " (%s)", v.DMARC.Err)
	case v.DMARC.Result == "fail":
		fmt.Fprintf(&b, " (policy %s; SPF aligned %v, DKIM aligned %v)", v.DMARC.Policy, v.DMARC.SPFAligned, v.DMARC.DKIMAligned)
	}
	return b.String()
}

// stdoutColor: stdout is a terminal and NO_COLOR (https://no-color.org)
// is not set.
func stdoutColor(e *env) bool {
	if _, noColor := e.lookupEnv("NO_COLOR"); noColor {
		return false
	}
	f, ok := e.stdout.(*os.File)
	return ok && isTerminal(f)
}
