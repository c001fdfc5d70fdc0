// Package relay is mailconf's SMTP relay: it accepts authenticated
// submissions (relay/submission), signs them with the configuration's
// active DKIM keys, stores them in a durable queue (relay/queue) before it
// answers 250, and delivers them by MX or through a smarthost, retrying on
// deferral and bouncing with a DSN on failure (relay/delivery).
//
// This package ties those parts to a configuration: it loads the TLS
// certificate and the private keys, opens the spool, starts the listeners,
// the delivery loop, the metrics endpoint and the control socket that
// `mailconf relay queue` talks to, and shuts them down in order. It never
// relays for anyone who has not authenticated, and it never answers 250
// before a message is on disk.
package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/relay/delivery"
	"github.com/mailconf/mailconf/relay/queue"
	"github.com/mailconf/mailconf/relay/submission"
	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/schema"
)

// Options are the outside world of a relay.
type Options struct {
	// Resolver answers the MX and address lookups of delivery.
	Resolver resolve.Resolver
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Dial opens outbound connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DeliveryPort is the port delivery connects to; "" means 25.
	DeliveryPort string
	// Interval is how often the delivery loop looks for due messages; 0
	// means 5 seconds. New messages are delivered at once regardless.
	Interval time.Duration
	// ShutdownTimeout bounds how long Serve waits, after its context ends,
	// for sessions and deliveries in flight; 0 means 30 seconds.
	ShutdownTimeout time.Duration
	// NoSync skips fsync in the queue: benchmarks and tests only.
	NoSync bool
}

// Relay is a configured relay, ready to Serve.
type Relay struct {
	cfg     *schema.Relay
	opts    Options
	log     *slog.Logger
	spool   *queue.Spool
	server  *submission.Server
	sched   *delivery.Scheduler
	metrics *Metrics
	kick    chan struct{}
}

// New prepares a relay from a configuration with a relay block.
func New(cfg *schema.Config, opts Options) (*Relay, error) {
	rc := cfg.Relay
	if rc == nil {
		return nil, errors.New("relay: the configuration has no relay block")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	r := &Relay{cfg: rc, opts: opts, log: opts.Logger, metrics: &Metrics{}, kick: make(chan struct{}, 1)}

	var tlsConfig *tls.Config
	if rc.TLSCertFile != "" {
		cert, err := loadCertificate(rc.TLSCertFile, rc.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("relay: loading the TLS certificate %s: %w", rc.TLSCertFile, err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	keys, err := activeKeys(cfg)
	if err != nil {
		return nil, err
	}
	var users []submission.User
	for _, u := range rc.Users {
		users = append(users, submission.User{Name: u.Name, PasswordHash: []byte(u.PasswordHash), AllowedFrom: u.AllowedFrom})
	}
	var managed []string
	for _, d := range cfg.Domains {
		managed = append(managed, d.Name)
	}

	spool, err := queue.Open(rc.SpoolDir, queue.Options{Now: opts.Now, Lifetime: rc.MaxQueueLifetime, NoSync: opts.NoSync})
	if err != nil {
		return nil, fmt.Errorf("relay: opening the spool %s: %w", rc.SpoolDir, err)
	}
	r.spool = spool
	r.metrics.queueSize = spool.Len

	r.server, err = submission.New(submission.Config{
		Hostname:        rc.Hostname,
		Users:           users,
		ManagedDomains:  managed,
		Keys:            keys,
		MaxMessageBytes: rc.MaxMessageBytes,
		MaxRecipients:   rc.MaxRecipients,
		MaxConnsPerIP:   rc.MaxConnsPerIP,
		TLSConfig:       tlsConfig,
		Now:             opts.Now,
		Logger:          opts.Logger,
	}, &enqueuer{r: r})
	if err != nil {
		spool.Close()
		return nil, fmt.Errorf("relay: %w", err)
	}

	client := &delivery.Client{
		Resolver:  opts.Resolver,
		Hostname:  rc.Hostname,
		Port:      opts.DeliveryPort,
		Dial:      opts.Dial,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if s := rc.Smarthost; s != nil {
		client.Smarthost = &delivery.Smarthost{Addr: s.Address, Username: s.Username, Password: s.Password, ImplicitTLS: s.ImplicitTLS}
	}
	r.sched = &delivery.Scheduler{
		Store:    spool,
		Observe:  r.metrics.observe,
		Client:   client,
		Schedule: rc.RetrySchedule,
		Now:      opts.Now,
		Hostname: rc.Hostname,
		Logger:   opts.Logger,
	}
	return r, nil
}

// activeKeys loads the private key of every active DKIM key: the relay
// signs each message with all keys of its From domain.
func activeKeys(cfg *schema.Config) ([]submission.Key, error) {
	var keys []submission.Key
	for _, d := range cfg.Domains {
		for _, k := range d.DKIM {
			if k.StateOr() != schema.DKIMActive || k.Path == "" {
				continue
			}
			pem, err := regfile.Read(k.Path, regfile.KeyLimit)
			if err != nil {
				return nil, fmt.Errorf("relay: DKIM key %s of %s: %w", k.Selector, d.Name, err)
			}
			signer, err := dkim.ParsePrivateKeyPEM(pem)
			if err != nil {
				return nil, fmt.Errorf("relay: DKIM key %s of %s (%s): %w", k.Selector, d.Name, k.Path, err)
			}
			keys = append(keys, submission.Key{Domain: d.Name, Selector: k.Selector, Signer: signer})
		}
	}
	return keys, nil
}

// loadCertificate reads a PEM certificate chain and its key, each a regular
// file of at most regfile.CertLimit bytes.
func loadCertificate(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := regfile.Read(certFile, regfile.CertLimit)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := regfile.Read(keyFile, regfile.CertLimit)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// Spool is the relay's queue, for `mailconf relay queue` and tests.
func (r *Relay) Spool() *queue.Spool { return r.spool }

// Metrics are the relay's counters.
func (r *Relay) Metrics() *Metrics { return r.metrics }

// Serve listens on every configured listener (or on the given ones, by
// kind, when listeners is not nil: tests pass listeners on port 0), runs
// the delivery loop, the metrics endpoint and the control socket until ctx
// ends, then stops accepting, lets sessions and deliveries in flight finish
// within ShutdownTimeout, and closes the spool.
func (r *Relay) Serve(ctx context.Context, listeners map[string]net.Listener) error {
	defer r.spool.Close()
	if listeners == nil {
		listeners = map[string]net.Listener{}
		for _, l := range r.cfg.Listeners {
			ln, err := net.Listen("tcp", l.Address)
			if err != nil {
				closeAll(listeners)
				return fmt.Errorf("relay: listening on %s (%s): %w", l.Address, l.Kind, err)
			}
			listeners[l.Kind+" "+l.Address] = ln
		}
	}
	var wg sync.WaitGroup
	errc := make(chan error, len(listeners)+2)
	for key, ln := range listeners {
		kind := key
		if i := indexByte(key, ' '); i >= 0 {
			kind = key[:i]
		}
		r.log.Info("listening", "kind", kind, "address", ln.Addr().String())
		wg.Go(func() {
			if err := r.server.Serve(kind, ln); err != nil && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				errc <- fmt.Errorf("relay: %s listener: %w", kind, err)
			}
		})
	}
	control, err := r.serveControl(ctx)
	if err != nil {
		closeAll(listeners)
		return err
	}
	defer control()
	if r.cfg.MetricsListen != "" {
		stop, err := r.metrics.serve(r.cfg.MetricsListen, r.log)
		if err != nil {
			closeAll(listeners)
			return err
		}
		defer stop()
	}

	// The delivery loop stops taking new work when ctx ends and returns
	// once deliveries in flight are done, or at the shutdown deadline.
	deliverCtx, cancelDeliver := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDeliver()
	deliverDone := make(chan struct{})
	go func() {
		defer close(deliverDone)
		r.deliveryLoop(ctx, deliverCtx)
	}()

	select {
	case <-ctx.Done():
	case err := <-errc:
		r.log.Error("listener failed", "err", err)
		closeAll(listeners)
		cancelDeliver()
		<-deliverDone
		return err
	}
	r.log.Info("shutting down", "timeout", r.opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.ShutdownTimeout)
	defer cancel()
	if err := r.server.Shutdown(shutdownCtx); err != nil {
		r.log.Warn("sessions still open at the shutdown deadline", "err", err)
	}
	closeAll(listeners)
	wg.Wait()
	select {
	case <-deliverDone:
	case <-shutdownCtx.Done():
		r.log.Warn("deliveries still in flight at the shutdown deadline; they stay queued and are retried after restart")
		cancelDeliver()
		<-deliverDone
	}
	r.log.Info("stopped")
	return nil
}

// deliveryLoop runs the scheduler at every interval and whenever a message
// was just accepted, until stop ends; work contexts use run.
func (r *Relay) deliveryLoop(stop, run context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		if err := r.sched.RunOnce(run); err != nil && run.Err() == nil {
			r.log.Warn("delivery run", "err", err)
		}
		select {
		case <-stop.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// Kick asks the delivery loop to run now.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func closeAll(ls map[string]net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// enqueuer adapts the spool to the submission server: durable before it
// returns, counted, and a nudge to the delivery loop.
type enqueuer struct{ r *Relay }

func (e *enqueuer) Enqueue(from string, to []string, body []byte) (string, error) {
	it, err := e.r.spool.Enqueue(from, to, body)
	if err != nil {
		return "", err
	}
	e.r.metrics.accepted.Add(1)
	e.r.Kick()
	return it.ID, nil
}
