package handlers

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	cookie := strings.Split(resp.Header.Get("Set-Cookie"), ";")[0]
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
