package route53

import (
	"testing"

	"github.com/libdns/libdns/libdnstest"
)

// TestLibdnsConformance runs the libdns conformance suite against the fake,
// with no record type skipped: Route 53 stores every type the suite writes
// (A, AAAA, CAA, CNAME, HTTPS, MX, NS, SRV, SVCB, TXT).
func TestLibdnsConformance(t *testing.T) {
	srv, _, p := fake(t, func(o *Options) { o.PageSize = 3 })
	libdnstest.NewTestSuite(p, "example.com.").RunTests(t)
	if srv.Requests("") == 0 {
		t.Fatal("the suite made no request of the fake")
	}
}
