package experiment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// MaxRuns bounds the runs one experiment may make (cases × panes ×
// repeats), so a table pasted by mistake cannot queue 60,000 requests.
const MaxRuns = 2000

// Estimate is what an experiment will make before it starts: its runs,
// and the sum of their pre-send estimates (the prompt alone, and the
// prompt with every output token allowed), by currency and in credits.
type Estimate struct {
	Runs int
	// Min and Max are by currency; Unpriced counts the runs whose model
	// has no price (their cost is unknown).
	Min, Max               Costs
	MinCredits, MaxCredits *big.Rat
	Unpriced               int
	// Uncapped counts the priced runs that set no output cap (and whose
	// model has none): Max leaves their output out, so the cost has no
	// upper bound; UncappedBilled those of them at real (not demo) prices.
	Uncapped, UncappedBilled int
	// Judged is set when a judge check's runs add to the cost.
	Judged bool
}

// Estimate sums the pre-send estimates of every cell of p (one per case
// and pane, times the repeats).
func (x *Runner) Estimate(p *Plan) Estimate {
	est := Estimate{Runs: len(p.Cases) * len(p.Panes) * p.Repeats, Min: Costs{}, Max: Costs{}}
	for _, c := range p.File.Checks {
		est.Judged = est.Judged || c.Type == checks.JudgeKind
	}
	reps := big.NewRat(int64(p.Repeats), 1)
	for c := range p.Cases {
		for pn := range p.Panes {
			res, err := x.Prepared(p, Cell{Case: c, Pane: pn})
			if err != nil || !res.Estimate.Input.Known || res.Estimate.Input.Total == nil {
				est.Unpriced += p.Repeats
				continue
			}
			lo, hi := res.Estimate.Input, res.Estimate.Max
			if !hi.Known || hi.Total == nil {
				hi = lo
				est.Uncapped += p.Repeats
				if !lo.Demo {
					est.UncappedBilled += p.Repeats
				}
			}
			est.Min.addRat(lo.Currency, new(big.Rat).Mul(lo.Total, reps))
			est.Max.addRat(hi.Currency, new(big.Rat).Mul(hi.Total, reps))
			est.MinCredits = addCredits(est.MinCredits, lo, reps)
			est.MaxCredits = addCredits(est.MaxCredits, hi, reps)
		}
	}
	return est
}

func addCredits(sum *big.Rat, c cost.Cost, times *big.Rat) *big.Rat {
	cr := c.Credits(c.Total)
	if cr == nil {
		return sum
	}
	if sum == nil {
		sum = new(big.Rat)
	}
	return sum.Add(sum, new(big.Rat).Mul(cr, times))
}

// DefaultConfirmAbove is the default threshold above which the page asks
// before it starts: 1 USD, and for the catalog's other currency its rough
// equivalent (CNY at 7.2 a dollar). A currency with no threshold always
// asks when its estimate is above zero.
func DefaultConfirmAbove() map[string]*big.Rat {
	return map[string]*big.Rat{"USD": big.NewRat(1, 1), "CNY": big.NewRat(72, 10)}
}

// NeedsConfirm reports whether est's highest cost is above a threshold,
// or has no upper bound at real prices.
func (est Estimate) NeedsConfirm(above map[string]*big.Rat) bool {
	if est.UncappedBilled > 0 {
		return true
	}
	for cur, v := range est.Max {
		t, ok := above[cur]
		if !ok {
			t = new(big.Rat)
		}
		if v.Cmp(t) > 0 {
			return true
		}
	}
	return false
}

// CellState is where a cell is: waiting its turn, running (its run's id),
// or done (its result in the report).
type CellState struct {
	Running bool
	RunID   string
	Done    bool
	// Partial is the answer so far of a cell still streaming (its start).
	Partial string
	run     *run.Run
}

// Live is an experiment started from the page: its file and plan, its
// cells' results so far, what is in flight, and the blind votes.
type Live struct {
	ID, Owner string
	// File is the experiment file it was started from (the page's export).
	File    []byte
	Plan    *Plan
	Created time.Time

	runner  *Runner
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	results *Results
	states  map[Cell]CellState
	active  int
	took    time.Duration
	stopped bool
	votes   []checks.Vote
	offers  map[string]Pair
	onIdle  func(*Live)
	// publish hands the experiment to the other instances (Lives.publish),
	// one at a time (pubMu), so the last published is the newest.
	publish func(*Live)
	pubMu   sync.Mutex
	// shown is the blind pair other instances show (sharedOffer).
	shown *Offer
}

// Lives are the experiments started from the page, kept in memory while
// they run and after (the most recent Max), for their page.
type Lives struct {
	// NewID names an experiment.
	NewID func() string
	// Max is how many experiments are kept (default 64); the oldest that
	// is not running goes first.
	Max int
	// Idle, when set, is told each time an experiment has no cell in
	// flight (it ended, was stopped, or a retried cell ended): the
	// history keeps it then.
	Idle func(*Live)
	// Shared, when set, is where the other instances read the
	// experiments this one runs (shared.go).
	Shared Shared

	mu    sync.Mutex
	byID  map[string]*Live
	order []string
}

// ErrRunning refuses a second experiment of a session while one runs.
var ErrRunning = errors.New("an experiment of yours is running; stop it or wait for it to end before starting another")

// Start starts every cell of p with r (the session's runner); file is
// what it was composed from.
func (ls *Lives) Start(owner string, r *Runner, p *Plan, file []byte) (*Live, error) {
	if n := len(p.Cases) * len(p.Panes) * p.Repeats; n > MaxRuns {
		return nil, problem.Invalid(FieldCases, "this experiment makes "+itoa(n)+" runs, more than the "+itoa(MaxRuns)+" one may make; use fewer cases, panes or repeats")
	}
	ls.mu.Lock()
	if ls.byID == nil {
		ls.byID = map[string]*Live{}
	}
	for _, l := range ls.byID {
		if l.Owner == owner && l.Running() {
			ls.mu.Unlock()
			return nil, &problem.Error{Kind: problem.KindConflict, Message: ErrRunning.Error(), Err: ErrRunning}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Live{ID: ls.NewID(), Owner: owner, File: file, Plan: p, Created: time.Now(), runner: r, ctx: ctx, cancel: cancel,
		results: NewResults(p), states: map[Cell]CellState{}, onIdle: ls.Idle, publish: ls.publish}
	r.Group = history.ExperimentGroup(l.ID)
	r.Started = l.started
	ls.byID[l.ID] = l
	ls.order = append(ls.order, l.ID)
	ls.evictLocked()
	ls.mu.Unlock()
	l.run(p.Cells())
	return l, nil
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func (ls *Lives) evictLocked() {
	limit := ls.Max
	if limit <= 0 {
		limit = 64
	}
	for i := 0; len(ls.order) > limit && i < len(ls.order); {
		id := ls.order[i]
		if l := ls.byID[id]; l != nil && l.Running() {
			i++
			continue
		}
		delete(ls.byID, id)
		ls.order = slices.Delete(ls.order, i, i+1)
	}
}

// Get is the session's experiment id.
func (ls *Lives) Get(id, owner string) (*Live, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l, ok := ls.byID[id]
	if !ok || l.Owner != owner {
		return nil, false
	}
	return l, true
}

// run runs cells in the background.
func (l *Live) run(cells []Cell) {
	l.mu.Lock()
	l.active++
	l.stopped = false
	for _, c := range cells {
		l.states[c] = CellState{}
	}
	ctx := l.ctx
	l.mu.Unlock()
	start := time.Now()
	l.publish(l)
	tick := time.NewTicker(publishEvery)
	ran, ticked := make(chan struct{}), make(chan struct{})
	go func() {
		// Published every publishEvery while it runs: cells start and
		// end, the answers in flight grow.
		defer close(ticked)
		defer tick.Stop()
		for {
			select {
			case <-ran:
				return
			case <-tick.C:
				l.publish(l)
			}
		}
	}()
	go func() {
		l.runner.Run(ctx, l.Plan, cells, l.report)
		// No tick after the last publish below: it would publish an
		// older snapshot over it.
		close(ran)
		<-ticked
		l.mu.Lock()
		l.took += time.Since(start)
		last := l.active == 1
		l.mu.Unlock()
		// Kept before it reads as ended, so a page that sees it ended
		// finds it in the history.
		if last && l.onIdle != nil {
			l.onIdle(l)
		}
		l.mu.Lock()
		l.active--
		l.mu.Unlock()
		l.publish(l)
	}()
}

func (l *Live) started(c Cell, r *run.Run) {
	l.mu.Lock()
	l.states[c] = CellState{Running: true, RunID: r.ID, run: r}
	l.mu.Unlock()
}

func (l *Live) report(r CellResult) {
	l.mu.Lock()
	l.results.Add(r)
	l.states[r.Cell] = CellState{Done: true, RunID: r.RunID}
	l.mu.Unlock()
}

// Running reports whether a cell is in flight or waiting.
func (l *Live) Running() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.active > 0
}

// Stop stops every cell: those running end as stopped, those waiting
// never start. Retry starts them again.
func (l *Live) Stop() {
	l.mu.Lock()
	l.stopped = true
	cancel := l.cancel
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.mu.Unlock()
	cancel()
	l.publish(l)
}

// Retry runs one cell again (a failed one, or any that ended); its new
// result replaces the old.
func (l *Live) Retry(c Cell) error {
	l.mu.Lock()
	st, ok := l.states[c]
	l.mu.Unlock()
	if !ok || c.Case < 0 || c.Case >= len(l.Plan.Cases) || c.Pane < 0 || c.Pane >= len(l.Plan.Panes) {
		return problem.NotFound("no such cell")
	}
	if !st.Done && l.Running() {
		return &problem.Error{Kind: problem.KindConflict, Message: "this cell has not ended yet"}
	}
	l.run([]Cell{c})
	return nil
}

// Vote keeps a blind comparison's pick.
func (l *Live) Vote(v checks.Vote) error {
	if v.A == v.B || v.A < 0 || v.B < 0 || v.A >= len(l.Plan.Panes) || v.B >= len(l.Plan.Panes) || v.Case < 0 || v.Case >= len(l.Plan.Cases) {
		return problem.Invalid("pick", "no such pair of panes")
	}
	if v.Pick != checks.PickA && v.Pick != checks.PickB && v.Pick != checks.Tie {
		return problem.Invalid("pick", "pick a, b or tie")
	}
	l.mu.Lock()
	l.votes = append(l.votes, v)
	l.mu.Unlock()
	l.publish(l)
	return nil
}

// Snapshot is an experiment as it stands: its report so far, each cell's
// state, and the votes.
type Snapshot struct {
	ID      string
	Plan    *Plan
	Report  *Report
	States  map[Cell]CellState
	Running bool
	Stopped bool
	// Done counts the cells that ended, Failed those of them that did not
	// pass.
	Done, Failed int
	Votes        []checks.Vote
	WinRates     []checks.WinRate
}

// Snapshot reads l as it stands.
func (l *Live) Snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{ID: l.ID, Plan: l.Plan, Report: l.results.Report(l.took), States: make(map[Cell]CellState, len(l.states)),
		Running: l.active > 0, Stopped: l.stopped, Votes: slices.Clone(l.votes), WinRates: checks.WinRates(l.votes)}
	for c, st := range l.states {
		if st.Running && st.run != nil {
			st.Partial = st.run.Partial()
		}
		s.States[c] = st
	}
	s.count()
	return s
}

// Verdict is the experiment's outcome in a line: the report's verdict,
// after how many cells did not run when it was stopped before its end.
func (s Snapshot) Verdict() string {
	if s.Stopped && !s.Running && s.Done < s.Report.Total {
		return fmt.Sprintf("Stopped: %s of %d did not run. %s", units.Plural(s.Report.Total-s.Done, "cell", "cells"), s.Report.Total, s.Report.Verdict)
	}
	return s.Report.Verdict
}

// count sets Done and Failed from the report.
func (s *Snapshot) count() {
	for _, c := range s.Report.Cells {
		s.Done++
		if !c.Pass {
			s.Failed++
		}
	}
}

// Latest is the session's most recent experiment.
func (ls *Lives) Latest(owner string) (*Live, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for i := len(ls.order) - 1; i >= 0; i-- {
		if l := ls.byID[ls.order[i]]; l != nil && l.Owner == owner {
			return l, true
		}
	}
	return nil, false
}

// Pair is two panes' answers to one case, for a blind vote: A and B are
// pane indexes, in the order shown.
type Pair struct {
	Case, A, B int
	TextA      string
	TextB      string
}

// NextPair is the pair of panes with answers to the same case that has
// the fewest votes so far (first by case, then by panes), its sides
// swapped when flip is set (the caller flips a coin, so the page cannot
// tell which is which); false when no case has two answers.
func (s Snapshot) NextPair(flip bool) (Pair, bool) {
	answers := map[[2]int]string{} // case, pane → the first repeat's answer
	for _, c := range s.Report.Cells {
		k := [2]int{c.Cell.Case, c.Cell.Pane}
		if _, ok := answers[k]; !ok && c.Error == "" && c.Text != "" {
			answers[k] = c.Text
		}
	}
	count := map[[3]int]int{}
	for _, v := range s.Votes {
		a, b := min(v.A, v.B), max(v.A, v.B)
		count[[3]int{v.Case, a, b}]++
	}
	best, found, fewest := Pair{}, false, 0
	for c := range s.Plan.Cases {
		for a := range s.Plan.Panes {
			for b := a + 1; b < len(s.Plan.Panes); b++ {
				ta, oka := answers[[2]int{c, a}]
				tb, okb := answers[[2]int{c, b}]
				if !oka || !okb {
					continue
				}
				if n := count[[3]int{c, a, b}]; !found || n < fewest {
					best, found, fewest = Pair{Case: c, A: a, B: b, TextA: ta, TextB: tb}, true, n
				}
			}
		}
	}
	if found && flip {
		best.A, best.B, best.TextA, best.TextB = best.B, best.A, best.TextB, best.TextA
	}
	return best, found
}

// Offer is a blind pair shown to the person, named by a token so the page
// never carries which panes it is.
type Offer struct {
	Token string
	Pair
}

// maxOffers bounds the pairs an experiment remembers having shown.
const maxOffers = 64

// Offer picks the next blind pair (NextPair, its sides swapped at
// random) and remembers it; nil when no case has two answers.
func (l *Live) Offer() *Offer {
	var coin [1]byte
	_, _ = rand.Read(coin[:])
	p, ok := l.Snapshot().NextPair(coin[0]&1 == 1)
	if !ok {
		return nil
	}
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	o := &Offer{Token: hex.EncodeToString(tok[:]), Pair: p}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.offers == nil {
		l.offers = map[string]Pair{}
	}
	if len(l.offers) >= maxOffers {
		clear(l.offers)
	}
	l.offers[o.Token] = p
	return o
}

// VoteOn keeps the person's pick of an offered pair: a (the answer shown
// first), b or tie. A pair is voted on once.
func (l *Live) VoteOn(token string, pick checks.Pick) error {
	l.mu.Lock()
	p, ok := l.offers[token]
	delete(l.offers, token)
	l.mu.Unlock()
	if !ok {
		return problem.Invalid("pair", "this pair was already voted on or is too old; vote on the one shown now")
	}
	if err := l.Vote(checks.Vote{Case: p.Case, A: p.A, B: p.B, Pick: pick}); err != nil {
		return err
	}
	// A vote after the runs ended is kept at once.
	if !l.Running() && l.onIdle != nil {
		l.onIdle(l)
	}
	return nil
}

// Record is what the history keeps of an experiment besides its file:
// every cell's result, the votes, and how long it ran.
type Record struct {
	Cells []CellResult    `json:"cells"`
	Votes []checks.Vote   `json:"votes,omitempty"`
	Took  time.Duration   `json:"took_ns"`
	State map[string]bool `json:"state,omitempty"`
}

// maxKeptText bounds each cell's answer in the record (the whole answer
// is in the cell's run).
const maxKeptText = 8 << 10

// Record is l's record as it stands.
func (l *Live) Record() Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := Record{Votes: slices.Clone(l.votes), Took: l.took, State: map[string]bool{"stopped": l.stopped}}
	for _, c := range l.Plan.Cells() {
		if r, ok := l.results.cells[c]; ok {
			if len(r.Text) > maxKeptText {
				r.Text = strings.ToValidUTF8(r.Text[:maxKeptText], "") + " …"
			}
			rec.Cells = append(rec.Cells, r)
		}
	}
	return rec
}

// Title names an experiment for the history: its name, or its first
// pane's model and its size.
func (p *Plan) Title() string {
	if p.File.Name != "" {
		return p.File.Name
	}
	model, _, _ := strings.Cut(p.Panes[0].Label, " · ")
	return model + " · " + units.Plural(len(p.Cases), "case", "cases") + " × " + units.Plural(len(p.Panes), "pane", "panes") + " × " + units.Plural(p.Repeats, "repeat", "repeats")
}

// Stored is a kept experiment read back: its snapshot, for the same grid
// as the live page (read-only).
func Stored(cat *catalog.Catalog, id string, file, results []byte) (Snapshot, error) {
	p, err := loadData("experiment.yaml", file, cat)
	if err != nil {
		return Snapshot{}, fmt.Errorf("this experiment's file no longer loads against the catalog: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(results, &rec); err != nil {
		return Snapshot{}, fmt.Errorf("this experiment's results cannot be read: %w", err)
	}
	rs := NewResults(p)
	states := map[Cell]CellState{}
	for _, r := range rec.Cells {
		rs.Add(r)
		states[r.Cell] = CellState{Done: true, RunID: r.RunID}
	}
	s := Snapshot{ID: id, Plan: p, Report: rs.Report(rec.Took), States: states, Stopped: rec.State["stopped"],
		Votes: rec.Votes, WinRates: checks.WinRates(rec.Votes)}
	s.count()
	return s, nil
}

// ParseThresholds reads the confirmation thresholds as an operator writes
// them: "USD=1,CNY=7.2" (a currency code and an exact decimal each).
func ParseThresholds(s string) (map[string]*big.Rat, error) {
	out := map[string]*big.Rat{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cur, amount, ok := strings.Cut(part, "=")
		cur = strings.ToUpper(strings.TrimSpace(cur))
		r, rok := new(big.Rat).SetString(strings.TrimSpace(amount))
		if !ok || cur == "" || !rok || r.Sign() < 0 {
			return nil, fmt.Errorf("%q: want CURRENCY=AMOUNT pairs separated by commas, such as USD=1,CNY=7.2", part)
		}
		out[cur] = r
	}
	return out, nil
}
