package structured

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// bomb is the red-team schema: $defs d_i = anyOf of two $refs to d_{i+1},
// the last a string. Validation explores 2^depth branches, every one
// failing, and keeps the whole error tree.
func bomb(depth int) string {
	var defs []string
	for i := range depth {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]}`, i, i+1, i+1))
	}
	defs = append(defs, fmt.Sprintf(`"d%d":{"type":"string"}`, depth))
	return `{"$ref":"#/$defs/d0","$defs":{` + strings.Join(defs, ",") + `}}`
}

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSchemaBombIsRefused: the schema is refused when compiled (so the
// form refuses it next to the field), and a check of an answer against it
// says it was not checked, with bounded work. Before the bound, depth 18
// allocated 1.3 GB and depth 24 crashed the server.
func TestSchemaBombIsRefused(t *testing.T) {
	for _, depth := range []int{18, 24} {
		t.Run(fmt.Sprint("depth", depth), func(t *testing.T) {
			s := bomb(depth)
			if depth == 24 && (len(s) < 1500 || len(s) > 3000) {
				t.Fatalf("the bomb is %d bytes, want about 2.2 KB", len(s))
			}
			var r Result
			n := allocated(func() { r = Check(Expect{Mode: JSONSchema, Name: "b", Schema: []byte(s)}, `{}`) })
			if n > 64<<20 {
				t.Errorf("the check allocated %d MB", n>>20)
			}
			if r.Valid || len(r.Failures) != 1 || !strings.Contains(r.Failures[0].Message, "not checked") || !strings.Contains(r.Failures[0].Message, "too complex") {
				t.Fatalf("result %+v", r)
			}
			_, err := Compile([]byte(s))
			var tc *TooComplexError
			if !errors.As(err, &tc) || !strings.Contains(err.Error(), "10,000") {
				t.Fatalf("compile: %v", err)
			}
		})
	}
}

// TestCheckStopsAtItsBudget: a schema small when unfolded (it refers back
// to itself) that is exponential in the depth of the answer: each level
// applies two allOf branches to the same child. The check stops after
// MaxVisits evaluations and says so.
func TestCheckStopsAtItsBudget(t *testing.T) {
	schema := `{"allOf":[{"properties":{"a":{"$ref":"#"}}},{"properties":{"a":{"$ref":"#"}}}]}`
	if _, err := Compile([]byte(schema)); err != nil {
		t.Fatalf("a recursive schema is refused: %v", err)
	}
	answer := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	var r Result
	n := allocated(func() { r = Check(Expect{Mode: JSONSchema, Schema: []byte(schema)}, answer) })
	if n > 256<<20 {
		t.Errorf("the check allocated %d MB", n>>20)
	}
	if r.Valid || len(r.Failures) != 1 || !strings.Contains(r.Failures[0].Message, "200,000 schema evaluations") {
		t.Fatalf("result %+v", r)
	}
	// The same schema on a shallow answer is checked.
	if r := Check(Expect{Mode: JSONSchema, Schema: []byte(schema)}, `{"a":{"a":{}}}`); !r.Valid {
		t.Errorf("shallow answer: %+v", r)
	}
}

// TestCheckKeepsTheFirstFailures: an answer with many failures lists at
// most maxFailures of them, and a long answer is not checked.
func TestCheckKeepsTheFirstFailures(t *testing.T) {
	schema := `{"type":"array","items":{"type":"string"}}`
	answer := "[" + strings.TrimSuffix(strings.Repeat("1,", 5000), ",") + "]"
	r := Check(Expect{Mode: JSONSchema, Schema: []byte(schema)}, answer)
	if r.Valid || len(r.Failures) != maxFailures {
		t.Fatalf("%d failures", len(r.Failures))
	}
	long := `"` + strings.Repeat("x", MaxAnswer) + `"`
	r = Check(Expect{Mode: JSONSchema, Schema: []byte(`{"type":"string"}`)}, long)
	if r.Valid || !strings.Contains(r.Failures[0].Message, "not checked: it is longer than 1,048,576 bytes") {
		t.Fatalf("long answer: %+v", r.Failures)
	}
}

// TestMeasureAcceptsOrdinarySchemas: shared $defs used in many places and
// recursive schemas stay under the limits.
func TestMeasureAcceptsOrdinarySchemas(t *testing.T) {
	var props []string
	for i := range 50 {
		props = append(props, fmt.Sprintf(`"p%d":{"$ref":"#/$defs/addr"}`, i))
	}
	for name, s := range map[string]string{
		"person":    personSchema,
		"shared":    `{"type":"object","properties":{` + strings.Join(props, ",") + `},"$defs":{"addr":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"anyOf":[{"type":"string"},{"type":"integer"}]}}}}}`,
		"recursive": `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}}}`,
	} {
		if _, err := Compile([]byte(s)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r := Check(Expect{Mode: JSONSchema, Schema: []byte(`{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}}}`)}, `{"name":"a","children":[{"name":"b","children":[]}]}`); !r.Valid {
		t.Errorf("recursive: %+v", r)
	}
}

// TestCheckAllSharesTheBudget: many choices against a costly schema cost
// one budget in all: after it is spent the other choices are not checked.
func TestCheckAllSharesTheBudget(t *testing.T) {
	schema := `{"allOf":[{"properties":{"a":{"$ref":"#"}}},{"properties":{"a":{"$ref":"#"}}}]}`
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	texts := []string{`{"a":{}}`, deep, deep, deep, `not json`}
	rs := CheckAll(Expect{Mode: JSONSchema, Schema: []byte(schema)}, texts)
	if !rs[0].Valid || rs[4].Valid || !strings.Contains(rs[4].Failures[0].Message, "not JSON") {
		t.Fatalf("results %+v", rs)
	}
	for _, r := range rs[1:4] {
		if r.Valid || !strings.Contains(r.Failures[0].Message, "200,000 schema evaluations") {
			t.Errorf("result %+v", r)
		}
	}
}

// TestDynamicRefIsNotFollowed: $dynamicRef targets may lie outside the
// subschemas the budget counts, so such an answer is not checked.
func TestDynamicRefIsNotFollowed(t *testing.T) {
	schema := `{"$dynamicAnchor":"node","type":"object","properties":{"kids":{"type":"array","items":{"$dynamicRef":"#node"}}}}`
	r := Check(Expect{Mode: JSONSchema, Schema: []byte(schema)}, `{"kids":[{}]}`)
	if r.Valid || !strings.Contains(r.Failures[0].Message, "not checked: the schema uses $dynamicRef") {
		t.Fatalf("%+v", r)
	}
}
