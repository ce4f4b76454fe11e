// Package tokens counts tokens offline with tiktoken's o200k_base encoding,
// embedded in the binary (github.com/tiktoken-go/tokenizer), and estimates
// the prompt tokens of chat messages and images the way OpenAI bills them.
package tokens

import (
	"encoding/json"
	"math"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer"
)

// Encoding is the name of the encoding used for every estimate.
const Encoding = "o200k_base"

// Chat framing, as in OpenAI's cookbook for the gpt-4o family: every message
// costs 3 tokens of framing and the reply is primed with 3 more.
const (
	PerMessage  = 3
	ReplyPrimer = 3
)

// Image tokens: a low-detail image costs 85 tokens; a high or auto detail
// image costs 85 plus 170 per 512px tile. Images are never fetched, so their
// size is unknown and a 1024x1024 image (4 tiles) is assumed.
const (
	ImageLow  = 85
	ImageHigh = 85 + 170*4
)

// Counter counts tokens. The zero value is ready; it loads the encoding on
// first use.
type Counter struct {
	once  sync.Once
	codec tokenizer.Codec
	err   error
	// counted is the bytes tokenized so far (see Counted).
	counted atomic.Int64
}

// Counted is the bytes the counter has tokenized so far: the work it did.
func (c *Counter) Counted() int64 { return c.counted.Load() }

// Estimates of long texts. Counting is linear in the text at best, and BPE
// of a long run without spaces is superlinear in the run (1 MiB of "x"
// takes 0.6 s); the form's preview counts on every keystroke. Estimate
// counts a text up to EstimateExact bytes exactly and samples a longer one.
const (
	EstimateExact   = 64 << 10
	estimateWindows = 8
	estimateWindow  = 4 << 10
)

// Estimate returns the tokens of s: exact (Count) up to EstimateExact
// bytes; past that, counted in estimateWindows windows of estimateWindow
// bytes spread over s and scaled to its length (exact is false). The work
// is bounded by EstimateExact bytes whatever the length of s.
func (c *Counter) Estimate(s string) (n int, exact bool) {
	if len(s) <= EstimateExact {
		return c.Count(s), true
	}
	step := len(s) / estimateWindows
	sampled, counted := 0, 0
	for i := range estimateWindows {
		start := runeStart(s, i*step)
		w := s[start:runeStart(s, min(start+estimateWindow, len(s)))]
		counted += c.Count(w)
		sampled += len(w)
	}
	return int(math.Round(float64(counted) * float64(len(s)) / float64(max(sampled, 1)))), false
}

// runeStart moves i back to the start of the rune it falls in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

func (c *Counter) load() {
	c.codec, c.err = tokenizer.Get(tokenizer.O200kBase)
}

// Count returns the number of tokens in s.
func (c *Counter) Count(s string) int {
	if s == "" {
		return 0
	}
	c.once.Do(c.load)
	c.counted.Add(int64(len(s)))
	if c.err != nil {
		// The encoding is embedded; this cannot fail in a built binary.
		return (len(s) + 3) / 4
	}
	n, err := c.codec.Count(s)
	if err != nil {
		return (len(s) + 3) / 4
	}
	return n
}

// Encode returns the token ids of s.
func (c *Counter) Encode(s string) []uint {
	c.once.Do(c.load)
	if c.err != nil {
		return nil
	}
	ids, _, _ := c.codec.Encode(s)
	return ids
}

// Decode returns the text of token ids.
func (c *Counter) Decode(ids []uint) string {
	c.once.Do(c.load)
	if c.err != nil {
		return ""
	}
	s, _ := c.codec.Decode(ids)
	return s
}

// Image returns the estimated tokens of one image at the detail level.
func Image(detail string) int {
	if detail == "low" {
		return ImageLow
	}
	return ImageHigh
}

// PerTool is the framing of one function tool definition in the prompt,
// on top of its name, description and parameters.
const PerTool = 8

// Tools counts the function tool definitions of a request as prompt
// tokens: per tool, PerTool plus its name, its description and its
// parameters' JSON (compact, keys sorted). tools is the decoded tools array
// in either shape, Chat's {type, function: {name, …}} or Responses' flat
// {type, name, …}; the estimate and the simulator count it alike.
func (c *Counter) Tools(tools any) int {
	list, _ := tools.([]any)
	n := 0
	for _, t := range list {
		tm, _ := t.(map[string]any)
		fn, ok := tm["function"].(map[string]any)
		if !ok {
			fn = tm
		}
		name, _ := fn["name"].(string)
		desc, _ := fn["description"].(string)
		n += PerTool + c.Count(name) + c.Count(desc)
		if p, ok := fn["parameters"]; ok && p != nil {
			n += c.Count(canonicalJSON(p))
		}
	}
	return n
}

// Format counts a structured-output definition as prompt tokens: the
// schema's name and its JSON (compact, keys sorted). format is Chat's
// decoded response_format ({type, json_schema: {name, schema}}), Responses'
// text.format ({type, name, schema}) or the bare {name, schema}; a format
// without a schema (text, json_object) counts nothing.
func (c *Counter) Format(format any) int {
	m, _ := format.(map[string]any)
	if js, ok := m["json_schema"].(map[string]any); ok {
		m = js
	}
	schema, ok := m["schema"]
	if !ok || schema == nil {
		return 0
	}
	name, _ := m["name"].(string)
	return c.Count(name) + c.Count(canonicalJSON(schema))
}

// canonicalJSON writes a decoded JSON value compactly with sorted keys, so
// that the same definition counts the same whoever decoded it.
func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
