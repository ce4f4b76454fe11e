// Package views holds the templ components and the view models they take.
// View models are plain structs shaped like the screen; NewWorkspace builds
// them from a draft.Result so that templates do no formatting or I/O.
package views

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/units"
)

// Assets are the cache-busted URLs of the static files, and the request
// limit every page's script checks before sending.
type Assets struct {
	CSS    string
	Chroma string
	JS     string
	HTMX   string
	// Conversation is views/js/conversation.js, the transcript's actions.
	Conversation string
	// Experiment is views/js/experiment.js, the experiment page's file
	// loading and check templates.
	Experiment string
	// Theme is the small script in <head> that picks the light or dark
	// theme before the first paint; Icon is the favicon.
	Theme string
	Icon  string
	// BodyLimit is the largest request body the server accepts (0: none
	// checked); the page sends no larger form and shows TooLarge instead.
	BodyLimit int
	TooLarge  string
}

// Page is the whole playground page.
type Page struct {
	Title  string
	Assets Assets
	// CSRF is the session's token, sent by htmx with every POST.
	CSRF      string
	Workspace Workspace
	// Run is the session's last run, shown again after a reload.
	Run *Run
}

// Option is one entry of a picker.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Workspace is the pickers, the form and the side panels.
type Workspace struct {
	Provider  string
	Model     string
	Providers []Option
	Models    []Option
	// Styles picks the model's API style, for a provider of the session
	// that speaks several (empty otherwise).
	Styles       []Option
	Simulated    bool
	ProviderNote []string
	// KeyStatus says where the key comes from; KeyMissing asks for one.
	KeyStatus  string
	KeyMissing bool
	ModelFacts []string
	ModelDesc  string
	Basic      []Field
	Advanced   []Field
	// AdvancedSet names the Advanced fields whose values are sent, so the
	// closed box says it holds them.
	AdvancedSet []string
	Panels      Panels
	// Import is the box for pasting a curl command or a JSON body.
	Import ImportBox
	// Notice, when set, says why a run did not start.
	Notice *Notice
}

// AdvancedOpen: a field of the Advanced box needs attention, so the box
// is open (a value carried from another model is not hidden behind it).
func (w Workspace) AdvancedOpen() bool {
	for _, f := range w.Advanced {
		if f.Error != "" {
			return true
		}
	}
	return false
}

// Notice is why a run did not start, and what to do.
type Notice struct {
	Message string
	Hint    string
	// Limited: a per-session limit (HTTP 429 outside htmx).
	Limited bool
}

// NoticeOf is the notice of a run refused with p (nil for nil).
func NoticeOf(p *problem.Error) *Notice {
	if p == nil {
		return nil
	}
	return &Notice{Message: p.Message, Hint: p.Hint, Limited: p.Kind == problem.KindRateLimited}
}

// Panels are the parts re-rendered on every change: curl, estimate and the
// field errors.
type Panels struct {
	Curl string
	// Template is the curl of the draft's template (its variables as
	// written, never sent), TemplateCode its other languages: what Show
	// template shows; "" when the draft has no variables.
	Template     string
	TemplateCode []CodeTab
	Vars         VarsPanel
	// Code are the languages beside curl (CodeTab), in order.
	Code       []CodeTab
	ErrorCount int
	// Problems name each field that needs attention, in the form's order,
	// then the errors of no field.
	Problems []Problem
	Estimate Estimate
	Fields   []Field // for the out-of-band error slots
	Stream   bool
}

// Problem is one entry of the error summary: the field (its label and the
// id of its input, "" for an error of no field) and what is wrong.
type Problem struct {
	Name, Label, ID, Message string
}

// problemsOf lists the errors of r by field, in the form's order; an
// error of a key no field shows comes last, under its key.
func problemsOf(r draft.Result, fields []Field) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for _, f := range fields {
		if msg := r.Errors[f.Name]; msg != "" {
			out = append(out, Problem{Name: f.Name, Label: f.Label, ID: f.ID, Message: msg})
			seen[f.Name] = true
		}
	}
	keys := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		label := k
		if k == draft.VarsKey {
			label = "Variables"
		}
		out = append(out, Problem{Name: k, Label: label, Message: r.Errors[k]})
	}
	return out
}

// Estimate is the cost panel.
type Estimate struct {
	PromptTokens string
	ImageTokens  string
	Lines        []EstimateLine
	Notes        []string
}

// EstimateLine is one row of the cost panel.
type EstimateLine struct {
	Label   string
	Value   string
	Credits string
	Strong  bool
}

// Field is one form field.
type Field struct {
	Name        string
	ID          string
	Label       string
	Type        string
	Description string
	Required    bool
	Error       string
	Value       string
	Checked     bool
	Rows        []string // list values
	Enum        []string
	FreeEnum    bool // a datalist: enum values are suggestions
	Min         string
	Max         string
	Step        string
	Slider      bool
	Hint        string // range, default and unit
	Placeholder string
	// DefaultValue is the field's default as a value ("" when the
	// documentation states none, or states it in words).
	DefaultValue string
	// ExampleValue is the documentation's example value ("" for none): an
	// unset slider rests there when there is no default.
	ExampleValue string
	MaxItems     int
	Multiline    bool
	Images       []ImageRow
	Detail       bool
	Messages     []MessageRow
	Functions    []FunctionRow
	Roles        []string
	Checks       []Check
	// ConversationReset: "New conversation" clears the field (the
	// previous response id a conversation continues).
	ConversationReset bool
}

// ImageRow is one image URL row.
type ImageRow struct {
	URL    string
	Detail string
}

// FunctionRow is one function tool definition.
type FunctionRow struct {
	Name        string
	Description string
	Parameters  string
}

// Check is one checkbox of an enum list (modalities).
type Check struct {
	Value   string
	Checked bool
}

// NewWorkspace builds the workspace view model for a draft.
func NewWorkspace(cat *catalog.Catalog, r draft.Result, keys func(*catalog.Provider) draft.KeySource) Workspace {
	w := Workspace{
		Provider:  r.Provider.ID,
		Model:     r.Model.ID,
		Simulated: r.Provider.Simulated,
		ModelDesc: r.Model.Description,
	}
	w.Providers = providerOptions(cat, r.Provider.ID, keys)
	w.Models = modelOptions(cat, r.Provider.ID, r.Model.ID)
	if r.Provider.UserAdded && len(r.Provider.APIStyles) > 1 {
		// A provider speaking several styles: each model's own.
		for _, s := range r.Provider.APIStyles {
			w.Styles = append(w.Styles, Option{Value: string(s), Label: string(s), Selected: s == r.Model.Style})
		}
	}
	if r.Provider.Description != "" {
		w.ProviderNote = append(w.ProviderNote, r.Provider.Description)
	}
	// The session's own providers without models are not in the picker;
	// their description says why (still loading, or not listed).
	for _, p := range cat.Providers {
		if p.UserAdded && p.ID != r.Provider.ID && len(cat.ModelsOf(p.ID)) == 0 {
			w.ProviderNote = append(w.ProviderNote, p.Name+": "+p.Description)
		}
	}
	if r.BaseURL == "" {
		w.ProviderNote = append(w.ProviderNote, fmt.Sprintf("No base URL: set %s in the server's environment to run this provider. %s", r.Provider.BaseURLEnv, catalog.BaseURLNote))
	}
	switch r.KeySource {
	case draft.KeySession:
		w.KeyStatus = "Key: yours, " + r.KeyMask + ", kept only in this browser's session."
	case draft.KeyOperator:
		w.KeyStatus = "Key: set by the server's operator."
	case draft.KeySimulator:
		w.KeyStatus = "Key: none needed."
	default:
		w.KeyMissing = true
		w.KeyStatus = "No API key: " + r.KeyHint + " The curl command reads $" + r.Provider.APIKeyEnv + " from your shell."
	}
	w.ModelFacts = modelFacts(r.Provider, r.Model)
	fields := NewFields(r)
	for _, f := range fields {
		if mf, _ := r.Model.Field(f.Name); mf.Advanced() {
			w.Advanced = append(w.Advanced, f)
			if _, sent := r.Values[f.Name]; sent && f.Error == "" {
				w.AdvancedSet = append(w.AdvancedSet, f.Name)
			}
		} else {
			w.Basic = append(w.Basic, f)
		}
	}
	w.Panels = NewPanels(r, fields)
	return w
}

// providerOptions lists the providers that have models, marking the
// simulator, those without a key and those the person added.
func providerOptions(cat *catalog.Catalog, selected string, keys func(*catalog.Provider) draft.KeySource) []Option {
	var out []Option
	for _, p := range cat.Providers {
		if len(cat.ModelsOf(p.ID)) == 0 {
			continue
		}
		label := p.Name
		switch {
		case p.Simulated:
			label += " · simulated"
		case keys(p) == draft.KeyNone:
			label += " · no key"
		case p.UserAdded:
			label += " · yours"
		}
		out = append(out, Option{Value: p.ID, Label: label, Selected: p.ID == selected})
	}
	return out
}

// modelOptions lists a provider's models with their API style.
func modelOptions(cat *catalog.Catalog, provider, selected string) []Option {
	var out []Option
	for _, m := range cat.ModelsOf(provider) {
		out = append(out, Option{Value: m.ID, Label: m.Label() + " (" + string(m.Style) + ")", Selected: m.ID == selected})
	}
	return out
}

// NewPanels builds the re-rendered panels.
func NewPanels(r draft.Result, fields []Field) Panels {
	p := Panels{Curl: r.CurlShown, Code: codeTabs(r), ErrorCount: len(r.Errors), Problems: problemsOf(r, fields), Fields: fields, Estimate: newEstimate(r),
		Template: r.TemplateCurl, Vars: newVarsPanel(r)}
	if r.Template != nil && len(p.Code) > 0 {
		p.TemplateCode = snippetTabs(r.Template, "")
	}
	if r.Request != nil {
		p.Stream = r.Request.Stream
	}
	return p
}

func modelFacts(p *catalog.Provider, m *catalog.Model) []string {
	var facts []string
	facts = append(facts, "API: "+string(m.Style)+" ("+m.Style.Path()+")")
	if m.ContextWindow > 0 {
		facts = append(facts, "Context: "+units.Thousands(m.ContextWindow)+" tokens")
	}
	if m.MaxOutputTokens > 0 {
		facts = append(facts, "Max output: "+units.Thousands(m.MaxOutputTokens)+" tokens")
	}
	facts = append(facts, priceFact(p, m))
	return facts
}

func priceFact(p *catalog.Provider, m *catalog.Model) string {
	pr := m.Price
	if pr == nil || pr.Input == nil || pr.Output == nil {
		return "Price: no price set"
	}
	currency, credits := p.Currency, p.CreditsPerUnit
	if pr.Currency != "" {
		currency, credits = pr.Currency, 0
	}
	if pr.CreditsPerUnit != nil {
		credits = *pr.CreditsPerUnit
	}
	s := "Price per 1M tokens: " + money(*pr.Input, currency) + " input"
	if pr.CachedInput != nil {
		s += ", " + money(*pr.CachedInput, currency) + " cached"
	}
	s += ", " + money(*pr.Output, currency) + " output"
	if credits > 0 {
		s += fmt.Sprintf(" (1 %s = %s credits)", currency, strconv.FormatFloat(credits, 'f', -1, 64))
	}
	if pr.Demo {
		s += " · demo price"
	}
	return s
}

func money(v float64, currency string) string {
	c := cost.Compute(&catalog.Provider{Currency: currency},
		&catalog.Model{Price: &catalog.Price{Input: &v, Output: &v}}, cost.Usage{Input: 1_000_000})
	return cost.Format(c.Total, currency)
}

func newEstimate(r draft.Result) Estimate {
	e := r.Estimate
	out := Estimate{PromptTokens: units.Thousands(e.PromptTokens)}
	if e.Approximate {
		out.PromptTokens = "≈ " + out.PromptTokens
		out.Notes = append(out.Notes, "Long texts are sampled, not counted to the last token.")
	}
	if e.ImageTokens > 0 {
		out.ImageTokens = units.Thousands(e.ImageTokens)
	}
	if !e.Input.Known {
		out.Notes = append(out.Notes, "No price set for this model: tokens are counted, cost is unknown.")
	} else {
		in := EstimateLine{Label: "Input", Value: "≈ " + cost.Format(e.Input.Total, e.Input.Currency)}
		if cr := e.Input.Credits(e.Input.Total); cr != nil {
			in.Credits = "≈ " + cost.FormatCredits(cr)
		}
		out.Lines = append(out.Lines, in)
		if e.Max.Known {
			mx := EstimateLine{Label: "At most", Value: cost.Format(e.Max.Total, e.Max.Currency), Strong: true}
			if cr := e.Max.Credits(e.Max.Total); cr != nil {
				mx.Credits = cost.FormatCredits(cr)
			}
			out.Lines = append(out.Lines, mx)
		}
		if e.Input.Demo {
			out.Notes = append(out.Notes, "Demo price: this provider's documentation gives none.")
		}
	}
	if e.MaxOutputTokens > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("Output capped at %s tokens (%s).", units.Thousands(e.MaxOutputTokens), e.OutputCapFrom))
	} else {
		out.Notes = append(out.Notes, "No output cap is set, so the most this run can cost is unknown: set a max tokens field.")
	}
	out.Notes = append(out.Notes, "Prompt tokens counted with "+tokens.Encoding+"; images assumed 1024×1024.")
	return out
}

// NewFields builds the field view models of a draft in schema order.
func NewFields(r draft.Result) []Field {
	var out []Field
	for _, f := range r.Model.Fields() {
		out = append(out, newField(f, r))
	}
	return out
}

func newField(f catalog.Field, r draft.Result) Field {
	v := Field{
		Name:        f.Name,
		ID:          "f-" + f.Name,
		Label:       f.DisplayLabel(),
		Type:        string(f.Type),
		Description: f.Description,
		Required:    f.Required,
		Error:       r.Errors[f.Name],
		Value:       r.Form.Text(f.Name),
		MaxItems:    f.MaxItems,
		Detail:      f.Detail,
		Roles:       f.Roles,
		// A new conversation starts from no stored response.
		ConversationReset: f.Role == catalog.RolePreviousResponse,
	}
	var hint []string
	if f.Min != nil && f.Max != nil {
		hint = append(hint, num(*f.Min)+" – "+num(*f.Max))
	} else if f.Min != nil {
		hint = append(hint, "≥ "+num(*f.Min))
	} else if f.Max != nil {
		hint = append(hint, "≤ "+num(*f.Max))
	}
	switch {
	case f.Default != nil:
		hint = append(hint, "default "+fmt.Sprint(f.Default))
		v.Placeholder = fmt.Sprint(f.Default)
		v.DefaultValue = v.Placeholder
	case f.DefaultText != "":
		hint = append(hint, "default "+f.DefaultText)
		v.Placeholder = f.DefaultText
	}
	if f.Example != nil {
		// An example from the documentation, never taken for the default.
		hint = append(hint, "e.g. "+fmt.Sprint(f.Example))
		v.ExampleValue = fmt.Sprint(f.Example)
		if v.Placeholder == "" {
			v.Placeholder = "e.g. " + fmt.Sprint(f.Example)
		}
	}
	if f.Unit != "" {
		hint = append(hint, f.Unit)
	}
	if f.MaxItems > 0 && f.IsList() {
		hint = append(hint, "at most "+strconv.Itoa(f.MaxItems))
	}
	v.Hint = strings.Join(hint, " · ")
	if f.Min != nil {
		v.Min = num(*f.Min)
	}
	if f.Max != nil {
		v.Max = num(*f.Max)
	}
	switch {
	case f.Step != nil:
		v.Step = num(*f.Step)
	case f.Type == catalog.TypeInteger:
		v.Step = "1"
	default:
		v.Step = "any"
	}
	v.Slider = (f.Type == catalog.TypeNumber || f.Type == catalog.TypeInteger) && f.Min != nil && f.Max != nil
	switch f.Type {
	case catalog.TypeBoolean:
		v.Checked = v.Value == "true"
	case catalog.TypeEnum:
		v.Enum = f.Enum
	case catalog.TypeString:
		if len(f.Enum) > 0 {
			v.Enum, v.FreeEnum = f.Enum, true
		}
	case catalog.TypeText:
		v.Multiline = true
		if f.MaxItems > 1 {
			v.Rows = r.Form.List(f.Name)
			if len(v.Rows) == 0 {
				v.Rows = []string{""}
			}
		}
	case catalog.TypeStringList:
		if len(f.Enum) > 0 {
			for _, e := range f.Enum {
				v.Checks = append(v.Checks, Check{Value: e, Checked: slices.Contains(r.Form.List(f.Name), e)})
			}
		} else {
			v.Rows = r.Form.List(f.Name)
		}
	case catalog.TypeJSON:
		v.Placeholder = jsonPlaceholder(f.JSONKind)
		if f.Role == catalog.RoleExtra {
			v.Placeholder = `{"top_k": 40}`
		}
	case catalog.TypeImageURLs:
		for _, row := range r.Form.ImageRows(f.Name) {
			v.Images = append(v.Images, ImageRow(row))
		}
	case catalog.TypeFunctions:
		for _, row := range r.Form.FunctionRows(f.Name) {
			v.Functions = append(v.Functions, FunctionRow(row))
		}
	case catalog.TypeMessages:
		v.Messages = newMessageRows(r.Form.MessageRows(f.Name))
		if len(v.Roles) == 0 {
			v.Roles = []string{"system", "user", "assistant"}
		}
	}
	return v
}

func jsonPlaceholder(kind string) string {
	switch kind {
	case "tools":
		return `[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]`
	case "logit_bias":
		return `{"50256": -100}`
	case "array":
		return `[]`
	case "audio":
		// wav: a format the simulator speaks as well.
		return `{"voice": "alloy", "format": "wav"}`
	case "object":
		return `{}`
	}
	return `{"type": "json_object"}`
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ItemsLeft reports whether another row may be added.
func (f Field) ItemsLeft(n int) bool { return f.MaxItems == 0 || n < f.MaxItems }

// MaxAttr is the data-max attribute of an add-row button ("" for no limit).
func (f Field) MaxAttr() string {
	if f.MaxItems == 0 {
		return ""
	}
	return strconv.Itoa(f.MaxItems)
}

// ErrID is the id of the field's error slot.
func (f Field) ErrID() string { return "err-" + f.Name }

// Input is the name of the input of one part of a row field's rows
// (form.InputName: "messages.role").
func (f Field) Input(part string) string { return form.InputName(f.Name, part) }

// InputClass is the class of the field's input, red when in error.
func (f Field) InputClass() string {
	if f.Error != "" {
		return "input input-error"
	}
	return "input"
}
