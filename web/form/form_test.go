package form

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

func f64(v float64) *float64 { return &v }

var schema = []catalog.Field{
	{Name: "prompt", Type: catalog.TypeText, Required: true, Transform: catalog.TransformPrompt, MaxItems: 3},
	{Name: "title", Type: catalog.TypeString, MaxLength: 5},
	{Name: "temperature", Type: catalog.TypeNumber, Min: f64(0), Max: f64(2)},
	{Name: "top_k", Type: catalog.TypeInteger, Min: f64(1)},
	{Name: "max_tokens", Type: catalog.TypeInteger, Max: f64(100), ConflictsWith: []string{"max_completion_tokens"}},
	{Name: "max_completion_tokens", Type: catalog.TypeInteger, ConflictsWith: []string{"max_tokens"}},
	{Name: "echo", Type: catalog.TypeBoolean, Default: false},
	{Name: "stream", Type: catalog.TypeBoolean, Default: false, Initial: true},
	{Name: "effort", Type: catalog.TypeEnum, Enum: []string{"low", "high"}},
	{Name: "stop", Type: catalog.TypeStringList, MaxItems: 2},
	{Name: "modalities", Type: catalog.TypeStringList, Enum: []string{"text", "audio"}},
	{Name: "response_format", Type: catalog.TypeJSON, JSONKind: "object"},
	{Name: "tools", Type: catalog.TypeJSON, JSONKind: "tools"},
	{Name: "tool_choice", Type: catalog.TypeString, Enum: []string{"none", "auto", "required"}, Transform: catalog.TransformToolChoice},
	{Name: "logit_bias", Type: catalog.TypeJSON, JSONKind: "logit_bias", Min: f64(-100), Max: f64(100)},
	{Name: "image_urls", Type: catalog.TypeImageURLs, Transform: catalog.TransformImageURLs, Detail: true, MaxItems: 2},
}

var chatSchema = []catalog.Field{
	{Name: "messages", Type: catalog.TypeMessages, Required: true, Transform: catalog.TransformMessages, Roles: []string{"system", "user", "assistant"}},
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		fields []catalog.Field
		in     url.Values
		field  string
		want   string
	}{
		"missing required":         {schema, url.Values{}, "prompt", "Required."},
		"blank required":           {schema, url.Values{"prompt": {"  "}}, "prompt", "Required."},
		"too many prompts":         {schema, url.Values{"prompt": {"a", "b", "c", "d"}}, "prompt", "Too many items: 4, at most 3."},
		"string too long":          {schema, url.Values{"title": {"abcdef"}}, "title", "Too long: 6 characters, at most 5."},
		"string with newline":      {schema, url.Values{"title": {"a\nb"}}, "title", "Must be a single line."},
		"number not a number":      {schema, url.Values{"temperature": {"warm"}}, "temperature", "Must be a number."},
		"number NaN":               {schema, url.Values{"temperature": {"NaN"}}, "temperature", "Must be a number."},
		"number above range":       {schema, url.Values{"temperature": {"2.5"}}, "temperature", "Must be between 0 and 2."},
		"number below range":       {schema, url.Values{"temperature": {"-0.1"}}, "temperature", "Must be between 0 and 2."},
		"integer with fraction":    {schema, url.Values{"top_k": {"1.5"}}, "top_k", "Must be a whole number."},
		"integer below min":        {schema, url.Values{"top_k": {"0"}}, "top_k", "Must be at least 1."},
		"integer above max":        {schema, url.Values{"max_tokens": {"101"}}, "max_tokens", "Must be at most 100."},
		"conflicting fields":       {schema, url.Values{"max_tokens": {"10"}, "max_completion_tokens": {"10"}}, "max_tokens", "Set either max_tokens or max_completion_tokens, not both."},
		"bad boolean":              {schema, url.Values{"echo": {"maybe"}}, "echo", "Must be true or false."},
		"enum value not listed":    {schema, url.Values{"effort": {"max"}}, "effort", "Must be one of low, high."},
		"too many stop sequences":  {schema, url.Values{"stop": {"a", "b", "c"}}, "stop", "Too many items: 3, at most 2."},
		"enum list value":          {schema, url.Values{"modalities": {"video"}}, "modalities", `"video" is not one of text, audio.`},
		"invalid JSON":             {schema, url.Values{"response_format": {`{"type": }`}}, "response_format", "Invalid JSON: invalid character '}' looking for beginning of value (line 1, column 10)."},
		"incomplete JSON":          {schema, url.Values{"response_format": {`{"type": "json_object"`}}, "response_format", "Invalid JSON: the value is not complete"},
		"JSON of the wrong kind":   {schema, url.Values{"response_format": {`[1]`}}, "response_format", "Must be a JSON object ({...})."},
		"tools not an array":       {schema, url.Values{"tools": {`{}`}}, "tools", "Tools must be a JSON array"},
		"tool without name":        {schema, url.Values{"tools": {`[{"type":"function","function":{}}]`}}, "tools", "Tool 1: function.name"},
		"duplicate tool":           {schema, url.Values{"tools": {`[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"a"}}]`}}, "tools", `Tool 2: the name "a" is used twice.`},
		"tool choice unknown":      {schema, url.Values{"tool_choice": {"lookup"}}, "tool_choice", `No tool named "lookup" is defined in tools.`},
		"tool choice bad name":     {schema, url.Values{"tool_choice": {"no spaces"}}, "tool_choice", "Must be none, auto, required, or a function name"},
		"logit bias key":           {schema, url.Values{"logit_bias": {`{"abc": 1}`}}, "logit_bias", `Key "abc" must be a token ID`},
		"logit bias range":         {schema, url.Values{"logit_bias": {`{"42": 150}`}}, "logit_bias", `The bias for "42": must be between -100 and 100.`},
		"image URL scheme":         {schema, url.Values{"image_urls.url": {"ftp://x/y.png"}}, "image_urls", "Image 1: must be an http(s) URL or a data:image/... URL."},
		"image URL javascript":     {schema, url.Values{"image_urls.url": {"javascript:alert(1)"}}, "image_urls", "Image 1: must be an http(s) URL"},
		"image data URL not image": {schema, url.Values{"image_urls.url": {"data:text/html;base64,PGI+"}}, "image_urls", "Image 1: a data: URL must be data:image/<type>;base64,<data>."},
		"image bad detail":         {schema, url.Values{"image_urls.url": {"https://x.test/a.png"}, "image_urls.detail": {"ultra"}}, "image_urls", "Image 1: detail must be auto, low or high."},
		"too many images":          {schema, url.Values{"image_urls.url": {"https://a.test/1", "https://a.test/2", "https://a.test/3"}}, "image_urls", "Too many images: 3, at most 2."},
		"no messages":              {chatSchema, url.Values{"messages.role": {"user"}, "messages.content": {""}}, "messages", "Write at least one message."},
		"bad role":                 {chatSchema, url.Values{"messages.role": {"wizard"}, "messages.content": {"hi"}}, "messages", "Message 1: role must be one of system, user, assistant."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			if tc.field != "prompt" && in.Get("prompt") == "" && tc.fields[0].Name == "prompt" {
				in.Set("prompt", "hello")
			}
			vals, errs := Parse(tc.fields, in)
			got := errs[tc.field]
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("error for %s = %q, want prefix %q (all: %v)", tc.field, got, tc.want, errs)
			}
			if _, set := vals[tc.field]; set {
				t.Errorf("field %s in error still has a value", tc.field)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	in := url.Values{
		"prompt":            {"one", "", "two"},
		"title":             {"ok"},
		"temperature":       {" 0.7 "},
		"top_k":             {"40"},
		"echo":              {"false", "true"},
		"stream":            {"false"},
		"effort":            {"high"},
		"stop":              {"\n\n", "", "END"},
		"modalities":        {"text"},
		"response_format":   {`{ "type" : "json_object" }`},
		"tools":             {`[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]`},
		"tool_choice":       {"lookup"},
		"logit_bias":        {`{"50256": -100}`},
		"image_urls.url":    {"https://img.test/cat.png", "", "data:image/png;base64,iVBORw0KGgo="},
		"image_urls.detail": {"low", "", "high"},
	}
	vals, errs := Parse(schema, in)
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	check := func(name string, want any) {
		t.Helper()
		got, _ := json.Marshal(vals[name])
		w, _ := json.Marshal(want)
		if string(got) != string(w) {
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
	check("prompt", []string{"one", "two"})
	check("title", "ok")
	check("temperature", 0.7)
	check("top_k", 40)
	check("echo", true)
	check("stream", false) // initial set: always sent
	check("effort", "high")
	check("stop", []string{"\n\n", "END"})
	check("modalities", []string{"text"})
	check("response_format", json.RawMessage(`{"type":"json_object"}`))
	check("tool_choice", "lookup")
	check("logit_bias", json.RawMessage(`{"50256":-100}`))
	check("image_urls", []Image{{URL: "https://img.test/cat.png", Detail: "low"}, {URL: "data:image/png;base64,iVBORw0KGgo=", Detail: "high"}})
}

func TestUnsetFieldsAreOmitted(t *testing.T) {
	vals, errs := Parse(schema, url.Values{"prompt": {"hi"}, "temperature": {""}, "echo": {"false"}, "effort": {""}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, name := range []string{"temperature", "echo", "effort", "stop", "tools"} {
		if _, set := vals[name]; set {
			t.Errorf("%s is set, want omitted", name)
		}
	}
}

func TestMessages(t *testing.T) {
	vals, errs := Parse(chatSchema, url.Values{
		"messages.role":    {"system", "user", "assistant", "user"},
		"messages.content": {"Be brief.", "Hi", "", "Again"},
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := vals["messages"].([]Message)
	want := []Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}, {Role: "user", Content: "Again"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestConversationRows(t *testing.T) {
	fields := []catalog.Field{{Name: "messages", Type: catalog.TypeMessages, Required: true, Roles: []string{"system", "user", "assistant", "tool"}}}
	calls := `[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`
	for _, tc := range []struct {
		name    string
		in      url.Values
		want    []Message
		wantErr string
	}{
		{"tool call and result", url.Values{
			"messages.role":         {"user", "assistant", "tool"},
			"messages.content":      {"Weather?", "", "18 C"},
			"messages.tool_calls":   {"", calls, ""},
			"messages.tool_call_id": {"", "", "call_1"},
			"messages.reasoning":    {"", "I should call it.", ""},
		}, []Message{{Role: "user", Content: "Weather?"},
			{Role: "assistant", ToolCalls: json.RawMessage(`[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`), Reasoning: "I should call it."},
			{Role: "tool", Content: "18 C", ToolCallID: "call_1"}}, ""},
		{"a result without its call id", url.Values{"messages.role": {"user", "tool"}, "messages.content": {"q", "18 C"}}, nil, "Message 2: a tool result needs the id"},
		{"an empty result", url.Values{"messages.role": {"user", "tool"}, "messages.content": {"q", " "}, "messages.tool_call_id": {"", "call_9"}}, nil, "write the result of call call_9"},
		{"bad tool calls JSON", url.Values{"messages.role": {"assistant"}, "messages.content": {""}, "messages.tool_calls": {"[{"}}, nil, "Message 1: tool calls must be a JSON array"},
		{"a call without id", url.Values{"messages.role": {"assistant"}, "messages.content": {""}, "messages.tool_calls": {`[{"type":"function","function":{"name":"f","arguments":"{}"}}]`}}, nil, "tool call 1 has no id"},
		{"tool calls only on assistant rows", url.Values{"messages.role": {"user"}, "messages.content": {"hi"}, "messages.tool_calls": {`[1]`}},
			[]Message{{Role: "user", Content: "hi"}}, ""},
	} {
		vals, errs := Parse(fields, tc.in)
		if tc.wantErr != "" {
			if !strings.Contains(errs["messages"], tc.wantErr) {
				t.Errorf("%s: error %q, want %q", tc.name, errs["messages"], tc.wantErr)
			}
			continue
		}
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.name, errs)
			continue
		}
		if got := vals["messages"].([]Message); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestPresent(t *testing.T) {
	in := url.Values{"temperature": {""}, "messages.content": {"x"}, "image_urls.url": {}}
	for _, tc := range []struct {
		f    catalog.Field
		want bool
	}{
		{catalog.Field{Name: "temperature", Type: catalog.TypeNumber}, true},
		{catalog.Field{Name: "top_p", Type: catalog.TypeNumber}, false},
		{catalog.Field{Name: "messages", Type: catalog.TypeMessages}, true},
		{catalog.Field{Name: "image_urls", Type: catalog.TypeImageURLs}, true},
	} {
		if got := Present(tc.f, in); got != tc.want {
			t.Errorf("Present(%s) = %v, want %v", tc.f.Name, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("temperature", "0.7")
	f.Add("response_format", `{"type":"json_object"}`)
	f.Add("tools", `[{"type":"function","function":{"name":"a"}}]`)
	f.Add("logit_bias", `{"1": 5}`)
	f.Add("image_urls.url", "data:image/png;base64,AAAA")
	f.Fuzz(func(t *testing.T, key, value string) {
		vals, errs := Parse(schema, url.Values{key: {value}, "prompt": {"p"}})
		for name := range errs {
			if _, set := vals[name]; set {
				t.Fatalf("%s has both a value and an error", name)
			}
		}
	})
}

func TestStructuredOutputFields(t *testing.T) {
	rf := catalog.Field{Name: "response_format", Type: catalog.TypeJSON, JSONKind: "response_format"}
	format := catalog.Field{Name: "response_format", Type: catalog.TypeEnum, Enum: []string{"text", "json_object", "json_schema"}, Transform: catalog.TransformTextFormat}
	def := catalog.Field{Name: "json_schema", Type: catalog.TypeJSON, JSONKind: "json_schema", Transform: catalog.TransformJSONSchema}
	good := `{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}}},"strict":true}`
	for _, tc := range []struct {
		name   string
		fields []catalog.Field
		in     url.Values
		field  string
		want   string
	}{
		{"chat json_schema", []catalog.Field{rf}, url.Values{"response_format": {`{"type":"json_schema","json_schema":` + good + `}`}}, "", ""},
		{"chat json_object", []catalog.Field{rf}, url.Values{"response_format": {`{"type":"json_object"}`}}, "", ""},
		{"chat unknown type", []catalog.Field{rf}, url.Values{"response_format": {`{"type":"xml"}`}}, "response_format", `type must be "text"`},
		{"chat without a name", []catalog.Field{rf}, url.Values{"response_format": {`{"type":"json_schema","json_schema":{"schema":{}}}`}}, "response_format", "json_schema.name must be"},
		{"chat with a broken schema", []catalog.Field{rf}, url.Values{"response_format": {`{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"nope"}}}`}}, "response_format", "json_schema.schema is not a valid JSON Schema"},
		{"responses json_schema", []catalog.Field{format, def}, url.Values{"response_format": {"json_schema"}, "json_schema": {good}}, "", ""},
		{"responses without the schema", []catalog.Field{format, def}, url.Values{"response_format": {"json_schema"}}, "json_schema", "Required when the response format is json_schema"},
		{"chat with a schema bomb", []catalog.Field{rf}, url.Values{"response_format": {`{"type":"json_schema","json_schema":{"name":"x","schema":` + schemaBomb(24) + `}}`}}, "response_format", "json_schema.schema is too complex: through $ref and anyOf/oneOf/allOf it unfolds into more than 10,000 subschemas (the limit)."},
		{"responses with a schema bomb", []catalog.Field{format, def}, url.Values{"response_format": {"json_schema"}, "json_schema": {`{"name":"x","schema":` + schemaBomb(24) + `}`}}, "json_schema", "schema is too complex"},
		{"responses strict not a bool", []catalog.Field{format, def}, url.Values{"response_format": {"json_schema"}, "json_schema": {`{"name":"x","schema":{},"strict":"yes"}`}}, "json_schema", "strict must be true or false"},
	} {
		_, errs := Parse(tc.fields, tc.in)
		wantFieldError(t, tc.name, errs, tc.field, tc.want)
	}
}

func TestToolDefinitionsChecked(t *testing.T) {
	tools := catalog.Field{Name: "tools", Type: catalog.TypeJSON, JSONKind: "tools"}
	parallel := catalog.Field{Name: "parallel_tool_calls", Type: catalog.TypeBoolean, Default: true, Requires: []string{"tools"}}
	fields := []catalog.Field{tools, parallel}
	for _, tc := range []struct {
		name  string
		in    url.Values
		field string
		want  string
	}{
		{"good", url.Values{"tools": {`[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}}]`}, "parallel_tool_calls": {"false"}}, "", ""},
		{"parameters not a schema", url.Values{"tools": {`[{"type":"function","function":{"name":"f","parameters":{"type":"objekt"}}}]`}}, "tools", "Tool 1: function.parameters is not a valid JSON Schema"},
		{"parameters a schema bomb", url.Values{"tools": {`[{"type":"function","function":{"name":"f","parameters":` + schemaBomb(24) + `}}]`}}, "tools", "Tool 1: function.parameters is too complex"},
		{"parallel without tools", url.Values{"parallel_tool_calls": {"false"}}, "parallel_tool_calls", "Only with tools"},
		{"parallel at its default", url.Values{"parallel_tool_calls": {"true"}}, "", ""},
	} {
		_, errs := Parse(fields, tc.in)
		wantFieldError(t, tc.name, errs, tc.field, tc.want)
	}
}

// TestCrossFieldRules checks the catalog's cross-field rules as the seed
// schemas write them: each error lands on the field it concerns.
func TestCrossFieldRules(t *testing.T) {
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	fieldsOf := func(provider, id string) []catalog.Field {
		m, ok := c.Model(provider, id)
		if !ok {
			t.Fatalf("no model %s/%s", provider, id)
		}
		return m.Fields()
	}
	chat := fieldsOf("sim", "seed002.gpt-5.4")
	respgw := fieldsOf("sim", "seed003.gpt-5.4-pro")
	responses := fieldsOf("sim", "openai.gpt-5-mini")
	completions := fieldsOf("openai", "gpt-3.5-turbo-instruct")
	msg := url.Values{"messages.role": {"user"}, "messages.content": {"hi"}}
	with := func(base url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = []string{kv[i+1]}
		}
		return out
	}
	tools := `[{"type":"function","function":{"name":"lookup"}}]`
	for _, tc := range []struct {
		name   string
		fields []catalog.Field
		in     url.Values
		field  string
		want   string
	}{
		{"tool_choice without tools", chat, with(msg, "tool_choice", "auto"), "tool_choice", "Only with tools: set tools too"},
		{"tool_choice naming a function without tools", chat, with(msg, "tool_choice", "lookup"), "tool_choice", "Only with tools"},
		{"tool_choice with tools", chat, with(msg, "tool_choice", "required", "tools.name", "lookup"), "", ""},
		{"tool_choice naming an unknown function", chat, with(msg, "tool_choice", "other", "tools.name", "lookup"), "tool_choice", `No tool named "other"`},
		{"responses tool_choice without tools", responses, with(msg, "tool_choice", "none"), "tool_choice", "Only with tools"},
		{"parallel_tool_calls without tools", responses, with(msg, "parallel_tool_calls", "false"), "parallel_tool_calls", "Only with tools"},
		{"tools in the JSON shape count", []catalog.Field{{Name: "tools", Type: catalog.TypeJSON, JSONKind: "tools"}, {Name: "tool_choice", Type: catalog.TypeString, Enum: []string{"auto"}, Transform: catalog.TransformToolChoice, Requires: []string{"tools"}}}, url.Values{"tools": {tools}, "tool_choice": {"auto"}}, "", ""},
		{"background without store", respgw, with(msg, "background", "true", "store", "false"), "background", "Not with store set to false"},
		{"background with store", respgw, with(msg, "background", "true", "store", "true"), "", ""},
		{"background, store left alone", respgw, with(msg, "background", "true"), "", ""},
		{"store off, no background", respgw, with(msg, "store", "false"), "", ""},
		{"responses background without store", responses, with(msg, "background", "true", "store", "false"), "background", "Not with store set to false"},
		{"seed at 2^53-1", chat, with(msg, "seed", "9007199254740991"), "", ""},
		{"seed at -(2^53-1)", chat, with(msg, "seed", "-9007199254740991"), "", ""},
		{"seed above 2^53-1", chat, with(msg, "seed", "9007199254740992"), "seed", "Must be between -9007199254740991 and 9007199254740991."},
		{"seed below -(2^53-1)", chat, with(msg, "seed", "-9007199254740992"), "seed", "Must be between"},
		{"seed beyond int64", chat, with(msg, "seed", "99999999999999999999"), "seed", "Must be between"},
		{"seed a fraction", chat, with(msg, "seed", "1.5"), "seed", "Must be a whole number."},
		{"completions seed above 2^53-1", completions, url.Values{"prompt": {"x"}, "seed": {"9007199254740993"}}, "seed", "Must be between"},
	} {
		vals, errs := Parse(tc.fields, tc.in)
		wantFieldError(t, tc.name, errs, tc.field, tc.want)
		if tc.field != "" {
			if _, sent := vals[tc.field]; sent {
				t.Errorf("%s: %s is still sent despite its error", tc.name, tc.field)
			}
		}
	}
}

func TestFunctionsEditor(t *testing.T) {
	f := catalog.Field{Name: "tools", Type: catalog.TypeFunctions, Transform: catalog.TransformTools}
	params := `{"type": "object", "properties": {"city": {"type": "string"}}}`
	for _, tc := range []struct {
		name string
		in   url.Values
		want string // the tools JSON, or the error
		err  bool
	}{
		{"one function", url.Values{"tools.name": {"get_weather"}, "tools.description": {"Weather"}, "tools.parameters": {params}},
			`[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`, false},
		{"empty rows skipped, no parameters", url.Values{"tools.name": {"", "now"}, "tools.description": {"", ""}, "tools.parameters": {"", ""}},
			`[{"type":"function","function":{"name":"now"}}]`, false},
		{"all empty: no tools", url.Values{"tools.name": {""}, "tools.description": {""}, "tools.parameters": {""}}, "", false},
		{"bad name", url.Values{"tools.name": {"get weather"}, "tools.parameters": {""}}, "Function 1: function.name must be", true},
		{"a description without a name", url.Values{"tools.name": {""}, "tools.description": {"does things"}}, "Function 1: function.name must be", true},
		{"duplicate", url.Values{"tools.name": {"f", "f"}}, `the name "f" is used twice`, true},
		{"parameters not JSON", url.Values{"tools.name": {"f"}, "tools.parameters": {`{"type":`}}, "Function 1: parameters are not JSON", true},
		{"parameters not a schema", url.Values{"tools.name": {"f"}, "tools.parameters": {`{"type":"objekt"}`}}, "not a valid JSON Schema", true},
		{"parameters not an object", url.Values{"tools.name": {"f"}, "tools.parameters": {`[1]`}}, "must be a JSON Schema object", true},
	} {
		vals, errs := Parse([]catalog.Field{f}, tc.in)
		if tc.err {
			if !strings.Contains(errs["tools"], tc.want) {
				t.Errorf("%s: error %q, want %q", tc.name, errs["tools"], tc.want)
			}
			continue
		}
		if len(errs) > 0 {
			t.Errorf("%s: %v", tc.name, errs)
			continue
		}
		got, _ := vals["tools"].(json.RawMessage)
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// wantFieldError checks that errs has want in field's error, or, with
// field "", that there is no error at all.
func wantFieldError(t *testing.T, name string, errs Errors, field, want string) {
	t.Helper()
	if field == "" {
		if len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
		return
	}
	if !strings.Contains(errs[field], want) {
		t.Errorf("%s: %q, want %q", name, errs[field], want)
	}
}

// schemaBomb is a schema whose $defs chain of anyOf of two $refs makes a
// validator explore 2^depth branches (about 2.2 KB at depth 24).
func schemaBomb(depth int) string {
	var defs []string
	for i := range depth {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]}`, i, i+1, i+1))
	}
	defs = append(defs, fmt.Sprintf(`"d%d":{"type":"string"}`, depth))
	return `{"type":"object","properties":{"a":{"$ref":"#/$defs/d0"}},"$defs":{` + strings.Join(defs, ",") + `}}`
}
