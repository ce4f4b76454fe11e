package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// simBench is the simulator of the default catalog behind a draft service
// and a run manager, as the command line wires them.
type simBench struct {
	cat    *catalog.Catalog
	drafts *draft.Service
	runs   *run.Manager
	// starts counts the runs started (TryStart that succeeded).
	starts atomic.Int64
}

// newSimBench serves the simulator on loopback; front, when not nil,
// stands in front of it (it gets the simulator's handler).
func newSimBench(t *testing.T, front func(sim http.Handler) http.Handler) *simBench {
	t.Helper()
	cat := defaultCatalog(t)
	tok := &tokens.Counter{}
	var h http.Handler = sim.New(sim.Config{ZeroDelay: true}, sim.ModelsFromCatalog(cat), tok)
	if front != nil {
		h = front(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	runs := run.NewManager(run.DefaultConfig(), upstream.New(upstream.DefaultConfig()), tok)
	t.Cleanup(runs.Close)
	env := map[string]string{"PLAYGROUND_SIM_URL": srv.URL}
	return &simBench{cat: cat, runs: runs, drafts: &draft.Service{Catalog: cat, Getenv: func(k string) string { return env[k] }, Tokens: tok}}
}

// TryStart is the manager's, counted.
func (b *simBench) TryStart(s run.Spec) (*run.Run, error) {
	r, err := b.runs.TryStart(s)
	if err == nil {
		b.starts.Add(1)
	}
	return r, err
}

func (b *simBench) runner() *Runner {
	return &Runner{Drafts: b.drafts, Runs: b, Owner: CommandLineOwner, Group: "test", Judge: RunJudge(b.drafts, b, CommandLineOwner)}
}

func (b *simBench) plan(t *testing.T, src string) *Plan {
	t.Helper()
	p, err := Load(mustParse(t, "e.yaml", src), b.cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runAll runs every cell of p and gives its results (the cells that did
// not run must be none).
func runAll(t *testing.T, x *Runner, p *Plan) *Results {
	t.Helper()
	rs := NewResults(p)
	var mu sync.Mutex
	unrun := x.Run(context.Background(), p, p.Cells(), func(r CellResult) {
		mu.Lock()
		defer mu.Unlock()
		rs.Add(r)
	})
	if len(unrun) > 0 {
		t.Fatalf("unrun %v", unrun)
	}
	return rs
}

const cityDraft = `provider: sim
model: seed001.gpt-5.4
request:
  messages:
    - {role: user, content: "Tell me about {{city}}."}
`

// TestRunnerAgreement: repeats at temperature 0 give the same answer, at
// 1.4 they differ; each cell has its run, an answer and a known cost.
func TestRunnerAgreement(t *testing.T) {
	b := newSimBench(t, nil)
	p := b.plan(t, cityDraft+`panes:
  - {params: {temperature: 0}}
  - {params: {temperature: 1.4}}
repeats: 3
cases: [{city: Paris}, {city: Lisbon}, {city: Kyoto}]
`)
	rep := runAll(t, b.runner(), p).Report(time.Second)
	if rep.Total != 18 || len(rep.Cells) != 18 || rep.Passed != 18 || !rep.OK {
		t.Fatalf("report: %s (%d cells)", rep.Verdict, len(rep.Cells))
	}
	for _, c := range rep.Cells {
		if c.RunID == "" || c.State != run.Completed || strings.TrimSpace(c.Text) == "" || c.Cost == nil || !c.Cost.Known || c.Error != "" {
			t.Errorf("cell %+v", c.CellResult)
		}
	}
	if cold := rep.Panes[0]; cold.Agreement != 1 || cold.Repeated != 3 {
		t.Errorf("temperature 0: agreement %v over %d cases, want 1 over 3", cold.Agreement, cold.Repeated)
	}
	if hot := rep.Panes[1]; hot.Agreement >= 1 || hot.Repeated != 3 {
		t.Errorf("temperature 1.4: agreement %v over %d cases, want less than 1 over 3", hot.Agreement, hot.Repeated)
	}
	if len(rep.Cost) != 1 || rep.Cost["USD"] == nil || rep.Cost["USD"].Sign() <= 0 {
		t.Errorf("cost %v", rep.Cost)
	}
	if b.starts.Load() != 18 {
		t.Errorf("%d runs started, want 18", b.starts.Load())
	}
}

// answersAt0 runs the cities once at temperature 0 (which always answers
// alike) and gives each answer's first word.
func answersAt0(t *testing.T, b *simBench, cities ...string) []string {
	t.Helper()
	var rows []string
	for _, c := range cities {
		rows = append(rows, "{city: "+c+"}")
	}
	p := b.plan(t, cityDraft+"panes: [{params: {temperature: 0}}]\ncases: ["+strings.Join(rows, ", ")+"]\n")
	rep := runAll(t, b.runner(), p).Report(0)
	words := make([]string, len(cities))
	for _, c := range rep.Cells {
		f := strings.Fields(c.Text)
		if len(f) == 0 {
			t.Fatalf("no answer: %+v", c)
		}
		words[c.Cell.Case] = strings.Trim(f[0], ".,;:!?")
	}
	return words
}

// TestRunnerChecksDecide: a contains check of a word the answer has
// passes, of one it lacks fails with the reason; the pass rate, OK and
// the verdict follow, and a MinPassRate the rate reaches passes.
func TestRunnerChecksDecide(t *testing.T) {
	b := newSimBench(t, nil)
	words := answersAt0(t, b, "Paris", "Kyoto")
	src := cityDraft + `panes: [{params: {temperature: 0}}]
repeats: 2
cases:
  - {city: Paris, expected: "` + words[0] + `"}
  - {city: Kyoto, expected: zzqx-never-said}
checks:
  - {type: contains, values: ["{{expected}}"]}
`
	p := b.plan(t, src)
	rep := runAll(t, b.runner(), p).Report(0)
	if rep.Total != 4 || rep.Passed != 2 || rep.PassRate != 0.5 || rep.MinPassRate != 1 || rep.OK {
		t.Errorf("report %+v", rep)
	}
	if want := "FAILED: 2 of 4 cells passed (50 %); every cell must pass"; rep.Verdict != want {
		t.Errorf("verdict %q, want %q", rep.Verdict, want)
	}
	for _, c := range rep.Cells {
		if len(c.Checks) != 1 {
			t.Fatalf("cell %+v", c.CellResult)
		}
		r := c.Checks[0]
		switch c.Cell.Case {
		case 0:
			if !c.Pass || !r.Pass || r.Reason != "" || r.Check.Values[0] != words[0] {
				t.Errorf("case 0 (has %q): %+v", words[0], r)
			}
		case 1:
			if c.Pass || r.Pass || !strings.Contains(r.Reason, "zzqx-never-said") || c.Error != "" {
				t.Errorf("case 1: %+v", r)
			}
		}
	}
	if pr := rep.Panes[0]; pr.Checked != 4 || pr.Passed != 2 || pr.PassRate != 0.5 || pr.Errored != 0 {
		t.Errorf("pane %+v", pr)
	}

	// The file's threshold: half is enough.
	p = b.plan(t, src+"min_pass_rate: 0.5\n")
	rep = runAll(t, b.runner(), p).Report(0)
	if !rep.OK || rep.MinPassRate != 0.5 || rep.Verdict != "passed: 2 of 4 cells passed (50 %); the threshold is 50 %" {
		t.Errorf("with min_pass_rate 0.5: ok %v, %q", rep.OK, rep.Verdict)
	}
	// A threshold set after (the command line's) decides again.
	rep.MinPassRate = 0.75
	rep.Decide()
	if rep.OK || !strings.HasPrefix(rep.Verdict, "FAILED: 2 of 4") || !strings.HasSuffix(rep.Verdict, "the threshold is 75 %") {
		t.Errorf("with 0.75: ok %v, %q", rep.OK, rep.Verdict)
	}

	// The JUnit report: a suite for the pane, a failure per failed cell.
	var junit bytes.Buffer
	if err := rep.JUnit(&junit); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
		t.Fatalf("%v\n%s", err, junit.String())
	}
	if suites.Tests != 4 || suites.Failures != 2 || suites.Errors != 0 || len(suites.Suites) != 1 {
		t.Fatalf("junit %+v", suites)
	}
	s := suites.Suites[0]
	if s.Name != rep.Panes[0].Label || s.Tests != 4 || s.Failures != 2 || len(s.Cases) != 4 {
		t.Errorf("suite %+v", s)
	}
	failed := 0
	for _, tc := range s.Cases {
		if tc.Failure != nil {
			failed++
			if !strings.Contains(tc.Name, "city=Kyoto") || !strings.Contains(tc.Failure.Message, "zzqx-never-said") {
				t.Errorf("failed case %+v", tc)
			}
		} else if !strings.Contains(tc.Name, "city=Paris") {
			t.Errorf("passed case %+v", tc)
		}
	}
	if failed != 2 {
		t.Errorf("%d failures in the test cases", failed)
	}

	// The JSON report reads back with the same numbers.
	var js bytes.Buffer
	if err := rep.JSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Total, Passed int
		PassRate      float64 `json:"pass_rate"`
		OK            bool
		Verdict       string
		Cost          map[string]string
		Panes         []struct{ Label string }
		Cells         []struct {
			RunID  string `json:"run_id"`
			Pass   bool
			Vars   map[string]string
			Checks []struct{ Pass bool }
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Total != 4 || back.Passed != 2 || back.PassRate != 0.5 || back.OK || back.Verdict != rep.Verdict || len(back.Cells) != 4 ||
		len(back.Panes) != 1 || back.Cost["USD"] == "" {
		t.Errorf("json %+v", back)
	}
	for _, c := range back.Cells {
		if c.RunID == "" || len(c.Checks) != 1 || c.Pass != c.Checks[0].Pass || c.Vars["city"] == "" {
			t.Errorf("json cell %+v", c)
		}
	}
}

// junitSuites is a JUnit report as encoding/xml reads it back.
type junitSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestRunnerJudge: a judge check is graded by the simulator's judge (a
// rule, said to be simulated), as a run of its own; its prompt, answer
// and cost are kept in the check's result and counted in the pane's.
func TestRunnerJudge(t *testing.T) {
	b := newSimBench(t, nil)
	words := answersAt0(t, b, "Paris")
	p := b.plan(t, cityDraft+`panes: [{params: {temperature: 0}}]
cases: [{city: Paris}]
checks:
  - type: judge
    rubric: 'The answer says "`+words[0]+`".'
    provider: sim
    model: seed002.gpt-5.4
  - type: judge
    rubric: 'The answer says "zzqx-never-said".'
    provider: sim
    model: seed002.gpt-5.4
`)
	before := b.starts.Load()
	rep := runAll(t, b.runner(), p).Report(0)
	if len(rep.Cells) != 1 || len(rep.Cells[0].Checks) != 2 {
		t.Fatalf("cells %+v", rep.Cells)
	}
	c := rep.Cells[0]
	if n := b.starts.Load() - before; n != 3 {
		t.Errorf("%d runs started: want the cell's and one per judge check", n)
	}
	pass, fail := c.Checks[0], c.Checks[1]
	for i, r := range c.Checks {
		v := r.Verdict
		if v == nil {
			t.Fatalf("check %d has no verdict: %+v", i, r)
		}
		if !v.Simulated || !strings.HasPrefix(v.Reason, "Simulated judge:") || r.Reason != v.Reason {
			t.Errorf("check %d verdict %+v", i, v)
		}
		if !strings.Contains(v.Prompt, "Rubric:\n"+r.Check.Rubric) || !strings.Contains(v.Prompt, "Answer:\n"+c.Text) ||
			!strings.HasPrefix(v.Prompt, "You grade an answer") {
			t.Errorf("check %d prompt %q", i, v.Prompt)
		}
		if v.Cost["USD"] == nil || v.Cost["USD"].Sign() <= 0 {
			t.Errorf("check %d cost %v", i, v.Cost)
		}
	}
	if !pass.Pass || !strings.HasPrefix(pass.Verdict.Answer, "PASS") {
		t.Errorf("the judge of a word the answer has: %+v", pass.Verdict)
	}
	if fail.Pass || !strings.HasPrefix(fail.Verdict.Answer, "FAIL") || !strings.Contains(fail.Reason, `lacks "zzqx-never-said"`) {
		t.Errorf("the judge of a word it lacks: %+v", fail.Verdict)
	}
	if c.Pass || rep.Passed != 0 || rep.OK {
		t.Errorf("a failed judge check passed the cell: %s", rep.Verdict)
	}
	// The pane's cost is the cell's and both judges'.
	want := c.Cost.Total.Rat()
	want.Add(want, pass.Verdict.Cost["USD"])
	want.Add(want, fail.Verdict.Cost["USD"])
	if got := rep.Panes[0].Cost["USD"]; got == nil || got.Cmp(want) != 0 {
		t.Errorf("pane cost %v, want %v", got, want)
	}
}

// TestRunnerRetryAfter: an upstream's 429 with Retry-After is waited out
// (on the scheduler's clock) and the cell tried again; it then passes.
// Refused every time, the tries stop at MaxRetries and the cell is an
// error with the provider's message.
func TestRunnerRetryAfter(t *testing.T) {
	var calls, refuse atomic.Int64
	b := newSimBench(t, func(simH http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if refuse.Add(-1) >= 0 {
				w.Header().Set("Retry-After", "7")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error": {"message": "slow down", "type": "rate_limit"}}`))
				return
			}
			simH.ServeHTTP(w, r)
		})
	})
	clock := &fakeClock{now: time.Unix(0, 0)}
	x := b.runner()
	x.Sched = Scheduler{Clock: clock}
	p := b.plan(t, cityDraft+"cases: [{city: Paris}]\nchecks: [{type: length, min: 1}]\n")
	refuse.Store(1)
	rep := runAll(t, x, p).Report(0)
	if calls.Load() != 2 || b.starts.Load() != 2 {
		t.Errorf("%d requests, %d runs: want the 429 and the retry", calls.Load(), b.starts.Load())
	}
	if !slices.Equal(clock.slept, []time.Duration{7 * time.Second}) {
		t.Errorf("slept %v, want the 7 s Retry-After said", clock.slept)
	}
	if len(rep.Cells) != 1 || !rep.Cells[0].Pass || rep.Cells[0].Error != "" || rep.Cells[0].State != run.Completed || !rep.OK {
		t.Errorf("cells %+v", rep.Cells)
	}

	calls.Store(0)
	refuse.Store(100)
	clock.slept = nil
	x.Sched = Scheduler{Clock: clock, MaxRetries: 2, MaxWait: 5 * time.Second}
	rep = runAll(t, x, p).Report(0)
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 3 (MaxRetries 2)", calls.Load())
	}
	if !slices.Equal(clock.slept, []time.Duration{5 * time.Second, 5 * time.Second}) {
		t.Errorf("slept %v, want MaxWait twice", clock.slept)
	}
	c := rep.Cells[0]
	if c.Pass || c.State != run.Failed || !strings.Contains(c.Error, "slow down") || len(c.Checks) != 0 {
		t.Errorf("cell %+v", c.CellResult)
	}
	if rep.OK || rep.Panes[0].Errored != 1 || rep.Panes[0].Checked != 0 {
		t.Errorf("report %s, pane %+v", rep.Verdict, rep.Panes[0])
	}
	var junit bytes.Buffer
	if err := rep.JUnit(&junit); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Tests != 1 || suites.Errors != 1 || suites.Failures != 0 || suites.Suites[0].Cases[0].Error == nil ||
		!strings.Contains(suites.Suites[0].Cases[0].Error.Message, "slow down") {
		t.Errorf("junit %+v", suites)
	}
}

// TestRunnerStop: cancelling the context (Stop) after the first cell
// ends starts no other run; the cells that did not run are returned in
// their order.
func TestRunnerStop(t *testing.T) {
	b := newSimBench(t, nil)
	x := b.runner()
	x.Sched = Scheduler{PerProvider: 1}
	p := b.plan(t, cityDraft+"repeats: 2\ncases: [{city: Paris}, {city: Lisbon}, {city: Kyoto}]\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []CellResult
	unrun := x.Run(ctx, p, p.Cells(), func(r CellResult) {
		got = append(got, r)
		cancel()
	})
	cells := p.Cells()
	if len(got) != 1 || got[0].Cell != cells[0] || got[0].State != run.Completed {
		t.Fatalf("done %+v", got)
	}
	if !slices.Equal(unrun, cells[1:]) {
		t.Errorf("unrun %v, want %v", unrun, cells[1:])
	}
	if n := b.starts.Load(); n != 1 {
		t.Errorf("%d runs started after Stop, want the one", n)
	}
	rs := NewResults(p)
	rs.Add(got[0])
	rep := rs.Report(0)
	if rep.Total != 6 || rep.Passed != 1 || rep.OK || len(rep.Cells) != 1 {
		t.Errorf("report of a stopped experiment: %s", rep.Verdict)
	}
}

// TestRunnerRetryOneCell: one cell run again alone gives a result for
// just that cell, a run of its own, which the results keep instead of
// the first.
func TestRunnerRetryOneCell(t *testing.T) {
	b := newSimBench(t, nil)
	x := b.runner()
	p := b.plan(t, cityDraft+"panes: [{params: {temperature: 0}}, {params: {temperature: 1}}]\ncases: [{city: Paris}, {city: Lisbon}]\n")
	rs := runAll(t, x, p)
	cells := p.Cells()
	first := rs.Report(0)
	target := cells[3]
	var again []CellResult
	unrun := x.Run(context.Background(), p, []Cell{target}, func(r CellResult) { again = append(again, r) })
	if len(unrun) != 0 || len(again) != 1 || again[0].Cell != target || again[0].RunID == "" || again[0].State != run.Completed {
		t.Fatalf("retry: %+v, unrun %v", again, unrun)
	}
	if b.starts.Load() != int64(len(cells))+1 {
		t.Errorf("%d runs, want %d and the retry", b.starts.Load(), len(cells))
	}
	rs.Add(again[0])
	rep := rs.Report(0)
	if len(rep.Cells) != len(first.Cells) {
		t.Fatalf("%d cells after the retry, %d before", len(rep.Cells), len(first.Cells))
	}
	for i, c := range rep.Cells {
		switch {
		case c.Cell == target && (c.RunID != again[0].RunID || c.RunID == first.Cells[i].RunID):
			t.Errorf("the retried cell keeps run %s, want the retry's %s", c.RunID, again[0].RunID)
		case c.Cell != target && c.RunID != first.Cells[i].RunID:
			t.Errorf("cell %v changed run", c.Cell)
		}
	}
}

// refusing is a Starter that refuses its first n starts as err says, then
// starts runs as next does.
type refusing struct {
	next    Starter
	n       atomic.Int64
	refuse  func() error
	refused atomic.Int64
}

func (s *refusing) TryStart(sp run.Spec) (*run.Run, error) {
	if s.n.Add(-1) >= 0 {
		s.refused.Add(1)
		return nil, s.refuse()
	}
	return s.next.TryStart(sp)
}

// TestRunnerWaitsForTheServersLimits: a start refused by the server's own
// limits (runs at once, which frees up as a run ends, or runs a minute,
// with its wait) is tried again however often it takes, not counted in
// MaxRetries; any other refusal ends the cell at once.
func TestRunnerWaitsForTheServersLimits(t *testing.T) {
	b := newSimBench(t, nil)
	p := b.plan(t, cityDraft+"cases: [{city: Paris}]\nchecks: [{type: length, min: 1}]\n")
	for _, tc := range []struct {
		name     string
		retry    time.Duration
		wantWait time.Duration
	}{
		{"at once", 0, ThrottleWait},
		{"a minute", 20 * time.Second, 5 * time.Second}, // MaxWait bounds it
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &refusing{next: b, refuse: func() error {
				e := problem.Errorf(problem.KindRateLimited, "too many runs")
				e.RetryAfter = tc.retry
				return e
			}}
			s.n.Store(6)
			clock := &fakeClock{now: time.Unix(0, 0)}
			x := b.runner()
			x.Runs, x.Sched = s, Scheduler{Clock: clock, MaxRetries: 2, MaxWait: 5 * time.Second}
			rep := runAll(t, x, p).Report(0)
			if s.refused.Load() != 6 || len(rep.Cells) != 1 || !rep.Cells[0].Pass {
				t.Fatalf("%d refusals, cells %+v", s.refused.Load(), rep.Cells)
			}
			if len(clock.slept) != 6 || clock.slept[0] != tc.wantWait {
				t.Errorf("slept %v, want 6 waits of %s", clock.slept, tc.wantWait)
			}
		})
	}
	s := &refusing{next: b, refuse: func() error { return problem.Invalid("model", "no such model") }}
	s.n.Store(1)
	clock := &fakeClock{now: time.Unix(0, 0)}
	x := b.runner()
	x.Runs, x.Sched = s, Scheduler{Clock: clock}
	rep := runAll(t, x, p).Report(0)
	if s.refused.Load() != 1 || len(clock.slept) != 0 || rep.Cells[0].Pass || !strings.Contains(rep.Cells[0].Error, "no such model") {
		t.Errorf("a refusal not of a limit: %d refusals, slept %v, cell %+v", s.refused.Load(), clock.slept, rep.Cells[0].CellResult)
	}
}
