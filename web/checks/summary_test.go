package checks

import (
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	pass, fail := []Result{{Pass: true}, {Pass: true}}, []Result{{Pass: true}, {Pass: false, Reason: "x"}}
	usd := func(s string) map[string]*big.Rat { return map[string]*big.Rat{"USD": rat(s)} }
	judged := []Result{{Pass: true, Verdict: &Verdict{Pass: true, Cost: usd("0.0001"), Credits: rat("1")}}}
	cells := []Cell{
		// Case 0: three repeats, two the same after trimming.
		{Case: 0, Done: true, Answer: Answer{Text: "Paris", Latency: ms(100), Cost: usd("0.001")}, Results: pass},
		{Case: 0, Done: true, Answer: Answer{Text: " Paris\n", Latency: ms(300), Cost: usd("0.001")}, Results: pass},
		{Case: 0, Done: true, Answer: Answer{Text: "It is Paris.", Latency: ms(200), Cost: usd("0.002")}, Results: fail},
		// Case 1: two repeats that differ; one judged.
		{Case: 1, Done: true, Answer: Answer{Text: "日本", Latency: ms(400), Cost: usd("1/3")}, Results: judged},
		{Case: 1, Done: true, Answer: Answer{Text: "Tokyo", Latency: ms(500)}},
		// Case 2: one answer, one errored run (it cost something), one pending.
		{Case: 2, Done: true, Answer: Answer{Text: "Rome", Latency: ms(1000), Cost: map[string]*big.Rat{"CNY": rat("0.5")}}, Results: fail},
		{Case: 2, Done: true, Errored: true, Answer: Answer{Latency: ms(9000), Cost: usd("0.01")}},
		{Case: 2},
	}
	got := Summarize(cells)
	// The mean of 2/3 and 1/2, to the float's last digit.
	if math.Abs(got.Agreement-7.0/12) > 1e-12 {
		t.Errorf("agreement %v, want 7/12", got.Agreement)
	}
	got.Agreement = 0
	want := Summary{
		Cells: 8, Checked: 6, Passed: 4, Errored: 1, PassRate: 4.0 / 6,
		Cost:    map[string]*big.Rat{"USD": rat("0.0141").Add(rat("0.0141"), rat("1/3")), "CNY": rat("0.5")},
		Credits: rat("1"),
		// Sorted: 100 200 300 400 500 1000. p50: rank ⌈3⌉ = 3 → 300;
		// p90: rank ⌈5.4⌉ = 6 → 1000.
		P50: ms(300), P90: ms(1000),
		Cases: []CaseAgreement{
			{Case: 0, Answers: 3, Same: 2, Share: 2.0 / 3, MinLength: 5, MaxLength: 12},
			{Case: 1, Answers: 2, Same: 1, Share: 0.5, MinLength: 2, MaxLength: 5},
			{Case: 2, Answers: 1, Same: 1, Share: 1, MinLength: 4, MaxLength: 4},
		},
		Repeated: 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
	if cells[0].Answer.Cost["USD"].Cmp(rat("0.001")) != 0 {
		t.Fatal("Summarize changed a cell's amount")
	}
}

func TestSummarizeNothing(t *testing.T) {
	got := Summarize([]Cell{{Case: 0}, {Case: 1}})
	if !reflect.DeepEqual(got, Summary{Cells: 2}) {
		t.Fatalf("got %+v", got)
	}
}

func TestNearestRank(t *testing.T) {
	cases := []struct {
		values   []int
		p, value int
	}{
		{[]int{7}, 50, 7},
		{[]int{7}, 90, 7},
		{[]int{1, 2}, 50, 1},
		{[]int{1, 2}, 90, 2},
		{[]int{15, 20, 35, 40, 50}, 50, 35},
		{[]int{15, 20, 35, 40, 50}, 90, 50},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5},
	}
	for _, c := range cases {
		ds := make([]time.Duration, len(c.values))
		for i, v := range c.values {
			ds[i] = time.Duration(v)
		}
		if got := nearestRank(ds, c.p); got != time.Duration(c.value) {
			t.Errorf("p%d of %v: got %d, want %d", c.p, c.values, got, c.value)
		}
	}
}

func TestWinRates(t *testing.T) {
	votes := []Vote{
		{Case: 0, A: 0, B: 1, Pick: PickA},
		{Case: 1, A: 1, B: 0, Pick: PickA}, // pane 1 shown first
		{Case: 2, A: 0, B: 1, Pick: Tie},
		{Case: 3, A: 0, B: 1, Pick: PickA},
		{Case: 0, A: 2, B: 0, Pick: PickB},
		{Case: 4, A: 0, B: 1, Pick: "both"}, // not counted
		{Case: 5, A: 1, B: 1, Pick: PickA},  // not counted
	}
	got := WinRates(votes)
	want := []WinRate{
		{Pane: 0, Votes: 5, Wins: 3, Losses: 1, Ties: 1, Rate: 3.5 / 5},
		{Pane: 1, Votes: 4, Wins: 1, Losses: 2, Ties: 1, Rate: 1.5 / 4},
		{Pane: 2, Votes: 1, Losses: 1, Rate: 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got := WinRates(nil); len(got) != 0 {
		t.Fatalf("no votes: %+v", got)
	}
}
