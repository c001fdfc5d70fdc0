package schema

import (
	"testing"
)

// TestMTASTSID: an explicit id is read, a domain's overrides its policy's,
// and a malformed one is reported at the value (RFC 8461 section 3.1).
func TestMTASTSID(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.hcl": `
policy "p" {
  mta_sts {
    mode = "enforce"
    id   = "fromPolicy1"
  }
}
domain "a.example" {
  policy = policy.p
  mx { host = "mx.a.example" }
}
domain "b.example" {
  policy = policy.p
  mx { host = "mx.b.example" }
  mta_sts {
    id = "20240101"
  }
}
domain "c.example" {
  mx { host = "mx.c.example" }
  mta_sts {
    mode = "testing"
  }
}
`}, nil)
	for _, tc := range []struct {
		domain, id string
		set        bool
	}{{"a.example", "fromPolicy1", true}, {"b.example", "20240101", true}, {"c.example", "", false}} {
		m := cfg.Domain(tc.domain).MTASTS
		if m.ID.Set != tc.set || m.ID.Value != tc.id {
			t.Errorf("%s: id %+v, want %q (set %v)", tc.domain, m.ID, tc.id, tc.set)
		}
	}
	if m := cfg.Domain("b.example").MTASTS; m.Mode.Value != "enforce" {
		t.Errorf("b.example: the policy's mode is lost when the domain sets only the id: %+v", m.Mode)
	}

	_, diags := loadString(t, map[string]string{"bad.hcl": `domain "example.com" {
  mx { host = "mx.example.com" }
  mta_sts {
    mode = "enforce"
    id   = "v1.2"
  }
}
`}, nil)
	if len(diags) != 1 || diags[0].Summary != "Invalid MTA-STS id" {
		t.Fatalf("diagnostics %v, want one Invalid MTA-STS id", diags)
	}
	rng := diags[0].Subject
	if rng == nil || rng.Start.Line != 5 || rng.Start.Column != 12 || rng.End.Column != 18 {
		t.Errorf("subject %v, want bad.hcl:5,12-18 (the value)", rng)
	}
}
