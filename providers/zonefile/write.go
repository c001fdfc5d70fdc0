package zonefile

import (
	"fmt"
	"os"
	"path/filepath"
)

// syncWrites turns the fsyncs of replaceFile on. Only tests turn it off:
// fsync proves nothing without a crash, and on a busy disk it makes each
// write take tens of milliseconds.
var syncWrites = true

// replaceFile replaces the file at path with data so that a reader, or a
// crash, sees either the old or the new content, never a mix: the data goes
// to a temporary file in the same directory (rename is only atomic within
// one file system), is fsynced, renamed over the original, and the directory
// is fsynced so that the rename itself is durable. The original's permission
// bits are kept. A symbolic link is followed and its target replaced, so the
// link survives.
func replaceFile(path string, data []byte) (err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("zonefile: %w", err)
	}
	info, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("zonefile: %w", err)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("zonefile: writing %s: %w", target, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("zonefile: writing %s: %w", target, err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		return fmt.Errorf("zonefile: writing %s: %w", target, err)
	}
	if err := fsync(tmp); err != nil {
		return fmt.Errorf("zonefile: writing %s: %w", target, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("zonefile: writing %s: %w", target, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("zonefile: replacing %s: %w", target, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotDurable, target, err)
	}
	return nil
}

func fsync(f *os.File) error {
	if !syncWrites {
		return nil
	}
	return f.Sync()
}

// syncDir fsyncs a directory, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = fsync(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
