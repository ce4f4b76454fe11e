// Package upstream sends built requests to providers.
package upstream

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/playground-dev/playground/web/request"
)

// NewHTTPRequest turns r into an *http.Request with the key in the
// Authorization header. It is the only place a key meets a request.
func NewHTTPRequest(ctx context.Context, r *request.Request, baseURL, key string) (*http.Request, error) {
	if baseURL == "" {
		return nil, fmt.Errorf("upstream: no base URL: set %s", r.BaseURLEnv)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, baseURL+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for _, h := range r.Header {
		req.Header.Set(h.Name, h.Value)
	}
	return req, nil
}
