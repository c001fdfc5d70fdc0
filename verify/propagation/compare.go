package propagation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/resolve"
)

// compare reads one server's answer for a record set. It returns the
// mismatch, if the server serves other owned values, or the error that kept
// the server from answering usefully.
func compare(rs *plan.RecordSet, o outcome) (*Mismatch, error) {
	if o.err != nil {
		return nil, o.err
	}
	if !o.ans.Authoritative {
		// A referral or a cached answer: the server does not hold the
		// zone, so it cannot be said to serve or not serve the records.
		return nil, fmt.Errorf("%w: %s %s", ErrNotAuthoritative, rs.Name, rs.Type)
	}
	want := make([]string, 0, len(rs.Values))
	for _, v := range rs.Values {
		want = append(want, normalize(rs.Type, v))
	}
	got := served(rs, o.ans)
	want = sortedSet(want)
	got = sortedSet(got)
	if slices.Equal(want, got) {
		return nil, nil
	}
	return &Mismatch{Name: rs.Name, Type: rs.Type, Want: want, Got: got}, nil
}

// served is the owned values an answer holds at the set's name, in the
// form of RecordSet.Values. NXDOMAIN and NODATA serve nothing.
func served(rs *plan.RecordSet, ans *resolve.Answer) []string {
	if len(ans.CNAMEs) > 0 {
		// The name is an alias on this server, so it holds no records of
		// the type itself (RFC 1034 section 3.6.2, RFC 2181 section 10.1):
		// what it serves there is the CNAME.
		return []string{"CNAME " + ans.CNAMEs[0] + "."}
	}
	var got []string
	if qtypeOf(rs.Type) == dns.TypeTXT {
		// RFC 7208 section 3.3 and RFC 6376 section 3.6.2.2: a TXT
		// record's character-strings are read joined.
		got = ans.TXT()
	} else {
		for _, rr := range ans.Records {
			got = append(got, rdata(rr))
		}
	}
	if rs.OwnsAll() {
		return got
	}
	// DESIGN.md section 4: with a Prefix, only the values starting with it
	// (with Exact, only its own values) are mailconf's; the others at the name (site verifications) are
	// neither wanted nor unwanted.
	owned := got[:0:0]
	for _, v := range got {
		if rs.Owns(v) {
			owned = append(owned, v)
		}
	}
	return owned
}

// rdata writes a record's data the way plan writes values: MX "10 host.",
// CNAME "host.", host names lower case with their trailing dot (RFC 4343:
// names compare case-insensitively).
func rdata(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.MX:
		return strconv.Itoa(int(r.Preference)) + " " + host(r.Mx)
	case *dns.CNAME:
		return host(r.Target)
	}
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// normalize puts a wanted value in the form rdata produces.
func normalize(typ, v string) string {
	switch qtypeOf(typ) {
	case dns.TypeMX:
		f := strings.Fields(v)
		if len(f) != 2 {
			return v
		}
		pref, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			return v
		}
		return strconv.FormatUint(pref, 10) + " " + host(f[1])
	case dns.TypeCNAME:
		return host(v)
	}
	return v
}

// host is a host name lower case and absolute. RFC 7505 section 3: the
// null MX's host is the root, ".".
func host(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" || h == "." {
		return "."
	}
	return dns.Fqdn(h)
}

// sortedSet sorts values and drops duplicates: RFC 2181 section 5, an RRset
// has no order and no duplicate records.
func sortedSet(vs []string) []string {
	slices.Sort(vs)
	return slices.Compact(vs)
}
