package compare_test

import (
	"github.com/playground-dev/playground/web/form"
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
		if got := compare.GroupID(compare.ParseGroupID(tc.in)); got != tc.want {
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
		m := compare.ParseGroupID(s)
		for p, n := range m {
			if p < 0 || p >= 6 || n < 0 {
				t.Fatalf("%q gave pane %d at %d", s, p, n)
			}
		}
		if again := compare.GroupID(compare.ParseGroupID(compare.GroupID(m))); again != compare.GroupID(m) {
			t.Fatalf("%q: %q then %q", s, compare.GroupID(m), again)
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
			r.Pane.Overrides = map[string]form.Input{"temperature": form.Text(v)}
		}
		return r
	}
	if got := compare.Title(compare.Layout{SweepField: "stream"}, []compare.Resolved{pane(""), pane("")}); got != m.Label() {
		t.Errorf("unswept: %q", got)
	}
	if got, want := compare.Title(compare.Layout{SweepField: "temperature"}, []compare.Resolved{pane("0"), pane("1")}), m.Label()+": temperature 0, 1"; got != want {
		t.Errorf("swept: %q, want %q", got, want)
	}
}

// TestRecordReadsBack: a comparison's stored record (the shape rows kept
// before the service existed: {"base":…,"layout":…}) reads back, and one
// without panes cannot be forked.
func TestRecordReadsBack(t *testing.T) {
	l := compare.Layout{Panes: []compare.Pane{{Provider: "sim", Model: "a"}, {Provider: "sim", Model: "b", Overrides: map[string]form.Input{"temperature": form.Text("1")}}}}
	rec := compare.Record{ID: "not stored", Base: compare.Base{Provider: "sim", Model: "a"}, Layout: l}
	got, err := compare.ReadRecord(rec.JSON())
	if err != nil || got.Base.Model != "a" || len(got.Layout.Panes) != 2 || got.Layout.Panes[1].Overrides["temperature"].String() != "1" || got.ID != "" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	old := `{"base":{"provider":"sim","model":"a","form":{"temperature":["0.5"]}},"layout":{"panes":[{"provider":"sim","model":"a"},{"provider":"sim","model":"b"}]}}`
	if got, err := compare.ReadRecord([]byte(old)); err != nil || got.Base.Form.Text("temperature") != "0.5" {
		t.Fatalf("old record: %+v, %v", got, err)
	}
	old = `{"base":{"provider":"sim","model":"a","form":{}},"layout":{"panes":[{"provider":"sim","model":"a"},{"provider":"sim","model":"b","overrides":{"temperature":"1"}}]}}`
	if got, err := compare.ReadRecord([]byte(old)); err != nil || got.Layout.Panes[1].Overrides["temperature"].Text != "1" {
		t.Fatalf("old record with overrides: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "{}", `{"layout":{"panes":[{"provider":"sim"}]}}`} {
		if _, err := compare.ReadRecord([]byte(bad)); err != compare.ErrNotKept {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
