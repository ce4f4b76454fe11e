package views

import (
	"math/big"
	"testing"

	"github.com/playground-dev/playground/web/run"
)

// TestRefusedRunCostsNothing: the history says a refused run cost
// nothing, and adds it up as zero.
func TestRefusedRunCostsNothing(t *testing.T) {
	var refused, priced run.Outcome
	refused.Cost.Refused, refused.Cost.Known, refused.Cost.Currency, refused.Cost.Total = true, true, "USD", run.NewAmount(new(big.Rat))
	priced.Cost.Known, priced.Cost.Currency, priced.Cost.Total = true, "USD", run.NewAmount(big.NewRat(1, 2))
	if got := costLine(&refused); got != "nothing — the provider refused the request" {
		t.Errorf("refused: %q", got)
	}
	if got := costLine(&priced); got != "$0.50" {
		t.Errorf("priced: %q", got)
	}
	if got, want := TotalCost([]*run.Outcome{&refused, &priced}), TotalCost([]*run.Outcome{&priced}); got != want {
		t.Errorf("total with a refused run %q, without %q", got, want)
	}
}
