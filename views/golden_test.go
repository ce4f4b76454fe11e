package views

import (
	"bytes"
	"context"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/a-h/templ"

	"github.com/playground-dev/playground/web/draft"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/history"
)

// update rewrites the golden pages: go test ./views -run Golden -update
var update = flag.Bool("update", false, "rewrite views/testdata/golden from what the views render now")

// TestGoldenPages renders the main pages from fixed view models and
// compares them byte for byte with views/testdata/golden: a change of
// markup shows in review as a change of these files. After a deliberate
// change, rewrite them with -update and read the diff.
func TestGoldenPages(t *testing.T) {
	svc := drafts(t)
	p, m := chatModel(t, svc)
	form := url.Values{"messages.role": {"system", "user"}, "messages.content": {"Be brief.", "Hello"}}
	bad := url.Values{"messages.role": {"user"}, "messages.content": {"Hello"}, "temperature": {"9"}}
	workspace := func(f url.Values) Page {
		r := svc.Prepare(draft.Input{Provider: p.ID, Model: m.ID, Form: formpkg.Decode(f)})
		return Page{Title: "Playground", Workspace: NewWorkspace(svc.Catalog, r, svc.KeySource)}
	}
	e, failed := sampleEntries(p, m, "One **bold**")
	rows := NewHistoryRows([]history.Entry{e, failed})
	for name, c := range map[string]templ.Component{
		"playground":             PlaygroundPage(workspace(form)),
		"playground-field-error": PlaygroundPage(workspace(bad)),
		"run-record":             RunRecordPageView(RunRecordPage{Title: "Run", Run: NewRunRecord(e, m, false, "")}),
		"run-record-failed":      RunRecordPageView(RunRecordPage{Title: "Run", Run: NewRunRecord(failed, m, false, "")}),
		"history":                HistoryPageView(HistoryPage{Title: "History", Rows: rows, Total: len(rows), Keeps: "The history keeps every run."}),
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.Render(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".html")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (write it with: go test ./views -run Golden -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from %s (if the change is meant, rewrite it with -update and review the diff):\n%s", name, path, firstDiff(b.Bytes(), want))
			}
		})
	}
}

// firstDiff shows where got and want part, with some context.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-120)
	return "got:  …" + string(got[from:min(len(got), i+120)]) + "…\nwant: …" + string(want[from:min(len(want), i+120)]) + "…"
}
