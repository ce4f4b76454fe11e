package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestDraftSnippet: the session's current draft is served as code in each
// language, the key read from the environment, never written; an unknown
// language is a 404 naming the ones there are.
func TestDraftSnippet(t *testing.T) {
	app := simApp(t)
	do(t, app, post("/draft/preview", chatForm("Snippets of the sea")))
	for _, lang := range []string{"curl", "httpie", "python", "python-httpx", "js", "go", "python-openai"} {
		resp, body := do(t, app, httptest.NewRequest("GET", "/draft/snippet/"+lang+"?download=1", nil))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Snippets of the sea") || !strings.Contains(body, "SIMULATOR_API_KEY") {
			t.Errorf("%s: %d\n%.600s", lang, resp.StatusCode, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="playground`) {
			t.Errorf("%s: Content-Disposition %q", lang, cd)
		}
	}
	resp, body := do(t, app, httptest.NewRequest("GET", "/draft/snippet/cobol", nil))
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "curl, httpie, python, python-httpx, js, go, python-openai") {
		t.Errorf("unknown language: %d %.300s", resp.StatusCode, body)
	}
}

// TestImportRequest: a curl from the OpenAI documentation, pasted, fills
// the form for the provider with its base URL, the key written in it is
// neither kept nor shown; a paste that cannot be read keeps the form and
// says why next to the box.
func TestImportRequest(t *testing.T) {
	app := simApp(t)
	cmd := `curl https://api.openai.com/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer sk-proj-written-into-the-command" \
  -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello from the docs"}], "temperature": 0.3}'`
	f := chatForm("The form before")
	f.Set("import", cmd)
	resp, page := do(t, app, post("/draft/import", f))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Hello from the docs") || !strings.Contains(page, `&#34;temperature&#34;: 0.3`) && !strings.Contains(page, `"temperature": 0.3`) {
		t.Fatalf("import: %d\n%.3000s", resp.StatusCode, page)
	}
	if strings.Contains(page, "sk-proj-written") || !strings.Contains(page, "The key written in the command was ignored") {
		t.Errorf("the written key: %.2000s", page)
	}
	bad := chatForm("The form kept")
	bad.Set("import", "wget https://example.com -H 'Authorization: Bearer sk-proj-pasted-and-refused'")
	_, page = do(t, app, post("/draft/import", bad))
	if !strings.Contains(page, "The form kept") || !strings.Contains(page, `data-testid="import-error"`) || !strings.Contains(page, "not curl") {
		t.Errorf("an unreadable paste:\n%.3000s", page)
	}
	if strings.Contains(page, "sk-proj-pasted") || !strings.Contains(page, "[key removed]") {
		t.Errorf("the paste shown back shows its key")
	}
}

// TestHistoryRunSnippet: a stored run's request as code, in each language.
func TestHistoryRunSnippet(t *testing.T) {
	app := simApp(t)
	id := runToEnd(t, app, chatForm("A stored request"))
	for _, lang := range []string{"curl", "python", "go"} {
		st, body := get(t, app, "/history/runs/"+id+"/snippet/"+lang)
		if st != http.StatusOK || !strings.Contains(body, "A stored request") || !strings.Contains(body, "SIMULATOR_API_KEY") {
			t.Errorf("%s: %d %.400s", lang, st, body)
		}
	}
	if st, _ := get(t, app, "/history/runs/"+id+"/snippet/cobol"); st != http.StatusNotFound {
		t.Errorf("unknown language: %d", st)
	}
	other := app.newSession(t)
	if st, _ := get(t, other, "/history/runs/"+id+"/snippet/python"); st != http.StatusNotFound {
		t.Errorf("another session reads the run's code: %d", st)
	}
}

// TestComparePaneNamesItsProblems: a pane that cannot run names the field
// that needs attention and links to its input in the pane.
func TestComparePaneNamesItsProblems(t *testing.T) {
	app := simApp(t)
	_, page := do(t, app, post("/compare/preview", url.Values{"messages.role": {"user"}, "messages.content": {"Hi"},
		"pane.0.provider": {"sim"}, "pane.0.model": {simChat}, "pane.0.f.temperature": {"9"},
		"pane.1.provider": {"sim"}, "pane.1.model": {simChat}}))
	if !strings.Contains(page, `data-testid="pane-problem"`) || !strings.Contains(page, `href="#p0-temperature"`) {
		t.Fatalf("the pane's problem is not named and linked:\n%.4000s", page)
	}
}
