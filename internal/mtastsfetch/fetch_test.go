package mtastsfetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// server starts an HTTPS server on 127.0.0.1 and returns a client that
// sends every request for any host to it, checking its certificate as
// that of example.com (the name httptest's certificate carries).
func server(t *testing.T, h http.HandlerFunc) *http.Client {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	addr := srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"},
	}}
}

const policy = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"

func TestFetch(t *testing.T) {
	var gotHost, gotPath string
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		gotHost, gotPath = r.Host, r.URL.Path
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(policy))
	})
	got, err := Fetch(context.Background(), c, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got != policy {
		t.Errorf("Fetch = %q, want %q", got, policy)
	}
	if gotHost != "mta-sts.example.com" || gotPath != "/.well-known/mta-sts.txt" {
		t.Errorf("request for %s%s, want mta-sts.example.com/.well-known/mta-sts.txt", gotHost, gotPath)
	}
}

func TestFetchRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/.well-known/mta-sts.txt" {
				// Followed, this would succeed.
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write([]byte(policy))
				return
			}
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, "HTTP 302 redirect to /elsewhere, which senders do not follow (RFC 8461 section 3.3)"},
		{"not found", func(w http.ResponseWriter, r *http.Request) {
			http.NotFound(w, r)
		}, "HTTP 404, not 200 (RFC 8461 section 3.3)"},
		{"html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(policy))
		}, `media type "text/html", not text/plain (RFC 8461 section 3.2)`},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(policy + strings.Repeat("x", MaxPolicySize)))
		}, "the policy is over 65536 octets, the limit senders apply (RFC 8461 section 3.3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fetch(context.Background(), server(t, tc.handler), "example.com")
			var fe *Error
			if !errors.As(err, &fe) || !errors.Is(err, ErrFetch) {
				t.Fatalf("Fetch error = %v, want an *Error", err)
			}
			if fe.Reason != tc.want || fe.URL != "https://mta-sts.example.com/.well-known/mta-sts.txt" {
				t.Errorf("Fetch error = %q at %s, want %q", fe.Reason, fe.URL, tc.want)
			}
		})
	}
}

// A certificate that is not valid for the host is a failed fetch, as for
// a sender (RFC 8461 section 3.3).
func TestFetchChecksCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(policy))
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	if _, err := Fetch(context.Background(), c, "example.com"); !errors.Is(err, ErrFetch) {
		t.Fatalf("Fetch with an untrusted certificate = %v, want ErrFetch", err)
	}
}

func TestFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	c := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Fetch(ctx, c, "example.com")
	if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Fetch = %v, want a deadline error", err)
	}
}
