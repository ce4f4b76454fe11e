package sim

import (
	"bytes"
	crand "crypto/rand"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

func randRead(b []byte) (int, error) { return crand.Read(b) }

// Bounds of the generator. The schema comes from a person (a tool's
// parameters or a response_format) and the simulator runs inside the
// playground's process: minItems 50000000 must not allocate 50 million
// values. Past a bound the answer is shorter than the schema asks, and
// still JSON.
const (
	// maxGenItems bounds the items of one array (minItems above it is cut).
	maxGenItems = 1000
	// maxGenString bounds a string taken from the prompt, in bytes.
	maxGenString = 64
	// maxGenBytes bounds the whole answer, roughly, in bytes of JSON: past
	// it arrays stop growing and objects stop gaining properties.
	maxGenBytes = 64 << 10
)

// genArgs writes tool arguments that are valid against the tool's JSON
// Schema: every required property, values of the right type, enum values
// from the enum, strings taken from the prompt where they fit. The
// arguments stay within maxGenItems, maxGenString and maxGenBytes.
func genArgs(schema map[string]any, prompt string, lm *LM, seed uint64) string {
	g := &valueGen{prompt: prompt, lm: lm, rng: mrand(seed), left: maxGenBytes}
	v := g.value(schema, "", 0)
	if _, ok := v.(map[string]any); !ok {
		v = map[string]any{}
	}
	return marshalOrdered(v)
}

func mrand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

type valueGen struct {
	prompt string
	lm     *LM
	rng    *rand.Rand
	// left is what remains of maxGenBytes.
	left int
	// words are the prompt's words, split once.
	words []string
	split bool
}

// spend counts n bytes of the answer against the budget.
func (g *valueGen) spend(n int) { g.left -= n }

// spent reports whether the budget is used up.
func (g *valueGen) spent() bool { return g.left <= 0 }

func (g *valueGen) value(schema map[string]any, name string, depth int) any {
	if schema == nil || depth > 6 {
		g.spend(2)
		return map[string]any{}
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		g.spend(jsonSize(enum[0]))
		return enum[0]
	}
	if c, ok := schema["const"]; ok {
		g.spend(jsonSize(c))
		return c
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts, ok := schema[k].([]any); ok && len(alts) > 0 {
			if m, ok := alts[0].(map[string]any); ok {
				return g.value(m, name, depth+1)
			}
		}
	}
	typ := schema["type"]
	if list, ok := typ.([]any); ok && len(list) > 0 {
		typ = list[0]
		for _, t := range list {
			if t != "null" {
				typ = t
				break
			}
		}
	}
	switch typ {
	case "object", nil:
		props, _ := schema["properties"].(map[string]any)
		out := map[string]any{}
		g.spend(2)
		for _, k := range sortedKeys(props) { // sorted: the cut is stable
			if g.spent() {
				break
			}
			pm, _ := props[k].(map[string]any)
			g.spend(len(k) + 4)
			out[k] = g.value(pm, k, depth+1)
		}
		return out
	case "array":
		items, _ := schema["items"].(map[string]any)
		n := 1
		if mi, ok := num(schema["minItems"]); ok && mi > 1 {
			n = int(min(mi, maxGenItems))
		}
		out := make([]any, 0, n)
		g.spend(2)
		for range n {
			if g.spent() && len(out) > 0 {
				break
			}
			out = append(out, g.value(items, name, depth+1))
			g.spend(1)
		}
		return out
	case "string":
		str := g.stringFor(name, schema)
		g.spend(len(str) + 2)
		return str
	case "integer":
		lo, hi := bounds(schema, 1, 10)
		return int(lo + float64(g.rng.IntN(int(hi-lo)+1)))
	case "number":
		lo, hi := bounds(schema, 0, 100)
		return float64(int((lo+(hi-lo)*g.rng.Float64())*10)) / 10
	case "boolean":
		return true
	case "null":
		return nil
	}
	return ""
}

func bounds(schema map[string]any, lo, hi float64) (float64, float64) {
	if v, ok := num(schema["minimum"]); ok {
		lo = v
	}
	if v, ok := num(schema["maximum"]); ok {
		hi = v
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// jsonSize is the length of v as JSON (a value copied from the schema).
func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// promptWords are the prompt's words, each cut to maxGenString bytes,
// split once per answer (an array of strings asks for many).
func (g *valueGen) promptWords() []string {
	if !g.split {
		g.split = true
		g.words = strings.FieldsFunc(g.prompt, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		for i, w := range g.words {
			if len(w) > maxGenString {
				cut := maxGenString
				for cut > 0 && !utf8.RuneStart(w[cut]) {
					cut--
				}
				g.words[i] = w[:cut]
			}
		}
	}
	return g.words
}

// stringFor picks a string for a property: a capitalized word of the prompt
// for places and names, a prompt word otherwise.
func (g *valueGen) stringFor(name string, schema map[string]any) string {
	fields := g.promptWords()
	lname := strings.ToLower(name)
	wantsPlace := strings.Contains(lname, "city") || strings.Contains(lname, "location") || strings.Contains(lname, "country") || strings.Contains(lname, "place")
	if wantsPlace || strings.Contains(lname, "name") {
		for i, w := range fields {
			if r, _ := utf8.DecodeRuneInString(w); i > 0 && len(w) > 1 && unicode.IsUpper(r) {
				return w
			}
		}
		if wantsPlace {
			return "Paris"
		}
	}
	if f, _ := schema["format"].(string); f == "date" {
		return "2026-11-22"
	}
	for _, w := range fields {
		if len(w) > 3 && !stopwords[strings.ToLower(w)] {
			return strings.ToLower(w)
		}
	}
	return "example"
}

// marshalOrdered writes JSON with sorted keys, so arguments are stable.
func marshalOrdered(v any) string {
	var buf bytes.Buffer
	writeOrdered(&buf, v)
	return buf.String()
}

func writeOrdered(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			writeOrdered(buf, x[k])
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeOrdered(buf, e)
		}
		buf.WriteByte(']')
	default:
		b, _ := json.Marshal(x)
		buf.Write(b)
	}
}

// planJSON answers a JSON response format: an object matching the schema
// (json_schema) or {"answer": text} (json_object).
func (s *Server) planJSON(r *req, c *choicePlan, prompt string, seed uint64, budget int) *choicePlan {
	var out string
	if js, ok := r.format["json_schema"].(map[string]any); ok {
		schema, _ := js["schema"].(map[string]any)
		out = genArgs(schema, prompt, s.lm, seed)
	} else if schema, ok := r.format["schema"].(map[string]any); ok { // Responses text.format
		out = genArgs(schema, prompt, s.lm, seed)
	} else {
		g := s.lm.NewGen(r.sampling, s.lm.Topics(prompt), seed)
		var text strings.Builder
		for n := 0; n < 2; {
			p, end := g.Next()
			text.WriteString(p)
			if end {
				n++
			}
		}
		b, _ := json.Marshal(map[string]string{"answer": strings.TrimSpace(text.String())})
		out = string(b)
	}
	c.finish = "stop"
	for i := 0; i < len(out); i += 12 {
		piece := out[i:min(i+12, len(out))]
		if t := s.tok.Count(piece); c.textTokens+t > budget {
			c.finish, c.incomplete = "length", true
			break
		}
		c.text = append(c.text, piece)
		c.textTokens += s.tok.Count(piece)
	}
	return c
}
