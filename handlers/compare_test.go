package handlers

import (
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
)

func TestGroupEventID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"", ""},
		{"0:3,1:0,2:17", "0:3,1:0,2:17"},
		{"2:5,0:1", "0:1,2:5"},
		{"0:x,1:-2,9:4,-1:3,junk,3:7", "3:7"},
	} {
		if got := groupID(parseGroupID(tc.in)); got != tc.want {
			t.Errorf("parseGroupID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzParseGroupID: any Last-Event-ID a browser sends reads without panic
// into panes within range, and its canonical form reads back the same.
func FuzzParseGroupID(f *testing.F) {
	f.Add("0:3,1:0,2:17")
	f.Add(",,:,1:")
	f.Fuzz(func(t *testing.T, s string) {
		m := parseGroupID(s)
		for p, n := range m {
			if p < 0 || p >= 6 || n < 0 {
				t.Fatalf("%q gave pane %d at %d", s, p, n)
			}
		}
		if again := groupID(parseGroupID(groupID(m))); again != groupID(m) {
			t.Fatalf("%q: %q then %q", s, groupID(m), again)
		}
	})
}

// TestComparisonTitle: a sweep field picked but never swept adds nothing
// to the title (it read "model: stream ,").
func TestComparisonTitle(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := cat.Model("sim", "seed001.gpt-5.4")
	if !ok {
		t.Fatal("no simulator model")
	}
	pane := func(v string) compare.Resolved {
		r := compare.Resolved{Draft: draft.Result{Model: m}}
		if v != "" {
			r.Pane.Overrides = map[string]string{"temperature": v}
		}
		return r
	}
	if got := comparisonTitle(compare.Layout{SweepField: "stream"}, []compare.Resolved{pane(""), pane("")}); got != m.Label() {
		t.Errorf("unswept: %q", got)
	}
	if got, want := comparisonTitle(compare.Layout{SweepField: "temperature"}, []compare.Resolved{pane("0"), pane("1")}), m.Label()+": temperature 0, 1"; got != want {
		t.Errorf("swept: %q, want %q", got, want)
	}
}
