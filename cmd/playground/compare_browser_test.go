package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playground-dev/playground/web/draft"
)

// streamingAtOnce is true while every pane of the comparison is running
// and has shown some of its output (its reasoning or its answer: the
// model thinks first).
const streamingAtOnce = `(() => {
	const panels = [...document.querySelectorAll('[data-testid="compare-runs"] [data-run]')];
	return panels.length === 3 && panels.every(p =>
		p.querySelector('[data-run-state]').textContent === 'running' &&
		p.querySelector('[data-testid="choices"]').textContent.trim().length > 0);
})()`

// TestBrowserCompareSweepHistoryShare is the compare view end to end on
// the simulator: a sweep over three temperatures streams three panes at
// once, the diff highlights a difference, the run is in the history and
// reopens into the form with the same values and curl, and its share link
// opens in a fresh browser with no key.
func TestBrowserCompareSweepHistoryShare(t *testing.T) {
	srv := startTestServer(t, nil, "--sim-ttft", "200ms", "--sim-tps", "20")
	base := srv.URL
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.Log.String())
		}
	})
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		pick(`#model`, "seed002.deepseek-v4-pro"),
		waitText(`[data-testid="curl"]`, `"model": "deepseek-v4-pro"`),
		chromedp.Click(`[data-testid="compare-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-form"]`, chromedp.ByQuery),
		waitText(`[data-testid="compare-base"]`, "deepseek-v4-pro"),
	)
	// A bad sweep is refused next to its field, and nothing is lost.
	b.run(t,
		pick(`#sweep-field`, "temperature"),
		typeInto(`#sweep-values`, "0, hot"),
		chromedp.Click(`[data-testid="sweep-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="error-sweep_values"]`, "“hot”"),
	)
	var v string
	b.run(t, chromedp.Value(`#sweep-values`, &v, chromedp.ByQuery))
	if v != "0, hot" {
		t.Fatalf("the sweep values were lost: %q", v)
	}
	b.run(t,
		typeInto(`#sweep-values`, "0, 0.7, 1.4"),
		chromedp.Click(`[data-testid="sweep-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="pane-3"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl-1"]`, `"temperature": 0`),
		waitText(`[data-testid="curl-2"]`, `"temperature": 0.7`),
		waitText(`[data-testid="curl-3"]`, `"temperature": 1.4`),
		waitText(`[data-testid="badge-p1-temperature"]`, "override"),
		waitText(`[data-testid="badge-p1-top_p"]`, "inherited"),
	)
	// Typing a value back to the base's marks it inherited again.
	var inherited string
	b.run(t, chromedp.AttributeValue(`#p0-temperature`, "data-inherited", &inherited, nil, chromedp.ByQuery))
	b.run(t,
		chromedp.Click(`[data-reset-inherited="p0-temperature"]`, chromedp.ByQuery),
		waitText(`[data-testid="badge-p0-temperature"]`, "inherited"),
		typeInto(`#p0-temperature`, "0"),
		waitText(`[data-testid="badge-p0-temperature"]`, "override"),
		waitText(`[data-testid="curl-1"]`, `"temperature": 0`),
	)

	b.run(t,
		chromedp.Click(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-runs"]`, chromedp.ByQuery),
	)
	b.run(t,
		chromedp.Poll(streamingAtOnce, nil, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)),
	)
	for _, n := range []string{"1", "2", "3"} {
		b.run(t, waitTextFor(`[data-testid="pane-run-`+n+`"] [data-testid="run-state"]`, "completed", 60*time.Second))
	}
	b.run(t, chromedp.Poll(`!document.querySelector('[data-testid="total-cost"]').textContent.includes('so far')`, nil,
		chromedp.WithPollingTimeout(10*time.Second)))
	var total string
	b.run(t, text(`[data-testid="total-cost"]`, &total))
	if !strings.Contains(total, "$") {
		t.Errorf("total cost %q", total)
	}

	// Diff pane 1 (temperature 0) with pane 3 (1.4).
	b.run(t,
		pick(`[data-testid="diff-b"]`, "2"),
		waitText(`[data-testid="diff-params"]`, "temperature"),
		chromedp.WaitVisible(`[data-testid="diff-ins"]`, chromedp.ByQuery),
	)
	var params string
	b.run(t, text(`[data-testid="diff-params"]`, &params))
	if !strings.Contains(params, "1.4") {
		t.Errorf("differing parameters: %q", params)
	}
	b.run(t,
		chromedp.Click(`[data-testid="diff-only"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="diff-ins"]`, chromedp.ByQuery),
	)

	// The comparison's runs are in the history; open pane 2's.
	var answer2 string
	b.run(t, text(`[data-testid="pane-run-2"] [data-testid="answer"]`, &answer2))
	b.run(t,
		chromedp.Click(`[data-testid="pane-run-2"] [data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		waitText(`[data-testid="record-status"]`, "completed"),
		waitText(`[data-testid="record-params"]`, "0.7"),
	)
	var recordAnswer, recordCurl, runURL string
	b.run(t, text(`[data-testid="record-answer"]`, &recordAnswer), text(`[data-testid="record-curl"]`, &recordCurl), chromedp.Location(&runURL))
	if strings.TrimSpace(recordAnswer) != strings.TrimSpace(answer2) {
		t.Errorf("the stored answer differs from the streamed one:\n%q\n%q", recordAnswer, answer2)
	}
	b.run(t,
		chromedp.Navigate(base+"/history"),
		chromedp.WaitVisible(`[data-testid="history-table"]`, chromedp.ByQuery),
		waitText(`[data-testid="history-count"]`, "3 runs"),
		chromedp.Navigate(base+"/history?q=nothing-like-this"),
		waitText(`[data-testid="history-empty"]`, "No run matches"),
	)

	// Share it, then open the link in a fresh browser (no session).
	b.run(t,
		chromedp.Navigate(runURL),
		chromedp.WaitVisible(`[data-testid="share"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="share"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share-url"]`, chromedp.ByQuery),
	)
	var link string
	b.run(t, text(`[data-testid="share-url"]`, &link))
	if !strings.HasPrefix(link, base+"/share/") || len(link) < len(base)+len("/share/")+20 {
		t.Fatalf("share link %q", link)
	}
	fresh := newBrowser(t)
	var html, sharedAnswer string
	fresh.run(t,
		chromedp.Navigate(link),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		text(`[data-testid="record-answer"]`, &sharedAnswer),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
	)
	if strings.TrimSpace(sharedAnswer) != strings.TrimSpace(answer2) || !strings.Contains(html, "0.7") || !strings.Contains(html, "$SIMULATOR_API_KEY") {
		t.Errorf("the shared page lacks the run: %q", sharedAnswer)
	}
	if strings.Contains(html, draft.SimulatorKey) || strings.Contains(html, `data-testid="replay"`) || strings.Contains(html, `data-testid="delete"`) {
		t.Error("the shared page shows the key or the owner's actions")
	}

	// Reopen into the playground: same values, same curl.
	b.run(t,
		chromedp.Click(`[data-testid="replay"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"temperature": 0.7`),
	)
	var playCurl, temp string
	b.run(t, text(`[data-testid="curl"]`, &playCurl), chromedp.Value(`#f-temperature`, &temp, chromedp.ByQuery))
	if playCurl != recordCurl || temp != "0.7" {
		t.Errorf("replay: temperature %q, curl\n%s\nwant\n%s", temp, playCurl, recordCurl)
	}

	// Revoke: the link stops working.
	b.run(t,
		chromedp.Navigate(runURL),
		chromedp.WaitVisible(`[data-testid="unshare"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="unshare"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share"]`, chromedp.ByQuery),
	)
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "revoked") {
		t.Errorf("a revoked link answered %d", resp.StatusCode)
	}
	b.noScriptErrors(t)
	fresh.noScriptErrors(t)
}
