package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// hostileUpstream answers with everything a page must not run: script
// tags, event handlers and javascript: links, in the text, the reasoning,
// a tool call's arguments and a mid-stream error.
func hostileUpstream(tb testing.TB) *httptest.Server {
	const content = `Hi <script>window.__xss=1;alert(1)</script> <img src=x onerror="window.__xss=2;alert(2)"> ` +
		`[click me](javascript:window.__xss=3) <a href="javascript:alert(4)">raw link</a> <iframe src="javascript:alert(5)"></iframe> ` +
		`<svg onload="alert(9)"></svg> done.`
	chunk := func(delta string) string {
		return `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"xss","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	body := chunk(`{"role":"assistant","reasoning_content":`+q(`<img src=x onerror="window.__xss=6">thinking`)+`}`) +
		chunk(`{"content":`+q(content)+`}`) +
		chunk(`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"render","arguments":`+q(`{"html":"<script>window.__xss=7</script>"}`)+`}}]}`) +
		`data: {"error":{"message":"<img src=x onerror=\"window.__xss=8\"> upstream broke","code":"<b>x</b>"}}` + "\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func TestBrowserHostileOutputIsInert(t *testing.T) {
	up := hostileUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL, "xss"))
	b := newBrowser(t)
	var mu sync.Mutex
	var dialogs []string
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, e.Message)
			mu.Unlock()
			go chromedp.Run(b.ctx, page.HandleJavaScriptDialog(false))
		}
	})
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=xss"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "failed"),
		waitText(`[data-testid="answer"]`, "done."),
	)
	var out string
	var dangerous int
	var flag string
	b.run(t,
		chromedp.Evaluate(`document.querySelector('[data-testid="output"]').textContent`, &out),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="output"] :is(script, iframe, object, embed), [data-testid="output"] svg:not([data-testid="timeline"] > svg), [data-testid="output"] [onerror], [data-testid="output"] [onload], [data-testid="output"] [href^="javascript:" i], [data-testid="output"] [src^="javascript:" i]').length`, &dangerous),
		chromedp.Evaluate(`String(window.__xss)`, &flag),
	)
	// The one SVG in the output is the server's timeline chart: numbers
	// and labels of its own, none of the model's text.
	var chart string
	b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="timeline"] svg')||{textContent:""}).textContent`, &chart))
	if strings.Contains(chart, "xss") || strings.Contains(chart, "<") {
		t.Errorf("the timeline chart carries the model's text: %q", chart)
	}
	if dangerous != 0 {
		var html string
		b.run(t, chromedp.OuterHTML(`[data-testid="output"]`, &html, chromedp.ByQuery))
		t.Errorf("%d live dangerous elements in the output:\n%s", dangerous, html)
	}
	if flag != "undefined" {
		t.Errorf("script ran: window.__xss = %s", flag)
	}
	mu.Lock()
	if len(dialogs) > 0 {
		t.Errorf("dialogs opened: %v", dialogs)
	}
	mu.Unlock()
	// What could be shown as text is there, as text.
	for _, want := range []string{"click me", `<script>window.__xss=7</script>`, "upstream broke", "thinking"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBrowserPostWithoutCSRFTokenIsRefused(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	var statuses []int
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Evaluate(`(async () => {
			const form = new URLSearchParams(new FormData(document.querySelector('#draft'))).toString();
			const post = (headers) => fetch('/runs', {method: 'POST', headers: Object.assign({'Content-Type': 'application/x-www-form-urlencoded', 'HX-Request': 'true'}, headers), body: form}).then(r => r.status);
			const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
			return [await post({}), await post({'X-CSRF-Token': 'f'.repeat(64)}), await post({'X-CSRF-Token': token})];
		})()`, &statuses, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if fmt.Sprint(statuses) != "[403 403 200]" {
		t.Fatalf("statuses without, with a wrong and with the right token: %v, want [403 403 200]", statuses)
	}
	// The page's own Run button carries the token.
	b.run(t,
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run"]`, chromedp.ByQuery),
	)
}

func TestBrowserSettingsKeyRoundTrip(t *testing.T) {
	const key = "sk-browser-roundtrip-WXYZ"
	base := startServer(t, nil)
	b := newBrowser(t)
	row := `[data-testid="key-openai"] `
	var masked, html, value string
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="settings-link"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="settings-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+`[data-testid="key-input"]`, chromedp.ByQuery),
		typeInto(row+`[data-testid="key-input"]`, key),
		chromedp.Click(row+`[data-testid="save-key"]`, chromedp.ByQuery),
		waitText(`[data-testid="flash"]`, "Saved your key for OpenAI-compatible"),
		text(row+`[data-testid="masked-key"]`, &masked),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
		chromedp.Value(row+`[data-testid="key-input"]`, &value, chromedp.ByQuery),
	)
	if masked != "••••WXYZ" {
		t.Errorf("masked %q", masked)
	}
	if strings.Contains(html, key) || value != "" {
		t.Error("the key is on the page after saving")
	}
	// The playground uses it, and says so, masked.
	b.run(t,
		chromedp.Navigate(base+"/?provider=openai&model=gpt-4o-mini"),
		waitText(`[data-testid="key-status"]`, "Key: yours, ••••WXYZ"),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
	)
	if strings.Contains(html, key) {
		t.Error("the key is on the playground page")
	}
	// Clear it.
	b.run(t,
		chromedp.Navigate(base+"/settings"),
		chromedp.Click(row+`[data-testid="clear-key"]`, chromedp.ByQuery),
		waitText(`[data-testid="flash"]`, "Cleared your key"),
		waitGone(row+`[data-testid="masked-key"]`),
		chromedp.Navigate(base+"/?provider=openai&model=gpt-4o-mini"),
		waitText(`[data-testid="key-status"]`, "No API key"),
	)
	b.noScriptErrors(t)
}

// TestBrowserRefusedRequestsSayWhy: a request the server refuses (here a
// stale CSRF token) shows the server's message in a toast, both for Run
// and for the form's htmx requests, and leaves the form as it was.
func TestBrowserRefusedRequestsSayWhy(t *testing.T) {
	b := openOnSimulator(t)
	const refused = "did not come from a page of this playground"
	b.run(t,
		htmxReady("#draft"),
		chromedp.Evaluate(`document.body.setAttribute('hx-headers', JSON.stringify({'X-CSRF-Token': '00'}))`, nil),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="toast"]`, refused),
		chromedp.Evaluate(`document.getElementById('toast').textContent = ''`, nil),
		typeInto(`#f-temperature`, "0.5"),
		waitText(`[data-testid="toast"]`, refused),
	)
	var output, temperature string
	b.run(t,
		text(`[data-testid="output"]`, &output),
		chromedp.Value(`#f-temperature`, &temperature, chromedp.ByQuery),
	)
	if strings.TrimSpace(output) != "" || !strings.Contains(temperature, "0.5") {
		t.Errorf("after the refusals: output %q, temperature %q", output, temperature)
	}
}

// TestBrowserTooLargeFormIsNotSent: a form over the server's body limit is
// not sent (the server would refuse it, maybe by resetting the
// connection mid-upload); the page says why in the server's words, keeps
// the form, and sends again once it fits.
func TestBrowserTooLargeFormIsNotSent(t *testing.T) {
	srv := startTestServer(t, nil, "--body-limit", "65536", "--sim-ttft", "20ms", "--sim-tps", "400")
	b := newBrowser(t)
	const prompt = `textarea[name="prompt"], [data-testid="message-content"]`
	const refused = "larger than this server accepts (64 KB)"
	b.run(t,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		htmxReady("#draft"),
		// Count what the page sends: htmx's XMLHttpRequests and Run's fetch.
		chromedp.Evaluate(`window.__sent = 0;
			const send = XMLHttpRequest.prototype.send;
			XMLHttpRequest.prototype.send = function () { window.__sent++; return send.apply(this, arguments); };
			const fetch0 = window.fetch;
			window.fetch = function () { window.__sent++; return fetch0.apply(this, arguments); };`, nil),
	)
	big := strings.Repeat("x", 70000)
	b.run(t,
		setValue(prompt, big),
		waitText(`[data-testid="toast"]`, refused),
		chromedp.Evaluate(`document.getElementById('toast').textContent = ''`, nil),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="toast"]`, refused),
	)
	var output string
	var kept, sent int
	b.run(t,
		text(`[data-testid="output"]`, &output),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).value.length`, prompt), &kept),
		chromedp.Evaluate(`window.__sent`, &sent),
	)
	if sent != 0 {
		t.Errorf("the page sent %d requests with the oversized form", sent)
	}
	if strings.TrimSpace(output) != "" || kept != len(big) {
		t.Errorf("after the refusals: output %q, the prompt kept %d of %d characters", output, kept, len(big))
	}
	// Once it fits, it is sent again.
	b.run(t,
		setValue(prompt, "a short prompt"),
		waitText(`[data-testid="curl"]`, "a short prompt"),
	)
	b.noScriptErrors(t)
}
