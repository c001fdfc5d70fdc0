//go:build !linux

package bindtest

import "syscall"

// sysProcAttr has nothing to add outside Linux, which alone has a
// parent-death signal.
func sysProcAttr() *syscall.SysProcAttr { return nil }
