package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// experimentCases are five cases pasted from a spreadsheet (TSV); the
// fourth asks the simulator for a server error, so its cells fail.
const experimentCases = "city\tstyle\nParis\tshort\nLisbon\tplain\nKyoto\tshort\n[[fault:500]] Nairobi\tplain\nQuito\tshort\n"

const experimentChecks = `- type: contains
  values: ["{{city}}", "the"]
  match: any
- type: json-schema
  schema: {type: object}
`

// gridState is the grid's cells by state, as "running,done,total".
const gridState = `(() => {
	const cells = [...document.querySelectorAll('[data-testid="experiment-cell"]')];
	const done = cells.filter(c => ['pass', 'fail', 'error'].includes(c.dataset.state)).length;
	return [cells.filter(c => c.dataset.state === 'running').length, done, cells.length].join(',');
})()`

// TestBrowserExperiment is the experiment page end to end on the
// simulator: a prompt with two variables, three panes sweeping the
// temperature, five cases pasted as TSV, two repeats, a contains and a
// JSON-schema check. The grid fills in while the runs stream, the panes'
// pass rates and agreement show, a failed cell is retried alone, and the
// experiment exported and imported into a fresh session gives a grid of
// the same shape.
func TestBrowserExperiment(t *testing.T) {
	srv := startTestServer(t, nil, "--sim-ttft", "150ms", "--sim-tps", "40")
	base := srv.URL
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.Log.String())
		}
	})
	b := newBrowserWithin(t, 5*time.Minute)
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		pick(`#model`, "seed001.gpt-5.4"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4"`),
		chromedp.Navigate(base+"/compare"),
		chromedp.WaitVisible(`[data-testid="compare-form"]`, chromedp.ByQuery),
		setValue(`#compare-form [data-testid="message-content"]`, "Tell me {{style}} facts about {{city}}."),
		pick(`#sweep-field`, "temperature"),
		typeInto(`#sweep-values`, "0, 0.7, 1.4"),
		chromedp.Click(`[data-testid="sweep-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="pane-3"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl-3"]`, `"temperature": 1.4`),
		chromedp.Click(`[data-testid="experiment-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="experiment-form"]`, chromedp.ByQuery),
		waitText(`[data-testid="experiment-vars"]`, "style"),
		waitText(`[data-testid="experiment-vars"]`, "city"),
		waitText(`[data-testid="experiment-panes"]`, "temperature=1.4"),
	)
	// A bad value is refused beside its field, and nothing typed is lost.
	b.run(t,
		setValue(`#experiment-cases`, "town\nParis\n"),
		waitText(`[data-testid="error-cases"]`, "city"),
		setValue(`#experiment-cases`, experimentCases),
		setValue(`#experiment-checks`, experimentChecks),
		setValue(`[data-testid="experiment-repeats"]`, "11"),
		waitText(`[data-testid="error-repeats"]`, "1 to 10"),
	)
	var cases string
	b.run(t, chromedp.Value(`#experiment-cases`, &cases, chromedp.ByQuery))
	if cases != experimentCases {
		t.Fatalf("the case table was changed: %q", cases)
	}
	b.run(t,
		setValue(`[data-testid="experiment-repeats"]`, "2"),
		// The form previews on change and again 500 ms after typing
		// stops; the button is clicked once both have answered.
		chromedp.Sleep(700*time.Millisecond),
		htmxSettled(),
		waitText(`[data-testid="experiment-plan"]`, "30 runs"),
		waitText(`[data-testid="experiment-plan"]`, "5 cases × 3 panes × 2 repeats"),
		chromedp.Click(`[data-testid="run-experiment"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="experiment-grid"]`, chromedp.ByQuery),
	)
	// The grid fills in while the runs stream: some cells done, some
	// streaming, at the same time, and a streaming cell shows its answer
	// so far.
	b.run(t, chromedp.Poll(`(() => { const [r, d, n] = `+gridState+`.split(',').map(Number); return n === 30 && r > 0 && d > 0 && d < n; })()`,
		nil, chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	b.run(t, chromedp.Poll(`[...document.querySelectorAll('[data-state="running"] [data-testid="cell-partial"]')].some(e => e.textContent.trim().length > 10)`,
		nil, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	checkLayout(t, b, "experiment running")
	b.run(t,
		chromedp.Poll(`document.querySelector('[data-testid="experiment-grid"]').dataset.running === 'false'`, nil, chromedp.WithPollingTimeout(120*time.Second)),
		waitText(`[data-testid="experiment-counts"]`, "30 of 30 done"),
		waitText(`[data-testid="experiment-verdict"]`, "FAILED"),
	)
	var rates, agreement []string
	b.run(t,
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="pane-pass-rate"]')].map(e => e.textContent)`, &rates),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="pane-agreement"]')].map(e => e.textContent)`, &agreement),
	)
	if len(rates) != 3 || len(agreement) != 3 {
		t.Fatalf("pane statistics: %q %q", rates, agreement)
	}
	for i := range rates {
		// Over the 8 cells answered; the 2 server errors are apart.
		if !strings.Contains(rates[i], "0 % (0/8)") || !strings.Contains(rates[i], "2 no answer") || !strings.Contains(agreement[i], "of 4 cases") {
			t.Errorf("pane %d: pass rate %q, agreement %q", i+1, rates[i], agreement[i])
		}
	}
	// The panes' statistics are a table from 640 px up and a card per
	// pane below; each is seen at its width.
	const visible = `[...document.querySelectorAll('[data-testid="%s"]')].filter(e => e.getClientRects().length > 0).length`
	var rows, cards int
	b.run(t,
		chromedp.EmulateViewport(390, 844),
		chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Evaluate(fmt.Sprintf(visible, "pane-card"), &cards),
		chromedp.Evaluate(fmt.Sprintf(visible, "pane-stats"), &rows),
	)
	if cards != 3 || rows != 0 {
		t.Errorf("at 390 px: %d pane cards and %d table rows seen, want 3 and 0", cards, rows)
	}
	b.run(t,
		chromedp.EmulateViewport(1400, 1000),
		chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Evaluate(fmt.Sprintf(visible, "pane-card"), &cards),
		chromedp.Evaluate(fmt.Sprintf(visible, "pane-stats"), &rows),
	)
	if cards != 0 || rows != 3 {
		t.Errorf("at 1400 px: %d pane cards and %d table rows seen, want 0 and 3", cards, rows)
	}
	// The failing case (the server error) is all that "failed only" shows
	// when the JSON-schema check is what fails the others too: every case
	// fails here, so the filter keeps five; "disagreeing only" keeps those
	// whose repeats differ.
	b.run(t,
		htmxSettled(),
		chromedp.Click(`[data-testid="filter-failed"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="filter-failed"][aria-pressed="true"]`, chromedp.ByQuery),
		waitText(`[data-testid="cases-shown"]`, "5 cases"),
		chromedp.Click(`[data-testid="filter-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="filter-all"][aria-pressed="true"]`, chromedp.ByQuery),
		waitText(`[data-testid="cases-shown"]`, "5 cases"),
		htmxSettled(),
	)
	// Slowest first: the case whose cells failed at once comes last; the
	// order holds while filtering, and back to the table's order.
	lastCase := `[...document.querySelectorAll('[data-testid="experiment-case"] h3')].map(h => h.textContent).pop()`
	var last string
	b.run(t,
		pick(`[data-testid="grid-sort"]`, "slowest"),
		chromedp.Poll(`!!document.querySelector('[data-testid="grid-sort"] option[value="slowest"][selected]')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		htmxSettled(),
		chromedp.Evaluate(lastCase, &last),
	)
	if !strings.Contains(last, "Nairobi") {
		t.Errorf("slowest first: the last case is %q", last)
	}
	b.run(t,
		chromedp.Click(`[data-testid="filter-failed"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="filter-failed"][aria-pressed="true"]`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Evaluate(lastCase, &last),
	)
	if !strings.Contains(last, "Nairobi") {
		t.Errorf("slowest first, failed only: the last case is %q", last)
	}
	b.run(t,
		pick(`[data-testid="grid-sort"]`, ""),
		chromedp.Poll(`!!document.querySelector('[data-testid="grid-sort"] option[value=""][selected]')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(`[data-testid="filter-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="filter-all"][aria-pressed="true"]`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Evaluate(lastCase, &last),
	)
	if !strings.Contains(last, "Quito") {
		t.Errorf("table order: the last case is %q", last)
	}
	// A failed cell is retried alone: a new run, the others unchanged.
	const errorCell = `[data-testid="experiment-cell"][data-state="error"]`
	var before string
	b.run(t, chromedp.AttributeValue(errorCell+` [data-testid="cell-open"]`, "href", &before, nil, chromedp.ByQuery))
	b.run(t,
		chromedp.Click(errorCell+` [data-testid="cell-retry"]`, chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`(() => { const a = [...document.querySelectorAll('[data-testid="cell-open"]')].map(e => e.getAttribute('href')); return !a.includes(%q) && document.querySelector('[data-testid="experiment-grid"]').dataset.running === 'false'; })()`, before),
			nil, chromedp.WithPollingTimeout(30*time.Second)),
		waitText(`[data-testid="experiment-counts"]`, "30 of 30 done"),
	)
	// Blind comparison: a vote gives win rates.
	b.run(t,
		chromedp.WaitVisible(`[data-testid="blind-a"]`, chromedp.ByQuery),
		htmxSettled(),
		chromedp.Click(`[data-testid="vote-a"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="win-rates"]`, chromedp.ByQuery),
		waitText(`[data-testid="experiment-blind"]`, "1 vote so far"),
	)
	checkLayout(t, b, "experiment done")

	// The history keeps it: the same grid, read-only, and a share link.
	b.run(t,
		chromedp.Navigate(base+"/history"),
		chromedp.WaitVisible(`[data-testid="experiment-record-link"]`, chromedp.ByQuery),
		waitText(`[data-testid="experiment-record-summary"]`, "FAILED: 0 of 30 cells passed"),
	)
	checkLayout(t, b, "history with experiment")
	b.run(t,
		chromedp.Click(`[data-testid="experiment-record-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="experiment-record"]`, chromedp.ByQuery),
		waitText(`[data-testid="experiment-counts"]`, "30 of 30 done"),
		waitText(`[data-testid="experiment-blind"]`, "1 vote so far"),
	)
	if got := gridShape(t, b); got != "[5 15 30 3]" {
		t.Errorf("the kept experiment's grid: %s, want [5 15 30 3]", got)
	}
	checkLayout(t, b, "experiment record")
	var shared string
	b.run(t,
		chromedp.Click(`[data-testid="share-experiment"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share-url"]`, chromedp.ByQuery),
		text(`[data-testid="share-url"]`, &shared),
	)

	// Export, then import into a fresh session: the same grid's shape.
	var exported string
	b.run(t, chromedp.Evaluate(`fetch('/experiment/export.yaml').then(r => r.text())`, &exported, awaitPromise))
	for _, want := range []string{"{{city}}", "temperature: 1.4", "repeats: 2", "json-schema", "Nairobi"} {
		if !strings.Contains(exported, want) {
			t.Fatalf("the export lacks %q:\n%s", want, exported)
		}
	}
	file := filepath.Join(t.TempDir(), "experiment.yaml")
	if err := os.WriteFile(file, []byte(exported), 0o644); err != nil {
		t.Fatal(err)
	}
	b.noScriptErrors(t)

	fresh := newBrowserWithin(t, 3*time.Minute)
	var links int
	fresh.run(t,
		chromedp.Navigate(shared),
		chromedp.WaitVisible(`[data-testid="shared-note"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="cell-open"], [data-testid="cell-retry"], [data-testid="vote-a"]').length`, &links),
	)
	if got := gridShape(t, fresh); got != "[5 15 30 3]" || links != 0 {
		t.Errorf("the shared experiment: grid %s, %d links or buttons", got, links)
	}
	checkLayout(t, fresh, "experiment shared")
	fresh.run(t,
		chromedp.Navigate(base+"/experiment"),
		chromedp.WaitVisible(`[data-testid="experiment-form"]`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`[data-testid="import-file"]`, []string{file}, chromedp.ByQuery),
		waitText(`[data-testid="experiment-plan"]`, "30 runs"),
		waitText(`[data-testid="experiment-panes"]`, "temperature=1.4"),
		// The import swapped the whole form in: htmx must have wired the
		// new button before it is clicked.
		htmxSettled(),
		chromedp.Click(`[data-testid="run-experiment"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="experiment-grid"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('[data-testid="experiment-grid"]').dataset.running === 'false'`, nil, chromedp.WithPollingTimeout(120*time.Second)),
	)
	if got := gridShape(t, fresh); got != "[5 15 30 3]" {
		t.Errorf("the imported experiment's grid: cases, pane cells, cells, panes = %s, want [5 15 30 3]", got)
	}
	fresh.noScriptErrors(t)
}

// gridShape counts the grid's cases, pane cells, cells and pane rows.
func gridShape(t *testing.T, b *browser) string {
	t.Helper()
	var shape []int
	b.run(t, chromedp.Evaluate(`['experiment-case', 'experiment-pane-cells', 'experiment-cell', 'pane-stats'].map(id => document.querySelectorAll('[data-testid="' + id + '"]').length)`, &shape))
	return fmt.Sprint(shape)
}
