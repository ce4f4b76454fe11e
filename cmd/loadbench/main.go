// Command loadbench measures what the playground adds to a stream, against
// the simulator read directly, a bare relay on the playground's own stack
// (the Go relay: Fiber in front, net/http's client behind, copying bytes)
// and, when installed, nginx as a classic relay (proxy_buffering off). It
// builds the playground, the simulator and itself and prints Markdown
// tables: each peer's figure, its ratios to the Go relay and to nginx in
// the same round, and the range over the rounds.
//
//	go run ./cmd/loadbench                  # the full run: 3 rounds (about 2½ minutes here)
//	go run ./cmd/loadbench -short -no-nginx # the smoke run .ci/run makes (about 20 s)
//	go run ./cmd/loadbench -rounds 5 -only 3,4 -json /tmp/lb.json
//	go run ./cmd/loadbench -only 6          # several instances on PostgreSQL behind nginx
//
// The peers are measured in rounds (-rounds, 3 by default), their order
// rotated each round (direct, playground, Go relay, nginx; then
// playground, Go relay, nginx, direct; …), and every scenario of every
// round starts a fresh simulator, playground, Go relay and nginx, so
// memory is measured in a fresh process. Each playground stream is a new
// user: its own cookie jar, GET / for the session cookie and the CSRF
// token as the page is loaded, then POST /runs with them, the jar taking
// every Set-Cookie as a browser does (users are made before a measure
// starts, and their GET / is not timed or counted).
//
// Scenarios: (1) one stream at a time, 200 events each: added time to the
// first text event and to the end, p50/p99; (2) one stream of 100,000
// events: events per second, CPU per 1,000 events; (3) 1,000 streams of
// 100 events 20 ms apart, started evenly over 1 s, each event stamped
// with the simulator's send time ([[events:N stamp]]): time to the first
// text event, added gap between events, each delta's latency (received
// less sent) p50/p99 and the share later than 50 ms (one coalescing
// window), deltas and events received, CPU per 1,000 events, memory per
// open stream, peak memory; (4) 300 runs of 10 events and 300 of 100, one
// at a time: each relay's CPU per run at both lengths, solved for its
// fixed CPU per run (ms) and its CPU per upstream event (µs); (5) a
// burst: 1,000 runs of 20 events 20 ms apart started over 1 s: time to
// the first text event p50/p99; (6) several instances: 3 playgrounds on
// one PostgreSQL (a fresh schema, the same session keys) behind nginx as
// a round-robin balancer (internal/balancer), against 1 on PostgreSQL
// behind the same balancer, in an order alternated each round: scenario
// 3's streams, each followed as a reloaded page follows its run (POST
// /runs answered with HTML, then GET /runs/ID/events, each on whichever
// instance round robin picks): time to the first text event (from the
// POST), split by whether another instance served the follow, and what 3
// add over 1, each delta's latency and the share later than 50 ms, CPU
// per 1,000 events per instance and in all, PostgreSQL's and nginx's,
// peak memory per instance. Every scenario counts errors; any error fails
// the run. Scenario 6 needs PostgreSQL (-database-url) and nginx: a full
// run without them skips it with a note, -only 6 fails.
//
// Flags: -short (small counts, 2 rounds), -rounds N, -only 1,3 (a
// comma-separated list of scenarios), -database-url URL (scenario 6's
// PostgreSQL, default $PLAYGROUND_TEST_DATABASE_URL), -no-nginx (also
// leaves scenario 6 out), -go-relay-client
// fasthttp (the Go relay with fasthttp's client), -pprof DIR (the
// playground's CPU profile over scenario 3 of the first round, and its
// heap and goroutines late in it), -json FILE (every round's figures).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/playground-dev/playground/internal/balancer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// Config is the run's size.
type Config struct {
	Short       bool
	Rounds      int
	Sequential  int // scenario 1: streams, one at a time
	SeqEvents   int
	BigEvents   int // scenario 2
	Concurrent  int // scenario 3
	ConcEvents  int
	Spacing     float64       // scenarios 3 and 5: upstream tokens per second
	Spread      time.Duration // scenarios 3 and 5: the starts are spread over this
	SplitRuns   int           // scenario 4: runs of each length
	BurstRuns   int           // scenario 5
	BurstEvents int
	NoNginx     bool
}

// fullConfig and shortConfig are the full run's and the smoke run's sizes.
var (
	fullConfig = Config{Rounds: 3, Sequential: 100, SeqEvents: 200, BigEvents: 100_000, Concurrent: 1000, ConcEvents: 100, Spacing: 50,
		Spread: time.Second, SplitRuns: 300, BurstRuns: 1000, BurstEvents: 20}
	shortConfig = Config{Short: true, Rounds: 2, Sequential: 10, SeqEvents: 200, BigEvents: 10_000, Concurrent: 50, ConcEvents: 30, Spacing: 50,
		Spread: 250 * time.Millisecond, SplitRuns: 20, BurstRuns: 50, BurstEvents: 10}
)

// scenario is one of the benchmark's scenarios.
type scenario struct {
	id string
	fn func(*bench, context.Context) (result, error)
}

var scenarios = []scenario{{"1", (*bench).sequential}, {"2", (*bench).throughput}, {"3", (*bench).concurrent}, {"4", (*bench).split}, {"5", (*bench).burst}, {clusterID, (*bench).severalInstances}}

// pick is the scenarios -only names ("" for all).
func pick(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	var out []scenario
	for _, id := range strings.Split(only, ",") {
		id = strings.TrimSpace(id)
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.id == id })
		if i < 0 {
			return nil, fmt.Errorf("-only: no scenario %q (1 to %d)", id, len(scenarios))
		}
		out = append(out, scenarios[i])
	}
	return out, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.SetOutput(out)
	short := fs.Bool("short", false, "a smoke run: small counts")
	noNginx := fs.Bool("no-nginx", false, "skip the nginx comparison even when nginx is installed")
	only := fs.String("only", "", "run these scenarios only: 1 to 6, comma-separated")
	rounds := fs.Int("rounds", 0, "rounds of every scenario, the peers' order rotated each round (default 3, -short 2)")
	jsonOut := fs.String("json", "", "also write every round's figures to this file as JSON")
	profiles := fs.String("pprof", "", "save the playground's CPU and heap profiles under scenario 3 (first round) into this directory")
	dataRoot := fs.String("data-root", "", "make the playground's data directories under this directory (default: the system's temporary directory), e.g. /dev/shm to take the disk out of its figures")
	relayClient := fs.String("go-relay-client", "net/http", "the Go relay's upstream client: net/http (the playground's) or fasthttp")
	relayAddr := fs.String("go-relay", "", "serve as the Go relay on this address (loadbench starts itself so)")
	upstream := fs.String("upstream", "", "with -go-relay: the simulator's URL")
	dbURL := fs.String("database-url", os.Getenv("PLAYGROUND_TEST_DATABASE_URL"), "scenario 6: the PostgreSQL database its instances share, on a fresh schema each side and round (default $PLAYGROUND_TEST_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *relayAddr != "" {
		return goRelay(ctx, *relayAddr, *upstream, *relayClient)
	}
	if *relayClient != "net/http" && *relayClient != "fasthttp" {
		return fmt.Errorf("-go-relay-client: %q is neither net/http nor fasthttp", *relayClient)
	}
	cfg := fullConfig
	if *short {
		cfg = shortConfig
	}
	cfg.NoNginx = *noNginx
	if *rounds < 0 {
		return fmt.Errorf("-rounds: %d", *rounds)
	} else if *rounds > 0 {
		cfg.Rounds = *rounds
	}
	todo, err := pick(*only)
	if err != nil {
		return err
	}
	_, nginxErr := balancer.Binary()
	todo, note, err := clusterCheck(todo, *only != "", *dbURL, *noNginx, nginxErr)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(out, note)
	}
	dir, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(out, "building the playground, the simulator and the Go relay…")
	bins := map[string]string{}
	for _, name := range []string{"playground", "llmsim", "loadbench"} {
		bin := filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/"+name)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/%s: %w (run from the repository root)", name, err)
		}
		bins[name] = bin
	}
	b := &bench{cfg: cfg, dir: dir, dataRoot: *dataRoot, bins: bins, out: out, profiles: *profiles, relayClient: *relayClient, dbURL: *dbURL}
	defer func() {
		for _, d := range b.dataDirs {
			os.RemoveAll(d)
		}
	}()
	if !cfg.NoNginx {
		if p, err := exec.LookPath("nginx"); err == nil {
			b.nginx = p
		} else if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
			b.nginx = "/usr/sbin/nginx"
		}
	}
	peers := []string{peerDirect, peerPlayground, peerGoRelay}
	if b.nginx != "" {
		peers = append(peers, peerNginx)
	}
	began := time.Now()
	var all [][]result
	for r := range cfg.Rounds {
		b.round = r
		var results []result
		for _, sc := range todo {
			fmt.Fprintf(os.Stderr, "round %d/%d, scenario %s (%s in)\n", r+1, cfg.Rounds, sc.id, time.Since(began).Round(time.Second))
			res, err := sc.fn(b, ctx)
			if err != nil {
				return fmt.Errorf("round %d, scenario %s: %w", r+1, sc.id, err)
			}
			results = append(results, res)
		}
		all = append(all, results)
	}
	report(out, b, peers, cfg.Rounds, combine(all))
	fmt.Fprintf(out, "\nThe measures took %s.\n", time.Since(began).Round(time.Second))
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, b, peers, all); err != nil {
			return err
		}
	}
	for _, results := range all {
		if err := failedStreams(results); err != nil {
			return err
		}
	}
	return nil
}

// failedStreams is an error when any stream failed on any side: the
// figures of a run with failures measure the failures.
func failedStreams(results []result) error {
	for _, r := range results {
		for _, rw := range r.rows {
			if rw.metric != "errors" {
				continue
			}
			for side, n := range rw.values {
				if n > 0 {
					return fmt.Errorf("%s: %v streams failed through the %s (see the errors row)", r.title, n, side)
				}
			}
		}
	}
	return nil
}

// writeJSON writes every round's figures: rounds[r][k] is scenario k of
// round r, each row's values by peer, and orders[r] round r's order of
// the peers.
func writeJSON(path string, b *bench, peers []string, all [][]result) error {
	type jsonRow struct {
		Metric string             `json:"metric"`
		Unit   string             `json:"unit,omitempty"`
		Added  bool               `json:"added,omitempty"`
		Values map[string]float64 `json:"values"`
	}
	type jsonResult struct {
		Title string    `json:"title"`
		Rows  []jsonRow `json:"rows"`
	}
	var rounds [][]jsonResult
	var order [][]string
	for r, results := range all {
		order = append(order, rotate(peers, r))
		var rs []jsonResult
		for _, r := range results {
			jr := jsonResult{Title: r.title}
			for _, rw := range r.rows {
				jr.Rows = append(jr.Rows, jsonRow{rw.metric, rw.unit, rw.added, rw.values})
			}
			rs = append(rs, jr)
		}
		rounds = append(rounds, rs)
	}
	data, err := json.MarshalIndent(map[string]any{"cpus": runtime.NumCPU(), "go": runtime.Version(), "nginx": b.nginx, "go_relay_client": b.relayClient, "orders": order, "rounds": rounds}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
