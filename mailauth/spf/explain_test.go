package spf

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		record string // fetched when empty
	}{
		{name: "typical", domain: "example.com", record: "v=spf1 ip4:192.0.2.1 include:d1.example mx ~all"},
		{name: "problems", domain: "example.com",
			record: "v=spf1 include:loop-a.example include:nospf.example include:fail.example a:nothing.example mx:noaddr.example mx:mx11.example exists:%{i}.list.example ptr -all redirect=d1.example a"},
		{name: "redirect", domain: "example.com", record: "v=spf1 a:v6only.example redirect=d3.example"},
		{name: "no-record", domain: "nospf.example"},
		{name: "fetched", domain: "two.example"},
		{name: "syntax", domain: "example.com", record: "v=spf1 include:bad.example include:two.example -all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec *Record
			if tt.record != "" {
				rec = mustParse(t, tt.record)
			}
			a := Analyze(context.Background(), baseZone(), tt.domain, rec)
			golden(t, filepath.Join("explain", tt.name+".golden"), a.Explain())
		})
	}
}
