package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const weatherTool = `[{"type":"function","function":{"name":"get_weather","description":"Current weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`

// TestBrowserConversationAndTools runs on the simulator: a two-turn
// conversation carried on with "Add the answer and continue", and a tool
// call answered in its result box and sent on to a text answer.
func TestBrowserConversationAndTools(t *testing.T) {
	base := startServer(t, nil, "--sim-ttft", "20ms", "--sim-tps", "400")
	b := newBrowser(t)
	lastContent := `[data-testid="message-row"]:last-of-type [data-testid="message-content"]`
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		pick(`#model`, "seed001.gpt-5.4"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4"`),
		typeInto(`[data-testid="message-content"]`, "Tell me about the sea."),
		waitText(`[data-testid="curl"]`, "Tell me about the sea."),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.WaitVisible(`[data-testid="continue-button"]`, chromedp.ByQuery),
	)
	var first string
	b.run(t, text(`[data-testid="answer"]`, &first))
	b.run(t,
		chromedp.Click(`[data-testid="continue-button"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelectorAll('[data-testid="message-row"]').length === 3`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		typeInto(lastContent, "Now say it in one line."),
		waitText(`[data-testid="curl"]`, "Now say it in one line."),
	)
	var curl string
	b.run(t, text(`[data-testid="curl"]`, &curl))
	firstLine := strings.SplitN(strings.TrimSpace(first), "\n", 2)[0]
	if !strings.Contains(curl, `"role": "assistant"`) || !strings.Contains(curl, firstLine[:min(len(firstLine), 40)]) {
		t.Errorf("the second turn's curl lacks the first answer:\n%s", curl)
	}
	b.run(t,
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
	)

	// A tool call: answered in its box, sent, and answered in text.
	b.run(t,
		pick(`#model`, "seed002.gpt-5.4"),
		chromedp.WaitReady(`#f-tools`, chromedp.ByQuery), // the tools model's form is in
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="message-row"]')].slice(1).forEach(r => r.remove())`, nil),
		typeInto(`[data-testid="message-content"]`, "What is the weather in Paris?"),
		setValue(`#f-tools`, weatherTool),
		setValue(`#f-tool_choice`, "required"),
		waitText(`[data-testid="curl"]`, `"tool_choice": "required"`),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		waitText(`[data-testid="tool-call"]`, "get_weather"),
		chromedp.WaitVisible(`[data-testid="tool-result"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="tool-result"]`, "18 C and sunny", chromedp.ByQuery),
		chromedp.Click(`[data-testid="send-results"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"tool_call_id": "call_`),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		waitText(`[data-testid="answer"]`, "18 C and sunny"),
	)
	var roles string
	b.run(t, chromedp.Evaluate(`[...document.querySelectorAll('[data-role-select]')].map(s => s.value).join(',')`, &roles))
	if roles != "user,assistant,tool" {
		t.Errorf("conversation rows after the tool result: %s", roles)
	}
	b.noScriptErrors(t)
}

// setValue sets a field's value and fires input, as typing would.
func setValue(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel, value), nil)
}
