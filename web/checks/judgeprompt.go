package checks

import (
	"regexp"
	"strings"
)

// JudgeSystem is the system message a judge model is given.
const JudgeSystem = "You grade an answer against a rubric. Reply with PASS or FAIL on the first line, then one sentence saying why."

// JudgePrompt is the user message a judge model is given: the rubric,
// then the answer.
func JudgePrompt(rubric, answer string) string {
	return "Rubric:\n" + rubric + "\n\nAnswer:\n" + answer
}

var judgePrompt = regexp.MustCompile(`(?s)Rubric:\n(.*?)\n\nAnswer:(?:\n(.*?))?(?:\n\nVerdict:)?\z`)

// ParseJudgePrompt reads a JudgePrompt back, wherever it starts and with
// the "Verdict:" a Completions judge's prompt ends with (the simulator
// answers it).
func ParseJudgePrompt(prompt string) (rubric, answer string, ok bool) {
	m := judgePrompt.FindStringSubmatch(prompt)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ReadVerdict reads a judge model's reply: PASS or FAIL first (any case,
// after white space, markdown emphasis or a label such as "Verdict:"),
// then the reason. ok is false when the reply says neither.
func ReadVerdict(reply string) (pass bool, reason string, ok bool) {
	s := strings.TrimSpace(reply)
	s = strings.TrimLeft(s, "*_#> ")
	if low := strings.ToLower(s); strings.HasPrefix(low, "verdict:") {
		s = strings.TrimLeft(strings.TrimSpace(s[len("verdict:"):]), "*_ ")
	}
	up := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(up, "PASS"):
		pass, s = true, s[4:]
	case strings.HasPrefix(up, "FAIL"):
		s = s[4:]
	default:
		return false, strings.TrimSpace(reply), false
	}
	return pass, strings.TrimSpace(strings.TrimLeft(s, "*_:.-— \n")), true
}

// rubricQuotes are a rubric's rubricQuotes phrases ("…", “…” or '…').
var rubricQuotes = regexp.MustCompile(`"([^"]+)"|“([^”]+)”|'([^']+)'`)

// SimulatedVerdict is the simulator's judge, a rule and not a model: the
// answer passes when it holds every phrase the rubric quotes (any case),
// or, when the rubric quotes none, when it is not empty. Its reason says
// it is simulated.
func SimulatedVerdict(rubric, answer string) (pass bool, reason string) {
	var phrases []string
	for _, m := range rubricQuotes.FindAllStringSubmatch(rubric, -1) {
		phrases = append(phrases, m[1]+m[2]+m[3])
	}
	low := strings.ToLower(answer)
	if len(phrases) == 0 {
		if strings.TrimSpace(answer) == "" {
			return false, "Simulated judge: the answer is empty (the rubric quotes no phrase to look for)."
		}
		return true, "Simulated judge: the answer is not empty (the rubric quotes no phrase to look for)."
	}
	var lacks []string
	for _, p := range phrases {
		if !strings.Contains(low, strings.ToLower(p)) {
			lacks = append(lacks, `"`+p+`"`)
		}
	}
	if len(lacks) > 0 {
		return false, "Simulated judge: the answer lacks " + strings.Join(lacks, ", ") + "."
	}
	return true, "Simulated judge: the answer has every phrase the rubric quotes."
}
