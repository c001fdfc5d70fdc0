package route53

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailconf/mailconf/providers/route53/r53test"
)

// awsEnv are the environment variables through which the AWS SDK would
// reach for real credentials, configuration or endpoints.
var awsEnv = []string{
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROUTE_53", "AWS_ROLE_ARN",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_DEFAULTS_MODE", "AWS_CA_BUNDLE",
}

// hermetic keeps the AWS SDK away from this machine's AWS setup: no
// shared configuration files, no credentials from the environment, and no
// EC2 instance metadata service, so no test can reach AWS.
func hermetic(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range awsEnv {
		t.Setenv(k, "")
	}
}

// fakeOptions are Options that reach the fake with its static credentials
// and retry at once.
func fakeOptions(srv *r53test.Server) Options {
	return Options{
		Region:          r53test.Region,
		AccessKeyID:     r53test.AccessKeyID,
		SecretAccessKey: r53test.SecretAccessKey,
		Endpoint:        srv.URL,
		MaxBackoff:      time.Millisecond,
		SyncPoll:        time.Millisecond,
	}
}

// fake starts a fake with one public zone example.com. and returns it, the
// zone's ID and a Provider on it.
func fake(t *testing.T, tune ...func(*Options)) (*r53test.Server, string, *Provider) {
	t.Helper()
	hermetic(t)
	srv := r53test.New(t)
	id := srv.AddZone("example.com.", false)
	o := fakeOptions(srv)
	for _, f := range tune {
		f(&o)
	}
	return srv, id, New(o)
}

// dkimText is the TXT text of a 2048-bit RSA DKIM key: 410 octets, more
// than one character-string holds.
var dkimText = "v=DKIM1; k=rsa; p=" + strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 9)[:392]
