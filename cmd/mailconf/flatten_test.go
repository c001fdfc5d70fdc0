package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailconf/mailconf/resolve/dnstest"
)

// TestFlattenAuto: twelve provider includes need more than 10 lookups, so
// flatten = "auto" turns them into addresses, chained through _spf1 when
// they do not fit one record; the plan shows when they were expanded.
func TestFlattenAuto(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "flatten")
	zone, err := os.ReadFile(filepath.Join(dir, "esp.example.zone"))
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.NewServer(t, string(zone))
	clock := func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	e := func() *env { return &env{stdin: strings.NewReader(""), clock: clock} }

	code, out, errOut := runOn(t, e(), nil, "records", "-c", dir, "--resolver", srv.Addr())
	if code != 0 {
		t.Fatalf("records: exit %d\n%s", code, errOut)
	}
	golden(t, "flatten/records.zone", out)
	if strings.Contains(out, "include:_spf.p") {
		t.Errorf("provider includes left in the flattened record:\n%s", out)
	}
	if !strings.Contains(out, "include:_spf1.example.com") || !strings.Contains(out, "_spf1.example.com.") {
		t.Errorf("the overflow is not chained through _spf1.example.com:\n%s", out)
	}

	code, out, errOut = runOn(t, e(), nil, "plan", "-c", dir, "--resolver", srv.Addr())
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	golden(t, "flatten/plan.txt", out)
	if !strings.Contains(out, "flattened 2026-11-27T12:00:00Z") {
		t.Errorf("the plan does not say when the includes were expanded:\n%s", out)
	}

	// The published chain stays within the limits receivers enforce.
	code, out, errOut = runOn(t, e(), nil, "lint", "-c", dir, "--resolver", srv.Addr())
	if code != 0 || strings.Contains(out, "spf-too-many-lookups") {
		t.Errorf("lint of the flattened record: exit %d\n%s%s", code, out, errOut)
	}

	// Each run asks again: nothing is cached between runs.
	before := srv.QueriesFor("_spf.p1.esp.example.", 16)
	runOn(t, e(), nil, "records", "-c", dir, "--resolver", srv.Addr())
	if srv.QueriesFor("_spf.p1.esp.example.", 16) <= before {
		t.Error("a second run did not resolve the includes again")
	}
}
