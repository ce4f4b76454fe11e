package handlers

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
)

// TestLiveOutcomeIsTheHistorys: the done event of each pane carries the
// metrics the history page shows for that run, rendered, and the last
// one the comparison's total the history page shows.
func TestLiveOutcomeIsTheHistorys(t *testing.T) {
	app := simApp(t)
	m, body := runTwoPanes(t, app)
	if !strings.Contains(body, `data-testid="total-cost">`) || strings.Contains(body, `data-testid="total-cost">…<`) {
		t.Errorf("the total is not written with the panes:\n%.2000s", body)
	}
	_, events := get(t, app, "/compare/"+m[1]+"/events")
	var metrics []string
	total := ""
	for _, line := range strings.Split(events, "\n") {
		if !strings.HasPrefix(line, `data: {"p":`) {
			continue
		}
		var ev struct {
			D struct {
				State       string `json:"state"`
				MetricsHTML string `json:"metrics_html"`
			} `json:"d"`
			Total *string `json:"total"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Total == nil {
			continue
		}
		if ev.D.MetricsHTML == "" {
			t.Fatalf("a done event without its metrics: %s", line)
		}
		metrics = append(metrics, ev.D.MetricsHTML)
		total = *ev.Total
	}
	if len(metrics) != 2 || total == "" || strings.Contains(total, "so far") {
		t.Fatalf("%d done events, last total %q:\n%.2000s", len(metrics), total, events)
	}
	_, page := get(t, app, "/history/comparisons/"+m[1])
	if want := `data-testid="comparison-total">` + html.EscapeString(total) + `<`; !strings.Contains(page, want) {
		t.Errorf("the live total %q is not the history's", total)
	}
	for _, mh := range metrics {
		if !strings.Contains(page, `<dl class="metrics" data-testid="record-metrics">`+mh+`</dl>`) {
			t.Errorf("live metrics not on the history page: %s", mh)
		}
	}
}
