package main

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
)

// stat is one figure over the rounds: the median and the range.
type stat struct {
	med, lo, hi float64
	n           int
}

func statOf(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{med: med, lo: s[0], hi: s[len(s)-1], n: len(s)}
}

// comparison is a column comparing two peers, taken in each round (the
// peers of one round share its machine) and then spread over the rounds:
// a / b, or with diff a − b.
type comparison struct {
	a, b string
	diff bool
}

// ratioPairs are the ratios each row of the relay scenarios shows.
var ratioPairs = []comparison{{a: peerPlayground, b: peerGoRelay}, {a: peerPlayground, b: peerNginx}, {a: peerGoRelay, b: peerNginx}}

// relayPeers are the relay scenarios' columns.
var relayPeers = []string{peerDirect, peerPlayground, peerGoRelay, peerNginx}

// summary is one scenario over the rounds.
type summary struct {
	title string
	notes []string
	peers []string     // the columns
	pairs []comparison // the comparison columns
	rows  []sumRow
}

type sumRow struct {
	metric, unit string
	added, total bool
	cells        map[string]stat // by side
	ratios       []stat          // by the summary's pairs; n 0 where not measured
}

// compare is c's figure for one round's values, false where there is none:
// an added row's ratio is taken only where both add time (what a relay
// adds can be negative within the noise), a total row has none.
func (c comparison) compare(rw row, adj map[string]float64) (float64, bool) {
	a, okA := adj[c.a]
	b, okB := adj[c.b]
	switch {
	case !okA || !okB || rw.total:
		return 0, false
	case c.diff:
		return a - b, true
	case b > 0 && (a >= 0 || !rw.added):
		return a / b, true
	}
	return 0, false
}

// combine gathers each scenario's rounds (rounds[r][k]: scenario k of
// round r) into one summary each. An added row's relay values are what
// the relay adds over direct in the same round, and so are its ratios.
func combine(rounds [][]result) []summary {
	if len(rounds) == 0 {
		return nil
	}
	var out []summary
	for k, first := range rounds[0] {
		s := summary{title: first.title, notes: first.notes, peers: relayPeers, pairs: ratioPairs}
		if first.peers != nil {
			s.peers, s.pairs = first.peers, first.pairs
		}
		for i, fr := range first.rows {
			vals := map[string][]float64{}
			ratios := make([][]float64, len(s.pairs))
			for _, round := range rounds {
				if k >= len(round) || i >= len(round[k].rows) {
					continue
				}
				rw := round[k].rows[i]
				adj := map[string]float64{}
				for side, v := range rw.values {
					if d, ok := rw.values[peerDirect]; rw.added && side != peerDirect && ok {
						v -= d
					}
					adj[side] = v
					vals[side] = append(vals[side], v)
				}
				for j, pr := range s.pairs {
					if v, ok := pr.compare(rw, adj); ok {
						ratios[j] = append(ratios[j], v)
					}
				}
			}
			sr := sumRow{metric: fr.metric, unit: fr.unit, added: fr.added, total: fr.total, cells: map[string]stat{}}
			for side, xs := range vals {
				if fr.total {
					sum := 0.0
					for _, x := range xs {
						sum += x
					}
					sr.cells[side] = stat{med: sum, lo: sum, hi: sum, n: 1}
					continue
				}
				sr.cells[side] = statOf(xs)
			}
			for _, xs := range ratios {
				sr.ratios = append(sr.ratios, statOf(xs))
			}
			s.rows = append(s.rows, sr)
		}
		out = append(out, s)
	}
	return out
}

// format is a figure with as many digits as it deserves.
func format(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// cell is a value with its unit and, over more than one round, its
// range: "+1.16 ms (1.02–1.52)"; sign marks a value added over direct
// (the range is unsigned but for a negative bound).
func cell(s stat, unit string, sign bool) string {
	if s.n == 0 {
		return "—"
	}
	f := format
	if sign {
		f = func(v float64) string {
			if v >= 0 {
				return "+" + format(v)
			}
			return format(v)
		}
	}
	out := f(s.med)
	if unit != "" {
		out += " " + unit
	}
	if s.n > 1 && format(s.lo) != format(s.hi) {
		out += " (" + format(s.lo) + "–" + format(s.hi) + ")"
	}
	return out
}

// ratioCell is a ratio and its range over the rounds: "2.10× (1.90–2.40)".
func ratioCell(s stat) string {
	if s.n == 0 {
		return ""
	}
	r := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	out := r(s.med) + "×"
	if s.n > 1 && r(s.lo) != r(s.hi) {
		out += " (" + r(s.lo) + "–" + r(s.hi) + ")"
	}
	return out
}

// displayName is a peer's name in the tables.
func displayName(p string) string {
	if p == peerGoRelay {
		return "Go relay"
	}
	return p
}

// orders says each round's order of the peers.
func orders(peers []string, rounds int) string {
	var parts []string
	for r := range rounds {
		var names []string
		for _, p := range rotate(peers, r) {
			names = append(names, displayName(p))
		}
		parts = append(parts, fmt.Sprintf("round %d: %s", r+1, strings.Join(names, ", ")))
	}
	return strings.Join(parts, "; ")
}

// report prints the summaries as Markdown: each peer's median over the
// rounds and its range (added rows: the relays' values less direct's), and
// the ratios to the Go relay and to nginx taken in each round.
func report(w io.Writer, b *bench, peers []string, rounds int, ss []summary) {
	fmt.Fprintf(w, "\nMachine: %d CPUs, %s/%s, %s. nginx: %s. Go relay's client: %s.\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), orNone(b.nginx), b.relayClient)
	fmt.Fprintf(w, "\n%d rounds, a fresh simulator, playground and relays per scenario and round; peer order %s. Each figure is the median over the rounds, (min–max) its range; a \"+\" figure is added over direct in the same round, and its ratios are of the added times.\n", rounds, orders(peers, rounds))
	for _, s := range ss {
		head, rule := "| metric |", "|---|"
		for _, p := range s.peers {
			head += " " + displayName(p) + " |"
			rule += "---|"
		}
		for _, pr := range s.pairs {
			op := " / "
			if pr.diff {
				op = " − "
			}
			head += " " + displayName(pr.a) + op + displayName(pr.b) + " |"
			rule += "---|"
		}
		fmt.Fprintf(w, "\n#### %s\n\n%s\n%s\n", s.title, head, rule)
		for _, rw := range s.rows {
			line := "| " + rw.metric + " |"
			for _, p := range s.peers {
				line += " " + cell(rw.cells[p], rw.unit, rw.added && p != peerDirect) + " |"
			}
			for j, r := range rw.ratios {
				if s.pairs[j].diff {
					line += " " + cell(r, rw.unit, true) + " |"
				} else {
					line += " " + ratioCell(r) + " |"
				}
			}
			fmt.Fprintln(w, line)
		}
		for _, note := range s.notes {
			fmt.Fprintf(w, "\n%s\n", note)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "not installed"
	}
	return s
}
