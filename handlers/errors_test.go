package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/stream"
)

// TestErrorHandlerAnswersProblems: every error a handler returns is
// answered from its problem: the kind's status (or the error's own), its
// message (a fixed one for anything else), Retry-After when it says when,
// as JSON, an htmx toast or a page.
func TestErrorHandlerAnswersProblems(t *testing.T) {
	for name, tc := range map[string]struct {
		err    error
		status int
		msg    string
		retry  string
	}{
		"not found":                 {problem.NotFound("run in this session's history"), 404, "No such run in this session's history.", ""},
		"wrapped":                   {fmt.Errorf("loading: %w", problem.Errorf(problem.KindConflict, "Cannot continue.")), 409, "Cannot continue.", ""},
		"rate limited":              {&problem.Error{Kind: problem.KindRateLimited, Message: "Slow down.", RetryAfter: 7 * time.Second}, 429, "Slow down.", "7"},
		"busy":                      {&problem.Error{Kind: problem.KindUnavailable, Message: "Busy.", RetryAfter: 2 * time.Second}, 503, "Busy.", "2"},
		"invalid":                   {problem.Invalid("to", "Not a date."), 422, "Not a date.", ""},
		"status overrides the kind": {&problem.Error{Kind: problem.KindInvalid, Message: "Gone.", Status: 410}, 410, "Gone.", ""},
		"a domain error that tells": {&stream.Error{Status: 429, Message: "slow", RetryAfter: 3 * time.Second}, 429, "429 Too Many Requests: slow", "3"},
		"anything else":             {errors.New("dial tcp 10.1.2.3: key sk-secret"), 500, problem.InternalMessage, ""},
		"fiber's own":               {fiber.ErrMethodNotAllowed, 405, "Method Not Allowed", ""},
		"fiber's with a message":    {fiber.NewError(http.StatusConflict, "Not now."), 409, "Not now.", ""},
	} {
		t.Run(name, func(t *testing.T) {
			app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)), 1<<20)})
			app.Get("/", func(*fiber.Ctx) error { return tc.err })
			for _, as := range []string{"json", "htmx", "page"} {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				switch as {
				case "json":
					req.Header.Set("Accept", "application/json")
				case "htmx":
					req.Header.Set("HX-Request", "true")
				}
				resp, err := app.Test(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || resp.Header.Get("Retry-After") != tc.retry {
					t.Errorf("%s: status %d Retry-After %q, want %d %q", as, resp.StatusCode, resp.Header.Get("Retry-After"), tc.status, tc.retry)
				}
				body := string(b)
				if as == "json" {
					var v struct{ Error string }
					if err := json.Unmarshal(b, &v); err != nil {
						t.Fatalf("json: %v in %s", err, b)
					}
					body = v.Error
					if body != tc.msg {
						t.Errorf("json: error %q, want %q", body, tc.msg)
					}
				}
				if as == "htmx" && resp.Header.Get("HX-Reswap") != "none" {
					t.Errorf("htmx: no HX-Reswap: none")
				}
				if as != "json" && !strings.Contains(body, htmlEscape(tc.msg)) {
					t.Errorf("%s: body does not say %q:\n%s", as, tc.msg, body)
				}
				if strings.Contains(body, "sk-secret") {
					t.Errorf("%s: an internal error's words reached the answer", as)
				}
			}
		})
	}
}

// htmlEscape is s as templ writes it into a page.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestHistoryNotFoundIsOneMapping: the history's not-found problem says
// which thing, and the error handler answers 404 with it; the sentinel
// stays findable.
func TestHistoryNotFoundIsOneMapping(t *testing.T) {
	st, err := history.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)), 1<<20)})
	app.Get("/", func(c *fiber.Ctx) error { _, err := st.Get(c.UserContext(), "o", "nope"); return err })
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 404 || !strings.Contains(string(b), "No such run in this session's history.") {
		t.Fatalf("status %d body %s", resp.StatusCode, b)
	}
}
