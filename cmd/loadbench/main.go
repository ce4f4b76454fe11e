// Command loadbench measures what the playground adds to a stream, against
// the simulator read directly, a bare relay on the playground's own stack
// (the Go relay: Fiber in front, net/http's client behind, copying bytes)
// and, when installed, nginx as a classic relay (proxy_buffering off). It
// builds the playground, the simulator and itself, starts a fresh
// playground process per scenario, and prints a Markdown table of results
// and ratios:
//
//	go run ./cmd/loadbench              # the full run (about 35 s here)
//	go run ./cmd/loadbench -short       # a smoke run (seconds)
//
// Scenarios: (1) one stream at a time, 200 events each: added time to the
// first event and to the end, p50/p99; (2) one stream of 100,000 events:
// events per second; (3) 1,000 concurrent streams of 100 events at 20 ms
// spacing: p99 added delay between events, errors, peak memory per open
// stream and CPU seconds of the relay process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
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
	Short      bool
	Sequential int // scenario 1: streams, one at a time
	SeqEvents  int
	BigEvents  int // scenario 2
	Concurrent int // scenario 3
	ConcEvents int
	Spacing    float64 // scenario 3: upstream tokens per second
	NoNginx    bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.SetOutput(out)
	short := fs.Bool("short", false, "a smoke run: small counts")
	noNginx := fs.Bool("no-nginx", false, "skip the nginx comparison even when nginx is installed")
	only := fs.String("only", "", "run one scenario: 1, 2 or 3")
	profiles := fs.String("pprof", "", "save the playground's CPU and heap profiles under scenario 3 into this directory")
	relayClient := fs.String("go-relay-client", "net/http", "the Go relay's upstream client: net/http (the playground's) or fasthttp")
	relayAddr := fs.String("go-relay", "", "serve as the Go relay on this address (loadbench starts itself so)")
	upstream := fs.String("upstream", "", "with -go-relay: the simulator's URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *relayAddr != "" {
		return goRelay(ctx, *relayAddr, *upstream, *relayClient)
	}
	if *relayClient != "net/http" && *relayClient != "fasthttp" {
		return fmt.Errorf("-go-relay-client: %q is neither net/http nor fasthttp", *relayClient)
	}
	cfg := Config{Sequential: 100, SeqEvents: 200, BigEvents: 100_000, Concurrent: 1000, ConcEvents: 100, Spacing: 50, NoNginx: *noNginx}
	if *short {
		cfg = Config{Short: true, Sequential: 10, SeqEvents: 200, BigEvents: 10_000, Concurrent: 50, ConcEvents: 30, Spacing: 50, NoNginx: *noNginx}
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
	b := &bench{cfg: cfg, dir: dir, bins: bins, out: out, profiles: *profiles, relayClient: *relayClient}
	if !cfg.NoNginx {
		if p, err := exec.LookPath("nginx"); err == nil {
			b.nginx = p
		} else if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
			b.nginx = "/usr/sbin/nginx"
		}
	}
	var results []result
	for _, sc := range []struct {
		id string
		fn func(context.Context) (result, error)
	}{{"1", b.sequential}, {"2", b.throughput}, {"3", b.concurrent}} {
		if *only != "" && *only != sc.id {
			continue
		}
		r, err := sc.fn(ctx)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.id, err)
		}
		results = append(results, r)
	}
	report(out, b, results)
	return failedStreams(results)
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
