package route53

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"github.com/libdns/libdns"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/route53/r53test"
)

// rrs renders records as sorted "name TTL type data" lines.
func rrs(recs []libdns.Record) []string {
	var out []string
	for _, r := range recs {
		rr := r.RR()
		out = append(out, fmt.Sprintf("%s %d %s %s", rr.Name, rr.TTL/time.Second, rr.Type, rr.Data))
	}
	sort.Strings(out)
	return out
}

// only keeps the lines of a type.
func only(lines []string, typ string) []string {
	var out []string
	for _, l := range lines {
		if strings.Fields(l)[2] == typ {
			out = append(out, l)
		}
	}
	return out
}

func get(t *testing.T, p *Provider, zone string) []string {
	t.Helper()
	recs, err := p.GetRecords(context.Background(), zone)
	if err != nil {
		t.Fatal(err)
	}
	return rrs(recs)
}

// TestTXTQuirks writes TXT values Route 53 needs quoted, split or escaped,
// checks the form the API holds, and reads each back as the same single
// value.
func TestTXTQuirks(t *testing.T) {
	srv, id, p := fake(t)
	ctx := context.Background()
	texts := map[string]string{
		"dkim":    dkimText,
		"quotes":  `say "hi"`,
		"escapes": `back\slash and exämple`,
		"spaces":  "  padded  ",
	}
	for name, text := range texts {
		if _, err := p.SetRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: name, TTL: time.Hour, Text: text}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	stored := map[string]string{}
	for _, set := range srv.Sets(id) {
		if set.Type == "TXT" {
			stored[strings.TrimSuffix(set.Name, ".example.com.")] = set.Values[0]
		}
	}
	want := map[string]string{
		"dkim":    `"` + dkimText[:255] + `" "` + dkimText[255:] + `"`,
		"quotes":  `"say \"hi\""`,
		"escapes": `"back\\slash and ex\303\244mple"`,
		"spaces":  `"  padded  "`,
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("values held by Route 53 (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	recs, err := p.GetRecords(ctx, "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if txt, ok := r.(libdns.TXT); ok {
			got[txt.Name] = txt.Text
		}
	}
	if diff := cmp.Diff(texts, got); diff != "" {
		t.Errorf("texts read back (-want +got):\n%s", diff)
	}
}

// TestSetKeepsWholeSet: mailconf rewrites the apex TXT set with its new SPF
// value plus the values that are not its own; Route 53 holds the set as one
// with one TTL, and the site verification must survive.
func TestSetKeepsWholeSet(t *testing.T) {
	srv, id, p := fake(t)
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "TXT", TTL: 300, Values: []string{`"google-site-verification=abc"`, `"v=spf1 -all"`}})
	_, err := p.SetRecords(context.Background(), "example.com.", []libdns.Record{
		libdns.TXT{Name: "@", TTL: 300 * time.Second, Text: "google-site-verification=abc"},
		libdns.TXT{Name: "@", TTL: 300 * time.Second, Text: "v=spf1 include:_spf.example.net -all"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"@ 300 TXT google-site-verification=abc",
		"@ 300 TXT v=spf1 include:_spf.example.net -all",
	}
	if diff := cmp.Diff(want, only(get(t, p, "example.com."), "TXT")); diff != "" {
		t.Error(diff)
	}
}

// TestSetUnchangedWritesNothing: a set that already holds exactly the
// records asked for costs a read and no change batch.
func TestSetUnchangedWritesNothing(t *testing.T) {
	srv, id, p := fake(t)
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "MX", TTL: 300, Values: []string{"10 mx.example.com", "20 mx2.example.com."}})
	_, err := p.SetRecords(context.Background(), "example.com.", []libdns.Record{
		libdns.MX{Name: "@", TTL: 300 * time.Second, Preference: 20, Target: "mx2.example.com."},
		libdns.MX{Name: "@", TTL: 300 * time.Second, Preference: 10, Target: "mx.example.com."},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests(r53test.OpChangeResourceRecordSets); n != 0 {
		t.Errorf("%d change batches for a set that was already right", n)
	}
}

// TestPagination reads a zone of 30 record sets four at a time, following
// NextRecordName and NextRecordType, including a weighted name whose pages
// also need NextRecordIdentifier.
func TestPagination(t *testing.T) {
	srv, id, p := fake(t, func(o *Options) { o.PageSize = 4 })
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("h%02d", i)
		srv.Put(id, r53test.RRSet{Name: name + ".example.com.", Type: "A", TTL: 60, Values: []string{fmt.Sprintf("192.0.2.%d", i)}})
		want = append(want, fmt.Sprintf("%s 60 A 192.0.2.%d", name, i))
	}
	for i := range 3 {
		w := int64(i)
		srv.Put(id, r53test.RRSet{Name: "w.example.com.", Type: "A", TTL: 60, Values: []string{"198.51.100.1"}, SetIdentifier: fmt.Sprintf("w%d", i), Weight: &w})
	}
	got := only(get(t, p, "example.com."), "A")
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	// 25 + 3 weighted + SOA + NS = 30 sets, 4 a page.
	if n := srv.Requests(r53test.OpListResourceRecordSets); n != 8 {
		t.Errorf("%d ListResourceRecordSets calls, want 8 pages", n)
	}
}

// TestFailedBatchChangesNothing: a SetRecords call whose batch Route 53
// refuses (here, a CNAME next to an existing TXT) leaves the zone exactly
// as it was, including the set of the same call that alone was valid.
func TestFailedBatchChangesNothing(t *testing.T) {
	srv, id, p := fake(t)
	srv.Put(id, r53test.RRSet{Name: "mail.example.com.", Type: "TXT", TTL: 300, Values: []string{`"keep me"`}})
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "MX", TTL: 300, Values: []string{"10 old.example.com."}})
	before := srv.Sets(id)
	_, err := p.SetRecords(context.Background(), "example.com.", []libdns.Record{
		libdns.MX{Name: "@", TTL: 300 * time.Second, Preference: 10, Target: "new.example.com."},
		libdns.CNAME{Name: "mail", TTL: 300 * time.Second, Target: "elsewhere.example.net."},
	})
	if !errors.Is(err, ErrRejected) || !errors.Is(err, providers.ErrCNAMEConflict) {
		t.Fatalf("err = %v, want ErrRejected and ErrCNAMEConflict", err)
	}
	if providers.IsTemporary(err) {
		t.Errorf("a refused batch is not temporary: %v", err)
	}
	for _, want := range []string{"route53", "example.com.", "MX example.com.", "CNAME mail.example.com.", "conflicting RRSet"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if diff := cmp.Diff(before, srv.Sets(id)); diff != "" {
		t.Errorf("the zone changed (-before +after):\n%s", diff)
	}
	if n := srv.Requests(r53test.OpChangeResourceRecordSets); n != 1 {
		t.Errorf("%d change batches, want the one refused", n)
	}
}

// TestThrottling: Throttling and PriorRequestNotComplete are retried with
// backoff until they pass; past the attempts allowed, the error is
// temporary and says how many attempts were made.
func TestThrottling(t *testing.T) {
	t.Run("then success", func(t *testing.T) {
		srv, _, p := fake(t)
		srv.Fail(r53test.OpListResourceRecordSets, "Throttling", 2)
		srv.Fail(r53test.OpChangeResourceRecordSets, "PriorRequestNotComplete", 1)
		_, err := p.SetRecords(context.Background(), "example.com.", []libdns.Record{libdns.TXT{Name: "_dmarc", TTL: time.Hour, Text: "v=DMARC1; p=none"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := srv.Requests(r53test.OpListResourceRecordSets); n != 3 {
			t.Errorf("%d ListResourceRecordSets calls, want 2 throttled and 1 answered", n)
		}
		if n := srv.Requests(r53test.OpChangeResourceRecordSets); n != 2 {
			t.Errorf("%d ChangeResourceRecordSets calls, want 1 refused and 1 accepted", n)
		}
		if got := only(get(t, p, "example.com."), "TXT"); len(got) != 1 {
			t.Errorf("TXT records = %q", got)
		}
	})
	t.Run("gives up after MaxAttempts", func(t *testing.T) {
		srv, _, p := fake(t, func(o *Options) { o.MaxAttempts = 3 })
		srv.Fail(r53test.OpListResourceRecordSets, "Throttling", 100)
		_, err := p.GetRecords(context.Background(), "example.com.")
		if !providers.IsTemporary(err) || !errors.Is(err, ErrRequest) {
			t.Fatalf("err = %v, want a temporary ErrRequest", err)
		}
		for _, want := range []string{"zone example.com.", "Throttling", "gave up after 3 attempts"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if n := srv.Requests(r53test.OpListResourceRecordSets); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
	})
	t.Run("bounded by the context", func(t *testing.T) {
		srv, _, p := fake(t, func(o *Options) { o.MaxAttempts = 100; o.MaxBackoff = time.Hour })
		srv.Fail(r53test.OpListResourceRecordSets, "Throttling", 1000)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := p.GetRecords(ctx, "example.com.")
			done <- err
		}()
		select {
		case err := <-done:
			if !providers.IsTemporary(err) {
				t.Errorf("err = %v, want temporary", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("GetRecords outlived its context")
		}
	})
	t.Run("5xx is temporary", func(t *testing.T) {
		srv, _, p := fake(t, func(o *Options) { o.MaxAttempts = 2 })
		srv.Fail("", "ServiceUnavailable", 100)
		_, err := p.GetRecords(context.Background(), "example.com.")
		if !providers.IsTemporary(err) {
			t.Errorf("err = %v, want temporary", err)
		}
	})
}

// TestConcurrentWriter: when another client changes a set between the
// adapter's read and its write, the DELETE of the values read fails the
// whole batch, and the adapter reads again: an append then keeps the other
// client's value, where an UPSERT of the stale set would have dropped it.
func TestConcurrentWriter(t *testing.T) {
	srv, id, p := fake(t)
	srv.Put(id, r53test.RRSet{Name: "_acme.example.com.", Type: "TXT", TTL: 60, Values: []string{`"one"`}})
	srv.BeforeNextChange(id, r53test.RRSet{Name: "_acme.example.com.", Type: "TXT", TTL: 60, Values: []string{`"one"`, `"theirs"`}})
	added, err := p.AppendRecords(context.Background(), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme", TTL: time.Minute, Text: "mine"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"_acme 60 TXT mine"}, rrs(added)); diff != "" {
		t.Errorf("added: %s", diff)
	}
	want := []string{"_acme 60 TXT mine", "_acme 60 TXT one", "_acme 60 TXT theirs"}
	if diff := cmp.Diff(want, only(get(t, p, "example.com."), "TXT")); diff != "" {
		t.Error(diff)
	}
	if n := srv.Requests(r53test.OpChangeResourceRecordSets); n != 2 {
		t.Errorf("%d change batches, want the refused one and the retry", n)
	}
}

// TestZoneSelection: ListHostedZonesByName finds the zone; a public zone
// wins over a private one of the same name, two public ones are ambiguous,
// a private one alone is not used, and hosted_zone_id decides otherwise.
func TestZoneSelection(t *testing.T) {
	ctx := context.Background()
	mark := func(srv *r53test.Server, id, text string) {
		srv.Put(id, r53test.RRSet{Name: "which.example.org.", Type: "TXT", TTL: 60, Values: []string{`"` + text + `"`}})
	}
	t.Run("public over private", func(t *testing.T) {
		srv, _, p := fake(t)
		private := srv.AddZone("example.org.", true)
		public := srv.AddZone("example.org.", false)
		mark(srv, private, "private")
		mark(srv, public, "public")
		if got := only(get(t, p, "example.org."), "TXT"); !justOne(got, "which 60 TXT public") {
			t.Errorf("read %q, want the public zone", got)
		}
		// The zone ID is remembered.
		get(t, p, "example.org.")
		if n := srv.Requests(r53test.OpListHostedZonesByName); n != 1 {
			t.Errorf("%d ListHostedZonesByName calls, want 1", n)
		}
	})
	t.Run("private only", func(t *testing.T) {
		srv, _, p := fake(t)
		srv.AddZone("example.org.", true)
		_, err := p.GetRecords(ctx, "example.org.")
		if !errors.Is(err, providers.ErrNoZone) || !strings.Contains(err.Error(), "hosted_zone_id") {
			t.Errorf("err = %v, want ErrNoZone saying to set hosted_zone_id", err)
		}
	})
	t.Run("two public", func(t *testing.T) {
		srv, _, p := fake(t)
		srv.AddZone("example.org.", false)
		srv.AddZone("example.org.", false)
		_, err := p.GetRecords(ctx, "example.org.")
		if !errors.Is(err, ErrAmbiguousZone) || providers.IsTemporary(err) {
			t.Errorf("err = %v, want permanent ErrAmbiguousZone", err)
		}
	})
	t.Run("hosted_zone_id picks the private zone", func(t *testing.T) {
		hermetic(t)
		srv := r53test.New(t)
		private := srv.AddZone("example.org.", true)
		mark(srv, private, "private")
		srv.AddZone("example.org.", false)
		o := fakeOptions(srv)
		o.HostedZoneID = "/hostedzone/" + private
		p := New(o)
		if got := only(get(t, p, "example.org."), "TXT"); !justOne(got, "which 60 TXT private") {
			t.Errorf("read %q, want the private zone", got)
		}
		zones, err := p.ListZones(ctx)
		if err != nil || len(zones) != 1 || zones[0].Name != "example.org." {
			t.Errorf("ListZones = %v, %v; want the pinned zone only", zones, err)
		}
		_, err = p.GetRecords(ctx, "example.com.")
		if !errors.Is(err, ErrZoneMismatch) {
			t.Errorf("err = %v, want ErrZoneMismatch", err)
		}
	})
	t.Run("unknown zone", func(t *testing.T) {
		_, _, p := fake(t)
		_, err := p.GetRecords(ctx, "example.net.")
		if !errors.Is(err, providers.ErrNoZone) || !strings.Contains(err.Error(), "example.net.") {
			t.Errorf("err = %v, want ErrNoZone naming the zone", err)
		}
	})
}

func justOne(lines []string, want string) bool { return len(lines) == 1 && lines[0] == want }

// TestListZones pages through more than one page of hosted zones, leaves
// private zones out, lists a name once, and remembers the IDs so that
// reading the zones needs no ListHostedZonesByName.
func TestListZones(t *testing.T) {
	srv, _, p := fake(t)
	want := []string{"example.com."}
	for i := range 104 {
		name := fmt.Sprintf("z%03d.example.", i)
		srv.AddZone(name, false)
		want = append(want, name)
	}
	srv.AddZone("internal.example.", true)
	srv.AddZone("twice.example.", false)
	srv.AddZone("twice.example.", false)
	want = append(want, "twice.example.")
	zones, err := p.ListZones(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, z := range zones {
		got = append(got, z.Name)
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if n := srv.Requests(r53test.OpListHostedZones); n != 2 {
		t.Errorf("%d ListHostedZones calls, want 2 pages", n)
	}
	get(t, p, "z042.example.")
	if n := srv.Requests(r53test.OpListHostedZonesByName); n != 0 {
		t.Errorf("%d ListHostedZonesByName calls after ListZones", n)
	}
}

// TestUnmanagedSets: alias and weighted sets are not listed, never
// replaced, and survive a delete by name; so do the SOA and apex NS.
func TestUnmanagedSets(t *testing.T) {
	srv, id, p := fake(t)
	ctx := context.Background()
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "A", Alias: &r53test.Alias{HostedZoneID: "Z2FDTNDATAQYW2", DNSName: "d111111abcdef8.cloudfront.net."}})
	w := int64(10)
	srv.Put(id, r53test.RRSet{Name: "w.example.com.", Type: "TXT", TTL: 60, Values: []string{`"a"`}, SetIdentifier: "one", Weight: &w})
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "TXT", TTL: 60, Values: []string{`"v=spf1 -all"`}})

	got := get(t, p, "example.com.")
	for _, line := range got {
		if strings.HasPrefix(line, "w ") || strings.Contains(line, " A ") {
			t.Errorf("an alias or weighted record was listed: %s", line)
		}
	}
	_, err := p.SetRecords(ctx, "example.com.", []libdns.Record{libdns.TXT{Name: "w", TTL: time.Minute, Text: "b"}})
	if !errors.Is(err, ErrUnmanagedSet) {
		t.Errorf("err = %v, want ErrUnmanagedSet", err)
	}
	_, err = p.SetRecords(ctx, "example.com.", []libdns.Record{libdns.Address{Name: "@", TTL: time.Minute, IP: netip.MustParseAddr("192.0.2.9")}})
	if !errors.Is(err, ErrUnmanagedSet) {
		t.Errorf("err = %v, want ErrUnmanagedSet for the alias", err)
	}
	deleted, err := p.DeleteRecords(ctx, "example.com.", []libdns.Record{libdns.RR{Name: "@"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"@ 60 TXT v=spf1 -all"}, rrs(deleted)); diff != "" {
		t.Errorf("deleted: %s", diff)
	}
	var left []string
	for _, set := range srv.Sets(id) {
		left = append(left, set.Name+" "+set.Type)
	}
	if diff := cmp.Diff([]string{"example.com. A", "example.com. NS", "example.com. SOA", "w.example.com. TXT"}, left); diff != "" {
		t.Error(diff)
	}
}

// TestDeletePartOfSet rewrites a set with the records that remain, keeping
// their values byte for byte.
func TestDeletePartOfSet(t *testing.T) {
	srv, id, p := fake(t)
	srv.Put(id, r53test.RRSet{Name: "example.com.", Type: "TXT", TTL: 300, Values: []string{`"ms=1"`, `"v=spf1" " -all"`, `"keep"`}})
	deleted, err := p.DeleteRecords(context.Background(), "example.com.", []libdns.Record{
		libdns.TXT{Name: "@", Text: "v=spf1 -all"},
		libdns.TXT{Name: "@", Text: "ms=1", TTL: 301 * time.Second}, // another TTL: no match
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"@ 300 TXT v=spf1 -all"}, rrs(deleted)); diff != "" {
		t.Errorf("deleted: %s", diff)
	}
	for _, set := range srv.Sets(id) {
		if set.Type == "TXT" {
			if diff := cmp.Diff([]string{`"ms=1"`, `"keep"`}, set.Values); diff != "" {
				t.Error(diff)
			}
		}
	}
}

// TestWildcard: Route 53 lists "*" as \052; libdns gets "*" back.
func TestWildcard(t *testing.T) {
	srv, id, p := fake(t)
	_, err := p.SetRecords(context.Background(), "example.com.", []libdns.Record{libdns.TXT{Name: "*._domainkey", TTL: time.Hour, Text: "v=DKIM1; p="}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, set := range srv.Sets(id) {
		found = found || set.Name == `\052._domainkey.example.com.`
	}
	if !found {
		t.Errorf("no \\052 name in %v", srv.Sets(id))
	}
	if diff := cmp.Diff([]string{"*._domainkey 3600 TXT v=DKIM1; p="}, only(get(t, p, "example.com."), "TXT")); diff != "" {
		t.Error(diff)
	}
}

// TestInputChecks: what Route 53 cannot hold is refused before any change
// is sent.
func TestInputChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []libdns.Record
		want error
	}{
		{"two TTLs in one set", []libdns.Record{
			libdns.TXT{Name: "a", TTL: time.Minute, Text: "1"},
			libdns.TXT{Name: "a", TTL: time.Hour, Text: "2"},
		}, providers.ErrInvalidRecord},
		{"unsupported type", []libdns.Record{libdns.RR{Name: "a", TTL: time.Minute, Type: "LOC", Data: "52 22 23.000 N 4 53 32.000 E -2.00m"}}, providers.ErrInvalidRecord},
		{"two CNAMEs", []libdns.Record{
			libdns.CNAME{Name: "a", TTL: time.Minute, Target: "x.example.net."},
			libdns.CNAME{Name: "a", TTL: time.Minute, Target: "y.example.net."},
		}, providers.ErrCNAMEConflict},
		{"outside the zone", []libdns.Record{libdns.TXT{Name: "www.example.net.", TTL: time.Minute, Text: "x"}}, providers.ErrOutsideZone},
		{"empty data", []libdns.Record{libdns.RR{Name: "a", TTL: time.Minute, Type: "A"}}, providers.ErrInvalidRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, p := fake(t)
			_, err := p.SetRecords(context.Background(), "example.com.", tc.recs)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "zone example.com.") {
				t.Errorf("error %q does not name the zone", err)
			}
			if n := srv.Requests(r53test.OpChangeResourceRecordSets); n != 0 {
				t.Errorf("%d change batches sent", n)
			}
		})
	}
	t.Run("append with another TTL", func(t *testing.T) {
		srv, id, p := fake(t)
		srv.Put(id, r53test.RRSet{Name: "a.example.com.", Type: "TXT", TTL: 60, Values: []string{`"1"`}})
		_, err := p.AppendRecords(context.Background(), "example.com.", []libdns.Record{libdns.TXT{Name: "a", TTL: time.Hour, Text: "2"}})
		if !errors.Is(err, providers.ErrInvalidRecord) || !strings.Contains(err.Error(), "RFC 2181 section 5.2") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestCredentialsNeverShown: a refused signature is a permanent error that
// names the zone, and neither it nor any other error shows the secret.
func TestCredentialsNeverShown(t *testing.T) {
	hermetic(t)
	srv := r53test.New(t)
	srv.AddZone("example.com.", false)
	o := fakeOptions(srv)
	o.AccessKeyID = "AKIAWRONGWRONGWRONG1"
	o.SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
	o.SessionToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
	p := New(o)
	_, err := p.GetRecords(context.Background(), "example.com.")
	if err == nil {
		t.Fatal("no error with wrong credentials")
	}
	if providers.IsTemporary(err) {
		t.Errorf("bad credentials are not temporary: %v", err)
	}
	for _, secret := range []string{o.SecretAccessKey, o.SessionToken} {
		if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	if !strings.Contains(err.Error(), "InvalidClientTokenId") || !strings.Contains(err.Error(), "example.com.") {
		t.Errorf("error %q should say what Route 53 said and name the zone", err)
	}
	// The redaction itself, for errors that would quote a secret.
	r := &redacted{err: errors.New("x " + o.SecretAccessKey + " y"), secrets: p.secrets()}
	if strings.Contains(r.Error(), o.SecretAccessKey) {
		t.Errorf("redacted error shows the secret: %s", r)
	}
}

// TestWaitForSync polls GetChange until the change is INSYNC, and stops
// with a temporary error when the context ends first.
func TestWaitForSync(t *testing.T) {
	srv, _, p := fake(t, func(o *Options) { o.WaitForSync = true })
	srv.SyncAfter = 2
	recs := []libdns.Record{libdns.TXT{Name: "a", TTL: time.Minute, Text: "1"}}
	if _, err := p.SetRecords(context.Background(), "example.com.", recs); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests(r53test.OpGetChange); n != 3 {
		t.Errorf("%d GetChange calls, want 3 (PENDING, PENDING, INSYNC)", n)
	}

	srv2, _, p2 := fake(t, func(o *Options) { o.WaitForSync = true; o.SyncPoll = time.Hour })
	srv2.SyncAfter = 1000
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := p2.SetRecords(ctx, "example.com.", recs)
	if !errors.Is(err, ErrNotInSync) || !providers.IsTemporary(err) {
		t.Errorf("err = %v, want temporary ErrNotInSync", err)
	}
}

// TestBackoffHonorsRetryAfter: a Retry-After in seconds sets the delay,
// capped by MaxBackoff; without it the SDK's jittered backoff applies.
func TestBackoffHonorsRetryAfter(t *testing.T) {
	b := newBackoff(20 * time.Second)
	for _, tc := range []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "3", 3 * time.Second},
		{"capped", "3600", 20 * time.Second},
		{"zero", "0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.BackoffDelay(1, responseError(tc.retryAfter))
			if err != nil || got != tc.want {
				t.Errorf("delay = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if got, _ := b.BackoffDelay(1, responseError("")); got > 2*time.Second {
		t.Errorf("jittered delay of the first retry = %v, want at most 2s", got)
	}
}

func responseError(retryAfter string) error {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return newResponseError(&http.Response{StatusCode: http.StatusServiceUnavailable, Header: h})
}

func newResponseError(resp *http.Response) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: errors.New("service unavailable")}
}

// TestAPIErrorClassification: which failures retrying may cure.
func TestAPIErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		kind      error
		temporary bool
	}{
		{"throttling", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, ErrRequest, true},
		{"prior request", &smithy.GenericAPIError{Code: "PriorRequestNotComplete"}, ErrRequest, true},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied"}, ErrRequest, false},
		{"no such zone", &types.NoSuchHostedZone{Message: aws.String("gone")}, ErrRequest, false},
		{"invalid change batch", &types.InvalidChangeBatch{Messages: []string{"Tried to create"}}, ErrRejected, false},
		{"invalid input", &types.InvalidInput{Message: aws.String("bad")}, ErrRejected, false},
		{"503", newResponseError(&http.Response{StatusCode: 503}), ErrRequest, true},
		{"400 without code", newResponseError(&http.Response{StatusCode: 400}), ErrRequest, false},
		{"network", &smithyhttp.RequestSendError{Err: errors.New("connection refused")}, ErrRequest, true},
		{"deadline", context.DeadlineExceeded, ErrRequest, true},
		{"canceled", context.Canceled, ErrRequest, false},
		{"retry quota", ratelimit.QuotaExceededError{Available: 0, Requested: 5}, ErrRequest, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := apiError("Op", tc.err)
			if !errors.Is(err, tc.kind) {
				t.Errorf("%v is not %v", err, tc.kind)
			}
			if providers.IsTemporary(err) != tc.temporary {
				t.Errorf("IsTemporary(%v) = %v, want %v", err, !tc.temporary, tc.temporary)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap the SDK's error", err)
			}
		})
	}
}

// TestConcurrentAppends: simultaneous appends to one set all land (the
// libdns concurrency contract), serialized per name within the process.
func TestConcurrentAppends(t *testing.T) {
	_, _, p := fake(t)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := p.AppendRecords(context.Background(), "example.com.", []libdns.Record{libdns.TXT{Name: "_acme-challenge", TTL: time.Minute, Text: fmt.Sprintf("token-%d", i)}})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := only(get(t, p, "example.com."), "TXT"); len(got) != n {
		t.Errorf("%d TXT records after %d appends: %q", len(got), n, got)
	}
}
