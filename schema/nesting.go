package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// MaxNesting bounds how deeply a configuration file may nest brackets,
// braces, strings, templates, unary operators and conditionals. HCL's
// parser and evaluator recurse once per level; a file nested hundreds of
// thousands of levels deep overflows the stack, which kills the process
// and cannot be recovered. So the depth is measured on the tokens, with
// the lexer (which does not recurse), before the parser sees the file. A
// real configuration nests a dozen levels at most.
const MaxNesting = 128

// checkNesting returns a diagnostic at the first token of src that goes
// deeper than MaxNesting, or nil.
// CheckNesting is the check Load makes before it parses a file, for
// commands that parse configuration files themselves (fmt): a file nested
// more than MaxNesting levels deep is a diagnostic at the token where the
// limit is crossed, before the parser's recursion could overflow the stack.
func CheckNesting(src []byte, filename string) hcl.Diagnostics { return checkNesting(src, filename) }

func checkNesting(src []byte, filename string) hcl.Diagnostics {
	toks, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	// Each open level remembers what opened it and how many conditionals
	// ("a ? b : c ? d : e", whose false branch the parser reaches by
	// recursion) are open at that level.
	// Splats ("a[*][*]") nest by recursion too.
	type level struct {
		opener hclsyntax.TokenType
		conds  int
		splats int
	}
	stack := []level{{opener: hclsyntax.TokenOBrace}}
	unary := 0 // a run of unary operators, each parsed by recursion
	var prev hclsyntax.TokenType = hclsyntax.TokenNewline
	for _, tok := range toks {
		top := &stack[len(stack)-1]
		extra := 0
		switch tok.Type {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenOBrace,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc:
			stack = append(stack, level{opener: tok.Type})
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack, hclsyntax.TokenCBrace,
			hclsyntax.TokenTemplateSeqEnd, hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case hclsyntax.TokenQuestion:
			top.conds++
			extra = top.conds
		case hclsyntax.TokenStar:
			if prev == hclsyntax.TokenOBrack && len(stack) > 1 {
				stack[len(stack)-2].splats++
				extra = stack[len(stack)-2].splats
			}
		case hclsyntax.TokenComma, hclsyntax.TokenEqual:
			top.conds, top.splats = 0, 0
		case hclsyntax.TokenNewline:
			// Inside parentheses and brackets a newline continues the
			// expression; in a body or an object it ends one.
			if top.opener == hclsyntax.TokenOBrace {
				top.conds, top.splats = 0, 0
			}
		}
		if tok.Type == hclsyntax.TokenBang || tok.Type == hclsyntax.TokenMinus && !endsOperand(prev) {
			unary++
		} else if tok.Type != hclsyntax.TokenNewline {
			unary = 0
		}
		top = &stack[len(stack)-1]
		if depth := len(stack) - 1 + max(extra, top.conds+top.splats) + unary; depth > MaxNesting {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Nested too deeply",
				Detail: fmt.Sprintf("The expression here is nested more than %d levels deep (brackets, braces, strings, templates, unary operators, conditionals and splats each count); the limit is %d. Split it into variables or flatten it.",
					MaxNesting, MaxNesting),
				Subject: tok.Range.Ptr(),
			}}
		}
		if tok.Type != hclsyntax.TokenNewline {
			prev = tok.Type
		}
	}
	return nil
}

// endsOperand reports whether a token can end an operand, so that a minus
// after it is binary subtraction rather than negation.
func endsOperand(t hclsyntax.TokenType) bool {
	switch t {
	case hclsyntax.TokenIdent, hclsyntax.TokenNumberLit, hclsyntax.TokenCParen,
		hclsyntax.TokenCBrack, hclsyntax.TokenCBrace, hclsyntax.TokenCQuote,
		hclsyntax.TokenCHeredoc, hclsyntax.TokenStar:
		return true
	}
	return false
}
