package structured

import (
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

const personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"],"additionalProperties":false}`

func TestFromRequest(t *testing.T) {
	for _, tc := range []struct {
		style      catalog.Style
		body, mode string
		name       string
	}{
		{catalog.Chat, `{"response_format":{"type":"json_schema","json_schema":{"name":"person","schema":` + personSchema + `}}}`, JSONSchema, "person"},
		{catalog.Chat, `{"response_format":{"type":"json_object"}}`, JSONObject, ""},
		{catalog.Chat, `{"response_format":{"type":"text"}}`, "", ""},
		{catalog.Chat, `{"messages":[]}`, "", ""},
		{catalog.Responses, `{"text":{"format":{"type":"json_schema","name":"person","schema":` + personSchema + `,"strict":true}}}`, JSONSchema, "person"},
		{catalog.Responses, `{"text":{"format":{"type":"json_object"}}}`, JSONObject, ""},
		{catalog.Completions, `{"response_format":{"type":"json_object"}}`, "", ""},
		{catalog.Chat, `not json`, "", ""},
	} {
		e := FromRequest(tc.style, []byte(tc.body))
		if e.Mode != tc.mode || e.Name != tc.name || (tc.mode == JSONSchema && string(e.Schema) != personSchema) {
			t.Errorf("%s %s: %+v", tc.style, tc.body, e)
		}
	}
}

func TestCheck(t *testing.T) {
	schema := Expect{Mode: JSONSchema, Name: "person", Schema: []byte(personSchema)}
	for _, tc := range []struct {
		name  string
		e     Expect
		text  string
		valid bool
		paths string
	}{
		{"valid", schema, `{"name":"Ada","age":36,"tags":["x"]}`, true, ""},
		{"valid with spaces", schema, "\n {\"name\":\"Ada\",\"age\":36}\n", true, ""},
		{"wrong types", schema, `{"name":7,"age":-1,"tags":[1,"a"]}`, false, "/age,/name,/tags/0"},
		{"missing and extra", schema, `{"name":"Ada","extra":true}`, false, ""},
		{"not JSON", schema, `Sure! Here it is: {"name"`, false, ""},
		{"json_object ok", Expect{Mode: JSONObject}, `{"a":1}`, true, ""},
		{"json_object array", Expect{Mode: JSONObject}, `[1]`, false, ""},
		{"bad schema", Expect{Mode: JSONSchema, Schema: []byte(`{"type":"nope"}`)}, `{}`, false, ""},
		{"no remote refs", Expect{Mode: JSONSchema, Schema: []byte(`{"$ref":"http://127.0.0.1:1/x.json"}`)}, `{}`, false, ""},
	} {
		r := Check(tc.e, tc.text)
		if r.Valid != tc.valid {
			t.Errorf("%s: valid %v, failures %+v", tc.name, r.Valid, r.Failures)
			continue
		}
		if !tc.valid && len(r.Failures) == 0 {
			t.Errorf("%s: invalid without a failure", tc.name)
		}
		if tc.paths != "" {
			var ps []string
			for _, f := range r.Failures {
				ps = append(ps, f.Path)
			}
			if got := strings.Join(ps, ","); got != tc.paths {
				t.Errorf("%s: paths %s, want %s (%+v)", tc.name, got, tc.paths, r.Failures)
			}
		}
	}
}

// FuzzCheck: any request body and answer are read without panic, and a
// failed check always says where.
func FuzzCheck(f *testing.F) {
	f.Add(`{"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":`+personSchema+`}}}`, `{"name":"a","age":1}`)
	f.Add(`{"text":{"format":{"type":"json_object"}}}`, `[]`)
	f.Add(`{"text":{"format":{"type":"json_schema","name":"b","schema":`+bomb(24)+`}}}`, `{}`)
	f.Add(`{"text":{"format":{"type":"json_schema","name":"r","schema":{"allOf":[{"properties":{"a":{"$ref":"#"}}},{"properties":{"a":{"$ref":"#"}}}]}}}}`, `{"a":{"a":{"a":{}}}}`)
	f.Fuzz(func(t *testing.T, body, answer string) {
		for _, style := range []catalog.Style{catalog.Chat, catalog.Responses} {
			e := FromRequest(style, []byte(body))
			if e.Mode == "" {
				continue
			}
			r := Check(e, answer)
			if !r.Valid && len(r.Failures) == 0 {
				t.Fatalf("invalid without failures: %q %q", body, answer)
			}
		}
	})
}
