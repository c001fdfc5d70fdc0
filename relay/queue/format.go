package queue

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// formatVersion is written into every envelope, so that a later release
// can change the format and still read the spools of this one.
const formatVersion = 1

// envelope is the JSON form of an Item, kept apart from Item so that the
// file format does not change when the Go type does. encoding/json never
// emits a raw newline, which is what lets the envelope be the first line of
// a .msg file.
type envelope struct {
	V          int         `json:"v"`
	ID         string      `json:"id"`
	From       string      `json:"from"`
	Received   time.Time   `json:"received"`
	Expires    time.Time   `json:"expires"`
	Size       int64       `json:"size"`
	DSNSent    bool        `json:"dsn_sent,omitempty"`
	Recipients []recipient `json:"rcpt"`
}

type recipient struct {
	Addr        string    `json:"addr"`
	Status      string    `json:"status"`
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next"`
	LastCode    int       `json:"code,omitempty"`
	LastError   string    `json:"error,omitempty"`
}

// normalize puts the times of it in UTC, which also drops their monotonic
// clock readings, so that an item in memory equals the same item read back
// from disk after a restart.
func normalize(it *Item) {
	it.Received = it.Received.UTC()
	it.Expires = it.Expires.UTC()
	for i := range it.Recipients {
		it.Recipients[i].NextAttempt = it.Recipients[i].NextAttempt.UTC()
	}
}

func encodeEnvelope(it *Item) ([]byte, error) {
	env := envelope{
		V:          formatVersion,
		ID:         it.ID,
		From:       it.From,
		Received:   it.Received,
		Expires:    it.Expires,
		Size:       it.Size,
		DSNSent:    it.DSNSent,
		Recipients: make([]recipient, len(it.Recipients)),
	}
	for i, r := range it.Recipients {
		if r.Status < Pending || r.Status > Failed {
			return nil, fmt.Errorf("queue: item %s: recipient %q has invalid status %d", it.ID, r.Addr, int(r.Status))
		}
		env.Recipients[i] = recipient{
			Addr:        r.Addr,
			Status:      r.Status.String(),
			Attempts:    r.Attempts,
			NextAttempt: r.NextAttempt,
			LastCode:    r.LastCode,
			LastError:   r.LastError,
		}
	}
	return json.Marshal(env)
}

// decodeEnvelope parses an envelope and checks that it belongs to id.
func decodeEnvelope(id string, data []byte) (*Item, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errCorrupt, id, err)
	}
	switch {
	case env.V != formatVersion:
		return nil, fmt.Errorf("%w: %s: unknown format version %d", errCorrupt, id, env.V)
	case env.ID != id:
		return nil, fmt.Errorf("%w: %s: envelope names item %q", errCorrupt, id, env.ID)
	case env.Size < 0:
		return nil, fmt.Errorf("%w: %s: negative size", errCorrupt, id)
	}
	it := &Item{
		ID:         env.ID,
		From:       env.From,
		Received:   env.Received,
		Expires:    env.Expires,
		Size:       env.Size,
		DSNSent:    env.DSNSent,
		Recipients: make([]Recipient, len(env.Recipients)),
	}
	for i, r := range env.Recipients {
		st, ok := parseStatus(r.Status)
		if !ok {
			return nil, fmt.Errorf("%w: %s: recipient %q has unknown status %q", errCorrupt, id, r.Addr, r.Status)
		}
		it.Recipients[i] = Recipient{
			Addr:        r.Addr,
			Status:      st,
			Attempts:    r.Attempts,
			NextAttempt: r.NextAttempt,
			LastCode:    r.LastCode,
			LastError:   r.LastError,
		}
	}
	normalize(it)
	return it, nil
}

func parseStatus(s string) (Status, bool) {
	for st := Pending; st <= Failed; st++ {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// idLen is the length of an ID: 16 hex digits of a uint64.
const idLen = 16

// formatID turns a sequence number into an ID. Fixed width makes string
// order equal numeric order.
func formatID(n uint64) string {
	const digits = "0000000000000000"
	h := strconv.FormatUint(n, 16)
	return digits[:idLen-len(h)] + h
}

// parseID returns the number of a well-formed ID. Anything else, including
// any string with a path separator, is rejected, so an ID from a caller
// can never name a file outside the spool.
func parseID(id string) (uint64, bool) {
	if len(id) != idLen {
		return 0, false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(id, 16, 64)
	return n, err == nil
}

// newID returns the next ID: the current time in nanoseconds since 1970,
// or one more than the last ID when the clock has not moved on (or went
// back), so that IDs stay unique and ordered by arrival.
func (s *Spool) newID(now time.Time) string {
	n := uint64(max(now.UnixNano(), 0))
	s.mu.Lock()
	if n <= s.lastID {
		n = s.lastID + 1
	}
	s.lastID = n
	s.mu.Unlock()
	return formatID(n)
}
