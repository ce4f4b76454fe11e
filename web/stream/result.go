package stream

import (
	"fmt"
	"sort"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/playground-dev/playground/web/catalog"
)

// MaxToolCalls bounds the tool calls kept per choice.
const MaxToolCalls = 256

// ToolCall is a complete (or, while streaming, partial) tool call.
type ToolCall struct {
	ID     string
	ItemID string
	Type   string
	Name   string
	Args   string
	// Extra is provider data to echo back (Gemini's thought_signature).
	Extra string
}

// Choice is the accumulated answer of one choice.
type Choice struct {
	Index     int
	Text      strings.Builder
	Refusal   strings.Builder
	Reasoning strings.Builder
	Tools     []ToolCall
	Finish    string
	// ReasoningItems are the Responses reasoning items (JSON), sent back
	// with the tool calls they led to.
	ReasoningItems []string
	// Audio is the spoken answer (nil for text only); Text is then its
	// transcript.
	Audio *Audio
}

// Result accumulates a stream's events.
type Result struct {
	choices    map[int]*Choice
	Usage      *Usage
	Err        *Error
	Status     string
	ResponseID string
	// LastSeq is the last Responses sequence_number seen, or -1.
	LastSeq int
	// Done: the stream ended with its terminal event.
	Done bool
	// audioBytes is the decoded audio kept over all choices.
	audioBytes int
}

// NewResult returns an empty result.
func NewResult() *Result { return &Result{choices: map[int]*Choice{}, LastSeq: -1} }

// Choice returns choice i, creating it.
func (r *Result) Choice(i int) *Choice {
	c, ok := r.choices[i]
	if !ok {
		c = &Choice{Index: i}
		r.choices[i] = c
	}
	return c
}

// Has reports whether choice i has had an event.
func (r *Result) Has(i int) bool { _, ok := r.choices[i]; return ok }

// Len is the number of choices.
func (r *Result) Len() int { return len(r.choices) }

// Choices lists the choices by index.
func (r *Result) Choices() []*Choice {
	out := make([]*Choice, 0, len(r.choices))
	for _, c := range r.choices {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Apply adds one event.
func (r *Result) Apply(e Event) {
	if e.Seq > r.LastSeq {
		r.LastSeq = e.Seq
	}
	switch e.Kind {
	case KindText:
		r.Choice(e.Choice).Text.WriteString(e.Text)
	case KindRefusal:
		r.Choice(e.Choice).Refusal.WriteString(e.Text)
	case KindReasoning:
		r.Choice(e.Choice).Reasoning.WriteString(e.Text)
	case KindTool:
		if e.Tool.Index < 0 || e.Tool.Index >= MaxToolCalls {
			return // an index no real answer has: do not allocate for it
		}
		c := r.Choice(e.Choice)
		for len(c.Tools) <= e.Tool.Index {
			c.Tools = append(c.Tools, ToolCall{})
		}
		t := &c.Tools[e.Tool.Index]
		if e.Tool.ID != "" {
			t.ID = e.Tool.ID
		}
		if e.Tool.ItemID != "" {
			t.ItemID = e.Tool.ItemID
		}
		if e.Tool.Type != "" {
			t.Type = e.Tool.Type
		}
		if e.Tool.Name != "" {
			t.Name = e.Tool.Name
		}
		if e.Tool.Extra != "" {
			t.Extra = e.Tool.Extra
		}
		if e.Tool.Replace {
			t.Args = e.Tool.Args
		} else {
			t.Args += e.Tool.Args
		}
	case KindReasoningItem:
		if c := r.Choice(e.Choice); len(c.ReasoningItems) < MaxToolCalls {
			c.ReasoningItems = append(c.ReasoningItems, e.Text)
		}
	case KindAudio:
		r.applyAudio(e)
	case KindFinish:
		r.Choice(e.Choice).Finish = e.Finish
	case KindUsage:
		u := e.Usage
		r.Usage = &u // the last non-null usage wins; never summed
	case KindError:
		if r.Err == nil {
			r.Err = e.Err
		}
	case KindStatus:
		if e.Status != "" {
			r.Status = e.Status
		}
		if e.ResponseID != "" {
			r.ResponseID = e.ResponseID
		}
	case KindDone:
		r.Done = true
	}
}

// Whole reports an answer that reached its end: its terminal event came
// ([DONE], response.completed), or every choice came with its finish
// reason and, when the request asked for it (usageAsked), the usage that
// follows them. A server may close without [DONE] (docs/wire.md: accept
// EOF without it), and a connection that breaks after the last of these
// loses nothing of the answer. A stream that is not whole was cut.
func (r *Result) Whole(usageAsked bool) bool {
	if r.Done {
		return true
	}
	if len(r.choices) == 0 || (usageAsked && r.Usage == nil) {
		return false
	}
	for _, c := range r.choices {
		if c.Finish == "" {
			return false
		}
	}
	return true
}

// Text is the concatenated answer text of all choices (choice 0 first).
func (r *Result) Text() string {
	var b strings.Builder
	for _, c := range r.Choices() {
		b.WriteString(c.Text.String())
	}
	return b.String()
}

// DecodeJSON turns a whole (non-streamed) answer of the style into events:
// chat.completion, text_completion or a response object.
func DecodeJSON(style catalog.Style, body []byte, emit func(Event)) error {
	var p fastjson.Parser
	v, err := p.ParseBytes(body)
	if err != nil {
		return fmt.Errorf("stream: the answer is not JSON: %w", err)
	}
	d := NewDecoder(style)
	if v.Get("error") != nil && v.Get("choices") == nil && v.Get("output") == nil {
		d.errorFrom(v, emit)
		d.finish(emit)
		return nil
	}
	if style == catalog.Responses && chatShaped(v) {
		// Chat Completions' chat.completion from a /responses endpoint
		// (seed 003's documented shape): its id names no stored response.
		d.choices(v, "message", emit)
		d.finish(emit)
		return nil
	}
	switch style {
	case catalog.Responses:
		emit(Event{Kind: KindStatus, Status: str(v, "status"), ResponseID: str(v, "id"), Seq: -1})
		ti := 0
		for _, item := range v.GetArray("output") {
			switch str(item, "type") {
			case "message":
				for _, part := range item.GetArray("content") {
					switch str(part, "type") {
					case "output_text":
						emit(Event{Kind: KindText, Text: str(part, "text"), Seq: -1})
					case "refusal":
						emit(Event{Kind: KindRefusal, Text: str(part, "refusal"), Seq: -1})
					}
				}
			case "reasoning":
				emit(Event{Kind: KindReasoningItem, Text: item.String(), Seq: -1})
				for i, s := range item.GetArray("summary") {
					if i > 0 {
						emit(Event{Kind: KindReasoning, Text: "\n\n", Seq: -1})
					}
					emit(Event{Kind: KindReasoning, Text: str(s, "text"), Seq: -1})
				}
				for _, c := range item.GetArray("content") {
					emit(Event{Kind: KindReasoning, Text: str(c, "text"), Seq: -1})
				}
			case "function_call":
				emit(Event{Kind: KindTool, Tool: ToolDelta{Index: ti, ID: str(item, "call_id"), ItemID: str(item, "id"),
					Type: "function", Name: str(item, "name"), Args: str(item, "arguments"), Replace: true}, Seq: -1})
				ti++
			}
		}
		status := str(v, "status")
		if status == "queued" || status == "in_progress" {
			return nil // a background response still running: not terminal
		}
		d.terminal(v, -1, emit)
	default:
		d.choices(v, "message", emit)
		d.finish(emit)
	}
	return nil
}
