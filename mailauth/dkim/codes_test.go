package dkim

import (
	"testing"

	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// TestCodes checks that Codes documents each code once and completely, and
// that it lists exactly the codes produced by the cases of TestValidate and
// by the hand-built record of TestValidateHandBuiltVersion, the only way to
// reach dkim-version-invalid since Parse refuses other versions: none missing
// and none that no case reaches.
func TestCodes(t *testing.T) {
	codecheck.Catalog(t, "dkim", Codes)
	rec := codecheck.NewRecorder(Codes)
	rec.Check(t, (&Record{Version: "DKIM2"}).Validate())
	for _, tt := range validateTests(t) {
		r, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("%s: Parse: %v", tt.name, err)
		}
		rec.Check(t, r.Validate())
	}
	rec.AllProduced(t)
}
