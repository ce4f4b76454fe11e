// Package form owns a model's form: the typed draft a person writes
// (Draft, one Input per field: a text, a list or a row field's rows), its
// codec (Decode from the posted form, Values back to the page's inputs,
// JSON for storage; rows.go is the row grammar), the kind of each field
// type (kinds.go: how it reads, checks and takes part in the prompt), and
// Check, which turns a Draft into typed Values checked against the
// form_schema, with per-field Errors. It knows nothing about HTTP
// frameworks.
//
// Input names: a scalar field is submitted under its name; a list field
// (string_list, text with max_items > 1) as repeated values of its name;
// row fields as NAME.PART (rows.go). A boolean is submitted as a hidden
// "false" followed by the checkbox's "true", so the last value wins.
package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/audio"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/structured"
)

// Limits that apply when the schema sets none. They keep a single request
// reasonable whatever the catalog says.
const (
	DefaultMaxItems    = 64      // rows of a list field
	MaxMessages        = 256     // chat messages
	MaxTextLength      = 1 << 20 // characters of one text value (1 MiB)
	MaxStringLength    = 4096    // characters of one one-line string
	MaxJSONLength      = 1 << 18 // bytes of one JSON value
	MaxImageURLLength  = 8 << 20 // a data: URL may carry an image
	maxFunctionNameLen = 64
)

// Message is one chat message row.
type Message struct {
	Role    string
	Content string
	// ToolCallID names the call a tool row answers.
	ToolCallID string
	// ToolCalls are an assistant row's calls, as the Chat API's
	// tool_calls JSON array.
	ToolCalls json.RawMessage
	// Reasoning is an assistant row's reasoning, sent back to models that
	// need it (DeepSeek thinking mode with tool calls).
	Reasoning string
}

// Image is one image URL row.
type Image struct {
	URL    string
	Detail string // "", auto, low or high
}

// Values holds the fields a person set, typed by the schema: string for
// string, text and enum; []string for lists; float64; int64; bool;
// json.RawMessage; []Message; []Image. A field that is absent was not set
// and is not sent.
type Values map[string]any

// Errors maps a field name to the message shown next to it.
type Errors map[string]string

// Parse reads and checks the values of fields from a posted form (Check
// of its Decode).
func Parse(fields []catalog.Field, in url.Values) (Values, Errors) {
	return Check(fields, Decode(in))
}

// Present reports whether the submission carries any input for f (used to
// keep values when the form is swapped for another model's).
func Present(f catalog.Field, in url.Values) bool {
	if part, ok := rowsPart[f.Type]; ok {
		_, ok := in[InputName(f.Name, part)]
		return ok
	}
	_, ok := in[f.Name]
	return ok
}

// checkTextOrList checks a text of several rows as a list, else as one
// text.
func checkTextOrList(f catalog.Field, in Input) (any, bool, string) {
	if f.MaxItems > 1 {
		return parseList(f, in.Strings(), MaxTextLength)
	}
	return scalar(checkText)(f, in)
}

// scalar makes the check of a one-value field from the check of its
// text: a blank value is unset (or "Required.").
func scalar(check func(f catalog.Field, raw string) (any, bool, string)) func(catalog.Field, Input) (any, bool, string) {
	return func(f catalog.Field, in Input) (any, bool, string) {
		raw := in.String()
		if strings.TrimSpace(raw) == "" {
			if f.Required {
				return nil, false, "Required."
			}
			return nil, false, ""
		}
		return check(f, raw)
	}
}

func checkText(f catalog.Field, raw string) (any, bool, string) {
	limit := MaxTextLength
	if f.Type == catalog.TypeString {
		limit = MaxStringLength
	}
	if f.MaxLength > 0 {
		limit = f.MaxLength
	}
	if n := utf8.RuneCountInString(raw); n > limit {
		return nil, false, fmt.Sprintf("Too long: %d characters, at most %d.", n, limit)
	}
	if f.Type == catalog.TypeString && strings.ContainsAny(raw, "\r\n") {
		return nil, false, "Must be a single line."
	}
	if f.Transform == catalog.TransformToolChoice {
		return checkToolChoice(f, strings.TrimSpace(raw))
	}
	return raw, true, ""
}

func checkEnum(f catalog.Field, raw string) (any, bool, string) {
	for _, e := range f.Enum {
		if raw == e {
			return raw, true, ""
		}
	}
	return nil, false, fmt.Sprintf("Must be one of %s.", strings.Join(f.Enum, ", "))
}

func checkNumber(f catalog.Field, raw string) (any, bool, string) {
	n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return nil, false, "Must be a number."
	}
	if msg := checkRange(f, n); msg != "" {
		return nil, false, msg
	}
	return n, true, ""
}

func checkInteger(f catalog.Field, raw string) (any, bool, string) {
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil {
		// A whole number beyond int64 is out of any range the schema sets.
		if x, ferr := strconv.ParseFloat(strings.TrimSpace(raw), 64); ferr == nil && errors.Is(err, strconv.ErrRange) {
			if msg := checkRange(f, x); msg != "" {
				return nil, false, msg
			}
		}
		return nil, false, "Must be a whole number."
	}
	if msg := checkRange(f, float64(n)); msg != "" {
		return nil, false, msg
	}
	return n, true, ""
}

func checkRange(f catalog.Field, n float64) string {
	switch {
	case f.Min != nil && f.Max != nil && (n < *f.Min || n > *f.Max):
		return fmt.Sprintf("Must be between %s and %s.", num(*f.Min), num(*f.Max))
	case f.Min != nil && n < *f.Min:
		return fmt.Sprintf("Must be at least %s.", num(*f.Min))
	case f.Max != nil && n > *f.Max:
		return fmt.Sprintf("Must be at most %s.", num(*f.Max))
	}
	return ""
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func parseBool(f catalog.Field, raw []string) (any, bool, string) {
	if len(raw) == 0 {
		return nil, false, ""
	}
	var b bool
	switch strings.ToLower(strings.TrimSpace(raw[len(raw)-1])) {
	case "true", "on", "1":
		b = true
	case "false", "off", "0", "":
		b = false
	default:
		return nil, false, "Must be true or false."
	}
	// A checkbox always submits; send it when the schema starts the form
	// with a value, or when it differs from the upstream's default.
	if f.Initial != nil {
		return b, true, ""
	}
	def, _ := f.Default.(bool)
	if b == def {
		return nil, false, ""
	}
	return b, true, ""
}

func maxItems(f catalog.Field, fallback int) int {
	if f.MaxItems > 0 {
		return f.MaxItems
	}
	return fallback
}

func parseList(f catalog.Field, raw []string, limit int) (any, bool, string) {
	if f.MaxLength > 0 {
		limit = f.MaxLength
	}
	var out []string
	for i, s := range raw {
		// A stop sequence may be white space; a prompt may not.
		if s == "" || (f.Type == catalog.TypeText && strings.TrimSpace(s) == "") {
			continue
		}
		if n := utf8.RuneCountInString(s); n > limit {
			return nil, false, fmt.Sprintf("Item %d is too long: %d characters, at most %d.", i+1, n, limit)
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, s) {
			return nil, false, fmt.Sprintf("%q is not one of %s.", s, strings.Join(f.Enum, ", "))
		}
		out = append(out, s)
	}
	if maxN := maxItems(f, DefaultMaxItems); len(out) > maxN {
		return nil, false, fmt.Sprintf("Too many items: %d, at most %d.", len(out), maxN)
	}
	if len(out) == 0 {
		if f.Required {
			return nil, false, "Required."
		}
		return nil, false, ""
	}
	return out, true, ""
}

func parseMessages(f catalog.Field, rows []MessageRow) (any, bool, string) {
	allowed := f.Roles
	if len(allowed) == 0 {
		allowed = []string{"system", "user", "assistant"}
	}
	var out []Message
	for i, row := range rows {
		role, c := row.Role, row.Content
		if !slices.Contains(allowed, role) {
			return nil, false, fmt.Sprintf("Message %d: role must be one of %s.", i+1, strings.Join(allowed, ", "))
		}
		m := Message{Role: role, Content: c}
		if role == "assistant" {
			m.Reasoning = row.Reasoning
			if raw := strings.TrimSpace(row.ToolCalls); raw != "" {
				calls, err := checkToolCalls(raw)
				if err != "" {
					return nil, false, fmt.Sprintf("Message %d: %s", i+1, err)
				}
				m.ToolCalls = calls
			}
		}
		if role == "tool" {
			m.ToolCallID = strings.TrimSpace(row.ToolCallID)
			if m.ToolCallID == "" && strings.TrimSpace(c) != "" {
				return nil, false, fmt.Sprintf("Message %d: a tool result needs the id of the call it answers.", i+1)
			}
		}
		if strings.TrimSpace(c) == "" && m.ToolCalls == nil {
			if role == "tool" && m.ToolCallID != "" {
				return nil, false, fmt.Sprintf("Message %d: write the result of call %s.", i+1, m.ToolCallID)
			}
			continue // an empty row is not sent
		}
		if n := utf8.RuneCountInString(c); n > MaxTextLength {
			return nil, false, fmt.Sprintf("Message %d is too long: %d characters, at most %d.", i+1, n, MaxTextLength)
		}
		out = append(out, m)
	}
	if maxN := maxItems(f, MaxMessages); len(out) > maxN {
		return nil, false, fmt.Sprintf("Too many messages: %d, at most %d.", len(out), maxN)
	}
	if len(out) == 0 {
		if f.Required {
			return nil, false, "Write at least one message."
		}
		return nil, false, ""
	}
	return out, true, ""
}

var dataImageRE = regexp.MustCompile(`^data:image/[a-zA-Z0-9.+-]+(;[a-zA-Z0-9=.+-]+)*;base64,[A-Za-z0-9+/=\s]+$`)

// CheckImageURL reports why s cannot be sent as an image URL, or "".
func CheckImageURL(s string) string {
	if strings.HasPrefix(s, "data:") {
		if !dataImageRE.MatchString(s) {
			return "a data: URL must be data:image/<type>;base64,<data>"
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http(s) URL or a data:image/... URL"
	}
	return ""
}

func parseImages(f catalog.Field, rows []ImageRow) (any, bool, string) {
	var out []Image
	for i, row := range rows {
		u := strings.TrimSpace(row.URL)
		if u == "" {
			continue
		}
		if len(u) > MaxImageURLLength {
			return nil, false, fmt.Sprintf("Image %d: the URL is too long (at most %d bytes).", i+1, MaxImageURLLength)
		}
		if msg := CheckImageURL(u); msg != "" {
			return nil, false, fmt.Sprintf("Image %d: %s.", i+1, msg)
		}
		img := Image{URL: u}
		if f.Detail {
			img.Detail = row.Detail
			if img.Detail != "" && !slices.Contains([]string{"auto", "low", "high"}, img.Detail) {
				return nil, false, fmt.Sprintf("Image %d: detail must be auto, low or high.", i+1)
			}
		}
		out = append(out, img)
	}
	if maxN := maxItems(f, DefaultMaxItems); len(out) > maxN {
		return nil, false, fmt.Sprintf("Too many images: %d, at most %d.", len(out), maxN)
	}
	if len(out) == 0 {
		if f.Required {
			return nil, false, "Add at least one image URL."
		}
		return nil, false, ""
	}
	return out, true, ""
}

var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func checkToolChoice(f catalog.Field, v string) (any, bool, string) {
	if slices.Contains(f.Enum, v) || functionNameRE.MatchString(v) {
		return v, true, ""
	}
	return nil, false, fmt.Sprintf("Must be %s, or a function name (letters, digits, _ and -, at most %d).",
		strings.Join(f.Enum, ", "), maxFunctionNameLen)
}

func parseJSON(f catalog.Field, raw string) (any, bool, string) {
	if len(raw) > MaxJSONLength {
		return nil, false, fmt.Sprintf("Too long: %d bytes, at most %d.", len(raw), MaxJSONLength)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false, "Invalid JSON: " + jsonErrorAt(raw, err)
	}
	if dec.More() {
		return nil, false, "Invalid JSON: unexpected data after the value."
	}
	switch f.JSONKind {
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return nil, false, "Must be a JSON object ({...})."
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return nil, false, "Must be a JSON array ([...])."
		}
	case "tools":
		if msg := checkTools(v); msg != "" {
			return nil, false, msg
		}
	case "logit_bias":
		if msg := checkLogitBias(f, v); msg != "" {
			return nil, false, msg
		}
	case "response_format":
		if msg := checkResponseFormat(v); msg != "" {
			return nil, false, msg
		}
	case "json_schema":
		if msg := checkSchemaDef(v, ""); msg != "" {
			return nil, false, msg
		}
	case "audio":
		if msg := checkAudio(v); msg != "" {
			return nil, false, msg
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(raw)); err != nil {
		return nil, false, "Invalid JSON."
	}
	return json.RawMessage(buf.Bytes()), true, ""
}

func jsonErrorAt(raw string, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if err.Error() == "unexpected EOF" {
		msg = "the value is not complete"
		off = int64(len(raw))
	}
	if off < 0 {
		return msg + "."
	}
	before := raw[:min(int(off), len(raw))]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndex(before, "\n")+1:])
	return fmt.Sprintf("%s (line %d, column %d).", msg, line, col)
}

func checkTools(v any) string {
	list, ok := v.([]any)
	if !ok {
		return "Tools must be a JSON array of {\"type\": \"function\", \"function\": {...}}."
	}
	seen := map[string]bool{}
	for i, t := range list {
		obj, ok := t.(map[string]any)
		if !ok {
			return fmt.Sprintf("Tool %d must be an object.", i+1)
		}
		if obj["type"] != "function" {
			return fmt.Sprintf("Tool %d: type must be \"function\".", i+1)
		}
		fn, ok := obj["function"].(map[string]any)
		if !ok {
			return fmt.Sprintf("Tool %d: needs a \"function\" object.", i+1)
		}
		name, _ := fn["name"].(string)
		if !functionNameRE.MatchString(name) {
			return fmt.Sprintf("Tool %d: function.name must be letters, digits, _ or -, at most 64.", i+1)
		}
		if seen[name] {
			return fmt.Sprintf("Tool %d: the name %q is used twice.", i+1, name)
		}
		seen[name] = true
		if p, ok := fn["parameters"]; ok {
			if _, isObj := p.(map[string]any); !isObj {
				return fmt.Sprintf("Tool %d: function.parameters must be a JSON Schema object.", i+1)
			}
			raw, _ := json.Marshal(p)
			if _, err := structured.Compile(raw); err != nil {
				return fmt.Sprintf("Tool %d: function.parameters %s", i+1, schemaProblem(err))
			}
		}
	}
	return ""
}

// InputNames lists the form input names a field submits: a messages
// field submits one of each per row, so the lists stay aligned.
func InputNames(f catalog.Field) []string {
	ps, ok := parts[f.Type]
	if !ok {
		return []string{f.Name}
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = InputName(f.Name, p)
	}
	return names
}

// MaxFunctions bounds the function definitions of a tools field.
const MaxFunctions = 64

// parseFunctions reads function definition rows (name, description, JSON
// Schema parameters) into the Chat API's tools array, checked as a tools
// JSON field is: names, duplicates, parameters that compile.
func parseFunctions(f catalog.Field, rows []FunctionRow) (any, bool, string) {
	type function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	}
	type tool struct {
		Type     string   `json:"type"`
		Function function `json:"function"`
	}
	var tools []tool
	for i, row := range rows {
		name, desc, raw := strings.TrimSpace(row.Name), strings.TrimSpace(row.Description), strings.TrimSpace(row.Parameters)
		if name == "" && desc == "" && raw == "" {
			continue // an empty row is not sent
		}
		fn := function{Name: name, Description: desc}
		if raw != "" {
			var v any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return nil, false, fmt.Sprintf("Function %d: parameters are not JSON: %s", i+1, jsonErrorAt(raw, err))
			}
			var buf bytes.Buffer
			_ = json.Compact(&buf, []byte(raw))
			fn.Parameters = buf.Bytes()
		}
		tools = append(tools, tool{Type: "function", Function: fn})
	}
	if len(tools) == 0 {
		return nil, false, ""
	}
	if max := maxItems(f, MaxFunctions); len(tools) > max {
		return nil, false, fmt.Sprintf("Too many functions: %d, at most %d.", len(tools), max)
	}
	b, _ := json.Marshal(tools)
	var v any
	_ = json.Unmarshal(b, &v)
	if msg := checkTools(v); msg != "" {
		return nil, false, strings.Replace(msg, "Tool ", "Function ", 1)
	}
	return json.RawMessage(b), true, ""
}

// ToolCall is one call of an assistant message, in the Chat API's shape.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
	// ExtraContent carries provider data that must be echoed back (Gemini's
	// thought_signature).
	ExtraContent json.RawMessage `json:"extra_content,omitempty"`
}

// checkToolCalls checks an assistant row's tool calls and returns them
// compacted.
func checkToolCalls(raw string) (json.RawMessage, string) {
	var calls []ToolCall
	if err := json.Unmarshal([]byte(raw), &calls); err != nil {
		return nil, "tool calls must be a JSON array of {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}."
	}
	if len(calls) == 0 {
		return nil, ""
	}
	for i, c := range calls {
		switch {
		case c.ID == "":
			return nil, fmt.Sprintf("tool call %d has no id.", i+1)
		case c.Type != "function":
			return nil, fmt.Sprintf("tool call %d: type must be \"function\".", i+1)
		case !functionNameRE.MatchString(c.Function.Name):
			return nil, fmt.Sprintf("tool call %d: function.name must be letters, digits, _ or -, at most 64.", i+1)
		}
	}
	b, _ := json.Marshal(calls)
	return b, ""
}

var schemaNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// checkResponseFormat checks a Chat response_format: text, json_object, or
// json_schema with its definition.
func checkResponseFormat(v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return "Must be a JSON object ({\"type\": …})."
	}
	switch obj["type"] {
	case "text", "json_object":
		return ""
	case "json_schema":
		return checkSchemaDef(obj["json_schema"], "json_schema.")
	}
	return "type must be \"text\", \"json_object\" or \"json_schema\"."
}

// checkSchemaDef checks a {name, schema, strict, description} definition;
// the schema must compile as JSON Schema.
func checkSchemaDef(v any, prefix string) string {
	def, ok := v.(map[string]any)
	if !ok {
		return prefix + "must be an object: {\"name\": …, \"schema\": {…}}."
	}
	name, _ := def["name"].(string)
	if !schemaNameRE.MatchString(name) {
		return prefix + "name must be letters, digits, _ or -, at most 64."
	}
	schema, ok := def["schema"].(map[string]any)
	if !ok {
		return prefix + "schema must be a JSON Schema object."
	}
	raw, _ := json.Marshal(schema)
	if _, err := structured.Compile(raw); err != nil {
		return prefix + "schema " + schemaProblem(err)
	}
	if s, ok := def["strict"]; ok {
		if _, isBool := s.(bool); !isBool {
			return prefix + "strict must be true or false."
		}
	}
	return ""
}

// schemaProblem says why structured.Compile refused a schema, after the
// field's name: "is not a valid JSON Schema: …" or "is too complex: …".
func schemaProblem(err error) string {
	var tc *structured.TooComplexError
	if errors.As(err, &tc) {
		return "is too complex" + strings.TrimPrefix(tc.Error(), "the schema is too complex") + "."
	}
	return "is not a valid JSON Schema: " + firstLine(err.Error())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ToolNames lists the function names of a tools value.
func ToolNames(raw json.RawMessage) []string {
	var tools []struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
		Name string `json:"name"` // Responses' flat form
	}
	if json.Unmarshal(raw, &tools) != nil {
		return nil
	}
	var out []string
	for _, t := range tools {
		if t.Function.Name != "" {
			out = append(out, t.Function.Name)
		} else if t.Name != "" {
			out = append(out, t.Name)
		}
	}
	return out
}

func checkLogitBias(f catalog.Field, v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return "Must be a JSON object mapping token IDs to a bias, e.g. {\"50256\": -100}."
	}
	for k, b := range obj {
		if _, err := strconv.ParseUint(k, 10, 32); err != nil {
			return fmt.Sprintf("Key %q must be a token ID (a whole number).", k)
		}
		n, ok := b.(json.Number)
		if !ok {
			return fmt.Sprintf("The bias for %q must be a number.", k)
		}
		x, err := n.Float64()
		if err != nil {
			return fmt.Sprintf("The bias for %q must be a number.", k)
		}
		if msg := checkRange(f, x); msg != "" {
			return fmt.Sprintf("The bias for %q: %s", k, strings.ToLower(msg[:1])+msg[1:])
		}
	}
	return ""
}

// checkAudio checks Chat's audio output parameters: a voice of the spec
// (or a custom voice {"id": …}) and a format of the spec.
func checkAudio(v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return `Must be a JSON object: {"voice": "alloy", "format": "wav"}.`
	}
	for k := range obj {
		if k != "voice" && k != "format" {
			return fmt.Sprintf("Unknown key %q: audio takes voice and format.", k)
		}
	}
	switch voice := obj["voice"].(type) {
	case nil:
		return "voice is required: one of " + strings.Join(audio.Voices, ", ") + `, or {"id": "voice_…"}.`
	case string:
		if !slices.Contains(audio.Voices, voice) {
			return fmt.Sprintf("voice %q is not one of %s (a custom voice is {\"id\": \"voice_…\"}).", voice, strings.Join(audio.Voices, ", "))
		}
	case map[string]any:
		if id, _ := voice["id"].(string); id == "" || len(voice) != 1 {
			return `A custom voice is {"id": "voice_…"}.`
		}
	default:
		return "voice must be one of " + strings.Join(audio.Voices, ", ") + `, or {"id": "voice_…"}.`
	}
	format, isString := obj["format"].(string)
	if obj["format"] == nil {
		return "format is required: one of " + strings.Join(audio.Formats, ", ") + "."
	}
	if !isString || !slices.Contains(audio.Formats, format) {
		return fmt.Sprintf("format must be one of %s.", strings.Join(audio.Formats, ", "))
	}
	return ""
}

// requiredWith applies the fields' required_with rules: required when
// the other field has the value, refused when it has not.
func requiredWith(fields []catalog.Field, vals Values, errs Errors) {
	for _, f := range fields {
		other, value, ok := f.RequiredWithRule()
		if !ok || errs[f.Name] != "" {
			continue
		}
		_, set := vals[f.Name]
		has := false
		switch ov := vals[other].(type) {
		case string:
			has = ov == value
		case []string:
			has = slices.Contains(ov, value)
		}
		switch {
		case has && !set:
			errs[f.Name] = fmt.Sprintf("Required when %s includes %s.", other, value)
		case set && !has && errs[other] == "":
			errs[f.Name] = fmt.Sprintf("Only with %s including %s: add %s there, or leave this empty.", other, value, value)
		}
	}
}

// crossCheck applies the rules that involve more than one field.
func crossCheck(fields []catalog.Field, vals Values, errs Errors) {
	requiredWith(fields, vals, errs)
	for _, f := range fields {
		if _, set := vals[f.Name]; !set {
			continue
		}
		if f.Role == catalog.RoleExtra {
			if raw, _ := vals[f.Name].(json.RawMessage); string(raw) == "{}" {
				delete(vals, f.Name) // nothing to send
			} else if msg := checkExtra(fields, raw); msg != "" {
				errs[f.Name] = msg
			}
			continue
		}
		if f.Transform == catalog.TransformTextFormat && vals[f.Name] == "json_schema" {
			for _, g := range fields {
				if _, has := vals[g.Name]; g.Transform == catalog.TransformJSONSchema && !has && errs[g.Name] == "" {
					errs[g.Name] = "Required when the response format is json_schema: {\"name\": …, \"schema\": {…}}."
				}
			}
		}
		for _, other := range f.ConflictsWith {
			if _, both := vals[other]; both {
				errs[f.Name] = fmt.Sprintf("Set either %s or %s, not both.", f.Name, other)
			}
		}
		for _, other := range f.Requires {
			if _, has := vals[other]; !has && errs[other] == "" {
				errs[f.Name] = fmt.Sprintf("Only with %s: set %s too, or leave this at its default.", other, other)
			}
		}
		for other, refused := range f.RefusedWith {
			if v, has := vals[other]; has && fmt.Sprint(v) == fmt.Sprint(refused) {
				errs[f.Name] = fmt.Sprintf("Not with %s set to %v: the API refuses the pair; change %s, or leave this at its default.", other, refused, other)
			}
		}
		if f.Transform == catalog.TransformToolChoice && errs[f.Name] == "" {
			choice := vals[f.Name].(string)
			if slices.Contains(f.Enum, choice) {
				continue
			}
			var names []string
			for _, g := range fields {
				if g.JSONKind == "tools" || g.Type == catalog.TypeFunctions {
					if raw, ok := vals[g.Name].(json.RawMessage); ok {
						names = append(names, ToolNames(raw)...)
					}
				}
			}
			if !slices.Contains(names, choice) {
				errs[f.Name] = fmt.Sprintf("No tool named %q is defined in tools.", choice)
				delete(vals, f.Name)
			}
		}
	}
	for _, f := range fields {
		if _, bad := errs[f.Name]; bad {
			delete(vals, f.Name)
		}
	}
}
