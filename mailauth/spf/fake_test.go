package spf

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
)

// errServFail is what the fake returns for the names in zone.fail.
var errServFail = errors.New("SERVFAIL")

// zone is a data-only fake Resolver: TXT, MX and address answers by name, and
// names whose every lookup fails. A name without an entry (or with an empty
// one) gets a void answer. Names are compared in lowercase without a final
// dot. Addresses are written as text, A and AAAA together.
type zone struct {
	txt  map[string][]string
	mx   map[string][]string
	ip   map[string][]string
	fail []string
}

func (z zone) failed(name string) error {
	if slices.Contains(z.fail, key(name)) {
		return errServFail
	}
	return nil
}

func (z zone) LookupTXT(_ context.Context, name string) ([]string, bool, error) {
	if err := z.failed(name); err != nil {
		return nil, false, err
	}
	v := z.txt[key(name)]
	return v, len(v) == 0, nil
}

func (z zone) LookupMX(_ context.Context, name string) ([]string, bool, error) {
	if err := z.failed(name); err != nil {
		return nil, false, err
	}
	v := z.mx[key(name)]
	return v, len(v) == 0, nil
}

func (z zone) LookupIP(_ context.Context, name string) ([]netip.Addr, bool, error) {
	if err := z.failed(name); err != nil {
		return nil, false, err
	}
	var addrs []netip.Addr
	for _, s := range z.ip[key(name)] {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	return addrs, len(addrs) == 0, nil
}

func key(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// merge returns a zone holding the answers of z and then of o, o winning for
// names both have.
func (z zone) merge(o zone) zone {
	out := zone{txt: map[string][]string{}, mx: map[string][]string{}, ip: map[string][]string{}}
	for _, src := range []zone{z, o} {
		for k, v := range src.txt {
			out.txt[k] = v
		}
		for k, v := range src.mx {
			out.mx[k] = v
		}
		for k, v := range src.ip {
			out.ip[k] = v
		}
		out.fail = append(out.fail, src.fail...)
	}
	return out
}
