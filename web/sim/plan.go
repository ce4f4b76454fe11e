package sim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/tokens"
)

// req is a parsed create request of any style.
type req struct {
	style        catalog.Style
	model        ModelSpec
	raw          map[string]any
	stream       bool
	includeUsage bool
	n            int
	maxTokens    int
	stop         []string
	sampling     Sampling
	// logprobs asks for each token's log-probability, with topLogprobs
	// alternatives (Chat: logprobs, top_logprobs).
	logprobs     bool
	topLogprobs  int
	seed         uint64
	hasSeed      bool
	prompts      []string // completions: each prompt; chat/responses: one
	topicText    string
	promptTokens int
	promptIDs    []uint // for the prefix cache
	imageURLs    []string
	echo         bool
	suffix       string
	tools        []toolDef
	toolChoice   string
	toolResult   string
	hasResult    bool
	effort       string
	summary      string
	verbosity    string
	background   bool
	store        bool
	format       map[string]any // response_format / text.format
	instructions *string
	metadata     map[string]any
	// chatShape: a Responses request answered in the Chat Completions
	// shape (see shapeOf).
	chatShape  bool
	previousID string // Responses: previous_response_id
	// audio asks for a spoken answer (Chat modalities: audio).
	audio *audioReq
}

type toolDef struct {
	Name        string
	Description string
	Params      map[string]any
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func str(v any) string { s, _ := v.(string); return s }

// badRequest is a 400 the simulator answers: what is wrong, the code, and
// the param it concerns, as the real APIs name it.
type badRequest struct {
	param, code, msg string
}

func invalid(param, msg string) *badRequest {
	return &badRequest{param: param, code: "invalid_value", msg: msg}
}

func missing(param, msg string) *badRequest {
	return &badRequest{param: param, code: "missing_required_parameter", msg: msg}
}

// parse reads the body of a create request for spec's model. It returns a
// 400 for bodies no real provider would accept.
func (s *Server) parse(spec ModelSpec, body map[string]any, tok *tokens.Counter) (*req, *badRequest) {
	style := spec.Style
	r := &req{style: style, model: spec, raw: body, n: 1, store: true}
	r.stream, _ = body["stream"].(bool)
	if so, ok := body["stream_options"].(map[string]any); ok {
		r.includeUsage, _ = so["include_usage"].(bool)
	}
	if n, ok := num(body["n"]); ok {
		if n < 1 || n > float64(spec.MaxN) || n != math.Trunc(n) {
			if spec.MaxN == 1 {
				return nil, invalid("n", "n must be 1 for this model: it generates one choice per request")
			}
			return nil, invalid("n", fmt.Sprintf("n must be a whole number from 1 to %d", spec.MaxN))
		}
		r.n = int(n)
	}
	for _, k := range []string{"max_tokens", "max_completion_tokens", "max_output_tokens"} {
		if n, ok := num(body[k]); ok && n > 0 {
			r.maxTokens = int(n)
		}
	}
	switch st := body["stop"].(type) {
	case string:
		r.stop = []string{st}
	case []any:
		for _, x := range st {
			if s := str(x); s != "" {
				r.stop = append(r.stop, s)
			}
		}
	}
	r.sampling.Temperature = 1
	if t, ok := num(body["temperature"]); ok {
		if t < 0 || t > 2 {
			return nil, invalid("temperature", "temperature must be between 0 and 2")
		}
		r.sampling.Temperature = t
	}
	if lp, ok := body["logprobs"].(bool); ok && lp && style == catalog.Chat {
		r.logprobs = true
		if n, ok := num(body["top_logprobs"]); ok {
			if n < 0 || n > 20 {
				return nil, invalid("top_logprobs", "top_logprobs must be between 0 and 20")
			}
			r.topLogprobs = int(n)
		}
	}
	if p, ok := num(body["top_p"]); ok {
		r.sampling.TopP = p
	}
	if k, ok := num(body["top_k"]); ok {
		r.sampling.TopK = int(k)
	}
	r.sampling.PresencePenalty, _ = num(body["presence_penalty"])
	r.sampling.FrequencyPenalty, _ = num(body["frequency_penalty"])
	if seed, ok := num(body["seed"]); ok {
		r.seed, r.hasSeed = uint64(int64(seed)), true
	}
	if lb, ok := body["logit_bias"].(map[string]any); ok {
		r.sampling.Bias = map[int32]float64{}
		for k, v := range lb {
			id, err := strconv.ParseUint(k, 10, 32)
			b, ok := num(v)
			if err != nil || !ok {
				continue
			}
			// The bias names an o200k token; the simulator biases the word
			// that token spells.
			if w, ok := s.lm.WordID(tok.Decode([]uint{uint(id)})); ok {
				r.sampling.Bias[w] += b / 10
			}
		}
	}
	r.effort = str(body["reasoning_effort"])
	if re, ok := body["reasoning"].(map[string]any); ok {
		r.effort = str(re["effort"])
		r.summary = str(re["summary"])
	}
	if tx, ok := body["text"].(map[string]any); ok {
		r.verbosity = str(tx["verbosity"])
		r.format, _ = tx["format"].(map[string]any)
	}
	if rf, ok := body["response_format"].(map[string]any); ok {
		r.format = rf
	}
	r.background, _ = body["background"].(bool)
	if st, ok := body["store"].(bool); ok {
		r.store = st
	}
	if in, ok := body["instructions"].(string); ok {
		r.instructions = &in
	}
	r.metadata, _ = body["metadata"].(map[string]any)
	r.echo, _ = body["echo"].(bool)
	r.suffix = str(body["suffix"])
	r.tools = parseTools(body["tools"])
	switch tc := body["tool_choice"].(type) {
	case string:
		r.toolChoice = tc
	case map[string]any:
		if fn, ok := tc["function"].(map[string]any); ok {
			r.toolChoice = str(fn["name"])
		} else {
			r.toolChoice = str(tc["name"])
		}
	}
	var frame strings.Builder // the prompt as text, for the prefix cache
	switch style {
	case catalog.Completions:
		switch p := body["prompt"].(type) {
		case string:
			r.prompts = []string{p}
		case []any:
			for _, x := range p {
				r.prompts = append(r.prompts, str(x))
			}
		}
		if len(r.prompts) == 0 {
			return nil, missing("prompt", "prompt is required")
		}
		for _, p := range r.prompts {
			r.promptTokens += tok.Count(p)
			frame.WriteString(p)
		}
		r.promptTokens += tok.Count(r.suffix)
		r.topicText = strings.Join(r.prompts, " ") + " " + r.suffix
	case catalog.Chat:
		msgs, _ := body["messages"].([]any)
		if len(msgs) == 0 {
			return nil, missing("messages", "messages must be a non-empty array")
		}
		if spec.ThoughtSignatures {
			if bad := checkSignatures(msgs); bad != nil {
				return nil, bad
			}
		}
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			role := str(mm["role"])
			text, images := contentText(mm["content"])
			r.promptTokens += tokens.PerMessage + tok.Count(role) + tok.Count(text)
			calls, _ := mm["tool_calls"].([]any)
			for _, c := range calls {
				cm, _ := c.(map[string]any)
				fn, _ := cm["function"].(map[string]any)
				r.promptTokens += tok.Count(str(fn["arguments"]))
			}
			frame.WriteString(role + ":" + text + "\n")
			r.imageURLs = append(r.imageURLs, images...)
			switch role {
			case "tool":
				r.toolResult, r.hasResult = text, true
			case "user":
				r.topicText += " " + text
				r.hasResult = false
			case "system", "developer":
				frame.WriteString("")
			}
		}
		r.promptTokens += tokens.ReplyPrimer
		r.prompts = []string{r.topicText}
	case catalog.Responses:
		if prev := str(body["previous_response_id"]); prev != "" {
			// Only a stored response can be continued, as the real API.
			if _, ok := s.lookup(prev); !ok {
				return nil, &badRequest{param: "previous_response_id", code: "previous_response_not_found",
					msg: "Previous response with id '" + prev + "' not found."}
			}
			r.previousID = prev
		}
		if r.instructions != nil {
			r.promptTokens += tokens.PerMessage + tok.Count(*r.instructions)
			frame.WriteString("instructions:" + *r.instructions + "\n")
		}
		switch in := body["input"].(type) {
		case string:
			r.promptTokens += tokens.PerMessage + tok.Count(in)
			r.topicText = in
			frame.WriteString(in)
		case []any:
			for _, item := range in {
				it, _ := item.(map[string]any)
				switch str(it["type"]) {
				case "function_call_output":
					out := str(it["output"])
					r.toolResult, r.hasResult = out, true
					r.promptTokens += tokens.PerMessage + tok.Count(out)
					frame.WriteString(out)
				case "function_call":
					r.promptTokens += tok.Count(str(it["arguments"]))
				default:
					text, images := contentText(it["content"])
					r.promptTokens += tokens.PerMessage + tok.Count(text)
					frame.WriteString(str(it["role"]) + ":" + text + "\n")
					r.imageURLs = append(r.imageURLs, images...)
					if str(it["role"]) == "user" {
						r.topicText += " " + text
						r.hasResult = false
					}
				}
			}
		default:
			return nil, missing("input", "input is required")
		}
		r.promptTokens += tokens.ReplyPrimer
		r.prompts = []string{r.topicText}
	}
	for _, u := range r.imageURLs {
		r.promptTokens += tokens.Image(u[strings.LastIndexByte(u, '#')+1:])
	}
	// Tool definitions and a response-format schema are prompt too.
	r.promptTokens += tok.Tools(body["tools"]) + tok.Format(r.format)
	r.promptIDs = tok.Encode(frame.String())
	return r, nil
}

// contentText reads a message content: a string, or parts with text and
// images. Image parts contribute their URL (with "#detail" appended, so
// that the caller can price them).
func contentText(c any) (string, []string) {
	switch x := c.(type) {
	case string:
		return x, nil
	case []any:
		var text []string
		var images []string
		for _, p := range x {
			part, _ := p.(map[string]any)
			switch str(part["type"]) {
			case "text", "input_text", "output_text":
				text = append(text, str(part["text"]))
			case "image_url":
				iu, _ := part["image_url"].(map[string]any)
				images = append(images, str(iu["url"])+"#"+str(iu["detail"]))
			case "input_image":
				images = append(images, str(part["image_url"])+"#"+str(part["detail"]))
			}
		}
		return strings.Join(text, "\n"), images
	}
	return "", nil
}

func parseTools(v any) []toolDef {
	list, _ := v.([]any)
	var out []toolDef
	for _, t := range list {
		tm, _ := t.(map[string]any)
		fn, ok := tm["function"].(map[string]any)
		if !ok {
			fn = tm // Responses: flat
		}
		params, _ := fn["parameters"].(map[string]any)
		if name := str(fn["name"]); name != "" {
			out = append(out, toolDef{Name: name, Description: str(fn["description"]), Params: params})
		}
	}
	return out
}

// choicePlan is what one choice will say.
type choicePlan struct {
	reasoning []string // pieces
	text      []string // pieces
	// textLP holds, when logprobs are asked for, each text piece's
	// log-probability and alternatives (parallel to text).
	textLP         []pieceLP
	tool           *toolCall
	finish         string // stop, length, tool_calls
	reasonTokens   int
	textTokens     int
	toolTokens     int
	incomplete     bool // the output limit cut it
	reasoningShown bool
	// stamp: each streamed text piece becomes its send time (see
	// eventsDirective), set as it is sent.
	stamp bool
}

// sendText is text piece i as sent now: stamped when asked for (the piece
// is replaced, so the answer's whole text reads as sent).
func (c *choicePlan) sendText(i int) string {
	if c.stamp {
		c.text[i] = " " + StampPrefix + strconv.FormatInt(time.Now().UnixMicro(), 10)
	}
	return c.text[i]
}

type toolCall struct {
	ID   string
	Name string
	Args string
	// frags are Args in streamed pieces (see fragments).
	frags []string
}

// pieceLP is one text piece's log-probability and its alternatives.
type pieceLP struct {
	logprob float64
	top     []Alt
}

// lp is the logprobs of text piece i (a certain piece when none were kept).
func (c *choicePlan) lp(i int, piece string) pieceLP {
	if i < len(c.textLP) {
		return c.textLP[i]
	}
	return pieceLP{top: []Alt{{Word: strings.TrimSpace(piece)}}}
}

func (c *choicePlan) textString() string      { return strings.Join(c.text, "") }
func (c *choicePlan) reasoningString() string { return strings.Join(c.reasoning, "") }

// sentences is how long an answer is, by verbosity.
func sentences(verbosity string) int {
	switch verbosity {
	case "low":
		return 2
	case "high":
		return 7
	}
	return 4
}

// reasoningSentences is how long reasoning is, by effort.
func reasoningSentences(effort string) int {
	switch effort {
	case "none":
		return 0
	case "minimal":
		return 1
	case "low":
		return 2
	case "high":
		return 7
	case "xhigh", "max":
		return 11
	}
	return 4
}

// plan decides what choice i says.
// eventsDirective asks for an answer of exactly N text pieces, one event
// each, with no reasoning ("[[events:200]]"), for load benchmarks. With
// " stamp" ("[[events:200 stamp]]") each streamed text piece is instead
// its send time, " ts" and the Unix time in microseconds (StampPrefix),
// taken as the piece is written: a client measures each delta's latency.
var eventsDirective = regexp.MustCompile(`\[\[events:([0-9]{1,7})( stamp)?\]\]`)

// StampPrefix starts each stamped piece's digits (" ts1764876000123456").
const StampPrefix = "ts"

// maxDirectedEvents bounds an [[events:N]] answer.
const maxDirectedEvents = 1_000_000

func (s *Server) plan(r *req, i int, prompt string) *choicePlan {
	c := &choicePlan{}
	seed := r.seed
	if !r.hasSeed {
		seed = randomSeed()
	}
	seed = seed*1000003 + uint64(i)
	if rubric, answer, ok := checks.ParseJudgePrompt(strings.TrimSpace(prompt)); ok {
		// A judge's prompt: the simulator grades by a rule, and says so.
		pass, reason := checks.SimulatedVerdict(rubric, answer)
		verdict := "FAIL"
		if pass {
			verdict = "PASS"
		}
		c.text = []string{verdict, "\n" + reason}
		c.textTokens, c.finish = s.tok.Count(verdict+"\n"+reason), "stop"
		return c
	}
	topics := s.lm.Topics(prompt)
	if m := eventsDirective.FindStringSubmatch(prompt); m != nil {
		n, _ := strconv.Atoi(m[1])
		g := s.lm.NewGen(r.sampling, topics, seed)
		for range min(n, maxDirectedEvents) {
			p, _ := g.Next()
			c.text = append(c.text, p)
		}
		c.textTokens, c.finish, c.stamp = len(c.text), "stop", m[2] != ""
		return c
	}
	budget := r.maxTokens
	if budget == 0 {
		budget = 1 << 30
	}
	reasons := r.model.Reasoning && r.style != catalog.Completions && r.effort != "none"
	if reasons {
		g := s.lm.NewGen(r.sampling, topics, seed^0xabcdef)
		lead := "Let me think about this."
		if len(topics) > 0 {
			lead = "Let me think about " + s.lm.Word(topics[0]) + "."
		}
		if t := s.tok.Count(lead); t > budget {
			// The whole budget goes to reasoning that is not shown.
			c.reasonTokens, c.finish, c.incomplete = budget, "length", true
			return c
		}
		c.reasoning = append(c.reasoning, lead)
		c.reasonTokens = s.tok.Count(lead)
		for n := 0; n < reasoningSentences(r.effort); {
			p, end := g.Next()
			if !strings.HasPrefix(p, " ") && !isPunct(strings.TrimSpace(p)) {
				p = " " + p
			}
			if c.reasonTokens+s.tok.Count(p) > budget {
				c.finish, c.incomplete = "length", true
				return c
			}
			c.reasoning = append(c.reasoning, p)
			c.reasonTokens += s.tok.Count(p)
			if end {
				n++
			}
		}
		budget -= c.reasonTokens
	}
	if tool := s.chooseTool(r, prompt); tool != nil {
		args := genArgs(tool.Params, prompt, s.lm, seed)
		c.tool = &toolCall{ID: newID("call_"), Name: tool.Name, Args: args}
		c.toolTokens = s.tok.Count(tool.Name) + s.tok.Count(args)
		c.finish = "tool_calls"
		if c.toolTokens > budget {
			// The call does not fit what is left of max tokens.
			c.tool, c.toolTokens, c.finish, c.incomplete = nil, 0, "length", true
		}
		return c
	}
	// echo sends the prompt back in addition to the completion: it is
	// neither counted against max_tokens nor billed as completion tokens.
	echo := ""
	if r.echo && r.style == catalog.Completions {
		echo = prompt
		c.text = append(c.text, echo)
	}
	var lead []string
	if r.hasResult {
		res := strings.TrimSpace(r.toolResult)
		if len(res) > 120 {
			res = res[:120] + "…"
		}
		lead = append(lead, "The tool returned "+res+".")
		topics = append(s.lm.Topics(res), topics...)
	}
	if len(r.imageURLs) > 0 {
		lead = append(lead, imageSentence(r.imageURLs))
	}
	if f := str(r.format["type"]); f == "json_object" || f == "json_schema" {
		return s.planJSON(r, c, prompt, seed, budget)
	}
	g := s.lm.NewGen(r.sampling, topics, seed)
	var text strings.Builder
	for _, l := range lead {
		piece := l
		if text.Len() > 0 || echo != "" {
			piece = " " + l
		}
		if c.textTokens+s.tok.Count(piece) > budget {
			c.finish, c.incomplete = "length", true
			return c
		}
		c.text = append(c.text, piece)
		text.WriteString(piece)
		c.textTokens += s.tok.Count(piece)
		if r.logprobs {
			c.textLP = append(c.textLP, pieceLP{top: []Alt{{Word: l}}}) // the lead is certain
		}
	}
	c.finish = "stop"
	for n := 0; n < sentences(r.verbosity); {
		p, end := g.Next()
		if text.Len() == 0 && echo == "" {
			p = strings.TrimLeft(p, " ")
		} else if !strings.HasPrefix(p, " ") && !isPunct(strings.TrimSpace(p)) {
			p = " " + p
		}
		if t := s.tok.Count(p); c.textTokens+t > budget {
			c.finish, c.incomplete = "length", true
			break
		}
		text.WriteString(p)
		if cut, ok := stopAt(text.String(), r.stop); ok {
			// The text ends before the stop sequence.
			already := text.Len() - len(p)
			if cut > already {
				c.text = append(c.text, p[:cut-already])
			} else if cut < already {
				c.text = trimPieces(c.text, len(echo)+cut)
			}
			c.textTokens = s.tok.Count(cut0(text.String(), cut))
			c.finish = "stop"
			return c
		}
		c.text = append(c.text, p)
		c.textTokens += s.tok.Count(p)
		if r.logprobs {
			lp, top := g.Logprobs(r.topLogprobs)
			c.textLP = append(c.textLP, pieceLP{logprob: lp, top: append([]Alt(nil), top...)})
		}
		if end {
			n++
		}
	}
	return c
}

func cut0(s string, n int) string { return s[:n] }

// trimPieces cuts pieces to n bytes in all.
func trimPieces(ps []string, n int) []string {
	var out []string
	for _, p := range ps {
		if n <= 0 {
			break
		}
		if len(p) > n {
			p = p[:n]
		}
		out = append(out, p)
		n -= len(p)
	}
	return out
}

// stopAt finds the earliest stop sequence.
func stopAt(text string, stops []string) (int, bool) {
	best := -1
	for _, st := range stops {
		if i := strings.Index(text, st); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best, best >= 0
}

func imageSentence(urls []string) string {
	var names []string
	for _, u := range urls {
		u = u[:strings.LastIndexByte(u, '#')]
		if strings.HasPrefix(u, "data:") {
			names = append(names, "an inline image")
			continue
		}
		names = append(names, path.Base(u))
	}
	if len(names) == 1 {
		return "I was given one image (" + names[0] + "); the simulator does not look at it, but here is an answer."
	}
	return fmt.Sprintf("I was given %d images (%s); the simulator does not look at them, but here is an answer.", len(names), strings.Join(names, ", "))
}

// chooseTool decides whether to call a tool instead of answering.
func (s *Server) chooseTool(r *req, prompt string) *toolDef {
	if len(r.tools) == 0 || r.toolChoice == "none" || r.hasResult {
		return nil
	}
	switch r.toolChoice {
	case "", "auto":
		lp := strings.ToLower(prompt)
		for i, t := range r.tools {
			if strings.Contains(lp, strings.ToLower(t.Name)) {
				return &r.tools[i]
			}
			for _, part := range strings.FieldsFunc(strings.ToLower(t.Name), func(r rune) bool { return r == '_' || r == '-' }) {
				if len(part) >= 4 && part != "get" && strings.Contains(lp, part) {
					return &r.tools[i]
				}
			}
		}
		return nil
	case "required":
		return &r.tools[0]
	}
	for i, t := range r.tools {
		if t.Name == r.toolChoice {
			return &r.tools[i]
		}
	}
	return nil
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = randRead(b[:])
	var x uint64
	for _, c := range b {
		x = x<<8 | uint64(c)
	}
	return x
}

// hash64 hashes token ids, for the prefix cache.
// prefixHashes are the FNV-64a hashes of ids[:n] for n = first, first+step,
// …, written in one pass: FNV is a running hash, so each prefix's hash is
// the state after its last id (hashing every prefix afresh was quadratic
// in the prompt).
func prefixHashes(ids []uint, first, step int) []uint64 {
	var out []uint64
	h := fnv.New64a()
	var b [4]byte
	for i, id := range ids {
		b[0], b[1], b[2], b[3] = byte(id), byte(id>>8), byte(id>>16), byte(id>>24)
		h.Write(b[:])
		if n := i + 1; n >= first && (n-first)%step == 0 {
			out = append(out, h.Sum64())
		}
	}
	return out
}

// cached reports how many prompt tokens were seen before as a prefix, the
// way prompt caching works: prompts of 1024 tokens or more, in steps of
// 128. It remembers this prompt's prefixes too.
func (s *Server) cached(ids []uint) int {
	hashes := prefixHashes(ids, 1024, 128)
	s.mu.Lock()
	defer s.mu.Unlock()
	hit := 0
	for k, h := range hashes {
		if s.cache[h] {
			hit = 1024 + 128*k
		} else {
			s.cache[h] = true
			s.cacheList = append(s.cacheList, h)
		}
	}
	for len(s.cacheList) > 100_000 {
		delete(s.cache, s.cacheList[0])
		s.cacheList = s.cacheList[1:]
	}
	return hit
}
