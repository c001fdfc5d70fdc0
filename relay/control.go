package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mailconf/mailconf/relay/queue"
)

// ControlSocket is the name of the Unix socket, in the spool directory,
// through which `mailconf relay queue` talks to a running relay: the spool
// is locked by the relay, so a second process cannot open it.
const ControlSocket = "control.sock"

// serveControl starts the control socket: GET /queue lists the queue,
// POST /queue/flush makes every pending recipient due now, DELETE
// /queue/{id} removes a message.
func (r *Relay) serveControl(ctx context.Context) (func(), error) {
	path := filepath.Join(r.cfg.SpoolDir, ControlSocket)
	os.Remove(path) // a socket left by a killed relay
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("relay: control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /queue", func(w http.ResponseWriter, _ *http.Request) {
		items, err := r.spool.List()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(items)
	})
	mux.HandleFunc("POST /queue/flush", func(w http.ResponseWriter, _ *http.Request) {
		n, err := Flush(r.spool, r.opts.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		r.Kick()
		fmt.Fprintf(w, "%d\n", n)
	})
	mux.HandleFunc("DELETE /queue/{id}", func(w http.ResponseWriter, req *http.Request) {
		if err := r.spool.Remove(req.PathValue("id")); err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, queue.ErrNotFound) {
				status = http.StatusNotFound
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		os.Remove(path)
	}, nil
}

// Flush makes every pending recipient due now and returns how many
// messages it touched.
func Flush(s *queue.Spool, now time.Time) (int, error) {
	items, err := s.List()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		changed := false
		for i := range it.Recipients {
			if it.Recipients[i].Status == queue.Pending && it.Recipients[i].NextAttempt.After(now) {
				it.Recipients[i].NextAttempt = now
				changed = true
			}
		}
		if changed {
			if err := s.Update(it); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// ControlClient talks to a running relay through its control socket.
type ControlClient struct {
	http *http.Client
}

// DialControl returns a client for the relay whose spool is dir, or an
// error when no relay is listening there.
func DialControl(dir string) (*ControlClient, error) {
	path := filepath.Join(dir, ControlSocket)
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, err
	}
	c.Close()
	return &ControlClient{http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}, nil
}

// List returns the queue.
func (c *ControlClient) List() ([]*queue.Item, error) {
	resp, err := c.http.Get("http://relay/queue")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("relay: %s", resp.Status)
	}
	var items []*queue.Item
	return items, json.NewDecoder(resp.Body).Decode(&items)
}

// Flush makes every pending recipient due now.
func (c *ControlClient) Flush() error {
	resp, err := c.http.Post("http://relay/queue/flush", "text/plain", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("relay: %s", resp.Status)
	}
	return nil
}

// Delete removes a message from the queue.
func (c *ControlClient) Delete(id string) error {
	req, err := http.NewRequest(http.MethodDelete, "http://relay/queue/"+id, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("%w: %s", queue.ErrNotFound, id)
	}
	return fmt.Errorf("relay: %s", resp.Status)
}
