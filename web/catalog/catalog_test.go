package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultCatalogHasEverySeedModel(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("default catalog: %v", err)
	}
	want := map[string]Style{
		"apimodels/gpt-5.4-pro":         Completions,
		"evolink/gpt-5.4":               Chat,
		"chatgw/gpt-5.4":                Chat,
		"chatgw/gpt-5.4-mini":           Chat,
		"chatgw/gemini-3.1-pro-preview": Chat,
		"chatgw/deepseek-v4-pro":        Chat,
		"respgw/gpt-5.4-pro":            Responses,
	}
	for key, style := range want {
		p, id, _ := strings.Cut(key, "/")
		m, ok := c.Model(p, id)
		if !ok {
			t.Errorf("model %s missing", key)
			continue
		}
		if m.Style != style {
			t.Errorf("%s: style %s, want %s", key, m.Style, style)
		}
	}
}

func TestSeedDetails(t *testing.T) {
	c := MustDefault(t)
	// Seed 000: CNY prices and credits.
	p, _ := c.Provider("apimodels")
	m, _ := c.Model("apimodels", "gpt-5.4-pro")
	if p.Currency != "CNY" || p.CreditsPerUnit != 10 || *m.Price.Input != 180 || *m.Price.Output != 1440 {
		t.Errorf("seed 000 pricing wrong: %+v %+v", p, m.Price)
	}
	if p.BaseURL != "https://apimodels.app/api/v1" {
		t.Errorf("seed 000 base URL %q", p.BaseURL)
	}
	// Seed 001: defaults and two base URLs, direct host first.
	p, _ = c.Provider("evolink")
	urls := p.ResolveBaseURL(func(string) string { return "" })
	if len(urls) != 2 || !strings.Contains(urls[0], "direct.evolink.ai") || !strings.Contains(urls[1], "api.evolink.ai") {
		t.Errorf("seed 001 base URLs %v", urls)
	}
	m, _ = c.Model("evolink", "gpt-5.4")
	// The seed: temperature states no default, top_p "Default: 1.0", top_k
	// "Default: unlimited"; 0.7, 0.9 and 40 are its example values.
	for _, tc := range []struct {
		name        string
		def         any
		defaultText string
		example     float64
	}{
		{"temperature", nil, "", 0.7},
		{"top_p", 1.0, "", 0.9},
		{"top_k", nil, "unlimited", 40},
	} {
		f, ok := m.Field(tc.name)
		if !ok || f.Default != tc.def || f.DefaultText != tc.defaultText || f.Example != tc.example {
			t.Errorf("seed 001 %s: default %v, default_text %q, example %v; want %v, %q, %v",
				tc.name, f.Default, f.DefaultText, f.Example, tc.def, tc.defaultText, tc.example)
		}
	}
	// A request with images goes to api.evolink.ai first, text to direct.
	mm := c.BaseURLsFor(p, m, func(string) string { return "" }, MultimodalFirst)
	if len(mm) != 2 || !strings.Contains(mm[0], "//api.evolink.ai") || !strings.Contains(mm[1], "direct.evolink.ai") {
		t.Errorf("seed 001 multimodal base URLs %v", mm)
	}
	if txt := c.BaseURLsFor(p, m, nil, TextFirst); !strings.Contains(txt[0], "direct.evolink.ai") {
		t.Errorf("seed 001 text base URLs %v", txt)
	}
	// Seed 002: the listed parameters.
	m, _ = c.Model("chatgw", "deepseek-v4-pro")
	for _, name := range []string{"tools", "tool_choice", "response_format", "seed", "logit_bias", "stop",
		"max_tokens", "max_completion_tokens", "include_usage", "reasoning_effort", "modalities", "user"} {
		if _, ok := m.Field(name); !ok {
			t.Errorf("seed 002 lacks %s", name)
		}
	}
	if f, _ := m.Field("stop"); f.MaxItems != 4 {
		t.Errorf("seed 002 stop max_items = %d, want 4", f.MaxItems)
	}
	if f, _ := m.Field("reasoning_effort"); strings.Join(f.Enum, ",") != "low,medium,high" {
		t.Errorf("seed 002 reasoning_effort enum %v", f.Enum)
	}
	// Seed 003: exactly its form fields.
	m, _ = c.Model("respgw", "gpt-5.4-pro")
	var names []string
	for _, f := range m.Fields() {
		names = append(names, f.Name)
	}
	wantNames := "system_prompt,messages,image_urls,image_detail,reasoning_effort,reasoning_summary,verbosity,max_output_tokens,response_format,store,topic,background,stream,extra_body" // and the extra field every form has
	if strings.Join(names, ",") != wantNames {
		t.Errorf("seed 003 fields\n got %s\nwant %s", strings.Join(names, ","), wantNames)
	}
	if m.ContextWindow != 1050000 || m.MaxOutputTokens != 128000 {
		t.Errorf("seed 003 limits %d/%d", m.ContextWindow, m.MaxOutputTokens)
	}
	if f, _ := m.Field("reasoning_effort"); strings.Join(f.Enum, ",") != "medium,high,xhigh" {
		t.Errorf("seed 003 reasoning_effort enum %v", f.Enum)
	}
	// No invented prices for the seeds that give none.
	for _, key := range [][2]string{{"evolink", "gpt-5.4"}, {"chatgw", "gpt-5.4"}, {"respgw", "gpt-5.4-pro"}} {
		m, _ := c.Model(key[0], key[1])
		if m.Price != nil {
			t.Errorf("%s/%s has a price the seed does not give", key[0], key[1])
		}
	}
}

func TestBaseURLEnvOverride(t *testing.T) {
	c := MustDefault(t)
	p, _ := c.Provider("chatgw")
	if got := p.ResolveBaseURL(func(string) string { return "" }); got != nil {
		t.Errorf("unset CHATGW_BASE_URL resolved to %v", got)
	}
	env := map[string]string{"CHATGW_BASE_URL": "https://gw.example/v1/"}
	got := p.ResolveBaseURL(func(k string) string { return env[k] })
	if len(got) != 1 || got[0] != "https://gw.example/v1" {
		t.Errorf("got %v", got)
	}
}

func TestLoadOperatorFile(t *testing.T) {
	tests := map[string]struct {
		name    string
		body    string
		wantErr string // substring; "" means success
	}{
		"adds a provider and model (JSON)": {name: "ops.json", body: `{
			"providers": [{"id": "local", "name": "Local vLLM", "base_url": "http://127.0.0.1:8000/v1",
				"api_key_env": "LOCAL_API_KEY", "api_styles": ["chat"], "currency": "EUR"}],
			"models": [{"id": "qwen3", "provider": "local", "api_style": "chat", "form_schema": "chat-openai-compatible",
				"price": {"input": 0.1, "output": 0.2}}]}`},
		"adds a model in YAML with an inline schema": {name: "ops.yaml", body: `
providers:
  - id: local
    name: Local
    base_url: http://127.0.0.1:8000/v1
    api_key_env: LOCAL_API_KEY
    api_styles: [completions]
    currency: USD
models:
  - id: tiny
    provider: local
    api_style: completions
    form_schema:
      - {name: prompt, type: text, required: true, transform: prompt}
      - {name: max_tokens, type: integer, min: 1, role: max_output}
`},
		"replaces a default model": {name: "ops.json", body: `{"providers": [], "models": [
			{"id": "gpt-4o-mini", "provider": "openai", "api_style": "chat", "form_schema": "chat-openai-compatible",
			 "price": {"input": 1, "output": 2}}]}`},
		"syntax error names line and column": {name: "bad.json", body: "{\n  \"providers\": [,]\n}",
			wantErr: "bad.json: line 2, column"},
		"unknown field": {name: "bad.json", body: `{"providers": [], "models": [], "extra": 1}`,
			wantErr: `unknown field "extra"`},
		"wrong type names the field": {name: "bad.json", body: `{"providers": [{"id": "x", "name": 3}], "models": []}`,
			wantErr: "providers.name"},
		"bad provider fields named by path": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X",
			"base_url": "ftp://x", "api_key_env": "lower", "api_styles": ["soap"], "currency": "dollars"}], "models": []}`,
			wantErr: "providers[0].base_url"},
		"a key variable of the kind people's providers use": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X",
			"base_url": "https://x.example/v1", "api_key_env": "MY_OPENAI_API_KEY", "api_styles": ["chat"], "currency": "USD"}], "models": []}`,
			wantErr: "providers[0].api_key_env: must not start with MY_"},
		"an id of the kind people's providers have": {name: "bad.json", body: `{"providers": [{"id": "my-gateway", "name": "X",
			"base_url": "https://x.example/v1", "api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD"}], "models": []}`,
			wantErr: "providers[0].id: must not start with my-"},
		"unknown schema name": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": "nope"}]}`,
			wantErr: `models[0].form_schema: no schema named "nope"`},
		"unknown provider": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "ghost", "api_style": "chat", "form_schema": "chat-openai-compatible"}]}`,
			wantErr: `unknown provider "ghost"`},
		"field max below min": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "completions", "form_schema": [
				{"name": "prompt", "type": "text", "transform": "prompt"},
				{"name": "temperature", "type": "number", "min": 2, "max": 0}]}]}`,
			wantErr: "models[0].form_schema[1].max: must not be less than min"},
		"default out of range": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "completions", "form_schema": [
				{"name": "temperature", "type": "number", "min": 0, "max": 2, "default": 3}]}]}`,
			wantErr: "form_schema[0].default: 3 is out of range"},
		"required_with naming a value the field lacks": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [
				{"name": "modalities", "type": "string_list", "enum": ["text", "audio"]},
				{"name": "audio", "type": "json", "json_kind": "audio", "required_with": "modalities=video"}]}]}`,
			wantErr: "form_schema[1].required_with: must be field=value"},
		"required_with naming no field": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [
				{"name": "audio", "type": "json", "json_kind": "audio", "required_with": "modalities=audio"}]}]}`,
			wantErr: "form_schema[0].required_with: must be field=value"},
		"unknown field type": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [{"name": "x", "type": "color"}]}]}`,
			wantErr: `form_schema[0].type: unknown type "color"`},
		"transform on the wrong style": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [{"name": "p", "type": "text", "transform": "prompt"}]}]}`,
			wantErr: "prompt applies to completions models only"},
		"two fields on one body path": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [
				{"name": "a", "type": "string", "target": "x.y"}, {"name": "b", "type": "string", "target": "x.y"}]}]}`,
			wantErr: `body path "x.y" is already set by field "a"`},
		"style the provider lacks": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "apimodels", "api_style": "chat", "form_schema": "chat-openai-compatible"}]}`,
			wantErr: `provider "apimodels" does not list "chat"`},
		"generic schema for a style": {name: "ops.json", body: `{"providers": [], "models": [],
			"schemas": {"mini-chat": [{"name": "messages", "type": "messages", "transform": "messages", "required": true}]},
			"generic_schemas": {"chat": "mini-chat"}}`},
		"generic schema unknown": {name: "bad.json", body: `{"providers": [], "models": [], "generic_schemas": {"chat": "nope"}}`,
			wantErr: "generic_schemas.chat: want an API style naming a schema"},
		"generic schema for an unknown style": {name: "bad.json", body: `{"providers": [], "models": [], "generic_schemas": {"soap": "chat-openai-compatible"}}`,
			wantErr: "generic_schemas.soap"},
		"generic schema of the wrong style": {name: "bad.json", body: `{"providers": [], "models": [], "generic_schemas": {"completions": "chat-openai-compatible"}}`,
			wantErr: "generic_schemas.completions"},
		"sim_shape outside the simulator": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "responses", "form_schema": "responses-openai", "sim_shape": "chat"}]}`,
			wantErr: ".sim_shape: only the simulator's models have one"},
		"sim_shape on a chat model": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "sim", "api_style": "chat", "form_schema": "chat-openai-compatible", "sim_shape": "chat"}]}`,
			wantErr: `models[0].sim_shape: must be "chat", on a responses model`},
		"sim_shape unknown": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "sim", "api_style": "responses", "form_schema": "responses-openai", "sim_shape": "xml"}]}`,
			wantErr: `models[0].sim_shape: must be "chat"`},
		"requires an unknown field": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [
				{"name": "messages", "type": "messages", "transform": "messages", "required": true},
				{"name": "tool_choice", "type": "string", "requires": ["tools"]}]}]}`,
			wantErr: `form_schema[1].requires[0]: no field "tools" in this schema`},
		"refused with an unknown field": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": [
				{"name": "messages", "type": "messages", "transform": "messages", "required": true},
				{"name": "background", "type": "boolean", "refused_with": {"store": false}}]}]}`,
			wantErr: `form_schema[1].refused_with: no field "store" in this schema`},
		"a model naming a default schema that includes another": {name: "ops.json", body: `{"providers": [], "models": [
			{"id": "gpt-4.1", "provider": "openai", "api_style": "chat", "form_schema": "chat-openai"}]}`},
		"a schema of the file including a default schema that includes another": {name: "ops.json", body: `{"providers": [], "models": [
			{"id": "gpt-4.1", "provider": "openai", "api_style": "chat", "form_schema": "mine"}],
			"schemas": {"mine": [{"include": "chat-openai"}, {"name": "top_k", "type": "integer", "min": 1}]}}`},
		"headers, list_models and multimodal hosts": {name: "ops.yaml", body: `
providers:
  - id: portkey
    name: Portkey
    base_url: https://api.portkey.ai/v1
    multimodal_base_urls: [https://mm.portkey.ai/v1]
    api_key_env: PORTKEY_API_KEY
    api_styles: [chat]
    currency: USD
    list_models: true
    headers:
      - {name: x-portkey-provider, value: openai}
      - {name: x-portkey-virtual-key, value: "${PORTKEY_VIRTUAL_KEY}", secret: true}
      - {name: HTTP-Referer, value: "https://${SITE_HOST}/play"}
models: []
`},
		"a header overriding Authorization": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "Authorization", "value": "Bearer 1"}]}], "models": []}`,
			wantErr: "providers[0].headers[0].name: Authorization is set by the playground itself"},
		"a header value with a line break": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "X-A", "value": "a\r\nHost: evil"}]}], "models": []}`,
			wantErr: "providers[0].headers[0].value: A header value is one line"},
		"a header name with a colon": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "X-A: b", "value": "c"}]}], "models": []}`,
			wantErr: "providers[0].headers[0].name"},
		"a secret header without a variable": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "X-Token", "value": "abc", "secret": true}]}], "models": []}`,
			wantErr: "providers[0].headers[0].value: a secret header takes its value from the environment"},
		"a header variable that is no name": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "X-Token", "value": "${lower}"}]}], "models": []}`,
			wantErr: "${lower} is not an environment variable name"},
		"a header variable of people's providers": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "X-Token", "value": "${MY_X_TOKEN}"}]}], "models": []}`,
			wantErr: "variables starting with MY_"},
		"too many headers": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [` + strings.Repeat(`{"name": "X-A", "value": "1"},`, 8) + `{"name": "X-B", "value": "1"}]}], "models": []}`,
			wantErr: "providers[0].headers: at most 8 headers"},
		"duplicate header": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "headers": [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}]}], "models": []}`,
			wantErr: `providers[0].headers[1].name: duplicate header "x-a"`},
		"a bad multimodal host": {name: "bad.json", body: `{"providers": [{"id": "x", "name": "X", "base_url": "https://x.example/v1",
			"api_key_env": "X_API_KEY", "api_styles": ["chat"], "currency": "USD", "multimodal_base_urls": ["ftp://mm"]}], "models": []}`,
			wantErr: "providers[0].multimodal_base_urls[0]"},
		"an example out of range": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "completions", "form_schema": [
				{"name": "prompt", "type": "text", "transform": "prompt"},
				{"name": "top_p", "type": "number", "min": 0, "max": 1, "example": 2}]}]}`,
			wantErr: "form_schema[1].example: 2 is out of range"},
		"a default both as a value and in words": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "completions", "form_schema": [
				{"name": "prompt", "type": "text", "transform": "prompt"},
				{"name": "top_k", "type": "integer", "min": 1, "default": 5, "default_text": "unlimited"}]}]}`,
			wantErr: "form_schema[1].default_text"},
		"negative price": {name: "bad.json", body: `{"providers": [], "models": [
			{"id": "m", "provider": "openai", "api_style": "chat", "form_schema": "chat-openai-compatible", "price": {"input": -1, "output": 1}}]}`,
			wantErr: "models[0].price.input: must be a non-negative number"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name)
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(c.Models) < 10 {
					t.Fatalf("default models lost: %d", len(c.Models))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestGenericSchemas(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []Style{Completions, Chat, Responses} {
		if f, ok := c.GenericSchema(st); !ok || len(f) == 0 {
			t.Errorf("no generic schema for %s", st)
		}
	}
	if m, ok := c.Known("gpt-4o-mini", Chat); !ok || m.Provider != "openai" {
		t.Errorf("Known(gpt-4o-mini) = %v %v", m, ok)
	}
	if _, ok := c.Known("seed-only-model", Chat); ok {
		t.Error("an unknown id is known")
	}
	// The simulator's entries are not what a real gateway's ids mean.
	if m, ok := c.Known("gpt-5.4-pro", Responses); !ok || m.Provider == "sim" {
		t.Errorf("Known(gpt-5.4-pro) = %+v", m)
	}
}

func TestLoadReplacesModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ops.json")
	os.WriteFile(path, []byte(`{"providers": [], "models": [
		{"id": "gpt-4o-mini", "provider": "openai", "api_style": "chat", "form_schema": "chat-openai-compatible",
		 "price": {"input": 1, "output": 2}}]}`), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Model("openai", "gpt-4o-mini")
	if *m.Price.Input != 1 {
		t.Errorf("model not replaced: %v", *m.Price.Input)
	}
	n := 0
	for _, x := range c.Models {
		if x.Key() == "openai/gpt-4o-mini" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("model appears %d times", n)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.json")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

// MustDefault loads the default catalog or fails the test.
func MustDefault(tb testing.TB) *Catalog {
	tb.Helper()
	c, err := Default()
	if err != nil {
		tb.Fatalf("default catalog: %v", err)
	}
	return c
}

// TestFieldRoles: a boolean sent as stream and a string sent as
// previous_response_id take their roles when they name none; a role on a
// field of the wrong type is an error naming the field.
func TestFieldRoles(t *testing.T) {
	cat, err := Parse("roles.json", []byte(`{"providers": [{"id": "p", "name": "P", "base_url": "https://p.example/v1", "api_key_env": "P_KEY", "api_styles": ["chat", "responses"], "currency": "USD"}],
	  "models": [{"id": "m", "provider": "p", "api_style": "responses", "form_schema": [
	    {"name": "input", "type": "text", "transform": "input"},
	    {"name": "stream", "type": "boolean"},
	    {"name": "previous_response_id", "type": "string"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Model("p", "m")
	for role, want := range map[string]string{RoleStream: "stream", RolePreviousResponse: "previous_response_id"} {
		if f, ok := m.FieldWithRole(role); !ok || f.Name != want {
			t.Errorf("role %s: %q %v", role, f.Name, ok)
		}
	}
	_, err = Parse("bad.json", []byte(`{"providers": [{"id": "p", "name": "P", "base_url": "https://p.example/v1", "api_key_env": "P_KEY", "api_styles": ["chat", "responses"], "currency": "USD"}],
	  "models": [{"id": "m", "provider": "p", "api_style": "chat", "form_schema": [
	    {"name": "messages", "type": "messages", "transform": "messages"},
	    {"name": "streaming", "type": "string", "role": "stream"}]}]}`))
	if err == nil || !strings.Contains(err.Error(), "form_schema[1].role") {
		t.Errorf("a stream role on a string: %v", err)
	}
}

// TestPromptRole: a catalog that names no prompt role (older catalogs)
// gives it to the fields that are the prompt (messages, images, a prompt
// text, an input, a system message, the instructions), and to no other;
// a prompt role on a number is an error naming the field.
func TestPromptRole(t *testing.T) {
	cat, err := Parse("prompt.json", []byte(`{"providers": [{"id": "p", "name": "P", "base_url": "https://p.example/v1", "api_key_env": "P_KEY", "api_styles": ["chat", "responses", "completions"], "currency": "USD"}],
	  "models": [
	    {"id": "c", "provider": "p", "api_style": "chat", "form_schema": [
	      {"name": "system", "type": "text", "transform": "system_message"},
	      {"name": "messages", "type": "messages", "transform": "messages"},
	      {"name": "image_urls", "type": "image_urls", "transform": "image_urls"},
	      {"name": "temperature", "type": "number"}]},
	    {"id": "r", "provider": "p", "api_style": "responses", "form_schema": [
	      {"name": "system_prompt", "type": "text", "target": "instructions"},
	      {"name": "input", "type": "text", "transform": "input"},
	      {"name": "user", "type": "string"}]},
	    {"id": "t", "provider": "p", "api_style": "completions", "form_schema": [
	      {"name": "prompt", "type": "text", "transform": "prompt", "max_items": 4},
	      {"name": "suffix", "type": "text"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"c": {"system", "messages", "image_urls"}, "r": {"system_prompt", "input"}, "t": {"prompt"}}
	for id, names := range want {
		m, _ := cat.Model("p", id)
		var got []string
		for _, f := range m.Fields() {
			if f.Role == RolePrompt {
				got = append(got, f.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("%s: prompt fields %v, want %v", id, got, names)
		}
	}
	def := MustDefault(t)
	for _, m := range def.Models {
		for _, f := range m.Fields() {
			if f.Role == RolePrompt && f.Type != TypeMessages && f.Type != TypeImageURLs && f.Type != TypeText {
				t.Errorf("%s: %s has the prompt role", m.ID, f.Name)
			}
		}
	}
	_, err = Parse("bad.json", []byte(`{"providers": [{"id": "p", "name": "P", "base_url": "https://p.example/v1", "api_key_env": "P_KEY", "api_styles": ["chat"], "currency": "USD"}],
	  "models": [{"id": "m", "provider": "p", "api_style": "chat", "form_schema": [
	    {"name": "messages", "type": "messages", "transform": "messages"},
	    {"name": "temperature", "type": "number", "role": "prompt"}]}]}`))
	if err == nil || !strings.Contains(err.Error(), "form_schema[1].role") {
		t.Errorf("a prompt role on a number: %v", err)
	}
}
