package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mailconf/mailconf/relay/queue"
)

// Metrics counts what the relay did since it started.
type Metrics struct {
	accepted  atomic.Int64 // messages accepted (250 after the queue's fsync)
	delivered atomic.Int64 // recipients delivered
	deferred  atomic.Int64 // delivery attempts deferred (4xx or network error)
	bounced   atomic.Int64 // recipients failed permanently or expired
	queueSize func() int
}

// Accepted, Delivered, Deferred and Bounced read the counters.
func (m *Metrics) Accepted() int64  { return m.accepted.Load() }
func (m *Metrics) Delivered() int64 { return m.delivered.Load() }
func (m *Metrics) Deferred() int64  { return m.deferred.Load() }
func (m *Metrics) Bounced() int64   { return m.bounced.Load() }

// WritePrometheus writes the counters in the Prometheus text exposition
// format (version 0.0.4).
func (m *Metrics) WritePrometheus(w interface{ Write([]byte) (int, error) }) error {
	size := 0
	if m.queueSize != nil {
		size = m.queueSize()
	}
	_, err := fmt.Fprintf(w, `# HELP mailconf_relay_accepted_total Messages accepted and queued.
# TYPE mailconf_relay_accepted_total counter
mailconf_relay_accepted_total %d
# HELP mailconf_relay_delivered_total Recipients delivered.
# TYPE mailconf_relay_delivered_total counter
mailconf_relay_delivered_total %d
# HELP mailconf_relay_deferred_total Delivery attempts deferred for a retry.
# TYPE mailconf_relay_deferred_total counter
mailconf_relay_deferred_total %d
# HELP mailconf_relay_bounced_total Recipients that failed permanently or expired.
# TYPE mailconf_relay_bounced_total counter
mailconf_relay_bounced_total %d
# HELP mailconf_relay_queue_size Messages in the queue.
# TYPE mailconf_relay_queue_size gauge
mailconf_relay_queue_size %d
`, m.Accepted(), m.Delivered(), m.Deferred(), m.Bounced(), size)
	return err
}

// serve starts the /metrics endpoint; the returned function stops it.
func (m *Metrics) serve(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay: metrics listener %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		if err := m.WritePrometheus(w); err != nil {
			log.Warn("writing metrics", "err", err)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics endpoint", "err", err)
		}
	}()
	log.Info("metrics", "address", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// observe counts one recorded delivery attempt.
func (m *Metrics) observe(r queue.Recipient) {
	switch r.Status {
	case queue.Delivered:
		m.delivered.Add(1)
	case queue.Failed:
		m.bounced.Add(1)
	default:
		m.deferred.Add(1)
	}
}
