package history

import (
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/run"
)

// TestStoreOutputDropsLogprobsBeforeText: past the budget a run's token
// probabilities go first, with a note, and the answer's text stays whole.
func TestStoreOutputDropsLogprobsBeforeText(t *testing.T) {
	text := strings.Repeat("word ", 200)
	var toks []run.TokenOutput
	for range 2000 {
		toks = append(toks, run.TokenOutput{Token: "word ", Logprob: -0.1, Top: []run.TokenAlt{{Token: "other", Logprob: -2.5}}})
	}
	out := run.Output{Choices: []run.ChoiceOutput{{Index: 0, Text: text, Logprobs: toks}}}
	l := Limits{RunBytes: 64 << 10}
	full := l.storeOutput(out, 1<<20)
	if !strings.Contains(full, `"logprobs":[`) {
		t.Fatalf("within the budget the token probabilities are not kept: %.200s", full)
	}
	s := l.storeOutput(out, 4<<10)
	if strings.Contains(s, `"logprobs":[`) || !strings.Contains(s, "the token probabilities were not kept") || !strings.Contains(s, strings.TrimSpace(text)) {
		t.Errorf("over the budget: %.300s", s)
	}
}
