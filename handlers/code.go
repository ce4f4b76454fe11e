package handlers

import (
	"net/http"
	"net/url"
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
// draft (its last form, its variables filled in) as code in one language,
// as text, so it can be fetched from a terminal or a test; ?download=1
// names the file to save; ?template=1 gives the template instead, its
// variables as written (never what is sent).
func DraftSnippet(scopes scoper, saved draftLoader) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := currentDraft(c, scopes.of(c), saved, "", "")
		if r.Request == nil {
			return problem.Errorf(problem.KindInvalid, "The current form has %s: fix them in the playground, and the code follows.", views.Plural(len(r.Errors), "error", "errors"))
		}
		req := r.Request
		if c.Query("template") == "1" && r.Template != nil {
			req = r.Template
		}
		s, ok := snippet.Render(c.Params("lang"), req)
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
// it is kept when the paste cannot be read. drop=1 leaves the parameters
// the model's form does not have out (by default they are kept as extra
// body fields).
func ImportRequest(imports importer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return imports.render(c, formValues(c), nil)
	}
}

// importer imports a posted paste and renders the workspace with it: for
// the import box, and for the provider it offers to add (AddProvider).
type importer struct {
	scopes scoper
	keep   keeper
	saved  draftLoader
	runs   lastRunFinder
}

// render imports posted's paste ("import", for the form's "_provider"
// and "_model"; "drop") into the session's scope as it is now; added is
// the add-provider form AddProvider refused, shown back in the box.
func (im importer) render(c *fiber.Ctx, posted url.Values, added *views.AddProviderForm) error {
	sc := im.scopes.of(c)
	text := strings.TrimSpace(posted.Get("import"))
	paste, perr := draft.ReadPaste(text, posted.Get("_provider"), posted.Get("_model"))
	paste.Drop = posted.Get("drop") == "1"
	var imp draft.Imported
	if perr == nil {
		imp = sc.drafts.Import(paste)
	}
	box := views.NewImportBox(text, perr, imp)
	if added != nil {
		box = box.WithAdd(added.Name, added.BaseURL, posted["styles"], added.Errors)
	}
	if perr != nil || imp.Result.Model == nil {
		// Nothing to fill the form with: it stays as it was (as posted
		// with the paste, else as last kept), the reason next to the
		// box, the paste kept.
		r := currentDraft(c, sc, im.saved, "", "")
		if posted.Has("_model") {
			r = sc.drafts.Prepare(draft.Input{Provider: paste.Provider, Model: paste.Model, Form: webform.Decode(posted), Vars: draft.PostedVars(posted)})
		}
		w := views.NewWorkspace(sc.cat, r, sc.drafts.KeySource)
		w.Import = box
		return render(c, http.StatusOK, views.WorkspaceView(w, lastRun(c, sc, im.runs)))
	}
	r := imp.Result
	if s := sessionOf(c); s != nil {
		s.Pick(r.Provider.ID, r.Model.ID)
	}
	im.keep.keep(c, r)
	w := views.NewWorkspace(sc.cat, r, sc.drafts.KeySource)
	w.Import = box
	pushPicked(c, r)
	return render(c, http.StatusOK, views.WorkspaceView(w, nil))
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
