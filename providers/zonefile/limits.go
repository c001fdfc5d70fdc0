package zonefile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// ErrUnservable reports a zone holding a record that no DNS server could
// send: its data does not fit the wire format, or no message could carry
// it. The provider refuses to read such a zone, and so never writes it
// back: it rewrites the whole file, records it does not own included.
var ErrUnservable = errors.New("zonefile: record cannot be served")

// Limits of the DNS wire format. A record beyond them can sit in a master
// file, but no server can put it in an answer.
const (
	// RFC 1035 sections 2.3.4 and 3.1: a name is at most 255 octets on
	// the wire, length octets included. (The parser checks labels, at
	// most 63 octets, but lets names of 256 and 257 octets through.)
	maxNameLen = 255
	// RFC 1035 section 3.2.1: RDLENGTH is a 16-bit field.
	maxRdataLen = 65535
	// RFC 1035 section 4.2.2: over TCP a message is preceded by a two-octet
	// length, so no message is longer than 65535 octets. UDP answers are
	// smaller still (RFC 1035 section 4.2.1, RFC 6891 section 6.2.5), and a
	// truncated UDP answer is retried over TCP, so TCP is the bound.
	maxMessageLen = 65535
	// RFC 1035 section 4.1.1: the message header.
	msgHeaderLen = 12
	// RFC 1035 section 4.1.2: QTYPE and QCLASS after the question's name.
	questionFixedLen = 4
	// RFC 1035 section 4.1.3: TYPE, CLASS, TTL and RDLENGTH after a
	// record's owner name.
	rrFixedLen = 10
	// RFC 1035 section 4.1.4: an answer's owner name, being the question's
	// name, can shrink to a two-octet compression pointer.
	pointerLen = 2
	// RFC 6891 sections 6.1.1 and 6.1.2: a responder must answer a query
	// carrying an OPT record (every modern resolver sends one) with an OPT
	// record of its own, at least 11 octets: the root name, TYPE, CLASS,
	// TTL and RDLENGTH.
	optLen = 11
)

// answerLen is the size of the smallest response that carries an RRset of
// records whose data sizes are rdlens, at an owner of ownerLen octets:
// header, question, one answer per record with its owner compressed, and
// the OPT record (RFC 6891 section 7 makes those the minimal response). A
// query for a name and type is answered with the whole RRset (RFC 2181
// section 5), so the set, not only each record, must fit one message.
func answerLen(ownerLen int, rdlens ...int) int {
	n := msgHeaderLen + ownerLen + questionFixedLen + optLen
	for _, l := range rdlens {
		n += pointerLen + rrFixedLen + l
	}
	return n
}

// nameLen is the wire length of an absolute domain name in presentation
// form: its octets, escapes counted as the octets they stand for, plus one
// length octet per label and the root label (RFC 1035 section 3.1), which
// comes to one more than the presentation length with its final dot.
func nameLen(name string) int {
	if name == "" || name == "." {
		return 1
	}
	n := unescapedLen(name) + 1
	if !strings.HasSuffix(name, ".") {
		n++
	}
	return n
}

// unescapedLen is the number of octets an escaped presentation string
// stands for, len(unescape(s)) without building it: `\DDD` and `\X` are one
// octet each (RFC 1035 section 5.1).
func unescapedLen(s string) int {
	if strings.IndexByte(s, '\\') < 0 {
		return len(s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 >= len(s) {
				break // a dangling backslash carries no octet
			}
			if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) &&
				int(s[i+1]-'0')*100+int(s[i+2]-'0')*10+int(s[i+3]-'0') <= 255 {
				i += 3
			} else {
				i++
			}
		}
		n++
	}
	return n
}

// dataNames returns the domain names in the data of the types that carry
// them commonly, for the length check. Rarer types (RP, AFSDB, KX, NSEC,
// RRSIG, ...) are not looked into.
func dataNames(rr dns.RR) []string {
	switch v := rr.(type) {
	case *dns.CNAME:
		return []string{v.Target}
	case *dns.DNAME:
		return []string{v.Target}
	case *dns.NS:
		return []string{v.Ns}
	case *dns.PTR:
		return []string{v.Ptr}
	case *dns.MX:
		return []string{v.Mx}
	case *dns.SRV:
		return []string{v.Target}
	case *dns.SOA:
		return []string{v.Ns, v.Mbox}
	case *dns.NAPTR:
		return []string{v.Replacement}
	case *dns.SVCB:
		return []string{v.Target}
	case *dns.HTTPS:
		return []string{v.Target}
	}
	return nil
}

// txtStrings returns the character-strings of the types that hold only
// character-strings, whose lengths must be counted unescaped.
func txtStrings(rr dns.RR) ([]string, bool) {
	switch v := rr.(type) {
	case *dns.TXT:
		return v.Txt, true
	case *dns.SPF:
		return v.Txt, true
	case *dns.AVC:
		return v.Txt, true
	case *dns.RESINFO:
		return v.Txt, true
	}
	return nil, false
}

// rdataLen is the wire length of rr's data, or an upper bound of it:
// exact for TXT and its kin, whose strings are counted unescaped, and for the
// other types dns.Len, which counts escaped strings as they are written
// (a CAA value's `\"` as two octets).
func rdataLen(rr dns.RR) (n int, exact bool) {
	if strs, ok := txtStrings(rr); ok {
		for _, s := range strs {
			n += 1 + unescapedLen(s) // RFC 1035 section 3.3: a length octet, then the octets
		}
		return n, true
	}
	return dns.Len(rr) - dns.Len(rr.Header()), false
}

// packedRdataLen is the exact wire length of rr's data, found by packing
// it, for when rdataLen's bound is over a limit. ok is false when the data
// is over 65535 octets: packing refuses it, and then the bound is all
// there is.
func packedRdataLen(rr dns.RR) (n int, ok bool) {
	buf := make([]byte, dns.Len(rr))
	off, err := dns.PackRR(dns.Copy(rr), buf, 0, nil, false)
	if err != nil {
		return 0, false
	}
	return off - dns.Len(rr.Header()), true
}

// unservable is a record, or an RRset, that no server could send.
type unservable struct {
	index  int // the first record concerned, in z.records
	reason string
}

// checkServable finds the first record of records that no DNS server could
// send: a name over 255 octets, a character-string over 255 octets, data
// over 65535 octets, or a record or RRset too large for any response. The
// master-file parser refuses labels over 63 octets itself, and cuts quoted
// strings over 255 octets into several; both rules are checked here too,
// because the records to be written do not all come from the parser.
func checkServable(records []dns.RR) *unservable {
	rdlens := make([]int, len(records))
	exacts := make([]bool, len(records))
	all := 0 // the answer records of the whole zone, in octets
	for i, rr := range records {
		h := rr.Header()
		what := func() string { return h.Name + " " + typeString(rr) }
		if _, ok := dns.IsDomainName(h.Name); !ok {
			return &unservable{i, fmt.Sprintf("%s: the owner name is malformed or has a label over 63 octets (RFC 1035 section 2.3.4)", what())}
		}
		owner := nameLen(h.Name)
		if owner > maxNameLen {
			return &unservable{i, fmt.Sprintf("%s: the owner name is %d octets, above the limit of %d (RFC 1035 section 2.3.4)", what(), owner, maxNameLen)}
		}
		for _, name := range dataNames(rr) {
			if l := nameLen(name); l > maxNameLen {
				return &unservable{i, fmt.Sprintf("%s: the name %s in its data is %d octets, above the limit of %d (RFC 1035 section 2.3.4)", what(), name, l, maxNameLen)}
			}
		}
		if strs, ok := txtStrings(rr); ok {
			for j, s := range strs {
				if l := unescapedLen(s); l > maxStringLen {
					return &unservable{i, fmt.Sprintf("%s: character-string %d is %d octets, above the limit of %d (RFC 1035 section 3.3)", what(), j+1, l, maxStringLen)}
				}
			}
		}
		rdlen, exact := rdataLen(rr)
		if !exact && (rdlen > maxRdataLen || answerLen(owner, rdlen) > maxMessageLen) {
			bound := rdlen
			if rdlen, exact = packedRdataLen(rr); !exact {
				return &unservable{i, fmt.Sprintf("%s: its data is more than %d octets (about %d), above the limit of %d octets (RFC 1035 section 3.2.1: RDLENGTH is 16 bits)", what(), maxRdataLen, bound, maxRdataLen)}
			}
		}
		if rdlen > maxRdataLen {
			return &unservable{i, fmt.Sprintf("%s: its data is %d octets, above the limit of %d octets (RFC 1035 section 3.2.1: RDLENGTH is 16 bits)", what(), rdlen, maxRdataLen)}
		}
		if n := answerLen(owner, rdlen); n > maxMessageLen {
			return &unservable{i, fmt.Sprintf("%s: its data is %d octets, and the smallest response carrying it would be %d octets, above the DNS message limit of %d (RFC 1035 section 4.2.2)", what(), rdlen, n, maxMessageLen)}
		}
		rdlens[i], exacts[i] = rdlen, exact
		all += pointerLen + rrFixedLen + rdlen
	}
	// Most zones are far smaller than one message: then no set of them
	// can be too large, and grouping them into sets is not needed.
	if answerLen(maxNameLen)+all <= maxMessageLen {
		return nil
	}

	type setKey struct {
		name  string
		rtype uint16
	}
	type set struct {
		first, count, size int
		exact              bool // every length counted in size is exact
	}
	index := map[setKey]int{}
	var sets []set // in the order of each set's first record
	for i, rr := range records {
		k := setKey{strings.ToLower(rr.Header().Name), rr.Header().Rrtype}
		j, ok := index[k]
		if !ok {
			j = len(sets)
			index[k] = j
			sets = append(sets, set{first: i, exact: true})
		}
		sets[j].count++
		sets[j].size += pointerLen + rrFixedLen + rdlens[i]
		sets[j].exact = sets[j].exact && exacts[i]
	}
	for _, s := range sets {
		if s.count < 2 {
			continue
		}
		first := records[s.first]
		fixed := answerLen(nameLen(first.Header().Name))
		if fixed+s.size > maxMessageLen && !s.exact {
			// Over on the upper bounds: measure the set exactly. Each
			// record packs, being within the limits checked above.
			s.size = 0
			for _, rr := range records[s.first:] {
				if rr.Header().Rrtype == first.Header().Rrtype && strings.EqualFold(rr.Header().Name, first.Header().Name) {
					l, _ := packedRdataLen(rr)
					s.size += pointerLen + rrFixedLen + l
				}
			}
		}
		if n := fixed + s.size; n > maxMessageLen {
			return &unservable{s.first, fmt.Sprintf("%s %s: its %d records need a response of %d octets, above the DNS message limit of %d (RFC 1035 section 4.2.2; RFC 2181 section 5: a set is sent whole)", first.Header().Name, typeString(first), s.count, n, maxMessageLen)}
		}
	}
	return nil
}

// recordLines returns the line on which each record of a master file
// starts, in the order the parser returns them, for error messages: the
// parser does not say where a record came from. An entry starts at the
// beginning of a line outside parentheses and quotes (RFC 1035 section
// 5.1); one starting with "$" is a directive, and one holding only blanks
// and a comment is no record. The caller must check that the count matches
// the records parsed, and give no line when it does not.
func recordLines(data []byte) []int {
	var lines []int
	line, depth := 1, 0
	quoted := false
	pending := true                              // the next content starts an entry
	directive := len(data) > 0 && data[0] == '$' // the entry is a directive
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\\':
			// The escaped octet is content, never syntax.
			if i++; i < len(data) && data[i] == '\n' {
				line++
			}
		case c == '\n':
			line++
			if depth == 0 && !quoted {
				pending = true
				directive = i+1 < len(data) && data[i+1] == '$'
			}
			continue
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == ';':
			// A comment runs to the end of the line; the newline itself
			// is handled above.
			if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
				i += j - 1
			} else {
				i = len(data)
			}
			continue
		case c == ' ' || c == '\t' || c == '\r':
			continue
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')':
			depth = max(depth-1, 0)
		}
		if pending {
			pending = false
			if !directive {
				lines = append(lines, line)
			}
		}
	}
	return lines
}
