package stream

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sse"
)

type wantChoice struct {
	textPrefix string
	textLen    int // bytes
	refusal    string
	reasonLen  int
	finish     string
	tools      []string // "name args"
}

type wantUsage struct{ in, cached, out, reasoning, billed int }

// fixtures lists, per recorded stream, what decoding it must give.
var fixtures = map[string]struct {
	choices []wantChoice
	usage   *wantUsage
	errCode string
	status  string
}{
	"deepseek-chat-reasoning-content.sse": {
		choices: []wantChoice{{textPrefix: "Hello there! 😊 How can I help you today?", textLen: 43, reasonLen: 882, finish: "stop"}},
		usage:   &wantUsage{6, 0, 212, 198, 212}},
	"deepseek-chat-tool-call.sse": {
		choices: []wantChoice{{reasonLen: 191, finish: "tool_calls", tools: []string{`weather {"location": "San Francisco"}`}}},
		usage:   &wantUsage{339, 320, 83, 39, 83}},
	"groq-chat-error-event-midstream.sse": {
		choices: []wantChoice{{reasonLen: 412}},
		errCode: "tool_use_failed"},
	"openai-chat-n3-choices.sse": {
		choices: []wantChoice{
			{textPrefix: `{"city":"San Francisco","temperature":65`, textLen: 53, finish: "stop"},
			{textPrefix: `{"city":"San Francisco","temperature":61`, textLen: 53, finish: "stop"},
			{textPrefix: `{"city":"San Francisco","temperature":59`, textLen: 53, finish: "stop"}},
		usage: &wantUsage{79, 0, 42, 0, 42}},
	"openai-chat-obfuscation-usage.sse": {
		choices: []wantChoice{{textPrefix: "**Holiday Name:** Harmony Day", textLen: 1730, finish: "stop"}},
		usage:   &wantUsage{16, 0, 300, 0, 300}},
	"openai-chat-parallel-tool-calls.sse": {
		choices: []wantChoice{{finish: "tool_calls", tools: []string{
			`GetWeatherArgs {"city": "Edinburgh", "country": "GB", "units": "c"}`,
			`get_stock_price {"ticker": "AAPL", "exchange": "NASDAQ"}`}}},
		usage: &wantUsage{149, 0, 60, 0, 60}},
	"openai-chat-refusal.sse": {
		choices: []wantChoice{{refusal: "I'm sorry, I can't assist with that request.", finish: "stop"}},
		usage:   &wantUsage{79, 0, 11, 0, 11}},
	"openai-chat-text-usage.sse": {
		choices: []wantChoice{{textPrefix: "The capital of the UK is London.", textLen: 32, finish: "stop"}},
		usage:   &wantUsage{78, 0, 9, 0, 9}},
	"openai-chat-tool-call-usage.sse": {
		choices: []wantChoice{{finish: "tool_calls", tools: []string{`get_capital {"country":"UK"}`}}},
		usage:   &wantUsage{53, 0, 15, 0, 15}},
	"openai-completions-legacy.sse": {
		choices: []wantChoice{{textPrefix: `The holiday is called "Gratitude Day"`, textLen: 66, finish: "length"}},
		usage:   &wantUsage{14, 0, 16, 0, 16}},
	"openai-responses-background-resume.sse": {
		choices: []wantChoice{{textPrefix: "2 + 2 equals 4.", textLen: 15, finish: "completed"}},
		usage:   &wantUsage{15, 0, 9, 0, 9}, status: "completed"},
	"openai-responses-background.sse": {
		choices: []wantChoice{{textPrefix: "2 + 2 equals 4.", textLen: 15, finish: "completed"}},
		usage:   &wantUsage{15, 0, 9, 0, 9}, status: "completed"},
	"openai-responses-error-quota.sse": {
		choices: []wantChoice{{finish: "failed"}},
		errCode: "insufficient_quota", status: "failed"},
	"openai-responses-function-call.sse": {
		choices: []wantChoice{{finish: "completed", tools: []string{`get_capital {"country":"France"}`}}},
		usage:   &wantUsage{255, 0, 16, 0, 16}, status: "completed"},
	"openai-responses-reasoning-function-call-usage.sse": {
		choices: []wantChoice{{finish: "completed", tools: []string{`final_result {"result":6666}`}}},
		usage:   &wantUsage{53, 0, 469, 448, 469}, status: "completed"},
	"openai-responses-reasoning-summary-function-call.sse": {
		choices: []wantChoice{{reasonLen: 163, finish: "completed", tools: []string{`calculator {"a":12,"b":7,"op":"add"}`}}},
		usage:   &wantUsage{134, 0, 28, 0, 28}, status: "completed"},
	"openai-responses-reasoning-summary.sse": {
		choices: []wantChoice{{textPrefix: "I'm not a road safety professional", textLen: 1275, reasonLen: 2048, finish: "completed"}},
		usage:   &wantUsage{13, 0, 1680, 1408, 1680}, status: "completed"},
	"openai-responses-text-after-tool.sse": {
		choices: []wantChoice{{textPrefix: "The capital of France is Paris.", textLen: 31, finish: "completed"}},
		usage:   &wantUsage{278, 0, 9, 0, 9}, status: "completed"},
	"openrouter-chat-error-midstream.sse": {
		choices: []wantChoice{{reasonLen: 42, finish: "length"}},
		usage:   &wantUsage{43, 0, 10, 11, 10}, errCode: "400"},
	"openrouter-chat-reasoning.sse": {
		choices: []wantChoice{{textPrefix: "2 + 2 = 4", textLen: 9, reasonLen: 51, finish: "stop"}},
		usage:   &wantUsage{43, 0, 36, 13, 36}},
	"openrouter-responses-reasoning-text.sse": {
		choices: []wantChoice{{textPrefix: "4", textLen: 1, reasonLen: 85, finish: "completed"}},
		usage:   &wantUsage{78, 0, 37, 22, 37}, status: "completed"},
	"xai-chat-tool-call-single-chunk.sse": {
		choices: []wantChoice{{reasonLen: 18, finish: "tool_calls", tools: []string{`weather {"location":"San Francisco"}`}}},
		// reasoning is outside completion_tokens: 291 + 26 + 196 = 513.
		usage: &wantUsage{291, 290, 26, 196, 222}},
}

func checkResult(t *testing.T, name string, res *Result) {
	t.Helper()
	w := fixtures[name]
	got := res.Choices()
	if len(got) != len(w.choices) {
		t.Fatalf("%d choices, want %d", len(got), len(w.choices))
	}
	for i, wc := range w.choices {
		c := got[i]
		text := c.Text.String()
		if !strings.HasPrefix(text, wc.textPrefix) || len(text) != wc.textLen {
			t.Errorf("choice %d text (%d bytes) %.60q, want prefix %q and %d bytes", i, len(text), text, wc.textPrefix, wc.textLen)
		}
		if c.Refusal.String() != wc.refusal {
			t.Errorf("choice %d refusal %q", i, c.Refusal.String())
		}
		if c.Reasoning.Len() != wc.reasonLen {
			t.Errorf("choice %d reasoning %d bytes, want %d", i, c.Reasoning.Len(), wc.reasonLen)
		}
		if c.Finish != wc.finish {
			t.Errorf("choice %d finish %q, want %q", i, c.Finish, wc.finish)
		}
		var tools []string
		for _, tc := range c.Tools {
			if tc.Name == "" || (tc.ID == "") {
				t.Errorf("tool call without name or id: %+v", tc)
			}
			tools = append(tools, tc.Name+" "+tc.Args)
		}
		if strings.Join(tools, "|") != strings.Join(wc.tools, "|") {
			t.Errorf("choice %d tools %q, want %q", i, tools, wc.tools)
		}
	}
	switch {
	case w.usage == nil && res.Usage != nil:
		t.Errorf("unexpected usage %+v", *res.Usage)
	case w.usage != nil && res.Usage == nil:
		t.Errorf("no usage")
	case w.usage != nil:
		u := *res.Usage
		gotU := wantUsage{u.Input, u.Cached, u.Output, u.Reasoning, u.BilledOutput()}
		if gotU != *w.usage {
			t.Errorf("usage %+v, want %+v", gotU, *w.usage)
		}
	}
	if (res.Err == nil) != (w.errCode == "") || (res.Err != nil && res.Err.Code != w.errCode) {
		t.Errorf("error %+v, want code %q", res.Err, w.errCode)
	}
	if res.Status != w.status {
		t.Errorf("status %q, want %q", res.Status, w.status)
	}
	if !res.Done {
		t.Error("stream did not end with its terminal event")
	}
}

func TestFixtures(t *testing.T) {
	for name := range fixtures {
		t.Run(name, func(t *testing.T) {
			raw := readFixture(t, name)
			crlf := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			for how, r := range map[string]func() *bytes.Reader{
				"whole": func() *bytes.Reader { return bytes.NewReader(raw) },
				"crlf":  func() *bytes.Reader { return bytes.NewReader(crlf) },
			} {
				res, err := decodeStream(t, styleOf(name), r())
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				checkResult(t, name, res)
				// A read boundary at every byte (inside UTF-8, between CR and LF).
				res, err = decodeStream(t, styleOf(name), iotest.OneByteReader(r()))
				if err != nil {
					t.Fatalf("%s, byte by byte: %v", how, err)
				}
				checkResult(t, name, res)
			}
		})
	}
}

func TestEveryFixtureIsListed(t *testing.T) {
	files, _ := filepathGlob()
	for _, f := range files {
		if _, ok := fixtures[f]; !ok {
			t.Errorf("fixture %s has no expectations", f)
		}
	}
	if len(files) != len(fixtures) {
		t.Errorf("%d fixtures on disk, %d listed", len(files), len(fixtures))
	}
}

func TestTruncatedStream(t *testing.T) {
	in := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
	res, err := decodeStream(t, catalog.Chat, strings.NewReader(in))
	if err != nil || res.Whole(false) || res.Text() != "Hel" {
		t.Fatalf("whole=%v text=%q err=%v", res.Whole(false), res.Text(), err)
	}
}

func TestLlamaCppErrorField(t *testing.T) {
	in := "error: {\"code\":400,\"message\":\"context too long\",\"type\":\"exceed_context_size_error\"}\n\ndata: [DONE]\n\n"
	res, _ := decodeStream(t, catalog.Chat, strings.NewReader(in))
	if res.Err == nil || res.Err.Message != "context too long" || res.Err.Type != "exceed_context_size_error" || res.Err.Code != "400" {
		t.Fatalf("error %+v", res.Err)
	}
}

func TestOpenAIErrorChunkAndFlatResponsesError(t *testing.T) {
	res, _ := decodeStream(t, catalog.Chat, strings.NewReader(`data: {"error":{"message":"overloaded","type":"server_error","code":"server_is_overloaded"}}`+"\n\n"))
	if res.Err == nil || res.Err.Code != "server_is_overloaded" {
		t.Fatalf("chat error %+v", res.Err)
	}
	res, _ = decodeStream(t, catalog.Responses, strings.NewReader("event: error\ndata: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\",\"param\":null,\"sequence_number\":4}\n\n"))
	if res.Err == nil || res.Err.Code != "rate_limit_exceeded" || res.Done || res.LastSeq != 4 {
		t.Fatalf("responses flat error %+v done=%v", res.Err, res.Done)
	}
}

func TestGeminiShapes(t *testing.T) {
	// Thoughts flagged in content, then two whole tool calls without index.
	in := `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"thinking...","extra_content":{"google":{"thought":true}}}}]}` + "\n\n" +
		`data: {"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"id":"","type":"function","function":{"name":"a","arguments":"{}"}},{"id":"","type":"function","function":{"name":"b","arguments":"{\"x\":1}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":24,"total_tokens":561}}` + "\n\n" +
		"data: [DONE]\n\n"
	res, _ := decodeStream(t, catalog.Chat, strings.NewReader(in))
	c := res.Choice(0)
	if c.Reasoning.String() != "thinking..." || c.Text.Len() != 0 {
		t.Errorf("reasoning %q text %q", c.Reasoning.String(), c.Text.String())
	}
	if len(c.Tools) != 2 || c.Tools[0].Name != "a" || c.Tools[1].Args != `{"x":1}` {
		t.Errorf("tools %+v", c.Tools)
	}
	if res.Usage.BilledOutput() != 550 {
		t.Errorf("hidden thinking not billed: %d", res.Usage.BilledOutput())
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		style catalog.Style
		body  string
		text  string
		tools int
		usage int
	}{
		{catalog.Chat, `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","reasoning_content":"hmm","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`, "Hi", 1, 3},
		{catalog.Completions, `{"object":"text_completion","choices":[{"text":"Quantum computing leverages","index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":256,"total_tokens":268}}`, "Quantum computing leverages", 0, 12},
		{catalog.Responses, `{"id":"resp_1","object":"response","status":"completed","output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"s"}]},{"type":"message","content":[{"type":"output_text","text":"Answer"}]},{"type":"function_call","id":"fc_1","call_id":"call_1","name":"g","arguments":"{}"}],"usage":{"input_tokens":7,"output_tokens":2,"total_tokens":9}}`, "Answer", 1, 7},
	}
	for _, tc := range tests {
		res := NewResult()
		if err := DecodeJSON(tc.style, []byte(tc.body), res.Apply); err != nil {
			t.Fatal(err)
		}
		if res.Text() != tc.text || len(res.Choice(0).Tools) != tc.tools || res.Usage == nil || res.Usage.Input != tc.usage || !res.Done {
			t.Errorf("%s: text %q tools %d usage %+v done %v", tc.style, res.Text(), len(res.Choice(0).Tools), res.Usage, res.Done)
		}
	}
	// An error body.
	res := NewResult()
	DecodeJSON(catalog.Chat, []byte(`{"error":{"message":"bad","type":"invalid_request_error","param":"temperature","code":null}}`), res.Apply)
	if res.Err == nil || res.Err.Param != "temperature" {
		t.Errorf("error body: %+v", res.Err)
	}
	if err := DecodeJSON(catalog.Chat, []byte("<html>"), res.Apply); err == nil {
		t.Error("HTML accepted as JSON")
	}
}

// FuzzDecoder feeds arbitrary events to every style's decoder: it must not
// panic, and an accumulated result must be consistent.
func FuzzDecoder(f *testing.F) {
	for name := range fixtures {
		raw := readFixture(f, name)
		if len(raw) < 8000 {
			f.Add(string(raw), uint8(0))
		}
	}
	f.Add(`data: {"choices":[{"delta":{"tool_calls":[{"index":1000000000}]}}]}`+"\n\n", uint8(0))
	for _, s := range chatShapedStreams {
		f.Add(s.in, uint8(2)) // Chat chunks on a Responses endpoint
	}
	f.Add(audioStream([]byte("some audio bytes"), 3, true), uint8(0))
	f.Fuzz(func(t *testing.T, in string, which uint8) {
		style := []catalog.Style{catalog.Chat, catalog.Completions, catalog.Responses}[int(which)%3]
		d := NewDecoder(style)
		res := NewResult()
		sd := sse.NewDecoder(strings.NewReader(in), 1<<20)
		for i := 0; i < 10000; i++ {
			ev, err := sd.Next()
			if err != nil {
				break
			}
			_ = d.Decode(ev, res.Apply)
		}
		_ = res.Text()
		_ = res.Whole(true)
	})
}

func TestChatLogprobsDecoded(t *testing.T) {
	chunk := `{"choices":[{"index":0,"delta":{"content":" sea"},"logprobs":{"content":[{"token":" sea","logprob":-0.25,"bytes":[32,115,101,97],"top_logprobs":[{"token":" sea","logprob":-0.25,"bytes":[]},{"token":" sky","logprob":-1.5,"bytes":[]}]}],"refusal":null},"finish_reason":null}]}`
	var got []Event
	dec := NewDecoder(catalog.Chat)
	if err := dec.Decode(sse.Event{Data: []byte(chunk)}, func(e Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	var lp *Event
	for i := range got {
		if got[i].Kind == KindLogprobs {
			lp = &got[i]
		}
	}
	if lp == nil || len(lp.Logprobs) != 1 || lp.Logprobs[0].Token != " sea" || lp.Logprobs[0].Logprob != -0.25 ||
		len(lp.Logprobs[0].Top) != 2 || lp.Logprobs[0].Top[1].Token != " sky" {
		t.Fatalf("events %+v", got)
	}
	// "logprobs": null (every recorded stream) gives no event.
	got = nil
	_ = dec.Decode(sse.Event{Data: []byte(`{"choices":[{"index":0,"delta":{"content":"x"},"logprobs":null}]}`)}, func(e Event) { got = append(got, e) })
	for _, e := range got {
		if e.Kind == KindLogprobs {
			t.Fatal("a null logprobs made an event")
		}
	}
}

func TestGeminiToolCallKeepsExtraContent(t *testing.T) {
	chunk := `{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"},"extra_content":{"google":{"thought_signature":"c2ln"}}}]},"finish_reason":"tool_calls"}]}`
	res := NewResult()
	dec := NewDecoder(catalog.Chat)
	if err := dec.Decode(sse.Event{Data: []byte(chunk)}, res.Apply); err != nil {
		t.Fatal(err)
	}
	if tc := res.Choice(0).Tools; len(tc) != 1 || tc[0].Extra != `{"google":{"thought_signature":"c2ln"}}` {
		t.Fatalf("tools %+v", tc)
	}
}

func TestResponsesReasoningItemKept(t *testing.T) {
	ev := `{"type":"response.output_item.done","sequence_number":5,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Hm."}],"encrypted_content":"gAAA"}}`
	res := NewResult()
	dec := NewDecoder(catalog.Responses)
	if err := dec.Decode(sse.Event{Type: []byte("response.output_item.done"), Data: []byte(ev)}, res.Apply); err != nil {
		t.Fatal(err)
	}
	if items := res.Choice(0).ReasoningItems; len(items) != 1 || !strings.Contains(items[0], `"encrypted_content":"gAAA"`) {
		t.Fatalf("items %q", items)
	}
}
