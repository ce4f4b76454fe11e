package stream

import (
	"strings"
	"testing"
)

// TestUnseen: a poll repeats the whole response so far; only what the run
// does not have yet is new.
func TestUnseen(t *testing.T) {
	text := func(s string) Event { return Event{Kind: KindText, Text: s} }
	tests := []struct {
		name string
		have []Event
		poll []Event
		want string // the new text, in order
	}{
		{"nothing yet", nil, []Event{text("Hello")}, "Hello"},
		{"all repeated", []Event{text("Hello")}, []Event{text("Hello")}, ""},
		{"extended in one part", []Event{text("Hel")}, []Event{text("Hello")}, "lo"},
		{"repeated over two parts, then new", []Event{text("Hello world")}, []Event{text("Hello"), text(" world"), text("!")}, "!"},
		{"a part that straddles the end", []Event{text("Hello wo")}, []Event{text("Hello"), text(" world")}, "rld"},
		{"different text is kept whole", []Event{text("Hi")}, []Event{text("Yo")}, "Yo"},
		{"reasoning apart from text", []Event{{Kind: KindReasoning, Text: "think"}}, []Event{{Kind: KindReasoning, Text: "think"}, text("answer")}, "answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewResult()
			for _, e := range tt.have {
				r.Apply(e)
			}
			var got strings.Builder
			for _, e := range r.Unseen(tt.poll) {
				if e.Kind == KindText {
					got.WriteString(e.Text)
				}
			}
			if got.String() != tt.want {
				t.Fatalf("new text %q, want %q", got.String(), tt.want)
			}
		})
	}
}

// TestUnseenStatusAndItems: a status or a reasoning item the run has is
// not given twice; a changed status is.
func TestUnseenStatusAndItems(t *testing.T) {
	r := NewResult()
	r.Apply(Event{Kind: KindStatus, Status: "in_progress", ResponseID: "resp_1"})
	r.Apply(Event{Kind: KindReasoningItem, Text: `{"id":"rs_1"}`})
	got := r.Unseen([]Event{
		{Kind: KindStatus, Status: "in_progress", ResponseID: "resp_1"},
		{Kind: KindReasoningItem, Text: `{"id":"rs_1"}`},
		{Kind: KindReasoningItem, Text: `{"id":"rs_2"}`},
		{Kind: KindStatus, Status: "completed", ResponseID: "resp_1"},
	})
	if len(got) != 2 || got[0].Text != `{"id":"rs_2"}` || got[1].Status != "completed" {
		t.Fatalf("unseen %+v, want the second item and the completed status", got)
	}
}

// FuzzUnseen: applying what Unseen gives after what the run had never
// loses text the poll holds beyond it: when the poll's text extends the
// run's, the run ends with the poll's text exactly.
func FuzzUnseen(f *testing.F) {
	f.Add("Hello wo", "Hello world", 5)
	f.Add("", "abc", 1)
	f.Add("abc", "abc", 2)
	f.Fuzz(func(t *testing.T, have, full string, cut int) {
		if !strings.HasPrefix(full, have) || len(full) == 0 {
			return
		}
		if cut <= 0 || cut > len(full) {
			cut = len(full)
		}
		r := NewResult()
		if have != "" {
			r.Apply(Event{Kind: KindText, Text: have})
		}
		var poll []Event
		for i := 0; i < len(full); i += cut {
			poll = append(poll, Event{Kind: KindText, Text: full[i:min(i+cut, len(full))]})
		}
		for _, e := range r.Unseen(poll) {
			r.Apply(e)
		}
		if got := r.Choice(0).Text.String(); got != full {
			t.Fatalf("have %q, poll %q in parts of %d: the run holds %q", have, full, cut, got)
		}
	})
}
