package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailconf/mailconf/internal/fleetgen"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// The benchmarks of the fleet steps `make bench-fleet` times as processes
// (internal/fleetgen/cmd/fleetbench), run here in-process through run, as
// main runs a command, so that -benchmem counts what each step allocates:
//
//	go test -run '^$' -bench Fleet -benchmem ./cmd/mailconf
//
// The lint and verify figures include the in-process DNS servers, which run
// in the benchmark's process and allocate for every answer.

var fleetSizes = []int{100, 1000}

// fleetBench runs fn for each fleet size on a freshly generated fleet.
func fleetBench(b *testing.B, fn func(b *testing.B, f *fleetgen.Fleet, n int)) {
	for _, n := range fleetSizes {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			f, err := fleetgen.Generate(b.TempDir(), n)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			fn(b, f, n)
		})
	}
}

// runFleet runs one command line as main would, failing the benchmark
// unless it exits with want.
func runFleet(b *testing.B, want int, args ...string) {
	var out bytes.Buffer
	e := &env{
		stdin:      strings.NewReader(""),
		stdout:     &out,
		stderr:     &out,
		lookupEnv:  func(string) (string, bool) { return "", false },
		httpClient: defaultHTTPClient(),
	}
	if code := run(e, args); code != want {
		b.Fatalf("mailconf %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out.String())
	}
}

func BenchmarkFleetValidate(b *testing.B) {
	fleetBench(b, func(b *testing.B, f *fleetgen.Fleet, _ int) {
		for b.Loop() {
			runFleet(b, exitOK, "validate", "-c", f.Dir)
		}
	})
}

func BenchmarkFleetPlanInSync(b *testing.B) {
	fleetBench(b, func(b *testing.B, f *fleetgen.Fleet, _ int) {
		for b.Loop() {
			runFleet(b, exitOK, "plan", "-c", f.Dir, "--detailed-exitcode")
		}
	})
}

func BenchmarkFleetPlanDrifted(b *testing.B) {
	fleetBench(b, func(b *testing.B, f *fleetgen.Fleet, _ int) {
		if _, err := f.Drift(); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			runFleet(b, exitChanges, "plan", "-c", f.Dir, "--detailed-exitcode")
		}
	})
}

// BenchmarkFleetApply applies the drift of 10% of the domains; the zone
// files are drifted again, untimed, before each apply.
func BenchmarkFleetApply(b *testing.B) {
	fleetBench(b, func(b *testing.B, f *fleetgen.Fleet, _ int) {
		for b.Loop() {
			b.StopTimer()
			if _, err := f.Drift(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			runFleet(b, exitOK, "apply", "-c", f.Dir, "--auto-approve")
		}
		runFleet(b, exitOK, "plan", "-c", f.Dir, "--detailed-exitcode")
	})
}

// BenchmarkFleetLint lints the fleet against an in-process server holding
// the shared includes and the fleet's zones; each run has a cold cache, as
// each mailconf process does.
func BenchmarkFleetLint(b *testing.B) {
	fleetBench(b, func(b *testing.B, f *fleetgen.Fleet, _ int) {
		srv := fleetServer(b, f, true)
		for b.Loop() {
			runFleet(b, exitOK, "lint", "-c", f.Dir, "--resolver", srv.Addr())
		}
	})
}

// BenchmarkFleetVerify checks every domain on 2 in-process authoritative
// servers, without probes.
func BenchmarkFleetVerify(b *testing.B) {
	fleetBench(b, func(b *testing.B, f *fleetgen.Fleet, _ int) {
		ns1, ns2 := fleetServer(b, f, true), fleetServer(b, f, false)
		for b.Loop() {
			runFleet(b, exitOK, "verify", "-c", f.Dir, "--no-probe", "--nameserver", ns1.Addr(), "--nameserver", ns2.Addr(), "--resolver", ns1.Addr())
		}
	})
}

// fleetServer serves the fleet's zones on loopback, and the zones of the
// outside world they depend on when shared is set.
func fleetServer(b *testing.B, f *fleetgen.Fleet, shared bool) *dnstest.Server {
	zones, err := f.ZoneTexts()
	if err != nil {
		b.Fatal(err)
	}
	if shared {
		zones = append(slices.Clone(fleetgen.SharedZones()), zones...)
	}
	return dnstest.NewServer(b, zones...)
}
