package form

import (
	"net/url"

	"github.com/playground-dev/playground/web/catalog"
)

// The row grammar of a form, written here only: a field of several rows
// posts one input per part and row, named NAME.PART, so the lists of one
// field stay aligned row by row. A messages field posts role, content,
// tool_calls, tool_call_id and reasoning; an image_urls field url and
// detail; a functions field name, description and parameters.
const (
	PartRole        = "role"
	PartContent     = "content"
	PartToolCalls   = "tool_calls"
	PartToolCallID  = "tool_call_id"
	PartReasoning   = "reasoning"
	PartURL         = "url"
	PartDetail      = "detail"
	PartName        = "name"
	PartDescription = "description"
	PartParameters  = "parameters"
)

// InputName is the name of the input of a field's part: "messages.role".
func InputName(field, part string) string { return field + "." + part }

// parts are the parts each row field posts, in the order InputNames lists
// them.
var parts = map[catalog.FieldType][]string{
	catalog.TypeMessages:  {PartRole, PartContent, PartToolCalls, PartToolCallID, PartReasoning},
	catalog.TypeImageURLs: {PartURL, PartDetail},
	catalog.TypeFunctions: {PartName, PartDescription, PartParameters},
}

// rowsPart is the part whose inputs count a row field's rows.
var rowsPart = map[catalog.FieldType]string{
	catalog.TypeMessages:  PartContent,
	catalog.TypeImageURLs: PartURL,
	catalog.TypeFunctions: PartName,
}

// shapeType is the row field type each row shape is posted as.
var shapeType = map[Shape]catalog.FieldType{
	ShapeMessages:  catalog.TypeMessages,
	ShapeImages:    catalog.TypeImageURLs,
	ShapeFunctions: catalog.TypeFunctions,
}

// partShape names the row shape each part belongs to (no part is in two).
var partShape = func() map[string]Shape {
	out := map[string]Shape{}
	for shape, t := range shapeType {
		for _, p := range parts[t] {
			out[p] = shape
		}
	}
	return out
}()

// decodeRows reads the rows of the row field name of shape from the
// posted inputs; false when the field posted none of its counting part.
func decodeRows(shape Shape, name string, in url.Values) (Input, bool) {
	f := catalog.Field{Name: name, Type: shapeType[shape]}
	if !Present(f, in) {
		return Input{}, false
	}
	out := Input{Shape: shape}
	switch shape {
	case ShapeMessages:
		out.Messages = MessageRows(f, in)
	case ShapeImages:
		out.Images = ImageRows(f, in)
	case ShapeFunctions:
		out.Functions = FunctionRows(f, in)
	}
	return out, true
}

// encodeRows writes a row field's rows as its inputs, every part of every
// row (so the lists stay aligned).
func encodeRows(name string, in Input, out url.Values) {
	var rows [][]string
	switch in.Shape {
	case ShapeMessages:
		for _, r := range in.Messages {
			rows = append(rows, []string{r.Role, r.Content, r.ToolCalls, r.ToolCallID, r.Reasoning})
		}
	case ShapeImages:
		for _, r := range in.Images {
			rows = append(rows, []string{r.URL, r.Detail})
		}
	case ShapeFunctions:
		for _, r := range in.Functions {
			rows = append(rows, []string{r.Name, r.Description, r.Parameters})
		}
	default:
		return
	}
	for i, input := range InputNames(catalog.Field{Name: name, Type: shapeType[in.Shape]}) {
		vs := make([]string, len(rows))
		for j, r := range rows {
			vs[j] = r[i]
		}
		out[input] = vs
	}
}

// at is the i-th value posted for a part of f, "" when there is none.
func at(f catalog.Field, in url.Values, part string, i int) string {
	if vs := in[InputName(f.Name, part)]; i < len(vs) {
		return vs[i]
	}
	return ""
}

// rowCount is how many rows f has in the posted values.
func rowCount(f catalog.Field, in url.Values) int {
	return len(in[InputName(f.Name, rowsPart[f.Type])])
}

// MessageRow is one row of a messages field as posted.
type MessageRow struct {
	Role       string `json:"role"`
	Content    string `json:"content"`
	ToolCalls  string `json:"tool_calls,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
	Reasoning  string `json:"reasoning,omitempty"`
}

// MessageRows are the rows of a messages field as posted (a row without
// a role is the user's).
func MessageRows(f catalog.Field, in url.Values) []MessageRow {
	rows := make([]MessageRow, rowCount(f, in))
	for i := range rows {
		rows[i] = MessageRow{Role: at(f, in, PartRole, i), Content: at(f, in, PartContent, i), ToolCalls: at(f, in, PartToolCalls, i),
			ToolCallID: at(f, in, PartToolCallID, i), Reasoning: at(f, in, PartReasoning, i)}
		if i >= len(in[InputName(f.Name, PartRole)]) {
			rows[i].Role = "user"
		}
	}
	return rows
}

// ImageRow is one row of an image_urls field as posted.
type ImageRow struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// ImageRows are the rows of an image_urls field as posted.
func ImageRows(f catalog.Field, in url.Values) []ImageRow {
	rows := make([]ImageRow, rowCount(f, in))
	for i := range rows {
		rows[i] = ImageRow{URL: at(f, in, PartURL, i), Detail: at(f, in, PartDetail, i)}
	}
	return rows
}

// FunctionRow is one row of a functions field as posted.
type FunctionRow struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Parameters  string `json:"parameters,omitempty"`
}

// FunctionRows are the rows of a functions field as posted.
func FunctionRows(f catalog.Field, in url.Values) []FunctionRow {
	rows := make([]FunctionRow, rowCount(f, in))
	for i := range rows {
		rows[i] = FunctionRow{Name: at(f, in, PartName, i), Description: at(f, in, PartDescription, i), Parameters: at(f, in, PartParameters, i)}
	}
	return rows
}
