package route53

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/libdns/libdns/libdnstest"
)

// liveProvider returns a Provider on the real Route 53, or skips the test.
// It uses the AWS credential chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, ...).
func liveProvider(t *testing.T) (*Provider, string) {
	t.Helper()
	zone := os.Getenv("MAILCONF_LIVE_ROUTE53_ZONE")
	if zone == "" {
		t.Skip("live Route 53 tests skipped: set MAILCONF_LIVE_ROUTE53_ZONE to a hosted zone kept for tests " +
			"(they create and delete records named test-*), with AWS credentials in the usual AWS_* variables or profile; " +
			"MAILCONF_LIVE_ROUTE53_HOSTED_ZONE_ID optionally pins the hosted zone")
	}
	return New(Options{HostedZoneID: os.Getenv("MAILCONF_LIVE_ROUTE53_HOSTED_ZONE_ID")}), dotted(zone)
}

// TestLiveConformance runs the libdns suite against the real service.
func TestLiveConformance(t *testing.T) {
	p, zone := liveProvider(t)
	suite := libdnstest.NewTestSuite(p, zone)
	suite.Timeout = 2 * time.Minute
	suite.RunTests(t)
}

// TestLiveLongTXT writes a 2048-bit DKIM-sized TXT record and reads it back
// as one value.
func TestLiveLongTXT(t *testing.T) {
	p, zone := liveProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec := libdns.TXT{Name: "test-mailconf-dkim", TTL: time.Minute, Text: dkimText}
	if _, err := p.SetRecords(ctx, zone, []libdns.Record{rec}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := p.DeleteRecords(context.Background(), zone, []libdns.Record{libdns.RR{Name: rec.Name, Type: "TXT"}}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	recs, err := p.GetRecords(ctx, zone)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if txt, ok := r.(libdns.TXT); ok && txt.Name == rec.Name {
			found = true
			if txt.Text != rec.Text {
				t.Errorf("read back %q, want %q", txt.Text, rec.Text)
			}
		}
	}
	if !found {
		t.Error("the record was not read back")
	}
}

func dotted(zone string) string {
	if zone == "" || zone[len(zone)-1] != '.' {
		return zone + "."
	}
	return zone
}
