// Package catalog holds the providers, models, form schemas and prices the
// playground knows about. It is data: the form, validation, request building,
// curl and cost all read the one Catalog loaded at start-up.
//
// A catalog is a JSON (or YAML) document; see default.json for the embedded
// default and README.md for an annotated example. Load checks every field and
// reports problems with the file name and the field path, for example
// `ops.json: models[2].form_schema[4].max: must be greater than min`.
package catalog

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Style is an upstream API style.
type Style string

// The three OpenAI API styles the playground speaks.
const (
	Completions Style = "completions"
	Chat        Style = "chat"
	Responses   Style = "responses"
)

// Path is the endpoint path for the style, relative to a provider's base URL
// (which includes the version prefix, as in the OpenAI SDKs' base_url).
func (s Style) Path() string {
	switch s {
	case Completions:
		return "/completions"
	case Chat:
		return "/chat/completions"
	case Responses:
		return "/responses"
	}
	return ""
}

// Valid reports whether s is one of the known styles.
func (s Style) Valid() bool { return s == Completions || s == Chat || s == Responses }

// Catalog is the loaded set of providers and models.
type Catalog struct {
	Providers []*Provider
	Models    []*Model

	providers map[string]*Provider
	models    map[string]*Model // key: provider + "/" + id
	generic   map[Style][]Field
}

// Provider is one upstream API endpoint family.
type Provider struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// BaseURL includes the version prefix, e.g. https://api.openai.com/v1.
	BaseURL string `json:"base_url"`
	// BaseURLEnv names an environment variable that overrides BaseURL.
	BaseURLEnv string `json:"base_url_env,omitempty"`
	// FallbackBaseURLs are tried in order when BaseURL cannot be reached.
	FallbackBaseURLs []string `json:"fallback_base_urls,omitempty"`
	// MultimodalBaseURLs are tried first, in order, for a request with
	// images (a host the provider names as its primary one for multimodal
	// requests); the other base URLs follow as fallbacks.
	MultimodalBaseURLs []string `json:"multimodal_base_urls,omitempty"`
	// Headers are extra request headers (header-routed gateways, attribution
	// headers); a value may name the operator's environment as ${VAR}.
	Headers []Header `json:"headers,omitempty"`
	// ListModels reads GET {base}/models when the provider has a base URL
	// and a key: every model it lists can be picked beside the catalog's own
	// (which keep their schema), as for a provider a person adds.
	ListModels bool `json:"list_models,omitempty"`
	// APIKeyEnv names the environment variable holding the operator's key;
	// curl snippets show it as $APIKeyEnv.
	APIKeyEnv string  `json:"api_key_env"`
	APIStyles []Style `json:"api_styles"`
	// Currency is an ISO 4217 code for the model prices (USD, CNY, ...).
	Currency string `json:"currency"`
	// CreditsPerUnit is how many credits one unit of Currency buys; 0 when
	// the provider does not bill in credits.
	CreditsPerUnit float64 `json:"credits_per_unit,omitempty"`
	// Simulated marks the built-in simulator, labelled as such in the UI.
	Simulated bool `json:"simulated,omitempty"`
	// UserAdded marks a provider a person added for their session: its
	// key comes only from that session, never from the environment, and
	// its connections go through the SSRF guard.
	UserAdded   bool   `json:"-"`
	Description string `json:"description,omitempty"`
	DocsURL     string `json:"docs_url,omitempty"`
}

// Model is one model of one provider.
type Model struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Name     string `json:"name,omitempty"`
	// APIModel is the value sent as "model"; it defaults to ID.
	APIModel string `json:"api_model,omitempty"`
	// BasePath, when set, replaces the path of the provider's base URLs
	// for this model (the simulator serves each seed under its own layout).
	BasePath        string `json:"base_path,omitempty"`
	Style           Style  `json:"api_style"`
	Description     string `json:"description,omitempty"`
	ContextWindow   int    `json:"context_window,omitempty"`
	MaxOutputTokens int    `json:"max_output_tokens,omitempty"`
	Price           *Price `json:"price,omitempty"`
	// Reasoning marks models that think before answering.
	Reasoning bool `json:"reasoning,omitempty"`
	// CarryReasoning sends an assistant message's reasoning back as
	// reasoning_content with its tool calls (DeepSeek thinking mode
	// rejects a tool-call turn without it).
	CarryReasoning bool `json:"carry_reasoning,omitempty"`
	// SimShape, on a simulated Responses model, is the shape the simulator
	// answers in: "chat" for Chat Completions' fields (choices,
	// prompt_tokens, system_fingerprint), as seed 003 documents its
	// /responses answers; empty for the Responses API's own shape.
	SimShape string `json:"sim_shape,omitempty"`
	// ThoughtSignatures marks models that sign their tool calls (Gemini 3:
	// extra_content.google.thought_signature) and refuse a next turn whose
	// tool calls lack the signature; the playground carries any
	// extra_content back, and the simulator signs and checks.
	ThoughtSignatures bool `json:"thought_signatures,omitempty"`
	// Schema is the form_schema: the model's parameters, in request order.
	Schema SchemaRef `json:"form_schema"`
}

// Price is per 1M tokens in the provider's currency. A nil field is unknown.
type Price struct {
	Input       *float64 `json:"input"`
	CachedInput *float64 `json:"cached_input,omitempty"`
	Output      *float64 `json:"output"`
	// AudioInput and AudioOutput price audio tokens (Chat audio answers);
	// without them audio tokens are billed at the text prices.
	AudioInput  *float64 `json:"audio_input,omitempty"`
	AudioOutput *float64 `json:"audio_output,omitempty"`
	// Demo marks invented prices (for the simulator), shown as such.
	Demo bool `json:"demo,omitempty"`
	// Currency and CreditsPerUnit override the provider's for this model.
	Currency       string   `json:"currency,omitempty"`
	CreditsPerUnit *float64 `json:"credits_per_unit,omitempty"`
}

// Key is the catalog-wide identity of the model.
func (m *Model) Key() string { return m.Provider + "/" + m.ID }

// Label is the model's display name.
func (m *Model) Label() string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

// SentModel is the "model" value sent upstream.
func (m *Model) SentModel() string {
	if m.APIModel != "" {
		return m.APIModel
	}
	return m.ID
}

// Fields returns the model's form: its schema's fields, then the implied
// ExtraField every model has. The list is shared (made once when the
// catalog is built): callers must not change its fields; an append
// copies it.
func (m *Model) Fields() []Field { return m.Schema.fields() }

// Field returns the form's field called name.
func (m *Model) Field(name string) (Field, bool) {
	for _, f := range m.Fields() {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldWithRole returns the model's field with the role (RoleStream, …).
func (m *Model) FieldWithRole(role string) (Field, bool) {
	for _, f := range m.Fields() {
		if f.Role == role {
			return f, true
		}
	}
	return Field{}, false
}

// Provider returns the provider with the given id.
func (c *Catalog) Provider(id string) (*Provider, bool) {
	p, ok := c.providers[id]
	return p, ok
}

// Model returns the model id of provider.
func (c *Catalog) Model(provider, id string) (*Model, bool) {
	m, ok := c.models[provider+"/"+id]
	return m, ok
}

// ModelsOf lists a provider's models in catalog order.
func (c *Catalog) ModelsOf(provider string) []*Model {
	var out []*Model
	for _, m := range c.Models {
		if m.Provider == provider {
			out = append(out, m)
		}
	}
	return out
}

// ResolveBaseURL returns the provider's base URLs in the order they are tried:
// the override from BaseURLEnv (or BaseURL), then the fallbacks.
func (p *Provider) ResolveBaseURL(getenv func(string) string) []string {
	base := p.BaseURL
	if p.BaseURLEnv != "" && getenv != nil {
		if v := strings.TrimSpace(getenv(p.BaseURLEnv)); v != "" {
			base = strings.TrimRight(v, "/")
		}
	}
	if base == "" {
		return nil
	}
	return append([]string{base}, p.FallbackBaseURLs...)
}

// Order says what a request carries that decides which host goes first.
type Order int

// The orders of a provider's base URLs.
const (
	// TextFirst is the plain order: BaseURL (or its override), then the
	// fallbacks.
	TextFirst Order = iota
	// MultimodalFirst puts MultimodalBaseURLs first (a request with images).
	MultimodalFirst
)

// BaseURLs are the base URLs a model's requests go to, in order (TextFirst).
func (c *Catalog) BaseURLs(p *Provider, m *Model, getenv func(string) string) []string {
	return c.BaseURLsFor(p, m, getenv, TextFirst)
}

// BaseURLsFor are the base URLs of a request in the order they are tried:
// with MultimodalFirst the provider's multimodal hosts lead and the others
// follow, each URL once.
func (c *Catalog) BaseURLsFor(p *Provider, m *Model, getenv func(string) string, order Order) []string {
	urls := p.ResolveBaseURL(getenv)
	if order == MultimodalFirst && len(urls) > 0 && len(p.MultimodalBaseURLs) > 0 {
		lead := append([]string(nil), p.MultimodalBaseURLs...)
		for _, u := range urls {
			if !slices.Contains(lead, u) {
				lead = append(lead, u)
			}
		}
		urls = lead
	}
	if m.BasePath == "" {
		return urls
	}
	out := make([]string, len(urls))
	for i, u := range urls {
		if pu, err := url.Parse(u); err == nil {
			pu.Path = m.BasePath
			out[i] = pu.String()
		} else {
			out[i] = u
		}
	}
	return out
}

// Supports reports whether the provider speaks style s.
func (p *Provider) Supports(s Style) bool { return slices.Contains(p.APIStyles, s) }

// index builds the lookup maps; it is called after validation.
func (c *Catalog) index() {
	c.providers = make(map[string]*Provider, len(c.Providers))
	for _, p := range c.Providers {
		c.providers[p.ID] = p
	}
	c.models = make(map[string]*Model, len(c.Models))
	for _, m := range c.Models {
		c.models[m.Key()] = m
	}
}

// GenericSchema is the form_schema for a model of style s that the catalog
// does not know.
func (c *Catalog) GenericSchema(s Style) ([]Field, bool) {
	f, ok := c.generic[s]
	return f, ok
}

// Known returns the catalog model (of a provider that is not simulated)
// whose API model id is id, preferring one of style s.
func (c *Catalog) Known(id string, s Style) (*Model, bool) {
	var found *Model
	for _, m := range c.Models {
		if p, ok := c.providers[m.Provider]; !ok || p.Simulated || p.UserAdded || m.SentModel() != id {
			continue
		}
		if m.Style == s {
			return m, true
		}
		if found == nil {
			found = m
		}
	}
	return found, found != nil
}

// With returns a catalog that has c's entries followed by providers and
// models (a session's own). c is not changed; the entries are shared.
func (c *Catalog) With(providers []*Provider, models []*Model) *Catalog {
	if len(providers) == 0 && len(models) == 0 {
		return c
	}
	out := &Catalog{
		Providers: append(append([]*Provider(nil), c.Providers...), providers...),
		Models:    append(append([]*Model(nil), c.Models...), models...),
		generic:   c.generic,
	}
	out.index()
	return out
}

// Merge returns a catalog with extra's providers, schemas and models added to
// base; entries with the same id replace the base's.
func merge(base, extra *document) *document {
	out := &document{Schemas: map[string][]Field{}, GenericSchemas: map[Style]string{}}
	for k, v := range base.Schemas {
		out.Schemas[k] = v
	}
	for k, v := range extra.Schemas {
		out.Schemas[k] = v
	}
	for k, v := range base.GenericSchemas {
		out.GenericSchemas[k] = v
	}
	for k, v := range extra.GenericSchemas {
		out.GenericSchemas[k] = v
	}
	out.Providers = append(out.Providers, base.Providers...)
	for _, p := range extra.Providers {
		replaced := false
		for i, q := range out.Providers {
			if q.ID == p.ID {
				out.Providers[i], replaced = p, true
			}
		}
		if !replaced {
			out.Providers = append(out.Providers, p)
		}
	}
	out.Models = append(out.Models, base.Models...)
	for _, m := range extra.Models {
		replaced := false
		for i, q := range out.Models {
			if q.Key() == m.Key() {
				out.Models[i], replaced = m, true
			}
		}
		if !replaced {
			out.Models = append(out.Models, m)
		}
	}
	return out
}

// SchemaNames lists the named schemas of a document, sorted; for messages.
func schemaNames(d *document) string {
	names := make([]string, 0, len(d.Schemas))
	for k := range d.Schemas {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func errorf(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
}

// BaseURLNote says what a base URL variable holds: the version prefix
// too, as the OpenAI SDKs' base_url does.
const BaseURLNote = "The value includes the version prefix, for example https://gateway.example.com/v1 (requests go to it + /chat/completions, /responses or /completions)."

// OwnKeyEnvPrefix starts the key variable of every provider a person
// adds (its curl reads $MY_NAME_API_KEY); no catalog provider's variable
// may start with it.
const OwnKeyEnvPrefix = "MY_"

// OwnProviderPrefix starts the id of every provider a person adds.
const OwnProviderPrefix = "my-"
