package sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
)

func errorOf(t *testing.T, b []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an API error: %s", b)
	}
	return e
}

// TestBadRequestNamesItsParam: a 400 says which parameter is wrong, as
// the real APIs do.
func TestBadRequestNamesItsParam(t *testing.T) {
	srv := newTestServer(t)
	for _, tc := range []struct {
		name, path string
		body       map[string]any
		param      string
		code       string
	}{
		{"temperature", "/chatgw/v1/chat/completions", chatBody(map[string]any{"temperature": 3}), "temperature", "invalid_value"},
		{"n above the maximum", "/chatgw/v1/chat/completions", chatBody(map[string]any{"n": 129}), "n", "invalid_value"},
		{"n where the form has none", "/evolink/v1/chat/completions", map[string]any{"model": "gpt-5.4", "messages": []any{map[string]any{"role": "user", "content": "hi"}}, "n": 2}, "n", "invalid_value"},
		{"top_logprobs", "/openai/v1/chat/completions", map[string]any{"model": "gpt-4o-mini", "messages": []any{map[string]any{"role": "user", "content": "hi"}}, "logprobs": true, "top_logprobs": 21}, "top_logprobs", "invalid_value"},
		{"no messages", "/chatgw/v1/chat/completions", map[string]any{"model": "gpt-5.4", "messages": []any{}}, "messages", "missing_required_parameter"},
		{"no prompt", "/apimodels/api/v1/completions", map[string]any{"model": "gpt-5.4-pro"}, "prompt", "missing_required_parameter"},
		{"no input", "/respgw/v1/responses", map[string]any{"model": "gpt-5.4-pro"}, "input", "missing_required_parameter"},
		{"unknown model", "/chatgw/v1/chat/completions", map[string]any{"model": "nope", "messages": []any{}}, "model", "model_not_found"},
	} {
		resp, b := call(t, srv, tc.path, tc.body, nil)
		if resp.StatusCode/100 != 4 {
			t.Errorf("%s: status %d", tc.name, resp.StatusCode)
			continue
		}
		e := errorOf(t, b)
		if e.Error.Param == nil || *e.Error.Param != tc.param || e.Error.Code != tc.code || e.Error.Type != "invalid_request_error" {
			t.Errorf("%s: %s", tc.name, b)
		}
	}
}

// TestNMaximumIsTheForms: the simulator accepts exactly the n the form
// allows, read from the same catalog field.
func TestNMaximumIsTheForms(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]ModelSpec{}
	for _, s := range ModelsFromCatalog(cat) {
		specs[s.Prefix+" "+s.Name] = s
	}
	for _, m := range cat.ModelsOf("sim") {
		want := 1
		for _, f := range m.Fields() {
			if f.Role == catalog.RoleN {
				if f.Max == nil {
					t.Fatalf("%s: its n field has no maximum", m.Key())
				}
				want = int(*f.Max)
			}
		}
		if got := specs[m.BasePath+" "+m.SentModel()].MaxN; got != want {
			t.Errorf("%s: the simulator accepts n up to %d, the form %d", m.Key(), got, want)
		}
	}
	srv := newTestServer(t)
	resp, b := call(t, srv, "/apimodels/api/v1/completions", map[string]any{"model": "gpt-5.4-pro", "prompt": "x", "n": 128, "max_tokens": 2}, nil)
	var whole struct {
		Choices []any `json:"choices"`
	}
	json.Unmarshal(b, &whole)
	if resp.StatusCode != 200 || len(whole.Choices) != 128 {
		t.Errorf("n 128 at its maximum: %d, %d choices", resp.StatusCode, len(whole.Choices))
	}
}

// TestReasoningStaysWithinMaxTokens: whatever the budget, a reasoning
// model's completion tokens (reasoning included) never exceed the
// request's max tokens, so the exact cost never exceeds the pre-send
// maximum.
func TestReasoningStaysWithinMaxTokens(t *testing.T) {
	srv := newTestServer(t)
	schema := map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}, "required": []any{"answer"}}
	for _, budget := range []int{1, 2, 4, 7, 12, 20, 40, 90} {
		for name, extra := range map[string]map[string]any{
			"text":   {},
			"tools":  {"tools": chatTools, "tool_choice": "required"},
			"json":   {"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "r", "schema": schema}}},
			"effort": {"reasoning_effort": "high"},
		} {
			for _, key := range []string{"max_tokens", "max_completion_tokens"} {
				body := chatBody(extra)
				body["model"] = "gpt-5.4"
				body[key] = budget
				_, b := call(t, srv, "/chatgw/v1/chat/completions", body, nil)
				var v struct {
					Usage usage `json:"usage"`
				}
				json.Unmarshal(b, &v)
				if u := v.Usage; u.CompletionTokens > budget || u.PromptTokens == 0 {
					t.Errorf("chat %s %s %d: %d completion tokens (%d reasoning)", name, key, budget, u.CompletionTokens, u.CompletionTokensDetails.ReasoningTokens)
				}
			}
			body := map[string]any{"model": "gpt-5-mini", "input": "Explain the theory of relativity.", "max_output_tokens": budget}
			for k, v := range extra {
				switch k {
				case "tools":
					body["tools"] = []any{map[string]any{"type": "function", "name": "get_weather", "parameters": chatTools[0].(map[string]any)["function"].(map[string]any)["parameters"]}}
					body["tool_choice"] = "required"
				case "response_format":
					body["text"] = map[string]any{"format": map[string]any{"type": "json_schema", "name": "r", "schema": schema}}
				case "reasoning_effort":
					body["reasoning"] = map[string]any{"effort": v}
				}
			}
			_, b := call(t, srv, "/openai/v1/responses", body, nil)
			var r struct {
				Usage struct {
					Output int `json:"output_tokens"`
				} `json:"usage"`
			}
			json.Unmarshal(b, &r)
			if r.Usage.Output > budget {
				t.Errorf("responses %s %d: %d output tokens", name, budget, r.Usage.Output)
			}
		}
	}
}

// TestEchoIsInAdditionToTheCompletion: the echoed prompt neither uses up
// max_tokens nor is billed as completion tokens (seed 000: "Echo prompt in
// addition to completion").
func TestEchoIsInAdditionToTheCompletion(t *testing.T) {
	srv := newTestServer(t)
	prompt := "Write about the sea:"
	for _, budget := range []int{5, 20} {
		for _, stream := range []bool{false, true} {
			body := map[string]any{"model": "gpt-5.4-pro", "prompt": prompt, "max_tokens": budget, "echo": true, "seed": 7, "stream": stream, "stream_options": map[string]any{"include_usage": true}}
			_, b := call(t, srv, "/apimodels/api/v1/completions", body, nil)
			var text string
			var u usage
			if stream {
				res := decode(t, catalog.Completions, b)
				text = res.Choice(0).Text.String()
				if res.Usage == nil {
					t.Fatalf("no usage: %s", b)
				}
				u.CompletionTokens, u.PromptTokens = res.Usage.Output, res.Usage.Input
			} else {
				var v struct {
					Choices []struct {
						Text string `json:"text"`
					} `json:"choices"`
					Usage usage `json:"usage"`
				}
				json.Unmarshal(b, &v)
				text, u = v.Choices[0].Text, v.Usage
			}
			generated, ok := strings.CutPrefix(text, prompt)
			if !ok || generated == "" {
				t.Errorf("max_tokens %d stream %v: the text does not hold the prompt and a completion: %q", budget, stream, text)
			}
			if want := tok.Count(generated); u.CompletionTokens == 0 || u.CompletionTokens > budget || u.CompletionTokens < want-1 || u.CompletionTokens > want+1 {
				t.Errorf("max_tokens %d stream %v: %d completion tokens for %q (%d)", budget, stream, u.CompletionTokens, generated, want)
			}
			if u.PromptTokens != tok.Count(prompt) {
				t.Errorf("max_tokens %d: prompt tokens %d", budget, u.PromptTokens)
			}
		}
	}
}

// TestPreviousResponseID: a Responses request naming a stored response
// carries its id in the response object; an unknown or unstored one is
// refused as the real API refuses it.
func TestPreviousResponseID(t *testing.T) {
	srv := newTestServer(t)
	create := func(extra map[string]any) (int, []byte) {
		body := map[string]any{"model": "gpt-5-mini", "input": "Hello"}
		for k, v := range extra {
			body[k] = v
		}
		resp, b := call(t, srv, "/openai/v1/responses", body, nil)
		return resp.StatusCode, b
	}
	idOf := func(b []byte) string {
		var v struct {
			ID   string  `json:"id"`
			Prev *string `json:"previous_response_id"`
		}
		json.Unmarshal(b, &v)
		return v.ID
	}
	status, first := create(nil)
	if status != 200 || !strings.Contains(string(first), `"previous_response_id":null`) {
		t.Fatalf("first: %d %s", status, first)
	}
	id := idOf(first)
	status, second := create(map[string]any{"previous_response_id": id})
	if status != 200 || !strings.Contains(string(second), `"previous_response_id":"`+id+`"`) {
		t.Fatalf("continue: %d %s", status, second)
	}
	spectest.Validate(t, "Response", second)
	_, unstored := create(map[string]any{"store": false})
	for name, prev := range map[string]string{"unknown": "resp_0123456789abcdef01234567", "not stored": idOf(unstored)} {
		status, b := create(map[string]any{"previous_response_id": prev})
		want := fmt.Sprintf(`{"error":{"message":"Previous response with id '%s' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}`, prev)
		if status != 400 || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
}

// TestGetModel: GET /models/{id} answers a served model and 404s an
// unknown one in the API's error shape.
func TestGetModel(t *testing.T) {
	srv := newTestServer(t)
	resp, b := call(t, srv, "/chatgw/v1/models/gemini-3.1-pro-preview", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	spectest.Validate(t, "Model", b)
	if !strings.Contains(string(b), `"id":"gemini-3.1-pro-preview"`) {
		t.Errorf("model: %s", b)
	}
	for _, path := range []string{"/chatgw/v1/models/gpt-4o-mini", "/chatgw/v1/models/nope"} {
		resp, b = call(t, srv, path, nil, nil)
		if e := errorOf(t, b); resp.StatusCode != 404 || e.Error.Code != "model_not_found" || e.Error.Param == nil || *e.Error.Param != "model" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	if resp, _ := call(t, srv, "/chatgw/v1/models/gpt-5.4", nil, map[string]string{"Authorization": ""}); resp.StatusCode != 401 {
		t.Errorf("without a key: %d", resp.StatusCode)
	}
}

// TestGeminiThoughtSignature: Gemini on the chat gateway signs its tool
// calls and refuses a next turn that does not send the signature back;
// other models send none.
func TestGeminiThoughtSignature(t *testing.T) {
	srv := newTestServer(t)
	ask := func(model string, stream bool) (string, string, []byte) {
		body := chatBody(map[string]any{"model": model, "tools": chatTools, "tool_choice": "required", "stream": stream})
		_, b := call(t, srv, "/chatgw/v1/chat/completions", body, nil)
		if !stream {
			var v struct {
				Choices []struct {
					Message struct {
						ToolCalls []struct {
							ID           string          `json:"id"`
							ExtraContent json.RawMessage `json:"extra_content"`
						} `json:"tool_calls"`
					} `json:"message"`
				} `json:"choices"`
			}
			json.Unmarshal(b, &v)
			tc := v.Choices[0].Message.ToolCalls
			if len(tc) != 1 {
				t.Fatalf("%s: no tool call: %s", model, b)
			}
			return tc[0].ID, string(tc[0].ExtraContent), b
		}
		tools := decode(t, catalog.Chat, b).Choice(0).Tools
		if len(tools) != 1 {
			t.Fatalf("%s: no tool call: %s", model, b)
		}
		return tools[0].ID, tools[0].Extra, b
	}
	for _, stream := range []bool{false, true} {
		id, extra, b := ask("gemini-3.1-pro-preview", stream)
		want := `{"google":{"thought_signature":"` + thoughtSignature(id) + `"}}`
		if extra != want {
			t.Errorf("stream %v: extra_content %s, want %s\n%s", stream, extra, want, b)
		}
		if _, extra, _ := ask("gpt-5.4", stream); extra != "" {
			t.Errorf("gpt-5.4 signs its calls: %s", extra)
		}
	}
	id, extra, _ := ask("gemini-3.1-pro-preview", false)
	next := func(tc map[string]any) (int, []byte) {
		body := chatBody(map[string]any{"model": "gemini-3.1-pro-preview", "tools": chatTools})
		body["messages"] = append(body["messages"].([]any),
			map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{tc}},
			map[string]any{"role": "tool", "tool_call_id": id, "content": `{"temp": 21}`})
		resp, b := call(t, srv, "/chatgw/v1/chat/completions", body, nil)
		return resp.StatusCode, b
	}
	fn := map[string]any{"name": "get_weather", "arguments": `{"city":"Paris","unit":"c"}`}
	var ex any
	json.Unmarshal([]byte(extra), &ex)
	if status, b := next(map[string]any{"id": id, "type": "function", "function": fn, "extra_content": ex}); status != 200 {
		t.Errorf("with the signature: %d %s", status, b)
	}
	for name, c := range map[string]map[string]any{
		"without":  {"id": id, "type": "function", "function": fn},
		"forged":   {"id": id, "type": "function", "function": fn, "extra_content": map[string]any{"google": map[string]any{"thought_signature": "Zm9yZ2Vk"}}},
		"other id": {"id": "call_other", "type": "function", "function": fn, "extra_content": ex},
	} {
		status, b := next(c)
		if e := errorOf(t, b); status != 400 || e.Error.Param == nil || *e.Error.Param != "messages" || !strings.Contains(e.Error.Message, "thought_signature") {
			t.Errorf("%s the signature: %d %s", name, status, b)
		}
	}
}
