package run

import (
	"net/url"
	"time"
)

// Recorder keeps runs (the history). The manager calls Begin before a run
// starts, Progress now and then with the output so far (so a crash leaves
// what had arrived), and End once with the outcome. Progress must not
// block: it runs on the run's own goroutine.
type Recorder interface {
	Begin(r *Run) error
	Progress(r *Run, out Output)
	End(r *Run, rec Record)
}

// Origin is where a run came from, for the history: the form it was made
// from, its curl, and the comparison (group and pane) it belongs to.
type Origin struct {
	Form  url.Values
	Curl  string
	Group string
	Pane  int
	// Overrides names what the pane sets itself ("temperature=0.7").
	Overrides string
}

// Output is a run's normalized answer, key redacted.
type Output struct {
	Choices []ChoiceOutput `json:"choices"`
}

// ChoiceOutput is one choice of the answer.
type ChoiceOutput struct {
	Index     int          `json:"index"`
	Text      string       `json:"text,omitempty"`
	Reasoning string       `json:"reasoning,omitempty"`
	Refusal   string       `json:"refusal,omitempty"`
	Tools     []ToolOutput `json:"tools,omitempty"`
	Finish    string       `json:"finish,omitempty"`
	// ReasoningItems are Responses reasoning items (JSON) to send back
	// with the tool calls on the next turn.
	ReasoningItems []string `json:"reasoning_items,omitempty"`
}

// ToolOutput is one tool call.
type ToolOutput struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	Args string `json:"args"`
	// Extra is provider data echoed back with the call on the next turn
	// (Gemini's extra_content.google.thought_signature).
	Extra string `json:"extra,omitempty"`
}

// Text is every choice's text, joined (for search and diffs).
func (o Output) Text() string {
	s := ""
	for i, c := range o.Choices {
		if i > 0 {
			s += "\n\n"
		}
		s += c.Text
	}
	return s
}

// Record is how a run ended.
type Record struct {
	State      State
	Output     Output
	Summary    Summary
	Failure    *ErrorView
	Transcript []byte
	Ended      time.Time
}

// output collects the answer so far from the run goroutine's result.
func (r *Run) output() Output {
	var out Output
	key := r.Spec.Key
	for _, c := range r.res.Choices() {
		co := ChoiceOutput{Index: c.Index, Text: redact(c.Text.String(), key), Reasoning: redact(c.Reasoning.String(), key),
			Refusal: redact(c.Refusal.String(), key), Finish: c.Finish, ReasoningItems: c.ReasoningItems}
		for _, t := range c.Tools {
			co.Tools = append(co.Tools, ToolOutput{ID: t.ID, Name: redact(t.Name, key), Args: redact(t.Args, key), Extra: redact(t.Extra, key)})
		}
		out.Choices = append(out.Choices, co)
	}
	return out
}

// progressEvery is how often the output so far goes to the recorder.
const progressEvery = 2 * time.Second

// progress hands the output so far to the recorder, at most every
// progressEvery from the start (a short run is recorded once, at its end).
func (r *Run) progress() {
	rec := r.m.cfg.Recorder
	if rec == nil || len(r.res.Choices()) == 0 {
		return
	}
	if time.Since(r.lastProgress) < progressEvery {
		return
	}
	r.lastProgress = time.Now()
	rec.Progress(r, r.output())
}
