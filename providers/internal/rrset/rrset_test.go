package rrset

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"
)

// e builds an entry from "name type data" (TTL one hour) whose value
// records where it came from.
func e(spec, from string) Entry[string] {
	f := strings.SplitN(spec, " ", 3)
	return Entry[string]{RR: libdns.RR{Name: f[0], TTL: time.Hour, Type: f[1], Data: f[2]}, Val: from}
}

func zone() []Entry[string] {
	return []Entry[string]{
		e("@ MX 10 mx1.", "old"),
		e("@ TXT v=spf1 -all", "old"),
		e("www A 192.0.2.1", "old"),
		e("@ MX 20 mx2.", "old"),
		e("mail A 192.0.2.2", "old"),
	}
}

// show prints entries as "name type data (from)" for readable diffs.
func show(entries []Entry[string]) []string {
	var out []string
	for _, x := range entries {
		out = append(out, x.RR.Name+" "+x.RR.Type+" "+x.RR.Data+" ("+x.Val+")")
	}
	return out
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name      string
		add       []Entry[string]
		want      []string
		wantAdded int
	}{
		{"after the owner's last record", []Entry[string]{e("www AAAA 2001:db8::1", "new")}, []string{
			"@ MX 10 mx1. (old)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (old)", "www AAAA 2001:db8::1 (new)", "@ MX 20 mx2. (old)", "mail A 192.0.2.2 (old)",
		}, 1},
		{"new owner at the end", []Entry[string]{e("_dmarc TXT v=DMARC1; p=none", "new")}, []string{
			"@ MX 10 mx1. (old)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (old)", "@ MX 20 mx2. (old)", "mail A 192.0.2.2 (old)", "_dmarc TXT v=DMARC1; p=none (new)",
		}, 1},
		{"existing record not duplicated", []Entry[string]{e("WWW A 192.0.2.1", "new"), e("www A 192.0.2.1", "new")}, []string{
			"@ MX 10 mx1. (old)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (old)", "@ MX 20 mx2. (old)", "mail A 192.0.2.2 (old)",
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, added := Append(zone(), tt.add)
			if diff := cmp.Diff(tt.want, show(out)); diff != "" {
				t.Errorf("zone (-want +got):\n%s", diff)
			}
			if len(added) != tt.wantAdded {
				t.Errorf("added %d, want %d", len(added), tt.wantAdded)
			}
		})
	}
}

func TestSet(t *testing.T) {
	ttl := func(x Entry[string], d time.Duration) Entry[string] { x.RR.TTL = d; return x }
	tests := []struct {
		name string
		in   []Entry[string]
		want []string
		set  []string
	}{
		{
			name: "replaced RRset takes its first member's place",
			in:   []Entry[string]{e("@ MX 5 new.", "new")},
			want: []string{"@ MX 5 new. (new)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (old)", "mail A 192.0.2.2 (old)"},
			set:  []string{"@ MX 5 new. (new)"},
		},
		{
			name: "unchanged member keeps its stored entry",
			in:   []Entry[string]{e("@ MX 20 mx2.", "new"), e("@ MX 30 mx3.", "new")},
			want: []string{"@ MX 20 mx2. (old)", "@ MX 30 mx3. (new)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (old)", "mail A 192.0.2.2 (old)"},
			set:  []string{"@ MX 20 mx2. (old)", "@ MX 30 mx3. (new)"},
		},
		{
			name: "a new TTL is a change",
			in:   []Entry[string]{ttl(e("www A 192.0.2.1", "new"), time.Minute)},
			want: []string{"@ MX 10 mx1. (old)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (new)", "@ MX 20 mx2. (old)", "mail A 192.0.2.2 (old)"},
			set:  []string{"www A 192.0.2.1 (new)"},
		},
		{
			name: "new RRset after its owner, duplicates dropped",
			in:   []Entry[string]{e("www AAAA 2001:db8::1", "new"), e("www AAAA 2001:db8::1", "dup")},
			want: []string{"@ MX 10 mx1. (old)", "@ TXT v=spf1 -all (old)", "www A 192.0.2.1 (old)", "www AAAA 2001:db8::1 (new)", "@ MX 20 mx2. (old)", "mail A 192.0.2.2 (old)"},
			set:  []string{"www AAAA 2001:db8::1 (new)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, set := Set(zone(), tt.in)
			if diff := cmp.Diff(tt.want, show(out)); diff != "" {
				t.Errorf("zone (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.set, show(set)); diff != "" {
				t.Errorf("set (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name    string
		pattern libdns.RR
		protect func(libdns.RR) bool
		want    []string
	}{
		{"exact", libdns.RR{Name: "@", TTL: time.Hour, Type: "MX", Data: "20 mx2."}, nil, []string{"@ MX 20 mx2. (old)"}},
		{"other TTL", libdns.RR{Name: "@", TTL: time.Minute, Type: "MX", Data: "20 mx2."}, nil, nil},
		{"sub-second TTL difference ignored", libdns.RR{Name: "@", TTL: time.Hour + time.Millisecond, Type: "MX", Data: "20 mx2."}, nil, []string{"@ MX 20 mx2. (old)"}},
		{"empty data", libdns.RR{Name: "@", Type: "MX"}, nil, []string{"@ MX 10 mx1. (old)", "@ MX 20 mx2. (old)"}},
		{"empty type", libdns.RR{Name: "@"}, nil, []string{"@ MX 10 mx1. (old)", "@ TXT v=spf1 -all (old)", "@ MX 20 mx2. (old)"}},
		{"protected", libdns.RR{Name: "@"}, func(rr libdns.RR) bool { return rr.Type == "MX" }, []string{"@ TXT v=spf1 -all (old)"}},
		{"name case ignored", libdns.RR{Name: "WWW", Type: "A"}, nil, []string{"www A 192.0.2.1 (old)"}},
		{"name must match", libdns.RR{Name: "other"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, deleted := Delete(zone(), []libdns.RR{tt.pattern}, tt.protect)
			if diff := cmp.Diff(tt.want, show(deleted)); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
			if len(out)+len(deleted) != len(zone()) {
				t.Errorf("%d kept + %d deleted != %d", len(out), len(deleted), len(zone()))
			}
		})
	}
}

func TestChanged(t *testing.T) {
	reordered := zone()
	reordered[0], reordered[3] = reordered[3], reordered[0]
	longer := append(zone(), e("x A 192.0.2.9", "new"))
	retimed := zone()
	retimed[2].RR.TTL = time.Minute
	recased := zone()
	recased[2].RR.Name = "WWW"
	tests := []struct {
		name  string
		after []Entry[string]
		want  bool
	}{
		{"same", zone(), false},
		{"reordered only", reordered, false},
		{"owner case only", recased, false},
		{"added", longer, true},
		{"TTL", retimed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Changed(zone(), tt.after); got != tt.want {
				t.Errorf("Changed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckCNAME(t *testing.T) {
	tests := []struct {
		name    string
		zone    []Entry[string]
		names   []string
		wantErr bool
	}{
		{"alone", []Entry[string]{e("www CNAME x.", "")}, []string{"www"}, false},
		{"with A", []Entry[string]{e("www CNAME x.", ""), e("www A 192.0.2.1", "")}, []string{"www"}, true},
		{"with RRSIG (RFC 4035 section 2.5)", []Entry[string]{e("www CNAME x.", ""), e("www RRSIG ...", "")}, []string{"WWW"}, false},
		{"two CNAMEs", []Entry[string]{e("www CNAME x.", ""), e("www CNAME y.", "")}, []string{"www"}, true},
		{"conflict at an untouched name", []Entry[string]{e("www CNAME x.", ""), e("www A 192.0.2.1", "")}, []string{"mail"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCNAME(tt.zone, tt.names)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrCNAMEConflict)) {
				t.Errorf("CheckCNAME = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name, in, zone, want string
		wantErr              error
	}{
		{"apex @", "@", "example.com.", "@", nil},
		{"apex empty", "", "example.com.", "@", nil},
		{"relative", "www", "example.com.", "www", nil},
		{"absolute inside", "mail.Example.COM.", "example.com.", "mail", nil},
		{"absolute apex", "example.com.", "example.com.", "@", nil},
		{"absolute outside", "www.example.org.", "example.com.", "", ErrOutsideZone},
		{"suffix but not parent", "badexample.com.", "example.com.", "", ErrOutsideZone},
		{"relative that looks absolute stays relative", "www.example.org", "example.com.", "www.example.org", nil},
		{"space", "a b", "example.com.", "", ErrInvalidRecord},
		{"newline", "a\nb", "example.com.", "", ErrInvalidRecord},
		{"escaped space is a name", `a\ b`, "example.com.", `a\ b`, nil},
		{"escaped newline is not", "a\\\nb", "example.com.", "", ErrInvalidRecord},
		{"empty label", "a..b", "example.com.", "", ErrInvalidRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OwnerName(tt.in, tt.zone)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("OwnerName(%q, %q) = %q, %v; want %q, %v", tt.in, tt.zone, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNormalizeZone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Example.COM", "example.com.", true},
		{"example.com.", "example.com.", true},
		{" example.com ", "example.com.", true},
		{"", "", false},
		{".", "", false},
		{"../etc", "", false},
		{"a/b.com", "", false},
		{"a..com", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeZone(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeZone(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
