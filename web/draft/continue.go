package draft

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/vars"
)

// Errors of Continue (conflicts: the run cannot be carried on).
var (
	ErrNoConversation = problem.Errorf(problem.KindConflict, "Cannot continue: this model takes neither a conversation nor a prompt.")
	ErrNoAnswer       = problem.Errorf(problem.KindConflict, "Cannot continue: the run has no answer to continue from.")
)

// Continue is the form that carries a conversation on from a run: the
// run's form with the answer appended as an assistant message (its text,
// its tool calls, and its reasoning), then, when the answer called tools,
// a tool message per call holding results[call id] (empty for the person
// to fill in), else an empty user message for the next turn. A model that
// takes a prompt text instead (Completions) continues from its answer: each
// choice's text is appended to its prompt (the first choice's to the first
// prompt when the counts differ), so the next run carries the text on.
func Continue(m *catalog.Model, values form.Draft, out run.Output, results map[string]string) (form.Draft, error) {
	return cont(m, values, out, results, "")
}

// ErrNotStored is returned by ContinueStored for a run the provider did
// not keep.
var ErrNotStored = problem.Errorf(problem.KindConflict, "Cannot continue: the provider did not store this response, so it cannot be continued by id.")

// ContinueStored carries a Responses conversation on by reference: the
// form names the run's response as previous_response_id and its input
// holds only the new turn (the tool results, or an empty user message);
// the provider keeps the rest, reasoning included.
func ContinueStored(m *catalog.Model, values form.Draft, out run.Output, results map[string]string, responseID string) (form.Draft, error) {
	if _, ok := m.FieldWithRole(catalog.RolePreviousResponse); !ok || responseID == "" {
		return nil, ErrNotStored
	}
	return cont(m, values, out, results, responseID)
}

// Next is the form of a run's next turn: with stored, by reference to
// the run's stored response (ContinueStored, with o's response id when the
// provider kept it, else ErrNotStored), otherwise the whole conversation
// again (Continue). o may be nil (a run without an outcome).
func Next(m *catalog.Model, values form.Draft, out run.Output, o *run.Outcome, results map[string]string, stored bool) (form.Draft, error) {
	if !stored {
		return Continue(m, values, out, results)
	}
	id := ""
	if o != nil && o.Stored {
		id = o.ResponseID
	}
	return ContinueStored(m, values, out, results, id)
}

// resultPrefix starts the name of a posted tool result: result.CALL_ID.
const resultPrefix = "result."

// Results reads the tool results a continue form posts, one input
// result.CALL_ID a call (the last value of each; empty ones are dropped).
func Results(posted url.Values) map[string]string {
	results := map[string]string{}
	for k, v := range posted {
		if id, ok := strings.CutPrefix(k, resultPrefix); ok && len(v) > 0 {
			results[id] = v[len(v)-1]
		}
	}
	return results
}

func cont(m *catalog.Model, values form.Draft, out run.Output, results map[string]string, previous string) (form.Draft, error) {
	var f catalog.Field
	found := false
	for _, fl := range m.Fields() {
		if fl.Type == catalog.TypeMessages {
			f, found = fl, true
			break
		}
	}
	if !found {
		if previous != "" {
			return nil, ErrNotStored
		}
		return appendToPrompt(m, values, out)
	}
	if len(out.Choices) == 0 {
		return nil, ErrNoAnswer
	}
	c := out.Choices[0]
	if c.Text == "" && len(c.Tools) == 0 {
		return nil, ErrNoAnswer
	}
	next := values.Clone()
	if next == nil {
		next = form.Draft{}
	}
	cur, _ := form.Read(f, next)
	rows := cur.Messages
	if previous != "" {
		rows = nil // the provider has them
		pf, _ := m.FieldWithRole(catalog.RolePreviousResponse)
		next[pf.Name] = form.Text(previous)
	}
	rows = slices.Clip(rows)
	add := func(role, content, calls, callID, reasoning string) {
		// The playground's draft is a template: an answer's {{ is text.
		rows = append(rows, form.MessageRow{Role: role, Content: vars.Escape(content), ToolCalls: calls, ToolCallID: callID, Reasoning: reasoning})
	}
	calls := ""
	if len(c.Tools) > 0 {
		list := make([]form.ToolCall, len(c.Tools))
		for i, t := range c.Tools {
			list[i].ID, list[i].Type = t.ID, "function"
			list[i].Function.Name, list[i].Function.Arguments = t.Name, t.Args
			if t.Extra != "" && json.Valid([]byte(t.Extra)) {
				list[i].ExtraContent = json.RawMessage(t.Extra)
			}
		}
		b, _ := json.Marshal(list)
		calls = string(b)
	}
	reasoning := ""
	switch {
	case m.Style == catalog.Responses && len(c.Tools) > 0 && len(c.ReasoningItems) > 0:
		// Responses: the reasoning items go back before the calls they led
		// to (as JSON; the request builder sends them as input items).
		items := make([]json.RawMessage, 0, len(c.ReasoningItems))
		for _, it := range c.ReasoningItems {
			if json.Valid([]byte(it)) {
				items = append(items, json.RawMessage(it))
			}
		}
		b, _ := json.Marshal(items)
		reasoning = string(b)
	case m.CarryReasoning:
		reasoning = c.Reasoning
	}
	if previous == "" {
		add("assistant", c.Text, calls, "", reasoning)
	}
	for _, t := range c.Tools {
		add("tool", results[t.ID], "", t.ID, "")
	}
	if len(c.Tools) == 0 {
		add("user", "", "", "", "")
	}
	next[f.Name] = form.Messages(rows...)
	return next, nil
}

// appendToPrompt is Continue for a model whose prompt is a text (or a list
// of prompts, one choice each).
func appendToPrompt(m *catalog.Model, values form.Draft, out run.Output) (form.Draft, error) {
	f, found := promptText(m)
	if !found {
		return nil, ErrNoConversation
	}
	if len(out.Choices) == 0 || strings.TrimSpace(out.Text()) == "" {
		return nil, ErrNoAnswer
	}
	next := values.Clone()
	if next == nil {
		next = form.Draft{}
	}
	cur, _ := form.Read(f, next)
	prompts := slices.Clone(cur.Strings())
	if len(prompts) == 0 {
		prompts = []string{""}
	}
	if len(out.Choices) == len(prompts) {
		for i, c := range out.Choices {
			prompts[i] += vars.Escape(c.Text)
		}
	} else {
		prompts[0] += vars.Escape(out.Choices[0].Text)
	}
	if cur.Shape == form.ShapeList || len(prompts) > 1 {
		next[f.Name] = form.List(prompts...)
	} else {
		next[f.Name] = form.Text(prompts[0])
	}
	return next, nil
}

// promptText finds the prompt text of a model that takes one (not its
// system prompt or instructions).
func promptText(m *catalog.Model) (catalog.Field, bool) {
	for _, f := range m.Fields() {
		if f.Type == catalog.TypeText && form.IsPrompt(f) && f.BodyPath() != "instructions" && f.Transform != catalog.TransformSystemMessage {
			return f, true
		}
	}
	return catalog.Field{}, false
}

// CanContinue reports whether a run of m can be carried on from its answer:
// m takes messages, or a prompt text the answer is appended to.
func CanContinue(m *catalog.Model) bool {
	if _, ok := promptText(m); ok {
		return true
	}
	return slices.ContainsFunc(m.Fields(), func(f catalog.Field) bool { return f.Type == catalog.TypeMessages })
}
