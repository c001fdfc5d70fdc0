package queue

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a settable fake of Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// open opens a spool in dir and closes it when the test ends.
func open(t *testing.T, dir string, opts Options) *Spool {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// reopen closes s and opens its directory again, as a restart would.
func reopen(t *testing.T, s *Spool, opts Options) *Spool {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return open(t, s.dir, opts)
}

func enqueue(t *testing.T, s *Spool, from string, to []string, body string) *Item {
	t.Helper()
	it, err := s.Enqueue(from, to, []byte(body))
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return it
}

func ids(items []*Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestEnqueue(t *testing.T) {
	c := newClock()
	start := c.Now()
	tests := []struct {
		name     string
		lifetime time.Duration
		from     string
		to       []string
		body     string
		want     Item
	}{
		{
			name: "default lifetime is 5 days",
			from: "alice@example.com",
			to:   []string{"bob@example.org"},
			body: "Subject: hi\r\n\r\nhello\r\n",
			want: Item{
				From:       "alice@example.com",
				Recipients: []Recipient{{Addr: "bob@example.org", Status: Pending, NextAttempt: start}},
				Received:   start,
				Expires:    start.Add(120 * time.Hour),
				Size:       22,
			},
		},
		{
			name:     "custom lifetime, null sender, two recipients",
			lifetime: time.Hour,
			from:     "",
			to:       []string{"a@example.org", "b@example.net"},
			body:     "x",
			want: Item{
				Recipients: []Recipient{
					{Addr: "a@example.org", Status: Pending, NextAttempt: start},
					{Addr: "b@example.net", Status: Pending, NextAttempt: start},
				},
				Received: start,
				Expires:  start.Add(time.Hour),
				Size:     1,
			},
		},
		{
			name: "empty body",
			from: "alice@example.com",
			to:   []string{"bob@example.org"},
			want: Item{
				From:       "alice@example.com",
				Recipients: []Recipient{{Addr: "bob@example.org", Status: Pending, NextAttempt: start}},
				Received:   start,
				Expires:    start.Add(120 * time.Hour),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Now: c.Now, Lifetime: tt.lifetime}
			s := open(t, t.TempDir(), opts)
			got := enqueue(t, s, tt.from, tt.to, tt.body)
			if _, ok := parseID(got.ID); !ok {
				t.Errorf("ID %q is not 16 hex digits", got.ID)
			}
			tt.want.ID = got.ID
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Enqueue (-want +got):\n%s", diff)
			}
			check := func(s *Spool) {
				t.Helper()
				g, err := s.Get(got.ID)
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if diff := cmp.Diff(&tt.want, g); diff != "" {
					t.Errorf("Get (-want +got):\n%s", diff)
				}
				b, err := s.Body(got.ID)
				if err != nil {
					t.Fatalf("Body: %v", err)
				}
				if string(b) != tt.body {
					t.Errorf("Body = %q, want %q", b, tt.body)
				}
			}
			check(s)
			check(reopen(t, s, opts))
		})
	}
}

func TestEnqueueNoRecipients(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	if _, err := s.Enqueue("a@example.com", nil, []byte("x")); !errors.Is(err, errNoRecipients) {
		t.Errorf("Enqueue without recipients: err = %v, want %v", err, errNoRecipients)
	}
	if s.Len() != 0 {
		t.Errorf("Len = %d, want 0", s.Len())
	}
}

func TestIDs(t *testing.T) {
	c := newClock()
	opts := Options{Now: c.Now, NoSync: true}
	s := open(t, t.TempDir(), opts)
	var got []string
	// A clock that stands still, then goes back an hour, must still give
	// strictly increasing IDs.
	for range 3 {
		got = append(got, enqueue(t, s, "", []string{"a@example.org"}, "x").ID)
	}
	c.Add(-time.Hour)
	got = append(got, enqueue(t, s, "", []string{"a@example.org"}, "x").ID)
	// So must a restart with the clock still behind.
	s = reopen(t, s, opts)
	got = append(got, enqueue(t, s, "", []string{"a@example.org"}, "x").ID)
	c.Add(2 * time.Hour)
	got = append(got, enqueue(t, s, "", []string{"a@example.org"}, "x").ID)

	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("IDs are not strictly increasing: %q", got)
	}
	if want := formatID(uint64(newClock().Now().UnixNano())); got[0] != want {
		t.Errorf("first ID = %s, want the clock's nanoseconds %s", got[0], want)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, ids(list)); diff != "" {
		t.Errorf("List order (-want +got):\n%s", diff)
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"valid", "0123456789abcdef", true},
		{"upper case", "0123456789ABCDEF", false},
		{"short", "0123", false},
		{"long", "0123456789abcdef0", false},
		{"path traversal", "../../etc/passwd", false},
		{"slash", "01234567/9abcdef", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := parseID(tt.id); ok != tt.ok {
				t.Errorf("parseID(%q) ok = %v, want %v", tt.id, ok, tt.ok)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	s := open(t, t.TempDir(), Options{NoSync: true})
	it := enqueue(t, s, "", []string{"a@example.org"}, "x")
	if err := s.Remove(it.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{it.ID, "0123456789abcdef", "../lock", ""} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get: err = %v, want ErrNotFound", err)
			}
			if _, err := s.Body(id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Body: err = %v, want ErrNotFound", err)
			}
			if err := s.Remove(id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Remove: err = %v, want ErrNotFound", err)
			}
			if err := s.Update(&Item{ID: id}); !errors.Is(err, ErrNotFound) {
				t.Errorf("Update: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestCopies(t *testing.T) {
	s := open(t, t.TempDir(), Options{NoSync: true})
	it := enqueue(t, s, "", []string{"a@example.org"}, "x")
	it.Recipients[0].Status = Delivered
	g, err := s.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	g.Recipients[0].Addr = "changed"
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	list[0].Recipients[0].Attempts = 7
	due, err := s.Due(it.Received)
	if err != nil {
		t.Fatal(err)
	}
	due[0].Recipients[0].LastCode = 421
	g, err = s.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []Recipient{{Addr: "a@example.org", Status: Pending, NextAttempt: it.Received}}
	if diff := cmp.Diff(want, g.Recipients); diff != "" {
		t.Errorf("a caller's copy changed the spool (-want +got):\n%s", diff)
	}
}

func TestUpdate(t *testing.T) {
	c := newClock()
	opts := Options{Now: c.Now}
	s := open(t, t.TempDir(), opts)
	orig := enqueue(t, s, "alice@example.com", []string{"a@example.org", "b@example.net"}, "body")
	later := orig.Received.Add(30 * time.Minute)

	upd := *orig
	upd.Recipients = []Recipient{
		{Addr: "a@example.org", Status: Delivered, Attempts: 1, LastCode: 250, LastError: "2.0.0 ok"},
		{Addr: "b@example.net", Status: Pending, Attempts: 1, NextAttempt: later.In(time.FixedZone("X", 3600)), LastCode: 451, LastError: "4.7.1 greylisted"},
	}
	upd.DSNSent = true
	upd.Expires = orig.Expires.Add(time.Hour)
	// Fields fixed at Enqueue are not taken from the update.
	upd.From = "mallory@example.com"
	upd.Size = 99
	upd.Received = time.Time{}
	if err := s.Update(&upd); err != nil {
		t.Fatalf("Update: %v", err)
	}
	want := &Item{
		ID:         orig.ID,
		From:       "alice@example.com",
		Recipients: upd.Recipients,
		Received:   orig.Received,
		Expires:    orig.Expires.Add(time.Hour),
		Size:       4,
		DSNSent:    true,
	}
	check := func(s *Spool) {
		t.Helper()
		got, err := s.Get(orig.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after Update (-want +got):\n%s", diff)
		}
		if b, err := s.Body(orig.ID); err != nil || string(b) != "body" {
			t.Errorf("Body = %q, %v; want %q", b, err, "body")
		}
	}
	check(s)
	s = reopen(t, s, opts)
	check(s)

	// A second update replaces the first.
	want.Recipients[1].Status = Failed
	want.Recipients[1].Attempts = 2
	if err := s.Update(want); err != nil {
		t.Fatalf("second Update: %v", err)
	}
	check(s)
	check(reopen(t, s, opts))

	t.Run("invalid status", func(t *testing.T) {
		bad := clone(want)
		bad.Recipients[0].Status = Status(9)
		if err := s.Update(bad); err == nil {
			t.Error("Update with an invalid status succeeded")
		}
	})
	t.Run("nil", func(t *testing.T) {
		if err := s.Update(nil); err == nil {
			t.Error("Update(nil) succeeded")
		}
	})
}

func TestRemove(t *testing.T) {
	opts := Options{Now: newClock().Now}
	s := open(t, t.TempDir(), opts)
	a := enqueue(t, s, "", []string{"a@example.org"}, "a")
	b := enqueue(t, s, "", []string{"b@example.org"}, "b")
	c := enqueue(t, s, "", []string{"c@example.org"}, "c")
	// b has an .env file too.
	b.Recipients[0].Attempts = 1
	if err := s.Update(b); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{b.ID, a.ID} {
		if err := s.Remove(id); err != nil {
			t.Fatalf("Remove(%s): %v", id, err)
		}
	}
	check := func(s *Spool) {
		t.Helper()
		if s.Len() != 1 {
			t.Errorf("Len = %d, want 1", s.Len())
		}
		list, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{c.ID}, ids(list)); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
	}
	check(s)
	if diff := cmp.Diff([]string{c.ID + msgExt}, spoolFiles(t, s.dir)); diff != "" {
		t.Errorf("files left (-want +got):\n%s", diff)
	}
	check(reopen(t, s, opts))
}

// spoolFiles lists the per-item files of dir, sorted.
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, _, ok := splitName(e.Name()); ok {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestListAndLen(t *testing.T) {
	c := newClock()
	s := open(t, t.TempDir(), Options{Now: c.Now, NoSync: true})
	if list, err := s.List(); err != nil || len(list) != 0 || s.Len() != 0 {
		t.Fatalf("empty spool: List = %v, %v; Len = %d", list, err, s.Len())
	}
	var want []string
	for i := range 5 {
		want = append(want, enqueue(t, s, "", []string{"a@example.org"}, fmt.Sprint(i)).ID)
		c.Add(time.Second)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ids(list)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if s.Len() != 5 {
		t.Errorf("Len = %d, want 5", s.Len())
	}
}

func TestDue(t *testing.T) {
	c := newClock()
	now := c.Now()
	s := open(t, t.TempDir(), Options{Now: c.Now, NoSync: true})
	// Each item is enqueued and then given the recipients of its case.
	items := []struct {
		name  string
		rcpts []Recipient
	}{
		{"new", nil}, // as enqueued: Pending, NextAttempt = Received = now
		{"retry in the past", []Recipient{{Addr: "a", Status: Pending, NextAttempt: now.Add(-time.Minute)}}},
		{"retry exactly now", []Recipient{{Addr: "a", Status: Pending, NextAttempt: now}}},
		{"retry in the future", []Recipient{{Addr: "a", Status: Pending, NextAttempt: now.Add(time.Minute)}}},
		{"all delivered", []Recipient{{Addr: "a", Status: Delivered}}},
		{"all failed", []Recipient{{Addr: "a", Status: Failed}, {Addr: "b", Status: Delivered}}},
		{"one of two pending and due", []Recipient{
			{Addr: "a", Status: Delivered},
			{Addr: "b", Status: Pending, NextAttempt: now.Add(-time.Second)},
		}},
		{"final recipient with an old NextAttempt", []Recipient{
			{Addr: "a", Status: Failed, NextAttempt: now.Add(-time.Hour)},
			{Addr: "b", Status: Pending, NextAttempt: now.Add(time.Hour)},
		}},
	}
	byName := map[string]string{}
	for _, tc := range items {
		it := enqueue(t, s, "", []string{"x@example.org"}, tc.name)
		if tc.rcpts != nil {
			it.Recipients = tc.rcpts
			if err := s.Update(it); err != nil {
				t.Fatal(err)
			}
		}
		byName[tc.name] = it.ID
	}
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"before everything", now.Add(-time.Hour), nil},
		{"now", now, []string{"new", "retry in the past", "retry exactly now", "one of two pending and due"}},
		{"in a minute", now.Add(time.Minute), []string{"new", "retry in the past", "retry exactly now", "retry in the future", "one of two pending and due"}},
		{"in two hours", now.Add(2 * time.Hour), []string{"new", "retry in the past", "retry exactly now", "retry in the future", "one of two pending and due", "final recipient with an old NextAttempt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, err := s.Due(tt.now)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range tt.want {
				want = append(want, byName[n])
			}
			if diff := cmp.Diff(want, ids(due)); diff != "" {
				t.Errorf("Due (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClose(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	it := enqueue(t, s, "", []string{"a@example.org"}, "x")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Enqueue("", []string{"a@example.org"}, nil); !errors.Is(err, errClosed) {
		t.Errorf("Enqueue after Close: err = %v", err)
	}
	if _, err := s.Get(it.ID); !errors.Is(err, errClosed) {
		t.Errorf("Get after Close: err = %v", err)
	}
	if err := s.Update(it); !errors.Is(err, errClosed) {
		t.Errorf("Update after Close: err = %v", err)
	}
	if err := s.Remove(it.ID); !errors.Is(err, errClosed) {
		t.Errorf("Remove after Close: err = %v", err)
	}
	if _, err := s.List(); !errors.Is(err, errClosed) {
		t.Errorf("List after Close: err = %v", err)
	}
	if _, err := s.Due(time.Now()); !errors.Is(err, errClosed) {
		t.Errorf("Due after Close: err = %v", err)
	}
	// The lock is released: the directory opens again, with the item.
	s = open(t, dir, Options{})
	if s.Len() != 1 {
		t.Errorf("Len after reopen = %d, want 1", s.Len())
	}
}

func TestLockedInProcess(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, Options{})
	// flock(2) locks belong to the open file description, so a second
	// Open in the same process is kept out too.
	if s, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		if err == nil {
			_ = s.Close()
		}
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
}

func TestRecovery(t *testing.T) {
	c := newClock()
	opts := Options{Now: c.Now}
	dir := t.TempDir()
	s := open(t, dir, opts)
	good := enqueue(t, s, "", []string{"a@example.org"}, "good")
	upd := enqueue(t, s, "", []string{"a@example.org"}, "updated")
	upd.Recipients[0].Attempts = 3
	if err := s.Update(upd); err != nil {
		t.Fatal(err)
	}
	badEnv := enqueue(t, s, "", []string{"a@example.org"}, "bad env")
	truncated := enqueue(t, s, "", []string{"a@example.org"}, "truncated body")
	garbage := enqueue(t, s, "", []string{"a@example.org"}, "garbage")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// What crashes leave behind: half-written temporaries, an .env whose
	// .msg a Remove already deleted.
	write("00000000000000aa.tmp", `{"v":1,"id":"00000000000000aa","rcpt":[`)
	write(good.ID+envTmpExt, `{"v":1`)
	write("00000000000000bb.env", `{}`)
	// What only disk corruption can cause.
	write(badEnv.ID+envExt, `{"v":1,"id":`)
	msg, err := os.ReadFile(filepath.Join(dir, truncated.ID+msgExt))
	if err != nil {
		t.Fatal(err)
	}
	write(truncated.ID+msgExt, string(msg[:len(msg)-3]))
	write(garbage.ID+msgExt, "\x00\x00\x00\x00")
	// Files the spool does not own are left alone.
	write("README", "operator notes")

	s = open(t, dir, opts)
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{good.ID, upd.ID, badEnv.ID}, ids(list)); diff != "" {
		t.Errorf("items after recovery (-want +got):\n%s", diff)
	}
	if got, _ := s.Get(upd.ID); got == nil || got.Recipients[0].Attempts != 3 {
		t.Errorf("updated item lost its update: %+v", got)
	}
	if got, _ := s.Get(badEnv.ID); got == nil || got.Recipients[0].Status != Pending {
		t.Errorf("item with an unreadable update should fall back to its original envelope: %+v", got)
	}
	for _, it := range list {
		if _, err := s.Body(it.ID); err != nil {
			t.Errorf("Body(%s): %v", it.ID, err)
		}
	}
	wantFiles := []string{good.ID + msgExt, upd.ID + envExt, upd.ID + msgExt, badEnv.ID + msgExt}
	slices.Sort(wantFiles)
	if diff := cmp.Diff(wantFiles, spoolFiles(t, dir)); diff != "" {
		t.Errorf("spool files after recovery (-want +got):\n%s", diff)
	}
	quarantined, err := os.ReadDir(filepath.Join(dir, corruptDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range quarantined {
		names = append(names, e.Name())
	}
	wantQ := []string{badEnv.ID + envExt, truncated.ID + msgExt, garbage.ID + msgExt}
	slices.Sort(wantQ)
	if diff := cmp.Diff(wantQ, names); diff != "" {
		t.Errorf("corrupt/ (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
		t.Errorf("a foreign file was touched: %v", err)
	}
	// A new ID is above every ID seen on disk, including the stray ones.
	if it := enqueue(t, s, "", []string{"a@example.org"}, "new"); it.ID <= garbage.ID {
		t.Errorf("new ID %s not above %s", it.ID, garbage.ID)
	}
}

func TestLongEnvelope(t *testing.T) {
	// An envelope line far longer than a read buffer must load back.
	opts := Options{NoSync: true}
	s := open(t, t.TempDir(), opts)
	var to []string
	for i := range 2000 {
		to = append(to, fmt.Sprintf("recipient-%04d@example.org", i))
	}
	body := bytes.Repeat([]byte("line\r\n"), 1000)
	it, err := s.Enqueue("a@example.com", to, body)
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, opts)
	got, err := s.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(it, got); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
	if b, err := s.Body(it.ID); err != nil || !bytes.Equal(b, body) {
		t.Errorf("Body: %v, equal = %v", err, bytes.Equal(b, body))
	}
}

func TestConcurrent(t *testing.T) {
	// Enqueue, Update, Remove and the readers at once; run with -race. The
	// fsyncs would only slow this down: TestCrash covers durability.
	s := open(t, t.TempDir(), Options{NoSync: true})
	var enqueuers, updaters sync.WaitGroup
	for g := range 8 {
		enqueuers.Go(func() {
			for i := range 20 {
				it, err := s.Enqueue("", []string{"a@example.org"}, []byte(fmt.Sprint(g, i)))
				if err != nil {
					t.Error(err)
					return
				}
				it.Recipients[0].Status = Delivered
				if err := s.Update(it); err != nil {
					t.Error(err)
				}
				if _, err := s.Due(time.Now()); err != nil {
					t.Error(err)
				}
				if i%2 == 0 {
					if err := s.Remove(it.ID); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	// Meanwhile, Update every listed item, racing the Removes above: each
	// call either succeeds or reports ErrNotFound, and no .env may outlive
	// its .msg.
	done := make(chan struct{})
	for range 4 {
		updaters.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				list, _ := s.List()
				for _, it := range list {
					if err := s.Update(it); err != nil && !errors.Is(err, ErrNotFound) {
						t.Error(err)
					}
				}
			}
		})
	}
	enqueuers.Wait()
	close(done)
	updaters.Wait()
	if s.Len() != 80 {
		t.Errorf("Len = %d, want 80", s.Len())
	}
	files := spoolFiles(t, s.dir)
	for _, f := range files {
		id, _, _ := splitName(f)
		if !slices.Contains(files, id+msgExt) {
			t.Errorf("%s has no .msg", f)
		}
	}
}

func TestOpenCreatesDirectories(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "spool")
	s := open(t, dir, Options{})
	enqueue(t, s, "", []string{"a@example.org"}, "x")
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("spool mode = %o, want 700", perm)
	}
}
