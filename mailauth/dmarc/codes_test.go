package dmarc

import (
	"testing"

	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// TestCodes checks that Codes documents each code once and completely, and
// that it lists exactly the codes the Validate cases of this package's table
// tests produce: none missing and none that no case reaches.
func TestCodes(t *testing.T) {
	codecheck.Catalog(t, "dmarc", Codes)
	rec := codecheck.NewRecorder(Codes)
	for _, tt := range validateTests() {
		rec.Check(t, tt.in.Validate())
	}
	rec.AllProduced(t)
}
