package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/upstream"
)

// gateway is an upstream speaking chat and responses that keeps the
// headers and paths of what it receives.
type gateway struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []http.Header
	paths []string
}

func newGateway(t *testing.T, key string) *gateway {
	g := &gateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.seen = append(g.seen, r.Header.Clone())
		g.paths = append(g.paths, r.URL.Path)
		g.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/v1/models":
			w.Write([]byte(`{"object":"list","data":[{"id":"gpt-5.4"},{"id":"house-model"},{"id":"qwen3-max"}]}`))
		case "/v1/chat/completions":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"chat answer"},"finish_reason":"stop"}]}`))
		case "/v1/responses":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"responses answer"}]}],"usage":{"input_tokens":3,"output_tokens":2}}`))
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(g.Close)
	return g
}

// listedWith is the header name of the last GET /v1/models.
func (g *gateway) listedWith(name string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.paths) - 1; i >= 0; i-- {
		if g.paths[i] == "/v1/models" {
			return g.seen[i].Get(name)
		}
	}
	return ""
}

func (g *gateway) last() (http.Header, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen[len(g.seen)-1], g.paths[len(g.paths)-1]
}

func openApp(t *testing.T, env map[string]string) *testApp {
	return newTestAppWith(t, env, func(d *Deps) {
		open := upstream.New(upstream.Config{ConnectTimeout: time.Second, FirstByteTimeout: time.Second, IdleTimeout: time.Second})
		d.Guard = nil
		withHeaders := func(ctx context.Context, url, key string, h http.Header) (*upstream.Response, error) {
			return open.GetWith(ctx, url, key, false, h)
		}
		d.Lister = account.NewLister(func(ctx context.Context, url, key string) (*upstream.Response, error) {
			return open.Get(ctx, url, key, false)
		}).WithHeaders(withHeaders)
		d.CatalogLister = account.NewLister(func(ctx context.Context, url, key string) (*upstream.Response, error) {
			return open.Get(ctx, url, key, false)
		}).WithHeaders(withHeaders)
		d.Runs.WithGuardedClient(open)
	})
}

func runText(t *testing.T, app *testApp, v url.Values) string {
	t.Helper()
	resp, body := do(t, app, post("/runs", v))
	rid := runIDRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || rid == nil {
		t.Fatalf("run: %d %s", resp.StatusCode, body)
	}
	_, events := do(t, app, httptest.NewRequest("GET", "/runs/"+rid[1]+"/events", nil))
	return events
}

// An own provider's headers: checked next to their field, kept in the
// session, sent upstream, and never in the page but as the person's own
// input (the curl reads $MY_…).
func TestOwnProviderHeadersInSettings(t *testing.T) {
	const key = "sk-house-key-98765"
	g := newGateway(t, key)
	app := openApp(t, nil)
	for _, tc := range []struct {
		name, value, want string
	}{
		{"Authorization", "Bearer x", "Authorization is set by the playground itself"},
		{"X-Bad Name", "v", "is not a header name"},
		{"X-Route", "", "Enter a value for X-Route."},
		{"Content-Length", "5", "Content-Length is set by the playground itself"},
	} {
		status, page := postForm(t, app, "/settings/providers", url.Values{"name": {"House"}, "base_url": {g.URL + "/v1"}, "key": {key},
			"styles": {"chat"}, "header_name": {tc.name}, "header_value": {tc.value}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) {
			t.Errorf("header %q: %d, want %q next to the field: %s", tc.name, status, tc.want, regexpFind(page, `(?s)data-testid="add-headers"(.*?)</fieldset>`))
		}
	}
	const secret = "route-value-s3cr3t"
	status, page := postForm(t, app, "/settings/providers", url.Values{"name": {"House"}, "base_url": {g.URL + "/v1"}, "key": {key},
		"styles": {"chat"}, "header_name": {"x-portkey-provider", ""}, "header_value": {secret, ""}})
	if status != 200 || !strings.Contains(page, "x-portkey-provider: $MY_HOUSE_X_PORTKEY_PROVIDER") || strings.Contains(page, secret) {
		t.Fatalf("after adding (%d): %.3000s", status, page)
	}
	if got := g.listedWith("X-Portkey-Provider"); got != secret {
		t.Errorf("GET /models went without the provider's header (%q)", got)
	}
	m := regexpFind(page, `data-testid="my-provider-(my-[0-9a-f]{8})"`)
	_, pg := do(t, app, httptest.NewRequest("GET", "/?provider="+m+"&model=house-model", nil))
	if !strings.Contains(pg, "x-portkey-provider: &#39;&#34;$MY_HOUSE_X_PORTKEY_PROVIDER&#34;") || strings.Contains(pg, secret) {
		t.Errorf("playground curl: %s", regexpFind(pg, `(?s)(curl -g.*?)</`))
	}
	events := runText(t, app, url.Values{"_provider": {m}, "_model": {"house-model"}, "messages.role": {"user"}, "messages.content": {"hi"}})
	if !strings.Contains(events, "chat answer") {
		t.Fatalf("events: %.600s", events)
	}
	h, _ := g.last()
	if h.Get("X-Portkey-Provider") != secret {
		t.Errorf("the upstream got x-portkey-provider %q", h.Get("X-Portkey-Provider"))
	}
	// Nor in the history or the log.
	_, hist := do(t, app, httptest.NewRequest("GET", "/history", nil))
	if strings.Contains(hist, secret) || strings.Contains(app.log.String(), secret) {
		t.Error("the header's value reached the history or the log")
	}
}

// A provider speaking chat and responses: each listed model runs on its
// own style, chosen in Settings or beside the model, kept in the session.
func TestPerModelStyle(t *testing.T) {
	const key = "sk-house-key-98765"
	g := newGateway(t, key)
	app := openApp(t, nil)
	_, page := postForm(t, app, "/settings/providers", url.Values{"name": {"House"}, "base_url": {g.URL + "/v1"}, "key": {key}, "styles": {"chat", "responses"}})
	m := regexpFind(page, `data-testid="my-provider-(my-[0-9a-f]{8})"`)
	if m == "" || !strings.Contains(page, `data-testid="model-styles"`) {
		t.Fatalf("no style form: %.3000s", page)
	}
	_, pg := do(t, app, httptest.NewRequest("GET", "/?provider="+m+"&model=house-model", nil))
	if !strings.Contains(pg, `data-testid="style-picker"`) || !strings.Contains(pg, g.URL+"/v1/chat/completions") {
		t.Fatalf("first style is chat, with a picker: %.200s", regexpFind(pg, `(?s)(curl -g.*?)</`))
	}
	// Settings: house-model on responses.
	status, page := postForm(t, app, "/settings/providers/"+m+"/styles", url.Values{"model": {"house-model"}, "style": {"responses"}})
	if status != 200 || !strings.Contains(page, "house-model of House now uses the responses style.") {
		t.Fatalf("(%d) %.2000s", status, page)
	}
	if status, page := postForm(t, app, "/settings/providers/"+m+"/styles", url.Values{"model": {"house-model"}, "style": {"completions"}}); status != http.StatusUnprocessableEntity || !strings.Contains(page, "does not speak the completions style") {
		t.Errorf("a style the provider lacks: %d", status)
	}
	_, pg = do(t, app, httptest.NewRequest("GET", "/?provider="+m+"&model=house-model", nil))
	if !strings.Contains(pg, g.URL+"/v1/responses") {
		t.Fatalf("house-model is not on responses: %.300s", regexpFind(pg, `(?s)(curl -g.*?)</`))
	}
	events := runText(t, app, url.Values{"_provider": {m}, "_model": {"house-model"}, "input": {"hi"}})
	if _, path := g.last(); path != "/v1/responses" || !strings.Contains(events, "responses answer") {
		t.Fatalf("ran on %s: %.600s", path, events)
	}
	// A known id keeps the catalog's style (gpt-5.4 is chat in the catalog)...
	_, pg = do(t, app, httptest.NewRequest("GET", "/?provider="+m+"&model=gpt-5.4", nil))
	if !strings.Contains(pg, g.URL+"/v1/chat/completions") {
		t.Error("gpt-5.4 is not on the catalog's chat style")
	}
	// ...until the picker beside the model chooses another.
	sw := post("/draft/switch", url.Values{"provider": {m}, "model": {"gpt-5.4"}, "style": {"responses"}, "_provider": {m}, "_model": {"gpt-5.4"}})
	sw.Header.Set("HX-Trigger-Name", "style")
	_, ws := do(t, app, sw)
	if !strings.Contains(ws, g.URL+"/v1/responses") {
		t.Fatalf("the style picker did not switch: %.300s", regexpFind(ws, `(?s)(curl -g.*?)</`))
	}
	// And back again.
	sw = post("/draft/switch", url.Values{"provider": {m}, "model": {"gpt-5.4"}, "style": {"chat"}, "_provider": {m}, "_model": {"gpt-5.4"}, "input": {"hi"}})
	sw.Header.Set("HX-Trigger-Name", "style")
	if resp, ws := do(t, app, sw); !strings.Contains(ws, g.URL+"/v1/chat/completions") {
		t.Fatalf("the style picker did not switch back (%d): %.300s", resp.StatusCode, regexpFind(ws, `(?s)(curl -g.*?)</`))
	}
	sw = post("/draft/switch", url.Values{"provider": {m}, "model": {"gpt-5.4"}, "style": {"responses"}, "_provider": {m}, "_model": {"gpt-5.4"}})
	sw.Header.Set("HX-Trigger-Name", "style")
	if _, ws := do(t, app, sw); !strings.Contains(ws, g.URL+"/v1/responses") {
		t.Fatalf("the style picker did not switch: %.300s", regexpFind(ws, `(?s)(curl -g.*?)</`))
	}
	_, page = do(t, app, httptest.NewRequest("GET", "/settings", nil))
	if !strings.Contains(page, `data-testid="style-choice-gpt-5.4"`) {
		t.Error("the picker's choice is not the one Settings keeps")
	}
	// Changing the model select carries no style over.
	sw = post("/draft/switch", url.Values{"provider": {m}, "model": {"qwen3-max"}, "style": {"responses"}, "_provider": {m}, "_model": {"gpt-5.4"}})
	sw.Header.Set("HX-Trigger-Name", "model")
	if _, ws = do(t, app, sw); !strings.Contains(ws, g.URL+"/v1/chat/completions") {
		t.Error("qwen3-max took the previous model's style")
	}
}

// Seed 002's gateway (list_models): with a base URL and a key, every
// model its /v1/models lists can be picked, and known ids keep their
// schema.
func TestCatalogGatewayListsModels(t *testing.T) {
	const key = "sk-gw-operator-1234"
	g := newGateway(t, key)
	app := openApp(t, map[string]string{"CHATGW_BASE_URL": g.URL + "/v1", "CHATGW_API_KEY": key})
	_, pg := do(t, app, httptest.NewRequest("GET", "/?provider=chatgw&model=qwen3-max", nil))
	for _, want := range []string{`<option value="qwen3-max" selected>`, `<option value="house-model"`, `<option value="deepseek-v4-pro"`, g.URL + "/v1/chat/completions"} {
		if !strings.Contains(pg, want) {
			t.Errorf("chatgw picker lacks %q", want)
		}
	}
	// The catalog's gpt-5.4 is listed once, with its own schema.
	if n := strings.Count(pg, `<option value="gpt-5.4"`); n != 1 {
		t.Errorf("gpt-5.4 offered %d times", n)
	}
	_, pg = do(t, app, httptest.NewRequest("GET", "/?provider=chatgw&model=gpt-5.4", nil))
	if !strings.Contains(pg, `name="reasoning_effort"`) {
		t.Error("gpt-5.4 lost its schema")
	}
	events := runText(t, app, url.Values{"_provider": {"chatgw"}, "_model": {"qwen3-max"}, "messages.role": {"user"}, "messages.content": {"hi"}})
	if !strings.Contains(events, "chat answer") {
		t.Fatalf("events: %.600s", events)
	}
	// Without a base URL, the page says what the variable holds.
	app = openApp(t, nil)
	if _, pg = do(t, app, httptest.NewRequest("GET", "/?provider=chatgw", nil)); !strings.Contains(pg, "set CHATGW_BASE_URL in the server&#39;s environment to run this provider. The value includes the version prefix, for example https://gateway.example.com/v1") {
		t.Error("the page does not say CHATGW_BASE_URL includes /v1")
	}
	// Without a key, the fixed four only.
	app = openApp(t, map[string]string{"CHATGW_BASE_URL": g.URL + "/v1"})
	if _, pg = do(t, app, httptest.NewRequest("GET", "/?provider=chatgw", nil)); strings.Contains(pg, "qwen3-max") {
		t.Error("listed without a key")
	}
}
