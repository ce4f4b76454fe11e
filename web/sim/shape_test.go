package sim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
)

// The seed-003 model in its documented shape answers /responses with
// Chat Completions chunks and objects; the X-Sim-Shape header picks a
// shape per request on either model.
func TestResponsesInDocumentedShape(t *testing.T) {
	srv := newTestServer(t)
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"model": "gpt-5.4-pro", "input": "Explain relativity in one line.", "reasoning": map[string]any{"effort": "high"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name, path string
		header     map[string]string
		chat       bool
	}{
		{"documented model", "/respgw-documented/v1/responses", nil, true},
		{"header on the standard model", "/respgw/v1/responses", map[string]string{"X-Sim-Shape": "chat"}, true},
		{"header back to responses", "/respgw-documented/v1/responses", map[string]string{"X-Sim-Shape": "responses"}, false},
		{"standard model", "/respgw/v1/responses", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Streamed.
			resp, b := call(t, srv, tc.path, body(map[string]any{"stream": true}), tc.header)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			evs := events(t, b)
			if tc.chat {
				if last := evs[len(evs)-1]; last.data != "[DONE]" {
					t.Errorf("last event %q, want [DONE]", last.data)
				}
				for _, e := range evs[:len(evs)-1] {
					if e.typ != "" || strings.Contains(e.data, `"type":"response.`) {
						t.Fatalf("a Responses event in the documented shape: %s %s", e.typ, e.data)
					}
					spectest.Validate(t, "CreateChatCompletionStreamResponse", []byte(e.data))
				}
				if !strings.Contains(evs[0].data, `"system_fingerprint"`) || !strings.Contains(evs[0].data, `"object":"chat.completion.chunk"`) {
					t.Errorf("first chunk %s", evs[0].data)
				}
				if strings.Contains(string(b), "reasoning_content") {
					t.Error("reasoning streamed without a summary asked for")
				}
			} else if evs[0].typ != "response.created" {
				t.Errorf("first event %q", evs[0].typ)
			}
			res := decode(t, catalog.Responses, b)
			if res.Text() == "" || res.Usage == nil || res.Usage.Input == 0 || res.Usage.Output == 0 ||
				res.Usage.BilledOutput() != res.Usage.Output || res.Usage.Reasoning == 0 || !res.Done || res.Err != nil {
				t.Fatalf("decoded: text %q usage %+v done %v err %v", res.Text(), res.Usage, res.Done, res.Err)
			}
			if (res.ResponseID == "") != tc.chat {
				t.Errorf("response id %q", res.ResponseID)
			}

			// Not streamed.
			resp, b = call(t, srv, tc.path, body(nil), tc.header)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var obj map[string]any
			if err := json.Unmarshal(b, &obj); err != nil {
				t.Fatal(err)
			}
			if tc.chat {
				spectest.Validate(t, "CreateChatCompletionResponse", b)
				u, _ := obj["usage"].(map[string]any)
				if obj["object"] != "chat.completion" || obj["system_fingerprint"] == nil || !strings.HasPrefix(obj["id"].(string), "chatcmpl-") ||
					u["prompt_tokens"] == nil || u["completion_tokens"] == nil || u["completion_tokens_details"] == nil || obj["output"] != nil {
					t.Errorf("answer %s", b)
				}
			} else if obj["object"] != "response" {
				t.Errorf("object %v", obj["object"])
			}
		})
	}
	// A summary asked for streams the reasoning as reasoning_content.
	_, b := call(t, srv, "/respgw-documented/v1/responses", body(map[string]any{"stream": true,
		"reasoning": map[string]any{"effort": "high", "summary": "auto"}}), nil)
	if res := decode(t, catalog.Responses, b); res.Choice(0).Reasoning.Len() == 0 {
		t.Error("no reasoning with a summary asked for")
	}
	// A background request is answered at once, whole: no queued
	// response to poll.
	resp, b := call(t, srv, "/respgw-documented/v1/responses", body(map[string]any{"background": true}), nil)
	var obj map[string]any
	json.Unmarshal(b, &obj)
	if resp.StatusCode != 200 || obj["object"] != "chat.completion" || obj["choices"] == nil {
		t.Fatalf("background: %d %s", resp.StatusCode, b)
	}
	// Faults keep the shape: the mid-stream error is the documented error object.
	_, b = call(t, srv, "/respgw-documented/v1/responses", body(map[string]any{"stream": true}), map[string]string{"X-Sim-Fault": "midstream"})
	if res := decode(t, catalog.Responses, b); res.Err == nil || res.Err.Type != "server_error" || res.Text() == "" {
		t.Errorf("midstream: %+v text %q", res.Err, res.Text())
	}
}
