package checks

import (
	"strings"
	"testing"
)

func TestJudgePromptReadsBack(t *testing.T) {
	for _, tc := range []struct{ rubric, answer string }{
		{"Mentions \"Paris\".", "Paris is the capital."},
		{"multi\nline\nrubric", "an answer\n\nwith blank lines\n\nAnswer:\nand a fake marker"},
		{"", ""},
	} {
		for _, p := range []string{JudgePrompt(tc.rubric, tc.answer), JudgeSystem + "\n\n" + JudgePrompt(tc.rubric, tc.answer) + "\n\nVerdict:", " " + JudgePrompt(tc.rubric, tc.answer)} {
			r, a, ok := ParseJudgePrompt(strings.TrimSpace(p))
			if !ok || r != tc.rubric || a != strings.TrimSpace(tc.answer) && a != tc.answer {
				t.Errorf("%q: read back %q %q %v", p, r, a, ok)
			}
		}
	}
	if _, _, ok := ParseJudgePrompt("Tell me about Paris."); ok {
		t.Error("an ordinary prompt read as a judge's")
	}
}

func TestReadVerdict(t *testing.T) {
	for _, tc := range []struct {
		reply      string
		pass, ok   bool
		wantReason string
	}{
		{"PASS\nIt names Paris.", true, true, "It names Paris."},
		{"FAIL: no city named", false, true, "no city named"},
		{"**Pass** — fine", true, true, "fine"},
		{"Verdict: FAIL. Too long.", false, true, "Too long."},
		{"  pass", true, true, ""},
		{"I think it is good", false, false, "I think it is good"},
	} {
		pass, reason, ok := ReadVerdict(tc.reply)
		if pass != tc.pass || ok != tc.ok || reason != tc.wantReason {
			t.Errorf("%q: %v %q %v, want %v %q %v", tc.reply, pass, reason, ok, tc.pass, tc.wantReason, tc.ok)
		}
	}
}

func TestSimulatedVerdict(t *testing.T) {
	for _, tc := range []struct {
		rubric, answer string
		pass           bool
		says           string
	}{
		{`The answer names "Paris" and “France”.`, "paris is in france", true, "every phrase"},
		{`The answer names "Paris" and 'Lyon'.`, "Paris only", false, `lacks "Lyon"`},
		{"Be polite.", "Hello!", true, "not empty"},
		{"Be polite.", "  ", false, "empty"},
	} {
		pass, reason := SimulatedVerdict(tc.rubric, tc.answer)
		if pass != tc.pass || !strings.Contains(reason, tc.says) || !strings.HasPrefix(reason, "Simulated judge:") {
			t.Errorf("%q / %q: %v %q", tc.rubric, tc.answer, pass, reason)
		}
	}
}
