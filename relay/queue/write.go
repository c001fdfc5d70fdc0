package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Enqueue stores a new message and returns once body AND envelope are durable
// on disk (written, fsynced, and the directory entry fsynced): only then may the
// SMTP server answer 250. Concurrent Enqueue calls may share one fsync (group commit).
//
// Every recipient starts Pending with NextAttempt = Received, so the item
// is due at once. The returned Item is the caller's copy.
func (s *Spool) Enqueue(from string, to []string, body []byte) (*Item, error) {
	if len(to) == 0 {
		return nil, errNoRecipients
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.inflight.Done()

	now := s.now().UTC()
	it := &Item{
		ID:         s.newID(now),
		From:       from,
		Recipients: make([]Recipient, len(to)),
		Received:   now,
		Expires:    now.Add(s.lifetime),
		Size:       int64(len(body)),
	}
	for i, addr := range to {
		it.Recipients[i] = Recipient{Addr: addr, Status: Pending, NextAttempt: now}
	}
	env, err := encodeEnvelope(it)
	if err != nil {
		return nil, err
	}
	env = append(env, '\n')

	tmp, final := s.path(it.ID+tmpExt), s.path(it.ID+msgExt)
	if err := s.writeFile(tmp, os.O_EXCL, env, body); err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("queue: storing message %s: %w", it.ID, err)
	}
	// The rename is the commit point: from here on a crash leaves the
	// complete message in place, which is harmless even though the client
	// was not told 250 yet (at worst it sends the message again).
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("queue: storing message %s: %w", it.ID, err)
	}
	if err := s.syncDir(); err != nil {
		// The entry may or may not survive a crash; since the client will
		// be told to retry, take it out rather than deliver it twice.
		_ = os.Remove(final)
		return nil, fmt.Errorf("queue: storing message %s: %w", it.ID, err)
	}
	s.mu.Lock()
	s.insert(it)
	s.mu.Unlock()
	return clone(it), nil
}

// Update replaces an item's delivery state atomically and durably (write temp, fsync, rename).
//
// Only the delivery state is taken from it: Recipients, Expires and
// DSNSent. ID names the item; From, Received and Size were fixed by Enqueue
// and are kept. If only the final directory fsync fails, the new state is
// in place (Get returns it) but may not survive a crash, and the error says
// so.
func (s *Spool) Update(it *Item) error {
	if it == nil {
		return errors.New("queue: Update of a nil item")
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	e, err := s.lookup(it.ID)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.removed {
		return fmt.Errorf("%w: %q", ErrNotFound, it.ID)
	}
	// e.item is only replaced while e.mu is held, which this goroutine does.
	cur := e.item
	next := clone(it)
	next.ID, next.From, next.Received, next.Size = cur.ID, cur.From, cur.Received, cur.Size
	normalize(next)
	env, err := encodeEnvelope(next)
	if err != nil {
		return err
	}

	tmp, final := s.path(it.ID+envTmpExt), s.path(it.ID+envExt)
	// O_TRUNC rather than O_EXCL: a temporary file left by an Update that
	// failed earlier in this process is simply overwritten.
	if err := s.writeFile(tmp, os.O_TRUNC, env, nil); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("queue: updating %s: %w", it.ID, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("queue: updating %s: %w", it.ID, err)
	}
	s.mu.Lock()
	e.item = next
	s.mu.Unlock()
	if err := s.syncDir(); err != nil {
		return fmt.Errorf("queue: updating %s: new state is in place but may not survive a crash: %w", it.ID, err)
	}
	return nil
}

// Remove deletes an item and its body (when every recipient is final and any DSN is queued).
func (s *Spool) Remove(id string) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.inflight.Done()
	e, err := s.lookup(id)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.removed {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	// The .msg goes first: once it is gone the item is gone, and Open
	// deletes a .env left behind. Removing the .env first would let a crash
	// bring the message back with its original, all-Pending envelope.
	if err := os.Remove(s.path(id + msgExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("queue: removing %s: %w", id, err)
	}
	e.removed = true
	s.mu.Lock()
	s.drop(id)
	s.mu.Unlock()
	if err := os.Remove(s.path(id + envExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("queue: removing %s: %w", id, err)
	}
	// Without this fsync a crash could bring the message back and deliver
	// it a second time.
	if err := s.syncDir(); err != nil {
		return fmt.Errorf("queue: removing %s: removal may not survive a crash: %w", id, err)
	}
	return nil
}

// writeFile creates name (flag adds O_EXCL or O_TRUNC), writes the parts
// and fsyncs it before closing: the data must be on disk before the rename
// that follows makes the name visible.
func (s *Spool) writeFile(name string, flag int, parts ...[]byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|flag, 0o600)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			_ = f.Close()
			return err
		}
	}
	if s.sync {
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
	}
	return f.Close()
}

// syncDir makes the renames and unlinks done so far in the spool directory
// durable. Concurrent callers share the journal commit (see "Group commit"
// in the package documentation).
func (s *Spool) syncDir() error {
	if !s.sync {
		return nil
	}
	return s.dirf.Sync()
}
