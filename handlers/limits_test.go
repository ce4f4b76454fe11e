package handlers

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/tokens"
)

// schemaBombFormat is the red-team's response_format: a $defs chain of
// anyOf of two $refs, depth 24 (about 2.2 KB). Checking the simulator's
// answer against it ran out of memory and killed the server.
func schemaBombFormat() string {
	var defs []string
	for i := range 24 {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]}`, i, i+1, i+1))
	}
	defs = append(defs, `"d24":{"type":"string"}`)
	return `{"type":"json_schema","json_schema":{"name":"bomb","schema":{"$ref":"#/$defs/d0","$defs":{` + strings.Join(defs, ",") + `}}}}`
}

// TestSchemaBombOnTheSimulator: the bomb through the real form and run
// path on the simulator model (no key) is refused next to the field, with
// bounded allocation, and the server goes on serving.
func TestSchemaBombOnTheSimulator(t *testing.T) {
	app := simApp(t)
	form := chatForm("Answer in JSON.")
	form.Set("response_format", schemaBombFormat())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, body := do(t, app, post("/runs", form))
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("the refused run allocated %d MB", n>>20)
	}
	if runIDRE.MatchString(body) || !strings.Contains(body, "Not sent") || !strings.Contains(body, "json_schema.schema is too complex") || !strings.Contains(body, "10,000 subschemas") {
		t.Fatalf("answer:\n%.3000s", body)
	}
	if st, _ := get(t, app, "/healthz"); st != 200 {
		t.Errorf("healthz %d after the bomb", st)
	}
}

// TestHugeMinItemsOnTheSimulator: minItems 50000000 in the response
// format runs to the end on the simulator with a bounded answer, and the
// check of that answer says what it misses.
func TestHugeMinItemsOnTheSimulator(t *testing.T) {
	app := simApp(t)
	form := chatForm("Answer in JSON.")
	form.Set("response_format", `{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"a":{"type":"array","minItems":50000000,"items":{"type":"string"}}}}}}`)
	_, body := do(t, app, post("/runs", form))
	id := runIDRE.FindStringSubmatch(body)
	if id == nil {
		t.Fatalf("no run:\n%.2000s", body)
	}
	_, events := do(t, app, httptest.NewRequest("GET", "/runs/"+id[1]+"/events", nil))
	if len(events) > 8<<20 || !strings.Contains(events, `"state":"completed"`) || !strings.Contains(events, "minItems") {
		t.Fatalf("%d bytes of events:\n%.2000s", len(events), events[max(0, len(events)-2000):])
	}
}

// sharedComparison stores a comparison of two finished panes with these
// outputs, shares it, and returns its share id.
func sharedComparison(t *testing.T, hist *history.Store, a, b string) string {
	t.Helper()
	ctx := context.Background()
	owner, id := "owner-diff", "cmp-long"
	if err := hist.CreateComparison(ctx, owner, history.Comparison{ID: id, Created: time.Now(), Title: "long"}); err != nil {
		t.Fatal(err)
	}
	for pane, text := range []string{a, b} {
		e := history.Entry{ID: fmt.Sprintf("run-%d", pane), GroupID: id, Pane: pane, Created: time.Now(), Updated: time.Now(),
			Provider: "sim", Model: simChat, Style: "chat", Status: "completed", Prompt: "p",
			Output: run.Output{Choices: []run.ChoiceOutput{{Text: text}}}}
		if err := hist.Write(ctx, history.Batch{Inserts: []history.InsertItem{{Owner: owner, Entry: e}}}); err != nil {
			t.Fatal(err)
		}
	}
	share, err := hist.ShareComparison(ctx, owner, id)
	if err != nil {
		t.Fatal(err)
	}
	return share
}

func words(n int, seed string) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "%s%d ", seed, i)
	}
	return sb.String()
}

// TestSharedDiffOfLongAnswersIsBounded: the red-team's anonymous
// GET /share/{id}/diff of two disjoint 40,000-word answers (17 s of CPU
// each time) compares a bounded number of words, says so on the page, is
// computed once (the second request is a cache hit), and concurrent
// requests are at most AtOnce at a time, the others answered 503 with a
// message.
func TestSharedDiffOfLongAnswersIsBounded(t *testing.T) {
	var deps *Deps
	diffs := compare.NewDiffer(compare.DiffConfig{AtOnce: 1})
	app := newTestAppWith(t, nil, func(d *Deps) { d.Diffs, deps = diffs, d })
	share := sharedComparison(t, deps.History, words(40_000, "alpha"), words(40_000, "beta"))
	path := "/share/" + share + "/diff?a=0&b=1"
	resp, page := do(t, app, anonymous(httptest.NewRequest("GET", path, nil)))
	if resp.StatusCode != 200 || !strings.Contains(page, `data-testid="diff-note"`) || !strings.Contains(page, "the first 10,000 words, spaces and marks of each are compared") {
		t.Fatalf("diff %d:\n%.2000s", resp.StatusCode, page)
	}
	if s := diffs.Stats(); s.Computed != 1 {
		t.Fatalf("stats %+v", s)
	}
	resp, again := do(t, app, anonymous(httptest.NewRequest("GET", path+"&only=1", nil)))
	if resp.StatusCode != 200 || !strings.Contains(again, "diff-note") {
		t.Fatalf("second diff %d", resp.StatusCode)
	}
	if s := diffs.Stats(); s.Computed != 1 || s.Hits != 1 {
		t.Fatalf("the second request was computed again: %+v", s)
	}
	// Concurrent requests of other pairs: never more than one at once.
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	bodies := make([]string, 6)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := i%2, 1-i%2 // 0,1 is cached; 1,0 is not
			r, body := do(t, app, anonymous(httptest.NewRequest("GET", fmt.Sprintf("/share/%s/diff?a=%d&b=%d", share, a, b), nil)))
			statuses[i], bodies[i] = r.StatusCode, body
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		if st == 503 && !strings.Contains(bodies[i], "at most 1 at once") || st != 200 && st != 503 {
			t.Errorf("request %d: %d %.300s", i, st, bodies[i])
		}
	}
	if s := diffs.Stats(); s.MaxInFlight != 1 || s.Computed+s.Busy+s.Hits != 8 {
		t.Errorf("stats %+v", s)
	}
}

// previewOf renders what POST /draft/preview answers for form (Preview:
// Prepare, then the panels), without the HTTP body limit of the test app.
func previewOf(tb testing.TB, drafts *draft.Service, form url.Values) (draft.Result, int) {
	tb.Helper()
	r := drafts.Prepare(draft.Input{Provider: form.Get("_provider"), Model: form.Get("_model"), Form: formpkg.Decode(form)})
	var n countingWriter
	if err := views.PanelsOOB(views.NewPanels(r, views.NewFields(r))).Render(context.Background(), &n); err != nil {
		tb.Fatal(err)
	}
	return r, int(n)
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// largeForm is the red-team's preview: 19 messages of 1 MiB without spaces.
func largeForm() url.Values {
	big := strings.Repeat("x", 1<<20)
	form := url.Values{"_provider": {"sim"}, "_model": {simChat}, "stream": {"true"}}
	for range 19 {
		form.Add("messages.role", "user")
		form.Add("messages.content", big)
	}
	return form
}

// TestPreviewOfALargeForm: the preview of 19 × 1 MiB tokenizes a bounded
// part of the text (it tokenized all 19 MiB, superlinearly: 12 s) and
// answers a few KB (it echoed the 19.9 MB body in the curl panel), while
// the request and the curl kept with the run stay exact.
func TestPreviewOfALargeForm(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	tok := &tokens.Counter{}
	drafts := &draft.Service{Catalog: cat, Getenv: func(string) string { return "" }, Tokens: tok}
	r, size := previewOf(t, drafts, largeForm())
	if len(r.Errors) > 0 || r.Request == nil {
		t.Fatalf("errors %v", r.Errors)
	}
	if work := tok.Counted(); work > 20*tokens.EstimateExact {
		t.Errorf("the preview tokenized %d bytes", work)
	}
	if size > 256<<10 {
		t.Errorf("the preview answers %d bytes", size)
	}
	if !strings.Contains(r.CurlShown, "… (1,048,576 characters)") || !strings.Contains(r.CurlShown, "# Shortened for this page: 19 strings") {
		t.Errorf("the shown curl: %.400s", r.CurlShown)
	}
	if len(r.Curl) < 19<<20 || !strings.Contains(string(r.Request.Body), strings.Repeat("x", 1<<20)) {
		t.Errorf("the kept curl (%d bytes) or the request is not exact", len(r.Curl))
	}
	if !r.Estimate.Approximate || r.Estimate.PromptTokens < 19*100_000 {
		t.Errorf("estimate %+v", r.Estimate)
	}
}

// BenchmarkPreviewLargeForm is one preview of the red-team's large form.
func BenchmarkPreviewLargeForm(b *testing.B) {
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	drafts := &draft.Service{Catalog: cat, Getenv: func(string) string { return "" }, Tokens: &tokens.Counter{}}
	form := largeForm()
	b.ReportAllocs()
	for b.Loop() {
		previewOf(b, drafts, form)
	}
}

// TestEveryCurlGlobsNothing: the live panel, the history page's curl and
// export.sh all carry -g.
func TestEveryCurlGlobsNothing(t *testing.T) {
	app := simApp(t)
	_, panel := do(t, app, post("/draft/preview", chatForm("hi")))
	id := runToEnd(t, app, chatForm("hi"))
	_, page := get(t, app, "/history/runs/"+id)
	_, sh := get(t, app, "/history/runs/"+id+"/export.sh")
	for name, s := range map[string]string{"panel": panel, "history page": page, "export.sh": sh} {
		if !strings.Contains(s, "curl -g ") {
			t.Errorf("%s: no curl -g in\n%.1500s", name, s)
		}
	}
}
