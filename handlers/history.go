package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/audio"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// History serves GET /history: the session's runs, filtered and paged.
func History(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		owner := ownerOf(c)
		query := queryValues(c)
		f, errs := history.ParseFilter(query)
		vf := views.HistoryFilter{From: query.Get("from"), To: query.Get("to"), Query: f.Query, Errors: errs,
			Active: history.Filtered(query)}
		page, err := d.History.List(c.UserContext(), owner, f)
		if err != nil {
			return err
		}
		facets, err := d.History.Facets(c.UserContext(), owner)
		if err != nil {
			return err
		}
		vf.Providers, vf.Models = views.FacetOptions(facets, f.Provider, f.Model)
		p := views.HistoryPage{Title: "History · Playground", Assets: assets, CSRF: csrfToken(c), Filter: vf,
			Rows: views.NewHistoryRows(page.Entries), Total: page.Total, Page: page.Page, Pages: page.Pages, Flash: takeFlash(c),
			Keeps: views.HistoryKeeps(d.History.Limits())}
		if page.Page > 1 {
			p.PrevURL = "/history?" + history.PageQuery(query, page.Page-1).Encode()
		}
		if page.Page < page.Pages {
			p.NextURL = "/history?" + history.PageQuery(query, page.Page+1).Encode()
		}
		return render(c, http.StatusOK, views.HistoryPageView(p))
	}
}

// entryOf loads the session's run named in the URL.
func (d *Deps) entryOf(c *fiber.Ctx) (history.Entry, error) {
	return d.History.Get(c.UserContext(), ownerOf(c), c.Params("id"))
}

// shareURL is the absolute URL of a share link.
func shareURL(c *fiber.Ctx, id string) string {
	if id == "" {
		return ""
	}
	return c.BaseURL() + "/share/" + id
}

// HistoryRun serves GET /history/runs/:id.
func HistoryRun(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.entryOf(c)
		if err != nil {
			return err
		}
		sc := d.scopeOf(c)
		return render(c, http.StatusOK, views.RunRecordPageView(views.RunRecordPage{
			Title: "Run · " + e.ModelLabel, Assets: assets, CSRF: csrfToken(c),
			Run: views.RunRecordOf(sc.cat, e, false, shareURL(c, e.ShareID)),
		}))
	}
}

// HistoryRunJSON serves GET /history/runs/:id/export.json.
func HistoryRunJSON(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.entryOf(c)
		if err != nil {
			return err
		}
		tr, err := d.History.Transcript(c.UserContext(), ownerOf(c), e.ID)
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
func HistoryRunCurl(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.entryOf(c)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="run-`+e.ID+`.sh"`)
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString("#!/bin/sh\n# " + e.ProviderName + " · " + e.ModelLabel + ", " + e.Created.Format(time.RFC3339) +
			"\n# The key comes from your shell: set $" + e.Request.KeyEnv + " first.\n" + e.Curl + "\n")
	}
}

// HistoryRunTranscript serves GET /history/runs/:id/transcript.sse.
func HistoryRunTranscript(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.entryOf(c)
		if err != nil {
			return err
		}
		tr, err := d.History.Transcript(c.UserContext(), ownerOf(c), e.ID)
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
func HistoryExport(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		owner := ownerOf(c)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="history.jsonl"`)
		c.Set(fiber.HeaderContentType, "application/x-ndjson")
		store, log := d.History, d.Log
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			enc := json.NewEncoder(w)
			err := store.Export(ctx, owner, func(e history.Entry) error {
				if err := enc.Encode(e); err != nil {
					return err
				}
				return w.Flush()
			})
			if err != nil {
				log.Warn("history export ended early", "err", err)
			}
		})
		return nil
	}
}

// inputsOf loads the session's run named in the URL for a replay, a
// fork or a continuation, which need its whole form: a run larger than the history keeps
// lost its largest texts (each reads as a note), and cannot.
func (d *Deps) inputsOf(c *fiber.Ctx) (history.Entry, error) {
	e, err := d.entryOf(c)
	if err == nil && e.Request.FormOmitted {
		return e, problem.Errorf(problem.KindConflict, "This run cannot be replayed, forked or continued: its prompt was larger than the history keeps of a run (%s), so its longest texts were not kept.",
			units.Bytes(d.History.Limits().RunBytes))
	}
	return e, err
}

// HistoryReplay serves POST /history/runs/:id/replay: the run's provider,
// model and values become the playground's form.
func HistoryReplay(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.inputsOf(c)
		if err != nil {
			return err
		}
		if err := d.Saved.Save(ownerOf(c), compare.Base{Provider: e.Provider, Model: e.Model, Form: e.Form}); err != nil {
			return err
		}
		if s := sessionOf(c); s != nil {
			s.Pick(e.Provider, e.Model)
			// The restored form is not the last run's: its output, of
			// another prompt, is not shown under it.
			s.SetLastRun("")
		}
		return c.Redirect("/?"+url.Values{"provider": {e.Provider}, "model": {e.Model}}.Encode(), http.StatusSeeOther)
	}
}

// HistoryFork serves POST /history/runs/:id/fork: the run becomes the base
// form of a comparison with two panes of its model.
func HistoryFork(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.inputsOf(c)
		if err != nil {
			return err
		}
		base := compare.Base{Provider: e.Provider, Model: e.Model, Form: e.Form}
		return d.forkInto(c, base, compare.Fresh(base))
	}
}

func (d *Deps) forkInto(c *fiber.Ctx, base compare.Base, l compare.Layout) error {
	if err := d.Compare.Fork(ownerOf(c), base, l); err != nil {
		return err
	}
	if s := sessionOf(c); s != nil {
		s.SetLastComparison("")
	}
	return c.Redirect("/compare", http.StatusSeeOther)
}

// HistoryDelete serves POST /history/runs/:id/delete.
func HistoryDelete(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := d.History.Delete(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		d.setFlash(c, "The run was deleted.")
		return c.Redirect("/history", http.StatusSeeOther)
	}
}

// HistoryShare serves POST /history/runs/:id/share and …/unshare.
func HistoryShare(d *Deps, share bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		owner, id := ownerOf(c), c.Params("id")
		var err error
		if share {
			_, err = d.History.Share(c.UserContext(), owner, id)
		} else {
			err = d.History.Unshare(c.UserContext(), owner, id)
		}
		if err != nil {
			return err
		}
		return c.Redirect("/history/runs/"+id, http.StatusSeeOther)
	}
}

// comparisonOf loads the session's comparison named in the URL.
func (d *Deps) comparisonOf(c *fiber.Ctx) (history.Comparison, error) {
	return d.History.Comparison(c.UserContext(), ownerOf(c), c.Params("id"))
}

// HistoryComparison serves GET /history/comparisons/:id.
func HistoryComparison(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := d.comparisonOf(c)
		if err != nil {
			return err
		}
		p := views.NewComparisonPage(d.scopeOf(c).cat, cmp, false, shareURL(c, cmp.ShareID), "/history/comparisons/"+cmp.ID+"/diff")
		p.Title, p.Assets, p.CSRF = "Comparison · Playground", assets, csrfToken(c)
		return render(c, http.StatusOK, views.ComparisonPageView(p))
	}
}

// HistoryComparisonDiff serves GET /history/comparisons/:id/diff?a=&b=&only=.
func HistoryComparisonDiff(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := d.comparisonOf(c)
		if err != nil {
			return err
		}
		return renderDiff(c, d.Diffs, cmp)
	}
}

// renderDiff answers a diff request of two panes of cmp (compare.Differ.Panes).
func renderDiff(c *fiber.Ctx, diffs *compare.Differ, cmp history.Comparison) error {
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
func HistoryComparisonFork(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := d.comparisonOf(c)
		if err != nil {
			return err
		}
		rec, err := compare.ReadRecord(cmp.Layout)
		if err != nil {
			return problem.Errorf(problem.KindConflict, "This comparison's panes were not kept; fork one of its runs instead.")
		}
		return d.forkInto(c, rec.Base, rec.Layout)
	}
}

// HistoryComparisonDelete serves POST /history/comparisons/:id/delete.
func HistoryComparisonDelete(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := d.History.DeleteComparison(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		d.setFlash(c, "The comparison and its runs were deleted.")
		return c.Redirect("/history", http.StatusSeeOther)
	}
}

// HistoryComparisonShare serves POST /history/comparisons/:id/share and
// …/unshare.
func HistoryComparisonShare(d *Deps, share bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		owner, id := ownerOf(c), c.Params("id")
		var err error
		if share {
			_, err = d.History.ShareComparison(c.UserContext(), owner, id)
		} else {
			err = d.History.UnshareComparison(c.UserContext(), owner, id)
		}
		if err != nil {
			return err
		}
		return c.Redirect("/history/comparisons/"+id, http.StatusSeeOther)
	}
}

// Shared serves GET /share/:id: a shared run or comparison, read-only, to
// anyone with the link.
func Shared(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		c.Set("X-Robots-Tag", "noindex")
		if e, err := d.History.Shared(c.UserContext(), id); err == nil {
			return render(c, http.StatusOK, views.RunRecordPageView(views.RunRecordPage{
				Title: "Shared run · " + e.ModelLabel, Assets: assets, CSRF: csrfToken(c),
				Run: views.RunRecordOf(d.Catalog, e, true, ""),
			}))
		} else if !errors.Is(err, history.ErrNotFound) {
			return err
		}
		cmp, err := d.History.SharedComparison(c.UserContext(), id)
		if err != nil {
			return err
		}
		p := views.NewComparisonPage(d.Catalog, cmp, true, "", "/share/"+id+"/diff")
		p.Title, p.Assets, p.CSRF = "Shared comparison · Playground", assets, csrfToken(c)
		return render(c, http.StatusOK, views.ComparisonPageView(p))
	}
}

// SharedDiff serves GET /share/:id/diff for a shared comparison.
func SharedDiff(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := d.History.SharedComparison(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return renderDiff(c, d.Diffs, cmp)
	}
}

// HistoryRunAudio serves GET /history/runs/:id/audio/:choice: a stored
// run's spoken answer, playable.
func HistoryRunAudio(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.entryOf(c)
		if err != nil {
			return err
		}
		return sendAudio(c, e)
	}
}

// SharedAudio serves GET /share/:id/audio/:choice for a shared run.
func SharedAudio(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := d.History.Shared(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return sendAudio(c, e)
	}
}

// SharedComparisonAudio serves GET /share/:id/panes/:pane/audio/:choice:
// the audio of a pane's run of a shared comparison.
func SharedComparisonAudio(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmp, err := d.History.SharedComparison(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		pane, err := strconv.Atoi(c.Params("pane"))
		if err != nil {
			return fiber.ErrNotFound
		}
		for _, e := range cmp.Runs {
			if e.Pane == pane {
				return sendAudio(c, e)
			}
		}
		return fiber.ErrNotFound
	}
}

// sendAudio answers with the audio of the choice the :choice param names.
func sendAudio(c *fiber.Ctx, e history.Entry) error {
	i, err := strconv.Atoi(c.Params("choice"))
	if err != nil {
		return fiber.ErrNotFound
	}
	for _, ch := range e.Output.Choices {
		if ch.Index == i && ch.Audio != nil && len(ch.Audio.Data) > 0 {
			c.Set(fiber.HeaderContentType, audio.ContentType(ch.Audio.Format))
			// Revalidated each time: a share link revoked is revoked for
			// its audio too, not an hour later from the browser's cache.
			c.Set(fiber.HeaderCacheControl, "private, no-cache")
			return c.Send(audio.Playable(ch.Audio.Format, ch.Audio.Data))
		}
	}
	return fiber.ErrNotFound
}
