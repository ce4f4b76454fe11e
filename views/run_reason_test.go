package views

import (
	"bytes"
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// TestRunRecordFinish: the history page's Finish row says, as the live
// panel does (the same OutcomeMetrics), the finish reasons, whether
// the answer was cut off and why the run ended so, in one bracket.
func TestRunRecordFinish(t *testing.T) {
	const refused = "the background response may still run: the provider answered the cancel with 404"
	const cut = "the provider's connection was cut after 9 events: unexpected EOF"
	for _, tc := range []struct {
		name      string
		finish    []string
		truncated bool
		reason    string
		want      string
	}{
		{"stopped, cancel refused", nil, false, refused, "— (" + refused + ")"},
		{"cut with a reason", nil, true, cut, "— (cut off: " + cut + ")"},
		{"cut after a finish", []string{"length"}, true, "", "length (cut off)"},
		{"completed", []string{"stop", "length"}, false, "", "stop, length"},
		{"nothing", nil, false, "", ""},
	} {
		e := history.Entry{Status: "stopped", Outcome: &run.Outcome{Finish: tc.finish, Truncated: tc.truncated, Reason: tc.reason}}
		got := ""
		for _, kv := range NewRunRecord(e, nil, false, "").Metrics {
			switch kv.Key {
			case "Finish":
				got = kv.Value
			case "Reason":
				t.Errorf("%s: a Reason row apart from Finish (the live panel has none)", tc.name)
			}
		}
		if got != tc.want {
			t.Errorf("%s: Finish %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRunRecordMetricsMatchLive: a stored run's page shows every line the
// live panel shows (its done event carries the same rows rendered), worded the same: the
// cached and reasoning tokens and the audio part of the cost, also on a
// comparison's panes.
func TestRunRecordMetricsMatchLive(t *testing.T) {
	s := &run.Outcome{State: run.Completed, Finish: []string{"stop"}}
	s.Usage.Input, s.Usage.Cached, s.Usage.Output, s.Usage.Reasoning = 1200, 1024, 438, 77
	s.Usage.AudioOutput = 240
	s.Cost.Known, s.Cost.Currency, s.Cost.AudioAtTextPrice = true, "USD", true
	s.Cost.Total, s.Cost.Audio = run.NewAmount(big.NewRat(123, 10000)), run.NewAmount(big.NewRat(24, 10000))
	s.Cost.ProviderCost = run.NewAmount(big.NewRat(99, 10000))
	// 438 tokens over 10.55 s of generation: 41.5 tokens a second.
	s.Durations = run.Durations{TTFB: 212400 * time.Microsecond, TTFT: 300600 * time.Microsecond, Total: 2345 * time.Millisecond,
		Generation: 10550 * time.Millisecond}
	e := history.Entry{ID: "r1", Status: "completed", Outcome: s}
	want := []KV{
		{"TTFB", "212 ms"},
		{"TTFT", "301 ms"},
		{"Total", "2.35 s"},
		{"Speed", "41.5 tok/s"},
		{"Tokens in", "1200 (1024 cached)"},
		{"Tokens out", "438 (77 reasoning)"},
		{"Finish", "stop"},
		{"Cost", "$0.0123"},
		{"Audio", "$0.0024 of it for 0 audio tokens in, 240 out (no audio price: billed at the text price)"},
		{"Provider cost", "$0.0099"},
	}
	got := NewRunRecord(e, nil, false, "").Metrics
	if len(got) != len(want) {
		t.Fatalf("metrics %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("metric %d: %q, want %q", i, got[i], want[i])
		}
	}
	var buf bytes.Buffer
	if err := RunRecordPageView(RunRecordPage{Run: NewRunRecord(e, nil, false, "")}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	cmp := NewComparisonPage(cat, history.Comparison{ID: "c1", Runs: []history.Entry{e}}, true, "", "")
	if err := ComparisonPageView(cmp).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, line := range []string{
		`data-testid="metric-tokens-in">1200 (1024 cached)<`,
		`data-testid="metric-tokens-out">438 (77 reasoning)<`,
		`data-testid="metric-audio">$0.0024 of it for 0 audio tokens in, 240 out (no audio price: billed at the text price)<`,
	} {
		if n := strings.Count(html, line); n != 2 {
			t.Errorf("%d times %s in the run's and the comparison's pages, want 2", n, line)
		}
	}
}
