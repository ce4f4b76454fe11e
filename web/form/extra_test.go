package form_test

import (
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/request"
)

// extraFields is a small Chat form with the implied extra body field.
var extraFields = []catalog.Field{
	{Name: "messages", Type: catalog.TypeMessages, Transform: catalog.TransformMessages},
	{Name: "temperature", Type: catalog.TypeNumber},
	{Name: "effort", Label: "Reasoning effort", Type: catalog.TypeEnum, Enum: []string{"low", "high"}, Target: "reasoning.effort"},
	{Name: "stream", Type: catalog.TypeBoolean, Role: catalog.RoleStream},
	catalog.ExtraField,
}

// TestCheckExtra: the extra body field takes a JSON object whose keys no
// field of the form sends; what it cannot take is said beside it, and the
// text typed stays in the draft.
func TestCheckExtra(t *testing.T) {
	cases := map[string]struct {
		text, err string
		set       bool
	}{
		"an extension":       {text: `{"top_k": 40, "vendor": {"a": [1, null]}}`, set: true},
		"empty":              {text: ``},
		"an empty object":    {text: `{}`},
		"not an object":      {text: `[1, 2]`, err: "Must be a JSON object ({...})."},
		"not JSON":           {text: `{"top_k": }`, err: "Invalid JSON"},
		"a field's key":      {text: `{"top_k": 4, "temperature": 0.2}`, err: "temperature is a field of this form; set it there."},
		"a labelled field":   {text: `{"reasoning": {"summary": "auto"}}`, err: "reasoning is sent by this form's field Reasoning effort; set it there."},
		"a transform's key":  {text: `{"messages": []}`, err: "messages is a field of this form; set it there."},
		"the model":          {text: `{"model": "x"}`, err: "model is the model picker's"},
		"a null value":       {text: `{"top_k": null}`, err: "top_k is null, the API's default; leave it out."},
		"an empty key":       {text: `{"": 0}`, err: "A key must not be empty."},
		"a duplicate stream": {text: `{"stream": false}`, err: "stream is a field of this form; set it there."},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := form.Draft{catalog.ExtraFieldName: form.Text(tc.text)}
			vals, errs := form.Check(extraFields, d)
			if got := errs[catalog.ExtraFieldName]; !strings.HasPrefix(got, tc.err) || (tc.err == "") != (got == "") {
				t.Fatalf("error %q, want %q", got, tc.err)
			}
			if _, set := vals[catalog.ExtraFieldName]; set != tc.set {
				t.Errorf("set %v, want %v", set, tc.set)
			}
			if d.Text(catalog.ExtraFieldName) != tc.text {
				t.Errorf("the draft's text changed: %q", d.Text(catalog.ExtraFieldName))
			}
		})
	}
}

// TestCheckExtraWithoutStreamField: a form without a stream field still
// refuses "stream" (the playground reads the answer as it asked for it).
func TestCheckExtraWithoutStreamField(t *testing.T) {
	_, errs := form.Check([]catalog.Field{catalog.ExtraField}, form.Draft{catalog.ExtraFieldName: form.Text(`{"stream": true}`)})
	if got, want := errs[catalog.ExtraFieldName], "stream is the playground's to send; leave it out."; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestKeep: of what no field reads, the whole top-level parameters go
// into the extra field in the body's order; parts of objects and keys a
// field sends cannot be kept.
func TestKeep(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"hi","name":"ann"}],"top_k":40,"reasoning":{"effort":"high","summary":"auto"},
		"vendor":{"a": [1, "</script>"]},"temperature":"hot","n":null,"min_p":0.05}`
	d, unread, errs, err := form.FromBody(extraFields, catalog.Chat, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if errs["temperature"] == "" {
		t.Errorf("a string temperature is no error: %v", errs)
	}
	kept, dropped := form.Keep(extraFields, d, unread)
	paths := func(us []form.Unread) string {
		var ps []string
		for _, u := range us {
			ps = append(ps, u.Path)
		}
		return strings.Join(ps, ",")
	}
	if got, want := paths(kept), "top_k,vendor,min_p"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	if got, want := paths(dropped), "messages[0].name,reasoning.summary"; got != want {
		t.Errorf("dropped %s, want %s", got, want)
	}
	if got, want := d.Text(catalog.ExtraFieldName), `{"top_k":40,"vendor":{"a":[1,"</script>"]},"min_p":0.05}`; got != want {
		t.Errorf("extra field %s, want %s", got, want)
	}
	if _, errs := form.Check(extraFields, d); errs[catalog.ExtraFieldName] != "" {
		t.Errorf("the kept fields do not check: %s", errs[catalog.ExtraFieldName])
	}

	// Without an extra field, nothing is kept.
	d, unread, _, _ = form.FromBody(extraFields[:2], catalog.Chat, []byte(`{"messages":[],"top_k":1}`))
	if kept, dropped := form.Keep(extraFields[:2], d, unread); len(kept) != 0 || len(dropped) != 1 || d.Has(catalog.ExtraFieldName) {
		t.Errorf("kept %v, dropped %v without an extra field", kept, dropped)
	}
}

// FuzzExtraField: any text in the extra body field checks without a
// panic; a value that checks is sent after the form's fields, and the
// body imported again keeps the same object.
func FuzzExtraField(f *testing.F) {
	for _, s := range []string{`{"top_k": 40}`, `{"a":{"b":[1,null]},"c":"</script>"}`, `{"temperature":1}`, `{"x":null}`, `[1]`, `{}`, `{"a":1,"a":2}`} {
		f.Add(s)
	}
	m := &catalog.Model{ID: "m", Style: catalog.Chat, Schema: catalog.SchemaRef{Fields: extraFields[:4]}}
	p := &catalog.Provider{ID: "p"}
	f.Fuzz(func(t *testing.T, text string) {
		d := form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "hi"}), catalog.ExtraFieldName: form.Text(text)}
		vals, errs := form.Check(m.Fields(), d)
		if _, set := vals[catalog.ExtraFieldName]; !set || errs[catalog.ExtraFieldName] != "" {
			return
		}
		req, err := request.Build(p, m, vals, "https://x")
		if err != nil {
			t.Fatalf("a checked extra field does not build: %v", err)
		}
		d2, unread, _, err := form.FromBody(m.Fields(), m.Style, req.Body)
		if err != nil {
			t.Fatal(err)
		}
		if _, dropped := form.Keep(m.Fields(), d2, unread); len(dropped) > 0 {
			t.Fatalf("dropped %v of %s", dropped, req.Body)
		}
		vals2, _ := form.Check(m.Fields(), d2)
		req2, _ := request.Build(p, m, vals2, "https://x")
		if req2 == nil || string(req2.Body) != string(req.Body) {
			t.Fatalf("imported again, the body differs:\n%s", req.Body)
		}
	})
}
