package zonefile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// The lock file of a zone, "<dir>/.<zone>.zone.lock", exists only while a
// write holds it: the writer creates it, takes an flock(2) on it, and
// removes it before letting go. Nothing is left in the directory after a
// write, and a lock file found there is the trace of a writer that was
// killed (or of a mailconf before this scheme, which left them all in
// place).
//
// Removing a lock file opens the classic race: B opens the file, A removes
// it and unlocks, B locks the removed file while C creates a new one and
// locks that, and B and C both believe they hold the lock. So a writer
// removes the file while it still holds the lock, and every locker, once
// its flock succeeds, checks that the path still names the file it locked
// (fstat against stat); if not, it locked a removed file and starts over.
// Whoever passes that check holds the only lock file of the path.

// fileLock is a held lock file.
type fileLock struct {
	f    *os.File
	path string
}

// lockFile takes the lock file at path, waiting for another holder while
// ctx allows. found reports that the file was already there when this call
// locked it, with no holder: a writer died holding it, so its temporary
// files may be lying around.
func lockFile(ctx context.Context, path string) (l *fileLock, found bool, err error) {
	for {
		f, created, err := openLock(path)
		if err != nil {
			return nil, false, err
		}
		if err := flockWait(ctx, f); err != nil {
			_ = f.Close()
			return nil, false, err
		}
		held, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return nil, false, err
		}
		cur, err := os.Stat(path)
		if err == nil && os.SameFile(held, cur) {
			return &fileLock{f: f, path: path}, !created, nil
		}
		// The holder we waited for removed the file: start over.
		_ = f.Close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
	}
}

// openLock opens the lock file at path, creating it when there is none;
// created says which happened. O_EXCL tells the two apart without a race.
func openLock(path string) (f *os.File, created bool, err error) {
	for {
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, err
		}
		f, err = os.OpenFile(path, os.O_RDONLY, 0)
		if err == nil {
			return f, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		// Removed between the two opens: try creating it again.
	}
}

// flockWait takes an exclusive flock on f, polling while another holder
// has it so that ctx is honored.
func flockWait(ctx context.Context, f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		}
		t := time.NewTimer(lockRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// unlock removes the lock file, then releases it. The order matters: a
// waiter that locks the file after it was removed sees that the path no
// longer names it, and starts over.
func (l *fileLock) unlock() {
	_ = os.Remove(l.path)
	_ = l.f.Close()
}

// lockError wraps a failure to take the lock file.
func lockError(zone, path string, err error) error {
	return fmt.Errorf("zonefile: zone %s: locking %s: %w", zone, path, err)
}
