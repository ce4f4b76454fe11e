package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// screen is a window size the pages must work at.
type screen struct{ w, h int64 }

// screens are a phone, a tablet and a desktop.
var screens = []screen{{390, 844}, {768, 1024}, {1440, 900}}

// layoutProblems lists what is wrong with the page as drawn: a page wider
// than the window, a visible element past the window's edge that is not
// inside a box of its own that scrolls or clips, children of one grid or
// flex box that overlap, cards that overlap, and text whose contrast with its background
// (the first opaque one up the tree, with translucent ones blended in) is
// under 4.5:1 (3:1 for large text). Disabled and faded controls and
// highlighted code (web/markdown's chroma classes) are left out.
const layoutProblems = `(() => {
	const out = [];
	const W = window.innerWidth, de = document.documentElement;
	if (de.scrollWidth > W) out.push('the page is ' + de.scrollWidth + ' px wide in ' + W);
	const name = el => {
		let s = el.tagName.toLowerCase();
		if (el.id) s += '#' + el.id;
		const t = el.getAttribute('data-testid');
		if (t) s += '[' + t + ']';
		if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).slice(0, 3).join('.');
		return s;
	};
	const path = el => {
		const p = [];
		for (let e = el; e && e !== document.body && p.length < 4; e = e.parentElement) p.unshift(name(e));
		return p.join(' > ');
	};
	const clipped = el => {
		for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
			if (getComputedStyle(p).overflowX !== 'visible') return true;
		}
		return false;
	};
	const shown = el => {
		const r = el.getBoundingClientRect();
		if (r.width < 1 || r.height < 1) return null;
		return getComputedStyle(el).visibility === 'visible' ? r : null;
	};
	const all = [...document.body.querySelectorAll('*')].filter(el => !el.closest('template, option, script'));
	let edge = 0;
	for (const el of all) {
		const r = shown(el);
		if (r && (r.right > W + 1 || r.left < -1) && !clipped(el) && edge++ < 5) {
			out.push('past the edge (' + Math.round(r.left) + ' to ' + Math.round(r.right) + ' of ' + W + '): ' + path(el));
		}
	}
	let overlaps = 0;
	const overlap = (els) => {
		const boxes = els.map(k => [k, shown(k)]).filter(k => k[1] && !['absolute', 'fixed'].includes(getComputedStyle(k[0]).position));
		for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
			if (boxes[i][0].contains(boxes[j][0]) || boxes[j][0].contains(boxes[i][0])) continue;
			const a = boxes[i][1], b = boxes[j][1];
			const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
			const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
			if (x > 1 && y > 1 && overlaps++ < 5) out.push('overlap ' + Math.round(x) + 'x' + Math.round(y) + ': ' + path(boxes[i][0]) + ' and ' + path(boxes[j][0]));
		}
	};
	// The children of each grid and flex box, and every card of the page.
	for (const box of all) {
		const d = getComputedStyle(box).display;
		if (d.includes('grid') || d.includes('flex')) overlap([...box.children]);
	}
	overlap(all.filter(el => el.classList.contains('card')));
	const rgba = s => {
		const m = /rgba?\(([^)]+)\)/.exec(s);
		if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
		return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
	};
	const over = (top, bottom) => {
		const a = top[3] + bottom[3] * (1 - top[3]);
		return [0, 1, 2].map(i => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
	};
	const background = el => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const c = rgba(getComputedStyle(e).backgroundColor);
			if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
		}
		let bg = [255, 255, 255, 1];
		for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
		return bg;
	};
	const lum = c => {
		const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
	};
	const faded = el => {
		for (let e = el; e; e = e.parentElement) {
			if (parseFloat(getComputedStyle(e).opacity) < 1 || e.matches(':disabled')) return true;
		}
		return false;
	};
	let low = 0;
	for (const el of all) {
		const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
		if (!own || el.closest('.chroma') || !shown(el) || faded(el)) continue;
		const cs = getComputedStyle(el);
		const bg = background(el), fg = over(rgba(cs.color), bg);
		const x = lum(fg), y = lum(bg);
		const ratio = (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
		const size = parseFloat(cs.fontSize), large = size >= 24 || (parseInt(cs.fontWeight, 10) >= 700 && size >= 18.66);
		if (ratio < (large ? 3 : 4.5) && low++ < 8) {
			out.push('contrast ' + ratio.toFixed(2) + ': ' + path(el) + ' "' + own.slice(0, 30) + '" (' + cs.color + ' on ' + bg.map(Math.round).join(',') + ')');
		}
	}
	return out;
})()`

// setScheme emulates the system's prefers-color-scheme.
func setScheme(dark bool) chromedp.Action {
	v := "light"
	if dark {
		v = "dark"
	}
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}})
}

// isDark waits until the page's theme is dark (or light).
func isDark(want bool) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`document.documentElement.classList.contains('dark') === %v`, want), nil,
		chromedp.WithPollingTimeout(5*time.Second))
}

// settle waits two frames, for layout after a resize or a theme change.
const settle = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`

// checkLayout checks the page in view at each screen size, in the light
// and the dark theme (from prefers-color-scheme), and, when
// PLAYGROUND_SHOTS names a directory, saves a full-page screenshot of each.
func checkLayout(t *testing.T, b *browser, page string) {
	t.Helper()
	shots := os.Getenv("PLAYGROUND_SHOTS")
	for _, s := range screens {
		for _, dark := range []bool{false, true} {
			theme := map[bool]string{false: "light", true: "dark"}[dark]
			var problems []string
			b.run(t,
				chromedp.EmulateViewport(s.w, s.h),
				setScheme(dark),
				isDark(dark),
				chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
				chromedp.Evaluate(settle, nil, awaitPromise),
				chromedp.Evaluate(layoutProblems, &problems),
			)
			for _, p := range problems {
				t.Errorf("%s at %d px, %s: %s", page, s.w, theme, p)
			}
			if shots != "" {
				var png []byte
				b.run(t, chromedp.FullScreenshot(&png, 100))
				file := filepath.Join(shots, fmt.Sprintf("%s-%d-%s.png", strings.ReplaceAll(page, " ", "-"), s.w, theme))
				if err := os.WriteFile(file, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	b.run(t, setScheme(false), chromedp.EmulateViewport(1400, 1000))
}

// inView reports whether the element's top is inside the window.
func inView(sel string) string {
	return fmt.Sprintf(`(() => { const t = document.querySelector(%q).getBoundingClientRect().top; return t >= 0 && t < window.innerHeight; })()`, sel)
}

// TestBrowserLayoutAnyScreenAnyTheme walks every page at 390, 768 and
// 1440 px, light and dark: the playground (a finished run with its token
// probabilities, then its inspector), Compare running and done (with a diff), History (the
// list, a run, a comparison), Settings and the share pages of a run and
// of a comparison. On a phone one tap reaches the form or the output and
// Run brings the output into view; on a desktop the curl stays in view
// while the form scrolls; the theme toggle is kept per browser.
func TestBrowserLayoutAnyScreenAnyTheme(t *testing.T) {
	srv := startTestServer(t, nil, "--sim-ttft", "200ms", "--sim-tps", "30")
	base := srv.URL
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.Log.String())
		}
	})
	if dir := os.Getenv("PLAYGROUND_SHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowserWithin(t, 5*time.Minute)

	// The theme: the system's preference, until the toggle picks one,
	// which is kept across pages and reloads.
	b.run(t,
		chromedp.Navigate(base+"/settings"),
		chromedp.WaitVisible(`[data-testid="theme-toggle"]`, chromedp.ByQuery),
		setScheme(true), isDark(true),
		chromedp.Click(`[data-testid="theme-toggle"]`, chromedp.ByQuery), isDark(false),
		chromedp.Reload(), chromedp.WaitVisible(`[data-testid="theme-toggle"]`, chromedp.ByQuery), isDark(false),
		chromedp.Click(`[data-testid="theme-toggle"]`, chromedp.ByQuery), isDark(true),
		setScheme(false),
		chromedp.Navigate(base+"/history"), chromedp.WaitVisible(`[data-testid="history"]`, chromedp.ByQuery), isDark(true),
		chromedp.Evaluate(`localStorage.removeItem('theme')`, nil),
		chromedp.Reload(), chromedp.WaitVisible(`[data-testid="history"]`, chromedp.ByQuery), isDark(false),
		setScheme(true), isDark(true),
		setScheme(false), isDark(false),
	)
	var pressed string
	b.run(t, chromedp.AttributeValue(`[data-testid="theme-toggle"]`, "aria-pressed", &pressed, nil, chromedp.ByQuery))
	if pressed != "false" {
		t.Errorf("the toggle's aria-pressed is %q in the light theme", pressed)
	}

	// A phone: Run brings the output into view; the switcher reaches the
	// form and the output with one tap each.
	b.run(t,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		askTokenProbabilities(),
		// A short answer, so its length (the simulator samples it) does
		// not decide whether the curl below it fits the window.
		setValue(`#f-max_completion_tokens`, "40"),
		waitText(`[data-testid="curl"]`, `"max_completion_tokens": 40`),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run"]`, chromedp.ByQuery),
		chromedp.Poll(inView(`#output`), nil, chromedp.WithPollingTimeout(5*time.Second)),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
		chromedp.Click(`[data-testid="lp-toggle"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="lp-view"]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.scrollTo(0, document.body.scrollHeight)`, nil),
		chromedp.Click(`[data-testid="switch-form"]`, chromedp.ByQuery),
		chromedp.Poll(inView(`#request`), nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Click(`[data-testid="switch-output"]`, chromedp.ByQuery),
		chromedp.Poll(inView(`#preview`), nil, chromedp.WithPollingTimeout(5*time.Second)),
	)
	var switcher bool
	b.run(t, chromedp.EmulateViewport(1440, 900), chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('[data-testid="switcher"]')).display !== 'none'`, &switcher))
	if switcher {
		t.Error("the Form/Output switcher shows at 1440 px")
	}
	// A desktop: the curl and the estimate stay in view as the form scrolls.
	b.run(t,
		chromedp.Evaluate(`window.scrollTo(0, 700)`, nil),
		chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Poll(inView(`[data-testid="curl-panel"]`), nil, chromedp.WithPollingTimeout(2*time.Second)),
	)
	checkLayout(t, b, "playground")
	b.run(t,
		chromedp.Click(`[data-testid="inspector-tab"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="inspector-body"]`, chromedp.ByQuery),
	)
	checkLayout(t, b, "playground inspector")

	// Compare: three panes sweeping the temperature, running, then done.
	b.run(t,
		pick(`#model`, "seed002.deepseek-v4-pro"),
		waitText(`[data-testid="curl"]`, `"model": "deepseek-v4-pro"`),
		chromedp.Navigate(base+"/compare"),
		chromedp.WaitVisible(`[data-testid="compare-form"]`, chromedp.ByQuery),
		pick(`#sweep-field`, "temperature"),
		typeInto(`#sweep-values`, "0, 0.7, 1.4"),
		chromedp.Click(`[data-testid="sweep-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="pane-3"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl-3"]`, `"temperature": 1.4`),
		chromedp.Click(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-runs"]`, chromedp.ByQuery),
		chromedp.Poll(streamingAtOnce, nil, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)),
	)
	checkLayout(t, b, "compare running")
	for _, n := range []string{"1", "2", "3"} {
		b.run(t, waitTextFor(`[data-testid="pane-run-`+n+`"] [data-testid="run-state"]`, "completed", 60*time.Second))
	}
	b.run(t,
		pick(`[data-testid="diff-b"]`, "2"),
		chromedp.WaitVisible(`[data-testid="diff-text"]`, chromedp.ByQuery),
	)
	checkLayout(t, b, "compare done")

	// History: the list, a run and the comparison, each shared.
	var comparisonURL string
	b.run(t, chromedp.AttributeValue(`[data-testid="comparison-link"]`, "href", &comparisonURL, nil, chromedp.ByQuery))
	b.run(t,
		chromedp.Click(`[data-testid="pane-run-3"] [data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="share"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share-url"]`, chromedp.ByQuery),
	)
	var runShare, comparisonShare string
	b.run(t, text(`[data-testid="share-url"]`, &runShare))
	checkLayout(t, b, "history run")
	b.run(t,
		chromedp.Navigate(base+comparisonURL),
		chromedp.WaitVisible(`[data-testid="comparison"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="share-comparison"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share-url"]`, chromedp.ByQuery),
		text(`[data-testid="share-url"]`, &comparisonShare),
	)
	checkLayout(t, b, "history comparison")
	for _, p := range []struct{ name, url, ready string }{
		{"history", base + "/history", "history-table"},
		{"settings", base + "/settings", "settings"},
		{"share run", runShare, "shared-note"},
		{"share comparison", comparisonShare, "shared-note"},
	} {
		b.run(t, chromedp.Navigate(p.url), chromedp.WaitVisible(`[data-testid="`+p.ready+`"]`, chromedp.ByQuery))
		checkLayout(t, b, p.name)
	}
	b.noScriptErrors(t)
}

// awaitPromise makes an Evaluate wait for the promise it returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
