package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitTextGone waits until the element's text no longer contains s.
func waitTextGone(sel, s string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(10 * time.Second)
		var got string
		for time.Now().Before(deadline) {
			js := fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent`, sel)
			if err := chromedp.Run(ctx, chromedp.Evaluate(js, &got)); err == nil && !strings.Contains(got, s) {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("%s: text still contains %q: %q", sel, s, got)
	})
}

// TestBrowserUnsetSlider: an unset slider rests dimmed in the middle of its
// range (not at −2) and nothing is sent; moving it sends its value; Clear
// unsets it again.
func TestBrowserUnsetSlider(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	unset := func() bool {
		var v bool
		b.run(t, chromedp.Evaluate(`document.querySelector('[data-testid="range-presence_penalty"]').hasAttribute('data-unset')`, &v))
		return v
	}
	var at, curl string
	b.run(t,
		chromedp.Navigate(base+"/?provider=chatgw&model=gpt-5.4"),
		chromedp.WaitVisible(`[data-testid="copy-curl"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid="range-presence_penalty"]').value`, &at),
		text(`[data-testid="curl"]`, &curl),
	)
	if at != "0" || !unset() || strings.Contains(curl, "presence_penalty") {
		t.Fatalf("unset slider at %q (unset %v), curl:\n%s", at, unset(), curl)
	}
	b.run(t,
		chromedp.Evaluate(`(() => { const r = document.querySelector('[data-testid="range-presence_penalty"]'); r.value = "1.5";
			r.dispatchEvent(new Event('input', {bubbles: true})); })()`, nil),
		waitText(`[data-testid="curl"]`, `"presence_penalty": 1.5`),
	)
	if unset() {
		t.Error("a moved slider is still marked unset")
	}
	b.run(t,
		chromedp.Evaluate(`document.querySelector('#f-presence_penalty').closest('.field').querySelector('[data-reset]').click()`, nil),
		waitTextGone(`[data-testid="curl"]`, "presence_penalty"),
	)
	if !unset() {
		t.Error("a cleared slider is not marked unset")
	}
	b.noScriptErrors(t)
}

// countingProxy forwards to up and counts the requests that reach it.
func countingProxy(tb testing.TB, up string) (*httptest.Server, *atomic.Int32) {
	tb.Helper()
	target, err := url.Parse(up)
	if err != nil {
		tb.Fatal(err)
	}
	var n atomic.Int32
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

// TestBrowserRunButtonIsStopWhileRunning: while a run goes, Run reads Stop
// and a second click stops that run instead of starting another; Esc
// stops the run; Ctrl+Enter runs with the focus anywhere; ? lists the
// shortcuts.
func TestBrowserRunButtonIsStopWhileRunning(t *testing.T) {
	up := fakeUpstream(t)
	proxy, sent := countingProxy(t, up.URL)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, proxy.URL))
	b := newBrowser(t)
	button := `[data-testid="run-button"]`
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=slow"),
		chromedp.WaitVisible(button, chromedp.ByQuery),
		chromedp.Click(button, chromedp.ByQuery),
		waitText(button, "Stop"),
		waitText(`[data-testid="answer"]`, "Harmony Day"),
		// The second click stops the run: no second run starts.
		chromedp.Click(button, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "stopped"),
		waitText(button, "Run"),
	)
	if n := sent.Load(); n != 1 {
		t.Fatalf("%d requests reached the provider, want 1", n)
	}

	// Ctrl+Enter with the focus outside the form runs; Esc stops.
	b.run(t,
		chromedp.Evaluate(`document.activeElement && document.activeElement.blur()`, nil),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(input.ModifierCtrl)),
		waitText(button, "Stop"),
		waitText(`[data-testid="run-state"]`, "running"),
		waitText(`[data-testid="answer"]`, "Harmony Day"),
		chromedp.KeyEvent(kb.Escape),
		waitText(`[data-testid="run-state"]`, "stopped"),
		waitText(button, "Run"),
	)
	if n := sent.Load(); n != 2 {
		t.Fatalf("%d requests reached the provider, want 2", n)
	}

	// ? shows the shortcuts.
	var open bool
	b.run(t,
		chromedp.KeyEvent("?"),
		chromedp.WaitVisible(`[data-testid="shortcuts"]`, chromedp.ByQuery),
		waitText(`[data-testid="shortcuts"]`, "Stop the run in view"),
		chromedp.Evaluate(`document.getElementById('shortcuts').open`, &open),
	)
	if !open {
		t.Error("the shortcuts dialog is not open")
	}
	b.noScriptErrors(t)
}

// TestBrowserCarriedValueIsNamedAndClearable: max_tokens set on the
// completions model is carried into the chat model's closed Advanced box;
// with max_completion_tokens set too, the error summary names both fields
// and links them, the box is open, and one click clears the carried value.
func TestBrowserCarriedValueIsNamedAndClearable(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=sim&model=seed000.gpt-5.4-pro"),
		chromedp.WaitVisible(`#f-max_tokens`, chromedp.ByQuery),
		typeInto(`#f-max_tokens`, "120"),
		waitText(`[data-testid="curl"]`, `"max_tokens": 120`),
		pick(`#model`, "seed002.deepseek-v4-pro"),
		waitText(`[data-testid="curl"]`, `/chat/completions`),
		// The closed box says what it sends.
		waitText(`[data-testid="advanced-set"]`, "max_tokens"),
		typeInto(`#f-max_completion_tokens`, "200"),
		waitText(`[data-testid="error-summary"]`, "2 fields need attention"),
	)
	var names []string
	var open bool
	b.run(t,
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="problem"] a')].map(a => a.textContent)`, &names),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open`, &open),
	)
	if strings.Join(names, "|") != "Max completion tokens|Max tokens (legacy)" && strings.Join(names, "|") != "Max tokens (legacy)|Max completion tokens" {
		t.Errorf("the summary names %q, want both max fields", names)
	}
	if !open {
		t.Error("the Advanced box holding an error stayed closed")
	}
	// Clearing the carried value in one click lets the request through.
	b.run(t,
		chromedp.Click(`[data-testid="clear-max_tokens"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"max_completion_tokens": 200`),
	)
	var curl, summary string
	b.run(t, text(`[data-testid="curl"]`, &curl), text(`[data-testid="error-summary"]`, &summary))
	if strings.Contains(curl, `"max_tokens"`) || strings.TrimSpace(summary) != "" {
		t.Errorf("after clearing: summary %q, curl:\n%s", summary, curl)
	}
	b.noScriptErrors(t)
}
