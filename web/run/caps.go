package run

import (
	"fmt"
	"io"
	"time"

	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/units"
)

// Caps bound what one run may take and what all runs may hold. A run at a
// cap ends at once, its output so far kept, with a message that names the
// cap ("truncated: the answer exceeded 16 MB"). Zero takes the default.
type Caps struct {
	// Bytes bounds what a run reads from its provider, decoded (after any
	// gzip), over every request of the run.
	Bytes int64
	// Events bounds the provider's events in one run.
	Events int
	// Choices bounds the distinct choices of one answer.
	Choices int
	// Log bounds the bytes of a run's browser event log (what a browser
	// that reconnects is sent again), by default three times Bytes.
	Log int
	// Held bounds the bytes that every run kept in memory holds together
	// (event logs and transcripts): past it the oldest finished runs are
	// dropped, and a running run that still does not fit ends.
	Held int64
	// Duration bounds how long a run may take.
	Duration time.Duration
	// Idle ends a stream that sends no event for this long: comments
	// (": ping") and keep-alives do not count, only data.
	Idle time.Duration
	// Progress bounds the output handed to the recorder while the run
	// goes on (the whole output is recorded at its end); ProgressEvery is
	// how often it is handed over.
	Progress      int
	ProgressEvery time.Duration
}

// DefaultCaps: 16 MB read, a million events, 128 choices, 48 MB of events,
// 512 MB over all runs, 30 minutes, 5 minutes without content, 1 MB of
// output for the history every 2 s while running. A long real answer is
// well under 2 MB of text.
func DefaultCaps() Caps {
	return Caps{Bytes: 16 << 20, Events: 1_000_000, Choices: 128, Held: 512 << 20, Duration: 30 * time.Minute,
		Idle: 5 * time.Minute, Progress: 1 << 20, ProgressEvery: 2 * time.Second}
}

func (c Caps) withDefaults() Caps {
	d := DefaultCaps()
	if c.Bytes <= 0 {
		c.Bytes = d.Bytes
	}
	if c.Events <= 0 {
		c.Events = d.Events
	}
	if c.Choices <= 0 {
		c.Choices = d.Choices
	}
	if c.Log <= 0 {
		c.Log = int(min(3*c.Bytes, 1<<40))
	}
	if c.Held <= 0 {
		c.Held = d.Held
	}
	if c.Duration <= 0 {
		c.Duration = d.Duration
	}
	if c.Idle <= 0 {
		c.Idle = d.Idle
	}
	if c.Progress <= 0 {
		c.Progress = d.Progress
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = d.ProgressEvery
	}
	return c
}

// endCause ends a run at a cap or a timeout (the run's context cause).
type endCause struct {
	state State
	err   *stream.Error
}

func (e *endCause) Error() string { return e.err.Message }

// capHint follows every cap's message.
const capHint = "The output so far is kept. The server's operator sets this limit"

// truncate ends the run as cut off at a cap; flag names the setting.
func (r *Run) truncate(what, flag string) error {
	e := &endCause{state: Interrupted, err: &stream.Error{Code: "run_limit", Message: "truncated: " + what,
		Hint: capHint + " (--" + flag + ")."}}
	r.cancel(e)
	return e
}

// timedOut ends the run when it has taken the longest a run may.
func (r *Run) timedOut() {
	d := r.m.cfg.Caps.Duration
	r.cancel(&endCause{state: Interrupted, err: &stream.Error{Code: "run_limit",
		Message: "stopped: the run reached the longest a run may take (" + d.String() + ")",
		Hint:    capHint + " (--run-max-duration)."}})
}

// noContent ends a stream that sent no event for Caps.Idle.
func (r *Run) noContent() { r.cancel(&endCause{state: Interrupted, err: r.noContentError()}) }

// Interrupt ends the run interrupted with message, its output so far
// kept: what another instance told the run's followers when it found this
// one silent (web/cluster).
func (r *Run) Interrupt(message string) {
	r.cancel(&endCause{state: Interrupted, err: &stream.Error{Code: "interrupted", Message: message}})
}

// noContentError is why a stream that sent no event for Caps.Idle ends.
func (r *Run) noContentError() *stream.Error {
	return &stream.Error{Code: "idle_timeout",
		Message: fmt.Sprintf("the provider sent no content for %s", r.m.cfg.Caps.Idle),
		Hint:    "The stream stalled or sent only keep-alives; the partial output is kept. Try again, or raise --idle-timeout."}
}

// capReader counts what the run reads from its provider and ends the run
// past Caps.Bytes.
type capReader struct {
	r   *Run
	src io.Reader
}

func (c *capReader) Read(p []byte) (int, error) {
	limit := c.r.m.cfg.Caps.Bytes
	room := limit - c.r.upBytes
	if room < 0 {
		return 0, c.r.truncate("the answer exceeded "+units.Bytes(limit), "run-max-bytes")
	}
	if int64(len(p)) > room+1 {
		p = p[:room+1]
	}
	n, err := c.src.Read(p)
	c.r.upBytes += int64(n)
	if c.r.upBytes > limit {
		return n - int(c.r.upBytes-limit), c.r.truncate("the answer exceeded "+units.Bytes(limit), "run-max-bytes")
	}
	return n, err
}

// hold counts bytes the run keeps in memory, for the manager's Held cap.
// It reports false when they do not fit even after dropping finished runs.
func (r *Run) hold(n int) bool {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	r.held += int64(n)
	m.held += int64(n)
	for m.held > m.cfg.Caps.Held && len(m.finished) > 0 {
		m.dropLocked(m.finished[0])
		m.finished[0] = nil
		m.finished = m.finished[1:]
	}
	return m.held <= m.cfg.Caps.Held
}

// dropLocked forgets a finished run.
func (m *Manager) dropLocked(r *Run) {
	delete(m.runs, r.ID)
	if m.last[r.Spec.Owner] == r {
		delete(m.last, r.Spec.Owner)
	}
	r.mu.Lock()
	r.transcript.close()
	r.mu.Unlock()
	m.held -= r.held
}
