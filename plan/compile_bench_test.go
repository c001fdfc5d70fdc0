package plan_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailconf/mailconf/mailauth/dkim"
	"github.com/mailconf/mailconf/plan"
	"github.com/mailconf/mailconf/schema"
)

// writeFleet writes a configuration of n domains declared with for_each,
// each with its own RSA-2048 DKIM key file, as an agency would keep it.
// The key material comes from a small pool (generating 10,000 RSA keys
// would take minutes), but every domain has its own file to read and parse.
func writeFleet(tb testing.TB, n int) string {
	tb.Helper()
	return writeFleetIn(tb, tb.TempDir(), n)
}

func writeFleetIn(tb testing.TB, dir string, n int) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		tb.Fatal(err)
	}
	var pool [][]byte
	for range 4 {
		k, err := dkim.GenerateKey("rsa-2048", rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		pem, err := dkim.MarshalPrivateKeyPEM(k)
		if err != nil {
			tb.Fatal(err)
		}
		pool = append(pool, pem)
	}
	ed, err := dkim.GenerateKey("ed25519", rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	edPEM, err := dkim.MarshalPrivateKeyPEM(ed)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys", "shared-ed25519.pem"), edPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	var names strings.Builder
	for i := range n {
		name := fmt.Sprintf("client%05d.example", i)
		fmt.Fprintf(&names, "    %q,\n", name)
		if err := os.WriteFile(filepath.Join(dir, "keys", name+".pem"), pool[i%len(pool)], 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`
provider "zonefile" "local" {
  dir = "zones"
}

sender "custom" "esp" {
  ip4     = ["198.51.100.0/24", "203.0.113.10"]
  include = ["_spf.mailer.example.net"]
}

policy "agency" {
  dmarc {
    policy           = "reject"
    subdomain_policy = "reject"
    rua              = ["mailto:dmarc@reports.example.net"]
  }
  mta_sts {
    mode = "enforce"
  }
  tls_rpt {
    rua = ["mailto:tlsrpt@reports.example.net"]
  }
}

variable "clients" {
  default = [
%s  ]
}

domain "clients" {
  for_each = toset(var.clients)
  policy   = policy.agency
  senders  = [sender.custom.esp]
  mx {
    host = "mx1.mailer.example.net"
  }
  mx {
    host       = "mx2.mailer.example.net"
    preference = 20
  }
  dkim "s2026a" {
    algorithm = "rsa-2048"
    key_file  = "keys/${each.key}.pem"
  }
  dkim "s2026e" {
    algorithm = "ed25519"
    key_file  = "keys/shared-ed25519.pem"
  }
}
`, names.String())
	if err := os.WriteFile(filepath.Join(dir, "mailconf.hcl"), []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// BenchmarkCompile measures what `mailconf validate` and `records` do:
// load the configuration (parsing HCL, reading every key file) and compile
// every domain's records.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			dir := writeFleet(b, n)
			b.ResetTimer()
			for b.Loop() {
				cfg, diags := schema.Load(dir, schema.Options{})
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				desired, diags := plan.Compile(cfg)
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				if len(desired.Domains) != n {
					b.Fatalf("%d domains, want %d", len(desired.Domains), n)
				}
			}
		})
	}
}
