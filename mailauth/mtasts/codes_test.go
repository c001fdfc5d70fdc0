package mtasts

import (
	"testing"

	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// TestCodes checks that Codes documents each code once and completely, and
// that it lists exactly the codes the cases of TestRecordValidate and
// TestPolicyValidate produce: none missing and none that no case reaches.
func TestCodes(t *testing.T) {
	codecheck.Catalog(t, "mtasts", Codes)
	rec := codecheck.NewRecorder(Codes)
	for _, tt := range recordValidateTests() {
		rec.Check(t, tt.in.Validate())
	}
	for _, tt := range policyValidateTests() {
		rec.Check(t, tt.in.Validate())
	}
	rec.AllProduced(t)
}
