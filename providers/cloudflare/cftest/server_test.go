package cftest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const token = "test-token"

// call sends one request the way a client of https://api.cloudflare.com
// would, and decodes the envelope.
func call(t *testing.T, s *Server, method, path, tok, body string) (int, http.Header, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "https://api.cloudflare.com"+APIPrefix+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	for _, k := range []string{"success", "errors", "messages", "result"} {
		if _, ok := env[k]; !ok {
			t.Errorf("%s %s: envelope without %q: %v", method, path, k, env)
		}
	}
	return resp.StatusCode, resp.Header, env
}

func newServer(t *testing.T) (*Server, string) {
	s := New(t)
	s.AddToken(token, Token{})
	return s, s.AddZone("example.com")
}

func firstError(env map[string]any) (float64, string) {
	errs, _ := env["errors"].([]any)
	if len(errs) == 0 {
		return 0, ""
	}
	e := errs[0].(map[string]any)
	return e["code"].(float64), e["message"].(string)
}

func TestAuthentication(t *testing.T) {
	s, _ := newServer(t)
	for _, tc := range []struct {
		name   string
		tok    string
		status int
		code   float64
	}{
		{"no header", "", 400, CodeBadHeaders},
		{"unknown token", "nope", 401, CodeInvalidToken},
		{"valid", token, 200, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, env := call(t, s, "GET", "/zones", tc.tok, "")
			code, _ := firstError(env)
			if status != tc.status || code != tc.code || env["success"] != (tc.status == 200) {
				t.Errorf("status %d, code %v, success %v; want %d, %v", status, code, env["success"], tc.status, tc.code)
			}
		})
	}
}

func TestRecordsLifecycle(t *testing.T) {
	s, id := newServer(t)
	status, _, env := call(t, s, "POST", "/zones/"+id+"/dns_records", token, `{"type":"TXT","name":"@","content":"\"`+strings.Repeat("a", 300)+`\"","ttl":3600}`)
	if status != 200 {
		t.Fatalf("POST: %d %v", status, env)
	}
	rec := env["result"].(map[string]any)
	if want := `"` + strings.Repeat("a", 255) + `" "` + strings.Repeat("a", 45) + `"`; rec["content"] != want {
		t.Errorf("a 300-octet string is stored as %v, want it split at 255", rec["content"])
	}
	if rec["name"] != "example.com" || rec["proxied"] != false || rec["ttl"] != 3600.0 {
		t.Errorf("created record %v", rec)
	}
	rid := rec["id"].(string)

	status, _, env = call(t, s, "POST", "/zones/"+id+"/dns_records", token, `{"type":"TXT","name":"example.com.","content":"\"`+strings.Repeat("a", 300)+`\""}`)
	if code, _ := firstError(env); status != 400 || code != CodeIdentical {
		t.Errorf("identical record: %d %v", status, env)
	}

	status, _, env = call(t, s, "PATCH", "/zones/"+id+"/dns_records/"+rid, token, `{"ttl":1}`)
	if status != 200 || env["result"].(map[string]any)["ttl"] != 1.0 || !strings.HasPrefix(env["result"].(map[string]any)["content"].(string), `"aaa`) {
		t.Errorf("PATCH: %d %v", status, env)
	}

	status, _, env = call(t, s, "DELETE", "/zones/"+id+"/dns_records/"+rid, token, "")
	if status != 200 || env["result"].(map[string]any)["id"] != rid {
		t.Errorf("DELETE: %d %v", status, env)
	}
	status, _, env = call(t, s, "DELETE", "/zones/"+id+"/dns_records/"+rid, token, "")
	if code, _ := firstError(env); status != 404 || code != CodeRecordNotFound {
		t.Errorf("DELETE again: %d %v", status, env)
	}
}

func TestValidation(t *testing.T) {
	s, id := newServer(t)
	for _, r := range []Record{{Name: "www", Type: "A", Content: "192.0.2.1"}, {Name: "alias", Type: "CNAME", Content: "example.net"}} {
		if _, err := s.AddRecord("example.com", r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, body string
		code       float64
	}{
		{"bad address", `{"type":"A","name":"x","content":"192.0.2.300"}`, CodeValidation},
		{"IPv6 in A", `{"type":"A","name":"x","content":"2001:db8::1"}`, CodeValidation},
		{"TTL too low", `{"type":"A","name":"x","content":"192.0.2.1","ttl":30}`, CodeValidation},
		{"MX without priority", `{"type":"MX","name":"@","content":"mx.example.net"}`, CodeValidation},
		{"proxied TXT", `{"type":"TXT","name":"x","content":"\"a\"","proxied":true}`, CodeNotProxiable},
		{"CNAME beside A", `{"type":"CNAME","name":"www","content":"example.net"}`, CodeHostConflict},
		{"TXT beside A", `{"type":"TXT","name":"www","content":"\"a\""}`, 0},
		{"TXT beside CNAME", `{"type":"TXT","name":"alias","content":"\"a\""}`, CodeCNAMEConflict},
		{"unterminated TXT", `{"type":"TXT","name":"x","content":"\"abc"}`, CodeValidation},
		{"SRV without data", `{"type":"SRV","name":"_sip._tcp","content":"1 2 3 x"}`, CodeValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, env := call(t, s, "POST", "/zones/"+id+"/dns_records", token, tc.body)
			code, _ := firstError(env)
			if tc.code == 0 {
				if status != 200 {
					t.Errorf("refused: %v", env)
				}
				return
			}
			if status != 400 || code != tc.code {
				t.Errorf("status %d code %v, want 400 %v: %v", status, code, tc.code, env)
			}
		})
	}
}

func TestPaginationAndFilters(t *testing.T) {
	s, id := newServer(t)
	for i := range 12 {
		if _, err := s.AddRecord("example.com", Record{Name: "h" + string(rune('a'+i)), Type: "TXT", Content: `"v"`}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddRecord("example.com", Record{Name: "@", Type: "MX", Content: "mx.example.net", Priority: 10}); err != nil {
		t.Fatal(err)
	}
	_, _, env := call(t, s, "GET", "/zones/"+id+"/dns_records?type=TXT&per_page=5&page=3", token, "")
	info := env["result_info"].(map[string]any)
	want := map[string]any{"page": 3.0, "per_page": 5.0, "count": 2.0, "total_count": 12.0, "total_pages": 3.0}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("result_info (-want +got):\n%s", diff)
	}
	_, _, env = call(t, s, "GET", "/zones/"+id+"/dns_records?name=hc.example.com&content.contains=V", token, "")
	if n := len(env["result"].([]any)); n != 1 {
		t.Errorf("name and content.contains filters: %d records, want 1", n)
	}
	_, _, env = call(t, s, "GET", "/zones?name=example.com", token, "")
	if zones := env["result"].([]any); len(zones) != 1 || zones[0].(map[string]any)["id"] != id {
		t.Errorf("GET /zones?name=: %v", env["result"])
	}
}

func TestInjectedFailures(t *testing.T) {
	s, _ := newServer(t)
	s.RateLimit(1, "7")
	status, h, env := call(t, s, "GET", "/zones", token, "")
	if code, _ := firstError(env); status != 429 || h.Get("Retry-After") != "7" || code != CodeRateLimited {
		t.Errorf("rate limit: %d %q %v", status, h.Get("Retry-After"), env)
	}
	s.Fail(1, 503)
	if status, _, _ := call(t, s, "GET", "/zones", token, ""); status != 503 {
		t.Errorf("failure: %d", status)
	}
	if status, _, _ := call(t, s, "GET", "/zones", token, ""); status != 200 {
		t.Errorf("after the injected failures: %d", status)
	}
	if diff := cmp.Diff(map[string]int{"GET /zones": 3}, s.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
