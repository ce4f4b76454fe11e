package experiment

import (
	"log/slog"
	"math/big"

	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/vars"
)

// Page is the experiment page's application: a session's setup (kept
// between visits, as typed), its columns (the compare view's prompt and
// panes), the plan and estimate they make, and starting it.
type Page struct {
	Compare *compare.Service
	// Setups keep each session's setup; nil keeps none.
	Setups *draft.Store
	Lives  *Lives
	// Runs starts the cells' runs.
	Runs Starter
	// ConfirmAbove is the threshold above which starting asks first, by
	// currency (DefaultConfirmAbove when nil).
	ConfirmAbove map[string]*big.Rat
	Log          *slog.Logger
}

// State is the page as it stands for a session.
type State struct {
	Setup   Setup
	Columns Columns
	// Vars are the prompt's variables (every pane's), Errors the setup's
	// and the columns' errors by field.
	Vars   []string
	Errors Errors
	// File is the experiment file of the page (nil while an error
	// stands), Plan its plan and Estimate its cost.
	File     []byte
	Plan     *Plan
	Estimate Estimate
	// Confirm is set when the estimate is above the threshold: starting
	// needs the person's yes.
	Confirm bool
}

func (pg *Page) runner(owner string, drafts *draft.Service) *Runner {
	return &Runner{Drafts: drafts, Runs: pg.Runs, Owner: owner, Judge: RunJudge(drafts, pg.Runs, owner)}
}

func (pg *Page) load(owner string) Setup {
	var s Setup
	if pg.Setups == nil || !pg.Setups.Get(owner, &s) {
		s = Setup{Repeats: "1"}
	}
	return s
}

// state composes s over the session's columns.
func (pg *Page) state(owner string, drafts *draft.Service, s Setup) *State {
	cst := pg.Compare.View(owner, drafts)
	st := &State{Setup: s, Columns: Columns{Base: cst.Base, Panes: cst.Resolved}, Errors: Errors{}}
	seen := map[string]bool{}
	for _, r := range cst.Resolved {
		names, err := vars.OfDraft(r.Draft.Model.Fields(), r.Draft.Form)
		if err != nil {
			st.Errors[FieldPanes] = problem.Of(err).Message
			continue
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				st.Vars = append(st.Vars, n)
			}
		}
	}
	file, plan, errs := Compose(drafts.Catalog, st.Columns, s)
	for k, v := range errs {
		if st.Errors[k] == "" {
			st.Errors[k] = v
		}
	}
	if len(st.Errors) > 0 {
		return st
	}
	st.File, st.Plan = file, plan
	st.Estimate = pg.runner(owner, drafts).Estimate(plan)
	above := pg.ConfirmAbove
	if above == nil {
		above = DefaultConfirmAbove()
	}
	st.Confirm = st.Estimate.NeedsConfirm(above)
	return st
}

// View is the session's page as it stands.
func (pg *Page) View(owner string, drafts *draft.Service) *State {
	return pg.state(owner, drafts, pg.load(owner))
}

// Promptfoo is the page's experiment as a promptfoo config, or the
// errors that stand in the way of one.
func (pg *Page) Promptfoo(owner string, drafts *draft.Service) ([]byte, error) {
	st := pg.View(owner, drafts)
	if st.Plan == nil {
		return nil, st.Errors
	}
	return PromptfooConfig(st.Plan, drafts.Catalog)
}

// Preview keeps a posted setup and composes it.
func (pg *Page) Preview(owner string, drafts *draft.Service, s Setup) *State {
	pg.save(owner, s)
	return pg.state(owner, drafts, s)
}

func (pg *Page) save(owner string, s Setup) {
	if pg.Setups == nil {
		return
	}
	if err := pg.Setups.Put(owner, s); err != nil && pg.Log != nil {
		pg.Log.Warn("could not keep the experiment", "err", err)
	}
}

// Start keeps and composes a posted setup, then starts it, unless an
// error stands or the estimate needs a yes that confirmed does not give
// (then the state says so and nothing starts).
func (pg *Page) Start(owner string, drafts *draft.Service, s Setup, confirmed bool) (*State, *Live, error) {
	st := pg.Preview(owner, drafts, s)
	if st.Plan == nil || (st.Confirm && !confirmed) {
		return st, nil, nil
	}
	l, err := pg.Lives.Start(owner, pg.runner(owner, drafts), st.Plan, st.File)
	return st, l, err
}

// Import reads an experiment file into the session's page: its prompt
// and panes into the compare view, the rest into the setup. A bad file
// changes nothing and says why (Errors[FieldFile]).
func (pg *Page) Import(owner string, drafts *draft.Service, name string, data []byte) (*State, Errors) {
	im, errs := Import(drafts.Catalog, name, data)
	if errs != nil {
		st := pg.View(owner, drafts)
		st.Errors = errs
		return st, errs
	}
	if err := pg.Compare.Fork(owner, im.Base, im.Layout); err != nil {
		st := pg.View(owner, drafts)
		st.Errors = Errors{FieldFile: "could not keep the imported panes: " + err.Error()}
		return st, st.Errors
	}
	return pg.Preview(owner, drafts, im.Setup), nil
}
