package draft

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// recorder is an upstream that keeps the headers of each request.
type recorder struct {
	mu   sync.Mutex
	got  []http.Header
	hits []string
}

func (rec *recorder) server(t *testing.T, name string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, r.Header.Clone())
		rec.hits = append(rec.hits, name)
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		// It echoes one header, as a gateway's error message might.
		_, _ = io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":"ok `+r.Header.Get("X-Portkey-Virtual-Key")+`"},"finish_reason":"stop"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func headerService(t *testing.T, doc string, env map[string]string) *Service {
	t.Helper()
	c, err := catalog.Parse("ops.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Catalog: c, Getenv: func(k string) string { return env[k] }, Tokens: &tokens.Counter{}}
}

const chatSchema = `[{"name": "messages", "type": "messages", "transform": "messages", "required": true},
	{"name": "image_urls", "type": "image_urls", "transform": "image_urls"}]`

// A catalog provider's headers: a literal one, one filled from the
// operator's environment, and a secret one that the curl, the inspector
// and the history show as $VAR while the upstream receives the value.
func TestCatalogHeadersReachTheUpstreamAndSecretsStayOut(t *testing.T) {
	rec := &recorder{}
	srv := rec.server(t, "gw")
	doc := `{"providers": [{"id": "pk", "name": "Portkey", "base_url": "` + srv.URL + `/v1", "api_key_env": "PK_API_KEY",
		"api_styles": ["chat"], "currency": "USD", "headers": [
			{"name": "x-portkey-provider", "value": "openai"},
			{"name": "HTTP-Referer", "value": "https://${SITE_HOST}/play"},
			{"name": "x-portkey-virtual-key", "value": "vk-${PK_VIRTUAL}", "secret": true}]}],
		"models": [{"id": "m", "provider": "pk", "api_style": "chat", "form_schema": ` + chatSchema + `}]}`
	env := map[string]string{"PK_API_KEY": "sk-pk", "SITE_HOST": "play.example", "PK_VIRTUAL": "s3cr3t-virtual-value"}
	s := headerService(t, doc, env)
	r := s.Prepare(Input{Provider: "pk", Model: "m"})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{`-H 'x-portkey-provider: openai'`, `-H 'HTTP-Referer: https://play.example/play'`,
		`-H 'x-portkey-virtual-key: vk-'"$PK_VIRTUAL"`} {
		if !strings.Contains(r.Curl, want) {
			t.Errorf("curl lacks %s:\n%s", want, r.Curl)
		}
	}
	if strings.Contains(r.Curl, "s3cr3t") {
		t.Fatalf("curl holds the secret value:\n%s", r.Curl)
	}
	spec, err := s.Spec(r, "o")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range spec.Request.Header {
		if strings.Contains(h.Value, "s3cr3t") {
			t.Errorf("the request's header %s holds the secret (it is shown and recorded)", h.Name)
		}
	}
	resp, err := upstream.New(upstream.DefaultConfig()).Send(context.Background(), spec.Request, spec.BaseURLs, spec.Key)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The run redacts what the provider sends back with the key and these
	// values (web/run: redact.New(spec.Key, SecretValues()...)): the echo
	// of the whole value and of the variable's part alone.
	red := redact.New(spec.Key, spec.Request.SecretValues()...)
	if out := red.String(string(answer) + " and s3cr3t-virtual-value alone"); strings.Contains(out, "s3cr3t") || !strings.Contains(out, "ok [redacted]") {
		t.Errorf("the echoed secret header would reach the page: %s", out)
	}
	got := rec.got[0]
	for name, want := range map[string]string{"X-Portkey-Provider": "openai", "Http-Referer": "https://play.example/play",
		"X-Portkey-Virtual-Key": "vk-s3cr3t-virtual-value", "Authorization": "Bearer sk-pk"} {
		if got.Get(name) != want {
			t.Errorf("upstream got %s = %q, want %q", name, got.Get(name), want)
		}
	}

	// The gateway's GET /models gets the same headers, values filled in.
	p, _ := s.Catalog.Provider("pk")
	hs, ok := s.ResolvedHeaders(p)
	if !ok || len(hs) != 3 || hs[1].Value != "https://play.example/play" || hs[2].Value != "vk-s3cr3t-virtual-value" {
		t.Errorf("resolved headers %v %v", hs, ok)
	}

	// An unset variable stops the run with what to set.
	delete(env, "PK_VIRTUAL")
	r = s.Prepare(Input{Provider: "pk", Model: "m"})
	if _, err := s.Spec(r, "o"); err == nil || !strings.Contains(err.(*problem.Error).Hint, "PK_VIRTUAL") {
		t.Errorf("spec with PK_VIRTUAL unset: %v", err)
	}
	if _, ok := s.ResolvedHeaders(p); ok {
		t.Error("headers resolved with PK_VIRTUAL unset")
	}
}

// A provider a person added: its headers' values come from the session,
// the curl shows $MY_…, and the upstream receives them.
func TestOwnProviderHeaders(t *testing.T) {
	rec := &recorder{}
	srv := rec.server(t, "own")
	base := newService(t, nil)
	up := account.Provider{ID: "my-1", Name: "Portkey", BaseURL: srv.URL + "/v1", Styles: []catalog.Style{catalog.Chat},
		Headers: []account.Header{{Name: "x-portkey-provider", Value: "openai-route-42"}}}
	acct := account.Account{Providers: []account.Provider{up}}
	cat := account.Catalog(base.Catalog, acct, func(account.Provider) ([]string, error) { return []string{"some-model"}, nil })
	s := base.With(cat, map[string]string{"my-1": "sk-mine-123456789"})
	s.OwnEnv = acct.HeaderEnv()
	r := s.Prepare(Input{Provider: "my-1", Model: "some-model"})
	if want := `-H 'x-portkey-provider: '"$MY_PORTKEY_X_PORTKEY_PROVIDER"`; !strings.Contains(r.Curl, want) || strings.Contains(r.Curl, "route-42") {
		t.Fatalf("curl lacks %s or holds the value:\n%s", want, r.Curl)
	}
	spec, err := s.Spec(r, "o")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := upstream.New(upstream.DefaultConfig()).Send(context.Background(), spec.Request, spec.BaseURLs, spec.Key)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := rec.got[0].Get("X-Portkey-Provider"); got != "openai-route-42" {
		t.Errorf("upstream got x-portkey-provider %q", got)
	}
	// Another session (no values) cannot run it with headers missing.
	s.OwnEnv = nil
	if _, err := s.Spec(s.Prepare(Input{Provider: "my-1", Model: "some-model"}), "o"); err == nil {
		t.Error("ran without the header's value")
	}
}

// Seed 001: a request with images goes to the multimodal host first, text
// to the text host; the curl shows the URL tried first.
func TestImagesGoToTheMultimodalHostFirst(t *testing.T) {
	rec := &recorder{}
	text, mm := rec.server(t, "text"), rec.server(t, "multimodal")
	doc := `{"providers": [{"id": "evo", "name": "Evo", "base_url": "` + text.URL + `/v1", "fallback_base_urls": ["` + mm.URL + `/v1"],
		"multimodal_base_urls": ["` + mm.URL + `/v1"], "api_key_env": "EVO_API_KEY", "api_styles": ["chat"], "currency": "USD"}],
		"models": [{"id": "m", "provider": "evo", "api_style": "chat", "form_schema": ` + chatSchema + `}]}`
	s := headerService(t, doc, map[string]string{"EVO_API_KEY": "k"})
	client := upstream.New(upstream.DefaultConfig())
	for _, tc := range []struct {
		name  string
		form  url.Values
		first string
		urls  []string
	}{
		{"text", url.Values{"messages.role": {"user"}, "messages.content": {"hi"}}, "text", []string{text.URL + "/v1", mm.URL + "/v1"}},
		{"image", url.Values{"messages.role": {"user"}, "messages.content": {"hi"}, "image_urls.url": {"https://a.test/cat.png"}},
			"multimodal", []string{mm.URL + "/v1", text.URL + "/v1"}},
	} {
		r := s.Prepare(Input{Provider: "evo", Model: "m", Form: formpkg.Decode(tc.form)})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if strings.Join(r.BaseURLs, " ") != strings.Join(tc.urls, " ") {
			t.Errorf("%s: base URLs %v, want %v", tc.name, r.BaseURLs, tc.urls)
		}
		if !strings.Contains(r.Curl, "'"+tc.urls[0]+"/chat/completions'") {
			t.Errorf("%s: curl does not show %s:\n%s", tc.name, tc.urls[0], r.Curl)
		}
		spec, err := s.Spec(r, "o")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Send(context.Background(), spec.Request, spec.BaseURLs, spec.Key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if last := rec.hits[len(rec.hits)-1]; last != tc.first {
			t.Errorf("%s: served by %s, want %s", tc.name, last, tc.first)
		}
	}
}
