package queue

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxEnvelope bounds the envelope line Open reads from a .msg file, so that
// a corrupt file without a newline is not read whole into memory.
const maxEnvelope = 16 << 20

// recover loads the index from the spool directory and finishes or undoes
// what a crash interrupted; see the package documentation for the rules.
func (s *Spool) recover() error {
	ents, err := s.dirf.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("queue: reading spool %s: %w", s.dir, err)
	}
	msgs := map[string]bool{}
	envs := map[string]bool{}
	changed := false
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		name := de.Name()
		id, ext, ok := splitName(name)
		if !ok {
			continue
		}
		if n, _ := parseID(id); n > s.lastID {
			s.lastID = n
		}
		switch ext {
		case msgExt:
			msgs[id] = true
		case envExt:
			envs[id] = true
		case tmpExt, envTmpExt:
			// An Enqueue or Update that never reached its rename.
			if err := os.Remove(s.path(name)); err != nil {
				return fmt.Errorf("queue: recovering spool %s: %w", s.dir, err)
			}
			changed = true
		}
	}
	for id := range envs {
		if !msgs[id] {
			// A Remove that unlinked the .msg but not the .env.
			if err := os.Remove(s.path(id + envExt)); err != nil {
				return fmt.Errorf("queue: recovering spool %s: %w", s.dir, err)
			}
			changed = true
		}
	}
	for id := range msgs {
		it, err := s.load(id, envs[id])
		if errors.Is(err, errCorrupt) {
			if err := s.quarantine(id + msgExt); err != nil {
				return err
			}
			if envs[id] {
				if err := s.quarantine(id + envExt); err != nil {
					return err
				}
			}
			changed = true
			continue
		}
		if err != nil {
			return err
		}
		s.insert(it)
	}
	if changed && s.sync {
		if err := s.dirf.Sync(); err != nil {
			return fmt.Errorf("queue: recovering spool %s: %w", s.dir, err)
		}
	}
	return nil
}

// splitName splits a spool file name into its ID and extension.
func splitName(name string) (id, ext string, ok bool) {
	if len(name) <= idLen {
		return "", "", false
	}
	id, ext = name[:idLen], name[idLen:]
	if _, ok := parseID(id); !ok {
		return "", "", false
	}
	switch ext {
	case msgExt, envExt, tmpExt, envTmpExt:
		return id, ext, true
	}
	return "", "", false
}

// load reads one committed item. An error wrapping errCorrupt means the
// .msg cannot be used; other errors are I/O failures that should stop Open.
func (s *Spool) load(id string, hasEnv bool) (*Item, error) {
	f, err := os.Open(s.path(id + msgExt))
	if err != nil {
		return nil, fmt.Errorf("queue: recovering %s: %w", id, err)
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("queue: recovering %s: %w", id, err)
	}
	line, err := bufio.NewReader(io.LimitReader(f, maxEnvelope)).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("%w: %s: no envelope line: %w", errCorrupt, id, err)
	}
	it, err := decodeEnvelope(id, line[:len(line)-1])
	if err != nil {
		return nil, err
	}
	if want := int64(len(line)) + it.Size; info.Size() != want {
		return nil, fmt.Errorf("%w: %s: file is %d octets, want %d", errCorrupt, id, info.Size(), want)
	}
	if !hasEnv {
		return it, nil
	}
	data, err := os.ReadFile(s.path(id + envExt))
	if err != nil {
		return nil, fmt.Errorf("queue: recovering %s: %w", id, err)
	}
	upd, err := decodeEnvelope(id, data)
	if err != nil {
		// The message itself is intact: keep it with its original state
		// and set the unreadable update aside. Redelivering to some
		// recipients is better than losing the message.
		if qerr := s.quarantine(id + envExt); qerr != nil {
			return nil, qerr
		}
		return it, nil
	}
	it.Recipients, it.Expires, it.DSNSent = upd.Recipients, upd.Expires, upd.DSNSent
	return it, nil
}

// quarantine moves an unreadable file to the corrupt/ subdirectory, where
// an operator can inspect it; the queue never deletes what it cannot read.
func (s *Spool) quarantine(name string) error {
	dst := filepath.Join(s.dir, corruptDir)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("queue: recovering spool %s: %w", s.dir, err)
	}
	err := os.Rename(s.path(name), filepath.Join(dst, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("queue: recovering spool %s: %w", s.dir, err)
	}
	return nil
}
