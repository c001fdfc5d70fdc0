package plan

import (
	"strings"
	"testing"
)

func TestConfigHash(t *testing.T) {
	base := NewConfigState(map[string][]byte{"a.hcl": []byte("x\ny\n"), "b.hcl": []byte("z\n")},
		[]ConfigKey{{Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}, {Domain: "a.example", Selector: "s1", PublicKeySHA256: "02"}})
	if !strings.HasPrefix(base.Hash, "sha256:") || len(base.Hash) != len("sha256:")+64 {
		t.Fatalf("hash %q", base.Hash)
	}
	if base.Keys[0].Domain != "a.example" || base.Files[0].Path != "a.hcl" {
		t.Errorf("not sorted: %+v %+v", base.Files, base.Keys)
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		keys  []ConfigKey
		same  bool
	}{
		{"keys in another order", map[string][]byte{"a.hcl": []byte("x\ny\n"), "b.hcl": []byte("z\n")},
			[]ConfigKey{{Domain: "a.example", Selector: "s1", PublicKeySHA256: "02"}, {Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, true},
		{"CRLF checkout", map[string][]byte{"a.hcl": []byte("x\r\ny\r\n"), "b.hcl": []byte("z\r\n")},
			[]ConfigKey{{Domain: "a.example", Selector: "s1", PublicKeySHA256: "02"}, {Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, true},
		{"key file elsewhere, same key", map[string][]byte{"a.hcl": []byte("x\ny\n"), "b.hcl": []byte("z\n")},
			[]ConfigKey{{Domain: "a.example", Selector: "s1", KeyFile: "other/place.pem", PublicKeySHA256: "02"}, {Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, true},
		{"file edited", map[string][]byte{"a.hcl": []byte("x\ny \n"), "b.hcl": []byte("z\n")},
			[]ConfigKey{{Domain: "a.example", Selector: "s1", PublicKeySHA256: "02"}, {Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, false},
		{"file renamed", map[string][]byte{"a.hcl": []byte("x\ny\n"), "c.hcl": []byte("z\n")},
			[]ConfigKey{{Domain: "a.example", Selector: "s1", PublicKeySHA256: "02"}, {Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, false},
		{"key replaced", map[string][]byte{"a.hcl": []byte("x\ny\n"), "b.hcl": []byte("z\n")},
			[]ConfigKey{{Domain: "a.example", Selector: "s1", PublicKeySHA256: "03"}, {Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, false},
		{"key dropped", map[string][]byte{"a.hcl": []byte("x\ny\n"), "b.hcl": []byte("z\n")},
			[]ConfigKey{{Domain: "b.example", Selector: "s1", PublicKeySHA256: "01"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewConfigState(tc.files, tc.keys)
			if same := got.Hash == base.Hash; same != tc.same {
				t.Errorf("same hash = %v, want %v", same, tc.same)
			}
			if d := base.Differences(got); (len(d) == 0) != tc.same {
				t.Errorf("differences %q", d)
			}
		})
	}
}

// TestConfigHashQuotesPaths: a file name cannot forge another file's line.
func TestConfigHashQuotesPaths(t *testing.T) {
	a := NewConfigState(map[string][]byte{"a.hcl": []byte("1")}, nil)
	forged := NewConfigState(map[string][]byte{"a.hcl\" " + a.Files[0].SHA256 + "\nfile \"b.hcl": []byte("1")}, nil)
	if a.Hash == forged.Hash {
		t.Error("a crafted file name hashes like another configuration")
	}
}

func TestShortHash(t *testing.T) {
	if got := ShortHash("sha256:0123456789abcdef0123"); got != "sha256:0123456789ab" {
		t.Errorf("ShortHash = %q", got)
	}
	if got := ShortHash("odd"); got != "odd" {
		t.Errorf("ShortHash = %q", got)
	}
}
