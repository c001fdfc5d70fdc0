package zonefile

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"
)

// TestStaleTempsRemoved: a writer killed mid-write leaves its lock file
// and its temporary file. The next write removes both, and only files of
// exactly mailconf's naming for this zone: look-alikes stay.
func TestStaleTempsRemoved(t *testing.T) {
	for _, call := range []string{"changing write", "write that changes nothing"} {
		t.Run(call, func(t *testing.T) {
			p, path := setup(t, minimalZone)
			dir := filepath.Dir(path)
			touch := func(name string) {
				t.Helper()
				if err := os.WriteFile(filepath.Join(dir, name), []byte("$ORIGIN example.com.\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// What kill -9 between creating the temporary file and the
			// rename leaves behind (two kills, two files).
			touch(".example.com.zone.lock")
			touch(".example.com.zone.tmp-1234567890")
			touch(".example.com.zone.tmp-42")
			keep := []string{
				".example.com.zone.tmp-",                        // no digits
				".example.com.zone.tmp-12a",                     // not only digits
				".example.com.zone.tmp-12.bak",                  // a suffix
				"example.com.zone.tmp-12",                       // no leading dot
				".example.com.zone.tmp-12345678901234567890123", // longer than a uint64
				".example.org.zone.tmp-12",                      // another zone's
				".sub.example.com.zone.tmp-12",                  // another zone's
				"x.example.com.zone.tmp-12",                     // not ours
			}
			for _, name := range keep {
				touch(name)
			}
			// A directory of the right name is not a file mailconf wrote.
			if err := os.Mkdir(filepath.Join(dir, ".example.com.zone.tmp-7"), 0o755); err != nil {
				t.Fatal(err)
			}
			keep = append(keep, ".example.com.zone.tmp-7")

			text := "v=spf1 -all"
			if call == "write that changes nothing" {
				text = ""
			}
			var err error
			if text != "" {
				_, err = p.AppendRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "@", Text: text}})
			} else {
				_, err = p.DeleteRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "nothing-here", Text: "x"}})
			}
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{"example.com.zone"}, keep...)
			if diff := cmp.Diff(slices.Sorted(slices.Values(want)), dirNames(t, dir)); diff != "" {
				t.Errorf("directory after the write (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTempNaming: the writer's temporary files are of the shape cleanTemps
// removes.
func TestTempNaming(t *testing.T) {
	target := filepath.Join(t.TempDir(), "example.com.zone")
	for range 20 {
		f, err := createTemp(target)
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
		if !isTempName(filepath.Base(f.Name()), target) {
			t.Errorf("temporary file %s is not of the cleaned-up shape", f.Name())
		}
	}
}

// TestLockFileExclusive: lock holders that meet only at the lock file (as
// processes do; every lockFile call opens its own file description) never
// overlap, although each removes the lock file on its way out. Without
// the check that the path still names the locked file, two holders
// overlap many times in these rounds.
func TestLockFileExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".example.com.zone.lock")
	const holders, rounds = 6, 100
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for range holders {
		wg.Go(func() {
			for range rounds {
				l, _, err := lockFile(context.Background(), path)
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				// Yield, so that others open the file while it is held.
				time.Sleep(time.Duration(rand.IntN(20)) * time.Microsecond)
				inside.Add(-1)
				l.unlock()
			}
		})
	}
	wg.Wait()
	if n := overlaps.Load(); n > 0 {
		t.Errorf("%d times two holders held the lock at once", n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("lock file after the last holder: %v, want it gone", err)
	}
}

// TestLockHonorsContext: a caller waiting for a held lock gives up when
// its context ends, and leaves the holder's lock file alone.
func TestLockHonorsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".example.com.zone.lock")
	held, _, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := lockFile(ctx, path); err != context.DeadlineExceeded {
		t.Errorf("lockFile while held: err = %v, want DeadlineExceeded", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the holder's lock file: %v", err)
	}
	held.unlock()
}

// The crash test runs the test binary again as a child that writes the
// zone until it is killed.
const (
	helperEnv    = "MAILCONF_ZONEFILE_HELPER"
	helperDirEnv = "MAILCONF_ZONEFILE_HELPER_DIR"
)

// TestHelperProcess is not a test: it is the body of the child process.
// It writes the zone in a loop, printing "ok N" after each write of the
// value N returned. In mode "hang" it stops for good in its first write,
// between writing the temporary file and the rename, after printing
// "renaming".
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process only")
	}
	if mode == "hang" {
		beforeRename = func() {
			fmt.Println("renaming")
			select {}
		}
	}
	p := New(os.Getenv(helperDirEnv))
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		_, err := p.SetRecords(context.Background(), zone, []libdns.Record{
			libdns.TXT{Name: "counter", TTL: time.Minute, Text: strconv.Itoa(i)},
		})
		if err != nil {
			fmt.Fprintln(out, "error:", err)
		} else {
			fmt.Fprintln(out, "ok", i)
		}
		_ = out.Flush()
	}
}

// TestKilledWriter: a writer killed with SIGKILL, at a random moment or
// between its temporary file and the rename, leaves a zone file that
// parses and holds its last acknowledged write or the one after; the next
// write cleans up after it, and then the directory holds the zone file
// alone.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs subprocesses")
	}
	// A zone of 2,000 records, so that a write takes long enough for a
	// random kill to land inside one now and then.
	var b strings.Builder
	b.WriteString(minimalZone)
	for i := range 2000 {
		fmt.Fprintf(&b, "h%d IN A 192.0.2.%d\n", i, i%250+1)
	}
	p, path := setup(t, b.String())
	dir := filepath.Dir(path)

	last := -1 // the last acknowledged value
	for round, mode := range []string{"hang", "loop", "loop", "loop"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 3 + rand.IntN(10)
		sc := bufio.NewScanner(stdout)
		n, killed := 0, false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "renaming":
			case strings.HasPrefix(line, "ok "):
				v, _ := strconv.Atoi(strings.TrimPrefix(line, "ok "))
				last = v
				n++
				if n < killAfter {
					continue
				}
				time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			default:
				t.Errorf("round %d: helper: %s", round, line)
				continue
			}
			if !killed {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		_ = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: helper exited before the kill", round)
		}

		// Only the zone file, the killed writer's lock file and its
		// temporary files may be there.
		for _, name := range dirNames(t, dir) {
			if name != "example.com.zone" && name != ".example.com.zone.lock" && !isTempName(name, path) {
				t.Errorf("round %d: unexpected %s after the kill", round, name)
			}
		}
		if mode == "hang" {
			names := strings.Join(dirNames(t, dir), " ")
			if !strings.Contains(names, ".example.com.zone.lock") || !strings.Contains(names, ".example.com.zone.tmp-") {
				t.Fatalf("round %d: killed before the rename, but the directory holds %s", round, names)
			}
		}
		recs, err := New(dir).GetRecords(context.Background(), zone)
		if err != nil {
			t.Fatalf("round %d: the zone file after the kill: %v", round, err)
		}
		got := -1
		for _, r := range recs {
			if txt, ok := r.(libdns.TXT); ok && txt.Name == "counter" {
				got, _ = strconv.Atoi(txt.Text)
			}
		}
		if got != last && got != last+1 {
			t.Errorf("round %d: counter = %d, want the last acknowledged %d or the one after", round, got, last)
		}
		last = got
	}

	if _, err := p.AppendRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: "after", Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"example.com.zone"}, dirNames(t, dir)); diff != "" {
		t.Errorf("directory after a write that followed the kills (-want +got):\n%s", diff)
	}
}
