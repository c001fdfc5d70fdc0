package providers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/libdns/libdns"
	"github.com/zclconf/go-cty/cty"

	"github.com/mailconf/mailconf/providers"
	"github.com/mailconf/mailconf/providers/all"
	"github.com/mailconf/mailconf/providers/memory"
	"github.com/mailconf/mailconf/providers/zonefile"
)

// decode parses one provider block the way the schema package would, and
// builds its client with the built-in registry.
func decode(t *testing.T, src, baseDir string) (providers.Client, hcl.Diagnostics) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags)
	}
	content, diags := file.Body.Content(&hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "provider", LabelNames: []string{"type", "name"}}},
	})
	if diags.HasErrors() || len(content.Blocks) != 1 {
		t.Fatalf("content: %s", diags)
	}
	b := content.Blocks[0]
	return all.NewRegistry().New(providers.Config{
		Type:      b.Labels[0],
		Name:      b.Labels[1],
		Body:      b.Body,
		BaseDir:   baseDir,
		DeclRange: b.DefRange,
		TypeRange: b.LabelRanges[0],
		EvalContext: &hcl.EvalContext{Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{"zones_dir": cty.StringVal("zones")}),
		}},
	})
}

// diag is the part of a diagnostic a user reads.
type diag struct {
	Summary, Detail string
	Line, Column    int
}

func diagsOf(diags hcl.Diagnostics) []diag {
	var out []diag
	for _, d := range diags {
		x := diag{Summary: d.Summary, Detail: d.Detail}
		if d.Subject != nil {
			x.Line, x.Column = d.Subject.Start.Line, d.Subject.Start.Column
		}
		out = append(out, x)
	}
	return out
}

func TestRegistryDiagnostics(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  string
		want []diag
	}{
		{
			name: "unknown type with a suggestion",
			src:  `provider "zonfile" "local" { dir = "zones" }`,
			want: []diag{{
				Summary: "Unknown provider type",
				Detail:  `There is no provider type "zonfile". Did you mean "zonefile"? The known types are: ` + knownTypes + `.`,
				Line:    1, Column: 10,
			}},
		},
		{
			name: "unknown type without a close match",
			src:  `provider "powerdns" "main" {}`,
			want: []diag{{
				Summary: "Unknown provider type",
				Detail:  `There is no provider type "powerdns". The known types are: ` + knownTypes + `.`,
				Line:    1, Column: 10,
			}},
		},
		{
			name: "zonefile without dir",
			src:  "provider \"zonefile\" \"local\" {\n}\n",
			want: []diag{{
				Summary: "Missing required argument",
				Detail:  `The argument "dir" is required, but no definition was found.`,
				Line:    1, Column: 29,
			}},
		},
		{
			name: "zonefile with a misspelt argument",
			src:  "provider \"zonefile\" \"local\" {\n  dirr = \"zones\"\n}\n",
			want: []diag{{
				Summary: "Missing required argument",
				Detail:  `The argument "dir" is required, but no definition was found.`,
				Line:    1, Column: 29,
			}, {
				Summary: "Unsupported argument",
				Detail:  `An argument named "dirr" is not expected here. Did you mean "dir"?`,
				Line:    2, Column: 3,
			}},
		},
		{
			name: "zonefile dir of the wrong type",
			src:  "provider \"zonefile\" \"local\" {\n  dir = [\"zones\"]\n}\n",
			want: []diag{{
				Summary: "Unsuitable value type",
				Detail:  "Unsuitable value: string required, but have tuple",
				Line:    2, Column: 9,
			}},
		},
		{
			name: "zonefile dir missing on disk",
			src:  "provider \"zonefile\" \"local\" {\n  dir = \"nope\"\n}\n",
			want: []diag{{
				Summary: "Zone directory not found",
				Detail:  `The directory "` + filepath.Join(base, "nope") + `" does not exist (relative paths are relative to the configuration directory). Create it with one <zone>.zone file per zone, or fix the path.`,
				Line:    2, Column: 9,
			}},
		},
		{
			name: "zonefile dir is a file",
			src:  "provider \"zonefile\" \"local\" {\n  dir = \"afile\"\n}\n",
			want: []diag{{
				Summary: "Zone directory is not a directory",
				Detail:  `"` + filepath.Join(base, "afile") + `" is a file. Set "dir" to the directory that holds the <zone>.zone files.`,
				Line:    2, Column: 9,
			}},
		},
		{
			name: "memory with a bad zone",
			src:  "provider \"memory\" \"test\" {\n  zones = [\"example.com\", \"a/b\"]\n}\n",
			want: []diag{{
				Summary: "Invalid zone name",
				Detail:  `"a/b" is not a zone name. List zones as domain names, such as "example.com".`,
				Line:    2, Column: 11,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := decode(t, tt.src, base)
			if diff := cmp.Diff(tt.want, diagsOf(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if c != nil {
				t.Errorf("got a client despite errors: %T", c)
			}
		})
	}
}

func TestRegistryBuildsClients(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, diags := decode(t, `provider "zonefile" "local" { dir = var.zones_dir }`, base)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	zf, ok := c.(*zonefile.Provider)
	if !ok {
		t.Fatalf("client is %T, want *zonefile.Provider", c)
	}
	if want := filepath.Join(base, "zones"); zf.Dir != want {
		t.Errorf("Dir = %q, want %q (relative to the configuration directory)", zf.Dir, want)
	}

	c, diags = decode(t, `provider "memory" "test" { zones = ["example.com"] }`, base)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	zones, err := c.(*memory.Provider).ListZones(context.Background())
	if err != nil || len(zones) != 1 || zones[0].Name != "example.com." {
		t.Errorf("memory zones = %v, %v; want example.com.", zones, err)
	}
}

func TestRegisterPanics(t *testing.T) {
	f := func(providers.Config) (providers.Client, hcl.Diagnostics) { return nil, nil }
	tests := []struct {
		name string
		typ  string
		f    providers.Factory
	}{
		{"empty type", "", f},
		{"nil factory", "x", nil},
		{"duplicate", "memory", f},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			all.NewRegistry().Register(tt.typ, tt.f)
		})
	}
	if got := all.NewRegistry().Types(); !cmp.Equal(got, []string{"cloudflare", "memory", "rfc2136", "route53", "zonefile"}) {
		t.Errorf("Types() = %v", got)
	}
}

// knownTypes is how the unknown-type diagnostic lists the built-in types.
const knownTypes = `"cloudflare", "memory", "rfc2136", "route53", "zonefile"`

// noLister hides the memory provider's ListZones.
type noLister struct{ providers.Client }

func TestZoneFor(t *testing.T) {
	ctx := context.Background()
	lister := memory.New(map[string][]libdns.Record{"example.com": nil, "mail.example.com": nil, "example.org": nil})
	tests := []struct {
		name     string
		client   providers.Client
		domain   string
		explicit string
		want     string
		wantErr  error
		msg      string
	}{
		{name: "explicit zone", client: noLister{lister}, domain: "news.Example.com", explicit: "Example.COM", want: "example.com."},
		{name: "explicit zone equal to the domain", client: lister, domain: "example.net.", explicit: "example.net", want: "example.net."},
		{name: "explicit zone not a parent", client: lister, domain: "example.com", explicit: "example.org", wantErr: providers.ErrOutsideZone},
		{name: "longest listed zone", client: lister, domain: "eu.mail.example.com", want: "mail.example.com."},
		{name: "listed zone equal to the domain", client: lister, domain: "example.org", want: "example.org."},
		{name: "parent by label, not by suffix", client: lister, domain: "badexample.com", wantErr: providers.ErrNoZone, msg: "set `zone`"},
		{name: "no listed zone", client: lister, domain: "example.net", wantErr: providers.ErrNoZone, msg: "example.com., example.org., mail.example.com."},
		{name: "provider cannot list", client: noLister{lister}, domain: "example.com", wantErr: providers.ErrNoZone, msg: "set `zone` on the domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := providers.ZoneFor(ctx, tt.client, tt.domain, tt.explicit)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("ZoneFor = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}

	boom := errors.New("API down")
	lister.SetGetErr(boom)
	if _, err := providers.ZoneFor(ctx, lister, "example.com", ""); !errors.Is(err, boom) {
		t.Errorf("ZoneFor with a failing ListZones = %v, want %v", err, boom)
	}
}
