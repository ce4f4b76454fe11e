package draft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/curlimport"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
)

// Paste is what a person pasted to import: a curl command (parsed by
// curlimport.Parse) or a JSON request body alone.
type Paste struct {
	Curl *curlimport.Request
	// Body is a request body pasted without a command: the current
	// Provider stays, the API style is read from the body's shape
	// (messages, input or prompt) and the model from its "model", else the
	// current Model.
	Body            []byte
	Provider, Model string
	// Drop leaves the parameters the model's form does not have out of
	// the draft; by default the top-level ones are kept in its extra body
	// field (form.Keep).
	Drop bool
}

// Imported is a pasted request read into a draft.
type Imported struct {
	// Result is the draft prepared for the picked model (its Form filled
	// from the body); zero when no provider or model could be picked.
	Result
	Style catalog.Style
	// NewProvider is set when no provider has the command's base URL: the
	// page offers to add one with it.
	NewProvider *NewProvider
	// Unread are the body's parameters the model's form does not have
	// ("not in this model's form: …"), with their JSON: Kept are those
	// the draft's extra body field holds, Dropped the rest (all of them
	// when the paste said Drop; else the parts of objects, messages or
	// images, which only their field could hold).
	Unread, Kept, Dropped []form.Unread
	// Dropping: the paste said Drop.
	Dropping bool
	// Problems are what could not be read, each with the field it is
	// about ("provider", "model", a field's name, "" for the command).
	Problems []*problem.Error
	// KeyIgnored: the command wrote a key out; it was neither stored nor
	// shown. KeyEnv is the variable the provider's key is read from.
	KeyIgnored bool
	KeyEnv     string
	// KeyVar is the variable the command read its key from, if any.
	KeyVar string
	// Headers are the command's headers the playground does not send
	// for the provider (beside Content-Type, Accept and the key), by name.
	Headers []string
}

// NewProvider is a base URL no provider has, to offer adding.
type NewProvider struct {
	BaseURL string
	Style   catalog.Style
	Model   string
}

// Import reads a pasted request into a draft: the provider by its base
// URL (the URL minus the API path), the API style by that path, the model
// by the body's "model", and the form from the body (form.FromBody).
func (s *Service) Import(p Paste) Imported {
	var out Imported
	body := p.Body
	var prov *catalog.Provider
	var basePath string
	if c := p.Curl; c != nil {
		body = c.Body
		out.KeyVar = c.KeyVar
		out.KeyIgnored = c.Key == "literal"
		base, style, ok := splitURL(c.URL)
		if !ok {
			out.problem("", "The URL %s does not end in an API path (/chat/completions, /responses or /completions).", c.URL)
			return out
		}
		out.Style = style
		prov, basePath = s.providerOf(base)
		if prov == nil {
			out.NewProvider = &NewProvider{BaseURL: base, Style: style, Model: modelOf(body)}
			out.problem("provider", "No provider has the base URL %s: add it as your own provider to import this request.", base)
			return out
		}
		out.Headers = s.otherHeaders(prov, c.Header)
	} else {
		prov, _ = s.Catalog.Provider(p.Provider)
		if prov == nil {
			out.problem("provider", "No provider %q to import the body for.", p.Provider)
			return out
		}
		out.Style = styleOf(body)
		if out.Style == "" {
			out.problem("", "The body has none of messages, input or prompt: its API style is not known.")
			return out
		}
	}
	out.KeyEnv = prov.APIKeyEnv
	m := s.modelOf(&out, prov, basePath, modelOf(body), p.Model)
	if m == nil {
		return out
	}
	d, unread, errs, err := form.FromBody(m.Fields(), m.Style, body)
	if err != nil {
		out.problem("", "%s.", capital(err.Error()))
		return out
	}
	out.Unread = unread
	if out.Dropping = p.Drop; p.Drop {
		out.Dropped = unread
	} else {
		out.Kept, out.Dropped = form.Keep(m.Fields(), d, unread)
	}
	out.Result = s.Prepare(Input{Provider: prov.ID, Model: m.ID, Form: d, Vars: TemplateVars(nil)})
	for _, f := range m.Fields() {
		msg := errs[f.Name]
		if msg == "" && d.Has(f.Name) {
			msg = out.Errors[f.Name]
		}
		if msg != "" {
			out.Problems = append(out.Problems, problem.Invalid(f.Name, msg))
		}
	}
	return out
}

func (out *Imported) problem(field, format string, a ...any) {
	p := problem.Errorf(problem.KindInvalid, format, a...)
	p.Field = field
	out.Problems = append(out.Problems, p)
}

// KeyNote is what the page says of a key written in the command, "" when
// there was none.
func (out Imported) KeyNote() string {
	if !out.KeyIgnored {
		return ""
	}
	if out.KeyEnv == "" {
		return "The key written in the command was ignored: it is not stored or shown."
	}
	return fmt.Sprintf("The key written in the command was ignored: it is not stored or shown. Use $%s.", out.KeyEnv)
}

// UnreadNote lists the parameters the model's form does not have.
func (out Imported) UnreadNote() string {
	if len(out.Unread) == 0 {
		return ""
	}
	parts := make([]string, len(out.Unread))
	for i, u := range out.Unread {
		parts[i] = u.Path + " " + string(u.JSON)
	}
	return "Not in this model's form: " + strings.Join(parts, ", ") + "."
}

// KeptNote says which of them the draft keeps as extra body fields and
// which it dropped, "" when there were none.
func (out Imported) KeptNote() string {
	paths := func(us []form.Unread) string {
		ps := make([]string, len(us))
		for i, u := range us {
			ps[i] = u.Path
		}
		return strings.Join(ps, ", ")
	}
	var notes []string
	if len(out.Kept) > 0 {
		notes = append(notes, "Kept as extra body fields (Advanced parameters): "+paths(out.Kept)+".")
	}
	switch {
	case len(out.Dropped) == 0:
	case out.Dropping:
		notes = append(notes, "Dropped: "+paths(out.Dropped)+".")
	default:
		notes = append(notes, "Dropped, as only a whole top-level parameter can be an extra body field: "+paths(out.Dropped)+".")
	}
	return strings.Join(notes, " ")
}

// Choice: the import has parameters the person may keep as extra body
// fields or drop (the page offers both).
func (out Imported) Choice() bool {
	return len(out.Kept) > 0 || (out.Dropping && slices.ContainsFunc(out.Dropped, func(u form.Unread) bool { return u.Key != "" }))
}

// apiPaths are the styles' paths, the longest first (/chat/completions
// before /completions).
var apiPaths = []catalog.Style{catalog.Chat, catalog.Responses, catalog.Completions}

// splitURL splits a request URL into its base URL and the style of its
// API path (a query or fragment is not part of either).
func splitURL(u string) (base string, style catalog.Style, ok bool) {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	u = strings.TrimRight(u, "/")
	for _, s := range apiPaths {
		if b, found := strings.CutSuffix(u, s.Path()); found {
			return b, s, true
		}
	}
	return "", "", false
}

// sameBase compares base URLs: scheme and host without case, paths
// without a trailing slash.
func sameBase(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(s, "/")
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			return u.String()
		}
		return s
	}
	return a != "" && norm(a) == norm(b)
}

// providerOf finds the provider of a base URL: one of its base URLs (as
// configured, its fallbacks and multimodal hosts, and the value of its
// base_url_env), its variable itself ("$OPENAI_BASE_URL", as a curl of an
// unconfigured provider reads), or, for a model with its own base path, a
// base URL with that path. basePath names that path.
func (s *Service) providerOf(base string) (p *catalog.Provider, basePath string) {
	for _, p := range s.Catalog.Providers {
		if p.BaseURLEnv != "" && base == "$"+p.BaseURLEnv {
			return p, ""
		}
		cands := append(append(append([]string{p.BaseURL}, p.ResolveBaseURL(s.getenv)...), p.FallbackBaseURLs...), p.MultimodalBaseURLs...)
		for _, c := range cands {
			if sameBase(base, c) {
				return p, ""
			}
		}
		for _, m := range s.Catalog.ModelsOf(p.ID) {
			if m.BasePath == "" {
				continue
			}
			for _, c := range cands {
				if pu, err := url.Parse(c); err == nil && pu.Host != "" {
					pu.Path = m.BasePath
					if sameBase(base, pu.String()) {
						return p, m.BasePath
					}
				}
			}
		}
	}
	return nil, ""
}

// modelOf picks the model of p for the import: of the style, with the
// base path when the URL had a model's own, sending name (its api_model
// or id); else the current model when it fits, else the first of the
// style, with a problem saying the name is not known.
func (s *Service) modelOf(out *Imported, p *catalog.Provider, basePath, name, current string) *catalog.Model {
	var fits []*catalog.Model
	for _, m := range s.Catalog.ModelsOf(p.ID) {
		if m.Style == out.Style && (basePath == "" || m.BasePath == basePath) {
			fits = append(fits, m)
		}
	}
	if len(fits) == 0 {
		out.problem("provider", "%s has no model speaking the %s API.", p.Name, out.Style)
		return nil
	}
	for _, byID := range []bool{false, true} {
		for _, m := range fits {
			if (!byID && m.SentModel() == name) || (byID && m.ID == name) {
				return m
			}
		}
	}
	i := slices.IndexFunc(fits, func(m *catalog.Model) bool { return m.ID == current })
	if i < 0 {
		i = 0
	}
	if name == "" {
		out.problem("model", "The body names no model: the form is %s's.", fits[i].Label())
	} else {
		out.problem("model", "%s has no model %q: the form is %s's.", p.Name, name, fits[i].Label())
	}
	return fits[i]
}

// modelOf is the body's "model" ("" when it has none).
func modelOf(body []byte) string {
	var b struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Model
}

// styleOf is the API style of a body by its shape.
func styleOf(body []byte) catalog.Style {
	var b map[string]json.RawMessage
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	switch {
	case b["messages"] != nil:
		return catalog.Chat
	case b["input"] != nil:
		return catalog.Responses
	case b["prompt"] != nil:
		return catalog.Completions
	}
	return ""
}

// otherHeaders are the command's headers the provider's requests do not
// carry: not Content-Type, Accept, a key header, nor one of its own.
func (s *Service) otherHeaders(p *catalog.Provider, hs []curlimport.Header) []string {
	var out []string
	for _, h := range hs {
		switch strings.ToLower(h.Name) {
		case "content-type", "accept", "authorization", "x-api-key", "api-key", "x-goog-api-key":
			continue
		}
		if slices.ContainsFunc(p.Headers, func(ph catalog.Header) bool { return strings.EqualFold(ph.Name, h.Name) }) {
			continue
		}
		out = append(out, h.Name)
	}
	return out
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return string(bytes.ToUpper([]byte(s[:1]))) + s[1:]
}

// ReadPaste reads what a person pasted into the import box: a JSON body
// (it starts with "{") or a curl command, for the provider and model the
// form is on. An empty paste, or a command curlimport cannot read, is a
// *curlimport.Error said for the person.
func ReadPaste(text, provider, model string) (Paste, error) {
	text = strings.TrimSpace(text)
	p := Paste{Provider: provider, Model: model}
	switch {
	case text == "":
		return p, &curlimport.Error{Message: "Paste a curl command or a JSON request body first."}
	case strings.HasPrefix(text, "{"):
		p.Body = []byte(text)
		return p, nil
	}
	cmd, err := curlimport.Parse(text)
	p.Curl = cmd
	return p, err
}
