package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
)

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
	cat := d.listed(c, acct)
	if len(acct.Providers) > 0 && d.Lister != nil {
		cat = account.Catalog(cat, acct, d.models(c, acct))
	}
	drafts := d.Drafts.With(cat, acct.Keys)
	drafts.OwnEnv = acct.HeaderEnv()
	return scope{acct: acct, cat: cat, drafts: drafts}
}

// accountOf decodes the session's account, and nothing more (settings
// handlers need no catalog view, nor its model lists).
func accountOf(c *fiber.Ctx) account.Account {
	if s := sessionOf(c); s != nil {
		return account.Decode(s.Account())
	}
	return account.Account{}
}

// operatorOwner owns the listings made with the operator's keys: every
// session shares them.
const operatorOwner = "operator"

// listed is the catalog with the models its list_models providers list
// (GET {base}/models, with the session's key or else the operator's, at
// the operator's base URL: not through the SSRF guard), all at once and
// waiting at most the lister's Wait; a provider not answering, or
// failing, keeps its catalog models only.
func (d *Deps) listed(c *fiber.Ctx, acct account.Account) *catalog.Catalog {
	if d.CatalogLister == nil {
		return d.Catalog
	}
	drafts := d.Drafts.With(d.Catalog, acct.Keys)
	var ps []account.Provider
	keys := map[string]string{}
	owners := map[string]string{}
	for _, p := range d.Catalog.Providers {
		if !p.ListModels {
			continue
		}
		base, key, operator, ok := drafts.ListingTarget(p)
		headers, resolved := drafts.ResolvedHeaders(p)
		if !ok || !resolved {
			continue
		}
		lp := account.Provider{ID: p.ID, Name: p.Name, BaseURL: base}
		for _, h := range headers {
			lp.Headers = append(lp.Headers, account.Header{Name: h.Name, Value: h.Value})
		}
		ps = append(ps, lp)
		keys[p.ID], owners[p.ID] = key, ownerOf(c)
		if operator {
			owners[p.ID] = operatorOwner
		}
	}
	if len(ps) == 0 {
		return d.Catalog
	}
	ctx := c.UserContext()
	lists := account.ListAll(account.Account{Providers: ps}, func(p account.Provider) ([]string, error) {
		return d.CatalogLister.Models(ctx, owners[p.ID], p, keys[p.ID])
	})
	return account.WithListed(d.Catalog, lists)
}
