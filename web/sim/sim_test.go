package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/tokens"
)

var tok = &tokens.Counter{}

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{ZeroDelay: true}, ModelsFromCatalog(cat), tok))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, path string, body any, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	method := "GET"
	if body != nil {
		b, _ := json.Marshal(body)
		rd, method = bytes.NewReader(b), "POST"
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer test")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type sseEvent struct{ typ, data string }

func events(t *testing.T, b []byte) []sseEvent {
	t.Helper()
	d := sse.NewDecoder(bytes.NewReader(b), 0)
	var out []sseEvent
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sseEvent{string(ev.Type), string(ev.Data)})
	}
}

func decode(t *testing.T, style catalog.Style, b []byte) *stream.Result {
	t.Helper()
	res := stream.NewResult()
	d := stream.NewDecoder(style)
	sd := sse.NewDecoder(bytes.NewReader(b), 0)
	for {
		ev, err := sd.Next()
		if err != nil {
			return res
		}
		if err := d.Decode(ev, res.Apply); err != nil {
			t.Fatal(err)
		}
	}
}

var chatTools = []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather", "description": "Weather in a city",
	"parameters": map[string]any{"type": "object", "properties": map[string]any{
		"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string", "enum": []any{"c", "f"}},
		"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 7}}, "required": []any{"city", "unit"}, "additionalProperties": false}}}}

func chatBody(extra map[string]any) map[string]any {
	b := map[string]any{"model": "deepseek-v4-pro", "messages": []any{
		map[string]any{"role": "system", "content": "Be brief."},
		map[string]any{"role": "user", "content": "Explain the theory of relativity."}}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// TestChatValidatesAgainstSpec checks every chunk and the whole answer.
func TestChatValidatesAgainstSpec(t *testing.T) {
	srv := newTestServer(t)
	for name, extra := range map[string]map[string]any{
		"text":     {"stream": true, "stream_options": map[string]any{"include_usage": true}, "n": 2},
		"tools":    {"stream": true, "tools": chatTools, "tool_choice": "required"},
		"stop":     {"stream": true, "stop": []any{"."}},
		"length":   {"stream": true, "max_completion_tokens": 20},
		"logprobs": {"stream": true, "logprobs": true, "top_logprobs": 3, "temperature": 0.8},
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(extra), nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			evs := events(t, b)
			if evs[len(evs)-1].data != "[DONE]" {
				t.Fatal("no [DONE]")
			}
			for _, e := range evs[:len(evs)-1] {
				spectest.Validate(t, "CreateChatCompletionStreamResponse", []byte(e.data))
			}
		})
	}
	_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"tools": chatTools, "tool_choice": "required"}), nil)
	spectest.Validate(t, "CreateChatCompletionResponse", b)
	_, b = call(t, srv, "/evolink/v1/chat/completions", map[string]any{"model": "gpt-5.4", "top_k": 5,
		"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "What is this?"},
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://img.test/cat.png", "detail": "low"}}}}}}, nil)
	spectest.Validate(t, "CreateChatCompletionResponse", b)
	if !strings.Contains(string(b), "cat.png") {
		t.Errorf("the answer does not mention the image: %s", b)
	}
	_, b = call(t, srv, "/chatgw/v1/models", nil, nil)
	spectest.Validate(t, "ListModelsResponse", b)
	if !strings.Contains(string(b), "deepseek-v4-pro") {
		t.Errorf("models: %s", b)
	}
}

func TestCompletionsValidateAgainstSpec(t *testing.T) {
	srv := newTestServer(t)
	body := map[string]any{"model": "gpt-5.4-pro", "prompt": []any{"Write about the sea:", "Write about light:"}, "n": 2, "max_tokens": 30, "echo": true}
	resp, b := call(t, srv, "/apimodels/api/v1/completions", body, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	spectest.Validate(t, "CreateCompletionResponse", b)
	var whole struct {
		Choices []struct {
			Text string `json:"text"`
		} `json:"choices"`
	}
	json.Unmarshal(b, &whole)
	if len(whole.Choices) != 4 || !strings.HasPrefix(whole.Choices[0].Text, "Write about the sea:") || !strings.HasPrefix(whole.Choices[2].Text, "Write about light:") {
		t.Errorf("prompt array x n with echo: %s", b)
	}
	body["stream"] = true
	_, b = call(t, srv, "/apimodels/api/v1/completions", body, nil)
	evs := events(t, b)
	// The spec has no schema for completion chunks; their finish_reason is
	// null until the last one, as the real API sends. Chunks that carry a
	// finish reason validate as whole responses.
	n := 0
	for _, e := range evs[:len(evs)-1] {
		if strings.Contains(e.data, `"finish_reason":"`) {
			spectest.Validate(t, "CreateCompletionResponse", []byte(e.data))
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d finishing chunks, want 4", n)
	}
}

func TestResponsesValidateAgainstSpec(t *testing.T) {
	srv := newTestServer(t)
	body := map[string]any{"model": "gpt-5.4-pro", "stream": true, "instructions": "Be rigorous.",
		"input":     []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "input_text", "text": "Compare these"}, map[string]any{"type": "input_image", "image_url": "https://img.test/1.png", "detail": "high"}}}},
		"reasoning": map[string]any{"effort": "high", "summary": "auto"}, "text": map[string]any{"verbosity": "low"}, "metadata": map[string]any{"topic": "eval"}}
	_, b := call(t, srv, "/respgw/v1/responses", body, nil)
	evs := events(t, b)
	if len(evs) < 10 || evs[len(evs)-1].typ != "response.completed" {
		t.Fatalf("events: %d, last %+v", len(evs), evs[len(evs)-1])
	}
	for i, e := range evs {
		spectest.Validate(t, "ResponseStreamEvent", []byte(e.data))
		var v struct {
			Type string `json:"type"`
			Seq  int    `json:"sequence_number"`
		}
		json.Unmarshal([]byte(e.data), &v)
		if v.Type != e.typ || v.Seq != i {
			t.Fatalf("event %d: type %q (event: %q) seq %d", i, v.Type, e.typ, v.Seq)
		}
	}
	// Function call, and the whole response object.
	delete(body, "stream")
	body["tools"] = []any{map[string]any{"type": "function", "name": "get_weather", "parameters": chatTools[0].(map[string]any)["function"].(map[string]any)["parameters"]}}
	body["input"] = "What is the weather in Paris? Use get_weather."
	_, b = call(t, srv, "/respgw/v1/responses", body, nil)
	spectest.Validate(t, "Response", b)
	if !strings.Contains(string(b), `"type":"function_call"`) {
		t.Errorf("no function call: %s", b)
	}
}

// TestDecodersMatchRealFixtures decodes simulator streams with the
// playground's decoders: they give the same kinds of normalized events as
// the matching real recordings.
func TestDecodersMatchRealFixtures(t *testing.T) {
	srv := newTestServer(t)
	kinds := func(r *stream.Result) string {
		var k []string
		for _, c := range r.Choices() {
			if c.Text.Len() > 0 {
				k = append(k, "text")
			}
			if c.Reasoning.Len() > 0 {
				k = append(k, "reasoning")
			}
			for _, tc := range c.Tools {
				if json.Valid([]byte(tc.Args)) && tc.Name != "" && tc.ID != "" {
					k = append(k, "tool")
				}
			}
			k = append(k, "finish:"+c.Finish)
		}
		if r.Usage != nil {
			k = append(k, "usage")
		}
		if r.Done {
			k = append(k, "done")
		}
		return strings.Join(k, ",")
	}
	real := func(name string, style catalog.Style) string {
		b, err := osReadFile("../../testdata/sse/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return kinds(decode(t, style, b))
	}
	tests := []struct {
		fixture string
		style   catalog.Style
		path    string
		body    map[string]any
	}{
		{"deepseek-chat-reasoning-content.sse", catalog.Chat, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": true})},
		{"deepseek-chat-tool-call.sse", catalog.Chat, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": true, "tools": chatTools, "tool_choice": "required"})},
		{"openai-completions-legacy.sse", catalog.Completions, "/apimodels/api/v1/completions", map[string]any{"model": "gpt-5.4-pro", "prompt": "Hi", "stream": true, "max_tokens": 10, "stream_options": map[string]any{"include_usage": true}}},
		{"openai-responses-reasoning-summary.sse", catalog.Responses, "/respgw/v1/responses", map[string]any{"model": "gpt-5.4-pro", "input": "How do I cross a street?", "stream": true, "reasoning": map[string]any{"effort": "high", "summary": "detailed"}}},
		{"openai-responses-background.sse", catalog.Responses, "/respgw/v1/responses", map[string]any{"model": "gpt-5.4-pro", "input": "What is 2+2?", "stream": true, "background": true, "reasoning": map[string]any{"effort": "none"}}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			_, b := call(t, srv, tc.path, tc.body, nil)
			if got, want := kinds(decode(t, tc.style, b)), real(tc.fixture, tc.style); got != want {
				t.Errorf("simulator gives %s\nthe recording gives %s", got, want)
			}
		})
	}
}

func answer(t *testing.T, srv *httptest.Server, extra map[string]any) string {
	t.Helper()
	body := chatBody(extra)
	body["model"] = "gpt-5.4-mini"
	_, b := call(t, srv, "/chatgw/v1/chat/completions", body, nil)
	var v struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Choices) == 0 {
		t.Fatalf("%s", b)
	}
	return v.Choices[0].FinishReason + "|" + v.Choices[0].Message.Content
}

func TestDeterminism(t *testing.T) {
	srv := newTestServer(t)
	if a, b := answer(t, srv, map[string]any{"temperature": 0}), answer(t, srv, map[string]any{"temperature": 0}); a != b {
		t.Errorf("temperature 0 differs:\n%s\n%s", a, b)
	}
	if a, b := answer(t, srv, map[string]any{"temperature": 1.2, "seed": 7}), answer(t, srv, map[string]any{"temperature": 1.2, "seed": 7}); a != b {
		t.Errorf("same seed differs:\n%s\n%s", a, b)
	}
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		seen[answer(t, srv, map[string]any{"temperature": 1.5})] = true
	}
	if len(seen) < 3 {
		t.Errorf("temperature 1.5 gave only %d different answers in 5", len(seen))
	}
	// Parameters change the output.
	base := answer(t, srv, map[string]any{"temperature": 0})
	for name, extra := range map[string]map[string]any{
		"presence":   {"temperature": 0, "presence_penalty": 2},
		"logit_bias": {"temperature": 0, "logit_bias": map[string]any{idOf("space"): -100}},
		"top_k":      {"temperature": 1, "top_k": 1, "seed": 1},
	} {
		if got := answer(t, srv, extra); got == base && name != "top_k" {
			t.Errorf("%s did not change the answer", name)
		}
	}
	// top_k 1 is greedy whatever the temperature.
	if a, b := answer(t, srv, map[string]any{"temperature": 1.5, "top_k": 1, "seed": 1}), answer(t, srv, map[string]any{"temperature": 1.5, "top_k": 1, "seed": 99}); a != b {
		t.Errorf("top_k 1 differs by seed")
	}
	if strings.Contains(answer(t, srv, map[string]any{"temperature": 0, "logit_bias": map[string]any{idOf(" space"): -100}}), " space ") {
		t.Error("logit_bias -100 did not ban the word")
	}
}

func idOf(word string) string {
	ids := tok.Encode(word)
	return itoa(int(ids[0]))
}

func TestStopAndLength(t *testing.T) {
	srv := newTestServer(t)
	full := answer(t, srv, map[string]any{"temperature": 0})
	text := strings.SplitN(full, "|", 2)[1]
	word := strings.Fields(text)[3]
	got := answer(t, srv, map[string]any{"temperature": 0, "stop": []any{word}})
	if got != "stop|"+text[:strings.Index(text, word)] {
		t.Errorf("stop %q:\n got %q\nfull %q", word, got, text)
	}
	got = answer(t, srv, map[string]any{"temperature": 0, "max_tokens": 60, "reasoning_effort": "low"})
	if !strings.HasPrefix(got, "length|") {
		t.Errorf("max_tokens: %q", got)
	}
	_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"model": "gpt-5.4-mini", "max_tokens": 60, "reasoning_effort": "low"}), nil)
	var v struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	json.Unmarshal(b, &v)
	if v.Usage.CompletionTokens > 60 || v.Usage.CompletionTokens < 50 {
		t.Errorf("completion tokens %d with max_tokens 60", v.Usage.CompletionTokens)
	}
}

func TestReasoningGrowsWithEffort(t *testing.T) {
	srv := newTestServer(t)
	n := func(effort string) int {
		_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"reasoning_effort": effort, "temperature": 0}), nil)
		var v struct {
			Usage struct {
				Details struct {
					Reasoning int `json:"reasoning_tokens"`
				} `json:"completion_tokens_details"`
			} `json:"usage"`
		}
		json.Unmarshal(b, &v)
		return v.Usage.Details.Reasoning
	}
	low, high := n("low"), n("high")
	if low == 0 || high <= low {
		t.Errorf("reasoning tokens low %d, high %d", low, high)
	}
}

func TestToolCallThenAnswer(t *testing.T) {
	srv := newTestServer(t)
	_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": true, "tools": chatTools,
		"messages": []any{map[string]any{"role": "user", "content": "What is the weather in Lisbon? Use get_weather."}}}), nil)
	res := decode(t, catalog.Chat, b)
	calls := res.Choice(0).Tools
	if len(calls) != 1 || res.Choice(0).Finish != "tool_calls" {
		t.Fatalf("tools %+v finish %q", calls, res.Choice(0).Finish)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(calls[0].Args), &args); err != nil || args["city"] != "Lisbon" || (args["unit"] != "c" && args["unit"] != "f") {
		t.Fatalf("arguments %s", calls[0].Args)
	}
	if d, ok := args["days"].(float64); ok && (d < 1 || d > 7) {
		t.Errorf("days %v outside its range", d)
	}
	// After the tool result the model answers in text.
	_, b = call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"tools": chatTools, "messages": []any{
		map[string]any{"role": "user", "content": "What is the weather in Lisbon?"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": calls[0].ID, "type": "function", "function": map[string]any{"name": "get_weather", "arguments": calls[0].Args}}}},
		map[string]any{"role": "tool", "tool_call_id": calls[0].ID, "content": `{"temperature": 21, "sky": "clear"}`}}}), nil)
	if !strings.Contains(string(b), "The tool returned") || !strings.Contains(string(b), `"finish_reason":"stop"`) {
		t.Errorf("after the tool result: %s", b)
	}
}

func TestAuthModelAndFaults(t *testing.T) {
	srv := newTestServer(t)
	resp, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(nil), map[string]string{"Authorization": ""})
	if resp.StatusCode != 401 || !strings.Contains(string(b), `"code":"invalid_api_key"`) {
		t.Errorf("missing key: %d %s", resp.StatusCode, b)
	}
	resp, b = call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"model": "gpt-9"}), nil)
	if resp.StatusCode != 404 || !strings.Contains(string(b), "model_not_found") {
		t.Errorf("unknown model: %d %s", resp.StatusCode, b)
	}
	resp, _ = call(t, srv, "/evolink/v1/chat/completions", chatBody(map[string]any{"model": "deepseek-v4-pro"}), nil)
	if resp.StatusCode != 404 {
		t.Errorf("a model of another seed's layout: %d", resp.StatusCode)
	}
	for _, code := range []int{400, 401, 402, 404, 429, 500} {
		resp, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(nil), map[string]string{"X-Sim-Fault": itoa(code)})
		if resp.StatusCode != code {
			t.Errorf("fault %d: got %d %s", code, resp.StatusCode, b)
		}
		res := stream.NewResult()
		stream.DecodeJSON(catalog.Chat, b, res.Apply)
		if res.Err == nil || res.Err.Message == "" {
			t.Errorf("fault %d: body %s", code, b)
		}
	}
	resp, _ = call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"model": "gpt-5.4@429"}), nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "5" {
		t.Errorf("model suffix fault: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	body := chatBody(nil)
	body["messages"] = []any{map[string]any{"role": "user", "content": "Hello [[fault:402]]"}}
	if resp, _ = call(t, srv, "/chatgw/v1/chat/completions", body, nil); resp.StatusCode != 402 {
		t.Errorf("prompt directive fault: %d", resp.StatusCode)
	}
	// Mid-stream error: an error chunk, no [DONE].
	_, b = call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": true}), map[string]string{"X-Sim-Fault": "midstream"})
	if res := decode(t, catalog.Chat, b); res.Err == nil || res.Done && !strings.Contains(string(b), "error") {
		t.Errorf("midstream: %+v", res.Err)
	}
	_, b = call(t, srv, "/respgw/v1/responses", map[string]any{"model": "gpt-5.4-pro", "input": "hi", "stream": true}, map[string]string{"X-Sim-Fault": "midstream"})
	if res := decode(t, catalog.Responses, b); res.Err == nil || res.Status != "failed" {
		t.Errorf("responses midstream: %+v %s", res.Err, res.Status)
	}
	// Dropped connection: the body ends early with an error.
	req, _ := http.NewRequest("POST", srv.URL+"/chatgw/v1/chat/completions", strings.NewReader(`{"model":"gpt-5.4","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("X-Sim-Fault", "drop")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Error("drop: the body ended cleanly")
	}
	// Stall: nothing before the first token.
	client := &http.Client{Timeout: 300 * time.Millisecond}
	req, _ = http.NewRequest("POST", srv.URL+"/chatgw/v1/chat/completions", strings.NewReader(`{"model":"gpt-5.4","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("X-Sim-Fault", "stall")
	start := time.Now()
	if resp, err := client.Do(req); err == nil {
		_, err = bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close()
		if err == nil {
			t.Error("stall: a token arrived")
		}
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Error("stall did not stall")
	}
}

func TestBackgroundResumeAndCancel(t *testing.T) {
	cat, _ := catalog.Default()
	// Slow enough to cancel in the middle.
	srv := httptest.NewServer(New(Config{TTFT: 10 * time.Millisecond, TokensPerSec: 200}, ModelsFromCatalog(cat), tok))
	defer srv.Close()
	body := map[string]any{"model": "gpt-5.4-pro", "input": "Tell me about the sea", "background": true, "stream": true, "reasoning": map[string]any{"effort": "none"}}
	_, b := call(t, srv, "/respgw/v1/responses", body, nil)
	evs := events(t, b)
	if evs[1].typ != "response.queued" || evs[len(evs)-1].typ != "response.completed" {
		t.Fatalf("background stream: %s ... %s", evs[1].typ, evs[len(evs)-1].typ)
	}
	var created struct {
		Response struct {
			ID string `json:"id"`
		} `json:"response"`
	}
	json.Unmarshal([]byte(evs[0].data), &created)
	// Resume after sequence number 5: events 6.. exactly.
	_, b = call(t, srv, "/respgw/v1/responses/"+created.Response.ID+"?stream=true&starting_after=5", nil, nil)
	resumed := events(t, b)
	if len(resumed) != len(evs)-6 || resumed[0].data != evs[6].data {
		t.Fatalf("resumed %d events, want %d", len(resumed), len(evs)-6)
	}
	// Polling, then cancel in the middle.
	delete(body, "stream")
	_, b = call(t, srv, "/respgw/v1/responses", body, nil)
	var obj struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	json.Unmarshal(b, &obj)
	if obj.Status != "queued" {
		t.Fatalf("background answer status %q", obj.Status)
	}
	time.Sleep(50 * time.Millisecond)
	_, b = call(t, srv, "/respgw/v1/responses/"+obj.ID+"/cancel", map[string]any{}, nil)
	json.Unmarshal(b, &obj)
	if obj.Status != "cancelled" {
		t.Fatalf("after cancel: %s", b)
	}
	time.Sleep(50 * time.Millisecond)
	_, b = call(t, srv, "/respgw/v1/responses/"+obj.ID, nil, nil)
	json.Unmarshal(b, &obj)
	if obj.Status != "cancelled" {
		t.Errorf("poll after cancel: %s", obj.Status)
	}
	spectest.Validate(t, "Response", b)
}

func TestCachedTokens(t *testing.T) {
	srv := newTestServer(t)
	long := strings.Repeat("The sea covers most of the surface of the earth. ", 120)
	cachedOf := func(suffix string) int {
		_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"messages": []any{
			map[string]any{"role": "system", "content": long}, map[string]any{"role": "user", "content": suffix}}}), nil)
		var v struct {
			Usage struct {
				Prompt  int `json:"prompt_tokens"`
				Details struct {
					Cached int `json:"cached_tokens"`
				} `json:"prompt_tokens_details"`
			} `json:"usage"`
		}
		json.Unmarshal(b, &v)
		return v.Usage.Details.Cached
	}
	if c := cachedOf("first question"); c != 0 {
		t.Errorf("first request cached %d", c)
	}
	if c := cachedOf("second question"); c < 1024 || c%128 != 0 {
		t.Errorf("repeated prefix cached %d", c)
	}
}

func osReadFile(p string) ([]byte, error) { return os.ReadFile(p) }

// TestChatLogprobs: with logprobs on, every text piece carries its token,
// a log-probability (at most 0), its bytes and up to top_logprobs
// alternatives, the likeliest first; the whole answer carries them all.
func TestChatLogprobs(t *testing.T) {
	srv := newTestServer(t)
	_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": true, "logprobs": true, "top_logprobs": 3, "temperature": 1.2}), nil)
	var text strings.Builder
	pieces, withAlts := 0, 0
	for _, e := range events(t, b) {
		if e.data == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				Logprobs *struct {
					Content []struct {
						Token   string  `json:"token"`
						Logprob float64 `json:"logprob"`
						Bytes   []int   `json:"bytes"`
						Top     []struct {
							Token   string  `json:"token"`
							Logprob float64 `json:"logprob"`
						} `json:"top_logprobs"`
					} `json:"content"`
				} `json:"logprobs"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(e.data), &c); err != nil {
			t.Fatal(err)
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content == "" {
				continue
			}
			text.WriteString(ch.Delta.Content)
			if ch.Logprobs == nil || len(ch.Logprobs.Content) != 1 {
				t.Fatalf("a text piece without logprobs: %s", e.data)
			}
			lp := ch.Logprobs.Content[0]
			pieces++
			if lp.Token != ch.Delta.Content || lp.Logprob > 0 || len(lp.Bytes) != len(lp.Token) || len(lp.Top) == 0 || len(lp.Top) > 3 {
				t.Fatalf("bad logprob entry: %s", e.data)
			}
			for k := 1; k < len(lp.Top); k++ {
				if lp.Top[k].Logprob > lp.Top[k-1].Logprob {
					t.Fatalf("alternatives not likeliest first: %s", e.data)
				}
			}
			if len(lp.Top) > 1 {
				withAlts++
			}
		}
	}
	if pieces < 10 || withAlts == 0 {
		t.Fatalf("%d pieces, %d with alternatives", pieces, withAlts)
	}
	_, whole := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"logprobs": true, "top_logprobs": 2}), nil)
	spectest.Validate(t, "CreateChatCompletionResponse", whole)
	if !strings.Contains(string(whole), `"top_logprobs":[{`) {
		t.Errorf("the whole answer has no logprobs: %.300s", whole)
	}
	if resp, body := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"logprobs": true, "top_logprobs": 21}), nil); resp.StatusCode != 400 {
		t.Errorf("top_logprobs 21: %d %s", resp.StatusCode, body)
	}
}

// TestEventsDirective: [[events:N]] answers with exactly N text pieces, one
// chunk each (for the load benchmark).
func TestEventsDirective(t *testing.T) {
	srv := newTestServer(t)
	_, b := call(t, srv, "/chatgw/v1/chat/completions", map[string]any{"model": "gpt-5.4", "stream": true,
		"messages": []any{map[string]any{"role": "user", "content": "[[events:250]] go"}}}, nil)
	n := 0
	for _, e := range events(t, b) {
		if strings.Contains(e.data, `"content":"`) && !strings.Contains(e.data, `"content":""`) {
			n++
		}
	}
	if n != 250 {
		t.Fatalf("%d text chunks, want 250", n)
	}
}

// TestEventsDirectiveStamp: [[events:N stamp]] sends N text pieces, each
// its own send time in Unix microseconds, in order and close to now.
func TestEventsDirectiveStamp(t *testing.T) {
	srv := newTestServer(t)
	before := time.Now().UnixMicro()
	_, b := call(t, srv, "/chatgw/v1/chat/completions", map[string]any{"model": "gpt-5.4", "stream": true,
		"messages": []any{map[string]any{"role": "user", "content": "[[events:20 stamp]] go"}}}, nil)
	after := time.Now().UnixMicro()
	re := regexp.MustCompile(`"content":" ` + StampPrefix + `([0-9]{16})"`)
	var last int64
	n := 0
	for _, e := range events(t, b) {
		if m := re.FindStringSubmatch(e.data); m != nil {
			at, _ := strconv.ParseInt(m[1], 10, 64)
			if at < before || at > after || at < last {
				t.Errorf("stamp %d outside %d–%d or before %d", at, before, after, last)
			}
			last = at
			n++
		}
	}
	if n != 20 {
		t.Fatalf("%d stamped chunks, want 20: %.300s", n, b)
	}
}
