// Package sim is a built-in provider simulator: it speaks the three OpenAI
// API styles of the seed providers over real HTTP and SSE, under each
// seed's path layout, and writes text with a small language model of its
// own (see LM) whose sampling is real. The playground serves it on a
// loopback listener so that it works offline with no configuration;
// cmd/llmsim serves it alone for benchmarks and curl.
//
// Faults for demos and tests, by header, model-name suffix or prompt
// directive: X-Sim-Fault: 429, model "gpt-5.4@429", or "[[fault:429]]" in
// the prompt. Faults: 400, 401, 402, 404, 429 (Retry-After: 5), 500,
// midstream (an error event after a few tokens), drop (the connection is
// cut after a few tokens; a non-streamed answer in the middle of its JSON
// body), stall (nothing is sent before the first token
// until the client gives up; "stall:2s" stalls that long).
//
// For load benchmarks, "[[events:N]]" answers with exactly N text pieces;
// "[[events:N stamp]]" makes each streamed piece its send time (" ts" and
// Unix microseconds).
//
// Answer shapes: a Responses model answers in the Responses API's shape
// unless its catalog entry says "sim_shape": "chat"; then it answers in
// the Chat Completions shape that seed 003's page documents for its
// /responses endpoint (chat.completion.chunk with choices[].delta, usage
// with prompt_tokens and completion_tokens, system_fingerprint, [DONE];
// chat.completion when not streamed; the error object
// {message, type, param, code}). Such an answer is not stored and
// background is answered at once. The header X-Sim-Shape: chat or
// responses picks the shape per request. The catalog's
// seed003-documented.gpt-5.4-pro (/respgw-documented/v1) is seed 003's
// model in the documented shape, next to seed003.gpt-5.4-pro (/respgw/v1).
package sim

import (
	"context"

	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/tokens"
)

// Config sets the pacing.
type Config struct {
	// TTFT is the delay before the first token; TokensPerSec the pace after.
	TTFT         time.Duration
	TokensPerSec float64
	// ZeroDelay sends everything at once (benchmarks).
	ZeroDelay bool
}

// DefaultConfig feels like a real model: 400 ms to the first token, then
// 50 tokens a second.
func DefaultConfig() Config { return Config{TTFT: 400 * time.Millisecond, TokensPerSec: 50} }

// ModelSpec is one model the simulator serves.
type ModelSpec struct {
	// Prefix is the path layout, e.g. "/apimodels/api/v1".
	Prefix    string
	Name      string // the "model" value clients send
	Style     catalog.Style
	Reasoning bool
	// Shape is a Responses model's answer shape (ShapeResponses or
	// ShapeChat), from the catalog's sim_shape.
	Shape string
	// MaxN is the most choices (n) a request may ask for: the maximum of
	// the model's n field in the catalog, so the form and the simulator
	// allow one number; 1 when the form offers no n.
	MaxN int
	// ThoughtSignatures: tool calls carry a Gemini thought_signature and a
	// next turn must send it back.
	ThoughtSignatures bool
}

// Server is the simulator.
type Server struct {
	cfg    Config
	lm     *LM
	tok    *tokens.Counter
	models map[string]map[string]ModelSpec // prefix -> name -> spec
	// styles are the API styles of each prefix's models: a prefix whose
	// models have several (the OpenAI-like /openai/v1) answers each of
	// them on every one, as the real API serves a model on both
	// /chat/completions and /responses; a single-style gateway refuses
	// the others.
	styles map[string]map[catalog.Style]bool

	mu        sync.Mutex
	responses map[string]*stored
	order     []string
	cache     map[uint64]bool // hashes of prompt-token prefixes seen
	cacheList []uint64
}

// New returns a simulator serving models.
func New(cfg Config, models []ModelSpec, tok *tokens.Counter) *Server {
	s := &Server{cfg: cfg, lm: NewLM(), tok: tok, models: map[string]map[string]ModelSpec{},
		styles: map[string]map[catalog.Style]bool{}, responses: map[string]*stored{}, cache: map[uint64]bool{}}
	for _, m := range models {
		if s.models[m.Prefix] == nil {
			s.models[m.Prefix] = map[string]ModelSpec{}
			s.styles[m.Prefix] = map[catalog.Style]bool{}
		}
		s.models[m.Prefix][m.Name] = m
		s.styles[m.Prefix][m.Style] = true
	}
	return s
}

// served is the model name answering on style under prefix: its own
// style, or any style of a prefix that serves several (see styles).
func (s *Server) served(prefix, name string, style catalog.Style) (ModelSpec, bool) {
	spec, ok := s.models[prefix][name]
	if !ok || (spec.Style != style && !s.styles[prefix][style]) {
		return ModelSpec{}, false
	}
	spec.Style = style
	return spec, true
}

// ModelsFromCatalog lists the simulated providers' models: the path layout
// comes from each model's base_path.
func ModelsFromCatalog(c *catalog.Catalog) []ModelSpec {
	var out []ModelSpec
	for _, p := range c.Providers {
		if !p.Simulated {
			continue
		}
		for _, m := range c.ModelsOf(p.ID) {
			out = append(out, ModelSpec{Prefix: m.BasePath, Name: m.SentModel(), Style: m.Style, Reasoning: m.Reasoning, Shape: m.SimShape, MaxN: maxN(m),
				ThoughtSignatures: m.ThoughtSignatures})
		}
	}
	return out
}

// maxN is the maximum of m's n field, or 1 when its form has none.
func maxN(m *catalog.Model) int {
	for _, f := range m.Fields() {
		if f.Role == catalog.RoleN {
			if f.Max == nil {
				return 1 // a catalog test requires a maximum
			}
			return int(*f.Max)
		}
	}
	return 1
}

var (
	responseIDPath = regexp.MustCompile(`^(.*)/responses/(resp_[0-9a-f]+)(/cancel)?$`)
	modelIDPath    = regexp.MustCompile(`^(.*)/models/([^/]+)$`)
)

// ServeHTTP routes by the path's ending; the part before it is the seed's
// layout prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/chat/completions"):
		s.create(w, r, strings.TrimSuffix(path, "/chat/completions"), catalog.Chat)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/completions"):
		s.create(w, r, strings.TrimSuffix(path, "/completions"), catalog.Completions)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/responses"):
		s.create(w, r, strings.TrimSuffix(path, "/responses"), catalog.Responses)
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/models"):
		s.listModels(w, r, strings.TrimSuffix(path, "/models"))
	default:
		if m := modelIDPath.FindStringSubmatch(path); m != nil && r.Method == http.MethodGet {
			s.getModel(w, r, m[1], m[2])
			return
		}
		if m := responseIDPath.FindStringSubmatch(path); m != nil {
			if !s.authorized(w, r) {
				return
			}
			switch {
			case m[3] == "/cancel" && r.Method == http.MethodPost:
				s.cancelResponse(w, m[2])
				return
			case m[3] == "" && r.Method == http.MethodGet:
				s.getResponse(w, r, m[2])
				return
			}
		}
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "", "No route for "+r.Method+" "+r.URL.Path)
	}
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "",
			"Invalid or missing API key. Send Authorization: Bearer <key> (the simulator accepts any key).")
		return false
	}
	return true
}

// model is the Model object of GET /models and /models/{id}.
type model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func modelObject(name string) model {
	return model{ID: name, Object: "model", Created: 1767225600, OwnedBy: "playground-simulator"}
}

// getModel handles GET .../models/{id}: the model, or a 404 in the API's
// error shape.
func (s *Server) getModel(w http.ResponseWriter, r *http.Request, prefix, id string) {
	if !s.authorized(w, r) {
		return
	}
	if _, ok := s.models[prefix][id]; !ok {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
			"The model `"+id+"` does not exist or you do not have access to it.")
		return
	}
	writeJSON(w, http.StatusOK, modelObject(id))
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request, prefix string) {
	if !s.authorized(w, r) {
		return
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for name := range s.models[prefix] {
		list.Data = append(list.Data, modelObject(name))
	}
	sortModels := func(i, j int) bool { return list.Data[i].ID < list.Data[j].ID }
	sortSlice(list.Data, sortModels)
	writeJSON(w, http.StatusOK, list)
}

// errorBody is the OpenAI error shape the seeds use.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, typ, code, param, msg string) {
	var b errorBody
	b.Error.Message, b.Error.Type, b.Error.Code = msg, typ, code
	if param != "" {
		b.Error.Param = &param
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeAnswer writes a whole (non-streamed) answer; the drop fault cuts it
// as a network does: the Content-Length of the whole body is announced,
// half of it is sent, then the connection closes (the client reads
// io.ErrUnexpectedEOF in the middle of the JSON).
func writeAnswer(w http.ResponseWriter, v any, f fault) {
	if f.kind != "drop" {
		writeJSON(w, http.StatusOK, v)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b[:len(b)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

func newID(prefix string) string {
	var b [12]byte
	_, _ = randRead(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// fault is a failure asked for.
type fault struct {
	kind  string
	stall time.Duration
	// noResume (drop:noresume): a background stream that was cut cannot
	// be resumed (its GET ?stream=true answers 500); polling still works.
	noResume bool
}

var faultDirective = regexp.MustCompile(`\[\[fault:([a-z0-9:.]+)\]\]`)

func parseFault(s string) fault {
	kind, arg, _ := strings.Cut(strings.TrimSpace(strings.ToLower(s)), ":")
	f := fault{kind: kind, noResume: kind == "drop" && arg == "noresume"}
	if kind == "stall" {
		f.stall = 10 * time.Minute
		if d, err := time.ParseDuration(arg); err == nil {
			f.stall = d
		}
	}
	return f
}

// failBefore answers the faults that replace the whole response.
func failBefore(w http.ResponseWriter, f fault, model string) bool {
	switch f.kind {
	case "400":
		writeError(w, 400, "invalid_request_error", "invalid_value", "temperature", "Simulated bad request: invalid value for 'temperature'.")
	case "401":
		writeError(w, 401, "invalid_request_error", "invalid_api_key", "", "Simulated: incorrect API key provided.")
	case "402":
		writeError(w, 402, "insufficient_quota", "insufficient_credits", "", "Simulated: insufficient credits. Top up your balance.")
	case "404":
		writeError(w, 404, "invalid_request_error", "model_not_found", "", "Simulated: the model `"+model+"` does not exist.")
	case "429":
		w.Header().Set("Retry-After", "5")
		writeError(w, 429, "requests", "rate_limit_exceeded", "", "Simulated: rate limit reached. Try again in 5s.")
	case "500":
		writeError(w, 500, "server_error", "server_error", "", "Simulated: the server had an error while processing your request.")
	default:
		return false
	}
	return true
}

// pacer sleeps between tokens unless in zero-delay mode.
type pacer struct {
	cfg   Config
	first bool
}

func (p *pacer) wait(ctx context.Context) bool {
	if p.cfg.ZeroDelay {
		return ctx.Err() == nil
	}
	d := time.Duration(float64(time.Second) / max(p.cfg.TokensPerSec, 1))
	if !p.first {
		p.first = true
		d = p.cfg.TTFT
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func sortSlice[T any](s []T, less func(i, j int) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
