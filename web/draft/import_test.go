package draft

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/curlimport"
	formpkg "github.com/playground-dev/playground/web/form"
)

// hostile is a text that must survive the shell, JSON and the import.
const hostile = "It's \"quoted\", $HOME, `tick`, back\\slash,\nnew line, 😀, </script>"

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
				if len(imp.Unread) > 0 {
					t.Errorf("unread: %s", imp.UnreadNote())
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
