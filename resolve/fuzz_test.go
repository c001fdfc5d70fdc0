package resolve

import (
	"errors"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// FuzzTXT checks that any character-string survives the trip through the
// wire and back out of Answer.TXT unchanged: miekg/dns holds TXT strings
// escaped, and TXT must undo exactly that.
func FuzzTXT(f *testing.F) {
	for _, s := range []string{"", "v=spf1 -all", `a"b\c`, "a;b", "\x00\x7f\x80\xff", `\059`, "tab\there"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxCharString {
			s = s[:maxCharString]
		}
		if got := unescapeTXT(escapeTXT(s)); got != s {
			t.Fatalf("unescapeTXT(escapeTXT(%q)) = %q", s, got)
		}
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeTXT)
		m.Response = true
		m.Answer = []dns.RR{&dns.TXT{
			Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
			Txt: []string{escapeTXT(s), "!"},
		}}
		wire, err := m.Pack()
		if err != nil {
			t.Fatalf("Pack: %v", err)
		}
		var back dns.Msg
		if err := back.Unpack(wire); err != nil {
			t.Fatalf("Unpack: %v", err)
		}
		a, err := answerFromMsg("example.com", dns.TypeTXT, "fuzz", &back)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.TXT(); len(got) != 1 || got[0] != s+"!" {
			t.Fatalf("TXT() = %q, want [%q]", got, s+"!")
		}
	})
}

// FuzzAnswerFromMsg feeds arbitrary responses to the code that reads them:
// it must not panic, must classify every failure, and must only ever return
// records of the type asked, owned by the end of a loop-free CNAME chain.
func FuzzAnswerFromMsg(f *testing.F) {
	seed := func(rcode int, qname string, qtype uint16, rrs ...string) {
		m := new(dns.Msg)
		m.SetQuestion(qname, qtype)
		m.Response, m.Rcode = true, rcode
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				f.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		wire, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(wire)
	}
	seed(dns.RcodeSuccess, "example.com.", dns.TypeTXT, `example.com. 60 IN TXT "v=spf1 " "-all"`)
	seed(dns.RcodeSuccess, "www.example.com.", dns.TypeA,
		"www.example.com. 60 IN CNAME a.example.net.", "A.Example.NET. 60 IN A 192.0.2.1", "other.test. 60 IN A 192.0.2.2")
	seed(dns.RcodeNameError, "www.example.com.", dns.TypeMX, "www.example.com. 60 IN CNAME gone.example.net.")
	seed(dns.RcodeSuccess, "a.test.", dns.TypeA, "a.test. 60 IN CNAME b.test.", "b.test. 60 IN CNAME a.test.")
	seed(dns.RcodeServerFailure, "example.com.", dns.TypeTXT)
	seed(dns.RcodeSuccess, "example.com.", dns.TypeMX, "example.com. 60 IN MX 10 mx.example.com.", "example.com. 60 IN MX 0 .")
	f.Fuzz(func(t *testing.T, wire []byte) {
		var m dns.Msg
		if m.Unpack(wire) != nil || len(m.Question) == 0 {
			return
		}
		q := m.Question[0]
		name := canonicalName(q.Name)
		a, err := answerFromMsg(name, q.Qtype, "fuzz", &m)
		if err != nil {
			if !errors.Is(err, ErrTemporary) && !errors.Is(err, ErrPermanent) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNameError {
			t.Fatalf("answer with rcode %d", a.Rcode)
		}
		end := name
		for i, c := range a.CNAMEs {
			if c != canonicalName(c) || c == name || slices.Contains(a.CNAMEs[:i], c) {
				t.Fatalf("bad CNAME chain %q from %q", a.CNAMEs, name)
			}
			end = c
		}
		for _, rr := range a.Records {
			if rr.Header().Rrtype != q.Qtype || !sameName(rr.Header().Name, end) {
				t.Fatalf("record %v in the answer to %s %d ending at %s", rr, name, q.Qtype, end)
			}
		}
		if a.Void() != (a.Rcode == dns.RcodeNameError || len(a.Records) == 0) {
			t.Fatal("Void disagrees with the answer")
		}
		_, _, _, _ = a.TXT(), a.MX(), a.Addrs(), a.Names()
	})
}
