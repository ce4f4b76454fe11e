package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// visible is true when sel matches an element that is drawn.
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel)
}

// noOverflow fails unless the page and the diff fit a window w px wide.
func noOverflow(t *testing.T, b *browser, what string) {
	t.Helper()
	var widths []int
	b.run(t, chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Evaluate(`[window.innerWidth, document.documentElement.scrollWidth,
			Math.ceil(document.querySelector('[data-testid="diff-tool"]').getBoundingClientRect().right)]`, &widths))
	if widths[1] > widths[0] || widths[2] > widths[0] {
		t.Errorf("%s: the page is %d px and the diff reaches %d px in a %d px window", what, widths[1], widths[2], widths[0])
	}
}

// shotsOf saves a screenshot of the element sel at 390 and 1440 px, light
// and dark, when PLAYGROUND_SHOTS names a directory.
func shotsOf(t *testing.T, b *browser, sel, name string) {
	t.Helper()
	dir := os.Getenv("PLAYGROUND_SHOTS")
	if dir == "" {
		return
	}
	for _, w := range []int64{390, 1440} {
		for _, dark := range []bool{false, true} {
			var png []byte
			b.run(t, chromedp.EmulateViewport(w, 900), setScheme(dark), isDark(dark),
				chromedp.Evaluate(settle, nil, awaitPromise),
				chromedp.Screenshot(sel, &png, chromedp.ByQuery))
			file := filepath.Join(dir, fmt.Sprintf("el-%s-%d-%v.png", strings.ReplaceAll(name, " ", "-"), w, map[bool]string{false: "light", true: "dark"}[dark]))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.run(t, setScheme(false), chromedp.EmulateViewport(390, 844))
}

// TestBrowserDiffSideBySideAndInline: a comparison's diff shows side by
// side (each pane's text in its column, the changed runs highlighted) or
// inline at a switch of the page, no request made; only differences folds
// unchanged stretches to lines that open in place; at 390 px nothing is
// wider than the window; the stored comparison's page shows the same.
func TestBrowserDiffSideBySideAndInline(t *testing.T) {
	base := startServer(t, nil, "--sim-ttft", "20ms", "--sim-tps", "400")
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		// At temperature 0 the simulator's answer is one text: capped at 40
		// and at 200 tokens, the two answers share a long stretch.
		pick(`#model`, "openai.gpt-4o-mini"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-4o-mini"`),
		htmxReady(`#draft`),
		setValue(`#f-temperature`, "0"),
		waitText(`[data-testid="curl"]`, `"temperature": 0`),
		chromedp.Navigate(base+"/compare"),
		chromedp.WaitVisible(`[data-testid="compare-form"]`, chromedp.ByQuery),
		pick(`#sweep-field`, "max_completion_tokens"),
		typeInto(`#sweep-values`, "40, 200"),
		chromedp.Click(`[data-testid="sweep-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl-2"]`, `"max_completion_tokens": 200`),
		chromedp.Click(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-runs"]`, chromedp.ByQuery),
	)
	for _, n := range []string{"1", "2"} {
		b.run(t, waitTextFor(`[data-testid="pane-run-`+n+`"] [data-testid="run-state"]`, "completed", 30*time.Second))
	}
	var answers [2]string
	b.run(t,
		text(`[data-testid="pane-run-1"] [data-testid="answer"]`, &answers[0]),
		text(`[data-testid="pane-run-2"] [data-testid="answer"]`, &answers[1]),
		chromedp.EmulateViewport(390, 844),
		chromedp.Click(`[data-testid="diff-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="diff-split"] [data-testid="diff-ins"]`, chromedp.ByQuery),
	)
	checkDiff(t, b, answers, "compare")

	// The stored comparison draws the same diff.
	var stored string
	b.run(t, chromedp.AttributeValue(`[data-testid="comparison-link"]`, "href", &stored, nil, chromedp.ByQuery))
	b.run(t,
		chromedp.Navigate(base+stored),
		chromedp.WaitVisible(`[data-testid="diff-tool"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="diff-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="diff-split"] [data-testid="diff-ins"]`, chromedp.ByQuery),
	)
	checkDiff(t, b, answers, "stored comparison")
	b.noScriptErrors(t)
}

// checkDiff checks the diff in view at 390 px against the two answers,
// in both layouts, with and without only differences.
func checkDiff(t *testing.T, b *browser, answers [2]string, page string) {
	t.Helper()
	// Side by side: each column spells its answer (the page's text, as
	// innerText reads it, without the marks of changed spaces).
	column := func(which string) string {
		var s string
		b.run(t, chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll('[data-testid="diff-split"] [data-testid=%q]')].map(c => c.textContent).join('')`, which), &s))
		return s
	}
	if l, r := column("diff-left"), column("diff-right"); strings.TrimSpace(l) != strings.TrimSpace(answers[0]) || strings.TrimSpace(r) != strings.TrimSpace(answers[1]) {
		t.Errorf("%s: the columns do not spell the answers:\n%q\n%q\nwant\n%q\n%q", page, l, r, answers[0], answers[1])
	}
	var inlineShown, splitShown bool
	b.run(t, chromedp.Evaluate(visible(`[data-testid="diff-inline"]`), &inlineShown))
	if inlineShown {
		t.Errorf("%s: the inline diff shows in the side-by-side layout", page)
	}
	noOverflow(t, b, page+" side by side")
	// Inline, at the switch: no request, the same diff.
	b.run(t,
		chromedp.Click(`[data-testid="diff-layout-inline"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="diff-inline"] [data-testid="diff-ins"]`, chromedp.ByQuery),
		chromedp.Evaluate(visible(`[data-testid="diff-split"]`), &splitShown),
	)
	if splitShown {
		t.Errorf("%s: the side-by-side diff shows in the inline layout", page)
	}
	noOverflow(t, b, page+" inline")
	// Only differences: unchanged stretches fold; a fold opens in place.
	b.run(t,
		chromedp.Click(`[data-testid="diff-only"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('[data-testid="diff-body"]') && !!document.querySelector('[data-testid="diff-counts"]') && document.querySelector('[data-testid="diff-only"]').checked`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Sleep(300*time.Millisecond), // the swap
		chromedp.WaitVisible(`[data-testid="diff-inline"] [data-testid="diff-ins"]`, chromedp.ByQuery),
	)
	var folds int
	b.run(t, chromedp.Evaluate(`document.querySelectorAll('[data-testid="diff-inline"] [data-testid="diff-fold"]').length`, &folds))
	if folds == 0 {
		t.Errorf("%s: no unchanged stretch folded", page)
	} else {
		var label string
		var opened bool
		b.run(t,
			text(`[data-testid="diff-inline"] [data-testid="diff-fold"]`, &label),
			chromedp.Click(`[data-testid="diff-inline"] [data-testid="diff-fold"]`, chromedp.ByQuery),
			chromedp.Evaluate(visible(`[data-testid="diff-inline"] .diff-fold-text`), &opened),
		)
		if !strings.Contains(label, "unchanged word") || !opened {
			t.Errorf("%s: the fold %q opened: %v", page, label, opened)
		}
	}
	noOverflow(t, b, page+" only differences inline")
	b.run(t,
		chromedp.Click(`[data-testid="diff-layout-split"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="diff-split"] [data-testid="diff-ins"]`, chromedp.ByQuery),
	)
	noOverflow(t, b, page+" only differences side by side")
	// Every width and theme: widths, overlaps and contrast of the diff's
	// colours, in both layouts.
	checkLayout(t, b, page+" diff side by side")
	shotsOf(t, b, `[data-testid="diff-tool"]`, page+" diff side by side")
	b.run(t, chromedp.Click(`[data-testid="diff-layout-inline"]`, chromedp.ByQuery))
	checkLayout(t, b, page+" diff inline")
	shotsOf(t, b, `[data-testid="diff-tool"]`, page+" diff inline")
	b.run(t, chromedp.Click(`[data-testid="diff-layout-split"]`, chromedp.ByQuery), chromedp.EmulateViewport(390, 844))
}

// TestBrowserTokenAlternativesByTap: the token probabilities have a
// legend of their shades, and a tap on a token (or Enter on it) shows its
// alternatives with their probabilities; Esc closes them and leaves the
// run alone; at 390 px the box stays in the window.
func TestBrowserTokenAlternativesByTap(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		askTokenProbabilities(),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.EmulateViewport(390, 844),
		chromedp.Click(`[data-testid="lp-toggle"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="lp-legend"]`, chromedp.ByQuery),
	)
	var legend string
	b.run(t, text(`[data-testid="lp-legend"]`, &legend))
	for _, want := range []string{"under 10%", "50–60%", "80% or more"} {
		if !strings.Contains(legend, want) {
			t.Errorf("the legend %q lacks %q", legend, want)
		}
	}
	// A token with alternatives, tapped.
	b.run(t,
		chromedp.Evaluate(`(() => { const ts = [...document.querySelectorAll('[data-testid="lp-token"]')];
			const t = ts.slice(1).find(s => s.title.split('\n').length >= 3 && s.textContent.trim()); t.setAttribute('data-pick', ''); return true; })()`, nil),
		chromedp.Click(`[data-pick]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="lp-pop"]`, chromedp.ByQuery),
	)
	var alts []string
	var expanded string
	var box []float64
	b.run(t,
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="lp-pop"] [data-testid="lp-alt"]')].map(li => li.textContent)`, &alts),
		chromedp.AttributeValue(`[data-pick]`, "aria-expanded", &expanded, nil, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const r = document.querySelector('[data-testid="lp-pop"]').getBoundingClientRect(); return [r.left, r.right, window.innerWidth]; })()`, &box),
	)
	if len(alts) < 2 || !strings.Contains(alts[0], "%") || !strings.Contains(alts[1], "%") || expanded != "true" {
		t.Errorf("the tapped token's alternatives: %q (expanded %q)", alts, expanded)
	}
	if box[0] < 0 || box[1] > box[2] {
		t.Errorf("the alternatives span %v to %v px of %v", box[0], box[1], box[2])
	}
	// Esc closes them; the run stays completed; Enter on a focused token
	// opens them again.
	var shown bool
	var state string
	b.run(t,
		chromedp.KeyEvent(kb.Escape),
		chromedp.Evaluate(visible(`[data-testid="lp-pop"]`), &shown),
		text(`[data-testid="run-state"]`, &state),
	)
	if shown || state != "completed" {
		t.Errorf("after Esc: alternatives shown %v, run %q", shown, state)
	}
	b.run(t,
		chromedp.Focus(`[data-pick]`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`[data-testid="lp-pop"]`, chromedp.ByQuery),
	)
	checkLayout(t, b, "token alternatives")
	shotsOf(t, b, `[data-testid="choice-0"]`, "token alternatives")
	b.noScriptErrors(t)
}
