package zonefile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/libdns/libdns/libdnstest"
)

// minimalZone is the smallest zone a write accepts: an SOA and its NS.
const minimalZone = `$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 2024010100 7200 3600 1209600 300
@ IN NS ns1.example.com.
`

// TestLibdnsConformance runs the libdns conformance suite over a zone file
// in a temporary directory, with no record type skipped.
func TestLibdnsConformance(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.com.zone"), []byte(minimalZone), 0o644); err != nil {
		t.Fatal(err)
	}
	p := New(dir)
	libdnstest.NewTestSuite(p, "example.com.").RunTests(t)
}
