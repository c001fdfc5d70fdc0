package spf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	// The module of the suite is needed for its test data only; importing
	// its package keeps go mod tidy from dropping the requirement.
	_ "blitiri.com.ar/go/spf"
	"go.yaml.in/yaml/v3"
)

// suiteModule is the module that ships the RFC 7208 test suite (the
// openspf.org suite, release 2014.04) as testdata/rfc7208-tests.yml.
const suiteModule = "blitiri.com.ar/go/spf"

// suiteDoc is one YAML document of the suite: a group of test cases and the
// DNS data they run against.
type suiteDoc struct {
	Description string
	Tests       map[string]suiteCase
	ZoneData    map[string][]map[string]yaml.Node `yaml:"zonedata"`
}

// suiteCase is one check_host() evaluation and its expected results (any of
// them is compliant).
type suiteCase struct {
	Spec     stringList
	Helo     string
	MailFrom string `yaml:"mailfrom"`
	Result   stringList
}

// stringList decodes a YAML scalar or a sequence of scalars.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// domain is the domain the case evaluates: the mailfrom domain, or the HELO
// name when mailfrom is empty (RFC 7208 section 2.3 and 2.4).
func (c suiteCase) domain() string {
	if c.MailFrom == "" {
		return key(c.Helo)
	}
	_, d, _ := strings.Cut(c.MailFrom, "@")
	return key(d)
}

func (c suiteCase) expects(result string) bool { return slices.Contains(c.Result, result) }

// suiteZone turns the zonedata of a document into the fake resolver's data.
// The suite writes most policies as type SPF records and expects a driver
// for RFC 7208, which looks up TXT only, to serve them as TXT: a name's SPF
// records stand in for its TXT records when it has none ("TXT: NONE" means
// none at all). TIMEOUT, SERVFAIL and CNAMELOOP make every lookup fail.
func suiteZone(t *testing.T, data map[string][]map[string]yaml.Node) zone {
	t.Helper()
	z := zone{txt: map[string][]string{}, mx: map[string][]string{}, ip: map[string][]string{}}
	for name, entries := range data {
		name = key(name)
		var spf, txt []string
		hasTXT := false
		type mx struct {
			pref int
			host string
		}
		var mxs []mx
		for _, e := range entries {
			for typ, v := range e {
				switch typ {
				case "SPF", "TXT":
					var s stringList
					if err := v.Decode(&s); err != nil {
						t.Fatalf("%s %s: %v", name, typ, err)
					}
					text := strings.Join(s, "")
					if typ == "SPF" {
						spf = append(spf, text)
						continue
					}
					hasTXT = true
					if text != "NONE" {
						txt = append(txt, text)
					}
				case "A", "AAAA":
					var s stringList
					if err := v.Decode(&s); err != nil {
						t.Fatalf("%s %s: %v", name, typ, err)
					}
					z.ip[name] = append(z.ip[name], s...)
				case "MX":
					if len(v.Content) != 2 {
						t.Fatalf("%s MX: want [preference, host]", name)
					}
					pref, err := strconv.Atoi(v.Content[0].Value)
					if err != nil {
						t.Fatalf("%s MX: %v", name, err)
					}
					mxs = append(mxs, mx{pref, v.Content[1].Value})
				case "TIMEOUT", "SERVFAIL", "CNAMELOOP":
					z.fail = append(z.fail, name)
				}
			}
		}
		if hasTXT {
			z.txt[name] = txt
		} else if len(spf) > 0 {
			z.txt[name] = spf
		}
		sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].pref < mxs[j].pref })
		for _, m := range mxs {
			z.mx[name] = append(z.mx[name], m.host)
		}
	}
	return z
}

// loadSuite finds the suite in the module cache through the go command and
// decodes its documents.
func loadSuite(t *testing.T) []suiteDoc {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not available to locate module %s: %v", suiteModule, err)
	}
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", suiteModule).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		t.Fatalf("go list -m %s: %v (is it in go.mod?)", suiteModule, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatalf("module %s is not downloaded; run go mod download %s", suiteModule, suiteModule)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "testdata", "rfc7208-tests.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []suiteDoc
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var d suiteDoc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rfc7208-tests.yml: %v", err)
		}
		docs = append(docs, d)
	}
	if len(docs) < 10 {
		t.Fatalf("rfc7208-tests.yml holds %d documents; the suite has 15", len(docs))
	}
	return docs
}

// reaches returns the names whose SPF records an evaluation starting at
// domain may fetch, following include and redirect through the records that
// parse. Macros are not expanded, except for %{d} standing alone.
func reaches(z zone, domain string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{domain}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		for _, text := range z.txt[name] {
			if !IsRecord(text) {
				continue
			}
			rec, err := Parse(text)
			if err != nil {
				continue
			}
			for _, term := range rec.Terms {
				spec := ""
				switch term := term.(type) {
				case *Mechanism:
					if term.Kind == Include {
						spec = term.Domain
					}
				case *Modifier:
					if term.Name == redirectName {
						spec = term.Value
					}
				}
				spec = strings.ReplaceAll(spec, "%{d}", name)
				if spec != "" && !hasExpansion(spec) {
					queue = append(queue, key(spec))
				}
			}
		}
	}
	return seen
}

// TestRFC7208Suite runs mailconf's model against the RFC 7208 test suite.
//
// Syntax: every SPF record of the zone data that the suite treats as valid
// must parse and round-trip. A record counts as treated as invalid when some
// case expecting permerror evaluates it (its name is reachable from the
// case's domain through include and redirect).
//
// Limits: every case of RFC 7208 section 4.6.4 that expects permerror must
// be an error of Analyze, and no case of that section that does not expect
// permerror may exceed the void-lookup limit. (The lookup limit cannot be
// checked that way: "include-at-limit" passes only because its client
// matches before the eleventh lookup, while Analyze counts the worst case.)
func TestRFC7208Suite(t *testing.T) {
	limitCodes := []string{codeTooManyLookups, codeTooManyVoidLookups, codeMXTooManyHosts, codeIncludeLoop}
	parsed, excused, limitCases := 0, 0, 0
	for _, doc := range loadSuite(t) {
		z := suiteZone(t, doc.ZoneData)
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range z.txt {
				if !yield(n) {
					return
				}
			}
		})
		// Names whose records a permerror case evaluates.
		permerror := map[string]bool{}
		for _, c := range doc.Tests {
			if c.expects("permerror") {
				for n := range reaches(z, c.domain()) {
					permerror[n] = true
				}
			}
		}
		for _, name := range names {
			for _, text := range z.txt[name] {
				if !IsRecord(text) {
					continue
				}
				rec, err := Parse(text)
				if err != nil {
					if !permerror[name] {
						t.Errorf("%s: %s %q: the suite treats it as valid, but Parse fails: %v", doc.Description, name, text, err)
					}
					excused++
					continue
				}
				parsed++
				again, err := Parse(rec.String())
				if err != nil {
					t.Errorf("%s: %s %q: String %q does not parse: %v", doc.Description, name, text, rec.String(), err)
					continue
				}
				if again.String() != rec.String() {
					t.Errorf("%s: %s %q: round trip changed %q into %q", doc.Description, name, text, rec.String(), again.String())
				}
			}
		}

		caseNames := slices.Sorted(func(yield func(string) bool) {
			for n := range doc.Tests {
				if !yield(n) {
					return
				}
			}
		})
		for _, cn := range caseNames {
			c := doc.Tests[cn]
			if !slices.ContainsFunc(c.Spec, func(s string) bool { return strings.Contains(s, "4.6.4") }) {
				continue
			}
			limitCases++
			a := Analyze(context.Background(), z, c.domain(), nil)
			var codes []string
			for _, p := range a.Problems {
				if p.Severity == Error {
					codes = append(codes, p.Code)
				}
			}
			limitError := slices.ContainsFunc(codes, func(code string) bool { return slices.Contains(limitCodes, code) })
			switch {
			case len(c.Result) == 1 && c.expects("permerror") && !limitError:
				t.Errorf("%s (%s): the suite expects permerror, but Analyze reports no limit error (errors %v):\n%s",
					cn, c.domain(), codes, a.Explain())
			case !c.expects("permerror") && slices.Contains(codes, codeTooManyVoidLookups):
				t.Errorf("%s (%s): the suite expects %v, but Analyze counts %d void lookups:\n%s",
					cn, c.domain(), c.Result, a.VoidLookups, a.Explain())
			}
		}
	}
	t.Logf("%d records parsed and round-tripped, %d refused as the suite expects; %d cases of section 4.6.4 checked", parsed, excused, limitCases)
	if parsed < 100 || limitCases < 10 {
		t.Errorf("too few records (%d) or limit cases (%d) found: is the suite file complete?", parsed, limitCases)
	}
}
