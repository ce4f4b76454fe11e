// Package draft is everything before pressing Run: it picks the provider and
// model, carries form values across a model switch, checks them against the
// model's form_schema, builds the upstream request, renders its curl command
// and estimates what the run can cost.
package draft

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/tokens"
)

// StarterPrompt fills the prompt of a fresh form, so the first curl and
// estimate mean something.
const StarterPrompt = "Explain the theory of relativity in one paragraph."

// Service prepares drafts. Getenv reads the operator's environment (base
// URL overrides and whether a key is configured; keys themselves never
// leave the upstream package).
type Service struct {
	Catalog *catalog.Catalog
	Getenv  func(string) string
	Tokens  *tokens.Counter
	// Keys are the session's own API keys by provider id; they come
	// before the operator's.
	Keys map[string]string
	// OwnKeysOnly leaves the operator's keys unused for every provider but
	// the simulator: people bring their own (--require-own-keys).
	OwnKeysOnly bool
	// OwnEnv holds, by provider id, the values of the ${MY_…} variables
	// the headers of the session's own providers name
	// (account.Account.HeaderEnv): their headers read these, never the
	// operator's environment.
	OwnEnv map[string]map[string]string
}

// baseURLOrder is the order of the base URLs for a request of m with
// vals: multimodal hosts first when it carries images.
func baseURLOrder(m *catalog.Model, vals form.Values) catalog.Order {
	if request.HasImages(m, vals) {
		return catalog.MultimodalFirst
	}
	return catalog.TextFirst
}

// headerEnv is where p's header variables come from: the session's values
// for a provider it added, else the operator's environment.
func (s *Service) headerEnv(p *catalog.Provider) func(string) string {
	if p.UserAdded {
		own := s.OwnEnv[p.ID]
		return func(k string) string { return own[k] }
	}
	return s.getenv
}

// headerSecrets are the values of p's secret headers and the variables
// any header of p names that have no value.
func (s *Service) headerSecrets(p *catalog.Provider) (map[string]string, []string) {
	resolved, missing := s.resolveHeaders(p)
	var values map[string]string
	for _, h := range resolved {
		if h.Secret {
			if values == nil {
				values = map[string]string{}
			}
			values[h.Name] = h.Value
		}
	}
	return values, missing
}

// resolveHeaders are p's extra headers with their ${VAR} filled in (the
// one place header variables are read), and the variables that have no
// value.
func (s *Service) resolveHeaders(p *catalog.Provider) (resolved []catalog.Header, missing []string) {
	env := s.headerEnv(p)
	for _, h := range p.Headers {
		v, miss := catalog.ExpandHeader(h.Value, env)
		missing = append(missing, miss...)
		resolved = append(resolved, catalog.Header{Name: h.Name, Value: v, Secret: h.Secret})
	}
	return resolved, missing
}

// With returns the service as one session sees it: its catalog (with the
// providers it added) and its keys.
func (s *Service) With(cat *catalog.Catalog, keys map[string]string) *Service {
	c := *s
	c.Catalog, c.Keys = cat, keys
	return &c
}

// KeySource says where a provider's key comes from.
type KeySource string

// Where keys come from, in order of precedence.
const (
	KeySession   KeySource = "session"   // the person entered it in Settings
	KeyOperator  KeySource = "operator"  // the server's environment
	KeySimulator KeySource = "simulator" // the built-in simulator needs none
	KeyNone      KeySource = ""
)

// KeySource reports where p's key would come from.
func (s *Service) KeySource(p *catalog.Provider) KeySource {
	_, src := s.key(p)
	return src
}

// key is p's key and its source: the session's, else (for catalog
// providers only) the operator's, else the simulator's stand-in.
func (s *Service) key(p *catalog.Provider) (string, KeySource) {
	if k := s.Keys[p.ID]; k != "" {
		return k, KeySession
	}
	if p.UserAdded || (s.OwnKeysOnly && !p.Simulated) {
		return "", KeyNone // never the operator's environment
	}
	if k := s.getenv(p.APIKeyEnv); k != "" {
		return k, KeyOperator
	}
	if p.Simulated {
		return SimulatorKey, KeySimulator
	}
	return "", KeyNone
}

// Input is a request for a draft.
type Input struct {
	Provider string
	Model    string
	// PrevProvider and PrevModel name the model whose form was submitted,
	// when it differs from the one asked for (a switch).
	PrevProvider string
	PrevModel    string
	// Form holds the submitted inputs (a posted form through form.Decode,
	// or a stored draft); nil for a fresh form.
	Form form.Draft
	// Vars are the values of the draft's variables ({{name}}, web/vars).
	// When non-nil (the playground's drafts) the draft is a template,
	// filled from them before it is checked and built; nil sends the
	// draft as written (a draft filled already, an experiment's case).
	Vars map[string]string
}

// Result is a checked draft.
type Result struct {
	Provider *catalog.Provider
	Model    *catalog.Model
	// Form is what each field shows (submitted, carried over or initial):
	// the template, its variables as written.
	Form form.Draft
	// Vars are the values given (Input.Vars, all of them: a variable
	// removed and written again finds its value); VarNames are the
	// draft's variables, in order, when VarsReadable: the draft is a
	// template and its texts parse.
	Vars         map[string]string
	VarNames     []string
	VarsReadable bool
	// Values are the checked values of the filled draft (what is sent).
	Values form.Values
	Errors form.Errors
	// Request is nil while any error stands.
	Request *request.Request
	// Curl is the exact command of Request (kept with the run); CurlShown
	// is the one the panels show, long strings shortened (curl.Short).
	Curl, CurlShown string
	// Template is the request of the unfilled draft, its variables as
	// written, when it has any and Request is built: what the panel shows
	// as the template. It is never sent. TemplateCurl is its curl as the
	// panels show it.
	Template     *request.Request
	TemplateCurl string
	Estimate     Estimate
	// KeySource says where the provider's key would come from; KeyMask
	// shows the session's key masked (•••• and its last four characters).
	KeySource KeySource
	KeyMask   string
	// KeyHint says how to give the provider a key, when it has none.
	KeyHint string
	// BaseURL is where the request goes; empty when BaseURLEnv is unset.
	BaseURL string
	// BaseURLs are all the base URLs in the order they are tried (BaseURL
	// first): a request with images goes to the multimodal hosts first.
	BaseURLs []string
}

// Estimate is the pre-send cost estimate.
type Estimate struct {
	PromptTokens int
	ImageTokens  int
	// MaxOutputTokens is the most the run can generate in all (times n and
	// the number of prompts); 0 when unknown.
	MaxOutputTokens int
	// OutputCapFrom says where MaxOutputTokens comes from.
	OutputCapFrom string
	// Approximate is set when a long text's tokens were sampled rather
	// than counted (tokens.Counter.Estimate).
	Approximate bool
	Input       cost.Cost // prompt only
	Max         cost.Cost // prompt plus every output token allowed
}

// Prepare resolves the provider and model and checks the draft.
func (s *Service) Prepare(in Input) Result {
	p, m := s.pick(in.Provider, in.Model)
	var prev *catalog.Model
	if in.PrevProvider != "" || in.PrevModel != "" {
		prev, _ = s.Catalog.Model(in.PrevProvider, in.PrevModel)
	}
	values := carry(m, prev, in.Form)
	filled, names, readable, varErrs := fillVars(m.Fields(), values, in.Vars)
	vals, errs := form.Check(m.Fields(), filled)
	for k, msg := range varErrs {
		if errs == nil {
			errs = form.Errors{}
		}
		errs[k] = msg
	}
	r := Result{Provider: p, Model: m, Form: values, Vars: in.Vars, VarNames: names, VarsReadable: readable, Values: vals, Errors: errs}
	key, src := s.key(p)
	r.KeySource, r.KeyHint = src, s.KeyHint(p)
	if src == KeySession {
		r.KeyMask = account.Mask(key)
	}
	r.BaseURLs = s.Catalog.BaseURLsFor(p, m, s.getenv, baseURLOrder(m, vals))
	if len(r.BaseURLs) > 0 {
		r.BaseURL = r.BaseURLs[0]
	}
	if len(errs) == 0 {
		req, err := request.Build(p, m, vals, r.BaseURL)
		if err != nil {
			r.Errors = form.Errors{"": err.Error()}
		} else {
			req.ExpandHeaders(s.headerEnv(p))
			r.Request = req
			r.Curl = curl.Render(req)
			r.CurlShown, _ = curl.Short(req)
			r.Template, r.TemplateCurl = s.template(p, m, values, r.BaseURL, names)
		}
	}
	r.Estimate = s.estimate(p, m, vals, r.Request)
	return r
}

// template is the request of the unfilled draft values and its curl as
// shown, when it has variables (names) and builds.
func (s *Service) template(p *catalog.Provider, m *catalog.Model, values form.Draft, baseURL string, names []string) (*request.Request, string) {
	if len(names) == 0 {
		return nil, ""
	}
	vals, errs := form.Check(m.Fields(), values)
	if len(errs) > 0 {
		return nil, ""
	}
	req, err := request.Build(p, m, vals, baseURL)
	if err != nil {
		return nil, ""
	}
	req.ExpandHeaders(s.headerEnv(p))
	shown, _ := curl.Short(req)
	return req, shown
}

// getenv reads the operator's environment.
func (s *Service) getenv(k string) string {
	if s.Getenv == nil || k == "" {
		return ""
	}
	return s.Getenv(k)
}

// DefaultProvider is the provider a fresh page shows: the first with a
// key (not the simulator's) and a base URL, else the simulator, else the
// first in the catalog.
func (s *Service) DefaultProvider() *catalog.Provider {
	for _, p := range s.Catalog.Providers {
		if src := s.KeySource(p); (src == KeySession || src == KeyOperator) && len(p.ResolveBaseURL(s.getenv)) > 0 && len(s.Catalog.ModelsOf(p.ID)) > 0 {
			return p
		}
	}
	for _, p := range s.Catalog.Providers {
		if p.Simulated && len(s.Catalog.ModelsOf(p.ID)) > 0 {
			return p
		}
	}
	for _, p := range s.Catalog.Providers {
		if len(s.Catalog.ModelsOf(p.ID)) > 0 {
			return p
		}
	}
	return s.Catalog.Providers[0]
}

// pick resolves the provider and model, falling back to sensible choices
// for unknown ids: the same model id at the new provider, else its first.
func (s *Service) pick(providerID, modelID string) (*catalog.Provider, *catalog.Model) {
	p, ok := s.Catalog.Provider(providerID)
	if !ok || len(s.Catalog.ModelsOf(p.ID)) == 0 {
		p = s.DefaultProvider()
	}
	if m, ok := s.Catalog.Model(p.ID, modelID); ok {
		return p, m
	}
	return p, s.Catalog.ModelsOf(p.ID)[0]
}

// carry decides what each field of m shows: the submitted input when the
// submission was for m itself, or for a model with a field of the same name
// and type; the schema's initial value otherwise.
func carry(m, prev *catalog.Model, submitted form.Draft) form.Draft {
	out := form.Draft{}
	for _, f := range m.Fields() {
		in, keep := form.Read(f, submitted)
		if keep && prev != nil && prev != m {
			pf, ok := prev.Field(f.Name)
			keep = ok && pf.Type == f.Type && enumCompatible(f, in.String())
		}
		if !keep {
			in, keep = form.Read(f, form.Draft{f.Name: initial(f)})
		}
		if keep {
			out[f.Name] = in
		}
	}
	return out
}

func enumCompatible(f catalog.Field, v string) bool {
	if f.Type != catalog.TypeEnum || v == "" {
		return true
	}
	return slices.Contains(f.Enum, v)
}

// initial is the starting input of f (of no shape when it starts empty).
func initial(f catalog.Field) form.Input {
	switch f.Type {
	case catalog.TypeMessages:
		return form.Messages(form.MessageRow{Role: "user", Content: StarterPrompt})
	case catalog.TypeBoolean:
		b, ok := f.Initial.(bool)
		if !ok {
			b, _ = f.Default.(bool)
		}
		return form.Text(strconv.FormatBool(b))
	}
	switch v := f.Initial.(type) {
	case string:
		return form.Text(v)
	case float64:
		return form.Text(strconv.FormatFloat(v, 'f', -1, 64))
	case nil:
		if f.Required && (f.Type == catalog.TypeText || f.Type == catalog.TypeString) {
			return form.Text(StarterPrompt)
		}
	}
	return form.Input{}
}

// estimate counts prompt tokens and prices the run.
func (s *Service) estimate(p *catalog.Provider, m *catalog.Model, vals form.Values, req *request.Request) Estimate {
	var e Estimate
	count := func(text string) int {
		n, exact := s.Tokens.Estimate(text)
		e.Approximate = e.Approximate || !exact
		return n
	}
	prompts := 1
	for _, f := range m.Fields() {
		v, ok := vals[f.Name]
		if !ok {
			continue
		}
		switch x := v.(type) {
		case []form.Message:
			for _, msg := range x {
				// Responses sends an assistant's calls alone as function_call
				// items, with no message item when it wrote no text.
				if f.Transform != catalog.TransformInput || msg.ToolCalls == nil || msg.Content != "" {
					e.PromptTokens += tokens.PerMessage + count(msg.Content)
				}
				if f.Transform != catalog.TransformInput { // Responses items count no role
					e.PromptTokens += s.Tokens.Count(msg.Role)
				}
				e.PromptTokens += callTokens(count, msg.ToolCalls)
			}
		case []form.Image:
			for _, im := range x {
				e.ImageTokens += tokens.Image(detailOf(m, vals, im))
			}
		case []string:
			if f.Transform == catalog.TransformPrompt {
				prompts = len(x)
				for _, t := range x {
					e.PromptTokens += count(t)
				}
			}
		case string:
			if f.Type == catalog.TypeText || f.Transform == catalog.TransformInput {
				e.PromptTokens += count(x)
				if m.Style != catalog.Completions {
					e.PromptTokens += tokens.PerMessage
				}
			}
		}
	}
	if m.Style != catalog.Completions {
		e.PromptTokens += tokens.ReplyPrimer
	}
	e.PromptTokens += e.ImageTokens + definitionTokens(s.Tokens, req)
	maxOut, from := maxOutput(m, vals)
	n := 1
	for _, f := range m.Fields() {
		if f.Role == catalog.RoleN {
			if v, ok := vals[f.Name].(int64); ok && v > 0 {
				n = int(v)
			}
		}
	}
	if maxOut > 0 {
		e.MaxOutputTokens = maxOut * n * prompts
		e.OutputCapFrom = from
		if n*prompts > 1 {
			e.OutputCapFrom += " × " + strconv.Itoa(n*prompts) + " completions"
		}
	}
	e.Input = cost.Compute(p, m, cost.Usage{Input: e.PromptTokens})
	e.Max = cost.Compute(p, m, cost.Usage{Input: e.PromptTokens, Output: e.MaxOutputTokens})
	if spoken(m, vals) {
		// A spoken answer's tokens may all be audio, billed at the audio
		// price: the most it can cost is the dearer of the two.
		audio := cost.Compute(p, m, cost.Usage{Input: e.PromptTokens, Output: e.MaxOutputTokens, AudioOutput: e.MaxOutputTokens})
		if audio.Known && e.Max.Known && audio.Total.Cmp(e.Max.Total) > 0 {
			e.Max = audio
		}
	}
	if e.MaxOutputTokens == 0 {
		e.Max.Known = false
	}
	return e
}

// spoken reports a request for a spoken answer: its audio field (json_kind
// audio, which the form allows only with the audio modality) is set.
func spoken(m *catalog.Model, vals form.Values) bool {
	for _, f := range m.Fields() {
		if _, ok := vals[f.Name]; ok && f.JSONKind == "audio" {
			return true
		}
	}
	return false
}

// callTokens counts an assistant's tool calls sent back: their arguments,
// as the simulator counts them.
func callTokens(count func(string) int, raw json.RawMessage) int {
	var calls []form.ToolCall
	if raw == nil || json.Unmarshal(raw, &calls) != nil {
		return 0
	}
	n := 0
	for _, c := range calls {
		n += count(c.Function.Arguments)
	}
	return n
}

// definitionTokens counts what the request's definitions add to the
// prompt: its function tools and its structured-output schema, read from
// the body as sent (Responses tools flattened, text.format folded) and
// counted as the simulator counts them (tokens.Tools, tokens.Format).
func definitionTokens(tok *tokens.Counter, req *request.Request) int {
	if req == nil {
		return 0 // the form has errors: nothing is sent yet
	}
	var b struct {
		Tools          any `json:"tools"`
		ResponseFormat any `json:"response_format"`
		Text           struct {
			Format any `json:"format"`
		} `json:"text"`
	}
	if json.Unmarshal(req.Body, &b) != nil {
		return 0
	}
	format := b.ResponseFormat
	if format == nil {
		format = b.Text.Format
	}
	return tok.Tools(b.Tools) + tok.Format(format)
}

func detailOf(m *catalog.Model, vals form.Values, im form.Image) string {
	for _, f := range m.Fields() {
		if f.Transform == catalog.TransformImageDetail {
			if d, ok := vals[f.Name].(string); ok {
				return d
			}
		}
	}
	return im.Detail
}

// maxOutput is the output cap for one completion and where it comes from:
// a max_output field's value, else its documented default, else the
// model's limit.
func maxOutput(m *catalog.Model, vals form.Values) (int, string) {
	best, from := 0, ""
	for _, f := range m.Fields() {
		if f.Role != catalog.RoleMaxOutput {
			continue
		}
		if v, ok := vals[f.Name].(int64); ok {
			best, from = int(v), f.Name
			break
		}
		if d, ok := f.Default.(float64); ok && best == 0 {
			best, from = int(d), f.Name+" default"
		}
	}
	if m.MaxOutputTokens > 0 && (best == 0 || best > m.MaxOutputTokens) {
		best, from = m.MaxOutputTokens, "the model's output limit"
	}
	return best, strings.TrimSpace(from)
}
