// Package checks holds the assertions an experiment makes on each answer
// (equals, contains, regex, JSON Schema, a judge model …), their
// evaluation into results a person reads, and the statistics of a pane:
// pass rate, cost, latency percentiles, the agreement of repeats and the
// win rates of a blind comparison.
//
// A check is one flat, tagged shape (Check: a type and the fields of that
// type), written in an experiment file as YAML or JSON:
//
//   - type: contains
//     values: [Paris]
//   - type: max-latency
//     duration: 1.5s
//
// The package is pure: the runner fills an Answer from a run's outcome,
// and supplies a Judge for the model-graded check.
package checks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kind is a check's type.
type Kind string

// The kinds of check. The fields each reads are in fieldsOf.
const (
	Equals       Kind = "equals"        // value: the answer, trimmed, is the value, trimmed
	Contains     Kind = "contains"      // values, match (all by default, or any)
	NotContains  Kind = "not-contains"  // values, match (any by default: none occurs; all: not all occur)
	Regex        Kind = "regex"         // pattern: Go RE2, matched anywhere in the answer
	StartsWith   Kind = "starts-with"   // value: the answer, its leading white space trimmed, starts with it
	IsJSON       Kind = "is-json"       // the answer, trimmed, is one JSON value
	JSONSchema   Kind = "json-schema"   // schema: the answer is JSON valid against it (web/structured)
	CloseTo      Kind = "close-to"      // pointer, value, tolerance: a number in the JSON answer
	Length       Kind = "length"        // min, max: characters (runes) of the trimmed answer
	MaxLatency   Kind = "max-latency"   // duration: the run's total time at most this
	MaxCost      Kind = "max-cost"      // amount, currency: the run's exact cost at most this
	FinishReason Kind = "finish-reason" // value: every choice finished so
	ToolCalled   Kind = "tool-called"   // tool, arguments, match (equal by default, or subset)
	JudgeKind    Kind = "judge"         // rubric, provider, model: a model grades the answer
)

// Kinds lists every kind, in the order the documentation gives them.
var Kinds = []Kind{Equals, Contains, NotContains, Regex, StartsWith, IsJSON, JSONSchema, CloseTo,
	Length, MaxLatency, MaxCost, FinishReason, ToolCalled, JudgeKind}

// Matching modes of contains, not-contains (Any, All) and tool-called
// (Equal, Subset).
const (
	Any    = "any"
	All    = "all"
	Equal  = "equal"
	Subset = "subset"
)

// Credits, as a max-cost currency, bounds the run's cost in credits.
const Credits = "credits"

// Check is one assertion on an answer: its Type and the fields that type
// reads (fieldsOf); every other field stays empty, and Validate says so
// when one is not. Scalar fields are strings as written (a YAML or JSON
// number is kept as its literal text, so an amount stays exact), read
// and checked by Validate. Value, Values, Pattern, Rubric, Tool and the
// strings inside Arguments may hold {{name}} variables, filled per case
// by Bind.
type Check struct {
	Type Kind `json:"type" yaml:"type"`
	// Name is an optional label for the grid and the JUnit report.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`

	Value  string   `json:"value,omitempty" yaml:"value,omitempty"`
	Values []string `json:"values,omitempty" yaml:"values,omitempty"`
	Match  string   `json:"match,omitempty" yaml:"match,omitempty"`

	Pattern string `json:"pattern,omitempty" yaml:"pattern,omitempty"`
	Schema  JSON   `json:"schema,omitempty" yaml:"schema,omitempty"`

	// Pointer is a JSON Pointer (RFC 6901) into the answer; "" is the
	// whole answer.
	Pointer   string `json:"pointer,omitempty" yaml:"pointer,omitempty"`
	Tolerance string `json:"tolerance,omitempty" yaml:"tolerance,omitempty"`

	Min *int `json:"min,omitempty" yaml:"min,omitempty"`
	Max *int `json:"max,omitempty" yaml:"max,omitempty"`

	// Duration is a Go duration ("1.5s", "800ms").
	Duration string `json:"duration,omitempty" yaml:"duration,omitempty"`
	// Amount is an exact decimal ("0.01") or fraction ("1/300") in
	// Currency (a currency code, or Credits).
	Amount   string `json:"amount,omitempty" yaml:"amount,omitempty"`
	Currency string `json:"currency,omitempty" yaml:"currency,omitempty"`

	Tool      string `json:"tool,omitempty" yaml:"tool,omitempty"`
	Arguments JSON   `json:"arguments,omitempty" yaml:"arguments,omitempty"`

	Rubric   string `json:"rubric,omitempty" yaml:"rubric,omitempty"`
	Provider string `json:"provider,omitempty" yaml:"provider,omitempty"`
	Model    string `json:"model,omitempty" yaml:"model,omitempty"`
}

// fieldsOf names the fields each kind reads, besides type and name.
var fieldsOf = map[Kind][]string{
	Equals:       {"value"},
	Contains:     {"values", "match"},
	NotContains:  {"values", "match"},
	Regex:        {"pattern"},
	StartsWith:   {"value"},
	IsJSON:       {},
	JSONSchema:   {"schema"},
	CloseTo:      {"pointer", "value", "tolerance"},
	Length:       {"min", "max"},
	MaxLatency:   {"duration"},
	MaxCost:      {"amount", "currency"},
	FinishReason: {"value"},
	ToolCalled:   {"tool", "arguments", "match"},
	JudgeKind:    {"rubric", "provider", "model"},
}

// fieldNames are the json names of Check's fields, in their order.
var fieldNames = func() []string {
	t := reflect.TypeFor[Check]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return names
}()

// setFields lists the fields of c that are not empty, by json name.
func (c Check) setFields() []string {
	v := reflect.ValueOf(c)
	var out []string
	for i, name := range fieldNames {
		if !v.Field(i).IsZero() {
			out = append(out, name)
		}
	}
	return out
}

// String is the check's label: its Name, else its type and what it looks
// for ("contains Paris").
func (c Check) String() string {
	if c.Name != "" {
		return c.Name
	}
	var what string
	switch {
	case c.Value != "":
		what = c.Value
	case len(c.Values) > 0:
		what = strings.Join(c.Values, ", ")
	case c.Pattern != "":
		what = c.Pattern
	case c.Duration != "":
		what = c.Duration
	case c.Amount != "":
		what = c.Amount + " " + c.Currency
	case c.Tool != "":
		what = c.Tool
	case c.Rubric != "":
		what = c.Rubric
	}
	return strings.TrimSpace(string(c.Type) + " " + short(what, 60))
}

// check is Check without its methods, to decode into.
type check Check

// unknownField says a key is not a field of a check.
func unknownField(key string) error {
	return fmt.Errorf("%q is not a field of a check (the fields are %s)", key, strings.Join(fieldNames, ", "))
}

// UnmarshalJSON reads a check, refusing unknown fields, and keeps a JSON
// number or boolean given for a string field as its literal text.
func (c *Check) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k, raw := range m {
		if !slices.Contains(fieldNames, k) {
			return unknownField(k)
		}
		switch k {
		case "min", "max", "schema", "arguments":
		case "values":
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) == nil {
				for i, item := range items {
					items[i] = literal(item)
				}
				m[k], _ = json.Marshal(items)
			}
		default:
			m[k] = literal(raw)
		}
	}
	b, _ = json.Marshal(m)
	return json.Unmarshal(b, (*check)(c))
}

// literal is a JSON number or boolean as a string of its text; anything
// else as it is.
func literal(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] == '"' || t[0] == '[' || t[0] == '{' || bytes.Equal(t, []byte("null")) {
		return raw
	}
	s, _ := json.Marshal(string(t))
	return s
}

// UnmarshalYAML reads a check, refusing unknown fields with their line.
func (c *Check) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a check is a mapping (type: …, and its fields)", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(fieldNames, k.Value) {
			return fmt.Errorf("line %d: %w", k.Line, unknownField(k.Value))
		}
	}
	return n.Decode((*check)(c))
}

// JSON is a JSON value held as its text (a schema, tool arguments). In
// YAML it is written as YAML (a mapping, a list …); a string whose text
// is a JSON object or array, in either format, is read as that value.
type JSON []byte

// MarshalJSON writes the value as it is held.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps the value's text (a string holding an object or an
// array: that object or array).
func (j *JSON) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err == nil && objectOrArray(s) {
			b = []byte(s)
		}
	}
	*j = append((*j)[:0], b...)
	return nil
}

// objectOrArray says s is the text of a JSON object or array.
func objectOrArray(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > 0 && (s[0] == '{' || s[0] == '[') && json.Valid([]byte(s))
}

// UnmarshalYAML reads a YAML value as JSON: members in their order,
// numbers as written when JSON can hold them so.
func (j *JSON) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && objectOrArray(n.Value) {
		*j = JSON(strings.TrimSpace(n.Value))
		return nil
	}
	var b bytes.Buffer
	if err := nodeJSON(&b, n, 0); err != nil {
		return err
	}
	*j = b.Bytes()
	return nil
}

// nodeJSON writes a YAML node as JSON.
func nodeJSON(b *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > 100 {
		return fmt.Errorf("line %d: nested too deep", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode, yaml.AliasNode:
		inner := n.Alias
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			inner = n.Content[0]
		}
		if inner == nil {
			return fmt.Errorf("line %d: not a JSON value", n.Line)
		}
		return nodeJSON(b, inner, depth+1)
	case yaml.MappingNode, yaml.SequenceNode:
		open, end, step := byte('['), byte(']'), 1
		if n.Kind == yaml.MappingNode {
			open, end, step = '{', '}', 2
		}
		b.WriteByte(open)
		for i := 0; i+step-1 < len(n.Content); i += step {
			if i > 0 {
				b.WriteByte(',')
			}
			if step == 2 {
				k, _ := json.Marshal(n.Content[i].Value)
				b.Write(k)
				b.WriteByte(':')
			}
			if err := nodeJSON(b, n.Content[i+step-1], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(end)
		return nil
	}
	switch n.Tag {
	case "!!null":
		b.WriteString("null")
		return nil
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			b.WriteString(n.Value)
			return nil
		}
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return nil
		}
		return fmt.Errorf("line %d: %s is not a number JSON can hold", n.Line, n.Value)
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return err
		}
		b.WriteString(strconv.FormatBool(v))
		return nil
	}
	if n.Style == 0 && jsonNumber(n.Value) {
		// A number YAML does not resolve (1e400 overflows a float64).
		b.WriteString(n.Value)
		return nil
	}
	s, _ := json.Marshal(n.Value)
	b.Write(s)
	return nil
}

// jsonNumber says s is a JSON number's text.
func jsonNumber(s string) bool {
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Valid([]byte(s))
}

// MarshalYAML writes the value as block YAML, its scalars as JSON wrote
// them (strings quoted, numbers exact); JSON YAML cannot read is written
// as its text.
func (j JSON) MarshalYAML() (any, error) {
	if len(j) == 0 {
		return nil, nil
	}
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil || len(n.Content) != 1 {
		return string(j), nil
	}
	blockStyle(n.Content[0])
	return n.Content[0], nil
}

// blockStyle turns flow mappings and sequences into block ones, and
// writes strings of one line plain (the encoder quotes one that would
// read as something else: "123", "null").
func blockStyle(n *yaml.Node) {
	switch {
	case n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode:
		n.Style = 0
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str" && !strings.Contains(n.Value, "\n") && !jsonNumber(n.Value):
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
