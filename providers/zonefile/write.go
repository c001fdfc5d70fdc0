package zonefile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// syncWrites turns the fsyncs of replaceFile on. Only tests turn it off:
// fsync proves nothing without a crash, and on a busy disk it makes each
// write take tens of milliseconds.
var syncWrites = true

// beforeRename, when set (only by tests), runs between writing the
// temporary file and renaming it over the zone file: the crash test kills
// its child there.
var beforeRename func()

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
	tmp, err := createTemp(target)
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
	if beforeRename != nil {
		beforeRename()
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

// tempPrefix is how the temporary file of a zone file's replacement is
// named: "."+base+".tmp-" and then only decimal digits. A writer killed
// between creating it and the rename leaves it behind; cleanTemps removes
// exactly the names of this shape, never anything else.
func tempPrefix(target string) string {
	return "." + filepath.Base(target) + ".tmp-"
}

// createTemp creates a new temporary file next to target, named after it
// with tempPrefix and random digits. O_EXCL: an existing file of that name
// (a stale one, or another writer's) is never opened, only skipped.
func createTemp(target string) (*os.File, error) {
	prefix := filepath.Join(filepath.Dir(target), tempPrefix(target))
	for range 100 {
		name := prefix + strconv.FormatUint(rand.Uint64(), 10)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no unused temporary file name with prefix %s", prefix)
}

// isTempName reports whether name, a file name in target's directory, is a
// temporary file of target's replacement: tempPrefix, then one or more
// digits and nothing else.
func isTempName(name, target string) bool {
	digits, ok := strings.CutPrefix(name, tempPrefix(target))
	if !ok || digits == "" || len(digits) > 20 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// cleanTemps removes the temporary files a killed writer left next to the
// zone file at path (or its symbolic link's target). It must only run
// under the zone's lock: then no other mailconf process is between
// creating its temporary file and renaming it, and every such file is
// litter. Only regular files of exactly mailconf's naming are removed
// (earlier versions, through os.CreateTemp, named them the same way).
//
// It runs when the lock file was found left behind (see lockFile), the
// trace every killed writer leaves, and not on every write: a clean write
// leaves no litter, and listing a directory of 10,000 zone files for each
// of 10,000 writes would make an apply quadratic. Failures are ignored:
// litter is no reason to fail a write.
func cleanTemps(path string) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return
	}
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name(), target) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}
