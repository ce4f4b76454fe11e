package handlers

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/session"
	"github.com/playground-dev/playground/web/units"
)

// warnPrefix starts a one-time settings message that is a warning.
const warnPrefix = "!"

// Settings serves GET /settings.
func Settings(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return d.renderSettings(c, http.StatusOK, assets, takeFlash(c), views.AddProviderForm{}, nil)
	}
}

func (d *Deps) renderSettings(c *fiber.Ctx, status int, assets views.Assets, flash string, add views.AddProviderForm, keyErr map[string]string) error {
	return d.renderSettingsWith(c, status, assets, flash, add, keyErr, nil)
}

func (d *Deps) renderSettingsWith(c *fiber.Ctx, status int, assets views.Assets, flash string, add views.AddProviderForm, keyErr, styleErr map[string]string) error {
	acct := accountOf(c)
	lists := account.ListAll(acct, d.models(c, acct))
	pg := views.NewSettings(views.SettingsInput{
		Catalog:  d.Catalog,
		Account:  acct,
		Operator: func(p *catalog.Provider) bool { return d.Drafts.KeySource(p) == draft.KeyOperator },
		Models: func(p account.Provider) ([]string, error) {
			l := lists[p.ID]
			return l.IDs, l.Err
		},
		Add:        add,
		KeyError:   keyErr,
		StyleError: styleErr,
		Guarded:    d.Guard != nil,
	})
	pg.Assets, pg.CSRF = assets, csrfToken(c)
	pg.Flash, pg.FlashWarn = strings.CutPrefix(flash, warnPrefix)
	return render(c, status, views.Settings(pg))
}

// models lists the models of the session's own providers through the
// lister, for account.Catalog and account.ListAll: a provider that has not
// answered within the lister's wait reads account.ErrListing.
func (d *Deps) models(c *fiber.Ctx, acct account.Account) func(account.Provider) ([]string, error) {
	ctx, owner := c.UserContext(), ownerOf(c)
	return func(p account.Provider) ([]string, error) {
		return d.Lister.Models(ctx, owner, p, acct.Key(p.ID))
	}
}

// keyTarget is the provider a key form names: a catalog provider (not the
// simulator) or one the session added.
func (d *Deps) keyTarget(c *fiber.Ctx, acct account.Account) (string, bool) {
	id := c.Params("provider")
	if p, ok := d.Catalog.Provider(id); ok && !p.Simulated {
		return p.Name, true
	}
	if p, ok := acct.Provider(id); ok {
		return p.Name, true
	}
	return "", false
}

// SetKey serves POST /settings/keys/:provider: keep the key in the
// session, or show why not next to the field.
func SetKey(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		name, ok := d.keyTarget(c, acct)
		if !ok {
			return fiber.ErrNotFound
		}
		id := c.Params("provider")
		key := strings.TrimSpace(c.FormValue("key"))
		if msg := account.CheckKey(key); msg != "" {
			return d.renderSettings(c, http.StatusUnprocessableEntity, assets, "", views.AddProviderForm{}, map[string]string{id: msg})
		}
		acct.SetKey(id, key)
		if msg := d.commit(c, acct); msg != "" {
			return d.renderSettings(c, http.StatusUnprocessableEntity, assets, "", views.AddProviderForm{}, map[string]string{id: msg})
		}
		if p, ok := acct.Provider(id); ok {
			d.Lister.Forget(ownerOf(c), p, key)
		}
		return d.back(c, "Saved your key for "+name+": "+account.Mask(key)+".")
	}
}

// ClearKey serves POST /settings/keys/:provider/clear.
func ClearKey(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		name, ok := d.keyTarget(c, acct)
		if !ok {
			return fiber.ErrNotFound
		}
		acct.SetKey(c.Params("provider"), "")
		d.commit(c, acct)
		return d.back(c, "Cleared your key for "+name+".")
	}
}

// AddProvider serves POST /settings/providers.
func AddProvider(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		form := formValues(c)
		var guard account.URLChecker
		if d.Guard != nil {
			guard = d.Guard
		}
		p, errs := account.Add(c.UserContext(), &acct, form, guard)
		add := views.AddProviderForm{Name: p.Name, BaseURL: p.BaseURL, Styles: views.StyleChecks(form["styles"]),
			Headers: views.HeaderRows(form["header_name"], form["header_value"]), Errors: errs}
		if len(errs) == 0 {
			if msg := d.commit(c, acct); msg != "" {
				errs[""] = msg
			}
		}
		if len(errs) > 0 {
			return d.renderSettings(c, http.StatusUnprocessableEntity, assets, "", add, nil)
		}
		ids, err := d.Lister.Models(c.UserContext(), ownerOf(c), p, acct.Key(p.ID))
		flash, warn := account.AddedMessage(p, ids, err)
		if warn {
			flash = warnPrefix + flash
		}
		return d.back(c, flash)
	}
}

// SetModelStyle serves POST /settings/providers/:provider/styles: keep
// the API style chosen for one listed model (an empty style forgets the
// choice), or say why not next to the form.
func SetModelStyle(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct := accountOf(c)
		p, ok := acct.Provider(c.Params("provider"))
		if !ok {
			return fiber.ErrNotFound
		}
		model, style := c.FormValue("model"), catalog.Style(c.FormValue("style"))
		msg := acct.SetModelStyle(p.ID, model, style)
		if msg == "" {
			msg = d.commit(c, acct)
		}
		if msg != "" {
			return d.renderSettingsWith(c, http.StatusUnprocessableEntity, assets, "", views.AddProviderForm{}, nil, map[string]string{p.ID: msg})
		}
		if style == "" {
			return d.back(c, model+" of "+p.Name+" uses its default API style again.")
		}
		return d.back(c, model+" of "+p.Name+" now uses the "+string(style)+" style.")
	}
}

// pickStyle keeps the style the playground's style picker asked for the
// session's own model, when it differs from the model's: the choice is the
// one Settings keeps. It reports whether the account changed.
func (d *Deps) pickStyle(c *fiber.Ctx, providerID, model, style string) bool {
	if style == "" || !strings.HasPrefix(providerID, catalog.OwnProviderPrefix) {
		return false
	}
	acct := accountOf(c)
	p, ok := acct.Provider(providerID)
	if !ok {
		return false
	}
	if cur, ok := p.StyleOf(model); ok && string(cur) == style {
		return false
	}
	if acct.SetModelStyle(providerID, model, catalog.Style(style)) != "" {
		return false
	}
	return d.commit(c, acct) == ""
}

// RefreshProvider serves POST /settings/providers/:provider/refresh: list
// the provider's models again.
func RefreshProvider(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, p, ok := d.forgetOwn(c)
		if !ok {
			return fiber.ErrNotFound
		}
		return d.back(c, "Listed the models of "+p.Name+" again.")
	}
}

// RemoveProvider serves POST /settings/providers/:provider/remove.
func RemoveProvider(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		acct, p, ok := d.forgetOwn(c)
		if !ok {
			return fiber.ErrNotFound
		}
		acct.Remove(p.ID)
		d.commit(c, acct)
		return d.back(c, "Removed "+p.Name+" and its key.")
	}
}

// forgetOwn finds the session's provider the URL names and drops its
// listed models, so they are asked for again.
func (d *Deps) forgetOwn(c *fiber.Ctx) (account.Account, account.Provider, bool) {
	acct := accountOf(c)
	p, ok := acct.Provider(c.Params("provider"))
	if ok {
		d.Lister.Forget(ownerOf(c), p, acct.Key(p.ID))
	}
	return acct, p, ok
}

// commit writes the account into the session if the cookie can hold it;
// otherwise it leaves the session as it was and says why.
func (d *Deps) commit(c *fiber.Ctx, acct account.Account) string {
	s := sessionOf(c)
	if s == nil {
		return "Sessions are not available."
	}
	old := s.Account()
	s.SetAccount(acct.Encode())
	if err := d.Sessions.Fits(s); err != nil {
		s.SetAccount(old)
		return "Your keys and providers no longer fit in the session cookie (" + units.Bytes(int64(session.MaxCookie)) + "): remove a provider or a key first."
	}
	return ""
}

// back redirects to the settings page with a one-time message (POST,
// redirect, GET: a reload does not post again).
func (d *Deps) back(c *fiber.Ctx, flash string) error {
	d.setFlash(c, flash)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/settings", http.StatusSeeOther)
}

// setFlash keeps a one-time message for the next page (cut to 400
// characters, and dropped rather than overflow the cookie: the change
// itself must not be lost for a message).
func (d *Deps) setFlash(c *fiber.Ctx, msg string) {
	if r := []rune(msg); len(r) > 400 {
		msg = string(r[:400]) + "…"
	}
	if s := sessionOf(c); s != nil {
		s.SetFlash(msg)
		if d.Sessions.Fits(s) != nil {
			s.SetFlash("")
		}
	}
}

// takeFlash reads and clears the session's one-time message.
func takeFlash(c *fiber.Ctx) string {
	s := sessionOf(c)
	if s == nil {
		return ""
	}
	return s.TakeFlash()
}
