//go:build interop

package interop

import (
	"testing"

	"github.com/mailconf/mailconf/providers/rfc2136/bindtest"
)

// bind is BIND 9 (named), run by bindtest as the rfc2136 provider's own
// tests run it: a primary with check-integrity on, so an MX whose in-zone
// target has no address is refused.
var bind = implementation{
	name:     "bind",
	programs: []string{"named", "tsig-keygen"},
	install:  "apt-get install bind9 bind9-dnsutils",
	start: func(t testing.TB, zones []zone) *server {
		var bz []bindtest.Zone
		for _, z := range zones {
			bz = append(bz, bindtest.Zone{Name: z.name, Records: z.records})
		}
		s := bindtest.Start(t, bz...)
		return &server{addr: s.Addr, key: tsigKey{name: s.KeyName, algorithm: s.Algorithm, secret: s.Secret}, log: s.Log}
	},
}
