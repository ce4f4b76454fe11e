package main

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Scenario 6 is left out of a full run with a note when it cannot run,
// and asked for by name it fails saying why.
func TestClusterCheck(t *testing.T) {
	all, _ := pick("")
	noNginx := errors.New("balancer: nginx is not installed")
	for _, c := range []struct {
		name     string
		explicit bool
		db       string
		skip     bool
		nginx    error
		want     string // in the note or the error; "" when 6 runs
		fails    bool
	}{
		{name: "ready", db: "postgres://x"},
		{name: "no database", want: "needs PostgreSQL"},
		{name: "no nginx", db: "postgres://x", nginx: noNginx, want: "nginx is not installed"},
		{name: "-no-nginx", db: "postgres://x", skip: true, want: "-no-nginx"},
		{name: "-only 6, no database", explicit: true, want: "needs PostgreSQL", fails: true},
		{name: "-only 6, no nginx", explicit: true, db: "postgres://x", nginx: noNginx, want: "nginx", fails: true},
	} {
		todo := all
		if c.explicit {
			todo, _ = pick("6")
		}
		got, note, err := clusterCheck(todo, c.explicit, c.db, c.skip, c.nginx)
		switch {
		case c.fails:
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v", c.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "":
			if len(got) != len(todo) || note != "" {
				t.Errorf("%s: %d scenarios, note %q", c.name, len(got), note)
			}
		default:
			if len(got) != len(all)-1 || got[len(got)-1].id != "5" || !strings.Contains(note, c.want) || len(all) != len(scenarios) {
				t.Errorf("%s: %d scenarios, note %q", c.name, len(got), note)
			}
		}
	}
	// Without scenario 6 nothing is checked.
	some, _ := pick("1,3")
	if got, note, err := clusterCheck(some, true, "", true, noNginx); len(got) != 2 || note != "" || err != nil {
		t.Errorf("1,3: %d, %q, %v", len(got), note, err)
	}
}

// The follower of each run is the instance nginx logged for its GET
// /runs/ID/events; other requests do not count.
func TestFollowers(t *testing.T) {
	got := followers([][2]string{
		{"GET /", "127.0.0.1:1"},
		{"POST /runs", "127.0.0.1:2"},
		{"GET /runs/aa/events", "127.0.0.1:3"},
		{"GET /runs/bb/inspector", "127.0.0.1:1"},
		{"GET /runs/cc/events", "127.0.0.1:1"},
		{"GET /runs/x/y/events", "127.0.0.1:2"},
	})
	if len(got) != 2 || got["aa"] != "127.0.0.1:3" || got["cc"] != "127.0.0.1:1" {
		t.Errorf("%v", got)
	}
}

// A /proc/PID/stat line gives the command (brackets and spaces in it
// included), the parent and the reaped children's CPU.
func TestParseStat(t *testing.T) {
	line := "4242 (postgres) S 4200 4242 4242 0 -1 4194560 1000 2000 0 0 50 30 250 150 20 0 1 0 100 200000000 3000 18446744073709551615"
	st, ok := parseStat(line)
	if !ok || st.comm != "postgres" || st.ppid != 4200 || math.Abs(st.reaped-4) > 1e-9 {
		t.Errorf("%+v %v", st, ok)
	}
	st, ok = parseStat("7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1 1")
	if !ok || st.comm != "a (b) c" || st.ppid != 1 || st.reaped != 0 {
		t.Errorf("brackets: %+v %v", st, ok)
	}
	if _, ok := parseStat("7 (x) R 1"); ok {
		t.Error("a short line was read")
	}
}

// Scenario 6's rows: percentiles per side, the follows split by where
// they were served, CPU per 1,000 events per instance and in all.
func TestClusterRows(t *testing.T) {
	figs := map[string]sideFigures{
		sideOne: {first: []float64{2, 4, 6}, panel: []float64{1, 2, 3}, firstSame: []float64{2, 4, 6}, answerSame: []float64{1}, followed: 3,
			late: []float64{1, 60}, cpu: []float64{0.5}, peak: []float64{100 << 20}, pgCPU: 0.1, nginxCPU: 0.05},
		sideThree: {live: []float64{1, 2, 80, 3}, first: []float64{3, 60, 70}, firstSame: []float64{3}, firstOther: []float64{60, 70}, answerOther: []float64{55, 65}, followed: 3, otherShare: 200.0 / 3,
			late: []float64{1}, cpu: []float64{0.2, 0.3, 0.4}, peak: []float64{50 << 20, 60 << 20, 70 << 20}, pgCPU: 0.4, nginxCPU: 0.05, errs: 1, notFound: 1, notFoundAfter: []float64{1100}},
	}
	rows := clusterRows(figs, 100_000)
	get := func(metric, side string) (float64, bool) {
		for _, r := range rows {
			if r.metric == metric {
				v, ok := r.values[side]
				return v, ok
			}
		}
		t.Fatalf("no row %q", metric)
		return 0, false
	}
	for _, c := range []struct {
		metric, side string
		want         float64
	}{
		{"time to first text event p50", sideOne, 4},
		{"time to first text event p50", sideThree, 60},
		{"run panel received (POST /runs answered) p50", sideOne, 2},
		{"… followed on another instance, p50", sideThree, 60},
		{"added first text event p50: another instance − 1 instance", sideThree, 56},
		{"events answered (run found), another instance, p50", sideThree, 55},
		{"follows served by another instance", sideThree, 200.0 / 3},
		{"deltas later than 50 ms", sideOne, 50},
		{"deltas later than 50 ms", sideThree, 0},
		{"… deltas sent after the follow was answered: latency p50", sideThree, 2},
		{"… deltas sent after the follow was answered: later than 50 ms", sideThree, 25},
		// 0.9 s over 100 events of 1,000: 9 ms, 3 ms an instance.
		{"CPU per 1,000 events, all instances", sideThree, 9},
		{"CPU per 1,000 events, each instance (mean)", sideThree, 3},
		{"CPU per 1,000 events, busiest instance", sideThree, 4},
		{"CPU per 1,000 events, each instance (mean)", sideOne, 5},
		{"PostgreSQL CPU per 1,000 events", sideThree, 4},
		{"CPU per 1,000 events, instances + PostgreSQL + nginx", sideThree, 13.5},
		{"peak RSS per instance (mean)", sideThree, 60},
		{"peak RSS, largest instance", sideThree, 70},
		{"errors", sideThree, 1},
		{"errors", sideOne, 0},
		{"… of them follows answered 404 (run not found)", sideThree, 1},
		{"… their 404 received, p50 (from the POST)", sideThree, 1100},
	} {
		if got, ok := get(c.metric, c.side); !ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s, %s: %v (%v), want %v", c.metric, c.side, got, ok, c.want)
		}
	}
	if _, ok := get("… followed on another instance, p50", sideOne); ok {
		t.Error("one instance has follows on another")
	}
}

// A scenario with its own columns gets them, and its difference and ratio
// columns are taken round by round.
func TestReportOwnColumns(t *testing.T) {
	round := func(one, three float64) []result {
		return []result{{title: "6. x", peers: clusterSides, pairs: clusterPairs, rows: []row{
			{metric: "first", unit: "ms", values: map[string]float64{sideOne: one, sideThree: three}},
			{metric: "errors", total: true, values: map[string]float64{sideOne: 0, sideThree: 0}},
		}}}
	}
	ss := combine([][]result{round(2, 10), round(4, 8), round(2, 12)})
	// Differences 8, 4, 10; ratios 5, 2, 6.
	if got := ss[0].rows[0].ratios; got[0] != (stat{med: 8, lo: 4, hi: 10, n: 3}) || got[1] != (stat{med: 5, lo: 2, hi: 6, n: 3}) {
		t.Errorf("%+v", got)
	}
	if got := ss[0].rows[1].ratios; got[0].n != 0 || got[1].n != 0 {
		t.Errorf("errors compared: %+v", got)
	}
	var sb strings.Builder
	report(&sb, &bench{relayClient: "net/http"}, relayPeers, 3, ss)
	out := sb.String()
	if !strings.Contains(out, "| metric | 1 instance | 3 instances | 3 instances − 1 instance | 3 instances / 1 instance |\n|---|---|---|---|---|\n") ||
		!strings.Contains(out, "| first | 2.00 ms (2.00–4.00) | 10.0 ms (8.00–12.0) | +8.00 ms (4.00–10.0) | 5.00× (2.00–6.00) |") ||
		!strings.Contains(out, "| errors | 0.00 | 0.00 | — |  |") {
		t.Errorf("%s", out)
	}
}
