package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserVariables: {{city}} in the system prompt and {{day}} in a
// message give the Variables panel two boxes; Run with one empty shows
// the error beside the panel and starts nothing; both filled, the curl
// shows the values, Show template the variables as written, and the run
// streams an answer on the simulator. Nothing overflows at 390 px.
func TestBrowserVariables(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		pick(`#model`, "openai.gpt-5-mini"),
		chromedp.WaitReady(`#f-system_prompt`, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.WaitVisible(`[data-testid="vars-hint"]`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="message-row"]')].slice(1).forEach(r => r.remove())`, nil),
		typeInto(`#f-system_prompt`, "You are a guide to {{city}}."),
		typeInto(`[data-testid="message-content"]`, "What is on {{day}}?"),
		chromedp.WaitVisible(`[data-testid="var-city"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="var-day"]`, chromedp.ByQuery),
	)
	var boxes int
	b.run(t, chromedp.Evaluate(`document.querySelectorAll('#vars-panel input[type="text"]').length`, &boxes))
	if boxes != 2 {
		t.Fatalf("the Variables panel has %d boxes, want 2", boxes)
	}

	// One value only: the error beside the panel, no run.
	b.run(t,
		chromedp.SendKeys(`[data-testid="var-city"]`, "Oslo", chromedp.ByQuery),
		waitText(`[data-testid="error-_vars"]`, "No value for {{day}}"),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="output"]`, "Not sent"),
		waitText(`[data-testid="error-_vars"]`, "No value for {{day}}"),
	)
	var runs int
	b.run(t, chromedp.Evaluate(`document.querySelectorAll('[data-testid="run"]').length`, &runs))
	if runs != 0 {
		t.Fatal("a run started with a variable without value")
	}
	var city string
	b.run(t, chromedp.Value(`[data-testid="var-city"]`, &city, chromedp.ByQuery))
	if city != "Oslo" {
		t.Errorf("the value typed is %q after the refusal, want Oslo", city)
	}

	// Both filled: the curl is filled in, the template shows the variables.
	b.run(t,
		chromedp.SendKeys(`[data-testid="var-day"]`, "Monday", chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, "What is on Monday?"),
		waitText(`[data-testid="curl"]`, "You are a guide to Oslo."),
		waitGone(`#error-_vars:not(:empty)`),
	)
	var curl string
	b.run(t, text(`[data-testid="curl"]`, &curl))
	if strings.Contains(curl, "{{") {
		t.Errorf("the curl shows a variable:\n%s", curl)
	}
	var shown bool
	b.run(t,
		chromedp.Click(`[data-testid="show-template"]`, chromedp.ByQuery),
		waitText(`[data-testid="template-view"]`, "What is on {{day}}?"),
		chromedp.Evaluate(visible(`[data-testid="curl"]`), &shown),
	)
	if shown {
		t.Error("the filled curl is shown beside the template")
	}
	b.run(t,
		chromedp.Click(`[data-testid="show-template"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="curl"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
	)
	var answer string
	b.run(t, text(`[data-testid="answer"]`, &answer))
	if strings.TrimSpace(answer) == "" {
		t.Fatal("empty answer")
	}

	// A phone: the panel and the code fit.
	var widths []int
	b.run(t,
		chromedp.EmulateViewport(390, 844),
		chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Evaluate(`[window.innerWidth, document.documentElement.scrollWidth,
			Math.ceil(document.querySelector('#vars-panel').getBoundingClientRect().right)]`, &widths),
	)
	if widths[1] > widths[0] || widths[2] > widths[0] {
		t.Errorf("at 390 px the page is %d px and the Variables panel reaches %d px in a %d px window", widths[1], widths[2], widths[0])
	}
	b.noScriptErrors(t)
}
