// Package request builds the upstream HTTP request for a model from its
// checked form values. The body's keys follow the schema's order, so the
// request reads the way the form does; the same bytes are sent upstream and
// shown in the curl snippet.
package request

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/structured"
)

// Header is one HTTP header of a request.
type Header struct {
	Name  string
	Value string
	// Secret marks a header whose Value is a template naming variables
	// as ${VAR} (catalog.Header): the curl command, the inspector and the
	// history show the template, and the sender the value WithSecrets gave.
	Secret bool
}

// Request is an upstream request without its secret: the API key is added
// by the sender (as Authorization: Bearer KEY) and shown by curl as $KeyEnv.
type Request struct {
	Method string
	// BaseURL is the provider base URL; empty when it must come from the
	// environment variable BaseURLEnv, which is not set.
	BaseURL    string
	BaseURLEnv string
	Path       string
	Header     []Header
	KeyEnv     string
	Body       []byte
	Stream     bool
	Style      catalog.Style
	// Options are what the run needs to know of the body.
	Options Options

	// secrets are the values of the Secret headers, by name; they are
	// never shown nor recorded (WithSecrets, HeaderValue).
	secrets map[string]string
}

// ExpandHeaders fills the ${VAR} references of the headers that are not
// secret with lookup's values, and returns the variables it had none for.
func (r *Request) ExpandHeaders(lookup func(string) string) (missing []string) {
	for i, h := range r.Header {
		if h.Secret || !strings.Contains(h.Value, "${") {
			continue
		}
		v, miss := catalog.ExpandHeader(h.Value, lookup)
		r.Header[i].Value = v
		missing = append(missing, miss...)
	}
	return missing
}

// WithSecrets returns a copy of r whose Secret headers are sent with the
// given values (by header name).
func (r *Request) WithSecrets(values map[string]string) *Request {
	c := *r
	c.secrets = values
	return &c
}

// HeaderValue is the value h is sent with: a Secret header's from
// WithSecrets ("" when none was given), any other's own.
func (r *Request) HeaderValue(h Header) string {
	if h.Secret {
		return r.secrets[h.Name]
	}
	return h.Value
}

// ProviderHeaders are the provider's extra headers of r (all but
// Content-Type and Accept, which the playground sets), with the values
// they are sent with: for the other requests of a run (a background
// response's poll, resume and cancel, upstream.Client.GetWith).
func (r *Request) ProviderHeaders() http.Header {
	var h http.Header
	for _, x := range r.Header {
		if strings.EqualFold(x.Name, "Content-Type") || strings.EqualFold(x.Name, "Accept") {
			continue
		}
		if v := r.HeaderValue(x); v != "" {
			if h == nil {
				h = http.Header{}
			}
			h.Set(x.Name, v)
		}
	}
	return h
}

// SecretValues are the values of r's Secret headers, and the parts of
// them that came from variables (a provider may echo the secret without
// the template's literal text: "s3cr3t" of "vk-${VK}"), for redacting
// them from what the provider sends back.
func (r *Request) SecretValues() []string {
	var out []string
	for _, h := range r.Header {
		v := r.secrets[h.Name]
		if !h.Secret || v == "" {
			continue
		}
		out = append(out, v)
		parts := catalog.HeaderParts(h.Value)
		if len(parts) == 1 {
			continue // no variable: the value is the template's
		}
		// value = parts[0] + var + parts[2] + var + … + parts[last]
		rest, ok := strings.CutPrefix(v, parts[0])
		if ok {
			rest, ok = strings.CutSuffix(rest, parts[len(parts)-1])
		}
		if !ok {
			continue
		}
		for i := 2; i < len(parts)-1; i += 2 {
			before, after, found := strings.Cut(rest, parts[i])
			if !found {
				break
			}
			out = append(out, before)
			rest = after
		}
		out = append(out, rest)
	}
	return out
}

// URL is the full request URL, or "" when the base URL is not configured.
func (r *Request) URL() string {
	if r.BaseURL == "" {
		return ""
	}
	return r.BaseURL + r.Path
}

// WithBaseURL returns a copy of r aimed at another base URL (a fallback).
func (r *Request) WithBaseURL(base string) *Request {
	c := *r
	c.BaseURL = base
	return &c
}

// Build makes the request for model m of provider p from checked values.
// baseURL is the resolved base URL (empty when unconfigured).
func Build(p *catalog.Provider, m *catalog.Model, vals form.Values, baseURL string) (*Request, error) {
	obj, err := object(m, vals)
	if err != nil {
		return nil, err
	}
	body, err := encode(obj)
	if err != nil {
		return nil, err
	}
	var stream bool
	if f, ok := m.FieldWithRole(catalog.RoleStream); ok {
		stream, _ = vals[f.Name].(bool)
	}
	header := []Header{{Name: "Content-Type", Value: "application/json"}}
	if stream {
		header = append(header, Header{Name: "Accept", Value: "text/event-stream"})
	}
	for _, h := range p.Headers {
		header = append(header, Header{Name: h.Name, Value: h.Value, Secret: h.Secret})
	}
	return &Request{
		Method:     "POST",
		BaseURL:    baseURL,
		BaseURLEnv: p.BaseURLEnv,
		Path:       m.Style.Path(),
		Header:     header,
		KeyEnv:     p.APIKeyEnv,
		Body:       body,
		Stream:     stream,
		Style:      m.Style,
		Options:    options(m, vals, obj),
	}, nil
}

// Options are what a run must know of its request's body, taken from the
// values the body was built from (never read back from its bytes).
type Options struct {
	// Background: background is true (a Responses background response).
	Background bool
	// Unstored: store is false (the response is not kept for a later
	// previous_response_id).
	Unstored bool
	// UsageAsked: stream_options.include_usage is true while streaming, so
	// a usage chunk follows the finish reasons.
	UsageAsked bool
	// AudioFormat is the format a spoken answer was asked in (the audio
	// field's format), "" when none was asked for.
	AudioFormat string
	// Expect is the structured output the answer must be (the response
	// format sent: Chat's response_format, Responses' text.format).
	Expect structured.Expect
}

// options are the Options of the body Body builds from vals: by the body
// paths the schema sends its fields to, as Body sends them.
func options(m *catalog.Model, vals form.Values, obj *Object) Options {
	var o Options
	if format, ok := obj.Get(formatPath(m.Style)); ok {
		if raw, err := json.Marshal(format); err == nil {
			o.Expect = structured.FromFormat(m.Style, raw)
		}
	}
	for _, f := range m.Fields() {
		if raw, ok := vals[f.Name].(json.RawMessage); ok && f.JSONKind == "audio" {
			var a struct {
				Format string `json:"format"`
			}
			if json.Unmarshal(raw, &a) == nil {
				o.AudioFormat = a.Format
			}
			continue
		}
		on, isBool := vals[f.Name].(bool)
		if !isBool || f.Transform != "" {
			continue
		}
		if f.OnlyWith != "" {
			if with, _ := vals[f.OnlyWith].(bool); !with {
				continue
			}
		}
		switch f.BodyPath() {
		case "background":
			o.Background = on
		case "store":
			o.Unstored = !on
		case "stream_options.include_usage":
			o.UsageAsked = on
		}
	}
	return o
}

// formatPath is where a request of the style names its response format.
func formatPath(style catalog.Style) string {
	if style == catalog.Responses {
		return "text.format"
	}
	return "response_format"
}

// Body renders the JSON body: "model" first, then each set field in schema
// order, indented by two spaces for reading in the curl panel.
func Body(m *catalog.Model, vals form.Values) ([]byte, error) {
	obj, err := object(m, vals)
	if err != nil {
		return nil, err
	}
	return encode(obj)
}

// object is the body as an ordered object.
func object(m *catalog.Model, vals form.Values) (*Object, error) {
	obj := &Object{}
	obj.Set("model", m.SentModel())
	fields := m.Fields()
	images := imagesOf(fields, vals)
	for _, f := range fields {
		v, set := vals[f.Name]
		if !set || f.Role == catalog.RoleExtra {
			continue
		}
		if f.OnlyWith != "" {
			if on, _ := vals[f.OnlyWith].(bool); !on {
				continue
			}
		}
		switch f.Transform {
		case "":
			obj.SetPath(f.BodyPath(), v)
		case catalog.TransformPrompt:
			list := v.([]string)
			if len(list) == 1 {
				obj.Set("prompt", list[0])
			} else {
				obj.Set("prompt", list)
			}
		case catalog.TransformMessages:
			obj.Set("messages", chatMessages(fields, vals, v.([]form.Message), images, m.CarryReasoning))
		case catalog.TransformInput:
			switch x := v.(type) {
			case string:
				obj.Set("input", responsesInput(x, images))
			case []form.Message:
				obj.Set("input", responsesConversation(x, images))
			}
		case catalog.TransformTools:
			if m.Style == catalog.Responses {
				obj.SetPath(f.BodyPath(), flatTools(v))
			} else {
				obj.SetPath(f.BodyPath(), v)
			}
		case catalog.TransformTextFormat:
			obj.SetPath(f.BodyPath(), textFormat(v.(string), fields, vals))
		case catalog.TransformToolChoice:
			s := v.(string)
			switch {
			case slices.Contains(f.Enum, s):
				obj.SetPath(f.BodyPath(), s)
			case m.Style == catalog.Responses:
				obj.SetPath(f.BodyPath(), flatToolChoice{Type: "function", Name: s})
			default:
				obj.SetPath(f.BodyPath(), toolChoice{Type: "function", Function: toolChoiceFunction{Name: s}})
			}
		case catalog.TransformImageURLs, catalog.TransformImageDetail, catalog.TransformSystemMessage, catalog.TransformJSONSchema:
			// Folded into messages or input above.
		default:
			return nil, fmt.Errorf("request: unknown transform %q", f.Transform)
		}
	}
	// The extra body fields follow the schema's, in their order; a key
	// the form sent already is refused by form.Check, and never replaced.
	keys, extra := form.Extra(fields, vals)
	for _, k := range keys {
		if _, taken := obj.Get(k); taken {
			return nil, fmt.Errorf("request: the extra body field %q is sent by the form", k)
		}
		obj.Set(k, extra[k])
	}
	return obj, nil
}

// encode writes the body, indented by two spaces.
func encode(obj *Object) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

type toolChoice struct {
	Type     string             `json:"type"`
	Function toolChoiceFunction `json:"function"`
}

type toolChoiceFunction struct {
	Name string `json:"name"`
}

// imagesOf returns the attached images with the detail level applied.
// HasImages reports whether the request for m carries images (it is
// multimodal: a provider may want it on another host first).
func HasImages(m *catalog.Model, vals form.Values) bool {
	return len(imagesOf(m.Fields(), vals)) > 0
}

func imagesOf(fields []catalog.Field, vals form.Values) []form.Image {
	var imgs []form.Image
	detail := ""
	for _, f := range fields {
		switch f.Transform {
		case catalog.TransformImageURLs:
			if v, ok := vals[f.Name].([]form.Image); ok {
				imgs = append(imgs, v...)
			}
		case catalog.TransformImageDetail:
			detail, _ = vals[f.Name].(string)
		}
	}
	if detail != "" {
		out := make([]form.Image, len(imgs))
		for i, im := range imgs {
			out[i] = form.Image{URL: im.URL, Detail: detail}
		}
		return out
	}
	return imgs
}

type chatMessage struct {
	Role             string          `json:"role"`
	Content          any             `json:"content"`
	ToolCalls        json.RawMessage `json:"tool_calls,omitempty"`
	ToolCallID       string          `json:"tool_call_id,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
}

type chatTextPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type chatImagePart struct {
	Type     string       `json:"type"`
	ImageURL chatImageURL `json:"image_url"`
}

type chatImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

func chatMessages(fields []catalog.Field, vals form.Values, msgs []form.Message, images []form.Image, carry bool) []chatMessage {
	var out []chatMessage
	for _, f := range fields {
		if f.Transform == catalog.TransformSystemMessage {
			if s, ok := vals[f.Name].(string); ok {
				out = append(out, chatMessage{Role: "system", Content: s})
			}
		}
	}
	lastUser := -1
	for i, m := range msgs {
		if m.Role == "user" {
			lastUser = i
		}
	}
	for i, m := range msgs {
		if i != lastUser || len(images) == 0 {
			cm := chatMessage{Role: m.Role, Content: m.Content, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID}
			if m.ToolCalls != nil && m.Content == "" {
				cm.Content = nil // an assistant turn of only tool calls
			}
			if carry && m.ToolCalls != nil {
				cm.ReasoningContent = m.Reasoning
			}
			out = append(out, cm)
			continue
		}
		parts := []any{chatTextPart{Type: "text", Text: m.Content}}
		for _, im := range images {
			parts = append(parts, chatImagePart{Type: "image_url", ImageURL: chatImageURL{URL: im.URL, Detail: im.Detail}})
		}
		out = append(out, chatMessage{Role: m.Role, Content: parts})
	}
	if lastUser < 0 && len(images) > 0 {
		// Images need a user message to ride on.
		var parts []any
		for _, im := range images {
			parts = append(parts, chatImagePart{Type: "image_url", ImageURL: chatImageURL{URL: im.URL, Detail: im.Detail}})
		}
		out = append(out, chatMessage{Role: "user", Content: parts})
	}
	return out
}

// textFormat is a Responses text.format: {"type": name}, and for
// json_schema the definition of the json_schema field, flat.
func textFormat(name string, fields []catalog.Field, vals form.Values) any {
	if name != "json_schema" {
		return map[string]string{"type": name}
	}
	out := &Object{}
	out.Set("type", name)
	for _, f := range fields {
		raw, ok := vals[f.Name].(json.RawMessage)
		if f.Transform != catalog.TransformJSONSchema || !ok {
			continue
		}
		var def map[string]json.RawMessage
		if json.Unmarshal(raw, &def) == nil {
			for _, k := range []string{"name", "description", "schema", "strict"} {
				if x, ok := def[k]; ok {
					out.Set(k, x)
				}
			}
		}
	}
	return out
}

type flatToolChoice struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// flatTools turns Chat-shaped function tools ({type, function: {name,
// description, parameters, strict}}) into the Responses shape ({type,
// name, description, parameters, strict}), values kept byte for byte.
func flatTools(v any) any {
	raw, ok := v.(json.RawMessage)
	if !ok {
		return v
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return v
	}
	out := make([]any, 0, len(list))
	for _, t := range list {
		var fn map[string]json.RawMessage
		if json.Unmarshal(t["function"], &fn) != nil || fn == nil {
			out = append(out, t)
			continue
		}
		flat := &Object{}
		flat.Set("type", "function")
		for _, k := range []string{"name", "description", "parameters", "strict"} {
			if x, ok := fn[k]; ok {
				flat.Set(k, x)
			}
		}
		// Responses requires both; Chat's defaults keep the meaning (no
		// parameters, not strict: Responses alone would default to strict).
		if _, ok := fn["parameters"]; !ok {
			flat.Set("parameters", json.RawMessage(`{"type":"object","properties":{}}`))
		}
		if _, ok := fn["strict"]; !ok {
			flat.Set("strict", false)
		}
		out = append(out, flat)
	}
	return out
}

// reasoningItems reads an assistant row's reasoning as Responses reasoning
// items ({"type": "reasoning", "id", "summary", "encrypted_content"}) when
// it is their JSON array; plain reasoning text is not sent to Responses.
func reasoningItems(s string) []any {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return nil
	}
	var items []map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &items) != nil {
		return nil
	}
	var out []any
	for _, it := range items {
		if string(it["type"]) != `"reasoning"` || it["id"] == nil {
			continue
		}
		item := &Object{}
		for _, k := range []string{"type", "id", "summary", "encrypted_content"} {
			if v, ok := it[k]; ok {
				item.Set(k, v)
			}
		}
		if _, ok := it["summary"]; !ok {
			item.Set("summary", json.RawMessage(`[]`))
		}
		out = append(out, item)
	}
	return out
}

type functionCallItem struct {
	Type      string `json:"type"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type functionCallOutputItem struct {
	Type   string `json:"type"`
	CallID string `json:"call_id"`
	Output string `json:"output"`
}

type messageItem struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

// responsesConversation is a Responses input: the text alone for one user
// message without images, else items: messages with their role, an
// assistant's tool calls as function_call items, tool results as
// function_call_output items; images ride on the last user message.
func responsesConversation(msgs []form.Message, images []form.Image) any {
	if len(msgs) == 1 && msgs[0].Role == "user" {
		return responsesInput(msgs[0].Content, images)
	}
	lastUser := -1
	for i, m := range msgs {
		if m.Role == "user" {
			lastUser = i
		}
	}
	var out []any
	for i, m := range msgs {
		switch {
		case m.Role == "tool":
			out = append(out, functionCallOutputItem{Type: "function_call_output", CallID: m.ToolCallID, Output: m.Content})
		case m.Role == "assistant" && m.ToolCalls != nil:
			if m.Content != "" {
				out = append(out, messageItem{Role: "assistant", Content: m.Content})
			}
			out = append(out, reasoningItems(m.Reasoning)...)
			var calls []form.ToolCall
			_ = json.Unmarshal(m.ToolCalls, &calls)
			for _, c := range calls {
				out = append(out, functionCallItem{Type: "function_call", CallID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
			}
		case i == lastUser && len(images) > 0:
			out = append(out, responsesInput(m.Content, images).([]inputItem)[0])
		default:
			out = append(out, messageItem{Role: m.Role, Content: m.Content})
		}
	}
	if lastUser < 0 && len(images) > 0 {
		out = append(out, responsesInput("", images).([]inputItem)[0])
	}
	return out
}

type inputItem struct {
	Role    string `json:"role"`
	Content []any  `json:"content"`
}

type inputText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type inputImage struct {
	Type     string `json:"type"`
	ImageURL string `json:"image_url"`
	Detail   string `json:"detail"`
}

// responsesInput is the prompt string, or one user message with input_text
// and input_image parts when images are attached.
func responsesInput(prompt string, images []form.Image) any {
	if len(images) == 0 {
		return prompt
	}
	parts := []any{inputText{Type: "input_text", Text: prompt}}
	for _, im := range images {
		d := im.Detail
		if d == "" {
			d = "auto" // required by the Responses API
		}
		parts = append(parts, inputImage{Type: "input_image", ImageURL: im.URL, Detail: d})
	}
	return []inputItem{{Role: "user", Content: parts}}
}

// Object is a JSON object that keeps its keys in insertion order.
type Object struct {
	keys []string
	vals map[string]any
}

// Set sets key to v, keeping the key's first position.
func (o *Object) Set(key string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// SetPath sets a dotted path, creating nested objects as needed.
func (o *Object) SetPath(path string, v any) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		o.Set(head, v)
		return
	}
	child, ok := o.vals[head].(*Object)
	if !ok {
		child = &Object{}
		o.Set(head, child)
	}
	child.SetPath(rest, v)
}

// Get returns the value at a dotted path.
func (o *Object) Get(path string) (any, bool) {
	head, rest, nested := strings.Cut(path, ".")
	v, ok := o.vals[head]
	if !ok || !nested {
		return v, ok
	}
	child, ok := v.(*Object)
	if !ok {
		return nil, false
	}
	return child.Get(rest)
}

// MarshalJSON writes the keys in order, without HTML escaping.
func (o *Object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(o.vals[k]); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
