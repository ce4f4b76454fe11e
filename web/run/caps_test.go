package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
)

// follow reads a run's events as a browser does, counting the bytes of
// each event name, until the run ends or stop says to give up.
func follow(t *testing.T, r *Run, stop func(sent map[string]int) bool) ([]Event, map[string]int) {
	t.Helper()
	release := r.Watch()
	defer release()
	sent := map[string]int{}
	var all []Event
	after := 0
	deadline := time.After(60 * time.Second)
	for {
		evs, done, more := r.Since(after)
		for _, e := range evs {
			sent[e.Name] += len(e.Data)
			after = e.ID
		}
		all = append(all, evs...)
		if done {
			return all, sent
		}
		if stop != nil && stop(sent) {
			r.Stop()
			wait(t, r)
			t.Fatalf("gave up: %v bytes sent so far", sent)
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatal("run did not finish")
		}
	}
}

// One tool call whose 1 MB of arguments arrive in 100-byte pieces: the
// browser gets each piece once (deltas), not all the arguments so far at
// every flush, and ends with the whole arguments.
func TestToolArgumentsSentAsDeltas(t *testing.T) {
	const size = 1 << 20
	var args strings.Builder
	args.WriteString(`{"data":"`)
	for args.Len() < size-2 {
		args.WriteString("abcdefghij")
	}
	args.WriteString(`"}`)
	whole := args.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"save\",\"arguments\":\"\"}}]}}]}\n\n")
		for rest := whole; rest != ""; {
			n := min(100, len(rest))
			piece, _ := json.Marshal(rest[:n])
			rest = rest[n:]
			if _, err := fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":%s}}]}}]}\n\n", piece); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	evs, sent := follow(t, r, func(sent map[string]int) bool { return sent["tool"] > 3*size })
	if sent["tool"] > 3*size {
		t.Errorf("%d bytes of tool events for %d bytes of arguments", sent["tool"], size)
	}
	b := replay(t, evs)
	if b.outcome.State != Completed || b.tools[0][0] != "save "+whole {
		t.Errorf("state %s, tool %.60q… (%d bytes)", b.outcome.State, b.tools[0][0], len(b.tools[0][0]))
	}
}

// endless streams text: the same chunk again and again until the reader
// goes or limit bytes are written.
func endless(chunk string, limit int, cancelled *atomic.Bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for n := 0; n < limit; n += len(chunk) {
			if _, err := io.WriteString(w, chunk); err != nil {
				break
			}
		}
		if r.Context().Err() != nil && cancelled != nil {
			cancelled.Store(true)
		}
	}
}

// 12 MB of text at full speed: the run ends at the 4 MB cap with the
// message, the partial output kept, its event log bounded, and the
// provider's request cancelled.
func TestHugeTextEndsTruncated(t *testing.T) {
	var cancelled atomic.Bool
	chunk := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("lorem ipsum ", 40) + "\\n\\n\"}}]}\n\n"
	srv := httptest.NewServer(endless(chunk, 12<<20, &cancelled))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Bytes: 4 << 20}})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	evs, sent := follow(t, r, nil)
	b := replay(t, evs)
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "truncated: the answer exceeded 4 MB") ||
		!strings.HasPrefix(b.errMsg.Message, b.outcome.Reason) || !strings.Contains(b.errMsg.Hint, "--run-max-bytes") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
	if !strings.HasPrefix(b.html[0], "<p>lorem ipsum") {
		t.Errorf("partial output lost: %.40q", b.html[0])
	}
	total := 0
	for _, n := range sent {
		total += n
	}
	if total > 3*(4<<20) {
		t.Errorf("the event log holds %d bytes", total)
	}
	if r.upBytes > 4<<20+1 {
		t.Errorf("read %d bytes from the provider", r.upBytes)
	}
	m.mu.Lock()
	held := m.held
	m.mu.Unlock()
	if held > 4*(4<<20) {
		t.Errorf("the manager counts %d bytes held", held)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !cancelled.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !cancelled.Load() {
		t.Error("the provider's request was not cancelled")
	}
}

// Text that grows ~15 times on its way to the browser (characters that
// are escaped in JSON and HTML) ends at the event log's cap instead.
func TestEventLogCap(t *testing.T) {
	chunk := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("<&", 200) + "\\n\\n\"}}]}\n\n"
	srv := httptest.NewServer(endless(chunk, 8<<20, nil))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Bytes: 4 << 20, Log: 2 << 20}})
	evs, sent := follow(t, m.Start(spec(catalog.Chat, srv.URL, "{}")), nil)
	b := replay(t, evs)
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "truncated: the run's events exceeded 2 MB") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
	if sent["md"]+sent["delta"] > 2<<20 {
		t.Errorf("%d bytes of text events", sent["md"]+sent["delta"])
	}
}

// 20,000 distinct choice indexes end the run at the choices cap, whatever
// the deltas carry; the choices kept are bounded.
func TestManyChoicesEndTruncated(t *testing.T) {
	for name, delta := range choiceDeltas {
		t.Run(name, func(t *testing.T) {
			var body bytes.Buffer
			for i := range 20000 {
				fmt.Fprintf(&body, "data: {\"choices\":[{\"index\":%d,\"delta\":%s}]}\n\n", i, delta)
			}
			body.WriteString("data: [DONE]\n\n")
			srv := httptest.NewServer(serve(body.Bytes(), 64<<10, 0))
			defer srv.Close()
			m := newManager(t, Config{})
			r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
			b := replay(t, wait(t, r))
			if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "truncated: the answer has more than 128 choices") {
				t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
			}
			if n := r.res.Len(); n > 128 || len(r.choices) > 128 {
				t.Errorf("%d choices kept (%d rendered)", n, len(r.choices))
			}
			if len(b.html) > 128 {
				t.Errorf("%d choices sent", len(b.html))
			}
		})
	}
}

// choiceDeltas are deltas of each kind that belongs to a choice.
var choiceDeltas = map[string]string{
	"text":  `{"content":"x"}`,
	"audio": `{"audio":{"id":"audio_1","data":"AAAA","transcript":"x"}}`,
}

// A negative choice index is a bad event, not a cap.
func TestNegativeChoiceFails(t *testing.T) {
	for name, delta := range choiceDeltas {
		srv := httptest.NewServer(serve([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok \"}}]}\n\ndata: {\"choices\":[{\"index\":-3,\"delta\":"+delta+"}]}\n\ndata: [DONE]\n\n"), 64<<10, 0))
		defer srv.Close()
		m := newManager(t, Config{})
		b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
		if b.outcome.State != Failed || b.errMsg == nil || !strings.Contains(b.errMsg.Message, "a choice numbered -3") {
			t.Fatalf("%s: summary %+v, error %+v", name, b.outcome, b.errMsg)
		}
	}
}

// More events than the cap end the run.
func TestEventsCap(t *testing.T) {
	var body bytes.Buffer
	for range 500 {
		body.WriteString("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x \"}}]}\n\n")
	}
	srv := httptest.NewServer(serve(body.Bytes(), 4096, 0))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Events: 100}})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "truncated: the answer exceeded 100 events") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
}

// Over all runs: finished runs are dropped, oldest first, to stay under
// the manager's cap; a running run that does not fit ends.
func TestHeldCapOverAllRuns(t *testing.T) {
	chunk := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("word ", 100) + "\"}}]}\n\n"
	small := httptest.NewServer(endless(chunk, 200<<10, nil))
	defer small.Close()
	m := newManager(t, Config{Caps: Caps{Held: 1 << 20}})
	var first []*Run
	for range 8 {
		r := m.Start(spec(catalog.Chat, small.URL, "{}"))
		wait(t, r)
		first = append(first, r)
	}
	m.mu.Lock()
	held, kept := m.held, len(m.runs)
	m.mu.Unlock()
	if held > 1<<20 || kept == 8 {
		t.Errorf("held %d bytes in %d runs", held, kept)
	}
	if _, ok := m.Get(first[0].ID, "owner"); ok {
		t.Error("the oldest finished run is still kept")
	}
	big := httptest.NewServer(endless(chunk, 8<<20, nil))
	defer big.Close()
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, big.URL, "{}"))))
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "truncated: the server holds too much output (1 MB over all runs)") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
}

// A provider that sends only comments (": ping") ends after the idle
// timeout: comments are not content.
func TestPingsOnlyEndAtIdleTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n")
		for range 2000 { // 100 s at most
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Idle: 300 * time.Millisecond}})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	if b.outcome.State != Interrupted || b.errMsg == nil || b.errMsg.Code != "idle_timeout" || !strings.HasPrefix(b.errMsg.Message, "the provider sent no content for 300ms") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
	if b.tail[0]+b.html[0] == "" {
		t.Error("partial output lost")
	}
}

// A watched run against a provider that never ends stops at the longest
// a run may take.
func TestEndlessWatchedRunEndsAtMaxDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for range 5000 { // 100 s at most
			if _, err := io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tick \"}}]}\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Duration: 500 * time.Millisecond}})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "stopped: the run reached the longest a run may take (500ms)") ||
		!strings.Contains(b.errMsg.Hint, "--run-max-duration") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
	if !strings.Contains(b.tail[0]+b.html[0], "tick") {
		t.Error("partial output lost")
	}
}

// progressRecorder keeps what the manager hands to the history.
type progressRecorder struct {
	mu       sync.Mutex
	progress []int // bytes of each progress copy
	end      *Record
}

func (p *progressRecorder) Begin(*Run) error { return nil }
func (p *progressRecorder) Progress(_ *Run, out Output) {
	b, _ := json.Marshal(out)
	p.mu.Lock()
	p.progress = append(p.progress, len(b))
	p.mu.Unlock()
}
func (p *progressRecorder) End(_ *Run, rec Record) { p.mu.Lock(); p.end = &rec; p.mu.Unlock() }

// While a long answer streams, the history gets at most Caps.Progress
// bytes of it (once that much has arrived, nothing more until the end),
// not the whole output again every ProgressEvery; the end has it all.
func TestProgressCopyCapped(t *testing.T) {
	chunk := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("many words ", 90) + "\"}}]}\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		// 2 MB of text over about 1 s.
		for i := range 2000 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
			if i%40 == 0 {
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	rec := &progressRecorder{}
	m := newManager(t, Config{Recorder: rec, Caps: Caps{Progress: 256 << 10, ProgressEvery: 50 * time.Millisecond}})
	wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}")))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.progress) == 0 || rec.end == nil {
		t.Fatalf("%d progress copies, end %v", len(rec.progress), rec.end != nil)
	}
	for i, n := range rec.progress {
		if n > (256<<10)+4096 {
			t.Errorf("progress copy %d has %d bytes", i, n)
		}
	}
	if len(rec.progress) > 3 {
		t.Errorf("%d progress copies after the cap was reached", len(rec.progress))
	}
	if got := len(rec.end.Output.Text()); got < 2000*990 {
		t.Errorf("the end has %d bytes of text", got)
	}
}

// TestBackgroundPollsCapped: each poll of a background response reads at
// most what a run may (it read up to 64 MB, past every cap).
func TestBackgroundPollsCapped(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "POST" {
			io.WriteString(w, `{"id":"resp_1","object":"response","status":"queued","output":[]}`)
			return
		}
		polls.Add(1)
		io.WriteString(w, `{"id":"resp_1","object":"response","status":"in_progress","output":[{"type":"message","content":[{"type":"output_text","text":"`+strings.Repeat("a", 4<<20)+`"}]}]}`)
	}))
	defer srv.Close()
	m := newManager(t, Config{PollInterval: 10 * time.Millisecond, Caps: Caps{Bytes: 1 << 20}})
	s := spec(catalog.Responses, srv.URL, `{"background": true}`)
	s.Request.Stream = false
	b := replay(t, wait(t, m.Start(s)))
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.Contains(b.errMsg.Message, "truncated: the answer exceeded 1 MB") || polls.Load() != 1 {
		t.Fatalf("state %s err %+v polls %d", b.outcome.State, b.errMsg, polls.Load())
	}
}
