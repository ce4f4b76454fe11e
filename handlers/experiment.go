package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/cases"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
)

// experimentSetup reads the posted setup.
func experimentSetup(c *fiber.Ctx) experiment.Setup {
	return experiment.Setup{
		Name:        c.FormValue(experiment.FieldName),
		Cases:       c.FormValue(experiment.FieldCases),
		Checks:      c.FormValue(experiment.FieldChecks),
		Repeats:     c.FormValue(experiment.FieldRepeats),
		MinPassRate: c.FormValue(experiment.FieldMinPassRate),
	}
}

// experimentGrid is the grid of an experiment, with a blind pair offered.
func experimentGrid(l *experiment.Live, show views.ExperimentShow) views.ExperimentGrid {
	return views.NewExperimentGrid(l.Snapshot(), show, l.Offer())
}

// gridShow is the filter and order asked for (?filter=&sort=).
func gridShow(c *fiber.Ctx) views.ExperimentShow {
	return views.ExperimentShowOf(c.Query("filter"), c.Query("sort"))
}

// experimentPageOf is the page of a state, with the session's latest
// experiment's grid.
func experimentPageOf(c *fiber.Ctx, sc scope, pg *experiment.Page, st *experiment.State) views.ExperimentPage {
	page := views.ExperimentPage{CSRF: csrfToken(c), Form: views.NewExperimentForm(st)}
	if snap, offer, ok := pg.Lives.LatestView(c.UserContext(), sc.cat, ownerOf(c)); ok {
		g := views.NewExperimentGrid(snap, views.ExperimentShow{}, offer)
		page.Grid = &g
	}
	return page
}

// Experiment serves GET /experiment.
func Experiment(scopes scoper, pg *experiment.Page, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, owner := scopes.of(c), ownerOf(c)
		page := experimentPageOf(c, sc, pg, pg.View(owner, sc.drafts))
		page.Title, page.Assets = "Experiment · Playground", assets
		return render(c, http.StatusOK, views.ExperimentPageView(page))
	}
}

// ExperimentPreview serves POST /experiment/preview: the setup kept, the
// plan and its cost, each field's error beside it.
func ExperimentPreview(scopes scoper, pg *experiment.Page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		st := pg.Preview(ownerOf(c), sc.drafts, experimentSetup(c))
		return render(c, http.StatusOK, views.ExperimentSummaryView(views.NewExperimentForm(st), true))
	}
}

// ExperimentRun serves POST /experiment/run[?confirm=1]: the grid of the
// experiment started, the question when its cost is above the threshold,
// or why it cannot start.
func ExperimentRun(scopes scoper, pg *experiment.Page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		st, l, err := pg.Start(ownerOf(c), sc.drafts, experimentSetup(c), c.Query("confirm") == "1")
		if err != nil {
			return err
		}
		f := views.NewExperimentForm(st)
		switch {
		case st.Plan == nil:
			c.Status(http.StatusUnprocessableEntity)
			return render(c, http.StatusUnprocessableEntity, views.ExperimentSummaryView(f, true))
		case l == nil:
			return render(c, http.StatusOK, views.ExperimentConfirmView(f))
		}
		return render(c, http.StatusOK, views.ExperimentGridView(experimentGrid(l, views.ExperimentShow{})))
	}
}

// ExperimentImport serves POST /experiment/import (multipart, field
// file): the file's prompt and panes into the compare view, the rest into
// the page, which is answered whole; a bad file changes nothing and its
// error shows beside the import.
func ExperimentImport(scopes scoper, pg *experiment.Page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, owner := scopes.of(c), ownerOf(c)
		fh, err := c.FormFile("file")
		if err != nil {
			return problem.Invalid(experiment.FieldFile, "choose an experiment file (YAML or JSON) to import")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, experiment.MaxFileBytes+1))
		if err != nil {
			return err
		}
		st, _ := pg.Import(owner, sc.drafts, fh.Filename, data)
		return render(c, http.StatusOK, views.ExperimentView(experimentPageOf(c, sc, pg, st)))
	}
}

// ExperimentExport serves GET /experiment/export.yaml: the page's
// experiment as a file, or why there is none yet.
func ExperimentExport(scopes scoper, pg *experiment.Page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st := pg.View(ownerOf(c), scopes.of(c).drafts)
		if st.File == nil {
			return st.Errors
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="experiment.yaml"`)
		c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
		return c.Send(st.File)
	}
}

// ExperimentPromptfoo serves GET /experiment/export.promptfoo.yaml: the
// page's experiment as a promptfoo config (docs/promptfoo.md).
func ExperimentPromptfoo(scopes scoper, pg *experiment.Page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		out, err := pg.Promptfoo(ownerOf(c), scopes.of(c).drafts)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="promptfooconfig.yaml"`)
		c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
		return c.Send(out)
	}
}

// ExperimentCases serves GET /experiment/cases.:format: the case table
// in CSV, TSV or JSONL.
func ExperimentCases(scopes scoper, pg *experiment.Page) fiber.Handler {
	return func(c *fiber.Ctx) error {
		format := cases.Format(c.Params("format"))
		if !slices.Contains(cases.Formats, format) {
			return problem.NotFound("no such format")
		}
		st := pg.View(ownerOf(c), scopes.of(c).drafts)
		t, err := cases.Parse(st.Setup.Cases, "")
		if err != nil {
			return problem.Invalid(experiment.FieldCases, err.Error())
		}
		text, err := t.Export(format)
		if err != nil {
			return problem.Invalid(experiment.FieldCases, err.Error())
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="cases.`+string(format)+`"`)
		c.Set(fiber.HeaderContentType, casesMIME[format])
		return c.SendString(text)
	}
}

// gridOf answers with the session's experiment's grid as it stands,
// from whichever instance runs it.
func gridOf(c *fiber.Ctx, scopes scoper, lives *experiment.Lives) error {
	snap, offer, err := lives.View(c.UserContext(), scopes.of(c).cat, c.Params("id"), ownerOf(c))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ExperimentGridView(views.NewExperimentGrid(snap, gridShow(c), offer)))
}

// ExperimentGrid serves GET /experiment/:id/grid?filter=&sort=: the grid as it
// stands (polled while it runs).
func ExperimentGrid(scopes scoper, lives *experiment.Lives) fiber.Handler {
	return func(c *fiber.Ctx) error { return gridOf(c, scopes, lives) }
}

// ExperimentStop serves POST /experiment/:id/stop.
func ExperimentStop(scopes scoper, lives *experiment.Lives) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := lives.Do(c.UserContext(), ownerOf(c), experiment.Command{Op: "stop", ID: c.Params("id")}); err != nil {
			return err
		}
		return gridOf(c, scopes, lives)
	}
}

// ExperimentRetry serves POST /experiment/:id/retry?case=&pane=&repeat=:
// the cell runs again alone.
func ExperimentRetry(scopes scoper, lives *experiment.Lives) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var cell experiment.Cell
		for _, q := range []struct {
			name string
			to   *int
		}{{"case", &cell.Case}, {"pane", &cell.Pane}, {"repeat", &cell.Repeat}} {
			n, err := strconv.Atoi(c.Query(q.name))
			if err != nil {
				return problem.Invalid(q.name, "not a cell")
			}
			*q.to = n
		}
		if err := lives.Do(c.UserContext(), ownerOf(c), experiment.Command{Op: "retry", ID: c.Params("id"), Cell: cell}); err != nil {
			return err
		}
		return gridOf(c, scopes, lives)
	}
}

// ExperimentVote serves POST /experiment/:id/vote (pair, pick): a blind
// pick kept, the next pair offered.
func ExperimentVote(scopes scoper, lives *experiment.Lives) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cmd := experiment.Command{Op: "vote", ID: c.Params("id"), Token: c.FormValue("pair"), Pick: checks.Pick(c.FormValue("pick"))}
		if err := lives.Do(c.UserContext(), ownerOf(c), cmd); err != nil {
			return err
		}
		return gridOf(c, scopes, lives)
	}
}

// casesMIME are the case table formats' media types.
var casesMIME = map[cases.Format]string{
	cases.CSV:   "text/csv; charset=utf-8",
	cases.TSV:   "text/tab-separated-values; charset=utf-8",
	cases.JSONL: "application/jsonl; charset=utf-8",
}

// historyExperiments is how many experiments the history page lists.
const historyExperiments = 20

// experimentGetter reads the session's kept experiments (history.Store).
type experimentGetter interface {
	Experiment(ctx context.Context, owner, id string) (history.Experiment, error)
}

// HistoryExperiment serves GET /history/experiments/:id: a kept
// experiment's grid, read-only, with its share link.
func HistoryExperiment(store experimentGetter, scopes scoper, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		x, err := store.Experiment(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		snap, serr := experiment.Stored(scopes.of(c).cat, x.ID, x.File, x.Results)
		p := views.NewExperimentRecordPage(x, snap, serr, false, shareURL(c, x.ShareID))
		p.Title, p.Assets, p.CSRF = "Experiment · Playground", assets, csrfToken(c)
		return render(c, http.StatusOK, views.ExperimentRecordPageView(p))
	}
}

// HistoryExperimentFile serves GET /history/experiments/:id/export.yaml:
// the file the kept experiment ran.
func HistoryExperimentFile(store experimentGetter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		x, err := store.Experiment(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="experiment-`+x.ID+`.yaml"`)
		c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
		return c.Send(x.File)
	}
}

// HistoryExperimentShare serves POST /history/experiments/:id/share and
// …/unshare.
func HistoryExperimentShare(change ownedChange) fiber.Handler {
	return changeThen(change, nil, "", "/history/experiments/")
}

// HistoryExperimentDelete serves POST /history/experiments/:id/delete.
func HistoryExperimentDelete(del ownedChange, flashes flashKeeper) fiber.Handler {
	return changeThen(del, flashes, "The experiment and its runs were deleted.", "/history")
}

// experimentKeeper keeps experiments in the history (history.Store).
type experimentKeeper interface {
	PutExperiment(ctx context.Context, owner string, x history.Experiment) error
}

// keepExperiment is the Lives' Idle: each time an experiment has no cell
// in flight, its results are kept (again) in the history.
func keepExperiment(store experimentKeeper, log *slog.Logger) func(*experiment.Live) {
	return func(l *experiment.Live) {
		rec, err := json.Marshal(l.Record())
		snap := l.Snapshot()
		snap.Running = false // idle: its last cell is ending
		if err == nil {
			err = store.PutExperiment(context.Background(), l.Owner,
				history.Experiment{ID: l.ID, Created: l.Created, Title: l.Plan.Title(), Summary: snap.Verdict(), File: l.File, Results: rec})
		}
		if err != nil {
			log.Warn("could not keep the experiment", "experiment", l.ID, "err", err)
		}
	}
}
