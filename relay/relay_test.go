package relay

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	mdkim "github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
	"github.com/mailconf/mailconf/schema"
)

const password = "correct horse battery staple"

// world is everything a relay test runs against, all on loopback: the
// configuration directory, an in-process DNS server that routes
// dest.example to a sink and publishes example.com's DKIM keys, and the sink.
type world struct {
	dir  string
	dns  *dnstest.Server
	sink *sink
}

func newWorld(t testing.TB) *world {
	return newWorldKeys(t, "ed", "rsa")
}

// newWorldKeys builds a world whose example.com signs with the named keys
// ("ed": Ed25519, "rsa": RSA-2048).
func newWorldKeys(t testing.TB, use ...string) *world {
	t.Helper()
	dir := t.TempDir()
	keys := filepath.Join("..", "testdata", "error-files", "keys")
	var zone strings.Builder
	zone.WriteString("$ORIGIN example.\n@ 300 IN SOA ns.example. h.example. 1 3600 600 86400 300\n@ 300 IN NS ns.example.\n")
	zone.WriteString("dest 300 IN MX 10 mx.dest.example.\nmx.dest 300 IN A 127.0.0.1\n")
	var com strings.Builder
	com.WriteString("$ORIGIN com.\n@ 300 IN SOA ns.com. h.com. 1 3600 600 86400 300\n@ 300 IN NS ns.com.\n")
	var dkimBlocks strings.Builder
	for _, k := range []struct{ sel, file string }{{"ed", "ed25519.pem"}, {"rsa", "rsa2048.pem"}} {
		if !slices.Contains(use, k.sel) {
			continue
		}
		fmt.Fprintf(&dkimBlocks, "  dkim %q {\n    key_file = %q\n  }\n", k.sel, k.file)
		pem, err := os.ReadFile(filepath.Join(keys, k.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, k.file), pem, 0o600); err != nil {
			t.Fatal(err)
		}
		pub, err := mdkim.PublicKeyFromPEM(pem)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := mdkim.PublicKeyRecord(pub)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		text := rec.String()
		for len(text) > 255 {
			parts, text = append(parts, `"`+text[:255]+`"`), text[255:]
		}
		parts = append(parts, `"`+text+`"`)
		fmt.Fprintf(&com, "%s._domainkey.example 300 IN TXT %s\n", k.sel, strings.Join(parts, " "))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
domain "example.com" {
%s}

relay {
  hostname       = "relay.example.com"
  spool_dir      = "spool"
  retry_schedule = ["1s"]
  max_connections_per_ip = 64
  listener "loopback" {
    address = "127.0.0.1:0"
  }
  user "alice" {
    password_hash = %q
    allowed_from  = ["example.com"]
  }
}
`, dkimBlocks.String(), string(hash))
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &world{dir: dir, dns: dnstest.NewServer(t, zone.String(), com.String()), sink: newSink(t)}
}

func (w *world) load(t testing.TB) *schema.Config {
	t.Helper()
	cfg, diags := schema.Load(w.dir, schema.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// start runs a relay in-process and returns its submission address.
func (w *world) start(t testing.TB) (*Relay, string) {
	t.Helper()
	r, err := New(w.load(t), Options{
		Resolver:     &resolve.Client{Servers: []string{w.dns.Addr()}},
		DeliveryPort: w.sink.port,
		Interval:     100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, map[string]net.Listener{"loopback": ln}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r, ln.Addr().String()
}

// submit sends one message as alice in a session of its own.
func submit(addr, subject string) error {
	c, err := login(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := send(c, subject); err != nil {
		return err
	}
	return c.Quit()
}

// login opens an authenticated session.
func login(addr string) (*smtp.Client, error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return nil, err
	}
	if err := c.Hello("client.example"); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Auth(sasl.NewPlainClient("", "alice", password)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// send sends one message on a session; nil means the server answered 250
// to the end of DATA.
func send(c *smtp.Client, subject string) error {
	msg := fmt.Sprintf("From: Alice <alice@example.com>\r\nTo: bob@dest.example\r\nSubject: %s\r\n\r\nHello %s.\r\n", subject, subject)
	return c.SendMail("alice@example.com", []string{"bob@dest.example"}, strings.NewReader(msg))
}

// TestRelayEndToEnd: a message submitted with AUTH is signed with both
// keys, delivered to the destination's MX, and both signatures verify
// against the published keys.
func TestRelayEndToEnd(t *testing.T) {
	w := newWorld(t)
	r, addr := w.start(t)
	if err := submit(addr, "end-to-end"); err != nil {
		t.Fatal(err)
	}
	msgs := w.sink.wait(t, 1, 10*time.Second)
	client := &resolve.Client{Servers: []string{w.dns.Addr()}}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msgs[0]), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			txt, _, err := resolve.LookupTXT(context.Background(), client, name)
			return txt, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("%d signatures, want 2 (Ed25519 and RSA)", len(vs))
	}
	for _, v := range vs {
		if v.Err != nil {
			t.Errorf("signature of %s does not verify: %v", v.Domain, v.Err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for (r.Metrics().Delivered() != 1 || r.Spool().Len() != 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var buf bytes.Buffer
	if err := r.Metrics().WritePrometheus(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mailconf_relay_accepted_total 1", "mailconf_relay_delivered_total 1", "mailconf_relay_queue_size 0"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}
}

// TestRelayControlSocket: relay queue talks to a running relay.
func TestRelayControlSocket(t *testing.T) {
	w := newWorld(t)
	w.sink.refuse(true)
	r, addr := w.start(t)
	if err := submit(addr, "queued"); err != nil {
		t.Fatal(err)
	}
	c, err := DialControl(r.cfg.SpoolDir)
	if err != nil {
		t.Fatal(err)
	}
	items, err := c.List()
	if err != nil || len(items) != 1 {
		t.Fatalf("list: %v, %d items", err, len(items))
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(items[0].ID); err != nil {
		t.Fatal(err)
	}
	if items, _ := c.List(); len(items) != 0 {
		t.Errorf("%d items left after delete", len(items))
	}
}

// TestRelayCrash: a relay subprocess receiving a stream of messages is
// killed with SIGKILL; after a restart every message that got a 250 is
// delivered. Duplicates (messages whose delivery was in flight at the
// kill) are counted and reported.
func TestRelayCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test skipped with -short")
	}
	w := newWorld(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spawn := func() (*exec.Cmd, string) {
		cmd := exec.Command(exe, "-test.run=^TestHelperRelayProcess$")
		cmd.Env = append(os.Environ(), "MAILCONF_RELAY_CHILD="+w.dir, "MAILCONF_RELAY_DNS="+w.dns.Addr(), "MAILCONF_RELAY_SINK="+w.sink.port)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("relay child did not start: %v", err)
		}
		return cmd, strings.TrimSpace(strings.TrimPrefix(line, "listening "))
	}

	acked := map[string]bool{}
	for round := range 3 {
		cmd, addr := spawn()
		want := len(acked) + 50 + 40*round
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := range 4 {
			wg.Go(func() {
				// One authenticated session per goroutine, a message after
				// another on it, as a busy client does.
				c, err := login(addr)
				if err != nil {
					return
				}
				defer c.Close()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					token := fmt.Sprintf("r%d-g%d-m%d", round, g, i)
					if err := send(c, token); err != nil {
						return
					}
					mu.Lock()
					acked[token] = true
					mu.Unlock()
				}
			})
		}
		// Kill mid-stream: once this round has had some messages
		// acknowledged (a slow machine, or -race, takes longer to get
		// there), at a point that differs from round to round.
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= want {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		close(stop)
		wg.Wait()
		cmd.Wait()
	}
	// A last relay delivers whatever is left.
	cmd, _ := spawn()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	if len(acked) < 100 {
		t.Fatalf("only %d messages acknowledged; the stream did not run", len(acked))
	}
	deadline := time.Now().Add(30 * time.Second)
	var missing []string
	for {
		got := w.sink.subjects()
		missing = missing[:0]
		for token := range acked {
			if got[token] == 0 {
				missing = append(missing, token)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged messages were lost, such as %s", len(missing), len(acked), missing[0])
	}
	dups := 0
	for _, n := range w.sink.subjects() {
		if n > 1 {
			dups += n - 1
		}
	}
	t.Logf("crash test: %d messages acknowledged across 3 SIGKILLs, all delivered; %d duplicate deliveries", len(acked), dups)
}

// TestHelperRelayProcess is the relay subprocess of TestRelayCrash.
func TestHelperRelayProcess(t *testing.T) {
	dir := os.Getenv("MAILCONF_RELAY_CHILD")
	if dir == "" {
		t.Skip("helper process for TestRelayCrash")
	}
	cfg, diags := schema.Load(dir, schema.Options{})
	if diags.HasErrors() {
		fmt.Println("error", diags.Error())
		os.Exit(2)
	}
	r, err := New(cfg, Options{
		Resolver:     &resolve.Client{Servers: []string{os.Getenv("MAILCONF_RELAY_DNS")}},
		DeliveryPort: os.Getenv("MAILCONF_RELAY_SINK"),
		Interval:     50 * time.Millisecond,
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(2)
	}
	fmt.Println("listening", ln.Addr().String())
	ctx, stop := signalContext()
	defer stop()
	r.Serve(ctx, map[string]net.Listener{"loopback": ln})
	os.Exit(0)
}

// sink is a destination mail server on loopback that keeps what it gets.
type sink struct {
	port string
	mu   sync.Mutex
	msgs [][]byte
	no   bool
	// arrived is called with each message's Subject as it arrives.
	arrived func(subject string)
}

func newSink(t testing.TB) *sink {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "mx.dest.example"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) refuse(no bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.no = no
}

func (s *sink) wait(t *testing.T, n int, d time.Duration) [][]byte {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		msgs := append([][]byte(nil), s.msgs...)
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink got %d messages, want %d", len(msgs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subjects counts the messages received per Subject.
func (s *sink) subjects() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, m := range s.msgs {
		for _, line := range strings.Split(string(m), "\r\n") {
			if v, ok := strings.CutPrefix(line, "Subject: "); ok {
				out[v]++
				break
			}
		}
	}
	return out
}

type sinkSession struct {
	s *sink
}

func (ss *sinkSession) Reset()        {}
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.no {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}
	return nil
}
func (ss *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, b)
	arrived := ss.s.arrived
	ss.s.mu.Unlock()
	if arrived != nil {
		arrived(subjectOf(b))
	}
	return nil
}

func subjectOf(msg []byte) string {
	for _, line := range strings.Split(string(msg), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Subject: "); ok {
			return v
		}
		if line == "" {
			break
		}
	}
	return ""
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}
