package handlers

import (
	"net/http/httptest"
	"testing"
)

// TestPagesCompressed: the one compression handler Register shares works
// on each route that uses it, pages and assets alike.
func TestPagesCompressed(t *testing.T) {
	app := newTestApp(t, nil)
	for _, path := range []string{"/", "/compare", "/history", "/settings", "/static/css/app.css", "/static/js/app.js"} {
		t.Run(path, func(t *testing.T) {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, _ := do(t, app, req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Errorf("Content-Encoding %q, want gzip", got)
			}
		})
	}
}
