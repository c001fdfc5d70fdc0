package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/mailconf/mailconf/relay/queue"
)

// Store is the part of the relay queue the Scheduler uses; *queue.Spool
// implements it.
type Store interface {
	// Due returns the items with a Pending recipient whose NextAttempt has
	// come, oldest first.
	Due(now time.Time) ([]*queue.Item, error)
	// Body returns a message's body.
	Body(id string) ([]byte, error)
	// Update stores an item's delivery state durably.
	Update(it *queue.Item) error
	// Remove deletes an item whose recipients are all final.
	Remove(id string) error
	// Enqueue stores a new message durably.
	Enqueue(from string, to []string, body []byte) (*queue.Item, error)
}

var _ Store = (*queue.Spool)(nil)

// DefaultSchedule is the retry schedule when Scheduler.Schedule is empty:
// the wait after the first, second ... failed attempt; the last interval
// repeats. RFC 5321 section 4.5.4.1 asks for at least 30 minutes between
// retries in general; the shorter first intervals catch greylisting, which
// typically lets a retry through after a few minutes.
var DefaultSchedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}

// Defaults of the Scheduler.
const (
	DefaultPerDestination  = 4
	DefaultMaxConcurrent   = 100
	DefaultShutdownTimeout = 30 * time.Second
)

// Scheduler delivers what the queue holds: it attempts every due
// recipient, records each outcome in the queue, schedules retries, fails
// recipients for good on 5xx replies and on expiry, queues DSNs for the
// failures, and removes messages whose recipients are all final.
type Scheduler struct {
	Store  Store
	Client *Client

	// Schedule is the wait after each failed attempt, the last entry
	// repeating; default DefaultSchedule.
	Schedule []time.Duration

	// Now is the clock; default time.Now.
	Now func() time.Time

	// Hostname names the relay in DSNs (Reporting-MTA and the
	// MAILER-DAEMON address); default Client.Hostname.
	Hostname string

	// PerDestination bounds the concurrent deliveries to one recipient
	// domain; default DefaultPerDestination. Receivers throttle senders
	// that open many connections at once.
	PerDestination int

	// MaxConcurrent bounds all concurrent deliveries, and so the open
	// connections; default DefaultMaxConcurrent.
	MaxConcurrent int

	// ShutdownTimeout is how long Run lets deliveries in flight finish
	// after its context ends before it cuts them off; default
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// Logger receives one line per recipient attempted and the errors of
	// the queue; default discards.
	Logger *slog.Logger
	// Observe, when set, is called with each recipient after an attempt
	// has been recorded: Delivered, Failed, or Pending again with one more
	// attempt (a deferral). The relay counts its metrics with it.
	Observe func(r queue.Recipient)
}

// RunOnce attempts every recipient that is due now and returns when all
// those attempts are done and recorded. It returns an error only when the
// queue cannot list what is due; failures of single items are logged and
// left for the next run.
//
// Cancelling ctx stops starting new deliveries and aborts those in flight
// (their recipients are retried later). RunOnce must not run concurrently
// with itself on one Scheduler, as the per-destination bound is kept per
// run.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	return s.run(ctx, ctx)
}

// Run calls RunOnce every interval until ctx ends. When ctx ends, Run
// starts no new delivery; those in flight go on with a context of their own
// for at most ShutdownTimeout, then are cut off (their recipients count a
// temporary failure and are retried after a restart). Run returns once no
// delivery is in flight, with nil; an error means it could not start.
// Errors of RunOnce are logged and the loop goes on.
func (s *Scheduler) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("delivery: Run needs a positive interval, not %v", every)
	}
	if s.Store == nil || s.Client == nil {
		return errNoClient
	}
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	go func() {
		select {
		case <-ctx.Done():
		case <-work.Done():
			return
		}
		t := time.NewTimer(cmp.Or(s.ShutdownTimeout, DefaultShutdownTimeout))
		defer t.Stop()
		select {
		case <-t.C:
			cancelWork()
		case <-work.Done():
		}
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.run(ctx, work); err != nil {
			s.logger().Error("delivery run failed", "err", err)
		}
		t.Reset(every)
	}
}

// itemRun is one item being delivered in a run.
type itemRun struct {
	item *queue.Item

	mu      sync.Mutex
	body    []byte
	loaded  bool
	bodyErr error
	jobs    int            // jobs of this item not yet finished or skipped
	results map[int]Result // by recipient index
}

// job is the delivery of one item to the due recipients of one domain.
type job struct {
	ir     *itemRun
	domain string
	idx    []int
}

// run is RunOnce with two contexts: pick stops the starting of new
// deliveries, work is the context deliveries run under.
func (s *Scheduler) run(pick, work context.Context) error {
	if s.Store == nil || s.Client == nil {
		return errNoClient
	}
	if pick.Err() != nil {
		return nil
	}
	now := s.now()
	items, err := s.Store.Due(now)
	if err != nil {
		return fmt.Errorf("delivery: listing due items: %w", err)
	}

	// Group each item's due recipients by domain: one job each, waiting in
	// its domain's line.
	waiting := make(map[string][]*job)
	var domains []string
	for _, it := range items {
		ir := &itemRun{item: it, results: make(map[int]Result)}
		var order []string
		groups := make(map[string][]int)
		for i, r := range it.Recipients {
			if r.Status != queue.Pending || r.NextAttempt.After(now) {
				continue
			}
			d := domainOf(r.Addr)
			if _, ok := groups[d]; !ok {
				order = append(order, d)
			}
			groups[d] = append(groups[d], i)
		}
		for _, d := range order {
			ir.jobs++
			if _, ok := waiting[d]; !ok {
				domains = append(domains, d)
			}
			waiting[d] = append(waiting[d], &job{ir: ir, domain: d, idx: groups[d]})
		}
	}

	perDest := cmp.Or(s.PerDestination, DefaultPerDestination)
	maxConc := cmp.Or(s.MaxConcurrent, DefaultMaxConcurrent)
	active := make(map[string]int)
	running := 0
	done := make(chan *job)

	// fill starts waiting jobs, domain by domain, while the bounds allow.
	// Domains without waiting jobs drop out of the list, so each call costs
	// at most one pass over the domains still waiting.
	fill := func() {
		if pick.Err() != nil {
			return
		}
		kept := domains[:0]
		for _, d := range domains {
			for len(waiting[d]) > 0 && active[d] < perDest && running < maxConc {
				j := waiting[d][0]
				waiting[d] = waiting[d][1:]
				active[d]++
				running++
				go func() {
					s.deliver(work, j)
					done <- j
				}()
			}
			if len(waiting[d]) > 0 {
				kept = append(kept, d)
			}
		}
		domains = kept
	}
	fill()
	for running > 0 {
		j := <-done
		running--
		active[j.domain]--
		fill()
	}
	// Jobs never started (ctx ended) leave their recipients as they were;
	// an item whose other jobs ran still records those.
	for _, d := range domains {
		for _, j := range waiting[d] {
			if s.jobDone(j) {
				s.finish(work, j.ir)
			}
		}
	}
	return nil
}

// deliver runs one job and, if it was its item's last, records the item.
func (s *Scheduler) deliver(ctx context.Context, j *job) {
	ir := j.ir
	body, err := ir.loadBody(s.Store)
	var results []Result
	rcpts := make([]string, len(j.idx))
	for k, i := range j.idx {
		rcpts[k] = ir.item.Recipients[i].Addr
	}
	if err != nil {
		// The body is unreadable; leave the recipients for the next run
		// and say why.
		s.logger().Error("cannot read queued message", "id", ir.item.ID, "err", err)
	} else {
		results = s.Client.Deliver(ctx, ir.item.From, rcpts, body)
	}
	ir.mu.Lock()
	for k, i := range j.idx {
		if k < len(results) {
			ir.results[i] = results[k]
		}
	}
	ir.mu.Unlock()
	if s.jobDone(j) {
		s.finish(ctx, ir)
	}
}

// jobDone counts a job of its item as finished and reports whether it was
// the last.
func (s *Scheduler) jobDone(j *job) bool {
	j.ir.mu.Lock()
	defer j.ir.mu.Unlock()
	j.ir.jobs--
	return j.ir.jobs == 0
}

func (ir *itemRun) loadBody(st Store) ([]byte, error) {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	if !ir.loaded {
		ir.body, ir.bodyErr = st.Body(ir.item.ID)
		ir.loaded = true
	}
	return ir.body, ir.bodyErr
}

// finish records the results of an item's run: recipient states, a DSN for
// new failures, then Update, or Remove when every recipient is final.
func (s *Scheduler) finish(ctx context.Context, ir *itemRun) {
	if len(ir.results) == 0 {
		return
	}
	it := ir.item
	now := s.now()
	log := s.logger().With("id", it.ID)
	var newlyFailed []int
	for _, i := range slices.Sorted(maps.Keys(ir.results)) {
		res := ir.results[i]
		r := &it.Recipients[i]
		s.apply(r, res, now, it.Expires)
		if r.Status == queue.Failed {
			newlyFailed = append(newlyFailed, i)
		}
		log.LogAttrs(ctx, slog.LevelInfo, "delivery attempt",
			slog.String("rcpt", r.Addr), slog.String("status", r.Status.String()),
			slog.Int("code", res.Code), slog.String("reply", res.String()),
			slog.Int("attempts", r.Attempts), slog.Time("next", r.NextAttempt))
	}

	// Report the recipients that failed in this run and, if no DSN was
	// ever queued for this item, those that had failed before (a crash or
	// an earlier Enqueue error may have left them unreported).
	report := make(map[int]bool)
	for _, i := range newlyFailed {
		report[i] = true
	}
	if !it.DSNSent {
		for i, r := range it.Recipients {
			if r.Status == queue.Failed {
				report[i] = true
			}
		}
	}
	// RFC 5321 section 4.5.5 and RFC 3464 section 2: no DSN is ever sent
	// about a message with the null reverse-path, so DSNs cannot loop.
	if it.From != "" && len(report) > 0 {
		var failed []queue.Recipient
		for i, r := range it.Recipients {
			if report[i] {
				failed = append(failed, r)
			}
		}
		body, _ := ir.loadBody(s.Store)
		dsn := BuildDSN(s.hostname(), it, failed, body, now)
		if _, err := s.Store.Enqueue("", []string{it.From}, dsn); err != nil {
			// A failure is only recorded once its DSN is safe: put the
			// newly failed recipients back to Pending, so that the next
			// attempt fails them again and queues the DSN then.
			log.Error("cannot queue DSN; failures will be retried", "err", err)
			for _, i := range newlyFailed {
				r := &it.Recipients[i]
				r.Status = queue.Pending
				r.NextAttempt = now.Add(s.delay(1))
			}
		} else {
			it.DSNSent = true
		}
	}
	if s.Observe != nil {
		for i := range ir.results {
			s.Observe(it.Recipients[i])
		}
	}
	final := true
	for _, r := range it.Recipients {
		final = final && r.Status != queue.Pending
	}
	if final {
		err := s.Store.Remove(it.ID)
		if err == nil {
			return
		}
		log.Error("cannot remove delivered message", "err", err)
	}
	if err := s.Store.Update(it); err != nil {
		log.Error("cannot record delivery state", "err", err)
	}
}

// apply records one attempt's result in a recipient.
func (s *Scheduler) apply(r *queue.Recipient, res Result, now, expires time.Time) {
	r.Attempts++
	r.LastCode = res.Code
	r.LastError = res.String()
	switch {
	case res.Delivered():
		r.Status = queue.Delivered
	case !res.Temporary:
		r.Status = queue.Failed
	case !expires.IsZero() && !now.Before(expires):
		// The queue lifetime is over (RFC 5321 section 4.5.4.1: give up
		// after 4-5 days): the message is returned with X.4.7.
		r.Status = queue.Failed
		r.LastError = expiredError(res.String())
	default:
		next := now.Add(s.delay(r.Attempts))
		// The last attempt happens when the lifetime ends, not one
		// interval after it: the queue does not offer an item whose
		// NextAttempt lies beyond its expiry.
		if !expires.IsZero() && next.After(expires) {
			next = expires
		}
		r.NextAttempt = next
	}
}

// delay is the wait after the attempts-th failed attempt.
func (s *Scheduler) delay(attempts int) time.Duration {
	sched := s.Schedule
	if len(sched) == 0 {
		sched = DefaultSchedule
	}
	i := min(max(attempts-1, 0), len(sched)-1)
	return sched[i]
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) hostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	if s.Client != nil {
		return s.Client.hostname()
	}
	return "localhost"
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// errNoClient is returned by checks of a Scheduler missing its parts.
var errNoClient = errors.New("delivery: Scheduler needs a Store and a Client")
