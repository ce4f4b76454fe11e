package handlers

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/tokens"
)

// simApp is a test app whose simulator answers at once.
func simApp(t testing.TB) *testApp {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.New(sim.Config{ZeroDelay: true}, sim.ModelsFromCatalog(cat), &tokens.Counter{}))
	t.Cleanup(srv.Close)
	return newTestApp(t, map[string]string{"PLAYGROUND_SIM_URL": srv.URL})
}

const simChat = "seed002.gpt-5.4"

func chatForm(prompt string) url.Values {
	return url.Values{"_provider": {"sim"}, "_model": {simChat}, "messages.role": {"user"}, "messages.content": {prompt}, "stream": {"true"}}
}

// runToEnd starts a run and follows its events to the end.
func runToEnd(t *testing.T, app *testApp, form url.Values) string {
	t.Helper()
	_, body := do(t, app, post("/runs", form))
	id := runIDRE.FindStringSubmatch(body)
	if id == nil {
		t.Fatalf("no run: %s", body)
	}
	do(t, app, httptest.NewRequest("GET", "/runs/"+id[1]+"/events", nil))
	return id[1]
}

func get(t *testing.T, app *testApp, path string) (int, string) {
	t.Helper()
	resp, body := do(t, app, httptest.NewRequest("GET", path, nil))
	return resp.StatusCode, body
}

func TestHistoryBelongsToItsSession(t *testing.T) {
	app := simApp(t)
	id := runToEnd(t, app, chatForm("A question about whales"))
	st, page := get(t, app, "/history/runs/"+id)
	if st != 200 || !strings.Contains(page, "A question about whales") || !strings.Contains(page, `data-testid="record-status">completed`) {
		t.Fatalf("run page %d:\n%.2000s", st, page)
	}
	other := app.newSession(t)
	for _, path := range []string{"/history/runs/" + id, "/history/runs/" + id + "/export.json", "/history/runs/" + id + "/export.sh", "/history/runs/" + id + "/transcript.sse"} {
		if st, _ := get(t, other, path); st != http.StatusNotFound {
			t.Errorf("another session GET %s: %d", path, st)
		}
	}
	for _, action := range []string{"delete", "share", "replay", "fork"} {
		if resp, _ := do(t, other, form(other, "/history/runs/"+id+"/"+action, url.Values{})); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another session POST %s: %d", action, resp.StatusCode)
		}
	}
	if _, list := get(t, other, "/history"); strings.Contains(list, id) || !strings.Contains(list, "No runs yet") {
		t.Error("another session's history lists the run")
	}
	// A POST without the token is refused (CSRF).
	if resp, _ := do(t, app, httptest.NewRequest("POST", "/history/runs/"+id+"/delete", nil)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("delete without a token: %d", resp.StatusCode)
	}
	// Exports.
	if _, js := get(t, app, "/history/runs/"+id+"/export.json"); !strings.Contains(js, `"transcript": "data: `) || !strings.Contains(js, `"status": "completed"`) {
		t.Errorf("JSON export: %.500s", js)
	}
	if _, sh := get(t, app, "/history/runs/"+id+"/export.sh"); !strings.Contains(sh, "curl ") || !strings.Contains(sh, "$SIMULATOR_API_KEY") {
		t.Errorf("curl export: %s", sh)
	}
	if _, sse := get(t, app, "/history/runs/"+id+"/transcript.sse"); !strings.Contains(sse, "data: [DONE]") {
		t.Errorf("transcript: %.300s", sse)
	}
	// Delete: gone, with a message.
	resp, _ := do(t, app, form(app, "/history/runs/"+id+"/delete", url.Values{}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/history" {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, list := get(t, app, "/history"); !strings.Contains(list, "The run was deleted.") || strings.Contains(list, id) {
		t.Error("after delete the run is listed or no message says so")
	}
	if st, _ := get(t, app, "/history/runs/"+id); st != http.StatusNotFound {
		t.Errorf("a deleted run opens: %d", st)
	}
}

func TestHistoryFiltersAndPages(t *testing.T) {
	app := simApp(t)
	for i := range 27 {
		prompt := "plain prompt"
		if i%9 == 0 {
			prompt = "Needle in the haystack"
		}
		runToEnd(t, app, chatForm(prompt))
	}
	_, first := get(t, app, "/history")
	rows := regexp.MustCompile(`data-testid="history-row"`).FindAllString(first, -1)
	if len(rows) != history.PerPage || !strings.Contains(first, "27 runs") || strings.Contains(first, `data-testid="page-prev"`) {
		t.Fatalf("first page has %d rows", len(rows))
	}
	older := regexp.MustCompile(`href="(/history\?before=[^"]+)"[^>]*data-testid="page-next"`).FindStringSubmatch(first)
	if older == nil {
		t.Fatal("the first page has no link to older runs")
	}
	_, second := get(t, app, html.UnescapeString(older[1]))
	if n := len(regexp.MustCompile(`data-testid="history-row"`).FindAllString(second, -1)); n != 2 || !strings.Contains(second, "27 runs") ||
		strings.Contains(second, `data-testid="page-next"`) {
		t.Errorf("second page has %d rows", n)
	}
	newer := regexp.MustCompile(`href="(/history\?after=[^"]+)"[^>]*data-testid="page-prev"`).FindStringSubmatch(second)
	if newer == nil {
		t.Fatal("the second page has no link to newer runs")
	}
	if _, back := get(t, app, html.UnescapeString(newer[1])); back != first {
		t.Error("Newer from the second page is not the first page")
	}
	for _, bad := range []string{"before=nonsense", "after=12.", "before=1.a&after=2.b"} {
		st, body := get(t, app, "/history?"+bad)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "This page link is broken") {
			t.Errorf("a bad cursor %s: %d", bad, st)
		}
	}
	_, found := get(t, app, "/history?q=needle")
	if !strings.Contains(found, "3 runs") {
		t.Errorf("search: %s", regexp.MustCompile(`\d+ runs?`).FindString(found))
	}
	_, byModel := get(t, app, "/history?provider=sim&model="+simChat+"&q=needle")
	if !strings.Contains(byModel, "3 runs") {
		t.Error("provider and model filters with search")
	}
	_, none := get(t, app, "/history?provider=openai")
	if !strings.Contains(none, "No run matches") {
		t.Error("a provider with no runs")
	}
	_, bad := get(t, app, "/history?from=yesterday&to=2026-01-01&q=needle")
	if !strings.Contains(bad, `data-testid="error-from">Not a date`) || !strings.Contains(bad, `value="needle"`) {
		t.Error("a bad date has no error next to its field, or the search was lost")
	}
	_, order := get(t, app, "/history?from=2026-05-02&to=2026-05-01")
	if !strings.Contains(order, "Must not be before From.") {
		t.Error("To before From")
	}
}

func TestShareLinkReadOnlyAndRevocable(t *testing.T) {
	app := simApp(t)
	id := runToEnd(t, app, chatForm("Share me"))
	resp, _ := do(t, app, form(app, "/history/runs/"+id+"/share", url.Values{}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", resp.StatusCode)
	}
	_, page := get(t, app, "/history/runs/"+id)
	m := regexp.MustCompile(`data-testid="share-url">[^<]*(/share/[A-Za-z0-9_-]{22})<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no share link on the run page")
	}
	anon := httptest.NewRequest("GET", m[1], nil)
	resp, shared := do(t, app, anonymous(anon))
	if resp.StatusCode != 200 || !strings.Contains(shared, "Share me") || !strings.Contains(shared, "read-only") || strings.Contains(shared, `data-testid="delete"`) {
		t.Fatalf("shared page %d:\n%.1500s", resp.StatusCode, shared)
	}
	if resp.Header.Get("X-Robots-Tag") != "noindex" {
		t.Error("shared pages should not be indexed")
	}
	do(t, app, form(app, "/history/runs/"+id+"/unshare", url.Values{}))
	if resp, _ := do(t, app, anonymous(httptest.NewRequest("GET", m[1], nil))); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoked link: %d", resp.StatusCode)
	}
}

func TestReplayAndFork(t *testing.T) {
	app := simApp(t)
	f := chatForm("Replay me")
	f.Set("temperature", "1.3")
	id := runToEnd(t, app, f)
	do(t, app, post("/draft/preview", chatForm("something else")))
	resp, _ := do(t, app, form(app, "/history/runs/"+id+"/replay", url.Values{}))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/?") {
		t.Fatalf("replay: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := get(t, app, resp.Header.Get("Location"))
	if !strings.Contains(page, "Replay me") || !strings.Contains(page, `&#34;temperature&#34;: 1.3`) && !strings.Contains(page, `"temperature": 1.3`) {
		t.Errorf("the playground after replay:\n%.3000s", page)
	}
	resp, _ = do(t, app, form(app, "/history/runs/"+id+"/fork", url.Values{}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/compare" {
		t.Fatalf("fork: %d", resp.StatusCode)
	}
	_, cmp := get(t, app, "/compare")
	if strings.Count(cmp, `data-pane-config=`) != 2 || !strings.Contains(cmp, "Replay me") || !strings.Contains(cmp, `value="1.3"`) {
		t.Errorf("the compare view after fork:\n%.3000s", cmp)
	}
}

func TestCompareRunRejectsPanesWithErrors(t *testing.T) {
	app := simApp(t)
	v := url.Values{"messages.role": {"user"}, "messages.content": {"hi"},
		"pane.0.provider": {"sim"}, "pane.0.model": {simChat}, "pane.0.f.temperature": {"9"},
		"pane.1.provider": {"sim"}, "pane.1.model": {simChat}}
	_, body := do(t, app, post("/compare/run", v))
	if !strings.Contains(body, "Nothing was sent: 1 pane needs attention (1)") || !strings.Contains(body, `hx-swap-oob="true"`) || strings.Contains(body, "data-group-events") {
		t.Fatalf("rejected run:\n%.2000s", body)
	}
	if _, list := get(t, app, "/history"); !strings.Contains(list, "No runs yet") {
		t.Error("a rejected comparison ran something")
	}
	// The value is kept and its error shown next to it.
	_, page := get(t, app, "/compare")
	if !strings.Contains(page, `value="9"`) || !strings.Contains(page, `data-testid="error-p0-temperature">`) {
		t.Errorf("the compare page lost the value or its error")
	}
	// Edits: add up to six panes, never fewer than two.
	for range 6 {
		do(t, app, post("/compare/edit?op=add", v))
		_, page = get(t, app, "/compare")
		v = url.Values{"messages.role": {"user"}, "messages.content": {"hi"}}
	}
	if n := strings.Count(page, `data-pane-config=`); n != 6 {
		t.Errorf("%d panes after adding", n)
	}
	if resp, _ := do(t, app, post("/compare/edit?op=explode", url.Values{})); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown edit: %d", resp.StatusCode)
	}
}

func TestComparisonRunsAsOneGroup(t *testing.T) {
	app := simApp(t)
	m, _ := runTwoPanes(t, app)
	_, events := get(t, app, "/compare/"+m[1]+"/events")
	if strings.Count(events, "event: done") != 2 || !strings.Contains(events, `{"p":0,"d":`) || !strings.Contains(events, `{"p":1,"d":`) {
		t.Fatalf("group events:\n%.1000s", events)
	}
	// Resume: a Last-Event-ID past pane 0's end replays only pane 1.
	last := regexp.MustCompile(`id: (0:\d+)(?:,1:\d+)?\nevent: done\ndata: \{"p":0`).FindStringSubmatch(events)
	if last == nil {
		t.Fatalf("no done id for pane 0 in:\n%s", events)
	}
	req := httptest.NewRequest("GET", "/compare/"+m[1]+"/events", nil)
	req.Header.Set("Last-Event-ID", last[1])
	_, resumed := do(t, app, req)
	if strings.Contains(resumed, `{"p":0,`) || strings.Count(resumed, "event: done") != 1 {
		t.Errorf("resumed stream:\n%.1000s", resumed)
	}
	// Past every pane's last event: 204, which stops an EventSource.
	ids := regexp.MustCompile(`(?m)^id: (.+)$`).FindAllStringSubmatch(events, -1)
	req = httptest.NewRequest("GET", "/compare/"+m[1]+"/events", nil)
	req.Header.Set("Last-Event-ID", ids[len(ids)-1][1])
	if resp, b := do(t, app, req); resp.StatusCode != http.StatusNoContent || b != "" {
		t.Errorf("after the end (%s): %d %q", ids[len(ids)-1][1], resp.StatusCode, b)
	}
	if st, _ := get(t, app.newSession(t), "/compare/"+m[1]+"/events"); st != http.StatusNotFound {
		t.Errorf("another session's comparison stream: %d", st)
	}
	_, page := get(t, app, "/history/comparisons/"+m[1])
	if strings.Count(page, `data-testid="run-record"`) != 2 || !strings.Contains(page, "Compare us") {
		t.Fatalf("comparison page: %d records, prompt %v\n%s", strings.Count(page, `data-testid="run-record"`), strings.Contains(page, "Compare us"), page[strings.Index(page, "<main"):])
	}
	_, diff := get(t, app, "/history/comparisons/"+m[1]+"/diff?a=0&b=1")
	if !strings.Contains(diff, "diff-params") || !strings.Contains(diff, "model") {
		t.Errorf("diff:\n%.1000s", diff)
	}
	_, bad := get(t, app, "/history/comparisons/"+m[1]+"/diff?a=0&b=7")
	if !strings.Contains(bad, "Pick two panes") {
		t.Error("a diff of a missing pane")
	}
}

// runTwoPanes runs a comparison of two sim panes (a chat model at
// temperature 0 and a Responses one) and returns the match of its events
// URL (m[1] is its group) and the page that answered.
func runTwoPanes(t *testing.T, app *testApp) ([]string, string) {
	t.Helper()
	do(t, app, post("/draft/preview", chatForm("the base"))) // the base form is a chat model's
	v := url.Values{"messages.role": {"user"}, "messages.content": {"Compare us"},
		"pane.0.provider": {"sim"}, "pane.0.model": {simChat}, "pane.0.f.temperature": {"0"},
		"pane.1.provider": {"sim"}, "pane.1.model": {"seed003.gpt-5.4-pro"}}
	_, body := do(t, app, post("/compare/run", v))
	m := regexp.MustCompile(`data-group-events="/compare/([^/"]+)/events"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no comparison:\n%.2000s", body)
	}
	return m, body
}

// TestCheckedBoxesStayChecked: a checkbox posts its hidden "false" and then
// "true"; the page drawn from that form shows it checked (it once showed
// the first value).
func TestCheckedBoxesStayChecked(t *testing.T) {
	app := simApp(t)
	f := chatForm("hi")
	f["stream"] = []string{"false", "true"}
	f["include_usage"] = []string{"false"}
	do(t, app, post("/draft/preview", f))
	_, page := get(t, app, "/")
	if !strings.Contains(page, `name="stream" value="true" checked`) {
		t.Error("stream is not checked after a reload")
	}
	if strings.Contains(page, `name="include_usage" value="true" checked`) {
		t.Error("include_usage is checked though it was not")
	}
}

// Finding 13: a run larger than the history keeps of one is stored with
// notes where its texts were; its page says so, and replay and fork
// answer with the reason instead of opening a form of notes.
func TestReplayOfARunTooLargeToKeep(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.New(sim.Config{ZeroDelay: true}, sim.ModelsFromCatalog(cat), &tokens.Counter{}))
	t.Cleanup(srv.Close)
	app := newTestAppWith(t, map[string]string{"PLAYGROUND_SIM_URL": srv.URL}, func(d *Deps) {
		d.History.SetLimits(history.Limits{RunBytes: 64 << 10})
	})
	id := runToEnd(t, app, chatForm(strings.Repeat("a long prompt ", 10_000)))
	_, page := get(t, app, "/history/runs/"+id)
	if !strings.Contains(page, "(Not kept: this text had 136 KB; a run keeps at most 64 KB in the history, 48 KB of it for the request.)") ||
		!strings.Contains(page, "# The request body (") {
		t.Errorf("the run's page does not say what was not kept:\n%.4000s", page)
	}
	for _, path := range []string{"/history/runs/" + id + "/replay", "/history/runs/" + id + "/fork", "/runs/" + id + "/continue"} {
		resp, body := do(t, app, form(app, path, url.Values{}))
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "This run cannot be replayed, forked or continued: its prompt was larger than the history keeps of a run (64 KB)") {
			t.Errorf("%s: %d\n%.2000s", path, resp.StatusCode, body)
		}
	}
	if code, _ := get(t, app, "/healthz"); code != http.StatusOK {
		t.Errorf("healthz %d after the refusals", code)
	}
}

// The page shows the session's last run after a reload, and a replayed
// form does not; starting a run does not write the session cookie again
// (the run manager keeps the last run, not the cookie).
func TestLastRunKeptWithoutTheCookie(t *testing.T) {
	app := simApp(t)
	first := runToEnd(t, app, chatForm("first"))
	resp, body := do(t, app, post("/runs", chatForm("second")))
	m := runIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no run panel: %s", body)
	}
	if c := resp.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("a run in an existing session wrote the cookie: %.80s", c)
	}
	_, page := get(t, app, "/")
	if !strings.Contains(page, `id="run-`+m[1]+`"`) || strings.Contains(page, `id="run-`+first+`"`) {
		t.Errorf("the page after a reload does not show the last run (%s)", m[1])
	}
	if resp, _ := do(t, app, form(app, "/history/runs/"+first+"/replay", url.Values{})); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replay: %d", resp.StatusCode)
	}
	if _, page := get(t, app, "/"); strings.Contains(page, `id="run-`+m[1]+`"`) {
		t.Error("the page after a replay still shows a run under the replayed form")
	}
	if _, other := do(t, app, anonymous(httptest.NewRequest("GET", "/", nil))); strings.Contains(other, m[1]) {
		t.Error("another session's page shows the run")
	}
}
