package route53_test

import (
	"testing"

	"github.com/libdns/libdns/libdnstest"
	libdnsroute53 "github.com/libdns/route53"

	"github.com/mailconf/mailconf/providers/route53/r53test"
)

// TestUpstreamLibdnsAgainstFake runs the libdns conformance suite through
// github.com/libdns/route53, the community adapter, against the fake: a
// client nobody here wrote agrees with the fake about the API. mailconf
// itself does not use that adapter (see the package doc for why); it
// reaches the fake only through the SDK's documented endpoint override
// environment variable, since it builds its SDK client privately.
func TestUpstreamLibdnsAgainstFake(t *testing.T) {
	s := r53test.New(t)
	s.AddZone("example.com", false)
	t.Setenv("AWS_ENDPOINT_URL_ROUTE_53", s.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", r53test.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", r53test.SecretAccessKey)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	p := &libdnsroute53.Provider{Region: "us-east-1", MaxRetries: 1}
	libdnstest.NewTestSuite(libdnstest.WrapNoZoneLister(p), "example.com.").RunTests(t)
}
