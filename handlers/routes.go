// Package handlers adapts HTTP (Fiber) to the domain in web/: each handler
// parses its input, calls one domain function and renders one view. Every
// URL the playground serves is listed in Register.
package handlers

import (
	"context"
	"log/slog"
	"math/big"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/playground-dev/playground/static"
	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cluster"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/session"
)

// Deps are the wiring Build fills (and a test may change before the
// routes are registered). No handler takes Deps: Register hands each maker
// only the values it uses, through interfaces declared beside it.
type Deps struct {
	Log      *slog.Logger
	Catalog  *catalog.Catalog
	Drafts   *draft.Service
	Sessions *session.Store
	// Epochs end copies of a session's cookie older than its last key
	// change; nil keeps none.
	Epochs *session.Epochs
	Runs   *run.Manager
	// Cluster, when set, finds the runs of the other instances on the
	// same database (following, Stop, the last run after a reload).
	Cluster *cluster.Node
	// Lister lists the models of providers people add (through the SSRF
	// guard).
	Lister *account.Lister
	// CatalogLister lists the models of catalog providers with
	// list_models, at the operator's base URLs (not through the SSRF
	// guard); nil lists none.
	CatalogLister *account.Lister
	// Guard checks base URLs people supply; nil when the operator allows
	// private addresses.
	Guard *netguard.Guard
	// Saved keeps each session's last form; nil keeps none.
	Saved *draft.Store
	// History keeps every run and comparison.
	History *history.Store
	// Layouts keep each session's compare panes.
	Layouts *draft.Store
	// Compare is the compare view's service; Register makes it from
	// Saved, Layouts, Runs and History when nil.
	Compare *compare.Service
	// BodyLimit is the largest body of a run, preview or compare form;
	// other requests may send SmallBody.
	BodyLimit int
	// BodyBudget bounds the bytes of request bodies received at once
	// (0: BodyLimit × 16).
	BodyBudget int64
	// AnyHost serves every Host name; otherwise only AllowedHosts, IP
	// addresses and localhost (DNS rebinding).
	AnyHost      bool
	AllowedHosts []string
	// LogPrompts logs the request body of every run (off by default:
	// prompts stay out of the logs).
	LogPrompts bool
	// Diffs computes the word diffs of comparisons (bounded, cached); nil
	// takes compare's defaults.
	Diffs *compare.Differ
	// Setups keep each session's experiment setup; nil keeps none.
	Setups *draft.Store
	// ExperimentConfirm is the estimate above which an experiment asks
	// before it starts (experiment.DefaultConfirmAbove when nil).
	ExperimentConfirm map[string]*big.Rat
	// Experiments is the experiment page's service; Register makes it
	// from Compare, Setups and Runs when nil.
	Experiments *experiment.Page
}

// Register mounts every route on app.
func Register(app *fiber.App, d Deps) {
	chroma := markdown.CSS()
	assets := views.Assets{
		CSS:    static.URL("/static", "css/app.css"),
		Chroma: "/static/css/chroma.css?v=" + contentHash(chroma),
		JS:     static.URL("/static", "js/app.js"),
		HTMX:   static.URL("/static", "js/htmx.min.js"),
		Theme:  static.URL("/static", "js/theme.js"),
		Icon:   static.URL("/static", "img/favicon.svg"),
	}
	assets.Conversation = static.URL("/static", "js/conversation.js")
	assets.Experiment = static.URL("/static", "js/experiment.js")
	if d.BodyLimit > 0 {
		assets.BodyLimit, assets.TooLarge = d.BodyLimit, problem.BodyTooLarge(int64(d.BodyLimit)).Message
	}
	if d.Diffs == nil {
		d.Diffs = compare.NewDiffer(compare.DiffConfig{})
	}
	if d.Compare == nil {
		d.Compare = &compare.Service{Saved: d.Saved, Layouts: d.Layouts, Runs: d.Runs, NewID: history.NewID, Log: d.Log,
			Keep: func(ctx context.Context, owner string, r compare.Record) error {
				return d.History.CreateComparison(ctx, owner, history.Comparison{ID: r.ID, Created: r.Created, Title: r.Title, Layout: r.JSON()})
			}}
	}
	if d.Experiments == nil {
		d.Experiments = &experiment.Page{Compare: d.Compare, Setups: d.Setups, Runs: d.Runs, Log: d.Log, ConfirmAbove: d.ExperimentConfirm,
			Lives: &experiment.Lives{NewID: history.NewID, Idle: keepExperiment(d.History, d.Log)}}
		if d.Cluster != nil {
			// The other instances show the experiments this one runs, and
			// pass it their Stop, Retry and votes.
			d.Experiments.Lives.Shared = cluster.Experiments{Node: d.Cluster}
			d.Cluster.SetExperiments(d.Experiments.Lives.Apply)
		}
	}
	// What the handler groups share, each with only the fields it uses.
	var guard account.URLChecker // nil: base URLs are not checked
	if d.Guard != nil {
		guard = d.Guard
	}
	scopes := scoper{drafts: d.Drafts, listers: draft.Listers{Own: d.Lister, Catalog: d.CatalogLister}}
	keep := keeper{saved: d.Saved, log: d.Log}
	imports := importer{scopes: scopes, keep: keep, saved: d.Saved, runs: cluster.Runs{Manager: d.Runs, Node: d.Cluster}}
	launch := launcher{runs: d.Runs, log: d.Log, logPrompts: d.LogPrompts}
	// The runs here, then on the other instances.
	live := cluster.Runs{Manager: d.Runs, Node: d.Cluster}
	settings := settingsPage{catalog: d.Catalog, keys: d.Drafts, lister: d.Lister, guarded: d.Guard != nil, assets: assets}

	app.Use(recover.New())
	app.Use(AccessLog(d.Log))
	app.Use(SecurityHeaders())
	app.Use(Hosts(d.AnyHost, d.AllowedHosts))
	app.Use(Sessions(d.Sessions, d.Epochs, d.Log))
	// The origin, the session and a header token are checked before the
	// body is read; the body is bounded before a form field is.
	app.Use(CSRF())
	app.Use(BodyLimits(d.BodyLimit, d.BodyBudget))
	app.Use(CSRFField())
	// One compression handler, shared by the routes that use it; the
	// others (the live event streams, audio, the JSONL and curl exports,
	// the POSTs that redirect) answer uncompressed.
	compressed := compress.New()

	// Health: answers once the server is ready.
	app.Get("/healthz", Health(d.Catalog))
	app.Get("/readyz", Ready(readiness(d)))

	// The playground page and its live parts.
	app.Get("/", compressed, Playground(scopes, d.Saved, live, assets))
	app.Post("/draft/switch", compressed, SwitchModel(scopes, keep, d.Sessions, live))
	app.Post("/draft/preview", compressed, Preview(scopes, keep))
	app.Post("/draft/import", compressed, ImportRequest(imports))
	app.Get("/draft/snippet/:lang", DraftSnippet(scopes, d.Saved))

	// Runs: start, follow (SSE, resumable), stop, inspect.
	app.Post("/runs", StartRun(scopes, keep, launch, d.Runs))
	app.Get("/runs/:id/events", RunEvents(live))
	app.Post("/runs/:id/stop", StopRun(live))
	app.Post("/runs/:id/continue", compressed, ContinueRun(d.History, scopes, keep, launch))
	app.Get("/runs/:id/inspector", compressed, RunInspector(live, d.History))
	app.Get("/runs/:id/transcript.sse", RunTranscript(live))
	app.Get("/runs/:id/audio/:choice", RunAudio(live))
	app.Get("/runs/:id/answer/:choice", RunAnswer(d.Runs, d.History))

	// Compare: panes of one prompt under several settings, run together.
	app.Get("/compare", compressed, Compare(scopes, d.Compare, live, assets))
	app.Post("/compare/preview", compressed, ComparePreview(scopes, d.Compare))
	app.Post("/compare/edit", compressed, CompareEdit(scopes, d.Compare))
	app.Post("/compare/sweep", compressed, CompareSweep(scopes, d.Compare))
	app.Post("/compare/run", compressed, CompareRun(scopes, d.Compare))
	app.Get("/compare/:id/events", CompareEvents(live))

	// Experiment: the compare panes over a table of cases, checked.
	app.Get("/experiment", compressed, Experiment(scopes, d.Experiments, assets))
	app.Post("/experiment/preview", compressed, ExperimentPreview(scopes, d.Experiments))
	app.Post("/experiment/run", compressed, ExperimentRun(scopes, d.Experiments))
	app.Post("/experiment/import", compressed, ExperimentImport(scopes, d.Experiments))
	app.Get("/experiment/export.yaml", ExperimentExport(scopes, d.Experiments))
	app.Get("/experiment/export.promptfoo.yaml", ExperimentPromptfoo(scopes, d.Experiments))
	app.Get("/experiment/cases.:format", ExperimentCases(scopes, d.Experiments))
	app.Get("/experiment/:id/grid", compressed, ExperimentGrid(scopes, d.Experiments.Lives))
	app.Post("/experiment/:id/stop", compressed, ExperimentStop(scopes, d.Experiments.Lives))
	app.Post("/experiment/:id/retry", compressed, ExperimentRetry(scopes, d.Experiments.Lives))
	app.Post("/experiment/:id/vote", compressed, ExperimentVote(scopes, d.Experiments.Lives))

	// History: every run kept; replay, fork, share, export, delete.
	app.Get("/history", compressed, History(d.History, assets))
	app.Get("/history/export.jsonl", HistoryExport(d.History, d.Log))
	app.Get("/history/runs/:id", compressed, HistoryRun(d.History, scopes, assets))
	app.Get("/history/runs/:id/export.json", compressed, HistoryRunJSON(d.History))
	app.Get("/history/runs/:id/export.sh", HistoryRunCurl(d.History))
	app.Get("/history/runs/:id/snippet/:lang", HistoryRunSnippet(d.History))
	app.Get("/history/runs/:id/transcript.sse", compressed, HistoryRunTranscript(d.History))
	app.Get("/history/runs/:id/audio/:choice", HistoryRunAudio(d.History))
	app.Post("/history/runs/:id/replay", HistoryReplay(d.History, d.Saved, d.Runs))
	app.Post("/history/runs/:id/fork", HistoryFork(d.History, d.Compare))
	app.Post("/history/runs/:id/delete", HistoryDelete(d.History.Delete, d.Sessions))
	app.Post("/history/runs/:id/share", HistoryShare(sharing(d.History.Share)))
	app.Post("/history/runs/:id/unshare", HistoryShare(d.History.Unshare))
	app.Get("/history/comparisons/:id", compressed, HistoryComparison(d.History, scopes, assets))
	app.Get("/history/comparisons/:id/diff", compressed, HistoryComparisonDiff(d.History, d.Diffs))
	app.Post("/history/comparisons/:id/fork", HistoryComparisonFork(d.History, d.Compare))
	app.Post("/history/comparisons/:id/delete", HistoryComparisonDelete(d.History.DeleteComparison, d.Sessions))
	app.Post("/history/comparisons/:id/share", HistoryComparisonShare(sharing(d.History.ShareComparison)))
	app.Post("/history/comparisons/:id/unshare", HistoryComparisonShare(d.History.UnshareComparison))
	app.Get("/history/experiments/:id", compressed, HistoryExperiment(d.History, scopes, assets))
	app.Get("/history/experiments/:id/export.yaml", HistoryExperimentFile(d.History))
	app.Post("/history/experiments/:id/delete", HistoryExperimentDelete(d.History.DeleteExperiment, d.Sessions))
	app.Post("/history/experiments/:id/share", HistoryExperimentShare(sharing(d.History.ShareExperiment)))
	app.Post("/history/experiments/:id/unshare", HistoryExperimentShare(d.History.UnshareExperiment))

	// Share links: read-only, for anyone with the link.
	app.Get("/share/:id", compressed, Shared(d.History, d.Catalog, assets))
	app.Get("/share/:id/diff", compressed, SharedDiff(d.History, d.Diffs))
	app.Get("/share/:id/audio/:choice", SharedAudio(d.History))
	app.Get("/share/:id/panes/:pane/audio/:choice", SharedComparisonAudio(d.History))

	// Settings: the session's keys and its own providers.
	app.Get("/settings", compressed, Settings(settings))
	app.Post("/settings/keys/:provider", SetKey(settings, d.Sessions, d.Lister))
	app.Post("/settings/keys/:provider/clear", ClearKey(d.Catalog, d.Sessions))
	app.Post("/settings/providers", AddProvider(settings, guard, d.Sessions, d.Lister, imports))
	app.Post("/settings/providers/:provider/refresh", RefreshProvider(d.Lister, d.Sessions))
	app.Post("/settings/providers/:provider/styles", SetModelStyle(settings, d.Sessions))
	app.Post("/settings/providers/:provider/remove", RemoveProvider(d.Lister, d.Sessions))

	// Static assets, last. The code-highlighting CSS is generated from the
	// same chroma style the markdown renderer uses.
	app.Get("/static/css/chroma.css", compressed, StaticBytes(chroma, "text/css; charset=utf-8"))
	app.Use("/static", compressed, filesystem.New(filesystem.Config{
		Root:   http.FS(static.FS()),
		MaxAge: 365 * 24 * 3600,
	}))
}

// readiness is what /readyz checks: the history's database, and with
// several instances this one's part in the cluster.
func readiness(d Deps) []Readiness {
	var checks []Readiness
	if d.History != nil {
		checks = append(checks, Readiness{Name: "database", Check: d.History.Ping})
	}
	if d.Cluster != nil {
		checks = append(checks, Readiness{Name: "cluster", Check: d.Cluster.Ready})
	}
	return checks
}
