package bimi

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/mailconf/mailconf/mailauth"
	"github.com/mailconf/mailconf/mailauth/internal/syntax"
)

// Severity and Problem are the types of package mailauth, which every
// record type's Validate shares so that the linter can gather all findings
// in one list. The aliases keep this package's names working.
type (
	// Severity says how bad a Problem is.
	Severity = mailauth.Severity
	// Problem is one finding of Validate. Its Tag is the tag concerned, or ""
	// for the record as a whole.
	Problem = mailauth.Problem
)

// Severities of a Problem, as in package mailauth.
const (
	// Warning marks a valid record that probably does not do what is wanted.
	Warning = mailauth.Warning
	// Error marks a record receivers reject or cannot use.
	Error = mailauth.Error
)

const (
	draftRecord  = "draft-brand-indicators-for-message-identification section 4.3"
	draftFormats = "draft-brand-indicators-for-message-identification section 4.3.2"
	draftTagList = "RFC 6376 section 3.2"
)

// rasterSuffixes are image file suffixes other than SVG. Draft section 4.3.2:
// an l= URI ending in another image format suffix is a permanent error.
var rasterSuffixes = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true,
	".bmp": true, ".ico": true, ".tif": true, ".tiff": true, ".avif": true, ".heic": true,
}

// Validate checks r against the draft and returns the problems found, in tag
// order; nil means the record is fine. Every problem carries one of the codes
// listed in Codes, with the severity and citation listed there.
func (r *Record) Validate() []Problem {
	var ps []Problem
	add := func(sev Severity, code, tag, rfc, format string, args ...any) {
		ps = append(ps, Problem{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...), RFC: rfc, Code: code})
	}
	if r.Logo != "" {
		if u, code, err := checkHTTPS(r.Logo, logoCodes); err != nil {
			add(Error, code, "l", draftRecord, "l=%s: %v", r.Logo, err)
		} else if ext := strings.ToLower(path.Ext(u.Path)); rasterSuffixes[ext] {
			add(Error, "bimi-logo-not-svg", "l", draftFormats, "l=%s names a %s image; the indicator must be an SVG (SVG Tiny PS)", r.Logo, ext)
		}
	}
	if r.Authority != "" {
		if _, code, err := checkHTTPS(r.Authority, authorityCodes); err != nil {
			add(Error, code, "a", draftRecord, "a=%s: %v", r.Authority, err)
		}
	}
	if r.Logo == "" && r.Authority != "" {
		add(Warning, "bimi-authority-without-logo", "l", draftRecord, "l= is empty, which declines to publish an indicator, although a= names an evidence document")
	}
	seen := map[string]bool{}
	for _, t := range r.Unknown {
		switch {
		case !syntax.IsTagName(t.Name):
			add(Error, "bimi-tag-name-invalid", t.Name, draftTagList, "%q is not a valid tag name", t.Name)
		case t.Name == "v" || t.Name == "l" || t.Name == "a":
			add(Error, "bimi-tag-reserved", t.Name, draftTagList, "tag %s is set as an unknown tag; use the field for it", t.Name)
		case seen[t.Name]:
			add(Error, "bimi-tag-duplicate", t.Name, draftTagList, "tag %s appears more than once", t.Name)
		case !isTagValue(t.Value):
			add(Error, "bimi-tag-value-invalid", t.Name, draftTagList, "tag %s has a value with a semicolon or control character", t.Name)
		case t.Name == "lps":
			// Draft section 4.3: local-part-selector = "lps" ... %s"true"/"false".
			if t.Value != "true" && t.Value != "false" {
				add(Error, "bimi-lps-invalid", t.Name, draftRecord, "lps=%s is invalid; use true or false", t.Value)
			}
		case t.Name == "avp":
			// Draft section 4.3: other values must be ignored.
			if t.Value != "personal" && t.Value != "brand" {
				add(Warning, "bimi-avp-unknown", t.Name, draftRecord, "avp=%s is not personal or brand; receivers ignore it", t.Value)
			}
		default:
			add(Warning, "bimi-tag-unknown", t.Name, draftRecord, "tag %s is not a BIMI tag; receivers ignore it", t.Name)
		}
		seen[t.Name] = true
	}
	return ps
}

// uriCodes are the codes of the three ways an l= or a= URI can break draft
// section 4.3. The two tags have codes of their own, so that a pipeline can
// tell a broken logo from a broken evidence document.
type uriCodes struct {
	invalid, notHTTPS, hostNotFQDN string
}

var (
	logoCodes      = uriCodes{"bimi-logo-url-invalid", "bimi-logo-not-https", "bimi-logo-host-not-fqdn"}
	authorityCodes = uriCodes{"bimi-authority-url-invalid", "bimi-authority-not-https", "bimi-authority-host-not-fqdn"}
)

// checkHTTPS checks that s is an https URL whose host is a fully qualified
// domain name (draft section 4.3: the URI must contain an FQDN and specify
// HTTPS). When it is not, checkHTTPS returns the code of codes for the rule
// broken and an error saying how.
func checkHTTPS(s string, codes uriCodes) (*url.URL, string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, codes.invalid, fmt.Errorf("not a valid URL")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return nil, codes.notHTTPS, fmt.Errorf("must be an https URL")
	}
	if !syntax.IsFQDN(strings.TrimSuffix(u.Hostname(), ".")) {
		return nil, codes.hostNotFQDN, fmt.Errorf("host %q is not a fully qualified domain name", u.Hostname())
	}
	return u, "", nil
}
