package vars

import (
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
)

// Templated reports whether f's text is a template: every text field
// (type text: the prompt, a system prompt or the instructions, a suffix),
// a one-line string field of the prompt (catalog role prompt), each
// message's content and each image's URL. Anything else is sent as
// written: numbers, enums, booleans, ids and metadata strings (user,
// tool_choice, previous_response_id), stop sequences, JSON values
// (tools, response_format, json_schema, audio, logit_bias), function rows,
// and a message's tool calls, tool call id and reasoning.
func Templated(f catalog.Field) bool {
	switch f.Type {
	case catalog.TypeText, catalog.TypeMessages, catalog.TypeImageURLs:
		return true
	case catalog.TypeString:
		return form.IsPrompt(f)
	}
	return false
}

// OfDraft are the variables of the draft's templated texts (Templated),
// each once, in the order of fields, then rows, then place in the text.
// The error is the first text that does not parse: a *SyntaxError naming
// its field and row.
func OfDraft(fields []catalog.Field, d form.Draft) ([]string, error) {
	var names nameList
	_, err := walk(fields, d, func(t Template, s string) string {
		names.add(t.Names())
		return s
	})
	if err != nil {
		return nil, err
	}
	return names.list, nil
}

// FillDraft is a copy of d with every templated text filled from values
// (d is left as it is). A text that does not parse is a *SyntaxError
// naming its field and row; variables with no value are one
// *MissingError naming them all, in OfDraft's order.
func FillDraft(fields []catalog.Field, d form.Draft, values map[string]string) (form.Draft, error) {
	var names nameList
	out, err := walk(fields, d, func(t Template, s string) string {
		names.add(t.Names())
		filled, err := t.Fill(values)
		if err != nil {
			return s // named below, with the others
		}
		return filled
	})
	if err != nil {
		return nil, err
	}
	if m := missing(names.list, values); len(m) > 0 {
		return nil, &MissingError{Names: m}
	}
	return out, nil
}

// walk parses each templated text of d, in the order of fields and rows,
// and hands it to visit, whose result replaces the text in a copy of d.
// Inputs of another shape than their field's kind reads are left alone
// (form.Check does not read them either).
func walk(fields []catalog.Field, d form.Draft, visit func(t Template, s string) string) (form.Draft, error) {
	out := d.Clone()
	for _, f := range fields {
		in, ok := out[f.Name]
		if !ok || !Templated(f) {
			continue
		}
		fill := func(s *string, row int) error {
			t, err := Parse(*s)
			if err != nil {
				e := *err.(*SyntaxError)
				e.Field, e.Label, e.Row = f.Name, f.DisplayLabel(), row
				return &e
			}
			*s = visit(t, *s)
			return nil
		}
		var err error
		switch {
		case in.Shape == form.ShapeText && (f.Type == catalog.TypeText || f.Type == catalog.TypeString):
			err = fill(&in.Text, 0)
		case in.Shape == form.ShapeList && (f.Type == catalog.TypeText || f.Type == catalog.TypeString):
			for i := range in.List {
				if err == nil {
					err = fill(&in.List[i], rowOf(i, len(in.List)))
				}
			}
		case in.Shape == form.ShapeMessages && f.Type == catalog.TypeMessages:
			for i := range in.Messages {
				if err == nil {
					err = fill(&in.Messages[i].Content, i+1)
				}
			}
		case in.Shape == form.ShapeImages && f.Type == catalog.TypeImageURLs:
			for i := range in.Images {
				if err == nil {
					err = fill(&in.Images[i].URL, i+1)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		out[f.Name] = in
	}
	return out, nil
}

// rowOf is the row a person reads of the i-th of n values: none for a
// list of one.
func rowOf(i, n int) int {
	if n == 1 {
		return 0
	}
	return i + 1
}
