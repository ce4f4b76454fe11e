package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/upstream"
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

// TestImportKeepsExtraFields: a pasted parameter the model's form does
// not have is kept as an extra body field by default (the field holds
// it, the curl sends it), dropped on request, and an extra field a form
// field already sets is an error beside it, the text kept.
func TestImportKeepsExtraFields(t *testing.T) {
	app := simApp(t)
	cmd := `curl https://api.openai.com/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Keep my extras"}], "top_k": 40}'`
	f := chatForm("The form before")
	f.Set("import", cmd)
	_, page := do(t, app, post("/draft/import", f))
	for _, want := range []string{"Not in this model&#39;s form: top_k 40.", "Kept as extra body fields", `data-testid="import-keep"`, `data-testid="import-drop"`,
		`{&#34;top_k&#34;:40}</textarea>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the import lacks %s:\n%.200s", want, page[max(0, strings.Index(page, "import-note")-100):])
		}
	}
	if strings.Contains(page, "The form before") {
		t.Error("the form was not replaced by the import")
	}
	curlOf := func() string {
		_, body := do(t, app, httptest.NewRequest("GET", "/draft/snippet/curl", nil))
		return body
	}
	if c := curlOf(); !strings.HasSuffix(c, "\"top_k\": 40\n}'\n") && !strings.Contains(c, "\"top_k\": 40\n}'") {
		t.Errorf("the curl does not send the kept parameter:\n%s", c)
	}
	f.Set("drop", "1")
	_, page = do(t, app, post("/draft/import", f))
	if strings.Contains(page, `{&#34;top_k&#34;:40}</textarea>`) || !strings.Contains(page, "Dropped: top_k.") || !strings.Contains(page, "Keep my extras") {
		t.Errorf("dropped, yet kept:\n%.3000s", page)
	}
	if c := curlOf(); strings.Contains(c, "top_k") {
		t.Errorf("the curl sends the dropped parameter:\n%s", c)
	}

	bad := chatForm("With a bad extra")
	bad.Set("extra_body", `{"temperature": 1}`)
	_, page = do(t, app, post("/draft/preview", bad))
	if !strings.Contains(page, "temperature is a field of this form; set it there.") {
		t.Errorf("no error beside the extra field:\n%.3000s", page)
	}
	_, page = do(t, app, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(page, `{&#34;temperature&#34;: 1}</textarea>`) {
		t.Errorf("the typed extra text is lost")
	}
}

// TestImportAddsProvider: a paste whose base URL no provider has offers
// to add it (name from the host, style from the path); adding it from the
// import box imports the paste into it; a refused form says why beside
// its field and keeps the offer.
func TestImportAddsProvider(t *testing.T) {
	const key = "sk-house-key-98765"
	up := listing(t, key)
	app := newTestAppWith(t, nil, func(d *Deps) {
		open := upstream.New(upstream.Config{ConnectTimeout: time.Second, FirstByteTimeout: time.Second, IdleTimeout: time.Second})
		d.Guard = nil
		d.Lister = account.NewLister(func(ctx context.Context, url, key string) (*upstream.Response, error) {
			return open.Get(ctx, url, key, false)
		})
	})
	cmd := `curl ` + up.URL + `/v1/chat/completions -H "Authorization: Bearer $HOUSE_KEY" -d '{"model": "house-model", "messages": [{"role": "user", "content": "Into the house"}], "top_k": 2}'`
	_, page := do(t, app, post("/draft/import", url.Values{"import": {cmd}, "_provider": {"sim"}, "_model": {simChat}}))
	for _, want := range []string{`data-testid="import-add-provider"`, "Add " + up.URL + "/v1 as your provider", `value="127.0.0.1"`, `value="chat" checked`} {
		if !strings.Contains(page, want) {
			t.Errorf("the offer lacks %s", want)
		}
	}
	add := func(v url.Values) string {
		r := form(app, "/settings/providers", v)
		r.Header.Set("HX-Request", "true")
		_, body := do(t, app, r)
		return body
	}
	page = add(url.Values{"import": {cmd}, "name": {"House"}, "base_url": {"ftp://nowhere"}, "styles": {"chat"}, "key": {key}})
	if !strings.Contains(page, `data-testid="import-add-provider"`) || !strings.Contains(page, "input-error") || strings.Contains(page, key) {
		t.Errorf("a refused base URL is not said beside the field:\n%.3000s", page)
	}
	page = add(url.Values{"import": {cmd}, "name": {"House"}, "base_url": {up.URL + "/v1"}, "styles": {"chat"}, "key": {key}})
	for _, want := range []string{"Imported into House · yours", "Into the house", `{&#34;top_k&#34;:2}</textarea>`} {
		if !strings.Contains(page, want) && !strings.Contains(page, strings.ReplaceAll(want, " · yours", "")) {
			t.Errorf("after adding, the import lacks %s:\n%.3000s", want, page)
		}
	}
	if strings.Contains(page, `data-testid="import-add-provider"`) {
		t.Error("the provider is added, yet offered again")
	}
}
