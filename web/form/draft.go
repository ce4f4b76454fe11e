package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Draft is a form as the person left it: one typed input per field, by
// the field's name. It is what drafts, run origins, history rows and
// compare layouts hold and store (as JSON); url.Values remain only at the
// edge, where a form is posted (Decode) and drawn again (Values). The
// inputs are what was written, not what was checked: Check reads a Draft
// into Values and the errors shown beside it.
type Draft map[string]Input

// Shape is how a field's input is held and posted: one text, a list of
// texts, or rows of one of the row fields (rows.go names their parts).
type Shape string

// The shapes of inputs.
const (
	ShapeText      Shape = "text"      // one value, posted under the field's name
	ShapeList      Shape = "list"      // values posted repeatedly under the field's name
	ShapeMessages  Shape = "messages"  // rows: NAME.role, NAME.content, …
	ShapeImages    Shape = "images"    // rows: NAME.url, NAME.detail
	ShapeFunctions Shape = "functions" // rows: NAME.name, NAME.description, NAME.parameters
)

// Input is one field's input, typed by its shape: Text for one value
// (a number is kept as written, so "0.70" shows as typed and a mistyped
// value is shown back with its error), List for several, or the rows of
// a row field.
type Input struct {
	Shape     Shape
	Text      string
	List      []string
	Messages  []MessageRow
	Images    []ImageRow
	Functions []FunctionRow
}

// Text is a one-value input.
func Text(s string) Input { return Input{Shape: ShapeText, Text: s} }

// List is an input of several values.
func List(vs ...string) Input { return Input{Shape: ShapeList, List: vs} }

// Messages is a messages field's input.
func Messages(rows ...MessageRow) Input { return Input{Shape: ShapeMessages, Messages: rows} }

// Strings are the input's values as a one-value or list field reads
// them (a one-value input is a list of one); nil for rows.
func (in Input) Strings() []string {
	switch in.Shape {
	case ShapeText:
		return []string{in.Text}
	case ShapeList:
		return in.List
	}
	return nil
}

// String is the input's one value: its text, or the first of a list.
func (in Input) String() string {
	if vs := in.Strings(); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// clone copies in deeply.
func (in Input) clone() Input {
	in.List = slices.Clone(in.List)
	in.Messages = slices.Clone(in.Messages)
	in.Images = slices.Clone(in.Images)
	in.Functions = slices.Clone(in.Functions)
	return in
}

// Clone copies the draft deeply (changing the copy leaves d alone).
func (d Draft) Clone() Draft {
	if d == nil {
		return nil
	}
	out := make(Draft, len(d))
	for k, in := range d {
		out[k] = in.clone()
	}
	return out
}

// Has reports whether the draft holds an input for the field name.
func (d Draft) Has(name string) bool {
	_, ok := d[name]
	return ok
}

// Text is the one value of a field ("" when it has none).
func (d Draft) Text(name string) string { return d[name].String() }

// List is the values of a field.
func (d Draft) List(name string) []string { return d[name].Strings() }

// MessageRows are a messages field's rows.
func (d Draft) MessageRows(name string) []MessageRow { return d[name].Messages }

// ImageRows are an image_urls field's rows.
func (d Draft) ImageRows(name string) []ImageRow { return d[name].Images }

// FunctionRows are a functions field's rows.
func (d Draft) FunctionRows(name string) []FunctionRow { return d[name].Functions }

// Decode reads a posted form into a draft, by the row grammar alone: an
// input named NAME.PART is a part of a row field's rows (rows.go), any
// other one value is a text and several a list. What each field makes of
// its input is its kind's (kinds.go); inputs that name no field are
// carried along and dropped when the draft meets a schema (draft.Prepare).
func Decode(posted url.Values) Draft {
	d := Draft{}
	rows := map[string]Shape{}
	for k, vs := range posted {
		if name, part, ok := strings.Cut(k, "."); ok {
			if shape, isRow := partShape[part]; isRow {
				rows[name] = shape
				continue
			}
		}
		if len(vs) == 1 {
			d[k] = Text(vs[0])
		} else {
			d[k] = List(slices.Clone(vs)...)
		}
	}
	for name, shape := range rows {
		if in, ok := decodeRows(shape, name, posted); ok {
			d[name] = in
		}
	}
	return d
}

// Values writes the draft back as the page's inputs would post it (the
// inverse of Decode).
func (d Draft) Values() url.Values {
	out := url.Values{}
	for name, in := range d {
		switch in.Shape {
		case ShapeText:
			out[name] = []string{in.Text}
		case ShapeList:
			out[name] = append([]string{}, in.List...)
		default:
			encodeRows(name, in, out)
		}
	}
	return out
}

// MarshalJSON writes one input as {"text": …}, {"list": […]} or its rows
// ({"messages": […]}, {"images": […]}, {"functions": […]}).
func (in Input) MarshalJSON() ([]byte, error) {
	var v any
	switch in.Shape {
	case ShapeText:
		v = in.Text
	case ShapeList:
		v = in.List
		if in.List == nil {
			v = []string{}
		}
	case ShapeMessages:
		v = in.Messages
	case ShapeImages:
		v = in.Images
	case ShapeFunctions:
		v = in.Functions
	default:
		return nil, errors.New("form: an input of no shape")
	}
	return json.Marshal(map[Shape]any{in.Shape: v})
}

// UnmarshalJSON reads what MarshalJSON writes; a bare JSON string (a
// compare override as layouts stored it before drafts were typed) reads
// as a text, and null as nothing.
func (in *Input) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if bytes.Equal(t, []byte("null")) {
		return nil
	}
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		*in = Text(s)
		return nil
	}
	var m map[Shape]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) != 1 {
		return errors.New("form: an input must have one shape")
	}
	for shape, raw := range m {
		*in = Input{Shape: shape}
		switch shape {
		case ShapeText:
			return json.Unmarshal(raw, &in.Text)
		case ShapeList:
			return json.Unmarshal(raw, &in.List)
		case ShapeMessages:
			return json.Unmarshal(raw, &in.Messages)
		case ShapeImages:
			return json.Unmarshal(raw, &in.Images)
		case ShapeFunctions:
			return json.Unmarshal(raw, &in.Functions)
		}
		return errors.New("form: unknown input shape " + string(shape))
	}
	return nil
}

// UnmarshalJSON reads a stored draft: {"name": input, …}, or the shape
// drafts were stored in before they were typed, the posted form itself
// ({"temperature": ["0.7"], "messages.role": […], …}), which is read
// through Decode as a post is.
func (d *Draft) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		*d = nil
		return nil
	}
	for _, v := range raw {
		if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
			var posted url.Values
			if err := json.Unmarshal(b, &posted); err != nil {
				return err
			}
			*d = Decode(posted)
			return nil
		}
	}
	out := make(Draft, len(raw))
	for k, v := range raw {
		var in Input
		if err := json.Unmarshal(v, &in); err != nil {
			return err
		}
		out[k] = in
	}
	*d = out
	return nil
}

// Equal reports whether two drafts hold the same inputs.
func (d Draft) Equal(o Draft) bool {
	return maps.EqualFunc(d, o, func(a, b Input) bool { return a.equal(b) })
}

func (in Input) equal(o Input) bool {
	return in.Shape == o.Shape && in.Text == o.Text && slices.Equal(in.List, o.List) &&
		slices.Equal(in.Messages, o.Messages) && slices.Equal(in.Images, o.Images) && slices.Equal(in.Functions, o.Functions)
}
