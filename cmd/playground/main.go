// Command playground serves the browser playground for OpenAI-compatible
// APIs. Run it with no configuration: go run ./cmd/playground
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/playground-dev/playground/handlers"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cluster"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/netguard"
	runmgr "github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/session"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "playground:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// run wires the playground and serves until ctx is done. It prints
// "playground listening on http://ADDR" once the server accepts requests.
// "playground experiment run FILE" runs an experiment instead
// (experiment.go).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "experiment" {
		return runExperiment(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := LoadConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	sys, err := start(ctx, cfg, getenv, log)
	if err != nil {
		return err
	}
	defer sys.Close()
	app, cat, simURL := sys.app, sys.cat, sys.simURL
	if app.Deps.AnyHost {
		log.Warn("answering for any Host name: set --allowed-hosts to the names this playground is served under")
	}

	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("pprof", "addr", cfg.PprofAddr)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 1)
	// Connections per client address are counted at accept (behind a
	// proxy every client has the proxy's address).
	go func() { errc <- app.Listener(handlers.LimitPerIP(ln, cfg.MaxConnsPerIP)) }()
	// Logged before the line that says it listens: whoever waits for that
	// line (the tests) finds the log line too.
	log.Info("started", "addr", ln.Addr().String(), "simulator", simURL, "providers", len(cat.Providers), "models", len(cat.Models), "data_dir", cfg.DataDir)
	fmt.Fprintf(stdout, "playground listening on http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	app.Deps.Runs.Close() // ends the runs and the browsers' event streams
	if err := app.ShutdownWithTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// system is the playground's parts, wired from its configuration: what
// serves the pages and what an experiment on the command line runs with.
type system struct {
	cat     *catalog.Catalog
	app     *handlers.App
	simURL  string
	closers []func()
}

// Close closes the parts, the last opened first.
func (s *system) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// start opens the catalog, the simulator, the stores and the history,
// and builds the app (not yet listening).
func start(ctx context.Context, cfg Config, getenv func(string) string, log *slog.Logger) (_ *system, err error) {
	sys := &system{}
	defer func() {
		if err != nil {
			sys.Close()
		}
	}()
	cat, err := catalog.Load(cfg.Catalog)
	if err != nil {
		return nil, err
	}
	tok := &tokens.Counter{}
	// The built-in simulator listens on loopback beside the playground;
	// PLAYGROUND_SIM_URL points the simulator provider elsewhere instead.
	simCfg := sim.DefaultConfig()
	simCfg.TTFT, simCfg.TokensPerSec, simCfg.ZeroDelay = cfg.SimTTFT, cfg.SimTokensPerSec, cfg.SimTokensPerSec == 0
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	simSrv := &http.Server{Handler: sim.New(simCfg, sim.ModelsFromCatalog(cat), tok), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = simSrv.Serve(simLn) }()
	sys.closers = append(sys.closers, func() { simSrv.Close() })
	simURL := "http://" + simLn.Addr().String()
	env := getenv
	getenv = func(k string) string {
		if k == "PLAYGROUND_SIM_URL" && env(k) == "" {
			return simURL
		}
		return env(k)
	}
	keys, err := session.LoadKeys(cfg.SessionKeys, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	hist, err := history.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sys.closers = append(sys.closers, func() { hist.Close() })
	// Each session's last form, compare panes and experiment are rows of
	// the history's database (files written by earlier versions are still
	// read); the last saves are written out at shutdown, before the
	// database closes (a save returns before it is written).
	saved, err := draft.OpenIn(hist, cfg.DataDir, "drafts")
	if err != nil {
		return nil, err
	}
	layouts, err := draft.OpenIn(hist, cfg.DataDir, "compare")
	if err != nil {
		return nil, err
	}
	setups, err := draft.OpenIn(hist, cfg.DataDir, "experiments")
	if err != nil {
		return nil, err
	}
	sys.closers = append(sys.closers, saved.Flush, layouts.Flush, setups.Flush)
	hist.SetLimits(history.Limits{RunBytes: cfg.HistoryRunMax, OwnerBytes: cfg.HistoryQuotaBytes, OwnerRuns: cfg.HistoryQuotaRuns,
		Retention: time.Duration(cfg.HistoryRetentionDays) * 24 * time.Hour, TotalBytes: cfg.HistoryMaxBytes})
	// Runs older than the retention (and session epochs older than a
	// cookie lives) are deleted now and every hour, runs past the total
	// cap every minute.
	hist.KeepPruned(ctx, log, session.MaxAge)
	// Runs left "running" by a process that ended without finishing them
	// are marked interrupted: with SQLite (one process) all of them, with
	// PostgreSQL (shared) those not marked alive for a while.
	staleBefore := time.Now()
	if hist.Dialect() == history.Postgres {
		staleBefore = staleBefore.Add(-history.StaleAfter)
	}
	if n, err := hist.Recover(ctx, staleBefore); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("runs marked interrupted", "count", n)
	}
	// Providers from the catalog (the operator's) connect anywhere; those
	// people add go through the SSRF guard unless the operator allows
	// private addresses.
	var guard *netguard.Guard
	if !cfg.AllowPrivateUpstreams {
		guard = netguard.New()
	}
	rcfg := runmgr.DefaultConfig()
	rcfg.Limits = runmgr.Limits{AtOnce: cfg.RunsAtOnce, PerMinute: cfg.RunsPerMinute,
		ClientAtOnce: cfg.ClientRunsAtOnce, ClientPerMinute: cfg.ClientRunsPerMinute, OperatorAtOnce: cfg.OperatorRunsAtOnce}
	rcfg.Caps = runmgr.Caps{Bytes: cfg.RunMaxBytes, Events: cfg.RunMaxEvents, Choices: cfg.RunMaxChoices,
		Duration: cfg.RunMaxDuration, Held: cfg.RunsMaxBytes, Idle: cfg.IdleTimeout}
	if rcfg.SpoolDir, err = spoolDir(cfg.DataDir); err != nil {
		return nil, err
	}
	// With PostgreSQL, several instances may share the database: each
	// joins the cluster, so any of them serves any request (web/cluster).
	var node *cluster.Node
	if hist.Dialect() == history.Postgres {
		node, err = cluster.Open(ctx, cluster.Config{URL: cfg.DatabaseURL, Instance: instanceName(), Interrupt: hist.Interrupt, Log: log, Secret: keys[0]})
		if err != nil {
			return nil, err
		}
		// Closed after the app (closers run last first): the runs' last
		// events are written before it leaves.
		sys.closers = append(sys.closers, node.Close)
	}
	app := handlers.Build(handlers.Parts{
		Log:               log,
		Cluster:           node,
		Catalog:           cat,
		Getenv:            getenv,
		Tokens:            tok,
		OwnKeysOnly:       cfg.RequireOwnKeys,
		SessionKeys:       keys,
		SecureCookie:      cfg.SecureCookie,
		History:           hist,
		Saved:             saved,
		Layouts:           layouts,
		Setups:            setups,
		ExperimentConfirm: cfg.ExperimentConfirmAbove,
		Upstream:          upstream.Config{ConnectTimeout: cfg.ConnectTimeout, FirstByteTimeout: cfg.FirstByteTimeout, IdleTimeout: cfg.IdleTimeout, MaxDecompressed: cfg.DecompressedLimit},
		Guard:             guard,
		Runs:              rcfg,
		ListCatalogModels: true,
		ModelCacheLimit:   cfg.ModelCacheLimit,
		ModelsWait:        cfg.ModelsWait,
		Server: handlers.Server{
			BodyLimit:      cfg.BodyLimit,
			ReadTimeout:    cfg.ReadTimeout,
			MaxConns:       cfg.MaxConns,
			TrustedProxies: cfg.TrustedProxies,
		},
		BodyBudget:   int64(cfg.BodyBudget),
		AnyHost:      len(cfg.AllowedHosts) == 0 && !onLoopback(cfg.Addr),
		AllowedHosts: cfg.AllowedHosts,
		LogPrompts:   cfg.LogPrompts,
		Diffs:        compare.DiffConfig{AtOnce: cfg.DiffsAtOnce, Limits: compare.DiffLimits{Timeout: cfg.DiffTimeout}},
	}, nil)
	sys.closers = append(sys.closers, app.Close)
	sys.cat, sys.app, sys.simURL = cat, app, simURL
	return sys, nil
}

// instanceName names this process among the instances: the host's name
// and a random suffix (a restarted instance is a new one; its old self's
// runs are swept).
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strings.Trim(host+"-"+hex.EncodeToString(b[:]), "-")
}

// onLoopback reports whether addr (host:port) listens on loopback only.
func onLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// servePprof serves Go's profiles on a loopback address of their own.
func servePprof(addr string) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { srv.Close() }, nil
}

// spoolDir makes the directory of the spool file the runs keep their raw
// transcripts in (private: a stream not yet redacted may hold a key a
// provider echoed) and empties it of what a crashed process left on a
// system that kept the file's name. No data directory keeps transcripts
// in memory.
func spoolDir(dataDir string) (string, error) {
	if dataDir == "" {
		return "", nil
	}
	dir := filepath.Join(dataDir, "spool")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	if err := runmgr.ClearSpool(dir); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	return dir, nil
}
