package receiver

import (
	"context"
	"errors"
	"net"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/resolve"
)

// spfResolver adapts a resolve.Resolver to the blitiri.com.ar/go/spf
// DNSResolver interface, which mirrors *net.Resolver: the library tells
// NXDOMAIN and temporary failures apart by the fields of *net.DNSError, so
// the adapter reports them the same way.
type spfResolver struct {
	r resolve.Resolver
}

// dnsError turns a resolve error into the *net.DNSError the SPF and DKIM
// libraries inspect. Temporary failures stay temporary (RFC 7208 section
// 2.6.6 temperror); everything else is a permanent error.
func dnsError(name string, err error) error {
	return &net.DNSError{Err: err.Error(), Name: name, IsTemporary: resolve.IsTemporary(err) || errors.Is(err, context.DeadlineExceeded)}
}

// notFound is the error net.Resolver returns for NXDOMAIN.
func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (s spfResolver) lookup(ctx context.Context, name string, qtype uint16) (*resolve.Answer, error) {
	a, err := s.r.Lookup(ctx, name, qtype)
	if err != nil {
		return nil, dnsError(name, err)
	}
	if a.Rcode == dns.RcodeNameError {
		return nil, notFound(name)
	}
	return a, nil
}

func (s spfResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := s.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	return a.TXT(), nil
}

func (s spfResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := s.lookup(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []*net.MX
	for _, mx := range a.MX() {
		out = append(out, &net.MX{Host: dns.Fqdn(mx.Host), Pref: mx.Preference})
	}
	return out, nil
}

func (s spfResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		a, err := s.lookup(ctx, host, t)
		if err != nil {
			return nil, err
		}
		for _, ip := range a.Addrs() {
			out = append(out, net.IPAddr{IP: net.IP(ip.AsSlice())})
		}
	}
	return out, nil
}

func (s spfResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: addr}
	}
	a, err := s.lookup(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range a.Names() {
		out = append(out, dns.Fqdn(n))
	}
	return out, nil
}

// dkimLookupTXT adapts the resolver to go-msgauth's VerifyOptions.LookupTXT,
// which reads temporary failures through net.Error's Temporary method.
func dkimLookupTXT(ctx context.Context, r resolve.Resolver) func(string) ([]string, error) {
	s := spfResolver{r}
	return func(name string) ([]string, error) { return s.LookupTXT(ctx, name) }
}
