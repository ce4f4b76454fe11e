package experiment

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/playground-dev/playground/web/catalog"
)

// promptfooOf exports the experiment file src (YAML) against cat.
func promptfooOf(t *testing.T, cat *catalog.Catalog, src string) (string, map[string]any) {
	t.Helper()
	f, err := ParseFile("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(f, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := PromptfooConfig(p, cat)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("the config does not parse back as YAML: %v\n%s", err, out)
	}
	return string(out), doc
}

// path walks a parsed document: map keys and list indexes.
func path(t *testing.T, v any, steps ...any) any {
	t.Helper()
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not a map", s, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: %v is not a list that long", s, v)
			}
			v = l[k]
		}
	}
	return v
}

func TestPromptfooExample(t *testing.T) {
	cat := defaultCatalog(t)
	src, err := os.ReadFile("../../docs/examples/experiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, doc := promptfooOf(t, cat, string(src))
	if got := path(t, doc, "description"); got != "Answers about a city" {
		t.Errorf("description = %v", got)
	}
	var msgs []map[string]string
	if err := json.Unmarshal([]byte(path(t, doc, "prompts", 0, "raw").(string)), &msgs); err != nil {
		t.Fatalf("the prompt is not a JSON list of messages: %v", err)
	}
	if len(msgs) != 2 || msgs[0]["role"] != "system" || msgs[1]["content"] != "Tell me about {{ city }}." {
		t.Errorf("messages = %v", msgs)
	}
	providers := path(t, doc, "providers").([]any)
	if len(providers) != 3 {
		t.Fatalf("%d providers, want 3 (a pane each)", len(providers))
	}
	for i, temp := range []any{0, 0.7, 1.4} {
		if id := path(t, providers[i], "id"); id != "openai:chat:gpt-5.4" {
			t.Errorf("provider %d id = %v", i, id)
		}
		if got := path(t, providers[i], "config", "passthrough", "temperature"); got != temp {
			t.Errorf("provider %d temperature = %v, want %v", i, got, temp)
		}
		if got := path(t, providers[i], "config", "omitDefaults"); got != true {
			t.Errorf("provider %d omitDefaults = %v, want true", i, got)
		}
		if got := path(t, providers[i], "config", "apiKeyEnvar"); got != "SIMULATOR_API_KEY" {
			t.Errorf("provider %d apiKeyEnvar = %v", i, got)
		}
		if got := path(t, providers[i], "config", "apiBaseUrl"); got != "http://127.0.0.1:8081/evolink/v1" {
			t.Errorf("provider %d apiBaseUrl = %v", i, got)
		}
		if got, _ := path(t, providers[i], "label").(string); !strings.Contains(got, "temperature=") {
			t.Errorf("provider %d label = %q", i, got)
		}
	}
	var types []string
	for _, a := range path(t, doc, "defaultTest", "assert").([]any) {
		types = append(types, path(t, a, "type").(string))
	}
	if strings.Join(types, " ") != "javascript finish-reason latency llm-rubric" {
		t.Errorf("defaultTest assertions = %v", types)
	}
	if got := path(t, doc, "defaultTest", "assert", 2, "threshold"); got != 30000 {
		t.Errorf("latency threshold = %v, want 30000 (ms)", got)
	}
	if got := path(t, doc, "defaultTest", "assert", 3, "provider", "id"); got != "openai:chat:gpt-5.4" {
		t.Errorf("judge provider = %v", got)
	}
	tests := path(t, doc, "tests").([]any)
	if len(tests) != 5 || path(t, tests[0], "vars", "city") != "Paris" {
		t.Errorf("tests = %v", tests)
	}
	if got := path(t, doc, "evaluateOptions", "repeat"); got != 2 {
		t.Errorf("evaluateOptions.repeat = %v", got)
	}
	if !strings.HasPrefix(out, "# promptfoo config") || !strings.Contains(out, "# Not exported: nothing") {
		t.Errorf("header:\n%s", out[:min(len(out), 400)])
	}
}

// oneCheck is a chat experiment with one check.
func oneCheck(check string) string {
	return `name: one
provider: sim
model: seed001.gpt-5.4
request:
  messages:
    - {role: user, content: "Hi"}
checks:
  - ` + check + "\n"
}

func TestPromptfooCheckKinds(t *testing.T) {
	cat := defaultCatalog(t)
	for _, tc := range []struct {
		name, check string
		typ         string // "" when not exported
		value       any    // the assertion's value, when not nil
		code        string // a part of a javascript assertion's code
		notExported string // a part of the Not exported note
	}{
		{name: "equals", check: `{type: equals, value: " Paris "}`, typ: "equals", value: "Paris"},
		{name: "contains one", check: `{type: contains, values: [Paris]}`, typ: "contains", value: "Paris"},
		{name: "contains all", check: `{type: contains, values: [a, b]}`, typ: "contains-all", value: []any{"a", "b"}},
		{name: "contains any", check: `{type: contains, values: [a, b], match: any}`, typ: "contains-any", value: []any{"a", "b"}},
		{name: "not contains", check: `{type: not-contains, values: [x]}`, typ: "not-contains", value: "x"},
		{name: "not contains any", check: `{type: not-contains, values: [x, y]}`, typ: "not-contains-any", value: []any{"x", "y"}},
		{name: "not contains all", check: `{type: not-contains, values: [x, y], match: all}`, typ: "not-contains-all", value: []any{"x", "y"}},
		{name: "regex", check: `{type: regex, pattern: "^[A-Z]\\w+"}`, typ: "regex", value: `^[A-Z]\w+`},
		{name: "regex RE2 only", check: `{type: regex, pattern: "(?i)paris"}`, notExported: "regex /(?i)paris/"},
		{name: "starts with", check: `{type: starts-with, value: "Yes"}`, typ: "starts-with", value: "Yes"},
		{name: "is json", check: `{type: is-json}`, typ: "is-json"},
		{name: "json schema", check: `{type: json-schema, schema: {type: object, required: [a]}}`, typ: "is-json", value: map[string]any{"type": "object", "required": []any{"a"}}},
		{name: "close to", check: `{type: close-to, pointer: /items/0/price, value: 12.5, tolerance: 0.1}`, typ: "javascript", code: `const want = 12.5, tolerance = 0.1;`},
		{name: "length", check: `{type: length, min: 2, max: 40}`, typ: "javascript", code: "n >= 2 && n <= 40"},
		{name: "max latency", check: `{type: max-latency, duration: 1.5s}`, typ: "latency"},
		{name: "max cost usd", check: `{type: max-cost, amount: 0.001, currency: usd}`, typ: "cost"},
		{name: "max cost credits", check: `{type: max-cost, amount: 2, currency: credits}`, notExported: "max-cost 2 credits"},
		{name: "finish reason", check: `{type: finish-reason, value: stop}`, typ: "finish-reason", value: "stop"},
		{name: "tool called", check: `{type: tool-called, tool: get_weather, arguments: {city: Paris}, match: subset}`, typ: "javascript", code: "const subset = true;"},
		{name: "judge", check: `{type: judge, rubric: "Names a city.", provider: sim, model: seed001.gpt-5.4}`, typ: "llm-rubric", value: "Names a city."},
		{name: "judge not in catalog", check: `{type: judge, rubric: "x", model: nobody}`, notExported: "judge /nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, doc := promptfooOf(t, cat, oneCheck(tc.check))
			asserts, _ := path(t, doc, "defaultTest").(map[string]any)
			if tc.typ == "" {
				if asserts != nil {
					t.Errorf("exported: %v", asserts)
				}
				header := out[:strings.Index(out, "\ndescription:")]
				if !strings.Contains(header, "# Not exported:\n#   - "+tc.notExported) {
					t.Errorf("the header does not list %q:\n%s", tc.notExported, header)
				}
				return
			}
			a := path(t, doc, "defaultTest", "assert", 0).(map[string]any)
			if a["type"] != tc.typ {
				t.Errorf("type = %v, want %s", a["type"], tc.typ)
			}
			if tc.value != nil {
				if got, _ := json.Marshal(a["value"]); string(got) != mustJSON(tc.value) {
					t.Errorf("value = %s, want %s", got, mustJSON(tc.value))
				}
			}
			if tc.code != "" {
				code, _ := a["value"].(string)
				if !strings.Contains(code, tc.code) {
					t.Errorf("code lacks %q:\n%s", tc.code, code)
				}
				// promptfoo renders an assertion's value with Nunjucks first.
				for _, tag := range []string{"{{", "{%", "{#"} {
					if strings.Contains(code, tag) {
						t.Errorf("the code holds %s, which Nunjucks would read:\n%s", tag, code)
					}
				}
			}
			if !strings.Contains(out, "# Not exported: nothing") {
				t.Errorf("the header lists something as not exported:\n%s", out)
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPromptfooThresholds(t *testing.T) {
	cat := defaultCatalog(t)
	_, doc := promptfooOf(t, cat, oneCheck(`{type: max-latency, duration: 1.5s}`))
	if got := path(t, doc, "defaultTest", "assert", 0, "threshold"); got != 1500 {
		t.Errorf("latency threshold = %v, want 1500", got)
	}
	_, doc = promptfooOf(t, cat, oneCheck(`{type: max-cost, amount: 0.0010, currency: USD, name: cheap}`))
	a := path(t, doc, "defaultTest", "assert", 0)
	if got := path(t, a, "threshold"); got != 0.001 {
		t.Errorf("cost threshold = %v, want 0.001", got)
	}
	if got := path(t, a, "metric"); got != "cheap" {
		t.Errorf("metric = %v, want the check's name", got)
	}
}

func TestPromptfooVariables(t *testing.T) {
	cat := defaultCatalog(t)
	src := `name: vars
provider: sim
model: seed001.gpt-5.4
request:
  messages:
    - role: user
      content: "About {{city}} ({{user.name}}, {{item-2}}): a {{\"{{\"}}literal, {% and {# stay text; {{\"{{\"}}{{city}}"
cases:
  - {city: "Paris \"the\" {{x}}", user.name: Ann, item-2: two, expected: Paris}
  - vars: {city: Lyon, user.name: Bo, item-2: three, expected: Lyon}
    checks:
      - {type: starts-with, value: "{{city}}"}
checks:
  - {type: contains, values: ["{{expected}}"]}
  - {type: is-json}
`
	out, doc := promptfooOf(t, cat, src)
	var msgs []map[string]string
	if err := json.Unmarshal([]byte(path(t, doc, "prompts", 0, "raw").(string)), &msgs); err != nil {
		t.Fatal(err)
	}
	want := `About {{ city }} ({{ user_name }}, {{ item_2 }}): a {{ "{" }}{literal, {{ "{" }}% and {{ "{" }}# stay text; {{ "{" }}{{ "{" }}{{ city }}`
	if msgs[0]["content"] != want {
		t.Errorf("content =\n%s\nwant\n%s", msgs[0]["content"], want)
	}
	vars0 := path(t, doc, "tests", 0, "vars").(map[string]any)
	if vars0["city"] != `Paris "the" {{x}}` || vars0["user_name"] != "Ann" || vars0["item_2"] != "two" || vars0["expected"] != "Paris" {
		t.Errorf("vars = %v", vars0)
	}
	if !strings.Contains(out, "item-2 is item_2") || !strings.Contains(out, "user.name is user_name") {
		t.Errorf("the header does not say what was renamed:\n%s", out)
	}
	// A check with variables is bound to each case; one without is for all.
	if got := path(t, doc, "defaultTest", "assert", 0, "type"); got != "is-json" {
		t.Errorf("defaultTest = %v", got)
	}
	if got := path(t, doc, "tests", 0, "assert", 0, "value"); got != "Paris" {
		t.Errorf("case 1 contains %v, want Paris", got)
	}
	if got := path(t, doc, "tests", 1, "assert", 1); path(t, got, "type") != "starts-with" || path(t, got, "value") != "Lyon" {
		t.Errorf("case 2's own check = %v", got)
	}
}

func TestPromptfooStyles(t *testing.T) {
	cat := defaultCatalog(t)
	for _, tc := range []struct{ name, model, request, id string }{
		{"responses", "openai.gpt-5-mini", `{input: "Hi {{who}}", instructions: Be brief., max_output_tokens: 50}`, "openai:responses:gpt-5-mini"},
		{"completions", "seed000.gpt-5.4-pro", `{prompt: "Hi {{who}}"}`, "openai:completion:gpt-5.4-pro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, doc := promptfooOf(t, cat, "provider: sim\nmodel: "+tc.model+"\nrequest: "+tc.request+"\ncases: [{who: Ann}]\n")
			if got := path(t, doc, "providers", 0, "id"); got != tc.id {
				t.Errorf("id = %v, want %s", got, tc.id)
			}
			if got := path(t, doc, "prompts", 0, "raw"); got != "Hi {{ who }}" {
				t.Errorf("raw = %v", got)
			}
			pass, _ := path(t, doc, "providers", 0, "config", "passthrough").(map[string]any)
			if _, ok := pass["input"]; ok {
				t.Error("the prompt is in the provider's config too")
			}
			if _, ok := pass["prompt"]; ok {
				t.Error("the prompt is in the provider's config too")
			}
		})
	}
}

func TestPromptfooMinPassRateAndCredits(t *testing.T) {
	cat := defaultCatalog(t)
	out, _ := promptfooOf(t, cat, oneCheck(`{type: max-cost, amount: 1, currency: CNY}`)+"min_pass_rate: 0.7\n")
	for _, want := range []string{"# Not exported:", "max-cost 1 CNY", "PROMPTFOO_PASS_RATE_THRESHOLD=70 "} {
		if !strings.Contains(out, want) {
			t.Errorf("the header lacks %q:\n%s", want, out)
		}
	}
}

func TestPromptfooNoSecret(t *testing.T) {
	const key, token, base = "sk-test-SECRET-key-123", "tok-SECRET-456", "https://secret-host.example/v1"
	t.Setenv("ACME_API_KEY", key)
	t.Setenv("ACME_TOKEN", token)
	t.Setenv("OPENAI_API_KEY", key)
	t.Setenv("SIMULATOR_API_KEY", key)
	t.Setenv("OPENAI_BASE_URL", base)
	cat := defaultCatalog(t)
	tmpl, ok := cat.Model("openai", "gpt-4o-mini")
	if !ok {
		t.Fatal("no openai/gpt-4o-mini in the default catalog")
	}
	m := *tmpl
	m.Provider, m.ID = "acme", "acme-1"
	cat = cat.With([]*catalog.Provider{{ID: "acme", Name: "Acme", BaseURL: "https://acme.example/v1", APIKeyEnv: "ACME_API_KEY",
		APIStyles: []catalog.Style{catalog.Chat}, Currency: "USD",
		Headers: []catalog.Header{{Name: "X-Token", Value: "Bearer ${ACME_TOKEN}", Secret: true}, {Name: "X-Title", Value: "Playground"}}}},
		[]*catalog.Model{&m})
	out, doc := promptfooOf(t, cat, `provider: acme
model: acme-1
request: {messages: [{role: user, content: Hi}]}
panes:
  - {}
  - {provider: openai, model: gpt-4o-mini}
checks:
  - {type: judge, rubric: ok, provider: acme, model: acme-1}
`)
	for _, secret := range []string{key, token, base} {
		if strings.Contains(out, secret) {
			t.Errorf("the config holds %q:\n%s", secret, out)
		}
	}
	if got := path(t, doc, "providers", 0, "config", "headers", "X-Token"); got != "Bearer {{ env.ACME_TOKEN }}" {
		t.Errorf("X-Token = %v, want the variable's name", got)
	}
	if got := path(t, doc, "providers", 0, "config", "apiKeyEnvar"); got != "ACME_API_KEY" {
		t.Errorf("apiKeyEnvar = %v", got)
	}
	if got := path(t, doc, "providers", 1, "config", "apiBaseUrl"); got != "https://api.openai.com/v1" {
		t.Errorf("openai apiBaseUrl = %v, want the catalog's (not the environment's)", got)
	}
}

// The example in docs/promptfoo.md is the export of
// docs/examples/experiment.yaml as it is.
func TestPromptfooDocExample(t *testing.T) {
	src, err := os.ReadFile("../../docs/examples/experiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := promptfooOf(t, defaultCatalog(t), string(src))
	doc, err := os.ReadFile("../../docs/promptfoo.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, _ := strings.Cut(string(doc), "## Example")
	_, example, _ = strings.Cut(example, "```yaml\n")
	example, _, _ = strings.Cut(example, "```")
	if example != out {
		t.Errorf("docs/promptfoo.md's example is not the export of docs/examples/experiment.yaml; it is now:\n%s", out)
	}
}

func TestPromptfooPaneWithItsOwnPrompt(t *testing.T) {
	out, _ := promptfooOf(t, defaultCatalog(t), `provider: sim
model: seed001.gpt-5.4
request: {messages: [{role: user, content: Hi}]}
panes:
  - {}
  - {params: {messages: [{role: user, content: Hello}]}}
`)
	if !strings.Contains(out, "pane 2's own messages") {
		t.Errorf("the header does not say pane 2's messages are not exported:\n%s", out)
	}
}

// A case's value reads back as the same string, whatever YAML makes of it.
func TestPromptfooValuesRoundTrip(t *testing.T) {
	values := []string{"42", "true", "null", "a: b", "- x", "line1\nline2 ", " lead", "#no comment", `"quoted"`}
	src := "provider: sim\nmodel: seed001.gpt-5.4\nrequest: {messages: [{role: user, content: \"{{n}}\"}]}\ncases:\n"
	for _, v := range values {
		src += "  - {n: " + mustJSON(v) + "}\n"
	}
	_, doc := promptfooOf(t, defaultCatalog(t), src)
	for i, want := range values {
		if got := path(t, doc, "tests", i, "vars", "n"); got != want {
			t.Errorf("case %d: %#v, want %#v", i+1, got, want)
		}
	}
}
