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

// Outcome is what a run came to: its usage, its exact cost per currency
// and in credits, its durations, finish reasons and checks. It is stored
// as it is (the history's summary column) and formatted in one place,
// views (OutcomeMetrics), for the live panel and the history page alike.
type Outcome = Summary

// TotalRat is the run's total cost, exactly, when it is known. Rows stored
// before the exact amount was kept give back their float64 amount.
func (s *Summary) TotalRat() (*big.Rat, bool) {
	if s == nil || !s.Cost.Known {
		return nil, false
	}
	return exact(s.Cost.Exact, s.Cost.Amount), true
}

// CreditsRat is the total in credits, exactly, when the provider bills in
// credits.
func (s *Summary) CreditsRat() (*big.Rat, bool) {
	if s == nil || !s.Cost.Known || s.Cost.Credits == "" {
		return nil, false
	}
	return exact(s.Cost.CreditsExact, s.Cost.CreditsAmount), true
}

// exact reads a stored rational, falling back to the float64 an older row
// kept.
func exact(r string, f float64) *big.Rat {
	if r != "" {
		if v, ok := new(big.Rat).SetString(r); ok {
			return v
		}
	}
	v := new(big.Rat)
	if v.SetFloat64(f) == nil {
		return new(big.Rat)
	}
	return v
}

// Summary is the final event of a run.
type Summary struct {
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
	Usage     struct {
		Input     int  `json:"input"`
		Cached    int  `json:"cached"`
		Output    int  `json:"output"`
		Reasoning int  `json:"reasoning"`
		Estimated bool `json:"estimated"`
		// AudioInput and AudioOutput are the audio tokens within input
		// and output.
		AudioInput  int `json:"audio_input,omitempty"`
		AudioOutput int `json:"audio_output,omitempty"`
	} `json:"usage"`
	Cost struct {
		Known     bool   `json:"known"`
		Total     string `json:"total,omitempty"`
		Credits   string `json:"credits,omitempty"`
		Input     string `json:"input,omitempty"`
		Cached    string `json:"cached,omitempty"`
		Output    string `json:"output,omitempty"`
		Estimated bool   `json:"estimated"`
		Demo      bool   `json:"demo"`
		// Refused: the provider answered with an HTTP error before any
		// output, so the run costs nothing (no estimate is charged).
		Refused bool `json:"refused,omitempty"`
		// Unreached: no answer came at all (the connection failed, the
		// address was refused); the run costs nothing either.
		Unreached    bool   `json:"unreached,omitempty"`
		ProviderCost string `json:"provider_cost,omitempty"`
		// Audio is the audio tokens' part of the total; AudioAtTextPrice:
		// the model has no audio price, so they were billed as text.
		Audio            string `json:"audio,omitempty"`
		AudioExact       string `json:"audio_exact,omitempty"`
		AudioAtTextPrice bool   `json:"audio_at_text_price,omitempty"`
		// Exact and CreditsExact are the total and its credits as exact
		// rationals ("123/1000000", big.Rat's String): a page adds costs
		// up with them (TotalRat, CreditsRat). Amount and CreditsAmount
		// are the same as float64, kept for the browser and read back
		// from rows stored before the exact amounts were.
		Exact         string  `json:"exact,omitempty"`
		CreditsExact  string  `json:"credits_exact,omitempty"`
		Amount        float64 `json:"amount,omitempty"`
		Currency      string  `json:"currency,omitempty"`
		CreditsAmount float64 `json:"credits_amount,omitempty"`
	} `json:"cost"`
	// Checks hold, per choice, the answer checked against the structured
	// output the request asked for (JSON object or JSON Schema).
	Checks  []structured.Result `json:"checks,omitempty"`
	Metrics struct {
		TTFBms    float64 `json:"ttfb_ms"`
		TTFTms    float64 `json:"ttft_ms,omitempty"`
		TotalMs   float64 `json:"total_ms"`
		TokensSec float64 `json:"tokens_per_sec,omitempty"`
	} `json:"metrics"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *Run) summary(state State, end time.Time, cause error) Summary {
	var s Summary
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
		s.Cost.Total = cost.Format(c.Total, c.Currency)
		s.Cost.Input = cost.Format(c.Input, c.Currency)
		s.Cost.Cached = cost.Format(c.Cached, c.Currency)
		s.Cost.Output = cost.Format(c.Output, c.Currency)
		if c.Audio != nil {
			s.Cost.Audio = cost.Format(c.Audio, c.Currency)
			s.Cost.AudioExact = c.Audio.RatString()
			s.Cost.AudioAtTextPrice = c.AudioAtTextPrice
		}
		s.Cost.Exact = c.Total.RatString()
		s.Cost.Amount, _ = c.Total.Float64()
		s.Cost.Currency = c.Currency
		if cr := c.Credits(c.Total); cr != nil {
			s.Cost.Credits = cost.FormatCredits(cr)
			s.Cost.CreditsExact = cr.RatString()
			s.Cost.CreditsAmount, _ = cr.Float64()
		}
	}
	if r.res.Usage != nil && r.res.Usage.HasCost {
		s.Cost.ProviderCost = "$" + strconv.FormatFloat(r.res.Usage.Cost, 'f', -1, 64)
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
	s.Metrics.TTFBms = ms(r.ttfb)
	s.Metrics.TotalMs = ms(end.Sub(r.Started))
	if !r.firstTok.IsZero() {
		s.Metrics.TTFTms = ms(r.firstTok.Sub(r.Started))
		if gen := end.Sub(r.firstTok); gen > 0 && u.Output > 0 {
			s.Metrics.TokensSec = float64(int(float64(u.Output)/gen.Seconds()*10)) / 10
		}
	}
	return s
}
