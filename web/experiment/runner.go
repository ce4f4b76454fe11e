package experiment

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/vars"
)

// Starter starts a run (run.Manager's TryStart: the limits hold).
type Starter interface {
	TryStart(run.Spec) (*run.Run, error)
}

// ThrottleWait is how long a cell refused by a limit that frees up as a
// run ends (runs at once) waits before it is tried again.
const ThrottleWait = time.Second

// Runner runs a plan's cells: each cell's draft filled with its case's
// values, checked and sent as the playground sends it, its answer
// checked.
type Runner struct {
	Drafts *draft.Service
	Runs   Starter
	// Owner is the session (or the command line's owner) the runs are
	// kept under.
	Owner string
	// Group is kept with each run (run.Origin.Group), to find an
	// experiment's runs in the history.
	Group string
	Sched Scheduler
	// Judge grades the judge checks; nil fails them with a reason.
	Judge checks.Judge
	// Started, when set, is told each cell's run as it starts (the page
	// shows the cell as streaming, with a link to the run).
	Started func(c Cell, r *run.Run)
}

// CellResult is one cell's outcome: the run (its id, for its page), the
// answer and the checks' results, or why it never ran.
type CellResult struct {
	Cell  Cell      `json:"cell"`
	RunID string    `json:"run_id,omitempty"`
	State run.State `json:"state,omitempty"`
	// Error says why the cell has no answer: its draft could not be sent
	// (a field's error, a missing key) or the provider failed.
	Error   string          `json:"error,omitempty"`
	Text    string          `json:"text"`
	Finish  []string        `json:"finish,omitempty"`
	Latency time.Duration   `json:"latency_ns"`
	Cost    *run.Cost       `json:"cost,omitempty"`
	Checks  []checks.Result `json:"checks"`
	// Pass: the cell has an answer and every check passed.
	Pass bool `json:"pass"`
}

// Run runs cells of p (all of them: p.Cells()), calling report as each
// ends; it returns the cells that never ran (Stop: ctx done).
func (x *Runner) Run(ctx context.Context, p *Plan, cells []Cell, report func(CellResult)) []Cell {
	sched := x.Sched
	if sched.PerProvider == 0 {
		sched.PerProvider = p.File.Concurrency
	}
	jobs := make([]Job, len(cells))
	for i, c := range cells {
		jobs[i] = Job{Cell: c, Provider: p.Panes[c.Pane].Provider}
	}
	unrun := Run(ctx, sched, jobs, func(ctx context.Context, j Job) Attempt[CellResult] {
		return x.cell(ctx, p, j.Cell)
	}, func(j Job, r CellResult) { report(r) })
	out := make([]Cell, len(unrun))
	for i, j := range unrun {
		out[i] = j.Cell
	}
	return out
}

// Prepared is a cell's draft as it would be sent.
func (x *Runner) Prepared(p *Plan, c Cell) (draft.Result, error) {
	pane := p.Panes[c.Pane]
	m, ok := x.Drafts.Catalog.Model(pane.Provider, pane.Model)
	if !ok {
		return draft.Result{}, fmt.Errorf("no model %s/%s", pane.Provider, pane.Model)
	}
	filled, err := vars.FillDraft(m.Fields(), pane.Form, p.Cases[c.Case].Vars)
	if err != nil {
		return draft.Result{}, err
	}
	res := x.Drafts.Prepare(draft.Input{Provider: pane.Provider, Model: pane.Model, Form: filled})
	if res.Request == nil {
		return res, formError(res)
	}
	return res, nil
}

// formError says the first of a draft's errors, with its field.
func formError(res draft.Result) error {
	var names []string
	for name := range res.Errors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, f := range res.Model.Fields() {
		if msg := res.Errors[f.Name]; msg != "" {
			return fmt.Errorf("%s: %s", cmp.Or(f.Label, f.Name), msg)
		}
	}
	if len(names) > 0 {
		return fmt.Errorf("%s: %s", names[0], res.Errors[names[0]])
	}
	return draft.ErrNotReady
}

// cell runs one cell to its end.
func (x *Runner) cell(ctx context.Context, p *Plan, c Cell) Attempt[CellResult] {
	out := CellResult{Cell: c, Checks: []checks.Result{}}
	res, err := x.Prepared(p, c)
	if err != nil {
		out.Error = err.Error()
		return Attempt[CellResult]{Result: out}
	}
	spec, err := x.Drafts.Spec(res, x.Owner)
	if err != nil {
		out.Error = problem.Of(err).Message
		return Attempt[CellResult]{Result: out}
	}
	spec.Origin.Group, spec.Origin.Pane = x.Group, c.Pane
	r, err := x.Runs.TryStart(spec)
	if err != nil {
		pr := problem.Of(err)
		out.Error = pr.Message
		if pr.Kind == problem.KindRateLimited {
			// A limit of the server's (runs at once, runs a minute): wait as
			// it says, or a while when it frees up as a run ends, then try
			// again, as often as it takes.
			return Attempt[CellResult]{Result: out, RetryAfter: max(pr.RetryAfter, ThrottleWait), Throttled: true}
		}
		return Attempt[CellResult]{Result: out}
	}
	out.RunID = r.ID
	if x.Started != nil {
		x.Started(c, r)
	}
	e := r.Wait(ctx)
	out.State = e.State
	out.Finish = e.Outcome.Finish
	out.Latency = e.Outcome.Durations.Total
	out.Cost = &e.Outcome.Cost
	if len(e.Output.Choices) > 0 {
		out.Text = e.Output.Choices[0].Text
	}
	var retry time.Duration
	if e.Failure != nil {
		out.Error = strings.TrimSpace(e.Failure.Message)
		if e.Failure.Status == http.StatusTooManyRequests || e.Failure.Status == http.StatusServiceUnavailable {
			retry = e.RetryAfter
		}
	}
	if e.State != run.Completed {
		if out.Error == "" {
			out.Error = "the run " + string(e.State)
			if e.Outcome.Reason != "" {
				out.Error += ": " + e.Outcome.Reason
			}
		}
		return Attempt[CellResult]{Result: out, RetryAfter: retry}
	}
	out.Checks = checks.Evaluate(ctx, p.ChecksOf(c.Case), answerOf(e), x.Judge)
	out.Pass = true
	for _, cr := range out.Checks {
		out.Pass = out.Pass && cr.Pass
	}
	return Attempt[CellResult]{Result: out}
}

// answerOf is what the checks read of a run's ending: its first choice.
func answerOf(e run.Ending) checks.Answer {
	a := checks.Answer{Finish: e.Outcome.Finish, Latency: e.Outcome.Durations.Total}
	if len(e.Output.Choices) > 0 {
		ch := e.Output.Choices[0]
		a.Text = ch.Text
		for _, t := range ch.Tools {
			a.Tools = append(a.Tools, checks.ToolCall{Name: t.Name, Arguments: t.Args})
		}
	}
	if total, ok := e.Outcome.TotalRat(); ok {
		a.Cost = map[string]*big.Rat{e.Outcome.Cost.Currency: total}
	}
	if cr, ok := e.Outcome.CreditsRat(); ok {
		a.Credits = cr
	}
	return a
}
