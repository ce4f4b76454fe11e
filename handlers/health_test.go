package handlers

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestReadyNamesWhatFailed: /readyz is 503 while a check fails, naming it,
// and 200 once every check passes.
func TestReadyNamesWhatFailed(t *testing.T) {
	down := errors.New("connection refused")
	var dbErr error
	app := fiber.New()
	app.Get("/readyz", Ready([]Readiness{
		{Name: "database", Check: func(context.Context) error { return dbErr }},
		{Name: "cluster", Check: func(context.Context) error { return nil }},
	}))
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{{down, 503, `"failed":{"database":"connection refused"}`}, {nil, 200, `{"status":"ready"}`}} {
		dbErr = tc.err
		resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%v: %d %s", tc.err, resp.StatusCode, body)
		}
	}
}
