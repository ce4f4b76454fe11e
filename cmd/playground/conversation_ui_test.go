package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// recordingUpstream is a Chat upstream that keeps the body of each request:
// the model "tools" answers with a recorded tool call, any other with a
// short markdown answer.
type recordingUpstream struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

const markdownAnswer = "**Calm** seas and `blue` water, see [the chart](https://example.com/c)."

func newRecordingUpstream(tb testing.TB) *recordingUpstream {
	tb.Helper()
	tools, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sse", "deepseek-chat-tool-call.sse"))
	if err != nil {
		tb.Fatal(err)
	}
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = fmt.Sprintf("%q", finish)
		}
		return fmt.Sprintf(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"echo","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`+"\n\n", delta, f)
	}
	half := len(markdownAnswer) / 2
	part := func(s string) string { b, _ := json.Marshal(map[string]string{"content": s}); return string(b) }
	text := chunk(`{"role":"assistant","content":""}`, "") + chunk(part(markdownAnswer[:half]), "") +
		chunk(part(markdownAnswer[half:]), "") + chunk(`{}`, "stop") + "data: [DONE]\n\n"
	u := &recordingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, string(b))
		u.mu.Unlock()
		var body struct {
			Model string `json:"model"`
		}
		json.Unmarshal(b, &body)
		w.Header().Set("Content-Type", "text/event-stream")
		if body.Model == "tools" {
			w.Write(tools)
			return
		}
		io.WriteString(w, text)
	}))
	tb.Cleanup(u.Close)
	return u
}

// last is the body of the latest request, its messages read.
func (u *recordingUpstream) last(tb testing.TB) (string, []map[string]any) {
	tb.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.bodies) == 0 {
		tb.Fatal("the upstream received nothing")
	}
	raw := u.bodies[len(u.bodies)-1]
	var body struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		tb.Fatalf("the upstream's body: %v\n%s", err, raw)
	}
	return raw, body.Messages
}

func (u *recordingUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.bodies)
}

// rolesOf lists the roles of messages, for comparing conversations.
func rolesOf(msgs []map[string]any) string {
	var rs []string
	for _, m := range msgs {
		rs = append(rs, fmt.Sprint(m["role"]))
	}
	return strings.Join(rs, ",")
}

// turn selects the n-th turn of the transcript (1-based) and, below it, sel.
func turn(n int, sel string) string {
	return fmt.Sprintf(`[data-testid="transcript"] [data-testid="message-row"]:nth-child(%d) %s`, n, sel)
}

const turnRoles = `[...document.querySelectorAll('[data-testid="transcript"] [data-testid="message-row"]')].map(r => r.getAttribute('data-role')).join(',')`

// waitRoles waits until the transcript's turns have these roles, and says
// which they have when they do not.
func waitRoles(want string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var got string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if err := chromedp.Run(ctx, chromedp.Evaluate(turnRoles, &got)); err == nil && got == want {
				return nil
			}
		}
		return fmt.Errorf("the transcript's turns are %q, want %q", got, want)
	})
}

// TestBrowserTranscript works a conversation in its transcript against an
// upstream that records what it receives: a turn edited in place (the curl
// follows), an answer copied as text and as markdown, a turn deleted,
// regenerate from here (the curl and the upstream's body hold the
// truncated conversation), New conversation, and a tool call with its
// result box inline, sent on. Then the page with its transcript at every
// width and theme (no horizontal overflow at 390 px).
func TestBrowserTranscript(t *testing.T) {
	up := newRecordingUpstream(t)
	base := startServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL, "echo", "tools"))
	b := newBrowser(t)
	var roles, curl string
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=echo"),
		chromedp.WaitVisible(`[data-testid="transcript"]`, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.Evaluate(turnRoles, &roles),
	)
	if roles != "user" {
		t.Fatalf("a new conversation's turns: %s", roles)
	}
	// A system turn on top, then the question.
	b.run(t,
		chromedp.Click(`[data-testid="add-messages"]`, chromedp.ByQuery),
		pick(turn(2, `[data-testid="message-role"]`), "system"),
		chromedp.Evaluate(`(() => { const l = document.getElementById('rows-messages'); l.insertBefore(l.lastElementChild, l.firstElementChild); })()`, nil),
		setValue(turn(1, `[data-testid="message-content"]`), "Be brief."),
		setValue(turn(2, `[data-testid="message-content"]`), "Tell me about the sea."),
		waitText(`[data-testid="curl"]`, "Tell me about the sea."),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		chromedp.Click(`[data-testid="continue-button"]`, chromedp.ByQuery),
		waitRoles("system,user,assistant,user"),
		htmxReady(`#draft`),
		setValue(turn(4, `[data-testid="message-content"]`), "Shorter, please."),
		waitText(`[data-testid="curl"]`, "Shorter, please."),
	)

	// Edit in place: Edit puts the cursor in the turn's own text.
	var focused bool
	b.run(t,
		chromedp.Click(turn(2, `[data-testid="edit-turn"]`), chromedp.ByQuery),
		chromedp.Evaluate(`document.activeElement === document.querySelector('`+turn(2, `[data-testid="message-content"]`)+`')`, &focused),
	)
	if !focused {
		t.Fatal("Edit did not put the cursor in the turn")
	}
	b.run(t,
		chromedp.KeyEvent(" And the waves."),
		waitText(`[data-testid="curl"]`, "Tell me about the sea. And the waves."),
	)

	// Copy: the answer's turn as text and as markdown.
	var copied string
	b.run(t,
		chromedp.Evaluate(`navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); }`, nil),
		chromedp.Click(turn(3, `[data-testid="copy-text"]`), chromedp.ByQuery),
		chromedp.Poll(`window.copied !== undefined`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`window.copied`, &copied),
	)
	if copied != "Calm seas and blue water, see the chart." {
		t.Errorf("copied as text: %q", copied)
	}
	b.run(t,
		chromedp.Click(turn(3, `[data-testid="copy-markdown"]`), chromedp.ByQuery),
		chromedp.Evaluate(`window.copied`, &copied),
	)
	if copied != markdownAnswer {
		t.Errorf("copied as markdown: %q", copied)
	}
	var userCopies int
	b.run(t, chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="message-row"]:not([data-role="assistant"]) [data-testid="copy-text"]')].filter(e => e.offsetParent !== null).length`, &userCopies))
	if userCopies != 0 {
		t.Errorf("%d turns that are not answers offer a copy", userCopies)
	}

	// Delete the last turn: the curl loses it.
	b.run(t,
		chromedp.Click(turn(4, `[data-testid="delete-turn"]`), chromedp.ByQuery),
		waitRoles("system,user,assistant"),
		waitTextGone(`[data-testid="curl"]`, "Shorter, please."),
	)

	// Regenerate from the question: the answer goes, the run starts, and
	// the curl and the upstream hold the conversation up to the question.
	sent := up.count()
	b.run(t,
		chromedp.Click(turn(2, `[data-testid="regenerate"]`), chromedp.ByQuery),
		waitRoles("system,user"),
		waitTextGone(`[data-testid="curl"]`, `"role": "assistant"`),
		text(`[data-testid="curl"]`, &curl),
	)
	deadline := time.Now().Add(10 * time.Second)
	for up.count() == sent && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	raw, msgs := up.last(t)
	if up.count() != sent+1 || rolesOf(msgs) != "system,user" || !strings.Contains(raw, "Tell me about the sea. And the waves.") || strings.Contains(raw, "Calm") {
		t.Errorf("regenerate from here sent %d request(s), the last:\n%s", up.count()-sent, raw)
	}
	if !strings.Contains(curl, "Tell me about the sea. And the waves.") || strings.Contains(curl, "Calm") {
		t.Errorf("the curl after regenerate from here:\n%s", curl)
	}
	b.run(t, waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second))

	// Regenerate an answer: it goes with what follows, the question before
	// it is sent again.
	b.run(t,
		chromedp.Click(`[data-testid="continue-button"]`, chromedp.ByQuery),
		waitRoles("system,user,assistant,user"),
		htmxReady(`#draft`),
	)
	sent = up.count()
	b.run(t,
		chromedp.Click(turn(3, `[data-testid="regenerate"]`), chromedp.ByQuery),
		waitRoles("system,user"),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
	)
	if _, msgs := up.last(t); up.count() != sent+1 || rolesOf(msgs) != "system,user" {
		t.Errorf("regenerating an answer sent %d request(s) with %s", up.count()-sent, rolesOf(msgs))
	}

	// New conversation: the system turn stays, one empty turn follows.
	var content string
	b.run(t,
		chromedp.Click(`[data-testid="new-conversation"]`, chromedp.ByQuery),
		waitRoles("system,user"),
		chromedp.Value(turn(2, `[data-testid="message-content"]`), &content, chromedp.ByQuery),
		waitTextGone(`[data-testid="curl"]`, "Tell me about the sea."),
		waitText(`[data-testid="curl"]`, "Be brief."),
	)
	if content != "" {
		t.Errorf("the new conversation's turn holds %q", content)
	}

	// A tool call: carried into the transcript where it happened, its
	// result typed in the tool turn's box and sent.
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=tools"),
		chromedp.WaitVisible(`[data-testid="transcript"]`, chromedp.ByQuery),
		htmxReady(`#draft`),
		// The form keeps the conversation across the switch: a new one.
		chromedp.Click(`[data-testid="new-conversation"]`, chromedp.ByQuery),
		waitRoles("system,user"),
		setValue(turn(2, `[data-testid="message-content"]`), "Weather in San Francisco?"),
		waitText(`[data-testid="curl"]`, "San Francisco"),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		waitText(`[data-testid="tool-call"]`, "weather"),
		chromedp.Click(`[data-testid="continue-button"]`, chromedp.ByQuery),
		waitRoles("system,user,assistant,tool"),
		htmxReady(`#draft`),
		waitText(turn(3, `[data-testid="turn-tool-call"]`), "Tool call: weather"),
		waitText(turn(4, `[data-testid="turn-result-of"]`), "Result of weather"),
		chromedp.WaitVisible(turn(4, `[data-testid="message-content"]`), chromedp.ByQuery),
		setValue(turn(4, `[data-testid="message-content"]`), "14 C and fog"),
		waitText(`[data-testid="curl"]`, "14 C and fog"),
	)
	b.run(t, text(`[data-testid="curl"]`, &curl))
	if !strings.Contains(curl, `"tool_call_id": "`) || !strings.Contains(curl, `"tool_calls": [`) {
		t.Errorf("the curl with the tool's result:\n%s", curl)
	}
	sent = up.count()
	b.run(t,
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
	)
	if raw, msgs := up.last(t); up.count() != sent+1 || rolesOf(msgs) != "system,user,assistant,tool" || !strings.Contains(raw, "14 C and fog") {
		t.Errorf("the tool's result sent as:\n%s", raw)
	}

	// The page with its transcript, on every screen and theme.
	var wide int
	b.run(t,
		chromedp.EmulateViewport(390, 844),
		chromedp.Evaluate(settle, nil, awaitPromise),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &wide),
	)
	if wide > 390 {
		t.Errorf("the page with a transcript is %d px wide at 390 px", wide)
	}
	checkLayout(t, b, "conversation")
	b.noScriptErrors(t)
}

// TestBrowserCompletionsContinue: a Completions model keeps its prompt box,
// and continuing from the answer appends the answer to the prompt.
func TestBrowserCompletionsContinue(t *testing.T) {
	base := startServer(t, nil, "--sim-ttft", "20ms", "--sim-tps", "400")
	b := newBrowser(t)
	var answer, prompt string
	var transcripts int
	b.run(t,
		chromedp.Navigate(base+"/?provider=sim&model=seed000.gpt-5.4-pro"),
		chromedp.WaitReady(`textarea[name="prompt"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4-pro"`),
		htmxReady(`#draft`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="transcript"]').length`, &transcripts),
		setValue(`textarea[name="prompt"]`, "Once upon a time"),
		waitText(`[data-testid="curl"]`, "Once upon a time"),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitTextFor(`[data-testid="run-state"]`, "completed", 20*time.Second),
		text(`[data-testid="answer"]`, &answer),
		chromedp.WaitVisible(`[data-testid="continue-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="continue-button"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('textarea[name="prompt"]').value.length > 16`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Value(`textarea[name="prompt"]`, &prompt, chromedp.ByQuery),
	)
	if transcripts != 0 {
		t.Error("a Completions model shows a transcript")
	}
	head := strings.TrimSpace(answer)[:min(len(strings.TrimSpace(answer)), 30)]
	if !strings.HasPrefix(prompt, "Once upon a time") || !strings.Contains(prompt, head) {
		t.Errorf("the prompt after continuing: %q (the answer began %q)", prompt, head)
	}
	b.noScriptErrors(t)
}
