package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestReplayShowsNoUnrelatedOutput: opening an older run in the playground
// restores its form without the output of the session's last run (another
// prompt) under it.
func TestReplayShowsNoUnrelatedOutput(t *testing.T) {
	app := simApp(t)
	first := runToEnd(t, app, chatForm("The first prompt"))
	runToEnd(t, app, chatForm("The second prompt"))
	_, page := get(t, app, "/")
	if !strings.Contains(page, `data-testid="run"`) {
		t.Fatalf("the playground does not show the last run before the replay:\n%.2000s", page)
	}
	resp, _ := do(t, app, form(app, "/history/runs/"+first+"/replay", url.Values{}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replay: %d", resp.StatusCode)
	}
	_, page = get(t, app, resp.Header.Get("Location"))
	if !strings.Contains(page, "The first prompt") {
		t.Fatalf("the replayed form is not shown:\n%.2000s", page)
	}
	if strings.Contains(page, `data-testid="run"`) {
		t.Errorf("the page shows a run panel under the replayed form")
	}
}
