package dkim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// readTestdata returns the contents of a file in testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rsaPublicFromFile reads the RSA public key of a testdata key file with the
// x509 package, independently of the code under test (and of its size
// checks, so that the 512-bit key can be used too).
func rsaPublicFromFile(t *testing.T, name string) *rsa.PublicKey {
	t.Helper()
	block, _ := pem.Decode(readTestdata(t, name))
	if block == nil {
		t.Fatalf("%s: no PEM", name)
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &key.PublicKey
}

// spki returns the base64 DER SubjectPublicKeyInfo of pub.
func spki(t *testing.T, pub *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// fakeRSAKey returns a public key with a modulus of the given size. It is not
// a usable key (the modulus is not a product of two primes), but encodes and
// decodes like one, which is all the size checks need.
func fakeRSAKey(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

// problem is what the Validate tests compare: everything but the message.
type problem struct {
	Severity  Severity
	Tag, Code string
	RFC       string
}

// validateTest is a case of TestValidate; TestCodes runs them all too.
type validateTest struct {
	name string
	in   string
	want []problem
}

// validateTests returns the cases of TestValidate, built from the keys in
// testdata/. Between them they produce every code in Codes, which TestCodes
// checks.
func validateTests(t *testing.T) []validateTest {
	t.Helper()
	rsa512 := spki(t, rsaPublicFromFile(t, "rsa512-pkcs1.pem"))
	rsa1024 := spki(t, rsaPublicFromFile(t, "rsa1024-pkcs1.pem"))
	rsa2048Public := rsaPublicFromFile(t, "rsa2048-pkcs1.pem")
	rsa2048 := spki(t, rsa2048Public)
	rsa2048Bare := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(rsa2048Public))
	rsa4096 := spki(t, fakeRSAKey(4096))
	rsa4104 := spki(t, fakeRSAKey(4104))
	ed25519DER, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(mustDecode(t, ed25519Key)))
	if err != nil {
		t.Fatal(err)
	}
	ed25519SPKI := base64.StdEncoding.EncodeToString(ed25519DER)

	return []validateTest{
		{name: "rsa 2048", in: "v=DKIM1; k=rsa; p=" + rsa2048},
		{name: "rsa 2048 without k=", in: "v=DKIM1; p=" + rsa2048},
		{name: "ed25519", in: "v=DKIM1; k=ed25519; p=" + ed25519Key},
		{name: "revoked", in: "v=DKIM1; k=rsa; p="},
		{name: "revoked ed25519", in: "v=DKIM1; k=ed25519; p="},
		{name: "h=sha256", in: "v=DKIM1; h=sha256; p=" + rsa2048},
		{name: "services email", in: "v=DKIM1; s=email; p=" + rsa2048},
		{name: "services star", in: "v=DKIM1; s=*; p=" + rsa2048},
		{name: "t=s", in: "v=DKIM1; t=s; p=" + rsa2048},
		{name: "unknown tags are ignored", in: "v=DKIM1; g=*; p=" + rsa2048},
		{name: "rsa 4096", in: "v=DKIM1; p=" + rsa4096},
		{
			name: "unknown key type",
			in:   "v=DKIM1; k=dsa; p=" + rsa2048,
			want: []problem{{Error, "k", "dkim-key-type-unknown", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "key types are case-sensitive",
			in:   "v=DKIM1; k=RSA; p=" + rsa2048,
			want: []problem{{Error, "k", "dkim-key-type-unknown", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "h=sha1 only",
			in:   "v=DKIM1; h=sha1; p=" + rsa2048,
			want: []problem{{Error, "h", "dkim-hash-sha1-only", "RFC 8301 section 3.1"}},
		},
		{
			name: "h=sha1 beside sha256",
			in:   "v=DKIM1; h=sha1:sha256; p=" + rsa2048,
			want: []problem{{Warning, "h", "dkim-hash-sha1-allowed", "RFC 8301 section 3.1"}},
		},
		{
			name: "h= with unknown hashes only",
			in:   "v=DKIM1; h=sha512; p=" + rsa2048,
			want: []problem{{Error, "h", "dkim-hash-no-sha256", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "services without email",
			in:   "v=DKIM1; s=other; p=" + rsa2048,
			want: []problem{{Error, "s", "dkim-service-not-email", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "testing flag",
			in:   "v=DKIM1; t=y; p=" + rsa2048,
			want: []problem{{Warning, "t", "dkim-testing", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "testing flag among others",
			in:   "v=DKIM1; t=s:y; p=" + rsa2048,
			want: []problem{{Warning, "t", "dkim-testing", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "rsa 512",
			in:   "v=DKIM1; k=rsa; p=" + rsa512,
			want: []problem{{Error, "p", "dkim-rsa-too-small", "RFC 8301 section 3.2"}},
		},
		{
			name: "rsa 1024",
			in:   "v=DKIM1; k=rsa; p=" + rsa1024,
			want: []problem{{Warning, "p", "dkim-rsa-1024", "RFC 8301 section 3.2"}},
		},
		{
			name: "rsa above 4096",
			in:   "v=DKIM1; k=rsa; p=" + rsa4104,
			want: []problem{{Warning, "p", "dkim-rsa-too-large", "RFC 8301 section 3.2"}},
		},
		{
			name: "bare RSAPublicKey",
			in:   "v=DKIM1; k=rsa; p=" + rsa2048Bare,
			want: []problem{{Warning, "p", "dkim-rsa-key-not-spki", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "rsa key data that is no key",
			in:   "v=DKIM1; k=rsa; p=AQAB",
			want: []problem{{Error, "p", "dkim-rsa-key-invalid", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "ed25519 key under k=rsa",
			in:   "v=DKIM1; k=rsa; p=" + ed25519SPKI,
			want: []problem{{Error, "p", "dkim-rsa-key-invalid", "RFC 6376 section 3.6.1"}},
		},
		{
			name: "ed25519 key of 3 octets",
			in:   "v=DKIM1; k=ed25519; p=AQAB",
			want: []problem{{Error, "p", "dkim-ed25519-key-size", "RFC 8463 section 4.2"}},
		},
		{
			name: "ed25519 key published as SubjectPublicKeyInfo",
			in:   "v=DKIM1; k=ed25519; p=" + ed25519SPKI,
			want: []problem{{Error, "p", "dkim-ed25519-key-size", "RFC 8463 section 4.2"}},
		},
		{
			name: "rsa key under k=ed25519",
			in:   "v=DKIM1; k=ed25519; p=" + rsa2048,
			want: []problem{{Error, "p", "dkim-ed25519-key-size", "RFC 8463 section 4.2"}},
		},
		{
			name: "several problems in tag order",
			in:   "v=DKIM1; t=y; h=sha1; s=other; p=" + rsa1024,
			want: []problem{
				{Error, "h", "dkim-hash-sha1-only", "RFC 8301 section 3.1"},
				{Error, "s", "dkim-service-not-email", "RFC 6376 section 3.6.1"},
				{Warning, "t", "dkim-testing", "RFC 6376 section 3.6.1"},
				{Warning, "p", "dkim-rsa-1024", "RFC 8301 section 3.2"},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range validateTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ps := r.Validate()
			codecheck.Problems(t, Codes, ps)
			var got []problem
			for _, p := range ps {
				if p.Message == "" {
					t.Errorf("problem %+v has no message", p)
				}
				got = append(got, problem{p.Severity, p.Tag, p.Code, p.RFC})
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateHandBuiltVersion(t *testing.T) {
	r := &Record{Version: "DKIM2"}
	want := []Problem{{Severity: Error, Tag: "v", RFC: "RFC 6376 section 3.6.1", Code: "dkim-version-invalid"}}
	got := r.Validate()
	codecheck.Problems(t, Codes, got)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Problem{}, "Message")); diff != "" {
		t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{Severity: Warning, Tag: "t", Message: "testing", RFC: "RFC 6376 section 3.6.1"}
	if got, want := p.String(), `warning: "t": testing (RFC 6376 section 3.6.1)`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestKeyBits(t *testing.T) {
	rsa1024 := rsaPublicFromFile(t, "rsa1024-pkcs1.pem")
	rsa2048 := rsaPublicFromFile(t, "rsa2048-pkcs1.pem")
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"rsa 1024", "p=" + spki(t, rsa1024), 1024},
		{"rsa 2048", "k=rsa; p=" + spki(t, rsa2048), 2048},
		{"rsa 512", "p=" + spki(t, rsaPublicFromFile(t, "rsa512-pkcs1.pem")), 512},
		{"bare RSAPublicKey", "p=" + base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(rsa2048)), 2048},
		{"ed25519", "k=ed25519; p=" + ed25519Key, 256},
		{"ed25519 of wrong size", "k=ed25519; p=AQAB", 0},
		{"rsa that does not decode", "p=AQAB", 0},
		{"revoked", "p=", 0},
		{"unknown type", "k=dsa; p=AQAB", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.KeyBits(); got != tt.want {
				t.Errorf("KeyBits() = %d, want %d", got, tt.want)
			}
		})
	}
}
