package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSeed003BothShapes runs seed 003's model on the simulator in
// both answer shapes, streamed and not: the Responses API's own, and the
// Chat Completions fields its page documents. Each run shows its text,
// the usage as input and output tokens (reported, not estimated), the
// finish reason and the cost, and the inspector the raw answer.
func TestBrowserSeed003BothShapes(t *testing.T) {
	b := openOnSimulator(t)
	tests := []struct {
		model, path, finish, raw string
	}{
		{"seed003.gpt-5.4-pro", "/respgw/v1/responses", "completed", "output_text"},
		{"seed003-documented.gpt-5.4-pro", "/respgw-documented/v1/responses", "stop", "system_fingerprint"},
	}
	for _, tc := range tests {
		for _, streamed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", tc.model, streamed), func(t *testing.T) {
				var current string
				b.run(t, chromedp.Value(`#model`, &current, chromedp.ByQuery))
				if current != tc.model {
					// Picking the model already picked would swap the
					// form again, under the stream switch.
					b.run(t, pick(`#model`, tc.model))
				}
				b.run(t,
					waitText(`[data-testid="curl"]`, tc.path),
					htmxReady(`#draft`),
				)
				setStream(t, b, streamed)
				var previous string
				b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="run"]')||{id:""}).id`, &previous))
				b.run(t,
					chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
					chromedp.Poll(fmt.Sprintf(`(document.querySelector('[data-testid="run"]')||{id:%q}).id !== %q`, previous, previous), nil,
						chromedp.WithPollingTimeout(10*time.Second)),
					waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
					waitText(`[data-testid="metrics"]`, "Cost"),
				)
				var answer, in, out, finish, cost string
				b.run(t,
					textOrEmpty(`[data-testid="run"] [data-testid="answer"]`, &answer),
					textOrEmpty(`[data-testid="run"] [data-testid="metric-tokens-in"]`, &in),
					textOrEmpty(`[data-testid="run"] [data-testid="metric-tokens-out"]`, &out),
					textOrEmpty(`[data-testid="run"] [data-testid="metric-finish"]`, &finish),
					textOrEmpty(`[data-testid="run"] [data-testid="metric-cost"]`, &cost),
				)
				if strings.TrimSpace(answer) == "" {
					t.Error("no answer text")
				}
				if n := leadingInt(in); n <= 0 || strings.Contains(in, "estimate") {
					t.Errorf("tokens in %q: want the reported prompt tokens", in)
				}
				if n := leadingInt(out); n <= 0 || strings.Contains(out, "estimate") || !strings.Contains(out, "reasoning") {
					t.Errorf("tokens out %q: want the reported completion tokens with their reasoning", out)
				}
				if finish != tc.finish {
					t.Errorf("finish %q, want %q", finish, tc.finish)
				}
				if !strings.HasPrefix(cost, "$") || strings.Contains(cost, "estimate") {
					t.Errorf("cost %q", cost)
				}
				// The raw answer in the inspector, in its own shape
				// (system_fingerprint, object, created, model kept there).
				b.run(t,
					chromedp.Click(`[data-testid="run"] [data-testid="inspector-tab"]`, chromedp.ByQuery),
					waitText(`[data-testid="run"] [data-testid="inspector"]`, tc.raw),
					chromedp.Evaluate(`document.querySelector('[data-testid="run"] [data-tab="output"]').click()`, nil),
				)
			})
		}
	}
	b.noScriptErrors(t)
}

// setStream sets the form's stream checkbox and waits for the curl to
// follow.
func setStream(t *testing.T, b *browser, on bool) {
	t.Helper()
	b.run(t, chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector('#f-stream');
		if (e.checked !== %v) { e.checked = %v; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); } })()`, on, on), nil))
	b.run(t, chromedp.Poll(fmt.Sprintf(`document.querySelector('[data-testid="curl"]').textContent.includes('"stream": true') === %v`, on), nil,
		chromedp.WithPollingTimeout(10*time.Second)))
}

// leadingInt is the number a metric starts with ("1,234 (12 cached)").
func leadingInt(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ',') {
		end++
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s[:end], ",", ""))
	if err != nil {
		return -1
	}
	return n
}

// textOrEmpty reads an element's text, "" when there is no such element
// (an empty answer has none: waiting for it would only time out).
func textOrEmpty(sel string, out *string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent`, sel), out)
}
