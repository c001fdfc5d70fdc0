// Package rrset holds what mailconf's providers share: zone and owner-name
// normalization, and the libdns Append/Set/Delete contracts applied to an
// ordered list of records, so that every provider edits zones with exactly
// the same semantics.
//
// Names follow RFC 1034 section 3.1 (case-insensitive comparison) and the
// libdns convention that record names are relative to the zone, "@" being the
// apex. The package does no I/O and must never read the clock.
package rrset

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

var (
	// ErrInvalidZone reports a zone name that is not a usable domain name.
	ErrInvalidZone = errors.New("providers: invalid zone name")
	// ErrInvalidRecord reports an input record that cannot be stored.
	ErrInvalidRecord = errors.New("providers: invalid record")
	// ErrOutsideZone reports a record or domain name that is not in the zone.
	ErrOutsideZone = errors.New("providers: name is outside the zone")
	// ErrCNAMEConflict reports a write that would leave a CNAME next to other
	// data at one name.
	ErrCNAMEConflict = errors.New("providers: CNAME and other data at the same name")
)

// NormalizeZone returns zone as a lower-case fully qualified name with a
// trailing dot. The root zone is refused: no provider here manages it, and a
// zone file for it would have no sensible file name.
func NormalizeZone(zone string) (string, error) {
	z := strings.ToLower(strings.TrimSpace(zone))
	if z == "" || z == "." {
		return "", fmt.Errorf("%w: %q", ErrInvalidZone, zone)
	}
	z = dns.Fqdn(z)
	// Zone names become file names in the zonefile provider, so anything
	// that could walk the file system is refused here, for every provider.
	if strings.ContainsAny(z, `/\ `) || strings.HasPrefix(z, ".") || strings.Contains(z, "..") {
		return "", fmt.Errorf("%w: %q", ErrInvalidZone, zone)
	}
	if _, ok := dns.IsDomainName(z); !ok {
		return "", fmt.Errorf("%w: %q", ErrInvalidZone, zone)
	}
	return z, nil
}

// InZone reports whether the fully qualified name fqdn equals zone or is
// below it, comparing labels case-insensitively (RFC 1034 section 3.1).
// Both must end with a dot.
func InZone(fqdn, zone string) bool {
	if len(fqdn) < len(zone) {
		return false
	}
	if len(fqdn) == len(zone) {
		return strings.EqualFold(fqdn, zone)
	}
	// The byte before the zone suffix must be a label separator, or
	// "fooexample.com." would count as inside "example.com.".
	cut := len(fqdn) - len(zone)
	return fqdn[cut-1] == '.' && strings.EqualFold(fqdn[cut:], zone)
}

// Relative returns the libdns form of the fully qualified name fqdn in
// zone: "@" for the apex, otherwise the labels before the zone. It reports
// false when fqdn is not in zone.
func Relative(fqdn, zone string) (string, bool) {
	if !InZone(fqdn, zone) {
		return "", false
	}
	if len(fqdn) == len(zone) {
		return "@", true
	}
	return fqdn[:len(fqdn)-len(zone)-1], true
}

// Absolute returns the fully qualified form of a libdns record name: "" and
// "@" are the apex, a name with a trailing dot is already absolute, anything
// else is relative to zone.
func Absolute(name, zone string) string {
	switch {
	case name == "" || name == "@":
		return zone
	case strings.HasSuffix(name, "."):
		return name
	default:
		return name + "." + zone
	}
}

// OwnerName validates a libdns record name for zone and returns it in the
// libdns relative form ("@" for the apex). Absolute names must be inside the
// zone; relative names always are.
func OwnerName(name, zone string) (string, error) {
	fqdn := Absolute(name, zone)
	// Characters that are special in master-file syntax (RFC 1035 section
	// 5.1) would let a name smuggle extra fields or records into a zone
	// file, so they are refused unless escaped: names are in presentation
	// form, where a backslash escapes the next character or starts \DDD.
	if hasSpecial(name) {
		return "", fmt.Errorf("%w: bad name %q", ErrInvalidRecord, name)
	}
	if _, ok := dns.IsDomainName(fqdn); !ok {
		return "", fmt.Errorf("%w: bad name %q", ErrInvalidRecord, name)
	}
	rel, ok := Relative(fqdn, zone)
	if !ok {
		return "", fmt.Errorf("%w: %s is not in zone %s", ErrOutsideZone, fqdn, zone)
	}
	return rel, nil
}

// hasSpecial reports an unescaped master-file special character in a
// presentation-form name: white space, ';', '(', ')' or '"', or any control
// character.
func hasSpecial(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '\\':
			// The escaped character, or the first digit of \DDD, must be
			// printable: an escaped line break would still end the line.
			if i+1 >= len(name) || name[i+1] < ' ' || name[i+1] == 0x7f {
				return true
			}
			i++
		case c <= ' ' || c == 0x7f || c == ';' || c == '(' || c == ')' || c == '"':
			return true
		}
	}
	return false
}
