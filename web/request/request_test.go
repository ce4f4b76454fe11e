package request

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/structured"
)

func mustCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	c, err := catalog.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func build(tb testing.TB, c *catalog.Catalog, provider, model string, in url.Values) *Request {
	tb.Helper()
	p, _ := c.Provider(provider)
	m, ok := c.Model(provider, model)
	if !ok {
		tb.Fatalf("no model %s/%s", provider, model)
	}
	vals, errs := form.Parse(m.Fields(), in)
	if len(errs) > 0 {
		tb.Fatalf("form errors: %v", errs)
	}
	base := ""
	if urls := p.ResolveBaseURL(func(string) string { return "" }); len(urls) > 0 {
		base = urls[0]
	}
	r, err := Build(p, m, vals, base)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestBuildSeedRequests(t *testing.T) {
	c := mustCatalog(t)
	tests := map[string]struct {
		provider, model string
		in              url.Values
		url             string
		body            string
	}{
		"seed 000 completions, one prompt": {
			provider: "apimodels", model: "gpt-5.4-pro",
			in:   url.Values{"prompt": {"Write a detailed analysis of quantum computing:"}, "max_tokens": {"1024"}, "stream": {"false", "true"}, "echo": {"false"}},
			url:  "https://apimodels.app/api/v1/completions",
			body: "{\n  \"model\": \"gpt-5.4-pro\",\n  \"prompt\": \"Write a detailed analysis of quantum computing:\",\n  \"max_tokens\": 1024,\n  \"stream\": true\n}",
		},
		"seed 000 completions, prompt array and options": {
			provider: "apimodels", model: "gpt-5.4-pro",
			in: url.Values{"prompt": {"A", "B"}, "stream": {"false"}, "temperature": {"0.2"}, "n": {"2"},
				"stop": {"\n"}, "suffix": {"</end>"}, "echo": {"false", "true"}},
			url:  "https://apimodels.app/api/v1/completions",
			body: "{\n  \"model\": \"gpt-5.4-pro\",\n  \"prompt\": [\n    \"A\",\n    \"B\"\n  ],\n  \"stream\": false,\n  \"temperature\": 0.2,\n  \"n\": 2,\n  \"stop\": [\n    \"\\n\"\n  ],\n  \"suffix\": \"</end>\",\n  \"echo\": true\n}",
		},
		"seed 001 chat with image and top_k": {
			provider: "evolink", model: "gpt-5.4",
			in: url.Values{"messages.role": {"system", "user"}, "messages.content": {"Be brief.", "What is this?"},
				"image_urls.url": {"https://img.test/a.png"}, "image_urls.detail": {"low"},
				"stream": {"false", "true"}, "temperature": {"0.7"}, "top_k": {"40"}},
			url:  "https://direct.evolink.ai/v1/chat/completions",
			body: `{"model":"gpt-5.4","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://img.test/a.png","detail":"low"}}]}],"stream":true,"temperature":0.7,"top_k":40}`,
		},
		"seed 002 chat with tools and reasoning": {
			provider: "chatgw", model: "deepseek-v4-pro",
			in: url.Values{"messages.role": {"user"}, "messages.content": {"Weather in Paris?"},
				"stream": {"false", "true"}, "include_usage": {"false", "true"}, "reasoning_effort": {"high"},
				"max_completion_tokens": {"2048"}, "stop": {"END", "STOP"}, "seed": {"7"},
				"tools.name": {"get_weather"}, "tools.description": {""}, "tools.parameters": {`{"type":"object","properties":{"city":{"type":"string"}}}`},
				"tool_choice": {"get_weather"}, "response_format": {`{"type":"json_object"}`}, "logit_bias": {`{"50256": -100}`}},
			url:  "", // CHATGW_BASE_URL unset
			body: `{"model":"deepseek-v4-pro","messages":[{"role":"user","content":"Weather in Paris?"}],"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"high","stop":["END","STOP"],"max_completion_tokens":2048,"logit_bias":{"50256":-100},"seed":7,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"response_format":{"type":"json_object"}}`,
		},
		"seed 002 include_usage dropped without stream": {
			provider: "chatgw", model: "gpt-5.4",
			in:   url.Values{"messages.role": {"user"}, "messages.content": {"Hi"}, "stream": {"false"}, "include_usage": {"false", "true"}},
			body: `{"model":"gpt-5.4","messages":[{"role":"user","content":"Hi"}],"stream":false}`,
		},
		"seed 003 responses with targets and transforms": {
			provider: "respgw", model: "gpt-5.4-pro",
			in: url.Values{"system_prompt": {"Be rigorous."}, "messages.role": {"user"}, "messages.content": {"Compare these."},
				"image_urls.url": {"https://img.test/1.png", "https://img.test/2.png"}, "image_detail": {"high"},
				"reasoning_effort": {"xhigh"}, "reasoning_summary": {"auto"}, "verbosity": {"low"},
				"max_output_tokens": {"4096"}, "response_format": {"json_object"}, "store": {"false", "true"},
				"topic": {"eval"}, "background": {"false", "true"}, "stream": {"false", "true"}},
			body: `{"model":"gpt-5.4-pro","instructions":"Be rigorous.","input":[{"role":"user","content":[{"type":"input_text","text":"Compare these."},{"type":"input_image","image_url":"https://img.test/1.png","detail":"high"},{"type":"input_image","image_url":"https://img.test/2.png","detail":"high"}]}],"reasoning":{"effort":"xhigh","summary":"auto"},"text":{"verbosity":"low","format":{"type":"json_object"}},"max_output_tokens":4096,"metadata":{"topic":"eval"},"background":true,"stream":true}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := build(t, c, tc.provider, tc.model, tc.in)
			if r.URL() != tc.url {
				t.Errorf("URL = %q, want %q", r.URL(), tc.url)
			}
			got := string(r.Body)
			if strings.HasPrefix(tc.body, "{\n") {
				if got != tc.body {
					t.Errorf("body\n got %s\nwant %s", got, tc.body)
				}
				return
			}
			if compact(t, got) != tc.body {
				t.Errorf("body\n got %s\nwant %s", compact(t, got), tc.body)
			}
		})
	}
}

func compact(tb testing.TB, s string) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && inString:
			escaped = true
		case r == '"':
			inString = !inString
		case !inString && (r == ' ' || r == '\n'):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestBuildHeaders(t *testing.T) {
	c := mustCatalog(t)
	r := build(t, c, "apimodels", "gpt-5.4-pro", url.Values{"prompt": {"x"}, "stream": {"true"}})
	if r.KeyEnv != "APIMODELS_API_KEY" || !r.Stream {
		t.Errorf("KeyEnv %q stream %v", r.KeyEnv, r.Stream)
	}
	var names []string
	for _, h := range r.Header {
		names = append(names, h.Name+": "+h.Value)
		if strings.EqualFold(h.Name, "Authorization") {
			t.Error("the built request must not carry the key")
		}
	}
	if strings.Join(names, "|") != "Content-Type: application/json|Accept: text/event-stream" {
		t.Errorf("headers %v", names)
	}
}

// typical returns typical form values for every field of m.
func typical(m *catalog.Model) url.Values {
	in := url.Values{}
	for _, f := range m.Fields() {
		if f.Role == catalog.RoleExtra {
			continue // no typical request has extra body fields
		}
		switch f.Type {
		case catalog.TypeMessages:
			in[f.Name+".role"] = []string{f.Roles[0], "user"}
			in[f.Name+".content"] = []string{"You are terse.", "Describe the picture."}
		case catalog.TypeImageURLs:
			in[f.Name+".url"] = []string{"https://example.com/cat.png"}
			if f.Detail {
				in[f.Name+".detail"] = []string{"auto"}
			}
		case catalog.TypeText, catalog.TypeString:
			switch {
			case f.Transform == catalog.TransformToolChoice:
				in.Set(f.Name, "auto")
			case f.Name == "suffix":
				in.Set(f.Name, "\n-- end")
			default:
				in.Set(f.Name, "Tell me about the sea.")
			}
		case catalog.TypeNumber, catalog.TypeInteger:
			if f.Name == "max_tokens" && len(m.Fields()) > 0 {
				if _, both := m.Field("max_completion_tokens"); both {
					continue // conflicts: typical requests set one
				}
			}
			switch {
			case f.Default != nil:
				in.Set(f.Name, strings.TrimSuffix(strings.TrimSuffix(formatNum(f.Default.(float64)), ".0"), ".00"))
			case f.Min != nil && f.Max != nil:
				in.Set(f.Name, formatNum((*f.Min+*f.Max)/2))
			case f.Role == catalog.RoleMaxOutput:
				in.Set(f.Name, "512")
			case f.Min != nil:
				in.Set(f.Name, formatNum(*f.Min))
			default:
				in.Set(f.Name, "42")
			}
			if f.Type == catalog.TypeInteger {
				in.Set(f.Name, strings.Split(in.Get(f.Name), ".")[0])
			}
		case catalog.TypeBoolean:
			in.Set(f.Name, "true")
			if f.Name == "echo" || f.Name == "background" {
				in.Set(f.Name, "false")
			}
		case catalog.TypeEnum:
			in.Set(f.Name, f.Enum[len(f.Enum)-1])
		case catalog.TypeFunctions:
			in[f.Name+".name"] = []string{"get_weather"}
			in[f.Name+".description"] = []string{"Weather"}
			in[f.Name+".parameters"] = []string{`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`}
		case catalog.TypeStringList:
			if len(f.Enum) > 0 {
				in[f.Name] = f.Enum // modalities: text and audio, which the audio field needs
			} else {
				in[f.Name] = []string{"END"}
			}
		case catalog.TypeJSON:
			switch f.JSONKind {
			case "tools":
				in.Set(f.Name, `[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`)
			case "logit_bias":
				in.Set(f.Name, `{"50256": -100}`)
			case "json_schema":
				in.Set(f.Name, `{"name":"answer","schema":{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false},"strict":true}`)
			case "response_format":
				in.Set(f.Name, `{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false},"strict":true}}`)
			case "audio":
				in.Set(f.Name, `{"voice":"alloy","format":"mp3"}`)
			default:
				in.Set(f.Name, `{"type":"json_object"}`)
			}
		}
	}
	return in
}

func formatNum(f float64) string {
	s := strings.TrimRight(strings.TrimRight(strconvF(f), "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}

// TestRequestsValidateAgainstOpenAPISpec builds every default-catalog model's
// request with typical values and validates it against the official spec.
// Provider extensions documented by a seed are listed here explicitly.
func TestRequestsValidateAgainstOpenAPISpec(t *testing.T) {
	extensions := map[string][]string{
		"evolink/gpt-5.4":     {"top_k"}, // seed 001 documents top_k
		"sim/seed001.gpt-5.4": {"top_k"}, // its simulation
	}
	component := map[catalog.Style]string{
		catalog.Completions: "CreateCompletionRequest",
		catalog.Chat:        "CreateChatCompletionRequest",
		catalog.Responses:   "CreateResponse",
	}
	c := mustCatalog(t)
	for _, m := range c.Models {
		t.Run(m.Key(), func(t *testing.T) {
			r := build(t, c, m.Provider, m.ID, typical(m))
			unknown := spectest.Validate(t, component[m.Style], r.Body)
			if got, want := strings.Join(unknown, ","), strings.Join(extensions[m.Key()], ","); got != want {
				t.Errorf("keys outside the spec: %q, listed extensions: %q\nbody: %s", got, want, r.Body)
			}
		})
	}
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// TestConversationRequestsValidate builds every chat model's request with a
// whole conversation (system, user, an assistant turn of tool calls with
// its reasoning, the tool's result, the next user turn) and validates it
// against the spec. reasoning_content is sent only by the models that need
// it back (DeepSeek thinking mode), the one key outside the spec.
func TestConversationRequestsValidate(t *testing.T) {
	c := mustCatalog(t)
	eachModelOf(t, c, catalog.Chat, func(t *testing.T, m *catalog.Model) {
		in := withConversation(typical(m), "system", "18 C and sunny")
		in["messages.reasoning"] = []string{"", "", "The user wants the weather.", "", ""}
		r := build(t, c, m.Provider, m.ID, in)
		for _, want := range []string{`"tool_call_id": "call_1"`, `"content": null`, `"name": "get_weather"`, `"content": "18 C and sunny"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("body lacks %s:\n%s", want, r.Body)
			}
		}
		if got := strings.Contains(string(r.Body), `"reasoning_content": "The user wants the weather."`); got != m.CarryReasoning {
			t.Errorf("reasoning_content sent: %v, want %v", got, m.CarryReasoning)
		}
		unknown := spectest.Validate(t, "CreateChatCompletionRequest", r.Body)
		var outside []string
		for _, k := range unknown {
			if !(m.CarryReasoning && strings.HasSuffix(k, "reasoning_content")) && k != "top_k" {
				outside = append(outside, k)
			}
		}
		if len(outside) > 0 {
			t.Errorf("keys outside the spec: %q\n%s", outside, r.Body)
		}
	})
}

// TestResponsesConversationsValidate builds every Responses model's request
// with a conversation and a tool result (as input items) and, where the
// schema has tools, a Chat-shaped tool definition (sent flat), and
// validates it against the spec.
func TestResponsesConversationsValidate(t *testing.T) {
	c := mustCatalog(t)
	eachModelOf(t, c, catalog.Responses, func(t *testing.T, m *catalog.Model) {
		in := withConversation(typical(m), "developer", "18 C")
		in["messages.reasoning"] = []string{"", "", `[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Call the tool."}]}]`, "", ""}
		_, hasTools := m.Field("tools")
		if hasTools {
			in["tools.name"], in["tools.description"] = []string{"get_weather"}, []string{"Weather"}
			in["tools.parameters"] = []string{`{"type":"object","properties":{"city":{"type":"string"}}}`}
			in.Set("tool_choice", "get_weather")
		}
		r := build(t, c, m.Provider, m.ID, in)
		body := string(r.Body)
		if i, j := strings.Index(body, `"id": "rs_1"`), strings.Index(body, `"type": "function_call"`); i < 0 || i > j {
			t.Errorf("the reasoning item does not come before its call:\n%s", body)
		}
		for _, want := range []string{`"role": "developer"`, `"type": "function_call"`, `"call_id": "call_1"`, `"type": "function_call_output"`, `"output": "18 C"`} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %s:\n%s", want, body)
			}
		}
		if hasTools && (!strings.Contains(body, `"name": "get_weather",`) || strings.Contains(body, `"function": {`) || !strings.Contains(body, `"strict": false`) ||
			!strings.Contains(body, `"tool_choice": {`)) {
			t.Errorf("tools are not in the Responses shape:\n%s", body)
		}
		if unknown := spectest.Validate(t, "CreateResponse", r.Body); len(unknown) > 0 {
			t.Errorf("keys outside the spec: %q", unknown)
		}
	})
	// One user message without images stays a plain string.
	r := build(t, c, "sim", "openai.gpt-5-mini", url.Values{"messages.role": {"user"}, "messages.content": {"Hi"}})
	if !strings.Contains(string(r.Body), `"input": "Hi"`) {
		t.Errorf("a single message: %s", r.Body)
	}
}

// withConversation sets a five-row conversation in in: instructions under
// the system role given, a question, an assistant turn of one tool call
// (call_1, get_weather), its result, and a follow-up question.
func withConversation(in url.Values, system, result string) url.Values {
	calls := `[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`
	in["messages.role"] = []string{system, "user", "assistant", "tool", "user"}
	in["messages.content"] = []string{"Be brief.", "Weather in Paris?", "", result, "And tomorrow?"}
	in["messages.tool_calls"] = []string{"", "", calls, "", ""}
	in["messages.tool_call_id"] = []string{"", "", "", "call_1", ""}
	return in
}

// eachModelOf runs fn as a subtest for every model of the style; a catalog
// without one fails.
func eachModelOf(t *testing.T, c *catalog.Catalog, style catalog.Style, fn func(*testing.T, *catalog.Model)) {
	t.Helper()
	n := 0
	for _, m := range c.Models {
		if m.Style == style {
			n++
			t.Run(m.Key(), func(t *testing.T) { fn(t, m) })
		}
	}
	if n == 0 {
		t.Fatalf("no %s models", style)
	}
}

// BenchmarkBuild measures building a typical chat request from checked
// values (body in schema order, encoded).
func BenchmarkBuild(b *testing.B) {
	c := mustCatalog(b)
	p, _ := c.Provider("sim")
	m, _ := c.Model("sim", "seed002.gpt-5.4")
	vals, errs := form.Parse(m.Fields(), withConversation(typical(m), "system", "18 C"))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(p, m, vals, "http://127.0.0.1:1/v1"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSecretValues: a secret header's value, and what its variables
// gave it, are redacted; a header that is not secret is not.
func TestSecretValues(t *testing.T) {
	r := &Request{Header: []Header{
		{Name: "X-Plain", Value: "route-7"},
		{Name: "X-VK", Value: "vk-${VK}", Secret: true},
		{Name: "X-Two", Value: "${A}:${B}/x", Secret: true},
		{Name: "X-Whole", Value: "${TOKEN}", Secret: true},
	}}
	got := r.WithSecrets(map[string]string{"X-VK": "vk-s3cr3t", "X-Two": "alpha:beta/x", "X-Whole": "tok-1"}).SecretValues()
	want := []string{"vk-s3cr3t", "s3cr3t", "alpha:beta/x", "alpha", "beta", "tok-1", "tok-1"}
	if !slices.Equal(got, want) {
		t.Errorf("secret values %q, want %q", got, want)
	}
}

// TestBuildOptions: what a run must know of its body comes from the values
// the body was built from, by the schema's body paths.
func TestBuildOptions(t *testing.T) {
	c := mustCatalog(t)
	chat := url.Values{"messages.role": {"user"}, "messages.content": {"hi"}}
	with := func(base url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = append(out[kv[i]], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name, provider, model string
		in                    url.Values
		want                  Options
	}{
		{"background", "sim", "seed003.gpt-5.4-pro", with(chat, "background", "true"), Options{Background: true}},
		{"not stored", "sim", "seed003.gpt-5.4-pro", with(chat, "store", "false"), Options{Unstored: true}},
		{"stored by default", "sim", "seed003.gpt-5.4-pro", with(chat, "stream", "true"), Options{}},
		{"usage asked while streaming", "sim", "seed002.gpt-5.4", with(chat, "stream", "true", "include_usage", "true"), Options{UsageAsked: true}},
		{"usage not sent without stream", "sim", "seed002.gpt-5.4", with(chat, "stream", "false", "include_usage", "true"), Options{}},
		{"a spoken answer", "sim", "seed002.gpt-5.4", with(chat, "modalities", "text", "modalities", "audio", "audio", `{"voice":"alloy","format":"pcm16"}`), Options{AudioFormat: "pcm16"}},
		{"a JSON object asked (chat)", "sim", "seed002.gpt-5.4", with(chat, "response_format", `{"type": "json_object"}`), Options{Expect: structured.Expect{Mode: structured.JSONObject}}},
		{"a JSON schema asked (chat)", "sim", "seed002.gpt-5.4", with(chat, "response_format", `{"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}}`),
			Options{Expect: structured.Expect{Mode: structured.JSONSchema, Name: "w", Schema: json.RawMessage(`{"type":"object"}`)}}},
		{"a JSON schema asked (responses, by its transform)", "sim", "openai.gpt-5-mini", with(chat, "response_format", "json_schema", "json_schema", `{"name": "w", "schema": {"type": "object"}}`),
			Options{Expect: structured.Expect{Mode: structured.JSONSchema, Name: "w", Schema: json.RawMessage(`{"type":"object"}`)}}},
	} {
		if got := build(t, c, tc.provider, tc.model, tc.in).Options; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: options %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestExtraBodyFields: the extra body field's keys follow the schema's
// fields at the top of the body, in the order written, values as
// written; a key the form already sent is never replaced.
func TestExtraBodyFields(t *testing.T) {
	c := mustCatalog(t)
	in := url.Values{"messages.role": {"user"}, "messages.content": {"hi"}, "temperature": {"0.5"},
		catalog.ExtraFieldName: {`{"top_k": 40, "vendor": {"z": 1, "a": "</script>"}}`}}
	r := build(t, c, "openai", "gpt-4o-mini", in)
	want := `  "temperature": 0.5,
  "top_k": 40,
  "vendor": {
    "z": 1,
    "a": "</script>"
  }
}`
	if !strings.HasSuffix(string(r.Body), want) {
		t.Errorf("body:\n%s\nwant it to end with\n%s", r.Body, want)
	}
	m, _ := c.Model("openai", "gpt-4o-mini")
	if _, err := Body(m, form.Values{"temperature": 0.5, catalog.ExtraFieldName: json.RawMessage(`{"temperature":1}`)}); err == nil {
		t.Error("an extra key the form sends replaced it")
	}
}
