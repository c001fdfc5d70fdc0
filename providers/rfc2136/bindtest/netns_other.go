//go:build !linux

package bindtest

import "testing"

// NetnsEnv is set in a test binary re-executed inside a network namespace;
// namespaces exist on Linux only.
const NetnsEnv = "MAILCONF_BINDTEST_NETNS"

// Main runs a package's tests. Network namespaces exist on Linux only, so
// elsewhere the tests run on the host's loopback.
func Main(m *testing.M) int { return m.Run() }

// Isolate runs a package's tests; without network namespaces they run on
// the host's loopback.
func Isolate(m *testing.M) int { return m.Run() }
