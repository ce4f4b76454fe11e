package form

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
)

// kind is what one field type is to a form: the shape its input is held
// and posted in (Decode and Values read and write the shape, rows.go
// names the parts of row shapes; Input's JSON is the shape), how it reads
// an input (one value, a list or rows), how it checks that input into
// its typed value, and how it takes part in the prompt when its field has
// the prompt role.
type kind struct {
	// shape is the shape of f's input.
	shape func(f catalog.Field) Shape
	// lastWins: of several values posted for a one-value field, the last
	// is its value (a checkbox posts a hidden "false" before its "true");
	// else the first.
	lastWins bool
	// check reads f's input into its value: the value, whether it is set
	// (an unset field is not sent), or the message shown beside the field.
	check func(f catalog.Field, in Input) (any, bool, string)
	// turns are f's part of the conversation; nil leaves it out of it.
	turns func(f catalog.Field, in Input) []Turn
	// setTurns writes conv into f's input (false leaves it as it is);
	// system says the model has a system prompt field of its own.
	setTurns func(f catalog.Field, cur Input, conv []Turn, system bool) (Input, bool)
	// fromJSON is the inverse of placing f's checked value at its body
	// path (request.Build): the JSON value found there back to f's input,
	// or the message shown beside the field when it cannot be. Row
	// fields have none: their transforms reshape the body, and their
	// inverses are in inverse.go.
	fromJSON func(f catalog.Field, v json.RawMessage) (Input, string)
}

// kinds is the table of field types: adding a type adds its entry here
// (and its catalog name in web/catalog/field.go).
var kinds = map[catalog.FieldType]kind{
	catalog.TypeString:  {shape: one, check: scalar(checkText), turns: textTurns, setTurns: setTextTurns, fromJSON: textFromJSON},
	catalog.TypeText:    {shape: oneOrList, check: checkTextOrList, turns: textTurns, setTurns: setTextTurns, fromJSON: textFromJSON},
	catalog.TypeEnum:    {shape: one, check: scalar(checkEnum), fromJSON: textFromJSON},
	catalog.TypeNumber:  {shape: one, check: scalar(checkNumber), fromJSON: numberFromJSON},
	catalog.TypeInteger: {shape: one, check: scalar(checkInteger), fromJSON: integerFromJSON},
	catalog.TypeBoolean: {shape: one, lastWins: true, check: func(f catalog.Field, in Input) (any, bool, string) { return parseBool(f, in.Strings()) },
		fromJSON: boolFromJSON},
	catalog.TypeJSON: {shape: one, check: scalar(parseJSON), fromJSON: jsonFromJSON},
	catalog.TypeStringList: {shape: list, check: func(f catalog.Field, in Input) (any, bool, string) {
		return parseList(f, in.Strings(), MaxStringLength)
	}, fromJSON: textFromJSON},
	catalog.TypeMessages: {shape: rowsOf(ShapeMessages), check: func(f catalog.Field, in Input) (any, bool, string) {
		return parseMessages(f, in.Messages)
	}, turns: messageTurns, setTurns: setMessageTurns},
	catalog.TypeImageURLs: {shape: rowsOf(ShapeImages), check: func(f catalog.Field, in Input) (any, bool, string) {
		return parseImages(f, in.Images)
	}},
	catalog.TypeFunctions: {shape: rowsOf(ShapeFunctions), check: func(f catalog.Field, in Input) (any, bool, string) {
		return parseFunctions(f, in.Functions)
	}},
}

func one(catalog.Field) Shape  { return ShapeText }
func list(catalog.Field) Shape { return ShapeList }

// oneOrList: a text of several rows (a prompt per row) is a list.
func oneOrList(f catalog.Field) Shape {
	if f.MaxItems > 1 {
		return ShapeList
	}
	return ShapeText
}

func rowsOf(s Shape) func(catalog.Field) Shape { return func(catalog.Field) Shape { return s } }

// Read is f's input in d as f's kind holds it: a one-value field takes
// one of the values posted (kind.lastWins), a list all, a row field its
// rows; false when d holds nothing f can read.
func Read(f catalog.Field, d Draft) (Input, bool) {
	in, ok := d[f.Name]
	k, known := kinds[f.Type]
	if !ok || !known {
		return Input{}, false
	}
	want := k.shape(f)
	if want != ShapeText && want != ShapeList {
		return in, in.Shape == want
	}
	if in.Shape != ShapeText && in.Shape != ShapeList {
		return Input{}, false
	}
	vs := in.Strings()
	switch {
	case want == ShapeList:
		return List(vs...), true
	case len(vs) == 0:
		return Text(""), true
	case k.lastWins:
		return Text(vs[len(vs)-1]), true
	}
	return Text(vs[0]), true
}

// Check reads and checks the values of fields from d. Every problem is
// reported; the returned Values hold only the fields that passed.
func Check(fields []catalog.Field, d Draft) (Values, Errors) {
	vals, errs := Values{}, Errors{}
	for _, f := range fields {
		k, ok := kinds[f.Type]
		if !ok {
			errs[f.Name] = "Unsupported field type \"" + string(f.Type) + "\"."
			continue
		}
		in, _ := Read(f, d)
		v, set, err := k.check(f, in)
		if err != "" {
			errs[f.Name] = err
			continue
		}
		if set {
			vals[f.Name] = v
		}
	}
	crossCheck(fields, vals, errs)
	return vals, errs
}

// Same reports whether two inputs of f hold the same value: both checked
// and equal as values (0.70 is 0.7), else equal as written.
func Same(f catalog.Field, a, b Input) bool {
	va, sa, ea := kinds[f.Type].check(f, a)
	vb, sb, eb := kinds[f.Type].check(f, b)
	if ea == "" && eb == "" {
		return sa == sb && (!sa || equalValue(va, vb))
	}
	return a.String() == b.String()
}

func equalValue(a, b any) bool {
	switch x := a.(type) {
	case string, float64, int64, bool:
		return a == b
	case []string:
		y, ok := b.([]string)
		return ok && slices.Equal(x, y)
	}
	return false
}

// textTurns: a system prompt field is the system's turn, any other text
// of the prompt is the person's (one turn per row of a list).
func textTurns(f catalog.Field, in Input) []Turn {
	if isSystemField(f) {
		if v := in.String(); strings.TrimSpace(v) != "" {
			return []Turn{{"system", v}}
		}
		return nil
	}
	var out []Turn
	for _, v := range in.Strings() {
		out = append(out, Turn{"user", v})
	}
	return out
}

func setTextTurns(f catalog.Field, _ Input, conv []Turn, system bool) (Input, bool) {
	var parts []string
	if isSystemField(f) {
		for _, t := range conv {
			if t.Role == "system" || t.Role == "developer" {
				parts = append(parts, t.Content)
			}
		}
		return Text(strings.Join(parts, "\n\n")), true
	}
	for _, t := range conv {
		if (t.Role == "system" || t.Role == "developer") && system {
			continue
		}
		parts = append(parts, t.Content)
	}
	if len(parts) == 0 {
		return Input{}, false
	}
	if f.IsList() && len(conv) > 0 && allUser(conv) {
		return List(parts...), true // several prompts stay several
	}
	if oneOrList(f) == ShapeList {
		return List(strings.Join(parts, "\n\n")), true
	}
	return Text(strings.Join(parts, "\n\n")), true
}

func messageTurns(f catalog.Field, in Input) []Turn {
	var out []Turn
	for _, r := range in.Messages {
		out = append(out, Turn{r.Role, r.Content})
	}
	return out
}

// setMessageTurns writes the turns' roles and contents as rows; a row's
// other parts (tool calls, call id, reasoning) stay those of the row it
// replaces.
func setMessageTurns(f catalog.Field, cur Input, conv []Turn, system bool) (Input, bool) {
	var rows []MessageRow
	for _, t := range conv {
		role := t.Role
		if system && (role == "system" || role == "developer") {
			continue // the instructions field has it
		}
		if !slices.Contains(rolesOf(f), role) {
			role = mapRole(f, role)
		}
		if role == "" {
			continue
		}
		r := MessageRow{Role: role, Content: t.Content}
		if i := len(rows); i < len(cur.Messages) {
			old := cur.Messages[i]
			r.ToolCalls, r.ToolCallID, r.Reasoning = old.ToolCalls, old.ToolCallID, old.Reasoning
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return Input{}, false
	}
	return Messages(rows...), true
}

// textFromJSON: a string, enum, text or string list field's value is a
// JSON string, or for a list (stop, several prompts) an array of them.
func textFromJSON(f catalog.Field, v json.RawMessage) (Input, string) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if oneOrList(f) == ShapeList || f.Type == catalog.TypeStringList {
			return List(s), ""
		}
		return Text(s), ""
	}
	var list []string
	if json.Unmarshal(v, &list) != nil || (f.Type != catalog.TypeStringList && oneOrList(f) != ShapeList) {
		if f.Type == catalog.TypeStringList || oneOrList(f) == ShapeList {
			return Input{}, "Must be a string or an array of strings."
		}
		return Input{}, "Must be a string."
	}
	return List(list...), ""
}

// numberFromJSON keeps a number as it is written in the body.
func numberFromJSON(_ catalog.Field, v json.RawMessage) (Input, string) {
	var n json.Number
	if json.Unmarshal(v, &n) != nil || bytes.HasPrefix(bytes.TrimSpace(v), []byte(`"`)) {
		return Input{}, "Must be a number."
	}
	return Text(n.String()), ""
}

// integerFromJSON: a whole number written as 1e3 or 256.0 reads as 1000
// and 256.
func integerFromJSON(_ catalog.Field, v json.RawMessage) (Input, string) {
	var n json.Number
	if json.Unmarshal(v, &n) != nil || bytes.HasPrefix(bytes.TrimSpace(v), []byte(`"`)) {
		return Input{}, "Must be a whole number."
	}
	if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return Text(n.String()), ""
	}
	if x, err := n.Float64(); err == nil && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return Text(strconv.FormatInt(int64(x), 10)), ""
	}
	return Text(n.String()), "" // Check says why it is not one
}

func boolFromJSON(_ catalog.Field, v json.RawMessage) (Input, string) {
	var b bool
	if json.Unmarshal(v, &b) != nil {
		return Input{}, "Must be true or false."
	}
	return Text(strconv.FormatBool(b)), ""
}

// jsonFromJSON: a JSON field holds its value compacted, as Check keeps it.
func jsonFromJSON(_ catalog.Field, v json.RawMessage) (Input, string) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return Input{}, "Invalid JSON."
	}
	return Text(buf.String()), ""
}
