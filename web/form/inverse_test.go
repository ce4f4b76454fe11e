package form_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/request"
)

// TestFromBodyKinds: each field type's value back to its input, as the
// kind holds it (a number as written, a whole number written as 1e3 as
// 1000, a stop string as a list of one, JSON compacted), and what cannot
// be read said beside the field.
func TestFromBodyKinds(t *testing.T) {
	fields := []catalog.Field{
		{Name: "temperature", Type: catalog.TypeNumber},
		{Name: "max_tokens", Type: catalog.TypeInteger},
		{Name: "echo", Type: catalog.TypeBoolean},
		{Name: "effort", Type: catalog.TypeEnum, Enum: []string{"low", "high"}, Target: "reasoning.effort"},
		{Name: "stop", Type: catalog.TypeStringList},
		{Name: "user", Type: catalog.TypeString},
		{Name: "logit_bias", Type: catalog.TypeJSON, JSONKind: "logit_bias"},
		{Name: "include_usage", Type: catalog.TypeBoolean, Initial: true, Target: "stream_options.include_usage", OnlyWith: "stream"},
		{Name: "stream", Type: catalog.TypeBoolean, Initial: true, Role: catalog.RoleStream},
		{Name: "prompt", Type: catalog.TypeText, Transform: catalog.TransformPrompt, MaxItems: 4},
	}
	cases := []struct {
		name   string
		body   string
		want   form.Draft
		errs   form.Errors
		unread []string
	}{
		{name: "values", body: `{"model":"m","temperature":0.70,"max_tokens":1e3,"echo":true,"reasoning":{"effort":"high","summary":"auto"},
			"stop":"END","user":"u","logit_bias":{ "50256" : -100 },"stream":true,"stream_options":{"include_usage":false},"prompt":["a","b"],"top_k":4}`,
			want: form.Draft{"temperature": form.Text("0.70"), "max_tokens": form.Text("1000"), "echo": form.Text("true"), "effort": form.Text("high"),
				"stop": form.List("END"), "user": form.Text("u"), "logit_bias": form.Text(`{"50256":-100}`), "stream": form.Text("true"),
				"include_usage": form.Text("false"), "prompt": form.List("a", "b")},
			unread: []string{"reasoning.summary", "top_k"}},
		// No stream: the switch that starts on is off (so nothing more is
		// sent), and include_usage, sent only with it, keeps its start.
		{name: "absent", body: `{"prompt":"one","stop":["x","y"]}`,
			want: form.Draft{"stream": form.Text("false"), "prompt": form.List("one"), "stop": form.List("x", "y")}},
		{name: "wrong types", body: `{"temperature":"hot","echo":1,"user":3,"stop":[1],"prompt":"p","stream":false}`,
			want: form.Draft{"prompt": form.List("p"), "stream": form.Text("false")},
			errs: form.Errors{"temperature": "Must be a number.", "echo": "Must be true or false.", "user": "Must be a string.", "stop": "Must be a string or an array of strings."}},
		{name: "nulls", body: `{"temperature":null,"seed":null,"prompt":"p","stream":false}`,
			want: form.Draft{"prompt": form.List("p"), "stream": form.Text("false")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, unread, errs, err := form.FromBody(fields, catalog.Completions, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if !d.Equal(c.want) {
				t.Errorf("draft\n got %v\nwant %v", d, c.want)
			}
			if len(errs) > 0 || len(c.errs) > 0 {
				if !reflect.DeepEqual(errs, c.errs) {
					t.Errorf("errors %v, want %v", errs, c.errs)
				}
			}
			checkUnread(t, unread, c.unread)
		})
	}
}

func checkUnread(t *testing.T, unread []form.Unread, want []string) {
	t.Helper()
	var paths []string
	for _, u := range unread {
		paths = append(paths, u.Path)
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("unread %v, want %v", paths, want)
	}
}

func TestFromBodyRefusesNonObjects(t *testing.T) {
	for _, b := range []string{``, `[]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, _, _, err := form.FromBody(nil, catalog.Chat, []byte(b)); err == nil {
			t.Errorf("%q read as a body", b)
		}
	}
}

// TestFromBodyTransforms: the reshaped parts of bodies written by others
// (the OpenAI documentation's shapes) back to rows.
func TestFromBodyTransforms(t *testing.T) {
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	chat, _ := c.Model("openai", "gpt-4o-mini")
	resp, _ := c.Model("openai", "gpt-5-mini")
	cases := []struct {
		name   string
		m      *catalog.Model
		body   string
		want   form.Draft // the fields compared
		unread []string
	}{
		{name: "chat vision", m: chat, body: `{"messages":[{"role":"developer","content":"Be kind."},{"role":"user","content":[{"type":"text","text":"What is in this image?"},
			{"type":"image_url","image_url":{"url":"https://example.com/a.jpg","detail":"low"}}]}],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}},{"type":"custom","custom":{}}],
			"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			want: form.Draft{
				"messages":    form.Messages(form.MessageRow{Role: "developer", Content: "Be kind."}, form.MessageRow{Role: "user", Content: "What is in this image?"}),
				"image_urls":  {Shape: form.ShapeImages, Images: []form.ImageRow{{URL: "https://example.com/a.jpg", Detail: "low"}}},
				"tools":       {Shape: form.ShapeFunctions, Functions: []form.FunctionRow{{Name: "f", Description: "d", Parameters: `{"type":"object"}`}}},
				"tool_choice": form.Text("f"),
			},
			unread: []string{"tools[0].function.strict", "tools[1]"}},
		{name: "chat tool turn", m: chat, body: `{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}],"refusal":null},
			{"role":"tool","tool_call_id":"c1","content":"sunny","name":"w"}]}`,
			want: form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "Weather?"},
				form.MessageRow{Role: "assistant", ToolCalls: `[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]`},
				form.MessageRow{Role: "tool", ToolCallID: "c1", Content: "sunny"})},
			unread: []string{"messages[2].name"}},
		{name: "responses items", m: resp, body: `{"instructions":"Short.","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Look"},{"type":"input_image","image_url":"https://example.com/b.png","detail":"high"}]},
			{"type":"reasoning","id":"rs_1","summary":[]},{"type":"function_call","call_id":"c1","name":"w","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"sunny"},
			{"type":"web_search_call","id":"ws"}],"tools":[{"type":"function","name":"w","parameters":{"type":"object","properties":{}},"strict":false},{"type":"web_search_preview"}],
			"tool_choice":{"type":"function","name":"w"},"text":{"format":{"type":"json_schema","name":"a","schema":{"type":"object"},"strict":true},"verbosity":"low"},"reasoning":{"effort":"low"}}`,
			want: form.Draft{
				"system_prompt": form.Text("Short."),
				"messages": form.Messages(form.MessageRow{Role: "user", Content: "Look"},
					form.MessageRow{Role: "assistant", ToolCalls: `[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]`, Reasoning: `[{"type":"reasoning","id":"rs_1","summary":[]}]`},
					form.MessageRow{Role: "tool", ToolCallID: "c1", Content: "sunny"}),
				"image_urls":       {Shape: form.ShapeImages, Images: []form.ImageRow{{URL: "https://example.com/b.png"}}},
				"image_detail":     form.Text("high"),
				"tools":            {Shape: form.ShapeFunctions, Functions: []form.FunctionRow{{Name: "w"}}},
				"tool_choice":      form.Text("w"),
				"response_format":  form.Text("json_schema"),
				"json_schema":      form.Text(`{"name":"a","schema":{"type":"object"},"strict":true}`),
				"verbosity":        form.Text("low"),
				"reasoning_effort": form.Text("low"),
			},
			unread: []string{"input[4]", "tools[1]"}},
		// Reasoning the form would not send back (no call follows it, or no
		// id) is listed, and so is what reasoningItems leaves out.
		{name: "responses reasoning alone", m: resp, body: `{"input":[{"role":"user","content":"Hi"},{"type":"reasoning","id":"rs_1","summary":[],"status":"done"},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello"}]},{"type":"reasoning","summary":[]},{"role":"user","content":"Bye"}]}`,
			want: form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "Hi"}, form.MessageRow{Role: "assistant", Content: "Hello"},
				form.MessageRow{Role: "user", Content: "Bye"})},
			unread: []string{"input[1].status", "input[3]", "input[1]"}},
		{name: "responses string", m: resp, body: `{"input":"Tell me a story."}`,
			want: form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "Tell me a story."}), "stream": form.Text("false")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, unread, errs, err := form.FromBody(c.m.Fields(), c.m.Style, []byte(c.body))
			if err != nil || len(errs) > 0 {
				t.Fatal(err, errs)
			}
			for k, in := range c.want {
				if !(form.Draft{k: d[k]}).Equal(form.Draft{k: in}) {
					g, _ := json.Marshal(d[k])
					w, _ := json.Marshal(in)
					t.Errorf("%s\n got %s\nwant %s", k, g, w)
				}
			}
			checkUnread(t, unread, c.unread)
		})
	}
}

// FuzzFromBody: any body imports without a panic into every default
// model's form, and what imports re-exports to a fixed point: imported
// again it is the same draft and the same bytes, and each plain field
// (one placed at its path as it is) sends the JSON value the body had.
func FuzzFromBody(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"stop":"x","stream":true,"stream_options":{"include_usage":true}}`,
		`{"input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"https://e.x/i.png"}]}],"reasoning":{"effort":"high"}}`,
		`{"prompt":["a","b"],"max_tokens":16,"logit_bias":{"1":2}}`,
		`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"}`,
		`{"text":{"format":{"type":"json_schema","name":"n","schema":{}}},"tools":[{"type":"function","name":"f","strict":true}]}`,
		`{"messages":[],"top_k":40,"vendor":{"a":[1,null]},"temperature":1,"extra_body":{"x":"</script>"},"n":null}`,
	} {
		f.Add([]byte(s))
	}
	c, err := catalog.Default()
	if err != nil {
		f.Fatal(err)
	}
	p, _ := c.Provider("openai")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, m := range c.Models {
			d, unread, read, err := form.FromBody(m.Fields(), m.Style, body)
			if err != nil {
				continue
			}
			form.Keep(m.Fields(), d, unread)
			vals, _ := form.Check(m.Fields(), d)
			req, err := request.Build(p, m, vals, "https://x")
			if err != nil {
				t.Fatalf("%s: %v", m.Key(), err)
			}
			d2, unread, errs, err := form.FromBody(m.Fields(), m.Style, req.Body)
			_, dropped := form.Keep(m.Fields(), d2, unread)
			if err != nil || len(dropped) > 0 || len(errs) > 0 {
				t.Fatalf("%s: the export does not import: %v %v %v\n%s", m.Key(), err, dropped, errs, req.Body)
			}
			vals2, _ := form.Check(m.Fields(), d2)
			req2, _ := request.Build(p, m, vals2, "https://x")
			if !bytes.Equal(req.Body, req2.Body) {
				t.Fatalf("%s: exported twice differs:\n%s\n%s", m.Key(), req.Body, req2.Body)
			}
			samePlainValues(t, m, read, body, req.Body)
		}
	})
}

// samePlainValues: each field without a transform that was read (has no
// error) sends the value the body had at its path (as a JSON value; a
// stop string is a list of one).
func samePlainValues(t *testing.T, m *catalog.Model, errs form.Errors, in, out []byte) {
	var a, b any
	_ = json.Unmarshal(in, &a)
	_ = json.Unmarshal(out, &b)
	for _, f := range m.Fields() {
		if f.Transform != "" || f.Role == catalog.RoleExtra || errs[f.Name] != "" {
			continue
		}
		got, sent := at(b, f.BodyPath())
		if !sent {
			continue
		}
		want, _ := at(a, f.BodyPath())
		if s, ok := want.(string); ok && f.Type == catalog.TypeStringList {
			want = []any{s}
		}
		if f.Type == catalog.TypeNumber || f.Type == catalog.TypeInteger {
			want, got = num(want), num(got)
		}
		if want != nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s sent as %v, the body had %v", m.Key(), f.Name, got, want)
		}
	}
}

func num(v any) any {
	if x, ok := v.(float64); ok {
		return float64(float32(x)) // 1e3 and 1000, 0.70 and 0.7
	}
	return v
}

func at(v any, path string) (any, bool) {
	for _, k := range bytes.Split([]byte(path), []byte(".")) {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = o[string(k)]; !ok {
			return nil, false
		}
	}
	return v, true
}
