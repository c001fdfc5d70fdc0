package bindtest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestStart checks the harness itself: the server answers, holds the seed,
// and gives the zone only to holders of the key.
func TestStart(t *testing.T) {
	s := Start(t, Example(), Zone{Name: "second.test", NoIntegrityCheck: true})
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Fatalf("Addr = %q, want 127.0.0.1:PORT", s.Addr)
	}
	if os.Geteuid() == 0 && os.Getenv(NetnsEnv) == "" {
		if _, err := find("ip"); err == nil {
			t.Errorf("running as root with ip installed, but not inside a network namespace")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rrs, err := s.Transfer(ctx, ExampleZone)
	if err != nil {
		t.Fatal(err)
	}
	var soa, mx, wildcard int
	for _, rr := range rrs {
		switch {
		case rr.Header().Rrtype == dns.TypeSOA:
			soa++
		case rr.Header().Rrtype == dns.TypeMX && rr.Header().Name == "lists.example.test.":
			mx++
		case rr.Header().Name == "*.wild.example.test.":
			wildcard++
		}
	}
	if soa != 1 || mx != 1 || wildcard != 2 {
		t.Errorf("transfer: %d SOA, %d MX at lists, %d wildcard records; want 1, 1, 2:\n%v", soa, mx, wildcard, rrs)
	}
	if _, err := s.Transfer(ctx, "second.test."); err != nil {
		t.Errorf("second zone: %v", err)
	}

	wrong := *s
	wrong.Secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	if _, err := wrong.Transfer(ctx, ExampleZone); err == nil {
		t.Errorf("transfer with a wrong secret succeeded")
	}
}

// recorder stands in for a test to see whether Start skips or fails it.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMissingBIND checks what Start does without named: skip with a
// message, or fail when RequireEnv is 1.
func TestMissingBIND(t *testing.T) {
	saved := findProgram
	t.Cleanup(func() { findProgram = saved })
	findProgram = func(name string) (string, error) { return "", fmt.Errorf("%s not found", name) }
	for _, require := range []string{"", "1"} {
		t.Run("require="+require, func(t *testing.T) {
			t.Setenv(RequireEnv, require)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				Start(r)
			}()
			<-done
			if r.skipped != (require == "") || r.failed != (require == "1") {
				t.Errorf("skipped %v, failed %v with %s=%q", r.skipped, r.failed, RequireEnv, require)
			}
			if !strings.Contains(r.msg, "named not found") || !strings.Contains(r.msg, "apt-get install bind9") || !strings.Contains(r.msg, RequireEnv) {
				t.Errorf("message %q should say what is missing, how to install it and name %s", r.msg, RequireEnv)
			}
		})
	}
}
