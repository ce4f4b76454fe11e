package run

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"time"
)

// Rows stored before the outcome was exact hold another shape: the cost's
// amounts as formatted strings ("total": "$0.00165", "credits": "2
// credits") beside exact rationals ("exact", "credits_exact",
// "audio_exact", kept later) and float64 copies ("amount",
// "credits_amount"), and the durations as "metrics" in milliseconds with
// a precomputed "tokens_per_sec". They are read here into the Outcome they
// stand for; nothing writes that shape any more.

// UnmarshalJSON reads an outcome, in its shape or the older one.
func (o *Outcome) UnmarshalJSON(b []byte) error {
	type plain Outcome // without this method
	var v struct {
		plain
		Metrics *struct {
			TTFBms    float64 `json:"ttfb_ms"`
			TTFTms    float64 `json:"ttft_ms"`
			TotalMs   float64 `json:"total_ms"`
			TokensSec float64 `json:"tokens_per_sec"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Outcome(v.plain)
	if m := v.Metrics; m != nil && o.Durations == (Durations{}) {
		o.Durations = Durations{TTFB: fromMs(m.TTFBms), TTFT: fromMs(m.TTFTms), Total: fromMs(m.TotalMs)}
		if m.TokensSec > 0 && o.Usage.Output > 0 {
			// The generation time that speed was taken over.
			o.Durations.Generation = time.Duration(math.Round(float64(o.Usage.Output) / m.TokensSec * float64(time.Second)))
		}
	}
	return nil
}

func fromMs(v float64) time.Duration { return time.Duration(math.Round(v * float64(time.Millisecond))) }

// UnmarshalJSON reads a cost, in its shape (exact amounts) or the older
// one: the exact rationals first, then the float64 amounts for the total
// and the credits, then the figures as they were written.
func (c *Cost) UnmarshalJSON(b []byte) error {
	var v struct {
		Known, Estimated, Demo, Refused, Unreached bool
		AudioAtTextPrice                           bool   `json:"audio_at_text_price"`
		Currency                                   string `json:"currency"`
		// Exact amounts, or, in older rows, the formatted figures.
		Total, Input, Cached, Output, Audio, Credits string
		ProviderCost                                 string `json:"provider_cost"`
		// Older rows only.
		Exact         string   `json:"exact"`
		CreditsExact  string   `json:"credits_exact"`
		AudioExact    string   `json:"audio_exact"`
		Amount        *float64 `json:"amount"`
		CreditsAmount *float64 `json:"credits_amount"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Cost{Known: v.Known, Currency: v.Currency, Estimated: v.Estimated, Demo: v.Demo, Refused: v.Refused,
		Unreached: v.Unreached, AudioAtTextPrice: v.AudioAtTextPrice}
	c.Total = firstAmount(v.Exact, v.Total, v.Amount, "")
	if c.Total == nil && c.Known {
		c.Total = new(Amount) // an older row's zero (its amount omitted)
	}
	if v.Credits != "" || v.CreditsExact != "" {
		c.Credits = firstAmount(v.CreditsExact, v.Credits, v.CreditsAmount, "")
		if c.Credits == nil {
			c.Credits = new(Amount)
		}
	}
	c.Input = firstAmount("", v.Input, nil, v.Input)
	c.Cached = firstAmount("", v.Cached, nil, v.Cached)
	c.Output = firstAmount("", v.Output, nil, v.Output)
	c.Audio = firstAmount(v.AudioExact, v.Audio, nil, v.Audio)
	c.ProviderCost = firstAmount("", v.ProviderCost, nil, v.ProviderCost)
	return nil
}

// firstAmount is the first of: an older row's exact rational, the amount
// as this shape stores it, an older row's float64, the number in a
// figure as an older row wrote it ("$0.0024"); nil when there is none.
func firstAmount(oldExact, exact string, oldFloat *float64, written string) *Amount {
	for _, s := range []string{oldExact, exact} {
		if r, ok := parseAmount(s); ok {
			return NewAmount(r)
		}
	}
	if oldFloat != nil {
		if r := new(big.Rat).SetFloat64(*oldFloat); r != nil {
			return NewAmount(r)
		}
	}
	if written != "" {
		num := strings.Map(func(c rune) rune {
			if c == '-' || c == '.' || c >= '0' && c <= '9' {
				return c
			}
			return -1
		}, written)
		if r, ok := parseAmount(num); ok {
			return NewAmount(r)
		}
	}
	return nil
}
