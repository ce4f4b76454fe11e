package handlers

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestFinishedRunEventsEnd: an EventSource that reconnects to a finished
// run after its last event is answered 204, which stops it; one that
// missed events still gets them.
func TestFinishedRunEventsEnd(t *testing.T) {
	up := upstreamServing(t, "openai-chat-text-usage.sse")
	env := map[string]string{"OPENAI_API_KEY": "sk-handler-test", "OPENAI_BASE_URL": up.URL + "/v1"}
	app := newTestApp(t, env)
	form := url.Values{"_provider": {"openai"}, "_model": {"gpt-4o-mini"}, "messages.role": {"user"}, "messages.content": {"hi"}, "stream": {"true"}}
	resp, body := do(t, app, post("/runs", form))
	m := runIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no run panel: %s", body)
	}
	cookie := strings.Split(resp.Header.Get("Set-Cookie"), ";")[0]
	get := func(lastID string) (int, string) {
		req := httptest.NewRequest("GET", "/runs/"+m[1]+"/events", nil)
		req.Header.Set("Cookie", cookie)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, b := do(t, app, req)
		return resp.StatusCode, b
	}
	code, all := get("") // follows the run to its end
	ids := eventIDs(t, all)
	if code != 200 || !strings.Contains(all, "event: done") || len(ids) < 2 {
		t.Fatalf("events: %d %s", code, all)
	}
	last := ids[len(ids)-1]
	for _, tc := range []struct {
		after string
		code  int
	}{
		{strconv.Itoa(last), 204},
		{strconv.Itoa(last + 5), 204},
		{strconv.Itoa(last - 1), 200},
		{"", 200},
	} {
		code, b := get(tc.after)
		if code != tc.code {
			t.Errorf("after %q: status %d, want %d", tc.after, code, tc.code)
		}
		if tc.code == 204 && b != "" {
			t.Errorf("after %q: a 204 with a body %q", tc.after, b)
		}
		if tc.code == 200 && !strings.Contains(b, "event: done") {
			t.Errorf("after %q: the done event is missing: %s", tc.after, b)
		}
	}
}
