package checks

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

func intp(n int) *int { return &n }

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// TestEvaluateEachKind holds, per kind, answers that pass and answers
// that fail with the reason a person reads.
func TestEvaluateEachKind(t *testing.T) {
	text := func(s string) Answer { return Answer{Text: s} }
	schema := JSON(`{"type":"object","properties":{"age":{"type":"integer"}},"required":["age"]}`)
	weather := []ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris","unit":"c","days":1.0}`}}
	cases := []struct {
		name   string
		check  Check
		answer Answer
		reason string // "" passes
	}{
		{"equals trims", Check{Type: Equals, Value: "Paris"}, text(" Paris\n"), ""},
		{"equals other", Check{Type: Equals, Value: "Paris"}, text("Lyon"), `the answer is "Lyon", not "Paris"`},
		{"equals empty", Check{Type: Equals, Value: "Paris"}, text(""), `the answer is empty, not "Paris"`},

		{"contains all", Check{Type: Contains, Values: []string{"Paris", "France"}}, text("Paris, France"), ""},
		{"contains all missing", Check{Type: Contains, Values: []string{"Paris", "France", "Seine"}}, text("Paris"), `does not contain "France", "Seine"`},
		{"contains any", Check{Type: Contains, Values: []string{"Paris", "Lyon"}, Match: Any}, text("Lyon"), ""},
		{"contains any none", Check{Type: Contains, Values: []string{"Paris", "Lyon"}, Match: Any}, text("Nice"), `contains none of "Paris", "Lyon"`},
		{"contains is case-sensitive", Check{Type: Contains, Values: []string{"Paris"}}, text("paris"), `does not contain "Paris"`},

		{"not-contains none", Check{Type: NotContains, Values: []string{"sorry", "cannot"}}, text("Paris"), ""},
		{"not-contains one", Check{Type: NotContains, Values: []string{"sorry", "cannot"}}, text("sorry, no"), `contains "sorry"`},
		{"not-contains all, some", Check{Type: NotContains, Values: []string{"a", "b"}, Match: All}, text("a"), ""},
		{"not-contains all, all", Check{Type: NotContains, Values: []string{"a", "b"}, Match: All}, text("ab"), `contains all of "a", "b"`},

		{"regex", Check{Type: Regex, Pattern: `^\d{4}$`}, text("1889"), ""},
		{"regex no", Check{Type: Regex, Pattern: `^\d{4}$`}, text("in 1889"), `does not match /^\d{4}$/`},

		{"starts-with", Check{Type: StartsWith, Value: "Yes"}, text("\n Yes, it is."), ""},
		{"starts-with no", Check{Type: StartsWith, Value: "Yes"}, text("No."), `does not start with "Yes" (it starts with "No.")`},

		{"is-json", Check{Type: IsJSON}, text(` [1, 2] `), ""},
		{"is-json no", Check{Type: IsJSON}, text(`Hello`), "is not JSON: invalid character 'H' looking for beginning of value"},
		{"is-json two values", Check{Type: IsJSON}, text(`{} {}`), "is not JSON: more follows the first JSON value"},
		{"is-json fenced", Check{Type: IsJSON}, text("```json\n{}\n```"), "is not JSON: invalid character '`' looking for beginning of value (it is wrapped in a ``` code fence)"},
		{"is-json empty", Check{Type: IsJSON}, text(" "), "is not JSON: it is empty"},

		{"json-schema", Check{Type: JSONSchema, Schema: schema}, text(`{"age": 3}`), ""},
		{"json-schema wrong type", Check{Type: JSONSchema, Schema: schema}, text(`{"age": "3"}`), "does not match the schema: at /age: got string, want integer"},
		{"json-schema missing", Check{Type: JSONSchema, Schema: schema}, text(`{}`), "does not match the schema: missing property 'age'"},
		{"json-schema not json", Check{Type: JSONSchema, Schema: schema}, text(`age: 3`), "is not JSON: invalid character 'a' looking for beginning of value"},

		{"close-to", Check{Type: CloseTo, Pointer: "/items/1/price", Value: "12", Tolerance: "0.5"}, text(`{"items":[{},{"price":12.4}]}`), ""},
		{"close-to exact decimal", Check{Type: CloseTo, Pointer: "/x", Value: "0.3"}, text(`{"x":0.3}`), ""},
		{"close-to far", Check{Type: CloseTo, Pointer: "/items/1/price", Value: "12", Tolerance: "0.1"}, text(`{"items":[{},{"price":12.5}]}`), "/items/1/price is 12.5, not within 0.1 of 12"},
		{"close-to no tolerance", Check{Type: CloseTo, Pointer: "/x", Value: "2"}, text(`{"x":2.5}`), "/x is 2.5, not 2"},
		{"close-to whole answer", Check{Type: CloseTo, Value: "42"}, text(`42`), ""},
		{"close-to not a number", Check{Type: CloseTo, Pointer: "/x", Value: "2"}, text(`{"x":"2"}`), "/x is a string, not a number"},
		{"close-to no member", Check{Type: CloseTo, Pointer: "/a/b", Value: "2"}, text(`{"a":{}}`), `/a has no member "b"`},
		{"close-to past the end", Check{Type: CloseTo, Pointer: "/2", Value: "2"}, text(`[1]`), "the answer has 1 items, none at 2"},
		{"close-to escaped key", Check{Type: CloseTo, Pointer: "/a~1b/m~0n", Value: "1"}, text(`{"a/b":{"m~n":1}}`), ""},

		{"length", Check{Type: Length, Min: intp(2), Max: intp(5)}, text(" héllo "), ""},
		{"length short", Check{Type: Length, Min: intp(2)}, text("é"), "is 1 character, fewer than 2"},
		{"length long", Check{Type: Length, Max: intp(3)}, text("日本語です"), "is 5 characters, more than 3"},

		{"max-latency", Check{Type: MaxLatency, Duration: "1.5s"}, Answer{Latency: 1500 * time.Millisecond}, ""},
		{"max-latency over", Check{Type: MaxLatency, Duration: "1.5s"}, Answer{Latency: 2100 * time.Millisecond}, "latency 2.1 s > 1.5 s"},
		{"max-latency ms", Check{Type: MaxLatency, Duration: "800ms"}, Answer{Latency: 850 * time.Millisecond}, "latency 0.85 s > 0.8 s"},

		{"max-cost", Check{Type: MaxCost, Amount: "0.0015", Currency: "USD"}, Answer{Cost: map[string]*big.Rat{"USD": rat("0.0015")}}, ""},
		{"max-cost over", Check{Type: MaxCost, Amount: "0.0015", Currency: "USD"}, Answer{Cost: map[string]*big.Rat{"USD": rat("0.0021")}}, "cost $0.0021 > $0.0015"},
		{"max-cost exact", Check{Type: MaxCost, Amount: "1/3", Currency: "USD"}, Answer{Cost: map[string]*big.Rat{"USD": rat("0.3333333333")}}, ""},
		{"max-cost currency in lower case", Check{Type: MaxCost, Amount: "0.001", Currency: "usd"}, Answer{Cost: map[string]*big.Rat{"USD": rat("0.002")}}, "cost $0.002 > $0.001"},
		{"max-cost unknown", Check{Type: MaxCost, Amount: "1", Currency: "USD"}, Answer{}, "the cost is not known (the model has no price)"},
		{"max-cost other currency", Check{Type: MaxCost, Amount: "1", Currency: "USD"}, Answer{Cost: map[string]*big.Rat{"CNY": rat("1")}}, "the cost is in CNY, not USD"},
		{"max-cost credits", Check{Type: MaxCost, Amount: "2", Currency: Credits}, Answer{Credits: rat("3")}, "cost 3 credits > 2 credits"},

		{"finish-reason", Check{Type: FinishReason, Value: "stop"}, Answer{Finish: []string{"stop", "stop"}}, ""},
		{"finish-reason other", Check{Type: FinishReason, Value: "stop"}, Answer{Finish: []string{"stop", "length"}}, `finished with "length", not "stop"`},
		{"finish-reason none", Check{Type: FinishReason, Value: "stop"}, Answer{}, "no finish reason was reported"},

		{"tool-called", Check{Type: ToolCalled, Tool: "get_weather"}, Answer{Tools: weather}, ""},
		{"tool-called equal", Check{Type: ToolCalled, Tool: "get_weather", Arguments: JSON(`{"days":1,"unit":"c","city":"Paris"}`)}, Answer{Tools: weather}, ""},
		{"tool-called not equal", Check{Type: ToolCalled, Tool: "get_weather", Arguments: JSON(`{"city":"Paris"}`)}, Answer{Tools: weather},
			`"get_weather" was called with {"city":"Paris","unit":"c","days":1.0}, not {"city":"Paris"}`},
		{"tool-called subset", Check{Type: ToolCalled, Tool: "get_weather", Arguments: JSON(`{"city":"Paris"}`), Match: Subset}, Answer{Tools: weather}, ""},
		{"tool-called subset no", Check{Type: ToolCalled, Tool: "get_weather", Arguments: JSON(`{"city":"Lyon"}`), Match: Subset}, Answer{Tools: weather},
			`"get_weather" was called with {"city":"Paris","unit":"c","days":1.0}, which does not include {"city":"Lyon"}`},
		{"tool-called second call", Check{Type: ToolCalled, Tool: "f", Arguments: JSON(`[1]`)}, Answer{Tools: []ToolCall{{Name: "f", Arguments: `[2]`}, {Name: "f", Arguments: `[1]`}}}, ""},
		{"tool-called bad arguments", Check{Type: ToolCalled, Tool: "f", Arguments: JSON(`{}`)}, Answer{Tools: []ToolCall{{Name: "f", Arguments: `{"a":`}}}, `"f" was called with arguments that are not JSON: {"a":`},
		{"tool-called other tool", Check{Type: ToolCalled, Tool: "get_weather"}, Answer{Tools: []ToolCall{{Name: "search"}, {Name: "search"}}}, `"get_weather" was not called (called: "search")`},
		{"tool-called none", Check{Type: ToolCalled, Tool: "get_weather"}, Answer{}, "no tool was called"},

		{"invalid after binding", Check{Type: Regex, Pattern: "(a"}, text("a"), "the check is not valid: pattern: missing closing ): `(a`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(context.Background(), []Check{c.check}, c.answer, nil)[0]
			if r.Pass != (c.reason == "") || r.Reason != c.reason {
				t.Fatalf("got pass %v, %q; want %q", r.Pass, r.Reason, c.reason)
			}
		})
	}
}

// TestEveryKindIsEvaluated fails when a kind has no evaluation or no
// fields listed.
func TestEveryKindIsEvaluated(t *testing.T) {
	for _, k := range Kinds {
		if _, ok := fieldsOf[k]; !ok {
			t.Errorf("%s has no fields listed", k)
		}
		if _, ok := kinds[k]; !ok && k != JudgeKind {
			t.Errorf("%s has no evaluation", k)
		}
	}
	if len(fieldsOf) != len(Kinds) {
		t.Errorf("fieldsOf has %d kinds, Kinds %d", len(fieldsOf), len(Kinds))
	}
}

func TestJudge(t *testing.T) {
	check := Check{Type: JudgeKind, Rubric: "names the capital of {{country}}", Provider: "sim", Model: "judge-1"}.Bind(map[string]string{"country": "France"})
	var asked ModelRef
	var rubric string
	judge := JudgeFunc(func(_ context.Context, m ModelRef, r, answer string) (Verdict, error) {
		asked, rubric = m, r
		return Verdict{Pass: strings.Contains(answer, "Paris"), Reason: "rule: keyword", Simulated: true, Cost: map[string]*big.Rat{"USD": rat("0.001")}}, nil
	})
	cases := map[string]struct {
		judge  Judge
		answer string
		pass   bool
		reason string
	}{
		"pass":     {judge, "Paris", true, "rule: keyword"},
		"fail":     {judge, "Lyon", false, "rule: keyword"},
		"no judge": {nil, "Paris", false, "no judge is configured to grade this answer"},
		"error": {JudgeFunc(func(context.Context, ModelRef, string, string) (Verdict, error) {
			return Verdict{}, &problem.Error{Kind: problem.KindUpstream, Message: "The judge's provider failed."}
		}), "Paris", false, "the judge could not answer: The judge's provider failed."},
		"error not shown": {JudgeFunc(func(context.Context, ModelRef, string, string) (Verdict, error) {
			return Verdict{}, errors.New("dial tcp 10.0.0.1: secret")
		}), "Paris", false, "the judge could not answer: " + problem.InternalMessage},
		"no reason": {JudgeFunc(func(context.Context, ModelRef, string, string) (Verdict, error) { return Verdict{}, nil }), "Paris", false, "the judge failed it without a reason"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := Evaluate(context.Background(), []Check{check}, Answer{Text: c.answer}, c.judge)[0]
			if r.Pass != c.pass || r.Reason != c.reason {
				t.Fatalf("got %v %q, want %v %q", r.Pass, r.Reason, c.pass, c.reason)
			}
		})
	}
	if asked != (ModelRef{Provider: "sim", Model: "judge-1"}) || rubric != "names the capital of France" {
		t.Fatalf("the judge was asked %v with %q", asked, rubric)
	}
}
