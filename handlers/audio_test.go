package handlers

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A run's audio is served to its session only, playable: pcm16 in a WAV
// header, as audio/wav.
func TestRunAudioServed(t *testing.T) {
	pcm := make([]byte, 4800)
	for i := range pcm {
		pcm[i] = byte(i)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"audio\":{\"id\":\"audio_1\",\"data\":%q,\"transcript\":\"Hi.\"}}}]}\n\n", base64.StdEncoding.EncodeToString(pcm))
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(up.Close)
	app := newTestApp(t, map[string]string{"OPENAI_API_KEY": "sk-handler-test", "OPENAI_BASE_URL": up.URL + "/v1"})
	form := url.Values{"_provider": {"openai"}, "_model": {"gpt-4o-mini"}, "messages.role": {"user"}, "messages.content": {"hi"},
		"stream": {"true"}, "modalities": {"text", "audio"}, "audio": {`{"voice": "alloy", "format": "pcm16"}`}}
	resp, body := do(t, app, post("/runs", form))
	m := runIDRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("POST /runs: %d %s", resp.StatusCode, body)
	}
	cookie := app.cookie // the session that started the run
	get := func(path, cookie string) (*http.Response, string) {
		req := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		} else {
			req.Header.Set("X-Test-Anonymous", "1") // another session
		}
		return do(t, app, req)
	}
	if _, events := get("/runs/"+m[1]+"/events", cookie); !strings.Contains(events, "event: audio") {
		t.Fatalf("no audio event: %s", events)
	}
	resp, wav := get("/runs/"+m[1]+"/audio/0", cookie)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" || !strings.HasPrefix(wav, "RIFF") || len(wav) != 44+len(pcm) {
		t.Fatalf("audio: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(wav))
	}
	for _, tc := range []struct{ path, cookie string }{
		{"/runs/" + m[1] + "/audio/0", ""},
		{"/runs/" + m[1] + "/audio/1", cookie},
		{"/runs/" + m[1] + "/audio/x", cookie},
		{"/runs/" + m[1] + "/audio/-1", cookie},
	} {
		if resp, _ := get(tc.path, tc.cookie); resp.StatusCode != 404 {
			t.Errorf("%s (cookie %v): %d", tc.path, tc.cookie != "", resp.StatusCode)
		}
	}
}

// A simulated audio answer is kept in the history: its page plays it
// from the session's audio URL, a share link from its own, and another
// session gets neither.
func TestHistoryAudioServed(t *testing.T) {
	app := simApp(t)
	f := chatForm("Say hello")
	f["modalities"] = []string{"text", "audio"}
	f.Set("audio", `{"voice": "alloy", "format": "wav"}`)
	id := runToEnd(t, app, f)
	_, page := get(t, app, "/history/runs/"+id)
	src := `src="/history/runs/` + id + `/audio/0"`
	if !strings.Contains(page, `data-testid="record-audio"`) || !strings.Contains(page, src) {
		t.Fatalf("no audio on the run page:\n%.3000s", page)
	}
	resp, wav := do(t, app, httptest.NewRequest("GET", "/history/runs/"+id+"/audio/0", nil))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" || !strings.HasPrefix(wav, "RIFF") || len(wav) < 24000 {
		t.Fatalf("audio: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(wav))
	}
	other := app.newSession(t)
	if st, _ := get(t, other, "/history/runs/"+id+"/audio/0"); st != http.StatusNotFound {
		t.Errorf("another session: %d", st)
	}
	if st, _ := get(t, app, "/history/runs/"+id+"/audio/1"); st != http.StatusNotFound {
		t.Errorf("a choice with no audio: %d", st)
	}
	do(t, app, form(app, "/history/runs/"+id+"/share", url.Values{}))
	_, page = get(t, app, "/history/runs/"+id)
	m := regexp.MustCompile(`data-testid="share-url">[^<]*(/share/[A-Za-z0-9_-]{22})<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no share link")
	}
	_, shared := do(t, app, anonymous(httptest.NewRequest("GET", m[1], nil)))
	if !strings.Contains(shared, `src="`+m[1]+`/audio/0"`) {
		t.Fatalf("the shared page does not play its audio:\n%.3000s", shared)
	}
	resp, swav := do(t, app, anonymous(httptest.NewRequest("GET", m[1]+"/audio/0", nil)))
	if resp.StatusCode != 200 || swav != wav {
		t.Errorf("shared audio: %d, %d bytes", resp.StatusCode, len(swav))
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("shared audio Cache-Control %q: a revoked link would still play from the cache", cc)
	}
	do(t, app, form(app, "/history/runs/"+id+"/unshare", url.Values{}))
	if resp, _ := do(t, app, anonymous(httptest.NewRequest("GET", m[1]+"/audio/0", nil))); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoked link's audio: %d", resp.StatusCode)
	}
}

// A shared comparison's panes play their audio from the comparison's
// link; the owner's page from the runs' own URLs.
func TestSharedComparisonAudio(t *testing.T) {
	app := simApp(t)
	// The panes inherit the playground's form, audio parameters and all.
	f := chatForm("Say hello")
	f["modalities"] = []string{"text", "audio"}
	f.Set("audio", `{"voice": "alloy", "format": "pcm16"}`)
	do(t, app, post("/draft/preview", f))
	v := url.Values{"messages.role": {"user"}, "messages.content": {"Say hello"},
		"pane.0.provider": {"sim"}, "pane.0.model": {simChat}, "pane.1.provider": {"sim"}, "pane.1.model": {simChat}, "pane.1.f.temperature": {"0"}}
	_, body := do(t, app, post("/compare/run", v))
	m := regexp.MustCompile(`data-group-events="/compare/([^/"]+)/events"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no comparison:\n%.2000s", body)
	}
	_, events := get(t, app, "/compare/"+m[1]+"/events")
	if strings.Count(events, "event: audio") < 2 {
		t.Fatalf("events:\n%.3000s", events)
	}
	_, page := get(t, app, "/history/comparisons/"+m[1])
	if strings.Count(page, `data-testid="record-audio"`) != 2 || !strings.Contains(page, `/audio/0"`) {
		t.Fatalf("comparison page: %d audio records", strings.Count(page, `data-testid="record-audio"`))
	}
	do(t, app, form(app, "/history/comparisons/"+m[1]+"/share", url.Values{}))
	_, page = get(t, app, "/history/comparisons/"+m[1])
	link := regexp.MustCompile(`(/share/[A-Za-z0-9_-]{22})`).FindString(page)
	if link == "" {
		t.Fatal("no share link")
	}
	_, shared := do(t, app, anonymous(httptest.NewRequest("GET", link, nil)))
	for pane := range 2 {
		src := link + "/panes/" + fmt.Sprint(pane) + "/audio/0"
		if !strings.Contains(shared, `src="`+src+`"`) {
			t.Errorf("pane %d does not play from %s", pane, src)
		}
		resp, wav := do(t, app, anonymous(httptest.NewRequest("GET", src, nil)))
		if resp.StatusCode != 200 || !strings.HasPrefix(wav, "RIFF") {
			t.Errorf("pane %d audio: %d", pane, resp.StatusCode)
		}
	}
	if resp, _ := do(t, app, anonymous(httptest.NewRequest("GET", link+"/panes/5/audio/0", nil))); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing pane: %d", resp.StatusCode)
	}
}
