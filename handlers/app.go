package handlers

import (
	"context"
	"log/slog"
	"math/big"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cluster"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/session"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// Parts are what the app is made of once its stores are open: main builds
// them from its Config, the tests from theirs, and both call Build, so the
// wiring is written once.
type Parts struct {
	Log *slog.Logger
	// Cluster, when set, shares the runs with the other instances on one
	// PostgreSQL (the caller opened it and closes it after the App).
	Cluster *cluster.Node
	Catalog *catalog.Catalog
	// Getenv reads the operator's keys and header variables.
	Getenv func(string) string
	Tokens *tokens.Counter
	// OwnKeysOnly refuses the operator's keys for remote providers.
	OwnKeysOnly bool

	SessionKeys  [][]byte
	SecureCookie bool

	History *history.Store
	// Saved keeps each session's last form, Layouts its compare panes.
	Saved, Layouts *draft.Store
	// Setups keep each session's experiment setup.
	Setups *draft.Store
	// ExperimentConfirm is the estimate above which an experiment asks
	// before it starts (experiment.DefaultConfirmAbove when nil).
	ExperimentConfirm map[string]*big.Rat

	// Upstream configures the client of the catalog's providers;
	// Guarded, when set, that of the providers people add (else Upstream
	// too), which goes through Guard (nil: private addresses allowed).
	Upstream upstream.Config
	Guarded  *upstream.Config
	Guard    *netguard.Guard
	// Runs configures the run manager; its Recorder and Log are set here.
	Runs run.Config
	// ListCatalogModels lists the models of catalog providers with
	// list_models (at the operator's URLs, not through the guard).
	ListCatalogModels bool
	ModelCacheLimit   int64
	ModelsWait        time.Duration

	Server       Server
	BodyBudget   int64
	AnyHost      bool
	AllowedHosts []string
	LogPrompts   bool
	Diffs        compare.DiffConfig
}

// App is the built application: the Fiber app with every route, the
// dependencies its handlers were given, and Close, which ends the runs and
// the history recorder (not the stores, which the caller opened).
type App struct {
	*fiber.App
	Deps  Deps
	close []func()
}

// Close stops the runs, then the recorder that writes them.
func (a *App) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
}

// Build makes the dependencies from p, lets change (when not nil) adjust
// them, and registers every route.
func Build(p Parts, change func(*Deps)) *App {
	a := &App{}
	recorder := history.NewRecorder(p.History, p.Log)
	a.close = append(a.close, recorder.Close)
	rcfg := p.Runs
	rcfg.Recorder, rcfg.Log = recorder, p.Log
	if p.Cluster != nil {
		rcfg.Cluster = p.Cluster
	}
	gcfg := p.Upstream
	if p.Guarded != nil {
		gcfg = *p.Guarded
	}
	if p.Guard != nil {
		gcfg.Guard = p.Guard.Control
	}
	guarded := upstream.New(gcfg)
	runs := run.NewManager(rcfg, upstream.New(p.Upstream), p.Tokens).WithGuardedClient(guarded)
	a.close = append(a.close, runs.Close)
	if p.Cluster != nil {
		p.Cluster.SetRuns(runs)
	}
	d := Deps{
		Cluster:           p.Cluster,
		Log:               p.Log,
		Catalog:           p.Catalog,
		Drafts:            &draft.Service{Catalog: p.Catalog, Getenv: p.Getenv, Tokens: p.Tokens, OwnKeysOnly: p.OwnKeysOnly},
		Runs:              runs,
		Sessions:          session.NewStore(p.SessionKeys, session.Options{Secure: p.SecureCookie}),
		Epochs:            session.NewEpochs(p.History),
		Lister:            lister(guarded, p.ModelCacheLimit, p.ModelsWait),
		Guard:             p.Guard,
		Saved:             p.Saved,
		History:           p.History,
		Layouts:           p.Layouts,
		Setups:            p.Setups,
		ExperimentConfirm: p.ExperimentConfirm,
		BodyLimit:         p.Server.BodyLimit,
		BodyBudget:        p.BodyBudget,
		AnyHost:           p.AnyHost,
		AllowedHosts:      p.AllowedHosts,
		LogPrompts:        p.LogPrompts,
		Diffs:             compare.NewDiffer(p.Diffs),
	}
	if p.ListCatalogModels {
		// The catalog's own providers are at the operator's URLs, which
		// may be private: listed without the guard.
		d.CatalogLister = lister(upstream.New(p.Upstream), p.ModelCacheLimit, p.ModelsWait)
	}
	if p.Cluster != nil {
		// A list refreshed here is dropped by the other instances too.
		for _, l := range []*account.Lister{d.Lister, d.CatalogLister} {
			if l != nil {
				l.Forgotten = p.Cluster.ModelsRefreshed
			}
		}
		p.Cluster.SetForget(func(token string) {
			for _, l := range []*account.Lister{d.Lister, d.CatalogLister} {
				if l != nil {
					l.ForgetToken(token)
				}
			}
		})
	}
	if change != nil {
		change(&d)
	}
	a.App, a.Deps = NewApp(p.Log, p.Server), d
	Register(a.App, d)
	return a
}

// lister lists models through client, with the extra headers a provider
// names; limit and wait of 0 take account's defaults.
func lister(client *upstream.Client, limit int64, wait time.Duration) *account.Lister {
	l := account.NewLister(func(ctx context.Context, url, key string) (*upstream.Response, error) {
		return client.Get(ctx, url, key, false)
	}).WithHeaders(func(ctx context.Context, url, key string, h http.Header) (*upstream.Response, error) {
		return client.GetWith(ctx, url, key, false, h)
	})
	if limit > 0 {
		l.MaxBytes = limit
	}
	if wait > 0 {
		l.Wait = wait
	}
	return l
}
