package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/stream"
)

// runPrompt types the prompt, runs, and waits for the new run's panel to
// reach the state.
func runPrompt(t *testing.T, b *browser, prompt, state string) {
	t.Helper()
	var previous string
	b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="run"]')||{id:""}).id`, &previous))
	b.run(t,
		typeInto(`[data-testid="message-content"]`, prompt),
		waitText(`[data-testid="curl"]`, prompt),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`(document.querySelector('[data-testid="run"]')||{id:%q}).id !== %q`, previous, previous), nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		waitTextFor(`[data-testid="run-state"]`, state, 30*time.Second),
	)
}

// TestBrowserCutRunIsInterrupted: a run whose stream the simulator cuts
// ([[fault:drop]]: the connection closes with no [DONE]) shows
// "interrupted" with its partial text, the reason and Retry; the history
// page says interrupted too and keeps the partial text.
func TestBrowserCutRunIsInterrupted(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		pick(`#model`, "seed001.gpt-5.4"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4"`),
	)
	runPrompt(t, b, "[[fault:drop]] Tell me about the sea.", "interrupted")
	var answer, errText, metrics string
	b.run(t,
		waitText(`[data-testid="metrics"]`, "Cost"),
		text(`[data-testid="answer"]`, &answer),
		text(`[data-testid="run-error"]`, &errText),
		text(`[data-testid="metrics"]`, &metrics),
	)
	if strings.TrimSpace(answer) == "" {
		t.Fatal("the partial text is gone")
	}
	if !strings.Contains(errText, "connection was cut after") || !strings.Contains(errText, "Retry") || strings.Contains(errText, "network") {
		t.Errorf("the error box says %q", errText)
	}
	if !strings.Contains(metrics, "cut off") || !strings.Contains(metrics, "estimate") {
		t.Errorf("metrics %q: no cut off, or usage not an estimate", metrics)
	}
	// The Finish row says cut off and why in one bracket, and the history
	// page says the same.
	var finish, recordFinish string
	b.run(t, text(`[data-testid="run"] [data-testid="metric-finish"]`, &finish))
	if !strings.Contains(finish, "(cut off: the provider's connection was cut after") || strings.Contains(finish, ") (") {
		t.Errorf("finish %q", finish)
	}
	var record, recordErr string
	b.run(t,
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		waitText(`[data-testid="record-status"]`, "interrupted"),
		text(`[data-testid="record-answer"]`, &record),
		text(`[data-testid="run-record"]`, &recordErr),
		text(`[data-testid="record-metrics"] [data-testid="metric-finish"]`, &recordFinish),
	)
	if recordFinish != finish {
		t.Errorf("the history's finish %q, the live panel's %q", recordFinish, finish)
	}
	if strings.TrimSpace(record) != strings.TrimSpace(answer) {
		t.Errorf("the history's answer differs from the page's:\n%q\n%q", record, answer)
	}
	if !strings.Contains(recordErr, "connection was cut after") {
		t.Errorf("the history page does not say why: %.400s", recordErr)
	}
	b.noScriptErrors(t)
}

// TestBrowserCutWholeAnswerIsInterrupted: a non-streamed run whose answer
// the simulator cuts in the middle of its JSON body ([[fault:drop]]) ends
// interrupted, not completed nor failed, in the page and the history.
func TestBrowserCutWholeAnswerIsInterrupted(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		pick(`#model`, "seed001.gpt-5.4"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4"`),
		// The model's form is swapped in: set its checkbox, not the old one.
		htmxSettled(),
		htmxReady(`#draft`),
	)
	setStream(t, b, false)
	runPrompt(t, b, "[[fault:drop]] Tell me about the sea.", "interrupted")
	var errText string
	b.run(t, text(`[data-testid="run-error"]`, &errText))
	if !strings.Contains(errText, "Retry") {
		t.Errorf("the error box says %q", errText)
	}
	b.run(t,
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		waitText(`[data-testid="record-status"]`, "interrupted"),
	)
	b.noScriptErrors(t)
}

// TestBrowserCutBackgroundRunCompletes: a background Responses run whose
// stream the simulator cuts is resumed after its last sequence number and
// ends with the whole answer (the text the simulator keeps for the
// response); when the resume is refused ([[fault:drop:noresume]]), it is
// polled to its end.
func TestBrowserCutBackgroundRunCompletes(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		pick(`#model`, "seed003.gpt-5.4-pro"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4-pro"`),
		// Turn Background on, again if a late swap of the workspace (the
		// model switch) brought the form back without it.
		chromedp.Poll(`(() => {
			if (document.querySelector('[data-testid="curl"]').textContent.includes('"background": true')) return true;
			const c = document.querySelector('#f-background');
			if (c) { c.checked = true; c.dispatchEvent(new Event('input', {bubbles: true})); }
			return false; })()`, nil, chromedp.WithPollingInterval(700*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)),
	)
	var curl string
	b.run(t, text(`[data-testid="curl"]`, &curl))
	m := regexp.MustCompile(`'(http://127\.0\.0\.1:\d+/respgw/v1)/responses'`).FindStringSubmatch(curl)
	if m == nil {
		t.Fatalf("no simulator URL in the curl: %s", curl)
	}
	for _, tc := range []struct{ fault, note string }{
		{"drop", "The background stream was resumed once;"},
		{"drop:noresume", "tried to resume it once; the provider refused, so the response was polled to its end"},
	} {
		runPrompt(t, b, "[[fault:"+tc.fault+"]] Tell me about the sea.", "completed")
		var answer, metrics, exported string
		b.run(t,
			waitText(`[data-testid="metrics"]`, "Cost"),
			text(`[data-testid="answer"]`, &answer),
			text(`[data-testid="metrics"]`, &metrics),
			chromedp.Evaluate(`fetch(document.querySelector('[data-testid="run"] [data-testid="history-link"]').href + '/export.json').then(r => r.text())`,
				&exported, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		)
		if strings.Contains(metrics, "estimate") || !strings.Contains(metrics, "completed") {
			t.Errorf("%s: metrics %q (the usage and finish of the terminal event are missing)", tc.fault, metrics)
		}
		// The whole answer is the one the simulator keeps for the response.
		id := regexp.MustCompile(`"response_id":\s*"(resp_[0-9a-zA-Z]+)"`).FindStringSubmatch(exported)
		if id == nil {
			t.Fatalf("%s: no response id in the history: %.300s", tc.fault, exported)
		}
		req, _ := http.NewRequest("GET", m[1]+"/responses/"+id[1], nil)
		req.Header.Set("Authorization", "Bearer test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		kept := stream.NewResult()
		if err := stream.DecodeJSON(catalog.Responses, body, kept.Apply); err != nil || kept.Status != "completed" {
			t.Fatalf("%s: the simulator's response: %v %s", tc.fault, err, body)
		}
		if strings.Join(strings.Fields(answer), " ") != strings.Join(strings.Fields(kept.Text()), " ") {
			t.Errorf("%s: the answer is not the whole one:\n%q\nwant\n%q", tc.fault, answer, kept.Text())
		}
		if tc.note != "" {
			b.run(t,
				chromedp.Click(`[data-testid="inspector-tab"]`, chromedp.ByQuery),
				waitText(`[data-testid="inspector-body"]`, tc.note),
			)
			var notes string
			b.run(t, text(`[data-testid="inspector-body"]`, &notes))
			if strings.Contains(notes, "time(s)") {
				t.Errorf("%s: the inspector says %q", tc.fault, notes)
			}
		}
	}
	b.noScriptErrors(t)
}
