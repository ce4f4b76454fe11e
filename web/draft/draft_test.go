package draft

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cost"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/tokens"
)

func newService(tb testing.TB, env map[string]string) *Service {
	tb.Helper()
	c, err := catalog.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return &Service{Catalog: c, Getenv: func(k string) string { return env[k] }, Tokens: &tokens.Counter{}}
}

func TestFreshDraftIsValid(t *testing.T) {
	s := newService(t, nil)
	for _, m := range s.Catalog.Models {
		r := s.Prepare(Input{Provider: m.Provider, Model: m.ID})
		if len(r.Errors) > 0 {
			t.Errorf("%s: fresh form has errors %v", m.Key(), r.Errors)
		}
		if r.Curl == "" || !strings.Contains(r.Curl, StarterPrompt) {
			t.Errorf("%s: curl lacks the starter prompt:\n%s", m.Key(), r.Curl)
		}
		if r.Estimate.PromptTokens == 0 {
			t.Errorf("%s: no prompt tokens counted", m.Key())
		}
	}
}

func TestDefaultProviderPrefersConfiguredKey(t *testing.T) {
	s := newService(t, map[string]string{"EVOLINK_API_KEY": "k"})
	if p := s.DefaultProvider(); p.ID != "evolink" {
		t.Errorf("default provider %s, want evolink", p.ID)
	}
	// A key without a base URL does not make a provider usable.
	s = newService(t, map[string]string{"CHATGW_API_KEY": "k"})
	if p := s.DefaultProvider(); p.ID == "chatgw" {
		t.Error("chatgw chosen without CHATGW_BASE_URL")
	}
}

func TestSwitchKeepsSharedValues(t *testing.T) {
	s := newService(t, nil)
	submitted := url.Values{
		"messages.role": {"user"}, "messages.content": {"Keep me"},
		"temperature": {"1.3"}, "top_k": {"12"}, "stream": {"false"},
	}
	// evolink chat -> chatgw chat: messages, temperature and stream carry over; top_k has no home.
	r := s.Prepare(Input{Provider: "chatgw", Model: "gpt-5.4", PrevProvider: "evolink", PrevModel: "gpt-5.4", Form: formpkg.Decode(submitted)})
	if got := r.Form.Values().Get("temperature"); got != "1.3" {
		t.Errorf("temperature = %q, want 1.3", got)
	}
	if got := r.Form.Values().Get("messages.content"); got != "Keep me" {
		t.Errorf("messages = %q", got)
	}
	if got := r.Form.Values().Get("stream"); got != "false" {
		t.Errorf("stream = %q", got)
	}
	if _, ok := r.Form.Values()["top_k"]; ok {
		t.Error("top_k carried to a model without it")
	}
	if strings.Contains(string(r.Request.Body), "top_k") {
		t.Error("top_k sent to a model without it")
	}
	// chat -> responses: reasoning_effort "low" is not in medium/high/xhigh, so it resets.
	r = s.Prepare(Input{Provider: "respgw", Model: "gpt-5.4-pro", PrevProvider: "chatgw", PrevModel: "gpt-5.4",
		Form: formpkg.Decode(url.Values{"reasoning_effort": {"low"}, "stream": {"false"}})})
	if got := r.Form.Values().Get("reasoning_effort"); got != "" {
		t.Errorf("reasoning_effort = %q, want reset", got)
	}
	if len(r.Errors) > 0 {
		t.Errorf("errors after switch: %v", r.Errors)
	}
	// response_format is JSON for chat but an enum for responses: not carried.
	r = s.Prepare(Input{Provider: "respgw", Model: "gpt-5.4-pro", PrevProvider: "chatgw", PrevModel: "gpt-5.4",
		Form: formpkg.Decode(url.Values{"response_format": {`{"type":"json_object"}`}})})
	if got := r.Form.Values().Get("response_format"); got != "" {
		t.Errorf("response_format = %q, want reset", got)
	}
}

func TestUnknownModelFallsBack(t *testing.T) {
	s := newService(t, nil)
	r := s.Prepare(Input{Provider: "nope", Model: "nope"})
	if r.Provider == nil || r.Model == nil {
		t.Fatal("no fallback")
	}
	r = s.Prepare(Input{Provider: "chatgw", Model: "gpt-5.4-pro"})
	if r.Model.Provider != "chatgw" {
		t.Errorf("model %s", r.Model.Key())
	}
}

func TestErrorsBlockTheRequest(t *testing.T) {
	s := newService(t, nil)
	r := s.Prepare(Input{Provider: "evolink", Model: "gpt-5.4", Form: formpkg.Decode(url.Values{
		"messages.role": {"user"}, "messages.content": {"x"}, "temperature": {"3"}})})
	if r.Errors["temperature"] != "Must be between 0 and 2." {
		t.Errorf("errors %v", r.Errors)
	}
	if r.Request != nil || r.Curl != "" {
		t.Error("a request was built while an error stands")
	}
}

func TestEstimate(t *testing.T) {
	s := newService(t, nil)
	tok := &tokens.Counter{}
	// Seed 000: CNY, credits; max_tokens default 4096 caps the output.
	r := s.Prepare(Input{Provider: "apimodels", Model: "gpt-5.4-pro", Form: formpkg.Decode(url.Values{"prompt": {"Hello world"}, "stream": {"true"}})})
	e := r.Estimate
	if e.PromptTokens != tok.Count("Hello world") {
		t.Errorf("prompt tokens %d", e.PromptTokens)
	}
	if e.MaxOutputTokens != 4096 || e.OutputCapFrom != "max_tokens default" {
		t.Errorf("cap %d from %q", e.MaxOutputTokens, e.OutputCapFrom)
	}
	wantMax := cost.Compute(r.Provider, r.Model, cost.Usage{Input: e.PromptTokens, Output: 4096})
	if cost.Format(e.Max.Total, "CNY") != cost.Format(wantMax.Total, "CNY") || !strings.HasPrefix(cost.Format(e.Max.Total, "CNY"), "¥5.898") {
		t.Errorf("max = %s", cost.Format(e.Max.Total, "CNY"))
	}
	if cr := e.Max.Credits(e.Max.Total); cr == nil || !strings.HasPrefix(cost.FormatCredits(cr), "58.98") {
		t.Errorf("credits %v", cr)
	}
	// n and a prompt array multiply the cap.
	r = s.Prepare(Input{Provider: "apimodels", Model: "gpt-5.4-pro", Form: formpkg.Decode(url.Values{"prompt": {"a", "b"}, "n": {"3"}, "max_tokens": {"10"}})})
	if r.Estimate.MaxOutputTokens != 60 {
		t.Errorf("cap %d, want 60", r.Estimate.MaxOutputTokens)
	}
	// Seed 003: no price; the model's output limit caps the output.
	r = s.Prepare(Input{Provider: "respgw", Model: "gpt-5.4-pro"})
	if r.Estimate.Input.Known || r.Estimate.MaxOutputTokens != 128000 {
		t.Errorf("respgw estimate %+v", r.Estimate)
	}
	// Images add image tokens by detail.
	r = s.Prepare(Input{Provider: "evolink", Model: "gpt-5.4", Form: formpkg.Decode(url.Values{
		"messages.role": {"user"}, "messages.content": {"x"},
		"image_urls.url": {"https://a.test/1.png", "https://a.test/2.png"}, "image_urls.detail": {"low", "high"}})})
	if r.Estimate.ImageTokens != tokens.ImageLow+tokens.ImageHigh {
		t.Errorf("image tokens %d", r.Estimate.ImageTokens)
	}
}

// TestEstimateCountsDefinitions: tool definitions and a response-format
// schema are prompt tokens, counted from the body as sent, and priced.
func TestEstimateCountsDefinitions(t *testing.T) {
	s := newService(t, nil)
	tok := &tokens.Counter{}
	params := `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`
	schema := `{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}`
	msg := func(extra url.Values) url.Values {
		out := url.Values{"messages.role": {"user"}, "messages.content": {"Weather?"}}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	var decoded = func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, model string
		form        url.Values
		want        int // the tokens the definitions add
	}{
		{"chat tools", "seed002.gpt-5.4", msg(url.Values{"tools.name": {"get_weather"}, "tools.description": {"Weather of a city"}, "tools.parameters": {params}}),
			tokens.PerTool + tok.Count("get_weather") + tok.Count("Weather of a city") + tok.Count(canonical(t, params))},
		{"responses tool without parameters", "openai.gpt-5-mini", msg(url.Values{"tools.name": {"now"}}),
			// Responses requires parameters: the body carries an empty object schema.
			tok.Tools(decoded(`[{"type":"function","name":"now","parameters":{"type":"object","properties":{}}}]`))},
		{"chat response_format", "openai.gpt-4o-mini", msg(url.Values{"response_format": {`{"type":"json_schema","json_schema":{"name":"reply","schema":` + schema + `}}`}}),
			tok.Count("reply") + tok.Count(canonical(t, schema))},
		{"chat json_object counts nothing", "openai.gpt-4o-mini", msg(url.Values{"response_format": {`{"type":"json_object"}`}}), 0},
		{"responses json_schema", "openai.gpt-5-mini", msg(url.Values{"response_format": {"json_schema"}, "json_schema": {`{"name":"reply","schema":` + schema + `}`}}),
			tok.Count("reply") + tok.Count(canonical(t, schema))},
		{"responses schema not sent without its format", "openai.gpt-5-mini", msg(url.Values{"response_format": {"text"}, "json_schema": {`{"name":"reply","schema":` + schema + `}`}}), 0},
	} {
		with := s.Prepare(Input{Provider: "sim", Model: tc.model, Form: formpkg.Decode(tc.form)})
		bare := s.Prepare(Input{Provider: "sim", Model: tc.model, Form: formpkg.Decode(msg(nil))})
		if len(with.Errors) > 0 {
			t.Errorf("%s: %v", tc.name, with.Errors)
			continue
		}
		if got := with.Estimate.PromptTokens - bare.Estimate.PromptTokens; got != tc.want || (tc.want > 0 && got == 0) {
			t.Errorf("%s: definitions add %d tokens, want %d", tc.name, got, tc.want)
		}
		if in := cost.Compute(with.Provider, with.Model, cost.Usage{Input: with.Estimate.PromptTokens}); cost.Format(in.Total, "USD") != cost.Format(with.Estimate.Input.Total, "USD") {
			t.Errorf("%s: the input cost leaves the definitions out", tc.name)
		}
	}
}

// canonical is s compact with sorted keys, as tokens counts a definition.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// BenchmarkPrepare measures what every keystroke's preview does: check the
// form against the schema, build the request, render its curl and price
// the estimate (a chat model with a conversation and tools).
func BenchmarkPrepare(b *testing.B) {
	s := newService(b, nil)
	form := url.Values{
		"messages.role":    {"system", "user", "assistant", "user"},
		"messages.content": {"Be brief.", "Explain the theory of relativity in one paragraph.", "It says motion is relative.", "More, with an example."},
		"temperature":      {"0.7"}, "max_completion_tokens": {"512"}, "stream": {"false", "true"},
		"tools.name": {"get_weather"}, "tools.description": {"Weather"},
		"tools.parameters": {`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`},
	}
	b.ReportAllocs()
	for b.Loop() {
		r := s.Prepare(Input{Provider: "sim", Model: "seed002.gpt-5.4", Form: formpkg.Decode(form)})
		if r.Request == nil {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkPrepareOneMessage is the form cmd/loadbench sends with every
// run: one user message, streaming on.
func BenchmarkPrepareOneMessage(b *testing.B) {
	s := newService(b, nil)
	form := url.Values{"messages.role": {"user"}, "messages.content": {"[[events:200]] go"}, "stream": {"false", "true"}}
	b.ReportAllocs()
	for b.Loop() {
		r := s.Prepare(Input{Provider: "sim", Model: "seed001.gpt-5.4", Form: formpkg.Decode(form)})
		if r.Request == nil {
			b.Fatal(r.Errors)
		}
	}
}

// TestCheckboxStateIsOneValue: a checkbox posts "false" then, when checked,
// "true"; the draft keeps the state alone, so the page, the compare view
// and the history all read one value.
func TestCheckboxStateIsOneValue(t *testing.T) {
	s := newService(t, nil)
	r := s.Prepare(Input{Provider: "sim", Model: "seed002.gpt-5.4", Form: formpkg.Decode(url.Values{
		"messages.role": {"user"}, "messages.content": {"hi"}, "stream": {"false", "true"}, "include_usage": {"false"}})})
	if got := r.Form.Values()["stream"]; len(got) != 1 || got[0] != "true" {
		t.Errorf("stream %q", got)
	}
	if got := r.Form.Values()["include_usage"]; len(got) != 1 || got[0] != "false" {
		t.Errorf("include_usage %q", got)
	}
}

// TestEstimateSpokenAnswer: with a spoken answer asked for, the most a
// run can cost prices its output at the audio price when that is dearer.
func TestEstimateSpokenAnswer(t *testing.T) {
	doc := `{"providers": [{"id": "au", "name": "Au", "base_url": "https://au.example/v1", "api_key_env": "AU_API_KEY",
		"api_styles": ["chat"], "currency": "USD"}],
		"models": [{"id": "m", "provider": "au", "api_style": "chat",
			"price": {"input": 1, "output": 2, "audio_output": 80},
			"form_schema": [{"name": "messages", "type": "messages", "transform": "messages", "required": true},
				{"name": "max_tokens", "type": "integer", "min": 1, "role": "max_output"},
				{"name": "modalities", "type": "string_list", "enum": ["text", "audio"]},
				{"name": "audio", "type": "json", "json_kind": "audio", "required_with": "modalities=audio"}]}]}`
	s := headerService(t, doc, map[string]string{"AU_API_KEY": "k"})
	base := url.Values{"messages.role": {"user"}, "messages.content": {"Say hi"}, "max_tokens": {"1000"}}
	text := s.Prepare(Input{Provider: "au", Model: "m", Form: formpkg.Decode(base)})
	spokenForm := url.Values{"modalities": {"text", "audio"}, "audio": {`{"voice":"alloy","format":"wav"}`}}
	for k, v := range base {
		spokenForm[k] = v
	}
	spoken := s.Prepare(Input{Provider: "au", Model: "m", Form: formpkg.Decode(spokenForm)})
	if len(text.Errors)+len(spoken.Errors) > 0 {
		t.Fatal(text.Errors, spoken.Errors)
	}
	wantText := cost.Compute(text.Provider, text.Model, cost.Usage{Input: text.Estimate.PromptTokens, Output: 1000})
	wantSpoken := cost.Compute(spoken.Provider, spoken.Model, cost.Usage{Input: spoken.Estimate.PromptTokens, Output: 1000, AudioOutput: 1000})
	if text.Estimate.Max.Total.Cmp(wantText.Total) != 0 {
		t.Errorf("text answer at most %s, want %s", text.Estimate.Max.Total, wantText.Total)
	}
	if spoken.Estimate.Max.Total.Cmp(wantSpoken.Total) != 0 || spoken.Estimate.Max.Total.Cmp(text.Estimate.Max.Total) <= 0 {
		t.Errorf("spoken answer at most %s, want %s (text: %s)", spoken.Estimate.Max.Total, wantSpoken.Total, text.Estimate.Max.Total)
	}
}
