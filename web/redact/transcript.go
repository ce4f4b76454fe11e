package redact

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// Transcript returns an event stream as received, with the key redacted:
// every spelling of it (String), and also a key cut across the events of
// one channel. The string values at the same place of successive events
// (the same JSON path, choices and tool calls by their "index", under the
// same event "type") are read as one text; the pieces of a key found in
// it are replaced, the first by Mask and the others by nothing, and the
// events that held them are re-encoded (compact JSON). Lines that are not
// "data:" lines with JSON stay as they are.
func (r *Redactor) Transcript(raw []byte) []byte { return r.transcript(raw, false) }

// OpenTranscript is Transcript for a stream still arriving: it ends
// before the event where a channel's text could still become the key (a
// key cut across events whose rest has not come yet).
func (r *Redactor) OpenTranscript(raw []byte) []byte { return r.transcript(raw, true) }

func (r *Redactor) transcript(raw []byte, open bool) []byte {
	if !r.Active() {
		return raw
	}
	for _, o := range r.also {
		raw = o.transcript(raw, open)
	}
	if r.key == "" {
		return raw
	}
	raw = r.Bytes(raw)
	if open {
		// A line not ended yet is no event yet, and may stop inside the
		// key: it shows once it is whole.
		raw = raw[:bytes.LastIndexByte(raw, '\n')+1]
	}
	lines := bytes.SplitAfter(raw, []byte("\n"))
	// Each place's string values, in the order the places first came,
	// as one text, and where each value is in it. The places' names are
	// built in one buffer: a place seen before costs no allocation.
	type leaf struct{ line, ord, start, end int }
	type group struct {
		text   []byte
		leaves []leaf
	}
	var groups []group
	index := map[string]int{}
	var path []byte
	var p fastjson.Parser
	for li, line := range lines {
		payload, ok := dataPayload(line)
		if !ok {
			continue
		}
		v, err := p.ParseBytes(payload)
		if err != nil {
			continue
		}
		path = path[:0]
		if v.Type() == fastjson.TypeObject {
			path = append(path, v.GetStringBytes("type")...)
		}
		path = append(path, '|')
		ord := 0
		walk(v, &path, &ord, func(path []byte, ord int, s []byte) {
			gi, ok := index[string(path)]
			if !ok {
				gi = len(groups)
				index[string(path)] = gi
				groups = append(groups, group{})
			}
			g := &groups[gi]
			start := len(g.text)
			g.text = append(g.text, s...)
			g.leaves = append(g.leaves, leaf{line: li, ord: ord, start: start, end: len(g.text)})
		})
	}
	// New texts of the leaves that hold a piece of a key; with open, the
	// first line not to show.
	repl := map[int]map[int]string{} // line -> ord -> text
	cut := len(lines)
	for _, g := range groups {
		if len(g.leaves) < 2 && !open {
			continue
		}
		text := string(g.text)
		if open {
			if _, held := r.hold(text); held != "" {
				from := len(text) - len(held)
				for k := len(g.leaves) - 1; k >= 0; k-- {
					if g.leaves[k].start <= from {
						cut = min(cut, g.leaves[k].line)
						break
					}
				}
			}
		}
		spans := r.spans(text)
		if len(spans) == 0 {
			continue
		}
		for _, l := range g.leaves {
			lo, hi := l.start, l.end
			var b bytes.Buffer
			at, changed := lo, false
			for _, sp := range spans {
				a, z := max(sp[0], lo), min(sp[1], hi)
				if a >= z {
					continue
				}
				changed = true
				b.WriteString(text[at:a])
				if a == sp[0] {
					b.WriteString(Mask)
				}
				at = z
			}
			if !changed {
				continue
			}
			b.WriteString(text[at:hi])
			if repl[l.line] == nil {
				repl[l.line] = map[int]string{}
			}
			repl[l.line][l.ord] = b.String()
		}
	}
	if cut < len(lines) {
		// From the start of the event that line belongs to.
		for cut > 0 && len(bytes.TrimRight(lines[cut-1], "\r\n")) > 0 {
			cut--
		}
		lines = lines[:cut]
	}
	if len(repl) == 0 && cut == len(lines) && !open {
		return raw
	}
	var out bytes.Buffer
	var arena fastjson.Arena
	for li, line := range lines {
		rs, ok := repl[li]
		if !ok {
			out.Write(line)
			continue
		}
		payload, _ := dataPayload(line)
		v, err := p.ParseBytes(payload)
		if err != nil {
			out.Write(line)
			continue
		}
		ord := 0
		rewrite(v, &ord, &arena, rs)
		out.WriteString("data: ")
		out.Write(v.MarshalTo(nil))
		out.Write(line[len(bytes.TrimRight(line, "\r\n")):])
		arena.Reset()
	}
	return out.Bytes()
}

// dataPayload is the value of a "data:" line.
func dataPayload(line []byte) ([]byte, bool) {
	line = bytes.TrimRight(line, "\r\n")
	rest, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return nil, false
	}
	rest, _ = bytes.CutPrefix(rest, []byte(" "))
	return rest, len(rest) > 0 && (rest[0] == '{' || rest[0] == '[')
}

// walk calls fn with each string value inside v (in document order,
// numbered by ord) and its place, *path followed by object keys, and
// array elements by their "index" member when they have one. fn's path
// and value are only valid during the call.
func walk(v *fastjson.Value, path *[]byte, ord *int, fn func(path []byte, ord int, s []byte)) {
	n := len(*path)
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(k []byte, c *fastjson.Value) {
			*path = append(append((*path)[:n], '/'), k...)
			visit(c, path, ord, fn)
		})
	case fastjson.TypeArray:
		a, _ := v.Array()
		for i, c := range a {
			*path = appendElemKey(append((*path)[:n], '/'), c, i)
			visit(c, path, ord, fn)
		}
	}
	*path = (*path)[:n]
}

func visit(c *fastjson.Value, path *[]byte, ord *int, fn func(path []byte, ord int, s []byte)) {
	if c.Type() == fastjson.TypeString {
		fn(*path, *ord, c.GetStringBytes())
		*ord++
		return
	}
	walk(c, path, ord, fn)
}

// appendElemKey names an array element: "#" and its "index" member when
// it has one, else its position.
func appendElemKey(b []byte, c *fastjson.Value, i int) []byte {
	if c.Type() == fastjson.TypeObject {
		if x := c.Get("index"); x != nil && x.Type() == fastjson.TypeNumber {
			return x.MarshalTo(append(b, '#'))
		}
	}
	return strconv.AppendInt(b, int64(i), 10)
}

// rewrite replaces the string values numbered as walk numbers them.
func rewrite(v *fastjson.Value, ord *int, arena *fastjson.Arena, repl map[int]string) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(k []byte, c *fastjson.Value) {
			if c.Type() != fastjson.TypeString {
				rewrite(c, ord, arena, repl)
				return
			}
			if s, ok := repl[*ord]; ok {
				o.Set(string(k), arena.NewString(s))
			}
			*ord++
		})
	case fastjson.TypeArray:
		a, _ := v.Array()
		for i, c := range a {
			if c.Type() != fastjson.TypeString {
				rewrite(c, ord, arena, repl)
				continue
			}
			if s, ok := repl[*ord]; ok {
				v.SetArrayItem(i, arena.NewString(s))
			}
			*ord++
		}
	}
}

// spans are the byte ranges of s that spell the key, in order and apart:
// plain and escaped spellings, and the key's base64 cores.
func (r *Redactor) spans(s string) [][2]int {
	out := r.plainSpans(s)
	n := len(out)
	for _, core := range r.b64 {
		for i := 0; ; {
			j := strings.Index(s[i:], core)
			if j < 0 {
				break
			}
			out = append(out, [2]int{i + j, i + j + len(core)})
			i += j + len(core)
		}
	}
	if len(out) == n {
		return out
	}
	sort.Slice(out, func(a, b int) bool { return out[a][0] < out[b][0] })
	merged := out[:1]
	for _, sp := range out[1:] {
		if last := &merged[len(merged)-1]; sp[0] < last[1] {
			last[1] = max(last[1], sp[1])
		} else {
			merged = append(merged, sp)
		}
	}
	return merged
}

// plainSpans are the byte ranges of s that spell the key plainly or
// escaped.
func (r *Redactor) plainSpans(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], r.first)
		if j < 0 {
			break
		}
		i += j
		if end, st := r.matchAt(s, i); st == matched {
			out = append(out, [2]int{i, end})
			i = end
			continue
		}
		i++
	}
	return out
}
