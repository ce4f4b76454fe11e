package views

import (
	"cmp"
	"fmt"
	"maps"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/units"
)

// ExperimentPage is the experiment view.
type ExperimentPage struct {
	Title  string
	Assets Assets
	CSRF   string
	Form   ExperimentForm
	// Grid is the session's latest experiment, while the server holds it.
	Grid *ExperimentGrid
}

// ExperimentForm is the setup: the columns it runs (from compare), the
// variables, the case table, the checks, the repeats and the summary.
type ExperimentForm struct {
	Setup      experiment.Setup
	Errors     map[string]string
	BaseLabel  string
	Panes      []string
	Vars       []string
	CheckKinds []CheckKind
	Summary    ExperimentSummary
}

// CheckKind is a kind of check the page can add, with its template.
type CheckKind struct{ Name, Template string }

// ExperimentSummary is what the experiment will make: its runs and their
// estimated cost, or why it cannot start.
type ExperimentSummary struct {
	Ready   bool
	Runs    int
	Cases   int
	Panes   int
	Repeats int
	// Cost is the estimated range per currency ("$0.0010 – $0.0200"),
	// Credits in credits; Unpriced counts runs of no known price.
	Cost     string
	Credits  string
	Unpriced int
	Uncapped int
	Judged   bool
	Confirm  bool
	// Problem is the first error, for the line beside the button.
	Problem string
}

// NewExperimentForm is the form of a page state.
func NewExperimentForm(st *experiment.State) ExperimentForm {
	f := ExperimentForm{Setup: st.Setup, Errors: st.Errors, Vars: st.Vars, BaseLabel: st.Columns.Base.Provider + " · " + st.Columns.Base.Model}
	for _, k := range checks.Kinds {
		f.CheckKinds = append(f.CheckKinds, CheckKind{Name: string(k), Template: checks.Template(k)})
	}
	for _, r := range st.Columns.Panes {
		l := r.Draft.Provider.Name + " · " + r.Draft.Model.Label()
		if o := compare.OverridesLabel(r); o != "" {
			l += " · " + o
		}
		f.Panes = append(f.Panes, l)
	}
	if st.Plan == nil {
		for _, k := range []string{experiment.FieldPanes, experiment.FieldFile, experiment.FieldCases, experiment.FieldChecks, experiment.FieldRepeats, experiment.FieldMinPassRate} {
			if m := st.Errors[k]; m != "" {
				f.Summary.Problem = m
				break
			}
		}
		return f
	}
	e := st.Estimate
	f.Summary = ExperimentSummary{Ready: true, Runs: e.Runs, Cases: len(st.Plan.Cases), Panes: len(st.Plan.Panes), Repeats: st.Plan.Repeats,
		Cost: costRange(e.Min, e.Max, e.Uncapped > 0), Unpriced: e.Unpriced, Uncapped: e.Uncapped, Judged: e.Judged, Confirm: st.Confirm}
	if e.MaxCredits != nil {
		f.Summary.Credits = cost.FormatCredits(e.MinCredits) + " – " + cost.FormatCredits(e.MaxCredits)
	}
	return f
}

// costRange is each currency's range, "$0.001 – $0.02 + ¥0 – ¥0.5"
// ("$0.001 or more" when a run sets no output cap).
func costRange(lo, hi experiment.Costs, unbounded bool) string {
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(hi)) {
		if unbounded {
			parts = append(parts, cost.Format(lo[cur], cur)+" or more")
			continue
		}
		parts = append(parts, cost.Format(lo[cur], cur)+" – "+cost.Format(hi[cur], cur))
	}
	if len(parts) == 0 {
		return "no cost"
	}
	return strings.Join(parts, " + ")
}

// ExperimentGrid is an experiment's results as they come: progress,
// per-pane statistics, the cases × panes grid, the blind comparison.
type ExperimentGrid struct {
	ID      string
	Running bool
	Stopped bool
	Done    int
	Failed  int
	Total   int
	Cost    string
	Verdict string
	OK      bool
	Panes   []ExperimentPaneStats
	Cases   []ExperimentCase
	// Show is how the cases are filtered and ordered; Shown counts the
	// cases shown.
	Show  ExperimentShow
	Shown int
	// Blind is the next blind pair (nil when none), Wins the win rates.
	Blind *ExperimentPair
	Wins  []ExperimentWin
	Votes int
	// ReadOnly is a stored experiment (history, share): no buttons;
	// Links links each cell to its run (the owner's history, not a share).
	ReadOnly bool
	Links    bool
}

// ExperimentPaneStats are one pane's statistics.
type ExperimentPaneStats struct {
	Label  string
	Passed int
	Cells  int
	// PassRate is over the cells answered and checked (Checked); Errored
	// cells got no answer.
	PassRate  string
	Checked   int
	Errored   int
	Cost      string
	P50, P90  string
	Agreement string
}

// ExperimentCase is one row of the grid: the case's values and each
// pane's cells.
type ExperimentCase struct {
	Index    int
	Number   string
	Vars     []ExperimentVar
	Panes    []ExperimentPaneCells
	Failed   bool
	Disagree bool
	// Failures counts its cells that failed, Slowest is its slowest
	// cell's latency: what the sorts order by.
	Failures int
	Slowest  time.Duration
}

// ExperimentShow is which cases the grid shows and in which order.
type ExperimentShow struct {
	// Filter is "" (every case), "failed" (a cell failed) or "disagree"
	// (a pane's repeats differ).
	Filter string
	// Sort is "" (the table's order), "failures" (most failed cells
	// first) or "slowest" (the slowest cell first).
	Sort string
}

// ExperimentShowOf is the show asked for, an unknown value read as the
// default.
func ExperimentShowOf(filter, sort string) ExperimentShow {
	var sh ExperimentShow
	if filter == "failed" || filter == "disagree" {
		sh.Filter = filter
	}
	if sort == "failures" || sort == "slowest" {
		sh.Sort = sort
	}
	return sh
}

// With is sh with the filter f.
func (sh ExperimentShow) With(f string) ExperimentShow { sh.Filter = f; return sh }

// Query is sh as the grid's query string.
func (sh ExperimentShow) Query() string {
	return url.Values{"filter": {sh.Filter}, "sort": {sh.Sort}}.Encode()
}

// FilterQuery is the filter alone as a query string (the order's select
// adds its own value).
func (sh ExperimentShow) FilterQuery() string { return url.Values{"filter": {sh.Filter}}.Encode() }

// checksPlaceholder is the checks box's example, on two lines.
const checksPlaceholder = "- type: contains\n  values: [\"{{expected}}\"]"

// ExperimentSorts are the grid's orders, as value and label.
var ExperimentSorts = []KV{{"", "table order"}, {"failures", "most failures first"}, {"slowest", "slowest first"}}

// ExperimentVar is one of a case's values.
type ExperimentVar struct{ Name, Value string }

// ExperimentPaneCells are one pane's repeats of a case.
type ExperimentPaneCells struct {
	Label    string
	Cells    []ExperimentCell
	Disagree bool
}

// ExperimentCell is one run of the grid.
type ExperimentCell struct {
	Case, Pane, Repeat int
	// State is waiting, running, pass, fail or error.
	State string
	RunID string
	Text  string
	// Partial is the answer so far while the cell streams.
	Partial string
	Error   string
	Checks  []ExperimentCheck
	Latency string
	Cost    string
}

// RetryQuery is the cell's address for the retry button.
func (c ExperimentCell) RetryQuery() string {
	return fmt.Sprintf("case=%d&pane=%d&repeat=%d", c.Case, c.Pane, c.Repeat)
}

// ExperimentCheck is a check's result in a cell.
type ExperimentCheck struct {
	Name   string
	Pass   bool
	Reason string
	// Judge is the judge's prompt and answer, when a model graded it.
	JudgePrompt, JudgeAnswer string
	Simulated                bool
}

// ExperimentPair is a blind vote's two answers, unnamed.
type ExperimentPair struct {
	// Token names the pair on the server, which alone knows its panes.
	Token string
	Case  int
	Vars  []ExperimentVar
	TextA string
	TextB string
}

// ExperimentWin is a pane's blind record.
type ExperimentWin struct {
	Label              string
	Votes              int
	Wins, Losses, Ties int
	Rate               string
}

// NewExperimentGrid is the grid of a snapshot, its cases filtered and
// ordered as show says, with the blind pair offered (nil: none).
func NewExperimentGrid(s experiment.Snapshot, show ExperimentShow, pair *experiment.Offer) ExperimentGrid {
	rep := s.Report
	g := ExperimentGrid{ID: s.ID, Running: s.Running, Stopped: s.Stopped, Done: s.Done, Failed: s.Failed, Total: rep.Total,
		Cost: rep.Cost.String(), Verdict: s.Verdict(), OK: rep.OK, Show: show, Votes: len(s.Votes)}
	if len(rep.Cost) == 0 {
		g.Cost = "—" // nothing priced has ended yet
	}
	filter := show.Filter
	for _, p := range rep.Panes {
		st := ExperimentPaneStats{Label: p.Label, Passed: p.Passed, Cells: p.Cells, Checked: p.Checked, Errored: p.Errored, PassRate: percentOf(p.PassRate, p.Checked > 0),
			Cost: p.Cost.String(), P50: units.Duration(p.P50), P90: units.Duration(p.P90), Agreement: "—"}
		if p.Repeated > 0 {
			st.Agreement = percentOf(p.Agreement, true) + " of " + units.Plural(p.Repeated, "case", "cases")
		}
		g.Panes = append(g.Panes, st)
	}
	byCell := map[experiment.Cell]experiment.CellReport{}
	for _, c := range rep.Cells {
		byCell[c.Cell] = c
	}
	for ci, cs := range s.Plan.Cases {
		row := ExperimentCase{Index: ci, Number: strconv.Itoa(ci + 1)}
		row.Vars = varsOf(cs.Vars)
		for pi, pane := range s.Plan.Panes {
			pc := ExperimentPaneCells{Label: pane.Label}
			texts := map[string]bool{}
			for r := range s.Plan.Repeats {
				cell := experiment.Cell{Case: ci, Pane: pi, Repeat: r}
				v := cellView(cell, s.States[cell], byCell[cell])
				if v.State == "waiting" && s.Stopped && !s.Running {
					v.State = "skipped" // stopped before its turn
				}
				if v.State == "fail" || v.State == "error" {
					row.Failed = true
					row.Failures++
				}
				if r := byCell[cell]; s.States[cell].Done && r.Latency > row.Slowest {
					row.Slowest = r.Latency
				}
				if v.State == "pass" || v.State == "fail" {
					texts[strings.TrimSpace(v.Text)] = true
				}
				pc.Cells = append(pc.Cells, v)
			}
			pc.Disagree = len(texts) > 1
			row.Disagree = row.Disagree || pc.Disagree
			row.Panes = append(row.Panes, pc)
		}
		if (filter == "failed" && !row.Failed) || (filter == "disagree" && !row.Disagree) {
			continue
		}
		g.Cases = append(g.Cases, row)
	}
	switch show.Sort {
	case "failures":
		slices.SortStableFunc(g.Cases, func(a, b ExperimentCase) int { return b.Failures - a.Failures })
	case "slowest":
		slices.SortStableFunc(g.Cases, func(a, b ExperimentCase) int { return cmp.Compare(b.Slowest, a.Slowest) })
	}
	g.Shown = len(g.Cases)
	if pair != nil {
		g.Blind = &ExperimentPair{Token: pair.Token, Case: pair.Case, TextA: pair.TextA, TextB: pair.TextB, Vars: varsOf(s.Plan.Cases[pair.Case].Vars)}
	}
	for _, w := range s.WinRates {
		g.Wins = append(g.Wins, ExperimentWin{Label: s.Plan.Panes[w.Pane].Label, Votes: w.Votes, Wins: w.Wins, Losses: w.Losses, Ties: w.Ties,
			Rate: percentOf(w.Rate, w.Votes > 0)})
	}
	return g
}

// varsOf are a case's values by name.
func varsOf(vs map[string]string) []ExperimentVar {
	var out []ExperimentVar
	for _, k := range slices.Sorted(maps.Keys(vs)) {
		out = append(out, ExperimentVar{Name: k, Value: vs[k]})
	}
	return out
}

func cellView(c experiment.Cell, st experiment.CellState, r experiment.CellReport) ExperimentCell {
	v := ExperimentCell{Case: c.Case, Pane: c.Pane, Repeat: c.Repeat, RunID: st.RunID, State: "waiting"}
	switch {
	case st.Running:
		v.State, v.Partial = "running", st.Partial
		return v
	case !st.Done:
		return v
	}
	v.RunID, v.Text, v.Error, v.Latency = r.RunID, r.Text, r.Error, units.Duration(r.Latency)
	v.Cost = "—"
	if r.Cost != nil && r.Cost.Known && r.Cost.Total != nil {
		v.Cost = cost.Format(r.Cost.Total.Rat(), r.Cost.Currency)
	}
	switch {
	case r.Pass:
		v.State = "pass"
	case r.Error != "" && len(r.Checks) == 0:
		v.State = "error"
	default:
		v.State = "fail"
	}
	for _, cr := range r.Checks {
		ch := ExperimentCheck{Name: checkName(cr.Check), Pass: cr.Pass, Reason: cr.Reason}
		if cr.Verdict != nil {
			ch.JudgePrompt, ch.JudgeAnswer, ch.Simulated = cr.Verdict.Prompt, cr.Verdict.Answer, cr.Verdict.Simulated
		}
		v.Checks = append(v.Checks, ch)
	}
	return v
}

func checkName(c checks.Check) string {
	if c.Name != "" {
		return c.Name
	}
	return string(c.Type)
}

// percentOf writes a rate as a whole percent ("83 %"), "—" when there is
// none.
func percentOf(r float64, has bool) string {
	if !has {
		return "—"
	}
	return new(big.Float).SetFloat64(r*100).Text('f', 0) + " %"
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func orAll(v string) string {
	if v == "" {
		return "all"
	}
	return v
}

func cellBadge(state string) string {
	switch state {
	case "pass":
		return "bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100"
	case "fail", "error":
		return "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100"
	case "running":
		return "bg-indigo-100 text-indigo-900 dark:bg-indigo-900 dark:text-indigo-100"
	}
	return "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200"
}

func cellStateLabel(state string) string {
	switch state {
	case "pass":
		return "passed"
	case "fail":
		return "failed"
	case "error":
		return "no answer"
	case "running":
		return "streaming…"
	case "skipped":
		return "not run"
	}
	return "waiting"
}

// casesPlaceholder shows the table's header for the prompt's variables.
func casesPlaceholder(vars []string) string {
	if len(vars) == 0 {
		return "city\tcountry\nParis\tFrance"
	}
	return strings.Join(vars, "\t") + "\texpected\n" + strings.Repeat("…\t", len(vars)) + "…"
}

// blindVals is a vote's form values: the pair's token and the pick.
func blindVals(g ExperimentGrid, pick string) string {
	return `{"pair":"` + g.Blind.Token + `","pick":"` + pick + `"}`
}

// ExperimentRecordPage is a kept experiment's page.
type ExperimentRecordPage struct {
	Title, CSRF string
	Assets      Assets
	Name, When  string
	// Shared is the read-only page of a share link.
	Shared   bool
	ShareURL string
	Actions  ExperimentActions
	Grid     ExperimentGrid
	// Problem says why the grid cannot be shown (the catalog changed).
	Problem string
}

// ExperimentActions are the URLs of what the owner can do with a kept
// experiment.
type ExperimentActions struct{ Export, Share, Unshare, Delete string }

// NewExperimentRecordPage is the page of a kept experiment; err is why
// its snapshot could not be read.
func NewExperimentRecordPage(x history.Experiment, s experiment.Snapshot, err error, shared bool, shareURL string) ExperimentRecordPage {
	base := "/history/experiments/" + x.ID
	p := ExperimentRecordPage{Name: x.Title, When: when(x.Created), Shared: shared, ShareURL: shareURL,
		Actions: ExperimentActions{Export: base + "/export.yaml", Share: base + "/share", Unshare: base + "/unshare", Delete: base + "/delete"}}
	if err != nil {
		p.Problem = err.Error()
		return p
	}
	p.Grid = NewExperimentGrid(s, ExperimentShow{}, nil)
	p.Grid.ReadOnly, p.Grid.Links = true, !shared
	return p
}

// ExperimentItem is a kept experiment in the history's list.
type ExperimentItem struct {
	ID, Title, When, Summary string
	Shared                   bool
}

// NewExperimentItems are the history's list of experiments.
func NewExperimentItems(items []history.ExperimentItem) []ExperimentItem {
	out := make([]ExperimentItem, len(items))
	for i, it := range items {
		out[i] = ExperimentItem{ID: it.ID, Title: it.Title, When: when(it.Created), Summary: it.Summary, Shared: it.Shared}
	}
	return out
}
