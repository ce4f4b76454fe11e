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

// scoper builds a request's scope: the operator's drafts and the listers
// of the models of the session's own providers and of the catalog's.
type scoper struct {
	drafts  *draft.Service
	listers draft.Listers
}

// of builds the request's scope (draft.Service.ForSession).
func (s scoper) of(c *fiber.Ctx) scope {
	acct := accountOf(c)
	drafts := s.drafts.ForSession(c.UserContext(), ownerOf(c), acct, s.listers)
	return scope{acct: acct, cat: drafts.Catalog, drafts: drafts}
}

// accountOf decodes the session's account, and nothing more (settings
// handlers need no catalog view, nor its model lists).
func accountOf(c *fiber.Ctx) account.Account {
	if s := sessionOf(c); s != nil {
		return account.Decode(s.Account())
	}
	return account.Account{}
}
