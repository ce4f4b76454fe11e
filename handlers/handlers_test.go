package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/session"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// testApp is the app and one browser session on it: do sends the
// session's cookie (unless the request sets its own, or is anonymous) and,
// on htmx POSTs, its CSRF token, the way the page does.
type testApp struct {
	*fiber.App
	cookie, csrf string
	log          *bytes.Buffer
}

var csrfRE = regexp.MustCompile(`X-CSRF-Token&#34;:&#34;([0-9a-f]{64})`)

func newTestApp(tb testing.TB, env map[string]string) *testApp {
	tb.Helper()
	return newTestAppWith(tb, env, nil)
}

// newTestAppWith lets a test change the dependencies before the routes
// are registered.
func newTestAppWith(tb testing.TB, env map[string]string, change func(*Deps)) *testApp {
	tb.Helper()
	cat, err := catalog.Default()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	keys, err := session.LoadKeys("", dir)
	if err != nil {
		tb.Fatal(err)
	}
	saved, err := draft.OpenStore(dir)
	if err != nil {
		tb.Fatal(err)
	}
	logBuf := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(&syncWriter{w: logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hist, err := history.Open(context.Background(), "", dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hist.Close() })
	layouts, err := draft.OpenNamed(dir, "compare")
	if err != nil {
		tb.Fatal(err)
	}
	setups, err := draft.OpenNamed(dir, "experiments")
	if err != nil {
		tb.Fatal(err)
	}
	built := Build(Parts{
		Log:         log,
		Catalog:     cat,
		Getenv:      func(k string) string { return env[k] },
		Tokens:      &tokens.Counter{},
		SessionKeys: keys,
		History:     hist,
		Saved:       saved,
		Layouts:     layouts,
		Setups:      setups,
		Upstream:    upstream.DefaultConfig(),
		Guarded:     &upstream.Config{ConnectTimeout: time.Second, FirstByteTimeout: time.Second, IdleTimeout: time.Second},
		Guard:       netguard.New(),
		Server:      Server{BodyLimit: 4 << 20},
		AnyHost:     true, // httptest's example.com
	}, change)
	// The stores write behind (draft.Store): their last writes go before
	// the data directory is removed, as main flushes them at shutdown.
	tb.Cleanup(func() {
		saved.Flush()
		layouts.Flush()
		setups.Flush()
	})
	tb.Cleanup(built.Close)
	app := built.App
	a := &testApp{App: app, log: logBuf}
	return a.newSession(tb)
}

// newSession is another browser on the same app.
func (a *testApp) newSession(tb testing.TB) *testApp {
	tb.Helper()
	b := &testApp{App: a.App, log: a.log}
	_, page := do(tb, b, httptest.NewRequest("GET", "/", nil))
	m := csrfRE.FindStringSubmatch(page)
	if m == nil || b.cookie == "" {
		tb.Fatalf("no CSRF token or cookie on the page (cookie %q)", b.cookie)
	}
	b.csrf = m[1]
	return b
}

// anonymous marks a request to be sent without the session.
func anonymous(r *http.Request) *http.Request {
	r.Header.Set("X-Test-Anonymous", "1")
	return r
}

func do(tb testing.TB, app *testApp, req *http.Request) (*http.Response, string) {
	tb.Helper()
	jar := req.Header.Get("Cookie") == "" && req.Header.Get("X-Test-Anonymous") == ""
	if jar && app.cookie != "" {
		req.Header.Set("Cookie", app.cookie)
	}
	// The page's htmx sends the token in a header; plain forms carry it
	// in a field of their own.
	if req.Method == "POST" && req.Header.Get("HX-Request") == "true" && req.Header.Get("X-CSRF-Token") == "" && req.Header.Get("X-Test-Anonymous") == "" {
		req.Header.Set("X-CSRF-Token", app.csrf)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		tb.Fatal(err)
	}
	if c := resp.Header.Get("Set-Cookie"); jar && c != "" {
		app.cookie = strings.Split(c, ";")[0]
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// syncWriter serializes writes to the log buffer (runs log from their
// goroutines).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func post(path string, form url.Values) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("HX-Request", "true")
	return r
}

func TestRoutes(t *testing.T) {
	app := newTestApp(t, nil)
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   []string
		notBody    []string
	}{
		{"health", httptest.NewRequest("GET", "/healthz", nil), 200, []string{`"status":"ok"`, `"models":20`}, nil},
		{"ready", httptest.NewRequest("GET", "/readyz", nil), 200, []string{`"status":"ready"`}, nil},
		{"page", httptest.NewRequest("GET", "/", nil), 200,
			[]string{`data-testid="draft-form"`, `data-testid="curl"`, `data-testid="estimate"`, `id="f-max_tokens"`}, nil},
		{"page for a model", httptest.NewRequest("GET", "/?provider=respgw&model=gpt-5.4-pro", nil), 200,
			[]string{`name="verbosity"`, `name="reasoning_effort"`, "xhigh", "1,050,000"}, []string{`name="top_k"`}},
		{"page for a chat model", httptest.NewRequest("GET", "/?provider=evolink&model=gpt-5.4", nil), 200,
			[]string{`name="top_k"`, `name="messages.content"`, "direct.evolink.ai"}, []string{`name="verbosity"`}},
		{"preview with an error", post("/draft/preview", url.Values{"_provider": {"evolink"}, "_model": {"gpt-5.4"},
			"messages.role": {"user"}, "messages.content": {"hi"}, "temperature": {"9"}}), 200,
			[]string{`id="err-temperature"`, "Must be between 0 and 2.", `hx-swap-oob="true"`, `data-testid="curl-missing"`}, nil},
		{"preview valid", post("/draft/preview", url.Values{"_provider": {"evolink"}, "_model": {"gpt-5.4"},
			"messages.role": {"user"}, "messages.content": {"It's <b>bold</b>"}, "temperature": {"0.2"}}), 200,
			[]string{`&#34;temperature&#34;: 0.2`, `It&#39;\&#39;&#39;s &lt;b&gt;bold&lt;/b&gt;`}, []string{"<b>bold"}},
		{"switch", post("/draft/switch", url.Values{"provider": {"respgw"}, "model": {"gpt-5.4"}, "_provider": {"evolink"}, "_model": {"gpt-5.4"},
			"temperature": {"1.1"}, "stream": {"false"}}), 200, []string{`id="workspace"`, `name="verbosity"`}, []string{`name="top_k"`}},
		{"static css", httptest.NewRequest("GET", "/static/css/app.css", nil), 200, []string{".card"}, nil},
		{"static js", httptest.NewRequest("GET", "/static/js/app.js", nil), 200, []string{"data-add-row"}, nil},
		{"not found", httptest.NewRequest("GET", "/nope", nil), 404, []string{"Cannot GET /nope"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, app, tc.req)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			for _, w := range tc.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, w := range tc.notBody {
				if strings.Contains(body, w) {
					t.Errorf("body has %q", w)
				}
			}
			for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("missing header %s", h)
				}
			}
		})
	}
}

func TestSwitchRemembersModel(t *testing.T) {
	app := newTestApp(t, nil)
	resp, _ := do(t, app, post("/draft/switch", url.Values{"provider": {"respgw"}, "model": {"gpt-5.4-pro"}}))
	if got := resp.Header.Get("HX-Push-Url"); got != "/?model=gpt-5.4-pro&provider=respgw" {
		t.Errorf("HX-Push-Url = %q", got)
	}
	cookie := resp.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, session.CookieName) || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("session cookie %q", cookie)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	_, body := do(t, app, req)
	if !strings.Contains(body, `<option value="gpt-5.4-pro" selected>`) || !strings.Contains(body, `name="verbosity"`) {
		t.Error("reload did not bring back the last model")
	}
}

func TestHealthIsJSON(t *testing.T) {
	app := newTestApp(t, nil)
	resp, body := do(t, app, httptest.NewRequest("GET", "/healthz", nil))
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("health: %v %q %s", err, resp.Header.Get("Content-Type"), body)
	}
}

// BenchmarkPlaygroundPage measures the server's side of GET /: session,
// the per-session catalog view, the draft (form, request, curl, estimate)
// and the templ render.
func BenchmarkPlaygroundPage(b *testing.B) {
	app := newTestApp(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := do(b, app, httptest.NewRequest("GET", "/", nil))
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}
