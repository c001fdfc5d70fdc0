package queue

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file run a second process: the test binary itself,
// re-executed with -test.run=^TestHelperProcess$ and helperEnv naming what
// it should do with the spool in helperDirEnv.
const (
	helperEnv    = "MAILCONF_QUEUE_HELPER"
	helperDirEnv = "MAILCONF_QUEUE_HELPER_DIR"
)

// TestHelperProcess is not a test: it is the body of the child process.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process only")
	}
	dir := os.Getenv(helperDirEnv)
	switch mode {
	case "lock":
		helperLock(dir)
	case "enqueue":
		helperEnqueue(dir)
	}
	os.Exit(0)
}

// helperLock holds the spool open until its stdin is closed.
func helperLock(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		os.Exit(1)
	}
}

// helperEnqueue enqueues messages from several goroutines until it is
// killed, printing "<id> <seed>" for each one only after Enqueue returned:
// every printed ID is a message the relay would have answered 250 for.
func helperEnqueue(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	pid := os.Getpid()
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				seed := fmt.Sprintf("p%d-g%d-i%d", pid, g, i)
				it, err := s.Enqueue("sender@example.com", []string{"rcpt@example.org"}, crashBody(seed))
				mu.Lock()
				if err != nil {
					fmt.Fprintln(out, "error:", err)
				} else {
					fmt.Fprintln(out, it.ID, seed)
				}
				// Flush at once: an ID still in our buffer when the kill
				// comes would simply not count, but flushing each line
				// makes the kill land among in-flight Enqueues.
				_ = out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}

// crashBody is the body the crash test's child enqueues for seed, between
// a few octets and about 20 KB, so that the parent can check it.
func crashBody(seed string) []byte {
	h := fnv.New32a()
	h.Write([]byte(seed))
	n := int(h.Sum32() % 20000)
	return append([]byte("Subject: "+seed+"\r\n\r\n"), bytes.Repeat([]byte(seed[len(seed)-1:]), n)...)
}

func helperCmd(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestLockedOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := helperCmd(t, "lock", dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	s, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		if err == nil {
			_ = s.Close()
		}
		t.Errorf("Open while another process holds the spool: err = %v, want ErrLocked", err)
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	// Once the other process has closed the spool, it opens.
	open(t, dir, Options{})
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs subprocesses")
	}
	dir := t.TempDir()
	acked := map[string]string{} // ID -> seed, over all rounds
	for round := range 3 {
		killAfter := 100 + rand.IntN(400)
		cmd := helperCmd(t, "enqueue", dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		n := 0
		killed := false
		for sc.Scan() {
			id, seed, ok := strings.Cut(sc.Text(), " ")
			if !ok || id == "error:" {
				t.Errorf("round %d: helper: %s", round, sc.Text())
				continue
			}
			acked[id] = seed
			n++
			if n == killAfter && !killed {
				// A little more time, so that the kill lands at a random
				// point of the Enqueues in flight.
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		// Lines the child printed before it died are still read above:
		// those messages were acknowledged too.
		err = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: helper exited before the kill: %v", round, err)
		}

		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		for id, seed := range acked {
			if _, err := s.Get(id); err != nil {
				t.Errorf("round %d: acknowledged message %s lost: %v", round, id, err)
				continue
			}
			body, err := s.Body(id)
			if err != nil || !bytes.Equal(body, crashBody(seed)) {
				t.Errorf("round %d: body of %s differs or unreadable: %v", round, id, err)
			}
		}
		list, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range list {
			if _, err := s.Body(it.ID); err != nil {
				t.Errorf("round %d: listed item %s has no body: %v", round, it.ID, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, corruptDir)); err == nil {
			t.Errorf("round %d: recovery found corrupt entries", round)
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), tmpExt) {
				t.Errorf("round %d: %s survived recovery", round, e.Name())
			}
		}
		t.Logf("round %d: kill sent after %d IDs, %d printed in all; %d queued, %d acknowledged over all rounds", round, killAfter, n, len(list), len(acked))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
