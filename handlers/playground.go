package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/cluster"
	"github.com/playground-dev/playground/web/draft"
	webform "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
)

// draftLoader reads a session's last form (draft.Store).
type draftLoader interface {
	Load(owner string) (draft.Saved, bool)
}

// draftSaver keeps a session's last form (draft.Store).
type draftSaver interface {
	Save(owner string, d draft.Saved) error
}

// runFinder finds a session's run while the server holds it (run.Manager).
type runFinder interface {
	Get(id, owner string) (*run.Run, bool)
	// Last is the owner's run the page shows after a reload.
	Last(owner string) (*run.Run, bool)
}

// lastRunFinder finds the owner's last run, here or on another instance
// (cluster.Runs).
type lastRunFinder interface {
	runFinder
	LastRun(ctx context.Context, owner string) (*run.Run, cluster.Info, bool)
}

// keeper keeps the form as the session's last, so a reload brings it back.
type keeper struct {
	saved draftSaver
	log   *slog.Logger
}

// keep saves r's form. A failure costs only that convenience: it is
// logged, not shown.
func (k keeper) keep(c *fiber.Ctx, r draft.Result) {
	if err := k.saved.Save(ownerOf(c), draft.Saved{Provider: r.Provider.ID, Model: r.Model.ID, Form: r.Form, Vars: r.Vars}); err != nil {
		k.log.Warn("could not keep the form", "err", err)
	}
}

// Playground serves GET /: the page for ?provider=&model=, else the
// session's last choice, else the default; with the session's last form
// values, carried over to the model asked for.
func Playground(scopes scoper, saved draftLoader, runs lastRunFinder, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		r := currentDraft(c, sc, saved, c.Query("provider"), c.Query("model"))
		return render(c, http.StatusOK, views.PlaygroundPage(views.Page{
			Title:     "Playground · " + r.Model.Label(),
			Assets:    assets,
			CSRF:      csrfToken(c),
			Workspace: views.NewWorkspace(sc.cat, r, sc.drafts.KeySource),
			Run:       lastRun(c, sc, runs),
		}))
	}
}

// SwitchModel serves POST /draft/switch: the workspace for the picked
// provider and model, keeping the values of the fields the old and new
// models share.
func SwitchModel(scopes scoper, keep keeper, accounts accountKeeper, runs lastRunFinder) fiber.Handler {
	return func(c *fiber.Ctx) error {
		posted := formValues(c)
		if c.Get("HX-Trigger-Name") == "style" {
			// The style picker beside one of the session's own models.
			pickStyle(c, accounts, posted.Get("provider"), posted.Get("model"), posted.Get("style"))
		}
		sc := scopes.of(c)
		in := draft.Input{
			Provider:     posted.Get("provider"),
			Model:        posted.Get("model"),
			PrevProvider: posted.Get("_provider"),
			PrevModel:    posted.Get("_model"),
			Form:         webform.Decode(posted),
			Vars:         draft.PostedVars(posted),
		}
		r := sc.drafts.Prepare(in)
		if s := sessionOf(c); s != nil {
			s.Pick(r.Provider.ID, r.Model.ID)
		}
		keep.keep(c, r)
		pushPicked(c, r)
		return render(c, http.StatusOK, views.WorkspaceView(views.NewWorkspace(sc.cat, r, sc.drafts.KeySource), lastRun(c, sc, runs)))
	}
}

// Preview serves POST /draft/preview: the curl, estimate and field errors
// for the form as it stands.
func Preview(scopes scoper, keep keeper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, r := prepareSubmitted(c, scopes, keep)
		return render(c, http.StatusOK, views.PanelsOOB(submittedPanels(c, r)))
	}
}

// prepareSubmitted checks the submitted form against the model it was for
// and keeps it as the session's last.
func prepareSubmitted(c *fiber.Ctx, scopes scoper, keep keeper) (scope, draft.Result) {
	sc := scopes.of(c)
	values := formValues(c)
	posted := webform.Decode(values)
	r := sc.drafts.Prepare(draft.Input{Provider: posted.Text("_provider"), Model: posted.Text("_model"), Form: posted, Vars: draft.PostedVars(values)})
	keep.keep(c, r)
	return sc, r
}

// submittedPanels are the panels answering a submitted form: the
// Variables panel is redrawn only when the draft's variables are not the
// boxes the form showed.
func submittedPanels(c *fiber.Ctx, r draft.Result) views.Panels {
	return views.NewPanels(r, views.NewFields(r)).WithShown(formValues(c).Get(draft.VarsShown))
}

// currentDraft is the session's draft as the page opens it: its last
// form, for the provider and model asked for (provider, model), else the
// session's last pick, else the default.
func currentDraft(c *fiber.Ctx, sc scope, saved draftLoader, provider, model string) draft.Result {
	last, ok := saved.Load(ownerOf(c))
	var pickedProvider, pickedModel string
	if s := sessionOf(c); s != nil {
		pickedProvider, pickedModel = s.Picked()
	}
	return sc.drafts.Prepare(draft.Opening(provider, model, last, ok, pickedProvider, pickedModel))
}

// pushPicked puts the draft's provider and model in the address bar (an
// htmx answer that changed them).
func pushPicked(c *fiber.Ctx, r draft.Result) {
	c.Set("HX-Push-Url", "/?"+url.Values{"provider": {r.Provider.ID}, "model": {r.Model.ID}}.Encode())
}

// lastRun is the session's last run while an instance still holds it.
func lastRun(c *fiber.Ctx, sc scope, runs lastRunFinder) *views.Run {
	s := sessionOf(c)
	if s == nil || s.Owner() == "" {
		return nil
	}
	r, in, ok := runs.LastRun(c.UserContext(), s.Owner())
	switch {
	case !ok:
		return nil
	case r != nil:
		v := views.NewRun(r)
		return &v
	}
	p, pok := sc.cat.Provider(in.Provider)
	m, mok := sc.cat.Model(in.Provider, in.Model)
	if !pok || !mok {
		return nil
	}
	v := views.NewRunOf(in.ID, p, m)
	return &v
}
