package views

import (
	"bytes"
	"encoding/json"

	"github.com/playground-dev/playground/web/form"
)

// MessageRow is one turn of the conversation: one row of the draft's
// messages field, drawn as a turn of the transcript (conversation.templ).
// The transcript is the rows: its inputs are the ones the form posts.
type MessageRow struct {
	Role       string
	Content    string
	ToolCalls  string
	ToolCallID string
	Reasoning  string
	// Calls are the tool calls of an assistant turn, read from ToolCalls
	// (none when it is not valid JSON: the raw box still shows it).
	Calls []ToolCallView
	// ResultOf names the call a tool turn answers ("" when no earlier
	// turn made a call of that id).
	ResultOf string
}

// ToolCallView is one tool call as the transcript shows it.
type ToolCallView struct {
	ID   string
	Name string
	// Args are the call's arguments, pretty-printed when they are JSON.
	Args string
}

// HasExtras reports whether an assistant row carries tool calls or
// reasoning (their box opens).
func (r MessageRow) HasExtras() bool { return r.ToolCalls != "" || r.Reasoning != "" }

// newMessageRows reads the draft's rows into turns: each assistant turn's
// calls, and the call each tool turn answers.
func newMessageRows(rows []form.MessageRow) []MessageRow {
	names := map[string]string{}
	out := make([]MessageRow, 0, len(rows))
	for _, r := range rows {
		v := MessageRow{Role: r.Role, Content: r.Content, ToolCalls: r.ToolCalls, ToolCallID: r.ToolCallID, Reasoning: r.Reasoning}
		if r.Role == "assistant" && r.ToolCalls != "" {
			var calls []form.ToolCall
			if json.Unmarshal([]byte(r.ToolCalls), &calls) == nil {
				for _, c := range calls {
					v.Calls = append(v.Calls, ToolCallView{ID: c.ID, Name: c.Function.Name, Args: prettyArgs(c.Function.Arguments)})
					names[c.ID] = c.Function.Name
				}
			}
		}
		if r.Role == "tool" {
			v.ResultOf = names[r.ToolCallID]
		}
		out = append(out, v)
	}
	return out
}

// prettyArgs indents a call's JSON arguments; anything else stays as it is.
func prettyArgs(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}
