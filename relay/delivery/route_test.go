package delivery

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/resolve"
	"github.com/mailconf/mailconf/resolve/dnstest"
)

func TestRoute(t *testing.T) {
	records := map[string][]string{
		"one.test MX":         {"10 mx.one.test."},
		"mx.one.test A":       {"192.0.2.1"},
		"prefs.test MX":       {"20 b.prefs.test.", "10 c.prefs.test.", "30 a.prefs.test."},
		"implicit.test A":     {"192.0.2.2"},
		"implicit6.test A":    {},
		"implicit6.test AAAA": {"2001:db8::1"},
		"null.test MX":        {"0 ."},
		"mixed.test MX":       {"0 .", "10 mx.mixed.test."},
		"nothing.test TXT":    {"v=spf1 -all"},
		"v4fail.test AAAA":    {"2001:db8::2"},
	}
	fail := map[string]error{
		"servfail.test MX": resolve.ErrTemporary,
		"formerr.test MX":  resolve.ErrPermanent,
		"noaddr.test A":    resolve.ErrTemporary,
		"noaddr.test AAAA": resolve.ErrTemporary,
		"v4fail.test A":    resolve.ErrTemporary,
	}
	records["noaddr.test TXT"] = []string{"x"}
	tests := []struct {
		name    string
		domain  string
		want    []string
		wantErr error
	}{
		{name: "one MX", domain: "one.test", want: []string{"mx.one.test"}},
		{name: "preference order", domain: "prefs.test", want: []string{"c.prefs.test", "b.prefs.test", "a.prefs.test"}},
		{name: "implicit MX from A", domain: "implicit.test", want: []string{"implicit.test"}},
		{name: "implicit MX from AAAA", domain: "implicit6.test", want: []string{"implicit6.test"}},
		{name: "implicit MX when one family fails", domain: "v4fail.test", want: []string{"v4fail.test"}},
		{name: "null MX", domain: "null.test", wantErr: ErrNullMX},
		{name: "null MX among others is skipped", domain: "mixed.test", want: []string{"mx.mixed.test"}},
		{name: "no MX no address", domain: "nothing.test", wantErr: ErrNoRoute},
		{name: "NXDOMAIN", domain: "absent.test", wantErr: ErrNoRoute},
		{name: "SERVFAIL is temporary", domain: "servfail.test", wantErr: ErrTemporary},
		{name: "FORMERR is temporary too", domain: "formerr.test", wantErr: ErrTemporary},
		{name: "address lookup failure is temporary", domain: "noaddr.test", wantErr: ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &resolve.Fake{Records: records, Fail: fail}
			got, err := Route(context.Background(), r, tc.domain, nil)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("Route(%s) error = %v, want %v", tc.domain, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Route(%s) hosts (-want +got):\n%s", tc.domain, diff)
			}
			if tc.wantErr != nil && IsTemporary(err) != (tc.wantErr == ErrTemporary) {
				t.Errorf("IsTemporary(%v) = %v", err, IsTemporary(err))
			}
		})
	}
}

// TestRouteShuffle checks that hosts of equal preference come in every
// order over many draws, and that preference still orders the groups.
func TestRouteShuffle(t *testing.T) {
	r := &resolve.Fake{Records: map[string][]string{
		"shuffle.test MX": {"10 a.shuffle.test.", "10 b.shuffle.test.", "10 c.shuffle.test.", "20 z.shuffle.test."},
	}}
	rnd := rand.New(rand.NewPCG(7, 7))
	seen := make(map[string]bool)
	for range 200 {
		hosts, err := Route(context.Background(), r, "shuffle.test", rnd)
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 4 || hosts[3] != "z.shuffle.test" {
			t.Fatalf("hosts = %v, want the preference-20 host last", hosts)
		}
		seen[hosts[0]+hosts[1]+hosts[2]] = true
	}
	if len(seen) != 6 {
		t.Errorf("saw %d orders of three equal hosts, want all 6", len(seen))
	}
}

// TestRouteDNS resolves through a real DNS exchange with an in-process
// authoritative server.
func TestRouteDNS(t *testing.T) {
	srv := dnstest.NewServer(t, `$ORIGIN example.test.
@        MX 10 mx1
@        MX 20 mx2
mx1      A  127.0.0.1
mx2      A  127.0.0.1
implicit A  127.0.0.1
nullmx   MX 0 .
`)
	c := &resolve.Client{Servers: []string{srv.Addr()}, NoRecurse: true}
	tests := []struct {
		domain  string
		want    []string
		wantErr error
	}{
		{domain: "example.test", want: []string{"mx1.example.test", "mx2.example.test"}},
		{domain: "implicit.example.test", want: []string{"implicit.example.test"}},
		{domain: "nullmx.example.test", wantErr: ErrNullMX},
		{domain: "absent.example.test", wantErr: ErrNoRoute},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			got, err := Route(context.Background(), c, tc.domain, nil)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
		})
	}
}
