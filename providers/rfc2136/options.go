package rfc2136

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/providers/internal/rrset"
)

// ErrConfig reports an invalid option; errors.As with *ConfigError gives
// its summary and the sentence saying how to fix it.
var ErrConfig = errors.New("rfc2136: invalid configuration")

// ConfigError is an invalid option: the argument it concerns, a short
// summary and a detail sentence saying how to fix it. It never holds the
// secret.
type ConfigError struct {
	Argument, Summary, Detail string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("rfc2136: invalid %s: %s", e.Argument, e.Detail)
}

// Unwrap makes the error match ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// checkServer validates "host:port" and returns it in canonical form.
func checkServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(summary, detail string) error {
		return &ConfigError{Argument: "server", Summary: summary, Detail: detail}
	}
	if s == "" {
		return "", bad("Missing server address", `The "server" argument must be the primary server's address and port, such as "ns1.example.net:53" or "192.0.2.53:53".`)
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/ ") {
		return "", bad("Invalid server address", fmt.Sprintf(`%q is not host:port. Give the server as host and port only, such as "ns1.example.net:53".`, s))
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", bad("Invalid server address", fmt.Sprintf(`%q is not host:port. Add the port, usually 53 (RFC 1035 section 4.2): "%s:53"; an IPv6 address goes in brackets, as in "[2001:db8::53]:53".`, s, s))
	}
	if host == "" {
		return "", bad("Invalid server address", fmt.Sprintf(`%q has no host. Write the server's name or address before the port, such as "ns1.example.net:53".`, s))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", bad("Invalid server port", fmt.Sprintf(`The port of %q must be a number from 1 to 65535, usually 53.`, s))
	}
	return net.JoinHostPort(host, port), nil
}

// checkKeyName validates a TSIG key name, which is a domain name (RFC 8945
// section 4.2).
func checkKeyName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &ConfigError{Argument: "tsig_key_name", Summary: "Missing TSIG key name", Detail: `The "tsig_key_name" argument must name the TSIG key as the server's key statement does, such as "mailconf-key".`}
	}
	if _, ok := dns.IsDomainName(s); !ok || s == "." || strings.ContainsAny(s, " \t\"") {
		return "", &ConfigError{Argument: "tsig_key_name", Summary: "Invalid TSIG key name", Detail: fmt.Sprintf(`%q is not a valid key name: a TSIG key name is a domain name (RFC 8945 section 4.2), such as "mailconf-key" or "mailconf.example.net".`, s)}
	}
	return strings.TrimSuffix(s, "."), nil
}

// algorithms are the TSIG algorithms of RFC 8945 section 6 that may be
// used, in the order they are suggested. Each is checked against miekg/dns
// at start-up (see supported), so this list cannot promise more than the
// library does.
var algorithms = []string{"hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1"}

// supported reports whether miekg/dns can sign with the algorithm, by
// signing an empty query with a dummy key.
func supported(algorithm string) bool {
	m := new(dns.Msg)
	m.SetQuestion("example.", dns.TypeSOA)
	m.SetTsig("probe.", dns.Fqdn(algorithm), 300, 0)
	_, _, err := dns.TsigGenerate(m, base64.StdEncoding.EncodeToString([]byte("probe")), "", false)
	return err == nil
}

// supportedAlgorithms are the names of algorithms that miekg/dns signs with.
var supportedAlgorithms = func() []string {
	var out []string
	for _, a := range algorithms {
		if supported(a) {
			out = append(out, a)
		}
	}
	return out
}()

// checkAlgorithm validates a TSIG algorithm name and returns it in lower
// case without a trailing dot; "" is DefaultAlgorithm.
func checkAlgorithm(s string) (string, error) {
	a := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if a == "" {
		return DefaultAlgorithm, nil
	}
	for _, ok := range supportedAlgorithms {
		if a == ok {
			return a, nil
		}
	}
	list := `"` + strings.Join(supportedAlgorithms, `", "`) + `"`
	if strings.HasPrefix(a, "hmac-md5") {
		// RFC 8945 section 6: HMAC-MD5 must not be used, and miekg/dns
		// has dropped it.
		return "", &ConfigError{Argument: "tsig_algorithm", Summary: "Unsupported TSIG algorithm", Detail: fmt.Sprintf(`hmac-md5 must no longer be used (RFC 8945 section 6) and is not supported. Make a new key on the server with "tsig-keygen -a hmac-sha256 NAME" and use "hmac-sha256"; the supported algorithms are %s.`, list)}
	}
	return "", &ConfigError{Argument: "tsig_algorithm", Summary: "Unsupported TSIG algorithm", Detail: fmt.Sprintf(`%q is not a TSIG algorithm this provider supports. Use the algorithm of the server's key statement, one of %s.`, s, list)}
}

// checkSecret validates a base64 TSIG secret and returns it trimmed of the
// white space a file read with file() usually ends with, and its decoded
// length. Its errors never quote the secret.
func checkSecret(s string) (string, int, error) {
	s = strings.TrimSpace(s)
	bad := func(summary, detail string) error {
		return &ConfigError{Argument: "tsig_secret", Summary: summary, Detail: detail}
	}
	if s == "" {
		return "", 0, bad("Empty TSIG secret", `The "tsig_secret" argument is empty. Set it to the key's base64 secret, read with env() or file() so that it stays out of the configuration.`)
	}
	if strings.Contains(s, "secret") && strings.Contains(s, `"`) {
		return "", 0, bad("TSIG secret holds a key statement", `The "tsig_secret" value looks like a whole key statement as tsig-keygen prints it. Set it to the base64 secret alone, the text between the quotes after "secret", for instance in a file of its own read with file(). The value is not shown here.`)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", 0, bad("Invalid TSIG secret", `The "tsig_secret" value is not valid base64 (RFC 4648 section 4). Copy the secret exactly as the server's key statement has it, padding ("=") included. The value is not shown here.`)
	}
	if len(raw) == 0 {
		return "", 0, bad("Empty TSIG secret", `The "tsig_secret" value decodes to nothing. Set it to the key's base64 secret.`)
	}
	return s, len(raw), nil
}

// checkZone validates a zone name and returns it lower case with its
// trailing dot.
func checkZone(s string) (string, error) {
	z, err := rrset.NormalizeZone(s)
	if err != nil {
		return "", fmt.Errorf("rfc2136: %w", err)
	}
	return z, nil
}

func zoneError(zone string) error {
	return &ConfigError{Argument: "zone", Summary: "Invalid zone name", Detail: fmt.Sprintf(`%q is not a zone name. Give the zone the server holds as a domain name, such as "example.com".`, zone)}
}

func concurrencyError(n int) error {
	return &ConfigError{Argument: "concurrency", Summary: "Invalid concurrency", Detail: fmt.Sprintf(`The concurrency must be a whole number of at least 1 (requests in flight at once), not %d.`, n)}
}
