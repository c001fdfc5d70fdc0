package main

import (
	"testing"

	"github.com/mailconf/mailconf/verify/probe"
	"github.com/mailconf/mailconf/verify/published"
)

// TestJudgeMailbox: a mailbox provider's Authentication-Results are held
// to the rules mailconf's own receiver is: SPF, every active selector,
// DMARC.
func TestJudgeMailbox(t *testing.T) {
	pass := func(sel string) probe.Signature {
		return probe.Signature{Domain: "example.com", Selector: sel, Result: "pass"}
	}
	tests := []struct {
		name   string
		v      probe.MailboxVerdict
		ok     bool
		result string
		msg    string
	}{
		{
			name: "every selector passes",
			v:    probe.MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "pass", AuthServID: "mx.google.com", Signatures: []probe.Signature{pass("s2026e"), pass("s2026a")}},
			ok:   true, result: "pass",
			msg: "probe: mx.google.com says SPF pass, DKIM pass (s2026a, s2026e), DMARC pass",
		},
		{
			name:   "one selector fails, DMARC still passes on the other",
			v:      probe.MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "pass", AuthServID: "mx.sink.test", Signatures: []probe.Signature{pass("s2026e"), {Domain: "example.com", Selector: "s2026a", Result: "fail"}}},
			result: "fail",
			msg:    "probe: mx.sink.test says no passing DKIM signature with selector s2026a (s2026a._domainkey.example.com=fail, s2026e._domainkey.example.com=pass)",
		},
		{
			name:   "a passing signature of another domain does not count",
			v:      probe.MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "fail", AuthServID: "mx", Signatures: []probe.Signature{{Domain: "esp.example", Selector: "s2026a", Result: "pass"}, pass("s2026e")}},
			result: "fail",
			msg:    "probe: mx says no passing DKIM signature with selector s2026a (s2026a._domainkey.esp.example=pass, s2026e._domainkey.example.com=pass); DMARC fail",
		},
		{
			name: "no selectors named: one passing signature of the domain stands for all",
			v:    probe.MailboxVerdict{SPF: "pass", DKIM: "pass", DMARC: "pass", AuthServID: "mx", Signatures: []probe.Signature{{Domain: "example.com", Result: "pass"}}},
			ok:   true, result: "pass",
			msg: "probe: mx says SPF pass, DKIM pass (selectors not named), DMARC pass",
		},
		{
			name:   "methods not reported",
			v:      probe.MailboxVerdict{AuthServID: "mx"},
			result: "fail",
			msg:    "probe: mx says SPF not reported; no passing DKIM signature of example.com (no signature results); DMARC not reported",
		},
		{
			name:   "SPF fail",
			v:      probe.MailboxVerdict{SPF: "softfail", DKIM: "pass", DMARC: "pass", AuthServID: "mx", Signatures: []probe.Signature{pass("s2026a"), pass("s2026e")}},
			result: "fail",
			msg:    "probe: mx says SPF softfail",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := published.Check{Domain: "example.com", Kind: "probe"}
			judgeMailbox(&c, []string{"s2026a", "s2026e"}, &tc.v)
			if c.OK != tc.ok || c.Result != tc.result || c.Message != tc.msg {
				t.Errorf("got ok=%v result=%q\n  %s\nwant ok=%v result=%q\n  %s", c.OK, c.Result, c.Message, tc.ok, tc.result, tc.msg)
			}
		})
	}
}
