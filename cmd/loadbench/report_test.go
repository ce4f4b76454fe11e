package main

import (
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/sim"
)

// The CPU split solves cpu = fixed + events × perEvent from two lengths.
func TestSplitCPU(t *testing.T) {
	// 0.6 ms a run and 15 µs an event: 0.75 ms at 10 events, 2.1 ms at 100.
	fixed, per := splitCPU(10, 0.00075, 100, 0.0021)
	if math.Abs(fixed-0.0006) > 1e-12 || math.Abs(per-0.000015) > 1e-12 {
		t.Errorf("fixed %g s, per event %g s; want 0.0006, 0.000015", fixed, per)
	}
	// Equal CPU at both lengths: all of it is per run.
	if fixed, per := splitCPU(10, 0.001, 100, 0.001); fixed != 0.001 || per != 0 {
		t.Errorf("flat: %g, %g", fixed, per)
	}
}

// Each round starts the peers at the next one, so every peer goes first
// once in as many rounds as there are peers.
func TestRotate(t *testing.T) {
	peers := []string{"d", "p", "g", "n"}
	want := [][]string{{"d", "p", "g", "n"}, {"p", "g", "n", "d"}, {"g", "n", "d", "p"}, {"n", "d", "p", "g"}, {"d", "p", "g", "n"}}
	firsts := map[string]bool{}
	for r, w := range want {
		got := rotate(peers, r)
		if !reflect.DeepEqual(got, w) {
			t.Errorf("round %d: %v, want %v", r, got, w)
		}
		firsts[got[0]] = true
	}
	if len(firsts) != 4 || !reflect.DeepEqual(peers, []string{"d", "p", "g", "n"}) {
		t.Errorf("firsts %v; peers changed: %v", firsts, peers)
	}
	if rotate([]string(nil), 2) != nil {
		t.Error("no peers")
	}
	if got := orders([]string{peerDirect, peerGoRelay}, 2); got != "round 1: direct, Go relay; round 2: Go relay, direct" {
		t.Errorf("orders: %q", got)
	}
}

func TestStatOf(t *testing.T) {
	if s := statOf([]float64{3, 1, 2}); s != (stat{med: 2, lo: 1, hi: 3, n: 3}) {
		t.Errorf("odd: %+v", s)
	}
	if s := statOf([]float64{4, 1, 2, 3}); s != (stat{med: 2.5, lo: 1, hi: 4, n: 4}) {
		t.Errorf("even: %+v", s)
	}
	if s := statOf(nil); s.n != 0 {
		t.Errorf("none: %+v", s)
	}
}

// combine takes an added row's relay values less direct's in each round,
// ratios in each round, and errors summed.
func TestCombine(t *testing.T) {
	round := func(d, p, g, n, perr float64) []result {
		return []result{{title: "1", rows: []row{
			{metric: "first", unit: "ms", added: true, values: map[string]float64{peerDirect: d, peerPlayground: p, peerGoRelay: g, peerNginx: n}},
			{metric: "cpu", unit: "ms", values: map[string]float64{peerPlayground: p, peerGoRelay: g}},
			{metric: "errors", total: true, values: map[string]float64{peerDirect: 0, peerPlayground: perr}},
		}}}
	}
	ss := combine([][]result{round(1, 3, 2, 1.5, 0), round(2, 5, 3, 2.5, 2), round(1, 2, 1.5, 2, 1)})
	if len(ss) != 1 || len(ss[0].rows) != 3 {
		t.Fatalf("%+v", ss)
	}
	first := ss[0].rows[0]
	// Added: playground 2, 3, 1; Go relay 1, 1, 0.5; nginx 0.5, 0.5, 1.
	if got := first.cells[peerPlayground]; got != (stat{med: 2, lo: 1, hi: 3, n: 3}) {
		t.Errorf("playground added: %+v", got)
	}
	if got := first.cells[peerDirect]; got != (stat{med: 1, lo: 1, hi: 2, n: 3}) {
		t.Errorf("direct stays absolute: %+v", got)
	}
	// playground / Go relay per round: 2, 3, 2; playground / nginx: 4, 6, 1.
	if got := first.ratios[0]; got != (stat{med: 2, lo: 2, hi: 3, n: 3}) {
		t.Errorf("playground / Go relay: %+v", got)
	}
	if got := first.ratios[1]; got != (stat{med: 4, lo: 1, hi: 6, n: 3}) {
		t.Errorf("playground / nginx: %+v", got)
	}
	cpu := ss[0].rows[1]
	if cpu.ratios[1].n != 0 || cpu.ratios[0].n != 3 {
		t.Errorf("cpu ratios without nginx: %+v", cpu.ratios)
	}
	if got := ss[0].rows[2].cells[peerPlayground]; got.med != 3 || got.n != 1 {
		t.Errorf("errors are summed: %+v", got)
	}
	if ss[0].rows[2].ratios[0].n != 0 {
		t.Error("errors have no ratios")
	}
	// A relay that adds less than nothing in a round gives no ratio there.
	neg := combine([][]result{round(2, 1, 3, 3, 0), round(1, 3, 2, 2, 0)})
	if got := neg[0].rows[0].ratios[0]; got.n != 1 || got.med != 2 {
		t.Errorf("negative added: %+v", got)
	}
}

func TestCells(t *testing.T) {
	for _, c := range []struct {
		s    stat
		unit string
		sign bool
		want string
	}{
		{stat{med: 1.164, lo: 1.02, hi: 1.52, n: 3}, "ms", true, "+1.16 ms (1.02–1.52)"},
		{stat{med: -0.01, lo: -0.11, hi: 0.08, n: 3}, "ms", true, "-0.01 ms (-0.11–0.08)"},
		{stat{med: 228.3, lo: 228.3, hi: 228.3, n: 3}, "KiB", false, "228.3 KiB"},
		{stat{med: 65827, lo: 60000, hi: 70000, n: 2}, "ev/s", false, "65827 ev/s (60000–70000)"},
		{stat{med: 100, lo: 100, hi: 100, n: 1}, "", false, "100.0"},
		{stat{}, "ms", false, "—"},
	} {
		if got := cell(c.s, c.unit, c.sign); got != c.want {
			t.Errorf("cell(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
	if got := ratioCell(stat{med: 2.1, lo: 1.9, hi: 2.4, n: 3}); got != "2.10× (1.90–2.40)" {
		t.Errorf("ratio: %q", got)
	}
	if got := ratioCell(stat{med: 2.1, lo: 2.1, hi: 2.1, n: 3}); got != "2.10×" {
		t.Errorf("ratio without spread: %q", got)
	}
	if got := ratioCell(stat{}); got != "" {
		t.Errorf("no ratio: %q", got)
	}
}

// The table has a column for each peer and each ratio, on every row.
func TestReportTable(t *testing.T) {
	var sb strings.Builder
	ss := combine([][]result{{{title: "1. x", rows: []row{{metric: "m", unit: "ms", values: map[string]float64{peerGoRelay: 1, peerNginx: 2}}}}}})
	report(&sb, &bench{relayClient: "net/http"}, []string{peerDirect, peerPlayground, peerGoRelay, peerNginx}, 1, ss)
	out := sb.String()
	if !strings.Contains(out, "| metric | direct | playground | Go relay | nginx | playground / Go relay | playground / nginx | Go relay / nginx |") ||
		!strings.Contains(out, "| m | — | — | 1.00 ms | 2.00 ms |  |  | 0.50× |") {
		t.Errorf("%s", out)
	}
}

// Stamps are found in the simulator's chunks and in the playground's
// delta and md events (JSON-escaped HTML), once each, and nowhere else.
func TestScanStamps(t *testing.T) {
	if stampPrefix != sim.StampPrefix {
		t.Fatalf("stampPrefix %q, the simulator's %q", stampPrefix, sim.StampPrefix)
	}
	for _, c := range []struct {
		line string
		want []int64
	}{
		{`data: {"choices":[{"delta":{"content":" ts1764876000123456"}}]}`, []int64{1764876000123456}},
		{`data: {"c":0,"t":" ts1764876000123456 ts1764876000143456"}`, []int64{1764876000123456, 1764876000143456}},
		{`data: {"c":0,"h":"\u003cp\u003e ts1764876000123456 ts1764876000143456\u003c/p\u003e","tail":" ts1764876000163456"}`, []int64{1764876000123456, 1764876000143456, 1764876000163456}},
		{`data: {"c":0,"t":"ts1764876000123456"}`, []int64{1764876000123456}},
		{`data: {"c":0,"h":"\u003cp\u003ets1764876000123456\u003c/p\u003e"}`, []int64{1764876000123456}},
		{`data: {"t":"ts176487600012345 ts17648760001234567 tsx ts"}`, nil},
		{`data: {"t":"ts"}`, nil},
	} {
		var got []int64
		scanStamps([]byte(c.line), func(v int64) { got = append(got, v) })
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.line, got, c.want)
		}
	}
}

func TestPick(t *testing.T) {
	all, err := pick("")
	if err != nil || len(all) != len(scenarios) {
		t.Errorf("all: %d, %v", len(all), err)
	}
	some, err := pick("3, 1")
	if err != nil || len(some) != 2 || some[0].id != "3" || some[1].id != "1" {
		t.Errorf("3,1: %+v, %v", some, err)
	}
	if _, err := pick("7"); err == nil {
		t.Error("scenario 7 was accepted")
	}
}

// The CPU count grows with work done and agrees with the kernel's ticks.
func TestCPUSeconds(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	pid := os.Getpid()
	c0, t0 := cpuSeconds(pid), tickSeconds(pid)
	x := 0
	// Work until the ticks say 100 ms were spent (on a busy machine that
	// takes longer than 100 ms).
	for start := time.Now(); tickSeconds(pid)-t0 < 0.1 && time.Since(start) < 5*time.Second; {
		for range 100_000 {
			x++
		}
	}
	c, tk := cpuSeconds(pid)-c0, tickSeconds(pid)-t0
	if c < 0.08 || math.Abs(c-tk) > 0.03 {
		t.Errorf("%.3f s of work in ticks, %.3f s counted (%d)", tk, c, x)
	}
}
