package views

import (
	"testing"

	"github.com/playground-dev/playground/web/run"
)

// TestRefusedRunCostsNothing: the history says a refused run cost
// nothing, and adds it up as zero.
func TestRefusedRunCostsNothing(t *testing.T) {
	var refused, priced run.Summary
	refused.Cost.Refused, refused.Cost.Known, refused.Cost.Currency, refused.Cost.Total = true, true, "USD", "$0.00"
	priced.Cost.Known, priced.Cost.Currency, priced.Cost.Total, priced.Cost.Amount = true, "USD", "$0.50", 0.5
	if got := costLine(&refused); got != "nothing — the provider refused the request" {
		t.Errorf("refused: %q", got)
	}
	if got := costLine(&priced); got != "$0.50" {
		t.Errorf("priced: %q", got)
	}
	if got, want := TotalCost([]*run.Summary{&refused, &priced}), TotalCost([]*run.Summary{&priced}); got != want {
		t.Errorf("total with a refused run %q, without %q", got, want)
	}
}
