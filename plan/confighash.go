package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// ConfigState identifies the configuration a plan was made from, so that
// apply can refuse a plan reviewed against other files (DESIGN.md section
// 5: apply applies exactly what was reviewed).
//
// It is built to travel between CI jobs: it names files relative to the
// configuration directory, with forward slashes, and its hash depends only
// on their contents, never on where the checkout lies, on file modes or on
// modification times.
//
// What it covers is what decides the records: the bytes of every *.hcl file
// (line endings normalized, so a Windows checkout hashes the same) and the
// public half of every DKIM key file. It does not cover what file() and
// env() read: those are usually secrets (API tokens), which a plan file
// must not carry even hashed, and which may differ between a plan job and
// an apply job by design (a read-only token for one, a writing one for the
// other).
type ConfigState struct {
	// Hash is "sha256:" and the hex digest of the canonical form of Files
	// and Keys (see ConfigHash).
	Hash  string       `json:"hash"`
	Files []ConfigFile `json:"files"`
	Keys  []ConfigKey  `json:"dkim_keys"`
}

// ConfigFile is one *.hcl file of the configuration.
type ConfigFile struct {
	// Path is relative to the configuration directory, with forward slashes.
	Path string `json:"path"`
	// SHA256 is the hex digest of the contents, CRLF read as LF.
	SHA256 string `json:"sha256"`
}

// ConfigKey is one DKIM key the configuration reads from a key file.
type ConfigKey struct {
	Domain   string `json:"domain"`
	Selector string `json:"selector"`
	// KeyFile is the key file relative to the configuration directory,
	// with forward slashes; empty when the file lies outside it by an
	// absolute path, which would tie the plan to one machine. It is shown,
	// not hashed: the key is identified by its public half.
	KeyFile string `json:"key_file,omitempty"`
	// PublicKeySHA256 is the hex digest of the public key in its PKIX
	// (SubjectPublicKeyInfo) DER form. The private key never enters the
	// plan, not even as a digest.
	PublicKeySHA256 string `json:"public_key_sha256"`
}

// NewConfigState hashes the configuration files (contents by path relative
// to the configuration directory) and the DKIM keys. It sorts both, so the
// order they are given in does not matter.
func NewConfigState(files map[string][]byte, keys []ConfigKey) *ConfigState {
	s := &ConfigState{Files: []ConfigFile{}, Keys: append([]ConfigKey{}, keys...)}
	for p, b := range files {
		s.Files = append(s.Files, ConfigFile{Path: p, SHA256: sha256Hex(normalizeEOL(b))})
	}
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	sort.Slice(s.Keys, func(i, j int) bool {
		a, b := s.Keys[i], s.Keys[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		return a.Selector < b.Selector
	})
	s.Hash = ConfigHash(s.Files, s.Keys)
	return s
}

// ConfigHash is the hash of a configuration: SHA-256 over one line per file
// ("file PATH DIGEST") and per key ("dkim DOMAIN SELECTOR DIGEST"), in the
// order given (NewConfigState sorts them), under a version line. Paths are
// quoted, so no name can make two configurations read alike.
func ConfigHash(files []ConfigFile, keys []ConfigKey) string {
	var b strings.Builder
	b.WriteString("mailconf configuration v1\n")
	for _, f := range files {
		fmt.Fprintf(&b, "file %q %s\n", f.Path, f.SHA256)
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "dkim %q %q %s\n", k.Domain, k.Selector, k.PublicKeySHA256)
	}
	return "sha256:" + sha256Hex([]byte(b.String()))
}

// Differences names what changed from s to cur, in words for a person:
// "mailconf.hcl changed", "extra.hcl added", "DKIM key s1 of example.com
// changed". It is empty when the hashes agree.
func (s *ConfigState) Differences(cur *ConfigState) []string {
	if s.Hash == cur.Hash {
		return nil
	}
	var out []string
	was := map[string]string{}
	for _, f := range s.Files {
		was[f.Path] = f.SHA256
	}
	now := map[string]bool{}
	for _, f := range cur.Files {
		now[f.Path] = true
		switch h, ok := was[f.Path]; {
		case !ok:
			out = append(out, f.Path+" added")
		case h != f.SHA256:
			out = append(out, f.Path+" changed")
		}
	}
	for _, f := range s.Files {
		if !now[f.Path] {
			out = append(out, f.Path+" removed")
		}
	}
	type sel struct{ domain, selector string }
	wasKey := map[sel]string{}
	for _, k := range s.Keys {
		wasKey[sel{k.Domain, k.Selector}] = k.PublicKeySHA256
	}
	nowKey := map[sel]bool{}
	for _, k := range cur.Keys {
		id := sel{k.Domain, k.Selector}
		nowKey[id] = true
		switch h, ok := wasKey[id]; {
		case !ok:
			out = append(out, fmt.Sprintf("DKIM key %s of %s added", k.Selector, k.Domain))
		case h != k.PublicKeySHA256:
			out = append(out, fmt.Sprintf("DKIM key %s of %s changed", k.Selector, k.Domain))
		}
	}
	for _, k := range s.Keys {
		if !nowKey[sel{k.Domain, k.Selector}] {
			out = append(out, fmt.Sprintf("DKIM key %s of %s removed", k.Selector, k.Domain))
		}
	}
	sort.Strings(out)
	return out
}

// ShortHash is a hash as people compare it: the algorithm and the first 12
// hex digits.
func ShortHash(h string) string {
	alg, hexDigits, ok := strings.Cut(h, ":")
	if !ok || len(hexDigits) <= 12 {
		return h
	}
	return alg + ":" + hexDigits[:12]
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// normalizeEOL reads CRLF as LF: git may check a file out either way, and
// the configuration is the same.
func normalizeEOL(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}
