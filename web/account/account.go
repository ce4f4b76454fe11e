// Package account is what one browser session brings to the playground: its
// own API keys, one per provider, and the OpenAI-compatible providers it
// added. An Account lives only in the session's encrypted cookie; nothing of
// it is written on the server.
//
// Key precedence, for a catalog provider: the session's key, else the key
// the operator set in the environment variable the catalog names. A
// provider a person added uses only the session's key.
package account

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
)

// Limits keep the account small enough for the session cookie (session.MaxCookie, 3 KB encoded).
const (
	MaxProviders  = 4
	MaxKeyLength  = 256
	MaxNameLength = 40
	MaxURLLength  = 300
)

// Account is a session's keys and providers.
type Account struct {
	// Keys maps a provider id to the session's API key for it.
	Keys      map[string]string `json:"k,omitempty"`
	Providers []Provider        `json:"p,omitempty"`
}

// Provider is an OpenAI-compatible provider a person added.
type Provider struct {
	ID      string          `json:"i"`
	Name    string          `json:"n"`
	BaseURL string          `json:"u"`
	Styles  []catalog.Style `json:"s"`
	// Headers are extra request headers; like the key, their values stay
	// in the session (curl shows them as $MY_…, the history never has them).
	Headers []Header `json:"h,omitempty"`
	// ModelStyles is the style chosen for a listed model, by model id,
	// when the provider speaks several (else the catalog's style for an id
	// it knows, or the provider's first).
	ModelStyles map[string]catalog.Style `json:"m,omitempty"`
}

// Header is one extra request header of an added provider.
type Header struct {
	Name  string `json:"n"`
	Value string `json:"v"`
}

// Limits of an added provider's headers and style choices (the session
// cookie holds them).
const (
	MaxHeaders     = 4
	MaxHeaderValue = 256
	MaxModelStyles = 16
)

// HeaderEnv is the variable curl snippets show for the value of p's
// header name: MY_, the provider's name, then the header's, in upper snake
// case (MY_PORTKEY_X_PORTKEY_PROVIDER). The server never reads it.
func (p Provider) HeaderEnv(name string) string {
	base := strings.TrimSuffix(p.KeyEnv(), "_API_KEY")
	return base + "_" + headerEnvName(name)
}

// headerEnvName is a header name in upper snake case (HEADER when it has
// no letter or digit).
func headerEnvName(name string) string {
	if h := strings.Trim(envUnsafe.ReplaceAllString(strings.ToUpper(name), "_"), "_"); h != "" {
		return h
	}
	return "HEADER"
}

// HeaderValues are the values of p's headers by the variable HeaderEnv
// names them with.
func (p Provider) HeaderValues() map[string]string {
	if len(p.Headers) == 0 {
		return nil
	}
	out := make(map[string]string, len(p.Headers))
	for _, h := range p.Headers {
		out[p.HeaderEnv(h.Name)] = h.Value
	}
	return out
}

// HeaderEnv is, for each added provider with headers, the values of its
// header variables (draft.Service.OwnEnv).
func (a Account) HeaderEnv() map[string]map[string]string {
	var out map[string]map[string]string
	for _, p := range a.Providers {
		if v := p.HeaderValues(); v != nil {
			if out == nil {
				out = map[string]map[string]string{}
			}
			out[p.ID] = v
		}
	}
	return out
}

// StyleOf is the style chosen for model id of p, if any.
func (p Provider) StyleOf(id string) (catalog.Style, bool) {
	s, ok := p.ModelStyles[id]
	return s, ok && slices.Contains(p.Styles, s)
}

// SetModelStyle keeps style as the choice for model id of the added
// provider providerID (or, with "", forgets it). The message says why not.
func (a *Account) SetModelStyle(providerID, id string, style catalog.Style) string {
	for i := range a.Providers {
		p := &a.Providers[i]
		if p.ID != providerID {
			continue
		}
		switch {
		case !validModelID(id):
			return "Pick a model."
		case style == "":
			delete(p.ModelStyles, id)
			return ""
		case !slices.Contains(p.Styles, style):
			return "This provider does not speak the " + string(style) + " style."
		}
		if _, ok := p.ModelStyles[id]; !ok && len(p.ModelStyles) >= MaxModelStyles {
			return "A provider keeps at most 16 style choices; reset one first."
		}
		if p.ModelStyles == nil {
			p.ModelStyles = map[string]catalog.Style{}
		}
		p.ModelStyles[id] = style
		return ""
	}
	return "No such provider."
}

// PickStyle keeps the style the playground's style picker chose for
// model of the added provider providerID. It reports whether a changed:
// not for a catalog provider, an empty style, the style already chosen,
// or a style SetModelStyle refuses.
func (a *Account) PickStyle(providerID, model string, style catalog.Style) bool {
	if style == "" || !strings.HasPrefix(providerID, catalog.OwnProviderPrefix) {
		return false
	}
	p, ok := a.Provider(providerID)
	if !ok {
		return false
	}
	if cur, ok := p.StyleOf(model); ok && cur == style {
		return false
	}
	return a.SetModelStyle(providerID, model, style) == ""
}

// KeyName is the name of the provider a key form names by id: a catalog
// provider (not the simulator, which takes no key) or one a added.
func (a Account) KeyName(cat *catalog.Catalog, id string) (string, bool) {
	if p, ok := cat.Provider(id); ok && !p.Simulated {
		return p.Name, true
	}
	if p, ok := a.Provider(id); ok {
		return p.Name, true
	}
	return "", false
}

// Decode reads an account from its session form; a damaged value gives an
// empty account.
func Decode(s string) Account {
	var a Account
	if s != "" {
		_ = json.Unmarshal([]byte(s), &a)
	}
	return a
}

// Encode is the session form of a.
func (a Account) Encode() string {
	if len(a.Keys) == 0 && len(a.Providers) == 0 {
		return ""
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// Key is the session's key for a provider, or "".
func (a Account) Key(providerID string) string { return a.Keys[providerID] }

// SetKey stores (or, with "", clears) the key for a provider.
func (a *Account) SetKey(providerID, key string) {
	if key == "" {
		delete(a.Keys, providerID)
		return
	}
	if a.Keys == nil {
		a.Keys = map[string]string{}
	}
	a.Keys[providerID] = key
}

// Provider returns the added provider with id.
func (a Account) Provider(id string) (Provider, bool) {
	for _, p := range a.Providers {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// Remove drops an added provider and its key.
func (a *Account) Remove(id string) bool {
	for i, p := range a.Providers {
		if p.ID == id {
			a.Providers = append(a.Providers[:i:i], a.Providers[i+1:]...)
			a.SetKey(id, "")
			return true
		}
	}
	return false
}

// Mask shows a key as •••• and its last four characters; a key too short
// to spare four characters shows as •••• alone.
func Mask(key string) string {
	if utf8.RuneCountInString(key) < 12 {
		return "••••"
	}
	r := []rune(key)
	return "••••" + string(r[len(r)-4:])
}

// CheckKey validates a key a person typed; the message is shown next to
// the field.
func CheckKey(key string) string {
	switch {
	case key == "":
		return "Enter a key."
	case len(key) > MaxKeyLength:
		return "A key is at most 256 characters."
	}
	for _, r := range key {
		if r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "A key is printable ASCII without spaces."
		}
	}
	return ""
}

// NewProvider reads the "add a provider" form: name, base_url, key and
// styles. It returns the provider (with a fresh id), the key and the
// per-field errors.
func NewProvider(in url.Values) (Provider, string, map[string]string) {
	errs := map[string]string{}
	p := Provider{Name: strings.TrimSpace(in.Get("name")), BaseURL: strings.TrimRight(strings.TrimSpace(in.Get("base_url")), "/")}
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		errs["name"] = "Enter a name."
	case n > MaxNameLength:
		errs["name"] = "A name is at most 40 characters."
	case strings.IndexFunc(p.Name, unicode.IsControl) >= 0:
		errs["name"] = "A name is one line of text."
	}
	if msg := checkBaseURL(p.BaseURL); msg != "" {
		errs["base_url"] = msg
	}
	key := strings.TrimSpace(in.Get("key"))
	if key != "" {
		if msg := CheckKey(key); msg != "" {
			errs["key"] = msg
		}
	}
	seen := map[catalog.Style]bool{}
	for _, s := range in["styles"] {
		st := catalog.Style(s)
		if !st.Valid() {
			errs["styles"] = "Unknown API style " + s + "."
			continue
		}
		if !seen[st] {
			seen[st] = true
			p.Styles = append(p.Styles, st)
		}
	}
	if len(p.Styles) == 0 && errs["styles"] == "" {
		errs["styles"] = "Pick at least one API style."
	}
	p.Headers = readHeaders(in, errs)
	var b [4]byte
	_, _ = rand.Read(b[:])
	p.ID = catalog.OwnProviderPrefix + hex.EncodeToString(b[:])
	return p, key, errs
}

// readHeaders reads the form's header_name / header_value rows; a row
// left empty is skipped. A problem is errs["headers"].
func readHeaders(in url.Values, errs map[string]string) []Header {
	names, values := in["header_name"], in["header_value"]
	tooMany := fmt.Sprintf("At most %d headers.", MaxHeaders)
	if max(len(names), len(values)) > 4*MaxHeaders {
		errs["headers"] = tooMany
		return nil
	}
	var out []Header
	// Two names of one variable (x-a, X_A) would share its value.
	seen := map[string]bool{}
	for i := 0; i < max(len(names), len(values)); i++ {
		var h Header
		if i < len(names) {
			h.Name = strings.TrimSpace(names[i])
		}
		if i < len(values) {
			h.Value = strings.TrimSpace(values[i])
		}
		if h.Name == "" && h.Value == "" {
			continue
		}
		msg := catalog.CheckHeaderName(h.Name)
		if msg == "" {
			msg = catalog.CheckHeaderValue(h.Value, MaxHeaderValue)
		}
		if msg == "" && seen[headerEnvName(h.Name)] {
			msg = h.Name + " is there twice."
		}
		if msg == "" && h.Value == "" {
			msg = "Enter a value for " + h.Name + "."
		}
		if msg != "" {
			if errs["headers"] == "" {
				errs["headers"] = msg
			}
			continue
		}
		seen[headerEnvName(h.Name)] = true
		out = append(out, h)
	}
	if len(out) > MaxHeaders && errs["headers"] == "" {
		errs["headers"] = tooMany
	}
	return out
}

func checkBaseURL(s string) string {
	if s == "" {
		return "Enter the base URL, for example https://api.example.com/v1."
	}
	if len(s) > MaxURLLength {
		return "A base URL is at most 300 characters."
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "Want an http:// or https:// URL, for example https://api.example.com/v1."
	case u.User != nil:
		return "Put the key in the key field, not in the URL."
	case u.RawQuery != "" || u.Fragment != "":
		return "A base URL has no query or fragment."
	}
	return ""
}

var envUnsafe = regexp.MustCompile(`[^A-Z0-9]+`)

// KeyEnvPrefix starts every added provider's key variable, so that none
// is ever the variable of a catalog provider: a provider named "OpenAI"
// reads $MY_OPENAI_API_KEY, not $OPENAI_API_KEY, and a share viewer who
// pastes its curl does not send their own OpenAI key to the sharer's URL.
const KeyEnvPrefix = catalog.OwnKeyEnvPrefix

// KeyEnv is the variable name curl snippets use for an added provider's
// key: MY_, the name in upper snake case, then _API_KEY. The server never
// reads it.
func (p Provider) KeyEnv() string {
	s := strings.Trim(envUnsafe.ReplaceAllString(strings.ToUpper(p.Name), "_"), "_")
	s = strings.TrimPrefix(strings.TrimRight(strings.TrimSuffix(s, "API_KEY"), "_"), "MY_")
	if s == "" || s == "MY" {
		s = "PROVIDER"
	}
	return KeyEnvPrefix + s + "_API_KEY"
}

// Listed is what is known of one provider's models: the ids it lists, or
// why there are none (ErrListing while it has not answered yet).
type Listed struct {
	IDs []string
	Err error
}

// ListAll asks models for every provider of a at the same time and waits
// for all the answers, keyed by provider id: a page with four slow
// providers waits for the slowest, not for the sum.
func ListAll(a Account, models func(Provider) ([]string, error)) map[string]Listed {
	out := make(map[string]Listed, len(a.Providers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range a.Providers {
		wg.Go(func() {
			ids, err := models(p)
			mu.Lock()
			out[p.ID] = Listed{IDs: ids, Err: err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// Catalog returns base with the account's providers and their listed
// models added. models gives the ids a provider lists; it is asked for
// all providers at once (ListAll). A provider with no usable model is
// left out of the pickers, and its description says why: its models are
// loading, or could not be listed.
func Catalog(base *catalog.Catalog, a Account, models func(Provider) ([]string, error)) *catalog.Catalog {
	if len(a.Providers) == 0 {
		return base
	}
	lists := ListAll(a, models)
	var ps []*catalog.Provider
	var ms []*catalog.Model
	for _, up := range a.Providers {
		p := &catalog.Provider{
			ID:        up.ID,
			Name:      up.Name,
			BaseURL:   up.BaseURL,
			APIKeyEnv: up.KeyEnv(),
			APIStyles: up.Styles,
			Headers:   up.catalogHeaders(),
			Currency:  "USD",
			UserAdded: true,
		}
		ps = append(ps, p)
		seen := map[string]bool{}
		listed := lists[up.ID]
		n := 0
		for _, id := range listed.IDs {
			if seen[id] || !validModelID(id) {
				continue
			}
			seen[id] = true
			style, _ := up.StyleOf(id)
			if m := modelFor(base, p, id, style); m != nil {
				ms = append(ms, m)
				n++
			}
		}
		p.Description = describeListing(up, listed.Err, n)
	}
	return base.With(ps, ms)
}

// catalogHeaders are p's headers as the catalog's: secret, each reading
// its HeaderEnv variable (whose value the session holds).
func (p Provider) catalogHeaders() []catalog.Header {
	var out []catalog.Header
	for _, h := range p.Headers {
		out = append(out, catalog.Header{Name: h.Name, Value: "${" + p.HeaderEnv(h.Name) + "}", Secret: true})
	}
	return out
}

// describeListing is an added provider's description: where it is, and
// why it has no models when it has none.
func describeListing(up Provider, err error, models int) string {
	d := "Your provider at " + up.BaseURL + ", for this browser session. "
	switch {
	case errors.Is(err, ErrListing):
		return d + "Its models are still loading: " + err.Error() + "."
	case err != nil:
		return d + "Its models could not be listed: " + err.Error()
	case models == 0:
		return d + "It lists no model the playground can use."
	}
	return d + "Models come from its /models list; prices are unknown."
}

// modelFor is the listed model id as a catalog model of style chosen (""
// when none was chosen): the catalog's own entry for that id (its
// form_schema, limits and description) when the provider speaks its style
// (and it is the chosen one), else the generic form for the chosen style,
// or the provider's first.
func modelFor(base *catalog.Catalog, p *catalog.Provider, id string, chosen catalog.Style) *catalog.Model {
	style := p.APIStyles[0]
	if chosen != "" && p.Supports(chosen) {
		style = chosen
	}
	if k, ok := base.Known(id, style); ok && p.Supports(k.Style) && (chosen == "" || k.Style == chosen) {
		m := *k
		m.ID, m.Provider, m.APIModel, m.BasePath, m.Price = id, p.ID, "", "", nil
		m.Name = id
		return &m
	}
	fields, ok := base.GenericSchema(style)
	if !ok {
		return nil
	}
	return &catalog.Model{
		ID:          id,
		Provider:    p.ID,
		Style:       style,
		Description: "Listed by the provider; the catalog does not know this model, so the form is the generic " + string(style) + " one.",
		Schema:      catalog.SchemaOf(fields),
	}
}

// validModelID is the one check of a listed model id: 1 to 200 bytes,
// no control or space characters. ParseModels applies it as it reads a
// list; Catalog again for ids from any other source.
func validModelID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// WithListed returns base with the models each catalog provider with
// list_models lists (lists, by provider id) added after its own: an id
// the provider already has is left as it is (it keeps its schema), one
// the catalog knows elsewhere gets that entry's form, any other the
// generic form of the provider's style.
func WithListed(base *catalog.Catalog, lists map[string]Listed) *catalog.Catalog {
	var ms []*catalog.Model
	for _, p := range base.Providers {
		l, ok := lists[p.ID]
		if !ok || !p.ListModels || p.UserAdded {
			continue
		}
		have := map[string]bool{}
		for _, m := range base.ModelsOf(p.ID) {
			have[m.ID], have[m.SentModel()] = true, true
		}
		for _, id := range l.IDs {
			if have[id] || !validModelID(id) {
				continue
			}
			have[id] = true
			if m := modelFor(base, p, id, ""); m != nil {
				ms = append(ms, m)
			}
		}
	}
	if len(ms) == 0 {
		return base
	}
	return base.With(nil, ms)
}
