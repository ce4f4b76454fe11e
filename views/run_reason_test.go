package views

import (
	"testing"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// TestRunRecordReason: the history page says why a run ended as it did
// (a background cancel the provider refused), once: not again when the
// error already says it.
func TestRunRecordReason(t *testing.T) {
	const refused = "the background response may still run: the provider answered the cancel with 404"
	const cut = "the provider's connection was cut after 12 events: unexpected EOF"
	for _, tc := range []struct {
		name    string
		reason  string
		failure *run.ErrorView
		want    int // Reason rows
	}{
		{"stopped, cancel refused", refused, nil, 1},
		{"interrupted", cut, &run.ErrorView{Message: cut + " (interrupted)", Hint: "Retry."}, 0},
		{"completed", "", nil, 0},
	} {
		e := history.Entry{Status: "stopped", Summary: &run.Summary{Reason: tc.reason}, Failure: tc.failure}
		rows := 0
		for _, kv := range NewRunRecord(e, nil, false, "").Metrics {
			if kv.Key == "Reason" {
				rows++
				if kv.Value != tc.reason {
					t.Errorf("%s: reason %q", tc.name, kv.Value)
				}
			}
		}
		if rows != tc.want {
			t.Errorf("%s: %d Reason rows, want %d", tc.name, rows, tc.want)
		}
	}
}
