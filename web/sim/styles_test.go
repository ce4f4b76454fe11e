package sim

import (
	"testing"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/stream"
)

// TestMultiStylePrefixAnswersEveryStyle: every model the catalog puts
// under a prefix whose models have several API styles answers on each of
// them, as the real OpenAI API serves a model on both /chat/completions
// and /responses; a single-style gateway keeps refusing the other styles.
func TestMultiStylePrefixAnswersEveryStyle(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t)
	styles := map[string]map[catalog.Style]bool{}
	for _, m := range ModelsFromCatalog(cat) {
		if styles[m.Prefix] == nil {
			styles[m.Prefix] = map[catalog.Style]bool{}
		}
		styles[m.Prefix][m.Style] = true
	}
	endpoint := map[catalog.Style]struct{ path, schema string }{
		catalog.Chat:      {"/chat/completions", "CreateChatCompletionResponse"},
		catalog.Responses: {"/responses", "Response"},
	}
	tested := 0
	for _, m := range ModelsFromCatalog(cat) {
		if len(styles[m.Prefix]) < 2 {
			continue
		}
		for style := range styles[m.Prefix] {
			ep, ok := endpoint[style]
			if !ok {
				t.Fatalf("no endpoint in this test for %s", style)
			}
			t.Run(m.Prefix+" "+m.Name+" "+string(style), func(t *testing.T) {
				body := map[string]any{"model": m.Name, "input": "Tell me about the sea", "max_output_tokens": 200}
				if style == catalog.Chat {
					body = map[string]any{"model": m.Name, "messages": []any{map[string]any{"role": "user", "content": "Tell me about the sea"}}, "max_completion_tokens": 200}
				}
				resp, b := call(t, srv, m.Prefix+ep.path, body, nil)
				if resp.StatusCode != 200 {
					t.Fatalf("%d %s", resp.StatusCode, b)
				}
				spectest.Validate(t, ep.schema, b)
				res := stream.NewResult()
				if err := stream.DecodeJSON(style, b, res.Apply); err != nil {
					t.Fatal(err)
				}
				if res.Text() == "" || !res.Done {
					t.Fatalf("text %q done %v: %s", res.Text(), res.Done, b)
				}
				// The model reasons as its spec says, whatever the style.
				if res.Usage == nil || (res.Usage.Reasoning > 0) != m.Reasoning {
					t.Errorf("reasoning model %v, usage %+v", m.Reasoning, res.Usage)
				}
				// Streamed, too.
				body["stream"] = true
				resp, b = call(t, srv, m.Prefix+ep.path, body, nil)
				if resp.StatusCode != 200 || !decode(t, style, b).Done {
					t.Fatalf("streamed: %d %s", resp.StatusCode, b)
				}
			})
			tested++
		}
	}
	if tested < 4 {
		t.Fatalf("%d model-style pairs tested; the catalog's /openai/v1 has two models and two styles", tested)
	}
	// A single-style gateway refuses the other styles as today.
	resp, b := call(t, srv, "/apimodels/api/v1/chat/completions", map[string]any{"model": "gpt-5.4-pro",
		"messages": []any{map[string]any{"role": "user", "content": "Hi"}}}, nil)
	if resp.StatusCode != 404 || errorOf(t, b).Error.Code != "model_not_found" {
		t.Fatalf("completions-only gateway on chat: %d %s", resp.StatusCode, b)
	}
	resp, b = call(t, srv, "/respgw/v1/chat/completions", map[string]any{"model": "gpt-5.4-pro",
		"messages": []any{map[string]any{"role": "user", "content": "Hi"}}}, nil)
	if resp.StatusCode != 404 {
		t.Fatalf("responses-only gateway on chat: %d %s", resp.StatusCode, b)
	}
}
