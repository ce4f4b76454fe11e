// Command tracesum summarizes the step timestamps that trace.patch makes
// the load benchmark's client, the playground and the simulator print
// ("T <stage> <unix µs>"): for each stream through the playground (from
// the client's c0, when it sends POST /runs), the first time each stage
// was reached after it, then per stage p10, p50 and p90 in µs after c0.
//
//	go run ./cmd/loadbench/testdata/tracesum < /tmp/trace.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type stamp struct {
	at    int64
	stage string
}

func main() {
	var stamps []stamp
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "T" {
			continue
		}
		at, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			continue
		}
		stamps = append(stamps, stamp{at, f[1]})
	}
	sort.SliceStable(stamps, func(i, j int) bool { return stamps[i].at < stamps[j].at })
	var streams []map[string]int64
	var cur map[string]int64
	for _, s := range stamps {
		switch {
		case s.stage == "c0":
			cur = map[string]int64{"c0": s.at}
			streams = append(streams, cur)
		case cur != nil:
			if _, seen := cur[s.stage]; !seen {
				cur[s.stage] = s.at
			}
		}
	}
	after := map[string][]float64{}
	complete := 0
	for _, st := range streams {
		if _, ok := st["c_first"]; !ok {
			continue
		}
		complete++
		for stage, at := range st {
			if stage != "c0" {
				after[stage] = append(after[stage], float64(at-st["c0"]))
			}
		}
	}
	type row struct {
		stage         string
		p10, p50, p90 float64
		n             int
	}
	var rows []row
	for stage, xs := range after {
		sort.Float64s(xs)
		q := func(p float64) float64 { return xs[int(p*float64(len(xs)-1))] }
		rows = append(rows, row{stage, q(0.1), q(0.5), q(0.9), len(xs)})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].p50 < rows[j].p50 })
	fmt.Printf("%d streams through the playground; µs after the client sent POST /runs\n", complete)
	fmt.Printf("%-20s %8s %8s %8s %6s\n", "stage", "p10", "p50", "p90", "n")
	for _, r := range rows {
		fmt.Printf("%-20s %8.0f %8.0f %8.0f %6d\n", r.stage, r.p10, r.p50, r.p90, r.n)
	}
}
