package run

import (
	"time"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/redact"
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
	// Form is the template when Vars are set: Vars are the values of its
	// variables the run was filled with.
	Form  form.Draft
	Vars  map[string]string
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
	// Audio is the spoken answer (Text is its transcript).
	Audio *AudioOutput `json:"audio,omitempty"`
	// Logprobs are the answer's tokens with their probabilities and
	// alternatives, as the live panel showed them (the key redacted);
	// LogprobsNote says why they are missing when the history left them
	// out.
	Logprobs     []TokenOutput `json:"logprobs,omitempty"`
	LogprobsNote string        `json:"logprobs_note,omitempty"`
}

// TokenOutput is one token of an answer with its log probability and the
// alternatives asked for (top_logprobs).
type TokenOutput struct {
	Token   string     `json:"t"`
	Logprob float64    `json:"p"`
	Top     []TokenAlt `json:"top,omitempty"`
}

// TokenAlt is one alternative of a token.
type TokenAlt struct {
	Token   string  `json:"t"`
	Logprob float64 `json:"p"`
}

// MaxStoredTokens bounds the tokens with probabilities a choice keeps.
const MaxStoredTokens = 4096

// ToolOutput is one tool call.
type ToolOutput struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	Args string `json:"args"`
	// Extra is provider data echoed back with the call on the next turn
	// (Gemini's extra_content.google.thought_signature).
	Extra string `json:"extra,omitempty"`
}

// Answer is choice i's text, as the history keeps it (the key redacted).
func (o Output) Answer(i int) (string, bool) {
	for _, c := range o.Choices {
		if c.Index == i {
			return c.Text, true
		}
	}
	return "", false
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
	Outcome    Outcome
	Failure    *ErrorView
	Transcript []byte
	Ended      time.Time
}

// output collects the answer so far from the run goroutine's result, the
// key redacted.
func (r *Run) output() Output {
	out, _ := r.outputUpTo(-1)
	return out
}

// outputUpTo is output with at most max bytes of text, reasoning,
// refusal and tool arguments (all of them with max < 0). It copies only
// what it keeps, and reports whether it left something out.
func (r *Run) outputUpTo(max int) (Output, bool) {
	var out Output
	red := r.red
	cut := false
	take := func(s string) string {
		if max < 0 {
			return red.String(s)
		}
		if len(s) > max {
			s, cut = s[:max], true
			// Not in the middle of a character.
			i := len(s) - 1
			for i > 0 && i > len(s)-utf8.UTFMax && !utf8.RuneStart(s[i]) {
				i--
			}
			if i >= 0 {
				if c, n := utf8.DecodeRuneInString(s[i:]); c == utf8.RuneError && n <= 1 {
					s = s[:i]
				}
			}
			// The part of a key cut at the end is not kept either.
			st := redact.Stream{R: red}
			s = st.Write(s)
		} else {
			s = red.String(s)
		}
		max -= len(s)
		return s
	}
	for _, c := range r.res.Choices() {
		co := ChoiceOutput{Index: c.Index, Text: take(c.Text.String()), Reasoning: take(c.Reasoning.String()),
			Refusal: take(c.Refusal.String()), Finish: c.Finish}
		// The audio's bytes go only into the final record.
		co.Audio = r.audioOutput(c.Index, max < 0)
		for _, it := range c.ReasoningItems {
			co.ReasoningItems = append(co.ReasoningItems, red.String(it))
		}
		for _, t := range c.Tools {
			co.Tools = append(co.Tools, ToolOutput{ID: red.String(t.ID), Name: red.String(t.Name), Args: take(t.Args), Extra: red.String(t.Extra)})
		}
		out.Choices = append(out.Choices, co)
	}
	return out, cut
}

// progress hands the output so far to the recorder, at most every
// Caps.ProgressEvery from the start (a short run is recorded once, at its
// end), and at most Caps.Progress bytes of it: once the answer is longer,
// the recorder has had that much and gets the rest at the end, so a long
// answer is not copied and written again and again.
func (r *Run) progress() {
	rec := r.m.cfg.Recorder
	if rec == nil || r.progressed || len(r.res.Choices()) == 0 {
		return
	}
	if time.Since(r.lastProgress) < r.m.cfg.Caps.ProgressEvery {
		return
	}
	r.lastProgress = time.Now()
	out, cut := r.outputUpTo(r.m.cfg.Caps.Progress)
	r.progressed = cut
	rec.Progress(r, out)
}
