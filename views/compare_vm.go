package views

import (
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
)

// ComparePage is the compare view.
type ComparePage struct {
	Title  string
	Assets Assets
	CSRF   string
	Form   CompareForm
	// Runs are the last comparison's panes while the server holds them.
	Runs *CompareRuns
}

// CompareForm is the base prompt, the sweep helper and the panes.
type CompareForm struct {
	BaseProvider string
	BaseModel    string
	BaseLabel    string
	// Prompt are the base form's prompt fields, edited here for every pane.
	Prompt      []Field
	Panes       []PaneView
	CanAdd      bool
	CanRemove   bool
	SweepFields []Option
	SweepValues string
	SweepErrors map[string]string
	// Message explains why nothing ran (errors in panes).
	Message string
}

// PaneView is one pane's settings.
type PaneView struct {
	Index     int
	Number    string
	Prefix    string // input name prefix: pane.N.
	Providers []Option
	Models    []Option
	Simulated bool
	// Params are the parameters with a value, an override or an error;
	// More the rest (unset, inherited), folded.
	Params     []PaneParam
	More       []PaneParam
	Curl       string
	ErrorCount int
	// Problems name the pane's fields that need attention, linked to
	// their inputs where the pane has one.
	Problems  []Problem
	Overrides int
}

// PaneParam is a parameter of a pane: its value, inherited or overridden.
type PaneParam struct {
	Name      string
	InputName string
	ID        string
	Label     string
	Type      string
	Value     string
	Inherited string
	Override  bool
	Error     string
	Enum      []string
	Hint      string
}

// InheritedLabel shows the inherited value ("not set" for none).
func (p PaneParam) InheritedLabel() string {
	if p.Inherited == "" {
		return "not set"
	}
	return p.Inherited
}

// NewCompareForm builds the form from the base draft and the resolved panes.
func NewCompareForm(cat *catalog.Catalog, base draft.Result, panes []compare.Resolved, l compare.Layout, keys func(*catalog.Provider) draft.KeySource) CompareForm {
	f := CompareForm{
		BaseProvider: base.Provider.ID,
		BaseModel:    base.Model.ID,
		BaseLabel:    base.Provider.Name + " · " + base.Model.Label(),
		CanAdd:       len(panes) < compare.MaxPanes,
		CanRemove:    len(panes) > compare.MinPanes,
		SweepValues:  l.SweepValues,
	}
	for _, fl := range base.Model.Fields() {
		if form.IsPrompt(fl) {
			f.Prompt = append(f.Prompt, newField(fl, base))
		}
	}
	for _, sf := range compare.SweepFields(base.Model) {
		f.SweepFields = append(f.SweepFields, Option{Value: sf.Name, Label: sf.DisplayLabel() + " (" + sf.Name + ")", Selected: sf.Name == l.SweepField})
	}
	for _, r := range panes {
		f.Panes = append(f.Panes, newPaneView(cat, r, keys))
	}
	return f
}

func newPaneView(cat *catalog.Catalog, r compare.Resolved, keys func(*catalog.Provider) draft.KeySource) PaneView {
	pre := compare.PanePrefix(r.Index)
	v := PaneView{
		Index:      r.Index,
		Number:     strconv.Itoa(r.Index + 1),
		Prefix:     pre,
		Providers:  providerOptions(cat, r.Draft.Provider.ID, keys),
		Models:     modelOptions(cat, r.Draft.Provider.ID, r.Draft.Model.ID),
		Simulated:  r.Draft.Provider.Simulated,
		Curl:       r.Draft.CurlShown,
		ErrorCount: len(r.Draft.Errors),
	}
	for _, p := range r.Params {
		fv := newField(p.Field, r.Draft)
		pp := PaneParam{
			Name: p.Field.Name, InputName: pre + "f." + p.Field.Name, ID: "p" + strconv.Itoa(r.Index) + "-" + p.Field.Name,
			Label: fv.Label, Type: fv.Type, Value: p.Value, Inherited: p.Inherited, Override: p.Override, Error: p.Error,
			Enum: p.Field.Enum, Hint: fv.Hint,
		}
		if p.Override {
			v.Overrides++
		}
		if pp.Value == "" && !pp.Override && pp.Error == "" {
			v.More = append(v.More, pp)
			continue
		}
		v.Params = append(v.Params, pp)
	}
	v.Problems = paneProblems(r, v.Params)
	// A pane-wide error (a request that cannot be built) has no field.
	if e := r.Draft.Errors[""]; e != "" {
		v.Params = append(v.Params, PaneParam{Name: "", ID: "p" + strconv.Itoa(r.Index) + "-request", Error: e})
	}
	return v
}

// CompareRuns is a comparison's output: a run panel per pane that
// started, an error for those that did not, and the total cost.
type CompareRuns struct {
	GroupID    string
	EventsURL  string
	HistoryURL string
	DiffURL    string
	Panes      []ComparePaneRun
	// PaneOptions pick the two panes to diff.
	PaneOptions []Option
	// Total is the cost so far (GroupTotal); the event stream carries it
	// again with each pane's done event.
	Total string
	// Running says how many panes run ("3 panes running"); the page counts
	// them down as they finish.
	Running string
}

// ComparePaneRun is one pane's run, or why it did not start.
type ComparePaneRun struct {
	Index  int
	Number string
	Label  string
	Run    *Run
	Error  string
	Hint   string
}

// NewCompareRuns builds the output of a comparison. runs has a run or nil
// per pane; errs the reason for each nil.
func NewCompareRuns(group string, labels []string, runs []*run.Run, errs [][2]string) CompareRuns {
	panels := make([]*Run, len(runs))
	var logs []run.Log
	for i, rn := range runs {
		if rn != nil {
			rv := NewRun(rn)
			panels[i] = &rv
			logs = append(logs, rn)
		}
	}
	return NewCompareRunsOf(group, labels, panels, logs, errs)
}

// NewCompareRunsOf builds the output of a comparison from each pane's
// panel (nil for a pane that did not start, errs saying why) and the
// logs of those that did: runs of this process or of another instance.
func NewCompareRunsOf(group string, labels []string, panels []*Run, logs []run.Log, errs [][2]string) CompareRuns {
	v := CompareRuns{GroupID: group, EventsURL: "/compare/" + group + "/events", HistoryURL: "/history/comparisons/" + group,
		DiffURL: "/history/comparisons/" + group + "/diff"}
	for i := range labels {
		p := ComparePaneRun{Index: i, Number: strconv.Itoa(i + 1), Label: labels[i], Run: panels[i]}
		if panels[i] == nil {
			p.Error, p.Hint = errs[i][0], errs[i][1]
		}
		v.Panes = append(v.Panes, p)
		v.PaneOptions = append(v.PaneOptions, Option{Value: strconv.Itoa(i), Label: "Pane " + p.Number + ": " + labels[i]})
	}
	v.Total = GroupTotal(logs)
	if started := len(logs); started > 0 {
		v.Running = Plural(started, "pane", "panes") + " running"
	}
	return v
}

// Diff is the difference between two panes: their differing parameters
// and the word diff of their outputs, drawn inline (Segments) and side by
// side (Rows); the page shows one of the two (a toggle, no request).
type Diff struct {
	ALabel string
	BLabel string
	Params []compare.ParamRow
	// Segments are the inline diff: both texts in one flow.
	Segments []DiffSegment
	// Rows are the side-by-side diff: each text in its column, a row of
	// the two from one fold to the next.
	Rows []DiffRow
	Same bool
	Note string
	// Only is set when unchanged stretches are folded.
	Only bool
	// Removed and Added count the changed words of each side.
	Removed, Added int
}

// DiffSegment is a run of the word diff: Op is "eq", "del" or "ins". A
// folded run (Fold) shows as a line with its word count and opens in
// place; ID names its switch. Blank marks a changed run of spaces only
// (what the page shows for it: "⏎" for a line break, "·" for spaces).
type DiffSegment struct {
	Op    string
	Text  string
	Fold  string
	ID    string
	Blank string
}

// DiffRow is one row of the side-by-side diff: the two columns' runs, or
// one folded stretch both share (Fold).
type DiffRow struct {
	Left, Right []DiffSegment
	Fold        *DiffSegment
}

// FoldLabel is what a folded stretch of n words shows.
func FoldLabel(n int) string {
	return "… " + Plural(n, "unchanged word", "unchanged words") + " …"
}

// NewDiff builds the diff view of two runs' parameters and the word diff
// of their outputs (wd, which may be shared: it is only read); only folds
// the unchanged stretches to a few words of context.
func NewDiff(aLabel, bLabel string, a, b compare.Side, wd compare.WordDiff, only bool) Diff {
	d := Diff{ALabel: aLabel, BLabel: bLabel, Params: compare.DifferingParams(a, b), Note: wd.Note()}
	segs := wd.Segments
	d.Same = !compare.Changed(segs)
	if only && !d.Same {
		segs = compare.OnlyDifferences(segs, 4)
		d.Only = true
	}
	row := DiffRow{}
	flush := func() {
		if len(row.Left) > 0 || len(row.Right) > 0 {
			d.Rows = append(d.Rows, row)
		}
		row = DiffRow{}
	}
	for i, s := range segs {
		v := DiffSegment{Op: "eq", Text: s.Text}
		switch s.Op {
		case compare.Removed:
			v.Op = "del"
			d.Removed += compare.CountWords(s.Text)
		case compare.Added:
			v.Op = "ins"
			d.Added += compare.CountWords(s.Text)
		}
		if s.Op != compare.Equal && strings.TrimSpace(s.Text) == "" {
			v.Blank = "·"
			if strings.ContainsAny(s.Text, "\r\n") {
				v.Blank = "⏎"
			}
		}
		if s.Folded {
			v.Fold, v.ID = FoldLabel(s.Words), "fold-"+strconv.Itoa(i)
		}
		d.Segments = append(d.Segments, v)
		switch {
		case s.Folded:
			flush()
			f := v
			d.Rows = append(d.Rows, DiffRow{Fold: &f})
		case s.Op == compare.Removed:
			row.Left = append(row.Left, v)
		case s.Op == compare.Added:
			row.Right = append(row.Right, v)
		default:
			row.Left = append(row.Left, v)
			row.Right = append(row.Right, v)
		}
	}
	flush()
	return d
}

// Counts says how many words each side changed ("3 words removed, 5
// added").
func (d Diff) Counts() string {
	return Plural(d.Removed, "word", "words") + " removed, " + strconv.Itoa(d.Added) + " added"
}

// PanesNeedAttention says which panes (numbered from 1) kept a comparison
// from starting.
func PanesNeedAttention(panes []int) string {
	nums := make([]string, len(panes))
	for i, p := range panes {
		nums[i] = strconv.Itoa(p)
	}
	return "Nothing was sent: " + Plural(len(panes), "pane needs", "panes need") + " attention (" + strings.Join(nums, ", ") + ")."
}

// NewPaneDiff is the diff view of two panes of a comparison; only keeps
// the changed words with some context.
func NewPaneDiff(pd compare.PaneDiff, only bool) Diff {
	if !pd.Picked {
		return Diff{Note: "Pick two panes of this comparison."}
	}
	d := NewDiff("Pane "+strconv.Itoa(pd.A.Pane+1), "Pane "+strconv.Itoa(pd.B.Pane+1), pd.A.Side, pd.B.Side, pd.Words, only)
	d.Note = strings.TrimSpace(pd.Note + " " + d.Note)
	return d
}

// paneProblems names a pane's errors: a parameter of the pane links to its
// input; a field of the base form (the prompt) is named by its label.
func paneProblems(r compare.Resolved, params []PaneParam) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for _, p := range params {
		if p.Error != "" && p.Name != "" {
			out = append(out, Problem{Name: p.Name, Label: p.Label, ID: p.ID, Message: p.Error})
			seen[p.Name] = true
		}
	}
	for _, f := range r.Draft.Model.Fields() {
		if msg := r.Draft.Errors[f.Name]; msg != "" && !seen[f.Name] {
			out = append(out, Problem{Name: f.Name, Label: f.DisplayLabel(), Message: msg})
			seen[f.Name] = true
		}
	}
	return out
}
