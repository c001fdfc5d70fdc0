package route53

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/mailconf/mailconf/providers"
)

var (
	// ErrConfig reports that the AWS configuration (profile, shared files,
	// credential settings) could not be loaded.
	ErrConfig = errors.New("route53: cannot load the AWS configuration")
	// ErrRequest reports a Route 53 API call that failed. It is wrapped
	// together with providers.ErrTemporary when retrying may help
	// (throttling, PriorRequestNotComplete, 5xx, network failures).
	ErrRequest = errors.New("route53: request failed")
	// ErrRejected reports a change batch Route 53 refused as a whole
	// (InvalidChangeBatch, InvalidInput): nothing in it was changed.
	ErrRejected = errors.New("route53: change rejected")
	// ErrConflict reports a record set that kept changing between the
	// adapter's read and its write, so the write was refused each time;
	// nothing was changed, and running again reads the new state.
	ErrConflict = errors.New("route53: record set changed by someone else during the update")
	// ErrUnmanagedSet reports a write to a record set that is an alias or
	// uses a routing policy (weighted, latency, failover, ...): such sets
	// have no plain DNS form, so this adapter neither lists nor replaces
	// them.
	ErrUnmanagedSet = errors.New("route53: record set is an alias or uses a routing policy")
	// ErrAmbiguousZone reports several public hosted zones with the name
	// asked for; only hosted_zone_id can say which one is delegated.
	ErrAmbiguousZone = errors.New("route53: several public hosted zones have this name")
	// ErrZoneMismatch reports a hosted_zone_id whose zone is not the zone
	// asked for.
	ErrZoneMismatch = errors.New("route53: hosted_zone_id names another zone")
	// ErrNotInSync reports a change that was made but did not reach every
	// Route 53 server (GetChange status INSYNC) in the time allowed.
	ErrNotInSync = errors.New("route53: change made but not yet in sync")
)

// temporaryCodes are the API error codes retrying can cure: the SDK's own
// throttling and timeout codes, Route 53's PriorRequestNotComplete (a change
// to the zone is still being processed), and server-side failures.
var temporaryCodes = func() map[string]bool {
	m := map[string]bool{
		"PriorRequestNotComplete": true,
		"ServiceUnavailable":      true,
		"InternalFailure":         true,
		"InternalError":           true,
	}
	for code := range retry.DefaultThrottleErrorCodes {
		m[code] = true
	}
	for code := range retry.DefaultRetryableErrorCodes {
		m[code] = true
	}
	return m
}()

// opError is a failed API call: which operation, what Route 53 said, and
// whether retrying may help. It unwraps to its kind (ErrRequest,
// ErrRejected, ...), to providers.ErrTemporary when temporary, and to the
// SDK's error, so that callers can use errors.Is and errors.As on any of
// them.
type opError struct {
	kind      error
	op        string
	detail    string
	temporary bool
	err       error
	// also are further sentinels the error matches, such as
	// providers.ErrCNAMEConflict for a batch refused over a CNAME.
	also []error
}

func (e *opError) Error() string {
	kind := strings.TrimPrefix(e.kind.Error(), "route53: ")
	if e.op == "" {
		return kind + ": " + e.detail
	}
	return kind + ": " + e.op + ": " + e.detail
}

func (e *opError) Unwrap() []error {
	errs := []error{e.kind}
	if e.err != nil {
		errs = append(errs, e.err)
	}
	if e.temporary {
		errs = append(errs, providers.ErrTemporary)
	}
	return append(errs, e.also...)
}

// apiError classifies an error from the SDK. The detail is what Route 53
// said (its error code and message, or every message of an
// InvalidChangeBatch), not the SDK's long operation-error text.
func apiError(op string, err error) error {
	e := &opError{kind: ErrRequest, op: op, err: err}
	var ae smithy.APIError
	var batch *types.InvalidChangeBatch
	var input *types.InvalidInput
	var resp *smithyhttp.ResponseError
	var send *smithyhttp.RequestSendError
	var quota ratelimit.QuotaExceededError
	var netErr net.Error
	switch {
	case errors.As(err, &batch):
		e.kind = ErrRejected
		msgs := batch.Messages
		if len(msgs) == 0 {
			msgs = []string{batch.ErrorMessage()}
		}
		e.detail = "InvalidChangeBatch: " + strings.Join(msgs, "; ")
		// RFC 1034 section 3.6.2: Route 53 refuses a CNAME beside other
		// data, as every provider here does; say so in the shared terms.
		for _, m := range msgs {
			if strings.Contains(m, "CNAME") && strings.Contains(m, "conflict") {
				e.also = append(e.also, providers.ErrCNAMEConflict)
				break
			}
		}
	case errors.As(err, &input):
		e.kind = ErrRejected
		e.detail = "InvalidInput: " + input.ErrorMessage()
	case errors.As(err, &ae):
		e.detail = ae.ErrorCode()
		if msg := ae.ErrorMessage(); msg != "" && msg != ae.ErrorCode() {
			e.detail += ": " + msg
		}
		e.temporary = temporaryCodes[ae.ErrorCode()]
	case errors.Is(err, context.Canceled):
		e.detail = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		e.detail = "timed out"
		e.temporary = true
	case errors.As(err, &quota):
		e.detail = "too many retries in a short time (the SDK's retry quota is exhausted)"
		e.temporary = true
	case errors.As(err, &send), errors.As(err, &netErr):
		e.detail = "cannot reach Route 53: " + rootCause(err)
		e.temporary = true
	default:
		e.detail = rootCause(err)
	}
	if errors.As(err, &resp) && (resp.HTTPStatusCode() >= 500 || resp.HTTPStatusCode() == 429) {
		e.temporary = true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		e.temporary = true
	}
	var maxed *retry.MaxAttemptsError
	if errors.As(err, &maxed) {
		e.detail += fmt.Sprintf(" (gave up after %d attempts)", maxed.Attempt)
	}
	return e
}

// rootCause is the innermost message of an error chain: the SDK's outer
// layers repeat the operation name and request ID, which say nothing the
// adapter's own message does not.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// redacted hides secrets in an error's text. The SDK never puts a secret
// access key or session token into its errors, but an error that quotes a
// request or a configuration file could, and mailconf promises that no
// message ever shows one.
type redacted struct {
	err     error
	secrets []string
}

func (r *redacted) Error() string {
	s := r.err.Error()
	for _, secret := range r.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "(sensitive value)")
		}
	}
	return s
}

func (r *redacted) Unwrap() error { return r.err }
