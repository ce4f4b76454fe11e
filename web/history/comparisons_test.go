package history

import "testing"

func TestComparisonPane(t *testing.T) {
	c := Comparison{Runs: []Entry{{ID: "a", Pane: 1}, {ID: "b", Pane: 0}}}
	for i, want := range map[int]string{0: "b", 1: "a", 2: ""} {
		if e, ok := c.Pane(i); e.ID != want || ok != (want != "") {
			t.Errorf("pane %d: %q %v, want %q", i, e.ID, ok, want)
		}
	}
}
