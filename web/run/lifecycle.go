package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/stream"
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
	transcript spool
	// transcriptClean is set once a finished run's transcript is redacted
	// in place.
	transcriptClean bool
	eventTimes      offsets
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
	// timeline is how the output grew, one point per content event.
	timeline timeline
	ttfb     time.Duration
	// deltas counts the events that brought tokens (text, reasoning,
	// refusal, a tool call, audio); polled: some of them came by polling
	// (a speed figure then cannot be told).
	deltas int
	polled bool
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
	// answers are the choices as they ended, the key redacted (under mu;
	// set with the done event).
	answers []ChoiceOutput
	// ending is how the run ended (under mu; set with the done event).
	ending *Ending
	// partial is the first partialMax bytes of choice 0's text so far,
	// the key redacted (under mu): what an experiment's grid shows of a
	// cell still streaming.
	partial []byte
}

// partialMax is how much of a streaming answer Partial keeps.
const partialMax = 2048

// Partial is the start of choice 0's answer so far (at most 2 KB, the key
// redacted): the text of a run still streaming, for a glance at it.
func (r *Run) Partial() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A character cut at the limit is left out.
	return strings.ToValidUTF8(string(r.partial), "")
}

// addPartial keeps t, choice 0's next redacted text, while Partial has
// room.
func (r *Run) addPartial(t string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if room := partialMax - len(r.partial); room > 0 {
		r.partial = append(r.partial, t[:min(len(t), room)]...)
	}
}

type choiceState struct {
	md       markdown.Stream
	logprobs []stream.TokenLogprob // since the last flush
	// lpHeld are tokens not sent yet: their text could still become the
	// key (it is redacted across tokens, like the text).
	lpHeld []stream.TokenLogprob
	// sent are the bytes of the result's text, reasoning and refusal
	// already given to the redactors: what follows them is pending (the
	// text is kept once, in the result).
	sent [3]int
	// Each channel holds back a tail that could be the start of the key
	// (a key cut across two deltas is still redacted).
	textR, reasoningR, refusalR redact.Stream
	tools                       map[int]*toolState
	dirty                       map[int]bool // tool calls changed since the last flush
	// audio: the answer is spoken (its text is the transcript); audioSent:
	// the browser was told.
	audio, audioSent bool
	// reasoningTokens counts the reasoning so far, piece by piece.
	reasoningTokens int
	// shown are the tokens with probabilities the browser was sent (the
	// key redacted), for the history.
	shown []TokenOutput
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
	sum := r.outcome(state, end, cause)
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
	output := r.output()
	for i := range output.Choices {
		if c := r.choices[output.Choices[i].Index]; c != nil {
			output.Choices[i].Logprobs = c.shown
		}
	}
	if rec := r.m.cfg.Recorder; rec != nil {
		out := Record{State: state, Output: output, Outcome: sum, Transcript: r.transcriptOf(true), Ended: end}
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
	if cl := r.m.cfg.Cluster; cl != nil {
		cl.Release(r.ID)
	}
	// The done event and the state change land together: a follower that
	// sees the run over has the whole log.
	r.hold(len(done.Data))
	r.mu.Lock()
	done.ID = len(r.log) + 1
	r.log = append(r.log, done)
	r.state, r.ended = state, end
	r.ending = &Ending{State: state, Output: output, Outcome: sum}
	if upErr != nil {
		ev := errorView(upErr, r.red)
		r.ending.Failure, r.ending.RetryAfter = &ev, upErr.RetryAfter
	}
	for _, c := range output.Choices {
		r.answers = append(r.answers, ChoiceOutput{Index: c.Index, Text: c.Text})
	}
	r.noWatcher.Stop()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if cl := r.m.cfg.Cluster; cl != nil {
		cl.Appended(r, []Event{done})
	}
	r.m.ended(r)
	r.cancel(nil)
	r.logFinish(sum, upErr, end)
}

// logFinish logs the outcome without anything the person wrote or the
// model answered: error messages can echo prompts, so only their status
// and code are logged.
func (r *Run) logFinish(sum Outcome, upErr *stream.Error, end time.Time) {
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

// Answer is choice i's answer text (markdown, as the model wrote it, the
// key redacted) once the run is over: what the panel's copy buttons copy.
func (r *Run) Answer(i int) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Output{Choices: r.answers}.Answer(i)
}
