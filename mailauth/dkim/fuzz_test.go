package dkim

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=AQAB",
		"v=DKIM1; k=ed25519; p=" + ed25519Key,
		"v=DKIM1; h=sha256:sha1; k=rsa; n=a=20note; s=email:*; t=y:s; g=*; p=AQAB;",
		" v = DKIM1 ;\tk =rsa; h= sha1 :\tsha256 ; p = AQ AB\r\n ; ",
		"v=DKIM1; p=",
		"p=AQ",
		"p=AQ==",
		"v=DKIM1;; p=",
		"p=; p=",
		"k=rsa; v=DKIM1; p=",
		"v=spf1 -all",
		"x_y=a b; z=; P=1; p=AQAB",
		"",
		";",
	} {
		f.Add(s)
	}
	for _, name := range []string{"rsa1024-pkcs1.record", "rsa2048-pkcs1.record", "ed25519-pkcs8.record"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.TrimSpace(string(b)))
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if r != nil {
				t.Fatalf("Parse(%q) returned a record and error %v", s, err)
			}
			for _, sentinel := range []error{ErrSyntax, ErrDuplicateTag, ErrVersion, ErrMissingPublicKey} {
				if errors.Is(err, sentinel) {
					return
				}
			}
			t.Fatalf("Parse(%q) error %v wraps no sentinel", s, err)
		}
		// These must not panic, whatever the key data holds, and every
		// problem must carry a listed code.
		codecheck.Problems(t, Codes, r.Validate())
		r.KeyBits()

		text := r.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) succeeded, but Parse(String()) of %q failed: %v", s, text, err)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("round-trip of %q through %q changed the record (-first +second):\n%s", s, text, diff)
		}
		if again.String() != text {
			t.Fatalf("String() is not stable: %q then %q", text, again.String())
		}
	})
}

// FuzzParsePrivateKeyPEM feeds the key loaders both the raw input and the
// input wrapped as the DER content of each supported PEM block type, so that
// mutations reach the ASN.1 parsers instead of dying in the PEM armour.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.pem"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if block, _ := pem.Decode(b); block != nil {
			f.Add(block.Bytes)
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkKeyLoaders(t, data)
		for _, typ := range []string{pemPKCS1, pemPKCS8} {
			checkKeyLoaders(t, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: data}))
		}
	})
}

// checkKeyLoaders asserts what must hold for any input: no panic, errors
// that wrap a sentinel, and a fast path that accepts whatever the full parse
// accepts, with the same public key.
func checkKeyLoaders(t *testing.T, data []byte) {
	t.Helper()
	sentinels := []error{ErrNoPEM, ErrUnsupportedKey, ErrKeyTooSmall, ErrMalformedKey}
	wrapsSentinel := func(err error) bool {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return true
			}
		}
		return false
	}
	pub, pubErr := PublicKeyFromPEM(data)
	if pubErr != nil && !wrapsSentinel(pubErr) {
		t.Fatalf("PublicKeyFromPEM error %v wraps no sentinel", pubErr)
	}
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		if !wrapsSentinel(err) {
			t.Fatalf("ParsePrivateKeyPEM error %v wraps no sentinel", err)
		}
		return
	}
	if pubErr != nil {
		t.Fatalf("ParsePrivateKeyPEM succeeded but PublicKeyFromPEM failed: %v", pubErr)
	}
	if !publicKeysEqual(key.Public(), pub) {
		t.Fatal("PublicKeyFromPEM and ParsePrivateKeyPEM disagree on the public key")
	}
	if typ, _ := Algorithm(pub); typ == "" {
		t.Fatalf("Algorithm does not know the loaded key %T", pub)
	}
	rec, err := PublicKeyRecord(pub)
	if err != nil {
		t.Fatalf("PublicKeyRecord of a loaded key: %v", err)
	}
	if _, err := Parse(rec.String()); err != nil {
		t.Fatalf("Parse of a built record: %v", err)
	}
}
