package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/stream"
)

// waitTextGone waits until the element's text no longer contains s.
func waitTextGone(sel, s string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`!(document.querySelector(%q)||{textContent:""}).textContent.includes(%q)`, sel, s), nil,
		chromedp.WithPollingTimeout(10*time.Second))
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
	open := chromedp.Run(b.ctx, chromedp.Poll(`document.querySelector('[data-testid="advanced"]').open`, nil, chromedp.WithPollingTimeout(5*time.Second))) == nil
	b.run(t,
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="problem"] a')].map(a => a.textContent)`, &names),
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

// TestBrowserWaitingStatesInOrder: from Run to the answer the panel says
// what is happening, in order, with a timer: waiting for the first byte,
// stalled while the provider sends nothing, thinking with a token count,
// answering; the line goes once the run is over.
func TestBrowserWaitingStatesInOrder(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=sim&model=seed002.deepseek-v4-pro"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		pick(`select[name="reasoning_effort"]`, "low"),
		typeInto(`textarea[name="messages.content"]`, "[[fault:stall:2s]] Tell me about the sea"),
		waitText(`[data-testid="curl"]`, "stall:2s"),
		// A stall shows after a second here (20 s by default).
		chromedp.Evaluate(`document.body.setAttribute('data-stall-after', '1000');
			window.__phases = []; window.__labels = [];
			new MutationObserver(() => {
				const p = document.querySelector('[data-testid="run-progress"]');
				if (!p) return;
				const ph = p.getAttribute('data-phase');
				if (ph && window.__phases[window.__phases.length - 1] !== ph) window.__phases.push(ph);
				window.__labels.push(p.textContent);
			}).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-phase']});`, nil),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
	)
	var phases, labels []string
	var hidden bool
	b.run(t,
		chromedp.Evaluate(`window.__phases`, &phases),
		chromedp.Evaluate(`window.__labels`, &labels),
		chromedp.Evaluate(`document.querySelector('[data-testid="run-progress"]').hidden`, &hidden),
	)
	order := map[string]int{}
	for i, p := range phases {
		if _, ok := order[p]; !ok {
			order[p] = i
		}
	}
	for _, pair := range [][2]string{{"waiting_byte", "stalled"}, {"stalled", "thinking"}, {"thinking", "answering"}} {
		a, okA := order[pair[0]]
		z, okZ := order[pair[1]]
		if !okA || !okZ || a >= z {
			t.Fatalf("phases %v: want %s before %s", phases, pair[0], pair[1])
		}
	}
	var counted, timed bool
	for _, l := range labels {
		if strings.HasPrefix(l, "Thinking… ") && strings.Contains(l, " tokens · ") {
			counted = true
		}
		if strings.HasPrefix(l, "Stalled: nothing from the provider for ") && strings.HasSuffix(l, " s") {
			timed = true
		}
	}
	if !counted || !timed {
		t.Errorf("no thinking token count (%v) or stall timer (%v) in %q", counted, timed, labels)
	}
	if !hidden {
		t.Error("the progress line is still shown after the run")
	}
	// The reasoning streamed in view, and folded once the answer began.
	var folded bool
	b.run(t, chromedp.Evaluate(`(() => { const r = document.querySelector('[data-reasoning]'); return !r.hidden && !r.open; })()`, &folded))
	if !folded {
		t.Error("the reasoning box is not shown folded after the answer")
	}
	b.noScriptErrors(t)
}

// contentEvents counts the content events (text, reasoning, refusal, tool
// call pieces, audio) the stream decoder reads from a recorded stream.
func contentEvents(tb testing.TB, name string) int {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sse", name))
	if err != nil {
		tb.Fatal(err)
	}
	sd, dec, n := sse.NewDecoder(bytes.NewReader(b), 0), stream.NewDecoder(catalog.Chat), 0
	for {
		ev, err := sd.Next()
		if err != nil {
			return n
		}
		dec.Decode(ev, func(e stream.Event) {
			switch e.Kind {
			case stream.KindText, stream.KindReasoning, stream.KindRefusal, stream.KindTool, stream.KindAudio:
				n++
			}
		})
	}
}

// TestBrowserTimelineHasAPointPerTokenEvent: after a run the panel draws
// tokens over time with one point per content event the provider sent,
// and the history page draws the same chart.
func TestBrowserTimelineHasAPointPerTokenEvent(t *testing.T) {
	want := contentEvents(t, "deepseek-chat-tool-call.sse")
	up := fakeUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL))
	b := newBrowser(t)
	var live, stored string
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=tools"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "completed"),
		chromedp.WaitVisible(`[data-testid="run"] [data-testid="timeline"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid="run"] [data-testid="timeline-line"]`, "data-count", &live, nil, chromedp.ByQuery),
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"] [data-testid="timeline"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid="timeline-line"]`, "data-count", &stored, nil, chromedp.ByQuery),
	)
	if live != strconv.Itoa(want) || stored != live {
		t.Errorf("timeline points: live %s, history %s; the stream has %d content events", live, stored, want)
	}
	var title string
	b.run(t, chromedp.Evaluate(`document.querySelector('[data-testid="timeline"] svg title').textContent`, &title))
	if !strings.Contains(title, "tokens from") {
		t.Errorf("the chart's description %q", title)
	}
	b.noScriptErrors(t)
}

// TestBrowserCompareRunAllIsNeverSilent: Ctrl+Enter on Compare is Run all;
// the outputs come into view, each pane says what it is doing, the page
// counts the panes still running, and once they are over one chart holds
// every pane's line, on the live page and on the stored comparison.
func TestBrowserCompareRunAllIsNeverSilent(t *testing.T) {
	srv := startTestServer(t, nil, "--sim-ttft", "300ms", "--sim-tps", "30")
	b := newBrowser(t)
	var running string
	b.run(t,
		chromedp.Navigate(srv.URL+"/compare"),
		chromedp.WaitVisible(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement && document.activeElement.blur()`, nil),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(input.ModifierCtrl)),
		chromedp.WaitVisible(`[data-testid="compare-runs"]`, chromedp.ByQuery),
		chromedp.Poll(`(() => { const r = document.querySelector('[data-testid="compare-runs"]').getBoundingClientRect();
			return r.top >= 0 && r.top < innerHeight; })()`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Poll(`[...document.querySelectorAll('[data-testid="run-progress"]')].some(p => p.hasAttribute('data-phase'))`, nil,
			chromedp.WithPollingTimeout(5*time.Second)),
		text(`[data-testid="panes-running"]`, &running),
	)
	if !strings.Contains(running, "running") {
		t.Errorf("while the panes run the page says %q", running)
	}
	var panes, lines int
	b.run(t,
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="compare-runs"] [data-testid="run"]').length`, &panes),
		waitTextFor(`[data-testid="panes-running"]`, "done", 60*time.Second),
		chromedp.WaitVisible(`[data-testid="compare-chart"] [data-testid="timeline"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="compare-chart"] [data-testid="timeline-line"]').length`, &lines),
	)
	if panes < 2 || lines != panes {
		t.Errorf("%d panes ran, the chart has %d lines", panes, lines)
	}
	b.run(t,
		chromedp.Click(`[data-testid="comparison-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="comparison-chart"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="comparison-chart"] [data-testid="timeline-line"]').length`, &lines),
	)
	if lines != panes {
		t.Errorf("the stored comparison's chart has %d lines for %d panes", lines, panes)
	}
	b.noScriptErrors(t)
}

// TestBrowserCopyTheAnswer: once a run is over its answer can be copied as
// the markdown the model wrote and as the text the page shows.
func TestBrowserCopyTheAnswer(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	var md, plain, shown string
	b.run(t,
		chromedp.Navigate(base+"/?provider=sim&model=openai.gpt-4o-mini"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		typeInto(`textarea[name="messages.content"]`, "Write **bold** text and a list"),
		waitText(`[data-testid="curl"]`, "bold"),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
		chromedp.WaitVisible(`[data-testid="copy-answer-md"]`, chromedp.ByQuery),
		chromedp.Evaluate(`navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); }`, nil),
		chromedp.Click(`[data-testid="copy-answer-md"]`, chromedp.ByQuery),
		chromedp.Poll(`typeof window.copied === 'string'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`window.copied`, &md),
		chromedp.Evaluate(`window.copied = undefined`, nil),
		chromedp.Click(`[data-testid="copy-answer-text"]`, chromedp.ByQuery),
		chromedp.Poll(`typeof window.copied === 'string'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`window.copied`, &plain),
		chromedp.Evaluate(`document.querySelector('[data-testid="answer"]').innerText.trim()`, &shown),
	)
	if md == "" || plain != shown {
		t.Fatalf("copied markdown %q, text %q (the page shows %q)", md, plain, shown)
	}
	// The markdown is the answer as written: the page's text is what it
	// renders to, words the same.
	if strings.Join(strings.Fields(strings.NewReplacer("*", "", "#", "", "`", "", "-", "").Replace(md)), " ") == "" {
		t.Errorf("the markdown copied is empty of words: %q", md)
	}
	b.noScriptErrors(t)
}

// TestBrowserStoredTokenProbabilities: the history page of a run with
// token probabilities draws the same tokens, shades and tooltips as the
// live panel did, and a tap shows a token's alternatives there too.
func TestBrowserStoredTokenProbabilities(t *testing.T) {
	b := openOnSimulator(t)
	tokens := `[...document.querySelectorAll('[data-testid="lp-token"]')].map(s => s.className + '|' + s.textContent + '|' + s.title)`
	var live, stored []string
	b.run(t,
		askTokenProbabilities(),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.Evaluate(tokens, &live),
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="lp-toggle"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="lp-legend"]`, chromedp.ByQuery),
		chromedp.Evaluate(tokens, &stored),
	)
	if len(live) == 0 || strings.Join(live, "\n") != strings.Join(stored, "\n") {
		t.Fatalf("live tokens (%d) and stored tokens (%d) differ:\nlive   %.300q\nstored %.300q", len(live), len(stored), live, stored)
	}
	var alts int
	b.run(t,
		chromedp.Evaluate(`(() => { const t = [...document.querySelectorAll('[data-testid="lp-token"]')].find(s => s.title.split('\n').length >= 3); t.setAttribute('data-pick', ''); return true; })()`, nil),
		chromedp.Click(`[data-pick]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="lp-pop"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="lp-pop"] [data-testid="lp-alt"]').length`, &alts),
	)
	if alts < 2 {
		t.Errorf("the stored token's box lists %d rows, want the token and its alternatives", alts)
	}
	b.noScriptErrors(t)
}

// TestBrowserCodePanelAndImport: the code panel's Python tab shows the
// request as Python and Copy copies it; a curl from the OpenAI docs pasted
// into the import box fills the form, its written key ignored.
func TestBrowserCodePanelAndImport(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	var copied string
	b.run(t,
		chromedp.Navigate(base+"/?provider=sim&model=openai.gpt-4o-mini"),
		chromedp.WaitVisible(`[data-testid="copy-curl"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="code-tab-python"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="code-python"]`, chromedp.ByQuery),
		chromedp.Evaluate(`navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); }`, nil),
		chromedp.Click(`[data-testid="copy-curl"]`, chromedp.ByQuery),
		chromedp.Poll(`typeof window.copied === 'string'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`window.copied`, &copied),
	)
	if !strings.Contains(copied, "import requests") || !strings.Contains(copied, "SIMULATOR_API_KEY") {
		t.Fatalf("Copy on the Python tab copied:\n%s", copied)
	}
	cmd := `curl https://api.openai.com/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OPENAI_API_KEY" \
  -d '{
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Imported from the docs"}],
    "temperature": 0.4
  }'`
	b.run(t,
		chromedp.Evaluate(`document.querySelector('[data-testid="import"]').open = true`, nil),
		setValue(`[data-testid="import-text"]`, cmd),
		chromedp.Click(`[data-testid="import-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, "Imported from the docs"),
		waitText(`[data-testid="curl"]`, `"temperature": 0.4`),
	)
	var temp, note string
	b.run(t,
		chromedp.Value(`#f-temperature`, &temp, chromedp.ByQuery),
		text(`[data-testid="import"]`, &note),
	)
	if temp != "0.4" || !strings.Contains(note, "Imported into") {
		t.Errorf("after the import: temperature %q, the box says %q", temp, note)
	}
	// A parameter the model's form does not have is listed; dropped, then
	// kept: the extra body field holds it and the curl sends it.
	withTopK := strings.Replace(cmd, `"temperature": 0.4`, `"temperature": 0.4, "top_k": 40`, 1)
	var extra string
	b.run(t,
		chromedp.Evaluate(`document.querySelector('[data-testid="import"]').open = true`, nil),
		setValue(`[data-testid="import-text"]`, withTopK),
		chromedp.Click(`[data-testid="import-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="import"]`, "Not in this model's form: top_k 40."),
		// Each choice is clicked once the preview the imported form sent
		// has settled: a click on the button its answer replaces would be
		// lost.
		htmxSettled(),
		chromedp.Click(`[data-testid="import-drop"]`, chromedp.ByQuery),
		waitText(`[data-testid="import"]`, "Dropped: top_k."),
		waitTextGone(`[data-testid="curl"]`, `"top_k"`),
		htmxSettled(),
		chromedp.Click(`[data-testid="import-keep"]`, chromedp.ByQuery),
		waitText(`[data-testid="import"]`, "Kept as extra body fields"),
		waitText(`[data-testid="curl"]`, `"top_k": 40`),
		chromedp.Value(`#f-extra_body`, &extra, chromedp.ByQuery),
	)
	if extra != `{"top_k":40}` {
		t.Errorf("the extra body field holds %q", extra)
	}
	b.noScriptErrors(t)
}

// TestBrowserStoredRunCode: a stored run's page has the same code tabs,
// and Copy copies the language shown.
func TestBrowserStoredRunCode(t *testing.T) {
	b := openOnSimulator(t)
	var copied string
	b.run(t,
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-record"] [data-testid="code-tab-js"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"] [data-testid="code-js"]`, chromedp.ByQuery),
		chromedp.Evaluate(`navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); }`, nil),
		chromedp.Click(`[data-testid="copy-record-curl"]`, chromedp.ByQuery),
		chromedp.Poll(`typeof window.copied === 'string'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`window.copied`, &copied),
	)
	if !strings.Contains(copied, "fetch(") || !strings.Contains(copied, "process.env") {
		t.Fatalf("Copy on the stored run's JavaScript tab copied:\n%s", copied)
	}
	b.noScriptErrors(t)
}
