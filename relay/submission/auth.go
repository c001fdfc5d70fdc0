package submission

import (
	"sync"
	"time"

	"github.com/emersion/go-sasl"
)

// Slowing down password guessing. Each failed AUTH from a client (an IPv4
// address or an IPv6 /64) adds one to its count; every attempt from a
// client with a count n > 0 waits authDelayBase << (n-1), at most
// authDelayMax, before the reply, whether the password turns out right or
// wrong, so that a client cannot learn the outcome by giving up early. The
// count forgets one failure per failureDecay and stops growing at
// maxFailures, so a client is fully forgiven within maxFailures minutes.
// With MaxConnsPerIP connections in parallel this bounds a guesser to
// MaxConnsPerIP attempts per authDelayMax.
const (
	authDelayBase = time.Second
	authDelayMax  = 16 * time.Second
	failureDecay  = time.Minute
	maxFailures   = 30
	// maxTracked bounds the memory of the failure table. When it is full,
	// forgiven entries go first, then the ones idle the longest.
	maxTracked = 1 << 16
)

// throttle counts authentication failures per client.
type throttle struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*failures
}

// failures is one client's count; since is when the decay of the oldest
// failure still counted started.
type failures struct {
	n     int
	since time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, m: make(map[string]*failures)}
}

// delayFor is the wait before answering a client with n recent failures.
func delayFor(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := authDelayMax
	if n <= 5 {
		d = min(authDelayBase<<(n-1), authDelayMax)
	}
	return d
}

// decay forgets the failures that are old enough. A clock that went
// backwards forgives nothing.
func (f *failures) decay(now time.Time) {
	elapsed := now.Sub(f.since)
	if f.n == 0 || elapsed < failureDecay {
		return
	}
	k := int(elapsed / failureDecay)
	if k >= f.n {
		f.n, f.since = 0, now
		return
	}
	f.n -= k
	f.since = f.since.Add(time.Duration(k) * failureDecay)
}

// delay returns how long to wait before answering an AUTH attempt from key.
func (t *throttle) delay(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.m[key]
	if f == nil {
		return 0
	}
	f.decay(t.now())
	if f.n == 0 {
		delete(t.m, key)
		return 0
	}
	return delayFor(f.n)
}

// fail records a failed attempt from key and returns its count.
func (t *throttle) fail(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.m[key]
	if f == nil {
		if len(t.m) >= maxTracked {
			t.evict(now)
		}
		f = &failures{since: now}
		t.m[key] = f
	}
	f.decay(now)
	if f.n == 0 {
		f.since = now
	}
	if f.n < maxFailures {
		f.n++
	}
	return f.n
}

// evict makes room in a full table.
func (t *throttle) evict(now time.Time) {
	var oldest string
	var oldestSince time.Time
	for k, f := range t.m {
		f.decay(now)
		if f.n == 0 {
			delete(t.m, k)
			continue
		}
		if oldest == "" || f.since.Before(oldestSince) {
			oldest, oldestSince = k, f.since
		}
	}
	if len(t.m) >= maxTracked {
		delete(t.m, oldest)
	}
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login): the username and the password come as two
// answers to the challenges "Username:" and "Password:", the username
// possibly as the initial response. go-sasl has only the client side. LOGIN
// carries the password in clear like PLAIN, so it gets the same TLS rule.
type loginServer struct {
	step     int
	username string
	auth     func(username, password string) error
}

var (
	loginUsername = []byte("Username:")
	loginPassword = []byte("Password:")
)

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response == nil {
			l.step = 1
			return loginUsername, false, nil
		}
		l.username, l.step = string(response), 2
		return loginPassword, false, nil
	case 1:
		l.username, l.step = string(response), 2
		return loginPassword, false, nil
	case 2:
		l.step = 3
		return nil, true, l.auth(l.username, string(response))
	default:
		return nil, false, sasl.ErrUnexpectedClientResponse
	}
}
