package sim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/checks"
)

// TestSimulatedJudge: a judge's prompt, in each API style, is answered by
// the rule (checks.SimulatedVerdict), PASS or FAIL first, saying it is
// simulated; the reply reads back as a verdict.
func TestSimulatedJudge(t *testing.T) {
	srv := newTestServer(t)
	rubric := `The answer names "Paris".`
	for _, tc := range []struct {
		answer string
		pass   bool
	}{{"Paris is the capital of France.", true}, {"Lyon is a city.", false}} {
		prompt := checks.JudgePrompt(rubric, tc.answer)
		for _, c := range []struct {
			path string
			body map[string]any
			text func(map[string]any) string
		}{
			{"/evolink/v1/chat/completions", map[string]any{"model": "gpt-5.4", "messages": []any{
				map[string]any{"role": "system", "content": checks.JudgeSystem}, map[string]any{"role": "user", "content": prompt}}},
				func(a map[string]any) string {
					return a["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"].(string)
				}},
			{"/apimodels/api/v1/completions", map[string]any{"model": "gpt-5.4-pro", "prompt": checks.JudgeSystem + "\n\n" + prompt + "\n\nVerdict:"},
				func(a map[string]any) string { return a["choices"].([]any)[0].(map[string]any)["text"].(string) }},
			{"/openai/v1/responses", map[string]any{"model": "gpt-5-mini", "instructions": checks.JudgeSystem, "input": prompt},
				func(a map[string]any) string {
					for _, it := range a["output"].([]any) {
						if m := it.(map[string]any); m["type"] == "message" {
							return m["content"].([]any)[0].(map[string]any)["text"].(string)
						}
					}
					return ""
				}},
		} {
			resp, b := call(t, srv, c.path, c.body, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", c.path, resp.StatusCode, b)
			}
			var a map[string]any
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			text := c.text(a)
			pass, reason, ok := checks.ReadVerdict(text)
			if !ok || pass != tc.pass || !strings.HasPrefix(reason, "Simulated judge:") {
				t.Errorf("%s, answer %q: replied %q (pass %v ok %v)", c.path, tc.answer, text, pass, ok)
			}
		}
	}
}
