// Package regfile reads the files mailconf is given (configuration, DKIM
// keys, zone files, certificates, saved plans) safely: only regular files,
// only up to a stated size, and never blocking on a FIFO or a device.
//
// A path that names /dev/zero, a FIFO or a directory, directly or through
// a symbolic link, is refused with an error naming the file; a file larger
// than its limit is refused before it is read into memory.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Limits for the kinds of file mailconf reads. They are far above what a
// real file of the kind holds and far below what would exhaust memory.
const (
	// ConfigLimit bounds one *.hcl file: a 100,000-domain for_each set
	// spelled out is about 3 MB.
	ConfigLimit = 32 << 20
	// KeyLimit bounds a DKIM private or public key file: an RSA-8192 PEM
	// is under 7 KB.
	KeyLimit = 64 << 10
	// FileFuncLimit bounds a file read by the configuration's file()
	// function (secrets, a logo's text).
	FileFuncLimit = 4 << 20
	// ZoneLimit bounds an RFC 1035 master file.
	ZoneLimit = 256 << 20
	// CertLimit bounds a PEM certificate chain or TLS key.
	CertLimit = 1 << 20
	// PlanLimit bounds a saved plan file.
	PlanLimit = 256 << 20
)

// ErrNotRegular is returned for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file above its size limit.
var ErrTooLarge = errors.New("file too large")

// Error says which file was refused and why; it unwraps to ErrNotRegular,
// ErrTooLarge or the error from the file system.
type Error struct {
	Path  string
	Kind  string // what the file was, e.g. "a FIFO"; set with ErrNotRegular
	Limit int64  // set with ErrTooLarge
	Err   error
}

func (e *Error) Error() string { return e.Path + " " + e.Reason() }

// Reason is the error without the path, for messages that name the file
// already: "is a FIFO, not a regular file".
func (e *Error) Reason() string {
	switch {
	case errors.Is(e.Err, ErrNotRegular):
		return fmt.Sprintf("is %s, not a regular file", e.Kind)
	case errors.Is(e.Err, ErrTooLarge):
		return fmt.Sprintf("is larger than the limit of %s", Size(e.Limit))
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Read returns the contents of the regular file at path (symbolic links are
// followed), or an *Error when it is not a regular file or holds more than
// limit bytes.
func Read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer forever. It has no effect on regular files.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{Path: path, Kind: kind(fi.Mode()), Err: ErrNotRegular}
	}
	if fi.Size() > limit {
		return nil, &Error{Path: path, Limit: limit, Err: ErrTooLarge}
	}
	// The file may grow between Stat and the read: read one byte past the
	// limit to tell.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &Error{Path: path, Limit: limit, Err: ErrTooLarge}
	}
	return data, nil
}

// Reader returns a function that reads files with the given limit, for
// options that take a ReadFile function.
func Reader(limit int64) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) { return Read(path, limit) }
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "an irregular file"
}

// Size prints a byte count as the limits are written: 64 KiB, 32 MiB.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
