package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/mailconf/mailconf/schema"
)

// writeDiags renders diagnostics with file:line:col and the source snippet,
// in colour only on a terminal and never when NO_COLOR is set
// (https://no-color.org).
func writeDiags(e *env, cfg *schema.Config, diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	var files map[string]*hcl.File
	if cfg != nil {
		files = cfg.Files
	}
	_, noColor := e.lookupEnv("NO_COLOR")
	var buf bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&buf, files, 100, e.colorErr && !noColor)
	for _, d := range diags {
		// Lead with file:line:col, the form editors and CI annotations
		// jump to; HCL's writer adds the snippet and the detail.
		if d.Subject != nil {
			fmt.Fprintf(e.stderr, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		buf.Reset()
		if err := w.WriteDiagnostic(d); err != nil {
			return err
		}
		// Whatever a message quotes, a value read with env() or file()
		// is never shown.
		if _, err := io.WriteString(e.stderr, cfg.Redact(buf.String())); err != nil {
			return err
		}
	}
	errs, warns := 0, 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	_, err := fmt.Fprintf(e.stderr, "%s, %s.\n", plural(errs, "error"), plural(warns, "warning"))
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
