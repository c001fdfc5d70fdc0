package r53test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// client is the AWS SDK's Route 53 client on the fake, built from explicit
// options only (no environment, no shared files, no retries).
func client(s *Server, keyID string) *r53.Client {
	return r53.New(r53.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

func txt(name string, ttl int64, values ...string) *types.ResourceRecordSet {
	set := &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeTxt, TTL: aws.Int64(ttl)}
	for _, v := range values {
		set.ResourceRecords = append(set.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return set
}

func change(action types.ChangeAction, set *types.ResourceRecordSet) types.Change {
	return types.Change{Action: action, ResourceRecordSet: set}
}

func submit(c *r53.Client, id string, changes ...types.Change) error {
	_, err := c.ChangeResourceRecordSets(context.Background(), &r53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(id),
		ChangeBatch:  &types.ChangeBatch{Changes: changes},
	})
	return err
}

// batchMessages returns the messages of an InvalidChangeBatch, or fails.
func batchMessages(t *testing.T, err error) []string {
	t.Helper()
	var batch *types.InvalidChangeBatch
	if !errors.As(err, &batch) {
		t.Fatalf("err = %v, want InvalidChangeBatch", err)
	}
	return batch.Messages
}

// TestChangeBatch checks the transactional semantics the API Reference
// describes: a batch is validated as a whole, applied in order, and
// refused entirely when one change fails.
func TestChangeBatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []types.Change
		want    string // substring of the refusal; "" when accepted
		after   []string
	}{
		{"create", []types.Change{change(types.ChangeActionCreate, txt("new.example.com.", 60, `"n"`))}, "",
			[]string{`a.example.com. TXT 60 "a"`, `new.example.com. TXT 60 "n"`}},
		{"create of an existing set fails the whole batch", []types.Change{
			change(types.ChangeActionCreate, txt("new.example.com.", 60, `"n"`)),
			change(types.ChangeActionCreate, txt("a.example.com.", 60, `"b"`)),
		}, "Tried to create resource record set [name='a.example.com.', type='TXT'] but it already exists",
			[]string{`a.example.com. TXT 60 "a"`}},
		{"delete of a set that is not there", []types.Change{change(types.ChangeActionDelete, txt("b.example.com.", 60, `"a"`))},
			"but it was not found", []string{`a.example.com. TXT 60 "a"`}},
		{"delete with other values", []types.Change{change(types.ChangeActionDelete, txt("a.example.com.", 60, `"x"`))},
			"do not match the current values", []string{`a.example.com. TXT 60 "a"`}},
		{"delete with another TTL", []types.Change{change(types.ChangeActionDelete, txt("a.example.com.", 61, `"a"`))},
			"do not match the current values", []string{`a.example.com. TXT 60 "a"`}},
		{"delete then create in one batch", []types.Change{
			change(types.ChangeActionDelete, txt("a.example.com.", 60, `"a"`)),
			change(types.ChangeActionCreate, txt("a.example.com.", 300, `"b"`, `"c"`)),
		}, "", []string{`a.example.com. TXT 300 "b","c"`}},
		{"upsert replaces", []types.Change{change(types.ChangeActionUpsert, txt("A.Example.COM", 30, `"u"`))}, "",
			[]string{`a.example.com. TXT 30 "u"`}},
		{"upsert creates", []types.Change{change(types.ChangeActionUpsert, txt("u.example.com.", 30, `"u"`))}, "",
			[]string{`a.example.com. TXT 60 "a"`, `u.example.com. TXT 30 "u"`}},
		{"unquoted TXT", []types.Change{change(types.ChangeActionCreate, txt("q.example.com.", 60, `two words`))},
			"InvalidTXTRDATA", []string{`a.example.com. TXT 60 "a"`}},
		{"string over 255 octets", []types.Change{change(types.ChangeActionCreate, txt("q.example.com.", 60, `"`+strings.Repeat("x", 256)+`"`))},
			"TXTRDATATooLong", []string{`a.example.com. TXT 60 "a"`}},
		{"two strings of 255", []types.Change{change(types.ChangeActionCreate, txt("q.example.com.", 60, `"`+strings.Repeat("x", 255)+`" "y"`))},
			"", []string{`a.example.com. TXT 60 "a"`, `q.example.com. TXT 60 "` + strings.Repeat("x", 255) + `" "y"`}},
		{"duplicate value", []types.Change{change(types.ChangeActionCreate, txt("q.example.com.", 60, `"d"`, `"d"`))},
			"Duplicate Resource Record", []string{`a.example.com. TXT 60 "a"`}},
		{"outside the zone", []types.Change{change(types.ChangeActionCreate, txt("a.example.net.", 60, `"a"`))},
			"is not permitted in zone", []string{`a.example.com. TXT 60 "a"`}},
		{"CNAME beside TXT", []types.Change{change(types.ChangeActionCreate, &types.ResourceRecordSet{
			Name: aws.String("a.example.com."), Type: types.RRTypeCname, TTL: aws.Int64(60),
			ResourceRecords: []types.ResourceRecord{{Value: aws.String("b.example.com")}},
		})}, "conflicting RRSet of type TXT", []string{`a.example.com. TXT 60 "a"`}},
		{"deleting the apex NS", []types.Change{change(types.ChangeActionDelete, &types.ResourceRecordSet{
			Name: aws.String("example.com."), Type: types.RRTypeNs, TTL: aws.Int64(172800),
			ResourceRecords: []types.ResourceRecord{
				{Value: aws.String("ns-1.awsdns-01.org.")}, {Value: aws.String("ns-2.awsdns-02.co.uk.")},
				{Value: aws.String("ns-3.awsdns-03.com.")}, {Value: aws.String("ns-4.awsdns-04.net.")},
			},
		})}, "at least one NS record", []string{`a.example.com. TXT 60 "a"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t)
			id := s.AddZone("example.com", false)
			s.Put(id, RRSet{Name: "a.example.com.", Type: "TXT", TTL: 60, Values: []string{`"a"`}})
			err := submit(client(s, AccessKeyID), id, tc.changes...)
			if tc.want == "" && err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				msgs := batchMessages(t, err)
				if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
					t.Errorf("messages %q do not say %q", msgs, tc.want)
				}
			}
			var after []string
			for _, set := range s.Sets(id) {
				if set.Type == "TXT" {
					after = append(after, fmt.Sprintf("%s %s %d %s", set.Name, set.Type, set.TTL, strings.Join(set.Values, ",")))
				}
			}
			if diff := cmp.Diff(tc.after, after); diff != "" {
				t.Errorf("zone after (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListResourceRecordSets checks the documented order (name with labels
// reversed, then type, then set identifier) and pagination.
func TestListResourceRecordSets(t *testing.T) {
	s := New(t)
	id := s.AddZone("example.com.", false)
	for _, name := range []string{"b.example.com.", "a.b.example.com.", "*.example.com.", "z.example.com.", "a-b.example.com."} {
		s.Put(id, RRSet{Name: name, Type: "TXT", TTL: 60, Values: []string{`"x"`}})
	}
	s.Put(id, RRSet{Name: "b.example.com.", Type: "A", TTL: 60, Values: []string{"192.0.2.1"}})
	for _, ident := range []string{"two", "one"} {
		w := int64(1)
		s.Put(id, RRSet{Name: "w.example.com.", Type: "A", TTL: 60, Values: []string{"192.0.2.2"}, SetIdentifier: ident, Weight: &w})
	}
	c := client(s, AccessKeyID)
	in := &r53.ListResourceRecordSetsInput{HostedZoneId: aws.String("/hostedzone/" + id), MaxItems: aws.Int32(2)}
	var got []string
	pages := 0
	for {
		out, err := c.ListResourceRecordSets(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, set := range out.ResourceRecordSets {
			got = append(got, fmt.Sprintf("%s %s %s", aws.ToString(set.Name), set.Type, aws.ToString(set.SetIdentifier)))
		}
		if !out.IsTruncated {
			break
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier
	}
	want := []string{
		"example.com. NS ", "example.com. SOA ",
		`\052.example.com. TXT `,
		"a-b.example.com. TXT ",
		"b.example.com. A ", "b.example.com. TXT ",
		"a.b.example.com. TXT ",
		"w.example.com. A one", "w.example.com. A two",
		"z.example.com. TXT ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if pages != 5 {
		t.Errorf("%d pages, want 5", pages)
	}

	// A start position by name and type, as for reading one set.
	out, err := c.ListResourceRecordSets(context.Background(), &r53.ListResourceRecordSetsInput{
		HostedZoneId: aws.String(id), StartRecordName: aws.String("B.example.com"), StartRecordType: types.RRTypeTxt, MaxItems: aws.Int32(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceRecordSets) != 1 || aws.ToString(out.ResourceRecordSets[0].Name) != "b.example.com." || out.ResourceRecordSets[0].Type != types.RRTypeTxt {
		t.Errorf("from b.example.com. TXT: %+v", out.ResourceRecordSets)
	}
	_, err = c.ListResourceRecordSets(context.Background(), &r53.ListResourceRecordSetsInput{HostedZoneId: aws.String(id), StartRecordType: types.RRTypeTxt})
	var input *types.InvalidInput
	if !errors.As(err, &input) {
		t.Errorf("a type without a name: err = %v, want InvalidInput", err)
	}
}

func TestListHostedZonesByName(t *testing.T) {
	s := New(t)
	s.AddZone("example.org.", false)
	priv := s.AddZone("example.com.", true)
	pub := s.AddZone("example.com.", false)
	s.AddZone("a.example.com.", false)
	c := client(s, AccessKeyID)
	out, err := c.ListHostedZonesByName(context.Background(), &r53.ListHostedZonesByNameInput{DNSName: aws.String("example.com"), MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, z := range out.HostedZones {
		got = append(got, fmt.Sprintf("%s %s %v", aws.ToString(z.Name), aws.ToString(z.Id), z.Config.PrivateZone))
	}
	want := []string{"example.com. /hostedzone/" + priv + " true", "example.com. /hostedzone/" + pub + " false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if !out.IsTruncated || aws.ToString(out.NextDNSName) != "a.example.com." {
		t.Errorf("truncated %v, next %q", out.IsTruncated, aws.ToString(out.NextDNSName))
	}
}

func TestFaultsAndCounts(t *testing.T) {
	s := New(t)
	id := s.AddZone("example.com.", false)
	c := client(s, AccessKeyID)
	s.Fail(OpListResourceRecordSets, "Throttling", 1)
	s.Fail("", "PriorRequestNotComplete", 1)
	in := &r53.ListResourceRecordSetsInput{HostedZoneId: aws.String(id)}
	for _, want := range []string{"Throttling", "PriorRequestNotComplete", ""} {
		_, err := c.ListResourceRecordSets(context.Background(), in)
		var ae smithy.APIError
		switch {
		case want == "" && err != nil:
			t.Fatal(err)
		case want != "" && (!errors.As(err, &ae) || ae.ErrorCode() != want):
			t.Errorf("err = %v, want %s", err, want)
		}
	}
	if got := s.Requests(OpListResourceRecordSets); got != 3 {
		t.Errorf("%d requests counted", got)
	}
	_, err := client(s, "AKIAOTHEROTHEROTHER1").ListResourceRecordSets(context.Background(), in)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Errorf("another key: err = %v", err)
	}
}

func TestGetChange(t *testing.T) {
	s := New(t)
	s.SyncAfter = 1
	id := s.AddZone("example.com.", false)
	c := client(s, AccessKeyID)
	out, err := c.ChangeResourceRecordSets(context.Background(), &r53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(id),
		ChangeBatch:  &types.ChangeBatch{Changes: []types.Change{change(types.ChangeActionCreate, txt("a.example.com.", 60, `"a"`))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChangeInfo.Status != types.ChangeStatusPending {
		t.Errorf("status %s, want PENDING", out.ChangeInfo.Status)
	}
	for _, want := range []types.ChangeStatus{types.ChangeStatusPending, types.ChangeStatusInsync} {
		got, err := c.GetChange(context.Background(), &r53.GetChangeInput{Id: out.ChangeInfo.Id})
		if err != nil {
			t.Fatal(err)
		}
		if got.ChangeInfo.Status != want {
			t.Errorf("status %s, want %s", got.ChangeInfo.Status, want)
		}
	}
	_, err = c.GetChange(context.Background(), &r53.GetChangeInput{Id: aws.String("CNOSUCHCHANGE")})
	var nsc *types.NoSuchChange
	if !errors.As(err, &nsc) {
		t.Errorf("err = %v, want NoSuchChange", err)
	}
}
