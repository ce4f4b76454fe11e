package views

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/structured"
)

// TestHistorySumsExactCosts: a thousand runs of $0.000001 each, stored in
// the history and read back, add up to $0.001 exactly on the comparison's
// page (float64 amounts, as stored before, did not: 1e-6 has no exact
// binary form).
func TestHistorySumsExactCosts(t *testing.T) {
	ctx := context.Background()
	s, err := history.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c := history.Comparison{ID: history.NewID(), Created: now, Title: "a thousand runs"}
	if err := s.CreateComparison(ctx, "alice", c); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	micro := big.NewRat(1, 1_000_000)
	var b history.Batch
	for i := range n {
		id := "r" + strconv.Itoa(i)
		e := history.Entry{ID: id, Created: now.Add(time.Duration(i) * time.Millisecond), Provider: "sim", ProviderName: "Sim",
			Model: "m", ModelLabel: "m", Style: "chat", Status: run.Running, Prompt: "hi", GroupID: c.ID, Pane: i}
		b.Inserts = append(b.Inserts, history.InsertItem{Owner: "alice", Entry: e})
		rec := run.Record{State: run.Completed, Ended: e.Created.Add(time.Second)}
		rec.Outcome.State = run.Completed
		rec.Outcome.Cost.Known, rec.Outcome.Cost.Currency, rec.Outcome.Cost.Total = true, "USD", run.NewAmount(micro)
		b.Finishes = append(b.Finishes, history.FinishItem{ID: id, Prompt: "hi", Record: rec})
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.Comparison(ctx, "alice", c.ID)
	if err != nil || len(got.Runs) != n {
		t.Fatalf("%d runs read back, %v", len(got.Runs), err)
	}
	var sums []*run.Outcome
	for _, e := range got.Runs {
		sums = append(sums, e.Outcome)
	}
	byCur, _, unpriced := SumCosts(sums)
	if want := big.NewRat(1, 1000); unpriced != 0 || byCur["USD"] == nil || byCur["USD"].Cmp(want) != 0 {
		t.Fatalf("sum %v (%d unpriced), want exactly %v", byCur["USD"], unpriced, want)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := ComparisonPageView(NewComparisonPage(cat, got, false, "", "")).Render(ctx, &html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), `data-testid="comparison-total">$0.001<`) {
		i := strings.Index(html.String(), "comparison-total")
		t.Fatalf("the page's total is not $0.001: %.120s", html.String()[max(i, 0):])
	}
}

// TestOldRowsCostAsBefore: a row stored before the exact amounts were
// (float64 amount and credits_amount only) is read and added up as before.
func TestOldRowsCostAsBefore(t *testing.T) {
	var old run.Outcome
	if err := json.Unmarshal([]byte(`{"state":"completed","cost":{"known":true,"total":"$0.50","credits":"2 credits","amount":0.5,"currency":"USD","credits_amount":2}}`), &old); err != nil {
		t.Fatal(err)
	}
	if got := costLine(&old); got != "$0.50 · 2 credits" {
		t.Errorf("cost line %q", got)
	}
	if got := TotalCost([]*run.Outcome{&old, &old}); got != "$1.00 · 4 credits" {
		t.Errorf("total %q", got)
	}
}

// TestDoneEventCarriesTheRecordMetrics: the done event the live panel gets
// holds, rendered and escaped, the metrics the history page shows for the
// same outcome, beside the fields it had.
func TestDoneEventCarriesTheRecordMetrics(t *testing.T) {
	var o run.Outcome
	o.State, o.Finish = run.Completed, []string{"<b>stop</b>"}
	o.Usage.Input, o.Usage.Cached, o.Usage.Output, o.Usage.Reasoning = 1200, 1024, 438, 77
	o.Cost.Known, o.Cost.Currency, o.Cost.Total = true, "USD", run.NewAmount(big.NewRat(33, 20000))
	o.Durations.TTFB, o.Durations.Total = 12400*time.Microsecond, 1500*time.Millisecond
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		State       string `json:"state"`
		MetricsHTML string `json:"metrics_html"`
		Reasoning   string `json:"reasoning_count"`
		Cost        struct {
			Total string `json:"total"`
		} `json:"cost"`
	}
	if err := json.Unmarshal(DoneEvent(data), &ev); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := RunMetrics(OutcomeMetrics(&o)).Render(context.Background(), &want); err != nil {
		t.Fatal(err)
	}
	if ev.State != "completed" || ev.Cost.Total != "0.00165" || ev.MetricsHTML != want.String() || ev.Reasoning != "77 tokens" {
		t.Fatalf("done event %+v, want metrics %q", ev, want.String())
	}
	for _, line := range []string{
		`data-testid="metric-tokens-in">1200 (1024 cached)<`,
		`data-testid="metric-tokens-out">438 (77 reasoning)<`,
		`data-testid="metric-cost">$0.00165<`,
		`data-testid="metric-ttfb">12 ms<`,
		`data-testid="metric-speed">—<`,
		`&lt;b&gt;stop&lt;/b&gt;`,
	} {
		if !strings.Contains(ev.MetricsHTML, line) {
			t.Errorf("no %s in %s", line, ev.MetricsHTML)
		}
	}
	if got := DoneEvent([]byte("not json")); string(got) != "not json" {
		t.Errorf("an unreadable event became %q", got)
	}
}

// TestCostIsWrittenFromTheExactAmount: a stored outcome's money is
// formatted from its exact amounts (the outcome holds no written figure).
func TestCostIsWrittenFromTheExactAmount(t *testing.T) {
	var o run.Outcome
	o.Cost.Known, o.Cost.Currency = true, "EUR"
	o.Cost.Total = run.NewAmount(big.NewRat(1, 3))
	o.Cost.Credits = run.NewAmount(big.NewRat(1, 1))
	o.Cost.Audio = run.NewAmount(big.NewRat(1, 8))
	o.Usage.AudioOutput = 5
	got := map[string]string{}
	for _, kv := range OutcomeMetrics(&o) {
		got[kv.Key] = kv.Value
	}
	if got["Cost"] != "€0.333333 · 1 credit" || got["Audio"] != "€0.125 of it for 0 audio tokens in, 5 out" {
		t.Errorf("cost %q, audio %q", got["Cost"], got["Audio"])
	}
}

// TestChecksLiveAndStored: the done event's checks are the boxes the
// history page shows for the same run (their test ids aside), worded as
// "Choice 1: JSON schema “weather”: fail" with the failing paths.
func TestChecksLiveAndStored(t *testing.T) {
	var o run.Outcome
	o.State = run.Completed
	o.Checks = []structured.Result{{Mode: "json_schema", Name: "weather", Valid: true},
		{Mode: "json_schema", Name: "weather", Failures: []structured.Failure{{Path: "/city", Message: "<too long>"}, {Message: "not JSON"}}}}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		ChecksHTML string `json:"checks_html"`
	}
	if err := json.Unmarshal(DoneEvent(data), &ev); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Choice 0: JSON schema “weather”: pass`, `Choice 1: JSON schema “weather”: fail`,
		`<li data-testid="check-failure"><code>/city</code> &lt;too long&gt;</li>`, `<code>(the whole answer)</code> not JSON`} {
		if !strings.Contains(ev.ChecksHTML, want) {
			t.Errorf("no %s in %s", want, ev.ChecksHTML)
		}
	}
	var page bytes.Buffer
	e := history.Entry{ID: "r1", Status: "completed", Outcome: &o}
	if err := RunRecordPageView(RunRecordPage{Run: NewRunRecord(e, nil, false, "")}).Render(context.Background(), &page); err != nil {
		t.Fatal(err)
	}
	if live := strings.ReplaceAll(ev.ChecksHTML, `"schema-check"`, `"record-check"`); live == "" || !strings.Contains(page.String(), live) {
		t.Errorf("the history page's checks are not the live panel's:\n%s", live)
	}
}

// TestSpeed: the speed is output tokens over generation time (first token
// to the end of a streamed run), to one decimal; where there is no
// generation time (a run not streamed, or polled, or with fewer than two
// deltas) or no output, it is "—".
func TestSpeed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		output     int
		generation time.Duration
		want       string
	}{
		{"streamed", 438, 10550 * time.Millisecond, "41.5 tok/s"},
		{"cut to a tenth, not rounded", 2, 3 * time.Second, "0.6 tok/s"},
		{"whole", 100, 2 * time.Second, "50 tok/s"},
		{"fast", 1000, 250 * time.Millisecond, "4000 tok/s"},
		{"an older row's 41.5 read back", 438, time.Duration(math.Round(438 / 41.5 * float64(time.Second))), "41.5 tok/s"},
		{"not streamed, polled or one delta", 438, 0, "—"},
		{"no output", 0, time.Second, "—"},
		// The whole answer in a burst: 121 tokens over 0.67 ms.
		{"arrived at once", 121, 670 * time.Microsecond, "— (arrived at once)"},
	} {
		if got := Speed(tc.output, tc.generation); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		o := run.Outcome{Usage: run.Usage{Output: tc.output}, Durations: run.Durations{Generation: tc.generation}}
		for _, kv := range OutcomeMetrics(&o) {
			if kv.Key == "Speed" && kv.Value != tc.want {
				t.Errorf("%s: the Speed row %q, want %q", tc.name, kv.Value, tc.want)
			}
		}
	}
}
