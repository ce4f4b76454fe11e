package handlers

import (
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/run"
)

// Session keys of the playground page.
const (
	keyProvider = "provider"
	keyModel    = "model"
)

// Playground serves GET /: the page for ?provider=&model=, else the
// session's last choice, else the default.
func Playground(drafts *draft.Service, cat *catalog.Catalog, runs *run.Manager, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := sessionOf(c)
		in := draft.Input{Provider: c.Query("provider"), Model: c.Query("model")}
		if in.Provider == "" && s != nil {
			in.Provider, in.Model = s.Get(keyProvider), s.Get(keyModel)
		}
		r := drafts.Prepare(in)
		return render(c, http.StatusOK, views.PlaygroundPage(views.Page{
			Title:     "Playground · " + r.Model.Label(),
			Assets:    assets,
			Workspace: views.NewWorkspace(cat, r, drafts.KeyConfigured),
			Run:       lastRun(c, runs),
		}))
	}
}

// SwitchModel serves POST /draft/switch: the workspace for the picked
// provider and model, keeping the values of the fields the old and new
// models share.
func SwitchModel(drafts *draft.Service, cat *catalog.Catalog, runs *run.Manager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		form := formValues(c)
		in := draft.Input{
			Provider:     form.Get("provider"),
			Model:        form.Get("model"),
			PrevProvider: form.Get("_provider"),
			PrevModel:    form.Get("_model"),
			Form:         form,
		}
		r := drafts.Prepare(in)
		if s := sessionOf(c); s != nil {
			s.Set(keyProvider, r.Provider.ID)
			s.Set(keyModel, r.Model.ID)
		}
		c.Set("HX-Push-Url", "/?"+url.Values{"provider": {r.Provider.ID}, "model": {r.Model.ID}}.Encode())
		return render(c, http.StatusOK, views.WorkspaceView(views.NewWorkspace(cat, r, drafts.KeyConfigured), lastRun(c, runs)))
	}
}

// Preview serves POST /draft/preview: the curl, estimate and field errors
// for the form as it stands.
func Preview(drafts *draft.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		form := formValues(c)
		r := drafts.Prepare(draft.Input{Provider: form.Get("_provider"), Model: form.Get("_model"), Form: form})
		return render(c, http.StatusOK, views.PanelsOOB(views.NewPanels(r, views.NewFields(r))))
	}
}

// lastRun is the session's last run while the server still holds it.
func lastRun(c *fiber.Ctx, runs *run.Manager) *views.Run {
	s := sessionOf(c)
	if s == nil || s.Get(keyLastRun) == "" {
		return nil
	}
	r, ok := runs.Get(s.Get(keyLastRun), s.Get(keyOwner))
	if !ok {
		return nil
	}
	v := views.NewRun(r)
	return &v
}
