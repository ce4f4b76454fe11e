package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
)

// CommandLineOwner is the owner the command line's runs are kept under in
// the history.
const CommandLineOwner = "cli"

// RunJudge is the judge checks' judge: the model a check names is sent
// checks.JudgeSystem and checks.JudgePrompt as a run of its own (kept in
// the history, its cost counted), and its reply is read with
// checks.ReadVerdict. The simulator's models answer by a rule
// (checks.SimulatedVerdict) and the verdict says it is simulated.
func RunJudge(drafts *draft.Service, runs Starter, owner string) checks.Judge {
	return checks.JudgeFunc(func(ctx context.Context, ref checks.ModelRef, rubric, answer string) (checks.Verdict, error) {
		m, ok := drafts.Catalog.Model(ref.Provider, ref.Model)
		if !ok {
			return checks.Verdict{}, &problem.Error{Kind: problem.KindInvalid, Message: fmt.Sprintf("no judge model %s/%s in the catalog", ref.Provider, ref.Model)}
		}
		prompt := checks.JudgePrompt(rubric, answer)
		body, err := json.Marshal(judgeBody(m.Style, prompt))
		if err != nil {
			return checks.Verdict{}, err
		}
		d, _, _, err := form.FromBody(m.Fields(), m.Style, body)
		if err != nil {
			return checks.Verdict{}, err
		}
		res := drafts.Prepare(draft.Input{Provider: m.Provider, Model: m.ID, Form: d})
		if res.Request == nil {
			return checks.Verdict{}, fmt.Errorf("the judge's request: %w", formError(res))
		}
		spec, err := drafts.Spec(res, owner)
		if err != nil {
			return checks.Verdict{}, err
		}
		r, err := startWaiting(ctx, runs, spec)
		if err != nil {
			return checks.Verdict{}, err
		}
		e := r.Wait(ctx)
		v := checks.Verdict{Prompt: checks.JudgeSystem + "\n\n" + prompt, Simulated: res.Provider.Simulated}
		if total, ok := e.Outcome.TotalRat(); ok {
			v.Cost = map[string]*big.Rat{e.Outcome.Cost.Currency: total}
		}
		if cr, ok := e.Outcome.CreditsRat(); ok {
			v.Credits = cr
		}
		if e.State != run.Completed {
			msg := "the judge's run " + string(e.State)
			if e.Failure != nil {
				msg += ": " + e.Failure.Message
			}
			return v, errors.New(msg)
		}
		if len(e.Output.Choices) > 0 {
			v.Answer = e.Output.Choices[0].Text
		}
		pass, reason, ok := checks.ReadVerdict(v.Answer)
		if !ok {
			return v, fmt.Errorf("the judge answered neither PASS nor FAIL: %.200q", v.Answer)
		}
		v.Pass, v.Reason = pass, reason
		return v, nil
	})
}

// judgeBody is the judge's request body in the model's API style.
func judgeBody(style catalog.Style, prompt string) map[string]any {
	switch style {
	case catalog.Completions:
		return map[string]any{"prompt": checks.JudgeSystem + "\n\n" + prompt + "\n\nVerdict:"}
	case catalog.Responses:
		return map[string]any{"instructions": checks.JudgeSystem, "input": prompt}
	}
	return map[string]any{"messages": []any{
		map[string]any{"role": "system", "content": checks.JudgeSystem},
		map[string]any{"role": "user", "content": prompt},
	}}
}

// startWaiting starts spec, waiting as a server's limit says (up to
// DefaultMaxRetries times) when it refuses for now.
func startWaiting(ctx context.Context, runs Starter, spec run.Spec) (*run.Run, error) {
	for try := 0; ; try++ {
		r, err := runs.TryStart(spec)
		if err == nil {
			return r, nil
		}
		wait := problem.Of(err).RetryAfter
		if wait <= 0 || try >= DefaultMaxRetries {
			return nil, err
		}
		if (realClock{}).Sleep(ctx, min(wait, DefaultMaxWait)) != nil {
			return nil, err
		}
	}
}
