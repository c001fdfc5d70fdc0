package mailauth

import "testing"

func TestSeverityString(t *testing.T) {
	tests := []struct {
		name string
		in   Severity
		want string
	}{
		{"warning", Warning, "warning"},
		{"error", Error, "error"},
		{"zero value", 0, "Severity(0)"},
		{"out of range", 7, "Severity(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("Severity(%d).String() = %q, want %q", int(tt.in), got, tt.want)
			}
		})
	}
}

func TestSeverityOrder(t *testing.T) {
	// Callers sort and filter findings by severity, so Error must rank
	// above Warning and the zero value below both.
	if !(0 < Warning && Warning < Error) {
		t.Errorf("severities out of order: zero=0, Warning=%d, Error=%d", Warning, Error)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		in   Problem
		want string
	}{
		{
			name: "all fields",
			in:   Problem{Severity: Warning, Tag: "ptr", Message: "ptr should not be used", RFC: "RFC 7208 section 5.5"},
			want: `warning: "ptr": ptr should not be used (RFC 7208 section 5.5)`,
		},
		{
			name: "whole record",
			in:   Problem{Severity: Error, Message: "too many lookups", RFC: "RFC 7208 section 4.6.4"},
			want: "error: too many lookups (RFC 7208 section 4.6.4)",
		},
		{
			name: "no citation",
			in:   Problem{Severity: Error, Tag: "max_age", Message: "out of range"},
			want: `error: "max_age": out of range`,
		},
		{
			name: "tag needing quotes",
			in:   Problem{Severity: Warning, Tag: `a"b`, Message: "odd"},
			want: `warning: "a\"b": odd`,
		},
		{
			name: "missing severity",
			in:   Problem{Message: "unset"},
			want: "Severity(0): unset",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
