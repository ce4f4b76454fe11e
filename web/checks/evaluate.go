package checks

import (
	"context"
	"math/big"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

// Answer is what a check reads of one cell's run. The runner fills it from
// how the run ended (run.Ending: its Output and Outcome): Text is the
// first choice's text (Output.Choices[0].Text), Tools the choices' tool
// calls (ToolOutput Name and Args), Finish is Outcome.Finish, Latency is
// Outcome.Durations.Total,
// Cost holds Outcome.Cost.Total under Outcome.Cost.Currency when the cost
// is known (Outcome.Cost.Total.Rat()), Credits Outcome.Cost.Credits.
// Amounts are exact (*big.Rat, as web/cost computes them); nil or absent
// is not known.
type Answer struct {
	Text    string              `json:"text"`
	Finish  []string            `json:"finish,omitempty"`
	Tools   []ToolCall          `json:"tools,omitempty"`
	Latency time.Duration       `json:"latency_ns"`
	Cost    map[string]*big.Rat `json:"cost,omitempty"`
	Credits *big.Rat            `json:"credits,omitempty"`
}

// ToolCall is a tool the answer called, with its arguments as JSON text.
type ToolCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Result is one check of one answer. Reason says, in a person's words,
// what was wrong ("does not contain \"Paris\""); it is empty when the
// check passed, except for a judge's, which gives its reason either way.
type Result struct {
	Check   Check    `json:"check"`
	Pass    bool     `json:"pass"`
	Reason  string   `json:"reason,omitempty"`
	Verdict *Verdict `json:"verdict,omitempty"`
}

// ModelRef names the model a judge check asks.
type ModelRef struct {
	Provider string `json:"provider" yaml:"provider"`
	Model    string `json:"model" yaml:"model"`
}

// Judge grades an answer against a rubric with a model; the runner
// supplies it (the simulator's judge answers from a rule and says so).
// An error is a judge that could not answer: the check fails with the
// error's person-facing message (problem.Of).
type Judge interface {
	Judge(ctx context.Context, model ModelRef, rubric, answer string) (Verdict, error)
}

// JudgeFunc is a function as a Judge.
type JudgeFunc func(ctx context.Context, model ModelRef, rubric, answer string) (Verdict, error)

// Judge calls f.
func (f JudgeFunc) Judge(ctx context.Context, model ModelRef, rubric, answer string) (Verdict, error) {
	return f(ctx, model, rubric, answer)
}

// Verdict is a judge's answer: pass or fail and why, the prompt it was
// given and what it answered (kept to be shown), and what judging cost
// (it counts in the pane's cost, as Answer's amounts do).
type Verdict struct {
	Pass      bool                `json:"pass"`
	Reason    string              `json:"reason"`
	Prompt    string              `json:"prompt,omitempty"`
	Answer    string              `json:"answer,omitempty"`
	Simulated bool                `json:"simulated,omitempty"`
	Cost      map[string]*big.Rat `json:"cost,omitempty"`
	Credits   *big.Rat            `json:"credits,omitempty"`
}

// Evaluate checks the answer with each check, in order, one Result each.
// A check that is not valid (Validate's errors, which binding values can
// cause) fails with the error as its reason. judge may be nil when no
// check is a judge's; a judge check then fails saying there is none.
func Evaluate(ctx context.Context, checks []Check, a Answer, judge Judge) []Result {
	out := make([]Result, len(checks))
	for i, c := range checks {
		out[i] = evaluate(ctx, c, a, judge)
	}
	return out
}

func evaluate(ctx context.Context, c Check, a Answer, judge Judge) Result {
	r := Result{Check: c}
	if errs := validate(0, c); len(errs) > 0 {
		r.Reason = "the check is not valid: " + errs[0].Field + ": " + errs[0].Message
		return r
	}
	if c.Type == JudgeKind {
		return evaluateJudge(ctx, r, a, judge)
	}
	r.Reason = kinds[c.Type](c, a)
	r.Pass = r.Reason == ""
	return r
}

func evaluateJudge(ctx context.Context, r Result, a Answer, judge Judge) Result {
	if judge == nil {
		r.Reason = "no judge is configured to grade this answer"
		return r
	}
	v, err := judge.Judge(ctx, ModelRef{Provider: r.Check.Provider, Model: r.Check.Model}, r.Check.Rubric, a.Text)
	if err != nil {
		r.Reason = "the judge could not answer: " + problem.Of(err).Message
		return r
	}
	r.Verdict, r.Pass, r.Reason = &v, v.Pass, v.Reason
	if !v.Pass && r.Reason == "" {
		r.Reason = "the judge failed it without a reason"
	}
	return r
}
