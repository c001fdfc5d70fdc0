package r53test

import (
	"fmt"
	"strings"
)

// canonicalName is a domain name as Route 53 stores and lists it: lower
// case, with a trailing dot, every octet other than a-z, 0-9, '-' and '_'
// written as a backslash and three octal digits (the Route 53 Developer
// Guide, "DNS domain name format"), so a wildcard lists as
// "\052.example.com.". Input may use octal escapes, escaped characters or
// the characters themselves.
func canonicalName(name string) string {
	var labels [][]byte
	var cur []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '\\' && i+3 < len(name) && name[i+1] >= '0' && name[i+1] <= '3' && isOctal(name[i+2]) && isOctal(name[i+3]):
			cur = append(cur, (name[i+1]-'0')*64+(name[i+2]-'0')*8+(name[i+3]-'0'))
			i += 3
		case c == '\\' && i+1 < len(name):
			cur = append(cur, name[i+1])
			i++
		case c == '.':
			labels = append(labels, cur)
			cur = nil
		default:
			cur = append(cur, c)
		}
	}
	if len(cur) > 0 {
		labels = append(labels, cur)
	}
	var b strings.Builder
	for _, l := range labels {
		for _, c := range l {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "\\%03o", c)
			}
		}
		b.WriteByte('.')
	}
	if b.Len() == 0 {
		return "."
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// sortKey orders names as ListResourceRecordSets and ListHostedZonesByName
// do: by the canonical name with its labels reversed, "com.example.www.",
// in ASCII order.
func sortKey(canonical string) string {
	labels := strings.Split(strings.TrimSuffix(canonical, "."), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".") + "."
}

// inZone reports whether a canonical name is the zone or below it.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// txtStrings checks a TXT or SPF Value the way Route 53 does: one or more
// character-strings, each in double quotes, separated by white space, each
// at most 255 octets once its escapes are decoded (RFC 1035 section
// 3.3.14). It returns the problem code Route 53 reports, or "".
func txtStrings(value string) string {
	i, n := 0, 0
	for {
		for i < len(value) && (value[i] == ' ' || value[i] == '\t') {
			i++
		}
		if i == len(value) {
			break
		}
		if value[i] != '"' {
			return "InvalidTXTRDATA"
		}
		i++
		octets, closed := 0, false
		for i < len(value) {
			c := value[i]
			if c == '"' {
				closed = true
				i++
				break
			}
			if c == '\\' {
				if i+3 < len(value) && isOctal(value[i+1]) && isOctal(value[i+2]) && isOctal(value[i+3]) {
					i += 4
				} else if i+1 < len(value) {
					i += 2
				} else {
					return "InvalidTXTRDATA"
				}
			} else {
				i++
			}
			octets++
		}
		if !closed {
			return "InvalidTXTRDATA"
		}
		if octets > 255 {
			return "TXTRDATATooLong"
		}
		if i < len(value) && value[i] != ' ' && value[i] != '\t' {
			return "InvalidTXTRDATA"
		}
		n++
	}
	if n == 0 {
		return "InvalidTXTRDATA"
	}
	return ""
}
