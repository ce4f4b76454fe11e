package run

import "math/big"

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
