package stream

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/valyala/fastjson"

	recorded "github.com/playground-dev/playground/internal/fixtures"
	"github.com/playground-dev/playground/web/catalog"
)

// Seed 003 documents its /responses answers with Chat Completions fields
// (recorded.Seed003Stream and the others, written from that
// documentation): they must decode like Chat chunks on a Responses
// endpoint.

// Tool calls in the Chat shape, no object field, usage on the finish chunk.
const seed003ToolStream = `data: {"id":"chatcmpl-9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}

data: {"id":"chatcmpl-9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}

data: {"id":"chatcmpl-9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}}]}

data: {"id":"chatcmpl-9","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":30,"completion_tokens":9,"total_tokens":39}}

data: [DONE]

`

// Mixed: a gateway that opens with a Responses event, then sends Chat
// chunks. Each is read by its own shape.
const seed003MixedStream = `event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_abc","status":"in_progress"}}

data: {"choices":[{"index":0,"delta":{"content":"Mixed"}}]}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":1,"delta":" text"}

event: response.completed
data: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_abc","status":"completed","usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}}

`

type shapeWant struct {
	text, reasoning, finish string
	tools                   []string
	usage                   wantUsage
	noUsage                 bool
	errCode, errType        string
	responseID, status      string
}

func checkShape(t *testing.T, res *Result, w shapeWant) {
	t.Helper()
	c := res.Choice(0)
	if got := c.Text.String(); got != w.text {
		t.Errorf("text %q, want %q", got, w.text)
	}
	if got := c.Reasoning.String(); got != w.reasoning {
		t.Errorf("reasoning %q, want %q", got, w.reasoning)
	}
	if c.Finish != w.finish {
		t.Errorf("finish %q, want %q", c.Finish, w.finish)
	}
	var tools []string
	for _, tc := range c.Tools {
		tools = append(tools, tc.ID+" "+tc.Name+" "+tc.Args)
	}
	if strings.Join(tools, "|") != strings.Join(w.tools, "|") {
		t.Errorf("tools %q, want %q", tools, w.tools)
	}
	switch {
	case w.noUsage && res.Usage != nil:
		t.Errorf("unexpected usage %+v", *res.Usage)
	case !w.noUsage && res.Usage == nil:
		t.Error("no usage")
	case !w.noUsage:
		u := *res.Usage
		if got := (wantUsage{u.Input, u.Cached, u.Output, u.Reasoning, u.BilledOutput()}); got != w.usage {
			t.Errorf("usage %+v, want %+v", got, w.usage)
		}
	}
	if w.errCode == "" && res.Err != nil {
		t.Errorf("unexpected error %+v", res.Err)
	}
	if w.errCode != "" && (res.Err == nil || res.Err.Code != w.errCode || res.Err.Type != w.errType) {
		t.Errorf("error %+v, want code %q type %q", res.Err, w.errCode, w.errType)
	}
	if res.ResponseID != w.responseID {
		t.Errorf("response id %q, want %q (a chatcmpl id names no stored response)", res.ResponseID, w.responseID)
	}
	if res.Status != w.status {
		t.Errorf("status %q, want %q", res.Status, w.status)
	}
	if !res.Done {
		t.Error("the stream did not end")
	}
}

// seed003Want is what the documented answer (streamed or not) gives.
var seed003Want = shapeWant{text: "Hello from the gateway ✓", reasoning: "Think é.", finish: "stop",
	usage: wantUsage{in: 12, cached: 2, out: 7, reasoning: 3, billed: 7}}

var chatShapedStreams = []struct {
	name, in string
	want     shapeWant
}{
	{"text reasoning usage", recorded.Seed003Stream, seed003Want},
	{"tool call", seed003ToolStream, shapeWant{finish: "tool_calls", tools: []string{`call_1 get_weather {"city":"Oslo"}`},
		usage: wantUsage{in: 30, out: 9, billed: 9}}},
	{"mixed shapes", seed003MixedStream, shapeWant{text: "Mixed text", finish: "completed",
		usage: wantUsage{in: 5, out: 2, billed: 2}, responseID: "resp_abc", status: "completed"}},
	{"error object", recorded.Seed003StreamError, shapeWant{text: "Hal", noUsage: true, errCode: "overloaded", errType: "server_error"}},
}

// splitReader returns b in two reads, cut at i.
func splitReader(b []byte, i int) io.Reader {
	return io.MultiReader(bytes.NewReader(b[:i]), bytes.NewReader(b[i:]))
}

func TestResponsesEndpointChatShapedStream(t *testing.T) {
	for _, tc := range chatShapedStreams {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.in)
			crlf := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			for how, b := range map[string][]byte{"lf": raw, "crlf": crlf} {
				res, err := decodeStream(t, catalog.Responses, bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				checkShape(t, res, tc.want)
				res, err = decodeStream(t, catalog.Responses, iotest.OneByteReader(bytes.NewReader(b)))
				if err != nil {
					t.Fatalf("%s, byte by byte: %v", how, err)
				}
				checkShape(t, res, tc.want)
				// A read boundary at every byte, inside UTF-8 and between CR and LF.
				for i := 1; i < len(b); i++ {
					res, err := decodeStream(t, catalog.Responses, splitReader(b, i))
					if err != nil {
						t.Fatalf("%s, cut at %d: %v", how, i, err)
					}
					checkShape(t, res, tc.want)
					if t.Failed() {
						t.Fatalf("%s, cut at byte %d", how, i)
					}
				}
			}
		})
	}
}

func TestResponsesEndpointChatShapedJSON(t *testing.T) {
	tests := []struct {
		name, body string
		want       shapeWant
	}{
		{"documented answer", recorded.Seed003JSON, seed003Want},
		{"tool call, no object", `{"id":"chatcmpl-5","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_2","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
			shapeWant{finish: "tool_calls", tools: []string{"call_2 f {}"}, usage: wantUsage{in: 3, out: 4, billed: 4}}},
		{"documented error", recorded.Seed003Error, shapeWant{noUsage: true, errCode: "invalid_value", errType: "invalid_request_error"}},
		{"error next to choices", `{"id":"chatcmpl-7","choices":[{"index":0,"message":{"content":"Par"},"finish_reason":"error"}],"error":{"message":"cut","type":"server_error","code":"502"}}`,
			shapeWant{text: "Par", finish: "error", noUsage: true, errCode: "502", errType: "server_error"}},
		// A response object whose usage has Chat's names: prompt and
		// completion tokens, never the total as output.
		{"response object, chat usage", `{"id":"resp_9","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Ok"}]}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}`,
			shapeWant{text: "Ok", finish: "completed", usage: wantUsage{in: 12, out: 7, billed: 7}, responseID: "resp_9", status: "completed"}},
		// The standard shape is unchanged.
		{"standard response", `{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Answer"}]}],"usage":{"input_tokens":7,"output_tokens":2,"total_tokens":9}}`,
			shapeWant{text: "Answer", finish: "completed", usage: wantUsage{in: 7, out: 2, billed: 2}, responseID: "resp_1", status: "completed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := NewResult()
			if err := DecodeJSON(catalog.Responses, []byte(tc.body), res.Apply); err != nil {
				t.Fatal(err)
			}
			checkShape(t, res, tc.want)
		})
	}
}

// FuzzDecodeJSONResponses feeds arbitrary bodies to the Responses JSON
// decoder: it must not panic, and a Chat-shaped body (choices, no type, no
// output) never yields a response id (it would be offered as a stored
// response to continue from).
func FuzzDecodeJSONResponses(f *testing.F) {
	f.Add(recorded.Seed003JSON)
	f.Add(`{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"A"}]}],"usage":{"input_tokens":1,"output_tokens":1}}`)
	f.Add(recorded.Seed003Error)
	f.Add(`{"id":"chatcmpl-2","choices":[],"usage":{"prompt_tokens":3}}`)
	f.Fuzz(func(t *testing.T, body string) {
		res := NewResult()
		if err := DecodeJSON(catalog.Responses, []byte(body), res.Apply); err != nil {
			return
		}
		_ = res.Text()
		if res.Usage != nil && res.Usage.BilledOutput() < res.Usage.Output {
			t.Fatalf("billed output %d below output %d", res.Usage.BilledOutput(), res.Usage.Output)
		}
		v, err := fastjson.Parse(body)
		if err != nil {
			t.Fatalf("decoded a body that is not JSON: %v", err)
		}
		chatLike := v.Type() == fastjson.TypeObject && v.Get("choices") != nil && v.Get("choices").Type() == fastjson.TypeArray &&
			v.Get("type") == nil && v.Get("output") == nil && v.Get("response") == nil
		if chatLike && res.ResponseID != "" {
			t.Fatalf("a chat-shaped body gave response id %q", res.ResponseID)
		}
	})
}
