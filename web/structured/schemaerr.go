package structured

import (
	"regexp"
	"strings"
)

// SchemaError is a schema the compiler refused, said in the schema's own
// terms: where in it (a JSON Pointer) and what is wrong there. The
// compiler's internal address for the schema ("mem:///schema.json#") and
// its metaschema's name never reach the person.
type SchemaError struct {
	// At is the JSON Pointer of the place in the schema ("" for the
	// whole schema).
	At      string
	Message string
}

func (e *SchemaError) Error() string {
	if e.At == "" {
		return e.Message
	}
	return "at " + e.At + ": " + e.Message
}

var (
	// "- at '/properties/a/type': value must be one of …"
	leafRE = regexp.MustCompile(`(?m)^\s*- at '([^']*)': (.*)$`)
	// `json-pointer in "mem:///schema.json#/defs/x" not found`
	pointerRE = regexp.MustCompile(`json-pointer in "` + regexp.QuoteMeta(memURL) + `#([^"]*)" not found`)
	// `failing loading "http://x/y": …`
	loadRE = regexp.MustCompile(`failing loading "([^"]*)"`)
)

// memURL is the address the schema is compiled under.
const memURL = "mem:///schema.json"

// schemaError turns the compiler's error into a SchemaError: the first
// leaf of a metaschema failure (the place that is wrong, not the allOf or
// anyOf around it), a $ref to nothing, or a reference not followed.
func schemaError(err error) *SchemaError {
	msg := err.Error()
	if m := pointerRE.FindStringSubmatch(msg); m != nil {
		return &SchemaError{Message: "the reference #" + m[1] + " points to nothing in the schema"}
	}
	if m := loadRE.FindStringSubmatch(msg); m != nil {
		return &SchemaError{Message: "the reference " + m[1] + " is not followed: a schema here must be whole, with no external references"}
	}
	for _, m := range leafRE.FindAllStringSubmatch(msg, -1) {
		if strings.HasSuffix(m[2], "' failed") {
			continue // allOf, anyOf, oneOf: the leaf under it says what
		}
		return &SchemaError{At: m[1], Message: m[2]}
	}
	msg, _, _ = strings.Cut(msg, "\n")
	msg = strings.ReplaceAll(msg, `"`+memURL+`#"`, "the schema")
	msg = strings.ReplaceAll(msg, memURL+"#", "#")
	return &SchemaError{Message: msg}
}
