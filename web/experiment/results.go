package experiment

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// Costs are exact amounts by currency.
type Costs map[string]*big.Rat

// Add adds a run's cost (nothing when it is unknown).
func (c Costs) Add(rc *run.Cost) {
	if rc == nil || !rc.Known || rc.Total == nil {
		return
	}
	c.addRat(rc.Currency, rc.Total.Rat())
}

// AddCell adds what a cell cost: its run's and its judges' (as the
// report's pane costs count them).
func (c Costs) AddCell(r CellResult) {
	c.Add(r.Cost)
	for _, cr := range r.Checks {
		if cr.Verdict != nil {
			for cur, v := range cr.Verdict.Cost {
				c.addRat(cur, v)
			}
		}
	}
}

func (c Costs) addRat(currency string, r *big.Rat) {
	if r == nil {
		return
	}
	if c[currency] == nil {
		c[currency] = new(big.Rat)
	}
	c[currency].Add(c[currency], r)
}

// String is each currency's total, "$0.0012 + ¥0.35"; "no cost" for none.
func (c Costs) String() string {
	if len(c) == 0 {
		return "no cost"
	}
	var parts []string
	for _, cur := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, cost.Format(c[cur], cur))
	}
	return strings.Join(parts, " + ")
}

// MarshalJSON writes each amount as an exact decimal string (run.Amount).
func (c Costs) MarshalJSON() ([]byte, error) {
	out := map[string]*run.Amount{}
	for k, v := range c {
		out[k] = run.NewAmount(v)
	}
	return json.Marshal(out)
}

// Results gather an experiment's cells as they end.
type Results struct {
	plan  *Plan
	cells map[Cell]CellResult
}

// NewResults are the empty results of plan.
func NewResults(p *Plan) *Results { return &Results{plan: p, cells: map[Cell]CellResult{}} }

// Add keeps a cell's result (a retried cell's latest).
func (rs *Results) Add(r CellResult) { rs.cells[r.Cell] = r }

// Report is an experiment's results: per pane its statistics, every cell,
// and whether the experiment passed.
type Report struct {
	Name     string        `json:"name,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Panes    []PaneReport  `json:"panes"`
	Cases    []Case        `json:"-"`
	Cells    []CellReport  `json:"cells"`
	// Total are the cells, Passed those that have an answer and passed
	// every check; PassRate is Passed / Total (a cell with no answer
	// counts as failed).
	Total    int     `json:"total"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
	// MinPassRate is the threshold (the file's, or the command line's; 1
	// when neither says: every cell must pass).
	MinPassRate float64 `json:"min_pass_rate"`
	OK          bool    `json:"ok"`
	Verdict     string  `json:"verdict"`
	Cost        Costs   `json:"cost"`
}

// PaneReport is one pane's statistics.
type PaneReport struct {
	Index     int           `json:"index"`
	Label     string        `json:"label"`
	Provider  string        `json:"provider"`
	Model     string        `json:"model"`
	Cells     int           `json:"cells"`
	Checked   int           `json:"checked"`
	Passed    int           `json:"passed"`
	Errored   int           `json:"errored"`
	PassRate  float64       `json:"pass_rate"`
	Cost      Costs         `json:"cost"`
	Credits   *run.Amount   `json:"credits,omitempty"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	Agreement float64       `json:"agreement"`
	// Repeated is how many cases the agreement is over (cases with two
	// answers or more).
	Repeated int `json:"repeated"`
}

// CellReport is a cell's result with its case's values.
type CellReport struct {
	CellResult
	Vars map[string]string `json:"vars"`
}

// Report computes the report of the cells so far; cells that never ran
// count as failed.
func (rs *Results) Report(took time.Duration) *Report {
	p := rs.plan
	rep := &Report{Name: p.File.Name, Duration: took, Cases: p.Cases, Cost: Costs{}, MinPassRate: 1}
	if p.File.MinPassRate != nil {
		rep.MinPassRate = *p.File.MinPassRate
	}
	byPane := make([][]checks.Cell, len(p.Panes))
	for _, c := range p.Cells() {
		rep.Total++
		r, ok := rs.cells[c]
		if !ok {
			byPane[c.Pane] = append(byPane[c.Pane], checks.Cell{Case: c.Case})
			continue
		}
		rep.Cells = append(rep.Cells, CellReport{CellResult: r, Vars: p.Cases[c.Case].Vars})
		if r.Pass {
			rep.Passed++
		}
		byPane[c.Pane] = append(byPane[c.Pane], checkCell(r))
	}
	if rep.Total > 0 {
		rep.PassRate = float64(rep.Passed) / float64(rep.Total)
	}
	for i, pane := range p.Panes {
		s := checks.Summarize(byPane[i])
		pr := PaneReport{Index: i, Label: pane.Label, Provider: pane.Provider, Model: pane.Model, Cells: s.Cells, Checked: s.Checked,
			Passed: s.Passed, Errored: s.Errored, PassRate: s.PassRate, Cost: Costs(s.Cost), Credits: run.NewAmount(s.Credits),
			P50: s.P50, P90: s.P90, Agreement: s.Agreement, Repeated: s.Repeated}
		if pr.Cost == nil {
			pr.Cost = Costs{}
		}
		for cur, v := range pr.Cost {
			rep.Cost.addRat(cur, v)
		}
		rep.Panes = append(rep.Panes, pr)
	}
	rep.Decide()
	return rep
}

// checkCell is what checks.Summarize reads of a cell.
func checkCell(r CellResult) checks.Cell {
	c := checks.Cell{Case: r.Cell.Case, Done: true, Errored: r.Error != "" && len(r.Checks) == 0, Results: r.Checks}
	c.Answer = checks.Answer{Text: r.Text, Finish: r.Finish, Latency: r.Latency}
	if r.Cost != nil && r.Cost.Known && r.Cost.Total != nil {
		c.Answer.Cost = map[string]*big.Rat{r.Cost.Currency: r.Cost.Total.Rat()}
		c.Answer.Credits = r.Cost.Credits.Rat()
	}
	return c
}

// Decide sets OK and the verdict from the pass rate and the threshold.
func (rep *Report) Decide() {
	rep.OK = rep.Total > 0 && rep.PassRate >= rep.MinPassRate
	want := "every cell must pass"
	if rep.MinPassRate < 1 {
		want = fmt.Sprintf("the threshold is %s", percent(rep.MinPassRate))
	}
	state := "passed"
	if !rep.OK {
		state = "FAILED"
	}
	rep.Verdict = fmt.Sprintf("%s: %d of %d cells passed (%s); %s", state, rep.Passed, rep.Total, percent(rep.PassRate), want)
}

func percent(r float64) string {
	s := fmt.Sprintf("%.1f", r*100)
	return strings.TrimSuffix(s, ".0") + " %"
}

// Table is the panes' statistics as a text table, for a terminal.
func (rep *Report) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "pane\tpassed\tpass rate\terrors\tcost\tp50\tp90\tagreement")
	for _, p := range rep.Panes {
		agree := "—"
		if p.Repeated > 0 {
			agree = percent(p.Agreement)
		}
		fmt.Fprintf(w, "%s\t%d/%d\t%s\t%d\t%s\t%s\t%s\t%s\n", p.Label, p.Passed, p.Cells, percent(p.PassRate), p.Errored, p.Cost,
			seconds(p.P50), seconds(p.P90), agree)
	}
	w.Flush()
	return b.String()
}

func seconds(d time.Duration) string { return units.Duration(d) }

// JSON writes the report as indented JSON.
func (rep *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// JUnit writes the report as JUnit XML: a test suite per pane, a test
// case per cell; a failed check is a failure, a cell with no answer an
// error.
func (rep *Report) JUnit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Error     *failure `xml:"error,omitempty"`
		Out       string   `xml:"system-out,omitempty"`
	}
	type suite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type suites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     string   `xml:"name,attr"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Time     string   `xml:"time,attr"`
		Suites   []suite  `xml:"testsuite"`
	}
	all := suites{Name: rep.Name, Time: fmt.Sprintf("%.3f", rep.Duration.Seconds())}
	if all.Name == "" {
		all.Name = "experiment"
	}
	bySuite := make([]suite, len(rep.Panes))
	for i, p := range rep.Panes {
		bySuite[i] = suite{Name: p.Label}
	}
	var elapsed = make([]time.Duration, len(rep.Panes))
	for _, c := range rep.Cells {
		s := &bySuite[c.Cell.Pane]
		tc := testcase{Name: cellName(c), Classname: s.Name, Time: fmt.Sprintf("%.3f", c.Latency.Seconds()), Out: c.Text}
		elapsed[c.Cell.Pane] += c.Latency
		switch {
		case c.Error != "" && len(c.Checks) == 0:
			tc.Error = &failure{Message: c.Error, Text: c.Error}
			s.Errors++
		case !c.Pass:
			var reasons []string
			for _, r := range c.Checks {
				if !r.Pass {
					reasons = append(reasons, r.Check.String()+": "+r.Reason)
				}
			}
			tc.Failure = &failure{Message: strings.Join(reasons, "; "), Text: strings.Join(reasons, "\n")}
			s.Failures++
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	for i := range bySuite {
		bySuite[i].Time = fmt.Sprintf("%.3f", elapsed[i].Seconds())
		all.Tests += bySuite[i].Tests
		all.Failures += bySuite[i].Failures
		all.Errors += bySuite[i].Errors
	}
	all.Suites = bySuite
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// cellName names a cell in a JUnit report: its case's number and values,
// and its repeat.
func cellName(c CellReport) string {
	var vs []string
	for _, k := range slices.Sorted(maps.Keys(c.Vars)) {
		v := c.Vars[k]
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "…"
		}
		vs = append(vs, k+"="+v)
	}
	name := fmt.Sprintf("case %d", c.Cell.Case+1)
	if len(vs) > 0 {
		name += " (" + strings.Join(vs, ", ") + ")"
	}
	return fmt.Sprintf("%s #%d", name, c.Cell.Repeat+1)
}
