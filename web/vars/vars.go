// Package vars reads the variables of a prompt: {{name}} in a text is a
// variable, filled in from a case's values before the text is sent.
//
// The syntax, all of it:
//
//   - {{name}} is a variable. A name is one or more ASCII letters,
//     digits, '_', '-' and '.' ({{city}}, {{user.name}}, {{item-2}});
//     spaces and tabs inside the braces are trimmed ({{ city }} is city).
//     Names are case-sensitive. Letters outside ASCII are refused, so a
//     name looks the same in every font and matches a column of the case
//     table byte for byte.
//   - {{"{{"}} is a literal {{ (spaces inside allowed, as for names).
//     Escape writes it for every {{ of a text.
//   - Any other {{ is an error with its byte offset: one with no }} after
//     it ("unclosed {{ at 14"), or whose braces hold anything but a name
//     ("bad variable name \"{x\" at 0"), so a typo is never sent as
//     written. A }} alone is only text.
//
// Values are inserted as they are: a value holding {{x}} is not read
// again.
package vars

import (
	"fmt"
	"strings"

	"github.com/playground-dev/playground/web/problem"
)

const (
	opening = "{{"
	closing = "}}"
	// escaped is the inside of the braces that writes a literal {{.
	escaped = `"{{"`
	// Literal is what Escape writes for each {{ of a text.
	Literal = opening + escaped + closing
)

// Template is a parsed text: literal parts and variables, in order. The
// zero Template is the empty text.
type Template struct {
	parts []part
}

// part is a literal text, or a variable when name is set.
type part struct {
	text string
	name string
}

// SyntaxError is a text that does not parse: what is wrong and the byte
// offset of the {{ it is about. Field and Row say where in a draft the
// text is (OfDraft and FillDraft set them; Row counts from 1, 0 for a
// field of one value).
type SyntaxError struct {
	Offset int
	Reason string // "unclosed {{", `bad variable name "x y"`
	Field  string // the field's name, for the form
	Label  string // the field's label, for the message
	Row    int
}

// Error is the reason and the offset, after the field and row when they
// are known: "Messages, row 2: unclosed {{ at 14".
func (e *SyntaxError) Error() string {
	return where(e.Label, e.Row) + fmt.Sprintf("%s at %d", e.Reason, e.Offset)
}

// Problem is the error as a person reads it, about the field it is in.
func (e *SyntaxError) Problem() *problem.Error {
	return &problem.Error{Kind: problem.KindInvalid, Message: e.Error() + ".", Field: e.Field, Err: e,
		Hint: "A variable is {{name}} (letters, digits, _ - and .); write " + Literal + " for a literal {{."}
}

// where is "Label: " or "Label, row 2: " ("" without a label).
func where(label string, row int) string {
	switch {
	case label == "":
		return ""
	case row > 0:
		return fmt.Sprintf("%s, row %d: ", label, row)
	}
	return label + ": "
}

// MissingError says which variables have no value, in the order they
// first appear.
type MissingError struct {
	Names []string
}

// Error names the variables: "no value for {{city}}, {{date}}".
func (e *MissingError) Error() string {
	return "no value for " + braced(e.Names)
}

// Problem is the error as a person reads it.
func (e *MissingError) Problem() *problem.Error {
	return &problem.Error{Kind: problem.KindInvalid, Message: "No value for " + braced(e.Names) + ".", Err: e,
		Hint: "Give each variable a value (an empty value is a value); nothing was sent."}
}

func braced(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = opening + n + closing
	}
	return strings.Join(out, ", ")
}

// Parse reads text as a template. Its error is a *SyntaxError.
func Parse(text string) (Template, error) {
	var t Template
	lit := strings.Builder{}
	for rest, at := text, 0; ; {
		i := strings.Index(rest, opening)
		if i < 0 {
			lit.WriteString(rest)
			break
		}
		lit.WriteString(rest[:i])
		at += i
		j := strings.Index(rest[i+len(opening):], closing)
		if j < 0 {
			return Template{}, &SyntaxError{Offset: at, Reason: "unclosed " + opening}
		}
		inner := strings.Trim(rest[i+len(opening):i+len(opening)+j], " \t")
		switch {
		case inner == escaped:
			lit.WriteString(opening)
		case ValidName(inner):
			if lit.Len() > 0 {
				t.parts = append(t.parts, part{text: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, part{name: inner})
		default:
			return Template{}, &SyntaxError{Offset: at, Reason: fmt.Sprintf("bad variable name %q", inner)}
		}
		n := i + len(opening) + j + len(closing)
		rest, at = rest[n:], at+n-i
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{text: lit.String()})
	}
	return t, nil
}

// ValidName reports whether s is a variable name: one or more ASCII
// letters, digits, '_', '-' or '.'.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Names are the template's variables, each once, in the order they first
// appear (nil when it has none).
func (t Template) Names() []string {
	var names nameList
	for _, p := range t.parts {
		if p.name != "" {
			names.add([]string{p.name})
		}
	}
	return names.list
}

// Fill is the text with each variable replaced by its value, inserted as
// it is. A variable with no entry in values is a *MissingError naming
// every such variable (an empty value is a value); values naming no
// variable are ignored.
func (t Template) Fill(values map[string]string) (string, error) {
	if m := missing(t.Names(), values); len(m) > 0 {
		return "", &MissingError{Names: m}
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.name != "" {
			b.WriteString(values[p.name])
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String(), nil
}

// missing are the names with no entry in values, in order.
func missing(names []string, values map[string]string) []string {
	var out []string
	for _, n := range names {
		if _, ok := values[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// Names are the variables of several texts, each once, in the order they
// first appear; the error is the first text's that does not parse (a
// *SyntaxError).
func Names(texts ...string) ([]string, error) {
	var names nameList
	for _, s := range texts {
		t, err := Parse(s)
		if err != nil {
			return nil, err
		}
		names.add(t.Names())
	}
	return names.list, nil
}

// nameList keeps names each once, in the order they were first added.
type nameList struct {
	list []string
	seen map[string]bool
}

func (l *nameList) add(names []string) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	for _, n := range names {
		if !l.seen[n] {
			l.seen[n] = true
			l.list = append(l.list, n)
		}
	}
}

// Escape is the template whose filling is s: every {{ of s written as
// {{"{{"}}, so s parses with no variables and fills back to itself.
func Escape(s string) string {
	return strings.ReplaceAll(s, opening, Literal)
}
