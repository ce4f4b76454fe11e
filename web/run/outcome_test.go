package run

import (
	"math/big"
	"net/http/httptest"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

// TestOutcomeKeepsTheExactCost: the done event (the history's summary)
// holds the cost as an exact rational beside the float64 the browser
// reads: 5 tokens in and 2 out at $1 per million cost 7/1000000 exactly.
func TestOutcomeKeepsTheExactCost(t *testing.T) {
	body := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n" +
		"data: [DONE]\n\n"
	srv := httptest.NewServer(serve([]byte(body), 1000, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}"))))
	o := b.summary
	want := big.NewRat(7, 1_000_000)
	got, ok := o.TotalRat()
	if !ok || got.Cmp(want) != 0 || o.Cost.Exact != "7/1000000" || o.Cost.Currency != "USD" {
		t.Fatalf("cost %+v: exact %v, want %v", o.Cost, got, want)
	}
	if f, _ := want.Float64(); o.Cost.Amount != f {
		t.Errorf("amount %v, want %v for the browser", o.Cost.Amount, f)
	}
	if _, ok := o.CreditsRat(); ok {
		t.Error("credits for a provider that bills none")
	}
}

// TestOutcomeReadsOldRows: rows stored before the exact amounts were give
// back their float64 amounts; a run without a price has no total.
func TestOutcomeReadsOldRows(t *testing.T) {
	var old Outcome
	old.Cost.Known, old.Cost.Amount, old.Cost.Credits, old.Cost.CreditsAmount = true, 0.5, "2 credits", 2
	if r, ok := old.TotalRat(); !ok || r.Cmp(big.NewRat(1, 2)) != 0 {
		t.Errorf("old total %v %v", r, ok)
	}
	if r, ok := old.CreditsRat(); !ok || r.Cmp(big.NewRat(2, 1)) != 0 {
		t.Errorf("old credits %v %v", r, ok)
	}
	var unpriced Outcome
	if _, ok := unpriced.TotalRat(); ok {
		t.Error("a total for a run without a price")
	}
	if _, ok := (*Outcome)(nil).TotalRat(); ok {
		t.Error("a total for no outcome")
	}
}
