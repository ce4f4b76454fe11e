package account

import (
	"context"
	"errors"
	"net/url"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/units"
)

// URLChecker vets a base URL a person supplies (netguard.Guard).
type URLChecker interface {
	CheckURL(ctx context.Context, raw string) error
}

// Add checks a provider posted from Settings and adds it, with its key,
// to acct. errs are the form's errors by field ("" for the form as a
// whole); with any, acct is left as it was. guard, when not nil, vets the
// base URL.
func Add(ctx context.Context, acct *Account, posted url.Values, guard URLChecker) (p Provider, errs map[string]string) {
	p, key, errs := NewProvider(posted)
	if len(acct.Providers) >= MaxProviders {
		errs[""] = "You have added the most providers a session can keep; remove one first."
	}
	if errs["base_url"] == "" && guard != nil {
		if err := guard.CheckURL(ctx, p.BaseURL); err != nil {
			errs["base_url"] = problem.Of(err).Message
		}
	}
	if len(errs) > 0 {
		return p, errs
	}
	acct.Providers = append(acct.Providers, p)
	acct.SetKey(p.ID, key)
	return p, errs
}

// AddedMessage is what Settings says of a provider just added, from its
// first listing (ids, or the listing's error): a warning when the listing
// failed.
func AddedMessage(p Provider, ids []string, err error) (msg string, warn bool) {
	msg = "Added " + p.Name + "."
	switch {
	case errors.Is(err, ErrListing):
		return msg + " Its models are still loading: " + problem.Of(err).Message + ".", false
	case err != nil:
		return msg + " Listing its models failed: " + problem.Of(err).Message, true
	}
	return msg + " It lists " + units.Plural(len(ids), "model", "models") + "; pick it in the playground.", false
}
