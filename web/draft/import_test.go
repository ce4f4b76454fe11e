package draft

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/curlimport"
	formpkg "github.com/playground-dev/playground/web/form"
)

// hostile is a text that must survive the shell, JSON and the import.
const hostile = "It's \"quoted\", $HOME, `tick`, back\\slash,\nnew line, 😀, </script>"

// jsonHostile is hostile written inside a JSON string.
var jsonHostile = func() string {
	b, _ := json.Marshal(hostile)
	return string(b[1 : len(b)-1])
}()

const (
	weatherParams = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`
	answerSchema  = `{"name":"answer","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},"strict":true}`
	weatherCall   = `[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`
)

// typicalDraft is what a person usually writes: a system prompt and a
// question, a temperature, an output cap, streaming.
func typicalDraft(m *catalog.Model) formpkg.Draft {
	d := formpkg.Draft{}
	capped := false
	for _, f := range m.Fields() {
		switch {
		case f.Type == catalog.TypeMessages:
			var rows []formpkg.MessageRow
			if hasRole(f, "system") && m.Style == catalog.Chat {
				rows = append(rows, formpkg.MessageRow{Role: "system", Content: "Be brief."})
			}
			d[f.Name] = formpkg.Messages(append(rows, formpkg.MessageRow{Role: "user", Content: hostile})...)
		case f.Transform == catalog.TransformPrompt:
			d[f.Name] = formpkg.List(hostile)
		case f.Target == "instructions":
			d[f.Name] = formpkg.Text("Be brief.")
		case f.Name == "temperature":
			d[f.Name] = formpkg.Text("0.7")
		case f.Role == catalog.RoleMaxOutput && !capped:
			d[f.Name], capped = formpkg.Text("256"), true
		case f.Role == catalog.RoleStream:
			d[f.Name] = formpkg.Text("true")
		}
	}
	return d
}

// fullDraft sets every parameter of m at once: a conversation with a
// tool call and its result, images, tools, response formats, extensions.
// A value the form refuses together with the others (a field that
// conflicts with one set before it) is left out; t logs which.
func fullDraft(t *testing.T, m *catalog.Model) formpkg.Draft {
	d := formpkg.Draft{}
	hasTools := false
	for _, f := range m.Fields() {
		hasTools = hasTools || f.Transform == catalog.TransformTools
	}
	for _, f := range m.Fields() {
		if conflicts(f, d) {
			continue
		}
		if in, ok := fullInput(m, f, hasTools); ok {
			d[f.Name] = in
		}
	}
	for range 5 {
		_, errs := formpkg.Check(m.Fields(), d)
		if len(errs) == 0 {
			break
		}
		for name, msg := range errs {
			t.Logf("%s: left out %s: %s", m.Key(), name, msg)
			delete(d, name)
		}
	}
	return d
}

func conflicts(f catalog.Field, d formpkg.Draft) bool {
	for _, o := range f.ConflictsWith {
		if d.Has(o) {
			return true
		}
	}
	return false
}

func hasRole(f catalog.Field, role string) bool {
	return len(f.Roles) == 0 && role != "tool" || strings.Contains(","+strings.Join(f.Roles, ",")+",", ","+role+",")
}

func fullInput(m *catalog.Model, f catalog.Field, hasTools bool) (formpkg.Input, bool) {
	switch f.Type {
	case catalog.TypeMessages:
		var rows []formpkg.MessageRow
		if hasRole(f, "system") {
			rows = append(rows, formpkg.MessageRow{Role: "system", Content: "Be brief."})
		}
		rows = append(rows, formpkg.MessageRow{Role: "user", Content: "What is the weather in Paris?"})
		if hasRole(f, "tool") && hasTools {
			reasoning := ""
			switch {
			case m.Style == catalog.Responses:
				reasoning = `[{"type":"reasoning","id":"rs_1","summary":[]}]`
			case m.CarryReasoning:
				reasoning = "The person wants the weather."
			}
			rows = append(rows,
				formpkg.MessageRow{Role: "assistant", ToolCalls: weatherCall, Reasoning: reasoning},
				formpkg.MessageRow{Role: "tool", ToolCallID: "call_1", Content: `{"sky":"clear"}`},
				formpkg.MessageRow{Role: "assistant", Content: "Clear."})
		}
		rows = append(rows, formpkg.MessageRow{Role: "user", Content: hostile})
		return formpkg.Messages(rows...), true
	case catalog.TypeImageURLs:
		rows := []formpkg.ImageRow{{URL: "https://example.com/a.png"}, {URL: "https://example.com/b.jpg"}}
		if f.Detail {
			rows[0].Detail, rows[1].Detail = "high", "low"
		}
		return formpkg.Input{Shape: formpkg.ShapeImages, Images: rows}, true
	case catalog.TypeFunctions:
		return formpkg.Input{Shape: formpkg.ShapeFunctions, Functions: []formpkg.FunctionRow{
			{Name: "get_weather", Description: "The weather in a city.", Parameters: weatherParams},
			{Name: "now"},
		}}, true
	case catalog.TypeEnum:
		if f.Transform == catalog.TransformTextFormat && strings.Contains(strings.Join(f.Enum, ","), "json_schema") {
			return formpkg.Text("json_schema"), true
		}
		return formpkg.Text(f.Enum[len(f.Enum)-1]), true
	case catalog.TypeNumber:
		v := 0.5
		if f.Max != nil && v > *f.Max {
			v = *f.Max
		}
		if f.Min != nil && v < *f.Min {
			v = *f.Min
		}
		return formpkg.Text(strconv.FormatFloat(v, 'f', -1, 64)), true
	case catalog.TypeInteger:
		v := 3.0
		if f.Role == catalog.RoleMaxOutput {
			v = 256
		}
		if f.Max != nil && v > *f.Max {
			v = *f.Max
		}
		if f.Min != nil && v < *f.Min {
			v = *f.Min
		}
		return formpkg.Text(strconv.Itoa(int(v))), true
	case catalog.TypeBoolean:
		if f.Initial != nil {
			return formpkg.Text("true"), true
		}
		def, _ := f.Default.(bool)
		return formpkg.Text(strconv.FormatBool(!def)), true
	case catalog.TypeStringList:
		if len(f.Enum) > 0 {
			return formpkg.List(f.Enum...), true
		}
		return formpkg.List("END", "STOP"), true
	case catalog.TypeJSON:
		switch f.JSONKind {
		case "logit_bias":
			return formpkg.Text(`{"50256":-100}`), true
		case "response_format":
			return formpkg.Text(`{"type":"json_schema","json_schema":` + answerSchema + `}`), true
		case "json_schema":
			return formpkg.Text(answerSchema), true
		case "audio":
			return formpkg.Text(`{"voice":"alloy","format":"wav"}`), true
		case "array":
			return formpkg.Text(`[1,2]`), true
		}
		if f.Role == catalog.RoleExtra { // a provider extension no field sets
			return formpkg.Text(`{"top_k_extra":3,"vendor":{"note":"` + jsonHostile + `","on":[true,null]}}`), true
		}
		return formpkg.Text(`{"a":1}`), true
	case catalog.TypeString:
		if f.Transform == catalog.TransformToolChoice {
			return formpkg.Text("get_weather"), true
		}
		return formpkg.Text("imported-" + f.Name), true
	case catalog.TypeText:
		if f.Transform == catalog.TransformPrompt {
			return formpkg.List(hostile, "Bonjour"), true
		}
		return formpkg.Text("Be brief. " + hostile), true
	}
	return formpkg.Input{}, false
}

// TestImportRoundTrip: for every default-catalog model, a draft with
// typical values and one with every parameter set, exported as curl,
// read back by curlimport and imported, is the same draft, and exported
// again the same bytes.
func TestImportRoundTrip(t *testing.T) {
	s := newService(t, nil)
	for _, m := range s.Catalog.Models {
		for name, d := range map[string]formpkg.Draft{"typical": typicalDraft(m), "full": fullDraft(t, m)} {
			t.Run(m.Key()+"/"+name, func(t *testing.T) {
				r := s.Prepare(Input{Provider: m.Provider, Model: m.ID, Form: d})
				if len(r.Errors) > 0 || r.Request == nil {
					t.Fatalf("the draft has errors: %v", r.Errors)
				}
				parsed, err := curlimport.Parse(curl.Render(r.Request))
				if err != nil {
					t.Fatal(err)
				}
				imp := s.Import(Paste{Curl: parsed})
				for _, p := range imp.Problems {
					t.Errorf("problem (%s): %s", p.Field, p.Message)
				}
				if len(imp.Dropped) > 0 {
					t.Errorf("dropped: %s", imp.KeptNote())
				}
				if name == "full" && !r.Form.Has(catalog.ExtraFieldName) {
					t.Errorf("the full draft has no extra body fields")
				}
				if want := r.Form.Has(catalog.ExtraFieldName); len(imp.Kept) > 0 != want {
					t.Errorf("kept %v as extra body fields, want some: %v", imp.Kept, want)
				}
				if imp.Model != m {
					t.Fatalf("imported as %v, want %s", imp.Model, m.Key())
				}
				if !imp.Form.Equal(r.Form) {
					for k, in := range r.Form {
						if got := imp.Form[k]; !(formpkg.Draft{k: got}).Equal(formpkg.Draft{k: in}) {
							g, _ := json.Marshal(got)
							w, _ := json.Marshal(in)
							t.Errorf("%s differs:\n got %s\nwant %s", k, g, w)
						}
					}
					for k := range imp.Form {
						if !r.Form.Has(k) {
							t.Errorf("%s imported, not in the draft", k)
						}
					}
				}
				if imp.Curl != r.Curl {
					t.Errorf("exported again differs:\n got %s\nwant %s", imp.Curl, r.Curl)
				}
				if imp.KeyIgnored || imp.KeyVar != r.Request.KeyEnv {
					t.Errorf("key: ignored %v, variable %q, want %q", imp.KeyIgnored, imp.KeyVar, r.Request.KeyEnv)
				}
			})
		}
	}
}

func mustParse(t *testing.T, cmd string) *curlimport.Request {
	t.Helper()
	r, err := curlimport.Parse(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The OpenAI API reference's examples, as they are printed there.
const (
	openAIChatCurl = `curl https://api.openai.com/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OPENAI_API_KEY" \
  -d '{
    "model": "gpt-4o-mini",
    "messages": [
      {
        "role": "developer",
        "content": "You are a helpful assistant."
      },
      {
        "role": "user",
        "content": [
          {
            "type": "text",
            "text": "What is in this image?"
          },
          {
            "type": "image_url",
            "image_url": {
              "url": "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"
            }
          }
        ]
      }
    ],
    "tools": [
      {
        "type": "function",
        "function": {
          "name": "get_current_weather",
          "description": "Get the current weather in a given location",
          "parameters": {
            "type": "object",
            "properties": {
              "location": {
                "type": "string",
                "description": "The city and state, e.g. San Francisco, CA"
              },
              "unit": {
                "type": "string",
                "enum": ["celsius", "fahrenheit"]
              }
            },
            "required": ["location"]
          }
        }
      }
    ],
    "tool_choice": "auto",
    "max_tokens": 300
  }'`
	openAIResponsesCurl = `curl https://api.openai.com/v1/responses \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OPENAI_API_KEY" \
  -d '{
    "model": "gpt-5-mini",
    "input": [
      {
        "role": "user",
        "content": [
          {"type": "input_text", "text": "what is in this image?"},
          {
            "type": "input_image",
            "image_url": "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"
          }
        ]
      }
    ],
    "reasoning": {"effort": "low"},
    "tools": [{"type": "web_search_preview"}]
  }'`
)

func TestImportOpenAIDocs(t *testing.T) {
	s := newService(t, nil)
	imp := s.Import(Paste{Curl: mustParse(t, openAIChatCurl)})
	if imp.Model == nil || imp.Model.Key() != "openai/gpt-4o-mini" || imp.Style != catalog.Chat || len(imp.Problems) > 0 || len(imp.Unread) > 0 {
		t.Fatalf("chat: model %v, style %s, problems %v, unread %v", imp.Model, imp.Style, imp.Problems, imp.Unread)
	}
	rows := imp.Form.MessageRows("messages")
	if len(rows) != 2 || rows[0].Role != "developer" || rows[1].Content != "What is in this image?" {
		t.Errorf("messages %+v", rows)
	}
	if im := imp.Form.ImageRows("image_urls"); len(im) != 1 || !strings.HasSuffix(im[0].URL, "boardwalk.jpg") {
		t.Errorf("images %+v", im)
	}
	if fn := imp.Form.FunctionRows("tools"); len(fn) != 1 || fn[0].Name != "get_current_weather" || !strings.Contains(fn[0].Parameters, `"required":["location"]`) {
		t.Errorf("tools %+v", fn)
	}
	if imp.Form.Text("tool_choice") != "auto" || imp.Form.Text("max_tokens") != "300" || imp.Form.Text("stream") != "false" {
		t.Errorf("tool_choice %q, max_tokens %q, stream %q", imp.Form.Text("tool_choice"), imp.Form.Text("max_tokens"), imp.Form.Text("stream"))
	}
	if imp.Request == nil || imp.KeyVar != "OPENAI_API_KEY" || imp.KeyIgnored {
		t.Errorf("request %v, key variable %q, ignored %v", imp.Request, imp.KeyVar, imp.KeyIgnored)
	}

	imp = s.Import(Paste{Curl: mustParse(t, openAIResponsesCurl)})
	if imp.Model == nil || imp.Model.Key() != "openai/gpt-5-mini" || imp.Style != catalog.Responses {
		t.Fatalf("responses: model %v, style %s", imp.Model, imp.Style)
	}
	if rows := imp.Form.MessageRows("messages"); len(rows) != 1 || rows[0].Content != "what is in this image?" {
		t.Errorf("messages %+v", rows)
	}
	if imp.Form.Text("reasoning_effort") != "low" || len(imp.Form.ImageRows("image_urls")) != 1 {
		t.Errorf("reasoning_effort %q, images %+v", imp.Form.Text("reasoning_effort"), imp.Form.ImageRows("image_urls"))
	}
	if note := imp.UnreadNote(); note != `Not in this model's form: tools[0] {"type":"web_search_preview"}.` {
		t.Errorf("unread note %q", note)
	}
}

func TestImportRawBody(t *testing.T) {
	s := newService(t, nil)
	// The current provider stays; the shape says Responses, so the model
	// is the provider's Responses model the body names.
	imp := s.Import(Paste{Body: []byte(`{"model":"gpt-5-mini","input":"Hi","max_output_tokens":99}`), Provider: "openai", Model: "gpt-4o-mini"})
	if imp.Model == nil || imp.Model.Key() != "openai/gpt-5-mini" || imp.Form.Text("max_output_tokens") != "99" || len(imp.Problems) > 0 {
		t.Fatalf("model %v, max_output_tokens %q, problems %v", imp.Model, imp.Form.Text("max_output_tokens"), imp.Problems)
	}
	// A body naming no model keeps the current one.
	imp = s.Import(Paste{Body: []byte(`{"messages":[{"role":"user","content":"Hi"}]}`), Provider: "chatgw", Model: "gpt-5.4-mini"})
	if imp.Model == nil || imp.Model.Key() != "chatgw/gpt-5.4-mini" || len(imp.Problems) != 1 || imp.Problems[0].Field != "model" {
		t.Fatalf("model %v, problems %v", imp.Model, imp.Problems)
	}
	imp = s.Import(Paste{Body: []byte(`{"model":"x"}`), Provider: "openai"})
	if imp.Model != nil || len(imp.Problems) != 1 {
		t.Fatalf("a body of no style: model %v, problems %v", imp.Model, imp.Problems)
	}
	imp = s.Import(Paste{Body: []byte(`{"messages": [`), Provider: "openai"})
	if imp.Model != nil || len(imp.Problems) != 1 {
		t.Fatalf("broken JSON: model %v, problems %v", imp.Model, imp.Problems)
	}
}

func TestImportProblems(t *testing.T) {
	s := newService(t, map[string]string{"OPENAI_BASE_URL": "https://proxy.example/v1/"})
	secret := "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
	cmd := `curl -sS https://PROXY.example/v1/chat/completions -H 'Authorization: Bearer ` + secret + `' -H 'X-Trace: 1' --json '{"model":"gpt-9","messages":[{"role":"user","content":"Hi"}],"temperature":9,"top_k":40,"stream_options":{"include_usage":true,"extra":1}}'`
	imp := s.Import(Paste{Curl: mustParse(t, cmd)})
	if imp.Provider == nil || imp.Provider.ID != "openai" {
		t.Fatalf("the base URL override did not find openai: %v", imp.Provider)
	}
	if !imp.KeyIgnored || imp.KeyEnv != "OPENAI_API_KEY" || !strings.Contains(imp.KeyNote(), "$OPENAI_API_KEY") {
		t.Errorf("key: ignored %v, variable %q, note %q", imp.KeyIgnored, imp.KeyEnv, imp.KeyNote())
	}
	fields := map[string]string{}
	for _, p := range imp.Problems {
		fields[p.Field] = p.Message
	}
	if !strings.Contains(fields["model"], `"gpt-9"`) || !strings.Contains(fields["temperature"], "between") {
		t.Errorf("problems %v", fields)
	}
	if note := imp.UnreadNote(); note != `Not in this model's form: top_k 40, stream_options.extra 1.` {
		t.Errorf("unread %q", note)
	}
	if len(imp.Headers) != 1 || imp.Headers[0] != "X-Trace" {
		t.Errorf("headers %v", imp.Headers)
	}
	if dump := fmt.Sprintf("%+v", imp); strings.Contains(dump, secret) || strings.Contains(dump, "abcdefghij") {
		t.Error("the written key is in the import")
	}

	imp = s.Import(Paste{Curl: mustParse(t, `curl https://llm.example.com/api/v1/responses -d '{"model":"m","input":"x"}'`)})
	if imp.Model != nil || imp.NewProvider == nil || imp.NewProvider.BaseURL != "https://llm.example.com/api/v1" || imp.NewProvider.Style != catalog.Responses || imp.NewProvider.Model != "m" {
		t.Errorf("an unknown base URL: model %v, offer %+v", imp.Model, imp.NewProvider)
	}
	imp = s.Import(Paste{Curl: mustParse(t, `curl https://api.openai.com/v1/embeddings -d '{"model":"m","input":"x"}'`)})
	if imp.Model != nil || len(imp.Problems) != 1 || imp.Problems[0].Field != "" {
		t.Errorf("an unknown API path: %v", imp.Problems)
	}
}

// TestImportOwnProvider: a provider the session added is found by its
// base URL, its models by their ids.
func TestImportOwnProvider(t *testing.T) {
	base := newService(t, nil)
	acct := account.Account{Providers: []account.Provider{{ID: "my-1", Name: "Mine", BaseURL: "https://mine.example/v1", Styles: []catalog.Style{catalog.Chat}}}}
	cat := account.Catalog(base.Catalog, acct, func(account.Provider) ([]string, error) { return []string{"llama-3"}, nil })
	s := base.With(cat, nil)
	imp := s.Import(Paste{Curl: mustParse(t, `curl https://mine.example/v1/chat/completions -H "Authorization: Bearer $MY_MINE_API_KEY" -d '{"model":"llama-3","messages":[{"role":"user","content":"Hi"}],"stream":true}'`)})
	if imp.Provider == nil || imp.Provider.ID != "my-1" || imp.Model == nil || imp.Model.ID != "llama-3" || len(imp.Problems) > 0 {
		t.Fatalf("provider %v, model %v, problems %v", imp.Provider, imp.Model, imp.Problems)
	}
	if imp.Form.Text("stream") != "true" {
		t.Errorf("stream %q", imp.Form.Text("stream"))
	}
}

// TestImportKeepsOrDropsExtras: by default the parameters the model's
// form does not have are kept as extra body fields (a whole top-level
// one; a part of an object is dropped) and the body built from the draft
// has them; with Drop none are.
func TestImportKeepsOrDropsExtras(t *testing.T) {
	s := newService(t, nil)
	cmd := `curl https://api.openai.com/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"top_k":40,"stream_options":{"include_usage":true,"extra":1},"min_p":0.05}'`
	imp := s.Import(Paste{Curl: mustParse(t, cmd)})
	if imp.Model == nil || len(imp.Problems) > 0 {
		t.Fatalf("model %v, problems %v", imp.Model, imp.Problems)
	}
	if got, want := imp.Form.Text(catalog.ExtraFieldName), `{"top_k":40,"min_p":0.05}`; got != want {
		t.Errorf("extra body fields %s, want %s", got, want)
	}
	if got, want := imp.KeptNote(), "Kept as extra body fields (Advanced parameters): top_k, min_p. Dropped, as only a whole top-level parameter can be an extra body field: stream_options.extra."; got != want {
		t.Errorf("note %q\nwant %q", got, want)
	}
	if !imp.Choice() || imp.Request == nil || !strings.HasSuffix(string(imp.Request.Body), "\"top_k\": 40,\n  \"min_p\": 0.05\n}") {
		t.Errorf("choice %v; the body lacks the extras:\n%s", imp.Choice(), imp.Request.Body)
	}

	imp = s.Import(Paste{Curl: mustParse(t, cmd), Drop: true})
	if imp.Form.Has(catalog.ExtraFieldName) || strings.Contains(string(imp.Request.Body), "top_k") {
		t.Errorf("dropped, yet kept: %s", imp.Request.Body)
	}
	if got, want := imp.KeptNote(), "Dropped: top_k, stream_options.extra, min_p."; got != want || !imp.Choice() {
		t.Errorf("note %q, want %q (choice %v)", got, want, imp.Choice())
	}
}
