package main

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mailconf/mailconf/schema"
)

func TestSendersListGolden(t *testing.T) {
	for _, tc := range []struct{ format, golden string }{
		{"text", "senders/list.txt"},
		{"json", "senders/list.json"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, "senders", "list", "--format", tc.format)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			golden(t, tc.golden, out)
		})
	}
}

// TestSendersShowGolden: one golden file per catalog entry, so that a new
// entry comes with the text a user will read, and no golden outlives its
// entry.
func TestSendersShowGolden(t *testing.T) {
	var want []string
	for _, c := range schema.Catalog() {
		want = append(want, c.ID+".txt")
		t.Run(c.ID, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, "senders", "show", c.ID)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			golden(t, "senders/show/"+c.ID+".txt", out)
		})
	}
	if *update {
		return
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "senders", "show", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("golden files do not match the catalog (-entries +files):\n%s", diff)
	}
}

func TestSendersShowJSON(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "senders", "show", "sendgrid", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	golden(t, "senders/show-sendgrid.json", out)

	// Every entry's JSON parses and holds the parts a program needs.
	for _, c := range schema.Catalog() {
		_, out, _ := runCmd(t, nil, "senders", "show", c.ID, "--format", "json")
		var v struct {
			ID         string            `json:"id"`
			Kind       string            `json:"kind"`
			Parameters []json.RawMessage `json:"parameters"`
			Example    struct {
				Domain  string                `json:"domain"`
				HCL     string                `json:"hcl"`
				Records []senderExampleRecord `json:"records"`
			} `json:"example"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%s: %s\n%s", c.ID, err, out)
		}
		if v.ID != c.ID || v.Kind != c.Kind || len(v.Parameters) != len(c.Parameters) || v.Example.Domain != "example.com" || !strings.HasPrefix(v.Example.HCL, `sender "`+c.ID+`"`) {
			t.Errorf("%s: JSON %+v", c.ID, v)
		}
		for _, r := range v.Example.Records {
			if strings.ContainsAny(r.Value, "{}") || !strings.HasSuffix(r.Name, "example.com.") {
				t.Errorf("%s: example record not expanded for example.com: %+v", c.ID, r)
			}
		}
	}
}

func TestSendersErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown type", []string{"senders", "show", "nosuch"}, []string{`unknown sender type "nosuch".`, "Known catalog types: amazon_ses, brevo,"}},
		{"near miss", []string{"senders", "show", "sendgird"}, []string{`unknown sender type "sendgird". Did you mean "sendgrid"?`}},
		{"custom", []string{"senders", "show", "custom"}, []string{"custom is not a catalog entry", "ip4, ip6, include, a, mx"}},
		{"no id", []string{"senders", "show"}, []string{"accepts 1 arg(s), received 0"}},
		{"bad show format", []string{"senders", "show", "sendgrid", "--format", "yaml"}, []string{`--format must be text or json, not "yaml"`}},
		{"bad list format", []string{"senders", "list", "--format", "zone"}, []string{`--format must be text or json, not "zone"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, nil, tc.args...)
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if out != "" {
				t.Errorf("stdout on error: %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestSendersShowCompletion: the shell completion of show offers the
// catalog ids that start with what was typed, with their names.
func TestSendersShowCompletion(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "__complete", "senders", "show", "ma")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"mailchimp\tIntuit Mailchimp (marketing)",
		"mailgun\tMailgun",
		"mailjet\tMailjet",
		"mandrill\tMailchimp Transactional (Mandrill)",
		":4",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("completions (-want +got):\n%s", diff)
	}
	_, out, _ = runCmd(t, nil, "__complete", "senders", "show", "mailgun", "")
	if strings.Contains(out, "mailgun\t") {
		t.Errorf("completion offered a second id:\n%s", out)
	}
}
