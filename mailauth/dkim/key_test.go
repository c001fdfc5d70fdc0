package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keyCase is one input for the key loaders.
type keyCase struct {
	name     string
	data     []byte
	wantErr  error  // nil when the key loads
	wantType string // with wantBits, what Algorithm reports for a loaded key
	wantBits int
	// fastOnly: PublicKeyFromPEM succeeds, ParsePrivateKeyPEM does not,
	// because only the full validation sees what is wrong.
	fastOnly bool
}

// keyCases are the inputs TestParsePrivateKeyPEM and TestPublicKeyFromPEM
// share, so that the two loaders are held to the same expectations.
func keyCases(t *testing.T) []keyCase {
	t.Helper()
	file := func(name string) []byte { return readTestdata(t, name) }
	pemOf := func(typ string, der []byte, headers map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
	}
	rsa2048 := file("rsa2048-pkcs1.pem")
	block, _ := pem.Decode(rsa2048)

	// A PKCS #1 key whose modulus is not the product of its primes: the
	// structure is fine, so only full validation notices.
	var raw struct {
		Version                      int
		N                            *big.Int
		E                            int
		D, P, Q, Dp, Dq, Coefficient *big.Int
	}
	if _, err := asn1.Unmarshal(block.Bytes, &raw); err != nil {
		t.Fatal(err)
	}
	raw.N = new(big.Int).Add(raw.N, big.NewInt(2))
	mismatched, err := asn1.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}

	// A PKCS #8 wrapper around an unknown algorithm (RSA-PSS, RFC 8017
	// appendix A.2.3), which Go's signer does not take either.
	pss := struct {
		Version    int
		Algorithm  struct{ Algorithm asn1.ObjectIdentifier }
		PrivateKey []byte
	}{Algorithm: struct{ Algorithm asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}}, PrivateKey: block.Bytes}
	pssDER, err := asn1.Marshal(pss)
	if err != nil {
		t.Fatal(err)
	}

	return []keyCase{
		{name: "pkcs1 rsa 1024", data: file("rsa1024-pkcs1.pem"), wantType: "rsa", wantBits: 1024},
		{name: "pkcs1 rsa 2048", data: rsa2048, wantType: "rsa", wantBits: 2048},
		{name: "pkcs8 rsa 2048", data: file("rsa2048-pkcs8.pem"), wantType: "rsa", wantBits: 2048},
		{name: "pkcs8 ed25519", data: file("ed25519-pkcs8.pem"), wantType: "ed25519", wantBits: 256},
		{name: "key after a certificate", data: append(file("cert.pem"), rsa2048...), wantType: "rsa", wantBits: 2048},
		{name: "key with text around it", data: []byte("# DKIM key\n" + string(rsa2048) + "\ntrailing text\n"), wantType: "rsa", wantBits: 2048},
		{name: "pkcs1 rsa 512", data: file("rsa512-pkcs1.pem"), wantErr: ErrKeyTooSmall},
		{name: "pkcs8 rsa 512", data: file("rsa512-pkcs8.pem"), wantErr: ErrKeyTooSmall},
		{name: "empty", data: nil, wantErr: ErrNoPEM},
		{name: "garbage", data: []byte("not a key\x00\xff"), wantErr: ErrNoPEM},
		{name: "DER without PEM armour", data: block.Bytes, wantErr: ErrNoPEM},
		{name: "public key only", data: file("rsa2048-pkcs1.record"), wantErr: ErrNoPEM},
		// A certificate holds no private key, so there is no key block.
		{name: "certificate", data: file("cert.pem"), wantErr: ErrNoPEM},
		{name: "truncated PEM", data: rsa2048[:len(rsa2048)/2], wantErr: ErrNoPEM},
		{name: "sec1 ec key", data: file("ec-p256-sec1.pem"), wantErr: ErrUnsupportedKey},
		{name: "pkcs8 ec key", data: file("ec-p256-pkcs8.pem"), wantErr: ErrUnsupportedKey},
		{name: "pkcs8 rsa-pss key", data: pemOf("PRIVATE KEY", pssDER, nil), wantErr: ErrUnsupportedKey},
		{name: "encrypted pkcs8", data: pemOf("ENCRYPTED PRIVATE KEY", []byte{0x30, 0}, nil), wantErr: ErrUnsupportedKey},
		{name: "encrypted pkcs1", data: pemOf("RSA PRIVATE KEY", block.Bytes, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00000000000000000000000000000000"}), wantErr: ErrUnsupportedKey},
		{name: "openssh key", data: pemOf("OPENSSH PRIVATE KEY", []byte("openssh-key-v1\x00"), nil), wantErr: ErrUnsupportedKey},
		{name: "two keys", data: append(append([]byte(nil), rsa2048...), file("ed25519-pkcs8.pem")...), wantErr: ErrUnsupportedKey},
		{name: "pkcs1 block holding pkcs8", data: pemOf("RSA PRIVATE KEY", mustPEMBytes(t, file("rsa2048-pkcs8.pem")), nil), wantErr: ErrMalformedKey},
		{name: "pkcs8 block holding pkcs1", data: pemOf("PRIVATE KEY", block.Bytes, nil), wantErr: ErrMalformedKey},
		{name: "pkcs1 cut short", data: pemOf("RSA PRIVATE KEY", block.Bytes[:300], nil), wantErr: ErrMalformedKey},
		{name: "pkcs1 with trailing bytes", data: pemOf("RSA PRIVATE KEY", append(append([]byte(nil), block.Bytes...), 0), nil), wantErr: ErrMalformedKey},
		{name: "modulus not matching the primes", data: pemOf("RSA PRIVATE KEY", mismatched, nil), wantType: "rsa", wantBits: 2048, fastOnly: true},
	}
}

// mustPEMBytes returns the DER content of the first PEM block of data.
func mustPEMBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM block")
	}
	return block.Bytes
}

func TestParsePrivateKeyPEM(t *testing.T) {
	for _, tt := range keyCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParsePrivateKeyPEM(tt.data)
			wantErr := tt.wantErr
			if tt.fastOnly {
				wantErr = ErrMalformedKey
			}
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					t.Fatalf("ParsePrivateKeyPEM() = %T, %v; want error %v", key, err, wantErr)
				}
				assertNoKeyMaterial(t, err, tt.data)
				return
			}
			if err != nil {
				t.Fatalf("ParsePrivateKeyPEM(): %v", err)
			}
			typ, bits := Algorithm(key.Public())
			if typ != tt.wantType || bits != tt.wantBits {
				t.Errorf("Algorithm() = %q, %d; want %q, %d", typ, bits, tt.wantType, tt.wantBits)
			}
		})
	}
}

func TestPublicKeyFromPEM(t *testing.T) {
	for _, tt := range keyCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := PublicKeyFromPEM(tt.data)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("PublicKeyFromPEM() = %T, %v; want error %v", pub, err, tt.wantErr)
				}
				assertNoKeyMaterial(t, err, tt.data)
				return
			}
			if err != nil {
				t.Fatalf("PublicKeyFromPEM(): %v", err)
			}
			typ, bits := Algorithm(pub)
			if typ != tt.wantType || bits != tt.wantBits {
				t.Errorf("Algorithm() = %q, %d; want %q, %d", typ, bits, tt.wantType, tt.wantBits)
			}
			if tt.fastOnly {
				return
			}
			// The fast path must agree with the full parse.
			key, err := ParsePrivateKeyPEM(tt.data)
			if err != nil {
				t.Fatalf("ParsePrivateKeyPEM(): %v", err)
			}
			if !publicKeysEqual(key.Public(), pub) {
				t.Errorf("PublicKeyFromPEM() and ParsePrivateKeyPEM().Public() differ")
			}
		})
	}
}

// assertNoKeyMaterial fails if the error message contains any 12-character
// run of the PEM body or the key's bytes in hex: an error may be logged, and
// must never leak a private key.
func assertNoKeyMaterial(t *testing.T, err error, data []byte) {
	t.Helper()
	msg := err.Error()
	var material []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "-----") && len(line) >= 12 {
			material = append(material, line)
		}
	}
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		material = append(material, strings.ToLower(string(hexOf(block.Bytes))), strings.ToUpper(string(hexOf(block.Bytes))))
	}
	for _, m := range material {
		for i := 0; i+12 <= len(m); i++ {
			if strings.Contains(msg, m[i:i+12]) {
				t.Fatalf("error %q contains key material %q", msg, m[i:i+12])
			}
		}
	}
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// TestPublicKeyRecordGolden compares the records built from the test keys
// with the ones gen.sh made from OpenSSL's own public-key export.
func TestPublicKeyRecordGolden(t *testing.T) {
	for _, name := range []string{"rsa1024-pkcs1", "rsa2048-pkcs1", "rsa2048-pkcs8", "ed25519-pkcs8"} {
		t.Run(name, func(t *testing.T) {
			want := strings.TrimSpace(string(readTestdata(t, name+".record")))
			data := readTestdata(t, name+".pem")

			pub, err := PublicKeyFromPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := PublicKeyRecord(pub)
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.String(); got != want {
				t.Errorf("PublicKeyRecord(PublicKeyFromPEM()).String() =\n%s\nwant\n%s", got, want)
			}

			key, err := ParsePrivateKeyPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			fromSigner, err := PublicKeyRecord(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rec, fromSigner); diff != "" {
				t.Errorf("records from PublicKeyFromPEM and ParsePrivateKeyPEM differ (-fast +full):\n%s", diff)
			}

			parsed, err := Parse(want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rec, parsed); diff != "" {
				t.Errorf("Parse(golden) differs from PublicKeyRecord (-built +parsed):\n%s", diff)
			}
			typ, bits := Algorithm(pub)
			if parsed.KeyBits() != bits || parsed.keyType() != typ {
				t.Errorf("record says %s/%d bits, key says %s/%d", parsed.keyType(), parsed.KeyBits(), typ, bits)
			}
		})
	}
}

func TestPublicKeyRecordErrors(t *testing.T) {
	small := rsaPublicFromFile(t, "rsa512-pkcs1.pem")
	tests := []struct {
		name string
		pub  crypto.PublicKey
		want error
	}{
		{"rsa 512", small, ErrKeyTooSmall},
		{"nil", nil, ErrUnsupportedKey},
		{"nil rsa key", (*rsa.PublicKey)(nil), ErrUnsupportedKey},
		{"rsa key by value", *small, ErrUnsupportedKey},
		{"ed25519 of wrong size", ed25519.PublicKey{1, 2, 3}, ErrUnsupportedKey},
		{"private key instead of public", ed25519.NewKeyFromSeed(make([]byte, 32)), ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := PublicKeyRecord(tt.pub)
			if !errors.Is(err, tt.want) {
				t.Fatalf("PublicKeyRecord() = %v, %v; want error %v", rec, err, tt.want)
			}
		})
	}
}

func TestPublicKeyRecordCopiesEd25519Key(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	rec, err := PublicKeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	pub[0] ^= 0xff
	if bytes.Equal(rec.PublicKey, pub) {
		t.Error("the record shares its key bytes with the caller's key")
	}
}

func TestAlgorithm(t *testing.T) {
	tests := []struct {
		name     string
		pub      crypto.PublicKey
		wantType string
		wantBits int
	}{
		{"rsa 2048", rsaPublicFromFile(t, "rsa2048-pkcs1.pem"), "rsa", 2048},
		{"rsa 512", rsaPublicFromFile(t, "rsa512-pkcs1.pem"), "rsa", 512},
		{"ed25519", ed25519.PublicKey(mustDecode(t, ed25519Key)), "ed25519", 256},
		{"nil", nil, "", 0},
		{"nil rsa", (*rsa.PublicKey)(nil), "", 0},
		{"short ed25519", ed25519.PublicKey{1}, "", 0},
		{"string", "rsa", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, bits := Algorithm(tt.pub)
			if typ != tt.wantType || bits != tt.wantBits {
				t.Errorf("Algorithm() = %q, %d; want %q, %d", typ, bits, tt.wantType, tt.wantBits)
			}
		})
	}
}

func TestGenerateMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		alg      string
		wantType string
		wantBits int
	}{
		{"ed25519", "ed25519", 256},
		{"rsa-1024", "rsa", 1024},
		{"rsa-2048", "rsa", 2048},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			key, err := GenerateKey(tt.alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			data, err := MarshalPrivateKeyPEM(key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
				t.Errorf("MarshalPrivateKeyPEM() does not start with a PKCS #8 block:\n%.40s", data)
			}
			again, err := ParsePrivateKeyPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(again.Public()) {
				t.Error("the parsed key differs from the generated one")
			}
			typ, bits := Algorithm(again.Public())
			if typ != tt.wantType || bits != tt.wantBits {
				t.Errorf("Algorithm() = %q, %d; want %q, %d", typ, bits, tt.wantType, tt.wantBits)
			}
			rec, err := PublicKeyRecord(again.Public())
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := Parse(rec.String())
			if err != nil {
				t.Fatal(err)
			}
			if parsed.KeyBits() != tt.wantBits {
				t.Errorf("KeyBits() = %d, want %d", parsed.KeyBits(), tt.wantBits)
			}
		})
	}
}

func TestGenerateKeyEd25519IsDeterministic(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	a, err := GenerateKey("ed25519", bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey("ed25519", bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Public().(ed25519.PublicKey).Equal(b.Public()) {
		t.Error("the same entropy gave two different keys")
	}
}

func TestGenerateKeyErrors(t *testing.T) {
	for _, alg := range []string{"", "rsa", "rsa-512", "RSA-2048", "ecdsa-p256", "ed448"} {
		t.Run(alg, func(t *testing.T) {
			if _, err := GenerateKey(alg, nil); !errors.Is(err, ErrUnsupportedKey) {
				t.Errorf("GenerateKey(%q) error = %v, want ErrUnsupportedKey", alg, err)
			}
		})
	}
	if _, err := GenerateKey("ed25519", bytes.NewReader(nil)); err == nil {
		t.Error("GenerateKey with an empty entropy source succeeded")
	}
}

func TestMarshalPrivateKeyPEMErrors(t *testing.T) {
	block, _ := pem.Decode(readTestdata(t, "rsa512-pkcs1.pem"))
	small, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  crypto.Signer
		want error
	}{
		{"rsa 512", small, ErrKeyTooSmall},
		{"nil", nil, ErrUnsupportedKey},
		{"nil rsa", (*rsa.PrivateKey)(nil), ErrUnsupportedKey},
		{"short ed25519", ed25519.PrivateKey{1, 2}, ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := MarshalPrivateKeyPEM(tt.key)
			if !errors.Is(err, tt.want) {
				t.Fatalf("MarshalPrivateKeyPEM() = %d bytes, %v; want error %v", len(data), err, tt.want)
			}
		})
	}
}
