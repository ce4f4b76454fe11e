// Package cost turns token counts and prices into money: exact from usage
// after a run, estimated before it. Amounts are exact rationals, formatted
// in the provider's currency and, where it bills in credits, in credits.
package cost

import (
	"math/big"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/playground-dev/playground/web/catalog"
)

// Usage is what a run used. Cached is part of Input; Reasoning is part of
// Output (and billed as output). AudioInput is part of Input and
// AudioOutput of Output: audio tokens, billed at the audio prices.
type Usage struct {
	Input       int
	Cached      int
	Output      int
	Reasoning   int
	AudioInput  int
	AudioOutput int
}

// Cost is a priced usage. When Known is false the model has no price and
// only the token counts mean anything.
type Cost struct {
	Known          bool
	Demo           bool
	Currency       string
	CreditsPerUnit float64
	Input          *big.Rat // uncached input
	Cached         *big.Rat // cached input
	Output         *big.Rat
	Total          *big.Rat
	// CachedAtInputPrice is set when the model has no cached price and
	// cached tokens were billed as ordinary input.
	CachedAtInputPrice bool
	// Audio is the audio tokens' part of Input and Output (nil without
	// audio tokens); AudioAtTextPrice is set when the model has no audio
	// price and they were billed at the text prices.
	Audio            *big.Rat
	AudioAtTextPrice bool
}

var million = big.NewRat(1_000_000, 1)

// decimal returns the exact rational of the shortest decimal that prints as
// f, so that a catalog price of 0.15 is 15/100 and not its binary neighbour.
// The result is shared: callers must not change it.
func decimal(f float64) *big.Rat {
	return decimals.get(f, func() *big.Rat {
		if r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64)); ok {
			return r
		}
		return new(big.Rat).SetFloat64(f)
	})
}

// perToken returns price/1M as an exact rational, shared as decimal's.
func perToken(p float64) *big.Rat {
	return perTokens.get(p, func() *big.Rat { return new(big.Rat).Quo(decimal(p), million) })
}

// rats remembers the rationals of the few distinct prices a catalog has
// (parsing one is a third of pricing a usage, and every preview prices
// its estimate). A catalog that a person changes adds prices, so the
// memo stops growing at maxRats and computes the rest each time.
type rats struct {
	m sync.Map // float64 → *big.Rat
	n atomic.Int32
}

const maxRats = 4096

var decimals, perTokens rats

func (r *rats) get(f float64, compute func() *big.Rat) *big.Rat {
	if v, ok := r.m.Load(f); ok {
		return v.(*big.Rat)
	}
	v := compute()
	if r.n.Load() < maxRats {
		if _, loaded := r.m.LoadOrStore(f, v); !loaded {
			r.n.Add(1)
		}
	}
	return v
}

func tokensTimes(n int, per *big.Rat) *big.Rat {
	return new(big.Rat).Mul(big.NewRat(int64(n), 1), per)
}

// Compute prices u for a model of a provider.
func Compute(p *catalog.Provider, m *catalog.Model, u Usage) Cost {
	c := Cost{Currency: p.Currency, CreditsPerUnit: p.CreditsPerUnit}
	pr := m.Price
	if pr != nil && pr.Currency != "" {
		c.Currency, c.CreditsPerUnit = pr.Currency, 0
	}
	if pr != nil && pr.CreditsPerUnit != nil {
		c.CreditsPerUnit = *pr.CreditsPerUnit
	}
	if pr == nil || pr.Input == nil || pr.Output == nil {
		return c
	}
	c.Known, c.Demo = true, pr.Demo
	in := perToken(*pr.Input)
	cachedPer := in
	if pr.CachedInput != nil {
		cachedPer = perToken(*pr.CachedInput)
	} else if u.Cached > 0 {
		c.CachedAtInputPrice = true
	}
	out := perToken(*pr.Output)
	audioIn, audioOut := min(max(u.AudioInput, 0), u.Input), min(max(u.AudioOutput, 0), u.Output)
	cached := min(u.Cached, u.Input-audioIn)
	c.Input = tokensTimes(u.Input-cached-audioIn, in)
	c.Cached = tokensTimes(cached, cachedPer)
	c.Output = tokensTimes(u.Output-audioOut, out)
	if audioIn > 0 || audioOut > 0 {
		audioInPer, audioOutPer := in, out
		if pr.AudioInput != nil {
			audioInPer = perToken(*pr.AudioInput)
		} else if audioIn > 0 {
			c.AudioAtTextPrice = true
		}
		if pr.AudioOutput != nil {
			audioOutPer = perToken(*pr.AudioOutput)
		} else if audioOut > 0 {
			c.AudioAtTextPrice = true
		}
		ai, ao := tokensTimes(audioIn, audioInPer), tokensTimes(audioOut, audioOutPer)
		c.Audio = new(big.Rat).Add(ai, ao)
		c.Input.Add(c.Input, ai)
		c.Output.Add(c.Output, ao)
	}
	c.Total = new(big.Rat).Add(c.Input, c.Cached)
	c.Total.Add(c.Total, c.Output)
	return c
}

// Credits converts an amount to credits, or nil when the provider does not
// bill in credits.
func (c Cost) Credits(amount *big.Rat) *big.Rat {
	if c.CreditsPerUnit <= 0 || amount == nil {
		return nil
	}
	return new(big.Rat).Mul(amount, decimal(c.CreditsPerUnit))
}

// Format writes amount in the currency: symbol, then up to six decimals,
// trailing zeros trimmed to the currency's minor unit ("$0.000165",
// "¥5.89824", "$2.00").
func Format(amount *big.Rat, currency string) string {
	if amount == nil {
		return "—"
	}
	sym, minor := symbol(currency)
	s := trim(amount.FloatString(6), minor)
	if strings.HasPrefix(s, "-") {
		return "-" + sym + s[1:]
	}
	return sym + s
}

// FormatCredits writes an amount of credits with up to four decimals.
func FormatCredits(amount *big.Rat) string {
	if amount == nil {
		return "—"
	}
	s := trim(amount.FloatString(4), 0)
	if s == "1" {
		return "1 credit"
	}
	return s + " credits"
}

// trim removes trailing zeros beyond minDecimals places.
func trim(s string, minDecimals int) string {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return s
	}
	end := len(s)
	for end > dot+1+minDecimals && s[end-1] == '0' {
		end--
	}
	if end == dot+1 {
		end = dot
	}
	return s[:end]
}

func symbol(currency string) (string, int) {
	switch currency {
	case "USD":
		return "$", 2
	case "CNY":
		return "¥", 2
	case "EUR":
		return "€", 2
	case "GBP":
		return "£", 2
	case "JPY":
		return "JP¥", 0
	case "INR":
		return "₹", 2
	}
	return currency + " ", 2
}
