package stream

import (
	"slices"
	"strings"
)

// Unseen is what of a poll's events r does not have yet. A background
// response is polled whole: each poll repeats the text r already holds
// (streamed before the stream broke, or taken from an earlier poll), so
// only what follows it is new. Text that r has and the poll repeats is
// dropped, text that extends it is cut to the extension, and a reasoning
// item or a status r already has is not given twice. Unseen does not
// change r: the caller applies what it returns.
func (r *Result) Unseen(evs []Event) []Event {
	matched := map[[2]int]int{} // choice, kind: bytes of r's text the poll repeated
	var out []Event
	for _, e := range evs {
		switch e.Kind {
		case KindText, KindReasoning, KindRefusal:
			have := r.textOf(e.Choice, e.Kind)
			k := [2]int{e.Choice, int(e.Kind)}
			rest := have[matched[k]:]
			switch {
			case rest == "":
			case strings.HasPrefix(rest, e.Text):
				matched[k] += len(e.Text)
				continue
			case strings.HasPrefix(e.Text, rest):
				matched[k] = len(have)
				e.Text = e.Text[len(rest):]
			}
			if e.Text == "" {
				continue
			}
		case KindReasoningItem:
			if r.Has(e.Choice) && slices.Contains(r.Choice(e.Choice).ReasoningItems, e.Text) {
				continue
			}
		case KindStatus:
			if e.Status == r.Status && e.ResponseID == r.ResponseID {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// textOf is the text of one kind that choice i holds so far.
func (r *Result) textOf(i int, k Kind) string {
	c, ok := r.choices[i]
	if !ok {
		return ""
	}
	switch k {
	case KindReasoning:
		return c.Reasoning.String()
	case KindRefusal:
		return c.Refusal.String()
	}
	return c.Text.String()
}
