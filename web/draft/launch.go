package draft

import (
	"errors"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
)

// ErrNotReady is returned by Spec while the draft has errors.
var ErrNotReady = errors.New("the form has errors")

// cannotLaunch explains why a valid draft cannot run (no key, no base
// URL, a header without its value): a problem of kind k with what to do.
func cannotLaunch(k problem.Kind, msg, hint string) *problem.Error {
	return &problem.Error{Kind: k, Message: msg, Hint: hint}
}

// SimulatorKey is sent to the simulator when its key variable is unset.
const SimulatorKey = "sim-local-key"

// Spec turns a checked draft into what a run needs; a draft that cannot
// run is refused with a *problem.Error (Invalid: the person can fix it in
// Settings; Unavailable: the server's operator must). The key is the
// session's, else the operator's (see KeySource).
func (s *Service) Spec(r Result, owner string) (run.Spec, error) {
	if r.Request == nil {
		return run.Spec{}, ErrNotReady
	}
	urls := r.BaseURLs
	if len(urls) == 0 {
		return run.Spec{}, cannotLaunch(problem.KindUnavailable, "No base URL is configured for "+r.Provider.Name+".",
			"Set "+r.Provider.BaseURLEnv+" in the server's environment. "+catalog.BaseURLNote)
	}
	key, src := s.key(r.Provider)
	if key == "" {
		return run.Spec{}, cannotLaunch(problem.KindInvalid, "No API key for "+r.Provider.Name+".", s.KeyHint(r.Provider))
	}
	secrets, missing := s.headerSecrets(r.Provider)
	if len(missing) > 0 {
		if r.Provider.UserAdded {
			return run.Spec{}, cannotLaunch(problem.KindInvalid, "A header of "+r.Provider.Name+" has no value.",
				"Enter its headers again in Settings.")
		}
		return run.Spec{}, cannotLaunch(problem.KindUnavailable, "A header of "+r.Provider.Name+" reads $"+missing[0]+", which is not set.",
			"Set "+strings.Join(missing, ", ")+" in the server's environment.")
	}
	hint := s.KeyHint(r.Provider)
	if src == KeySession {
		hint = "Check the key you entered in Settings for " + r.Provider.Name + "."
	}
	return run.Spec{
		Untrusted:    r.Provider.UserAdded,
		KeyHint:      hint,
		Provider:     r.Provider,
		Model:        r.Model,
		Request:      r.Request.WithSecrets(secrets),
		BaseURLs:     urls,
		Key:          key,
		OperatorKey:  src == KeyOperator && !r.Provider.Simulated,
		Owner:        owner,
		PromptTokens: r.Estimate.PromptTokens,
		Origin:       run.Origin{Form: r.Form, Vars: usedVars(r.Vars, r.VarNames), Curl: r.Curl},
	}, nil
}

// KeyHint says how a person gives p a key.
func (s *Service) KeyHint(p *catalog.Provider) string {
	if p.UserAdded {
		return "Enter its key in Settings."
	}
	if s.OwnKeysOnly && !p.Simulated {
		return "This server runs prompts only on your own keys: enter yours in Settings."
	}
	return "Enter your key in Settings, or set " + p.APIKeyEnv + " in the server's environment."
}

// ListingTarget is where the models of catalog provider p (list_models)
// are listed from: its first base URL and its key, and whether that key
// is the operator's (a listing every session may share). ok is false
// without a base URL or a key.
func (s *Service) ListingTarget(p *catalog.Provider) (baseURL, key string, operator, ok bool) {
	urls := p.ResolveBaseURL(s.getenv)
	key, src := s.key(p)
	if len(urls) == 0 || key == "" || src == KeySimulator || p.UserAdded {
		return "", "", false, false
	}
	return urls[0], key, src == KeyOperator, true
}

// ResolvedHeaders are p's extra headers with their values (for a GET
// /models of the gateway); ok is false when a variable they name is unset.
func (s *Service) ResolvedHeaders(p *catalog.Provider) (headers []catalog.Header, ok bool) {
	headers, missing := s.resolveHeaders(p)
	if len(missing) > 0 {
		return nil, false
	}
	return headers, true
}
