package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const weatherParams = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`

// defineWeatherTool fills the tools editor's first function (adding a row
// when there is none).
func defineWeatherTool() chromedp.Action {
	return chromedp.Tasks{
		chromedp.Evaluate(`if (!document.querySelector('[data-testid="function-row"]')) document.querySelector('[data-add-row="tools"]').click()`, nil),
		setValue(`[data-testid="function-name"]`, "get_weather"),
		setValue(`[data-testid="function-description"]`, "Current weather of a city"),
		setValue(`[data-testid="function-parameters"]`, weatherParams),
	}
}

// TestBrowserConversationAndTools runs on the simulator: a two-turn
// conversation carried on with "Add the answer and continue", and a tool
// call answered in its result box and sent on to a text answer.
func TestBrowserConversationAndTools(t *testing.T) {
	b := openOnSimulator(t)
	lastContent := `[data-testid="message-row"]:last-of-type [data-testid="message-content"]`
	b.run(t,
		pick(`#model`, "seed001.gpt-5.4"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4"`),
		typeInto(`[data-testid="message-content"]`, "Tell me about the sea."),
		waitText(`[data-testid="curl"]`, "Tell me about the sea."),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.WaitVisible(`[data-testid="continue-button"]`, chromedp.ByQuery),
	)
	var first string
	var sendShown bool
	b.run(t, text(`[data-testid="answer"]`, &first),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('[data-testid="send-results"]')).display !== 'none'`, &sendShown))
	if sendShown {
		t.Error("Send results is shown for an answer without tool calls")
	}
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
	answerToolCall(t, b, "seed002.gpt-5.4", `[data-add-row="tools"]`, "What is the weather in Paris?", "18 C and sunny", `"tool_call_id": "call_`)
	var roles string
	b.run(t, chromedp.Evaluate(`[...document.querySelectorAll('[data-role-select]')].map(s => s.value).join(',')`, &roles))
	if roles != "user,assistant,tool" {
		t.Errorf("conversation rows after the tool result: %s", roles)
	}

	// The same on a Responses model: the definitions go flat, the result
	// goes back as a function_call_output item.
	answerToolCall(t, b, "openai.gpt-5-mini", `#f-system_prompt`, "What is the weather in Rome?", "22 C and clear", `"type": "function_call_output"`)
	b.run(t, text(`[data-testid="curl"]`, &curl))
	if !strings.Contains(curl, `"type": "function_call"`) || strings.Contains(curl, `"function": {`) {
		t.Errorf("the Responses curl after the tool result:\n%s", curl)
	}

	// A stored Responses answer goes on by previous_response_id: only the
	// new turn is sent.
	b.run(t,
		chromedp.WaitVisible(`[data-testid="continue-stored"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="continue-stored"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelectorAll('[data-testid="message-row"]').length === 1`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		htmxReady(`#draft`),
		typeInto(`[data-testid="message-content"]`, "And tomorrow?"),
		waitText(`[data-testid="curl"]`, `"previous_response_id": "resp_`),
	)
	b.run(t, text(`[data-testid="curl"]`, &curl))
	if strings.Contains(curl, "Rome") || !strings.Contains(curl, `"input": "And tomorrow?"`) || !strings.Contains(curl, `"stream": true`) {
		t.Errorf("continuing by id sends:\n%s", curl)
	}
	b.noScriptErrors(t)
}

// answerToolCall picks a model (waiting for its form, known by ready),
// asks prompt with the weather tool required, answers the call with
// result, sends it, and waits for the answer that uses it; sent is a
// text the curl of the second turn must have.
func answerToolCall(t *testing.T, b *browser, model, ready, prompt, result, sent string) {
	t.Helper()
	b.run(t,
		pick(`#model`, model),
		chromedp.WaitReady(ready, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="message-row"]')].slice(1).forEach(r => r.remove())`, nil),
		typeInto(`[data-testid="message-content"]`, prompt),
		defineWeatherTool(),
		setValue(`#f-tool_choice`, "required"),
		waitText(`[data-testid="curl"]`, `"tool_choice": "required"`),
		waitText(`[data-testid="curl"]`, prompt),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		waitText(`[data-testid="tool-call"]`, "get_weather"),
		chromedp.WaitVisible(`[data-testid="tool-result"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="tool-result"]`, result, chromedp.ByQuery),
		chromedp.Click(`[data-testid="send-results"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, sent),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		waitText(`[data-testid="answer"]`, result),
	)
}

// openOnSimulator starts a server with a fast simulator and opens its
// playground page in a new browser.
func openOnSimulator(t *testing.T) *browser {
	t.Helper()
	base := startServer(t, nil, "--sim-ttft", "20ms", "--sim-tps", "400")
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
	)
	return b
}

// htmxReady waits until htmx has processed the element (a swapped-in
// form listens only from then on).
func htmxReady(sel string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		return !!(e && e['htmx-internal-data'] && e['htmx-internal-data'].initHash); })()`, sel), nil,
		chromedp.WithPollingTimeout(10*time.Second))
}

// setValue sets a field's value and fires input, as typing would.
func setValue(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel, value), nil)
}

// TestBrowserStructuredOutput runs JSON schema formats on the simulator,
// Chat (response_format) and Responses (text.format): the answer is
// checked, a pass shown as such, a failure with its path.
func TestBrowserStructuredOutput(t *testing.T) {
	b := openOnSimulator(t)
	const schema = `{"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"}},"required":["city","temperature"],"additionalProperties":false}`
	const tight = `{"type":"object","properties":{"city":{"type":"string","maxLength":1}},"required":["city"]}`
	runChecked := func(want string) string {
		t.Helper()
		var check string
		b.run(t,
			chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
			waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
			waitText(`[data-testid="schema-check"]`, want),
			text(`[data-testid="schema-check"]`, &check),
		)
		return check
	}
	b.run(t,
		pick(`#model`, "seed002.gpt-5.4"),
		chromedp.WaitReady(`#f-response_format`, chromedp.ByQuery),
		htmxReady(`#draft`),
		setValue(`#f-response_format`, `{"type":"json_schema","json_schema":{"name":"weather","schema":`+schema+`}}`),
		waitText(`[data-testid="curl"]`, `"name": "weather"`),
	)
	if check := runChecked("pass"); !strings.Contains(check, "JSON schema “weather”: pass") {
		t.Errorf("chat check: %q", check)
	}
	b.run(t,
		setValue(`#f-response_format`, `{"type":"json_schema","json_schema":{"name":"tight","schema":`+tight+`}}`),
		waitText(`[data-testid="curl"]`, `"name": "tight"`),
	)
	if check := runChecked("fail"); !strings.Contains(check, "/city") {
		t.Errorf("a failing check names no path: %q", check)
	}
	// A broken schema is refused next to the field, before anything is sent.
	b.run(t,
		setValue(`#f-response_format`, `{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"nope"}}}`),
		waitText(`[data-testid="error-response_format"]`, "not a valid JSON Schema"),
	)

	b.run(t,
		pick(`#model`, "openai.gpt-5-mini"),
		chromedp.WaitReady(`#f-json_schema`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5-mini"`),
		htmxReady(`#draft`),
		pick(`#f-response_format`, "json_schema"),
		waitText(`[data-testid="error-json_schema"]`, "Required when the response format is json_schema"),
		setValue(`#f-json_schema`, `{"name":"weather","schema":`+schema+`,"strict":true}`),
		waitText(`[data-testid="curl"]`, `"type": "json_schema"`),
	)
	if check := runChecked("pass"); !strings.Contains(check, "weather") {
		t.Errorf("responses check: %q", check)
	}
	b.noScriptErrors(t)
}

// TestBrowserTokenProbabilities asks the simulator for log probabilities:
// the answer can be shown token by token, shaded by probability, and a
// token's title lists its alternatives.
// askTokenProbabilities picks gpt-4o-mini on the simulator and asks for
// the three likeliest alternatives of each token at temperature 1.2.
func askTokenProbabilities() chromedp.Action {
	return chromedp.Tasks{
		pick(`#model`, "openai.gpt-4o-mini"),
		chromedp.WaitReady(`#f-top_logprobs`, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
		chromedp.Click(`#f-logprobs`, chromedp.ByQuery),
		setValue(`#f-top_logprobs`, "3"),
		setValue(`#f-temperature`, "1.2"),
		waitText(`[data-testid="curl"]`, `"top_logprobs": 3`),
	}
}

func TestBrowserTokenProbabilities(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		askTokenProbabilities(),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.WaitVisible(`[data-testid="lp-toggle"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="lp-toggle"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="lp-view"]`, chromedp.ByQuery),
	)
	var tokens, shades, withAlts int
	var joined, answer string
	b.run(t,
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="lp-token"]').length`, &tokens),
		chromedp.Evaluate(`new Set([...document.querySelectorAll('[data-testid="lp-token"]')].map(s => s.className)).size`, &shades),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="lp-token"]')].filter(s => s.title.split('\n').length >= 3).length`, &withAlts),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="lp-token"]')].map(s => s.textContent).join('')`, &joined),
		text(`[data-testid="answer"]`, &answer),
	)
	if tokens < 10 || shades < 2 || withAlts == 0 {
		t.Errorf("%d tokens in %d shades, %d listing alternatives", tokens, shades, withAlts)
	}
	if strings.TrimSpace(joined) != strings.TrimSpace(answer) {
		t.Errorf("the tokens do not spell the answer:\n%q\n%q", joined, answer)
	}
	b.noScriptErrors(t)
}
