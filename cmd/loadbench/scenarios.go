package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"
)

type bench struct {
	cfg   Config
	dir   string
	bins  map[string]string
	out   io.Writer
	nginx string // "" when not installed
	// relayClient is the Go relay's upstream client: net/http or fasthttp.
	relayClient string
	// profiles, when set, receives the playground's profiles (scenario 3).
	profiles string
	pprof    string // the playground's pprof address
}

// side is one way to the simulator: direct, the playground, the bare Go
// relay, nginx.
type side struct {
	name string
	pid  int // the relay process, 0 for direct
	do   func(ctx context.Context, n int) timing
}

// sides starts the simulator (tps tokens a second, 0 for no delay) and a
// playground, the Go relay (and nginx) in front of it; stop ends them all.
func (b *bench) sides(ctx context.Context, tps float64) (sides []side, stop func(), err error) {
	var procs []*proc
	stop = func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	sim, err := b.startSim(ctx, tps)
	if err != nil {
		return nil, nil, err
	}
	procs = append(procs, sim)
	pg, err := b.startPlayground(ctx, sim.URL)
	if err != nil {
		return nil, nil, err
	}
	procs = append(procs, pg)
	s, err := newSession(ctx, pg.URL)
	if err != nil {
		return nil, nil, err
	}
	gr, err := b.startGoRelay(ctx, sim.URL)
	if err != nil {
		return nil, nil, err
	}
	procs = append(procs, gr)
	sides = []side{
		{name: "direct", do: func(ctx context.Context, n int) timing { return direct(ctx, sim.URL, n) }},
		{name: "playground", pid: pg.cmd.Process.Pid, do: func(ctx context.Context, n int) timing { return viaPlayground(ctx, s, n) }},
		{name: "go relay", pid: gr.cmd.Process.Pid, do: func(ctx context.Context, n int) timing { return direct(ctx, gr.URL, n) }},
	}
	if b.nginx != "" {
		ng, err := b.startNginx(ctx, sim.URL)
		if err != nil {
			return nil, nil, err
		}
		procs = append(procs, ng)
		sides = append(sides, side{name: "nginx", pid: ng.cmd.Process.Pid, do: func(ctx context.Context, n int) timing { return direct(ctx, ng.URL, n) }})
	}
	return sides, stop, nil
}

// result is one scenario's figures per side.
type result struct {
	title string
	rows  []row
	notes []string
}

type row struct {
	metric string
	values map[string]float64 // by side
	unit   string
	// lowerBetter picks how the ratio reads.
	lowerBetter bool
	// added: show value minus direct's.
	added bool
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(p * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sequential is scenario 1: streams of SeqEvents events one at a time,
// the sides interleaved so they share the machine's noise.
func (b *bench) sequential(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, 0)
	if err != nil {
		return result{}, err
	}
	defer stop()
	first, end, started := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	errs := map[string]int{}
	for _, s := range sides { // warm up connections and caches
		s.do(ctx, 20)
	}
	for i := 0; i < b.cfg.Sequential; i++ {
		for _, s := range sides {
			t := s.do(ctx, b.cfg.SeqEvents)
			if t.err != nil {
				errs[s.name]++
				continue
			}
			first[s.name] = append(first[s.name], ms(t.first))
			if t.started > 0 {
				started[s.name] = append(started[s.name], ms(t.started))
			}
			end[s.name] = append(end[s.name], ms(t.end))
		}
	}
	r := result{title: fmt.Sprintf("1. One stream at a time, %d events, %d streams", b.cfg.SeqEvents, b.cfg.Sequential)}
	for _, m := range []struct {
		name string
		xs   map[string][]float64
		p    float64
	}{{"time to first event p50", first, 0.5}, {"time to first event p99", first, 0.99}, {"full stream p50", end, 0.5}, {"full stream p99", end, 0.99}} {
		v := map[string]float64{}
		for _, s := range sides {
			v[s.name] = percentile(m.xs[s.name], m.p)
		}
		r.rows = append(r.rows, row{metric: m.name, values: v, unit: "ms", lowerBetter: true, added: true})
	}
	// Of the playground's time to the first event, this much is starting
	// the run: POST /runs until its first event, the run panel.
	r.rows = append(r.rows, row{metric: "run panel received p50", values: map[string]float64{"playground": percentile(started["playground"], 0.5)}, unit: "ms", lowerBetter: true},
		errorRow(sides, errs))
	return r, nil
}

func errorRow(sides []side, errs map[string]int) row {
	v := map[string]float64{}
	for _, s := range sides {
		v[s.name] = float64(errs[s.name])
	}
	return row{metric: "errors", values: v, unit: ""}
}

// throughput is scenario 2: one stream of BigEvents small events.
func (b *bench) throughput(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, 0)
	if err != nil {
		return result{}, err
	}
	defer stop()
	eps, cpu := map[string]float64{}, map[string]float64{}
	errs := map[string]int{}
	for _, s := range sides {
		s.do(ctx, 1000) // warm up
		before := 0.0
		if s.pid != 0 {
			before = cpuSeconds(s.pid)
		}
		t := s.do(ctx, b.cfg.BigEvents)
		if t.err != nil {
			errs[s.name]++
			fmt.Fprintf(b.out, "scenario 2, %s: %v\n", s.name, t.err)
			continue
		}
		eps[s.name] = float64(b.cfg.BigEvents) / t.end.Seconds()
		if s.pid != 0 {
			cpu[s.name] = (cpuSeconds(s.pid) - before) * 1000 / (float64(b.cfg.BigEvents) / 1000)
		}
	}
	r := result{title: fmt.Sprintf("2. One stream of %d events", b.cfg.BigEvents)}
	r.rows = append(r.rows,
		row{metric: "upstream events per second", values: eps, unit: "ev/s"},
		row{metric: "relay CPU per 1,000 events", values: cpu, unit: "ms", lowerBetter: true},
		errorRow(sides, errs))
	r.notes = append(r.notes, "CPU is read from /proc in 10 ms ticks: short runs round it.")
	return r, nil
}

// concurrent is scenario 3: Concurrent streams at once, ConcEvents events
// each at the simulator's pace (Spacing tokens per second).
func (b *bench) concurrent(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, b.cfg.Spacing)
	if err != nil {
		return result{}, err
	}
	defer stop()
	gapP99, gapP50, cpu, mem, peakMB := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	perStream := map[string]float64{}
	errs := map[string]int{}
	for _, s := range sides {
		s.do(ctx, 5)
		runtime.GC()
		var before, baseRSS float64
		var peak <-chan float64
		done := make(chan struct{})
		if s.pid != 0 {
			before, baseRSS = cpuSeconds(s.pid), rssBytes(s.pid)
			peak = peakRSS(s.pid, done)
		}
		profiled := make(chan struct{})
		if s.name == "playground" && b.profiles != "" {
			go func() {
				defer close(profiled)
				b.saveProfiles(ctx)
			}()
		} else {
			close(profiled)
		}
		var mu sync.Mutex
		var gaps []float64
		received := 0
		var wg sync.WaitGroup
		for i := 0; i < b.cfg.Concurrent; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := s.do(ctx, b.cfg.ConcEvents)
				mu.Lock()
				defer mu.Unlock()
				if t.err != nil {
					errs[s.name]++
					return
				}
				received += len(t.arrivals)
				for k := 1; k < len(t.arrivals); k++ {
					gaps = append(gaps, ms(t.arrivals[k]-t.arrivals[k-1]))
				}
			}()
		}
		wg.Wait()
		<-profiled
		close(done)
		gapP99[s.name], gapP50[s.name] = percentile(gaps, 0.99), percentile(gaps, 0.5)
		perStream[s.name] = float64(received) / float64(b.cfg.Concurrent)
		if s.pid != 0 {
			events := float64(b.cfg.Concurrent * b.cfg.ConcEvents)
			cpu[s.name] = (cpuSeconds(s.pid) - before) * 1000 / (events / 1000)
			p := <-peak
			peakMB[s.name] = p / (1 << 20)
			mem[s.name] = (p - baseRSS) / float64(b.cfg.Concurrent) / 1024
		}
	}
	r := result{title: fmt.Sprintf("3. %d concurrent streams of %d events, %.0f ms apart", b.cfg.Concurrent, b.cfg.ConcEvents, 1000/b.cfg.Spacing)}
	r.rows = append(r.rows,
		row{metric: "gap between events p50", values: gapP50, unit: "ms", lowerBetter: true, added: true},
		row{metric: "gap between events p99", values: gapP99, unit: "ms", lowerBetter: true, added: true},
		// The playground sends deltas that arrived together as one event:
		// fewer, larger events widen the gaps between them.
		row{metric: "text events received per stream", values: perStream, unit: ""},
		row{metric: "relay CPU per 1,000 events", values: cpu, unit: "ms", lowerBetter: true},
		row{metric: "relay memory per open stream", values: mem, unit: "KiB", lowerBetter: true},
		row{metric: "relay peak memory", values: peakMB, unit: "MiB", lowerBetter: true},
		errorRow(sides, errs))
	return r, nil
}

// report prints the results as Markdown: each side's value, its ratio to
// direct (and for added rows the difference), and its ratio to nginx.
func report(w io.Writer, b *bench, rs []result) {
	fmt.Fprintf(w, "\nMachine: %d CPUs, %s/%s, %s. nginx: %s. Go relay's client: %s.\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), orNone(b.nginx), b.relayClient)
	for _, r := range rs {
		fmt.Fprintf(w, "\n#### %s\n\n", r.title)
		fmt.Fprintln(w, "| metric | direct | playground | Go relay | nginx | playground vs direct | Go relay vs direct | nginx vs direct | playground / nginx | Go relay / nginx |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		for _, row := range r.rows {
			d, okD := row.values["direct"]
			p, okP := row.values["playground"]
			g, okG := row.values["go relay"]
			n, okN := row.values["nginx"]
			cell := func(v float64, ok bool) string {
				if !ok {
					return "—"
				}
				return format(v) + " " + row.unit
			}
			// vsDirect is the difference to direct (for added rows) and
			// the ratio to it.
			vsDirect := func(v float64, ok bool) string {
				if !ok || !okD || d == 0 {
					return ""
				}
				if row.added {
					return fmt.Sprintf("%+.2f %s, %.2f×", v-d, row.unit, v/d)
				}
				return fmt.Sprintf("%.2f×", v/d)
			}
			ratio := func(v float64, ok bool) string {
				if !ok || !okN || n == 0 {
					return ""
				}
				return fmt.Sprintf("%.2f×", v/n)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.metric, cell(d, okD), cell(p, okP), cell(g, okG), cell(n, okN),
				vsDirect(p, okP), vsDirect(g, okG), vsDirect(n, okN), ratio(p, okP), ratio(g, okG))
		}
		for _, note := range r.notes {
			fmt.Fprintf(w, "\n%s\n", note)
		}
	}
}

func format(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func orNone(s string) string {
	if s == "" {
		return "not installed"
	}
	return s
}
