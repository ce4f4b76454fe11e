package structured

import (
	"errors"
	"strings"
	"testing"
)

// TestCompileSaysWhereTheSchemaIsWrong: a refused schema is described by
// the place in it and what is wrong there, never by the compiler's
// internal address.
func TestCompileSaysWhereTheSchemaIsWrong(t *testing.T) {
	tests := []struct{ schema, want string }{
		{`{"type":"objekt"}`, "at /type: value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'"},
		{`{"type":"object","properties":{"a":{"type":5}}}`, "at /properties/a/type: value must be one of"},
		{`{"minimum":"a"}`, "at /minimum: got string, want number"},
		{`{"pattern":"("}`, "at /pattern: '(' is not valid regex"},
		{`{"$ref":"#/defs/x"}`, "the reference #/defs/x points to nothing in the schema"},
		{`{"$ref":"http://x/y"}`, "the reference http://x/y is not followed"},
	}
	for _, tt := range tests {
		_, err := Compile([]byte(tt.schema))
		var se *SchemaError
		if !errors.As(err, &se) {
			t.Fatalf("%s: %v is not a SchemaError", tt.schema, err)
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: %q, want it to start %q", tt.schema, err.Error(), tt.want)
		}
		if strings.Contains(err.Error(), "mem:") || strings.Contains(err.Error(), "metaschema") {
			t.Errorf("%s: %q names the compiler's internals", tt.schema, err.Error())
		}
	}
}
