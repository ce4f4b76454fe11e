package stream

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sse"
)

// Decoder turns one stream's SSE events into normalized events. It keeps
// the per-stream state (tool call indexes) and a reused JSON parser; it is
// not safe for concurrent use.
type Decoder struct {
	style catalog.Style
	p     fastjson.Parser
	// Chat: tool calls seen per choice, for chunks without an index.
	toolCount map[int]int
	// Responses: tool index by item id.
	toolByItem map[string]int
	done       bool
}

// NewDecoder returns a decoder for streams of the given style.
func NewDecoder(style catalog.Style) *Decoder {
	return &Decoder{style: style, toolCount: map[int]int{}, toolByItem: map[string]int{}}
}

// Done reports whether a terminal event ([DONE], response.completed, a
// Chat error event, ...) was seen. A Responses error event is not one:
// the response's terminal event may follow it.
func (d *Decoder) Done() bool { return d.done }

var doneMarker = []byte("[DONE]")

// Decode handles one SSE event, calling emit for each normalized event.
// Malformed JSON is reported as an error.
func (d *Decoder) Decode(ev sse.Event, emit func(Event)) error {
	if len(ev.Error) > 0 {
		// llama.cpp's non-standard "error:" field.
		d.emitError(ev.Error, emit)
		return nil
	}
	data := ev.Data
	if len(data) == 0 {
		return nil
	}
	if bytes.Equal(bytes.TrimSpace(data), doneMarker) {
		d.finish(emit)
		return nil
	}
	v, err := d.p.ParseBytes(data)
	if err != nil {
		return fmt.Errorf("stream: event is not JSON: %w", err)
	}
	if string(ev.Type) == "error" && d.style != catalog.Responses {
		// Groq: `event: error` with {"error": {...}}; nothing follows.
		d.errorFrom(v, emit)
		d.finish(emit)
		return nil
	}
	if d.style == catalog.Responses {
		if chatShaped(v) {
			// A gateway that documents (and sends) Chat Completions
			// chunks on its /responses endpoint (seed 003): each chunk is
			// read by its own shape.
			d.chunk(v, emit)
			return nil
		}
		d.responsesEvent(v, emit)
		return nil
	}
	d.chunk(v, emit)
	return nil
}

func (d *Decoder) finish(emit func(Event)) {
	if !d.done {
		d.done = true
		emit(Event{Kind: KindDone, Seq: -1})
	}
}

func (d *Decoder) emitError(raw []byte, emit func(Event)) {
	var p fastjson.Parser
	v, err := p.ParseBytes(raw)
	if err != nil {
		emit(Event{Kind: KindError, Err: &Error{Message: string(raw)}, Seq: -1})
		return
	}
	if v.Get("error") != nil {
		d.errorFrom(v, emit)
	} else {
		emit(Event{Kind: KindError, Err: errorObject(v), Seq: -1})
	}
}

// errorFrom emits the error of a {"error": {...}} value.
func (d *Decoder) errorFrom(v *fastjson.Value, emit func(Event)) {
	e := v.Get("error")
	if e == nil {
		return
	}
	emit(Event{Kind: KindError, Err: errorObject(e), Seq: -1})
}

// errorObject reads {message, type, code, param}; code may be a string or
// the HTTP status as a number (OpenRouter, vLLM).
func errorObject(e *fastjson.Value) *Error {
	if e.Type() == fastjson.TypeString {
		return &Error{Message: string(e.GetStringBytes())}
	}
	out := &Error{
		Message: str(e, "message"),
		Type:    str(e, "type"),
		Param:   str(e, "param"),
	}
	if c := e.Get("code"); c != nil {
		switch c.Type() {
		case fastjson.TypeString:
			out.Code = string(c.GetStringBytes())
		case fastjson.TypeNumber:
			out.Code = c.String()
		}
	}
	if sc := e.GetInt("status_code"); sc > 0 && out.Code == "" {
		out.Code = strconv.Itoa(sc)
	}
	if meta := e.Get("metadata"); meta != nil {
		if raw := str(meta, "raw"); raw != "" {
			out.Message += " — " + raw
		}
		if pn := str(meta, "provider_name"); pn != "" {
			out.Message += " (provider: " + pn + ")"
		}
	}
	return out
}

func str(v *fastjson.Value, keys ...string) string {
	x := v.Get(keys...)
	if x == nil || x.Type() != fastjson.TypeString {
		return ""
	}
	return string(x.GetStringBytes())
}

// chunk handles a Chat Completions or legacy Completions chunk.
func (d *Decoder) chunk(v *fastjson.Value, emit func(Event)) { d.choices(v, "delta", emit) }

// choices handles the choices, usage and error of a chunk (part "delta")
// or of a whole answer (part "message"): the same fields in both.
func (d *Decoder) choices(v *fastjson.Value, part string, emit func(Event)) {
	for _, c := range v.GetArray("choices") {
		idx := c.GetInt("index")
		if d.style == catalog.Completions {
			if t := str(c, "text"); t != "" {
				emit(Event{Kind: KindText, Choice: idx, Text: t, Seq: -1})
			}
		} else if delta := c.Get(part); delta != nil {
			d.delta(idx, delta, emit)
		}
		if lp := c.GetArray("logprobs", "content"); len(lp) > 0 {
			emit(Event{Kind: KindLogprobs, Choice: idx, Logprobs: tokenLogprobs(lp), Seq: -1})
		}
		if f := str(c, "finish_reason"); f != "" {
			emit(Event{Kind: KindFinish, Choice: idx, Finish: f, Seq: -1})
		}
	}
	if u := v.Get("usage"); u != nil && u.Type() == fastjson.TypeObject {
		emit(Event{Kind: KindUsage, Usage: chatUsage(u), Seq: -1})
	}
	// OpenAI: {"error": ...} alone; OpenRouter: next to choices and usage.
	if v.Get("error") != nil {
		d.errorFrom(v, emit)
	}
}

func (d *Decoder) delta(idx int, delta *fastjson.Value, emit func(Event)) {
	thought := delta.GetBool("extra_content", "google", "thought")
	// An audio answer (modalities: audio): its id and data, then its
	// transcript, which is the answer's text.
	if a := delta.Get("audio"); a != nil && a.Type() == fastjson.TypeObject {
		emit(Event{Kind: KindAudio, Choice: idx, Audio: AudioDelta{ID: str(a, "id"), Data: str(a, "data"),
			ExpiresAt: a.GetInt64("expires_at")}, Seq: -1})
		if t := str(a, "transcript"); t != "" {
			emit(Event{Kind: KindText, Choice: idx, Text: t, Seq: -1})
		}
	}
	if t := str(delta, "content"); t != "" {
		kind := KindText
		if thought {
			kind = KindReasoning // Gemini include_thoughts
		}
		emit(Event{Kind: kind, Choice: idx, Text: t, Seq: -1})
	}
	if t := str(delta, "refusal"); t != "" {
		emit(Event{Kind: KindRefusal, Choice: idx, Text: t, Seq: -1})
	}
	// reasoning_content (DeepSeek, xAI, llama.cpp) or reasoning (OpenRouter,
	// vLLM, Ollama, Groq). OpenRouter repeats the text in reasoning_details:
	// read those only when neither string is there.
	if t := str(delta, "reasoning_content"); t != "" {
		emit(Event{Kind: KindReasoning, Choice: idx, Text: t, Seq: -1})
	} else if t := str(delta, "reasoning"); t != "" {
		emit(Event{Kind: KindReasoning, Choice: idx, Text: t, Seq: -1})
	} else {
		for _, rd := range delta.GetArray("reasoning_details") {
			t := str(rd, "text")
			if t == "" {
				t = str(rd, "summary")
			}
			if t != "" {
				emit(Event{Kind: KindReasoning, Choice: idx, Text: t, Seq: -1})
			}
		}
	}
	base := d.toolCount[idx]
	for j, tc := range delta.GetArray("tool_calls") {
		td := ToolDelta{
			ID:   str(tc, "id"),
			Type: str(tc, "type"),
			Name: str(tc, "function", "name"),
			Args: str(tc, "function", "arguments"),
		}
		if x := tc.Get("extra_content"); x != nil && x.Type() == fastjson.TypeObject {
			td.Extra = x.String()
		}
		if iv := tc.Get("index"); iv != nil && iv.Type() == fastjson.TypeNumber {
			td.Index = iv.GetInt()
		} else {
			// No index (Gemini, old Ollama): whole calls, one per entry.
			td.Index = base + j
		}
		if td.Index+1 > d.toolCount[idx] {
			d.toolCount[idx] = td.Index + 1
		}
		emit(Event{Kind: KindTool, Choice: idx, Tool: td, Seq: -1})
	}
}

func chatUsage(u *fastjson.Value) Usage {
	out := Usage{
		Input:     u.GetInt("prompt_tokens"),
		Output:    u.GetInt("completion_tokens"),
		Total:     u.GetInt("total_tokens"),
		Cached:    u.GetInt("prompt_tokens_details", "cached_tokens"),
		Reasoning: u.GetInt("completion_tokens_details", "reasoning_tokens"),
		// Audio tokens are part of prompt and completion tokens.
		AudioInput:  u.GetInt("prompt_tokens_details", "audio_tokens"),
		AudioOutput: u.GetInt("completion_tokens_details", "audio_tokens"),
	}
	if out.Cached == 0 {
		out.Cached = u.GetInt("prompt_cache_hit_tokens") // DeepSeek
	}
	if c := u.Get("cost"); c != nil && c.Type() == fastjson.TypeNumber {
		out.Cost, out.HasCost = c.GetFloat64(), true
	}
	return out
}

// chatShaped reports a Chat Completions chunk or answer where a Responses
// event or response object was expected: no Responses "type" or "output",
// and Chat's choices, object, usage fields (prompt_tokens,
// completion_tokens) or a bare {"error": {...}}.
func chatShaped(v *fastjson.Value) bool {
	if t := v.Get("type"); t != nil && t.Type() == fastjson.TypeString {
		return false
	}
	if v.Get("output") != nil || v.Get("response") != nil {
		return false
	}
	if c := v.Get("choices"); c != nil && c.Type() == fastjson.TypeArray {
		return true
	}
	if strings.HasPrefix(str(v, "object"), "chat.completion") {
		return true
	}
	if u := v.Get("usage"); u != nil && isChatUsage(u) {
		return true
	}
	e := v.Get("error")
	return e != nil && e.Type() == fastjson.TypeObject
}

// isChatUsage reports a usage object with Chat's field names and none of
// the Responses ones.
func isChatUsage(u *fastjson.Value) bool {
	if u.Type() != fastjson.TypeObject || u.Get("input_tokens") != nil || u.Get("output_tokens") != nil {
		return false
	}
	return u.Get("prompt_tokens") != nil || u.Get("completion_tokens") != nil
}

// responsesUsage reads a Responses usage object; one with Chat's field
// names (a gateway mixing the two shapes) is read as Chat usage, so that
// prompt and completion tokens are not lost (nor the total billed as
// output).
func responsesUsage(u *fastjson.Value) Usage {
	if isChatUsage(u) {
		return chatUsage(u)
	}
	return Usage{
		Input:     u.GetInt("input_tokens"),
		Cached:    u.GetInt("input_tokens_details", "cached_tokens"),
		Output:    u.GetInt("output_tokens"),
		Reasoning: u.GetInt("output_tokens_details", "reasoning_tokens"),
		Total:     u.GetInt("total_tokens"),
	}
}

func (d *Decoder) toolIndex(itemID string) int {
	if i, ok := d.toolByItem[itemID]; ok {
		return i
	}
	i := len(d.toolByItem)
	d.toolByItem[itemID] = i
	return i
}

// responsesEvent handles one Responses stream event, dispatching on the
// JSON "type" (OpenRouter sends no event: lines).
func (d *Decoder) responsesEvent(v *fastjson.Value, emit func(Event)) {
	seq := -1
	if s := v.Get("sequence_number"); s != nil {
		seq = s.GetInt()
	}
	typ := v.GetStringBytes("type")
	switch string(typ) {
	case "response.created", "response.in_progress", "response.queued":
		r := v.Get("response")
		emit(Event{Kind: KindStatus, Status: str(r, "status"), ResponseID: str(r, "id"), Seq: seq})
	case "response.output_text.delta":
		emit(Event{Kind: KindText, Text: str(v, "delta"), Seq: seq})
	case "response.refusal.delta":
		emit(Event{Kind: KindRefusal, Text: str(v, "delta"), Seq: seq})
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		emit(Event{Kind: KindReasoning, Text: str(v, "delta"), Seq: seq})
	case "response.reasoning_summary_part.added":
		if v.GetInt("summary_index") > 0 {
			emit(Event{Kind: KindReasoning, Text: "\n\n", Seq: seq})
		}
	case "response.output_item.added", "response.output_item.done":
		item := v.Get("item")
		if item != nil && str(item, "type") == "reasoning" && string(typ) == "response.output_item.done" {
			emit(Event{Kind: KindReasoningItem, Text: item.String(), Seq: seq})
			return
		}
		if item == nil || str(item, "type") != "function_call" {
			return
		}
		id := str(item, "id")
		emit(Event{Kind: KindTool, Tool: ToolDelta{
			Index: d.toolIndex(id), ItemID: id, ID: str(item, "call_id"), Type: "function",
			Name: str(item, "name"), Args: str(item, "arguments"),
			Replace: string(typ) == "response.output_item.done" || str(item, "arguments") != "",
		}, Seq: seq})
	case "response.function_call_arguments.delta":
		emit(Event{Kind: KindTool, Tool: ToolDelta{Index: d.toolIndex(str(v, "item_id")), Args: str(v, "delta")}, Seq: seq})
	case "response.function_call_arguments.done":
		emit(Event{Kind: KindTool, Tool: ToolDelta{Index: d.toolIndex(str(v, "item_id")), Args: str(v, "arguments"), Replace: true}, Seq: seq})
	case "response.completed", "response.incomplete", "response.failed", "response.cancelled":
		d.terminal(v.Get("response"), seq, emit)
	case "error":
		if v.Get("error") != nil {
			d.errorFrom(v, emit) // nested (real recordings)
		} else {
			emit(Event{Kind: KindError, Err: errorObject(v), Seq: seq}) // flat (the spec)
		}
		// Not the end: response.failed (or .incomplete, .completed) may
		// follow with the final state; the stream's end is its own.
	}
}

// terminal handles the response object of a terminal event (or of a
// whole, non-streamed answer).
func (d *Decoder) terminal(r *fastjson.Value, seq int, emit func(Event)) {
	if r == nil {
		d.finish(emit)
		return
	}
	status := str(r, "status")
	if u := r.Get("usage"); u != nil && u.Type() == fastjson.TypeObject {
		emit(Event{Kind: KindUsage, Usage: responsesUsage(u), Seq: seq})
	}
	finish := status
	if reason := str(r, "incomplete_details", "reason"); reason != "" {
		finish = status + ": " + reason
	}
	emit(Event{Kind: KindStatus, Status: status, ResponseID: str(r, "id"), Seq: seq})
	if finish != "" {
		emit(Event{Kind: KindFinish, Finish: finish, Seq: seq})
	}
	if e := r.Get("error"); e != nil && e.Type() == fastjson.TypeObject {
		emit(Event{Kind: KindError, Err: errorObject(e), Seq: seq})
	}
	d.finish(emit)
}

// tokenLogprobs reads Chat's logprobs.content entries.
func tokenLogprobs(list []*fastjson.Value) []TokenLogprob {
	out := make([]TokenLogprob, 0, len(list))
	for _, e := range list {
		t := TokenLogprob{Token: str(e, "token"), Logprob: e.GetFloat64("logprob")}
		for k, a := range e.GetArray("top_logprobs") {
			if k == MaxTopLogprobs {
				break
			}
			t.Top = append(t.Top, TopLogprob{Token: str(a, "token"), Logprob: a.GetFloat64("logprob")})
		}
		out = append(out, t)
	}
	return out
}
