package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
)

// The history store as each handler uses it (history.Store).
type (
	historyLister interface {
		List(ctx context.Context, owner string, f history.Filter) (history.Page, error)
		Facets(ctx context.Context, owner string) ([]history.Facet, error)
		Limits() history.Limits
		Experiments(ctx context.Context, owner string, limit int) ([]history.ExperimentItem, error)
	}
	entryGetter interface {
		Get(ctx context.Context, owner, id string) (history.Entry, error)
	}
	entryTranscripts interface {
		entryGetter
		Transcript(ctx context.Context, owner, id string) ([]byte, error)
	}
	historyExporter interface {
		Export(ctx context.Context, owner string, fn func(history.Entry) error) error
	}
	// runInputs gives a run whose whole form was kept, else the problem
	// that says why it cannot be replayed.
	runInputs interface {
		Inputs(ctx context.Context, owner, id string) (history.Entry, error)
	}
	comparisonGetter interface {
		Comparison(ctx context.Context, owner, id string) (history.Comparison, error)
	}
	sharedRuns interface {
		Shared(ctx context.Context, shareID string) (history.Entry, error)
	}
	sharedComparisons interface {
		SharedComparison(ctx context.Context, shareID string) (history.Comparison, error)
	}
	sharedReader interface {
		sharedRuns
		sharedComparisons
		SharedExperiment(ctx context.Context, shareID string) (history.Experiment, error)
	}
)

// paneDiffer diffs two panes of a comparison (compare.Differ).
type paneDiffer interface {
	Panes(id string, runs []compare.PaneRun, a, b string) (compare.PaneDiff, error)
}

// History serves GET /history: the session's runs, filtered and paged.
func History(store historyLister, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		owner := ownerOf(c)
		query := queryValues(c)
		f, errs := history.ParseFilter(query)
		if msg := errs["cursor"]; msg != "" {
			return problem.Invalid("cursor", msg)
		}
		vf := views.HistoryFilter{From: query.Get("from"), To: query.Get("to"), Query: f.Query, Errors: errs,
			Active: history.Filtered(query)}
		page, err := store.List(c.UserContext(), owner, f)
		if err != nil {
			return err
		}
		facets, err := store.Facets(c.UserContext(), owner)
		if err != nil {
			return err
		}
		vf.Providers, vf.Models = views.FacetOptions(facets, f.Provider, f.Model)
		xs, err := store.Experiments(c.UserContext(), owner, historyExperiments)
		if err != nil {
			return err
		}
		p := views.HistoryPage{Title: "History · Playground", Assets: assets, CSRF: csrfToken(c), Filter: vf,
			Rows: views.NewHistoryRows(page.Entries), Total: page.Total, Capped: page.Capped, Flash: takeFlash(c),
			Keeps: views.HistoryKeeps(store.Limits()), Experiments: views.NewExperimentItems(xs)}
		if !page.Newer.IsZero() {
			p.PrevURL = "/history?" + history.PageQuery(query, page.Newer).Encode()
		}
		if !page.Older.IsZero() {
			p.NextURL = "/history?" + history.PageQuery(query, page.Older).Encode()
		}
		return render(c, http.StatusOK, views.HistoryPageView(p))
	}
}

// entryOf loads the session's run named in the URL.
func entryOf(c *fiber.Ctx, store entryGetter) (history.Entry, error) {
	return store.Get(c.UserContext(), ownerOf(c), c.Params("id"))
}

// shareURL is the absolute URL of a share link.
func shareURL(c *fiber.Ctx, id string) string {
	if id == "" {
		return ""
	}
	return c.BaseURL() + "/share/" + id
}

// HistoryRun serves GET /history/runs/:id.
func HistoryRun(store entryGetter, scopes scoper, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := entryOf(c, store)
		if err != nil {
			return err
		}
		sc := scopes.of(c)
		return render(c, http.StatusOK, views.RunRecordPageView(views.RunRecordPage{
			Title: "Run · " + e.ModelLabel, Assets: assets, CSRF: csrfToken(c),
			Run: views.RunRecordOf(sc.cat, e, false, shareURL(c, e.ShareID)),
		}))
	}
}

// HistoryRunJSON serves GET /history/runs/:id/export.json.
func HistoryRunJSON(store entryTranscripts) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := entryOf(c, store)
		if err != nil {
			return err
		}
		tr, err := store.Transcript(c.UserContext(), ownerOf(c), e.ID)
		if err != nil {
			return err
		}
		e.Transcript = string(tr)
		b, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="run-`+e.ID+`.json"`)
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(b)
	}
}

// HistoryRunCurl serves GET /history/runs/:id/export.sh: the curl command.
func HistoryRunCurl(store entryGetter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := entryOf(c, store)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="run-`+e.ID+`.sh"`)
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString(e.Script())
	}
}

// HistoryRunTranscript serves GET /history/runs/:id/transcript.sse.
func HistoryRunTranscript(store entryTranscripts) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := entryOf(c, store)
		if err != nil {
			return err
		}
		tr, err := store.Transcript(c.UserContext(), ownerOf(c), e.ID)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="run-`+e.ID+`.sse"`)
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.Send(tr)
	}
}

// HistoryExport serves GET /history/export.jsonl: every run of the
// session, one JSON object a line, oldest first.
func HistoryExport(store historyExporter, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		owner := ownerOf(c)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="history.jsonl"`)
		c.Set(fiber.HeaderContentType, "application/x-ndjson")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			// The writer sends what fills its buffer: no flush a run (a
			// chunk and a write each, a third of the rate at 100,000 runs).
			enc := json.NewEncoder(w)
			err := store.Export(ctx, owner, func(e history.Entry) error { return enc.Encode(e) })
			if err == nil {
				err = w.Flush()
			}
			if err != nil {
				log.Warn("history export ended early", "err", err)
			}
		})
		return nil
	}
}

// HistoryReplay serves POST /history/runs/:id/replay: the run's provider,
// model and values become the playground's form.
func HistoryReplay(inputs runInputs, saved draftSaver, runs runStarter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := inputs.Inputs(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		if err := saved.Save(ownerOf(c), compare.Base{Provider: e.Provider, Model: e.Model, Form: e.Form, Vars: draft.TemplateVars(e.Vars)}); err != nil {
			return err
		}
		if s := sessionOf(c); s != nil {
			s.Pick(e.Provider, e.Model)
		}
		// The restored form is not the last run's: its output, of another
		// prompt, is not shown under it.
		runs.SetLast(ownerOf(c), nil)
		return c.Redirect("/?"+url.Values{"provider": {e.Provider}, "model": {e.Model}}.Encode(), http.StatusSeeOther)
	}
}

// HistoryFork serves POST /history/runs/:id/fork: the run becomes the base
// form of a comparison with two panes of its model.
func HistoryFork(inputs runInputs, cmp compareForker) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := inputs.Inputs(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		base := compare.Base{Provider: e.Provider, Model: e.Model, Form: e.Form, Vars: draft.TemplateVars(e.Vars)}
		return forkInto(c, cmp, base, compare.Fresh(base))
	}
}

// forkInto makes base and l the session's compare panes and goes there.
func forkInto(c *fiber.Ctx, cmp compareForker, base compare.Base, l compare.Layout) error {
	if err := cmp.Fork(ownerOf(c), base, l); err != nil {
		return err
	}
	if s := sessionOf(c); s != nil {
		s.SetLastComparison("")
	}
	return c.Redirect("/compare", http.StatusSeeOther)
}

// ownedChange changes owner's run or comparison id: history.Store's
// Delete, Unshare, DeleteComparison, UnshareComparison, and (through
// sharing) Share and ShareComparison.
type ownedChange func(ctx context.Context, owner, id string) error

// sharing is share as an ownedChange (the link's id is not needed: the
// page shows it).
func sharing(share func(ctx context.Context, owner, id string) (string, error)) ownedChange {
	return func(ctx context.Context, owner, id string) error {
		_, err := share(ctx, owner, id)
		return err
	}
}

// HistoryDelete serves POST /history/runs/:id/delete (del: Delete).
func HistoryDelete(del ownedChange, flashes flashKeeper) fiber.Handler {
	return changeThen(del, flashes, "The run was deleted.", "/history")
}

// HistoryShare serves POST /history/runs/:id/share and …/unshare
// (change: sharing(Share) or Unshare).
func HistoryShare(change ownedChange) fiber.Handler {
	return changeThen(change, nil, "", "/history/runs/")
}

// changeThen applies change to the session's thing the URL names, keeps
// the message flash (when not "") and redirects to back, followed by the
// thing's id when back ends in a slash.
func changeThen(change ownedChange, flashes flashKeeper, flash, back string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		if err := change(c.UserContext(), ownerOf(c), id); err != nil {
			return err
		}
		if flash != "" {
			setFlash(c, flashes, flash)
		}
		if strings.HasSuffix(back, "/") {
			back += id
		}
		return c.Redirect(back, http.StatusSeeOther)
	}
}

// comparisonOf loads the session's comparison named in the URL.
func comparisonOf(c *fiber.Ctx, store comparisonGetter) (history.Comparison, error) {
	return store.Comparison(c.UserContext(), ownerOf(c), c.Params("id"))
}

// HistoryComparison serves GET /history/comparisons/:id.
func HistoryComparison(store comparisonGetter, scopes scoper, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := comparisonOf(c, store)
		if err != nil {
			return err
		}
		p := views.NewComparisonPage(scopes.of(c).cat, cmp, false, shareURL(c, cmp.ShareID), "/history/comparisons/"+cmp.ID+"/diff")
		p.Title, p.Assets, p.CSRF = "Comparison · Playground", assets, csrfToken(c)
		return render(c, http.StatusOK, views.ComparisonPageView(p))
	}
}

// HistoryComparisonDiff serves GET /history/comparisons/:id/diff?a=&b=&only=.
func HistoryComparisonDiff(store comparisonGetter, diffs paneDiffer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := comparisonOf(c, store)
		if err != nil {
			return err
		}
		return renderDiff(c, diffs, cmp)
	}
}

// renderDiff answers a diff request of two panes of cmp (compare.Differ.Panes).
func renderDiff(c *fiber.Ctx, diffs paneDiffer, cmp history.Comparison) error {
	runs := make([]compare.PaneRun, len(cmp.Runs))
	for i, e := range cmp.Runs {
		runs[i] = compare.PaneRun{Pane: e.Pane, Side: compare.Side{Provider: e.Provider, Model: e.Model, Form: e.Form},
			Text: e.Output.Text(), Running: e.Status == run.Running}
	}
	pd, err := diffs.Panes(cmp.ID, runs, c.Query("a"), c.Query("b"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DiffView(views.NewPaneDiff(pd, c.Query("only") == "1")))
}

// HistoryComparisonFork serves POST /history/comparisons/:id/fork: the
// comparison's base form and panes go back into the compare view.
func HistoryComparisonFork(store comparisonGetter, forker compareForker) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := comparisonOf(c, store)
		if err != nil {
			return err
		}
		rec, err := compare.ReadRecord(cmp.Layout)
		if err != nil {
			return problem.Errorf(problem.KindConflict, "This comparison's panes were not kept; fork one of its runs instead.")
		}
		return forkInto(c, forker, rec.Base, rec.Layout)
	}
}

// HistoryComparisonDelete serves POST /history/comparisons/:id/delete
// (del: DeleteComparison).
func HistoryComparisonDelete(del ownedChange, flashes flashKeeper) fiber.Handler {
	return changeThen(del, flashes, "The comparison and its runs were deleted.", "/history")
}

// HistoryComparisonShare serves POST /history/comparisons/:id/share and
// …/unshare (change: sharing(ShareComparison) or UnshareComparison).
func HistoryComparisonShare(change ownedChange) fiber.Handler {
	return changeThen(change, nil, "", "/history/comparisons/")
}

// Shared serves GET /share/:id: a shared run or comparison, read-only, to
// anyone with the link.
func Shared(store sharedReader, cat *catalog.Catalog, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		c.Set("X-Robots-Tag", "noindex")
		if e, err := store.Shared(c.UserContext(), id); err == nil {
			return render(c, http.StatusOK, views.RunRecordPageView(views.RunRecordPage{
				Title: "Shared run · " + e.ModelLabel, Assets: assets, CSRF: csrfToken(c),
				Run: views.RunRecordOf(cat, e, true, ""),
			}))
		} else if !errors.Is(err, history.ErrNotFound) {
			return err
		}
		cmp, err := store.SharedComparison(c.UserContext(), id)
		if errors.Is(err, history.ErrNotFound) {
			x, xerr := store.SharedExperiment(c.UserContext(), id)
			if xerr != nil {
				return xerr
			}
			snap, serr := experiment.Stored(cat, x.ID, x.File, x.Results)
			p := views.NewExperimentRecordPage(x, snap, serr, true, "")
			p.Title, p.Assets, p.CSRF = "Shared experiment · Playground", assets, csrfToken(c)
			return render(c, http.StatusOK, views.ExperimentRecordPageView(p))
		}
		if err != nil {
			return err
		}
		p := views.NewComparisonPage(cat, cmp, true, "", "/share/"+id+"/diff")
		p.Title, p.Assets, p.CSRF = "Shared comparison · Playground", assets, csrfToken(c)
		return render(c, http.StatusOK, views.ComparisonPageView(p))
	}
}

// SharedDiff serves GET /share/:id/diff for a shared comparison.
func SharedDiff(store sharedComparisons, diffs paneDiffer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := store.SharedComparison(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return renderDiff(c, diffs, cmp)
	}
}

// HistoryRunAudio serves GET /history/runs/:id/audio/:choice: a stored
// run's spoken answer, playable.
func HistoryRunAudio(store entryGetter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := entryOf(c, store)
		if err != nil {
			return err
		}
		return sendAudio(c, e.Audio, storedAudioCache)
	}
}

// SharedAudio serves GET /share/:id/audio/:choice for a shared run.
func SharedAudio(store sharedRuns) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := store.Shared(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return sendAudio(c, e.Audio, storedAudioCache)
	}
}

// SharedComparisonAudio serves GET /share/:id/panes/:pane/audio/:choice:
// the audio of a pane's run of a shared comparison.
func SharedComparisonAudio(store sharedComparisons) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := store.SharedComparison(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		pane, err := strconv.Atoi(c.Params("pane"))
		if err != nil {
			return fiber.ErrNotFound
		}
		e, ok := cmp.Pane(pane)
		if !ok {
			return fiber.ErrNotFound
		}
		return sendAudio(c, e.Audio, storedAudioCache)
	}
}

// sendAudio answers with the audio of the choice the :choice param names,
// as audioOf gives it (playable, with its Content-Type), cached as
// cacheControl says.
func sendAudio(c *fiber.Ctx, audioOf func(choice int) ([]byte, string, bool), cacheControl string) error {
	i, err := strconv.Atoi(c.Params("choice"))
	if err != nil || i < 0 {
		return fiber.ErrNotFound
	}
	b, ctype, ok := audioOf(i)
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderCacheControl, cacheControl)
	return c.Send(b)
}

// storedAudioCache is revalidated each time: a share link revoked is
// revoked for its audio too, not an hour later from the browser's cache.
const storedAudioCache = "private, no-cache"
