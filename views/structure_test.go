package views

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/tokens"
)

// The structure tests render the main views from their view models and
// check them by their data-testid hooks (STYLE.md, practice 16): the
// elements that must be there, how many rows or cards there are, and that
// an error sits inside the field it concerns.

// render renders c and parses it.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tid selects by data-testid; parts are joined as descendants.
func tid(ids ...string) string {
	sel := make([]string, len(ids))
	for i, id := range ids {
		sel[i] = `[data-testid="` + id + `"]`
	}
	return strings.Join(sel, " ")
}

// count checks how many elements sel matches on the page, leaving out
// those inside a <template> (the rows app.js clones, which nobody sees).
func count(t *testing.T, d *goquery.Document, sel string, want int) {
	t.Helper()
	shown := d.Find(sel).FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Closest("template").Length() == 0 })
	if got := shown.Length(); got != want {
		t.Errorf("%s: %d elements, want %d", sel, got, want)
	}
}

// text is the trimmed text of what sel matches.
func text(d *goquery.Document, sel string) string {
	return strings.TrimSpace(d.Find(sel).Text())
}

// drafts is a draft service over the default catalog, with no keys.
func drafts(t *testing.T) *draft.Service {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &draft.Service{Catalog: cat, Getenv: func(string) string { return "" }, Tokens: &tokens.Counter{}}
}

// chatModel is the first simulated model whose form takes messages.
func chatModel(t *testing.T, svc *draft.Service) (*catalog.Provider, *catalog.Model) {
	t.Helper()
	for _, p := range svc.Catalog.Providers {
		if !p.Simulated {
			continue
		}
		for _, m := range svc.Catalog.ModelsOf(p.ID) {
			if f, ok := m.Field("messages"); ok && f.Type == catalog.TypeMessages {
				if _, ok := m.Field("temperature"); ok {
					return p, m
				}
			}
		}
	}
	t.Fatal("no simulated chat model with messages and temperature in the default catalog")
	return nil, nil
}

func TestPlaygroundStructure(t *testing.T) {
	svc := drafts(t)
	p, m := chatModel(t, svc)
	base := func(extra url.Values) url.Values {
		v := url.Values{"messages.role": {"system", "user"}, "messages.content": {"Be brief.", "Hello"}}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	for name, c := range map[string]struct {
		form     url.Values
		run      bool
		messages int
		bad      string // the field whose error must show, inside it
		curl     bool
	}{
		"valid two messages":       {form: base(nil), messages: 2, curl: true},
		"temperature out of range": {form: base(url.Values{"temperature": {"9"}}), messages: 2, bad: "temperature"},
		"with the last run":        {form: base(nil), run: true, messages: 2, curl: true},
	} {
		t.Run(name, func(t *testing.T) {
			r := svc.Prepare(draft.Input{Provider: p.ID, Model: m.ID, Form: formpkg.Decode(c.form)})
			page := Page{Title: "Playground", Workspace: NewWorkspace(svc.Catalog, r, svc.KeySource)}
			if c.run {
				v := NewRun(&run.Run{ID: "r1", Spec: run.Spec{Provider: p, Model: m}})
				page.Run = &v
			}
			d := render(t, PlaygroundPage(page))
			for _, id := range []string{"workspace", "provider-picker", "model-picker", "model-info", "key-status",
				"draft-form", "run-button", "output", "curl-panel", "estimate", "field-messages", "field-temperature"} {
				count(t, d, tid(id), 1)
			}
			count(t, d, tid("draft-form", "field-messages", "message-row"), c.messages)
			// Every field's error slot sits inside its field, once.
			d.Find(`[data-testid^="field-"]`).Each(func(_ int, s *goquery.Selection) {
				f := strings.TrimPrefix(s.AttrOr("data-testid", ""), "field-")
				if n := s.Find(tid("error-" + f)).Length(); n != 1 {
					t.Errorf("field %s holds %d error slots, want 1", f, n)
				}
				msg := strings.TrimSpace(s.Find(tid("error-" + f)).Text())
				if f == c.bad && msg == "" {
					t.Errorf("field %s shows no error", f)
				}
				if f != c.bad && msg != "" {
					t.Errorf("field %s shows an error it should not: %q", f, msg)
				}
			})
			if c.curl {
				count(t, d, tid("curl-panel", "curl"), 1)
				count(t, d, tid("curl-missing"), 0)
			} else {
				count(t, d, tid("curl-panel", "curl"), 0)
				count(t, d, tid("curl-missing"), 1)
			}
			if c.run {
				count(t, d, tid("output", "run"), 1)
			} else {
				count(t, d, tid("run"), 0)
			}
		})
	}
}

func TestRunPanelStructure(t *testing.T) {
	svc := drafts(t)
	p, m := chatModel(t, svc)
	panel := NewRun(&run.Run{ID: "r7", Spec: run.Spec{Provider: p, Model: m}})
	for name, c := range map[string]struct {
		v      Run
		cont   bool
		events string
		group  string
	}{
		"alone":            {v: panel, cont: panel.ContinueURL != "", events: "/runs/r7/events"},
		"pane of a group":  {v: panel.InGroup(2), group: "2"},
		"no continue form": {v: Run{ID: "r8", EventsURL: "/runs/r8/events"}, events: "/runs/r8/events"},
	} {
		t.Run(name, func(t *testing.T) {
			d := render(t, RunPanel(c.v))
			count(t, d, tid("run"), 1)
			for _, id := range []string{"run-state", "run-meta", "stop", "history-link", "inspector-tab", "run-error", "choices", "metrics", "inspector"} {
				count(t, d, tid("run", id), 1)
			}
			if panel.ContinueURL == "" {
				t.Fatal("a model that takes messages has no continue URL")
			}
			want := 0
			if c.cont {
				want = 1
			}
			count(t, d, tid("run", "continue"), want)
			count(t, d, tid("run", "continue-button"), want)
			run := d.Find(tid("run"))
			if got := run.AttrOr("data-events", ""); got != c.events {
				t.Errorf("data-events %q, want %q", got, c.events)
			}
			if got := run.AttrOr("data-group-pane", ""); got != c.group {
				t.Errorf("data-group-pane %q, want %q", got, c.group)
			}
		})
	}
}

func TestHistoryListStructure(t *testing.T) {
	entry := func(id, prompt string, st run.State, group string) history.Entry {
		return history.Entry{ID: id, GroupID: group, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ProviderName: "Simulator",
			ModelLabel: "Model", Status: st, Prompt: prompt}
	}
	for name, c := range map[string]struct {
		entries []history.Entry
		active  bool
		errs    map[string]string
		empty   string
	}{
		"three runs": {entries: []history.Entry{entry("a", "first", run.Completed, ""), entry("b", "second", run.Failed, "g1"), entry("c", "third", run.Completed, "")}},
		"none yet":   {empty: "No runs yet."},
		"none match": {active: true, empty: "No run matches these filters."},
		"bad dates":  {errs: map[string]string{"from": "Not a date.", "to": "Before from."}, active: true, empty: "No run matches"},
	} {
		t.Run(name, func(t *testing.T) {
			rows := NewHistoryRows(c.entries)
			d := render(t, HistoryPageView(HistoryPage{Title: "History", Rows: rows, Total: len(rows),
				Filter: HistoryFilter{Active: c.active, Errors: c.errs}, Keeps: "The history keeps every run."}))
			for _, id := range []string{"history", "export-history", "history-filter", "filter-provider", "filter-model",
				"filter-from", "filter-to", "filter-q", "filter-button", "history-count", "history-keeps"} {
				count(t, d, tid(id), 1)
			}
			count(t, d, tid("history-table", "history-row"), len(c.entries))
			if c.empty != "" {
				count(t, d, tid("history-table"), 0)
				if got := text(d, tid("history-empty")); !strings.HasPrefix(got, c.empty) {
					t.Errorf("empty note %q, want it to start with %q", got, c.empty)
				}
			} else {
				count(t, d, tid("history-empty"), 0)
			}
			d.Find(tid("history-row")).Each(func(i int, s *goquery.Selection) {
				e := c.entries[i]
				if got := s.Find(tid("history-open")).AttrOr("href", ""); got != "/history/runs/"+e.ID {
					t.Errorf("row %d opens %q", i, got)
				}
				if got := strings.TrimSpace(s.Find(tid("history-prompt")).Text()); got != e.Prompt {
					t.Errorf("row %d prompt %q, want %q", i, got, e.Prompt)
				}
				if got := strings.TrimSpace(s.Find(tid("history-status")).Text()); got != string(e.Status) {
					t.Errorf("row %d status %q, want %q", i, got, e.Status)
				}
			})
			// A date's error sits beside its own input, in the filter form.
			for _, f := range []string{"from", "to"} {
				if got := text(d, tid("history-filter", "error-"+f)); got != c.errs[f] {
					t.Errorf("error-%s %q, want %q", f, got, c.errs[f])
				}
				label := d.Find(tid("filter-" + f)).Parent()
				if label.Find(tid("error-"+f)).Length() != 1 {
					t.Errorf("error-%s is not beside filter-%s", f, f)
				}
			}
		})
	}
}

func TestHistoryRunStructure(t *testing.T) {
	svc := drafts(t)
	p, m := chatModel(t, svc)
	e, failed := sampleEntries(p, m, "One")
	for name, c := range map[string]struct {
		e        history.Entry
		readOnly bool
		share    string
		choices  int
		failed   bool
	}{
		"two choices":       {e: e, choices: 2},
		"shared, read-only": {e: e, readOnly: true, share: "https://x.invalid/share/s1", choices: 2},
		"failed":            {e: failed, failed: true},
	} {
		t.Run(name, func(t *testing.T) {
			rec := NewRunRecord(c.e, m, c.readOnly, c.share)
			d := render(t, RunRecordPageView(RunRecordPage{Title: "Run", Run: rec}))
			count(t, d, tid("run-record"), 1)
			if got := d.Find(tid("run-record")).AttrOr("data-run-id", ""); got != c.e.ID {
				t.Errorf("data-run-id %q", got)
			}
			if got := text(d, tid("record-status")); got != string(c.e.Status) {
				t.Errorf("status %q, want %q", got, c.e.Status)
			}
			count(t, d, tid("run-record", "record-choice"), c.choices)
			count(t, d, tid("record-choice", "record-answer"), c.choices)
			count(t, d, tid("record-curl"), 1)
			count(t, d, tid("record-prompt"), 1)
			count(t, d, tid("record-params"), 1)
			if c.choices == 2 {
				count(t, d, tid("record-reasoning"), 1)
				if got := text(d, tid("record-choice")+":nth-of-type(2) "+tid("record-reasoning")); got != "because" {
					t.Errorf("the second choice's reasoning %q", got)
				}
			}
			actions, note := 1, 0
			if c.readOnly {
				actions, note = 0, 1
			}
			count(t, d, tid("record-actions"), actions)
			count(t, d, tid("shared-note"), note)
			for _, id := range []string{"replay", "fork", "export-json", "export-curl", "export-sse"} {
				count(t, d, tid(id), actions)
			}
			if c.failed {
				count(t, d, tid("record-error"), 1)
				if got := text(d, tid("record-error")); !strings.Contains(got, "slow down") || !strings.Contains(got, "Wait a minute.") {
					t.Errorf("record error %q", got)
				}
			} else {
				count(t, d, tid("record-error"), 0)
			}
		})
	}
}

func TestSettingsStructure(t *testing.T) {
	cat := drafts(t).Catalog
	keyed := 0
	for _, p := range cat.Providers {
		if !p.Simulated {
			keyed++
		}
	}
	var first string
	for _, p := range cat.Providers {
		if !p.Simulated {
			first = p.ID
			break
		}
	}
	for name, c := range map[string]struct {
		keyErr map[string]string
		add    AddProviderForm
	}{
		"plain":                 {},
		"a key refused":         {keyErr: map[string]string{first: "The key was refused."}},
		"a provider form error": {add: AddProviderForm{Errors: map[string]string{"base_url": "Must be an https URL."}}},
	} {
		t.Run(name, func(t *testing.T) {
			pg := NewSettings(SettingsInput{Catalog: cat, Account: account.Account{}, Operator: func(*catalog.Provider) bool { return false },
				Models: func(account.Provider) ([]string, error) { return nil, nil }, KeyError: c.keyErr, Add: c.add})
			d := render(t, Settings(pg))
			count(t, d, tid("settings"), 1)
			count(t, d, tid("add-provider"), 1)
			count(t, d, `[data-testid^="key-"][data-testid!="key-input"]`, keyed)
			for _, p := range cat.Providers {
				want := 1
				if p.Simulated {
					want = 0
				}
				count(t, d, tid("key-"+p.ID), want)
				if want == 1 {
					count(t, d, tid("key-"+p.ID, "key-input"), 1)
					count(t, d, tid("key-"+p.ID, "save-key"), 1)
				}
			}
			// A refused key's message is in that provider's row, and no other.
			for id, msg := range c.keyErr {
				if got := text(d, tid("key-"+id)); !strings.Contains(got, msg) {
					t.Errorf("row key-%s does not say %q: %q", id, msg, got)
				}
				if n := d.Find(`[data-testid^="key-"]:contains("` + msg + `")`).Length(); n != 1 {
					t.Errorf("%q shows in %d key rows, want 1", msg, n)
				}
			}
			for f, msg := range c.add.Errors {
				if got := text(d, tid("add-provider")); !strings.Contains(got, msg) {
					t.Errorf("add-provider does not say %q for %s", msg, f)
				}
			}
		})
	}
}

func TestCompareStructure(t *testing.T) {
	svc := drafts(t)
	p, m := chatModel(t, svc)
	b := draft.Saved{Provider: p.ID, Model: m.ID, Form: formpkg.Decode(url.Values{"messages.role": {"user"}, "messages.content": {"Hello"}})}
	pane := func(over map[string]string) compare.Pane {
		var typed map[string]formpkg.Input
		for k, v := range over {
			if typed == nil {
				typed = map[string]formpkg.Input{}
			}
			typed[k] = formpkg.Text(v)
		}
		return compare.Pane{Provider: p.ID, Model: m.ID, Overrides: typed}
	}
	for name, c := range map[string]struct {
		panes []compare.Pane
		bad   int // pane number with a bad temperature (1-based), 0 for none
	}{
		"two panes":                 {panes: []compare.Pane{pane(nil), pane(nil)}},
		"three panes, one override": {panes: []compare.Pane{pane(nil), pane(map[string]string{"temperature": "0.2"}), pane(nil)}},
		"an override out of range":  {panes: []compare.Pane{pane(nil), pane(map[string]string{"temperature": "9"})}, bad: 2},
	} {
		t.Run(name, func(t *testing.T) {
			l := compare.Layout{Panes: c.panes}
			rs := compare.Resolve(svc, b, l)
			base := svc.Prepare(draft.Input{Provider: p.ID, Model: m.ID, Form: b.Form})
			d := render(t, ComparePageView(ComparePage{Title: "Compare", Form: NewCompareForm(svc.Catalog, base, rs, l, svc.KeySource)}))
			for _, id := range []string{"compare", "compare-form", "compare-base", "sweep-field", "sweep-values", "sweep-button",
				"run-all", "add-pane", "panes", "compare-output"} {
				count(t, d, tid(id), 1)
			}
			count(t, d, tid("panes")+` > [data-testid^="pane-"]`, len(c.panes))
			count(t, d, tid("compare-form", "field-messages", "message-row"), 1)
			for i := range c.panes {
				n := itoa(i + 1)
				count(t, d, tid("pane-"+n), 1)
				count(t, d, tid("pane-"+n, "pane-"+n+"-provider"), 1)
				count(t, d, tid("pane-"+n, "pane-"+n+"-model"), 1)
				count(t, d, tid("pane-"+n, "remove-pane-"+n), 1)
				ok, missing := 1, 0
				if i+1 == c.bad {
					ok, missing = 0, 1
				}
				count(t, d, tid("pane-"+n, "curl-"+n), ok)
				count(t, d, tid("pane-"+n, "curl-missing-"+n), missing)
			}
			// Each parameter's error slot is inside its parameter; only the
			// bad pane's temperature says something.
			errs := 0
			d.Find(`[data-testid^="param-"]`).Each(func(_ int, s *goquery.Selection) {
				id := strings.TrimPrefix(s.AttrOr("data-testid", ""), "param-")
				slot := s.Find(tid("error-" + id))
				if slot.Length() != 1 {
					t.Errorf("param %s holds %d error slots, want 1", id, slot.Length())
				}
				if msg := strings.TrimSpace(slot.Text()); msg != "" {
					errs++
					if pane := s.ParentsFiltered(`[data-testid^="pane-"]`).Last().AttrOr("data-testid", ""); pane != "pane-"+itoa(c.bad) || s.AttrOr("data-param", "") != "temperature" {
						t.Errorf("an error %q in %s's %s", msg, pane, s.AttrOr("data-param", ""))
					}
				}
			})
			if want := min(c.bad, 1); errs != want {
				t.Errorf("%d parameter errors, want %d", errs, want)
			}
		})
	}
}

// sampleEntries are a completed run of two choices (the first answering
// first) and the same run failed with a 429, as the history keeps them.
func sampleEntries(p *catalog.Provider, m *catalog.Model, first string) (done, failed history.Entry) {
	done = history.Entry{ID: "h1", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Provider: p.ID, ProviderName: p.Name,
		Model: m.ID, ModelLabel: m.Label(), Style: string(m.Style), Status: run.Completed, Prompt: "Hello",
		Form:   formpkg.Decode(url.Values{"messages.role": {"user"}, "messages.content": {"Hello"}, "temperature": {"0.5"}}),
		Curl:   "curl https://example.invalid",
		Output: run.Output{Choices: []run.ChoiceOutput{{Index: 0, Text: first}, {Index: 1, Text: "Two", Reasoning: "because"}}}}
	failed = done
	failed.ID, failed.Status, failed.Output = "h2", run.Failed, run.Output{}
	failed.Failure = &run.ErrorView{Message: "429 Too Many Requests: slow down", Hint: "Wait a minute."}
	return done, failed
}
