package queue

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Body returns a message's body.
func (s *Spool) Body(id string) ([]byte, error) {
	e, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	size := e.item.Size
	s.mu.Unlock()
	data, err := os.ReadFile(s.path(id + msgExt))
	if errors.Is(err, fs.ErrNotExist) {
		// Removed between the lookup and the read.
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: reading body of %s: %w", id, err)
	}
	i := bytes.IndexByte(data, '\n')
	if i < 0 || int64(len(data)-i-1) != size {
		return nil, fmt.Errorf("%w: %s: body is not %d octets", errCorrupt, id, size)
	}
	return data[i+1:], nil
}

// Get returns one item (a copy).
func (s *Spool) Get(id string) (*Item, error) {
	e, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(e.item), nil
}

// List returns every item, oldest first (copies).
func (s *Spool) List() ([]*Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	out := make([]*Item, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, clone(s.items[id].item))
	}
	return out, nil
}

// Due returns the items with at least one Pending recipient whose NextAttempt <= now, oldest first.
//
// Expiry is the caller's decision: an item past Expires whose Pending
// recipients wait for a later NextAttempt is not due until then, so a
// scheduler should not set NextAttempt beyond Expires.
func (s *Spool) Due(now time.Time) ([]*Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	var out []*Item
	for _, id := range s.order {
		it := s.items[id].item
		for _, r := range it.Recipients {
			if r.Status == Pending && !r.NextAttempt.After(now) {
				out = append(out, clone(it))
				break
			}
		}
	}
	return out, nil
}

// Len is the number of items queued.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}
