package cost

import (
	"math/big"
	"sync"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

func price(in, cached, out float64) *catalog.Price {
	p := &catalog.Price{Input: &in, Output: &out}
	if cached >= 0 {
		p.CachedInput = &cached
	}
	return p
}

func TestFormat(t *testing.T) {
	tests := []struct {
		amount   string
		currency string
		want     string
	}{
		{"0", "USD", "$0.00"},
		{"2", "USD", "$2.00"},
		{"0.000165", "USD", "$0.000165"},
		{"0.0000001", "USD", "$0.00"}, // below the shown precision
		{"12.5", "USD", "$12.50"},
		{"5.89824", "CNY", "¥5.89824"},
		{"0.00216", "CNY", "¥0.00216"},
		{"3", "EUR", "€3.00"},
		{"1500", "JPY", "JP¥1500"},
		{"1.25", "CHF", "CHF 1.25"},
		{"-1.5", "USD", "-$1.50"},
	}
	for _, tc := range tests {
		r, _ := new(big.Rat).SetString(tc.amount)
		if got := Format(r, tc.currency); got != tc.want {
			t.Errorf("Format(%s, %s) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
	if got := Format(nil, "USD"); got != "—" {
		t.Errorf("Format(nil) = %q", got)
	}
}

func TestFormatCredits(t *testing.T) {
	for amount, want := range map[string]string{"58.9824": "58.9824 credits", "1": "1 credit", "0.00001": "0 credits", "10.5": "10.5 credits"} {
		r, _ := new(big.Rat).SetString(amount)
		if got := FormatCredits(r); got != want {
			t.Errorf("FormatCredits(%s) = %q, want %q", amount, got, want)
		}
	}
}

func TestComputeSeed000CNYAndCredits(t *testing.T) {
	// The seed's own example: 12 prompt + 256 completion tokens at
	// ¥180 / ¥1440 per 1M: (12*180 + 256*1440) / 1e6 = ¥0.37080, 3.708 credits.
	p := &catalog.Provider{Currency: "CNY", CreditsPerUnit: 10}
	m := &catalog.Model{Price: price(180, -1, 1440)}
	c := Compute(p, m, Usage{Input: 12, Output: 256})
	if got := Format(c.Total, c.Currency); got != "¥0.3708" {
		t.Errorf("total = %s", got)
	}
	if got := FormatCredits(c.Credits(c.Total)); got != "3.708 credits" {
		t.Errorf("credits = %s", got)
	}
}

func TestComputeCachedAndReasoning(t *testing.T) {
	p := &catalog.Provider{Currency: "USD"}
	m := &catalog.Model{Price: price(0.15, 0.075, 0.6)}
	// 1000 input of which 400 cached; 500 output of which 300 reasoning
	// (reasoning is part of output and billed as output).
	c := Compute(p, m, Usage{Input: 1000, Cached: 400, Output: 500, Reasoning: 300})
	want := map[string]string{"input": "$0.00009", "cached": "$0.00003", "output": "$0.0003", "total": "$0.00042"}
	got := map[string]string{"input": Format(c.Input, "USD"), "cached": Format(c.Cached, "USD"), "output": Format(c.Output, "USD"), "total": Format(c.Total, "USD")}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %s, want %s", k, got[k], want[k])
		}
	}
	if c.Credits(c.Total) != nil {
		t.Error("USD provider without credits returned credits")
	}
	// No cached price: cached tokens billed as input, and said so.
	m2 := &catalog.Model{Price: price(1, -1, 2)}
	c2 := Compute(p, m2, Usage{Input: 1000, Cached: 1000})
	if Format(c2.Total, "USD") != "$0.001" || !c2.CachedAtInputPrice {
		t.Errorf("no cached price: %s %v", Format(c2.Total, "USD"), c2.CachedAtInputPrice)
	}
}

func TestComputeUnknownPrice(t *testing.T) {
	c := Compute(&catalog.Provider{Currency: "USD"}, &catalog.Model{}, Usage{Input: 5})
	if c.Known || c.Total != nil {
		t.Errorf("unknown price gave %+v", c)
	}
}

func TestDecimalPricesAreExact(t *testing.T) {
	// 0.1 + 0.2 style drift must not appear: 3 tokens at $0.1/1M each.
	c := Compute(&catalog.Provider{Currency: "USD"}, &catalog.Model{Price: price(0.1, -1, 0.2)}, Usage{Input: 1_000_000, Output: 1_000_000})
	if c.Total.RatString() != "3/10" {
		t.Errorf("total = %s, want exactly 3/10", c.Total.RatString())
	}
}

// BenchmarkCompute measures pricing a run's usage (exact rationals) and
// formatting it in the currency and in credits.
func BenchmarkCompute(b *testing.B) {
	in, cached, out, credits := 0.15, 0.075, 0.6, 10.0
	p := &catalog.Provider{ID: "p"}
	m := &catalog.Model{ID: "m", Price: &catalog.Price{Input: &in, CachedInput: &cached, Output: &out, Currency: "CNY", CreditsPerUnit: &credits}}
	u := Usage{Input: 12345, Cached: 2000, Output: 6789, Reasoning: 1200}
	b.ReportAllocs()
	for b.Loop() {
		c := Compute(p, m, u)
		_ = Format(c.Total, c.Currency)
		_ = FormatCredits(c.Credits(c.Total))
	}
}

// TestSharedPricesConcurrently: the remembered price rationals are shared
// by every caller at once (run with -race) and never changed by them.
func TestSharedPricesConcurrently(t *testing.T) {
	in, out, credits := 0.15, 0.6, 10.0
	m := &catalog.Model{Price: &catalog.Price{Input: &in, Output: &out, CreditsPerUnit: &credits}}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c := Compute(&catalog.Provider{Currency: "USD"}, m, Usage{Input: 1_000_000 * (g + 1), Output: i})
				want := new(big.Rat).Add(big.NewRat(15*int64(g+1), 100), big.NewRat(6*int64(i), 10_000_000))
				if c.Total.Cmp(want) != 0 || c.Credits(c.Total).Cmp(new(big.Rat).Mul(want, big.NewRat(10, 1))) != 0 {
					t.Errorf("total %s, want %s", c.Total.RatString(), want.RatString())
					return
				}
			}
		}()
	}
	wg.Wait()
	if perToken(0.15).RatString() != "3/20000000" || decimal(10).RatString() != "10" {
		t.Errorf("a shared rational changed: %s, %s", perToken(0.15).RatString(), decimal(10).RatString())
	}
}

func TestComputeAudioTokens(t *testing.T) {
	p := &catalog.Provider{Currency: "USD"}
	f := func(x float64) *float64 { return &x }
	withAudio := price(2.5, 1.25, 10)
	withAudio.AudioInput, withAudio.AudioOutput = f(40), f(80)
	u := Usage{Input: 100, Cached: 20, Output: 1000, AudioInput: 30, AudioOutput: 800}
	tests := []struct {
		name        string
		price       *catalog.Price
		u           Usage
		total       string
		audio       string
		atTextPrice bool
	}{
		// (100-20-30)*2.5 + 20*1.25 + 30*40 + (1000-800)*10 + 800*80 = 125+25+1200+2000+64000
		{"audio prices", withAudio, u, "0.06735", "0.0652", false},
		// No audio price: the audio tokens are text tokens.
		// 80*2.5 + 20*1.25 + 1000*10 = 200+25+10000
		{"no audio price", price(2.5, 1.25, 10), u, "0.010225", "0.008075", true},
		{"no audio tokens", withAudio, Usage{Input: 100, Output: 10}, "0.00035", "", false},
		// Counts past their totals are held to them.
		{"audio over the totals", withAudio, Usage{Input: 10, Output: 10, AudioInput: 50, AudioOutput: 50}, "0.0012", "0.0012", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Compute(p, &catalog.Model{Price: tc.price}, tc.u)
			want, _ := new(big.Rat).SetString(tc.total)
			if c.Total.Cmp(want) != 0 {
				t.Errorf("total %s, want %s", c.Total.FloatString(8), tc.total)
			}
			if tc.audio == "" {
				if c.Audio != nil {
					t.Errorf("audio %s, want none", c.Audio.FloatString(8))
				}
			} else if a, _ := new(big.Rat).SetString(tc.audio); c.Audio == nil || c.Audio.Cmp(a) != 0 {
				t.Errorf("audio %v, want %s", c.Audio, tc.audio)
			}
			if c.AudioAtTextPrice != tc.atTextPrice {
				t.Errorf("AudioAtTextPrice %v", c.AudioAtTextPrice)
			}
		})
	}
}
