package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSeedChecks: the cross-field rules show their error next to
// the field they concern (tool_choice without tools; background without
// store), a request the provider refuses costs "nothing", and Gemini's
// thought_signature goes back with the tool call so the simulator, which
// refuses a turn without it, answers the next turn.
func TestBrowserSeedChecks(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		pick(`#model`, "seed002.gpt-5.4"),
		chromedp.WaitReady(`[data-add-row="tools"]`, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
		setValue(`#f-tool_choice`, "auto"),
		waitText(`[data-testid="field-tool_choice"] #err-tool_choice`, "Only with tools: set tools too"),
		waitText(`[data-testid="curl-panel"]`, "Fix the highlighted fields"),
		defineWeatherTool(),
		waitText(`[data-testid="curl"]`, `"tool_choice": "auto"`),
	)
	var errText string
	b.run(t, text(`#err-tool_choice`, &errText))
	if errText != "" {
		t.Errorf("the tool_choice error stays with tools defined: %q", errText)
	}

	b.run(t,
		pick(`#model`, "seed003.gpt-5.4-pro"),
		chromedp.WaitReady(`#f-background`, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
		chromedp.Click(`#f-background`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"background": true`),
		chromedp.Click(`#f-store`, chromedp.ByQuery),
		waitText(`[data-testid="field-background"] #err-background`, "Not with store set to false"),
		chromedp.Click(`#f-store`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"background": true`),
	)
	b.run(t, text(`#err-background`, &errText))
	if errText != "" {
		t.Errorf("the background error stays with store on: %q", errText)
	}

	// A refused request: the failure names its type; the cost is nothing.
	b.run(t,
		pick(`#model`, "seed001.gpt-5.4"),
		chromedp.WaitReady(`[name="top_k"]`, chromedp.ByQuery),
		htmxReady(`#draft`),
		typeInto(`[data-testid="message-content"]`, "[[fault:400]] Hello"),
		waitText(`[data-testid="curl"]`, "[[fault:400]] Hello"),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "failed", 20*time.Second),
		waitText(`[data-error]`, "[param: temperature] [type: invalid_request_error]"),
		waitText(`[data-testid="metric-cost"]`, "nothing — the provider refused the request"),
	)

	// Gemini signs its tool call; the next turn carries the signature and
	// the simulator answers it.
	answerToolCall(t, b, "seed002.gemini-3.1-pro-preview", `[data-add-row="tools"]`, "What is the weather in Oslo?", "3 C and snow", `"thought_signature": "`)
	b.noScriptErrors(t)
}
