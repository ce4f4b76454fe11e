package checks

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPointer: the JSON Pointer reader never panics on any document and
// pointer, and a pointer written from an object's key (escaped) reads
// that member back.
func FuzzPointer(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":{"b":[1,2,{"c":3}]}}`, "/a/b/2/c"},
		{`{"a/b":{"m~n":1}}`, "/a~1b/m~0n"},
		{`[1,2]`, "/01"},
		{`[1,2]`, "/-"},
		{`{"":1}`, "/"},
		{`1`, ""},
		{`{"a":1}`, "/a/~"},
		{`{"a":1}`, "a"},
	} {
		f.Add(s[0], s[1], "k~/")
	}
	f.Fuzz(func(t *testing.T, doc, ptr, key string) {
		v, err := decodeJSON(doc)
		if err != nil {
			return
		}
		_, _ = lookup(v, ptr)
		if !utf8.ValidString(key) {
			return
		}
		got, err := lookup(map[string]any{key: v}, "/"+escapeTokens([]string{key})[0])
		if err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(v)
		if string(a) != string(b) {
			t.Fatalf("key %q: got %s, want %s", key, a, b)
		}
	})
}

// FuzzTextChecks: regex, contains, not-contains, starts-with, equals,
// length and the JSON checks never panic, on any pattern, value and
// answer (valid or not), and contains agrees with strings.Contains.
func FuzzTextChecks(f *testing.F) {
	f.Add(`^\d+$`, "Paris", "Paris, France")
	f.Add(`(a`, "", "")
	f.Add(`\Q{{x}}\E`, "{{x}}", "{{x}}")
	f.Add(`[[:alpha:]]{2,}`, "é", "\xff\xfe")
	f.Add(`.*`, "/a/0", `{"a":[1]}`)
	f.Fuzz(func(t *testing.T, pattern, value, answer string) {
		checks := []Check{
			{Type: Regex, Pattern: pattern},
			{Type: Contains, Values: []string{value}},
			{Type: Contains, Values: []string{value, pattern}, Match: Any},
			{Type: NotContains, Values: []string{value}},
			{Type: NotContains, Values: []string{value, pattern}, Match: All},
			{Type: StartsWith, Value: value},
			{Type: Equals, Value: value},
			{Type: Length, Min: intp(len(value)), Max: intp(len(pattern) + len(value))},
			{Type: IsJSON},
			{Type: CloseTo, Pointer: value, Value: pattern},
			{Type: ToolCalled, Tool: value, Arguments: JSON(pattern)},
		}
		_ = Validate(checks)
		rs := Evaluate(context.Background(), checks, Answer{Text: answer, Tools: []ToolCall{{Name: value, Arguments: answer}}}, nil)
		if len(rs) != len(checks) {
			t.Fatalf("%d results for %d checks", len(rs), len(checks))
		}
		for i, r := range rs {
			if r.Pass == (r.Reason != "") {
				t.Fatalf("check %d: pass %v with reason %q", i, r.Pass, r.Reason)
			}
		}
		if value != "" && rs[1].Pass != strings.Contains(answer, value) {
			t.Fatalf("contains %q in %q: %v", value, answer, rs[1].Pass)
		}
		if value != "" && rs[3].Pass == rs[1].Pass {
			t.Fatalf("contains and not-contains %q agree: %v", value, rs[1].Pass)
		}
		if re, err := regexp.Compile(pattern); err == nil && pattern != "" && rs[0].Pass != re.MatchString(answer) {
			t.Fatalf("regex %q on %q: %v", pattern, answer, rs[0].Pass)
		}
	})
}

// FuzzBind: binding never panics, leaves a text without {{ as it is, and
// a value goes in literally (it is not expanded again).
func FuzzBind(f *testing.F) {
	f.Add("{{x}} and {{ y }}", "{{y}}")
	f.Add(`{{"{{"}}x}}`, "v")
	f.Add("{{", "}}")
	f.Fuzz(func(t *testing.T, text, value string) {
		values := map[string]string{"x": value, "y": "Y"}
		b := Check{Type: Equals, Value: text, Arguments: JSON(text)}.Bind(values)
		if !strings.Contains(text, "{{") && b.Value != text {
			t.Fatalf("%q became %q", text, b.Value)
		}
		if got := (Check{Value: "{{x}}"}).Bind(values).Value; got != value {
			t.Fatalf("{{x}} with %q became %q", value, got)
		}
	})
}
