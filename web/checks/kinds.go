package checks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/structured"
	"github.com/playground-dev/playground/web/units"
)

// kinds evaluates each kind (but the judge) on a valid check: "" when the
// answer passes, else what is wrong with it.
var kinds = map[Kind]func(Check, Answer) string{
	Equals: func(c Check, a Answer) string {
		if got := strings.TrimSpace(a.Text); got != strings.TrimSpace(c.Value) {
			return fmt.Sprintf("the answer is %s, not %q", quoted(got), strings.TrimSpace(c.Value))
		}
		return ""
	},
	Contains: func(c Check, a Answer) string {
		found, missing := occurrences(c.Values, a.Text)
		switch {
		case c.Match == Any && len(found) == 0:
			return "contains none of " + quotedList(missing)
		case c.Match != Any && len(missing) > 0:
			return "does not contain " + quotedList(missing)
		}
		return ""
	},
	NotContains: func(c Check, a Answer) string {
		found, missing := occurrences(c.Values, a.Text)
		switch {
		case c.Match == All && len(missing) == 0:
			return "contains all of " + quotedList(found)
		case c.Match != All && len(found) > 0:
			return "contains " + quotedList(found)
		}
		return ""
	},
	Regex: func(c Check, a Answer) string {
		if !regexp.MustCompile(c.Pattern).MatchString(a.Text) {
			return fmt.Sprintf("does not match /%s/", c.Pattern)
		}
		return ""
	},
	StartsWith: func(c Check, a Answer) string {
		got := strings.TrimLeft(a.Text, " \t\r\n")
		if !strings.HasPrefix(got, c.Value) {
			return fmt.Sprintf("does not start with %q (it starts with %s)", c.Value, quoted(got))
		}
		return ""
	},
	IsJSON: func(c Check, a Answer) string {
		if _, why := parseAnswer(a.Text); why != "" {
			return why
		}
		return ""
	},
	JSONSchema: func(c Check, a Answer) string {
		if _, why := parseAnswer(a.Text); why != "" {
			return why
		}
		r := structured.Check(structured.Expect{Mode: structured.JSONSchema, Schema: json.RawMessage(c.Schema)}, a.Text)
		if r.Valid {
			return ""
		}
		var parts []string
		for i, f := range r.Failures {
			if i == 3 {
				parts = append(parts, fmt.Sprintf("and %d more", len(r.Failures)-i))
				break
			}
			if f.Path == "" {
				parts = append(parts, f.Message)
			} else {
				parts = append(parts, "at "+f.Path+": "+f.Message)
			}
		}
		return "does not match the schema: " + strings.Join(parts, "; ")
	},
	CloseTo: func(c Check, a Answer) string {
		doc, why := parseAnswer(a.Text)
		if why != "" {
			return why
		}
		v, err := lookup(doc, c.Pointer)
		if err != nil {
			return err.Error()
		}
		at := c.Pointer
		if at == "" {
			at = "the answer"
		}
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Sprintf("%s is %s, not a number", at, jsonKind(v))
		}
		got, ok := number(string(n))
		if !ok {
			return fmt.Sprintf("%s is %s, which does not read as a number", at, n)
		}
		want, _ := number(c.Value)
		tol := new(big.Rat)
		if c.Tolerance != "" {
			tol, _ = number(c.Tolerance)
		}
		if diff := new(big.Rat).Sub(got, want); diff.Abs(diff).Cmp(tol) > 0 {
			if tol.Sign() == 0 {
				return fmt.Sprintf("%s is %s, not %s", at, n, strings.TrimSpace(c.Value))
			}
			return fmt.Sprintf("%s is %s, not within %s of %s", at, n, strings.TrimSpace(c.Tolerance), strings.TrimSpace(c.Value))
		}
		return ""
	},
	Length: func(c Check, a Answer) string {
		n := utf8.RuneCountInString(strings.TrimSpace(a.Text))
		switch {
		case c.Min != nil && n < *c.Min:
			return fmt.Sprintf("is %s, fewer than %d", units.Plural(n, "character", "characters"), *c.Min)
		case c.Max != nil && n > *c.Max:
			return fmt.Sprintf("is %s, more than %d", units.Plural(n, "character", "characters"), *c.Max)
		}
		return ""
	},
	MaxLatency: func(c Check, a Answer) string {
		limit, _ := time.ParseDuration(c.Duration)
		if a.Latency > limit {
			return fmt.Sprintf("latency %s > %s", seconds(a.Latency), seconds(limit))
		}
		return ""
	},
	MaxCost: func(c Check, a Answer) string {
		limit, _ := number(c.Amount)
		var got *big.Rat
		write := cost.FormatCredits
		if strings.EqualFold(c.Currency, Credits) {
			got = a.Credits
		} else {
			for cur, r := range a.Cost {
				if strings.EqualFold(cur, c.Currency) && r != nil {
					got, write = r, func(r *big.Rat) string { return cost.Format(r, cur) }
				}
			}
		}
		if got == nil {
			var in []string
			for cur, r := range a.Cost {
				if r != nil {
					in = append(in, cur)
				}
			}
			if len(in) > 0 {
				slices.Sort(in)
				return fmt.Sprintf("the cost is in %s, not %s", strings.Join(in, ", "), c.Currency)
			}
			return "the cost is not known (the model has no price)"
		}
		if got.Cmp(limit) > 0 {
			return fmt.Sprintf("cost %s > %s", write(got), write(limit))
		}
		return ""
	},
	FinishReason: func(c Check, a Answer) string {
		if len(a.Finish) == 0 {
			return "no finish reason was reported"
		}
		for _, f := range a.Finish {
			if f != c.Value {
				return fmt.Sprintf("finished with %q, not %q", f, c.Value)
			}
		}
		return ""
	},
	ToolCalled: toolCalled,
}

// occurrences parts the values into those found in text and the rest.
func occurrences(values []string, text string) (found, missing []string) {
	for _, v := range values {
		if strings.Contains(text, v) {
			found = append(found, v)
		} else {
			missing = append(missing, v)
		}
	}
	return found, missing
}

// parseAnswer reads the trimmed answer as one JSON value, or says why it
// is not one.
func parseAnswer(text string) (any, string) {
	t := strings.TrimSpace(text)
	v, err := decodeJSON(t)
	if err == nil {
		return v, ""
	}
	why := "is not JSON: " + err.Error()
	if err.Error() == "EOF" {
		why = "is not JSON: it is empty"
	}
	if strings.HasPrefix(t, "```") {
		why += " (it is wrapped in a ``` code fence)"
	}
	return nil, why
}

func toolCalled(c Check, a Answer) string {
	var names []string
	var called []ToolCall
	for _, t := range a.Tools {
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
		if t.Name == c.Tool {
			called = append(called, t)
		}
	}
	if len(a.Tools) == 0 {
		return "no tool was called"
	}
	if len(called) == 0 {
		return fmt.Sprintf("%q was not called (called: %s)", c.Tool, quotedList(names))
	}
	if len(c.Arguments) == 0 {
		return ""
	}
	want, _ := decodeJSON(string(c.Arguments))
	var last string
	for _, t := range called {
		got, err := decodeJSON(t.Arguments)
		if err != nil {
			last = fmt.Sprintf("%q was called with arguments that are not JSON: %s", c.Tool, short(t.Arguments, 120))
			continue
		}
		if matchJSON(got, want, c.Match == Subset) {
			return ""
		}
		last = fmt.Sprintf("%q was called with %s, not %s", c.Tool, short(compact(t.Arguments), 120), short(compact(string(c.Arguments)), 120))
		if c.Match == Subset {
			last = fmt.Sprintf("%q was called with %s, which does not include %s", c.Tool, short(compact(t.Arguments), 120), short(compact(string(c.Arguments)), 120))
		}
	}
	return last
}

// matchJSON says got equals want as JSON values (numbers by value, keys
// in any order); with subset, an object of got may have members want
// does not, at any depth (arrays still match item by item).
func matchJSON(got, want any, subset bool) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || (!subset && len(g) != len(w)) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !matchJSON(gv, wv, subset) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matchJSON(g[i], w[i], subset) {
				return false
			}
		}
		return true
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return false
		}
		x, ok1 := number(string(g))
		y, ok2 := number(string(w))
		return ok1 && ok2 && x.Cmp(y) == 0
	}
	return got == want
}

// compact is JSON text without its insignificant white space.
func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// short cuts s to n runes, with an ellipsis.
func short(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// quoted is the answer quoted for a reason, cut to 80 characters.
func quoted(s string) string {
	if s == "" {
		return "empty"
	}
	return strconv.Quote(short(s, 80))
}

func quotedList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// seconds writes a duration in seconds, to the millisecond ("2.1 s").
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}
