// Package structured checks an answer against the structured output the
// request asked for: a JSON object (json_object) or a JSON Schema
// (json_schema), from Chat's response_format or Responses' text.format.
// The result lists each failing place as a JSON Pointer into the answer.
package structured

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/valyala/fastjson"

	"github.com/playground-dev/playground/web/catalog"
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

// Check checks text against e. A text that is not JSON fails at the root.
func Check(e Expect, text string) Result {
	r := Result{Mode: e.Mode, Name: e.Name}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.TrimSpace(text)))
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
	sch, err := Compile(e.Schema)
	if err != nil {
		r.Failures = []Failure{{Path: "", Message: "The schema itself is not valid: " + err.Error()}}
		return r
	}
	verr := sch.Validate(inst)
	if verr == nil {
		r.Valid = true
		return r
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		r.Failures = []Failure{{Message: verr.Error()}}
		return r
	}
	seen := map[string]bool{}
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		f := Failure{Path: u.InstanceLocation, Message: u.Error.String()}
		if k := f.Path + "\x00" + f.Message; !seen[k] && len(r.Failures) < maxFailures {
			seen[k] = true
			r.Failures = append(r.Failures, f)
		}
	}
	sort.SliceStable(r.Failures, func(i, j int) bool { return r.Failures[i].Path < r.Failures[j].Path })
	if len(r.Failures) == 0 {
		r.Failures = []Failure{{Message: ve.Error()}}
	}
	return r
}

// Compile compiles a JSON Schema (draft 2020-12 unless it says otherwise),
// without loading anything from the network or disk.
func Compile(schema json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource("mem:///schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("mem:///schema.json")
}

// noLoader refuses every external reference: a schema from a person must
// not make the server fetch URLs or read files.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external references are not followed (%s)", url)
}
