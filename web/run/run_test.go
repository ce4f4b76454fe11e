package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/playground-dev/playground/internal/fixtures"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/structured"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fixtureDir = fixtures.Dir()

func styleOf(name string) catalog.Style { return fixtures.Style(name) }

func newManager(tb testing.TB, cfg Config) *Manager {
	tb.Helper()
	ucfg := upstream.DefaultConfig()
	ucfg.IdleTimeout = 2 * time.Second
	if cfg.SpoolDir == "" {
		// Transcripts past a few KB go to files, as in the playground.
		cfg.SpoolDir = tb.TempDir()
	}
	m := NewManager(cfg, upstream.New(ucfg), &tokens.Counter{})
	tb.Cleanup(m.Close)
	return m
}

func spec(style catalog.Style, base string, body string) Spec {
	price := 1.0
	return Spec{
		Provider: &catalog.Provider{ID: "p", Name: "P", APIKeyEnv: "P_KEY", Currency: "USD"},
		Model:    &catalog.Model{ID: "m", Style: style, Price: &catalog.Price{Input: &price, Output: &price}},
		Request: &request.Request{Method: "POST", Path: style.Path(), Body: []byte(body), Stream: true,
			Header: []request.Header{{Name: "Content-Type", Value: "application/json"}}, KeyEnv: "P_KEY",
			Options: optionsOf(style, body)},
		BaseURLs: []string{base},
		Key:      "sk-secret-key-1234",
		Owner:    "owner",
	}
}

// optionsOf is what request.Build would have given a request with this
// body: the tests write bodies by hand.
func optionsOf(style catalog.Style, body string) request.Options {
	var b struct {
		Background    bool
		Store         *bool
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Audio struct{ Format string }
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		panic("a test's request body is not JSON: " + body)
	}
	return request.Options{Background: b.Background, Unstored: b.Store != nil && !*b.Store,
		UsageAsked: b.StreamOptions.IncludeUsage, AudioFormat: b.Audio.Format, Expect: structured.FromRequest(style, []byte(body))}
}

// serve streams body in small flushed chunks.
func serve(body []byte, chunk int, pause time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for len(body) > 0 {
			n := min(chunk, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			body = body[n:]
			if pause > 0 {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(pause):
				}
			}
		}
	}
}

// browser replays a run's browser events the way app.js does.
type browser struct {
	html      map[int]string
	tail      map[int]string
	reasoning map[int]string
	refusal   map[int]string
	tools     map[int]map[int]string // choice -> index -> "name args"
	toolName  map[[2]int]string
	toolArgs  map[[2]int]string
	errMsg    *ErrorView
	outcome   *Outcome
	ids       []int
}

func replay(t *testing.T, evs []Event) *browser {
	t.Helper()
	b := &browser{html: map[int]string{}, tail: map[int]string{}, reasoning: map[int]string{}, refusal: map[int]string{}, tools: map[int]map[int]string{},
		toolName: map[[2]int]string{}, toolArgs: map[[2]int]string{}}
	for _, e := range evs {
		b.ids = append(b.ids, e.ID)
		var v map[string]any
		if err := json.Unmarshal(e.Data, &v); err != nil {
			t.Fatalf("event %s is not JSON: %s", e.Name, e.Data)
		}
		c := 0
		if f, ok := v["c"].(float64); ok {
			c = int(f)
		}
		s := func(k string) string { x, _ := v[k].(string); return x }
		switch e.Name {
		case "delta":
			b.tail[c] += s("t")
			b.reasoning[c] += s("r")
			b.refusal[c] += s("x")
		case "md":
			b.html[c] += s("h")
			b.tail[c] = s("tail")
		case "tool":
			// As app.js: arguments arrive as deltas ("a", appended) or
			// whole ("args", replacing); name and id when they change.
			if b.tools[c] == nil {
				b.tools[c] = map[int]string{}
			}
			k := [2]int{c, int(v["i"].(float64))}
			if _, ok := v["name"]; ok {
				b.toolName[k] = s("name")
			}
			if _, ok := v["args"]; ok {
				b.toolArgs[k] = s("args")
			}
			b.toolArgs[k] += s("a")
			var compact bytes.Buffer
			args := b.toolArgs[k]
			if json.Compact(&compact, []byte(args)) == nil {
				args = compact.String()
			}
			b.tools[c][k[1]] = b.toolName[k] + " " + args
		case "failure":
			var ev ErrorView
			json.Unmarshal(e.Data, &ev)
			b.errMsg = &ev
		case "done":
			var sum Outcome
			json.Unmarshal(e.Data, &sum)
			b.outcome = &sum
		}
	}
	return b
}

// wait returns all events of a finished run.
func wait(t *testing.T, r *Run) []Event {
	t.Helper()
	release := r.Watch()
	defer release()
	deadline := time.After(20 * time.Second)
	for {
		evs, done, ch := r.Since(0)
		if done {
			evs, _, _ = r.Since(0)
			return evs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("run did not finish")
		}
	}
}

// TestRelayFixtures serves each recorded stream from an httptest upstream
// and checks that what the browser receives carries the same final text,
// reasoning, tool calls and usage as decoding the recording directly.
func TestRelayFixtures(t *testing.T) {
	files, _ := filepath.Glob(fixtureDir + "/*.sse")
	if len(files) != 22 {
		t.Fatalf("%d fixtures", len(files))
	}
	m := newManager(t, Config{})
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw, _ := os.ReadFile(f)
			srv := httptest.NewServer(serve(raw, 700, 0))
			defer srv.Close()
			style := styleOf(name)
			r := m.Start(spec(style, srv.URL+"/v1", "{}"))
			b := replay(t, wait(t, r))

			want := decodeAll(style, raw)
			for _, c := range want.Choices() {
				var s markdown.Stream
				wantHTML := s.Write(c.Text.String()) + s.Flush()
				if got := b.html[c.Index] + b.tail[c.Index]; got != wantHTML {
					t.Errorf("choice %d html\n got %q\nwant %q", c.Index, got, wantHTML)
				}
				if b.reasoning[c.Index] != c.Reasoning.String() {
					t.Errorf("choice %d reasoning differs (%d vs %d bytes)", c.Index, len(b.reasoning[c.Index]), c.Reasoning.Len())
				}
				if b.refusal[c.Index] != c.Refusal.String() {
					t.Errorf("choice %d refusal %q", c.Index, b.refusal[c.Index])
				}
				for i, tc := range c.Tools {
					var compact bytes.Buffer
					json.Compact(&compact, []byte(tc.Args))
					if got := b.tools[c.Index][i]; got != tc.Name+" "+compact.String() {
						t.Errorf("tool %d: %q, want %q", i, got, tc.Name+" "+tc.Args)
					}
				}
			}
			if b.outcome == nil {
				t.Fatal("no done event")
			}
			if want.Usage != nil {
				u := b.outcome.Usage
				if u.Estimated || u.Input != want.Usage.Input || u.Output != want.Usage.BilledOutput() || u.Cached != want.Usage.Cached || u.Reasoning != want.Usage.Reasoning {
					t.Errorf("usage %+v, want %+v", u, *want.Usage)
				}
			}
			if (want.Err != nil) != (b.errMsg != nil) {
				t.Errorf("error %+v, want %+v", b.errMsg, want.Err)
			}
			wantState := Completed
			if want.Err != nil {
				wantState = Failed
			}
			if b.outcome.State != wantState {
				t.Errorf("state %s, want %s", b.outcome.State, wantState)
			}
			for i, id := range b.ids {
				if id != i+1 {
					t.Fatalf("event ids not contiguous: %v", b.ids)
				}
			}
		})
	}
}

func TestResumeFromLastEventID(t *testing.T) {
	raw, _ := os.ReadFile(fixtureDir + "/openai-chat-obfuscation-usage.sse")
	srv := httptest.NewServer(serve(raw, 300, 2*time.Millisecond))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	release := r.Watch()
	// Read part of the stream, "disconnect", then continue from the last id.
	var first []Event
	for len(first) < 5 {
		evs, _, ch := r.Since(0)
		first = evs
		if len(first) < 5 {
			<-ch
		}
	}
	first = first[:5]
	release()
	all := wait(t, r)
	rest, _, _ := r.Since(first[len(first)-1].ID)
	joined := append(append([]Event{}, first...), rest...)
	if len(joined) != len(all) {
		t.Fatalf("resumed %d events, all %d", len(joined), len(all))
	}
	for i := range all {
		if joined[i].ID != all[i].ID || !bytes.Equal(joined[i].Data, all[i].Data) {
			t.Fatalf("event %d differs after resume", i)
		}
	}
}

func TestStopKeepsPartialOutput(t *testing.T) {
	raw, _ := os.ReadFile(fixtureDir + "/openai-chat-obfuscation-usage.sse")
	var cancelled atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(raw, 200, 20*time.Millisecond)(w, r)
		if r.Context().Err() != nil {
			cancelled.Store(true)
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	release := r.Watch()
	defer release()
	for {
		evs, _, ch := r.Since(0)
		if len(evs) > 4 {
			break
		}
		<-ch
	}
	r.Stop()
	b := replay(t, wait(t, r))
	if b.outcome.State != Stopped {
		t.Fatalf("state %s", b.outcome.State)
	}
	if b.html[0]+b.tail[0] == "" {
		t.Fatal("partial output lost")
	}
	if !b.outcome.Usage.Estimated {
		t.Error("a stopped run without usage must be an estimate")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !cancelled.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !cancelled.Load() {
		t.Error("the upstream request was not cancelled")
	}
}

func TestUnwatchedRunIsCancelled(t *testing.T) {
	raw, _ := os.ReadFile(fixtureDir + "/openai-chat-obfuscation-usage.sse")
	srv := httptest.NewServer(serve(raw, 100, 20*time.Millisecond))
	defer srv.Close()
	m := newManager(t, Config{Grace: 100 * time.Millisecond})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	deadline := time.Now().Add(5 * time.Second)
	for r.State() == Running && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	evs, _, _ := r.Since(0)
	b := replay(t, evs)
	if b.outcome == nil || b.outcome.State != Stopped || b.outcome.Reason != "nobody was watching" {
		t.Fatalf("summary %+v", b.outcome)
	}
}

func TestUpstreamErrors(t *testing.T) {
	tests := map[string]struct {
		status  int
		header  map[string]string
		body    string
		message string
		hint    string
		retry   int
	}{
		"400 with param": {400, nil, `{"error":{"message":"Unsupported value: 'temperature'","type":"invalid_request_error","param":"temperature","code":"unsupported_value"}}`,
			"400 Bad Request: Unsupported value: 'temperature' (unsupported_value) [param: temperature]", "Check the field temperature", 0},
		"401 echoing the key": {401, nil, `{"error":{"message":"Incorrect API key provided: sk-secret-key-1234","type":"invalid_request_error","code":"invalid_api_key"}}`,
			"401 Unauthorized: Incorrect API key provided: [redacted] (invalid_api_key)", "Set P_KEY", 0},
		"402":              {402, nil, `{"error":{"message":"Insufficient credits"}}`, "402 Payment Required: Insufficient credits", "Out of credits", 0},
		"404":              {404, nil, `{"error":{"message":"The model m does not exist","code":"model_not_found"}}`, "404 Not Found", "Model not found", 0},
		"429 retry-after":  {429, map[string]string{"Retry-After": "17"}, `{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}`, "429 Too Many Requests", "Rate limited", 17},
		"429 quota":        {429, nil, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`, "429", "retrying will not help", 0},
		"500 not JSON":     {500, nil, `upstream exploded`, "500 Internal Server Error: upstream exploded", "provider failed", 0},
		"openrouter shape": {402, nil, `{"error":{"code":402,"message":"Insufficient credits","metadata":{"provider_name":"X"}}}`, "Insufficient credits (provider: X) (402)", "Out of credits", 0},
	}
	m := newManager(t, Config{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
			if b.errMsg == nil {
				t.Fatal("no error event")
			}
			if !strings.Contains(b.errMsg.Message, tc.message) || !strings.Contains(b.errMsg.Hint, tc.hint) || b.errMsg.RetryAfter != tc.retry || b.errMsg.Status != tc.status {
				t.Errorf("error %+v", *b.errMsg)
			}
			if strings.Contains(b.errMsg.Message, "sk-secret") {
				t.Error("the key leaked into the error")
			}
			if b.outcome.State != Failed {
				t.Errorf("state %s", b.outcome.State)
			}
			// Refused before any output: nothing was billed.
			c := b.outcome.Cost
			if !c.Refused || !c.Known || c.Total.Rat() == nil || c.Total.Rat().Sign() != 0 || c.Estimated || b.outcome.Usage.Input != 0 || b.outcome.Usage.Estimated {
				t.Errorf("a refused run's cost %+v, usage %+v", c, b.outcome.Usage)
			}
		})
	}
}

func TestErrorViewShowsType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"message":"Previous response with id 'resp_x' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}`)
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	b := replay(t, wait(t, m.Start(spec(catalog.Responses, srv.URL, "{}"))))
	want := "400 Bad Request: Previous response with id 'resp_x' not found. (previous_response_not_found) [param: previous_response_id] [type: invalid_request_error]"
	if b.errMsg == nil || b.errMsg.Message != want || b.errMsg.Type != "invalid_request_error" || b.errMsg.Param != "previous_response_id" || b.errMsg.Code != "previous_response_not_found" {
		t.Fatalf("error %+v", b.errMsg)
	}
}

// TestFailureAfterOutputIsBilled: an error inside a 200 stream after some
// output still bills what was generated (an estimate without usage), so
// only a refusal before output is free.
func TestFailureAfterOutputIsBilled(t *testing.T) {
	for name, body := range map[string]string{
		"estimate": "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"}}]}\n\n" +
			"data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
		"usage": "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"}}]}\n\n" +
			"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n" +
			"data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(serve([]byte(body), 1000, 0))
			defer srv.Close()
			m := newManager(t, Config{})
			s := spec(catalog.Chat, srv.URL, "{}")
			s.PromptTokens = 5
			b := replay(t, wait(t, m.Start(s)))
			if b.errMsg == nil || b.errMsg.Type != "server_error" || !strings.Contains(b.errMsg.Message, "[type: server_error]") {
				t.Fatalf("error %+v", b.errMsg)
			}
			c := b.outcome.Cost
			if c.Refused || !c.Known || c.Total.Rat() == nil || c.Total.Rat().Sign() <= 0 || b.outcome.Usage.Output == 0 || c.Estimated != (name == "estimate") {
				t.Errorf("cost %+v, usage %+v", c, b.outcome.Usage)
			}
		})
	}
}

func TestConnectionRefusedAndFallback(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	raw, _ := os.ReadFile(fixtureDir + "/openai-chat-text-usage.sse")
	good := httptest.NewServer(serve(raw, 1000, 0))
	defer good.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) }))
	defer failing.Close()
	m := newManager(t, Config{})

	b := replay(t, wait(t, m.Start(spec(catalog.Chat, dead, "{}"))))
	if b.errMsg == nil || !strings.Contains(b.errMsg.Message, "connection refused") {
		t.Fatalf("refused: %+v", b.errMsg)
	}
	s := spec(catalog.Chat, dead, "{}")
	s.BaseURLs = []string{dead, failing.URL, good.URL}
	r := m.Start(s)
	b = replay(t, wait(t, r))
	if b.outcome.State != Completed || !strings.HasPrefix(b.outcome.URL, good.URL) {
		t.Fatalf("fallback: state %s url %s", b.outcome.State, b.outcome.URL)
	}
	if in := r.Inspect(); !strings.HasPrefix(in.URL, good.URL) {
		t.Errorf("inspector URL %s", in.URL)
	}
}

func TestIdleTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // stall
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	if b.outcome.State != Interrupted || b.errMsg == nil || b.errMsg.Code != "idle_timeout" || b.tail[0]+b.html[0] == "" {
		t.Fatalf("error %+v, output %q", b.errMsg, b.tail[0])
	}
}

func TestInterruptedStream(t *testing.T) {
	srv := httptest.NewServer(serve([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"), 100, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	if b.outcome.State != Interrupted || !b.outcome.Truncated {
		t.Fatalf("summary %+v", b.outcome)
	}
}

func TestNonStreamJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"# Hi\n\nThere"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`)
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	b := replay(t, wait(t, r))
	if !strings.Contains(b.html[0], "<h1>Hi</h1>") || b.outcome.Usage.Output != 4 || b.outcome.Cost.Total == nil {
		t.Fatalf("html %q summary %+v", b.html[0], b.outcome)
	}
	if in := r.Inspect(); len(in.Events) != 1 || in.Events[0].Type != "body" || in.Status != 200 {
		t.Errorf("inspection %+v", in)
	}
}

func TestBackgroundResumeAndPoll(t *testing.T) {
	full, _ := os.ReadFile(fixtureDir + "/openai-responses-background.sse")
	resume, _ := os.ReadFile(fixtureDir + "/openai-responses-background-resume.sse")
	// The first stream breaks off after the queued event.
	cut := bytes.Index(full, []byte("event: response.in_progress"))
	var gotResume atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST":
			serve(full[:cut], 1000, 0)(w, r)
		case r.URL.Query().Get("stream") == "true":
			gotResume.Store(r.URL.RequestURI())
			serve(resume, 1000, 0)(w, r)
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	b := replay(t, wait(t, m.Start(spec(catalog.Responses, srv.URL, `{"background": true}`))))
	if b.outcome.State != Completed || b.html[0] != "<p>2 + 2 equals 4.</p>\n" {
		t.Fatalf("state %s html %q err %+v", b.outcome.State, b.html[0], b.errMsg)
	}
	if u, _ := gotResume.Load().(string); !strings.Contains(u, "/responses/resp_0850765c843cca5300699cc47d93c0819089a181f5feeff8eb?stream=true&starting_after=1") {
		t.Errorf("resume URL %q", u)
	}

	// Not streaming: poll until completed.
	var polls atomic.Int32
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "POST" {
			io.WriteString(w, `{"id":"resp_1","object":"response","status":"queued","output":[]}`)
			return
		}
		if polls.Add(1) < 3 {
			io.WriteString(w, `{"id":"resp_1","object":"response","status":"in_progress","output":[]}`)
			return
		}
		io.WriteString(w, `{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Done."}]}],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}`)
	}))
	defer srv2.Close()
	m2 := newManager(t, Config{PollInterval: 20 * time.Millisecond})
	s := spec(catalog.Responses, srv2.URL, `{"background": true}`)
	s.Request.Stream = false
	b = replay(t, wait(t, m2.Start(s)))
	if b.outcome.State != Completed || b.html[0] != "<p>Done.</p>\n" || polls.Load() != 3 {
		t.Fatalf("poll: state %s html %q polls %d", b.outcome.State, b.html[0], polls.Load())
	}
}

func TestOwnerOnly(t *testing.T) {
	srv := httptest.NewServer(serve([]byte("data: [DONE]\n\n"), 100, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	if _, ok := m.Get(r.ID, "someone else"); ok {
		t.Error("another session sees the run")
	}
	if _, ok := m.Get(r.ID, "owner"); !ok {
		t.Error("the owner cannot see the run")
	}
	wait(t, r)
}

func TestTranscriptRedacted(t *testing.T) {
	srv := httptest.NewServer(serve([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"your key is sk-secret-key-1234\"}}]}\n\ndata: [DONE]\n\n"), 100, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	wait(t, r)
	if bytes.Contains(r.Transcript(), []byte("sk-secret")) {
		t.Error("transcript has the key")
	}
	in := r.Inspect()
	if len(in.Events) != 2 || strings.Contains(fmt.Sprint(in), "sk-secret") {
		t.Errorf("inspection %+v", in)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "nl\nr\rt\t", "<script>&", "\x00\x1f\x7f", "héllo 世界 🙂", "\u2028\u2029", string([]byte{0xff, 'a'})} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q: %s is not JSON: %v", s, got, err)
			continue
		}
		if back != strings.ToValidUTF8(s, "\uFFFD") {
			t.Errorf("%q round-tripped to %q", s, back)
		}
		if bytes.ContainsAny(got, "<>&") {
			t.Errorf("%q: HTML characters not escaped: %s", s, got)
		}
	}
}

func TestManagerCloseEndsRuns(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	m := NewManager(Config{}, upstream.New(upstream.DefaultConfig()), &tokens.Counter{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { m.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	if r.State() != Stopped {
		t.Errorf("state %s", r.State())
	}
	_ = context.Background()
}

// Past MaxRuns the oldest finished runs are dropped, in the order they
// finished; a running run is never dropped.
func TestEvictionDropsOldestFinished(t *testing.T) {
	quick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
	}))
	defer quick.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	m := newManager(t, Config{MaxRuns: 2})
	body := `{"model":"m","stream":true,"messages":[]}`
	running := m.Start(spec(catalog.Chat, slow.URL, body))
	var done []*Run
	for range 3 {
		r := m.Start(spec(catalog.Chat, quick.URL, body))
		wait(t, r)
		done = append(done, r)
	}
	kept := func(r *Run) bool { _, ok := m.Get(r.ID, "owner"); return ok }
	// Each start evicted the finished runs before it, oldest first.
	if !kept(running) || !kept(done[2]) || kept(done[0]) || kept(done[1]) {
		t.Errorf("kept: running %v, finished %v %v %v", kept(running), kept(done[0]), kept(done[1]), kept(done[2]))
	}
	next := m.Start(spec(catalog.Chat, quick.URL, body))
	if !kept(running) || kept(done[2]) || !kept(next) {
		t.Errorf("after one more start: running %v, last finished %v, new %v", kept(running), kept(done[2]), kept(next))
	}
	wait(t, next)
	running.Stop()
	wait(t, running)
}

// TestUnreachedRunCostsNothing: a request that could not be sent (nothing
// listens at the address) costs nothing and says why; one stopped before
// its answer came may have been received, so it is not called unreached.
func TestUnreachedRunCostsNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	m := newManager(t, Config{})
	s := spec(catalog.Chat, closed, "{}")
	s.PromptTokens = 50
	b := replay(t, wait(t, m.Start(s)))
	c := b.outcome.Cost
	if b.outcome.State != Failed || !c.Unreached || c.Refused || c.Estimated || c.Total.Rat() == nil || c.Total.Rat().Sign() != 0 || b.outcome.Usage.Input != 0 {
		t.Fatalf("state %s, cost %+v, usage %+v", b.outcome.State, c, b.outcome.Usage)
	}
	srv := holdingServer(t)
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	time.Sleep(50 * time.Millisecond)
	r.Stop()
	if c := replay(t, wait(t, r)).outcome.Cost; c.Unreached {
		t.Errorf("a stopped run was called unreached: %+v", c)
	}
}
