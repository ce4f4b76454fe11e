package structured

import (
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/playground-dev/playground/web/units"
)

// Limits of the answer check. A person writes the schema and an upstream
// writes the answer, so both are hostile input: a schema of a few KB can
// make a validator explore 2^depth branches (a $defs chain of anyOf of two
// $refs), and the whole failing tree is kept. The check refuses such a
// schema when it is compiled (the form says so next to the field), and a
// schema that gets past that still stops after a fixed amount of work.
const (
	// MaxUnfolded bounds the subschemas of a schema unfolded as a tree:
	// every $ref, anyOf, oneOf, allOf, properties or items branch is
	// counted once along each path from the root (a reference back to a
	// schema on the path counts once). A plain schema unfolds into about
	// as many subschemas as it has keywords.
	MaxUnfolded = 10_000
	// MaxDepth bounds the subschemas nested along one path of that tree.
	MaxDepth = 64
	// MaxVisits bounds the schema evaluations of one check (a subschema
	// applied to one place of the answer is one evaluation).
	MaxVisits = 200_000
	// MaxAnswer bounds the answer a check reads, in bytes.
	MaxAnswer = 1 << 20
)

// TooComplexError is a schema past MaxUnfolded or MaxDepth.
type TooComplexError struct {
	Unfolded, Depth int // as far as they were counted
}

func (e *TooComplexError) Error() string {
	if e.Depth > MaxDepth {
		return fmt.Sprintf("the schema is too complex: it nests subschemas more than %d deep (counting each $ref and anyOf/oneOf/allOf branch)", MaxDepth)
	}
	return fmt.Sprintf("the schema is too complex: through $ref and anyOf/oneOf/allOf it unfolds into more than %s subschemas (the limit)", units.Thousands(MaxUnfolded))
}

// measure counts the unfolded size and depth of the schema graph under
// root, memoized per subschema, and stops counting past the limits: the
// work is linear in the distinct subschemas.
func measure(root *jsonschema.Schema) error {
	type count struct{ size, depth int }
	memo := map[*jsonschema.Schema]count{}
	onPath := map[*jsonschema.Schema]bool{}
	var walk func(s *jsonschema.Schema) count
	walk = func(s *jsonschema.Schema) count {
		if c, ok := memo[s]; ok {
			return c
		}
		if onPath[s] { // a cycle: recursion is bounded by the answer, and by the visit budget
			return count{1, 1}
		}
		onPath[s] = true
		c := count{size: 1}
		subschemas(s, func(sub *jsonschema.Schema) {
			if c.size > MaxUnfolded || c.depth > MaxDepth {
				return
			}
			k := walk(sub)
			c.size = min(c.size+k.size, MaxUnfolded+1)
			c.depth = max(c.depth, k.depth)
		})
		c.depth = min(c.depth+1, MaxDepth+1)
		delete(onPath, s)
		memo[s] = c
		return c
	}
	if c := walk(root); c.size > MaxUnfolded || c.depth > MaxDepth {
		return &TooComplexError{Unfolded: c.size, Depth: c.depth}
	}
	return nil
}

// budgetSpent is the panic that stops a check past MaxVisits.
type budgetSpent struct{}

// instrument makes every subschema of root count its evaluations against
// budget, and panic with budgetSpent when it is spent. The validator has
// no context or step limit of its own; "format" is the one hook it calls
// early in every evaluation of a subschema (after type, const and enum,
// which end an evaluation without going deeper), so each evaluation that
// goes on to subschemas is counted. An existing format check is kept. It
// reports whether a subschema uses $dynamicRef, whose dynamic targets may
// lie outside the graph walked here (they would escape the count).
func instrument(root *jsonschema.Schema, budget *int) (dynamic bool) {
	seen := map[*jsonschema.Schema]bool{}
	var walk func(s *jsonschema.Schema)
	walk = func(s *jsonschema.Schema) {
		if seen[s] {
			return
		}
		seen[s] = true
		if s.DynamicRef != nil {
			dynamic = true
		}
		if s.Bool == nil {
			orig := s.Format
			f := &jsonschema.Format{Validate: func(v any) error {
				if *budget--; *budget < 0 {
					panic(budgetSpent{})
				}
				if orig != nil {
					return orig.Validate(v)
				}
				return nil
			}}
			if orig != nil {
				f.Name = orig.Name
			}
			s.Format = f // a fresh Format: the library's own are shared
		}
		subschemas(s, walk)
	}
	walk(root)
	return dynamic
}

// subschemas calls f with each subschema s applies, in place or to a part
// of the answer.
func subschemas(s *jsonschema.Schema, f func(*jsonschema.Schema)) {
	one := func(ss ...*jsonschema.Schema) {
		for _, x := range ss {
			if x != nil {
				f(x)
			}
		}
	}
	anySchema := func(v any) {
		switch x := v.(type) {
		case *jsonschema.Schema:
			one(x)
		case []*jsonschema.Schema:
			one(x...)
		}
	}
	one(s.Ref, s.RecursiveRef, s.Not, s.If, s.Then, s.Else, s.PropertyNames, s.UnevaluatedProperties,
		s.Contains, s.Items2020, s.UnevaluatedItems, s.ContentSchema)
	if s.DynamicRef != nil {
		one(s.DynamicRef.Ref)
	}
	one(s.AllOf...)
	one(s.AnyOf...)
	one(s.OneOf...)
	one(s.PrefixItems...)
	for _, x := range s.Properties {
		one(x)
	}
	for _, x := range s.PatternProperties {
		one(x)
	}
	for _, x := range s.DependentSchemas {
		one(x)
	}
	for _, v := range s.Dependencies {
		anySchema(v)
	}
	anySchema(s.AdditionalProperties)
	anySchema(s.Items)
	anySchema(s.AdditionalItems)
}
