package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fakeUpstream answers by the requested model: a slow stream, errors, a
// reasoning model with a tool call.
func fakeUpstream(tb testing.TB) *httptest.Server {
	tb.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sse", name))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	slow := read("openai-chat-obfuscation-usage.sse")
	tools := read("deepseek-chat-tool-call.sse")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model string `json:"model"`
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		if r.Header.Get("Authorization") != "Bearer sk-local-test" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"Invalid API key","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		stream := func(data []byte, chunk int, pause time.Duration) {
			w.Header().Set("Content-Type", "text/event-stream")
			for len(data) > 0 {
				n := min(chunk, len(data))
				if _, err := w.Write(data[:n]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				data = data[n:]
				select {
				case <-r.Context().Done():
					return
				case <-time.After(pause):
				}
			}
		}
		switch body.Model {
		case "slow":
			stream(slow, 400, 40*time.Millisecond) // about 10 s in all
		case "tools":
			stream(tools, 2000, 5*time.Millisecond)
		case "limited":
			w.Header().Set("Retry-After", "42")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"message":"model not found"}}`)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// localCatalog writes a catalog whose provider points at the fake
// upstream, with a chat model per id (the first one priced).
func localCatalog(tb testing.TB, base string, ids ...string) string {
	tb.Helper()
	if len(ids) == 0 {
		ids = []string{"slow", "tools", "limited"}
	}
	var models []string
	for i, id := range ids {
		price := ""
		if i == 0 {
			price = `, "price": {"input": 1, "output": 2}`
		}
		models = append(models, fmt.Sprintf(`{"id": %q, "provider": "local", "api_style": "chat", "form_schema": "chat-openai-compatible"%s}`, id, price))
	}
	doc := fmt.Sprintf(`{"providers": [{"id": "local", "name": "Local test", "base_url": %q, "api_key_env": "LOCAL_API_KEY",
		"api_styles": ["chat"], "currency": "USD"}],
	"models": [%s]}`, base+"/v1", strings.Join(models, ",\n"))
	path := filepath.Join(tb.TempDir(), "local.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func textLen(sel string, n *int) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent.length`, sel), n)
}

func TestBrowserRunStreamsAndStops(t *testing.T) {
	up := fakeUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL))
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=slow"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "running"),
		waitText(`[data-testid="answer"]`, "Harmony Day"),
	)
	var first, second int
	b.run(t, textLen(`[data-testid="answer"]`, &first))
	time.Sleep(700 * time.Millisecond)
	b.run(t, textLen(`[data-testid="answer"]`, &second))
	if second <= first {
		t.Fatalf("text did not grow while streaming: %d then %d", first, second)
	}
	var state string
	b.run(t, text(`[data-testid="run-state"]`, &state))
	if state != "running" {
		t.Fatalf("state %q before the end", state)
	}
	b.run(t,
		chromedp.Click(`[data-testid="stop"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "stopped"),
		waitText(`[data-testid="metrics"]`, "estimate"),
	)
	var partial string
	b.run(t, text(`[data-testid="answer"]`, &partial))
	if !strings.Contains(partial, "Harmony Day") || strings.Contains(partial, "mutual respect.") {
		t.Errorf("after Stop the answer is not the partial text:\n%s", partial)
	}
	// The inspector shows the request (key redacted) and the raw events.
	b.run(t,
		chromedp.Click(`[data-testid="inspector-tab"]`, chromedp.ByQuery),
		waitText(`[data-testid="inspector-body"]`, "chat.completion.chunk"),
		waitText(`[data-testid="inspector-body"]`, "$LOCAL_API_KEY (redacted)"),
	)
	var html string
	b.run(t, chromedp.OuterHTML("html", &html, chromedp.ByQuery))
	if strings.Contains(html, "sk-local-test") {
		t.Error("the key is in the page")
	}
	b.noScriptErrors(t)
}

func TestBrowserRunErrors(t *testing.T) {
	up := fakeUpstream(t)
	cat := localCatalog(t, up.URL)
	// 401: a wrong key.
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-wrong"}, "--catalog", cat)
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=slow"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-error"]`, "401 Unauthorized: Invalid API key"),
		waitText(`[data-testid="run-error"]`, "set LOCAL_API_KEY"),
		waitText(`[data-testid="run-state"]`, "failed"),
	)
	// 429 with Retry-After: the countdown.
	base = startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", cat)
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=limited"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-error"]`, "429 Too Many Requests: Rate limit reached"),
		waitText(`[data-testid="retry-after"]`, "You can retry in 42 s."),
		// The server rendered the box; the page counts the wait down in
		// place.
		waitText(`[data-testid="retry-after"]`, "You can retry in 40 s."),
	)
	b.noScriptErrors(t)
}

func TestBrowserReasoningAndToolCall(t *testing.T) {
	up := fakeUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL))
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=tools"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "completed"),
		waitText(`[data-testid="reasoning"]`, "The user is asking for the weather in San Francisco"),
		waitText(`[data-testid="tool-call"]`, "Tool call: weather"),
		waitText(`[data-testid="tool-call"]`, "\"location\": \"San Francisco\""),
		waitText(`[data-testid="metrics"]`, "39 reasoning"),
	)
	var open bool
	b.run(t, chromedp.Evaluate(`document.querySelector('[data-reasoning]').open`, &open))
	if open {
		t.Error("reasoning should start collapsed")
	}
	b.noScriptErrors(t)
}

func TestBrowserReloadResumesRun(t *testing.T) {
	up := fakeUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL))
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=slow"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="answer"]`, "Harmony Day"),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="run"]`, chromedp.ByQuery),
		waitText(`[data-testid="answer"]`, "Harmony Day"),
	)
	var state string
	b.run(t, text(`[data-testid="run-state"]`, &state))
	if state != "running" {
		t.Fatalf("after reload the run is %q, want it still running", state)
	}
	b.run(t, waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second))
	var answer string
	b.run(t, text(`[data-testid="answer"]`, &answer))
	if !strings.HasSuffix(strings.TrimSpace(answer), "mutual respect.") || strings.Count(answer, "**Holiday Name:**")+strings.Count(answer, "Holiday Name:") != 1 {
		t.Errorf("resumed answer is not the whole answer once:\n%s", answer)
	}
	var raw []byte
	b.run(t, chromedp.Evaluate(`document.querySelector('[data-testid="answer"]').innerHTML`, &raw))
	if bytes.Contains(raw, []byte("<script")) {
		t.Error("script in answer")
	}
	b.noScriptErrors(t)
}

// TestBrowserRunInOneRequest: Run starts the run and reads its events in
// the same request (no EventSource for a run that streams to its end),
// and a stream cut short resumes with EventSource where it broke: the
// answer is the one a fresh replay of the run's events gives, no token
// lost or doubled.
func TestBrowserRunInOneRequest(t *testing.T) {
	base := startServer(t, nil, "--sim-ttft", "20ms", "--sim-tps", "400")
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
	)
	var streams []string
	b.run(t, chromedp.Evaluate(`performance.getEntriesByType('resource').map(e => e.initiatorType + ' ' + new URL(e.name).pathname)
		.filter(n => n.includes('/runs'))`, &streams))
	if len(streams) != 1 || streams[0] != "fetch /runs" {
		t.Errorf("requests of the run: %q, want just the fetch of /runs", streams)
	}

	// Cut the next run's stream after its third piece, as a dropped
	// connection would.
	b.run(t,
		chromedp.Evaluate(`(() => {
			const orig = window.fetch;
			window.fetch = async (...args) => {
				const resp = await orig(...args);
				if (!(resp.headers.get('Content-Type') || '').startsWith('text/event-stream')) return resp;
				const reader = resp.body.getReader();
				let n = 0;
				const body = new ReadableStream({ async pull(c) {
					if (++n > 3) { reader.cancel(); c.error(new TypeError('network error')); return; }
					const x = await reader.read();
					if (x.done) c.close(); else c.enqueue(x.value);
				} });
				return new Response(body, { status: resp.status, headers: resp.headers });
			};
		})()`, nil),
		setValue(`textarea[name="prompt"], [data-testid="message-content"]`, "[[events:300]] Tell me about the sea."),
		chromedp.Evaluate(`document.querySelector('[data-testid="run"]').id = 'previous-run'`, nil),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#previous-run`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
	)
	var resumed []string
	b.run(t, chromedp.Evaluate(`performance.getEntriesByType('resource').map(e => new URL(e.name)).filter(u => u.pathname.endsWith('/events')).map(u => u.search)`, &resumed))
	if len(resumed) != 1 || !strings.HasPrefix(resumed[0], "?after=") || resumed[0] == "?after=0" {
		t.Errorf("resumed with %q, want one EventSource from ?after=N", resumed)
	}
	var cut, replayed string
	b.run(t, text(`[data-testid="answer"]`, &cut))
	b.run(t,
		chromedp.Navigate(base+"/"),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
		text(`[data-testid="answer"]`, &replayed),
	)
	if cut == "" || cut != replayed {
		t.Errorf("the resumed answer differs from the run's:\n%s\n---\n%s", cut, replayed)
	}
	b.noScriptErrors(t)
}

// TestBrowserRunThatNeverStartsSaysSo: when Run's request fails, or its
// stream ends before the run panel arrives, the page says the run did not
// start and keeps the form.
func TestBrowserRunThatNeverStartsSaysSo(t *testing.T) {
	b := openOnSimulator(t)
	const prompt = `textarea[name="prompt"], [data-testid="message-content"]`
	for _, fake := range []string{
		`() => Promise.reject(new TypeError('Failed to fetch'))`,
		`() => Promise.resolve(new Response('', { status: 200, headers: { 'Content-Type': 'text/event-stream' } }))`,
	} {
		var kept string
		b.run(t,
			htmxReady("#draft"),
			setValue(prompt, "keep me"),
			chromedp.Evaluate(`document.getElementById('output').textContent = ''; window.fetch = `+fake, nil),
			chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
			waitText(`[data-testid="run-not-started"]`, "the run did not start"),
			chromedp.Value(prompt, &kept, chromedp.ByQuery),
		)
		if kept != "keep me" {
			t.Errorf("%s: the prompt became %q", fake, kept)
		}
	}
}

// A provider that echoes the key in headers, cut across deltas of the
// text, the reasoning and a tool call, JSON-escaped and URL-encoded: the
// page never shows it, during the run or after it, in the output or the
// inspector, and the tool call's arguments arrive whole from their
// deltas.
func TestBrowserEchoedKeyNotShown(t *testing.T) {
	up, _ := echoUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": operatorKey}, "--catalog", localCatalog(t, up.URL, "echo"))
	b := newBrowser(t)
	var seenLive []string
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=echo"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="answer"]`, "split [redacted]"),
		chromedp.Evaluate(`[document.querySelector('[data-testid="output"]').textContent]`, &seenLive),
		waitText(`[data-testid="run-state"]`, "failed"),
		waitText(`[data-testid="tool-call"]`, `"k": "[redacted]"`),
		chromedp.Click(`[data-testid="inspector-tab"]`, chromedp.ByQuery),
		waitText(`[data-testid="inspector-body"]`, "X-Debug-Key"),
	)
	var page string
	b.run(t, chromedp.Evaluate(`document.body.innerText + document.body.textContent`, &page))
	for _, s := range append(seenLive, page) {
		for _, form := range keyForms(operatorKey) {
			if strings.Contains(s, form) {
				t.Errorf("the page shows %q", form)
			}
		}
	}
	for _, want := range []string{"r:[redacted] thought", "escaped [redacted] and [redacted]", "X-Debug-Key"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	b.noScriptErrors(t)
}
