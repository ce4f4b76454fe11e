package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/stream"
)

// Ways a provider's connection breaks: cut (the connection closes inside
// a chunk of a chunked body: io.ErrUnexpectedEOF), reset (a TCP RST after
// the bytes were sent) and clean (a body without length or chunking whose
// connection closes, as a proxy ending the stream: io.EOF, no [DONE]).
var breaks = []string{"cut", "reset", "clean"}

// hostile answers every request with header (raw header lines, e.g. a
// content type, or none) and body, then breaks the connection as how says.
func hostile(t *testing.T, header string, body func(r *http.Request) []byte, how string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		b := body(r)
		if b == nil {
			w.WriteHeader(404)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		writeBroken(buf, header, b, how)
		if how == "reset" {
			// Let the client read what was sent, then abort: SO_LINGER 0
			// makes Close send a RST.
			time.Sleep(100 * time.Millisecond)
			conn.(*net.TCPConn).SetLinger(0)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeBroken(buf *bufio.ReadWriter, header string, b []byte, how string) {
	switch how {
	case "clean":
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n", header)
		buf.Write(b)
	case "cut":
		// The chunk promises more than comes.
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\n\r\n%x\r\n", header, len(b)+100)
		buf.Write(b)
	case "reset":
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\n\r\n%x\r\n", header, len(b))
		buf.Write(b)
		buf.WriteString("\r\n")
	}
	buf.Flush()
}

const sseHeader = "Content-Type: text/event-stream\r\n"

// decodeAll is what decoding raw directly gives: the complete events only.
func decodeAll(style catalog.Style, raw []byte) *stream.Result {
	res := stream.NewResult()
	dec := stream.NewDecoder(style)
	sd := sse.NewDecoder(bytes.NewReader(raw), 0)
	for {
		ev, err := sd.Next()
		if err != nil {
			return res
		}
		dec.Decode(ev, res.Apply)
	}
}

// cutPoints are where a recording is cut: a third and two thirds of the
// way (when the answer is not yet whole there), and a few bytes into the
// event that makes it whole (the last finish reason, or the terminal
// event).
func cutPoints(style catalog.Style, raw []byte) []int {
	start := 0
	for i := 0; i < len(raw); {
		j := bytes.Index(raw[i:], []byte("\n\n"))
		if j < 0 {
			break
		}
		end := i + j + 2
		if decodeAll(style, raw[:end]).Whole(false) {
			break
		}
		start, i = end, end
	}
	var at []int
	for _, p := range []int{len(raw) / 3, 2 * len(raw) / 3} {
		if p < start {
			at = append(at, p)
		}
	}
	return append(at, start+7)
}

// TestCutRecordingsAreInterrupted delivers every recorded stream cut at
// several points, broken each way: the run is interrupted (failed when an
// error came before the cut), the browser has exactly the output before
// the cut, and no finish reason or usage is made up.
func TestCutRecordingsAreInterrupted(t *testing.T) {
	files, _ := filepath.Glob(fixtureDir + "/*.sse")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	m := newManager(t, Config{})
	for _, f := range files {
		name := filepath.Base(f)
		raw, _ := os.ReadFile(f)
		style := styleOf(name)
		if bytes.Contains(raw, []byte(`"background":true`)) {
			continue // a background run resumes: TestBackgroundBreaks
		}
		for _, at := range cutPoints(style, raw) {
			for _, how := range breaks {
				t.Run(fmt.Sprintf("%s/%d/%s", name, at, how), func(t *testing.T) {
					part := raw[:at]
					srv := hostile(t, sseHeader, func(*http.Request) []byte { return part }, how)
					b := replay(t, wait(t, m.Start(spec(style, srv.URL+"/v1", "{}"))))
					want := decodeAll(style, part)
					if want.Whole(false) {
						t.Fatalf("cut at %d is after the answer's end", at)
					}
					wantState := Interrupted
					if want.Err != nil {
						wantState = Failed
					}
					if b.outcome.State != wantState {
						t.Fatalf("state %s, want %s (error %+v)", b.outcome.State, wantState, b.errMsg)
					}
					if want.Err != nil && (b.errMsg == nil || !strings.Contains(b.errMsg.Message, want.Err.Message)) {
						// The provider's own error, not the broken
						// connection after it.
						t.Errorf("failure %+v, want the provider's %q", b.errMsg, want.Err.Message)
					}
					if wantState == Interrupted {
						if b.errMsg == nil || b.errMsg.Code != "interrupted" || !strings.Contains(b.errMsg.Message, " after ") || !strings.Contains(b.errMsg.Hint, "Retry") {
							t.Errorf("failure %+v", b.errMsg)
						}
						if b.outcome.Reason == "" || !b.outcome.Truncated {
							t.Errorf("summary reason %q truncated %v", b.outcome.Reason, b.outcome.Truncated)
						}
					}
					var finishes []string
					for _, c := range want.Choices() {
						var s markdown.Stream
						wantHTML := s.Write(c.Text.String()) + s.Flush()
						got := b.html[c.Index] + b.tail[c.Index]
						if how == "reset" {
							// A RST may drop what the client had not read yet.
							if !strings.HasPrefix(wantHTML, strings.TrimSuffix(got, "\n")) && got != "" {
								t.Errorf("choice %d: %q is not the start of %q", c.Index, got, wantHTML)
							}
						} else if got != wantHTML {
							t.Errorf("choice %d html\n got %q\nwant %q", c.Index, got, wantHTML)
						}
						if c.Finish != "" {
							finishes = append(finishes, c.Finish)
						}
					}
					if how != "reset" && strings.Join(b.outcome.Finish, ",") != strings.Join(finishes, ",") {
						t.Errorf("finish %q, want %q", b.outcome.Finish, finishes)
					}
					if want.Usage == nil && !b.outcome.Usage.Estimated {
						t.Errorf("usage %+v was not reported but is not an estimate", b.outcome.Usage)
					}
				})
			}
		}
	}
}

// TestHostileStreams: an upstream that breaks off, stalls, or answers
// without the content type of what it sends.
func TestHostileStreams(t *testing.T) {
	const part = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" wor"
	const whole = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n: ping\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}\n\ndata: [DONE]\n\n"
	const jsonAnswer = `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`
	m := newManager(t, Config{})
	for _, tc := range []struct {
		name, header, body, how string
		state                   State
		msg                     string // in the failure's message
	}{
		{"reset mid-line", sseHeader, part, "reset", Interrupted, "the provider's connection was cut after 1 event"},
		{"cut mid-chunk", sseHeader, part, "cut", Interrupted, "the provider's connection was cut after 1 event: unexpected EOF"},
		{"closed cleanly mid-event", sseHeader, part, "clean", Interrupted, "the provider's connection was cut after 1 event: unexpected EOF"},
		{"closed cleanly between events, no finish", sseHeader, part[:strings.Index(part, "\n\n")+2], "clean", Interrupted, "the provider closed the stream before its end after 1 event"},
		{"no content type, SSE", "", whole, "clean", Completed, ""},
		{"JSON content type, SSE", "Content-Type: application/json\r\n", whole, "clean", Completed, ""},
		{"text/plain, SSE with a BOM", "Content-Type: text/plain\r\n", "\ufeff" + whole, "clean", Completed, ""},
		{"no content type, SSE cut", "", part, "cut", Interrupted, "unexpected EOF"},
		{"no content type, JSON", "", jsonAnswer, "clean", Completed, ""},
		{"HTML content type, JSON", "Content-Type: text/html\r\n", "\n " + jsonAnswer, "clean", Completed, ""},
		{"no content type, JSON cut", "", jsonAnswer[:40], "cut", Interrupted, "the provider's connection was cut after 0 events: unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := hostile(t, tc.header, func(*http.Request) []byte { return []byte(tc.body) }, tc.how)
			b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
			if b.outcome.State != tc.state {
				t.Fatalf("state %s, want %s (failure %+v)", b.outcome.State, tc.state, b.errMsg)
			}
			if tc.msg != "" && (b.errMsg == nil || !strings.Contains(b.errMsg.Message, tc.msg)) {
				t.Errorf("failure %+v, want %q", b.errMsg, tc.msg)
			}
			if tc.state == Completed && (b.errMsg != nil || b.outcome.Usage.Estimated || b.outcome.Usage.Output != 1) {
				t.Errorf("failure %+v usage %+v", b.errMsg, b.outcome.Usage)
			}
			if tc.name != "no content type, JSON cut" && b.html[0]+b.tail[0] != "<p>Hello</p>\n" {
				t.Errorf("output %q", b.html[0]+b.tail[0])
			}
			if tc.state == Interrupted && len(b.outcome.Finish) != 0 {
				t.Errorf("a finish reason was made up: %q", b.outcome.Finish)
			}
		})
	}
}

// TestEndWithoutDone: a stream that closes between events after every
// finish reason, and after the usage when it was asked for, is whole
// (some servers send no [DONE]); one still owing its usage is not.
func TestEndWithoutDone(t *testing.T) {
	const text = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n"
	const finish = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	const usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}\n\n"
	const asked = `{"stream": true, "stream_options": {"include_usage": true}}`
	m := newManager(t, Config{})
	for _, tc := range []struct {
		name, body, req string
		state           State
	}{
		{"finished, usage not asked", text + finish, "{}", Completed},
		{"finished, usage asked and sent", text + finish + usage, asked, Completed},
		{"finished, usage asked, not sent", text + finish, asked, Interrupted},
		{"not finished", text, "{}", Interrupted},
		{"finished with usage, [DONE] cut", text + finish + usage + "data: [DO", asked, Completed},
		{"finished with usage, [DONE] without its blank line", text + finish + usage + "data: [DONE]\n", asked, Completed},
		{"finished with usage, then a reset", text + finish + usage, asked, Completed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			how := "clean"
			if strings.HasSuffix(tc.name, "reset") {
				how = "reset"
			}
			srv := hostile(t, sseHeader, func(*http.Request) []byte { return []byte(tc.body) }, how)
			b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, tc.req))))
			if b.outcome.State != tc.state {
				t.Fatalf("state %s, want %s (failure %+v)", b.outcome.State, tc.state, b.errMsg)
			}
			if b.html[0]+b.tail[0] != "<p>Hello</p>\n" {
				t.Errorf("output %q", b.html[0]+b.tail[0])
			}
		})
	}
}

// TestStallIsInterrupted: a stream that stops sending is interrupted at
// the idle timeout, its output kept.
func TestStallIsInterrupted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Idle: 200 * time.Millisecond}})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	if b.outcome.State != Interrupted || b.errMsg == nil || b.errMsg.Code != "idle_timeout" || b.html[0]+b.tail[0] == "" || len(b.outcome.Finish) != 0 {
		t.Fatalf("summary %+v failure %+v", b.outcome, b.errMsg)
	}
}

// TestTranscriptKeepsWhatFollowsTheEnd: the bytes after the terminal
// event (a late [DONE], a last newline) are in the transcript.
func TestTranscriptKeepsWhatFollowsTheEnd(t *testing.T) {
	raw, _ := os.ReadFile(fixtureDir + "/openai-responses-text-after-tool.sse")
	tail := "data: [DONE]\n\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(raw)
		w.(http.Flusher).Flush()
		time.Sleep(10 * time.Millisecond) // read after the run saw response.completed
		io.WriteString(w, tail)
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Responses, srv.URL, "{}"))
	b := replay(t, wait(t, r))
	if b.outcome.State != Completed {
		t.Fatalf("state %s", b.outcome.State)
	}
	if got := string(r.Transcript()); got != string(raw)+tail {
		t.Errorf("transcript ends %q, want it to end %q", got[max(0, len(got)-40):], tail)
	}
}

// responsesEvents splits a recorded Responses stream into its framed
// events by sequence number.
func responsesEvents(t *testing.T, raw []byte) (events map[int][]byte, final []byte) {
	t.Helper()
	events = map[int][]byte{}
	for _, block := range strings.SplitAfter(string(raw), "\n\n") {
		_, data, ok := strings.Cut(block, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Seq      int             `json:"sequence_number"`
			Type     string          `json:"type"`
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &ev); err != nil {
			t.Fatal(err)
		}
		events[ev.Seq] = []byte(block)
		if ev.Type == "response.completed" {
			final = ev.Response
		}
	}
	return events, final
}

// backgroundRecording is the recorded background response: the first
// stream whole, its events and those of its resumed stream by sequence
// number, what follows a sequence number, and the final response object.
func backgroundRecording(t *testing.T) (full []byte, events map[int][]byte, after func(seq int) []byte, final []byte) {
	full, _ = os.ReadFile(fixtureDir + "/openai-responses-background.sse")
	resumeRaw, _ := os.ReadFile(fixtureDir + "/openai-responses-background-resume.sse")
	events, _ = responsesEvents(t, full)
	more, final := responsesEvents(t, resumeRaw)
	for k, v := range more {
		events[k] = v
	}
	last := 0
	for k := range events {
		last = max(last, k)
	}
	after = func(n int) []byte {
		var b []byte
		for k := n + 1; k <= last; k++ {
			b = append(b, events[k]...)
		}
		return b
	}
	return full, events, after, final
}

// TestBackgroundBreaks: a background Responses stream that breaks any way,
// at any point after the response has its id, is resumed after its last
// sequence number (a resumed stream that breaks too, again) and ends with
// the whole answer; a resume the provider refuses falls back to polling.
func TestBackgroundBreaks(t *testing.T) {
	full, events, after, final := backgroundRecording(t)
	const want = "<p>2 + 2 equals 4.</p>\n"
	first := len(events[0]) + 10 // into the second event: the id is known
	type breakCase struct {
		at     int
		how    string
		refuse bool
	}
	// A stall (the upstream's idle timeout, 2 s here) once: it is slow.
	cases := []breakCase{{len(full) / 2, "stall", false}}
	for _, at := range []int{first, len(full) / 2, len(full) - 20} {
		for _, how := range breaks {
			for _, refuse := range []bool{false, true} {
				cases = append(cases, breakCase{at, how, refuse})
			}
		}
	}
	for _, c := range cases {
		at, how, refuse := c.at, c.how, c.refuse
		t.Run(fmt.Sprintf("%d/%s/refuse=%v", at, how, refuse), func(t *testing.T) {
			var resumes, polls atomic.Int32
			var resumedAfter atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "POST" {
					io.Copy(io.Discard, r.Body)
					conn, buf, _ := w.(http.Hijacker).Hijack()
					defer conn.Close()
					if how == "stall" {
						// Chunked, the chunk sent whole, then nothing
						// until the client gives up.
						writeBroken(buf, sseHeader, full[:at], "reset")
						io.Copy(io.Discard, conn)
						return
					}
					writeBroken(buf, sseHeader, full[:at], how)
					if how == "reset" {
						time.Sleep(100 * time.Millisecond)
						conn.(*net.TCPConn).SetLinger(0)
					}
					return
				}
				if r.URL.Query().Get("stream") == "true" {
					n := resumes.Add(1)
					if refuse {
						http.Error(w, `{"error":{"message":"resume not supported","type":"server_error"}}`, 500)
						return
					}
					seq, _ := strconv.Atoi(r.URL.Query().Get("starting_after"))
					if n == 1 {
						resumedAfter.Store(seq)
					}
					rest := after(seq)
					if n == 1 && len(rest) > 200 {
						// The first resume breaks too.
						conn, buf, _ := w.(http.Hijacker).Hijack()
						writeBroken(buf, sseHeader, rest[:len(rest)/2], "cut")
						conn.Close()
						return
					}
					w.Header().Set("Content-Type", "text/event-stream")
					w.Write(rest)
					return
				}
				polls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Write(final)
			}))
			defer srv.Close()
			m := newManager(t, Config{PollInterval: 10 * time.Millisecond})
			r := m.Start(spec(catalog.Responses, srv.URL, `{"background": true}`))
			b := replay(t, wait(t, r))
			if b.outcome.State != Completed || b.html[0]+b.tail[0] != want {
				t.Fatalf("state %s output %q failure %+v", b.outcome.State, b.html[0]+b.tail[0], b.errMsg)
			}
			if b.outcome.Usage.Estimated || b.outcome.Usage.Output != 9 {
				t.Errorf("usage %+v", b.outcome.Usage)
			}
			if resumes.Load() == 0 {
				t.Error("the stream was not resumed")
			}
			if polls.Load() > 0 && b.outcome.Durations.Generation != 0 {
				t.Errorf("a polled run has a generation time (%v): no speed can be told", b.outcome.Durations.Generation)
			}
			if refuse && polls.Load() == 0 {
				t.Error("a refused resume did not fall back to polling")
			}
			if r.Inspect().PolledAfterBreak != refuse {
				t.Errorf("the inspector says polled after the break: %v", !refuse)
			}
			if !refuse {
				wantSeq := decodeAll(catalog.Responses, full[:at]).LastSeq
				if seq, _ := resumedAfter.Load().(int); seq != wantSeq {
					t.Errorf("resumed after %d, want %d", seq, wantSeq)
				}
			}
		})
	}
}

// TestBackgroundCancelSaysWhatTheProviderAnswered: Stop on a background
// run calls POST /responses/{id}/cancel; a cancel the provider refuses
// (404, 500) is not shown as cancelled.
func TestBackgroundCancelSaysWhatTheProviderAnswered(t *testing.T) {
	for _, tc := range []struct {
		status  int
		body    string
		reason  string
		claimed bool // a "cancelled" status event
	}{
		{200, `{"id":"resp_1","status":"cancelled"}`, "the provider cancelled the background response", true},
		{200, `{"id":"resp_1","status":"completed"}`, `the provider answered the cancel with the status "completed"`, false},
		{404, `{"error":{"message":"No response found with id 'resp_1'.","type":"invalid_request_error","code":"not_found"}}`, "the background response may still run: the provider answered the cancel with", false},
		{500, `{"error":{"message":"boom","type":"server_error"}}`, "the background response may still run", false},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			var cancels atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.HasSuffix(r.URL.Path, "/cancel"):
					cancels.Add(1)
					w.WriteHeader(tc.status)
					io.WriteString(w, tc.body)
				case r.Method == "POST":
					io.WriteString(w, `{"id":"resp_1","object":"response","status":"queued","output":[]}`)
				default:
					io.WriteString(w, `{"id":"resp_1","object":"response","status":"in_progress","output":[]}`)
				}
			}))
			defer srv.Close()
			m := newManager(t, Config{PollInterval: 20 * time.Millisecond})
			s := spec(catalog.Responses, srv.URL, `{"background": true}`)
			s.Request.Stream = false
			r := m.Start(s)
			time.Sleep(60 * time.Millisecond)
			r.Stop()
			evs := wait(t, r)
			b := replay(t, evs)
			if b.outcome.State != Stopped || cancels.Load() != 1 || !strings.Contains(b.outcome.Reason, tc.reason) {
				t.Fatalf("state %s, %d cancels, reason %q, want %q", b.outcome.State, cancels.Load(), b.outcome.Reason, tc.reason)
			}
			if tc.status == 404 && !strings.Contains(b.outcome.Reason, "404") {
				t.Errorf("reason %q does not name the 404", b.outcome.Reason)
			}
			claimed := false
			for _, e := range evs {
				if e.Name == "status" && strings.Contains(string(e.Data), `"cancelled"`) {
					claimed = true
				}
			}
			if claimed != tc.claimed {
				t.Errorf("a cancelled status event: %v, want %v", claimed, tc.claimed)
			}
		})
	}
}

// TestResponsesErrorThenFailed: a Responses error event does not end the
// run's reading: the response.failed after it gives the final state, and
// the output so far, the error and the choice's finish all stay.
func TestResponsesErrorThenFailed(t *testing.T) {
	raw := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n" +
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Partial\"}\n\n" +
		"event: error\ndata: {\"type\":\"error\",\"sequence_number\":2,\"code\":\"server_error\",\"message\":\"boom\",\"param\":null}\n\n" +
		"event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":3,\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},\"usage\":{\"input_tokens\":4,\"output_tokens\":1,\"total_tokens\":5}}}\n\n"
	srv := httptest.NewServer(serve([]byte(raw), 1000, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	evs := wait(t, m.Start(spec(catalog.Responses, srv.URL, "{}")))
	b := replay(t, evs)
	if b.outcome.State != Failed || b.errMsg == nil || b.errMsg.Code != "server_error" || b.html[0]+b.tail[0] != "<p>Partial</p>\n" {
		t.Fatalf("state %s failure %+v output %q", b.outcome.State, b.errMsg, b.html[0]+b.tail[0])
	}
	if strings.Join(b.outcome.Finish, ",") != "failed" || b.outcome.Usage.Estimated || b.outcome.Usage.Input != 4 {
		t.Errorf("finish %q usage %+v: the terminal event after the error was not read", b.outcome.Finish, b.outcome.Usage)
	}
}

// sniffRef is what sniffSSE decides, written plainly: after at most 64
// bytes of blank space or byte order mark, an SSE field or a comment.
func sniffRef(data []byte) bool {
	rest := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(data)-len(rest) > 64 {
		return false
	}
	for _, p := range []string{":", "data:", "event:", "id:"} {
		if bytes.HasPrefix(rest, []byte(p)) {
			return true
		}
	}
	return false
}

func TestSniffSSE(t *testing.T) {
	for in, want := range map[string]bool{
		"data: {}\n\n": true, "event: x\n": true, ": ping\n\n": true, "id: 1\n": true, "\ufeffdata: x": true,
		"\r\n  data: x": true, `{"object":"chat.completion"}`: false, "\n {}": false, "": false, "dat": false,
		"retry: 10\n": false, "<html>": false, strings.Repeat(" ", 65) + "data: x": false, strings.Repeat(" ", 64) + "data: x": true,
	} {
		br := bufio.NewReader(strings.NewReader(in))
		if got := sniffSSE(br); got != want || got != sniffRef([]byte(in)) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
		if rest, _ := io.ReadAll(br); string(rest) != in {
			t.Errorf("%q: sniffing consumed the body: %q left", in, rest)
		}
	}
	// A comment is known from its first byte: nothing more is waited for.
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte(":"))
	if !sniffSSE(bufio.NewReader(pr)) {
		t.Error("a comment was not taken for SSE")
	}
}

func FuzzSniffSSE(f *testing.F) {
	for _, s := range []string{"data: {}\n\n", ": ping", "\ufeff{", "  event: x", "id:", "{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		if got, want := sniffSSE(br), sniffRef(data); got != want {
			t.Fatalf("%q: %v, want %v", data, got, want)
		}
		if rest, _ := io.ReadAll(br); !bytes.Equal(rest, data) {
			t.Fatalf("%q: sniffing consumed the body", data)
		}
	})
}

// TestBackgroundRequestsCarryProviderHeaders: a header-routed gateway
// sees the provider's extra headers, secret ones with their value, on
// every request of a background run: the create, its polls and the
// cancel.
func TestBackgroundRequestsCarryProviderHeaders(t *testing.T) {
	type seen struct{ route, token string }
	var mu sync.Mutex
	got := map[string][]seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := "poll"
		switch {
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			kind = "cancel"
		case r.Method == "POST":
			kind = "create"
		}
		mu.Lock()
		got[kind] = append(got[kind], seen{r.Header.Get("X-Route"), r.Header.Get("X-Token")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if kind == "cancel" {
			io.WriteString(w, `{"id":"resp_1","status":"cancelled"}`)
			return
		}
		io.WriteString(w, `{"id":"resp_1","object":"response","status":"in_progress","output":[]}`)
	}))
	defer srv.Close()
	m := newManager(t, Config{PollInterval: 10 * time.Millisecond})
	s := spec(catalog.Responses, srv.URL, `{"background": true}`)
	s.Request.Stream = false
	s.Request.Header = append(s.Request.Header, request.Header{Name: "X-Route", Value: "gw-1"},
		request.Header{Name: "X-Token", Value: "${GW_TOKEN}", Secret: true})
	s.Request = s.Request.WithSecrets(map[string]string{"X-Token": "tok-1234"})
	r := m.Start(s)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got["poll"])
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Stop()
	wait(t, r)
	mu.Lock()
	defer mu.Unlock()
	for _, kind := range []string{"create", "poll", "cancel"} {
		if len(got[kind]) == 0 {
			t.Fatalf("no %s request", kind)
		}
		for _, h := range got[kind] {
			if h != (seen{"gw-1", "tok-1234"}) {
				t.Errorf("%s request had headers %+v", kind, h)
			}
		}
	}
}

// TestBackgroundKeepAlivesOnlyResume: a background stream that goes on
// sending keep-alives but no event is broken off at the run's idle rule
// and resumed, never cancelled at the provider (the response goes on
// there).
func TestBackgroundKeepAlivesOnlyResume(t *testing.T) {
	_, events, after, _ := backgroundRecording(t)
	var resumes, cancels atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			cancels.Add(1)
			io.WriteString(w, `{"id":"resp_1","status":"cancelled"}`)
		case r.Method == "POST":
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(events[0]) // the id is known
			w.(http.Flusher).Flush()
			for {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
					io.WriteString(w, ": keep-alive\n\n")
					w.(http.Flusher).Flush()
				}
			}
		default:
			resumes.Add(1)
			seq, _ := strconv.Atoi(r.URL.Query().Get("starting_after"))
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(after(seq))
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{PollInterval: 10 * time.Millisecond, Caps: Caps{Idle: 200 * time.Millisecond}})
	b := replay(t, wait(t, m.Start(spec(catalog.Responses, srv.URL, `{"background": true}`))))
	if b.outcome.State != Completed || b.html[0]+b.tail[0] != "<p>2 + 2 equals 4.</p>\n" {
		t.Fatalf("state %s output %q failure %+v", b.outcome.State, b.html[0]+b.tail[0], b.errMsg)
	}
	if resumes.Load() == 0 || cancels.Load() != 0 {
		t.Errorf("%d resumes, %d cancels: want a resume and no cancel", resumes.Load(), cancels.Load())
	}
}
