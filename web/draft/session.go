package draft

import (
	"context"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
)

// Listers are where model lists come from: Own lists the providers a
// session added (through the SSRF guard), Catalog the catalog's
// list_models providers (at the operator's URLs; nil lists none).
type Listers struct {
	Own, Catalog *account.Lister
}

// OperatorOwner owns the listings made with the operator's keys: every
// session shares them.
const OperatorOwner = "operator"

// ForSession is the draft service as one session sees it: the catalog
// with the models its list_models providers list and the session's own
// providers with theirs, the session's keys and its providers' header
// values. Listings come from the listers' caches, or are fetched all at
// once, waiting at most each lister's Wait; a provider not answering, or
// failing, keeps its catalog models only.
func (s *Service) ForSession(ctx context.Context, owner string, acct account.Account, l Listers) *Service {
	cat := s.listed(ctx, owner, acct, l.Catalog)
	if len(acct.Providers) > 0 && l.Own != nil {
		cat = account.Catalog(cat, acct, func(p account.Provider) ([]string, error) {
			return l.Own.Models(ctx, owner, p, acct.Key(p.ID))
		})
	}
	drafts := s.With(cat, acct.Keys)
	drafts.OwnEnv = acct.HeaderEnv()
	return drafts
}

// listed is the catalog with the models its list_models providers list
// (GET {base}/models, with the session's key or else the operator's, at
// the operator's base URL: not through the SSRF guard).
func (s *Service) listed(ctx context.Context, owner string, acct account.Account, lister *account.Lister) *catalog.Catalog {
	if lister == nil {
		return s.Catalog
	}
	drafts := s.With(s.Catalog, acct.Keys)
	var ps []account.Provider
	keys := map[string]string{}
	owners := map[string]string{}
	for _, p := range s.Catalog.Providers {
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
		keys[p.ID], owners[p.ID] = key, owner
		if operator {
			owners[p.ID] = OperatorOwner
		}
	}
	if len(ps) == 0 {
		return s.Catalog
	}
	lists := account.ListAll(account.Account{Providers: ps}, func(p account.Provider) ([]string, error) {
		return lister.Models(ctx, owners[p.ID], p, keys[p.ID])
	})
	return account.WithListed(s.Catalog, lists)
}
