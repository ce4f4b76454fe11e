package views

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/structured"
)

// CheckRow is one answer's structured-output check as the live panel and
// the history page show it: "Choice 1: JSON schema “weather”: fail" and
// the failing paths.
type CheckRow struct {
	Valid    bool
	Head     string
	Failures []structured.Failure
}

// CheckRows are a run's checks, one per checked answer.
func CheckRows(checks []structured.Result) []CheckRow {
	rows := make([]CheckRow, 0, len(checks))
	for i, c := range checks {
		head := "JSON object"
		if c.Mode == "json_schema" {
			head = "JSON schema"
			if c.Name != "" {
				head += " “" + c.Name + "”"
			}
		}
		if len(checks) > 1 {
			head = "Choice " + strconv.Itoa(i) + ": " + head
		}
		if c.Valid {
			head += ": pass"
		} else {
			head += ": fail"
		}
		r := CheckRow{Valid: c.Valid, Head: head}
		if !c.Valid {
			r.Failures = c.Failures
		}
		rows = append(rows, r)
	}
	return rows
}

// DoneEvent adds to a run's done event (its Outcome as JSON) the metrics
// rendered as the history page renders them, as "metrics_html": the live
// panel inserts that fragment (escaped templ output) and formats nothing
// itself; with reasoning tokens, "reasoning_count" is their count as the
// reasoning box shows it. An event it cannot read is returned as it is.
func DoneEvent(data []byte) []byte {
	var o run.Outcome
	if len(data) < 2 || data[len(data)-1] != '}' || json.Unmarshal(data, &o) != nil {
		return data
	}
	var metrics, checks bytes.Buffer
	if RunMetrics(OutcomeMetrics(&o)).Render(context.Background(), &metrics) != nil ||
		RunChecks(CheckRows(o.Checks), "schema-check").Render(context.Background(), &checks) != nil {
		return data
	}
	fields := []string{"metrics_html", metrics.String(), "checks_html", checks.String()}
	if o.Usage.Reasoning > 0 {
		// The reasoning box's count, beside its title.
		fields = append(fields, "reasoning_count", Plural(o.Usage.Reasoning, "token", "tokens"))
	}
	return withFields(data, fields...)
}

// GroupTotal is the total cost of a comparison's runs (nil for a pane
// that did not start) as its page shows it while they run: the runs over
// so far added up exactly, and how many are still running.
func GroupTotal(runs []*run.Run) string {
	var outs []*run.Outcome
	panes := 0
	for _, rn := range runs {
		if rn == nil {
			continue
		}
		panes++
		if evs, over, _ := rn.Since(0); over && len(evs) > 0 && evs[len(evs)-1].Name == "done" {
			var o run.Outcome
			if json.Unmarshal(evs[len(evs)-1].Data, &o) == nil {
				outs = append(outs, &o)
			}
		}
	}
	s := TotalCost(outs)
	if s == "" {
		s = "—"
	}
	if len(outs) < panes {
		s += " so far (" + strconv.Itoa(len(outs)) + " of " + strconv.Itoa(panes) + " panes done)"
	}
	return s
}
