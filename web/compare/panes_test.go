package compare

import (
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/problem"
)

// TestDiffPanes: two panes picked by their numbers are diffed and a
// note says when they are the same pane or still running; a pane that
// is not there asks for two; a busy differ says to retry.
func TestDiffPanes(t *testing.T) {
	d := NewDiffer(DiffConfig{})
	runs := []PaneRun{{Pane: 0, Text: "the cat sat"}, {Pane: 1, Text: "the dog sat", Running: true}}
	for _, c := range []struct {
		a, b   string
		picked bool
		note   string
	}{
		{"0", "1", true, "Still running: pane 2; this diff is of the output so far."},
		{"0", "0", true, "That is the same pane twice."},
		{"0", "7", false, ""},
		{"x", "1", false, ""},
	} {
		pd, err := d.Panes("c1", runs, c.a, c.b)
		if err != nil || pd.Picked != c.picked || pd.Note != c.note {
			t.Errorf("%s/%s: picked %v note %q err %v", c.a, c.b, pd.Picked, pd.Note, err)
		}
		if c.picked && c.a != c.b && !Changed(pd.Words.Segments) {
			t.Errorf("%s/%s: no change found", c.a, c.b)
		}
	}
	busy := NewDiffer(DiffConfig{AtOnce: 1})
	busy.sem <- struct{}{} // the one slot taken
	_, err := busy.Panes("c2", runs, "0", "1")
	if p := problem.Of(err); p.Kind != problem.KindUnavailable || p.RetryAfter == 0 || !strings.Contains(p.Message, "diff") {
		t.Errorf("busy: %+v", p)
	}
}
