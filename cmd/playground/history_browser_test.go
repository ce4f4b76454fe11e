package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// addRuns runs n prompts from the page's form, one after another, each
// followed to its end (an event stream), the ninth ones about a zyzzyva.
const addRuns = `(async (n) => {
	const headers = Object.assign({Accept: 'text/event-stream'}, JSON.parse(document.body.getAttribute('hx-headers')));
	const prompt = [...document.querySelectorAll('#draft textarea')].find(t => t.value.startsWith('Explain the theory')).name;
	for (let i = 0; i < n; i++) {
		const fd = new FormData(document.getElementById('draft'));
		fd.set(prompt, i % 9 === 0 ? 'Zyzzyva in the haystack ' + i : 'Plain prompt ' + i);
		const r = await fetch('/runs', {method: 'POST', headers, body: new URLSearchParams(fd)});
		await r.text();
		if (!r.ok) return 'run ' + i + ': ' + r.status;
	}
	return 'ok';
})(27)`

// The history page in a browser: Older and Newer move by cursor across 27
// runs, the count stays, a search as typed finds its runs, and a broken
// page link says so.
func TestBrowserHistoryPages(t *testing.T) {
	srv := startTestServer(t, map[string]string{"PLAYGROUND_RUNS_PER_MINUTE": "0"}, "--sim-ttft", "1ms", "--sim-tps", "0")
	base := srv.URL
	b := newBrowser(t)
	var res string
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Evaluate(addRuns, &res, awaitPromise),
	)
	if res != "ok" {
		t.Fatalf("adding runs: %s\n%s", res, srv.Log.String())
	}
	rows := func(want int) chromedp.Action {
		return chromedp.Poll(`document.querySelectorAll('[data-testid="history-row"]').length === `+strconv.Itoa(want), nil)
	}
	var first, older, url string
	var prev, next int
	b.run(t,
		chromedp.Navigate(base+"/history"),
		chromedp.WaitVisible(`[data-testid="history-table"]`, chromedp.ByQuery),
		waitText(`[data-testid="history-count"]`, "27 runs"),
		rows(25),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="page-prev"]').length`, &prev),
		text(`[data-testid="history-table"]`, &first),
	)
	if prev != 0 || !strings.Contains(first, "Plain prompt 26") {
		t.Fatalf("the first page: newer link %d, rows %q", prev, first)
	}
	b.run(t,
		chromedp.Click(`[data-testid="page-next"]`, chromedp.ByQuery),
		waitText(`[data-testid="history-table"]`, "Zyzzyva in the haystack 0"),
		rows(2),
		waitText(`[data-testid="history-count"]`, "27 runs"),
		chromedp.WaitVisible(`[data-testid="page-prev"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="page-next"]').length`, &next),
		chromedp.Location(&url),
		text(`[data-testid="history-table"]`, &older),
	)
	if next != 0 || !strings.Contains(url, "before=") || strings.Contains(older, "Plain prompt 26") {
		t.Fatalf("the older page at %s: older link %d, rows %q", url, next, older)
	}
	checkLayout(t, b, "history older page")
	b.run(t,
		chromedp.Click(`[data-testid="page-prev"]`, chromedp.ByQuery),
		waitText(`[data-testid="history-table"]`, "Plain prompt 26"),
		rows(25),
	)

	// A search as typed: a word's start, in any case.
	b.run(t,
		chromedp.SendKeys(`[data-testid="filter-q"]`, "ZYZZ", chromedp.ByQuery),
		chromedp.Click(`[data-testid="filter-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="history-count"]`, "3 runs"),
		rows(3),
	)

	// A broken page link says what to do, not that the server failed.
	var body string
	b.run(t,
		chromedp.Navigate(base+"/history?before=not-a-cursor"),
		chromedp.WaitVisible(`body`, chromedp.ByQuery),
		text(`body`, &body),
	)
	if !strings.Contains(body, "This page link is broken") {
		t.Errorf("a broken page link: %q", body)
	}
	b.noScriptErrors(t)
}
