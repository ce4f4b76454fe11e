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
	cfg Config
	dir string
	// dataRoot, when set, holds the playground's data directories
	// (dataDirs, removed at the end).
	dataRoot string
	dataDirs []string
	bins     map[string]string
	out      io.Writer
	nginx    string // "" when not installed
	// relayClient is the Go relay's upstream client: net/http or fasthttp.
	relayClient string
	// profiles, when set, receives the playground's profiles (scenario 3,
	// first round).
	profiles string
	pprof    string // the playground's pprof address
	round    int    // the round under way, from 0
	// dbURL is the PostgreSQL database scenario 6 makes its schemas on.
	dbURL string
}

// The peers: the simulator read directly, the playground, the bare Go
// relay, nginx.
const (
	peerDirect     = "direct"
	peerPlayground = "playground"
	peerGoRelay    = "go relay"
	peerNginx      = "nginx"
)

// side is one way to the simulator.
type side struct {
	name string
	pid  int // the relay process, 0 for direct
	url  string
}

// stream runs one stream of prompt p through s; u is the playground's
// user (nil for the others).
func (s side) stream(ctx context.Context, u *user, p string) timing {
	if s.name == peerPlayground {
		return viaPlayground(ctx, u, p)
	}
	return direct(ctx, s.url, p)
}

// users makes n users for s: n new visitors of the playground, each with
// its own session (one session per stream, as n people would be), or n
// nils for the others. They are made before a measure starts.
func (s side) users(ctx context.Context, n int) ([]*user, error) {
	us := make([]*user, n)
	if s.name != peerPlayground {
		return us, nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				u, err := newUser(ctx, s.url)
				mu.Lock()
				us[i] = u
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return us, first
}

// rotate is xs begun at index k (mod len): round k's order of the peers,
// so each peer goes first in some round and the machine's drift is
// shared.
func rotate[T any](xs []T, k int) []T {
	if len(xs) == 0 {
		return nil
	}
	k %= len(xs)
	return append(append([]T(nil), xs[k:]...), xs[:k]...)
}

// sides starts the simulator (tps tokens a second, 0 for no delay) and a
// fresh playground, Go relay (and nginx) in front of it, and returns them
// in this round's order; stop ends them all.
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
	gr, err := b.startGoRelay(ctx, sim.URL)
	if err != nil {
		return nil, nil, err
	}
	procs = append(procs, gr)
	sides = []side{
		{name: peerDirect, url: sim.URL},
		{name: peerPlayground, pid: pg.cmd.Process.Pid, url: pg.URL},
		{name: peerGoRelay, pid: gr.cmd.Process.Pid, url: gr.URL},
	}
	if b.nginx != "" {
		ng, err := b.startNginx(ctx, sim.URL)
		if err != nil {
			return nil, nil, err
		}
		procs = append(procs, ng)
		sides = append(sides, side{name: peerNginx, pid: ng.cmd.Process.Pid, url: ng.URL})
	}
	return rotate(sides, b.round), stop, nil
}

// result is one scenario's figures per side in one round.
type result struct {
	title string
	rows  []row
	notes []string
	// peers, when set, are the table's columns and pairs its comparison
	// columns (else the relay peers and ratioPairs).
	peers []string
	pairs []comparison
}

type row struct {
	metric string
	values map[string]float64 // by side
	unit   string
	// added: the relays' values are shown less direct's (in the same
	// round), and their ratios are of what they add.
	added bool
	// total: the rounds' values are summed (errors), not spread.
	total bool
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

// pctRows are the p-th percentiles of xs per side, as rows.
func pctRows(sides []side, metric string, xs map[string][]float64, unit string, added bool, ps ...float64) []row {
	var rows []row
	for _, p := range ps {
		v := map[string]float64{}
		for _, s := range sides {
			if len(xs[s.name]) > 0 {
				v[s.name] = percentile(xs[s.name], p)
			}
		}
		rows = append(rows, row{metric: fmt.Sprintf("%s p%.0f", metric, p*100), values: v, unit: unit, added: added})
	}
	return rows
}

func errorRow(sides []side, errs map[string]int) row {
	v := map[string]float64{}
	for _, s := range sides {
		v[s.name] = float64(errs[s.name])
	}
	return row{metric: "errors", values: v, total: true}
}

// warm streams a few events through s (connections, caches).
func warm(ctx context.Context, s side) error {
	us, err := s.users(ctx, 1)
	if err != nil {
		return err
	}
	return s.stream(ctx, us[0], prompt(20, false)).err
}

// ready warms s up and makes n users for it (see users).
func ready(ctx context.Context, s side, n int) ([]*user, error) {
	if err := warm(ctx, s); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	us, err := s.users(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return us, nil
}

// sequential is scenario 1: streams of SeqEvents events one at a time, a
// new user each, the sides interleaved so they share the machine's noise.
func (b *bench) sequential(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, 0)
	if err != nil {
		return result{}, err
	}
	defer stop()
	first, end, started := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	errs := map[string]int{}
	for _, s := range sides {
		if err := warm(ctx, s); err != nil {
			return result{}, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	p := prompt(b.cfg.SeqEvents, false)
	for range b.cfg.Sequential {
		for _, s := range sides {
			us, err := s.users(ctx, 1)
			if err != nil {
				errs[s.name]++
				continue
			}
			t := s.stream(ctx, us[0], p)
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
	r := result{title: fmt.Sprintf("1. One stream at a time, %d events, %d streams a round", b.cfg.SeqEvents, b.cfg.Sequential)}
	r.rows = append(r.rows, pctRows(sides, "time to first text event", first, "ms", true, 0.5, 0.99)...)
	r.rows = append(r.rows, pctRows(sides, "full stream", end, "ms", true, 0.5, 0.99)...)
	// Of the playground's time to the first event, this much is starting
	// the run: POST /runs until its first event, the run panel.
	r.rows = append(r.rows, row{metric: "run panel received p50", values: map[string]float64{peerPlayground: percentile(started[peerPlayground], 0.5)}, unit: "ms"},
		errorRow(sides, errs))
	return r, nil
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
		us, err := s.users(ctx, 2)
		if err != nil {
			return result{}, fmt.Errorf("%s: %w", s.name, err)
		}
		s.stream(ctx, us[0], prompt(1000, false)) // warm up
		before := 0.0
		if s.pid != 0 {
			before = cpuSeconds(s.pid)
		}
		t := s.stream(ctx, us[1], prompt(b.cfg.BigEvents, false))
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
		row{metric: "relay CPU per 1,000 events", values: cpu, unit: "ms"},
		errorRow(sides, errs))
	r.notes = append(r.notes, "CPU is the scheduler's count of the relay's threads (/proc/PID/task/*/schedstat, in ns; 10 ms ticks where the kernel has none).")
	return r, nil
}

// spread streams p through s once for each user, the starts spread evenly
// over the given time (as people arrive, not all at once).
func spread(ctx context.Context, s side, us []*user, p string, over time.Duration) []timing {
	return spreadEach(us, over, func(u *user) timing { return s.stream(ctx, u, p) })
}

// spreadEach calls stream once for each user, in a goroutine each, the
// starts spread evenly over the given time, and returns the timings in
// the users' order.
func spreadEach(us []*user, over time.Duration, stream func(*user) timing) []timing {
	ts := make([]timing, len(us))
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range us {
		time.Sleep(time.Until(t0.Add(over * time.Duration(i) / time.Duration(len(us)))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts[i] = stream(us[i])
		}()
	}
	wg.Wait()
	return ts
}

// lateWindow is the browser's coalescing window: a delta later than this
// after the simulator sent it was glued or held.
const lateWindow = 50.0 // ms

// concurrent is scenario 3: Concurrent streams of ConcEvents stamped
// events at the simulator's pace (Spacing tokens per second), started
// evenly over Spread, one user each: the gaps between events, each
// delta's lateness (receive time less the simulator's stamp), CPU and
// memory of the relay.
func (b *bench) concurrent(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, b.cfg.Spacing)
	if err != nil {
		return result{}, err
	}
	defer stop()
	gaps, late, first := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	cpu, mem, peakMB, perStream, deltas, lateShare := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	errs := map[string]int{}
	p := prompt(b.cfg.ConcEvents, true)
	for _, s := range sides {
		us, err := ready(ctx, s, b.cfg.Concurrent+1)
		if err != nil {
			return result{}, err
		}
		// One stream first, so what a process sets up once (the token
		// counter's vocabulary, the markdown renderer's tables) is in
		// the base, not counted per stream.
		if t := s.stream(ctx, us[0], p); t.err != nil {
			errs[s.name]++
		}
		us = us[1:]
		runtime.GC()
		var before, baseRSS float64
		var peak <-chan float64
		done := make(chan struct{})
		if s.pid != 0 {
			before, baseRSS = cpuSeconds(s.pid), rssBytes(s.pid)
			peak = peakRSS(s.pid, done)
		}
		profiled := make(chan struct{})
		if s.name == peerPlayground && b.profiles != "" && b.round == 0 {
			go func() {
				defer close(profiled)
				b.saveProfiles(ctx)
			}()
		} else {
			close(profiled)
		}
		received, stamped, lateN := 0, 0, 0
		for _, t := range spread(ctx, s, us, p, b.cfg.Spread) {
			if t.err != nil {
				errs[s.name]++
				continue
			}
			received += len(t.arrivals)
			first[s.name] = append(first[s.name], ms(t.first))
			for k := 1; k < len(t.arrivals); k++ {
				gaps[s.name] = append(gaps[s.name], ms(t.arrivals[k]-t.arrivals[k-1]))
			}
			stamped += len(t.lateness)
			for _, l := range t.lateness {
				if l > lateWindow {
					lateN++
				}
			}
			late[s.name] = append(late[s.name], t.lateness...)
		}
		<-profiled
		close(done)
		perStream[s.name] = float64(received) / float64(b.cfg.Concurrent)
		deltas[s.name] = float64(stamped) / float64(b.cfg.Concurrent)
		if stamped > 0 {
			lateShare[s.name] = 100 * float64(lateN) / float64(stamped)
		}
		if s.pid != 0 {
			events := float64(b.cfg.Concurrent * b.cfg.ConcEvents)
			cpu[s.name] = (cpuSeconds(s.pid) - before) * 1000 / (events / 1000)
			p := <-peak
			peakMB[s.name] = p / (1 << 20)
			mem[s.name] = (p - baseRSS) / float64(b.cfg.Concurrent) / 1024
		}
	}
	r := result{title: fmt.Sprintf("3. %d streams of %d events, %.0f ms apart, started over %s", b.cfg.Concurrent, b.cfg.ConcEvents, 1000/b.cfg.Spacing, b.cfg.Spread)}
	r.rows = append(r.rows, pctRows(sides, "time to first text event", first, "ms", true, 0.5, 0.99)...)
	r.rows = append(r.rows, pctRows(sides, "gap between events", gaps, "ms", true, 0.5, 0.99)...)
	r.rows = append(r.rows, pctRows(sides, "delta latency (received − sent)", late, "ms", false, 0.5, 0.99)...)
	r.rows = append(r.rows,
		row{metric: fmt.Sprintf("deltas later than %.0f ms", lateWindow), values: lateShare, unit: "%"},
		row{metric: "deltas received per stream", values: deltas},
		// The playground sends deltas that arrived together as one event:
		// fewer, larger events widen the gaps between them.
		row{metric: "text events received per stream", values: perStream},
		row{metric: "relay CPU per 1,000 events", values: cpu, unit: "ms"},
		row{metric: "relay memory per open stream", values: mem, unit: "KiB"},
		row{metric: "relay peak memory", values: peakMB, unit: "MiB"},
		errorRow(sides, errs))
	r.notes = append(r.notes, "Each text delta carries the simulator's send time ([[events:N stamp]]); its latency is the client's receive time less it, the first time the client sees it.")
	return r, nil
}

// splitCPU solves for a relay's fixed CPU per run and CPU per upstream
// event from its CPU per run at two run lengths (n1 < n2 events):
// c = fixed + n × perEvent.
func splitCPU(n1 int, c1 float64, n2 int, c2 float64) (fixed, perEvent float64) {
	perEvent = (c2 - c1) / float64(n2-n1)
	return c1 - float64(n1)*perEvent, perEvent
}

// Scenario 4's run lengths.
const (
	splitShort = 10
	splitLong  = 100
)

// split is scenario 4: SplitRuns runs of 10 events and as many of 100,
// one at a time, a new user each, through each relay; its CPU per run at
// each length gives its fixed CPU per run and its CPU per upstream event.
func (b *bench) split(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, 0)
	if err != nil {
		return result{}, err
	}
	defer stop()
	fixed, per, short, long := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	errs := map[string]int{}
	k := b.cfg.SplitRuns
	for _, s := range sides {
		if s.pid == 0 {
			continue
		}
		us, err := ready(ctx, s, 2*k)
		if err != nil {
			return result{}, err
		}
		var c [2]float64
		for j, n := range []int{splitShort, splitLong} {
			p := prompt(n, false)
			before := cpuSeconds(s.pid)
			for i := range k {
				if t := s.stream(ctx, us[j*k+i], p); t.err != nil {
					errs[s.name]++
				}
			}
			c[j] = (cpuSeconds(s.pid) - before) / float64(k)
		}
		f, e := splitCPU(splitShort, c[0], splitLong, c[1])
		fixed[s.name], per[s.name] = f*1e3, e*1e6
		if s.name == peerPlayground && b.profiles != "" && b.round == 0 {
			b.profileRuns(ctx, s, prompt(splitShort, false), "runs-cpu.pprof")
			b.profileRuns(ctx, s, prompt(splitLong, false), "long-runs-cpu.pprof")
		}
		short[s.name], long[s.name] = c[0]*1e3, c[1]*1e3
	}
	r := result{title: fmt.Sprintf("4. CPU per run and per event: %d runs of %d events and %d of %d, one at a time", k, splitShort, k, splitLong)}
	r.rows = append(r.rows,
		row{metric: "CPU per run, fixed part", values: fixed, unit: "ms"},
		row{metric: "CPU per upstream event", values: per, unit: "µs"},
		row{metric: fmt.Sprintf("CPU per run of %d events", splitShort), values: short, unit: "ms"},
		row{metric: fmt.Sprintf("CPU per run of %d events", splitLong), values: long, unit: "ms"},
		errorRow(sides, errs))
	r.notes = append(r.notes, fmt.Sprintf("Solved from the CPU per run at %d and at %d events (cpu = fixed + events × per event), each the relay's CPU over %d runs; the playground's GET / for each user is made before and not counted.", splitShort, splitLong, k))
	return r, nil
}

// burst is scenario 5: BurstRuns runs of BurstEvents events at the
// simulator's pace, started evenly over Spread, one user each: the time
// to the first text event.
func (b *bench) burst(ctx context.Context) (result, error) {
	sides, stop, err := b.sides(ctx, b.cfg.Spacing)
	if err != nil {
		return result{}, err
	}
	defer stop()
	first, end := map[string][]float64{}, map[string][]float64{}
	errs := map[string]int{}
	p := prompt(b.cfg.BurstEvents, false)
	for _, s := range sides {
		us, err := ready(ctx, s, b.cfg.BurstRuns)
		if err != nil {
			return result{}, err
		}
		for _, t := range spread(ctx, s, us, p, b.cfg.Spread) {
			if t.err != nil {
				errs[s.name]++
				continue
			}
			first[s.name] = append(first[s.name], ms(t.first))
			end[s.name] = append(end[s.name], ms(t.end))
		}
	}
	r := result{title: fmt.Sprintf("5. A burst: %d runs of %d events, %.0f ms apart, started over %s", b.cfg.BurstRuns, b.cfg.BurstEvents, 1000/b.cfg.Spacing, b.cfg.Spread)}
	r.rows = append(r.rows, pctRows(sides, "time to first text event", first, "ms", false, 0.5, 0.99)...)
	r.rows = append(r.rows, pctRows(sides, "full stream", end, "ms", false, 0.99)...)
	r.rows = append(r.rows, errorRow(sides, errs))
	return r, nil
}
