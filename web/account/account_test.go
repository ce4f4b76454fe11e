package account_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/upstream"
)

func TestMask(t *testing.T) {
	tests := []struct{ key, want string }{
		{"sk-proj-abcdefghijklmnop1234", "••••1234"},
		{"sk-abcdefgh9876", "••••9876"},
		{"short-key", "••••"}, // too short to spare four characters
		{"", "••••"},
	}
	for _, tt := range tests {
		if got := account.Mask(tt.key); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestCheckKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"sk-good-key-123", ""},
		{"", "Enter a key."},
		{"sk bad", "printable ASCII without spaces"},
		{"sk-\x00", "printable ASCII"},
		{"sk-ключ", "printable ASCII"},
		{strings.Repeat("k", 257), "at most 256"},
	}
	for _, tt := range tests {
		got := account.CheckKey(tt.key)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CheckKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestNewProvider(t *testing.T) {
	tests := []struct {
		name string
		in   url.Values
		errs map[string]string // field -> part of the message
	}{
		{"valid", url.Values{"name": {"My gateway"}, "base_url": {"https://api.example.com/v1/"}, "key": {"sk-123456789012"}, "styles": {"chat", "responses"}}, nil},
		{"all missing", url.Values{}, map[string]string{"name": "Enter a name", "base_url": "Enter the base URL", "styles": "at least one"}},
		{"bad url", url.Values{"name": {"x"}, "base_url": {"ftp://example.com"}, "styles": {"chat"}}, map[string]string{"base_url": "http:// or https://"}},
		{"key in url", url.Values{"name": {"x"}, "base_url": {"https://u:sk@example.com/v1"}, "styles": {"chat"}}, map[string]string{"base_url": "key field"}},
		{"query", url.Values{"name": {"x"}, "base_url": {"https://example.com/v1?x=1"}, "styles": {"chat"}}, map[string]string{"base_url": "no query"}},
		{"long name", url.Values{"name": {strings.Repeat("n", 41)}, "base_url": {"https://example.com"}, "styles": {"chat"}}, map[string]string{"name": "at most 40"}},
		{"bad style", url.Values{"name": {"x"}, "base_url": {"https://example.com"}, "styles": {"embeddings"}}, map[string]string{"styles": "Unknown API style"}},
		{"bad key", url.Values{"name": {"x"}, "base_url": {"https://example.com"}, "styles": {"chat"}, "key": {"has space"}}, map[string]string{"key": "without spaces"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, errs := account.NewProvider(tt.in)
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %v, want %v", errs, tt.errs)
			}
			for f, want := range tt.errs {
				if !strings.Contains(errs[f], want) {
					t.Errorf("%s: %q lacks %q", f, errs[f], want)
				}
			}
			if tt.errs == nil {
				if !strings.HasPrefix(p.ID, "my-") || p.BaseURL != "https://api.example.com/v1" || len(p.Styles) != 2 {
					t.Errorf("provider %+v", p)
				}
			}
		})
	}
}

func TestKeyEnv(t *testing.T) {
	tests := []struct{ name, want string }{
		{"My gateway", "MY_GATEWAY_API_KEY"},
		{"vLLM (prod)", "MY_VLLM_PROD_API_KEY"},
		{"Groq API key", "MY_GROQ_API_KEY"},
		{"OpenAI", "MY_OPENAI_API_KEY"},
		{"42", "MY_42_API_KEY"},
		{"日本", "MY_PROVIDER_API_KEY"},
		{"My", "MY_PROVIDER_API_KEY"},
		{"my_api_key", "MY_PROVIDER_API_KEY"},
		{"API key", "MY_PROVIDER_API_KEY"},
		{"my-x-api-key", "MY_X_API_KEY"},
	}
	for _, tt := range tests {
		if got := (account.Provider{Name: tt.name}).KeyEnv(); got != tt.want {
			t.Errorf("KeyEnv(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestKeyEnvNeverACatalogVariable is finding 17: an own provider named
// "OpenAI" read $OPENAI_API_KEY, so a share viewer pasting its curl sent
// their own OpenAI key to the sharer's URL. No name, id or variable stem
// of a catalog provider gives an added provider a catalog variable.
func TestKeyEnvNeverACatalogVariable(t *testing.T) {
	base, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	for _, p := range base.Providers {
		used[p.APIKeyEnv] = p.ID
	}
	for _, p := range base.Providers {
		stem := strings.TrimSuffix(p.APIKeyEnv, "_API_KEY")
		for _, name := range []string{p.Name, p.ID, stem, p.APIKeyEnv, strings.ToLower(stem), "my " + p.Name} {
			env := (account.Provider{Name: name}).KeyEnv()
			if id, ok := used[env]; ok {
				t.Errorf("an added provider named %q reads $%s, the variable of catalog provider %s", name, env, id)
			}
		}
	}
	if got := (account.Provider{Name: "OpenAI"}).KeyEnv(); got == "OPENAI_API_KEY" {
		t.Fatalf("OpenAI: %s", got)
	}
}

func TestEncodeDecode(t *testing.T) {
	var a account.Account
	if a.Encode() != "" {
		t.Fatal("an empty account encodes to something")
	}
	a.SetKey("openai", "sk-one")
	a.Providers = append(a.Providers, account.Provider{ID: "my-1", Name: "Mine", BaseURL: "https://x.example/v1", Styles: []catalog.Style{catalog.Chat}})
	a.SetKey("my-1", "sk-two")
	b := account.Decode(a.Encode())
	if b.Key("openai") != "sk-one" || b.Key("my-1") != "sk-two" || len(b.Providers) != 1 || b.Providers[0].BaseURL != "https://x.example/v1" {
		t.Fatalf("round trip: %+v", b)
	}
	if !b.Remove("my-1") || b.Key("my-1") != "" || len(b.Providers) != 0 {
		t.Fatalf("remove: %+v", b)
	}
	if d := account.Decode("{not json"); len(d.Keys) != 0 {
		t.Fatal("a damaged value decoded to something")
	}
}

func TestCatalogMergesListedModels(t *testing.T) {
	base, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := account.Account{Providers: []account.Provider{
		{ID: "my-chat", Name: "Chat gw", BaseURL: "https://gw.example/v1", Styles: []catalog.Style{catalog.Chat}},
		{ID: "my-resp", Name: "Resp gw", BaseURL: "https://resp.example/v1", Styles: []catalog.Style{catalog.Responses}},
		{ID: "my-down", Name: "Down", BaseURL: "https://down.example/v1", Styles: []catalog.Style{catalog.Chat}},
	}}
	listed := map[string][]string{
		"my-chat": {"gpt-4o-mini", "llama-3.3-70b", "llama-3.3-70b", "bad id", "org/model-x"},
		"my-resp": {"gpt-5-mini", "gpt-4o-mini"},
	}
	cat := account.Catalog(base, a, func(p account.Provider) ([]string, error) {
		if p.ID == "my-down" {
			return nil, errors.New("GET /models answered HTTP 502")
		}
		return listed[p.ID], nil
	})
	if len(base.Providers) == len(cat.Providers) {
		t.Fatal("the base catalog gained nothing")
	}
	if _, ok := base.Provider("my-chat"); ok {
		t.Fatal("the base catalog was changed")
	}
	p, ok := cat.Provider("my-chat")
	if !ok || !p.UserAdded || p.APIKeyEnv != "MY_CHAT_GW_API_KEY" {
		t.Fatalf("provider %+v", p)
	}
	ids := func(pid string) []string {
		var out []string
		for _, m := range cat.ModelsOf(pid) {
			out = append(out, m.ID)
		}
		return out
	}
	if got := strings.Join(ids("my-chat"), ","); got != "gpt-4o-mini,llama-3.3-70b,org/model-x" {
		t.Errorf("my-chat models %s", got)
	}
	// A known id keeps the catalog's schema and limits, not its price.
	known, _ := cat.Model("my-chat", "gpt-4o-mini")
	if known.ContextWindow != 128000 || known.Price != nil || known.Style != catalog.Chat || known.SentModel() != "gpt-4o-mini" {
		t.Errorf("known model %+v", known)
	}
	// An unknown id gets the generic schema of the provider's style.
	generic, _ := cat.Model("my-chat", "llama-3.3-70b")
	want, _ := base.GenericSchema(catalog.Chat)
	if len(generic.Fields()) != len(want)+1 || generic.Style != catalog.Chat { // and the extra body field
		t.Errorf("generic model %+v", generic)
	}
	// gpt-4o-mini is a chat model; a Responses-only provider gives it the
	// generic Responses form instead.
	r, _ := cat.Model("my-resp", "gpt-4o-mini")
	if r.Style != catalog.Responses {
		t.Errorf("style %s", r.Style)
	}
	if k, _ := cat.Model("my-resp", "gpt-5-mini"); k.MaxOutputTokens != 128000 {
		t.Errorf("known responses model %+v", k)
	}
	if len(ids("my-down")) != 0 {
		t.Error("a provider whose list failed has models")
	}
	if down, _ := cat.Provider("my-down"); !strings.HasSuffix(down.Description, "Its models could not be listed: GET /models answered HTTP 502") {
		t.Errorf("description %q", down.Description)
	}
}

func TestParseModels(t *testing.T) {
	tests := []struct {
		body string
		want string
		err  bool
	}{
		{`{"object":"list","data":[{"id":"b","object":"model"},{"id":"a"},{"id":"b"}]}`, "a,b", false},
		{`[{"id":"x"},{"id":""}]`, "x", false},
		// Ids the catalog would drop are dropped while parsing, so the
		// cache never holds them (finding 10).
		{`[{"id":"ok"},{"id":"` + strings.Repeat("x", 201) + `"},{"id":"a b"},{"id":"tab\t"},{"id":"` + strings.Repeat("y", 200) + `"}]`, "ok," + strings.Repeat("y", 200), false},
		{`{"data":[]}`, "", false},
		{`<html>`, "", true},
		{`{"data":"nope"}`, "", true},
	}
	for _, tt := range tests {
		got, err := account.ParseModels([]byte(tt.body))
		if (err != nil) != tt.err || strings.Join(got, ",") != tt.want {
			t.Errorf("ParseModels(%s) = %v, %v", tt.body, got, err)
		}
	}
}

func FuzzParseModels(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"a"}]}`))
	f.Add([]byte(`[{"id":"x"}]`))
	f.Add([]byte(`{"data":[{"id":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := account.ParseModels(b)
		if err != nil {
			return
		}
		for i := 1; i < len(ids); i++ {
			if ids[i-1] >= ids[i] {
				t.Fatalf("not sorted and unique: %q", ids)
			}
		}
	})
}

func TestListerCachesAndForgets(t *testing.T) {
	var calls atomic.Int32
	status := 200
	fetch := func(_ context.Context, url, key string) (*upstream.Response, error) {
		calls.Add(1)
		if url != "https://gw.example/v1/models" || key != "sk-k" {
			return nil, errors.New("wrong request " + url)
		}
		body := `{"data":[{"id":"m1"},{"id":"m2"}]}`
		if status != 200 {
			body = `{"error":{"message":"Invalid API key"}}`
		}
		return &upstream.Response{Status: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	l := account.NewLister(fetch)
	p := account.Provider{ID: "my-1", Name: "gw", BaseURL: "https://gw.example/v1"}
	for range 3 {
		ids, err := l.Models(context.Background(), "s1", p, "sk-k")
		if err != nil || strings.Join(ids, ",") != "m1,m2" {
			t.Fatalf("models %v %v", ids, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d fetches, want 1 (cached)", calls.Load())
	}
	l.Forget("s1", p, "sk-k")
	status = 401
	_, err := l.Models(context.Background(), "s1", p, "sk-k")
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "Invalid API key") || !strings.Contains(err.Error(), "check the key") {
		t.Fatalf("error %v", err)
	}
	// Failures are kept too (a minute), so a broken provider is not asked
	// on every keystroke.
	l.Models(context.Background(), "s1", p, "sk-k")
	if calls.Load() != 2 {
		t.Fatalf("%d fetches, want 2", calls.Load())
	}
}

// A listing forgotten on one instance is forgotten on another by the
// token the first hands out, which names neither the session nor the key.
func TestListerForgetsWhatAnotherForgot(t *testing.T) {
	var calls atomic.Int32
	fetch := func(_ context.Context, url, key string) (*upstream.Response, error) {
		calls.Add(1)
		return &upstream.Response{Status: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"data":[{"id":"m1"}]}`))}, nil
	}
	here, there := account.NewLister(fetch), account.NewLister(fetch)
	var tokens []string
	here.Forgotten = func(tok string) { tokens = append(tokens, tok) }
	p := account.Provider{ID: "my-1", Name: "gw", BaseURL: "https://gw.example/v1"}
	for _, l := range []*account.Lister{here, there} {
		if _, err := l.Models(context.Background(), "s1", p, "sk-secret"); err != nil {
			t.Fatal(err)
		}
	}
	here.Forget("s1", p, "sk-secret")
	if len(tokens) != 1 || strings.Contains(tokens[0], "s1") || strings.Contains(tokens[0], "secret") {
		t.Fatalf("tokens %q", tokens)
	}
	there.ForgetToken("not-it")
	there.Models(context.Background(), "s1", p, "sk-secret")
	if calls.Load() != 2 {
		t.Fatalf("%d fetches: another token dropped the listing", calls.Load())
	}
	there.ForgetToken(tokens[0])
	there.Models(context.Background(), "s1", p, "sk-secret")
	if calls.Load() != 3 {
		t.Fatalf("%d fetches, want 3: the forgotten listing was answered from the cache", calls.Load())
	}
}

func TestListerAnswersStaleListsAtOnceAndRefreshesBehind(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	fetch := func(_ context.Context, url, key string) (*upstream.Response, error) {
		n := calls.Add(1)
		if n > 1 {
			<-release // a slow provider
		}
		body := `{"data":[{"id":"v` + strconv.Itoa(int(n)) + `"}]}`
		return &upstream.Response{Status: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	l := account.NewLister(fetch)
	l.TTL = 0 // every list is stale at once
	p := account.Provider{ID: "my-1", BaseURL: "https://gw.example/v1"}
	if ids, _ := l.Models(context.Background(), "s1", p, "k"); strings.Join(ids, ",") != "v1" {
		t.Fatalf("first list %v", ids)
	}
	done := make(chan []string)
	go func() {
		ids, _ := l.Models(context.Background(), "s1", p, "k")
		done <- ids
	}()
	select {
	case ids := <-done:
		if strings.Join(ids, ",") != "v1" {
			t.Fatalf("stale list %v", ids)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stale list waited for the slow provider")
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ids, _ := l.Models(context.Background(), "s1", p, "k"); len(ids) == 1 && ids[0] != "v1" {
			return // a later list replaced the first
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the background refresh never landed")
}

func TestNewProviderHeaders(t *testing.T) {
	base := url.Values{"name": {"Portkey"}, "base_url": {"https://api.portkey.ai/v1"}, "styles": {"chat"}}
	with := func(names, values []string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		v["header_name"], v["header_value"] = names, values
		return v
	}
	tests := []struct {
		name          string
		names, values []string
		want          []account.Header
		err           string
	}{
		{"none", nil, nil, nil, ""},
		{"empty rows skipped", []string{"", "x-portkey-provider", ""}, []string{"", " openai ", ""}, []account.Header{{"x-portkey-provider", "openai"}}, ""},
		{"two", []string{"HTTP-Referer", "X-Title"}, []string{"https://me.example", "My app"}, []account.Header{{"HTTP-Referer", "https://me.example"}, {"X-Title", "My app"}}, ""},
		{"host", []string{"Host"}, []string{"evil"}, nil, "Host is set by the playground itself"},
		{"authorization any case", []string{"authorization"}, []string{"Bearer x"}, nil, "authorization is set by the playground"},
		{"line break", []string{"X-A"}, []string{"a\r\nX-B: b"}, nil, "no line breaks"},
		{"name with colon", []string{"X-A:"}, []string{"a"}, nil, "is not a header name"},
		{"twice", []string{"X-A", "x-a"}, []string{"1", "2"}, nil, "x-a is there twice."},
		{"twice in the curl's variable", []string{"X-A", "x_a"}, []string{"1", "2"}, nil, "x_a is there twice."},
		{"a flood of rows", make([]string, 100), nil, nil, "At most 4 headers."},
		{"value without name", []string{""}, []string{"v"}, nil, "Enter the header's name."},
		{"too long", []string{"X-A"}, []string{strings.Repeat("v", account.MaxHeaderValue+1)}, nil, "at most 256 characters"},
		{"too many", []string{"A", "B", "C", "D", "E"}, []string{"1", "2", "3", "4", "5"}, nil, "At most 4 headers."},
	}
	for _, tc := range tests {
		p, _, errs := account.NewProvider(with(tc.names, tc.values))
		if tc.err == "" {
			if len(errs) > 0 || len(p.Headers) != len(tc.want) {
				t.Errorf("%s: errs %v headers %v", tc.name, errs, p.Headers)
				continue
			}
			for i := range tc.want {
				if p.Headers[i] != tc.want[i] {
					t.Errorf("%s: header %d = %v, want %v", tc.name, i, p.Headers[i], tc.want[i])
				}
			}
			continue
		}
		if !strings.Contains(errs["headers"], tc.err) {
			t.Errorf("%s: error %q, want %q", tc.name, errs["headers"], tc.err)
		}
	}
}

func TestModelStyles(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := account.Account{Providers: []account.Provider{{ID: "my-1", Name: "Multi", BaseURL: "https://m.example/v1", Styles: []catalog.Style{catalog.Chat, catalog.Responses}}}}
	if msg := a.SetModelStyle("my-1", "house", catalog.Completions); msg == "" {
		t.Error("a style the provider lacks was kept")
	}
	if msg := a.SetModelStyle("my-1", "house", catalog.Responses); msg != "" {
		t.Fatal(msg)
	}
	if msg := a.SetModelStyle("my-1", "gpt-5-mini", catalog.Chat); msg != "" {
		t.Fatal(msg)
	}
	// The choice survives the session's encoding.
	a = account.Decode(a.Encode())
	c := account.Catalog(cat, a, func(account.Provider) ([]string, error) {
		return []string{"house", "other", "gpt-5-mini", "gpt-4o-mini"}, nil
	})
	for id, want := range map[string]catalog.Style{
		"house":       catalog.Responses, // chosen
		"other":       catalog.Chat,      // the provider's first
		"gpt-4o-mini": catalog.Chat,      // the catalog's
		"gpt-5-mini":  catalog.Chat,      // chosen over the catalog's responses
	} {
		m, ok := c.Model("my-1", id)
		if !ok || m.Style != want {
			t.Errorf("%s: style %v, want %s", id, m, want)
		}
	}
	// Without a choice, a known id keeps the catalog's style and schema.
	a.SetModelStyle("my-1", "gpt-5-mini", "")
	c = account.Catalog(cat, a, func(account.Provider) ([]string, error) { return []string{"gpt-5-mini"}, nil })
	if m, _ := c.Model("my-1", "gpt-5-mini"); m.Style != catalog.Responses {
		t.Errorf("gpt-5-mini: %s, want the catalog's responses", m.Style)
	}
	for i := range account.MaxModelStyles + 1 {
		if msg := a.SetModelStyle("my-1", "m"+string(rune('a'+i)), catalog.Chat); msg != "" && i < account.MaxModelStyles-1 {
			t.Fatalf("choice %d: %s", i, msg)
		} else if i == account.MaxModelStyles && msg == "" {
			t.Error("more choices than account.MaxModelStyles kept")
		}
	}
}

func TestWithListed(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	c := account.WithListed(cat, map[string]account.Listed{"chatgw": {IDs: []string{"gpt-5.4", "gpt-4o-mini", "brand-new", "bad id"}}, "evolink": {IDs: []string{"x"}}})
	if _, ok := c.Model("evolink", "x"); ok {
		t.Error("evolink has no list_models, yet got a listed model")
	}
	if n := len(c.ModelsOf("chatgw")); n != 6 {
		t.Errorf("chatgw has %d models, want the 4 of the catalog and 2 listed", n)
	}
	m, _ := c.Model("chatgw", "gpt-5.4")
	if _, ok := m.Field("reasoning_effort"); !ok {
		t.Error("the catalog's gpt-5.4 lost its schema")
	}
	if m, ok := c.Model("chatgw", "gpt-4o-mini"); !ok || m.Price != nil {
		t.Errorf("gpt-4o-mini listed: %v, with another provider's price?", m)
	}
	if m, ok := c.Model("chatgw", "brand-new"); !ok || m.Style != catalog.Chat {
		t.Error("brand-new not listed with the generic chat form")
	}
}

func TestPickStyle(t *testing.T) {
	a := account.Account{Providers: []account.Provider{{ID: "my-1", Name: "Multi", BaseURL: "https://m.example/v1", Styles: []catalog.Style{catalog.Chat, catalog.Responses}}}}
	cases := []struct {
		name, provider, model string
		style                 catalog.Style
		changed               bool
	}{
		{"a catalog provider", "apimodels", "house", catalog.Chat, false},
		{"no style", "my-1", "house", "", false},
		{"no such provider", "my-2", "house", catalog.Chat, false},
		{"a style it lacks", "my-1", "house", catalog.Completions, false},
		{"a new choice", "my-1", "house", catalog.Responses, true},
		{"the same choice again", "my-1", "house", catalog.Responses, false},
		{"another choice", "my-1", "house", catalog.Chat, true},
	}
	for _, c := range cases {
		if got := a.PickStyle(c.provider, c.model, c.style); got != c.changed {
			t.Errorf("%s: changed %v, want %v", c.name, got, c.changed)
		}
	}
	if s, _ := a.Providers[0].StyleOf("house"); s != catalog.Chat {
		t.Errorf("kept %q, want chat", s)
	}
}

func TestKeyName(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := account.Account{Providers: []account.Provider{{ID: "my-1", Name: "Multi"}}}
	p, _ := cat.Provider("apimodels")
	for id, want := range map[string]string{"apimodels": p.Name, "my-1": "Multi", "sim": "", "nope": ""} {
		if got, ok := a.KeyName(cat, id); got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", id, got, ok, want)
		}
	}
}
