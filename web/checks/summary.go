package checks

import (
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Cell is one run of a pane's grid: a case, one of its repeats. A cell
// not Done (queued, running) counts only in Summary.Cells; a Done cell
// whose run Errored (no answer: the provider failed, it was stopped)
// counts in Errored and in the cost, not in the pass rate.
type Cell struct {
	// Case is the case's row; a case's repeats share it.
	Case    int      `json:"case"`
	Done    bool     `json:"done"`
	Errored bool     `json:"errored,omitempty"`
	Answer  Answer   `json:"answer"`
	Results []Result `json:"results,omitempty"`
}

// Summary is a pane's statistics over its cells.
type Summary struct {
	Cells int `json:"cells"`
	// Checked are the cells done with an answer, Passed those of them
	// whose every check passed (a cell with no checks passes), Errored
	// the cells done without one.
	Checked int `json:"checked"`
	Passed  int `json:"passed"`
	Errored int `json:"errored"`
	// PassRate is Passed / Checked, 0 when nothing is checked yet.
	PassRate float64 `json:"pass_rate"`
	// Cost is the exact total per currency of the done cells' runs and
	// of their judges' verdicts; Credits the total in credits (nil when
	// nothing bills in credits).
	Cost    map[string]*big.Rat `json:"cost,omitempty"`
	Credits *big.Rat            `json:"credits,omitempty"`
	// P50 and P90 are the checked cells' latencies at those percentiles,
	// by nearest rank (the value at rank ⌈p/100·n⌉ of the sorted
	// latencies: always one of them, never interpolated); 0 for none.
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	// Cases is each case's agreement over its checked cells, by case.
	Cases []CaseAgreement `json:"cases,omitempty"`
	// Agreement is the mean of Share over the cases with two answers or
	// more (Repeated of them); 0 when there are none.
	Agreement float64 `json:"agreement"`
	Repeated  int     `json:"repeated"`
}

// CaseAgreement is how much a case's repeats agree: Same of its Answers
// gave the most common answer (the texts compared exactly after trimming
// white space at both ends), Share is Same / Answers; MinLength and
// MaxLength are the spread of the trimmed answers' lengths, in characters
// (runes).
type CaseAgreement struct {
	Case      int     `json:"case"`
	Answers   int     `json:"answers"`
	Same      int     `json:"same"`
	Share     float64 `json:"share"`
	MinLength int     `json:"min_length"`
	MaxLength int     `json:"max_length"`
}

// Summarize computes a pane's statistics from its cells, in any order.
func Summarize(cells []Cell) Summary {
	s := Summary{Cells: len(cells)}
	var latencies []time.Duration
	texts := map[int][]string{}
	for _, c := range cells {
		if !c.Done {
			continue
		}
		s.addCost(c.Answer.Cost, c.Answer.Credits)
		for _, r := range c.Results {
			if r.Verdict != nil {
				s.addCost(r.Verdict.Cost, r.Verdict.Credits)
			}
		}
		if c.Errored {
			s.Errored++
			continue
		}
		s.Checked++
		if passed(c.Results) {
			s.Passed++
		}
		latencies = append(latencies, c.Answer.Latency)
		texts[c.Case] = append(texts[c.Case], strings.TrimSpace(c.Answer.Text))
	}
	if s.Checked > 0 {
		s.PassRate = float64(s.Passed) / float64(s.Checked)
	}
	slices.Sort(latencies)
	s.P50, s.P90 = nearestRank(latencies, 50), nearestRank(latencies, 90)
	for _, k := range slices.Sorted(maps.Keys(texts)) {
		a := agreement(k, texts[k])
		s.Cases = append(s.Cases, a)
		if a.Answers >= 2 {
			s.Agreement += a.Share
			s.Repeated++
		}
	}
	if s.Repeated > 0 {
		s.Agreement /= float64(s.Repeated)
	}
	return s
}

// passed says every result passed.
func passed(rs []Result) bool {
	for _, r := range rs {
		if !r.Pass {
			return false
		}
	}
	return true
}

func (s *Summary) addCost(amounts map[string]*big.Rat, credits *big.Rat) {
	for cur, r := range amounts {
		if r == nil {
			continue
		}
		if s.Cost == nil {
			s.Cost = map[string]*big.Rat{}
		}
		if s.Cost[cur] == nil {
			s.Cost[cur] = new(big.Rat)
		}
		s.Cost[cur].Add(s.Cost[cur], r)
	}
	if credits != nil {
		if s.Credits == nil {
			s.Credits = new(big.Rat)
		}
		s.Credits.Add(s.Credits, credits)
	}
}

// nearestRank is the p-th percentile of sorted values by nearest rank.
func nearestRank(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100 // ⌈p·n/100⌉
	return sorted[max(rank, 1)-1]
}

// agreement of one case's trimmed answers.
func agreement(k int, texts []string) CaseAgreement {
	a := CaseAgreement{Case: k, Answers: len(texts), MinLength: -1}
	counts := map[string]int{}
	for _, t := range texts {
		counts[t]++
		a.Same = max(a.Same, counts[t])
		n := utf8.RuneCountInString(t)
		if a.MinLength < 0 || n < a.MinLength {
			a.MinLength = n
		}
		a.MaxLength = max(a.MaxLength, n)
	}
	a.Share = float64(a.Same) / float64(a.Answers)
	return a
}

// Pick is a blind comparison's vote: the first pane's answer was better,
// the second's, or neither.
type Pick string

// The picks.
const (
	PickA Pick = "a"
	PickB Pick = "b"
	Tie   Pick = "tie"
)

// Vote is one blind comparison of two panes' answers to a case.
type Vote struct {
	Case int  `json:"case"`
	A    int  `json:"a"`
	B    int  `json:"b"`
	Pick Pick `json:"pick"`
}

// WinRate is a pane's record over the votes it was in.
type WinRate struct {
	Pane   int `json:"pane"`
	Votes  int `json:"votes"`
	Wins   int `json:"wins"`
	Losses int `json:"losses"`
	Ties   int `json:"ties"`
	// Rate is (Wins + Ties/2) / Votes: 0.5 is even, a tie counting half
	// a win for each side.
	Rate float64 `json:"rate"`
}

// WinRates counts each pane's wins, losses and ties over the votes, one
// WinRate per pane that was in a vote, by pane. A vote with an unknown
// pick, or a pane compared with itself, is not counted.
func WinRates(votes []Vote) []WinRate {
	by := map[int]*WinRate{}
	get := func(p int) *WinRate {
		if by[p] == nil {
			by[p] = &WinRate{Pane: p}
		}
		return by[p]
	}
	for _, v := range votes {
		if v.A == v.B || (v.Pick != PickA && v.Pick != PickB && v.Pick != Tie) {
			continue
		}
		a, b := get(v.A), get(v.B)
		a.Votes++
		b.Votes++
		switch v.Pick {
		case PickA:
			a.Wins++
			b.Losses++
		case PickB:
			b.Wins++
			a.Losses++
		default:
			a.Ties++
			b.Ties++
		}
	}
	out := make([]WinRate, 0, len(by))
	for _, w := range by {
		w.Rate = (float64(w.Wins) + float64(w.Ties)/2) / float64(w.Votes)
		out = append(out, *w)
	}
	slices.SortFunc(out, func(x, y WinRate) int { return x.Pane - y.Pane })
	return out
}
