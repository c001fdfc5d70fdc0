package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// rotateMarks are the marks of the text view, as plans use them: + a new
// key, ~ a key's state or history changes, - a block goes; ! a step waits
// for the world, x one rotate cannot take, = nothing due.
func rotateMark(s *rotateStep) (mark, color string) {
	switch {
	case s.Outcome == outcomeRefused:
		return "!", "\x1b[33m"
	case s.Outcome == outcomeError:
		return "x", "\x1b[31m"
	case s.Outcome == outcomeSkipped:
		return "=", ""
	case s.Action == actionGenerate:
		return "+", "\x1b[32m"
	case s.Action == actionRemove:
		return "-", "\x1b[31m"
	}
	return "~", "\x1b[33m"
}

func writeRotateText(w io.Writer, res *rotateResult, color bool) error {
	bw := &errWriter{w: w}
	paint := func(c, s string) string {
		if !color || c == "" {
			return s
		}
		return c + s + "\x1b[0m"
	}
	for _, rd := range res.Domains {
		bw.printf("%s\n", paint("\x1b[1m", rd.Name))
		for _, s := range rd.Steps {
			mark, c := rotateMark(s)
			bw.printf("  %s %-8s %s\n", paint(c, mark), s.Family, s.Message)
		}
		if len(rd.Steps) == 0 {
			bw.printf("  = nothing to do\n")
		}
	}
	for _, rf := range res.Files {
		verb := "Would change"
		if rf.Written {
			verb = "Changed"
		}
		bw.printf("\n%s %s:\n%s", verb, rf.Path, rf.Diff)
		if rf.Relaid {
			bw.printf("The rest of %s is not in canonical layout; writing it puts all of it in that layout (whitespace only).\n", rf.Path)
		}
	}
	bw.printf("\n%s\n", rotateSummary(res))
	return bw.err
}

// rotateSummary is the last line of the text view: what was done and what
// to do next.
func rotateSummary(res *rotateResult) string {
	steps, refused, errs := res.count(outcomeStep), res.count(outcomeRefused), res.count(outcomeError)
	var parts []string
	switch {
	case res.Error != "":
		parts = append(parts, fmt.Sprintf("Writing failed: %s.", res.Error))
	case errs > 0:
		parts = append(parts, fmt.Sprintf("%s cannot be taken (marked x), so nothing was written.", plural(errs, "step")))
	case steps > 0 && res.Write:
		var files []string
		for _, rf := range res.Files {
			files = append(files, rf.Path)
		}
		parts = append(parts, fmt.Sprintf("%s taken, written to %s. Next: mailconf plan shows what that changes in the zones, and mailconf apply makes the change%s.", plural(steps, "step"), strings.Join(files, ", "), relayHint(res)))
	case steps > 0:
		parts = append(parts, fmt.Sprintf("%s to take. Nothing was written: run again with --write to take %s.", plural(steps, "step"), map[bool]string{true: "it", false: "them"}[steps == 1]))
	default:
		parts = append(parts, "No step can be taken now.")
	}
	if refused > 0 && errs == 0 && res.Error == "" {
		parts = append(parts, fmt.Sprintf("%s %s for the world (marked !): run rotate again when it is ready.", plural(refused, "step"), map[bool]string{true: "waits", false: "wait"}[refused == 1]))
	}
	return "Rotate: " + strings.Join(parts, " ")
}

// relayHint reminds that a running relay reads its keys when it starts.
func relayHint(res *rotateResult) string {
	for _, rd := range res.Domains {
		if slices.ContainsFunc(rd.Steps, func(s *rotateStep) bool { return s.Action == actionActivate && s.Outcome == outcomeStep }) {
			return "; restart mailconf relay serve so that it signs with the new active keys"
		}
	}
	return ""
}

type rotateJSON struct {
	*rotateResult
	Summary rotateSummaryJSON `json:"summary"`
}

type rotateSummaryJSON struct {
	Steps    int `json:"steps"`
	Refused  int `json:"refused"`
	Skipped  int `json:"skipped"`
	Errors   int `json:"errors"`
	ExitCode int `json:"exit_code"`
}

func writeRotateJSON(w io.Writer, res *rotateResult) error {
	out := rotateJSON{rotateResult: res, Summary: rotateSummaryJSON{
		Steps:    res.count(outcomeStep),
		Refused:  res.count(outcomeRefused),
		Skipped:  res.count(outcomeSkipped),
		Errors:   res.count(outcomeError),
		ExitCode: res.exitCode(),
	}}
	if out.Files == nil {
		out.Files = []*rotateFile{}
	}
	for _, d := range res.Domains {
		if d.Steps == nil {
			d.Steps = []*rotateStep{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
