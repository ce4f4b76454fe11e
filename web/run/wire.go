package run

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

func jsonEvent(name string, v any) Event {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	return Event{Name: name, Data: b}
}

// toolEvents are the browser's tool events of choice i: while streaming,
// each changed call's new arguments ("a", appended to what the browser
// has) or, after the provider replaced them, all of them ("args"), with
// the name and id when they change; with all, every call whole and
// pretty-printed ("final"), as a reloaded page and the history show it.
func (r *Run) toolEvents(i int, c *choiceState, all bool) []Event {
	calls := r.res.Choice(i).Tools
	var evs []Event
	for idx, tc := range calls {
		if all {
			evs = append(evs, jsonEvent("tool", map[string]any{"c": i, "i": idx, "id": r.red.String(tc.ID), "name": r.red.String(tc.Name),
				"args": prettyJSON(r.red.String(tc.Args)), "final": true}))
			continue
		}
		ts := c.tools[idx]
		if !c.dirty[idx] || ts == nil {
			continue
		}
		ev := map[string]any{"c": i, "i": idx}
		if tc.Name != ts.name {
			ev["name"], ts.name = r.red.String(tc.Name), tc.Name
		}
		if tc.ID != ts.id {
			ev["id"], ts.id = r.red.String(tc.ID), tc.ID
		}
		a := ts.red.Write(ts.pending.String())
		ts.pending.Reset()
		if ts.replace {
			ev["args"], ts.replace = a, false
		} else if a != "" {
			ev["a"] = a
		}
		if len(ev) > 2 {
			evs = append(evs, jsonEvent("tool", ev))
		}
	}
	return evs
}

func prettyJSON(s string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(s), "", "  ") != nil {
		return s
	}
	return buf.String()
}

// maxLogprobTokens bounds the tokens with probabilities held between two
// flushes.
const maxLogprobTokens = 4096

// logprobEvent is the browser's lp event of choice c's new tokens:
// {"c": choice, "toks": [[token, logprob, [[alternative, logprob], …]], …]}.
// The tokens are read as one text for the key, like the answer's text;
// those that could still be its start wait for the next flush (all go
// with final).
func (r *Run) logprobEvent(i int, c *choiceState, final bool) (Event, bool) {
	toks := append(c.lpHeld, c.logprobs...)
	c.logprobs = c.logprobs[:0]
	if len(toks) == 0 {
		return Event{}, false
	}
	texts := make([]string, len(toks))
	for k, t := range toks {
		texts[k] = t.Token
	}
	out, ready := r.red.Tokens(texts, final)
	c.lpHeld = append(c.lpHeld[:0:0], toks[ready:]...)
	for k := range c.lpHeld {
		c.lpHeld[k].Token = out[ready+k] // a spelling they finish is gone
	}
	if ready == 0 {
		return Event{}, false
	}
	type alt [2]any
	rows := make([][3]any, ready)
	for k, t := range toks[:ready] {
		alts := make([]alt, len(t.Top))
		stored := TokenOutput{Token: out[k], Logprob: t.Logprob}
		for j, a := range t.Top {
			tok := r.red.String(a.Token)
			alts[j] = alt{tok, a.Logprob}
			stored.Top = append(stored.Top, TokenAlt{Token: tok, Logprob: a.Logprob})
		}
		rows[k] = [3]any{out[k], t.Logprob, alts}
		// The history keeps the tokens as shown (MaxStoredTokens).
		if len(c.shown) < MaxStoredTokens {
			c.shown = append(c.shown, stored)
		}
	}
	return jsonEvent("lp", map[string]any{"c": i, "toks": rows}), true
}

func mdEvent(c int, html, tail string) Event {
	b := []byte(`{"c":`)
	b = strconv.AppendInt(b, int64(c), 10)
	b = append(b, `,"h":`...)
	b = appendJSONString(b, html)
	b = append(b, `,"tail":`...)
	b = appendJSONString(b, tail)
	b = append(b, '}')
	return Event{Name: "md", Data: b}
}

// delta is the browser's delta event: text, reasoning and refusal of a
// choice that arrived together.
type delta struct {
	c       int
	t, r, x string
	// rn is the reasoning's tokens so far (as the tokenizer counts each
	// piece), sent with reasoning: the panel's live count while it thinks.
	rn int
}

func (d delta) appendJSON(b []byte) []byte {
	b = append(b, `{"c":`...)
	b = strconv.AppendInt(b, int64(d.c), 10)
	if d.rn > 0 {
		b = append(b, `,"rn":`...)
		b = strconv.AppendInt(b, int64(d.rn), 10)
	}
	for _, f := range []struct {
		k, v string
	}{{"t", d.t}, {"r", d.r}, {"x", d.x}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.k...)
			b = append(b, `":`...)
			b = appendJSONString(b, f.v)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string (no reflection: this is on
// every event's path). <, > and & are escaped so the data is inert anywhere.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < 0x7f {
			continue
		}
		if c >= 0x80 {
			// Valid UTF-8 passes through, except U+2028/2029; invalid bytes
			// become U+FFFD.
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, s[start:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xF])
			default:
				i += size - 1
				continue
			}
			i += size - 1
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// InterruptedEnding is the failure and done events of a run whose
// instance died, as another instance ends it (web/cluster): its followers
// are told it broke off, as when a provider's stream does.
func InterruptedEnding(message string) []Event {
	return []Event{jsonEvent("failure", ErrorView{Message: message}),
		jsonEvent("done", Outcome{State: Interrupted, Reason: message, Finish: []string{}})}
}
