package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// stored is one Responses response: its event log (for streaming, resume
// with starting_after, and GET), its current object, and a cancel.
type stored struct {
	mu      sync.Mutex
	events  [][]byte // SSE-framed, by sequence number
	changed chan struct{}
	obj     map[string]any
	done    bool
	cancel  context.CancelFunc
	bg      bool
	// noResume: resuming the stream fails (fault drop:noresume).
	noResume bool
}

func (st *stored) add(framed []byte) {
	st.mu.Lock()
	st.events = append(st.events, framed)
	close(st.changed)
	st.changed = make(chan struct{})
	st.mu.Unlock()
}

func (st *stored) since(after int) ([][]byte, bool, <-chan struct{}) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var evs [][]byte
	if after+1 < len(st.events) {
		evs = st.events[max(after+1, 0):]
	}
	return evs, st.done, st.changed
}

func (st *stored) snapshot() map[string]any {
	st.mu.Lock()
	defer st.mu.Unlock()
	b, _ := json.Marshal(st.obj)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func (st *stored) set(k string, v any) {
	st.mu.Lock()
	st.obj[k] = v
	st.mu.Unlock()
}

func (s *Server) keep(id string, st *stored) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responses[id] = st
	s.order = append(s.order, id)
	for len(s.order) > 1000 {
		delete(s.responses, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *Server) lookup(id string) (*stored, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.responses[id]
	return st, ok
}

// respond handles POST .../responses. Generation runs on its own goroutine
// writing the event log; the request follows the log (streaming), waits for
// the end, or, in background mode, answers at once with the queued object.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, rq *req, cached int, f fault) {
	id := newID("resp_")
	plan := s.plan(rq, 0, rq.prompts[0])
	st := &stored{changed: make(chan struct{}), bg: rq.background, noResume: f.noResume}
	st.obj = responseObject(rq, id, "queued")
	if !rq.background {
		st.obj["status"] = "in_progress"
	}
	parent := r.Context()
	if rq.background {
		parent = context.Background() // it outlives the request
	}
	ctx, cancel := context.WithCancel(parent)
	st.cancel = cancel
	if rq.store || rq.background {
		s.keep(id, st)
	}
	// A background answer is the response as it was created (queued),
	// whatever the generator has done by the time it is written.
	initial := st.snapshot()
	go s.generate(ctx, st, rq, plan, cached, f)
	switch {
	case rq.stream:
		s.follow(w, r, st, -1, f)
	case rq.background:
		writeJSON(w, 200, initial)
	default:
		for {
			_, done, more := st.since(1 << 30)
			if done {
				break
			}
			select {
			case <-more:
			case <-r.Context().Done():
				return
			}
		}
		writeAnswer(w, st.snapshot(), f)
	}
}

// follow streams the log after sequence number after until the response
// ends.
func (s *Server) follow(w http.ResponseWriter, r *http.Request, st *stored, after int, f fault) {
	out := newSSE(w)
	out.flush()
	sent := 0
	for {
		evs, done, more := st.since(after)
		for _, e := range evs {
			if err := out.raw(string(e)); err != nil {
				return
			}
			after++
			sent++
			if sent == 12 && f.kind == "drop" {
				// A real cut: the connection closes without the chunked
				// body's terminator, no terminal event sent. A background
				// response goes on being generated.
				out.flush()
				panic(http.ErrAbortHandler)
			}
		}
		out.flush()
		if done {
			return
		}
		select {
		case <-more:
		case <-r.Context().Done():
			return
		}
	}
}

// getResponse handles GET .../responses/{id}, with stream=true and
// starting_after to resume a stream.
func (s *Server) getResponse(w http.ResponseWriter, r *http.Request, id string) {
	st, ok := s.lookup(id)
	if !ok {
		writeError(w, 404, "invalid_request_error", "not_found", "response_id", "No response found with id '"+id+"'.")
		return
	}
	if r.URL.Query().Get("stream") == "true" {
		if st.noResume {
			// As some gateways answer a resume: the client must poll.
			writeError(w, 500, "server_error", "server_error", "", "Simulated: this stream cannot be resumed; poll the response instead.")
			return
		}
		after := -1
		if v := r.URL.Query().Get("starting_after"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < -1 {
				writeError(w, 400, "invalid_request_error", "invalid_value", "starting_after", "starting_after must be a sequence number")
				return
			}
			after = n
		}
		s.follow(w, r, st, after, fault{})
		return
	}
	writeJSON(w, 200, st.snapshot())
}

// cancelResponse handles POST .../responses/{id}/cancel (background only).
func (s *Server) cancelResponse(w http.ResponseWriter, id string) {
	st, ok := s.lookup(id)
	if !ok {
		writeError(w, 404, "invalid_request_error", "not_found", "response_id", "No response found with id '"+id+"'.")
		return
	}
	if !st.bg {
		writeError(w, 400, "invalid_request_error", "invalid_value", "", "Only background responses can be cancelled.")
		return
	}
	st.mu.Lock()
	finished := st.done
	st.mu.Unlock()
	if !finished {
		st.set("status", "cancelled")
		st.cancel()
	}
	writeJSON(w, 200, st.snapshot())
}

// responseObject is the Response object with every field the spec requires.
func responseObject(rq *req, id, status string) map[string]any {
	obj := map[string]any{
		"id": id, "object": "response", "created_at": time.Now().Unix(), "status": status,
		"background": rq.background, "error": nil, "incomplete_details": nil, "model": rq.model.Name,
		"output": []any{}, "parallel_tool_calls": true, "store": rq.store,
		"temperature": rq.sampling.Temperature, "top_p": 1.0, "tool_choice": "auto", "tools": []any{},
		"metadata": map[string]any{}, "instructions": nil, "previous_response_id": nilIfEmpty(rq.previousID),
		"text":      map[string]any{"format": map[string]any{"type": "text"}},
		"reasoning": map[string]any{"effort": nil, "summary": nil},
	}
	if rq.sampling.TopP > 0 {
		obj["top_p"] = rq.sampling.TopP
	}
	if rq.instructions != nil {
		obj["instructions"] = *rq.instructions
	}
	if rq.metadata != nil {
		obj["metadata"] = rq.metadata
	}
	if rq.maxTokens > 0 {
		obj["max_output_tokens"] = rq.maxTokens
	}
	if rq.effort != "" {
		obj["reasoning"] = map[string]any{"effort": rq.effort, "summary": nilIfEmpty(rq.summary)}
	}
	if rq.verbosity != "" || rq.format != nil {
		t := map[string]any{"format": map[string]any{"type": "text"}}
		if rq.format != nil {
			t["format"] = rq.format
		}
		if rq.verbosity != "" {
			t["verbosity"] = rq.verbosity
		}
		obj["text"] = t
	}
	if tools, ok := rq.raw["tools"].([]any); ok {
		// Echo the tools as the API does, with strict made explicit.
		var echoed []any
		for _, t := range tools {
			tm, _ := t.(map[string]any)
			c := map[string]any{}
			for k, v := range tm {
				c[k] = v
			}
			if _, ok := c["strict"]; !ok && c["type"] == "function" {
				c["strict"] = true
			}
			echoed = append(echoed, c)
		}
		obj["tools"] = echoed
	}
	if tc, ok := rq.raw["tool_choice"]; ok {
		obj["tool_choice"] = tc
	}
	return obj
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// generate writes the response's events into its log.
func (s *Server) generate(ctx context.Context, st *stored, rq *req, plan *choicePlan, cached int, f fault) {
	seq := 0
	emit := func(typ string, fields map[string]any) {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		b, _ := json.Marshal(fields)
		st.add([]byte("event: " + typ + "\ndata: " + string(b) + "\n\n"))
	}
	finish := func() {
		st.mu.Lock()
		st.done = true
		close(st.changed)
		st.changed = make(chan struct{})
		st.mu.Unlock()
	}
	defer finish()
	emit("response.created", map[string]any{"response": st.snapshot()})
	if rq.background {
		emit("response.queued", map[string]any{"response": st.snapshot()})
	}
	if !stall(ctx, f) {
		return
	}
	pace := &pacer{cfg: s.cfg}
	st.set("status", "in_progress")
	emit("response.in_progress", map[string]any{"response": st.snapshot()})
	var output []any
	idx := 0
	count := 0
	tick := func() bool {
		count++
		if count == 8 && f.kind == "midstream" {
			emit("error", map[string]any{"code": "server_error", "message": "Simulated: the model stopped with an error in the middle of the stream.", "param": nil})
			st.set("status", "failed")
			st.set("error", map[string]any{"code": "server_error", "message": "Simulated mid-stream error."})
			emit("response.failed", map[string]any{"response": st.snapshot()})
			return false
		}
		return pace.wait(ctx)
	}
	if rq.model.Reasoning && plan.reasonTokens > 0 {
		rid := newID("rs_")
		emit("response.output_item.added", map[string]any{"output_index": idx, "item": map[string]any{"id": rid, "type": "reasoning", "summary": []any{}}})
		var summary []any
		if rq.summary != "" {
			text := plan.reasoningString()
			emit("response.reasoning_summary_part.added", map[string]any{"item_id": rid, "output_index": idx, "summary_index": 0,
				"part": map[string]any{"type": "summary_text", "text": ""}})
			for _, p := range plan.reasoning {
				if !tick() {
					return
				}
				emit("response.reasoning_summary_text.delta", map[string]any{"item_id": rid, "output_index": idx, "summary_index": 0, "delta": p})
			}
			emit("response.reasoning_summary_text.done", map[string]any{"item_id": rid, "output_index": idx, "summary_index": 0, "text": text})
			part := map[string]any{"type": "summary_text", "text": text}
			emit("response.reasoning_summary_part.done", map[string]any{"item_id": rid, "output_index": idx, "summary_index": 0, "part": part})
			summary = []any{part}
		}
		item := map[string]any{"id": rid, "type": "reasoning", "summary": nonNil(summary)}
		emit("response.output_item.done", map[string]any{"output_index": idx, "item": item})
		output = append(output, item)
		idx++
	}
	if plan.tool != nil {
		fid := newID("fc_")
		item := map[string]any{"id": fid, "type": "function_call", "call_id": plan.tool.ID, "name": plan.tool.Name, "arguments": "", "status": "in_progress"}
		emit("response.output_item.added", map[string]any{"output_index": idx, "item": item})
		for _, frag := range plan.tool.fragments() {
			if !tick() {
				return
			}
			emit("response.function_call_arguments.delta", map[string]any{"item_id": fid, "output_index": idx, "delta": frag})
		}
		emit("response.function_call_arguments.done", map[string]any{"item_id": fid, "output_index": idx, "name": plan.tool.Name, "arguments": plan.tool.Args})
		done := map[string]any{"id": fid, "type": "function_call", "call_id": plan.tool.ID, "name": plan.tool.Name, "arguments": plan.tool.Args, "status": "completed"}
		emit("response.output_item.done", map[string]any{"output_index": idx, "item": done})
		output = append(output, done)
	} else if len(plan.text) > 0 || !plan.incomplete {
		mid := newID("msg_")
		emit("response.output_item.added", map[string]any{"output_index": idx,
			"item": map[string]any{"id": mid, "type": "message", "status": "in_progress", "role": "assistant", "content": []any{}}})
		emit("response.content_part.added", map[string]any{"item_id": mid, "output_index": idx, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}, "logprobs": []any{}}})
		for k := range plan.text {
			if !tick() {
				return
			}
			p := plan.sendText(k)
			emit("response.output_text.delta", map[string]any{"item_id": mid, "output_index": idx, "content_index": 0, "delta": p, "logprobs": []any{}})
		}
		text := plan.textString()
		emit("response.output_text.done", map[string]any{"item_id": mid, "output_index": idx, "content_index": 0, "text": text, "logprobs": []any{}})
		part := map[string]any{"type": "output_text", "text": text, "annotations": []any{}, "logprobs": []any{}}
		emit("response.content_part.done", map[string]any{"item_id": mid, "output_index": idx, "content_index": 0, "part": part})
		status := "completed"
		if plan.incomplete {
			status = "incomplete"
		}
		item := map[string]any{"id": mid, "type": "message", "status": status, "role": "assistant", "content": []any{part}}
		emit("response.output_item.done", map[string]any{"output_index": idx, "item": item})
		output = append(output, item)
	}
	u := makeUsage(rq, []*choicePlan{plan}, cached)
	st.set("output", output)
	st.set("usage", map[string]any{
		"input_tokens": u.PromptTokens, "input_tokens_details": map[string]any{"cached_tokens": cached, "cache_write_tokens": 0},
		"output_tokens": u.CompletionTokens, "output_tokens_details": map[string]any{"reasoning_tokens": u.CompletionTokensDetails.ReasoningTokens},
		"total_tokens": u.TotalTokens,
	})
	if plan.incomplete {
		st.set("status", "incomplete")
		st.set("incomplete_details", map[string]any{"reason": "max_output_tokens"})
		emit("response.incomplete", map[string]any{"response": st.snapshot()})
		return
	}
	st.set("status", "completed")
	emit("response.completed", map[string]any{"response": st.snapshot()})
}

func nonNil(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}
