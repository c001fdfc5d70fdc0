package dkim

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoadKey compares the cost of reading one key file: x509's full
// parse (what ParsePrivateKeyPEM pays) against PublicKeyFromPEM (what the
// record compiler pays).
func BenchmarkLoadKey(b *testing.B) {
	for _, name := range []string{"rsa1024-pkcs1", "rsa2048-pkcs1", "rsa2048-pkcs8", "ed25519-pkcs8"} {
		data := readTestdata(b, name+".pem")
		block, _ := pem.Decode(data)
		b.Run("x509/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if block.Type == "RSA PRIVATE KEY" {
					_, err = x509.ParsePKCS1PrivateKey(block.Bytes)
				} else {
					_, err = x509.ParsePKCS8PrivateKey(block.Bytes)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("ParsePrivateKeyPEM/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePrivateKeyPEM(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("PublicKeyFromPEM/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PublicKeyFromPEM(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompileRecords does what the record compiler does per domain:
// read the public half of the domain's private key file (already in memory:
// file I/O is the caller's), build the record and print it. Keys alternate
// between the PKCS #1 and PKCS #8 RSA-2048 test keys; parsing costs the same
// for every key of one size, so two keys stand for many. The "full" loader
// shows what the same run would cost with ParsePrivateKeyPEM.
func BenchmarkCompileRecords(b *testing.B) {
	keys := [][]byte{readTestdata(b, "rsa2048-pkcs1.pem"), readTestdata(b, "rsa2048-pkcs8.pem")}
	loaders := []struct {
		name string
		load func([]byte) (crypto.PublicKey, error)
	}{
		{"fast", PublicKeyFromPEM},
		{"full", func(data []byte) (crypto.PublicKey, error) {
			k, err := ParsePrivateKeyPEM(data)
			if err != nil {
				return nil, err
			}
			return k.Public(), nil
		}},
	}
	for _, loader := range loaders {
		for _, domains := range []int{1, 100, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/domains=%d", loader.name, domains), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for i := range domains {
						pub, err := loader.load(keys[i%len(keys)])
						if err != nil {
							b.Fatal(err)
						}
						rec, err := PublicKeyRecord(pub)
						if err != nil {
							b.Fatal(err)
						}
						_ = rec.String()
					}
				}
			})
		}
	}
}

func BenchmarkParse(b *testing.B) {
	text := strings.TrimSpace(string(readTestdata(b, "rsa2048-pkcs1.record")))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}
