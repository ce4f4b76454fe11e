// Package spectest validates JSON bodies against the official OpenAI
// OpenAPI spec (testdata/openapi/openai-openapi.yaml, v2.3.0). It is used by
// tests only.
package spectest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// Path is the spec's location in the repository.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "openapi", "openai-openapi.yaml")
}

var (
	once     sync.Once
	schemas  map[string]any
	compiler *jsonschema.Compiler
	loadErr  error
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

func load() {
	raw, err := os.ReadFile(Path())
	if err != nil {
		loadErr = err
		return
	}
	// YAML 1.2 (yaml/v3): a key such as `n` stays a string.
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		loadErr = fmt.Errorf("spec: %w", err)
		return
	}
	j, err := json.Marshal(doc)
	if err != nil {
		loadErr = fmt.Errorf("spec: %w", err)
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		loadErr = err
		return
	}
	root := inst.(map[string]any)
	schemas = root["components"].(map[string]any)["schemas"].(map[string]any)
	// Three OpenAPI-isms JSON Schema 2020-12 does not read as intended:
	// OpenAPI 3.0's "nullable: true" (type and enum gain null);
	// draft 2019-09's $recursiveAnchor/$recursiveRef (each $recursiveRef
	// now points at its component), and a oneOf whose branches overlap but
	// are told apart by an OpenAPI discriminator (EasyInputMessage and
	// InputMessage both accept {"role","content"}): with a discriminator
	// the oneOf is read as anyOf, which is what the discriminator achieves.
	for name, s := range schemas {
		rewriteRecursive(s, "#/components/schemas/"+name)
	}
	compiler = jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	loadErr = compiler.AddResource("openai.json", root)
}

func rewriteRecursive(node any, self string) {
	switch n := node.(type) {
	case map[string]any:
		delete(n, "$recursiveAnchor")
		if nb, _ := n["nullable"].(bool); nb {
			// OpenAPI 3.0's nullable, still used by the spec: null is allowed.
			delete(n, "nullable")
			switch t := n["type"].(type) {
			case string:
				n["type"] = []any{t, "null"}
			case []any:
				n["type"] = append(t, "null")
			}
			if e, ok := n["enum"].([]any); ok {
				n["enum"] = append(e, nil)
			}
		}
		if _, ok := n["discriminator"]; ok {
			if one, ok := n["oneOf"]; ok {
				delete(n, "oneOf")
				n["anyOf"] = one
			}
		}
		if _, ok := n["$recursiveRef"]; ok {
			delete(n, "$recursiveRef")
			n["$ref"] = self
		}
		for _, v := range n {
			rewriteRecursive(v, self)
		}
	case []any:
		for _, v := range n {
			rewriteRecursive(v, self)
		}
	}
}

func schema(tb testing.TB, component string) *jsonschema.Schema {
	tb.Helper()
	once.Do(load)
	if loadErr != nil {
		tb.Fatalf("loading the OpenAPI spec %s: %v", Path(), loadErr)
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[component]; ok {
		return s
	}
	s, err := compiler.Compile("openai.json#/components/schemas/" + component)
	if err != nil {
		tb.Fatalf("compile %s: %v", component, err)
	}
	compiled[component] = s
	return s
}

// Validate fails tb when body does not validate against the component
// schema, and returns the body's top-level keys the schema does not name
// (provider extensions), sorted.
func Validate(tb testing.TB, component string, body []byte) (unknown []string) {
	tb.Helper()
	unknown, err := Check(tb, component, body)
	if err != nil {
		tb.Errorf("body does not validate against %s:\n%v\nbody:\n%s", component, err, body)
	}
	return unknown
}

// Check is Validate returning the validation error instead of failing.
func Check(tb testing.TB, component string, body []byte) (unknown []string, err error) {
	tb.Helper()
	sch := schema(tb, component)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	verr := sch.Validate(inst)
	known := map[string]bool{}
	collect(component, known, map[string]bool{})
	obj, _ := inst.(map[string]any)
	for k := range obj {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown, verr
}

// collect gathers the property names of a component through $ref and
// allOf/anyOf/oneOf.
func collect(name string, into, seen map[string]bool) {
	if seen[name] {
		return
	}
	seen[name] = true
	var walk func(node map[string]any)
	walk = func(node map[string]any) {
		if ref, ok := node["$ref"].(string); ok {
			collect(strings.TrimPrefix(ref, "#/components/schemas/"), into, seen)
		}
		if props, ok := node["properties"].(map[string]any); ok {
			for k := range props {
				into[k] = true
			}
		}
		for _, key := range []string{"allOf", "anyOf", "oneOf"} {
			list, _ := node[key].([]any)
			for _, x := range list {
				if m, ok := x.(map[string]any); ok {
					walk(m)
				}
			}
		}
	}
	if s, ok := schemas[name].(map[string]any); ok {
		walk(s)
	}
}
