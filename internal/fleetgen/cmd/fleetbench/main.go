// Command fleetbench is `make bench-fleet`: it generates the benchmark fleet
// (package fleetgen) into a scratch directory, runs the built mailconf
// binary on it step by step (validate, plan in sync, plan with 10% of the
// domains drifted, apply of that drift, lint, verify) and prints, for each
// step, the median wall time and the median peak RSS of the mailconf
// process over -runs runs.
//
// Each step runs the binary as a child process, and its peak RSS is
// ru_maxrss from wait4. mailconf supervises itself (it runs the command in
// a child of its own, see cmd/mailconf/crash.go); the kernel folds the
// maximum of a waited-for grandchild into the child's ru_maxrss, so the
// figure is that of the larger of the two processes, the one doing the
// work.
//
// The child is not started by this process itself but by a fresh copy of
// it (FLEETBENCH_MEASURE=1), which does nothing else. On Linux a process
// that calls exec inherits, as its ru_maxrss, the peak RSS of the address
// space it leaves, and Go starts children with vfork, so that is the
// parent's: started from here, where the DNS servers hold every zone, each
// mailconf would seem to need as much memory as fleetbench. The copy's peak
// is a few MiB, below anything mailconf needs.
//
// lint and verify ask in-process DNS servers on 127.0.0.1 (resolve/dnstest):
// one serves the shared includes and the fleet's zones and is the resolver,
// a second serves the fleet's zones too, so verify checks every domain on 2
// authoritative servers. Nothing leaves loopback.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/internal/fleetgen"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

// measureEnv makes fleetbench the measuring parent of one command: see
// measure.
const measureEnv = "FLEETBENCH_MEASURE"

func main() {
	if os.Getenv(measureEnv) == "1" {
		os.Exit(measured(os.Args[1:]))
	}
	n := flag.Int("n", 1000, "domains in the fleet")
	runs := flag.Int("runs", 3, "runs of each step; the medians are printed")
	bin := flag.String("bin", "bin/mailconf", "the mailconf binary to measure")
	dir := flag.String("dir", "", "write the fleet here (new or empty) and keep it; default: a scratch directory, removed afterwards")
	flag.Parse()
	if err := run(*n, *runs, *bin, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

// A sample is one run of a step.
type sample struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

type result struct {
	step    string
	samples []sample
}

func run(n, runs int, bin, dir string) error {
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (build it with make build)", err)
	}
	where := dir
	if dir == "" {
		where = "a scratch directory"
		tmp, err := os.MkdirTemp("", "mailconf-fleet-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	start := time.Now()
	f, err := fleetgen.Generate(dir, n)
	if err != nil {
		return err
	}
	fmt.Printf("fleet: %d domains (%d mail records and %d others each) in %s, generated in %.2f s; median of %d runs\n\n",
		n, fleetgen.MailRecords, fleetgen.OtherRecords, where, time.Since(start).Seconds(), runs)

	b := &bench{bin: bin, runs: runs}
	c := []string{"-c", dir}
	if err := b.step("validate", nil, 0, args("validate", c)); err != nil {
		return err
	}
	if err := b.step("plan, in sync", nil, 0, args("plan", c, "--detailed-exitcode")); err != nil {
		return err
	}
	drifted, err := f.Drift()
	if err != nil {
		return err
	}
	label := fmt.Sprintf("plan, %d domains drifted", len(drifted))
	if err := b.step(label, nil, 2, args("plan", c, "--detailed-exitcode")); err != nil {
		return err
	}
	// Each apply starts from the same drift; after it, plan must find
	// nothing left to do.
	redrift := func() error { _, err := f.Drift(); return err }
	label = fmt.Sprintf("apply, %d domains drifted", len(drifted))
	if err := b.stepThen(label, redrift, 0, args("apply", c, "--auto-approve"), args("plan", c, "--detailed-exitcode")); err != nil {
		return err
	}

	zones, err := f.ZoneTexts()
	if err != nil {
		return err
	}
	shared := fleetgen.SharedZones()
	// lint: a fresh server (and so fresh query counts) for every run.
	var lintDNS *dnstest.Server
	defer func() {
		if lintDNS != nil {
			lintDNS.Close()
		}
	}()
	var lintArgs []string
	before := func() error {
		if lintDNS != nil {
			if err := askedOnce(lintDNS, n); err != nil {
				return err
			}
			lintDNS.Close()
		}
		s, err := dnstest.Start(append(slices.Clone(shared), zones...)...)
		if err != nil {
			return err
		}
		lintDNS, lintArgs = s, args("lint", c, "--resolver", s.Addr())
		return nil
	}
	if err := b.stepFunc("lint", before, 0, func() []string { return lintArgs }); err != nil {
		return err
	}
	if err := askedOnce(lintDNS, n); err != nil {
		return err
	}

	ns1, err := dnstest.Start(append(slices.Clone(shared), zones...)...)
	if err != nil {
		return err
	}
	defer ns1.Close()
	ns2, err := dnstest.Start(zones...)
	if err != nil {
		return err
	}
	defer ns2.Close()
	if err := b.step("verify --no-probe, 2 servers", nil, 0, args("verify", c, "--no-probe", "--nameserver", ns1.Addr(), "--nameserver", ns2.Addr(), "--resolver", ns1.Addr())); err != nil {
		return err
	}

	fmt.Printf("| step (%d domains) | wall, median | peak RSS, median |\n|---|---:|---:|\n", n)
	for _, r := range b.results {
		s := median(r.samples)
		fmt.Printf("| %s | %.3f s | %.1f MiB |\n", r.step, s.wall.Seconds(), float64(s.maxRSS)/(1<<20))
	}
	return nil
}

func args(cmd string, rest ...any) []string {
	out := []string{cmd}
	for _, r := range rest {
		switch r := r.(type) {
		case string:
			out = append(out, r)
		case []string:
			out = append(out, r...)
		}
	}
	return out
}

// askedOnce checks that a lint run asked each name once: every shared
// include and MX host, and per domain only its own DKIM key and report
// authorization.
func askedOnce(s *dnstest.Server, n int) error {
	sharedNames := []struct {
		name  string
		qtype uint16
	}{
		{"_spf.esp.mailer.example.net.", dns.TypeTXT},
		{"_nets.esp.mailer.example.net.", dns.TypeTXT},
		{"_spf.crm.mailer.example.net.", dns.TypeTXT},
		{"mx1.mailer.example.net.", dns.TypeA},
		{"mx1.mailer.example.net.", dns.TypeAAAA},
		{"mx2.mailer.example.net.", dns.TypeA},
		{"mx2.mailer.example.net.", dns.TypeAAAA},
	}
	for _, q := range sharedNames {
		if got := s.QueriesFor(q.name, q.qtype); got != 1 {
			return fmt.Errorf("lint asked %s %s %d times, want once", q.name, dns.TypeToString[q.qtype], got)
		}
	}
	if got, want := s.Queries(), len(sharedNames)+2*n; got != want {
		return fmt.Errorf("lint sent %d queries, want %d (each unique name once)", got, want)
	}
	return nil
}

type bench struct {
	bin     string
	runs    int
	results []result
}

func (b *bench) step(name string, before func() error, want int, argv []string) error {
	return b.stepFunc(name, before, want, func() []string { return argv })
}

// stepThen is step with a check after each run: check must exit 0.
func (b *bench) stepThen(name string, before func() error, want int, argv, check []string) error {
	r := result{step: name}
	for range b.runs {
		if err := before(); err != nil {
			return err
		}
		s, err := b.measure(want, argv)
		if err != nil {
			return err
		}
		if _, err := b.measure(0, check); err != nil {
			return fmt.Errorf("after %s: %w", name, err)
		}
		r.samples = append(r.samples, s)
	}
	b.results = append(b.results, r)
	return nil
}

func (b *bench) stepFunc(name string, before func() error, want int, argv func() []string) error {
	r := result{step: name}
	for range b.runs {
		if before != nil {
			if err := before(); err != nil {
				return err
			}
		}
		s, err := b.measure(want, argv())
		if err != nil {
			return err
		}
		r.samples = append(r.samples, s)
	}
	b.results = append(b.results, r)
	return nil
}

// measure runs mailconf once with argv, through a fresh copy of fleetbench
// (measured), and checks its exit code.
func (b *bench) measure(want int, argv []string) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return sample{}, err
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, append([]string{b.bin}, argv...)...)
	cmd.Env = append(os.Environ(), measureEnv+"=1")
	cmd.ExtraFiles = []*os.File{w} // fd 3: the report
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Start()
	w.Close()
	if err != nil {
		return sample{}, err
	}
	report, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil {
		return sample{}, fmt.Errorf("mailconf %v: %w\n%s", argv, err, tail(out.Bytes()))
	}
	var code int
	var s sample
	if _, err := fmt.Sscanf(string(report), "%d %d %d", &code, &s.wall, &s.maxRSS); err != nil {
		return sample{}, fmt.Errorf("mailconf %v: no measurement (%v)\n%s", argv, err, tail(out.Bytes()))
	}
	if code != want {
		return sample{}, fmt.Errorf("mailconf %v: exit %d, want %d\n%s", argv, code, want, tail(out.Bytes()))
	}
	return s, nil
}

// measured runs argv as a child, with this process's streams, and writes
// "EXIT WALL_NS MAXRSS_BYTES" to fd 3. It runs in a fresh process whose own
// peak RSS is small, so the child's ru_maxrss is the child's (see the
// package doc).
func measured(argv []string) int {
	report := os.NewFile(3, "report")
	if report == nil || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "fleetbench: "+measureEnv+" needs a command and fd 3")
		return 1
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, measureEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		return 1
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "fleetbench: no rusage for the child: fleetbench runs on Linux")
		return 1
	}
	// Linux reports ru_maxrss in KiB.
	fmt.Fprintf(report, "%d %d %d\n", cmd.ProcessState.ExitCode(), wall.Nanoseconds(), ru.Maxrss*1024)
	return 0
}

// tail is the end of a command's output, for an error.
func tail(b []byte) []byte {
	const max = 4000
	if len(b) > max {
		return append([]byte("..."), b[len(b)-max:]...)
	}
	return b
}

// median is the median run by wall time and the median peak RSS, taken
// separately.
func median(ss []sample) sample {
	walls := make([]time.Duration, len(ss))
	rss := make([]int64, len(ss))
	for i, s := range ss {
		walls[i], rss[i] = s.wall, s.maxRSS
	}
	slices.Sort(walls)
	slices.Sort(rss)
	return sample{wall: walls[len(walls)/2], maxRSS: rss[len(rss)/2]}
}
