package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/internal/hcledit"
	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/mailauth/spf"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// dkimRandom is the entropy source of the keys keygen makes; nil means
// crypto/rand. Tests set it to make Ed25519 keys reproducible. crypto/rsa
// ignores it since Go 1.26 (see dkim.GenerateKey), so RSA keys are always
// fresh.
var dkimRandom io.Reader

// writeConfigFile replaces a configuration file atomically; tests make it
// fail to see the key taken back.
var writeConfigFile = hcledit.WriteFileAtomic

// keygenAlgorithms are the keys keygen makes, the default first, with what
// to know when choosing one.
var keygenAlgorithms = []struct{ name, help string }{
	{dkim.AlgorithmRSA2048, "RSA, 2048 bits: RFC 8301's recommendation, verified by every receiver"},
	{dkim.AlgorithmRSA3072, "RSA, 3072 bits: stronger, a longer record"},
	{dkim.AlgorithmEd25519, "Ed25519 (RFC 8463): small and fast, not verified by every receiver"},
}

// keygenStates are the states a new key may start in.
var keygenStates = []struct{ name, help string }{
	{schema.DKIMNext, "published, never used to sign: the first step of a rotation"},
	{schema.DKIMActive, "published and used by the relay to sign"},
}

// keyDir is where keygen puts key files, relative to the configuration
// directory: keys/DOMAIN/SELECTOR.pem, as the examples lay them out.
const keyDir = "keys"

func newDKIMKeygenCmd(e *env) *cobra.Command {
	var (
		cf                       configFlags
		algorithm, state, format string
		write                    bool
	)
	cmd := &cobra.Command{
		Use:   "keygen DOMAIN SELECTOR",
		Short: "Generate a DKIM key for a domain and the dkim block that declares it",
		Long: `keygen generates a DKIM private key for DOMAIN, a domain the configuration
declares, under SELECTOR, a selector the domain does not use yet (RFC 6376
section 3.1: dot-separated labels of letters, digits and hyphens). It writes
the key as a PKCS #8 PEM file to keys/DOMAIN/SELECTOR.pem in the
configuration directory, with mode 0600 and in directories it creates with
mode 0700, and never replaces a file that exists. It prints the dkim block
that declares the key, with created set to now (rotate --due and lint
measure the key's age from it), and the DNS record the key publishes. The
private key itself is never printed.

--algorithm is rsa-2048 (the default: RFC 8301's recommendation, verified
by every receiver), rsa-3072, or ed25519 (RFC 8463: small and fast, but not
every receiver verifies it, so sign with an RSA key beside it).

--state is the state the block gives the key. By default, a domain that has
an active or next key already gets a next key: published but never used to
sign, the first step of a rotation (apply, wait at least the record's TTL,
then make it active and the old key retiring). A domain without one gets an
active key, which the relay signs with: publish it (mailconf apply) before
mail goes through the relay.

--write adds the block at the end of the domain's block, in the file that
declares it, and replaces that file atomically. Comments and every other
block and attribute stay as written; only whitespace is put in canonical
layout, as terraform fmt would (keygen says when that changed anything). A
domain declared by a for_each block is refused: that block declares every
domain of its set alike, so the key is added by hand; the message says how.

Exit codes: 0 the key was written, 1 refused or failed; nothing is written
then.`,
		Example: `  mailconf dkim keygen example.com s2027a
  mailconf dkim keygen example.com s2027e --algorithm ed25519 --write
  mailconf dkim keygen -c config example.com s2027a --format json | jq -r .record.value`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeDomains(e, cf.dir, toComplete), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkKeygenFlags(algorithm, state, format); err != nil {
				return err
			}
			r, err := dkimKeygen(e, &cf, args[0], args[1], algorithm, state, write)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeKeygenJSON(e.stdout, r)
			}
			return writeKeygenText(e.stdout, r)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&algorithm, "algorithm", dkim.AlgorithmRSA2048, "key `ALGORITHM`: rsa-2048, rsa-3072 or ed25519")
	cmd.Flags().StringVar(&state, "state", "", "`STATE` of the new key: next or active (default: next when the domain has an active or next key, else active)")
	cmd.Flags().BoolVar(&write, "write", false, "add the dkim block to the file that declares the domain")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text or json")
	_ = cmd.RegisterFlagCompletionFunc("algorithm", completeAlgorithms)
	_ = cmd.RegisterFlagCompletionFunc("state", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, s := range keygenStates {
			out = append(out, s.name+"\t"+s.help)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// completeAlgorithms offers the key algorithms keygen and rotate make.
func completeAlgorithms(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, a := range keygenAlgorithms {
		out = append(out, a.name+"\t"+a.help)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeDomains offers the configuration's domains that start with what
// was typed. A configuration with errors still offers the domains it
// declares; nothing is printed.
func completeDomains(e *env, dir, toComplete string) []string {
	cfg, _ := schema.Load(dir, schema.Options{LookupEnv: e.lookupEnv})
	if cfg == nil {
		return nil
	}
	var out []string
	for _, d := range cfg.Domains {
		if strings.HasPrefix(d.Name, strings.ToLower(toComplete)) {
			out = append(out, d.Name)
		}
	}
	return out
}

func checkKeygenFlags(algorithm, state, format string) error {
	var algs []string
	ok := false
	for _, a := range keygenAlgorithms {
		algs = append(algs, a.name)
		ok = ok || a.name == algorithm
	}
	if !ok {
		return fmt.Errorf("--algorithm must be %s or %s, not %q", strings.Join(algs[:len(algs)-1], ", "), algs[len(algs)-1], algorithm)
	}
	if state != "" && state != schema.DKIMNext && state != schema.DKIMActive {
		return fmt.Errorf("--state must be next or active, not %q: a new key starts published (next) or signing (active)", state)
	}
	if format != "text" && format != "json" {
		return fmt.Errorf("--format must be text or json, not %q", format)
	}
	return nil
}

// keygenResult is what keygen did, for the views.
type keygenResult struct {
	domain    *schema.Domain
	selector  string
	algorithm string
	state     string
	// keyFile is the key_file value, relative to the configuration
	// directory; path is where the key was written.
	keyFile, path string
	// block is the dkim block that declares the key.
	block []byte
	// configFile is the file that declares the domain; written: --write
	// added block to it.
	configFile string
	written    bool
	// relaid: the file was not in canonical layout, and writing it put
	// all of it in that layout.
	relaid bool
	// forEachBlock is, for a domain declared by for_each, the block to add
	// to the for_each block to give every domain of its set this selector.
	forEachBlock []byte
	record       *plan.RecordSet
}

// dkimKeygen checks everything, then writes the key and, with write, the
// configuration. Nothing is written when a check fails.
func dkimKeygen(e *env, cf *configFlags, domainArg, selectorArg, algorithm, state string, write bool) (*keygenResult, error) {
	selector := strings.ToLower(selectorArg)
	if err := dkim.ValidSelector(selector); err != nil {
		return nil, fmt.Errorf("%s. A selector is dot-separated labels of letters, digits and hyphens (RFC 6376 section 3.1), such as \"s2027a\"", err)
	}
	name, bad := schema.NormalizeDomain(domainArg)
	if bad != "" {
		return nil, fmt.Errorf("%q %s", domainArg, bad)
	}
	cfg, desired, err := cf.load(e)
	if err != nil {
		return nil, err
	}
	d, err := keygenDomain(cfg, name, domainArg)
	if err != nil {
		return nil, err
	}
	if err := checkSelectorFree(d, desired, selector); err != nil {
		return nil, err
	}
	if state == "" {
		state = defaultKeyState(d)
	}
	r := &keygenResult{
		domain:     d,
		selector:   selector,
		algorithm:  algorithm,
		state:      state,
		keyFile:    path.Join(keyDir, d.Name, selector+".pem"),
		configFile: d.DeclRange.Filename,
	}
	r.path = filepath.Join(cfg.Dir, filepath.FromSlash(r.keyFile))
	if _, err := os.Lstat(r.path); err == nil {
		return nil, keyExistsErr(r.path)
	}
	// created records when the key was made, which rotate --due and lint
	// measure its age from.
	created := timestamp(e.now())
	attrs := func(keyFile hcledit.Attr) []hcledit.Attr {
		return []hcledit.Attr{
			{Name: "algorithm", Value: cty.StringVal(algorithm)},
			keyFile,
			{Name: "state", Value: cty.StringVal(state)},
			{Name: "created", Value: cty.StringVal(created)},
		}
	}
	r.block, err = hcledit.BlockText("dkim", []string{selector}, attrs(hcledit.Attr{Name: "key_file", Value: cty.StringVal(r.keyFile)})...)
	if err != nil {
		return nil, err
	}
	if d.EachKey != "" {
		// The key file of each domain of the set, as keygen lays them out.
		tmpl := fmt.Sprintf(`"%s/${each.key}/%s.pem"`, keyDir, selector)
		r.forEachBlock, err = hcledit.BlockText("dkim", []string{selector}, attrs(hcledit.Attr{Name: "key_file", Expr: tmpl})...)
		if err != nil {
			return nil, err
		}
	}
	var edited []byte
	if write {
		if d.EachKey != "" {
			return nil, errors.New(forEachRefusal(r))
		}
		// The edit is made in memory first, so that a file that cannot
		// be edited stops keygen before the key is written.
		edited, r.relaid, err = addDKIMBlock(cfg, d, selector, attrs(hcledit.Attr{Name: "key_file", Value: cty.StringVal(r.keyFile)}))
		if err != nil {
			return nil, err
		}
	}

	key, err := dkim.GenerateKey(algorithm, dkimRandom)
	if err != nil {
		return nil, err
	}
	rec, err := dkim.PublicKeyRecord(key.Public())
	if err != nil {
		return nil, err
	}
	pemData, err := dkim.MarshalPrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	err = writeKeyFile(r.path, pemData)
	clear(pemData)
	if errors.Is(err, fs.ErrExist) {
		return nil, keyExistsErr(r.path)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the key file: %w", err)
	}
	if write {
		if err := writeConfigFile(r.configFile, edited, 0o644); err != nil {
			// The key is of no use without its block: take it back, so
			// that running keygen again starts from where it started.
			if rmErr := os.Remove(r.path); rmErr != nil {
				return nil, fmt.Errorf("%w; the new key file %s stays, remove it before running keygen again", err, r.path)
			}
			return nil, fmt.Errorf("%w; the new key file was removed again, nothing changed", err)
		}
		r.written = true
	}
	r.record = &plan.RecordSet{Name: dkim.Name(selector, d.Name), Type: plan.TypeTXT, TTL: d.TTL, Values: []string{rec.String()}, Source: "dkim " + selector}
	return r, nil
}

// at names where a range of the configuration starts, as file:line.
func at(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

func keyExistsErr(path string) error {
	return fmt.Errorf("%s already exists; keygen never replaces a key file. Choose another selector, or move the file away if nothing uses it", path)
}

// keygenDomain finds the domain name in the configuration.
func keygenDomain(cfg *schema.Config, name, given string) (*schema.Domain, error) {
	var names []string
	for _, d := range cfg.Domains {
		if d.Name == name {
			if d.Parked {
				return nil, fmt.Errorf("domain %s is parked (parked = true at %s): it sends no mail, so it has no DKIM key to sign with. Remove parked first", d.Name, at(d.ParkedRange))
			}
			return d, nil
		}
		names = append(names, d.Name)
	}
	msg := fmt.Sprintf("domain %q is not declared in the configuration %s.", given, cfg.Dir)
	if s := closest(name, names); s != "" {
		msg += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(names) > 0 && len(names) <= 10 {
		msg += " It declares " + strings.Join(names, ", ") + "."
	}
	return nil, errors.New(msg + " A key is made for a declared domain: add its domain block first")
}

// closest returns the name nearest to given, if it is near enough to be a
// typing mistake.
func closest(given string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(given, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// checkSelectorFree refuses a selector the domain declares or one of its
// senders publishes: the name SELECTOR._domainkey.DOMAIN is taken, and a new
// key needs a name of its own, so that mail signed with the old key still
// verifies.
func checkSelectorFree(d *schema.Domain, desired *plan.Desired, selector string) error {
	for _, k := range d.DKIM {
		if k.Selector == selector {
			return fmt.Errorf("selector %q is already declared for %s at %s. A new key needs a new selector, so that mail signed with the old key still verifies; choose another", selector, d.Name, at(k.DeclRange))
		}
	}
	name := dkim.Name(selector, d.Name)
	if dr := desired.Domain(d.Name); dr != nil {
		for _, rs := range dr.Sets {
			if rs.Name == name {
				return fmt.Errorf("selector %q of %s is already used by %s, which publishes %s %s; choose another selector", selector, d.Name, rs.Source, name, rs.Type)
			}
		}
	}
	return nil
}

// defaultKeyState is the state of a new key when --state is not given: a
// domain that has a key signing or about to sign is rotating, and a new key
// starts as next; for a domain with none, the new key is the one to sign
// with.
func defaultKeyState(d *schema.Domain) string {
	for _, k := range d.DKIM {
		if s := k.StateOr(); s == schema.DKIMActive || s == schema.DKIMNext {
			return schema.DKIMNext
		}
	}
	return schema.DKIMActive
}

// forEachRefusal explains why --write cannot add the key of a domain
// declared by for_each, and what to write by hand.
func forEachRefusal(r *keygenResult) string {
	d := r.domain
	return fmt.Sprintf(`--write cannot add a key for %s alone: the domain is declared by the for_each block at %s, which declares every domain of its set alike. Nothing was written. Run keygen without --write, then either
  - give every domain of the set this selector: run mailconf dkim keygen DOMAIN %s for each of them, then add to the for_each block
%s  - or move %s out of the set into a domain "%s" block of its own and add the block keygen prints there`,
		d.Name, at(d.DeclRange), r.selector, indent(r.forEachBlock, "      "), d.Name, d.Name)
}

// addDKIMBlock returns the file that declares d with the dkim block added,
// and whether the rest of the file changed layout too: hclwrite writes the
// whole file in canonical layout.
func addDKIMBlock(cfg *schema.Config, d *schema.Domain, selector string, attrs []hcledit.Attr) ([]byte, bool, error) {
	file := d.DeclRange.Filename
	src, err := regfile.Read(file, regfile.ConfigLimit)
	if err != nil {
		return nil, false, err
	}
	// The configuration was checked as it was read a moment ago; a file
	// changed since is not edited blind.
	if parsed := cfg.Files[file]; parsed == nil || !bytes.Equal(parsed.Bytes, src) {
		return nil, false, fmt.Errorf("%s changed while keygen ran; run it again", file)
	}
	f, err := hcledit.Parse(src, file)
	if err != nil {
		return nil, false, err
	}
	relaid := !bytes.Equal(hclwrite.Format(src), src)
	// The label is matched as the configuration reads it: in any case,
	// with a final dot, as Unicode. A for_each block's label names no
	// domain.
	found := hcledit.FindBlocks(f.Body(), "domain", func(labels []string) bool {
		if len(labels) != 1 {
			return false
		}
		n, bad := schema.NormalizeDomain(labels[0])
		return bad == "" && n == d.Name
	})
	found = slices.DeleteFunc(found, func(b *hclwrite.Block) bool { return b.Body().GetAttribute("for_each") != nil })
	if len(found) != 1 {
		return nil, false, fmt.Errorf("found %d domain %q blocks in %s where the configuration has one; add the block by hand", len(found), d.Name, file)
	}
	if _, err := hcledit.AppendBlock(found[0].Body(), "dkim", []string{selector}, attrs...); err != nil {
		return nil, false, err
	}
	out := f.Bytes()
	if _, err := hcledit.Parse(out, file); err != nil {
		return nil, false, fmt.Errorf("the edited %s would not parse, so it was not written (%w); add the block by hand", file, err)
	}
	return out, relaid, nil
}

// writeKeyFile creates the file path holding data, readable by its owner
// only (mode 0600), creating the directories it needs with mode 0700. It
// never replaces anything: a file or symbolic link at path is an error
// that wraps fs.ErrExist. A file it could not write whole is removed.
func writeKeyFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	hcledit.SyncDir(dir)
	return nil
}

// timestamp writes t as the key history attributes hold it: RFC 3339 in
// UTC, to the second.
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func indent(text []byte, prefix string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(text), "\n") {
		if line != "" {
			b.WriteString(prefix + line)
		}
	}
	return b.String()
}

func algorithmName(alg string) string {
	switch alg {
	case dkim.AlgorithmEd25519:
		return "an Ed25519 key"
	case dkim.AlgorithmRSA3072:
		return "a 3072-bit RSA key"
	default:
		return "a 2048-bit RSA key"
	}
}

func writeKeygenText(w io.Writer, r *keygenResult) error {
	bw := &errWriter{w: w}
	d := r.domain
	bw.printf("Generated %s for %s, selector %s.\n", algorithmName(r.algorithm), d.Name, r.selector)
	bw.printf("Private key: %s (mode 0600; keep it secret and out of version control)\n\n", r.path)
	switch {
	case r.written:
		bw.printf("Added to domain %q in %s:\n\n", d.Name, r.configFile)
	case d.EachKey != "":
		bw.printf("%s is declared by the for_each block at %s, which declares every domain of its set alike.\n", d.Name, at(d.DeclRange))
		bw.printf("To give every domain of the set this selector, run keygen for each of them and add to that block:\n\n%s\n", indent(r.forEachBlock, "  "))
		bw.printf("To give it to %s alone, move the domain out of the set into a domain %q block of its own and add:\n\n", d.Name, d.Name)
	default:
		bw.printf("Add this block to domain %q in %s:\n\n", d.Name, r.configFile)
	}
	bw.printf("%s\n", indent(r.block, "  "))
	bw.printf("The key's DNS record:\n\n")
	if bw.err != nil {
		return bw.err
	}
	list, err := rrs(r.record)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	for _, rr := range list {
		h := rr.Header()
		fmt.Fprintf(tw, "  %s\t%d\tIN\tTXT\t%s\n", h.Name, h.Ttl, strings.TrimPrefix(rr.String(), h.String()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	bw.printf("\n")
	if r.state == schema.DKIMNext {
		bw.printf("The key is next: published, never used to sign. Once mailconf apply has published it and its TTL (%d s) has passed, set state = \"active\" on it and \"retiring\" on the key it replaces.\n", d.TTL)
	} else {
		bw.printf("The key is active: the relay signs with it. Publish it with mailconf apply before mail goes through the relay, or receivers find no key and the signatures fail.\n")
	}
	if r.relaid {
		bw.printf("The rest of %s was not in canonical layout; writing it put it in that layout too (whitespace only).\n", r.configFile)
	}
	if r.written {
		bw.printf("mailconf plan shows the new record.\n")
	}
	return bw.err
}

type keygenJSON struct {
	Domain    string `json:"domain"`
	Selector  string `json:"selector"`
	Algorithm string `json:"algorithm"`
	State     string `json:"state"`
	// Path is the private key file written; KeyFile the block's key_file,
	// relative to the configuration directory.
	Path    string `json:"path"`
	KeyFile string `json:"key_file"`
	HCL     string `json:"hcl"`
	// ConfigFile declares the domain; Written: --write added HCL to it.
	ConfigFile string `json:"config_file"`
	Written    bool   `json:"written"`
	// Relaid: writing changed the whitespace of the rest of ConfigFile,
	// which was not in canonical layout.
	Relaid bool `json:"relaid,omitempty"`
	// ForEach is set for a domain declared by for_each: ForEachHCL is the
	// block that gives every domain of the set the selector.
	ForEach    bool             `json:"for_each,omitempty"`
	ForEachHCL string           `json:"for_each_hcl,omitempty"`
	Record     keygenRecordJSON `json:"record"`
}

type keygenRecordJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	TTL   uint32 `json:"ttl"`
	Value string `json:"value"`
	// Strings are the value as published: character-strings of at most
	// 255 octets.
	Strings []string `json:"strings"`
}

func writeKeygenJSON(w io.Writer, r *keygenResult) error {
	v := r.record.Values[0]
	out := keygenJSON{
		Domain:     r.domain.Name,
		Selector:   r.selector,
		Algorithm:  r.algorithm,
		State:      r.state,
		Path:       r.path,
		KeyFile:    r.keyFile,
		HCL:        string(r.block),
		ConfigFile: r.configFile,
		Written:    r.written,
		Relaid:     r.relaid,
		ForEach:    r.domain.EachKey != "",
		ForEachHCL: string(r.forEachBlock),
		Record: keygenRecordJSON{
			Name:    r.record.Name + ".",
			Type:    r.record.Type,
			TTL:     r.record.TTL,
			Value:   v,
			Strings: spf.Split(v),
		},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
