package run

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"sort"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/upstream"
)

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
	if r.eventTimes.len() < maxEventTimes {
		r.eventTimes.add(time.Since(r.Started))
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
		now := time.Now()
		if r.firstTok.IsZero() {
			r.firstTok = now
		}
		r.deltas++
		r.timeline.add(e, now.Sub(r.Started))
	}
	switch e.Kind {
	case stream.KindText, stream.KindReasoning, stream.KindRefusal:
		r.choice(e.Choice) // the text is pending in the result (flush)
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
		text, reasoning, refusal := r.pending(i, c)
		if text != "" {
			if t := c.textR.Write(text); t != "" {
				if i == 0 {
					r.addPartial(t)
				}
				if html := c.md.Write(t); html != "" {
					evs = append(evs, mdEvent(i, html, c.md.Tail()))
				} else {
					d.t = t
				}
			}
		}
		if reasoning != "" {
			d.r = c.reasoningR.Write(reasoning)
			c.reasoningTokens += r.m.tokens.Count(reasoning)
			d.rn = c.reasoningTokens
		}
		if refusal != "" {
			d.x = c.refusalR.Write(refusal)
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

// pending returns the text, reasoning and refusal of choice i that came
// since the last flush (what follows c.sent in the result) and marks them
// sent.
func (r *Run) pending(i int, c *choiceState) (text, reasoning, refusal string) {
	if !r.res.Has(i) {
		return "", "", ""
	}
	res := r.res.Choice(i)
	var out [3]string
	for k, b := range [3]*strings.Builder{&res.Text, &res.Reasoning, &res.Refusal} {
		out[k] = b.String()[c.sent[k]:]
		c.sent[k] = b.Len()
	}
	return out[0], out[1], out[2]
}

func (r *Run) choiceOrder() []int {
	keys := make([]int, 0, len(r.choices))
	for k := range r.choices {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
