package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mailconf/mailconf/resolve/dnstest"
)

// The pipeline examples of examples/ci, checked offline: each parses, and
// every mailconf command line in it names commands and flags that exist
// and runs, in-process, against a copy of the quickstart.
var ciWorkflows = []struct {
	path string
	// scripts returns the shell scripts of the file, by where they are.
	scripts func(t *testing.T, doc map[string]any) map[string]string
}{
	{"examples/ci/github/mailconf.yml", githubScripts},
	{"examples/ci/gitlab/.gitlab-ci.yml", gitlabScripts},
}

// loadYAML reads a file of the repository, by its path from the root.
func loadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ciRepoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return doc
}

// githubScripts returns the run: scripts of every step. A step that uses an
// action runs no shell (github-script's script is JavaScript).
func githubScripts(t *testing.T, doc map[string]any) map[string]string {
	t.Helper()
	jobs, _ := doc["jobs"].(map[string]any)
	if len(jobs) == 0 {
		t.Fatal("no jobs")
	}
	out := map[string]string{}
	for name, j := range jobs {
		job, _ := j.(map[string]any)
		steps, _ := job["steps"].([]any)
		if len(steps) == 0 {
			t.Errorf("job %s has no steps", name)
		}
		for i, s := range steps {
			step, _ := s.(map[string]any)
			if run, ok := step["run"].(string); ok {
				where := fmt.Sprintf("jobs.%s.steps[%d]", name, i)
				// An expression in a script is pasted into it before the
				// shell runs: values go through env: instead.
				if strings.Contains(run, "${{") {
					t.Errorf("%s: the script expands ${{ }} itself; pass the value through env:", where)
				}
				out[where] = run
			}
		}
	}
	return out
}

// gitlabScripts returns the before_script, script and after_script of every
// job (and of default:), each item a script.
func gitlabScripts(t *testing.T, doc map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, j := range doc {
		job, ok := j.(map[string]any)
		if !ok {
			continue
		}
		for _, key := range []string{"before_script", "script", "after_script"} {
			switch v := job[key].(type) {
			case string:
				out[name+"."+key] = v
			case []any:
				for i, item := range v {
					s, ok := item.(string)
					if !ok {
						t.Errorf("%s.%s[%d] is not a string", name, key, i)
					}
					out[fmt.Sprintf("%s.%s[%d]", name, key, i)] = s
				}
			}
		}
	}
	return out
}

// shellCommand is one simple command of a script, after expansion.
type shellCommand struct {
	where string
	words []string
	// vars are the variables it expands.
	vars []string
}

func (c shellCommand) String() string { return strings.Join(c.words, " ") }

// shellCommands splits a script into simple commands, the way sh would for
// the little shell the examples use: quotes, $VAR and ${VAR}, comments,
// backslash-newline, the separators ; && || | and newline, and redirections,
// which it drops with their targets. Variables expand through vars; one
// that is not there stays as it was written, so a test can see it.
func shellCommands(where, script string, vars map[string]string) []shellCommand {
	var out []shellCommand
	var cur shellCommand
	var word strings.Builder
	var wordVars []string
	inWord, redirect := false, false
	endWord := func() {
		if !inWord {
			return
		}
		if redirect {
			redirect = false
		} else {
			cur.words = append(cur.words, word.String())
			cur.vars = append(cur.vars, wordVars...)
		}
		word.Reset()
		wordVars = nil
		inWord = false
	}
	endCommand := func() {
		endWord()
		if len(cur.words) > 0 {
			cur.where = where
			out = append(out, cur)
		}
		cur = shellCommand{}
	}
	expand := func(s string, i int) (string, int) {
		// s[i] is '$'.
		j := i + 1
		braced := j < len(s) && s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		if k == j {
			return "$", i + 1 // $? and the like stay as written
		}
		name := s[j:k]
		if braced {
			if k < len(s) && s[k] == '}' {
				k++
			}
		}
		wordVars = append(wordVars, name)
		if v, ok := vars[name]; ok {
			return v, k
		}
		return s[i:k], k
	}
	s := script
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2
		case c == '\\' && i+1 < len(s):
			word.WriteByte(s[i+1])
			inWord = true
			i += 2
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t':
			endWord()
			i++
		case c == '\n' || c == ';' || c == '|' || c == '&' && i+1 < len(s) && s[i+1] == '&':
			endCommand()
			i++
			if i < len(s) && (s[i] == '|' || s[i] == '&') && (c == '|' || c == '&') {
				i++
			}
		case c == '>' || c == '<':
			// A redirection: an fd number before it is not a word, and
			// neither is its target.
			if inWord && strings.Trim(word.String(), "0123456789") == "" {
				word.Reset()
				wordVars = nil
				inWord = false
			}
			endWord()
			i++
			for i < len(s) && s[i] == '>' {
				i++
			}
			if i < len(s) && s[i] == '&' {
				i++
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					i++
				}
				continue
			}
			redirect = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 2
		case c == '"':
			inWord = true
			i++
			for i < len(s) && s[i] != '"' {
				switch {
				case s[i] == '\\' && i+1 < len(s):
					word.WriteByte(s[i+1])
					i += 2
				case s[i] == '$':
					v, next := expand(s, i)
					word.WriteString(v)
					i = next
				default:
					word.WriteByte(s[i])
					i++
				}
			}
			i++
		case c == '$':
			v, next := expand(s, i)
			word.WriteString(v)
			inWord = true
			i = next
		default:
			word.WriteByte(c)
			inWord = true
			i++
		}
	}
	endCommand()
	return out
}

func TestShellCommands(t *testing.T) {
	script := `set +e
mailconf plan -c "$DIR" -out mailconf.plan \
  --format markdown > plan.md 2>&1 || code=$?
echo "mailconf apply" ; mailconf drift --notify "${URL}" | tee x # trailing
if [ -n "$X" ]; then printf '%s' "$X" | base64 -d; fi`
	var got []string
	for _, c := range shellCommands("test", script, map[string]string{"DIR": "/cfg", "URL": "http://127.0.0.1:1/"}) {
		got = append(got, c.String())
	}
	want := []string{
		"set +e",
		"mailconf plan -c /cfg -out mailconf.plan --format markdown",
		"code=$?",
		"echo mailconf apply",
		"mailconf drift --notify http://127.0.0.1:1/",
		"tee x",
		"if [ -n $X ]",
		"then printf %s $X",
		"base64 -d",
		"fi",
	}
	if !slices.Equal(want, got) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// ciVars are the variables the examples' mailconf lines may expand, with
// the values a test gives them: the configuration directory is the working
// directory (the checkout), the test's copy is no git work tree so there is
// no base to compare DKIM key states with, and the webhook is the test's.
// A line that expands any other variable fails TestCIExamplesCommandsExist.
func ciVars(webhook string) map[string]string {
	return map[string]string{"MAILCONF_DIR": ".", "PLAN_BASE": "none", "DRIFT_WEBHOOK_URL": webhook}
}

// mailconfLines are the mailconf commands of a workflow file.
func mailconfLines(t *testing.T, path string, vars map[string]string) []shellCommand {
	t.Helper()
	for _, w := range ciWorkflows {
		if w.path != path {
			continue
		}
		scripts := w.scripts(t, loadYAML(t, path))
		var wheres []string
		for where := range scripts {
			wheres = append(wheres, where)
		}
		slices.Sort(wheres)
		var out []shellCommand
		for _, where := range wheres {
			for _, c := range shellCommands(where, scripts[where], vars) {
				if c.words[0] == "mailconf" {
					out = append(out, c)
				}
			}
		}
		return out
	}
	t.Fatalf("no workflow %s", path)
	return nil
}

// findCommand resolves a command line against the cobra tree, parsing its
// flags as mailconf would. It returns nil when the subcommand does not
// exist.
func findCommand(args []string) (*cobra.Command, []string, error) {
	root := newRootCmd(&env{stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader("")})
	cmd, rest, err := root.Find(terraformFlags(args))
	if err != nil || cmd == root {
		return nil, nil, err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return cmd, nil, err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return cmd, nil, err
	}
	return cmd, cmd.Flags().Args(), nil
}

// TestCIExamplesCommandsExist: every mailconf command line of the examples
// names a command and flags that exist, with arguments it accepts, and the
// examples do each part of the job (lint, plan, apply, drift).
func TestCIExamplesCommandsExist(t *testing.T) {
	vars := ciVars("http://127.0.0.1:9/")
	for _, w := range ciWorkflows {
		t.Run(filepath.Base(w.path), func(t *testing.T) {
			lines := mailconfLines(t, w.path, vars)
			seen := map[string]bool{}
			for _, c := range lines {
				cmd, _, err := findCommand(c.words[1:])
				if cmd == nil && c.words[1] == "drift" && err == nil {
					t.Logf("%s: mailconf drift does not exist yet", c.where)
					continue
				}
				if cmd == nil || err != nil {
					t.Errorf("%s: %s: %v (command %v)", c.where, c, err, cmd != nil)
					continue
				}
				seen[cmd.Name()] = true
				for _, v := range c.vars {
					if _, ok := vars[v]; !ok {
						t.Errorf("%s: %s expands $%s, which the example neither sets nor documents", c.where, c, v)
					}
				}
			}
			for _, want := range []string{"lint", "plan", "apply", "drift"} {
				if !seen[want] && (want != "drift" || driftExists()) {
					t.Errorf("no mailconf %s line in %s", want, w.path)
				}
			}
		})
	}
}

func driftExists() bool {
	cmd, _, _ := findCommand([]string{"drift"})
	return cmd != nil
}

// ciScenario is a copy of the quickstart, as a pipeline's checkout, with
// the working directory in it for the duration of the test.
type ciScenario struct {
	t       *testing.T
	dir     string
	webhook *webhookRecorder
}

type webhookRecorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newWebhook(t *testing.T) *webhookRecorder {
	w := &webhookRecorder{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies = append(w.bodies, b)
		w.mu.Unlock()
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookRecorder) received() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.bodies)
}

func newCIScenario(t *testing.T) *ciScenario {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "checkout")
	copyDir(t, "../../examples/quickstart", dir)
	s := &ciScenario{t: t, dir: dir, webhook: newWebhook(t)}
	// The served MTA-STS policies, as the web server of each domain would
	// hold them.
	for _, zone := range []string{"example.com", "example.net"} {
		code, policy, errOut := runCmd(t, nil, "mta-sts-policy", "-c", dir, zone)
		if code != 0 {
			t.Fatalf("mta-sts-policy %s: %s", zone, errOut)
		}
		if err := os.MkdirAll(filepath.Join(dir, "served"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "served", zone+".txt"), policy)
	}
	t.Chdir(dir)
	return s
}

// env runs commands with an HTTP client that reaches loopback (the
// webhook) and the served policies, and nothing else.
func (s *ciScenario) env() *env {
	served := servedPolicies(filepath.Join(s.dir, "served"))
	return &env{
		stdin: strings.NewReader(""),
		httpClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Hostname() == "127.0.0.1" {
				return http.DefaultTransport.RoundTrip(r)
			}
			return served.Transport.RoundTrip(r)
		})},
	}
}

// run runs a command line from a workflow. The DNS it would ask is an
// in-process server holding the zones as the checkout's zone files hold
// them now (with stand-ins for Google's records the quickstart includes),
// given as --resolver and --nameserver where the command has those flags
// and the line does not set them.
func (s *ciScenario) run(args []string) (int, string, string) {
	s.t.Helper()
	cmd, _, err := findCommand(args)
	if cmd == nil || err != nil {
		s.t.Fatalf("%v: %v", args, err)
	}
	google, err := os.ReadFile(filepath.Join(ciRepoRoot, "testdata", "lint", "quickstart", "google.com.zone"))
	if err != nil {
		s.t.Fatal(err)
	}
	zones := append(zoneTexts(s.t, s.dir), string(google), "$ORIGIN com.\n", "$ORIGIN net.\n")
	dns := dnstest.NewServer(s.t, zones...)
	args = slices.Clone(args)
	for _, flag := range []string{"resolver", "nameserver"} {
		if cmd.Flags().Lookup(flag) != nil && !cmd.Flags().Changed(flag) {
			args = append(args, "--"+flag, dns.Addr())
		}
	}
	return runOn(s.t, s.env(), nil, args...)
}

// ciRepoRoot is the repository root, found from the package directory the
// tests start in (before any of them changes directory).
var ciRepoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "..", "..")
}()

// planFileOf returns the plan file an apply line applies, or "".
func planFileOf(args []string) string {
	cmd, rest, err := findCommand(args)
	if err != nil || cmd == nil || cmd.Name() != "apply" || len(rest) == 0 {
		return ""
	}
	return rest[0]
}

// outOf returns the file a plan line saves its plan to, or "".
func outOf(args []string) string {
	cmd, _, err := findCommand(args)
	if err != nil || cmd == nil || cmd.Name() != "plan" {
		return ""
	}
	return cmd.Flags().Lookup("out").Value.String()
}

// TestCIExamplesRun runs every mailconf line of the examples, each in its
// own copy of the quickstart with what the pipeline would have done before
// it: the plan job before an apply of its plan file, an apply before lint
// (which checks that the DNS serves the active keys), nothing before drift
// (so it finds the unapplied records and notifies the webhook).
func TestCIExamplesRun(t *testing.T) {
	for _, w := range ciWorkflows {
		t.Run(filepath.Base(w.path), func(t *testing.T) {
			probe := mailconfLines(t, w.path, ciVars("http://127.0.0.1:9/"))
			for i, line := range probe {
				t.Run(fmt.Sprintf("%d_%s", i, line.words[1]), func(t *testing.T) {
					if line.words[1] == "drift" && !driftExists() {
						t.Skip("mailconf drift does not exist yet")
					}
					s := newCIScenario(t)
					vars := ciVars(s.webhook.srv.URL + "/hook")
					lines := mailconfLines(t, w.path, vars)
					c := lines[i]
					args := c.words[1:]
					cmd, _, err := findCommand(args)
					if err != nil {
						t.Fatal(err)
					}
					switch cmd.Name() {
					case "apply":
						if pf := planFileOf(args); pf != "" {
							var producer []string
							for _, l := range lines {
								if outOf(l.words[1:]) == pf {
									producer = l.words[1:]
									break
								}
							}
							if producer == nil {
								t.Fatalf("%s applies %s, which no plan line of the file saves", c.where, pf)
							}
							if code, out, errOut := s.run(producer); code != 0 && code != 2 {
								t.Fatalf("the plan before it: %v: exit %d\n%s%s", producer, code, out, errOut)
							}
						}
					case "lint":
						if code, out, errOut := s.run([]string{"apply", "-c", ".", "--auto-approve"}); code != 0 {
							t.Fatalf("apply before lint: exit %d\n%s%s", code, out, errOut)
						}
					}
					code, out, errOut := s.run(args)
					ok := []int{0}
					detailed, _ := cmd.Flags().GetBool("detailed-exitcode")
					if cmd.Name() == "drift" || cmd.Name() == "plan" && detailed {
						ok = append(ok, 2)
					}
					if !slices.Contains(ok, code) {
						t.Fatalf("%s: mailconf %s: exit %d, want one of %v\nstdout:\n%s\nstderr:\n%s", c.where, strings.Join(args, " "), code, ok, out, errOut)
					}
					checkCIOutput(t, s, cmd, code, out)
				})
			}
		})
	}
}

// checkCIOutput checks what a line's output is used for in the pipeline.
func checkCIOutput(t *testing.T, s *ciScenario, cmd *cobra.Command, code int, out string) {
	t.Helper()
	format := ""
	if f := cmd.Flags().Lookup("format"); f != nil {
		format = f.Value.String()
	}
	switch {
	case cmd.Name() == "lint" && format == "sarif":
		var sarif struct {
			Version string `json:"version"`
			Runs    []any  `json:"runs"`
		}
		if err := json.Unmarshal([]byte(out), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
			t.Errorf("lint --format sarif is not SARIF 2.1.0 (%v):\n%s", err, out)
		}
	case cmd.Name() == "plan" && format == "markdown":
		if !strings.HasPrefix(out, "### mailconf plan\n") || !strings.Contains(out, "<details><summary>") {
			t.Errorf("plan --format markdown:\n%s", out)
		}
	case cmd.Name() == "drift":
		// The checkout was never applied: drift must find that, and tell.
		bodies := s.webhook.received()
		if code != 2 || len(bodies) == 0 {
			t.Errorf("drift on an unapplied checkout: exit %d, %d webhook posts; want exit 2 and a post", code, len(bodies))
		}
		for _, b := range bodies {
			if !json.Valid(b) {
				t.Errorf("webhook payload is not JSON: %s", b)
			}
		}
	}
	if cmd.Name() == "plan" {
		if out := cmd.Flags().Lookup("out").Value.String(); out != "" {
			if _, err := loadPlan(filepath.Join(s.dir, out)); err != nil {
				t.Errorf("the saved plan: %v", err)
			}
		}
	}
}

// dockerInstruction is one instruction of a Dockerfile, its continuation
// lines joined.
type dockerInstruction struct {
	line int
	op   string // upper case
	args string
}

func parseDockerfile(t *testing.T, text string) []dockerInstruction {
	t.Helper()
	var out []dockerInstruction
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{line: start, op: strings.ToUpper(op), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatal("the Dockerfile ends inside a continued instruction")
	}
	return out
}

// TestDockerfile checks the image recipe without a Docker daemon: a
// golang:1.26 builder that builds ./cmd/mailconf with CGO_ENABLED=0, and a
// final stage on distroless static (or scratch) that copies that binary,
// runs as a non-root user and has mailconf as its entrypoint.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(ciRepoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	type stage struct {
		image, name string
		ins         []dockerInstruction
	}
	var stages []*stage
	for _, in := range parseDockerfile(t, string(b)) {
		if in.op == "FROM" {
			f := strings.Fields(in.args)
			st := &stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.op != "ARG" {
				t.Fatalf("line %d: %s before FROM", in.line, in.op)
			}
			continue
		}
		st := stages[len(stages)-1]
		st.ins = append(st.ins, in)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a builder and a final stage", len(stages))
	}
	builder, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(builder.image, "golang:1.26") {
		t.Errorf("builder image %s, want golang:1.26", builder.image)
	}

	// The build: CGO_ENABLED=0 in the same RUN or in an ENV of the stage.
	binary := ""
	cgoEnv := false
	for _, in := range builder.ins {
		if in.op == "ENV" && strings.Contains(in.args, "CGO_ENABLED=0") {
			cgoEnv = true
		}
		if in.op != "RUN" || !strings.Contains(in.args, "go build") {
			continue
		}
		if !cgoEnv && !strings.Contains(in.args, "CGO_ENABLED=0") {
			t.Errorf("line %d: go build without CGO_ENABLED=0", in.line)
		}
		if !strings.Contains(in.args, "./cmd/mailconf") {
			t.Errorf("line %d: go build does not build ./cmd/mailconf", in.line)
		}
		f := strings.Fields(in.args)
		if i := slices.Index(f, "-o"); i >= 0 && i+1 < len(f) {
			binary = f[i+1]
		}
	}
	if binary == "" {
		t.Fatal("no RUN go build -o BINARY in the builder stage")
	}

	switch {
	case final.image == "scratch", strings.HasPrefix(final.image, "gcr.io/distroless/static"):
	default:
		t.Errorf("final image %s, want gcr.io/distroless/static or scratch", final.image)
	}
	installed, user, entrypoint := "", "", ""
	for _, in := range final.ins {
		switch in.op {
		case "COPY":
			f := strings.Fields(in.args)
			from := ""
			var rest []string
			for _, a := range f {
				if v, ok := strings.CutPrefix(a, "--from="); ok {
					from = v
				} else if !strings.HasPrefix(a, "--") {
					rest = append(rest, a)
				}
			}
			if (from == builder.name || from == "0") && len(rest) == 2 && rest[0] == binary {
				installed = rest[1]
			}
		case "RUN":
			if final.image == "scratch" || strings.HasPrefix(final.image, "gcr.io/distroless/") {
				t.Errorf("line %d: RUN in a final stage that has no shell", in.line)
			}
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		}
	}
	if installed == "" {
		t.Errorf("the final stage does not COPY --from=%s %s", builder.name, binary)
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || name == "0" {
		t.Errorf("USER %q: the final stage must run as a non-root user", user)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || len(ep) == 0 {
		t.Fatalf("ENTRYPOINT %s: want the exec form, [\"/path/to/mailconf\"]", entrypoint)
	}
	if ep[0] != installed || filepath.Base(ep[0]) != "mailconf" {
		t.Errorf("ENTRYPOINT %s, want the installed binary %s", entrypoint, installed)
	}

	// The build context leaves secrets and bulk out.
	ignore, err := os.ReadFile(filepath.Join(ciRepoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	patterns := strings.Fields(string(ignore))
	for _, want := range []string{".git", "**/*.pem", "*.plan"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}
