package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
