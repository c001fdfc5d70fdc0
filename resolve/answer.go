package resolve

import (
	"cmp"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Answer is what a server said about one (name, type) question. Answers are
// shared between everyone who asked the same question of a Client: treat
// them, and the records in them, as read-only.
type Answer struct {
	Name          string   // as asked, lower case, no trailing dot ("." for the root)
	Type          uint16   // as asked
	Rcode         int      // dns.RcodeSuccess or dns.RcodeNameError (NXDOMAIN); other rcodes are errors
	Records       []dns.RR // answer records of Type owned by the end of the CNAME chain
	CNAMEs        []string // the CNAME chain followed from Name, if any: targets, lower case, no trailing dot
	Authoritative bool     // the AA bit: the answer came from an authoritative server
}

// Void reports whether the answer holds no records: NXDOMAIN, or NOERROR
// without records of the type asked (NODATA). RFC 7208 section 4.6.4 counts
// such "void lookups" against a limit of two.
func (a *Answer) Void() bool {
	return a.Rcode == dns.RcodeNameError || len(a.Records) == 0
}

// TXT returns each TXT record's character-strings joined with nothing in
// between, as RFC 7208 section 3.3 (and RFC 6376 section 3.6.2.2 for DKIM)
// read them. The records of an RRset have no order (RFC 2181 section 5), so
// the result is sorted, which keeps everything printed from it stable.
func (a *Answer) TXT() []string {
	var out []string
	for _, rr := range a.Records {
		if t, ok := rr.(*dns.TXT); ok {
			var b strings.Builder
			for _, s := range t.Txt {
				b.WriteString(unescapeTXT(s))
			}
			out = append(out, b.String())
		}
	}
	slices.Sort(out)
	return out
}

// MX is one mail exchanger: RFC 1035 section 3.3.9.
type MX struct {
	Preference uint16
	Host       string // lower case, no trailing dot; "." for a null MX (RFC 7505)
}

// MX returns the MX records sorted by preference, lowest (most preferred)
// first as RFC 5321 section 5.1 uses them, then by host name.
func (a *Answer) MX() []MX {
	var out []MX
	for _, rr := range a.Records {
		if m, ok := rr.(*dns.MX); ok {
			out = append(out, MX{Preference: m.Preference, Host: canonicalName(m.Mx)})
		}
	}
	slices.SortFunc(out, func(x, y MX) int {
		return cmp.Or(cmp.Compare(x.Preference, y.Preference), strings.Compare(x.Host, y.Host))
	})
	return out
}

// Addrs returns the addresses of the A and AAAA records, sorted.
func (a *Answer) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, rr := range a.Records {
		switch r := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(r.A.To4()); ok {
				out = append(out, ip)
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(r.AAAA.To16()); ok {
				out = append(out, ip)
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// Names returns the targets of the NS, CNAME and PTR records, lower case
// without the trailing dot, sorted.
func (a *Answer) Names() []string {
	var out []string
	for _, rr := range a.Records {
		switch r := rr.(type) {
		case *dns.NS:
			out = append(out, canonicalName(r.Ns))
		case *dns.CNAME:
			out = append(out, canonicalName(r.Target))
		case *dns.PTR:
			out = append(out, canonicalName(r.Ptr))
		}
	}
	slices.Sort(out)
	return out
}

// Causes of permanent failures found in a response.
var (
	errWrongQuestion = errors.New("response answers another question")
	errCNAMELoop     = errors.New("CNAME loop")
)

// answerFromMsg reads a response to the question (name, qtype), name being
// canonical. It follows the CNAME chain through the answer section the way
// RFC 1034 section 3.6.2 describes, but only through what the server sent:
// recursive resolvers return the whole chain, and an authoritative server
// returns the part it knows, which is what a direct query is for.
func answerFromMsg(name string, qtype uint16, server string, m *dns.Msg) (*Answer, error) {
	fail := func(kind, cause error) error {
		return &Error{Name: name, Type: qtype, Server: server, Rcode: m.Rcode, Kind: kind, Err: cause}
	}
	switch m.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	case dns.RcodeServerFailure, dns.RcodeRefused:
		// RFC 1035 section 4.1.1: SERVFAIL is a problem with the server, and
		// REFUSED is its policy; another server, or a later try, may answer.
		return nil, fail(ErrTemporary, nil)
	default:
		return nil, fail(ErrPermanent, nil)
	}
	if len(m.Question) != 1 || m.Question[0].Qtype != qtype || !sameName(m.Question[0].Name, name) {
		return nil, fail(ErrPermanent, errWrongQuestion)
	}
	a := &Answer{Name: name, Type: qtype, Rcode: m.Rcode, Authoritative: m.Authoritative}
	cur := name
	for {
		var target string
		for _, rr := range m.Answer {
			h := rr.Header()
			if h.Class != dns.ClassINET || !sameName(h.Name, cur) {
				continue
			}
			switch {
			case h.Rrtype == qtype:
				a.Records = append(a.Records, rr)
			case h.Rrtype == dns.TypeCNAME && target == "":
				target = canonicalName(rr.(*dns.CNAME).Target)
			}
		}
		if len(a.Records) > 0 || target == "" {
			break
		}
		if target == name || slices.Contains(a.CNAMEs, target) {
			return nil, fail(ErrPermanent, errCNAMELoop)
		}
		a.CNAMEs = append(a.CNAMEs, target)
		cur = target
	}
	if a.Rcode == dns.RcodeNameError {
		// RFC 6604 section 3: the rcode describes the last name of the
		// chain, so records claimed for it cannot stand.
		a.Records = nil
	}
	return a, nil
}

// unescapeTXT turns a character-string as miekg/dns holds it (the
// presentation form of RFC 1035 section 5.1 without the quotes: \" \\ and
// \DDD escapes) back into its octets.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		i++
		if i == len(s) {
			break
		}
		if i+2 < len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
			b = append(b, byte(int(s[i]-'0')*100+int(s[i+1]-'0')*10+int(s[i+2]-'0')))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// escapeTXT is the inverse of unescapeTXT: it writes octets the way
// miekg/dns holds a character-string.
func escapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
