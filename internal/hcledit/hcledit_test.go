package hcledit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

const config = `# The configuration.
domain "example.com" {
  policy = policy.strict # shared

  # The key the relay signs with.
  dkim "s2026a" {
    key_file = "keys/example.com/s2026a.pem"
  }
}

domain "example.net" {}

domain "example.org" { parked = true }
`

func parse(t *testing.T, src string) *hclwrite.File {
	t.Helper()
	f, err := Parse([]byte(src), "m.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseError(t *testing.T) {
	_, err := Parse([]byte("domain \"x\" {\n"), "broken.hcl")
	if err == nil || !strings.Contains(err.Error(), "broken.hcl:") {
		t.Errorf("error %v, want one naming broken.hcl", err)
	}
}

func TestFindBlock(t *testing.T) {
	f := parse(t, config)
	d := FindBlock(f.Body(), "domain", "example.com")
	if d == nil {
		t.Fatal("domain example.com not found")
	}
	if k := FindBlock(d.Body(), "dkim", "s2026a"); k == nil {
		t.Error("dkim s2026a not found in example.com")
	}
	for _, tc := range []struct {
		typ    string
		labels []string
	}{
		{"domain", []string{"example.co"}},
		{"domain", nil},
		{"domain", []string{"example.com", "extra"}},
		{"dkim", []string{"s2026a"}}, // only in a nested body
		{"policy", []string{"example.com"}},
	} {
		if b := FindBlock(f.Body(), tc.typ, tc.labels...); b != nil {
			t.Errorf("FindBlock(%s %q) found %s %q", tc.typ, tc.labels, b.Type(), b.Labels())
		}
	}
	got := FindBlocks(f.Body(), "domain", func(l []string) bool { return strings.HasSuffix(l[0], ".org") || strings.HasSuffix(l[0], ".net") })
	var names []string
	for _, b := range got {
		names = append(names, b.Labels()[0])
	}
	if diff := cmp.Diff([]string{"example.net", "example.org"}, names); diff != "" {
		t.Errorf("FindBlocks (-want +got):\n%s", diff)
	}
}

var dkimAttrs = []Attr{
	{Name: "algorithm", Value: cty.StringVal("ed25519")},
	{Name: "key_file", Value: cty.StringVal("keys/x/s2027a.pem")},
	{Name: "state", Value: cty.StringVal("next")},
}

func TestAppendBlock(t *testing.T) {
	for _, tc := range []struct {
		name, src, domain, want string
	}{
		{
			name:   "after a nested block, with comments kept",
			src:    config,
			domain: "example.com",
			want: `# The configuration.
domain "example.com" {
  policy = policy.strict # shared

  # The key the relay signs with.
  dkim "s2026a" {
    key_file = "keys/example.com/s2026a.pem"
  }

  dkim "s2027a" {
    algorithm = "ed25519"
    key_file  = "keys/x/s2027a.pem"
    state     = "next"
  }
}

domain "example.net" {}

domain "example.org" { parked = true }
`,
		},
		{
			name:   "empty one-line body",
			src:    config,
			domain: "example.net",
			want: `domain "example.net" {
  dkim "s2027a" {
    algorithm = "ed25519"
    key_file  = "keys/x/s2027a.pem"
    state     = "next"
  }
}
`,
		},
		{
			name:   "one-line body with an attribute",
			src:    config,
			domain: "example.org",
			want: `domain "example.org" {
  parked = true

  dkim "s2027a" {
    algorithm = "ed25519"
    key_file  = "keys/x/s2027a.pem"
    state     = "next"
  }
}
`,
		},
		{
			name:   "blank line and comment at the end kept, not doubled",
			src:    "domain \"a.example\" {\n  ttl = 300\n  # more to come\n\n}\n",
			domain: "a.example",
			want: `domain "a.example" {
  ttl = 300
  # more to come

  dkim "s2027a" {
    algorithm = "ed25519"
    key_file  = "keys/x/s2027a.pem"
    state     = "next"
  }
}
`,
		},
		{
			name:   "empty multi-line body",
			src:    "domain \"a.example\" {\n}\n",
			domain: "a.example",
			want: `domain "a.example" {
  dkim "s2027a" {
    algorithm = "ed25519"
    key_file  = "keys/x/s2027a.pem"
    state     = "next"
  }
}
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parse(t, tc.src)
			d := FindBlock(f.Body(), "domain", tc.domain)
			if d == nil {
				t.Fatalf("no domain %s", tc.domain)
			}
			if _, err := AppendBlock(d.Body(), "dkim", []string{"s2027a"}, dkimAttrs...); err != nil {
				t.Fatal(err)
			}
			got := string(f.Bytes())
			if !strings.Contains(got, tc.want) {
				t.Errorf("result lacks the expected text.\nwant:\n%s\ngot:\n%s", tc.want, got)
			}
			// The result parses, and the new block is found where it went.
			again := parse(t, got)
			if FindBlock(FindBlock(again.Body(), "domain", tc.domain).Body(), "dkim", "s2027a") == nil {
				t.Errorf("the appended block is not found in the written file:\n%s", got)
			}
		})
	}
}

func TestAppendBlockTopLevel(t *testing.T) {
	f := parse(t, `domain "a.example" {}`) // no final newline
	if _, err := AppendBlock(f.Body(), "domain", []string{"b.example"}, Attr{Name: "ttl", Value: cty.NumberIntVal(300)}); err != nil {
		t.Fatal(err)
	}
	want := "domain \"a.example\" {}\n\ndomain \"b.example\" {\n  ttl = 300\n}\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAppendBlockExpr(t *testing.T) {
	f := parse(t, "domain \"clients\" {\n  for_each = var.clients\n}\n")
	d := FindBlock(f.Body(), "domain", "clients")
	_, err := AppendBlock(d.Body(), "dkim", []string{"s2027a"},
		Attr{Name: "key_file", Expr: `"keys/${each.key}/s2027a.pem"`},
		Attr{Name: "provider", Expr: "provider.zonefile.local"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := `domain "clients" {
  for_each = var.clients

  dkim "s2027a" {
    key_file = "keys/${each.key}/s2027a.pem"
    provider = provider.zonefile.local
  }
}
`
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	before := string(f.Bytes())
	for _, bad := range []string{`"unterminated`, "a = b", "x {\n}"} {
		if _, err := AppendBlock(d.Body(), "dkim", []string{"bad"}, Attr{Name: "key_file", Expr: bad}); err == nil {
			t.Errorf("expression %q accepted", bad)
		}
	}
	if got := string(f.Bytes()); got != before {
		t.Errorf("a failed AppendBlock changed the file:\n%s", got)
	}
}

func TestSetAttribute(t *testing.T) {
	f := parse(t, config)
	k := FindBlock(FindBlock(f.Body(), "domain", "example.com").Body(), "dkim", "s2026a")
	SetAttribute(k.Body(), "key_file", cty.StringVal("keys/other.pem"))
	SetAttribute(k.Body(), "state", cty.StringVal("retiring"))
	d := FindBlock(f.Body(), "domain", "example.com")
	SetAttribute(d.Body(), "policy", cty.StringVal("kept-comment"))
	got := string(f.Bytes())
	for _, want := range []string{
		"  policy = \"kept-comment\" # shared\n",
		"  # The key the relay signs with.\n  dkim \"s2026a\" {\n    key_file = \"keys/other.pem\"\n    state    = \"retiring\"\n  }\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("result lacks %q:\n%s", want, got)
		}
	}
}

func TestBlockText(t *testing.T) {
	got, err := BlockText("dkim", []string{"s2027a"}, dkimAttrs...)
	if err != nil {
		t.Fatal(err)
	}
	want := `dkim "s2027a" {
  algorithm = "ed25519"
  key_file  = "keys/x/s2027a.pem"
  state     = "next"
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A value with template characters is written escaped, as a literal.
	got, err = BlockText("dkim", []string{"s"}, Attr{Name: "key_file", Value: cty.StringVal("keys/${x}.pem")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"keys/$${x}.pem"`) {
		t.Errorf("template sequence not escaped:\n%s", got)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mailconf.hcl")
	if err := os.WriteFile(path, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "new\n", 0o640)

	// A new file gets perm.
	fresh := filepath.Join(dir, "fresh.hcl")
	if err := WriteFileAtomic(fresh, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkFile(t, fresh, "x\n", 0o600)

	// A symbolic link stays a link; its target changes.
	link := filepath.Join(dir, "link.hcl")
	if err := os.Symlink("mailconf.hcl", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(link, []byte("via link\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	checkFile(t, path, "via link\n", 0o640)

	// Not a regular file: refused, nothing left behind.
	if err := WriteFileAtomic(dir, []byte("x"), 0o600); err == nil {
		t.Error("writing over a directory succeeded")
	}
	// A directory that cannot be written: an error, the file unchanged.
	if os.Getuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		err := WriteFileAtomic(path, []byte("denied\n"), 0o600)
		os.Chmod(dir, 0o700)
		if err == nil {
			t.Error("write into a read-only directory succeeded")
		}
		checkFile(t, path, "via link\n", 0o640)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"fresh.hcl", "link.hcl", "mailconf.hcl"}, names); diff != "" {
		t.Errorf("files left in the directory (-want +got):\n%s", diff)
	}
}

func checkFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != content {
		t.Errorf("%s holds %q, want %q", path, b, content)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), perm)
	}
}

// TestAppendBlockOneLineKeepsAttribute: the attribute of a one-line body
// that AppendBlock reopens is still one SetAttribute changes in place.
func TestAppendBlockOneLineKeepsAttribute(t *testing.T) {
	f := parse(t, `domain "example.org" { ttl = 300 }`+"\n")
	d := FindBlock(f.Body(), "domain", "example.org")
	if _, err := AppendBlock(d.Body(), "dkim", []string{"s"}, Attr{Name: "state", Value: cty.StringVal("retired")}); err != nil {
		t.Fatal(err)
	}
	SetAttribute(d.Body(), "ttl", cty.NumberIntVal(600))
	want := "domain \"example.org\" {\n  ttl = 600\n\n  dkim \"s\" {\n    state = \"retired\"\n  }\n}\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAppendBlockFileWithOneAttribute: a file that holds one attribute
// and a comment is not mistaken for a one-line block body.
func TestAppendBlockFileWithOneAttribute(t *testing.T) {
	f := parse(t, "# The default TTL.\nttl = 300\n")
	if _, err := AppendBlock(f.Body(), "domain", []string{"a.example"}); err != nil {
		t.Fatal(err)
	}
	want := "# The default TTL.\nttl = 300\n\ndomain \"a.example\" {\n}\n"
	if diff := cmp.Diff(want, string(f.Bytes())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
