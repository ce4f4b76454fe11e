package handlers

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	webform "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/snippet"
)

// DraftSnippet serves GET /draft/snippet/:lang: the session's current
// draft (its last form) as code in one language, as text, so it can be
// fetched from a terminal or a test; ?download=1 names the file to save.
func DraftSnippet(scopes scoper, saved draftLoader) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := currentDraft(c, scopes.of(c), saved, "", "")
		if r.Request == nil {
			return problem.Errorf(problem.KindInvalid, "The current form has %s: fix them in the playground, and the code follows.", views.Plural(len(r.Errors), "error", "errors"))
		}
		s, ok := snippet.Render(c.Params("lang"), r.Request)
		if !ok {
			return problem.Errorf(problem.KindNotFound, "No code in %q: the languages are %s.", c.Params("lang"), langList())
		}
		return sendSnippet(c, s)
	}
}

// sendSnippet answers with a snippet as text.
func sendSnippet(c *fiber.Ctx, s snippet.Snippet) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if c.Query("download") == "1" {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+s.File+`"`)
	}
	return c.SendString(s.Code)
}

// langList names the snippet languages: "curl, httpie, …".
func langList() string {
	var ids []string
	for _, l := range snippet.Langs() {
		ids = append(ids, l.Lang)
	}
	return strings.Join(ids, ", ")
}

// ImportRequest serves POST /draft/import: a pasted curl command or JSON
// body becomes the form (provider by base URL, style by path, model by
// body), with what could not be read said above it. The form posted with
// it is kept when the paste cannot be read.
func ImportRequest(scopes scoper, keep keeper, runs runFinder) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		posted := formValues(c)
		text := strings.TrimSpace(posted.Get("import"))
		paste, perr := draft.ReadPaste(text, posted.Get("_provider"), posted.Get("_model"))
		var im draft.Imported
		if perr == nil {
			im = sc.drafts.Import(paste)
		}
		if perr != nil || im.Result.Model == nil {
			// Nothing to fill the form with: it stays as it was, the
			// reason next to the box, the paste kept.
			r := sc.drafts.Prepare(draft.Input{Provider: paste.Provider, Model: paste.Model, Form: webform.Decode(posted)})
			w := views.NewWorkspace(sc.cat, r, sc.drafts.KeySource)
			w.Import = views.NewImportBox(text, perr, im)
			return render(c, http.StatusOK, views.WorkspaceView(w, lastRun(c, runs)))
		}
		r := im.Result
		if s := sessionOf(c); s != nil {
			s.Pick(r.Provider.ID, r.Model.ID)
		}
		keep.keep(c, r)
		w := views.NewWorkspace(sc.cat, r, sc.drafts.KeySource)
		w.Import = views.NewImportBox("", nil, im)
		pushPicked(c, r)
		return render(c, http.StatusOK, views.WorkspaceView(w, nil))
	}
}

// HistoryRunSnippet serves GET /history/runs/:id/snippet/:lang: a stored
// run's request as code in one language, as text (?download=1 names the
// file).
func HistoryRunSnippet(store entryGetter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := entryOf(c, store)
		if err != nil {
			return err
		}
		req, ok := e.Request.Rebuilt(catalog.Style(e.Style))
		if !ok {
			return problem.Errorf(problem.KindConflict, "This run's request was not kept in the history (it was larger than a run may keep), so it has no code.")
		}
		s, ok := snippet.Render(c.Params("lang"), req)
		if !ok {
			return problem.Errorf(problem.KindNotFound, "No code in %q: the languages are %s.", c.Params("lang"), langList())
		}
		return sendSnippet(c, s)
	}
}
