package route53

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/mailconf/mailconf/providers"
)

// configSchema is the body of `provider "route53" "NAME" { ... }`. Nothing
// is required: without credentials the AWS credential chain is used, and
// without a region the configuration's, or DefaultRegion.
var configSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "region"},
		{Name: "profile"},
		{Name: "access_key_id"},
		{Name: "secret_access_key"},
		{Name: "session_token"},
		{Name: "hosted_zone_id"},
		{Name: "concurrency"},
		{Name: "endpoint"},
	},
}

// MaxConcurrency bounds the `concurrency` attribute. Route 53 accepts five
// API requests per second per account; beyond a few zones at once, more
// only earns throttling.
const MaxConcurrency = 32

var (
	// regionPattern is the shape of AWS region names: us-east-1,
	// eu-central-2, us-gov-west-1, cn-northwest-1.
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// accessKeyPattern is the AccessKeyId pattern of the AWS IAM API:
	// 16 to 128 word characters; in practice capital letters and digits.
	accessKeyPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	// zoneIDPattern is the shape of a hosted zone ID, such as
	// Z1D633PJN98FT9 (at most 32 characters in the API).
	zoneIDPattern = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
)

// FromConfig is the providers.Factory of the "route53" type. It decodes
// and checks the block's attributes and returns a Provider; it reads no
// file and contacts nothing (the AWS configuration is loaded on first
// use). Diagnostics never quote access_key_id, secret_access_key or
// session_token: a swapped pair would otherwise print the secret.
func FromConfig(cfg providers.Config) (providers.Client, hcl.Diagnostics) {
	content, diags := cfg.Body.Content(configSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	var opts Options
	// sensitive are the attributes whose value came from env() or file():
	// a diagnostic never quotes them, whatever the attribute.
	sensitive := map[string]bool{}
	str := func(name string, dst *string) *hcl.Attribute {
		attr, ok := content.Attributes[name]
		if !ok {
			return nil
		}
		ds, marked := decode(attr, cfg.EvalContext, dst)
		sensitive[name] = marked
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return nil
		}
		return attr
	}
	region := str("region", &opts.Region)
	profile := str("profile", &opts.Profile)
	keyID := str("access_key_id", &opts.AccessKeyID)
	secret := str("secret_access_key", &opts.SecretAccessKey)
	token := str("session_token", &opts.SessionToken)
	zoneID := str("hosted_zone_id", &opts.HostedZoneID)
	endpoint := str("endpoint", &opts.Endpoint)
	var concurrency *hcl.Attribute
	if attr, ok := content.Attributes["concurrency"]; ok {
		ds, _ := decode(attr, cfg.EvalContext, &opts.Concurrency)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			concurrency = attr
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}

	quote := func(name, value string) string {
		if sensitive[name] {
			return "The value (read from env() or file(), so not shown)"
		}
		return fmt.Sprintf("%q", value)
	}
	bad := func(attr *hcl.Attribute, summary, detail string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  summary,
			Detail:   fmt.Sprintf(detail, args...),
			Subject:  attr.Expr.Range().Ptr(),
			Context:  attr.Range.Ptr(),
		})
	}
	if region != nil && !regionPattern.MatchString(opts.Region) {
		bad(region, "Invalid AWS region", "%s is not an AWS region name. Route 53 is a global service, so any region of your partition works, such as \"us-east-1\"; or remove region to use the AWS configuration's.", quote("region", opts.Region))
	}
	if profile != nil && strings.TrimSpace(opts.Profile) == "" {
		bad(profile, "Empty AWS profile", "The profile is empty. Name a profile of the shared AWS configuration files (~/.aws/config), or remove profile to use the default one.")
	}
	switch {
	case keyID != nil && secret == nil:
		bad(keyID, "Incomplete AWS credentials", "access_key_id is set but secret_access_key is not. Set both, such as secret_access_key = env(\"AWS_SECRET_ACCESS_KEY\"), or neither to use the AWS credential chain.")
	case secret != nil && keyID == nil:
		bad(secret, "Incomplete AWS credentials", "secret_access_key is set but access_key_id is not. Set both, or neither to use the AWS credential chain.")
	case token != nil && keyID == nil:
		bad(token, "Incomplete AWS credentials", "session_token goes with temporary credentials: set access_key_id and secret_access_key too, or remove it to use the AWS credential chain.")
	}
	if keyID != nil && !accessKeyPattern.MatchString(opts.AccessKeyID) {
		// The value is not quoted: a swapped pair would put the secret
		// key here.
		bad(keyID, "Invalid AWS access key ID", "An access key ID is 16 to 128 capital letters and digits, such as AKIAIOSFODNN7EXAMPLE. Check that the value is set (an env() of an unset variable is empty) and that access_key_id and secret_access_key are not swapped.")
	}
	if secret != nil && strings.TrimSpace(opts.SecretAccessKey) == "" {
		bad(secret, "Empty AWS secret access key", "secret_access_key is empty. Check that the environment variable or file it comes from is set.")
	}
	if token != nil && strings.TrimSpace(opts.SessionToken) == "" {
		bad(token, "Empty AWS session token", "session_token is empty. Check that the environment variable it comes from is set, or remove session_token for long-term credentials.")
	}
	if zoneID != nil && !zoneIDPattern.MatchString(hostedZoneID(strings.TrimSpace(opts.HostedZoneID))) {
		bad(zoneID, "Invalid hosted zone ID", "%s is not a Route 53 hosted zone ID, which looks like Z1D633PJN98FT9. Find it with `aws route53 list-hosted-zones-by-name --dns-name example.com`.", quote("hosted_zone_id", opts.HostedZoneID))
	}
	if concurrency != nil && (opts.Concurrency < 1 || opts.Concurrency > MaxConcurrency) {
		bad(concurrency, "Invalid concurrency", "concurrency must be between 1 and %d; Route 53 accepts five requests per second per account, so the default of %d is usually right.", MaxConcurrency, providers.DefaultConcurrency)
	}
	if endpoint != nil {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			bad(endpoint, "Invalid endpoint", "endpoint must be the base URL of a Route 53-compatible API, such as \"https://route53.amazonaws.com\", without user information; remove it to use AWS.")
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return New(opts), diags
}

// decode evaluates an attribute into dst, and reports whether its value
// was marked (it came from env() or file()). gohcl refuses marked values, so
// the marks are dropped here; this package keeps such values out of every
// message itself.
func decode(attr *hcl.Attribute, ctx *hcl.EvalContext, dst any) (hcl.Diagnostics, bool) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return diags, false
	}
	v, marks := v.UnmarkDeep()
	return append(diags, gohcl.DecodeExpression(hcl.StaticExpr(v, attr.Expr.Range()), nil, dst)...), len(marks) > 0
}
