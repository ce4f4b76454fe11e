package views

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// HistoryPage lists a session's runs.
type HistoryPage struct {
	Title  string
	Assets Assets
	CSRF   string
	Flash  string
	Filter HistoryFilter
	Rows   []HistoryRow
	Total  int
	// Capped says more than Total runs match (the count stops at
	// history.CountCap).
	Capped bool
	// PrevURL and NextURL are the newer and the older page.
	PrevURL string
	NextURL string
	// Keeps says what the history keeps of a session (its quota and
	// retention), so runs deleted past them are not a surprise.
	Keeps string
	// Experiments are the session's latest kept experiments.
	Experiments []ExperimentItem
}

// Count says how many runs match.
func (p HistoryPage) Count() string {
	if p.Capped {
		return "At least " + Plural(p.Total, "run", "runs")
	}
	return Plural(p.Total, "run", "runs")
}

// HistoryKeeps says what the history keeps of a session under l.
func HistoryKeeps(l history.Limits) string {
	var quota []string
	if l.OwnerRuns > 0 {
		quota = append(quota, "the newest "+Plural(l.OwnerRuns, "run", "runs"))
	}
	if l.OwnerBytes > 0 {
		quota = append(quota, units.Bytes(l.OwnerBytes))
	}
	var parts []string
	if len(quota) > 0 {
		parts = append(parts, "keeps "+strings.Join(quota, " and at most ")+" of this browser's runs")
	}
	if days := int(l.Retention.Hours() / 24); days > 0 {
		parts = append(parts, "deletes runs older than "+Plural(days, "day", "days"))
	}
	if len(parts) == 0 {
		return "The history keeps every run."
	}
	s := "The history " + strings.Join(parts, ", and ") + "."
	if len(quota) > 0 {
		s += " Past the limit the oldest runs go first, unshared ones before shared ones."
	}
	return s
}

// HistoryFilter is the filter form.
type HistoryFilter struct {
	Providers []Option
	Models    []Option
	From      string
	To        string
	Query     string
	Errors    map[string]string
	Active    bool
}

// HistoryRow is one run in the list.
type HistoryRow struct {
	URL           string
	When          string
	Provider      string
	Model         string
	Prompt        string
	Status        string
	Cost          string
	Tokens        string
	ComparisonURL string
}

// NewHistoryRows builds the list's rows.
func NewHistoryRows(entries []history.Entry) []HistoryRow {
	out := make([]HistoryRow, 0, len(entries))
	for _, e := range entries {
		r := HistoryRow{URL: "/history/runs/" + e.ID, When: when(e.Created), Provider: e.ProviderName, Model: e.ModelLabel,
			Prompt: excerpt(e.Prompt, 140), Status: string(e.Status)}
		if e.Outcome != nil {
			r.Cost, r.Tokens = costLine(e.Outcome), TokensInOut(e.Outcome)
		}
		if e.GroupID != "" {
			r.ComparisonURL = "/history/comparisons/" + e.GroupID
		}
		out = append(out, r)
	}
	return out
}

// FacetOptions builds the provider and model pickers of the filter.
func FacetOptions(facets []history.Facet, provider, model string) (providers, models []Option) {
	seen := map[string]bool{}
	for _, f := range facets {
		if !seen[f.Provider] {
			seen[f.Provider] = true
			providers = append(providers, Option{Value: f.Provider, Label: f.ProviderName, Selected: f.Provider == provider})
		}
		if provider == "" || f.Provider == provider {
			models = append(models, Option{Value: f.Model, Label: f.ModelLabel + " (" + f.ProviderName + ")", Selected: f.Model == model})
		}
	}
	return providers, models
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// excerptEnd is excerpt from the end: the last n characters of s, its
// spaces folded, "…" first when some are left out (a text still growing).
func excerptEnd(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n:])
	}
	return s
}

// KV is one labelled value.
type KV struct {
	Key, Value string
}

// PromptRow is one message of a stored prompt.
type PromptRow struct {
	Role, Content string
	// Image is the URL of an image input (Role "image"): the page shows
	// its preview (imageThumb), never loading a remote one by itself.
	Image string
}

// ChoiceRecord is one stored choice.
type ChoiceRecord struct {
	Title     string
	HTML      string // rendered by the safe markdown renderer
	Reasoning string
	Refusal   string
	Tools     []run.ToolOutput
	Finish    string
	// Audio is a spoken answer (HTML is then its transcript): AudioURL
	// plays it, AudioNote says why it is not kept ("" when it is).
	Audio               bool
	AudioURL, AudioNote string
	// Tokens are the answer's tokens with their probabilities, drawn as
	// the live panel draws them; TokensNote says why they were not kept.
	Tokens     []LPToken
	TokensNote string
	// index is the choice's number (for AudioURL).
	index int
}

// setAudioBase makes the record's audio play from base + choice number.
func (r *RunRecord) setAudioBase(base string) {
	for i := range r.Choices {
		if c := &r.Choices[i]; c.AudioURL != "" {
			c.AudioURL = base + strconv.Itoa(c.index)
		}
	}
}

// RunRecord is a stored run as its page shows it.
type RunRecord struct {
	ID       string
	Pane     string
	When     string
	Provider string
	Model    string
	Style    string
	Status   string
	Prompt   []PromptRow
	Params   []KV
	Choices  []ChoiceRecord
	Metrics  []KV
	Checks   []CheckRow
	// Timeline is the output over time, as the live panel drew it.
	Timeline  *TimelineChart
	ErrorMsg  string
	ErrorHint string
	Curl      string
	// Code are the run's request in the languages beside curl.
	Code       []CodeTab
	RequestURL string
	Body       string
	// ReadOnly hides every action (a shared page).
	ReadOnly bool
	// ShareURL is the run's share link while it is shared.
	ShareURL      string
	ComparisonURL string
	Actions       RunActions
}

// RunActions are the URLs of what the owner can do with a run.
type RunActions struct {
	Replay, Fork, Delete, Share, Unshare, JSON, Curl, SSE string
}

// RunRecordPage is the page of one run.
type RunRecordPage struct {
	Title  string
	Assets Assets
	CSRF   string
	Run    RunRecord
}

// NewRunRecord builds a run's page. m is the run's model in the catalog
// (nil when it is gone): it tells the prompt fields from the parameters.
func NewRunRecord(e history.Entry, m *catalog.Model, readOnly bool, shareURL string) RunRecord {
	v := RunRecord{ID: e.ID, When: when(e.Created), Provider: e.ProviderName, Model: e.ModelLabel, Style: e.Style,
		Status: string(e.Status), Curl: e.Curl, RequestURL: e.Request.Method + " " + e.Request.URL, Body: e.Request.Body,
		ReadOnly: readOnly, ShareURL: shareURL}
	if req, ok := e.Request.Rebuilt(catalog.Style(e.Style)); ok {
		download := "/history/runs/" + e.ID + "/snippet/"
		if readOnly {
			download = "" // a share page offers the code, not the owner's routes
		}
		v.Code = snippetTabs(req, download)
	}
	if e.GroupID != "" {
		v.Pane = strconv.Itoa(e.Pane + 1)
		if !readOnly {
			v.ComparisonURL = "/history/comparisons/" + e.GroupID
		}
	}
	base := "/history/runs/" + e.ID
	v.Actions = RunActions{Replay: base + "/replay", Fork: base + "/fork", Delete: base + "/delete", Share: base + "/share",
		Unshare: base + "/unshare", JSON: base + "/export.json", Curl: base + "/export.sh", SSE: base + "/transcript.sse"}
	v.Prompt, v.Params = promptAndParams(e.Form, m, e.Prompt)
	for _, c := range e.Output.Choices {
		cr := ChoiceRecord{HTML: markdown.Render(c.Text), Reasoning: c.Reasoning, Refusal: c.Refusal, Tools: c.Tools, Finish: c.Finish,
			Tokens: LPTokens(c.Logprobs), TokensNote: c.LogprobsNote, index: c.Index}
		if a := c.Audio; a != nil {
			cr.Audio, cr.AudioNote = true, a.Note
			if len(a.Data) > 0 {
				audioBase := base + "/audio/"
				if readOnly {
					audioBase = "/share/" + e.ShareID + "/audio/"
				}
				cr.AudioURL = audioBase + strconv.Itoa(c.Index)
			}
		}
		if len(e.Output.Choices) > 1 {
			cr.Title = "Choice " + strconv.Itoa(c.Index)
		}
		v.Choices = append(v.Choices, cr)
	}
	if o := e.Outcome; o != nil {
		ov := NewOutcomeView(o)
		v.Metrics, v.Checks, v.Timeline = ov.Metrics, ov.Checks, ov.Timeline
	}
	if e.Failure != nil {
		v.ErrorMsg, v.ErrorHint = e.Failure.Message, e.Failure.Hint
	}
	return v
}

// promptAndParams splits a stored form into the prompt (as messages) and
// the other parameters, by the model's fields when it is known.
func promptAndParams(stored form.Draft, m *catalog.Model, prompt string) ([]PromptRow, []KV) {
	var rows []PromptRow
	var params []KV
	if m == nil {
		if prompt != "" {
			rows = append(rows, PromptRow{Role: "prompt", Content: prompt})
		}
		posted := stored.Values() // no schema: the inputs as posted
		keys := make([]string, 0, len(posted))
		for k := range posted {
			if !strings.HasPrefix(k, "_") && !strings.HasPrefix(k, "messages.") && k != "prompt" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if v := strings.Join(posted[k], ", "); v != "" {
				params = append(params, KV{k, v})
			}
		}
		return rows, params
	}
	for _, f := range m.Fields() {
		switch {
		case f.Type == catalog.TypeMessages:
			for _, r := range stored.MessageRows(f.Name) {
				rows = append(rows, PromptRow{Role: r.Role, Content: r.Content})
			}
		case f.Type == catalog.TypeImageURLs:
			for _, r := range stored.ImageRows(f.Name) {
				if r.URL != "" {
					rows = append(rows, imagePromptRow(r.URL))
				}
			}
		case form.IsPrompt(f):
			for _, v := range stored.List(f.Name) {
				if strings.TrimSpace(v) != "" {
					rows = append(rows, PromptRow{Role: f.DisplayLabel(), Content: v})
				}
			}
		default:
			if v := strings.Join(stored.List(f.Name), ", "); v != "" {
				params = append(params, KV{f.Name, v})
			}
		}
	}
	return rows, params
}

// imagePromptRow is the row of an image input. Inline data shows as a
// thumbnail and its type, not as pages of base64.
func imagePromptRow(u string) PromptRow {
	content := u
	if markdown.InlineImage(u) {
		content = markdown.ShowURL(u) + " (inline data)"
	}
	return PromptRow{Role: "image", Content: content, Image: u}
}

// RunRecordOf is the record page of one run, with the catalog's model.
func RunRecordOf(cat *catalog.Catalog, e history.Entry, readOnly bool, shareURL string) RunRecord {
	m, _ := cat.Model(e.Provider, e.Model)
	return NewRunRecord(e, m, readOnly, shareURL)
}

// ComparisonPage is a stored comparison.
type ComparisonPage struct {
	Title    string
	Assets   Assets
	CSRF     string
	Name     string
	When     string
	Total    string
	Panes    []RunRecord
	ReadOnly bool
	ShareURL string
	Actions  ComparisonActions
	DiffURL  string
	Options  []Option
	// Chart is every pane's output over time on one chart (nil when no
	// pane had output).
	Chart *TimelineChart
}

// ComparisonActions are what the owner can do with a comparison.
type ComparisonActions struct {
	Fork, Delete, Share, Unshare string
}

// NewComparisonPage builds a comparison's page.
func NewComparisonPage(cat *catalog.Catalog, c history.Comparison, readOnly bool, shareURL, diffURL string) ComparisonPage {
	base := "/history/comparisons/" + c.ID
	p := ComparisonPage{Name: c.Title, When: when(c.Created), ReadOnly: readOnly, ShareURL: shareURL, DiffURL: diffURL,
		Actions: ComparisonActions{Fork: base + "/fork", Delete: base + "/delete", Share: base + "/share", Unshare: base + "/unshare"}}
	var outs []*run.Outcome
	var lines []TimelineRun
	for _, e := range c.Runs {
		rec := RunRecordOf(cat, e, readOnly, "")
		if readOnly {
			// A shared comparison's panes play from its own link.
			rec.setAudioBase("/share/" + c.ShareID + "/panes/" + strconv.Itoa(e.Pane) + "/audio/")
		}
		p.Panes = append(p.Panes, rec)
		p.Options = append(p.Options, Option{Value: strconv.Itoa(e.Pane), Label: "Pane " + strconv.Itoa(e.Pane+1) + ": " + e.ModelLabel})
		outs = append(outs, e.Outcome)
		if e.Outcome != nil {
			lines = append(lines, TimelineOf(PaneName(e.Pane), e.Outcome))
		}
	}
	p.Total = TotalCost(outs)
	if c, ok := NewTimeline(lines); ok {
		p.Chart = &c
	}
	return p
}
