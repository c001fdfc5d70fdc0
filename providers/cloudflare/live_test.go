package cloudflare

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/libdns/libdns/libdnstest"
)

// TestLive runs against the real Cloudflare API when
// MAILCONF_LIVE_CLOUDFLARE_TOKEN (a token with Zone:DNS:Edit and
// Zone:Zone:Read) and MAILCONF_LIVE_CLOUDFLARE_ZONE (a zone to test in,
// such as "test.example.com") are set. It creates and deletes records
// whose names start with "test-" and nothing else: the libdns
// conformance suite, then a 2048-bit DKIM key written and read back.
func TestLive(t *testing.T) {
	token, zone := os.Getenv("MAILCONF_LIVE_CLOUDFLARE_TOKEN"), os.Getenv("MAILCONF_LIVE_CLOUDFLARE_ZONE")
	if token == "" || zone == "" {
		t.Skip("live Cloudflare test skipped: set MAILCONF_LIVE_CLOUDFLARE_TOKEN and MAILCONF_LIVE_CLOUDFLARE_ZONE to run it against a test zone")
	}
	zone = strings.TrimSuffix(zone, ".") + "."
	c, err := New(Options{APIToken: token})
	if err != nil {
		t.Fatal(err)
	}
	libdnstest.NewTestSuite(c, zone).RunTests(t)

	t.Run("DKIM round trip", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		in := libdns.TXT{Name: "test-mailconf._domainkey", TTL: time.Hour, Text: dkimValue(t)}
		t.Cleanup(func() {
			if _, err := c.DeleteRecords(context.Background(), zone, []libdns.Record{libdns.TXT{Name: in.Name}}); err != nil {
				t.Errorf("cleaning up: %v", err)
			}
		})
		if _, err := c.SetRecords(ctx, zone, []libdns.Record{in}); err != nil {
			t.Fatal(err)
		}
		recs, err := c.GetRecords(ctx, zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if txt, ok := r.(libdns.TXT); ok && txt.Name == in.Name {
				if txt.Text != in.Text || txt.TTL != in.TTL {
					t.Errorf("read back %q (TTL %s), want %q (TTL %s)", txt.Text, txt.TTL, in.Text, in.TTL)
				}
				return
			}
		}
		t.Errorf("%s not found after SetRecords", in.Name)
	})
}
