package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"time"
	"unicode/utf8"

	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// Limits bound what the history keeps. Zero in a field means no limit.
type Limits struct {
	// RunBytes caps what one stored run takes: its inputs (form and
	// request) may use up to three quarters of it, its answer what the
	// inputs leave, its raw stream what is left after both. Past its share
	// a part is cut (the answer, the stream) or not kept (the request body,
	// then the form's largest texts), with a note saying so where the part
	// is shown.
	RunBytes int64
	// OwnerBytes and OwnerRuns are each session's quota. Past either, the
	// session's oldest finished runs are deleted, unshared ones first.
	OwnerBytes int64
	OwnerRuns  int
	// Retention deletes runs (and comparisons) older than this.
	Retention time.Duration
	// TotalBytes caps the whole history: past it the oldest finished runs
	// of anyone are deleted, unshared ones first. Sessions are free, so
	// the quota per session alone does not bound the disk.
	TotalBytes int64
}

// DefaultLimits are the limits when none are configured: 8 MB a run,
// 200 MB and 5,000 runs a session, 90 days, 4 GB in all.
func DefaultLimits() Limits {
	return Limits{RunBytes: 8 << 20, OwnerBytes: 200 << 20, OwnerRuns: 5000, Retention: 90 * 24 * time.Hour, TotalBytes: 4 << 30}
}

// inputBudget is the part of RunBytes the inputs may take: enough for a
// 5 MiB prompt in an 8 MB run, leaving 2 MB for the answer. -1 is none.
func (l Limits) inputBudget() int64 {
	if l.RunBytes <= 0 {
		return -1
	}
	return l.RunBytes / 4 * 3
}

// maxPrompt bounds the prompt text kept beside the run for the list (the
// whole prompt is in the form).
const maxPrompt = 4 << 10

// cut returns s cut to at most n bytes at a rune boundary.
func cut(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// storedPrompt is the prompt as the runs table keeps it.
func storedPrompt(p string) string { return clean(promptExcerpt(p)) }

// promptExcerpt is p cut to maxPrompt bytes, with an ellipsis.
func promptExcerpt(p string) string {
	if len(p) <= maxPrompt {
		return p
	}
	return cut(p, maxPrompt-len("…")) + "…"
}

// storedInputs is a run's form and request as the run_inputs table keeps
// them.
type storedInputs struct {
	form, refs, request string
	// vars are the values of the form's variables (Entry.Vars), as JSON;
	// "" for none.
	vars string
}

func (s storedInputs) size() int64 {
	return int64(len(s.form) + len(s.refs) + len(s.request) + len(s.vars))
}

// storedVars is values as the vars column keeps them ("" for none).
func storedVars(values map[string]string) string {
	if len(values) == 0 {
		return ""
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[clean(k)] = clean(v)
	}
	return marshal(out)
}

// formRef says that value Index of form key Key is the JSON string at
// bytes [Off, Off+Len) of the request body: a prompt is sent in the body,
// so it is kept there once, not twice.
type formRef struct {
	Key   string `json:"k"`
	Index int    `json:"i"`
	Off   int    `json:"o"`
	Len   int    `json:"n"`
}

// refMin is the shortest value worth a reference.
const refMin = 1 << 10

// jsonStrings encodes s as a JSON string, with and without HTML escaping
// (the body is written without; either may appear).
func jsonStrings(s string) [][]byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	escaped, _ := json.Marshal(s)
	if bytes.Equal(plain, escaped) {
		return [][]byte{plain}
	}
	return [][]byte{plain, escaped}
}

// storeInputs makes what is kept of e's form and request under the
// limits: the form's long values that the body carries become references
// into the body; past the inputs' budget the request is kept without its
// body, then the form without its largest values, each with a note.
//
// The form's texts are addressed as the page posts them (input name and
// index, e.Form.Values()); what is stored is the typed draft again.
func (l Limits) storeInputs(e *Entry) storedInputs {
	form := url.Values{}
	for k, vs := range e.Form.Values() {
		form[k] = make([]string, len(vs))
		for i, v := range vs {
			form[k][i] = clean(v)
		}
	}
	req := e.Request
	req.Body = clean(req.Body)
	var refs []formRef
	body := []byte(req.Body)
	deduped := url.Values{}
	for k, vs := range form {
		deduped[k] = append([]string(nil), vs...)
		for i, v := range vs {
			if len(v) < refMin {
				continue
			}
			for _, lit := range jsonStrings(v) {
				if off := bytes.Index(body, lit); off >= 0 {
					refs = append(refs, formRef{Key: k, Index: i, Off: off, Len: len(lit)})
					deduped[k][i] = ""
					break
				}
			}
		}
	}
	sort.Slice(refs, func(a, b int) bool {
		if refs[a].Key != refs[b].Key {
			return refs[a].Key < refs[b].Key
		}
		return refs[a].Index < refs[b].Index
	})
	vars := storedVars(e.Vars)
	in := storedInputs{form: marshalForm(deduped), request: marshal(req), vars: vars}
	if len(refs) > 0 {
		in.refs = marshal(refs)
	}
	budget := l.inputBudget()
	if budget < 0 || in.size() <= budget {
		return in
	}
	// The request body goes first: a replay or fork makes it again from
	// the form.
	bodySize := int64(len(req.Body))
	req.Body, req.Omitted = "", fmt.Sprintf("The request body (%s) was not kept: a run keeps at most %s in the history, %s of it for the request.",
		units.Bytes(bodySize), units.Bytes(l.RunBytes), units.Bytes(budget))
	in = storedInputs{form: marshalForm(form), request: marshal(req), vars: vars}
	if in.size() <= budget {
		return in
	}
	// Then the form's largest values, each replaced by a note.
	type val struct {
		key string
		i   int
		n   int
	}
	var vals []val
	for k, vs := range form {
		for i, v := range vs {
			if len(v) >= refMin {
				vals = append(vals, val{k, i, len(v)})
			}
		}
	}
	sort.Slice(vals, func(a, b int) bool { return vals[a].n > vals[b].n })
	over := in.size() - budget
	for _, v := range vals {
		if over <= 0 {
			break
		}
		note := fmt.Sprintf("(Not kept: this text had %s; a run keeps at most %s in the history, %s of it for the request.)",
			units.Bytes(int64(v.n)), units.Bytes(l.RunBytes), units.Bytes(budget))
		form[v.key][v.i] = note
		over -= int64(v.n - len(note))
	}
	req.FormOmitted = true
	return storedInputs{form: marshalForm(form), request: marshal(req), vars: vars}
}

// marshalForm stores inputs as the typed draft they are.
func marshalForm(posted url.Values) string { return marshal(formpkg.Decode(posted)) }

// loadInputs reads what storeInputs kept back into e (a row stored
// before drafts were typed holds the posted form, which form.Draft reads).
func loadInputs(e *Entry, form, refs, req, vars string) {
	_ = json.Unmarshal([]byte(form), &e.Form)
	if vars != "" {
		_ = json.Unmarshal([]byte(vars), &e.Vars)
	}
	_ = json.Unmarshal([]byte(req), &e.Request)
	if refs == "" {
		return
	}
	var rs []formRef
	if json.Unmarshal([]byte(refs), &rs) != nil {
		return
	}
	body := e.Request.Body
	posted := e.Form.Values()
	for _, r := range rs {
		if r.Off < 0 || r.Len <= 0 || r.Off+r.Len > len(body) || r.Index < 0 || r.Index >= len(posted[r.Key]) {
			continue
		}
		var v string
		if json.Unmarshal([]byte(body[r.Off:r.Off+r.Len]), &v) == nil {
			posted[r.Key][r.Index] = v
		}
	}
	e.Form = formpkg.Decode(posted)
}

// storeOutput is the answer as kept under budget bytes (its JSON): when
// it is larger, the longest texts are cut, each ending in a note.
func (l Limits) storeOutput(out run.Output, budget int64) string {
	s := marshal(out)
	if int64(len(s)) <= budget {
		return s
	}
	cp := run.Output{Choices: make([]run.ChoiceOutput, len(out.Choices))}
	copy(cp.Choices, out.Choices)
	// Audio goes first (its transcript is the text): the largest, until
	// the rest fits.
	if s, ok := l.dropAudio(&cp, budget); ok {
		return s
	}
	// Then the token probabilities (the text stays whole).
	if s, ok := l.dropLogprobs(&cp, budget); ok {
		return s
	}
	// The texts of every choice, longest first, are cut until it fits.
	type text struct{ p *string }
	var texts []text
	for i := range cp.Choices {
		c := &cp.Choices[i]
		c.Tools = append([]run.ToolOutput(nil), c.Tools...)
		texts = append(texts, text{&c.Text}, text{&c.Reasoning}, text{&c.Refusal})
		for j := range c.Tools {
			texts = append(texts, text{&c.Tools[j].Args})
		}
	}
	sort.SliceStable(texts, func(a, b int) bool { return len(*texts[a].p) > len(*texts[b].p) })
	over := int64(len(s)) - budget
	for _, t := range texts {
		if over <= 0 {
			break
		}
		n := int64(len(*t.p))
		note := fmt.Sprintf("\n\n… (A run keeps at most %s in the history: the rest of this text, of %s in all, was not kept.)", units.Bytes(l.RunBytes), units.Bytes(n))
		keep := n - over - int64(len(note)) - 64 // JSON escaping of the note
		if keep < 0 {
			keep = 0
		}
		kept := cut(*t.p, int(keep))
		*t.p = kept + note
		over -= n - int64(len(*t.p))
	}
	s = marshal(cp)
	if int64(len(s)) > budget {
		// Escaping made it larger than counted (quotes, control bytes):
		// the texts are gone, the note stays.
		for _, t := range texts {
			if len(*t.p) > 0 {
				*t.p = fmt.Sprintf("… (A run keeps at most %s in the history: this text was not kept.)", units.Bytes(l.RunBytes))
			}
		}
		s = marshal(cp)
	}
	return s
}

// dropLogprobs leaves out the token probabilities of out's choices, the
// most tokens first, until out fits budget, with a note in place of each;
// it reports the output when it then fits.
func (l Limits) dropLogprobs(out *run.Output, budget int64) (string, bool) {
	var with []int
	for i, c := range out.Choices {
		if len(c.Logprobs) > 0 {
			with = append(with, i)
		}
	}
	sort.SliceStable(with, func(a, b int) bool { return len(out.Choices[with[a]].Logprobs) > len(out.Choices[with[b]].Logprobs) })
	for _, i := range with {
		out.Choices[i].Logprobs = nil
		out.Choices[i].LogprobsNote = fmt.Sprintf("the token probabilities were not kept: a run keeps at most %s in the history", units.Bytes(l.RunBytes))
		if s := marshal(*out); int64(len(s)) <= budget {
			return s, true
		}
	}
	return "", false
}

// dropAudio leaves out the audio of out's choices, the largest first,
// until out fits budget, with a note in place of each; it reports the
// output when it then fits.
func (l Limits) dropAudio(out *run.Output, budget int64) (string, bool) {
	var with []int
	for i, c := range out.Choices {
		if c.Audio != nil && len(c.Audio.Data) > 0 {
			with = append(with, i)
		}
	}
	sort.SliceStable(with, func(a, b int) bool {
		return len(out.Choices[with[a]].Audio.Data) > len(out.Choices[with[b]].Audio.Data)
	})
	for _, i := range with {
		a := *out.Choices[i].Audio
		a.Data = nil
		a.Note = fmt.Sprintf("the audio (%s) was not kept: a run keeps at most %s in the history", units.Bytes(int64(a.Bytes)), units.Bytes(l.RunBytes))
		out.Choices[i].Audio = &a
		if s := marshal(*out); int64(len(s)) <= budget {
			return s, true
		}
	}
	return "", false
}

// storeTranscript is the raw stream as kept under budget bytes: when it
// is larger it is cut after a line and ends with an SSE comment saying so
// (the file stays a valid event stream).
func (l Limits) storeTranscript(tr []byte, budget int64) []byte {
	if int64(len(tr)) <= budget {
		return tr
	}
	note := fmt.Sprintf("\n: A run keeps at most %s in the history: the rest of this stream, of %s in all, was not kept.\n",
		units.Bytes(l.RunBytes), units.Bytes(int64(len(tr))))
	keep := budget - int64(len(note))
	if keep < 0 {
		keep = 0
	}
	head := tr[:keep]
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	} else {
		head = nil
	}
	out := make([]byte, 0, len(head)+len(note))
	return append(append(out, head...), note...)
}
