package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
)

// keyAccount is the session key of the person's keys and providers.
const keyAccount = "account"

// scope is the domain as one session sees it: its account, the catalog
// with its own providers added, and drafts that use its keys.
type scope struct {
	acct   account.Account
	cat    *catalog.Catalog
	drafts *draft.Service
}

// scopeOf builds the request's scope. The models of the session's own
// providers come from the lister's cache, or are fetched (through the
// SSRF guard, all at once, waiting at most the lister's Wait) when it has
// none.
func (d *Deps) scopeOf(c *fiber.Ctx) scope {
	acct := accountOf(c)
	cat := d.Catalog
	if len(acct.Providers) > 0 && d.Lister != nil {
		cat = account.Catalog(d.Catalog, acct, d.models(c, acct))
	}
	drafts := d.Drafts.With(cat, acct.Keys)
	drafts.OwnEnv = acct.HeaderEnv()
	return scope{acct: acct, cat: cat, drafts: drafts}
}

// accountOf decodes the session's account, and nothing more (settings
// handlers need no catalog view, nor its model lists).
func accountOf(c *fiber.Ctx) account.Account {
	if s := sessionOf(c); s != nil {
		return account.Decode(s.Get(keyAccount))
	}
	return account.Account{}
}
