package cloudflare

import (
	"testing"

	"github.com/libdns/libdns/libdnstest"
)

// TestLibdnsConformance runs the libdns conformance suite through the
// client against the fake API, with no record type skipped: Cloudflare
// stores every type the suite uses (A, AAAA, CAA, CNAME, HTTPS, MX, NS,
// SRV, SVCB, TXT).
func TestLibdnsConformance(t *testing.T) {
	srv := newFake(t, "example.com")
	seed(t, srv, "example.com", cftestRecord("www", "A", "192.0.2.80"))
	libdnstest.NewTestSuite(newClient(t, srv), "example.com.").RunTests(t)
}
