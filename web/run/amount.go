package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
)

// Amount is an exact amount of money or credits, stored as it is: in JSON
// a string holding a decimal ("0.000165") when the amount has a finite
// one, else a fraction ("1/3"). It never goes through a float64.
type Amount struct{ r big.Rat }

// NewAmount is r as an Amount (a copy), nil for nil.
func NewAmount(r *big.Rat) *Amount {
	if r == nil {
		return nil
	}
	a := new(Amount)
	a.r.Set(r)
	return a
}

// Rat is the amount as a new big.Rat, nil for no amount.
func (a *Amount) Rat() *big.Rat {
	if a == nil {
		return nil
	}
	return new(big.Rat).Set(&a.r)
}

// String is the amount as JSON holds it: the shortest exact decimal, or
// a fraction when it has no finite decimal.
func (a *Amount) String() string {
	if a == nil {
		return ""
	}
	if a.r.IsInt() {
		return a.r.FloatString(0)
	}
	// A fraction in lowest terms has a finite decimal when its denominator
	// is 2^i·5^j; it then takes max(i, j) digits.
	d := new(big.Int).Set(a.r.Denom())
	var twos, fives int
	two, five, m := big.NewInt(2), big.NewInt(5), new(big.Int)
	for d.Cmp(two) >= 0 {
		if q, r := new(big.Int).QuoRem(d, two, m); r.Sign() == 0 {
			d, twos = q, twos+1
			continue
		}
		if q, r := new(big.Int).QuoRem(d, five, m); r.Sign() == 0 {
			d, fives = q, fives+1
			continue
		}
		return a.r.String()
	}
	return a.r.FloatString(max(twos, fives))
}

// MarshalJSON writes the amount as a JSON string (String).
func (a *Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.String())
}

// UnmarshalJSON reads a decimal or a fraction, as a JSON string.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	r, ok := parseAmount(s)
	if !ok {
		return errors.New("run: not an exact amount: " + string(bytes.TrimSpace(b)))
	}
	a.r.Set(r)
	return nil
}

// parseAmount reads a decimal or a fraction ("0.000165", "33/20000").
func parseAmount(s string) (*big.Rat, bool) {
	if s == "" {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}
