package checks

import (
	"encoding/json"
	"slices"
	"strings"
)

// Bind is the check with its {{name}} variables filled from values (a
// case's cells, expected values among them): in Value, Values, Pattern,
// Rubric, Tool and the strings inside Arguments. A value goes in as it is
// (in a pattern it is not quoted: write \Q{{name}}\E to match it
// literally); a variable with no value stays as written; {{"{{"}} is a
// literal {{. This is a small literal substitution; it moves to web/vars
// (the template package) once that is in.
func (c Check) Bind(values map[string]string) Check {
	b := c
	b.Value = fill(c.Value, values)
	if c.Values != nil {
		b.Values = make([]string, len(c.Values))
		for i, v := range c.Values {
			b.Values[i] = fill(v, values)
		}
	}
	b.Pattern = fill(c.Pattern, values)
	b.Rubric = fill(c.Rubric, values)
	b.Tool = fill(c.Tool, values)
	if len(c.Arguments) > 0 && hasVar(string(c.Arguments)) {
		if v, err := decodeJSON(string(c.Arguments)); err == nil {
			if out, err := json.Marshal(fillJSON(v, values)); err == nil {
				b.Arguments = out
			}
		}
	}
	return b
}

// Vars lists the variables the check's bindable fields name, in order of
// first appearance, each once: the columns a case needs.
func (c Check) Vars() []string {
	var names []string
	add := func(s string) {
		scan(s, func(name string) (string, bool) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
			return "", false
		})
	}
	add(c.Value)
	for _, v := range c.Values {
		add(v)
	}
	add(c.Pattern)
	add(c.Rubric)
	add(c.Tool)
	add(string(c.Arguments))
	return names
}

// escape is the template's literal {{.
const escape = `{{"{{"}}`

// scan copies s, replacing each {{name}} with sub's string when sub says
// so, and each escape with {{.
func scan(s string, sub func(name string) (string, bool)) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var sb strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		sb.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, escape) {
			sb.WriteString("{{")
			s = s[len(escape):]
			continue
		}
		end := strings.Index(s, "}}")
		name := ""
		if end > 0 {
			name = strings.TrimSpace(s[2:end])
		}
		if !validName(name) {
			sb.WriteString("{{")
			s = s[2:]
			continue
		}
		if v, ok := sub(name); ok {
			sb.WriteString(v)
		} else {
			sb.WriteString(s[:end+2])
		}
		s = s[end+2:]
	}
}

func fill(s string, values map[string]string) string {
	return scan(s, func(name string) (string, bool) {
		v, ok := values[name]
		return v, ok
	})
}

// fillJSON fills the strings of a decoded JSON value (keys too).
func fillJSON(v any, values map[string]string) any {
	switch v := v.(type) {
	case string:
		return fill(v, values)
	case []any:
		for i, e := range v {
			v[i] = fillJSON(e, values)
		}
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fill(k, values)] = fillJSON(e, values)
		}
		return m
	}
	return v
}

// hasVar says s holds a {{name}} variable.
func hasVar(s string) bool {
	found := false
	scan(s, func(string) (string, bool) { found = true; return "", false })
	return found
}

// validName: letters, digits, _, - and . (as web/vars has them).
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
