package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/session"
)

// warnPrefix starts a one-time settings message that is a warning.
const warnPrefix = "!"

// modelLister lists the models of the session's own providers, and
// forgets a list so it is asked for again (account.Lister).
type modelLister interface {
	Models(ctx context.Context, owner string, p account.Provider, key string) ([]string, error)
	Forget(owner string, p account.Provider, key string)
}

// accountKeeper writes an account into a session if its cookie can hold
// it, and flashKeeper a one-time message (session.Store).
type (
	accountKeeper interface {
		KeepAccount(s *session.Session, encoded string) *problem.Error
	}
	flashKeeper interface {
		KeepFlash(s *session.Session, msg string)
	}
	sessionKeeper interface {
		accountKeeper
		flashKeeper
	}
)

// keySourcer says whose key a provider's runs use (draft.Service).
type keySourcer interface {
	KeySource(p *catalog.Provider) draft.KeySource
}

// settingsPage renders the settings page: the catalog's providers and
// whose keys they use, the session's own providers with their listed
// models, and whether base URLs go through the SSRF guard.
type settingsPage struct {
	catalog *catalog.Catalog
	keys    keySourcer
	lister  modelLister
	guarded bool
	assets  views.Assets
}

// Settings serves GET /settings.
func Settings(page settingsPage) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return page.render(c, http.StatusOK, takeFlash(c), views.AddProviderForm{}, nil, nil)
	}
}

// render answers with the settings page, with a one-time message, the
// add-provider form as posted and the errors of a key or style form.
func (sp settingsPage) render(c *fiber.Ctx, status int, flash string, add views.AddProviderForm, keyErr, styleErr map[string]string) error {
	acct := accountOf(c)
	lists := account.ListAll(acct, sp.models(c, acct))
	pg := views.NewSettings(views.SettingsInput{
		Catalog:  sp.catalog,
		Account:  acct,
		Operator: func(p *catalog.Provider) bool { return sp.keys.KeySource(p) == draft.KeyOperator },
		Models: func(p account.Provider) ([]string, error) {
			l := lists[p.ID]
			return l.IDs, l.Err
		},
		Add:        add,
		KeyError:   keyErr,
		StyleError: styleErr,
		Guarded:    sp.guarded,
	})
	pg.Assets, pg.CSRF = sp.assets, csrfToken(c)
	pg.Flash, pg.FlashWarn = strings.CutPrefix(flash, warnPrefix)
	return render(c, status, views.Settings(pg))
}

// models lists the models of the session's own providers through the
// lister, for account.ListAll: a provider that has not answered within
// the lister's wait reads account.ErrListing.
func (sp settingsPage) models(c *fiber.Ctx, acct account.Account) func(account.Provider) ([]string, error) {
	ctx, owner := c.UserContext(), ownerOf(c)
	return func(p account.Provider) ([]string, error) {
		return sp.lister.Models(ctx, owner, p, acct.Key(p.ID))
	}
}

// SetKey serves POST /settings/keys/:provider: keep the key in the
// session, or show why not next to the field.
func SetKey(page settingsPage, sessions sessionKeeper, lister modelLister) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		name, ok := acct.KeyName(page.catalog, c.Params("provider"))
		if !ok {
			return fiber.ErrNotFound
		}
		id := c.Params("provider")
		key := strings.TrimSpace(c.FormValue("key"))
		if msg := account.CheckKey(key); msg != "" {
			return page.render(c, http.StatusUnprocessableEntity, "", views.AddProviderForm{}, map[string]string{id: msg}, nil)
		}
		acct.SetKey(id, key)
		if msg := commit(c, sessions, acct); msg != "" {
			return page.render(c, http.StatusUnprocessableEntity, "", views.AddProviderForm{}, map[string]string{id: msg}, nil)
		}
		if p, ok := acct.Provider(id); ok {
			lister.Forget(ownerOf(c), p, key)
		}
		return back(c, sessions, "Saved your key for "+name+": "+account.Mask(key)+".")
	}
}

// ClearKey serves POST /settings/keys/:provider/clear.
func ClearKey(cat *catalog.Catalog, sessions sessionKeeper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		name, ok := acct.KeyName(cat, c.Params("provider"))
		if !ok {
			return fiber.ErrNotFound
		}
		acct.SetKey(c.Params("provider"), "")
		commit(c, sessions, acct)
		return back(c, sessions, "Cleared your key for "+name+".")
	}
}

// AddProvider serves POST /settings/providers.
// A nil guard checks no base URL (the operator allows private addresses).
// Posted from the playground's import box (with the paste as "import"),
// it answers with the workspace: the paste imported into the provider
// added, or the box's add form with the errors beside its fields.
func AddProvider(page settingsPage, guard account.URLChecker, sessions sessionKeeper, lister modelLister, imports importer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		form := formValues(c)
		p, errs := account.Add(c.UserContext(), &acct, form, guard)
		add := views.AddProviderForm{Name: p.Name, BaseURL: p.BaseURL, Styles: views.StyleChecks(form["styles"]),
			Headers: views.HeaderRows(form["header_name"], form["header_value"]), Errors: errs}
		if len(errs) == 0 {
			if msg := commit(c, sessions, acct); msg != "" {
				errs[""] = msg
			}
		}
		fromImport := form.Get("import") != ""
		switch {
		case fromImport && len(errs) > 0:
			return imports.render(c, form, &add)
		case fromImport:
			return imports.render(c, form, nil)
		case len(errs) > 0:
			return page.render(c, http.StatusUnprocessableEntity, "", add, nil, nil)
		}
		ids, err := lister.Models(c.UserContext(), ownerOf(c), p, acct.Key(p.ID))
		flash, warn := account.AddedMessage(p, ids, err)
		if warn {
			flash = warnPrefix + flash
		}
		return back(c, sessions, flash)
	}
}

// SetModelStyle serves POST /settings/providers/:provider/styles: keep
// the API style chosen for one listed model (an empty style forgets the
// choice), or say why not next to the form.
func SetModelStyle(page settingsPage, sessions sessionKeeper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		p, ok := acct.Provider(c.Params("provider"))
		if !ok {
			return fiber.ErrNotFound
		}
		model, style := c.FormValue("model"), catalog.Style(c.FormValue("style"))
		msg := acct.SetModelStyle(p.ID, model, style)
		if msg == "" {
			msg = commit(c, sessions, acct)
		}
		if msg != "" {
			return page.render(c, http.StatusUnprocessableEntity, "", views.AddProviderForm{}, nil, map[string]string{p.ID: msg})
		}
		if style == "" {
			return back(c, sessions, model+" of "+p.Name+" uses its default API style again.")
		}
		return back(c, sessions, model+" of "+p.Name+" now uses the "+string(style)+" style.")
	}
}

// pickStyle keeps the style the playground's style picker asked for the
// session's own model (account.PickStyle): the choice is the one Settings
// keeps. It reports whether the account changed.
func pickStyle(c *fiber.Ctx, accounts accountKeeper, providerID, model, style string) bool {
	acct := accountOf(c)
	if !acct.PickStyle(providerID, model, catalog.Style(style)) {
		return false
	}
	return commit(c, accounts, acct) == ""
}

// RefreshProvider serves POST /settings/providers/:provider/refresh: list
// the provider's models again.
func RefreshProvider(lister modelLister, flashes flashKeeper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, p, ok := forgetOwn(c, lister)
		if !ok {
			return fiber.ErrNotFound
		}
		return back(c, flashes, "Listed the models of "+p.Name+" again.")
	}
}

// RemoveProvider serves POST /settings/providers/:provider/remove.
func RemoveProvider(lister modelLister, sessions sessionKeeper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct, p, ok := forgetOwn(c, lister)
		if !ok {
			return fiber.ErrNotFound
		}
		acct.Remove(p.ID)
		commit(c, sessions, acct)
		return back(c, sessions, "Removed "+p.Name+" and its key.")
	}
}

// forgetOwn finds the session's provider the URL names and drops its
// listed models, so they are asked for again.
func forgetOwn(c *fiber.Ctx, lister modelLister) (account.Account, account.Provider, bool) {
	acct := accountOf(c)
	p, ok := acct.Provider(c.Params("provider"))
	if ok {
		lister.Forget(ownerOf(c), p, acct.Key(p.ID))
	}
	return acct, p, ok
}

// commit writes the account into the session if the cookie can hold it;
// otherwise it leaves the session as it was and says why.
func commit(c *fiber.Ctx, accounts accountKeeper, acct account.Account) string {
	if p := accounts.KeepAccount(sessionOf(c), acct.Encode()); p != nil {
		return p.Message
	}
	return ""
}

// back redirects to the settings page with a one-time message (POST,
// redirect, GET: a reload does not post again).
func back(c *fiber.Ctx, flashes flashKeeper, flash string) error {
	setFlash(c, flashes, flash)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/settings", http.StatusSeeOther)
}

// setFlash keeps a one-time message for the next page (session.KeepFlash:
// cut, and dropped rather than overflow the cookie).
func setFlash(c *fiber.Ctx, flashes flashKeeper, msg string) {
	flashes.KeepFlash(sessionOf(c), msg)
}

// takeFlash reads and clears the session's one-time message.
func takeFlash(c *fiber.Ctx) string {
	s := sessionOf(c)
	if s == nil {
		return ""
	}
	return s.TakeFlash()
}
