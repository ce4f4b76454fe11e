package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/playground-dev/playground/internal/balancer"
)

// Scenario 6 runs the playground as a cluster: clusterSize instances on
// one PostgreSQL schema, with the same session keys, behind Debian's
// nginx as a plain round-robin balancer (internal/balancer), against one
// instance on PostgreSQL behind the same balancer with one backend, so
// nginx's hop is on both sides. Each stream is followed as a reloaded
// page follows its run: POST /runs answered with the panel's HTML, then
// GET /runs/ID/events, each on whichever instance round robin picks; the
// run's events reach an instance that does not run it through
// PostgreSQL (web/cluster: written in batches, NOTIFYed).

// clusterID is scenario 6's number.
const clusterID = "6"

// clusterSize is the number of instances of scenario 6's cluster.
const clusterSize = 3

// Scenario 6's sides (its columns).
const (
	sideOne   = "1 instance"
	sideThree = "3 instances"
)

// clusterSides are scenario 6's columns, clusterPairs its comparisons:
// what the cluster adds over one instance, and their ratio.
var (
	clusterSides = []string{sideOne, sideThree}
	clusterPairs = []comparison{{a: sideThree, b: sideOne, diff: true}, {a: sideThree, b: sideOne}}
)

// clusterCheck drops scenario 6 from todo with a note when it cannot run
// (no PostgreSQL URL, no nginx, or -no-nginx) and was not asked for by
// name; asked for by name (explicit), that is an error.
func clusterCheck(todo []scenario, explicit bool, dbURL string, noNginx bool, nginxErr error) ([]scenario, string, error) {
	i := slices.IndexFunc(todo, func(s scenario) bool { return s.id == clusterID })
	if i < 0 {
		return todo, "", nil
	}
	var why string
	switch {
	case dbURL == "":
		why = "it needs PostgreSQL: give -database-url or set PLAYGROUND_TEST_DATABASE_URL"
	case noNginx:
		why = "it runs behind nginx, which -no-nginx leaves out"
	case nginxErr != nil:
		why = "it runs behind nginx: " + nginxErr.Error()
	default:
		return todo, "", nil
	}
	if explicit {
		return nil, "", fmt.Errorf("scenario 6 (several instances) cannot run: %s", why)
	}
	return slices.Delete(slices.Clone(todo), i, i+1), "scenario 6 (several instances) skipped: " + why, nil
}

// schema creates a fresh schema on the database b.dbURL names and returns
// its URL (the schema as the URL's search_path) and a function that drops
// it.
func (b *bench) schema(ctx context.Context) (string, func(), error) {
	u, err := url.Parse(b.dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("-database-url: %w", err)
	}
	db, err := sql.Open("pgx", b.dbURL)
	if err != nil {
		return "", nil, err
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	name := "loadbench_" + hex.EncodeToString(r[:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`)
		db.Close()
	}, nil
}

// sessionKeys is a fresh --session-keys pair (HASH:BLOCK in hex) that
// every instance of a side shares, so a session made on one is good on
// all.
func sessionKeys() string {
	var h, k [32]byte
	_, _ = rand.Read(h[:])
	_, _ = rand.Read(k[:])
	return hex.EncodeToString(h[:]) + ":" + hex.EncodeToString(k[:])
}

// cluster is one side of scenario 6: its instances behind a balancer.
type cluster struct {
	instances []*proc
	bal       *balancer.Balancer
	dir       string            // the balancer's
	db        *sql.DB           // the side's schema
	names     map[string]string // instance address → its name in cluster_runs
	drop      func()
}

// startCluster starts n playgrounds on a fresh schema, with one pair of
// session keys and a data directory each, the simulator sim as their
// provider, and a balancer in front of them; each instance is warmed up
// with a run of its own, which also tells its name in cluster_runs.
func (b *bench) startCluster(ctx context.Context, sim string, n int) (c *cluster, err error) {
	c = &cluster{names: map[string]string{}}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	dbURL, drop, err := b.schema(ctx)
	if err != nil {
		return nil, err
	}
	c.drop = drop
	if c.db, err = sql.Open("pgx", dbURL); err != nil {
		return nil, err
	}
	keys := sessionKeys()
	var addrs []string
	// One after the other: the first migrates the schema.
	for range n {
		p, err := b.startPlayground(ctx, sim, "--database-url", dbURL, "--session-keys", keys)
		if err != nil {
			return nil, err
		}
		c.instances = append(c.instances, p)
		addrs = append(addrs, strings.TrimPrefix(p.URL, "http://"))
	}
	if c.dir, err = os.MkdirTemp(b.dir, "balancer-"); err != nil {
		return nil, err
	}
	if c.bal, err = balancer.Start(c.dir, addrs); err != nil {
		return nil, err
	}
	for i, p := range c.instances {
		us, err := side{name: peerPlayground, url: p.URL}.users(ctx, 1)
		if err != nil {
			return nil, fmt.Errorf("instance %d: %w", i+1, err)
		}
		t := viaFollow(ctx, us[0], prompt(20, false))
		if t.err != nil {
			return nil, fmt.Errorf("instance %d: %w", i+1, t.err)
		}
		var name string
		if err := c.db.QueryRowContext(ctx, `SELECT instance FROM cluster_runs WHERE id = $1`, t.id).Scan(&name); err != nil {
			return nil, fmt.Errorf("instance %d's run in cluster_runs: %w", i+1, err)
		}
		c.names[addrs[i]] = name
	}
	return c, nil
}

// stop ends the balancer and the instances and drops the schema.
func (c *cluster) stop() {
	if c.bal != nil {
		c.stopNginx()
		c.bal.Close()
	}
	var wg sync.WaitGroup
	for _, p := range c.instances {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop() }()
	}
	wg.Wait()
	if c.db != nil {
		c.db.Close()
	}
	if c.drop != nil {
		c.drop()
	}
}

// stopNginx asks the balancer's nginx to stop and waits (up to 3 s) for
// its workers to end: Balancer.Close kills the master alone, which leaves
// the workers running, listening on the balancer's port.
func (c *cluster) stopNginx() {
	master := c.nginxPID()
	if master <= 0 {
		return
	}
	workers := pids(master)[1:]
	if syscall.Kill(master, syscall.SIGTERM) != nil {
		return
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !slices.ContainsFunc(workers, func(pid int) bool { return syscall.Kill(pid, 0) == nil }) {
			return
		}
	}
}

// nginxPID is the balancer's nginx master (its workers are its children).
func (c *cluster) nginxPID() int {
	b, _ := os.ReadFile(filepath.Join(c.dir, "nginx.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// elsewhere tells, for each run followed through the balancer, whether
// the instance that served its GET /runs/ID/events is not the one that
// runs it.
func (c *cluster) elsewhere(ctx context.Context) (map[string]bool, error) {
	served, err := c.bal.Served()
	if err != nil {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT id, instance FROM cluster_runs`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	runner := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		runner[id] = name
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for id, addr := range followers(served) {
		if name, ok := c.names[addr]; ok && runner[id] != "" {
			out[id] = runner[id] != name
		}
	}
	return out, nil
}

// followers is the instance (address) that served each run's GET
// /runs/ID/events, from the balancer's log (Balancer.Served).
func followers(served [][2]string) map[string]string {
	out := map[string]string{}
	for _, s := range served {
		path, ok := strings.CutPrefix(s[0], "GET /runs/")
		if !ok {
			continue
		}
		if id, ok := strings.CutSuffix(path, "/events"); ok && !strings.Contains(id, "/") {
			out[id] = s[1]
		}
	}
	return out
}

// postgresCPU is the CPU time of the machine's PostgreSQL servers so far:
// each postmaster (a process named postgres whose parent is not) and its
// live children (cpuSeconds), plus the children it has reaped (their
// user and system time in ticks), so a backend that ended during a
// measure still counts. It is 0 where /proc shows no PostgreSQL.
func postgresCPU() float64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	comms := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			if st, ok := parseStat(string(b)); ok {
				comms[pid] = st
			}
		}
	}
	total := 0.0
	for pid, st := range comms {
		if st.comm == "postgres" && comms[st.ppid].comm != "postgres" {
			total += cpuSeconds(pid) + st.reaped
		}
	}
	return total
}

// procStat is what postgresCPU reads of /proc/PID/stat.
type procStat struct {
	comm   string
	ppid   int
	reaped float64 // the reaped children's user and system time, s
}

// parseStat reads a /proc/PID/stat line: the command (in brackets, which
// may hold spaces and brackets), the parent and cutime + cstime (fields
// 16 and 17, in 10 ms ticks).
func parseStat(s string) (procStat, bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+2 > len(s) {
		return procStat{}, false
	}
	f := strings.Fields(s[end+2:])
	if len(f) < 15 {
		return procStat{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, false
	}
	cu, _ := strconv.ParseFloat(f[13], 64)
	cs, _ := strconv.ParseFloat(f[14], 64)
	return procStat{comm: s[open+1 : end], ppid: ppid, reaped: (cu + cs) / 100}, true
}

// sideFigures are one side's figures in one round of scenario 6.
type sideFigures struct {
	first, firstSame, firstOther, late []float64
	live                               []float64 // lateness of the deltas sent after the follow was answered
	// answerSame and answerOther: to the events' headers (the run found).
	answerSame, answerOther []float64
	panel                   []float64 // to POST /runs's answer
	errs, followed          int
	notFound                int       // follows answered 404
	notFoundAfter           []float64 // their answers' times
	otherShare              float64   // % of the follows (failed ones too) served by another instance
	cpu, peak               []float64 // per instance: CPU seconds, peak RSS bytes
	pgCPU, nginxCPU         float64
}

// clusterSide runs scenario 6's streams on a fresh side of n instances.
func (b *bench) clusterSide(ctx context.Context, sim string, n int) (f sideFigures, err error) {
	c, err := b.startCluster(ctx, sim, n)
	if err != nil {
		return f, err
	}
	defer c.stop()
	p := prompt(b.cfg.ConcEvents, true)
	via := side{name: peerPlayground, url: c.bal.URL}
	us, err := via.users(ctx, b.cfg.Concurrent+n)
	if err != nil {
		return f, err
	}
	// A stream through the balancer to each instance first (the
	// followers' paths warmed, what is set up once not counted).
	for _, u := range us[:n] {
		if t := viaFollow(ctx, u, p); t.err != nil {
			f.errs++
		}
	}
	us = us[n:]
	done := make(chan struct{})
	var peaks []<-chan float64
	before := make([]float64, n)
	for i, pr := range c.instances {
		before[i] = cpuSeconds(pr.cmd.Process.Pid)
		peaks = append(peaks, peakRSS(pr.cmd.Process.Pid, done))
	}
	pg0, ng0 := postgresCPU(), cpuSeconds(c.nginxPID())
	ts := spreadEach(us, b.cfg.Spread, func(u *user) timing { return viaFollow(ctx, u, p) })
	f.pgCPU, f.nginxCPU = postgresCPU()-pg0, cpuSeconds(c.nginxPID())-ng0
	for i, pr := range c.instances {
		f.cpu = append(f.cpu, cpuSeconds(pr.cmd.Process.Pid)-before[i])
	}
	close(done)
	for _, pk := range peaks {
		f.peak = append(f.peak, <-pk)
	}
	other, err := c.elsewhere(ctx)
	if err != nil {
		return f, fmt.Errorf("which instance followed each run: %w", err)
	}
	nOther := 0
	for _, t := range ts {
		if o, ok := other[t.id]; ok {
			f.followed++
			if o {
				nOther++
			}
		}
		if t.err != nil {
			f.errs++
			if errors.Is(t.err, errRunNotFound) {
				f.notFound++
				f.notFoundAfter = append(f.notFoundAfter, ms(t.answered))
			}
			if f.errs <= 3 {
				fmt.Fprintf(b.out, "scenario 6, %d instance(s): %v\n", n, t.err)
			}
			continue
		}
		first := ms(t.first)
		f.first = append(f.first, first)
		f.panel = append(f.panel, ms(t.started))
		if o, ok := other[t.id]; ok {
			if o {
				f.firstOther = append(f.firstOther, first)
				f.answerOther = append(f.answerOther, ms(t.answered))
			} else {
				f.firstSame = append(f.firstSame, first)
				f.answerSame = append(f.answerSame, ms(t.answered))
			}
		}
		f.late = append(f.late, t.lateness...)
		f.live = append(f.live, t.live...)
	}
	if f.followed > 0 {
		f.otherShare = 100 * float64(nOther) / float64(f.followed)
	}
	return f, nil
}

// lateShare is the share (%) of the latencies xs later than lateWindow.
func lateShare(xs []float64) float64 {
	n := 0
	for _, l := range xs {
		if l > lateWindow {
			n++
		}
	}
	return 100 * float64(n) / float64(max(len(xs), 1))
}

// mean is the mean of xs (0 for none).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// clusterRows are scenario 6's rows from both sides' figures in one
// round; events is the number of upstream events the streams carried.
func clusterRows(figs map[string]sideFigures, events float64) []row {
	per1k := func(s float64) float64 { return s * 1000 / (events / 1000) }
	by := func(fn func(sideFigures) (float64, bool)) map[string]float64 {
		v := map[string]float64{}
		for name, f := range figs {
			if x, ok := fn(f); ok {
				v[name] = x
			}
		}
		return v
	}
	pct := func(xs func(sideFigures) []float64, p float64) map[string]float64 {
		return by(func(f sideFigures) (float64, bool) { return percentile(xs(f), p), len(xs(f)) > 0 })
	}
	first := func(f sideFigures) []float64 { return f.first }
	late := func(f sideFigures) []float64 { return f.late }
	rows := []row{
		{metric: "time to first text event p50", values: pct(first, 0.5), unit: "ms"},
		{metric: "time to first text event p99", values: pct(first, 0.99), unit: "ms"},
		{metric: "… followed on the instance running the run, p50", values: pct(func(f sideFigures) []float64 { return f.firstSame }, 0.5), unit: "ms"},
		{metric: "… followed on another instance, p50", values: pct(func(f sideFigures) []float64 { return f.firstOther }, 0.5), unit: "ms"},
		{metric: "… followed on another instance, p99", values: pct(func(f sideFigures) []float64 { return f.firstOther }, 0.99), unit: "ms"},
		{metric: "run panel received (POST /runs answered) p50", values: pct(func(f sideFigures) []float64 { return f.panel }, 0.5), unit: "ms"},
		{metric: "events answered (run found), same instance, p50", values: pct(func(f sideFigures) []float64 { return f.answerSame }, 0.5), unit: "ms"},
		{metric: "events answered (run found), another instance, p50", values: pct(func(f sideFigures) []float64 { return f.answerOther }, 0.5), unit: "ms"},
	}
	// Following on another instance against one instance, in the round.
	if one, three := figs[sideOne], figs[sideThree]; len(one.first) > 0 && len(three.firstOther) > 0 {
		rows = append(rows, row{metric: "added first text event p50: another instance − 1 instance", unit: "ms",
			values: map[string]float64{sideThree: percentile(three.firstOther, 0.5) - percentile(one.first, 0.5)}})
	}
	rows = append(rows,
		row{metric: "follows served by another instance", values: by(func(f sideFigures) (float64, bool) { return f.otherShare, f.followed > 0 }), unit: "%"},
		row{metric: "delta latency (received − sent) p50", values: pct(late, 0.5), unit: "ms"},
		row{metric: "delta latency (received − sent) p99", values: pct(late, 0.99), unit: "ms"},
		row{metric: fmt.Sprintf("deltas later than %.0f ms", lateWindow), unit: "%", values: by(func(f sideFigures) (float64, bool) { return lateShare(f.late), len(f.late) > 0 })},
		row{metric: "… deltas sent after the follow was answered: latency p50", values: pct(func(f sideFigures) []float64 { return f.live }, 0.5), unit: "ms"},
		row{metric: "… deltas sent after the follow was answered: latency p99", values: pct(func(f sideFigures) []float64 { return f.live }, 0.99), unit: "ms"},
		row{metric: fmt.Sprintf("… deltas sent after the follow was answered: later than %.0f ms", lateWindow), unit: "%", values: by(func(f sideFigures) (float64, bool) { return lateShare(f.live), len(f.live) > 0 })},
		row{metric: "CPU per 1,000 events, each instance (mean)", unit: "ms", values: by(func(f sideFigures) (float64, bool) { return per1k(mean(f.cpu)), len(f.cpu) > 0 })},
		row{metric: "CPU per 1,000 events, busiest instance", unit: "ms", values: by(func(f sideFigures) (float64, bool) { return per1k(slices.Max(f.cpu)), len(f.cpu) > 0 })},
		row{metric: "CPU per 1,000 events, all instances", unit: "ms", values: by(func(f sideFigures) (float64, bool) { return per1k(mean(f.cpu) * float64(len(f.cpu))), len(f.cpu) > 0 })},
		row{metric: "PostgreSQL CPU per 1,000 events", unit: "ms", values: by(func(f sideFigures) (float64, bool) { return per1k(f.pgCPU), f.pgCPU > 0 })},
		row{metric: "nginx CPU per 1,000 events", unit: "ms", values: by(func(f sideFigures) (float64, bool) { return per1k(f.nginxCPU), f.nginxCPU > 0 })},
		row{metric: "CPU per 1,000 events, instances + PostgreSQL + nginx", unit: "ms", values: by(func(f sideFigures) (float64, bool) {
			return per1k(mean(f.cpu)*float64(len(f.cpu)) + f.pgCPU + f.nginxCPU), len(f.cpu) > 0
		})},
		row{metric: "peak RSS per instance (mean)", unit: "MiB", values: by(func(f sideFigures) (float64, bool) { return mean(f.peak) / (1 << 20), len(f.peak) > 0 })},
		row{metric: "peak RSS, largest instance", unit: "MiB", values: by(func(f sideFigures) (float64, bool) {
			return slices.Max(append([]float64{0}, f.peak...)) / (1 << 20), len(f.peak) > 0
		})},
		row{metric: "errors", total: true, values: by(func(f sideFigures) (float64, bool) { return float64(f.errs), true })},
		row{metric: "… of them follows answered 404 (run not found)", total: true, values: by(func(f sideFigures) (float64, bool) { return float64(f.notFound), true })},
		row{metric: "… their 404 received, p50 (from the POST)", values: pct(func(f sideFigures) []float64 { return f.notFoundAfter }, 0.5), unit: "ms"},
	)
	return rows
}

// severalInstances is scenario 6: Concurrent streams of ConcEvents
// stamped events (as scenario 3), each followed through a balancer as a
// reloaded page follows it, on a cluster of clusterSize instances and on
// one instance, the two in an order alternated each round.
func (b *bench) severalInstances(ctx context.Context) (result, error) {
	if b.dbURL == "" {
		return result{}, errors.New("no PostgreSQL URL (-database-url)")
	}
	sim, err := b.startSim(ctx, b.cfg.Spacing)
	if err != nil {
		return result{}, err
	}
	defer sim.stop()
	figs := map[string]sideFigures{}
	for _, name := range rotate(clusterSides, b.round) {
		n := 1
		if name == sideThree {
			n = clusterSize
		}
		f, err := b.clusterSide(ctx, sim.URL, n)
		if err != nil {
			return result{}, fmt.Errorf("%s: %w", name, err)
		}
		figs[name] = f
	}
	r := result{
		title: fmt.Sprintf("6. Several instances: %d streams of %d events, %.0f ms apart, started over %s, followed through nginx round robin, %d instances against 1",
			b.cfg.Concurrent, b.cfg.ConcEvents, 1000/b.cfg.Spacing, b.cfg.Spread, clusterSize),
		peers: clusterSides, pairs: clusterPairs,
		rows: clusterRows(figs, float64(b.cfg.Concurrent*b.cfg.ConcEvents)),
	}
	r.notes = append(r.notes, fmt.Sprintf("Each side a fresh schema on PostgreSQL (every instance on it, the same session keys, a data directory each) behind nginx round robin (one backend for 1 instance); each stream POST /runs answered with the panel's HTML, then GET /runs/ID/events, both through nginx, times from the POST. Sides' order %s. Which instance followed each run is from nginx's log and cluster_runs. CPU is per 1,000 of the scenario's upstream events; PostgreSQL's is every postgres process on the machine (other clients included).", orders(clusterSides, b.cfg.Rounds)))
	return r, nil
}
