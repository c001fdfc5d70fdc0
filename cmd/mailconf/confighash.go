package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// configState identifies a loaded configuration for plan files: its *.hcl
// files by path relative to the configuration directory, and the public
// halves of its DKIM keys (see plan.ConfigState). It reads nothing more
// from disk: schema.Load already holds both.
func configState(cfg *schema.Config) (*plan.ConfigState, error) {
	files := map[string][]byte{}
	for name, f := range cfg.Files {
		rel, ok := relToConfig(cfg.Dir, name, name)
		if !ok {
			// Files are globbed inside the directory, so this cannot
			// happen; an absolute path must not slip into the plan if it does.
			rel = filepath.Base(name)
		}
		files[rel] = f.Bytes
	}
	var keys []plan.ConfigKey
	for _, d := range cfg.Domains {
		for _, k := range d.DKIM {
			if k.PublicKey == nil {
				continue // a retired key without a file, or a published record: the .hcl holds it
			}
			der, err := x509.MarshalPKIXPublicKey(k.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("DKIM key %s of %s: %w", k.Selector, d.Name, err)
			}
			sum := sha256.Sum256(der)
			ck := plan.ConfigKey{Domain: d.Name, Selector: k.Selector, PublicKeySHA256: hex.EncodeToString(sum[:])}
			if rel, ok := relToConfig(cfg.Dir, k.Path, k.KeyFile.Value); ok {
				ck.KeyFile = rel
			}
			keys = append(keys, ck)
		}
	}
	return plan.NewConfigState(files, keys), nil
}

// relToConfig is path relative to the configuration directory dir, with
// forward slashes, the way a plan file names it. written is the path as
// the configuration wrote it: written relative, it is relative to dir by
// definition (schema joins it to dir), even when it climbs out of it with
// "..", and names the same file in any checkout. Written absolute, it is
// made relative only when it lies inside dir; ok is false when it does not,
// for a plan must name no absolute path.
func relToConfig(dir, path, written string) (string, bool) {
	absDir, err1 := filepath.Abs(dir)
	absPath, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(absDir, absPath)
	if err != nil {
		return "", false
	}
	outside := rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
	if filepath.IsAbs(written) && outside {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
