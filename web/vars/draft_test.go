package vars

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
)

func model(t *testing.T, provider, id string) []catalog.Field {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := c.Model(provider, id)
	if !ok {
		t.Fatalf("no model %s/%s", provider, id)
	}
	return m.Fields()
}

// A Responses model: instructions, input messages, images, and fields
// that are not templated (tools, a JSON schema, ids).
func responsesDraft() form.Draft {
	return form.Draft{
		"system_prompt": form.Text("You answer in {{ tone }}."),
		"messages": form.Messages(
			form.MessageRow{Role: "user", Content: "Weather in {{city}}?", ToolCalls: `[{"x":"{{no}}"}]`, Reasoning: "{{no}}"},
			form.MessageRow{Role: "assistant", Content: "In {{city}} on {{date}}?"},
		),
		"image_urls":           {Shape: form.ShapeImages, Images: []form.ImageRow{{URL: "https://img.example/{{city}}.png", Detail: "low"}}},
		"tools":                {Shape: form.ShapeFunctions, Functions: []form.FunctionRow{{Name: "get", Description: "{{no}}", Parameters: `{"type":"object"}`}}},
		"json_schema":          form.Text(`{"name":"{{no}}","schema":{}}`),
		"previous_response_id": form.Text("{{no}}"),
		"tool_choice":          form.Text("{{no}}"),
		"temperature":          form.Text("{{no}}"),
	}
}

func TestOfDraft(t *testing.T) {
	tests := map[string]struct {
		fields []catalog.Field
		d      form.Draft
		want   []string
	}{
		"responses": {model(t, "openai", "gpt-5-mini"), responsesDraft(), []string{"tone", "city", "date"}},
		"completions, several prompts and a suffix": {model(t, "openai", "gpt-3.5-turbo-instruct"), form.Draft{
			"prompt": form.List("Translate {{word}}", "Define {{word}} in {{lang}}"),
			"suffix": form.Text("{{end}}"),
			"stop":   form.List("{{no}}"),
		}, []string{"word", "lang", "end"}},
		"chat with user and metadata strings": {model(t, "openai", "gpt-4o-mini"), form.Draft{
			"messages":        form.Messages(form.MessageRow{Role: "system", Content: "Be {{mood}}"}, form.MessageRow{Role: "user", Content: "{{q}}"}),
			"user":            form.Text("{{no}}"),
			"response_format": form.Text(`{"type":"{{no}}"}`),
			"logit_bias":      form.Text(`{"{{no}}":1}`),
		}, []string{"mood", "q"}},
		"a draft with no variables":             {model(t, "openai", "gpt-4o-mini"), form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "Hi " + Literal})}, nil},
		"an input of another shape is not read": {model(t, "openai", "gpt-4o-mini"), form.Draft{"messages": form.Text("{{no}}")}, nil},
		"an input no field names is not read":   {model(t, "openai", "gpt-4o-mini"), form.Draft{"other": form.Text("{{no}}")}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := OfDraft(tc.fields, tc.d)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("OfDraft = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestFillDraft(t *testing.T) {
	fields := model(t, "openai", "gpt-5-mini")
	d := responsesDraft()
	before := d.Clone()
	got, err := FillDraft(fields, d, map[string]string{"tone": "haiku", "city": "{{Oslo}}", "date": "", "unused": "x"})
	if err != nil {
		t.Fatalf("FillDraft: %v", err)
	}
	if !reflect.DeepEqual(d, before) {
		t.Fatal("FillDraft changed the draft it was given")
	}
	want := responsesDraft()
	want["system_prompt"] = form.Text("You answer in haiku.")
	want["messages"] = form.Messages(
		form.MessageRow{Role: "user", Content: "Weather in {{Oslo}}?", ToolCalls: `[{"x":"{{no}}"}]`, Reasoning: "{{no}}"},
		form.MessageRow{Role: "assistant", Content: "In {{Oslo}} on ?"},
	)
	want["image_urls"] = form.Input{Shape: form.ShapeImages, Images: []form.ImageRow{{URL: "https://img.example/{{Oslo}}.png", Detail: "low"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FillDraft =\n%#v\nwant\n%#v", got, want)
	}

	prompts := model(t, "openai", "gpt-3.5-turbo-instruct")
	got, err = FillDraft(prompts, form.Draft{"prompt": form.List("a {{x}}", "b {{x}}")}, map[string]string{"x": "1"})
	if err != nil || !slices.Equal(got.List("prompt"), []string{"a 1", "b 1"}) {
		t.Fatalf("FillDraft of a prompt list = %q, %v", got.List("prompt"), err)
	}
}

func TestDraftErrors(t *testing.T) {
	tests := map[string]struct {
		fields []catalog.Field
		d      form.Draft
		values map[string]string
		err    string
		field  string
	}{
		"system prompt": {model(t, "openai", "gpt-5-mini"), form.Draft{"system_prompt": form.Text("Be {{tone")}, nil,
			"Instructions: unclosed {{ at 3", "system_prompt"},
		"a message row": {model(t, "openai", "gpt-4o-mini"), form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "ok"}, form.MessageRow{Role: "user", Content: "{{first name}}"})}, nil,
			`Messages, row 2: bad variable name "first name" at 0`, "messages"},
		"an image URL": {model(t, "openai", "gpt-4o-mini"), form.Draft{"image_urls": {Shape: form.ShapeImages, Images: []form.ImageRow{{URL: "https://x/{{{id}}}"}}}}, nil,
			`Image URLs, row 1: bad variable name "{id" at 10`, "image_urls"},
		"second prompt": {model(t, "openai", "gpt-3.5-turbo-instruct"), form.Draft{"prompt": form.List("{{a}}", "{{b")}, nil,
			"Prompt, row 2: unclosed {{ at 0", "prompt"},
		"missing values, all named": {model(t, "openai", "gpt-5-mini"), responsesDraft(), map[string]string{"city": "Oslo"},
			"no value for {{tone}}, {{date}}", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := FillDraft(tc.fields, tc.d, tc.values)
			if err == nil || err.Error() != tc.err {
				t.Fatalf("FillDraft error = %v, want %q", err, tc.err)
			}
			if p := problem.Of(err); p.Kind != problem.KindInvalid || p.Field != tc.field {
				t.Fatalf("problem = %+v, want field %q", p, tc.field)
			}
			var se *SyntaxError
			if errors.As(err, &se) {
				if _, err2 := OfDraft(tc.fields, tc.d); err2 == nil || err2.Error() != tc.err {
					t.Fatalf("OfDraft error = %v, want %q", err2, tc.err)
				}
			}
		})
	}
}

// Every field of every catalog model is templated or not by its type
// alone (and, for one-line strings, its role): JSON and function rows
// never are.
func TestTemplatedFields(t *testing.T) {
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bool]int{}
	for _, m := range c.Models {
		for _, f := range m.Fields() {
			got := Templated(f)
			seen[got]++
			switch f.Type {
			case catalog.TypeJSON, catalog.TypeFunctions, catalog.TypeNumber, catalog.TypeInteger, catalog.TypeBoolean, catalog.TypeEnum, catalog.TypeStringList:
				if got {
					t.Errorf("%s %s (%s) is templated", m.Key(), f.Name, f.Type)
				}
			case catalog.TypeMessages, catalog.TypeImageURLs, catalog.TypeText:
				if !got {
					t.Errorf("%s %s (%s) is not templated", m.Key(), f.Name, f.Type)
				}
			}
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Fatalf("templated %d, not %d: is the catalog read?", seen[true], seen[false])
	}
}
