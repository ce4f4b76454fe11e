package run

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/structured"
	"github.com/playground-dev/playground/web/units"
	"github.com/playground-dev/playground/web/upstream"
)

// Event is one event of a run's browser stream.
type Event struct {
	ID   int
	Name string
	Data []byte
}

var (
	errStopped   = errors.New("stopped by the person")
	errAbandoned = errors.New("nobody was watching")
)

// Run is one run.
type Run struct {
	ID      string
	Spec    Spec
	Started time.Time
	m       *Manager

	mu        sync.Mutex
	log       []Event
	changed   chan struct{}
	state     State
	ended     time.Time
	watchers  int
	noWatcher *time.Timer
	cancel    context.CancelCauseFunc

	// Inspector data, written by the run's goroutine under mu.
	servedURL  string
	respStatus int
	respHeader http.Header
	transcript cappedBuffer
	// transcriptClean is set once a finished run's transcript is redacted
	// in place.
	transcriptClean bool
	eventTimes      []time.Duration
	resumeCount     int
	// polledAfterBreak: a resume was refused and the run polled instead.
	polledAfterBreak bool

	// red finds the key's spellings in what the provider sends.
	red *redact.Redactor
	// held is what the run keeps in memory (log and transcript), counted
	// by the manager under its lock.
	held int64
	// logBytes is the size of the log (under mu).
	logBytes int
	// maxTimer ends the run at Caps.Duration.
	maxTimer *time.Timer

	// The run goroutine's own state.
	upBytes  int64 // read from the provider, decoded
	upEvents int
	// progressed: the recorder has had the output up to Caps.Progress;
	// nothing more goes to it before the end.
	progressed bool
	res        *stream.Result
	choices    map[int]*choiceState
	firstTok   time.Time
	ttfb       time.Duration
	// lastProgress is when the recorder last got the output so far (the
	// start, before it has had any).
	lastProgress time.Time
	responses    responsesState
	ctx          context.Context
	// finishing: the run's ending is being written (no cap drops it).
	finishing bool
	// audioHeld is the decoded audio counted in held.
	audioHeld int
	// settled: the result changes no more (set as the ending is written,
	// before the browser hears of the audio, read by Audio).
	settled atomic.Bool
}

type choiceState struct {
	md       markdown.Stream
	logprobs []stream.TokenLogprob // since the last flush
	// lpHeld are tokens not sent yet: their text could still become the
	// key (it is redacted across tokens, like the text).
	lpHeld    []stream.TokenLogprob
	text      strings.Builder
	reasoning strings.Builder
	refusal   strings.Builder
	// Each channel holds back a tail that could be the start of the key
	// (a key cut across two deltas is still redacted).
	textR, reasoningR, refusalR redact.Stream
	tools                       map[int]*toolState
	dirty                       map[int]bool // tool calls changed since the last flush
	// audio: the answer is spoken (its text is the transcript); audioSent:
	// the browser was told.
	audio, audioSent bool
}

// toolState is what the browser has of a tool call: its arguments go as
// deltas ("a", appended), or whole ("args") after the provider replaced
// them, and whole and pretty-printed in the final event.
type toolState struct {
	pending  strings.Builder
	replace  bool
	red      redact.Stream
	name, id string // as last sent
}

type responsesState struct {
	background bool
	base       string
}

// State returns the run's state.
func (r *Run) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *Run) finishedAt() (bool, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state != Running, r.ended
}

// Since returns the events after id, whether the run is over (no event
// will follow), and a channel closed when more arrive.
func (r *Run) Since(after int) ([]Event, bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var evs []Event
	if after < len(r.log) {
		start := max(after, 0)
		evs = r.log[start:]
	}
	return evs, r.state != Running, r.changed
}

// Watch registers a browser following the run; call the returned func when
// it leaves. While nobody watches a running run, it is cancelled after the
// grace period.
func (r *Run) Watch() (release func()) {
	r.mu.Lock()
	r.watchers++
	r.noWatcher.Stop()
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.watchers--
			if r.watchers == 0 && r.state == Running {
				r.noWatcher.Reset(r.m.cfg.Grace)
			}
			r.mu.Unlock()
		})
	}
}

// Stop cancels the run; the partial output is kept.
func (r *Run) Stop() { r.cancel(errStopped) }

func (r *Run) abandon() {
	r.mu.Lock()
	unwatched := r.watchers == 0 && r.state == Running
	r.mu.Unlock()
	if unwatched {
		r.cancel(errAbandoned)
	}
}

// append adds browser events and wakes the followers. Past Caps.Log (or
// the manager's Caps.Held) the events are dropped and the run ends,
// except for the events of its ending, which always go in.
func (r *Run) append(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	n := 0
	for i := range evs {
		// A provider that echoes the key (in text, an error, a tool
		// argument) must not put it in front of the browser.
		evs[i].Data = r.red.Bytes(evs[i].Data)
		n += len(evs[i].Data) + len(evs[i].Name) + 16
	}
	caps := r.m.cfg.Caps
	if !r.finishing && r.logBytes+n > caps.Log {
		r.truncate("the run's events exceeded "+units.Bytes(int64(caps.Log)), "run-max-bytes")
		return
	}
	fits := r.hold(n)
	r.logBytes += n
	r.mu.Lock()
	for _, e := range evs {
		e.ID = len(r.log) + 1
		r.log = append(r.log, e)
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if !fits && !r.finishing {
		r.truncate("the server holds too much output ("+units.Bytes(caps.Held)+" over all runs)", "runs-max-bytes")
	}
}

func jsonEvent(name string, v any) Event {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	return Event{Name: name, Data: b}
}

// execute is the run's goroutine.
func (r *Run) execute(ctx context.Context) {
	r.ctx = ctx
	r.res = stream.NewResult()
	r.choices = map[int]*choiceState{}
	spec := r.Spec
	r.responses.background = spec.Model.Style == catalog.Responses && spec.Request.Options.Background
	r.append(jsonEvent("start", map[string]any{
		"provider":   spec.Provider.Name,
		"model":      spec.Model.Label(),
		"simulated":  spec.Provider.Simulated,
		"stream":     spec.Request.Stream,
		"background": r.responses.background,
	}))

	err := r.send(ctx)
	r.finish(ctx, err)
}

func (r *Run) send(ctx context.Context) error {
	spec := r.Spec
	client := r.m.clientFor(spec)
	if client == nil {
		return &stream.Error{Code: "forbidden_address", Message: "this server has no guarded client for providers you add"}
	}
	resp, err := client.Send(ctx, spec.Request, spec.BaseURLs, spec.Key)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r.ttfb = resp.TTFB
	base := strings.TrimSuffix(resp.URL, spec.Request.Path)
	r.responses.base = base
	r.mu.Lock()
	r.servedURL, r.respStatus, r.respHeader = resp.URL, resp.Status, resp.Header.Clone()
	r.mu.Unlock()
	r.append(jsonEvent("meta", map[string]any{"url": resp.URL, "status": resp.Status, "ttfb_ms": ms(resp.TTFB), "fallbacks": resp.Tried}))
	if resp.Status < 200 || resp.Status > 299 {
		return upstream.ErrorFromResponse(resp, spec.keyHint(), spec.Model.SentModel())
	}
	if err := r.readBody(resp); err != nil {
		// A background response goes on at the provider whatever
		// happened to its first stream: resume it or poll it.
		var cut *cutError
		if !r.responses.background || r.res.ResponseID == "" || !errors.As(err, &cut) {
			return err
		}
	}
	if r.responses.background {
		return r.followBackground(ctx)
	}
	return nil
}

// cutError is a stream that broke off before its terminal event: the
// connection was reset or closed mid-stream, or it sent nothing for the
// idle timeout. The run ends interrupted, its output so far kept.
type cutError struct {
	err    error
	events int
}

func (e *cutError) Error() string { return e.err.Error() }
func (e *cutError) Unwrap() error { return e.err }

// view is the one-line reason and the hint the page and the history show.
func (e *cutError) view() *stream.Error {
	var se *stream.Error
	code, what := "interrupted", "the provider's connection was cut"
	switch {
	case errors.As(e.err, &se) && se.Code == "idle_timeout":
		code, what = se.Code, se.Message
	case errors.Is(e.err, io.EOF):
		what = "the provider closed the stream before its end"
	}
	msg := fmt.Sprintf("%s after %d events", what, e.events)
	if e.events == 1 {
		msg = strings.TrimSuffix(msg, "s")
	}
	switch {
	case errors.Is(e.err, io.ErrUnexpectedEOF):
		msg += ": unexpected EOF"
	case errors.Is(e.err, syscall.ECONNRESET):
		msg += ": connection reset"
	}
	return &stream.Error{Code: code, Message: msg, Hint: "The output so far is kept; nothing that did not come (a finish reason, the usage) is made up. Retry: run it again."}
}

// cut wraps a read error of a stream that had not ended: a broken
// connection or a stall. Errors of the run's own (a cap, a stop), an event
// too large or an answer too large once decompressed are not cuts.
func (r *Run) cut(err error) error {
	var se *stream.Error
	var ended *endCause
	switch {
	case errors.As(err, &ended), errors.Is(err, sse.ErrEventTooLarge), r.ctx.Err() != nil:
		return err
	case errors.As(err, &se) && se.Code != "idle_timeout":
		return err
	}
	return &cutError{err: err, events: r.upEvents}
}

// readBody decodes an event stream or a whole JSON answer.
func (r *Run) readBody(resp *upstream.Response) error {
	tw := &transcriptWriter{r}
	if d, ok := resp.Body.(interface{ DrainTo(io.Writer) }); ok {
		// What follows the terminal event (a last [DONE], a newline) is
		// read when the body closes: it goes into the transcript too.
		d.DrainTo(tw)
	}
	var body io.Reader = io.TeeReader(&capReader{r: r, src: resp.Body}, tw)
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "text/event-stream" && r.Spec.Request.Stream {
		// A streamed answer without its content type (or with a wrong
		// one) is taken for what it starts with.
		br := bufio.NewReader(body)
		body = br
		if sniffSSE(br) {
			mt = "text/event-stream"
		}
	}
	if mt != "text/event-stream" {
		b, err := io.ReadAll(body)
		if err != nil {
			return r.cut(err)
		}
		r.markEvent()
		if err := stream.DecodeJSON(r.Spec.Model.Style, b, r.handle); err != nil {
			return &stream.Error{Code: "bad_answer", Message: "the provider's answer could not be read: " + err.Error()}
		}
		r.flush()
		return nil
	}
	onIdle := r.noContent
	if a, ok := resp.Body.(interface{ Abort(*stream.Error) }); ok && r.responses.background {
		// A background response goes on at the provider: a stream of
		// keep-alives only is broken off like any other break, and
		// resumed or polled, not cancelled.
		onIdle = func() { a.Abort(r.noContentError()) }
	}
	return r.readStream(body, onIdle)
}

// readStream decodes an event stream; onIdle is called when no event came
// for Caps.Idle.
func (r *Run) readStream(body io.Reader, onIdle func()) error {
	dec := stream.NewDecoder(r.Spec.Model.Style)
	sd := sse.NewDecoder(body, 0)
	// Only events count as content: a stream of comments (": ping") or
	// keep-alives ends after Caps.Idle all the same.
	idle := r.m.cfg.Caps.Idle
	noContent := time.AfterFunc(idle, onIdle)
	defer noContent.Stop()
	for {
		ev, err := sd.Next()
		if err != nil {
			r.flush()
			if err == io.EOF && sd.Partial() {
				// Closed inside an event: a cut, however cleanly.
				err = io.ErrUnexpectedEOF
			}
			if err == io.EOF {
				return nil
			}
			return r.cut(err)
		}
		noContent.Reset(idle)
		if r.ctx.Err() != nil {
			// Ended (a cap, a stop): what is already read is not used.
			r.flush()
			return context.Cause(r.ctx)
		}
		if r.upEvents++; r.upEvents > r.m.cfg.Caps.Events {
			r.flush()
			return r.truncate(fmt.Sprintf("the answer exceeded %d events", r.m.cfg.Caps.Events), "run-max-events")
		}
		r.markEvent()
		if derr := dec.Decode(ev, r.handle); derr != nil {
			r.flush()
			return &stream.Error{Code: "bad_event", Message: "the provider sent an event that is not JSON"}
		}
		// Deltas that arrived together go to the browser as one event:
		// flush when the next read would wait for the network.
		if !sd.EventReady() || dec.Done() {
			r.flush()
		}
		if dec.Done() {
			return nil
		}
	}
}

// sniffSSE reports whether a body starts as an event stream does (data:,
// event:, id: or a comment), after a byte order mark and blank space; a body that starts
// otherwise ({ ...) is read as JSON. It reads no more than it needs, so a
// slow stream is not waited for.
func sniffSSE(br *bufio.Reader) bool {
	skip := 0
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == 0xEF {
		if b, _ := br.Peek(3); string(b) == "\ufeff" {
			skip = 3 // a byte order mark
		}
	}
	for {
		b, err := br.Peek(skip + 1)
		if err != nil || len(b) <= skip {
			return false
		}
		if c := b[skip]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if skip++; skip > 64 {
				return false
			}
			continue
		}
		break
	}
	for _, p := range []string{":", "data:", "event:", "id:"} {
		b, _ := br.Peek(skip + len(p))
		if n := min(len(b)-skip, len(p)); n > 0 && string(b[skip:skip+n]) != p[:n] {
			continue
		}
		if len(b) >= skip+len(p) {
			return true
		}
	}
	return false
}

// transcriptWriter keeps the raw bytes, up to MaxTranscript.
type transcriptWriter struct{ r *Run }

func (w *transcriptWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	kept := w.r.transcript.write(p, w.r.m.cfg.MaxTranscript)
	w.r.mu.Unlock()
	if kept > 0 {
		w.r.hold(kept)
	}
	return len(p), nil
}

func (r *Run) markEvent() {
	r.mu.Lock()
	if len(r.eventTimes) < maxEventTimes {
		r.eventTimes = append(r.eventTimes, time.Since(r.Started))
	}
	r.mu.Unlock()
}

const maxEventTimes = 200_000

func (r *Run) choice(i int) *choiceState {
	c, ok := r.choices[i]
	if !ok {
		c = &choiceState{dirty: map[int]bool{}, tools: map[int]*toolState{}}
		c.textR.R, c.reasoningR.R, c.refusalR.R = r.red, r.red, r.red
		r.choices[i] = c
	}
	return c
}

// handle takes one normalized event.
func (r *Run) handle(e stream.Event) {
	if e.Kind.PerChoice() && !r.res.Has(e.Choice) {
		// Each choice costs memory of its own: an answer with thousands
		// of indexes ends at the cap instead.
		if e.Choice < 0 {
			r.cancel(&endCause{state: Failed, err: &stream.Error{Code: "bad_event",
				Message: fmt.Sprintf("the provider sent a choice numbered %d; choices are numbered from 0", e.Choice)}})
			return
		}
		if r.res.Len() >= r.m.cfg.Caps.Choices {
			r.truncate(fmt.Sprintf("the answer has more than %d choices", r.m.cfg.Caps.Choices), "run-max-choices")
			return
		}
	}
	if r.ctx != nil && r.ctx.Err() != nil {
		return // ended at a cap: nothing more is kept
	}
	if e.Kind == stream.KindTool && e.Tool.Index >= 0 && e.Tool.Index < stream.MaxToolCalls {
		r.toolDelta(e)
	}
	r.res.Apply(e)
	switch e.Kind {
	case stream.KindText, stream.KindReasoning, stream.KindRefusal, stream.KindTool, stream.KindAudio:
		if r.firstTok.IsZero() {
			r.firstTok = time.Now()
		}
	}
	switch e.Kind {
	case stream.KindText:
		r.choice(e.Choice).text.WriteString(e.Text)
	case stream.KindReasoning:
		r.choice(e.Choice).reasoning.WriteString(e.Text)
	case stream.KindRefusal:
		r.choice(e.Choice).refusal.WriteString(e.Text)
	case stream.KindAudio:
		r.choice(e.Choice).audio = true
		r.holdAudio()
	case stream.KindLogprobs:
		c := r.choice(e.Choice)
		if len(c.logprobs) < maxLogprobTokens {
			c.logprobs = append(c.logprobs, e.Logprobs...)
		}
	case stream.KindStatus:
		r.flush()
		r.append(jsonEvent("status", map[string]any{"status": e.Status, "response_id": e.ResponseID}))
	}
}

// toolDelta notes what the browser needs of a tool call fragment (before
// the result applies it): the new arguments, or all of them when the
// provider replaced them with something else.
func (r *Run) toolDelta(e stream.Event) {
	c := r.choice(e.Choice)
	ts := c.tools[e.Tool.Index]
	if ts == nil {
		ts = &toolState{}
		ts.red.R = r.red
		c.tools[e.Tool.Index] = ts
	}
	c.dirty[e.Tool.Index] = true
	if !e.Tool.Replace {
		ts.pending.WriteString(e.Tool.Args)
		return
	}
	var cur string
	if tools := r.res.Choice(e.Choice).Tools; e.Tool.Index < len(tools) {
		cur = tools[e.Tool.Index].Args
	}
	if e.Tool.Args == cur {
		return // the whole arguments, as the browser has (or gets) them
	}
	ts.replace = true
	ts.pending.Reset()
	ts.pending.WriteString(e.Tool.Args)
	ts.red = redact.Stream{R: r.red}
}

// flush turns what is pending into browser events, one batch.
func (r *Run) flush() {
	var evs []Event
	for _, i := range r.choiceOrder() {
		c := r.choices[i]
		var d delta
		d.c = i
		if c.audio && !c.audioSent {
			// Before the transcript's first words: they are labelled so.
			c.audioSent = true
			evs = append(evs, jsonEvent("audio", map[string]any{"c": i}))
		}
		if c.text.Len() > 0 {
			t := c.textR.Write(c.text.String())
			c.text.Reset()
			if t != "" {
				if html := c.md.Write(t); html != "" {
					evs = append(evs, mdEvent(i, html, c.md.Tail()))
				} else {
					d.t = t
				}
			}
		}
		if c.reasoning.Len() > 0 {
			d.r = c.reasoningR.Write(c.reasoning.String())
			c.reasoning.Reset()
		}
		if c.refusal.Len() > 0 {
			d.x = c.refusalR.Write(c.refusal.String())
			c.refusal.Reset()
		}
		if d.t != "" || d.r != "" || d.x != "" {
			evs = append(evs, Event{Name: "delta", Data: d.appendJSON(nil)})
		}
		if len(c.dirty) > 0 {
			evs = append(evs, r.toolEvents(i, c, false)...)
			clear(c.dirty)
		}
		if ev, ok := r.logprobEvent(i, c, false); ok {
			evs = append(evs, ev)
		}
	}
	r.append(evs...)
	if len(evs) > 0 {
		r.progress()
	}
}

func (r *Run) choiceOrder() []int {
	keys := make([]int, 0, len(r.choices))
	for k := range r.choices {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// toolEvents are the browser's tool events of choice i: while streaming,
// each changed call's new arguments ("a", appended to what the browser
// has) or, after the provider replaced them, all of them ("args"), with
// the name and id when they change; with all, every call whole and
// pretty-printed ("final"), as a reloaded page and the history show it.
func (r *Run) toolEvents(i int, c *choiceState, all bool) []Event {
	calls := r.res.Choice(i).Tools
	var evs []Event
	for idx, tc := range calls {
		if all {
			evs = append(evs, jsonEvent("tool", map[string]any{"c": i, "i": idx, "id": r.red.String(tc.ID), "name": r.red.String(tc.Name),
				"args": prettyJSON(r.red.String(tc.Args)), "final": true}))
			continue
		}
		ts := c.tools[idx]
		if !c.dirty[idx] || ts == nil {
			continue
		}
		ev := map[string]any{"c": i, "i": idx}
		if tc.Name != ts.name {
			ev["name"], ts.name = r.red.String(tc.Name), tc.Name
		}
		if tc.ID != ts.id {
			ev["id"], ts.id = r.red.String(tc.ID), tc.ID
		}
		a := ts.red.Write(ts.pending.String())
		ts.pending.Reset()
		if ts.replace {
			ev["args"], ts.replace = a, false
		} else if a != "" {
			ev["a"] = a
		}
		if len(ev) > 2 {
			evs = append(evs, jsonEvent("tool", ev))
		}
	}
	return evs
}

func prettyJSON(s string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(s), "", "  ") != nil {
		return s
	}
	return buf.String()
}

// maxLogprobTokens bounds the tokens with probabilities held between two
// flushes.
const maxLogprobTokens = 4096

// logprobEvent is the browser's lp event of choice c's new tokens:
// {"c": choice, "toks": [[token, logprob, [[alternative, logprob], …]], …]}.
// The tokens are read as one text for the key, like the answer's text;
// those that could still be its start wait for the next flush (all go
// with final).
func (r *Run) logprobEvent(i int, c *choiceState, final bool) (Event, bool) {
	toks := append(c.lpHeld, c.logprobs...)
	c.logprobs = c.logprobs[:0]
	if len(toks) == 0 {
		return Event{}, false
	}
	texts := make([]string, len(toks))
	for k, t := range toks {
		texts[k] = t.Token
	}
	out, ready := r.red.Tokens(texts, final)
	c.lpHeld = append(c.lpHeld[:0:0], toks[ready:]...)
	for k := range c.lpHeld {
		c.lpHeld[k].Token = out[ready+k] // a spelling they finish is gone
	}
	if ready == 0 {
		return Event{}, false
	}
	type alt [2]any
	rows := make([][3]any, ready)
	for k, t := range toks[:ready] {
		alts := make([]alt, len(t.Top))
		for j, a := range t.Top {
			alts[j] = alt{r.red.String(a.Token), a.Logprob}
		}
		rows[k] = [3]any{out[k], t.Logprob, alts}
	}
	return jsonEvent("lp", map[string]any{"c": i, "toks": rows}), true
}

func mdEvent(c int, html, tail string) Event {
	b := []byte(`{"c":`)
	b = strconv.AppendInt(b, int64(c), 10)
	b = append(b, `,"h":`...)
	b = appendJSONString(b, html)
	b = append(b, `,"tail":`...)
	b = appendJSONString(b, tail)
	b = append(b, '}')
	return Event{Name: "md", Data: b}
}

// delta is the browser's delta event: text, reasoning and refusal of a
// choice that arrived together.
type delta struct {
	c       int
	t, r, x string
}

func (d delta) appendJSON(b []byte) []byte {
	b = append(b, `{"c":`...)
	b = strconv.AppendInt(b, int64(d.c), 10)
	for _, f := range []struct {
		k, v string
	}{{"t", d.t}, {"r", d.r}, {"x", d.x}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.k...)
			b = append(b, `":`...)
			b = appendJSONString(b, f.v)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string (no reflection: this is on
// every event's path). <, > and & are escaped so the data is inert anywhere.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < 0x7f {
			continue
		}
		if c >= 0x80 {
			// Valid UTF-8 passes through, except U+2028/2029; invalid bytes
			// become U+FFFD.
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xF])
			default:
				i += size - 1
				continue
			}
			i += size - 1
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// maxResumes bounds the resumed streams of one background run; past it
// (or when a resume is refused) the run polls.
const maxResumes = 5

// followBackground follows a background response until it ends: by
// resuming its stream after the last sequence number, or by polling. A
// resumed stream that breaks is resumed again; a resume the provider
// refuses (some gateways answer 500) falls back to polling.
func (r *Run) followBackground(ctx context.Context) error {
	polling := !r.Spec.Request.Stream
	for resumes := 0; !r.res.Done && r.res.ResponseID != ""; {
		if err := ctx.Err(); err != nil {
			return err
		}
		url := r.responses.base + "/responses/" + r.res.ResponseID
		if !polling && resumes < maxResumes {
			resumes++
			r.mu.Lock()
			r.resumeCount++
			r.mu.Unlock()
			resp, err := r.m.clientFor(r.Spec).GetWith(ctx, url+"?stream=true&starting_after="+strconv.Itoa(r.res.LastSeq), r.Spec.Key, true, r.Spec.Request.ProviderHeaders())
			if err == nil && resp.Status != 200 {
				resp.Body.Close()
				err = fmt.Errorf("HTTP %d", resp.Status)
			}
			if err != nil {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				polling = true
				r.mu.Lock()
				r.polledAfterBreak = true
				r.mu.Unlock()
				continue
			}
			err = r.readBody(resp)
			resp.Body.Close()
			var cut *cutError
			if err != nil && !errors.As(err, &cut) {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.m.cfg.PollInterval):
		}
		resp, err := r.m.clientFor(r.Spec).GetWith(ctx, url, r.Spec.Key, false, r.Spec.Request.ProviderHeaders())
		if err != nil {
			return err
		}
		if resp.Status != 200 {
			e := upstream.ErrorFromResponse(resp, r.Spec.keyHint(), r.Spec.Model.SentModel())
			resp.Body.Close()
			return e
		}
		// Each poll is the whole response so far: it may be as large as
		// a run may read, no larger.
		limit := r.m.cfg.Caps.Bytes
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if int64(len(b)) > limit {
			return r.truncate("the answer exceeded "+units.Bytes(limit), "run-max-bytes")
		}
		var evs []stream.Event
		if err := stream.DecodeJSON(catalog.Responses, b, func(e stream.Event) { evs = append(evs, e) }); err != nil {
			return &stream.Error{Code: "bad_answer", Message: "the provider's answer could not be read"}
		}
		r.applyPoll(evs)
	}
	return nil
}

// applyPoll takes a poll's events: the whole response so far. What the
// run already has (streamed before the stream broke, or an earlier poll)
// is not applied again, so the text is not doubled: only what follows it.
func (r *Run) applyPoll(evs []stream.Event) {
	matched := map[[2]int]int{} // choice, kind: bytes of what the run has that the poll repeated
	for _, e := range evs {
		switch e.Kind {
		case stream.KindText, stream.KindReasoning, stream.KindRefusal:
			var have string
			if r.res.Has(e.Choice) {
				c := r.res.Choice(e.Choice)
				have = map[stream.Kind]*strings.Builder{stream.KindText: &c.Text, stream.KindReasoning: &c.Reasoning, stream.KindRefusal: &c.Refusal}[e.Kind].String()
			}
			k := [2]int{e.Choice, int(e.Kind)}
			rest := have[matched[k]:]
			switch {
			case rest == "":
			case strings.HasPrefix(rest, e.Text):
				matched[k] += len(e.Text)
				continue
			case strings.HasPrefix(e.Text, rest):
				matched[k] = len(have)
				e.Text = e.Text[len(rest):]
			}
			if e.Text == "" {
				continue
			}
		case stream.KindReasoningItem:
			if r.res.Has(e.Choice) && slices.Contains(r.res.Choice(e.Choice).ReasoningItems, e.Text) {
				continue
			}
		case stream.KindStatus:
			if e.Status == r.res.Status && e.ResponseID == r.res.ResponseID {
				continue
			}
		}
		r.handle(e)
	}
	r.flush()
}

// cancelBackground asks the provider to cancel a background response and
// says what it answered.
func (r *Run) cancelBackground() string {
	if !r.responses.background || r.res.ResponseID == "" || r.res.Done {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := r.m.clientFor(r.Spec).PostWith(ctx, r.responses.base+"/responses/"+r.res.ResponseID+"/cancel", r.Spec.Key, r.Spec.Request.ProviderHeaders())
	if err != nil {
		return "the background response may still run: the cancel request failed (" + r.red.String(err.Error()) + ")"
	}
	defer resp.Body.Close()
	if resp.Status < 200 || resp.Status > 299 {
		e := upstream.ErrorFromResponse(resp, r.Spec.keyHint(), r.Spec.Model.SentModel())
		return "the background response may still run: the provider answered the cancel with " + r.red.String(e.Error())
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var obj struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(b, &obj)
	if obj.Status == "" {
		obj.Status = "cancelled"
	}
	r.append(jsonEvent("status", map[string]any{"status": obj.Status, "response_id": r.res.ResponseID}))
	if obj.Status != "cancelled" {
		return "the provider answered the cancel with the status " + strconv.Quote(r.red.String(obj.Status))
	}
	return "the provider cancelled the background response"
}

// finish settles the run's state, renders what is left and sends the
// summary.
func (r *Run) finish(ctx context.Context, err error) {
	r.maxTimer.Stop()
	r.flush()
	cause := context.Cause(ctx)
	state := Completed
	var upErr *stream.Error
	var ended *endCause
	var cut *cutError
	var cancelled string // what the provider answered a background cancel
	whole := r.res.Whole(usageAsked(r.Spec.Request))
	switch {
	case errors.As(cause, &ended) || errors.As(err, &ended):
		// A cap or a timeout: the output so far is kept.
		state, upErr = ended.state, ended.err
		cancelled = r.cancelBackground()
	case errors.Is(cause, errStopped) || errors.Is(cause, errAbandoned):
		state = Stopped
		cancelled = r.cancelBackground()
	case r.res.Err != nil:
		// The provider reported an error: a cut after it does not hide it.
		state = Failed
		upErr = r.res.Err
	case whole && (err == nil || errors.As(err, &cut)):
		// Whole, though the connection may have broken after its end
		// (a lost [DONE]): nothing of the answer is missing.
	case errors.As(err, &cut):
		// The stream broke off: what came is kept, nothing is made up.
		state, upErr = Interrupted, cut.view()
	case err != nil:
		state = Failed
		if !errors.As(err, &upErr) {
			upErr = &stream.Error{Code: "network", Message: err.Error()}
		}
	default:
		// Closed cleanly between events, but before its end.
		state = Interrupted
		upErr = (&cutError{err: io.EOF, events: r.upEvents}).view()
	}
	if upErr == nil && r.res.Err != nil {
		upErr = r.res.Err
	}
	// Render the rest of each answer (with the tails held back in case
	// they were the start of the key) and the final tool calls.
	r.finishing = true
	r.settled.Store(true)
	var evs []Event
	for _, i := range r.choiceOrder() {
		c := r.choices[i]
		if html := c.md.Write(c.textR.Flush()) + c.md.Flush(); html != "" {
			evs = append(evs, mdEvent(i, html, ""))
		}
		if d := (delta{c: i, r: c.reasoningR.Flush(), x: c.refusalR.Flush()}); d.r != "" || d.x != "" {
			evs = append(evs, Event{Name: "delta", Data: d.appendJSON(nil)})
		}
		if ev, ok := r.logprobEvent(i, c, true); ok {
			evs = append(evs, ev)
		}
		evs = append(evs, r.toolEvents(i, c, true)...)
		if ev, ok := r.audioEvent(i); ok {
			evs = append(evs, ev)
		}
	}
	r.append(evs...)
	if upErr != nil {
		r.append(jsonEvent("failure", errorView(upErr, r.red)))
	}
	end := time.Now()
	sum := r.summary(state, end, cause)
	if ended != nil {
		sum.Reason = ended.err.Message
	} else if state == Interrupted && upErr != nil {
		sum.Reason = upErr.Message
	}
	if cancelled != "" {
		sum.Reason = strings.TrimPrefix(sum.Reason+"; "+cancelled, "; ")
	}
	// The history has the run before the browser hears it is done, so a
	// page opened at "done" finds it complete.
	if rec := r.m.cfg.Recorder; rec != nil {
		out := Record{State: state, Output: r.output(), Summary: sum, Transcript: r.transcriptOf(true), Ended: end}
		if upErr != nil {
			ev := errorView(upErr, r.red)
			out.Failure = &ev
		}
		rec.End(r, out)
	}
	done := jsonEvent("done", sum)
	// The run stops counting against the limits before anyone hears it is
	// over: a person who clicks Run at "done" is not told it still runs.
	r.m.admission.done(r.Spec)
	// The done event and the state change land together: a follower that
	// sees the run over has the whole log.
	r.hold(len(done.Data))
	r.mu.Lock()
	done.ID = len(r.log) + 1
	r.log = append(r.log, done)
	r.state, r.ended = state, end
	r.noWatcher.Stop()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	r.m.ended(r)
	r.cancel(nil)
	r.logFinish(sum, upErr, end)
}

// logFinish logs the outcome without anything the person wrote or the
// model answered: error messages can echo prompts, so only their status
// and code are logged.
func (r *Run) logFinish(sum Summary, upErr *stream.Error, end time.Time) {
	log := r.m.cfg.Log
	if log == nil {
		return
	}
	attrs := []any{"run", r.ID, "provider", r.Spec.Provider.ID, "model", r.Spec.Model.ID, "state", string(sum.State),
		"duration_ms", end.Sub(r.Started).Milliseconds(), "input_tokens", sum.Usage.Input, "output_tokens", sum.Usage.Output}
	if upErr != nil {
		attrs = append(attrs, "error_status", upErr.Status, "error_code", r.red.String(upErr.Code))
	}
	if sum.Reason != "" {
		attrs = append(attrs, "reason", sum.Reason)
	}
	log.Info("run finished", attrs...)
}

// ErrorView is the browser's error event.
type ErrorView struct {
	Message    string `json:"message"`
	Status     int    `json:"status,omitempty"`
	Code       string `json:"code,omitempty"`
	Type       string `json:"type,omitempty"`
	Param      string `json:"param,omitempty"`
	Hint       string `json:"hint,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

func errorView(e *stream.Error, red *redact.Redactor) ErrorView {
	return ErrorView{
		Message:    red.String(errorMessage(e)),
		Type:       red.String(e.Type),
		Status:     e.Status,
		Code:       red.String(e.Code),
		Param:      red.String(e.Param),
		Hint:       e.Hint,
		RetryAfter: int((e.RetryAfter + time.Second - 1) / time.Second),
	}
}

// errorMessage is the failure's line: status, message, code and param,
// then the error's type (invalid_request_error, rate_limit_error, …).
func errorMessage(e *stream.Error) string {
	msg := e.Error()
	if e.Type != "" {
		msg += " [type: " + e.Type + "]"
	}
	return msg
}

// Summary is the final event of a run.
type Summary struct {
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	// ResponseID is a Responses run's id, for previous_response_id.
	ResponseID string `json:"response_id,omitempty"`
	// Stored: the provider keeps the response (Responses store, on by
	// default), so a next turn can name it.
	Stored    bool     `json:"stored,omitempty"`
	Finish    []string `json:"finish"`
	Truncated bool     `json:"truncated"`
	URL       string   `json:"url,omitempty"`
	Usage     struct {
		Input     int  `json:"input"`
		Cached    int  `json:"cached"`
		Output    int  `json:"output"`
		Reasoning int  `json:"reasoning"`
		Estimated bool `json:"estimated"`
		// AudioInput and AudioOutput are the audio tokens within input
		// and output.
		AudioInput  int `json:"audio_input,omitempty"`
		AudioOutput int `json:"audio_output,omitempty"`
	} `json:"usage"`
	Cost struct {
		Known     bool   `json:"known"`
		Total     string `json:"total,omitempty"`
		Credits   string `json:"credits,omitempty"`
		Input     string `json:"input,omitempty"`
		Cached    string `json:"cached,omitempty"`
		Output    string `json:"output,omitempty"`
		Estimated bool   `json:"estimated"`
		Demo      bool   `json:"demo"`
		// Refused: the provider answered with an HTTP error before any
		// output, so the run costs nothing (no estimate is charged).
		Refused bool `json:"refused,omitempty"`
		// Unreached: no answer came at all (the connection failed, the
		// address was refused); the run costs nothing either.
		Unreached    bool   `json:"unreached,omitempty"`
		ProviderCost string `json:"provider_cost,omitempty"`
		// Audio is the audio tokens' part of the total; AudioAtTextPrice:
		// the model has no audio price, so they were billed as text.
		Audio            string `json:"audio,omitempty"`
		AudioExact       string `json:"audio_exact,omitempty"`
		AudioAtTextPrice bool   `json:"audio_at_text_price,omitempty"`
		// Exact and CreditsExact are the total and its credits as exact
		// rationals ("123/1000000", big.Rat's String): a page adds costs
		// up with them (TotalRat, CreditsRat). Amount and CreditsAmount
		// are the same as float64, kept for the browser and read back
		// from rows stored before the exact amounts were.
		Exact         string  `json:"exact,omitempty"`
		CreditsExact  string  `json:"credits_exact,omitempty"`
		Amount        float64 `json:"amount,omitempty"`
		Currency      string  `json:"currency,omitempty"`
		CreditsAmount float64 `json:"credits_amount,omitempty"`
	} `json:"cost"`
	// Checks hold, per choice, the answer checked against the structured
	// output the request asked for (JSON object or JSON Schema).
	Checks  []structured.Result `json:"checks,omitempty"`
	Metrics struct {
		TTFBms    float64 `json:"ttfb_ms"`
		TTFTms    float64 `json:"ttft_ms,omitempty"`
		TotalMs   float64 `json:"total_ms"`
		TokensSec float64 `json:"tokens_per_sec,omitempty"`
	} `json:"metrics"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *Run) summary(state State, end time.Time, cause error) Summary {
	var s Summary
	s.State = state
	if errors.Is(cause, errAbandoned) {
		s.Reason = "nobody was watching"
	}
	s.Truncated = state == Interrupted
	if r.Spec.Model.Style == catalog.Responses && r.res.ResponseID != "" {
		s.ResponseID = r.res.ResponseID
		s.Stored = !r.Spec.Request.Options.Unstored
	}
	r.mu.Lock()
	s.URL = r.servedURL
	// Refused, or never reached: an HTTP error, or a request that could
	// not be sent (a connection that failed, an address refused), comes
	// before any output: nothing was generated and nothing is billed.
	// A run stopped or capped before its answer came may still have been
	// received, and billed: only a failure to send is unreached.
	unreached := r.respStatus == 0 && state == Failed
	refused := r.respStatus >= 400 || unreached
	r.mu.Unlock()
	for _, c := range r.res.Choices() {
		if c.Finish != "" {
			s.Finish = append(s.Finish, c.Finish)
		}
	}
	var u cost.Usage
	switch {
	case refused:
		// An HTTP error comes before any output: nothing was generated
		// and nothing is billed, so there is nothing to estimate.
		s.Cost.Refused, s.Cost.Unreached = !unreached, unreached
	case r.res.Usage != nil:
		ru := *r.res.Usage
		u = cost.Usage{Input: ru.Input, Cached: ru.Cached, Output: ru.BilledOutput(), Reasoning: ru.Reasoning,
			AudioInput: ru.AudioInput, AudioOutput: ru.AudioOutput}
	default:
		// No usage from the upstream: estimate with the tokenizer.
		s.Usage.Estimated = true
		out := 0
		for _, c := range r.res.Choices() {
			out += r.m.tokens.Count(c.Text.String()) + r.m.tokens.Count(c.Reasoning.String()) + r.m.tokens.Count(c.Refusal.String())
			for _, tc := range c.Tools {
				out += r.m.tokens.Count(tc.Name) + r.m.tokens.Count(tc.Args)
			}
		}
		u = cost.Usage{Input: r.Spec.PromptTokens, Output: out}
	}
	s.Usage.Input, s.Usage.Cached, s.Usage.Output, s.Usage.Reasoning = u.Input, u.Cached, u.Output, u.Reasoning
	s.Usage.AudioInput, s.Usage.AudioOutput = u.AudioInput, u.AudioOutput
	c := cost.Compute(r.Spec.Provider, r.Spec.Model, u)
	s.Cost.Known, s.Cost.Demo, s.Cost.Estimated = c.Known, c.Demo, s.Usage.Estimated
	if refused && !c.Known {
		// Nothing costs nothing, priced or not.
		c.Known, c.Total = true, new(big.Rat)
	}
	if s.Cost.Known = c.Known; c.Known {
		s.Cost.Total = cost.Format(c.Total, c.Currency)
		s.Cost.Input = cost.Format(c.Input, c.Currency)
		s.Cost.Cached = cost.Format(c.Cached, c.Currency)
		s.Cost.Output = cost.Format(c.Output, c.Currency)
		if c.Audio != nil {
			s.Cost.Audio = cost.Format(c.Audio, c.Currency)
			s.Cost.AudioExact = c.Audio.RatString()
			s.Cost.AudioAtTextPrice = c.AudioAtTextPrice
		}
		s.Cost.Exact = c.Total.RatString()
		s.Cost.Amount, _ = c.Total.Float64()
		s.Cost.Currency = c.Currency
		if cr := c.Credits(c.Total); cr != nil {
			s.Cost.Credits = cost.FormatCredits(cr)
			s.Cost.CreditsExact = cr.RatString()
			s.Cost.CreditsAmount, _ = cr.Float64()
		}
	}
	if r.res.Usage != nil && r.res.Usage.HasCost {
		s.Cost.ProviderCost = "$" + strconv.FormatFloat(r.res.Usage.Cost, 'f', -1, 64)
	}
	if e := structured.FromRequest(r.Spec.Model.Style, r.Spec.Request.Body); e.Mode != "" && state != Failed {
		var texts []string
		for _, c := range r.res.Choices() {
			if c.Text.Len() > 0 {
				texts = append(texts, r.red.String(c.Text.String()))
			}
		}
		// One compile and one work budget for all the run's choices.
		s.Checks = append(s.Checks, structured.CheckAll(e, texts)...)
	}
	s.Metrics.TTFBms = ms(r.ttfb)
	s.Metrics.TotalMs = ms(end.Sub(r.Started))
	if !r.firstTok.IsZero() {
		s.Metrics.TTFTms = ms(r.firstTok.Sub(r.Started))
		if gen := end.Sub(r.firstTok); gen > 0 && u.Output > 0 {
			s.Metrics.TokensSec = float64(int(float64(u.Output)/gen.Seconds()*10)) / 10
		}
	}
	return s
}

// cappedBuffer keeps the first max bytes written.
type cappedBuffer struct {
	buf       bytes.Buffer
	truncated bool
}

func (c *cappedBuffer) write(p []byte, max int) int {
	room := max - c.buf.Len()
	if room <= 0 {
		c.truncated = c.truncated || len(p) > 0
		return 0
	}
	if len(p) > room {
		p, c.truncated = p[:room], true
	}
	c.buf.Write(p)
	return len(p)
}

// keyHint completes the 401 hint.
func (s Spec) keyHint() string {
	if s.KeyHint != "" {
		return s.KeyHint
	}
	return "Set " + s.Provider.APIKeyEnv + " in the server's environment."
}

// usageAsked reports a streamed request that asks for the usage chunk
// (stream_options.include_usage), which comes last, after the finish
// reasons.
func usageAsked(req *request.Request) bool { return req.Stream && req.Options.UsageAsked }
