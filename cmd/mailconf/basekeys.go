package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/schema"
)

// baseNone turns the comparison with a previous configuration off.
const baseNone = "none"

// registerBase adds --base, the previous configuration plans compare DKIM
// key states with.
func (f *configFlags) registerBase(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.base, "base", "", "git `REF` of the previous configuration, to show DKIM key steps that change no record (default HEAD when the directory is in a git work tree; \"none\" to read them off the live zone only). A pull request's pipeline passes its base branch, such as origin/main")
}

// baseKeyStates reads the DKIM key states the configuration declared at a
// git ref: domain -> selector -> state. Key states are the one part of the
// configuration whose change shows in no record (next -> active ->
// retiring), so the plan needs the previous configuration to show them.
//
// The files at the ref are read with git and parsed, not loaded: a
// previous configuration may name key files or environment variables that
// are gone, and only the literal state attributes of domain blocks matter.
// A domain block with for_each gives its states to every instance.
//
// With no ref given, HEAD is used when the directory is in a git work tree
// and nothing is compared otherwise (nil, nil); an explicit ref that git
// cannot read is an error.
func baseKeyStates(ctx context.Context, cfg *schema.Config, dir, ref string) (map[string]map[string]string, error) {
	explicit := ref != ""
	if ref == baseNone {
		return nil, nil
	}
	if !explicit {
		ref = "HEAD"
	}
	git := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), firstLine(msg))
			}
			return nil, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return out, nil
	}
	prefix, err := git("rev-parse", "--show-prefix")
	if err != nil {
		if explicit {
			return nil, fmt.Errorf("--base %s: %v", ref, err)
		}
		return nil, nil
	}
	if _, err := git("rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		if explicit {
			return nil, fmt.Errorf("--base %s: not a commit git knows here; fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin main)", ref)
		}
		return nil, nil // a repository without commits yet
	}
	tree := ref + ":" + strings.TrimSpace(string(prefix))
	names, err := git("ls-tree", "--full-tree", "--name-only", tree)
	if err != nil {
		return map[string]map[string]string{}, nil // the directory is new since ref
	}
	byLabel := map[string]map[string]string{}
	for _, name := range strings.Split(strings.TrimSpace(string(names)), "\n") {
		if !strings.HasSuffix(name, ".hcl") {
			continue
		}
		src, err := git("show", tree+name)
		if err != nil {
			return nil, err
		}
		keyStatesOf(src, name, byLabel)
	}
	// The working tree's files say which block each domain comes from.
	current := map[string]string{} // "file:line" of a domain block -> its label
	for _, path := range configFiles(cfg) {
		src, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, b := range domainBlocks(src, path) {
			current[blockPos(b.DefRange())] = b.Labels[0]
		}
	}
	out := map[string]map[string]string{}
	for _, d := range cfg.Domains {
		if states, ok := byLabel[current[blockPos(d.DeclRange)]]; ok {
			out[d.Name] = states
		}
	}
	return out, nil
}

// keyStatesOf adds the key states of the domain blocks of one file, by
// domain block label.
func keyStatesOf(src []byte, filename string, byLabel map[string]map[string]string) {
	for _, b := range domainBlocks(src, filename) {
		states := map[string]string{}
		for _, k := range b.Body.Blocks {
			if k.Type != "dkim" || len(k.Labels) != 1 {
				continue
			}
			state := schema.DKIMActive
			if a, ok := k.Body.Attributes["state"]; ok {
				v, diags := a.Expr.Value(nil)
				if diags.HasErrors() || !v.Type().Equals(cty.String) || v.IsNull() {
					continue // not a literal: unknown
				}
				state = v.AsString()
			}
			states[strings.ToLower(k.Labels[0])] = state
		}
		byLabel[b.Labels[0]] = states
	}
}

func domainBlocks(src []byte, filename string) []*hclsyntax.Block {
	if schema.CheckNesting(src, filename).HasErrors() {
		return nil
	}
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil
	}
	var out []*hclsyntax.Block
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "domain" && len(b.Labels) == 1 {
			out = append(out, b)
		}
	}
	return out
}

func blockPos(r hcl.Range) string {
	abs, err := filepath.Abs(r.Filename)
	if err != nil {
		abs = r.Filename
	}
	return fmt.Sprintf("%s:%d", abs, r.Start.Line)
}

// configFiles are the files the domains of cfg were declared in.
func configFiles(cfg *schema.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range cfg.Domains {
		if f := d.DeclRange.Filename; f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
