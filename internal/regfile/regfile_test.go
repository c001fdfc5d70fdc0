package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(regular, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.pem")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pem")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		limit   int64
		want    string // contents, when it reads
		wantErr error
		message string
	}{
		{name: "regular", path: regular, limit: 10, want: "0123456789"},
		{name: "symlink to a regular file", path: link, limit: 64, want: "0123456789"},
		{name: "over the limit", path: regular, limit: 9, wantErr: ErrTooLarge, message: regular + " is larger than the limit of 9 bytes"},
		{name: "fifo", path: fifo, limit: 64, wantErr: ErrNotRegular, message: fifo + " is a FIFO, not a regular file"},
		{name: "symlink to /dev/zero", path: zero, limit: KeyLimit, wantErr: ErrNotRegular, message: zero + " is a character device, not a regular file"},
		{name: "directory", path: dir, limit: 64, wantErr: ErrNotRegular, message: dir + " is a directory, not a regular file"},
		{name: "missing", path: filepath.Join(dir, "nope"), limit: 64, wantErr: os.ErrNotExist, message: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A FIFO with no writer must not block: run with a deadline so
			// a regression fails instead of hanging the suite.
			type result struct {
				data []byte
				err  error
			}
			done := make(chan result, 1)
			go func() {
				data, err := Read(tt.path, tt.limit)
				done <- result{data, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Read(%s) blocked", tt.path)
			}
			if tt.wantErr == nil {
				if r.err != nil || string(r.data) != tt.want {
					t.Fatalf("Read = %q, %v; want %q", r.data, r.err, tt.want)
				}
				return
			}
			if !errors.Is(r.err, tt.wantErr) {
				t.Fatalf("Read error = %v; want %v", r.err, tt.wantErr)
			}
			if !strings.Contains(r.err.Error(), tt.message) {
				t.Errorf("Read error = %q; want it to contain %q", r.err, tt.message)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{64 << 10: "64 KiB", 32 << 20: "32 MiB", 1000: "1000 bytes", 1536: "1536 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q; want %q", n, got, want)
		}
	}
}
