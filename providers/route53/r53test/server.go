// Package r53test is an in-process fake of the Amazon Route 53 API
// (REST/XML, version 2013-04-01), for testing mailconf's route53 adapter
// without AWS. It follows the API Reference: ListHostedZones,
// ListHostedZonesByName, GetHostedZone, ListResourceRecordSets (sorted by
// name with labels reversed, then type; paginated with NextRecordName,
// NextRecordType and NextRecordIdentifier), ChangeResourceRecordSets
// (CREATE, DELETE, UPSERT in an all-or-nothing batch, refused with
// InvalidChangeBatch) and GetChange. Names are stored and listed as Route 53
// does: lower case, with other characters as octal escapes.
//
// Tests can inject errors (Throttling, PriorRequestNotComplete, 5xx) on the
// next requests of an operation and count the requests made. Requests must
// carry a SigV4 Authorization header for AccessKeyID and the route53
// service; the signature itself is not checked.
//
// The fake listens on 127.0.0.1 only, keeps everything in memory, and never
// reads the clock: timestamps are fixed.
package r53test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Static credentials the fake accepts.
const (
	AccessKeyID     = "AKIAR53FAKE000000001"
	SecretAccessKey = "r53test/secret/DoNotUseAnywhereElse000001"
	// Region is what clients of the fake sign with; Route 53 signs with
	// us-east-1.
	Region = "us-east-1"
)

// submittedAt is the SubmittedAt of every change: the fake has no clock.
const submittedAt = "2026-01-01T00:00:00.000Z"

// Operations, as counted by Requests and named in Fail.
const (
	OpListHostedZones          = "ListHostedZones"
	OpListHostedZonesByName    = "ListHostedZonesByName"
	OpGetHostedZone            = "GetHostedZone"
	OpListResourceRecordSets   = "ListResourceRecordSets"
	OpChangeResourceRecordSets = "ChangeResourceRecordSets"
	OpGetChange                = "GetChange"
)

// RRSet is a resource record set as the fake holds it.
type RRSet struct {
	// Name is fully qualified; the fake stores it in Route 53's canonical
	// form (lower case, octal escapes).
	Name string
	Type string
	// TTL is absent (0) for alias sets.
	TTL    int64
	Values []string
	// SetIdentifier and Weight make a weighted (routing-policy) set.
	SetIdentifier string
	Weight        *int64
	// Alias makes an alias set, which has no TTL and no values.
	Alias *Alias
}

// Alias is the AliasTarget of an alias record set.
type Alias struct {
	HostedZoneID         string
	DNSName              string
	EvaluateTargetHealth bool
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to use as the SDK's endpoint.
	URL string
	// SyncAfter is the number of GetChange calls after which a change is
	// INSYNC; 0 means the first GetChange already says INSYNC.
	SyncAfter int

	srv *httptest.Server

	mu      sync.Mutex
	zones   []*zone
	changes map[string]int // change ID -> GetChange calls so far
	counts  map[string]int
	faults  []*fault
	seq     int
	// before are writes to make just before the next change batch.
	before []pendingPut
}

type pendingPut struct {
	zoneID string
	set    RRSet
}

type zone struct {
	id, name string // name canonical
	private  bool
	sets     []*RRSet
}

type fault struct {
	op, code string
	n        int
}

// New starts a fake on 127.0.0.1 that tb closes at its end.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{changes: map[string]int{}, counts: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// AddZone creates a hosted zone and returns its ID (without the
// "/hostedzone/" prefix). Like Route 53, it gives the zone an SOA record and
// four NS records at the apex.
func (s *Server) AddZone(name string, private bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	z := &zone{id: fmt.Sprintf("Z%04dFAKE%08d", len(s.zones)+1, s.seq), name: canonicalName(name), private: private}
	ns := []string{"ns-1.awsdns-01.org.", "ns-2.awsdns-02.co.uk.", "ns-3.awsdns-03.com.", "ns-4.awsdns-04.net."}
	z.put(&RRSet{Name: z.name, Type: "NS", TTL: 172800, Values: ns})
	z.put(&RRSet{Name: z.name, Type: "SOA", TTL: 900, Values: []string{ns[0] + " awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}})
	s.zones = append(s.zones, z)
	return z.id
}

// Put stores a record set directly, replacing the one with the same name,
// type and set identifier, without the checks of ChangeResourceRecordSets:
// for seeding a zone with what a test needs, aliases and weighted sets
// included.
func (s *Server) Put(zoneID string, set RRSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zone(zoneID)
	if z == nil {
		panic("r53test: no zone " + zoneID)
	}
	set.Name = canonicalName(set.Name)
	set.Values = slices.Clone(set.Values)
	z.put(&set)
}

// Sets returns a copy of the zone's record sets, in listing order.
func (s *Server) Sets(zoneID string) []RRSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zone(zoneID)
	if z == nil {
		return nil
	}
	out := make([]RRSet, len(z.sets))
	for i, set := range z.sets {
		out[i] = *set
		out[i].Values = slices.Clone(set.Values)
	}
	return out
}

// Fail makes the next n requests of operation op (any operation when op is
// "") fail with the Route 53 error code: Throttling and
// PriorRequestNotComplete answer 400 as Route 53 does, ServiceUnavailable
// 503, InternalError 500, anything else 400.
func (s *Server) Fail(op, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{op: op, code: code, n: n})
}

// BeforeNextChange stores set in the zone just before the next
// ChangeResourceRecordSets request is processed, as if another client had
// written it between a reader's read and its write.
func (s *Server) BeforeNextChange(zoneID string, set RRSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set.Name = canonicalName(set.Name)
	set.Values = slices.Clone(set.Values)
	s.before = append(s.before, pendingPut{zoneID, set})
}

// Requests counts the requests made of operation op, or of all operations
// when op is "", failed ones included.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op == "" {
		total := 0
		for _, n := range s.counts {
			total += n
		}
		return total
	}
	return s.counts[op]
}

// ResetRequests sets the request counts back to zero.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

func (s *Server) zone(id string) *zone {
	id = strings.TrimPrefix(id, "/hostedzone/")
	for _, z := range s.zones {
		if z.id == id {
			return z
		}
	}
	return nil
}

// put inserts or replaces a set, keeping the listing order.
func (z *zone) put(set *RRSet) {
	for i, old := range z.sets {
		if old.Name == set.Name && old.Type == set.Type && old.SetIdentifier == set.SetIdentifier {
			z.sets[i] = set
			return
		}
	}
	z.sets = append(z.sets, set)
	sort.SliceStable(z.sets, func(i, j int) bool { return setLess(z.sets[i], z.sets[j]) })
}

func setLess(a, b *RRSet) bool {
	ka, kb := sortKey(a.Name), sortKey(b.Name)
	if ka != kb {
		return ka < kb
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	return a.SetIdentifier < b.SetIdentifier
}

// apiError is an error answer.
type apiError struct {
	status  int
	code    string
	message string
	// batch holds the messages of an InvalidChangeBatch.
	batch []string
}

func errorOf(code, message string) *apiError {
	status := http.StatusBadRequest
	switch code {
	case "NoSuchHostedZone", "NoSuchChange":
		status = http.StatusNotFound
	case "InvalidClientTokenId", "MissingAuthenticationToken", "AccessDenied":
		status = http.StatusForbidden
	case "ServiceUnavailable":
		status = http.StatusServiceUnavailable
	case "InternalError", "InternalFailure":
		status = http.StatusInternalServerError
	}
	if message == "" {
		switch code {
		case "Throttling":
			message = "Rate exceeded"
		case "PriorRequestNotComplete":
			message = "The request was rejected because Route 53 was still processing a prior request."
		default:
			message = code
		}
	}
	return &apiError{status: status, code: code, message: message}
}

// route names the operation of a request and the ID in its path.
func route(r *http.Request) (op, id string) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/2013-04-01/")
	if path == r.URL.EscapedPath() {
		return "", ""
	}
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "hostedzone":
		return OpListHostedZones, ""
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "hostedzonesbyname":
		return OpListHostedZonesByName, ""
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "hostedzone":
		return OpGetHostedZone, parts[1]
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
		return OpListResourceRecordSets, parts[1]
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
		return OpChangeResourceRecordSets, parts[1]
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "change":
		return OpGetChange, parts[1]
	}
	return "", ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op, id := route(r)
	if op == "" {
		s.writeError(w, &apiError{status: http.StatusNotFound, code: "UnknownOperationException", message: "no such operation: " + r.Method + " " + r.URL.Path})
		return
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			s.writeError(w, errorOf("InvalidInput", "unreadable body"))
			return
		}
		body = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[op]++
	if e := checkAuth(r); e != nil {
		s.writeError(w, e)
		return
	}
	for _, f := range s.faults {
		if f.n > 0 && (f.op == "" || f.op == op) {
			f.n--
			s.writeError(w, errorOf(f.code, ""))
			return
		}
	}
	q := r.URL.Query()
	var resp any
	var e *apiError
	switch op {
	case OpListHostedZones:
		resp, e = s.listHostedZones(q)
	case OpListHostedZonesByName:
		resp, e = s.listHostedZonesByName(q)
	case OpGetHostedZone:
		resp, e = s.getHostedZone(id)
	case OpListResourceRecordSets:
		resp, e = s.listRRSets(id, q)
	case OpChangeResourceRecordSets:
		for _, b := range s.before {
			if z := s.zone(b.zoneID); z != nil {
				set := b.set
				z.put(&set)
			}
		}
		s.before = nil
		resp, e = s.changeRRSets(id, body)
	case OpGetChange:
		resp, e = s.getChange(id)
	}
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.write(w, http.StatusOK, resp)
}

// checkAuth wants a SigV4 Authorization header for the fake's access key
// and the route53 service.
func checkAuth(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" || r.Header.Get("X-Amz-Date") == "" {
		return errorOf("MissingAuthenticationToken", "Missing Authentication Token")
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+AccessKeyID+"/") || !strings.Contains(auth, "/route53/aws4_request") {
		return errorOf("InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	return nil
}

func (s *Server) requestID() string {
	s.seq++
	return fmt.Sprintf("fake-%08d", s.seq)
}

func (s *Server) write(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", s.requestID())
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	if e.batch != nil {
		s.write(w, e.status, &xInvalidChangeBatch{Messages: e.batch, RequestID: fmt.Sprintf("fake-%08d", s.seq+1)})
		return
	}
	x := &xErrorResponse{RequestID: fmt.Sprintf("fake-%08d", s.seq+1)}
	x.Error.Type = "Sender"
	if e.status >= 500 {
		x.Error.Type = "Receiver"
	}
	x.Error.Code, x.Error.Message = e.code, e.message
	s.write(w, e.status, x)
}

// maxItems parses the maxitems parameter: def when absent, at most limit.
func maxItems(q url.Values, def, limit int) (int, *apiError) {
	v := q.Get("maxitems")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errorOf("InvalidInput", "maxitems must be a positive integer")
	}
	return min(n, limit), nil
}

func (z *zone) xml() xHostedZone {
	return xHostedZone{
		ID:                     "/hostedzone/" + z.id,
		Name:                   z.name,
		CallerReference:        "r53test-" + z.id,
		Config:                 xZoneConfig{PrivateZone: z.private},
		ResourceRecordSetCount: int64(len(z.sets)),
	}
}

func (s *Server) listHostedZones(q url.Values) (any, *apiError) {
	n, e := maxItems(q, 100, 100)
	if e != nil {
		return nil, e
	}
	marker := q.Get("marker")
	start := 0
	if marker != "" {
		start = -1
		for i, z := range s.zones {
			if z.id == marker {
				start = i
			}
		}
		if start < 0 {
			return nil, errorOf("InvalidInput", "no hosted zone with marker "+marker)
		}
	}
	resp := &xListHostedZonesResponse{Marker: marker, MaxItems: strconv.Itoa(n)}
	for i := start; i < len(s.zones); i++ {
		if len(resp.HostedZones.Zones) == n {
			resp.IsTruncated = true
			resp.NextMarker = s.zones[i].id
			break
		}
		resp.HostedZones.Zones = append(resp.HostedZones.Zones, s.zones[i].xml())
	}
	return resp, nil
}

func (s *Server) listHostedZonesByName(q url.Values) (any, *apiError) {
	n, e := maxItems(q, 100, 100)
	if e != nil {
		return nil, e
	}
	dnsName, zoneID := q.Get("dnsname"), q.Get("hostedzoneid")
	if zoneID != "" && dnsName == "" {
		return nil, errorOf("InvalidInput", "hostedzoneid requires dnsname")
	}
	zones := slices.Clone(s.zones)
	sort.SliceStable(zones, func(i, j int) bool {
		ki, kj := sortKey(zones[i].name), sortKey(zones[j].name)
		if ki != kj {
			return ki < kj
		}
		return zones[i].id < zones[j].id
	})
	resp := &xListHostedZonesByNameResponse{DNSName: dnsName, HostedZoneID: zoneID, MaxItems: strconv.Itoa(n)}
	start := ""
	if dnsName != "" {
		start = sortKey(canonicalName(dnsName))
	}
	for _, z := range zones {
		k := sortKey(z.name)
		if k < start || k == start && zoneID != "" && z.id < strings.TrimPrefix(zoneID, "/hostedzone/") {
			continue
		}
		if len(resp.HostedZones.Zones) == n {
			resp.IsTruncated = true
			resp.NextDNSName, resp.NextHostedZoneID = z.name, z.id
			break
		}
		resp.HostedZones.Zones = append(resp.HostedZones.Zones, z.xml())
	}
	return resp, nil
}

func (s *Server) getHostedZone(id string) (any, *apiError) {
	z := s.zone(id)
	if z == nil {
		return nil, errorOf("NoSuchHostedZone", "No hosted zone found with ID: "+id)
	}
	resp := &xGetHostedZoneResponse{HostedZone: z.xml()}
	if z.private {
		resp.VPCs = &xVPCs{VPC: []xVPC{{VPCRegion: Region, VPCID: "vpc-0fake"}}}
	} else {
		for _, set := range z.sets {
			if set.Name == z.name && set.Type == "NS" {
				resp.DelegationSet = &xDelegationSet{NameServers: slices.Clone(set.Values)}
			}
		}
	}
	return resp, nil
}

func (set *RRSet) xml() xRRSet {
	x := xRRSet{Name: set.Name, Type: set.Type, SetIdentifier: set.SetIdentifier, Weight: set.Weight}
	if set.Alias != nil {
		x.AliasTarget = &xAlias{HostedZoneID: set.Alias.HostedZoneID, DNSName: set.Alias.DNSName, EvaluateTargetHealth: set.Alias.EvaluateTargetHealth}
		return x
	}
	ttl := set.TTL
	x.TTL = &ttl
	x.ResourceRecords = &xRecords{}
	for _, v := range set.Values {
		x.ResourceRecords.Records = append(x.ResourceRecords.Records, xRecord{Value: v})
	}
	return x
}

func (s *Server) listRRSets(id string, q url.Values) (any, *apiError) {
	z := s.zone(id)
	if z == nil {
		return nil, errorOf("NoSuchHostedZone", "No hosted zone found with ID: "+id)
	}
	n, e := maxItems(q, 300, 300)
	if e != nil {
		return nil, e
	}
	name, typ, ident := q.Get("name"), q.Get("type"), q.Get("identifier")
	if typ != "" && name == "" {
		return nil, errorOf("InvalidInput", "The input is not valid: a type requires a name")
	}
	if ident != "" && typ == "" {
		return nil, errorOf("InvalidInput", "The input is not valid: an identifier requires a name and a type")
	}
	if typ != "" && !supported[typ] {
		return nil, errorOf("InvalidInput", "Invalid type: "+typ)
	}
	startKey := ""
	if name != "" {
		startKey = sortKey(canonicalName(name))
	}
	resp := &xListRRSetsResponse{MaxItems: strconv.Itoa(n)}
	for _, set := range z.sets {
		k := sortKey(set.Name)
		switch {
		case k < startKey:
			continue
		case k == startKey && set.Type < typ:
			continue
		case k == startKey && set.Type == typ && set.SetIdentifier < ident:
			continue
		}
		if len(resp.ResourceRecordSets.Sets) == n {
			resp.IsTruncated = true
			resp.NextRecordName, resp.NextRecordType, resp.NextRecordIdentifier = set.Name, set.Type, set.SetIdentifier
			break
		}
		resp.ResourceRecordSets.Sets = append(resp.ResourceRecordSets.Sets, set.xml())
	}
	return resp, nil
}

func (s *Server) getChange(id string) (any, *apiError) {
	id = strings.TrimPrefix(id, "/change/")
	polls, ok := s.changes[id]
	if !ok {
		return nil, errorOf("NoSuchChange", "A change with the specified change ID does not exist.")
	}
	s.changes[id] = polls + 1
	status := "PENDING"
	if polls >= s.SyncAfter {
		status = "INSYNC"
	}
	return &xGetChangeResponse{ChangeInfo: xChangeInfo{ID: "/change/" + id, Status: status, SubmittedAt: submittedAt}}, nil
}

// supported are the record types Route 53 stores.
var supported = map[string]bool{
	"A": true, "AAAA": true, "CAA": true, "CNAME": true, "DS": true, "HTTPS": true,
	"MX": true, "NAPTR": true, "NS": true, "PTR": true, "SOA": true, "SPF": true,
	"SRV": true, "SSHFP": true, "SVCB": true, "TLSA": true, "TXT": true,
}

// Limits of one change batch, from the ChangeResourceRecordSets reference.
const (
	maxRecords    = 1000
	maxValueChars = 32000
)

// changeRRSets applies a change batch to a copy of the zone and keeps the
// copy only when every change succeeded: Route 53 "validates the changes in
// the request and then either makes all or none of the changes".
func (s *Server) changeRRSets(id string, body []byte) (any, *apiError) {
	z := s.zone(id)
	if z == nil {
		return nil, errorOf("NoSuchHostedZone", "No hosted zone found with ID: "+id)
	}
	var req xChangeRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, errorOf("InvalidInput", "malformed request: "+err.Error())
	}
	changes := req.ChangeBatch.Changes
	if len(changes) == 0 {
		return nil, errorOf("InvalidInput", "1 validation error detected: the change batch has no changes")
	}
	records, chars := 0, 0
	for _, c := range changes {
		weight := 1
		if c.Action == "UPSERT" {
			// UPSERT counts twice toward the limits.
			weight = 2
		}
		if c.ResourceRecordSet.ResourceRecords != nil {
			for _, r := range c.ResourceRecordSet.ResourceRecords.Records {
				records += weight
				chars += weight * len(r.Value)
			}
		}
	}
	if records > maxRecords || chars > maxValueChars {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidChangeBatch", batch: []string{fmt.Sprintf("The change batch holds %d records and %d characters of values; the limits are %d and %d.", records, chars, maxRecords, maxValueChars)}}
	}

	work := &zone{id: z.id, name: z.name, private: z.private}
	for _, set := range z.sets {
		c := *set
		work.sets = append(work.sets, &c)
	}
	var msgs []string
	for _, c := range changes {
		if msg := work.apply(c); msg != "" {
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) > 0 {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidChangeBatch", batch: msgs}
	}
	z.sets = work.sets
	s.seq++
	changeID := fmt.Sprintf("C%012dFAKE", s.seq)
	s.changes[changeID] = 0
	return &xChangeResponse{ChangeInfo: xChangeInfo{ID: "/change/" + changeID, Status: "PENDING", SubmittedAt: submittedAt, Comment: req.ChangeBatch.Comment}}, nil
}

// apply makes one change to the working copy, or says why it cannot.
func (z *zone) apply(c xChange) string {
	x := c.ResourceRecordSet
	set := &RRSet{Name: canonicalName(x.Name), Type: x.Type, SetIdentifier: x.SetIdentifier, Weight: x.Weight}
	if x.TTL != nil {
		set.TTL = *x.TTL
	}
	if x.ResourceRecords != nil {
		for _, r := range x.ResourceRecords.Records {
			set.Values = append(set.Values, r.Value)
		}
	}
	if x.AliasTarget != nil {
		set.Alias = &Alias{HostedZoneID: x.AliasTarget.HostedZoneID, DNSName: x.AliasTarget.DNSName, EvaluateTargetHealth: x.AliasTarget.EvaluateTargetHealth}
	}
	desc := fmt.Sprintf("[name='%s', type='%s'", set.Name, set.Type)
	if set.SetIdentifier != "" {
		desc += fmt.Sprintf(", set-identifier='%s'", set.SetIdentifier)
	}
	desc += "]"
	if !supported[set.Type] {
		return fmt.Sprintf("Invalid Resource Record: type %q is not supported", set.Type)
	}
	if !inZone(set.Name, z.name) {
		return fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", set.Name, z.name)
	}
	if msg := check(set, c.Action); msg != "" {
		return msg
	}
	idx := -1
	for i, old := range z.sets {
		if old.Name == set.Name && old.Type == set.Type && old.SetIdentifier == set.SetIdentifier {
			idx = i
		}
	}
	switch c.Action {
	case "DELETE":
		if idx < 0 {
			return "Tried to delete resource record set " + desc + " but it was not found"
		}
		if !sameSet(z.sets[idx], set) {
			return "Tried to delete resource record set " + desc + " but the values provided do not match the current values"
		}
		if set.Name == z.name && (set.Type == "SOA" || set.Type == "NS") {
			return fmt.Sprintf("A HostedZone must contain at least one %s record for the zone itself.", set.Type)
		}
		z.sets = slices.Delete(z.sets, idx, idx+1)
		return ""
	case "CREATE", "UPSERT":
		if idx >= 0 && c.Action == "CREATE" {
			return "Tried to create resource record set " + desc + " but it already exists"
		}
		if set.Type == "CNAME" && set.Name == z.name {
			return fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", set.Name, z.name)
		}
		// RFC 1034 section 3.6.2: no other data beside a CNAME.
		for _, old := range z.sets {
			if old.Name != set.Name || old.Type == set.Type {
				continue
			}
			if set.Type == "CNAME" || old.Type == "CNAME" {
				return fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet of type %s with the same DNS name already exists in zone %s", set.Type, set.Name, old.Type, z.name)
			}
		}
		if idx >= 0 {
			z.sets = slices.Delete(z.sets, idx, idx+1)
		}
		z.put(set)
		return ""
	}
	return fmt.Sprintf("Invalid request: unknown action %q", c.Action)
}

// check validates a record set's shape and values.
func check(set *RRSet, action string) string {
	switch {
	case set.Alias != nil && (set.TTL != 0 || len(set.Values) > 0):
		return fmt.Sprintf("Invalid request: an alias record set %s has neither TTL nor ResourceRecords", set.Name)
	case set.Alias == nil && len(set.Values) == 0:
		return fmt.Sprintf("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]", action, set.Name, set.Type, orNull(set.SetIdentifier))
	case set.TTL < 0 || set.TTL > 2147483647:
		return fmt.Sprintf("Invalid TTL %d", set.TTL)
	case set.Type == "CNAME" && len(set.Values) > 1:
		return "Invalid Resource Record: FATAL problem: RRSet of type CNAME with DNS name " + set.Name + " must have exactly one value"
	}
	seen := map[string]bool{}
	for _, v := range set.Values {
		if seen[v] {
			return fmt.Sprintf("Duplicate Resource Record: '%s'", v)
		}
		seen[v] = true
		if problem := checkValue(set.Type, v); problem != "" {
			return fmt.Sprintf("Invalid Resource Record: 'FATAL problem: %s encountered with '%s''", problem, v)
		}
	}
	return ""
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// checkValue checks the value formats of the Route 53 Developer Guide,
// "Supported DNS record types", for the types tests write.
func checkValue(typ, v string) string {
	f := strings.Fields(v)
	switch typ {
	case "A":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			return "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)"
		}
	case "AAAA":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is6() {
			return "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
		}
	case "TXT", "SPF":
		return txtStrings(v)
	case "MX":
		if len(f) != 2 {
			return "DomainLabelEmpty (MX value is 'priority host')"
		}
		if _, err := strconv.ParseUint(f[0], 10, 16); err != nil {
			return "IllegalPriority (MX priority is not a number from 0 to 65535)"
		}
	case "SRV":
		if len(f) != 4 {
			return "InvalidSRVRDATA (SRV value is 'priority weight port host')"
		}
	case "CNAME", "NS", "PTR":
		if len(f) != 1 {
			return "DomainNameInvalid (Value is not a domain name)"
		}
	case "CAA":
		if len(f) < 3 {
			return "InvalidCAARDATA (CAA value is 'flags tag \"value\"')"
		}
	default:
		if len(f) == 0 {
			return "InvalidRDATA (Value is empty)"
		}
	}
	return ""
}

// sameSet reports whether a DELETE names the set exactly as it is: same
// TTL, same values (in any order), same routing and alias settings.
func sameSet(a, b *RRSet) bool {
	if a.TTL != b.TTL || a.SetIdentifier != b.SetIdentifier || (a.Weight == nil) != (b.Weight == nil) || a.Weight != nil && *a.Weight != *b.Weight {
		return false
	}
	if (a.Alias == nil) != (b.Alias == nil) || a.Alias != nil && *a.Alias != *b.Alias {
		return false
	}
	x, y := slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
