package checks

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/playground-dev/playground/web/problem"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		checks []Check
		want   string // "" is valid
	}{
		{"valid", []Check{{Type: Equals, Value: "x"}, {Type: IsJSON}, {Type: Length, Max: intp(3)}}, ""},
		{"no type", []Check{{}}, "checks[0].type: missing (one of equals, contains, not-contains, regex, starts-with, is-json, json-schema, close-to, length, max-latency, max-cost, finish-reason, tool-called, judge)"},
		{"unknown type", []Check{{Type: "similar"}}, `checks[0].type: "similar" is not a check (one of `},
		{"regex", []Check{{Type: IsJSON}, {Type: IsJSON}, {Type: Regex, Pattern: "(ab"}}, "checks[2].pattern: missing closing ): `(ab`"},
		{"a field of another kind", []Check{{Type: Equals, Value: "x", Pattern: "y"}}, "checks[0].pattern: not a field of equals (its fields: value)"},
		{"is-json has no fields", []Check{{Type: IsJSON, Value: "x"}}, "checks[0].value: not a field of is-json (its fields: none)"},
		{"missing value", []Check{{Type: Equals}}, "checks[0].value: missing"},
		{"empty value in a list", []Check{{Type: Contains, Values: []string{"a", ""}}}, "checks[0].values[1]: empty"},
		{"no values", []Check{{Type: NotContains}}, "checks[0].values: missing: list at least one text"},
		{"match", []Check{{Type: Contains, Values: []string{"a"}, Match: "most"}}, `checks[0].match: "most" is neither any nor all`},
		{"schema", []Check{{Type: JSONSchema, Schema: JSON(`{"type":"thing"}`)}}, "checks[0].schema: at /type: "},
		{"schema missing", []Check{{Type: JSONSchema}}, "checks[0].schema: missing"},
		{"pointer", []Check{{Type: CloseTo, Pointer: "a/b", Value: "1"}}, `checks[0].pointer: "a/b" does not start with / (a JSON Pointer such as /items/0/price)`},
		{"pointer tilde", []Check{{Type: CloseTo, Pointer: "/a~2", Value: "1"}}, `checks[0].pointer: "/a~2" has a ~ that is neither ~0 nor ~1`},
		{"close-to value", []Check{{Type: CloseTo, Value: "ten"}}, `checks[0].value: "ten" is not a number`},
		{"close-to value to bind", []Check{{Type: CloseTo, Value: "{{expected}}"}}, ""},
		{"tolerance", []Check{{Type: CloseTo, Value: "1", Tolerance: "-1"}}, `checks[0].tolerance: "-1" is not a number of 0 or more`},
		{"length none", []Check{{Type: Length}}, "checks[0].min: give min, max or both"},
		{"length order", []Check{{Type: Length, Min: intp(5), Max: intp(2)}}, "checks[0].max: 2 is less than min (5)"},
		{"duration", []Check{{Type: MaxLatency, Duration: "2"}}, `checks[0].duration: "2" is not a duration such as 1.5s or 800ms`},
		{"amount", []Check{{Type: MaxCost, Amount: "a dollar", Currency: "USD"}}, `checks[0].amount: "a dollar" is not an amount of 0 or more`},
		{"currency", []Check{{Type: MaxCost, Amount: "1"}}, "checks[0].currency: missing"},
		{"tool", []Check{{Type: ToolCalled, Match: Subset}}, "checks[0].tool: missing\nchecks[0].match: needs arguments to match"},
		{"arguments", []Check{{Type: ToolCalled, Tool: "f", Arguments: JSON(`{`)}}, "checks[0].arguments: not JSON"},
		{"judge", []Check{{Type: JudgeKind, Rubric: "polite"}}, "checks[0].model: missing"},
		{"several", []Check{{Type: Regex, Pattern: "["}, {Type: Equals}}, "checks[0].pattern: missing closing ]: `[`\nchecks[1].value: missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.checks)
			if c.want == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestValidateIsAProblem(t *testing.T) {
	p := problem.Of(Validate([]Check{{Type: Equals}, {Type: IsJSON}}))
	if p.Kind != problem.KindInvalid || p.Field != "checks[0].value" || p.Message != "checks[0].value: missing" {
		t.Fatalf("got %+v", p)
	}
}

func TestDecodeYAMLAndJSON(t *testing.T) {
	const doc = `
- type: contains
  values: [Paris, 42]
- type: close-to
  pointer: /price
  value: 12.30
  tolerance: 0.05
- type: max-cost
  amount: 0.0010
  currency: USD
- type: json-schema
  schema:
    type: object
    required: [age]
    properties:
      age: {type: integer, maximum: 1e3}
- type: tool-called
  tool: get_weather
  arguments: '{"city": "Paris"}'
  match: subset
- type: length
  min: 1
`
	var got []Check
	if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	if err := Validate(got); err != nil {
		t.Fatal(err)
	}
	if got[0].Values[1] != "42" || got[1].Value != "12.30" || got[1].Tolerance != "0.05" || got[2].Amount != "0.0010" {
		t.Fatalf("scalars not kept as written: %+v", got[:3])
	}
	if string(got[4].Arguments) != `{"city": "Paris"}` {
		t.Fatalf("arguments: %s", got[4].Arguments)
	}
	var schema map[string]any
	if err := json.Unmarshal(got[3].Schema, &schema); err != nil || schema["type"] != "object" {
		t.Fatalf("schema: %s %v", got[3].Schema, err)
	}

	// JSON, from the checks written as JSON, reads back the same checks.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back []Check
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range back {
		back[i].Schema, got[i].Schema = compactJSON(back[i].Schema), compactJSON(got[i].Schema)
		back[i].Arguments, got[i].Arguments = compactJSON(back[i].Arguments), compactJSON(got[i].Arguments)
	}
	if !reflect.DeepEqual(back, got) {
		t.Fatalf("JSON round trip:\n%+v\n%+v", back, got)
	}

	// YAML written from the checks reads back the same checks.
	y, err := yaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var again []Check
	if err := yaml.Unmarshal(y, &again); err != nil {
		t.Fatalf("%v in\n%s", err, y)
	}
	for i := range again {
		again[i].Schema, again[i].Arguments = compactJSON(again[i].Schema), compactJSON(again[i].Arguments)
	}
	if !reflect.DeepEqual(again, got) {
		t.Fatalf("YAML round trip:\n%s\n%+v\n%+v", y, again, got)
	}
	if strings.Contains(string(y), "{") {
		t.Fatalf("the schema is not written as block YAML:\n%s", y)
	}
}

func compactJSON(j JSON) JSON {
	if len(j) == 0 {
		return j
	}
	return JSON(compact(string(j)))
}

func TestJSONNumbersForStringFields(t *testing.T) {
	var c Check
	if err := json.Unmarshal([]byte(`{"type":"close-to","pointer":"/x","value":0.1,"tolerance":1e-3}`), &c); err != nil {
		t.Fatal(err)
	}
	var l Check
	if err := json.Unmarshal([]byte(`{"type":"contains","values":[42, true, "x"]}`), &l); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Values, []string{"42", "true", "x"}) {
		t.Fatalf("values: %q", l.Values)
	}
	if c.Value != "0.1" || c.Tolerance != "1e-3" {
		t.Fatalf("got %+v", c)
	}
}

func TestUnknownFieldsAreRefused(t *testing.T) {
	var c Check
	if err := json.Unmarshal([]byte(`{"type":"regex","patern":"x"}`), &c); err == nil || !strings.HasPrefix(err.Error(), `"patern" is not a field of a check`) {
		t.Fatalf("JSON: got %v", err)
	}
	var cs []Check
	err := yaml.Unmarshal([]byte("- type: regex\n  pattern: x\n- type: regex\n  patern: x\n"), &cs)
	if err == nil || !strings.Contains(err.Error(), `line 4: "patern" is not a field of a check`) {
		t.Fatalf("YAML: got %v", err)
	}
	if err := yaml.Unmarshal([]byte("- contains\n"), &cs); err == nil || !strings.Contains(err.Error(), "line 1: a check is a mapping") {
		t.Fatalf("YAML scalar: got %v", err)
	}
}

func TestBind(t *testing.T) {
	values := map[string]string{"expected": "Paris", "city.name": `Lyon "2"`, "n": "3"}
	c := Check{Type: ToolCalled, Value: "{{ expected }}", Values: []string{"{{expected}}, {{city.name}}", "{{missing}}"},
		Pattern: `^\Q{{n}}\E$`, Rubric: `{{"{{"}}expected}} is {{expected}}`, Tool: "get_{{n}}", Arguments: JSON(`{"city":"{{city.name}}","n":1}`)}
	b := c.Bind(values)
	want := Check{Type: ToolCalled, Value: "Paris", Values: []string{`Paris, Lyon "2"`, "{{missing}}"},
		Pattern: `^\Q3\E$`, Rubric: "{{expected}} is Paris", Tool: "get_3", Arguments: JSON(`{"city":"Lyon \"2\"","n":1}`)}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", b, want)
	}
	if c.Values[0] != "{{expected}}, {{city.name}}" {
		t.Fatal("Bind changed the check it was called on")
	}
	if got := c.Vars(); !reflect.DeepEqual(got, []string{"expected", "city.name", "missing", "n"}) {
		t.Fatalf("Vars: %v", got)
	}
	// Not variables: kept as written.
	for _, s := range []string{"{{", "{{}}", "{{a b}}", "}}{{x", "{{x", "{{{x}}}"} {
		if got := fill(s, map[string]string{"x": "X", "a b": "no"}); got != s {
			t.Errorf("fill(%q) = %q", s, got)
		}
	}
}

func TestString(t *testing.T) {
	cases := map[string]Check{
		"contains Paris, Rome": {Type: Contains, Values: []string{"Paris", "Rome"}},
		"capital":              {Type: Equals, Name: "capital", Value: "Paris"},
		"is-json":              {Type: IsJSON},
		"max-cost 0.01 USD":    {Type: MaxCost, Amount: "0.01", Currency: "USD"},
	}
	for want, c := range cases {
		if got := c.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// TestJSONAsYAML: a JSON value written as YAML reads back as the same
// JSON, however its strings look.
func TestJSONAsYAML(t *testing.T) {
	for _, j := range []string{
		`{"type":"object","properties":{"n":{"const":"123"},"m":{"maximum":1e400}}}`,
		`{"a":"yes","b":"é\n","123":1,"yes":2,"":3,"a: b":4,"#x":5,"null":"null","t":"true","f":"1.0","q":"'\"","s":" x ","d":"- a","z":[]}`,
		`[1,"2",null,true,{"k":[{}]}]`,
		`"just a string"`,
	} {
		y, err := yaml.Marshal(Check{Type: ToolCalled, Tool: "f", Arguments: JSON(j)})
		if err != nil {
			t.Fatal(err)
		}
		var back Check
		if err := yaml.Unmarshal(y, &back); err != nil {
			t.Fatalf("%v in\n%s", err, y)
		}
		if got := string(compactJSON(back.Arguments)); got != j {
			t.Errorf("got %s, want %s, from\n%s", got, j, y)
		}
	}
}

// TestDocumentedExampleIsValid: the checks docs/checks.md shows read and
// validate as they are written there.
func TestDocumentedExampleIsValid(t *testing.T) {
	b, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "```yaml\n")
	block, _, _ = strings.Cut(block, "```\n")
	if !ok || block == "" {
		t.Fatal("docs/checks.md has no yaml block")
	}
	var file struct {
		Checks []Check `yaml:"checks"`
	}
	if err := yaml.Unmarshal([]byte(block), &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Checks) != len(Kinds) {
		t.Fatalf("the example has %d checks, one of each of the %d kinds is wanted", len(file.Checks), len(Kinds))
	}
	for i, c := range file.Checks {
		if c.Type != Kinds[i] {
			t.Errorf("check %d is %s, want %s (the order of Kinds)", i, c.Type, Kinds[i])
		}
	}
	if err := Validate(file.Checks); err != nil {
		t.Fatal(err)
	}
}
