// Package stream turns what an upstream sends (SSE events or a whole JSON
// answer) for each API style into one normalized Event type, and
// accumulates events into a Result: text, refusal and reasoning per choice,
// tool calls merged by index, finish reasons, usage and errors.
//
// Decoding is on the hot path of every run, so it uses fastjson with a
// reused parser rather than reflection-based encoding/json.
package stream

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

// Kind is what an Event carries.
type Kind uint8

// The kinds of normalized events.
const (
	KindText          Kind = iota + 1 // Text is a delta of the answer of Choice
	KindRefusal                       // Text is a delta of a refusal
	KindReasoning                     // Text is a delta of reasoning (or a summary of it)
	KindTool                          // Tool is a fragment of a tool call
	KindFinish                        // Finish is the choice's finish reason
	KindUsage                         // Usage replaces any earlier usage
	KindError                         // Err; the run failed
	KindStatus                        // Status (queued, in_progress, ...) and ResponseID
	KindDone                          // the stream ended normally
	KindLogprobs                      // Logprobs are the tokens of a text delta of Choice
	KindReasoningItem                 // Text is a whole Responses reasoning item (JSON), to send back
	KindAudio                         // Audio is a piece of a spoken answer of Choice (its transcript comes as KindText)
)

// PerChoice reports the kinds that belong to a choice (Event.Choice):
// every kind but the run-level ones (usage, error, status, done), so that
// a kind added later counts against the choices cap by default.
func (k Kind) PerChoice() bool {
	switch k {
	case KindUsage, KindError, KindStatus, KindDone:
		return false
	}
	return true
}

// Event is one normalized event.
type Event struct {
	Kind       Kind
	Choice     int
	Text       string
	Tool       ToolDelta
	Finish     string
	Usage      Usage
	Err        *Error
	Status     string
	ResponseID string
	// Seq is the Responses sequence_number of the event, or -1.
	Seq int
	// Logprobs are the tokens of the text, with their probabilities.
	Logprobs []TokenLogprob
	// Audio is a piece of a Chat audio answer (message.audio or
	// delta.audio): its id, expiry and base64 data.
	Audio AudioDelta
}

// AudioDelta is a piece of a Chat audio answer. Data is base64, as sent:
// a whole answer's, or one chunk's piece of it.
type AudioDelta struct {
	ID        string
	Data      string
	ExpiresAt int64
}

// MaxTopLogprobs bounds the alternatives kept per token (the API's own
// limit is 20).
const MaxTopLogprobs = 20

// TokenLogprob is one token of an answer, its log-probability and the
// likeliest alternatives at its place.
type TokenLogprob struct {
	Token   string
	Logprob float64
	Top     []TopLogprob
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   string
	Logprob float64
}

// ToolDelta is a fragment of tool call Index of a choice.
type ToolDelta struct {
	Index  int
	ID     string // call id (call_...)
	ItemID string // Responses item id (fc_...)
	Type   string
	Name   string
	Args   string
	// Replace: Args is the whole argument string, not a fragment.
	Replace bool
	// Extra is provider data on the call that must be echoed back on the
	// next turn (Gemini's extra_content with its thought_signature).
	Extra string
}

// Usage is what the upstream reported. Cached is part of Input. Whether
// Reasoning is part of Output differs by provider; BilledOutput sorts it out.
type Usage struct {
	Input     int
	Cached    int
	Output    int
	Reasoning int
	Total     int
	// Cost is the provider's own figure (OpenRouter's usage.cost, USD).
	Cost    float64
	HasCost bool
	// AudioInput and AudioOutput are the audio tokens within Input and
	// Output (Chat's prompt_tokens_details / completion_tokens_details).
	AudioInput  int
	AudioOutput int
}

// BilledOutput is the output tokens to bill: completion tokens plus hidden
// thinking that some providers leave out of them (xAI's reasoning tokens,
// Gemini's thoughts, visible only in total_tokens).
func (u Usage) BilledOutput() int {
	if u.Total > u.Input+u.Output {
		return u.Total - u.Input
	}
	return u.Output
}

// Error is an upstream error, before or inside a stream.
type Error struct {
	// Status is the HTTP status (0 for an error inside a 200 stream).
	Status  int
	Code    string
	Type    string
	Message string
	Param   string
	// RetryAfter is set from the Retry-After header of a 429 or 503.
	RetryAfter time.Duration
	// Hint tells the person what to do (set by the upstream client).
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Status > 0 {
		b.WriteString(httpStatus(e.Status))
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("the provider reported an error")
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Param != "" {
		b.WriteString(" [param: " + e.Param + "]")
	}
	return b.String()
}

// Problem is the error as a person reads it: of kind RateLimited for a
// 429 (with its Retry-After), else Upstream; the message is Error()'s
// line, the hint e's. The message holds the provider's words, which may
// echo the request: run redacts the key before it shows them.
func (e *Error) Problem() *problem.Error {
	k := problem.KindUpstream
	if e.Status == http.StatusTooManyRequests {
		k = problem.KindRateLimited
	}
	return &problem.Error{Kind: k, Message: e.Error(), Hint: e.Hint, RetryAfter: e.RetryAfter, Err: e}
}

// httpStatus is the status line the person reads: "429 Too Many Requests",
// or "HTTP 599" for a code net/http has no text for.
func httpStatus(code int) string {
	if text := http.StatusText(code); text != "" {
		return strconv.Itoa(code) + " " + text
	}
	return "HTTP " + strconv.Itoa(code)
}
