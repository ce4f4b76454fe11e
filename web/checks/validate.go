package checks

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/structured"
)

// FieldError is one thing wrong with a check: which check (its index),
// which field (as written: "pattern", "values[1]"), and what.
type FieldError struct {
	Index   int
	Field   string
	Message string
}

// Error reads "checks[2].pattern: missing closing ): `(ab`".
func (e *FieldError) Error() string {
	return fmt.Sprintf("checks[%d].%s: %s", e.Index, e.Field, e.Message)
}

// Problem is the error as an invalid input, for problem.Of.
func (e *FieldError) Problem() *problem.Error {
	return &problem.Error{Kind: problem.KindInvalid, Message: e.Error(), Field: fmt.Sprintf("checks[%d].%s", e.Index, e.Field)}
}

// Errors are all that is wrong with a list of checks, in order.
type Errors []*FieldError

// Error is one line per error.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Problem is the first error as an invalid input, for problem.Of.
func (es Errors) Problem() *problem.Error {
	p := es[0].Problem()
	p.Message = es.Error()
	return p
}

// Validate says what is wrong with the checks, as Errors (nil when they
// are all valid): an unknown type, a field the type does not read, a
// missing one, a pattern that does not compile, a schema the compiler
// refuses, a number, duration or amount that does not read. A field
// holding a {{variable}} is checked once bound (Evaluate does).
func Validate(checks []Check) error {
	var all Errors
	for i, c := range checks {
		all = append(all, validate(i, c)...)
	}
	if len(all) == 0 {
		return nil
	}
	return all
}

// validate checks one check, at index i.
func validate(i int, c Check) Errors {
	var errs Errors
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Index: i, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	fields, ok := fieldsOf[c.Type]
	if !ok {
		if c.Type == "" {
			add("type", "missing (one of %s)", kindList())
		} else {
			add("type", "%q is not a check (one of %s)", c.Type, kindList())
		}
		return errs
	}
	for _, f := range c.setFields() {
		if f != "type" && f != "name" && !slices.Contains(fields, f) {
			add(f, "not a field of %s (its fields: %s)", c.Type, fieldList(fields))
		}
	}
	required := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			add(field, "missing")
		}
	}
	switch c.Type {
	case Equals, StartsWith, FinishReason:
		required("value", c.Value)
	case Contains, NotContains:
		if len(c.Values) == 0 {
			add("values", "missing: list at least one text")
		}
		for j, v := range c.Values {
			if v == "" {
				add(fmt.Sprintf("values[%d]", j), "empty")
			}
		}
		if c.Match != "" && c.Match != Any && c.Match != All {
			add("match", "%q is neither %s nor %s", c.Match, Any, All)
		}
	case Regex:
		if c.Pattern == "" {
			add("pattern", "missing")
		}
		if _, err := regexp.Compile(c.Pattern); err != nil {
			add("pattern", "%s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	case JSONSchema:
		if len(c.Schema) == 0 {
			add("schema", "missing")
		} else if _, err := structured.Compile(json.RawMessage(c.Schema)); err != nil {
			add("schema", "%s", err)
		}
	case CloseTo:
		if _, err := pointerTokens(c.Pointer); err != nil {
			add("pointer", "%s", err)
		}
		required("value", c.Value)
		if _, ok := number(c.Value); c.Value != "" && !ok && !hasVar(c.Value) {
			add("value", "%q is not a number", c.Value)
		}
		if t, ok := number(c.Tolerance); c.Tolerance != "" && (!ok || t.Sign() < 0) {
			add("tolerance", "%q is not a number of 0 or more", c.Tolerance)
		}
	case Length:
		if c.Min == nil && c.Max == nil {
			add("min", "give min, max or both")
		}
		if c.Min != nil && *c.Min < 0 {
			add("min", "%d is less than 0", *c.Min)
		}
		if c.Min != nil && c.Max != nil && *c.Max < *c.Min {
			add("max", "%d is less than min (%d)", *c.Max, *c.Min)
		}
	case MaxLatency:
		if d, err := time.ParseDuration(c.Duration); c.Duration == "" {
			add("duration", "missing (a duration such as 1.5s or 800ms)")
		} else if err != nil || d <= 0 {
			add("duration", "%q is not a duration such as 1.5s or 800ms", c.Duration)
		}
	case MaxCost:
		if a, ok := number(c.Amount); c.Amount == "" {
			add("amount", "missing (an exact amount such as 0.01)")
		} else if !ok || a.Sign() < 0 {
			add("amount", "%q is not an amount of 0 or more", c.Amount)
		}
		required("currency", c.Currency)
	case ToolCalled:
		required("tool", c.Tool)
		if len(c.Arguments) > 0 && !jsonValid(c.Arguments) {
			add("arguments", "not JSON")
		}
		if c.Match != "" && c.Match != Equal && c.Match != Subset {
			add("match", "%q is neither %s nor %s", c.Match, Equal, Subset)
		}
		if c.Match != "" && len(c.Arguments) == 0 {
			add("match", "needs arguments to match")
		}
	case JudgeKind:
		required("rubric", c.Rubric)
		required("model", c.Model)
	}
	return errs
}

// number reads an exact number: a decimal ("0.01", "1e-3") or a fraction
// ("1/3").
func number(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func fieldList(fields []string) string {
	if len(fields) == 0 {
		return "none"
	}
	return strings.Join(fields, ", ")
}
