package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/catalog"
)

// maxBody bounds a request body (image data URLs included).
const maxBody = 32 << 20

// create handles POST .../completions, .../chat/completions, .../responses.
func (s *Server) create(w http.ResponseWriter, r *http.Request, prefix string, style catalog.Style) {
	if !s.authorized(w, r) {
		return
	}
	var body map[string]any
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	if err := dec.Decode(&body); err != nil {
		writeError(w, 400, "invalid_request_error", "invalid_json", "", "We could not parse the JSON body of your request: "+err.Error())
		return
	}
	name := str(body["model"])
	name, faultName, _ := strings.Cut(name, "@")
	spec, ok := s.served(prefix, name, style)
	if !ok {
		writeError(w, 404, "invalid_request_error", "model_not_found", "model",
			"The model `"+name+"` does not exist or you do not have access to it.")
		return
	}
	if h := r.Header.Get("X-Sim-Fault"); h != "" {
		faultName = h
	}
	rq, bad := s.parse(spec, body, s.tok)
	if bad != nil {
		writeError(w, 400, "invalid_request_error", bad.code, bad.param, bad.msg)
		return
	}
	if msg, param := parseAudio(style, body, rq); msg != "" {
		writeError(w, 400, "invalid_request_error", "invalid_value", param, msg)
		return
	}
	rq.model = spec
	if m := faultDirective.FindStringSubmatch(rq.topicText); m != nil && faultName == "" {
		faultName = m[1]
	}
	f := parseFault(faultName)
	if failBefore(w, f, name) {
		return
	}
	rq.topicText = faultDirective.ReplaceAllString(rq.topicText, "")
	cached := s.cached(rq.promptIDs)
	switch {
	case style == catalog.Responses && shapeOf(r, spec) == ShapeChat:
		// Nothing is stored and background is answered at once: the
		// chatcmpl id names no response to get, cancel or continue from.
		rq.chatShape = true
		s.chatOrCompletion(w, r, rq, cached, f)
	case style == catalog.Responses:
		s.respond(w, r, rq, cached, f)
	default:
		s.chatOrCompletion(w, r, rq, cached, f)
	}
}

// usage of a set of choices.
type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
		AudioTokens  int `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens          int `json:"reasoning_tokens"`
		AudioTokens              int `json:"audio_tokens"`
		AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

func makeUsage(rq *req, plans []*choicePlan, cached int) usage {
	var u usage
	u.PromptTokens = rq.promptTokens
	u.PromptTokensDetails.CachedTokens = cached
	for _, c := range plans {
		u.CompletionTokens += c.reasonTokens + c.textTokens + c.toolTokens
		u.CompletionTokensDetails.ReasoningTokens += c.reasonTokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// plans makes every choice: n per prompt.
func (s *Server) plans(rq *req) []*choicePlan {
	var out []*choicePlan
	i := 0
	for _, p := range rq.prompts {
		for j := 0; j < rq.n; j++ {
			out = append(out, s.plan(rq, i, p))
			i++
		}
	}
	return out
}

type sseWriter struct {
	w  http.ResponseWriter
	fl http.Flusher
}

func newSSE(w http.ResponseWriter) *sseWriter {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	return &sseWriter{w: w, fl: fl}
}

func (s *sseWriter) event(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out []byte
	if name != "" {
		out = append(out, "event: "...)
		out = append(out, name...)
		out = append(out, '\n')
	}
	out = append(out, "data: "...)
	out = append(out, b...)
	out = append(out, "\n\n"...)
	_, err = s.w.Write(out)
	return err
}

func (s *sseWriter) raw(line string) error {
	_, err := io.WriteString(s.w, line)
	return err
}

func (s *sseWriter) flush() {
	if s.fl != nil {
		s.fl.Flush()
	}
}

// stall waits before the first token when the stall fault asks for it.
func stall(ctx context.Context, f fault) bool {
	if f.kind != "stall" {
		return true
	}
	t := time.NewTimer(f.stall)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// chunkChoice is a chat.completion.chunk / text_completion choice.
type chunkChoice struct {
	Index        int     `json:"index"`
	Delta        any     `json:"delta,omitempty"`
	Text         *string `json:"text,omitempty"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
}

type chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	Choices           []chunkChoice `json:"choices"`
	Usage             *usage        `json:"usage,omitempty"`
}

const fingerprint = "fp_playground_sim"

func (s *Server) chatOrCompletion(w http.ResponseWriter, r *http.Request, rq *req, cached int, f fault) {
	plans := s.plans(rq)
	u := makeUsage(rq, plans, cached)
	if rq.hidesReasoning() {
		for _, p := range plans {
			p.reasoning = nil
		}
	}
	speech := speak(rq, plans)
	addAudioUsage(&u, speech)
	id, object := newID("chatcmpl-"), "chat.completion"
	if rq.style == catalog.Completions {
		id, object = newID("cmpl-"), "text_completion"
	}
	created := time.Now().Unix()
	if !rq.stream {
		if !stall(r.Context(), f) {
			return
		}
		writeAnswer(w, wholeAnswer(rq, plans, speech, u, id, object, created), f)
		return
	}
	out := newSSE(w)
	ctx := r.Context()
	if !stall(ctx, f) {
		return
	}
	object += ".chunk"
	if rq.style == catalog.Completions {
		object = "text_completion"
	}
	base := func() chunk {
		c := chunk{ID: id, Object: object, Created: created, Model: rq.model.Name}
		if rq.chatLike() {
			c.SystemFingerprint = fingerprint
		}
		return c
	}
	send := func(c chunk) bool { return out.event("", c) == nil }
	pace := &pacer{cfg: s.cfg}
	if rq.chatLike() {
		c := base()
		for i := range plans {
			c.Choices = append(c.Choices, chunkChoice{Index: i, Delta: map[string]any{"role": "assistant", "content": ""}})
		}
		if !send(c) {
			return
		}
		out.flush()
	}
	// Each round sends the next piece of every choice: n > 1 interleaves.
	cursor := make([]int, len(plans))
	done := make([]bool, len(plans))
	sent := 0
	for {
		if !pace.wait(ctx) {
			return
		}
		c := base()
		left := false
		for i, p := range plans {
			if done[i] {
				continue
			}
			at := cursor[i] - len(p.reasoning) // the text piece's index, for its logprobs
			piece, kind, ok := p.next(&cursor[i])
			if !ok {
				done[i] = true
				fr := p.finish
				c.Choices = append(c.Choices, finishChoice(rq.style, i, fr))
				continue
			}
			left = true
			c.Choices = append(c.Choices, pieceChoice(rq, i, piece, kind, p, at, spokenOf(speech, i)))
		}
		// One choice per chunk, as the real API sends n > 1.
		for k, ch := range c.Choices {
			one := base()
			one.Choices = []chunkChoice{ch}
			if !left && !rq.includeUsage && k == len(c.Choices)-1 {
				// Without include_usage the usage rides on the last finish
				// chunk, as DeepSeek and llama.cpp send it: the playground
				// can then price the run exactly.
				one.Usage = &u
			}
			if !send(one) {
				return
			}
		}
		out.flush()
		sent++
		if sent == 8 {
			switch f.kind {
			case "midstream":
				_ = out.event("", map[string]any{"error": map[string]any{"message": "Simulated: the model stopped with an error in the middle of the stream.", "type": "server_error", "code": "server_error", "param": nil}})
				out.flush()
				return
			case "drop":
				// A real cut: what was written reaches the client, then
				// the connection closes without the chunked body's
				// terminator and without [DONE] (io.ErrUnexpectedEOF).
				panic(http.ErrAbortHandler)
			}
		}
		if !left {
			break
		}
	}
	if rq.includeUsage {
		c := base()
		c.Choices = []chunkChoice{}
		c.Usage = &u
		_ = out.event("", c)
	}
	_ = out.raw("data: [DONE]\n\n")
	out.flush()
}

// next returns the choice's next piece: reasoning, then text, then the
// tool call's arguments in fragments.
func (c *choicePlan) next(cursor *int) (string, string, bool) {
	i := *cursor
	*cursor++
	if i < len(c.reasoning) {
		return c.reasoning[i], "reasoning", true
	}
	i -= len(c.reasoning)
	if i < len(c.text) {
		return c.sendText(i), "text", true
	}
	i -= len(c.text)
	if c.tool != nil {
		frags := c.tool.fragments()
		if i == 0 {
			return "", "tool-start", true
		}
		if i-1 < len(frags) {
			return frags[i-1], "tool", true
		}
	}
	return "", "", false
}

// fragments are the tool call's arguments in the pieces they are streamed
// in, cut once (next asks for them piece by piece: cutting the whole
// string for each piece was quadratic).
func (t *toolCall) fragments() []string {
	if t.frags == nil {
		t.frags = fragments(t.Args, 10)
	}
	return t.frags
}

func fragments(s string, n int) []string {
	var out []string
	for i := 0; i < len(s); i += n {
		out = append(out, s[i:min(i+n, len(s))])
	}
	return out
}

func pieceChoice(rq *req, i int, piece, kind string, p *choicePlan, at int, sp *spoken) chunkChoice {
	style := rq.style
	if style == catalog.Completions {
		return chunkChoice{Index: i, Text: &piece}
	}
	d := map[string]any{}
	switch kind {
	case "reasoning":
		d["reasoning_content"] = piece
	case "text":
		if sp != nil {
			d["audio"] = sp.audioPiece(at, piece) // the transcript, with its audio
		} else {
			d["content"] = piece
		}
	case "tool-start":
		call := map[string]any{"index": 0, "id": p.tool.ID, "type": "function",
			"function": map[string]any{"name": p.tool.Name, "arguments": ""}}
		if rq.model.ThoughtSignatures {
			call["extra_content"] = signedExtra(p.tool.ID)
		}
		d["tool_calls"] = []any{call}
	case "tool":
		d["tool_calls"] = []any{map[string]any{"index": 0, "function": map[string]any{"arguments": piece}}}
	}
	cc := chunkChoice{Index: i, Delta: d}
	if kind == "text" && rq.logprobs {
		cc.Logprobs = map[string]any{"content": []any{tokenLogprob(piece, p.lp(at, piece))}, "refusal": nil}
	}
	return cc
}

// tokenLogprob is one entry of Chat's logprobs.content: the piece, its
// log-probability, its bytes and its alternatives, written with the
// piece's leading space.
func tokenLogprob(piece string, lp pieceLP) map[string]any {
	space := ""
	if strings.HasPrefix(piece, " ") {
		space = " "
	}
	top := []any{}
	for _, a := range lp.top {
		t := space + a.Word
		top = append(top, map[string]any{"token": t, "logprob": a.Logprob, "bytes": bytesOf(t)})
	}
	return map[string]any{"token": piece, "logprob": lp.logprob, "bytes": bytesOf(piece), "top_logprobs": top}
}

// bytesOf is a token's UTF-8 bytes as the JSON array of numbers the API
// sends ([]byte would marshal as base64).
func bytesOf(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
}

func finishChoice(style catalog.Style, i int, reason string) chunkChoice {
	if style == catalog.Completions {
		empty := ""
		return chunkChoice{Index: i, Text: &empty, FinishReason: &reason}
	}
	return chunkChoice{Index: i, Delta: map[string]any{}, FinishReason: &reason}
}

// wholeAnswer is the non-streamed chat.completion or text_completion.
func wholeAnswer(rq *req, plans []*choicePlan, sp []*spoken, u usage, id, object string, created int64) map[string]any {
	var choices []any
	for i, p := range plans {
		if rq.style == catalog.Completions {
			choices = append(choices, map[string]any{"index": i, "text": p.textString(), "logprobs": nil, "finish_reason": p.finish})
			continue
		}
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil, "annotations": []any{}}
		if s := spokenOf(sp, i); s != nil {
			msg["audio"] = s.message() // content stays null: the transcript is the text
		} else if t := p.textString(); t != "" || p.tool == nil {
			msg["content"] = t
		}
		if rs := p.reasoningString(); rs != "" {
			msg["reasoning_content"] = rs
		}
		if p.tool != nil {
			call := map[string]any{"id": p.tool.ID, "type": "function",
				"function": map[string]any{"name": p.tool.Name, "arguments": p.tool.Args}}
			if rq.model.ThoughtSignatures {
				call["extra_content"] = signedExtra(p.tool.ID)
			}
			msg["tool_calls"] = []any{call}
		}
		var lps any
		if rq.logprobs {
			content := []any{}
			for k, piece := range p.text {
				content = append(content, tokenLogprob(piece, p.lp(k, piece)))
			}
			lps = map[string]any{"content": content, "refusal": nil}
		}
		choices = append(choices, map[string]any{"index": i, "message": msg, "logprobs": lps, "finish_reason": p.finish})
	}
	out := map[string]any{"id": id, "object": object, "created": created, "model": rq.model.Name, "choices": choices, "usage": u}
	if rq.chatLike() {
		out["system_fingerprint"] = fingerprint
	}
	return out
}
