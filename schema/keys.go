package schema

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/internal/regfile"
	"github.com/mailconf/mailconf/mailauth/dkim"
)

// loadKeys reads the public half of every DKIM key file. Fleets name
// thousands of key files, so they are read in parallel, each path once.
func (l *loader) loadKeys() hcl.Diagnostics {
	var keys []*DKIMKey
	for _, d := range l.cfg.Domains {
		for _, k := range d.DKIM {
			if k.Path != "" {
				keys = append(keys, k)
			}
		}
	}
	type result struct {
		pub crypto.PublicKey
		err error
	}
	results := map[string]*result{}
	var paths []string
	for _, k := range keys {
		if results[k.Path] == nil {
			results[k.Path] = &result{}
			paths = append(paths, k.Path)
		}
	}
	var wg sync.WaitGroup
	next := make(chan string)
	for range min(runtime.GOMAXPROCS(0)*2, max(len(paths), 1)) {
		wg.Go(func() {
			for p := range next {
				r := results[p]
				data, err := l.opts.ReadFile(p, regfile.KeyLimit)
				if err != nil {
					r.err = err
					continue
				}
				r.pub, r.err = dkim.PublicKeyFromPEM(data)
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()

	var diags hcl.Diagnostics
	for _, k := range keys {
		r := results[k.Path]
		if r.err != nil {
			diags = append(diags, keyDiag(k, r.err))
			continue
		}
		k.PublicKey = r.pub
		diags = append(diags, checkKey(k)...)
	}
	for _, d := range l.cfg.Domains {
		diags = append(diags, checkActiveKeys(d)...)
	}
	return diags
}

// KeyFamily returns "rsa" or "ed25519": the kind of key a receiver verifies
// a signature with, whatever its size. The relay signs with one active key
// of each family.
func (k *DKIMKey) KeyFamily() string {
	alg := k.Algorithm.Value
	if k.PublicKey != nil {
		alg = keyAlgorithm(k.PublicKey)
	}
	if alg == "" || strings.HasPrefix(alg, "rsa") {
		return "rsa"
	}
	return alg
}

// checkActiveKeys: at most one active key per family. The relay would sign
// every message twice with the same kind of key, and a rotation that left
// the old key active never ends. RFC 6376 section 4.2 lets a message carry
// several signatures, but one per algorithm is what a rotation needs.
func checkActiveKeys(d *Domain) hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := map[string]*DKIMKey{}
	for _, k := range d.DKIM {
		if k.StateOr() != DKIMActive || k.Published.Set || k.PublicKey == nil {
			continue
		}
		fam := k.KeyFamily()
		if prev := first[fam]; prev != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Two active DKIM keys",
				Detail:   fmt.Sprintf("Domain %s has two active %s keys, %s (at %s) and %s; the relay signs with one key of each kind. Make one of them retiring (mailconf dkim rotate %s does it in order), or next if it is the new one.", d.Name, strings.ToUpper(fam), prev.Selector, prev.DeclRange, k.Selector, d.Name),
				Subject:  k.DeclRange.Ptr(),
			})
			continue
		}
		first[fam] = k
	}
	return diags
}

func keyDiag(k *DKIMKey, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Subject: k.KeyFile.Range.Ptr()}
	var pathErr *fs.PathError
	var regErr *regfile.Error
	switch {
	case errors.As(err, &regErr):
		d.Summary = "Unreadable DKIM key file"
		d.Detail = fmt.Sprintf("%s %s. key_file must name a PEM private key file (at most %s).", k.Path, regErr.Reason(), regfile.Size(regfile.KeyLimit))
	case errors.Is(err, fs.ErrNotExist):
		d.Summary = "DKIM key file not found"
		d.Detail = fmt.Sprintf("There is no file %s. Generate the key (openssl genpkey -algorithm ed25519 -out %s) or fix key_file.", k.Path, k.KeyFile.Value)
	case errors.As(err, &pathErr):
		d.Summary = "Unreadable DKIM key file"
		d.Detail = fmt.Sprintf("Reading %s failed: %s. key_file must name a readable PEM file.", k.Path, pathErr.Err)
	case errors.Is(err, dkim.ErrKeyTooSmall):
		d.Summary = "DKIM key too small"
		d.Detail = fmt.Sprintf("The RSA key in %s is shorter than 1024 bits; receivers must not accept such signatures (RFC 8301 section 3.2). Generate a 2048-bit RSA or an Ed25519 key.", k.Path)
	case errors.Is(err, dkim.ErrUnsupportedKey):
		d.Summary = "Unsupported DKIM key"
		d.Detail = fmt.Sprintf("%s holds a key DKIM cannot use; DKIM signs with RSA (RFC 8301) or Ed25519 (RFC 8463) keys.", k.Path)
	default:
		d.Summary = "Not a DKIM private key"
		d.Detail = fmt.Sprintf("%s is not a PEM private key (PKCS#1 \"RSA PRIVATE KEY\" or PKCS#8 \"PRIVATE KEY\"). key_file must name the private key, not the public key or a certificate.", k.Path)
	}
	return d
}

// checkKey compares the key with the declared algorithm and warns about
// keys that work but are weaker than recommended.
func checkKey(k *DKIMKey) hcl.Diagnostics {
	var diags hcl.Diagnostics
	alg := keyAlgorithm(k.PublicKey)
	if k.Algorithm.Set && k.Algorithm.Value != alg {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "DKIM key does not match its algorithm",
			Detail:   fmt.Sprintf("algorithm says %s but %s holds a %s key. Fix algorithm or key_file.", k.Algorithm.Value, k.Path, alg),
			Subject:  k.Algorithm.Range.Ptr(),
		})
	}
	if pub, ok := k.PublicKey.(*rsa.PublicKey); ok && pub.N.BitLen() < 2048 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Weak DKIM key",
			Detail:   fmt.Sprintf("%s holds a %d-bit RSA key. It verifies, but RFC 8301 section 3.2 recommends 2048 bits; plan a rotation to a 2048-bit key.", k.Path, pub.N.BitLen()),
			Subject:  k.KeyFile.Range.Ptr(),
		})
	}
	return diags
}

// keyAlgorithm names a public key the way the algorithm attribute does.
func keyAlgorithm(pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", p.N.BitLen())
	case ed25519.PublicKey:
		return "ed25519"
	}
	return "unknown"
}
