package run

import (
	"errors"
	"math/big"
	"strconv"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/structured"
)

// Outcome is what a run came to: its state, usage, exact cost per part and
// in credits, durations, finish reasons and checks. It is the done event,
// the history's summary column and the JSON export alike, stored as it is
// (amounts as exact strings, durations in nanoseconds, nothing formatted);
// views (OutcomeView) is the one place it is written for a person, for the
// live panel and the history page alike. Rows stored in the older shape
// (formatted strings beside float64 amounts) are read by UnmarshalJSON.
type Outcome struct {
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	// ResponseID is a Responses run's id, for previous_response_id.
	ResponseID string `json:"response_id,omitempty"`
	// Stored: the provider keeps the response (Responses store, on by
	// default), so a next turn can name it.
	Stored    bool     `json:"stored,omitempty"`
	Finish    []string `json:"finish"`
	Truncated bool     `json:"truncated"`
	URL       string   `json:"url,omitempty"`
	Usage     Usage    `json:"usage"`
	Cost      Cost     `json:"cost"`
	// Checks hold, per choice, the answer checked against the structured
	// output the request asked for (JSON object or JSON Schema).
	Checks    []structured.Result `json:"checks,omitempty"`
	Durations Durations           `json:"durations"`
	// Timeline is how the output grew over the run, one point per
	// content event (views draws it).
	Timeline Timeline `json:"timeline,omitzero"`
}

// Usage is the run's token counts: reported by the provider, or estimated
// with the tokenizer. Cached is part of Input, Reasoning of Output.
type Usage struct {
	Input     int  `json:"input"`
	Cached    int  `json:"cached"`
	Output    int  `json:"output"`
	Reasoning int  `json:"reasoning"`
	Estimated bool `json:"estimated"`
	// AudioInput and AudioOutput are the audio tokens within input and
	// output.
	AudioInput  int `json:"audio_input,omitempty"`
	AudioOutput int `json:"audio_output,omitempty"`
}

// Cost is what the run cost, exactly, in the provider's currency (and in
// credits when it bills in them). Without a price (Known false) only the
// token counts mean anything.
type Cost struct {
	Known    bool   `json:"known"`
	Currency string `json:"currency,omitempty"`
	// Total is Input + Cached + Output; Audio is the audio tokens' part
	// of it.
	Total  *Amount `json:"total,omitempty"`
	Input  *Amount `json:"input,omitempty"` // uncached input
	Cached *Amount `json:"cached,omitempty"`
	Output *Amount `json:"output,omitempty"`
	Audio  *Amount `json:"audio,omitempty"`
	// Credits is the total in credits, for a provider that bills in them.
	Credits   *Amount `json:"credits,omitempty"`
	Estimated bool    `json:"estimated"`
	Demo      bool    `json:"demo"`
	// Refused: the provider answered with an HTTP error before any
	// output, so the run costs nothing (no estimate is charged).
	Refused bool `json:"refused,omitempty"`
	// Unreached: no answer came at all (the connection failed, the
	// address was refused); the run costs nothing either.
	Unreached bool `json:"unreached,omitempty"`
	// AudioAtTextPrice: the model has no audio price, so its audio tokens
	// were billed as text.
	AudioAtTextPrice bool `json:"audio_at_text_price,omitempty"`
	// ProviderCost is what the provider reported the run cost, in US
	// dollars (OpenRouter's usage.cost), as it wrote it.
	ProviderCost *Amount `json:"provider_cost,omitempty"`
}

// Durations are the run's times. Generation is what a speed figure
// divides the output tokens by: from the first token to the end of a
// streamed run, zero where it cannot be known (a run not streamed, or
// polled, or with fewer than two deltas).
type Durations struct {
	TTFB       time.Duration `json:"ttfb_ns"`
	TTFT       time.Duration `json:"ttft_ns,omitempty"`
	Total      time.Duration `json:"total_ns"`
	Generation time.Duration `json:"generation_ns,omitempty"`
}

// TotalRat is the run's total cost, exactly, when it is known.
func (o *Outcome) TotalRat() (*big.Rat, bool) {
	if o == nil || !o.Cost.Known {
		return nil, false
	}
	if r := o.Cost.Total.Rat(); r != nil {
		return r, true
	}
	return new(big.Rat), true
}

// CreditsRat is the total in credits, exactly, when the provider bills in
// credits.
func (o *Outcome) CreditsRat() (*big.Rat, bool) {
	if o == nil || !o.Cost.Known || o.Cost.Credits == nil {
		return nil, false
	}
	return o.Cost.Credits.Rat(), true
}

// ms is d in milliseconds, to the microsecond (the meta event and the
// timeline carry them so).
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// outcome is what the run came to, as it ends in state at end.
func (r *Run) outcome(state State, end time.Time, cause error) Outcome {
	var s Outcome
	s.State = state
	if errors.Is(cause, errAbandoned) {
		s.Reason = "nobody was watching"
	}
	s.Truncated = state == Interrupted
	if r.Spec.Model.Style == catalog.Responses && r.res.ResponseID != "" {
		s.ResponseID = r.res.ResponseID
		s.Stored = !r.Spec.Request.Options.Unstored
	}
	r.mu.Lock()
	s.URL = r.servedURL
	// Refused, or never reached: an HTTP error, or a request that could
	// not be sent (a connection that failed, an address refused), comes
	// before any output: nothing was generated and nothing is billed.
	// A run stopped or capped before its answer came may still have been
	// received, and billed: only a failure to send is unreached.
	unreached := r.respStatus == 0 && state == Failed
	refused := r.respStatus >= 400 || unreached
	r.mu.Unlock()
	for _, c := range r.res.Choices() {
		if c.Finish != "" {
			s.Finish = append(s.Finish, c.Finish)
		}
	}
	var u cost.Usage
	switch {
	case refused:
		// An HTTP error comes before any output: nothing was generated
		// and nothing is billed, so there is nothing to estimate.
		s.Cost.Refused, s.Cost.Unreached = !unreached, unreached
	case r.res.Usage != nil:
		ru := *r.res.Usage
		u = cost.Usage{Input: ru.Input, Cached: ru.Cached, Output: ru.BilledOutput(), Reasoning: ru.Reasoning,
			AudioInput: ru.AudioInput, AudioOutput: ru.AudioOutput}
	default:
		// No usage from the upstream: estimate with the tokenizer.
		s.Usage.Estimated = true
		out := 0
		for _, c := range r.res.Choices() {
			out += r.m.tokens.Count(c.Text.String()) + r.m.tokens.Count(c.Reasoning.String()) + r.m.tokens.Count(c.Refusal.String())
			for _, tc := range c.Tools {
				out += r.m.tokens.Count(tc.Name) + r.m.tokens.Count(tc.Args)
			}
		}
		u = cost.Usage{Input: r.Spec.PromptTokens, Output: out}
	}
	s.Usage.Input, s.Usage.Cached, s.Usage.Output, s.Usage.Reasoning = u.Input, u.Cached, u.Output, u.Reasoning
	s.Usage.AudioInput, s.Usage.AudioOutput = u.AudioInput, u.AudioOutput
	c := cost.Compute(r.Spec.Provider, r.Spec.Model, u)
	s.Cost.Known, s.Cost.Demo, s.Cost.Estimated = c.Known, c.Demo, s.Usage.Estimated
	if refused && !c.Known {
		// Nothing costs nothing, priced or not.
		c.Known, c.Total = true, new(big.Rat)
	}
	if s.Cost.Known = c.Known; c.Known {
		s.Cost.Currency = c.Currency
		s.Cost.Total, s.Cost.Input, s.Cost.Cached, s.Cost.Output = NewAmount(c.Total), NewAmount(c.Input), NewAmount(c.Cached), NewAmount(c.Output)
		if c.Audio != nil {
			s.Cost.Audio, s.Cost.AudioAtTextPrice = NewAmount(c.Audio), c.AudioAtTextPrice
		}
		s.Cost.Credits = NewAmount(c.Credits(c.Total))
	}
	if r.res.Usage != nil && r.res.Usage.HasCost {
		// The shortest decimal that reads back as the figure reported.
		if pc, ok := parseAmount(strconv.FormatFloat(r.res.Usage.Cost, 'f', -1, 64)); ok {
			s.Cost.ProviderCost = NewAmount(pc)
		}
	}
	if e := r.Spec.Request.Options.Expect; e.Mode != "" && state != Failed {
		var texts []string
		for _, c := range r.res.Choices() {
			if c.Text.Len() > 0 {
				texts = append(texts, r.red.String(c.Text.String()))
			}
		}
		// One compile and one work budget for all the run's choices.
		s.Checks = append(s.Checks, structured.CheckAll(e, texts)...)
	}
	s.Durations.TTFB = r.ttfb
	s.Durations.Total = end.Sub(r.Started)
	if !r.firstTok.IsZero() {
		s.Durations.TTFT = r.firstTok.Sub(r.Started)
		// A speed needs the time tokens came in: known only for a streamed
		// run that was not polled, over at least two deltas.
		if r.Spec.Request.Stream && !r.polled && r.deltas >= 2 {
			s.Durations.Generation = max(end.Sub(r.firstTok), 0)
		}
	}
	s.Timeline = r.timeline.done()
	return s
}
