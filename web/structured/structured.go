// Package structured checks an answer against the structured output the
// request asked for: a JSON object (json_object) or a JSON Schema
// (json_schema), from Chat's response_format or Responses' text.format.
// The result lists each failing place as a JSON Pointer into the answer.
package structured

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/valyala/fastjson"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/units"
)

// Modes of structured output.
const (
	JSONObject = "json_object"
	JSONSchema = "json_schema"
)

// Expect is what a request asked the answer to be.
type Expect struct {
	Mode   string // JSONObject or JSONSchema; "" asks for nothing
	Name   string
	Schema json.RawMessage
}

// FromRequest reads the expectation from a request body of the style.
func FromRequest(style catalog.Style, body []byte) Expect {
	var p fastjson.Parser
	v, err := p.ParseBytes(body)
	if err != nil {
		return Expect{}
	}
	var format *fastjson.Value
	switch style {
	case catalog.Chat:
		format = v.Get("response_format")
	case catalog.Responses:
		format = v.Get("text", "format")
	}
	return fromFormat(style, format)
}

// FromFormat reads the expectation from the response format a request of
// the style sends (Chat's response_format, Responses' text.format), as
// JSON; nil or anything else expects nothing.
func FromFormat(style catalog.Style, format []byte) Expect {
	if len(format) == 0 {
		return Expect{}
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(format)
	if err != nil {
		return Expect{}
	}
	return fromFormat(style, v)
}

func fromFormat(style catalog.Style, format *fastjson.Value) Expect {
	if format == nil {
		return Expect{}
	}
	switch string(format.GetStringBytes("type")) {
	case JSONObject:
		return Expect{Mode: JSONObject}
	case JSONSchema:
		def := format // Responses: flat
		if style == catalog.Chat {
			def = format.Get("json_schema")
		}
		if def == nil || def.Get("schema") == nil {
			return Expect{Mode: JSONObject}
		}
		return Expect{Mode: JSONSchema, Name: string(def.GetStringBytes("name")), Schema: json.RawMessage(def.Get("schema").String())}
	}
	return Expect{}
}

// Failure is one place where the answer breaks the schema.
type Failure struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Result is the check of one answer.
type Result struct {
	Mode     string    `json:"mode"`
	Name     string    `json:"name,omitempty"`
	Valid    bool      `json:"valid"`
	Failures []Failure `json:"failures,omitempty"`
}

// maxFailures bounds the failures listed.
const maxFailures = 20

// printer writes the validator's messages.
var printer = message.NewPrinter(language.English)

// unchecked is the result of a check that was not made, saying why.
func unchecked(r Result, why string) Result {
	r.Failures = []Failure{{Path: "", Message: "The answer was not checked: " + why}}
	return r
}

// Check checks text against e. A text that is not JSON fails at the root.
// The check is bounded (MaxAnswer, MaxUnfolded, MaxDepth, MaxVisits):
// past a bound the result fails at the root with a message that says the
// answer was not checked, and which limit stopped it.
func Check(e Expect, text string) Result {
	return CheckAll(e, []string{text})[0]
}

// CheckAll checks each text (the choices of one answer) against e, as
// Check does, compiling the schema once and sharing one budget of
// MaxVisits among the texts: n choices cost no more than one.
func CheckAll(e Expect, texts []string) []Result {
	c := checker{e: e, budget: MaxVisits}
	out := make([]Result, len(texts))
	for i, t := range texts {
		out[i] = c.check(t)
	}
	return out
}

// checker checks texts against one expectation.
type checker struct {
	e        Expect
	compiled bool
	sch      *jsonschema.Schema
	problem  *Result // why the schema cannot be used, once compiled
	budget   int
}

// schema compiles and instruments the schema once.
func (c *checker) schema(r Result) (*jsonschema.Schema, *Result) {
	if c.compiled {
		return c.sch, c.problem
	}
	c.compiled = true
	sch, err := Compile(c.e.Schema)
	var tc *TooComplexError
	switch {
	case errors.As(err, &tc):
		p := unchecked(r, tc.Error()+".")
		c.problem = &p
	case err != nil:
		p := r
		p.Failures = []Failure{{Path: "", Message: "The schema itself is not valid: " + err.Error()}}
		c.problem = &p
	case instrument(sch, &c.budget):
		p := unchecked(r, "the schema uses $dynamicRef, which this check does not follow.")
		c.problem = &p
	default:
		c.sch = sch
	}
	return c.sch, c.problem
}

func (c *checker) check(text string) (r Result) {
	e := c.e
	r = Result{Mode: e.Mode, Name: e.Name}
	text = strings.TrimSpace(text)
	if len(text) > MaxAnswer {
		return unchecked(r, fmt.Sprintf("it is longer than %s bytes (the limit of the check).", units.Thousands(MaxAnswer)))
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		r.Failures = []Failure{{Path: "", Message: "The answer is not JSON: " + err.Error()}}
		return r
	}
	if e.Mode == JSONObject {
		if _, ok := inst.(map[string]any); !ok {
			r.Failures = []Failure{{Path: "", Message: "The answer is JSON but not an object."}}
			return r
		}
		r.Valid = true
		return r
	}
	sch, problem := c.schema(r)
	if problem != nil {
		return *problem
	}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(budgetSpent); !ok {
				panic(p)
			}
			r = unchecked(Result{Mode: e.Mode, Name: e.Name}, fmt.Sprintf("the schema is too complex for this answer (the check stopped after %s schema evaluations, its limit).", units.Thousands(MaxVisits)))
		}
	}()
	verr := sch.Validate(inst)
	if verr == nil {
		r.Valid = true
		return r
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		r.Failures = []Failure{{Message: firstLine(verr.Error())}}
		return r
	}
	r.Failures = failures(ve, maxFailures)
	sort.SliceStable(r.Failures, func(i, j int) bool { return r.Failures[i].Path < r.Failures[j].Path })
	if len(r.Failures) == 0 {
		r.Failures = []Failure{{Message: ve.ErrorKind.LocalizedString(printer)}}
	}
	return r
}

// failures lists the first n distinct failures of the error tree, in the
// order of the tree, without the tree's wrappers (a group of errors, a
// $ref, the schema). It stops at n: the tree may be large.
func failures(ve *jsonschema.ValidationError, n int) []Failure {
	var out []Failure
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(out) >= n || e == nil {
			return
		}
		switch e.ErrorKind.(type) {
		case *kind.Group, *kind.Reference, *kind.Schema, nil:
		default:
			f := Failure{Path: pointer(e.InstanceLocation), Message: e.ErrorKind.LocalizedString(printer)}
			if k := f.Path + "\x00" + f.Message; !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// pointer writes a JSON Pointer (RFC 6901) of the tokens.
func pointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return sb.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Compile compiles a JSON Schema (draft 2020-12 unless it says otherwise),
// without loading anything from the network or disk. A schema the compiler
// refuses gives a *SchemaError; one past MaxUnfolded or MaxDepth a
// *TooComplexError.
func Compile(schema json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource(memURL, doc); err != nil {
		return nil, schemaError(err)
	}
	sch, err := c.Compile(memURL)
	if err != nil {
		return nil, schemaError(err)
	}
	if err := measure(sch); err != nil {
		return nil, err
	}
	return sch, nil
}

// noLoader refuses every external reference: a schema from a person must
// not make the server fetch URLs or read files.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external references are not followed (%s)", url)
}
