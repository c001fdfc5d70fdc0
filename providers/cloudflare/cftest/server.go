// Package cftest is an in-process stand-in for the part of the Cloudflare
// API v4 (https://developers.cloudflare.com/api/) that DNS tools use: zones
// and their DNS records. It follows the published API: every answer is the
// {success, errors, messages, result} envelope, lists are paginated with
// page/per_page and described by result_info, requests carry a bearer token,
// and a rate-limited request gets HTTP 429 with Retry-After.
//
// The server listens on 127.0.0.1 only. Client returns an *http.Client that
// sends requests meant for https://api.cloudflare.com to it, so code whose
// base URL is a constant (such as github.com/libdns/cloudflare) reaches the
// fake through its HTTP client alone.
//
// Tests can inject latency, rate limits and server errors, and read how many
// requests each endpoint received.
//
// The fake must never be reachable from outside the host, and never let a
// request through without a known token.
package cftest

import (
	"encoding/json"
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
	"time"
)

// APIPrefix is the path under which the API lives, as in
// https://api.cloudflare.com/client/v4.
const APIPrefix = "/client/v4"

// Documented page sizes: GET /zones pages hold 20 zones by default and at
// most 50; GET /zones/{zone_id}/dns_records pages hold 100 records by
// default, at least 5 and at most 5,000,000. Requests outside the bounds
// are clamped here (an assumption: the documentation does not say what
// the real API answers).
const (
	ZonesPerPageDefault   = 20
	ZonesPerPageMax       = 50
	RecordsPerPageDefault = 100
	RecordsPerPageMin     = 5
	RecordsPerPageMax     = 5_000_000
)

// Error codes the fake answers with. Those marked "observed" appear in
// Cloudflare's documentation or in the answers of the real API quoted in
// public bug reports; the others are the fake's choice where the
// documentation gives no number.
const (
	CodeInvalidToken   = 1000  // observed: "Invalid API Token", HTTP 401
	CodeValidation     = 1004  // observed: "DNS Validation Error"
	CodeBadHeaders     = 6003  // observed: "Invalid request headers", HTTP 400
	CodeBadAuthHeader  = 6111  // observed: "Invalid format for Authorization header"
	CodeNoRoute        = 7003  // observed: "Could not route to ..., perhaps your object identifier is invalid?"
	CodeRateLimited    = 971   // observed: "Please wait and consider throttling your request speed"
	CodeAuthentication = 10000 // observed: "Authentication error", HTTP 403
	CodeRecordNotFound = 81044 // observed: "Record does not exist."
	CodeHostConflict   = 81053 // observed: "An A, AAAA, or CNAME record with that host already exists."
	CodeCNAMEConflict  = 81054 // the fake's: a CNAME beside other data
	CodeIdentical      = 81058 // observed: "An identical record already exists."
	CodeNotProxiable   = 9004  // the fake's: proxied set on a type that cannot be proxied
	CodeServerError    = 10001 // the fake's: an injected server error
)

// Token says what a bearer token may do.
type Token struct {
	// Zones limits the token to these zones (names, without the trailing
	// dot); empty allows every zone.
	Zones []string
	// ReadOnly refuses writes with 403 Authentication error, as a token
	// with Zone:DNS:Read but not Zone:DNS:Edit gets.
	ReadOnly bool
}

// Record is a DNS record as the fake stores it and as tests seed it.
type Record struct {
	ID       string
	Type     string
	Name     string // fully qualified, lower case, without the trailing dot
	Content  string
	Priority uint16 // MX, SRV and URI
	TTL      int    // seconds; 1 means automatic
	Proxied  bool
	// Data holds the structured fields of CAA, SRV, HTTPS and SVCB records.
	Data map[string]any
}

// Server is the fake API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's own address (http://127.0.0.1:PORT).
	URL string

	srv *httptest.Server

	mu        sync.Mutex
	tokens    map[string]Token
	zones     map[string]*zone // by ID
	nextID    int
	latency   time.Duration
	limited   int    // the next requests answered with 429
	retryWait string // their Retry-After value
	failing   int    // the next requests answered with failStat
	failStat  int
	counts    map[string]int
}

type zone struct {
	id, name string
	records  map[string]*Record // by ID
}

// New starts a fake on 127.0.0.1 and stops it when the test ends. It
// knows no token and no zone yet.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		tokens: map[string]Token{},
		zones:  map[string]*zone{},
		counts: map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// Client returns an HTTP client that sends every request, whatever its
// host, to the fake: the scheme and host are rewritten, the path kept. Give
// it to code that talks to https://api.cloudflare.com/client/v4.
func (s *Server) Client() *http.Client {
	target, _ := url.Parse(s.srv.URL)
	return &http.Client{Transport: &rewrite{target: target, next: s.srv.Client().Transport}}
}

type rewrite struct {
	target *url.URL
	next   http.RoundTripper
}

func (r *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not modify the caller's request.
	out := req.Clone(req.Context())
	out.URL.Scheme = r.target.Scheme
	out.URL.Host = r.target.Host
	out.Host = r.target.Host
	return r.next.RoundTrip(out)
}

// AddToken makes token valid with the given rights.
func (s *Server) AddToken(token string, t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = t
}

// AddZone creates a zone (name with or without the trailing dot) and
// returns its ID.
func (s *Server) AddZone(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, z := range s.zones {
		if z.name == name {
			return z.id
		}
	}
	z := &zone{id: s.newID(), name: name, records: map[string]*Record{}}
	s.zones[z.id] = z
	return z.id
}

// AddRecord stores r in zone (a name) through the same validation as a
// POST, so a seeded record looks exactly like one created through the API.
// r.Name may be relative to the zone, "@", or fully qualified.
func (s *Server) AddRecord(zoneName string, r Record) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zoneByName(zoneName)
	if z == nil {
		return Record{}, fmt.Errorf("cftest: no zone %s", zoneName)
	}
	in := recordInput{Type: &r.Type, Name: &r.Name, Content: &r.Content, TTL: &r.TTL, Proxied: &r.Proxied}
	if r.Priority != 0 || r.Type == "MX" {
		in.Priority = &r.Priority
	}
	if r.Data != nil {
		b, _ := json.Marshal(r.Data)
		in.Data = b
	}
	rec, apiErr := s.create(z, in)
	if apiErr != nil {
		return Record{}, fmt.Errorf("cftest: %s", apiErr.msgs[0].Message)
	}
	return *rec, nil
}

// Records returns the records of a zone, sorted by name, type and content.
func (s *Server) Records(zoneName string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zoneByName(zoneName)
	if z == nil {
		return nil
	}
	out := make([]Record, 0, len(z.records))
	for _, r := range sortedRecords(z) {
		out = append(out, *r)
	}
	return out
}

// SetLatency delays every answer by d, as a distant API would.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// RateLimit answers the next n requests with 429 Too Many Requests and the
// given Retry-After header value ("" sends none).
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited, s.retryWait = n, retryAfter
}

// Fail answers the next n requests with the given 5xx status.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing, s.failStat = n, status
}

// Requests returns how many requests each endpoint received, keyed by
// method and path pattern, such as "GET /zones/{zone_id}/dns_records".
// Rejected requests (429, 401, ...) count too: the client made them.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// TotalRequests is the sum of Requests.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.counts {
		n += v
	}
	return n
}

// ResetRequests zeroes the request counters.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

func (s *Server) newID() string {
	s.nextID++
	return fmt.Sprintf("%032x", s.nextID)
}

func (s *Server) zoneByName(name string) *zone {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, z := range s.zones {
		if z.name == name {
			return z
		}
	}
	return nil
}

// message is one entry of the envelope's errors or messages.
type message struct {
	Code       int       `json:"code"`
	Message    string    `json:"message"`
	ErrorChain []message `json:"error_chain,omitempty"`
}

type apiError struct {
	status int
	msgs   []message
}

func fail(status, code int, format string, args ...any) *apiError {
	return &apiError{status: status, msgs: []message{{Code: code, Message: fmt.Sprintf(format, args...)}}}
}

type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

type envelope struct {
	Success    bool        `json:"success"`
	Errors     []message   `json:"errors"`
	Messages   []message   `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, envelope{Success: false, Errors: e.msgs, Messages: []message{}, Result: nil})
}

func writeResult(w http.ResponseWriter, status int, result any, info *resultInfo) {
	writeJSON(w, status, envelope{Success: true, Errors: []message{}, Messages: []message{}, Result: result, ResultInfo: info})
}

// pattern names the endpoint of a path for the request counters.
func pattern(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "zones":
		parts[1] = "{zone_id}"
		if len(parts) >= 4 && parts[2] == "dns_records" {
			parts[3] = "{dns_record_id}"
		}
	}
	return "/" + strings.Join(parts, "/")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, APIPrefix)
	if !ok {
		writeError(w, fail(http.StatusNotFound, CodeNoRoute, "Could not route to %s, perhaps your object identifier is invalid?", r.URL.Path))
		return
	}
	s.mu.Lock()
	s.counts[r.Method+" "+pattern(path)]++
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limited > 0 {
		s.limited--
		if s.retryWait != "" {
			w.Header().Set("Retry-After", s.retryWait)
		}
		writeError(w, fail(http.StatusTooManyRequests, CodeRateLimited, "Please wait and consider throttling your request speed"))
		return
	}
	if s.failing > 0 {
		s.failing--
		writeError(w, fail(s.failStat, CodeServerError, "Internal server error"))
		return
	}
	tok, apiErr := s.authenticate(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.route(w, r, path, tok)
}

// authenticate checks the bearer token (RFC 6750 section 2.1).
func (s *Server) authenticate(r *http.Request) (Token, *apiError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" || strings.ContainsAny(tok, " \t") {
		return Token{}, &apiError{status: http.StatusBadRequest, msgs: []message{{
			Code: CodeBadHeaders, Message: "Invalid request headers",
			ErrorChain: []message{{Code: CodeBadAuthHeader, Message: "Invalid format for Authorization header"}},
		}}}
	}
	t, ok := s.tokens[tok]
	if !ok {
		return Token{}, fail(http.StatusUnauthorized, CodeInvalidToken, "Invalid API Token")
	}
	return t, nil
}

func (t Token) allows(zoneName string) bool {
	return len(t.Zones) == 0 || slices.ContainsFunc(t.Zones, func(z string) bool {
		return strings.EqualFold(strings.TrimSuffix(z, "."), zoneName)
	})
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, path string, tok Token) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if parts[0] != "zones" {
		writeError(w, fail(http.StatusNotFound, CodeNoRoute, "Could not route to %s, perhaps your object identifier is invalid?", path))
		return
	}
	if len(parts) == 1 {
		if r.Method != http.MethodGet {
			writeError(w, fail(http.StatusMethodNotAllowed, CodeNoRoute, "Method %s not allowed on %s", r.Method, path))
			return
		}
		s.listZones(w, r, tok)
		return
	}
	z := s.zones[parts[1]]
	if z == nil || !tok.allows(z.name) {
		// A zone the token cannot see looks exactly like one that does
		// not exist, as it does at Cloudflare.
		writeError(w, fail(http.StatusNotFound, CodeNoRoute, "Could not route to %s, perhaps your object identifier is invalid?", path))
		return
	}
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		writeResult(w, http.StatusOK, zoneJSON(z), nil)
	case len(parts) == 3 && parts[2] == "dns_records":
		switch r.Method {
		case http.MethodGet:
			s.listRecords(w, r, z)
		case http.MethodPost:
			if tok.ReadOnly {
				writeError(w, fail(http.StatusForbidden, CodeAuthentication, "Authentication error"))
				return
			}
			in, apiErr := decodeInput(r)
			if apiErr == nil {
				var rec *Record
				rec, apiErr = s.create(z, in)
				if apiErr == nil {
					writeResult(w, http.StatusOK, recordJSON(z, rec), nil)
					return
				}
			}
			writeError(w, apiErr)
		default:
			writeError(w, fail(http.StatusMethodNotAllowed, CodeNoRoute, "Method %s not allowed on %s", r.Method, path))
		}
	case len(parts) == 4 && parts[2] == "dns_records":
		s.recordByID(w, r, z, parts[3], tok)
	default:
		writeError(w, fail(http.StatusNotFound, CodeNoRoute, "Could not route to %s, perhaps your object identifier is invalid?", path))
	}
}

func zoneJSON(z *zone) map[string]any {
	return map[string]any{
		"id":           z.id,
		"name":         z.name,
		"status":       "active",
		"paused":       false,
		"type":         "full",
		"name_servers": []string{"ada.ns.cloudflare.com", "bob.ns.cloudflare.com"},
		"account":      map[string]any{"id": "0123456789abcdef0123456789abcdef", "name": "cftest"},
	}
}

// pageParams reads page and per_page, clamped to [1, ∞) and [lo, hi].
func pageParams(q url.Values, def, lo, hi int) (page, perPage int) {
	page, perPage = 1, def
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 {
		page = p
	}
	if p, err := strconv.Atoi(q.Get("per_page")); err == nil {
		perPage = min(max(p, lo), hi)
	}
	return page, perPage
}

func paginate[T any](items []T, page, perPage int) ([]T, *resultInfo) {
	total := len(items)
	pages := (total + perPage - 1) / perPage
	start := min((page-1)*perPage, total)
	end := min(start+perPage, total)
	out := items[start:end]
	return out, &resultInfo{Page: page, PerPage: perPage, Count: len(out), TotalCount: total, TotalPages: pages}
}

func (s *Server) listZones(w http.ResponseWriter, r *http.Request, tok Token) {
	q := r.URL.Query()
	page, perPage := pageParams(q, ZonesPerPageDefault, 5, ZonesPerPageMax)
	name := strings.ToLower(strings.TrimSuffix(q.Get("name"), "."))
	var zones []*zone
	for _, z := range s.zones {
		if tok.allows(z.name) && (name == "" || z.name == name) {
			zones = append(zones, z)
		}
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].name < zones[j].name })
	pageZones, info := paginate(zones, page, perPage)
	out := make([]map[string]any, len(pageZones))
	for i, z := range pageZones {
		out[i] = zoneJSON(z)
	}
	writeResult(w, http.StatusOK, out, info)
}

func sortedRecords(z *zone) []*Record {
	out := make([]*Record, 0, len(z.records))
	for _, r := range z.records {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Content != b.Content {
			return a.Content < b.Content
		}
		return a.ID < b.ID
	})
	return out
}

// listRecords answers GET /zones/{zone_id}/dns_records with the filters
// DNS clients use: type, name (and name.exact), content (and
// content.exact, content.contains), proxied, match=all|any.
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, z *zone) {
	q := r.URL.Query()
	page, perPage := pageParams(q, RecordsPerPageDefault, RecordsPerPageMin, RecordsPerPageMax)
	var filters []func(*Record) bool
	if t := q.Get("type"); t != "" {
		filters = append(filters, func(rec *Record) bool { return rec.Type == strings.ToUpper(t) })
	}
	for _, key := range []string{"name", "name.exact"} {
		if n := q.Get(key); n != "" {
			fqdn := z.fqdn(n)
			filters = append(filters, func(rec *Record) bool { return rec.Name == fqdn })
		}
	}
	for _, key := range []string{"content", "content.exact"} {
		if c := q.Get(key); c != "" {
			filters = append(filters, func(rec *Record) bool { return rec.Content == c })
		}
	}
	if c := q.Get("content.contains"); c != "" {
		lc := strings.ToLower(c)
		filters = append(filters, func(rec *Record) bool { return strings.Contains(strings.ToLower(rec.Content), lc) })
	}
	if p := q.Get("proxied"); p != "" {
		want := p == "true"
		filters = append(filters, func(rec *Record) bool { return rec.Proxied == want })
	}
	matchAny := q.Get("match") == "any"
	var hits []*Record
	for _, rec := range sortedRecords(z) {
		ok := !matchAny || len(filters) == 0
		for _, f := range filters {
			if matchAny {
				ok = ok || f(rec)
			} else {
				ok = ok && f(rec)
			}
		}
		if ok {
			hits = append(hits, rec)
		}
	}
	pageRecs, info := paginate(hits, page, perPage)
	out := make([]map[string]any, len(pageRecs))
	for i, rec := range pageRecs {
		out[i] = recordJSON(z, rec)
	}
	writeResult(w, http.StatusOK, out, info)
}

func (s *Server) recordByID(w http.ResponseWriter, r *http.Request, z *zone, id string, tok Token) {
	rec := z.records[id]
	if rec == nil {
		writeError(w, fail(http.StatusNotFound, CodeRecordNotFound, "Record does not exist."))
		return
	}
	if r.Method != http.MethodGet && tok.ReadOnly {
		writeError(w, fail(http.StatusForbidden, CodeAuthentication, "Authentication error"))
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeResult(w, http.StatusOK, recordJSON(z, rec), nil)
	case http.MethodDelete:
		delete(z.records, id)
		writeResult(w, http.StatusOK, map[string]string{"id": id}, nil)
	case http.MethodPut, http.MethodPatch:
		in, apiErr := decodeInput(r)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		if r.Method == http.MethodPatch {
			// PATCH changes only the fields the body holds.
			in = in.over(rec)
		}
		updated, apiErr := s.validate(z, in, id)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		updated.ID = id
		z.records[id] = updated
		writeResult(w, http.StatusOK, recordJSON(z, updated), nil)
	default:
		writeError(w, fail(http.StatusMethodNotAllowed, CodeNoRoute, "Method %s not allowed", r.Method))
	}
}

// recordInput is a request body; nil fields were absent.
type recordInput struct {
	Type     *string         `json:"type"`
	Name     *string         `json:"name"`
	Content  *string         `json:"content"`
	Priority *uint16         `json:"priority"`
	TTL      *int            `json:"ttl"`
	Proxied  *bool           `json:"proxied"`
	Data     json.RawMessage `json:"data"`
	Comment  *string         `json:"comment"`
}

func decodeInput(r *http.Request) (recordInput, *apiError) {
	var in recordInput
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		return in, fail(http.StatusBadRequest, CodeValidation, "DNS Validation Error: malformed request body: %v", err)
	}
	return in, nil
}

// over fills the fields absent from a PATCH body from the stored record.
func (in recordInput) over(rec *Record) recordInput {
	if in.Type == nil {
		in.Type = &rec.Type
	}
	if in.Name == nil {
		in.Name = &rec.Name
	}
	if in.Content == nil && in.Data == nil {
		in.Content = &rec.Content
		if rec.Data != nil {
			in.Data, _ = json.Marshal(rec.Data)
		}
	}
	if in.Priority == nil && (rec.Type == "MX" || rec.Type == "URI") {
		in.Priority = &rec.Priority
	}
	if in.TTL == nil {
		in.TTL = &rec.TTL
	}
	if in.Proxied == nil {
		in.Proxied = &rec.Proxied
	}
	return in
}

func (s *Server) create(z *zone, in recordInput) (*Record, *apiError) {
	rec, apiErr := s.validate(z, in, "")
	if apiErr != nil {
		return nil, apiErr
	}
	rec.ID = s.newID()
	z.records[rec.ID] = rec
	return rec, nil
}

// fqdn turns a record name as the API accepts it ("@", relative, or fully
// qualified with or without the trailing dot) into the stored form.
func (z *zone) fqdn(name string) string {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	switch {
	case n == "" || n == "@":
		return z.name
	case n == z.name || strings.HasSuffix(n, "."+z.name):
		return n
	default:
		return n + "." + z.name
	}
}

var proxiable = map[string]bool{"A": true, "AAAA": true, "CNAME": true}

// validate checks a record the way the API does and returns it in stored
// form; self is the ID of the record being replaced, if any.
func (s *Server) validate(z *zone, in recordInput, self string) (*Record, *apiError) {
	bad := func(format string, args ...any) *apiError {
		return &apiError{status: http.StatusBadRequest, msgs: []message{{
			Code: CodeValidation, Message: "DNS Validation Error",
			ErrorChain: []message{{Code: CodeValidation, Message: fmt.Sprintf(format, args...)}},
		}}}
	}
	if in.Type == nil || *in.Type == "" {
		return nil, bad("type is required")
	}
	if in.Name == nil {
		return nil, bad("name is required")
	}
	rec := &Record{Type: strings.ToUpper(*in.Type), Name: z.fqdn(*in.Name), TTL: 1}
	if in.Content != nil {
		rec.Content = *in.Content
	}
	if in.TTL != nil && *in.TTL != 0 {
		rec.TTL = *in.TTL
	}
	if rec.TTL != 1 && (rec.TTL < 60 || rec.TTL > 86400) {
		return nil, bad("TTL must be between 60 and 86400 seconds, or 1 for Automatic")
	}
	if in.Proxied != nil && *in.Proxied {
		if !proxiable[rec.Type] {
			return nil, fail(http.StatusBadRequest, CodeNotProxiable, "This record type cannot be proxied.")
		}
		rec.Proxied = true
		// Proxied records are answered by Cloudflare, with its own TTL.
		rec.TTL = 1
	}
	var data map[string]any
	if len(in.Data) > 0 && string(in.Data) != "null" {
		if err := json.Unmarshal(in.Data, &data); err != nil {
			return nil, bad("data must be an object")
		}
	}
	num := func(key string) (int, bool) {
		f, ok := data[key].(float64)
		return int(f), ok && f == float64(int(f)) && f >= 0
	}
	str := func(key string) string { v, _ := data[key].(string); return v }
	switch rec.Type {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(rec.Content)
		if err != nil || ip.Is4() != (rec.Type == "A") || ip.Zone() != "" {
			return nil, bad("Content for %s record must be a valid IPv%s address", rec.Type, map[bool]string{true: "4", false: "6"}[rec.Type == "A"])
		}
		rec.Content = ip.String()
	case "CNAME", "NS", "PTR":
		rec.Content = strings.ToLower(strings.TrimSuffix(rec.Content, "."))
		if rec.Content == "" {
			return nil, bad("Content for %s record is invalid", rec.Type)
		}
	case "MX":
		if rec.Content != "." {
			rec.Content = strings.ToLower(strings.TrimSuffix(rec.Content, "."))
		}
		if rec.Content == "" {
			return nil, bad("Content for MX record is invalid")
		}
		if in.Priority == nil {
			return nil, bad("priority is required for MX records")
		}
		rec.Priority = *in.Priority
	case "TXT":
		content, err := canonicalTXT(rec.Content)
		if err != "" {
			return nil, bad("%s", err)
		}
		rec.Content = content
	case "CAA":
		flags, ok := num("flags")
		if !ok || flags > 255 || str("tag") == "" {
			return nil, bad("CAA records need data.flags, data.tag and data.value")
		}
		rec.Data = map[string]any{"flags": flags, "tag": str("tag"), "value": str("value")}
		rec.Content = fmt.Sprintf("%d %s %q", flags, str("tag"), str("value"))
	case "SRV":
		prio, ok1 := num("priority")
		weight, ok2 := num("weight")
		port, ok3 := num("port")
		target := strings.ToLower(strings.TrimSuffix(str("target"), "."))
		if !ok1 && in.Priority != nil {
			prio, ok1 = int(*in.Priority), true
		}
		if !ok1 || !ok2 || !ok3 || target == "" || prio > 65535 || weight > 65535 || port > 65535 {
			return nil, bad("SRV records need data.priority, data.weight, data.port and data.target")
		}
		if labels := strings.Split(rec.Name, "."); len(labels) < 3 || !strings.HasPrefix(labels[0], "_") || !strings.HasPrefix(labels[1], "_") {
			return nil, bad("SRV record names start with _service._proto")
		}
		rec.Priority = uint16(prio)
		rec.Data = map[string]any{"priority": prio, "weight": weight, "port": port, "target": target}
		// The content of an SRV record omits the priority, which the
		// record carries in its priority field.
		rec.Content = fmt.Sprintf("%d %d %s", weight, port, target)
	case "HTTPS", "SVCB":
		prio, ok := num("priority")
		target := str("target")
		if !ok || prio > 65535 || target == "" {
			return nil, bad("%s records need data.priority, data.target and data.value", rec.Type)
		}
		rec.Data = map[string]any{"priority": prio, "target": target, "value": str("value")}
		rec.Content = strings.TrimSpace(fmt.Sprintf("%d %s %s", prio, target, str("value")))
	default:
		if rec.Content == "" {
			return nil, bad("content is required")
		}
	}
	for id, other := range z.records {
		if id == self || other.Name != rec.Name {
			continue
		}
		switch {
		case other.Type == rec.Type && other.Content == rec.Content && other.Priority == rec.Priority:
			return nil, fail(http.StatusBadRequest, CodeIdentical, "An identical record already exists.")
		case proxiable[rec.Type] && proxiable[other.Type] && (rec.Type == "CNAME" || other.Type == "CNAME"):
			return nil, fail(http.StatusBadRequest, CodeHostConflict, "An A, AAAA, or CNAME record with that host already exists.")
		case rec.Type == "CNAME" || other.Type == "CNAME":
			// RFC 1034 section 3.6.2: a CNAME has no other data beside it.
			return nil, fail(http.StatusBadRequest, CodeCNAMEConflict, "A CNAME record with that host already exists, or the host has other records.")
		}
	}
	return rec, nil
}

// canonicalTXT stores TXT content as Cloudflare documents it: quoted
// character-strings (RFC 1035 section 5.1), each of at most 255 octets
// (RFC 1035 section 3.3.14); longer strings are split automatically.
// Content that does not start with a quote is kept as written, as the API
// keeps records created before it required quotes.
func canonicalTXT(content string) (string, string) {
	c := strings.TrimSpace(content)
	if !strings.HasPrefix(c, `"`) {
		return content, ""
	}
	var parts []string
	for c != "" {
		if c[0] != '"' {
			return "", "TXT content must consist of quoted character strings"
		}
		var raw []byte
		i := 1
		for ; i < len(c) && c[i] != '"'; i++ {
			if c[i] != '\\' {
				raw = append(raw, c[i])
				continue
			}
			if i+3 < len(c) && isDigit(c[i+1]) && isDigit(c[i+2]) && isDigit(c[i+3]) {
				v, _ := strconv.Atoi(c[i+1 : i+4])
				if v > 255 {
					return "", "TXT content holds an invalid \\DDD escape"
				}
				raw = append(raw, byte(v))
				i += 3
				continue
			}
			if i+1 >= len(c) {
				break
			}
			i++
			raw = append(raw, c[i])
		}
		if i >= len(c) {
			return "", "TXT content has an unterminated quoted string"
		}
		for len(raw) > 255 {
			parts = append(parts, quote(raw[:255]))
			raw = raw[255:]
		}
		parts = append(parts, quote(raw))
		c = strings.TrimLeft(c[i+1:], " \t")
	}
	return strings.Join(parts, " "), ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func quote(raw []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range raw {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func recordJSON(z *zone, r *Record) map[string]any {
	out := map[string]any{
		"id":          r.ID,
		"zone_id":     z.id,
		"zone_name":   z.name,
		"name":        r.Name,
		"type":        r.Type,
		"content":     r.Content,
		"proxiable":   proxiable[r.Type],
		"proxied":     r.Proxied,
		"ttl":         r.TTL,
		"locked":      false,
		"comment":     nil,
		"tags":        []string{},
		"meta":        map[string]any{"auto_added": false, "source": "primary"},
		"created_on":  "2026-01-01T00:00:00.000000Z",
		"modified_on": "2026-01-01T00:00:00.000000Z",
	}
	switch r.Type {
	case "MX", "SRV", "URI":
		out["priority"] = r.Priority
	}
	if r.Data != nil {
		out["data"] = r.Data
	}
	return out
}
