package dmarc

import (
	"strconv"
	"strings"
)

// String returns the record as mailconf publishes it: "v=DMARC1" first, then
// p, then the other tags in a fixed order (sp, np, adkim, aspf, t, psd, rua,
// ruf, fo, then the legacy pct, rf and ri, then unknown tags in their original
// order), separated by "; " and without a trailing semicolon. Absent tags are
// not printed.
//
// p comes right after v because RFC 7489 section 6.4 required it there
// (dmarc-record = dmarc-version dmarc-sep [dmarc-request] ...) and receivers
// that still follow RFC 7489 exist; RFC 9989 section 4.8 allows any order.
//
// String does not validate: a Record with invalid values prints them as they
// are, and Validate says what is wrong.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString(tagV + "=" + Version)
	add := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteString("; ")
		b.WriteString(name)
		b.WriteString("=")
		b.WriteString(value)
	}
	add(tagP, string(r.P))
	add(tagSP, string(r.SP))
	add(tagNP, string(r.NP))
	add(tagADKIM, string(r.ADKIM))
	add(tagASPF, string(r.ASPF))
	add(tagT, r.T)
	add(tagPSD, r.PSD)
	add(tagRUA, strings.Join(r.RUA, ","))
	add(tagRUF, strings.Join(r.RUF, ","))
	add(tagFO, r.FO)
	if r.PCT != nil {
		add(tagPCT, strconv.Itoa(*r.PCT))
	}
	add(tagRF, r.RF)
	if r.RI != nil {
		add(tagRI, strconv.Itoa(*r.RI))
	}
	for _, t := range r.Unknown {
		add(t.Name, t.Value)
	}
	return b.String()
}
