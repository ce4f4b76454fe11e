package sim

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

// TestHugeMinItemsInAResponseFormat: minItems 50000000 (the red-team's
// 170-byte schema) gives a bounded answer that is still JSON, and a
// prompt of one 1 MiB word gives short strings. Before the bound the
// simulator allocated 50 million values and the process died.
func TestHugeMinItemsInAResponseFormat(t *testing.T) {
	srv := newTestServer(t)
	schema := map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "array", "minItems": 50000000, "items": map[string]any{"type": "string"}}}}
	prompt := strings.Repeat("x", 1<<20)
	for _, stream := range []bool{false, true} {
		_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": stream,
			"messages":        []any{map[string]any{"role": "user", "content": prompt}},
			"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "a", "schema": schema}}}), nil)
		if len(b) > 4<<20 {
			t.Fatalf("stream %v: the answer is %d bytes", stream, len(b))
		}
		var text string
		if stream {
			text = decode(t, catalog.Chat, b).Choice(0).Text.String()
		} else {
			var whole struct {
				Choices []struct{ Message struct{ Content string } }
			}
			if err := json.Unmarshal(b, &whole); err != nil || len(whole.Choices) != 1 {
				t.Fatalf("answer %.300s", b)
			}
			text = whole.Choices[0].Message.Content
		}
		var got struct{ A []string }
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("stream %v: not JSON (%v): %.300s", stream, err, text)
		}
		if len(got.A) == 0 || len(got.A) > maxGenItems || len(text) > maxGenBytes+1024 {
			t.Errorf("stream %v: %d items, %d bytes", stream, len(got.A), len(text))
		}
		for _, s := range got.A {
			if len(s) > maxGenString {
				t.Fatalf("a string of %d bytes", len(s))
			}
		}
	}
}

// TestHugeMinItemsInToolParameters: minItems 2000000 in a tool's
// parameters streams bounded arguments in a bounded number of chunks.
func TestHugeMinItemsInToolParameters(t *testing.T) {
	srv := newTestServer(t)
	tools := []any{map[string]any{"type": "function", "function": map[string]any{"name": "many",
		"parameters": map[string]any{"type": "object", "properties": map[string]any{"xs": map[string]any{"type": "array", "minItems": 2000000,
			"items": map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}, "s": map[string]any{"type": "array", "minItems": 2000000, "items": map[string]any{"type": "string"}}}}}},
			"required": []any{"xs"}}}}}
	_, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(map[string]any{"stream": true, "tools": tools, "tool_choice": "required",
		"messages": []any{map[string]any{"role": "user", "content": "Call many with a long list."}}}), nil)
	if n := strings.Count(string(b), "\n\ndata: "); n > (maxGenBytes+1024)/10+100 { // 10-byte pieces of at most the answer cap
		t.Errorf("%d chunks", n)
	}
	calls := decode(t, catalog.Chat, b).Choice(0).Tools
	if len(calls) != 1 {
		t.Fatalf("tool calls %+v", calls)
	}
	if len(calls[0].Args) > maxGenBytes+1024 || !json.Valid([]byte(calls[0].Args)) {
		t.Errorf("arguments: %d bytes, valid %v", len(calls[0].Args), json.Valid([]byte(calls[0].Args)))
	}
}

// TestToolArgumentsAreCutOnce: streaming arguments piece by piece cuts
// them once; cutting the whole string again for each piece was quadratic
// (20 KB of arguments allocated about 64 MB).
func TestToolArgumentsAreCutOnce(t *testing.T) {
	c := &choicePlan{tool: &toolCall{ID: "call_1", Name: "f", Args: strings.Repeat("a", 20_000)}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var cursor, pieces int
	var sb strings.Builder
	for {
		p, kind, ok := c.next(&cursor)
		if !ok {
			break
		}
		if kind == "tool" {
			sb.WriteString(p)
			pieces++
		}
	}
	runtime.ReadMemStats(&after)
	if sb.String() != c.tool.Args || pieces != 2000 {
		t.Fatalf("%d pieces, %d bytes", pieces, sb.Len())
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Errorf("streaming the arguments allocated %d KB", n>>10)
	}
}
