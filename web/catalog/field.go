package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// FieldType is the kind of value a form field holds.
type FieldType string

// The field types a form_schema may use.
const (
	TypeString     FieldType = "string"      // one line of text
	TypeText       FieldType = "text"        // multi-line text; with max_items > 1, a list of texts
	TypeNumber     FieldType = "number"      // float, slider when min and max are set
	TypeInteger    FieldType = "integer"     // whole number
	TypeBoolean    FieldType = "boolean"     // checkbox
	TypeEnum       FieldType = "enum"        // one of Enum
	TypeStringList FieldType = "string_list" // list of one-line strings (stop sequences)
	TypeJSON       FieldType = "json"        // JSON text checked for syntax (and JSONKind)
	TypeMessages   FieldType = "messages"    // chat messages: role + content rows
	TypeImageURLs  FieldType = "image_urls"  // image URL rows with optional detail level
	TypeFunctions  FieldType = "functions"   // function tool rows: name, description, JSON Schema parameters
)

// FieldTypes are the field types a form_schema may use (web/form has a
// kind for each).
var FieldTypes = []FieldType{TypeString, TypeText, TypeNumber, TypeInteger, TypeBoolean, TypeEnum,
	TypeStringList, TypeJSON, TypeMessages, TypeImageURLs, TypeFunctions}

// Named transforms: fields whose value reshapes the body instead of being
// placed at a dotted target path.
const (
	// TransformPrompt sends a Completions prompt: a string, or an array of
	// strings when the person adds more than one.
	TransformPrompt = "prompt"
	// TransformMessages sends the chat messages (and attaches images to the
	// last user message).
	TransformMessages = "messages"
	// TransformInput sends a Responses prompt as input: a string, or a user
	// message item with input_text and input_image parts when images are set.
	TransformInput = "input"
	// TransformImageURLs attaches image URLs to the user's content: image_url
	// parts for Chat, input_image parts for Responses.
	TransformImageURLs = "image_urls"
	// TransformImageDetail sets the detail level of every attached image.
	TransformImageDetail = "image_detail"
	// TransformTextFormat maps a format name (text, json_object) to the
	// Responses text.format object.
	TransformTextFormat = "text_format"
	// TransformToolChoice sends none/auto/required as a string and any other
	// value as {"type":"function","function":{"name":value}}.
	TransformToolChoice = "tool_choice"
	// TransformSystemMessage prepends a system message to chat messages.
	TransformSystemMessage = "system_message"
	// TransformTools sends function tools written in the Chat shape
	// ({type, function: {name, …}}) as they are for Chat and flattened
	// ({type, name, …}) for Responses: one definition for both.
	TransformTools = "tools"
	// TransformJSONSchema holds the {name, schema, strict} of a json_schema
	// response format; the text_format field folds it into text.format.
	TransformJSONSchema = "json_schema"
)

var transforms = map[string][]FieldType{
	TransformPrompt:        {TypeText, TypeString},
	TransformMessages:      {TypeMessages},
	TransformInput:         {TypeText, TypeString, TypeMessages},
	TransformImageURLs:     {TypeImageURLs},
	TransformImageDetail:   {TypeEnum},
	TransformTextFormat:    {TypeEnum},
	TransformToolChoice:    {TypeString, TypeEnum},
	TransformSystemMessage: {TypeText, TypeString},
	TransformTools:         {TypeJSON, TypeFunctions},
	TransformJSONSchema:    {TypeJSON},
}

// Field roles say what a value means to the playground itself, so no
// code names a field: the cost estimate reads max_output and n, the
// request's Accept header stream, "continue by id" previous_response, and
// the prompt (what a comparison's panes share, what the history lists and
// searches) is the fields with the role prompt.
const (
	RoleMaxOutput        = "max_output"        // caps output tokens
	RoleN                = "n"                 // number of choices generated
	RoleStream           = "stream"            // a boolean: the answer comes as server-sent events
	RolePreviousResponse = "previous_response" // the id of a stored response this one continues
	RolePrompt           = "prompt"            // part of the prompt: messages, prompt text, input, system prompt, images
	// RoleExtra is the implied extra-body field's (ExtraField): a JSON
	// object whose keys request.Build adds to the top of the body after
	// the schema's fields. No schema field may have it.
	RoleExtra = "extra"
)

// ExtraFieldName names the field every model's form has beside its
// schema's (Model.Fields): raw body parameters the schema does not have
// (a provider extension such as top_k), kept as a JSON object.
const ExtraFieldName = "extra_body"

// ExtraField is the implied field every model's Fields() ends with: a
// JSON object of body parameters the schema does not have, sent at the
// top of the body after the schema's fields; a key a field of the form
// sets is refused (web/form). A schema may not name a field extra_body.
var ExtraField = Field{
	Name:  ExtraFieldName,
	Label: "Extra body fields",
	Type:  TypeJSON,
	Description: "Parameters this form does not have, as a JSON object sent at the top of the body " +
		"after the form's own (a provider extension such as {\"top_k\": 40}).",
	Group:    "advanced",
	Role:     RoleExtra,
	JSONKind: "object",
}

// Field is one parameter of a model's form_schema.
type Field struct {
	// Include, alone in an entry, splices in the fields of the named
	// schema (a schema that extends another).
	Include     string    `json:"include,omitempty"`
	Name        string    `json:"name"`
	Label       string    `json:"label,omitempty"`
	Type        FieldType `json:"type"`
	Description string    `json:"description,omitempty"`
	// Default is the upstream's default, shown as a hint; an empty optional
	// field is not sent, so the upstream applies it.
	Default any `json:"default,omitempty"`
	// DefaultText is a default the documentation states in words, not as
	// a value of the field ("unlimited"); shown in the hint and placeholder.
	DefaultText string `json:"default_text,omitempty"`
	// Example is a value the documentation gives as an example, not as the
	// default; shown as "e.g. 0.9" in the hint (and the placeholder when
	// there is no default).
	Example any `json:"example,omitempty"`
	// Initial is the value the form starts with, if any (e.g. stream: true).
	Initial  any      `json:"initial,omitempty"`
	Required bool     `json:"required,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Step     *float64 `json:"step,omitempty"`
	Unit     string   `json:"unit,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	// MaxItems caps list fields (stop sequences, images, prompts, messages).
	MaxItems int `json:"max_items,omitempty"`
	// MaxLength caps the characters of one string value.
	MaxLength int `json:"max_length,omitempty"`
	// Group is "basic" (shown) or "advanced" (folded).
	Group string `json:"group,omitempty"`
	// Target is the dotted body path the value goes to (default: Name).
	Target string `json:"target,omitempty"`
	// Transform names a reshaping of the body (see the Transform constants).
	Transform string `json:"transform,omitempty"`
	// OnlyWith names a boolean field; this one is sent only when it is true.
	OnlyWith string `json:"only_with,omitempty"`
	// ConflictsWith names fields that may not be set together with this one.
	ConflictsWith []string `json:"conflicts_with,omitempty"`
	// Requires names fields that must be set for this one to be sent
	// (tool_choice and parallel_tool_calls need tools).
	Requires []string `json:"requires,omitempty"`
	// RefusedWith maps another field to a value this one may not be sent
	// with, as the API refuses the pair (background with store false).
	RefusedWith map[string]any `json:"refused_with,omitempty"`
	// RequiredWith is "field=value": this field is required when that
	// field's value is (or, for a list, includes) value, and refused when
	// it is not (audio with modalities=audio).
	RequiredWith string `json:"required_with,omitempty"`
	// Role tells the cost estimate what the value means (max_output, n).
	Role string `json:"role,omitempty"`
	// JSONKind restricts JSON fields: "object", "array", "tools",
	// "logit_bias", "response_format", "json_schema" or "audio" (Chat's
	// audio output parameters: a voice and a format).
	JSONKind string `json:"json_kind,omitempty"`
	// Roles lists the message roles a messages field offers.
	Roles []string `json:"roles,omitempty"`
	// Detail adds a detail-level select (auto/low/high) to image_urls rows.
	Detail bool `json:"detail,omitempty"`
}

// DisplayLabel is the label shown next to the field.
func (f Field) DisplayLabel() string {
	if f.Label != "" {
		return f.Label
	}
	return f.Name
}

// BodyPath is where the value goes in the request body.
func (f Field) BodyPath() string {
	if f.Target != "" {
		return f.Target
	}
	return f.Name
}

// Advanced reports whether the field is folded by default.
func (f Field) Advanced() bool { return f.Group == "advanced" }

// IsList reports whether the field holds several rows.
func (f Field) IsList() bool {
	switch f.Type {
	case TypeStringList, TypeMessages, TypeImageURLs, TypeFunctions:
		return true
	case TypeText:
		return f.MaxItems > 1
	}
	return false
}

// SchemaRef is a form_schema: inline (a JSON array of fields) or by name (a
// string naming an entry of the document's "schemas").
type SchemaRef struct {
	Name   string
	Fields []Field
	// all is Fields and ExtraField, made once (complete): Model.Fields
	// is called many times a request. from is the Fields it was made of.
	all  []Field
	from *Field
}

// SchemaOf is the schema of fields, ready for Model.Fields.
func SchemaOf(fields []Field) SchemaRef {
	s := SchemaRef{Fields: fields}
	s.complete()
	return s
}

// complete makes the field list Model.Fields returns.
func (s *SchemaRef) complete() {
	s.all = append(s.Fields[:len(s.Fields):len(s.Fields)], ExtraField)
	s.from = nil
	if len(s.Fields) > 0 {
		s.from = &s.Fields[0]
	}
}

// fields is the list complete made, when it was made of the current
// Fields; else a new one.
func (s *SchemaRef) fields() []Field {
	n := len(s.Fields)
	if len(s.all) == n+1 && (n == 0 && s.from == nil || n > 0 && s.from == &s.Fields[0]) {
		return s.all[: n+1 : n+1]
	}
	return append(s.Fields[:n:n], ExtraField)
}

// UnmarshalJSON accepts a schema name or an inline field list.
func (s *SchemaRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &s.Name)
	}
	if len(b) > 0 && b[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		return dec.Decode(&s.Fields)
	}
	return fmt.Errorf("form_schema must be a schema name or a list of fields")
}

// MarshalJSON writes the schema inline.
func (s SchemaRef) MarshalJSON() ([]byte, error) { return json.Marshal(s.Fields) }

// RequiredWithRule splits RequiredWith into the field and the value.
func (f Field) RequiredWithRule() (field, value string, ok bool) {
	field, value, ok = strings.Cut(f.RequiredWith, "=")
	return field, value, ok && field != "" && value != ""
}
