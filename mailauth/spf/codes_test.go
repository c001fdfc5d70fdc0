package spf

import (
	"context"
	"testing"

	"github.com/mailconf/mailconf/mailauth/internal/codecheck"
)

// TestCodes checks that Codes documents each code once and completely, and
// that it lists exactly the codes produced by the cases of TestValidate, of
// TestAnalyzeCounts (over the data-only fake) and by the runaway data of
// TestAnalyzeStopsOnHostileData: none missing and none that no case reaches.
func TestCodes(t *testing.T) {
	codecheck.Catalog(t, "spf", Codes)
	rec := codecheck.NewRecorder(Codes)
	for _, tt := range validateTests() {
		rec.Check(t, mustParse(t, tt.in).Validate())
	}
	for _, tt := range analyzeCases() {
		domain, r := tt.input(t)
		rec.Check(t, Analyze(context.Background(), baseZone().merge(tt.extra), domain, r).Problems)
	}
	rec.Check(t, Analyze(context.Background(), endless{}, "example.com", nil).Problems)
	rec.AllProduced(t)
}
