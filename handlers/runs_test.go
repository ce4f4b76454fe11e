package handlers

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/sse"
)

// upstreamServing returns a provider that streams the fixture.
func upstreamServing(t *testing.T, fixture string) *httptest.Server {
	raw, err := os.ReadFile("../testdata/sse/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(raw)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var runIDRE = regexp.MustCompile(`id="run-([0-9a-f]{32})"`)

// startRun posts the form and returns the run id and the session cookie.
func startRun(t *testing.T, env map[string]string, form url.Values) (string, string, string) {
	t.Helper()
	app := newTestApp(t, env)
	resp, body := do(t, app, post("/runs", form))
	if resp.StatusCode != 200 {
		t.Fatalf("POST /runs: %d %s", resp.StatusCode, body)
	}
	m := runIDRE.FindStringSubmatch(body)
	if m == nil {
		return "", "", body
	}
	cookie := strings.Split(resp.Header.Get("Set-Cookie"), ";")[0]
	// Follow the run to its end through the app.
	req := httptest.NewRequest("GET", "/runs/"+m[1]+"/events", nil)
	req.Header.Set("Cookie", cookie)
	do(t, app, req)
	return m[1], cookie, body
}

func TestRunNeedsKeyAndBaseURL(t *testing.T) {
	form := url.Values{"_provider": {"apimodels"}, "_model": {"gpt-5.4-pro"}, "prompt": {"hi"}}
	_, _, body := startRun(t, nil, form)
	if !strings.Contains(body, "No API key for APIModels.") || !strings.Contains(body, "set APIMODELS_API_KEY") {
		t.Errorf("no-key answer: %s", body)
	}
	form = url.Values{"_provider": {"chatgw"}, "_model": {"gpt-5.4"}, "messages.role": {"user"}, "messages.content": {"hi"}}
	_, _, body = startRun(t, map[string]string{"CHATGW_API_KEY": "k"}, form)
	if !strings.Contains(body, "Set CHATGW_BASE_URL") {
		t.Errorf("no-base-URL answer: %s", body)
	}
}

func TestRunRejectedWhileErrorsStand(t *testing.T) {
	form := url.Values{"_provider": {"apimodels"}, "_model": {"gpt-5.4-pro"}, "prompt": {"hi"}, "temperature": {"5"}}
	_, _, body := startRun(t, map[string]string{"APIMODELS_API_KEY": "k"}, form)
	if !strings.Contains(body, "Not sent") || !strings.Contains(body, "Must be between 0 and 2.") {
		t.Errorf("answer: %s", body)
	}
}

func TestRunEventsResumeAndOwnership(t *testing.T) {
	up := upstreamServing(t, "openai-chat-text-usage.sse")
	env := map[string]string{"OPENAI_API_KEY": "sk-handler-test", "OPENAI_BASE_URL": up.URL + "/v1"}
	app := newTestApp(t, env)
	form := url.Values{"_provider": {"openai"}, "_model": {"gpt-4o-mini"}, "messages.role": {"user"}, "messages.content": {"hi"}, "stream": {"true"}}
	resp, body := do(t, app, post("/runs", form))
	m := runIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no run panel: %s", body)
	}
	id := m[1]
	cookie := app.cookie // the session that started the run
	get := func(path, lastID, cookie string) (*http.Response, string) {
		req := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		} else {
			anonymous(req)
		}
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		return do(t, app, req)
	}
	resp, all := get("/runs/"+id+"/events", "", cookie)
	if resp.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(all, "event: done") {
		t.Fatalf("events: %s %s", resp.Header.Get("Content-Type"), all)
	}
	ids := eventIDs(t, all)
	if len(ids) < 4 {
		t.Fatalf("ids %v", ids)
	}
	// Reconnect after event 2: exactly the rest, no gap, no duplicate.
	_, rest := get("/runs/"+id+"/events", "2", cookie)
	got := eventIDs(t, rest)
	if fmt.Sprint(got) != fmt.Sprint(ids[2:]) {
		t.Errorf("resumed ids %v, want %v", got, ids[2:])
	}
	// Reconnect after the last event of the finished run (or past it):
	// 204, which stops an EventSource.
	for _, after := range []int{ids[len(ids)-1], ids[len(ids)-1] + 5} {
		if resp, b := get("/runs/"+id+"/events", strconv.Itoa(after), cookie); resp.StatusCode != 204 || b != "" {
			t.Errorf("after the end (%d): %d %q", after, resp.StatusCode, b)
		}
	}
	if strings.Contains(all, "sk-handler-test") {
		t.Error("the key is in the event stream")
	}
	// Another browser (no session, or another session) sees nothing.
	if resp, _ := get("/runs/"+id+"/events", "", ""); resp.StatusCode != 404 {
		t.Errorf("no session: %d", resp.StatusCode)
	}
	stranger := app.newSession(t)
	if resp, _ := do(t, stranger, post("/runs/"+id+"/stop", nil)); resp.StatusCode != 404 {
		t.Errorf("a stranger could stop the run: %d", resp.StatusCode)
	}
	if resp, _ := do(t, stranger, httptest.NewRequest("GET", "/runs/"+id+"/events", nil)); resp.StatusCode != 404 {
		t.Errorf("a stranger could follow the run: %d", resp.StatusCode)
	}
	// Inspector and transcript for the owner.
	_, insp := get("/runs/"+id+"/inspector", "", cookie)
	if !strings.Contains(insp, "chat.completion.chunk") || !strings.Contains(insp, "$OPENAI_API_KEY (redacted)") || strings.Contains(insp, "sk-handler-test") {
		t.Errorf("inspector: %.300s", insp)
	}
	resp, tr := get("/runs/"+id+"/transcript.sse", "", cookie)
	if !strings.Contains(resp.Header.Get("Content-Disposition"), ".sse") || !strings.HasPrefix(tr, "data: {") {
		t.Errorf("transcript: %q %.100s", resp.Header.Get("Content-Disposition"), tr)
	}
	// Stop of a finished run is harmless; of an unknown run, 404.
	req := post("/runs/"+id+"/stop", nil)
	req.Header.Set("Cookie", cookie)
	if resp, _ := do(t, app, req); resp.StatusCode != 204 {
		t.Errorf("stop: %d", resp.StatusCode)
	}
	req = post("/runs/ffffffffffffffffffffffffffffffff/stop", nil)
	req.Header.Set("Cookie", cookie)
	if resp, _ := do(t, app, req); resp.StatusCode != 404 {
		t.Errorf("stop unknown: %d", resp.StatusCode)
	}
	// A reload shows the last run again.
	_, page := get("/", "", cookie)
	if !strings.Contains(page, `id="run-`+id+`"`) {
		t.Error("reload lost the run panel")
	}
}

func eventIDs(t *testing.T, stream string) []int {
	t.Helper()
	d := sse.NewDecoder(bufio.NewReader(strings.NewReader(stream)), 0)
	var ids []int
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscan(string(ev.ID), &n)
		ids = append(ids, n)
	}
}

// TestRunStreamedInTheStartingRequest: POST /runs that accepts an event
// stream gets the panel as the first event and the run's events after it,
// exactly those GET /runs/:id/events sends; ?after= resumes as
// Last-Event-ID does; a rejected form is still answered with HTML.
func TestRunStreamedInTheStartingRequest(t *testing.T) {
	up := upstreamServing(t, "openai-chat-text-usage.sse")
	env := map[string]string{"OPENAI_API_KEY": "sk-handler-test", "OPENAI_BASE_URL": up.URL + "/v1"}
	app := newTestApp(t, env)
	form := url.Values{"_provider": {"openai"}, "_model": {"gpt-4o-mini"}, "messages.role": {"user"}, "messages.content": {"hi"}, "stream": {"true"}}
	req := post("/runs", form)
	req.Header.Set("Accept", "text/event-stream, text/html")
	resp, body := do(t, app, req)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("POST /runs: %d %s %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	d := sse.NewDecoder(bufio.NewReader(strings.NewReader(body)), 0)
	first, err := d.Next()
	if err != nil || string(first.Type) != "panel" || len(first.ID) != 0 {
		t.Fatalf("first event %q id %q: %v", first.Type, first.ID, err)
	}
	m := runIDRE.FindStringSubmatch(string(first.Data))
	if m == nil || !strings.Contains(string(first.Data), `data-events="/runs/`+m[1]+`/events"`) {
		t.Fatalf("panel: %.300s", first.Data)
	}
	rest := body[strings.Index(body, "\n\n")+2:]
	if !strings.Contains(rest, "event: done") || strings.Contains(body, "sk-handler-test") {
		t.Fatalf("events: %.500s", rest)
	}
	ids := eventIDs(t, rest)
	get := func(path string) string {
		req := httptest.NewRequest("GET", path, nil)
		_, b := do(t, app, req)
		return b
	}
	if all := get("/runs/" + m[1] + "/events"); all != rest {
		t.Errorf("the POST's events differ from GET /runs/:id/events:\n%s\n---\n%s", rest, all)
	}
	if got := eventIDs(t, get("/runs/"+m[1]+"/events?after=2")); fmt.Sprint(got) != fmt.Sprint(ids[2:]) {
		t.Errorf("?after=2 gave ids %v, want %v", got, ids[2:])
	}

	form.Set("temperature", "5")
	req = post("/runs", form)
	req.Header.Set("Accept", "text/event-stream, text/html")
	resp, body = do(t, app, req)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Not sent") {
		t.Errorf("rejected form: %s %.200s", resp.Header.Get("Content-Type"), body)
	}
}
