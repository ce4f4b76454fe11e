package draft

import (
	"errors"

	"github.com/playground-dev/playground/web/run"
)

// ErrNotReady is returned by Spec while the draft has errors.
var ErrNotReady = errors.New("the form has errors")

// LaunchError explains why a valid draft cannot run (no key, no base URL).
type LaunchError struct {
	Message string
	Hint    string
}

func (e *LaunchError) Error() string { return e.Message }

// SimulatorKey is sent to the simulator when its key variable is unset.
const SimulatorKey = "sim-local-key"

// Spec turns a checked draft into what a run needs. The key comes from the
// operator's environment (the variable the catalog names).
func (s *Service) Spec(r Result, owner string) (run.Spec, error) {
	if r.Request == nil {
		return run.Spec{}, ErrNotReady
	}
	urls := s.Catalog.BaseURLs(r.Provider, r.Model, s.getenv)
	if len(urls) == 0 {
		return run.Spec{}, &LaunchError{Message: "No base URL is configured for " + r.Provider.Name + ".",
			Hint: "Set " + r.Provider.BaseURLEnv + " in the server's environment."}
	}
	key := s.getenv(r.Provider.APIKeyEnv)
	if key == "" && r.Provider.Simulated {
		key = SimulatorKey // the simulator accepts any key
	}
	if key == "" {
		return run.Spec{}, &LaunchError{Message: "No API key for " + r.Provider.Name + ".",
			Hint: "Set " + r.Provider.APIKeyEnv + " in the server's environment."}
	}
	return run.Spec{
		Provider:     r.Provider,
		Model:        r.Model,
		Request:      r.Request,
		BaseURLs:     urls,
		Key:          key,
		Owner:        owner,
		PromptTokens: r.Estimate.PromptTokens,
	}, nil
}
